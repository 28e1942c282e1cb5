"""Scores from facts (kam.core.fact_scores): hand-worked bands and the rules' invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kam.core.fact_scores import FactRule, FactRuleError, RuleMethod, scores_from_fact

NAN = math.nan


def test_nine_cut_points_give_one_score_per_band() -> None:
    rule = FactRule("revenue_12m", RuleMethod.THRESHOLDS, cuts=tuple(range(10, 100, 10)))
    # 5 is below every cut (band 0 -> 1); 10 is at the first cut (band 1 -> 2); 95 -> 10
    got = scores_from_fact([5, 10, 19.9, 50, 90, 95], rule)
    assert got.tolist() == [1, 2, 2, 6, 10, 10]


def test_three_cut_points_spread_over_one_to_ten() -> None:
    # k = 3 cuts: bands 0..3 score 1 + round(9 b / 3) = 1, 4, 7, 10
    rule = FactRule("gross_margin_pct", RuleMethod.THRESHOLDS, cuts=(10.0, 20.0, 30.0))
    assert scores_from_fact([0, 10, 25, 30, 80], rule).tolist() == [1, 4, 7, 10, 10]


def test_lower_is_better_turns_thresholds_round() -> None:
    # days paid late: at most 5 is best (10), more than 30 is worst (1)
    rule = FactRule(
        "mean_days_late", RuleMethod.THRESHOLDS, cuts=(5.0, 15.0, 30.0), higher_is_better=False
    )
    assert scores_from_fact([0, 5, 6, 15, 16, 30, 31], rule).tolist() == [10, 10, 7, 7, 4, 4, 1]


def test_missing_values_score_zero_and_do_not_count_in_percentiles() -> None:
    rule = FactRule("orders", RuleMethod.PERCENTILES)
    # ten known values 1..10 rank 1..10 -> deciles 1..10; NaN stays 0
    values = [NAN, *range(1, 11)]
    assert scores_from_fact(values, rule).tolist() == [0, *range(1, 11)]


def test_percentile_ties_share_the_lowest_rank() -> None:
    rule = FactRule("orders", RuleMethod.PERCENTILES)
    # n = 4; ranks 1, 2, 2, 4 -> 1 + floor(10 (r - 1) / 4) = 1, 3, 3, 8
    assert scores_from_fact([1, 5, 5, 9], rule).tolist() == [1, 3, 3, 8]


def test_percentiles_lower_is_better() -> None:
    rule = FactRule("recency_days", RuleMethod.PERCENTILES, higher_is_better=False)
    assert scores_from_fact([1, 5, 5, 9], rule).tolist() == [8, 3, 3, 1]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "thresholds", "cuts": []}, "Give from 1 to 9 cut points"),
        ({"method": "thresholds", "cuts": list(range(10))}, "Give from 1 to 9 cut points"),
        ({"method": "thresholds", "cuts": [3, 3]}, "must increase strictly"),
        ({"method": "thresholds", "cuts": ["a"]}, "must be a number"),
        ({"method": "percentiles", "cuts": [1]}, "take no cut points"),
        ({"method": "guess"}, "Choose thresholds or percentiles"),
    ],
)
def test_broken_rules_are_refused_with_a_reason(data: dict[str, object], message: str) -> None:
    with pytest.raises(FactRuleError) as info:
        FactRule.from_json("orders", data)
    assert any(message in p for p in info.value.problems)


def test_unknown_fact_is_refused() -> None:
    with pytest.raises(FactRuleError, match="listed facts"):
        FactRule.from_json("shoe_size", {"method": "percentiles"})


def test_rule_round_trips_through_json() -> None:
    rule = FactRule("growth", RuleMethod.THRESHOLDS, cuts=(-0.1, 0.0, 0.1), higher_is_better=True)
    assert FactRule.from_json("growth", rule.as_json()) == rule


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@given(
    values=st.lists(finite, min_size=1, max_size=40),
    cuts=st.lists(finite, min_size=1, max_size=9, unique=True).map(sorted),
    higher=st.booleans(),
    method=st.sampled_from(list(RuleMethod)),
)
def test_scores_are_whole_one_to_ten_and_monotone(
    values: list[float], cuts: list[float], higher: bool, method: RuleMethod
) -> None:
    rule = FactRule(
        "revenue_12m",
        method,
        cuts=tuple(cuts) if method is RuleMethod.THRESHOLDS else (),
        higher_is_better=higher,
    )
    scores = scores_from_fact(values, rule)
    assert ((scores >= 1) & (scores <= 10)).all()
    order = np.argsort(values, kind="stable")
    ranked = scores[order] if higher else scores[order][::-1]
    # a better value never gets a lower score
    assert (np.diff(ranked) >= 0).all()
