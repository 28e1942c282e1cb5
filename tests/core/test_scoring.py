"""Scheme rules (docs/method.md section 1): what a user is told to fix."""

from __future__ import annotations

import pytest

from kam.core.scoring import BOXES, Box, Criterion, Scheme, SchemeError


def crit(key: str, weight: int, **anchors: str) -> Criterion:
    return Criterion(key, key.title(), weight, {int(k[1:]): v for k, v in anchors.items()})


def good() -> Scheme:
    return Scheme(
        attractiveness=(crit("spend", 40), crit("growth", 35), crit("margin", 25)),
        strength=(crit("quality", 60), crit("price", 40)),
    )


def test_valid_scheme_has_no_problems_and_validates_to_itself() -> None:
    scheme = good()
    assert scheme.problems() == []
    assert scheme.validate() is scheme
    assert scheme.keys == ("spend", "growth", "margin", "quality", "price")


def test_boxes_are_in_the_documented_order() -> None:
    assert [b.value for b in BOXES] == ["key", "key_development", "maintenance", "opportunistic"]
    assert BOXES[0] is Box.KEY


@pytest.mark.parametrize("n", [2, 8])
def test_attractiveness_needs_three_to_seven_criteria(n: int) -> None:
    weights = [100 // n] * n
    weights[0] += 100 - sum(weights)
    scheme = Scheme(
        attractiveness=tuple(crit(f"a{i}", w) for i, w in enumerate(weights)),
        strength=(crit("quality", 100),),
    )
    assert scheme.problems() == [f"Attractiveness needs 3 to 7 criteria; it has {n}."]


@pytest.mark.parametrize("n", [3, 7])
def test_three_and_seven_attractiveness_criteria_are_fine(n: int) -> None:
    weights = [100 // n] * n
    weights[0] += 100 - sum(weights)
    scheme = Scheme(
        attractiveness=tuple(crit(f"a{i}", w) for i, w in enumerate(weights)),
        strength=(crit("quality", 100),),
    )
    assert scheme.problems() == []


def test_weights_short_of_100_say_how_much_to_add() -> None:
    scheme = Scheme(
        attractiveness=(crit("spend", 40), crit("growth", 30), crit("margin", 20)),
        strength=(crit("quality", 60), crit("price", 40)),
    )
    assert scheme.problems() == [
        "Attractiveness weights add up to 90; they must add up to 100 (add 10)."
    ]


def test_weights_over_100_say_how_much_to_remove() -> None:
    scheme = Scheme(
        attractiveness=(crit("spend", 40), crit("growth", 35), crit("margin", 25)),
        strength=(crit("quality", 70), crit("price", 33)),
    )
    assert scheme.problems() == [
        "Strength weights add up to 103; they must add up to 100 (remove 3)."
    ]


def test_duplicate_keys_are_reported_once_each() -> None:
    scheme = Scheme(
        attractiveness=(crit("spend", 40), crit("spend", 35), crit("margin", 25)),
        strength=(crit("margin", 60), crit("spend", 40)),
    )
    assert scheme.problems() == [
        "The key 'spend' is used 3 times; every criterion needs its own key.",
        "The key 'margin' is used twice; every criterion needs its own key.",
    ]
    details = scheme.problem_details()
    assert [(d.axis, d.key, d.field) for d in details] == [
        ("attractiveness", "spend", "key"),
        ("strength", "margin", "key"),
    ]


def test_weights_must_be_whole_and_positive() -> None:
    scheme = Scheme(
        attractiveness=(crit("spend", 50), crit("growth", 50), crit("margin", 0)),
        strength=(Criterion("quality", "Quality", 99.5), crit("price", 1)),  # type: ignore[arg-type]
    )
    assert scheme.problems() == [
        "Attractiveness: the weight of 'margin' must be at least 1.",
        "Strength: the weight of 'quality' must be a whole number.",
    ]


def test_anchors_are_checked_only_when_required() -> None:
    scheme = Scheme(
        attractiveness=(
            crit("spend", 40, a2="small", a5="medium", a8="large"),
            crit("growth", 35, a2="shrinking", a8="booming"),
            crit("margin", 25, a5=" "),
        ),
        strength=(crit("quality", 100, a2="x", a5="y", a8="z"),),
    )
    assert scheme.problems() == []
    assert scheme.problems(require_anchors=True) == [
        "Attractiveness: 'growth' needs anchors for the scores 5.",
        "Attractiveness: 'margin' needs anchors for the scores 2, 5, 8.",
    ]
    with pytest.raises(SchemeError) as raised:
        scheme.validate(require_anchors=True)
    assert len(raised.value.problems) == 2


def test_cut_lines_must_be_inside_the_scale() -> None:
    scheme = Scheme(
        attractiveness=good().attractiveness,
        strength=good().strength,
        attractiveness_cut=10.0,
        strength_cut_relative=0.0,
        strength_cut_absolute=-1.0,
    )
    assert [d.field for d in scheme.problem_details()] == ["cut", "cut_relative", "cut_absolute"]


def test_every_problem_is_listed_together() -> None:
    scheme = Scheme(attractiveness=(crit("spend", 100),), strength=())
    assert scheme.problems() == [
        "Attractiveness needs 3 to 7 criteria; it has 1.",
        "Strength needs 1 to 12 of the customer's buying criteria; it has 0.",
    ]
