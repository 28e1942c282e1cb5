"""Portfolio services with hand-worked numbers (docs/method.md section 1).

The helpers at the top (``scheme_content``, ``make_scheme``, ``make_review``) are shared by
the page and API tests of schemes and reviews.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from kam.errors import ApplicationError
from kam.portfolio.models import Placement, Rating, ReviewStatus, SchemeVersion
from kam.portfolio.services import (
    CriterionInput,
    RatingInput,
    SchemeContent,
    ratings_save,
    review_close,
    review_compute,
    review_create,
    scheme_content_of,
    scheme_create,
    scheme_version_create,
)
from tests.factories import AccountFactory


def _att(key: str, weight: int, name: str | None = None) -> CriterionInput:
    return CriterionInput(
        "attractiveness",
        key,
        name or key.title(),
        weight,
        anchor_2=f"{key} low",
        anchor_5=f"{key} medium",
        anchor_8=f"{key} high",
    )


def scheme_content(
    a: tuple[int, ...] = (50, 30, 20), s: tuple[int, ...] = (60, 40)
) -> SchemeContent:
    """A small valid scheme: attractiveness a1.. with weights ``a``, strength s1.. with ``s``."""
    return SchemeContent(
        criteria=[_att(f"a{i + 1}", w) for i, w in enumerate(a)]
        + [CriterionInput("strength", f"s{i + 1}", f"Buying {i + 1}", w) for i, w in enumerate(s)],
        competitors=["Rival Foods", "Budget Brands"],
    )


def make_scheme(director, name: str = "Food retail") -> SchemeVersion:  # type: ignore[no-untyped-def]
    return scheme_create(name=name, content=scheme_content(), created_by=director)


def make_review(director, raters, version=None, name: str = "Spring"):  # type: ignore[no-untyped-def]
    return review_create(
        name=name,
        review_date=dt.date(2026, 4, 1),
        scheme_version=version or make_scheme(director),
        raters=raters,
        created_by=director,
    )


def crit(version: SchemeVersion, key: str) -> int:
    return version.criteria.get(key=key).pk


def score_all(review, rater, account, scores, competitor=None):  # type: ignore[no-untyped-def]
    """Save ``scores`` {key: score} (and competitor {key: score}) for one account."""
    version = review.scheme_version
    competitor = competitor or {}
    ratings_save(
        review=review,
        rater=rater,
        entries=[
            RatingInput(account.pk, crit(version, k), v, competitor_score=competitor.get(k))
            for k, v in scores.items()
        ],
    )


@pytest.mark.django_db
def test_two_raters_hand_worked_attractiveness_and_relative_strength(director, kam_user):
    account = AccountFactory(owner=kam_user)
    review = make_review(director, [director, kam_user])
    score_all(
        review,
        director,
        account,
        {"a1": 8, "a2": 6, "a3": 4, "s1": 7, "s2": 6},
        competitor={"s1": 5, "s2": 8},
    )
    score_all(
        review,
        kam_user,
        account,
        {"a1": 6, "a2": 4, "a3": 4, "s1": 5, "s2": 8},
        competitor={"s1": 5, "s2": 6},
    )

    review_compute(review=review)
    p = Placement.objects.get(review=review, account=account)

    # Means: a = 7, 5, 4; s_us = 6, 7; s_comp = 5, 7.
    # A = (50·7 + 30·5 + 20·4) / 100 = 5.8; S_us = (60·6 + 40·7) / 100 = 6.4;
    # S_comp = (60·5 + 40·7) / 100 = 5.8; RS = 6.4 / 5.8 = 1.1034...
    assert p.attractiveness == pytest.approx(5.8)
    assert p.strength == pytest.approx(6.4)
    assert p.competitor_strength == pytest.approx(5.8)
    assert p.relative_strength == pytest.approx(6.4 / 5.8)
    assert p.strength_axis == "relative"
    assert p.box == "key"
    assert p.missing == []
    assert p.disagreement == []


@pytest.mark.django_db
def test_disagreement_over_three_points_is_flagged_and_missing_criteria_listed(director, kam_user):
    account = AccountFactory(owner=kam_user)
    review = make_review(director, [director, kam_user])
    # a1 differs by 4 (> 3): flagged; a2 differs by exactly 3: not flagged.
    score_all(review, director, account, {"a1": 9, "a2": 7, "a3": 5})
    score_all(review, kam_user, account, {"a1": 5, "a2": 4, "a3": 5})

    review_compute(review=review)
    p = Placement.objects.get(review=review, account=account)

    assert p.disagreement == ["a1"]
    assert p.box == ""
    assert p.missing == ["s1", "s2"]


@pytest.mark.django_db
def test_absolute_strength_cut_when_a_competitor_score_is_missing(director):
    account = AccountFactory()
    review = make_review(director, [director])
    # A = (50·4 + 30·4 + 20·4) / 100 = 4.0 (below 5); S_us = (60·5 + 40·5) / 100 = 5.0, on the
    # absolute line, so strong: maintenance. Only s1 has a competitor score -> no RS.
    score_all(
        review,
        director,
        account,
        {"a1": 4, "a2": 4, "a3": 4, "s1": 5, "s2": 5},
        competitor={"s1": 9},
    )
    review_compute(review=review)
    p = Placement.objects.get(review=review, account=account)
    assert p.attractiveness == pytest.approx(4.0)
    assert p.strength_axis == "absolute"
    assert p.relative_strength is None
    assert p.box == "maintenance"


@pytest.mark.django_db
def test_weight_change_makes_a_new_version_and_old_review_keeps_its_version(director):
    v1 = make_scheme(director)
    review = make_review(director, [director], version=v1)

    v2 = scheme_version_create(
        scheme=v1.scheme,
        content=scheme_content(a=(40, 40, 20)),
        change_note="growth up",
        created_by=director,
    )

    assert v2.number == 2
    assert v2.pk != v1.pk
    assert [c.weight for c in v1.criteria.filter(axis="attractiveness").order_by("position")] == [
        50,
        30,
        20,
    ]
    assert [c.weight for c in v2.criteria.filter(axis="attractiveness").order_by("position")] == [
        40,
        40,
        20,
    ]
    review.refresh_from_db()
    assert review.scheme_version_id == v1.pk


@pytest.mark.django_db
def test_saving_the_same_content_makes_no_new_version(director):
    v1 = make_scheme(director)
    same = scheme_version_create(
        scheme=v1.scheme, content=scheme_content_of(version=v1), created_by=director
    )
    assert same.pk == v1.pk
    assert SchemeVersion.objects.filter(scheme=v1.scheme).count() == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            scheme_content(a=(50, 25, 20)),
            "Attractiveness weights add up to 95; they must add up to 100 (add 5).",
        ),
        (scheme_content(a=(60, 40)), "Attractiveness needs 3 to 7 criteria; it has 2."),
        (scheme_content(s=(60, 50)), "(remove 10)"),
    ],
)
@pytest.mark.django_db
def test_invalid_schemes_are_refused_with_what_to_fix(director, content, expected):
    with pytest.raises(ApplicationError) as exc:
        scheme_create(name="Bad", content=content, created_by=director)
    assert any(expected in p for p in exc.value.problems)
    assert exc.value.status == 422
    assert not SchemeVersion.objects.exists()


@pytest.mark.django_db
def test_duplicate_key_and_missing_anchors_are_refused(director):
    base = scheme_content()
    criteria = list(base.criteria)
    criteria[1] = replace(criteria[1], key="a1")  # the key of the first criterion again
    criteria[2] = replace(criteria[2], anchor_5="")
    with pytest.raises(ApplicationError) as exc:
        scheme_create(name="Bad", content=replace(base, criteria=criteria), created_by=director)
    problems = exc.value.problems
    assert "The key 'a1' is used twice; every criterion needs its own key." in problems
    assert any("'a3' needs anchors" in p for p in problems)


@pytest.mark.django_db
def test_only_directors_create_schemes(kam_user):
    with pytest.raises(ApplicationError) as exc:
        scheme_create(name="Mine", content=scheme_content(), created_by=kam_user)
    assert exc.value.status == 403


@pytest.mark.django_db
def test_ratings_save_is_all_or_nothing(director):
    account = AccountFactory()
    review = make_review(director, [director])
    v = review.scheme_version
    with pytest.raises(ApplicationError) as exc:
        ratings_save(
            review=review,
            rater=director,
            entries=[
                RatingInput(account.pk, crit(v, "a1"), 7),
                RatingInput(account.pk, crit(v, "a2"), 11),
            ],
        )
    assert "not a whole number from 1 to 10" in exc.value.message
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_ratings_rules_not_a_rater_and_closed_review(director, kam_user):
    account = AccountFactory(owner=kam_user)
    review = make_review(director, [director])
    entry = [RatingInput(account.pk, crit(review.scheme_version, "a1"), 6)]
    with pytest.raises(ApplicationError) as exc:
        ratings_save(review=review, rater=kam_user, entries=entry)
    assert exc.value.status == 403

    review_close(review=review, closed_by=director)
    assert review.status == ReviewStatus.CLOSED
    with pytest.raises(ApplicationError) as exc:
        ratings_save(review=review, rater=director, entries=entry)
    assert exc.value.status == 409
