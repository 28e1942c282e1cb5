"""Classification, hand-worked (docs/method.md section 1)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kam.core.portfolio import (
    NOT_PLACED,
    ScoreRow,
    classify,
    classify_scores,
    disagreement,
    score_table,
    score_table_from_arrays,
)
from kam.core.scoring import BOXES, Box, Criterion, Scheme

NAN = math.nan

# attractiveness: spend 50, growth 30, payment 20; strength: quality 60, price 40
SCHEME = Scheme(
    attractiveness=(
        Criterion("spend", "Spend", 50),
        Criterion("growth", "Growth", 30),
        Criterion("payment", "Payment", 20),
    ),
    strength=(Criterion("quality", "Quality", 60), Criterion("price", "Price", 40)),
)


def place(scores: list[float], competitor: list[float] | None = None, scheme: Scheme = SCHEME):
    comp = [NAN, NAN, NAN] + (competitor if competitor is not None else [NAN, NAN])
    return classify_scores(scheme, np.array([scores], float), np.array([comp], float))


def box_of(result) -> Box | None:  # type: ignore[no-untyped-def]
    b = int(result.box[0])
    return None if b == NOT_PLACED else BOXES[b]


def test_axis_scores_are_weighted_sums_over_100() -> None:
    # A = (50·8 + 30·6 + 20·4)/100 = 6.6; S_us = (60·7 + 40·4)/100 = 5.8
    # S_comp = (60·5 + 40·6)/100 = 5.4; RS = 5.8/5.4
    r = place([8, 6, 4, 7, 4], [5, 6])
    assert r.attractiveness[0] == pytest.approx(6.6)
    assert r.strength[0] == pytest.approx(5.8)
    assert r.competitor_strength[0] == pytest.approx(5.4)
    assert r.relative_strength[0] == pytest.approx(5.8 / 5.4)
    assert bool(r.relative[0])
    assert box_of(r) is Box.KEY


def test_the_four_boxes() -> None:
    # attractive and stronger than the competitor
    assert box_of(place([8, 8, 8, 6, 6], [5, 5])) is Box.KEY
    # attractive, weaker than the competitor
    assert box_of(place([8, 8, 8, 5, 5], [6, 6])) is Box.KEY_DEVELOPMENT
    # not attractive, stronger
    assert box_of(place([3, 3, 3, 6, 6], [5, 5])) is Box.MAINTENANCE
    # not attractive, weaker
    assert box_of(place([3, 3, 3, 5, 5], [6, 6])) is Box.OPPORTUNISTIC


def test_a_point_exactly_on_the_attractiveness_line_is_attractive() -> None:
    # A = (50·5 + 30·4 + 20·6.5)/100 = 5.0 exactly on the line; RS = 1 exactly on parity
    r = place([5, 4, 6.5, 6, 6], [6, 6])
    assert r.attractiveness[0] == pytest.approx(5.0)
    assert r.relative_strength[0] == 1.0
    assert box_of(r) is Box.KEY
    # a hair below each line falls to the lower box
    assert box_of(place([5, 4, 6.4, 6, 6], [6, 6])) is Box.MAINTENANCE
    assert box_of(place([5, 4, 6.5, 6, 5.9], [6, 6])) is Box.KEY_DEVELOPMENT


def test_a_point_exactly_on_the_absolute_strength_line_is_strong() -> None:
    # no competitor scores: S_us = (60·5 + 40·5)/100 = 5.0, cut at 5.0
    r = place([3, 3, 3, 5, 5])
    assert not bool(r.relative[0])
    assert r.strength[0] == 5.0
    assert math.isnan(r.relative_strength[0])
    assert box_of(r) is Box.MAINTENANCE
    assert box_of(place([3, 3, 3, 4, 5])) is Box.OPPORTUNISTIC


def test_one_missing_competitor_score_means_the_absolute_axis() -> None:
    # S_us = 6.6 would be weak against the competitor's 9s, but with one competitor score
    # missing the axis is S_us with its cut at 5.0
    r = place([8, 8, 8, 7, 6], [9, NAN])
    assert not bool(r.relative[0])
    assert math.isnan(r.competitor_strength[0])
    assert r.strength[0] == pytest.approx(6.6)
    assert box_of(r) is Box.KEY
    assert box_of(place([8, 8, 8, 7, 6], [9, 9])) is Box.KEY_DEVELOPMENT


def test_configurable_cut_lines() -> None:
    scheme = Scheme(
        SCHEME.attractiveness,
        SCHEME.strength,
        attractiveness_cut=7.0,
        strength_cut_relative=1.2,
        strength_cut_absolute=6.0,
    )
    # A = 6.6 below 7; RS = 6/5 = 1.2 exactly on the line
    assert box_of(place([8, 6, 4, 6, 6], [5, 5], scheme)) is Box.MAINTENANCE
    # S_us 5.8 below the absolute cut of 6
    assert box_of(place([8, 8, 8, 7, 4], None, scheme)) is Box.KEY_DEVELOPMENT


def test_an_account_missing_a_score_is_not_placed_and_lists_what_it_lacks() -> None:
    r = place([8, NAN, 4, 7, NAN], [5, 6])
    assert int(r.box[0]) == NOT_PLACED
    assert math.isnan(r.attractiveness[0]) and math.isnan(r.strength[0])
    assert [k for k, m in zip(SCHEME.keys, r.missing[0], strict=True) if m] == ["growth", "price"]


def test_score_is_the_mean_of_the_raters() -> None:
    rows = [
        ScoreRow("acme", "spend", 8, rater="ann"),
        ScoreRow("acme", "spend", 5, rater="bob"),
        ScoreRow("acme", "spend", 6, rater="cy"),
        ScoreRow("acme", "quality", 7, competitor_score=4, rater="ann"),
        ScoreRow("acme", "quality", 8, competitor_score=None, rater="bob"),
        ScoreRow("zeta", "growth", 2, rater="ann"),
    ]
    table = score_table(SCHEME, rows)
    assert table.accounts == ("acme", "zeta")
    assert table.scores[0, 0] == pytest.approx(19 / 3)
    assert table.raters[0, 0] == 3
    assert table.spread[0, 0] == 3.0
    assert table.scores[0, 3] == pytest.approx(7.5)
    # the competitor score is the mean of the raters who gave one
    assert table.competitor_scores[0, 3] == 4.0
    assert math.isnan(table.scores[0, 1]) and table.raters[0, 1] == 0
    assert table.scores[1, 1] == 2.0


def test_whole_portfolio_from_rows_is_classified() -> None:
    rows = [ScoreRow("acme", k, s) for k, s in zip(SCHEME.keys, [8, 6, 4, 7, 4], strict=True)]
    result = classify(SCHEME, score_table(SCHEME, rows))
    assert result.attractiveness[0] == pytest.approx(6.6)
    assert BOXES[int(result.box[0])] is Box.KEY  # S_us 5.8 ≥ 5.0 on the absolute axis


def test_disagreement_over_three_points_is_flagged_but_exactly_three_is_not() -> None:
    rows = [
        ScoreRow("acme", "spend", 2, rater="ann"),
        ScoreRow("acme", "spend", 6, rater="bob"),  # spread 4: flagged
        ScoreRow("acme", "growth", 4, rater="ann"),
        ScoreRow("acme", "growth", 7, rater="bob"),  # spread 3: not flagged
        ScoreRow("acme", "payment", 5, rater="ann"),  # one rater: spread 0
    ]
    table = score_table(SCHEME, rows)
    flags = disagreement(table)
    assert flags[0].tolist() == [True, False, False, False, False]
    assert disagreement(table, points=4)[0].tolist() == [False] * 5


def test_arrays_with_nan_scores_count_as_no_rater() -> None:
    table = score_table_from_arrays(
        ["acme"],
        5,
        np.array([0, 0, 0]),
        np.array([0, 0, 1]),
        np.array([8.0, NAN, NAN]),
        np.array([NAN, NAN, NAN]),
    )
    assert table.scores[0, 0] == 8.0
    assert table.raters[0, 0] == 1
    assert math.isnan(table.scores[0, 1]) and table.raters[0, 1] == 0


def test_unknown_criterion_raises_key_error() -> None:
    with pytest.raises(KeyError):
        score_table(SCHEME, [ScoreRow("acme", "nope", 5)])
