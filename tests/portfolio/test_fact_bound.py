"""Criteria scored from account facts (issue 6 item 3; docs/method.md sections 1 and 6).

A criterion bound to a fact gets its score from the account's facts by a rule; raters see
the derived score, may override it only with a reason, and the review uses the override.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kam.economics.services import account_facts_save
from kam.errors import ApplicationError
from kam.portfolio.models import Placement, Rating
from kam.portfolio.review_selectors import review_progress_map
from kam.portfolio.services import (
    CriterionInput,
    RatingInput,
    SchemeContent,
    ratings_save,
    review_compute,
    review_create,
    review_derive_scores,
    scheme_content_of,
    scheme_create,
)
from tests.conftest import client_for
from tests.factories import AccountFactory
from tests.portfolio.test_services import _att, crit

RULE = {"method": "thresholds", "cuts": [100, 200, 300], "higher_is_better": True}


def bound_content(rule: dict[str, object] | None = None) -> SchemeContent:
    """a1 (weight 50) scored from revenue_12m by cut points 100/200/300; a2, a3 by raters."""
    return SchemeContent(
        criteria=[
            CriterionInput(
                "attractiveness",
                "a1",
                "Revenue",
                50,
                fact="revenue_12m",
                fact_rule=rule if rule is not None else RULE,
            ),
            _att("a2", 30),
            _att("a3", 20),
            CriterionInput("strength", "s1", "Quality", 60),
            CriterionInput("strength", "s2", "Service", 40),
        ]
    )


@pytest.fixture
def world(director, kam_user):  # type: ignore[no-untyped-def]
    big = AccountFactory(owner=kam_user, name="Big")
    small = AccountFactory(owner=kam_user, name="Small")
    unknown = AccountFactory(owner=kam_user, name="Unknown")
    account_facts_save(
        as_of=dt.date(2026, 3, 31),
        rows=[(big.pk, {"revenue_12m": 250.0}), (small.pk, {"revenue_12m": 50.0})],
    )
    # facts after the review date do not count for it
    account_facts_save(as_of=dt.date(2026, 6, 30), rows=[(small.pk, {"revenue_12m": 999.0})])
    version = scheme_create(name="Facts", content=bound_content(), created_by=director)
    review = review_create(
        name="Spring",
        review_date=dt.date(2026, 4, 1),
        scheme_version=version,
        raters=[kam_user],
        created_by=director,
    )
    return review, big, small, unknown


def _derived(review, account):  # type: ignore[no-untyped-def]
    return Rating.objects.get(review=review, account=account, derived=True)


@pytest.mark.django_db
def test_opening_a_review_derives_scores_from_facts_at_the_review_date(world):  # type: ignore[no-untyped-def]
    review, big, small, unknown = world
    # k = 3 cut points: 250 is in band 2 -> 1 + round(9 * 2 / 3) = 7; 50 in band 0 -> 1
    assert _derived(review, big).score == 7
    assert _derived(review, small).score == 1
    assert _derived(review, big).rater is None
    assert "250" in _derived(review, big).comment
    assert not Rating.objects.filter(review=review, account=unknown).exists()


@pytest.mark.django_db
def test_derived_score_counts_and_an_override_needs_a_reason(world, kam_user):  # type: ignore[no-untyped-def]
    review, big, _small, _unknown = world
    v = review.scheme_version
    scores = {"a2": 5, "a3": 5, "s1": 6, "s2": 6}
    ratings_save(
        review=review,
        rater=kam_user,
        entries=[RatingInput(big.pk, crit(v, k), s) for k, s in scores.items()],
    )
    review_compute(review=review)
    # (50 * 7 + 30 * 5 + 20 * 5) / 100 = 6.0
    assert Placement.objects.get(review=review, account=big).attractiveness == pytest.approx(6.0)

    with pytest.raises(ApplicationError, match="give a reason"):
        ratings_save(review=review, rater=kam_user, entries=[RatingInput(big.pk, crit(v, "a1"), 1)])
    ratings_save(
        review=review,
        rater=kam_user,
        entries=[
            RatingInput(big.pk, crit(v, "a1"), 1, comment="Revenue moved to a sister company")
        ],
    )
    review_compute(review=review)
    # the override replaces the derived 7: (50 * 1 + 150 + 100) / 100 = 3.0
    assert Placement.objects.get(review=review, account=big).attractiveness == pytest.approx(3.0)
    # deriving again keeps the rater's override
    review_derive_scores(review=review)
    review_compute(review=review)
    assert Placement.objects.get(review=review, account=big).attractiveness == pytest.approx(3.0)


@pytest.mark.django_db
def test_progress_leaves_fact_bound_criteria_to_kam(world, kam_user):  # type: ignore[no-untyped-def]
    review, big, _small, _unknown = world
    v = review.scheme_version
    ratings_save(
        review=review,
        rater=kam_user,
        entries=[RatingInput(big.pk, crit(v, k), 5) for k in ("a2", "a3", "s1", "s2")],
    )
    (progress,) = review_progress_map(reviews=[review])[review.pk]
    # 3 accounts x 4 criteria the raters score (a1 is derived): 4 of 12 cells
    assert (progress.scored, progress.cells) == (4, 12)


@pytest.mark.django_db
def test_a_broken_rule_is_refused_naming_the_criterion(director):  # type: ignore[no-untyped-def]
    bad = {"method": "thresholds", "cuts": [300, 100], "higher_is_better": True}
    with pytest.raises(ApplicationError) as info:
        scheme_create(name="Bad", content=bound_content(bad), created_by=director)
    assert any("'a1'" in p and "increase strictly" in p for p in info.value.problems)


@pytest.mark.django_db
def test_binding_is_part_of_the_version(director):  # type: ignore[no-untyped-def]
    version = scheme_create(name="Facts", content=bound_content(), created_by=director)
    content = scheme_content_of(version=version)
    a1 = next(c for c in content.criteria if c.key == "a1")
    assert (a1.fact, a1.fact_rule) == ("revenue_12m", RULE)
    # a fact-bound attractiveness criterion needs no anchors; the rule says what scores mean
    assert a1.anchor_2 == ""


@pytest.mark.django_db
def test_grid_shows_the_derived_score_and_marks_it(world, kam_user):  # type: ignore[no-untyped-def]
    review, big, _small, _unknown = world
    response = client_for(kam_user).get(reverse("portfolio:review_score", args=[review.pk]))
    text = response.content.decode()
    field = f"s-{big.pk}-{crit(review.scheme_version, 'a1')}"
    assert f'name="{field}"' in text
    row = text[text.index(f'name="{field}"') - 400 : text.index(f'name="{field}"') + 400]
    assert 'placeholder="7"' in row
    assert "from facts" in text


@pytest.mark.django_db
def test_api_lists_derived_scores_and_only_directors_derive(world, director, kam_user):  # type: ignore[no-untyped-def]
    review, big, _small, _unknown = world
    url = f"/api/reviews/{review.pk}/ratings?rater=all"
    rows = client_for(director).get(url).json()
    derived = [r for r in rows if r["derived"]]
    assert {(r["account_id"], r["score"], r["rater_id"]) for r in derived} >= {(big.pk, 7, None)}
    assert client_for(kam_user).post(f"/api/reviews/{review.pk}/derive").status_code == 403
    assert client_for(director).post(f"/api/reviews/{review.pk}/derive").json() == {"derived": 2}


@pytest.mark.django_db
def test_scheme_api_round_trips_the_binding(director):  # type: ignore[no-untyped-def]
    payload = {
        "name": "By API",
        "criteria": [
            {
                "axis": "attractiveness",
                "key": "rev",
                "name": "Revenue",
                "weight": 50,
                "fact": "revenue_12m",
                "fact_rule": {"method": "percentiles", "higher_is_better": True},
            },
            {
                "axis": "attractiveness",
                "key": "a2",
                "name": "A2",
                "weight": 30,
                "anchor_2": "l",
                "anchor_5": "m",
                "anchor_8": "h",
            },
            {
                "axis": "attractiveness",
                "key": "a3",
                "name": "A3",
                "weight": 20,
                "anchor_2": "l",
                "anchor_5": "m",
                "anchor_8": "h",
            },
            {"axis": "strength", "key": "s1", "name": "S1", "weight": 100},
        ],
    }
    response = client_for(director).post("/api/schemes", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    rev = next(c for c in response.json()["versions"][0]["criteria"] if c["key"] == "rev")
    assert rev["fact"] == "revenue_12m"
    assert rev["fact_rule"] == {"method": "percentiles", "cuts": [], "higher_is_better": True}


@pytest.mark.django_db
def test_scheme_editor_binds_a_criterion_to_a_fact(director):  # type: ignore[no-untyped-def]
    from tests.portfolio.test_schemes_pages import _post_data

    data = _post_data(
        name="Edited",
        **{
            "a-fact": ["mean_days_late", "", ""],
            "a-fact_method": ["thresholds", "percentiles", "percentiles"],
            "a-fact_cuts": ["5; 15,5; 30", "", ""],
            "a-fact_direction": ["lower", "higher", "higher"],
            "a-anchor_2": ["", "low", "low"],
        },
    )
    client = client_for(director)
    response = client.post(reverse("portfolio:scheme_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    detail = client.get(response["Location"]).content.decode()
    assert "Scored from Mean days paid late, cut points 5; 15.5; 30, lower is better" in detail

    data["name"] = "Broken"
    data["a-fact_cuts"] = ["5; soon", "", ""]
    response = client.post(reverse("portfolio:scheme_create"), data)
    assert response.status_code == 200
    assert "The cut points of &#x27;Attr 1&#x27; must be numbers" in response.content.decode()
