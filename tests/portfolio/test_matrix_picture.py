"""The matrix as the method draws it (docs/scoring.md): the combined strength axis, trails
over every closed review, the three-year outlook (potential and expected position).

The hand-built portfolio is ``test_matrix.matrix_portfolio`` (two closed reviews, one
account per box) with a third, earlier closed review in which Alpha was opportunistic.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import numpy as np
import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.core.combined_axis import combined_position
from kam.core.portfolio import classify_scores
from kam.core.scoring import Criterion as CoreCriterion
from kam.core.scoring import Scheme
from kam.errors import ApplicationError
from kam.portfolio import charts
from kam.portfolio.matrix import (
    MatrixFilters,
    axis_choose,
    axis_counts,
    matrix_rows,
    trails_exist,
    trails_fill,
)
from kam.portfolio.models import Outlook, Review
from kam.portfolio.services import (
    RatingInput,
    outlook_save,
    ratings_save,
    review_close,
    review_compute,
    review_create,
)
from tests.conftest import client_for
from tests.portfolio.test_matrix import PROFILES, by_name, matrix_portfolio, score

CUTS = {"attractiveness": 5.0, "relative": 1.0, "absolute": 5.0}


# --- the combined axis, by hand -------------------------------------------------------------


def test_combined_position_hand_worked():
    # RS 2 with the cut at 1: log(2) / log(10) = 0.30103 of the way to RS 10.
    assert combined_position(
        relative=True, strength=8, competitor_strength=4, cut_relative=1, cut_absolute=5
    ) == pytest.approx(math.log(2) / math.log(10))
    # RS 0.5: the same distance to the left.
    assert combined_position(
        relative=True, strength=3, competitor_strength=6, cut_relative=1, cut_absolute=5
    ) == pytest.approx(-math.log(2) / math.log(10))
    # S_us 7.5 with the cut at 5: half way to 10; S_us 2.5: half way to 0.
    assert combined_position(
        relative=False, strength=7.5, competitor_strength=None, cut_relative=1, cut_absolute=5
    ) == pytest.approx(0.5)
    assert combined_position(
        relative=False, strength=2.5, competitor_strength=None, cut_relative=1, cut_absolute=5
    ) == pytest.approx(-0.5)
    # A cut of 6 stretches the strong side less: S_us 8 is half way from 6 to 10.
    assert combined_position(
        relative=False, strength=8, competitor_strength=None, cut_relative=1, cut_absolute=6
    ) == pytest.approx(0.5)
    # Exactly on the line is the upper box's side: 0, not below.
    assert (
        combined_position(
            relative=True, strength=5, competitor_strength=5, cut_relative=1, cut_absolute=5
        )
        == 0.0
    )


_scores = st.integers(min_value=1, max_value=10)


@settings(max_examples=300, deadline=None)
@given(
    att=st.lists(_scores, min_size=2, max_size=2),
    ours=st.lists(_scores, min_size=2, max_size=2),
    theirs=st.lists(_scores, min_size=2, max_size=2),
    relative=st.booleans(),
    cut_relative=st.sampled_from([0.8, 1.0, 1.25, 1.5]),
    cut_absolute=st.sampled_from([4.0, 5.0, 5.5, 6.0]),
    w=st.integers(min_value=1, max_value=99),
)
def test_the_side_of_the_combined_line_is_the_box(
    att, ours, theirs, relative, cut_relative, cut_absolute, w
):
    """Whatever the scores, weights and cuts, an account lies right of (or on) 0 on the
    combined axis exactly when the boxes call it strong (key or maintenance)."""
    scheme = Scheme(
        attractiveness=(
            CoreCriterion("a1", "A1", 50),
            CoreCriterion("a2", "A2", 50),
        ),
        strength=(CoreCriterion("s1", "S1", w), CoreCriterion("s2", "S2", 100 - w)),
        strength_cut_relative=cut_relative,
        strength_cut_absolute=cut_absolute,
    )
    scores = np.array([[*att, *ours]], dtype=np.float64)
    comp = np.array(
        [[np.nan, np.nan, *(theirs if relative else (np.nan, np.nan))]], dtype=np.float64
    )
    result = classify_scores(scheme, scores, comp)
    box = int(result.box[0])
    strong_box = box in (0, 2)  # key, maintenance
    position = combined_position(
        relative=bool(result.relative[0]),
        strength=float(result.strength[0]),
        competitor_strength=float(result.competitor_strength[0]) if relative else None,
        cut_relative=cut_relative,
        cut_absolute=cut_absolute,
    )
    assert (position >= 0) == strong_box
    assert -1.0 <= position <= 1.0


# --- a hand-built portfolio with three closed reviews ---------------------------------------


@pytest.fixture
def three_reviews(director, kam_user, other_kam):  # type: ignore[no-untyped-def]
    """``matrix_portfolio`` plus 'Review 2024' (closed): Alpha opportunistic there, so its
    trail runs opportunistic → key development → key. Beta lacks competitor scores in
    the latest review, so it is placed on S_us (absolute)."""
    portfolio = matrix_portfolio(director=director, owners=[kam_user, other_kam], closed=False)
    version = portfolio.review.scheme_version
    earliest = review_create(
        name="Review 2024",
        review_date=dt.date(2024, 3, 1),
        scheme_version=version,
        raters=[director],
        created_by=director,
    )
    score(earliest, director, portfolio.accounts["Alpha Retail"], PROFILES["opportunistic"])
    criteria = {c.key: c.pk for c in version.criteria.all()}
    beta = portfolio.accounts["Beta Wholesale"]
    # Beta in the latest review: our strength 3 on price and quality, no competitor scores.
    ratings_save(
        review=portfolio.review,
        rater=director,
        entries=[
            RatingInput(beta.pk, criteria["price"], 3),
            RatingInput(beta.pk, criteria["quality"], 3),
        ],
    )
    review_compute(review=earliest)
    review_compute(review=portfolio.review)
    for review in (earliest, portfolio.previous, portfolio.review):
        review_close(review=review, closed_by=director)
    portfolio.earliest = earliest  # type: ignore[attr-defined]
    return portfolio


@pytest.mark.django_db
def test_trail_holds_every_closed_review_before_this_one(three_reviews, director):
    rows = by_name(matrix_rows(review=three_reviews.review, user=director, filters=MatrixFilters()))
    alpha = rows["Alpha Retail"]
    assert [t["review"] for t in alpha["trail"]] == ["Review 2024", "Review 2025"]
    assert [t["box"] for t in alpha["trail"]] == ["opportunistic", "key_development"]
    # 2024: A = 2, RS = 2 / 6; 2025: A = 8, RS = 3 / 6.
    assert alpha["trail"][0]["attractiveness"] == pytest.approx(2.0)
    assert alpha["trail"][0]["x"] == pytest.approx(1 / 3)
    assert alpha["trail"][1]["x"] == pytest.approx(0.5)
    assert alpha["trail"][0]["c"] == pytest.approx(math.log(1 / 3) / math.log(10))

    spec = charts.chart_spec(
        charts.matrix_chart(list(rows.values()), axis="relative", cuts=CUTS, trails=True)
    )
    alpha_segments = [s for s in spec["datasets"]["trails"] if s["x"] == pytest.approx(2.0)]
    # Three positions: two steps; only the newest (into today's position) is emphasised.
    segments = spec["datasets"]["trails"]
    assert len(segments) == 2
    assert [s["w"] for s in segments] == [0, 1]
    assert segments[0]["x0"] == pytest.approx(0.333, abs=1e-3)
    assert segments[1]["x0"] == pytest.approx(0.5) and alpha_segments == [segments[1]]
    # Dots at the earlier positions: Alpha's two and Gamma's (where it still stands).
    assert [(d["n"], d["v"]) for d in spec["datasets"]["trail_dots"]] == [
        ("Alpha Retail", "Review 2024"),
        ("Alpha Retail", "Review 2025"),
        ("Gamma Foodservice", "Review 2025"),
    ]
    # Without trails, the one arrow since the previous review as before.
    plain = charts.chart_spec(charts.matrix_chart(list(rows.values()), axis="relative", cuts=CUTS))
    assert plain["datasets"]["trails"] == [] and len(plain["datasets"]["moves"]) == 1


@pytest.mark.django_db
def test_relative_and_absolute_accounts_share_the_combined_picture(three_reviews, director):
    rows = matrix_rows(review=three_reviews.review, user=director, filters=MatrixFilters())
    named = by_name(rows)
    counts = axis_counts(rows)
    assert counts == {"relative": 3, "absolute": 1, "unplaced": 1, "combined": 4}
    assert axis_choose(None, counts) == "combined"

    beta = named["Beta Wholesale"]
    assert beta["strength_axis"] == "absolute" and beta["box"] == "key_development"
    # S_us 3 against the absolute cut 5: (3 - 5) / 5 = -0.4, left of the line.
    assert beta["combined_value"] == pytest.approx(-0.4)
    alpha = named["Alpha Retail"]
    assert alpha["strength_axis"] == "relative" and alpha["box"] == "key"
    assert alpha["combined_value"] == pytest.approx(math.log(2) / math.log(10))

    spec = charts.chart_spec(charts.matrix_chart(rows, axis="combined", cuts=CUTS))
    points = {p["n"]: p for p in spec["datasets"]["accounts"]}
    assert set(points) == {"Alpha Retail", "Beta Wholesale", "Gamma Foodservice", "Delta Online"}
    for p in points.values():
        strong = named[p["n"]]["box"] in ("key", "maintenance")
        assert (p["x"] >= 0) == strong, p
    assert points["Beta Wholesale"]["s"] != points["Alpha Retail"]["s"]  # square vs circle
    # The vertical cut line of the combined picture is at 0.
    rules = [layer for layer in spec["layer"] if layer.get("mark", {}).get("type") == "rule"]
    assert any(layer.get("data", {}).get("values") == [{"x": 0.0, "y": 5.0}] for layer in rules)


@pytest.mark.django_db
def test_expected_position_draws_an_arrow_to_its_head(three_reviews, director):
    review = three_reviews.review
    alpha = three_reviews.accounts["Alpha Retail"]
    beta = three_reviews.accounts["Beta Wholesale"]
    # Alpha (relative, S_comp 4 today): expected S_us 9, no expected S_comp -> RS 9/4.
    outlook_save(
        review=review,
        account=alpha,
        data={"expected_attractiveness": Decimal("9"), "expected_strength": Decimal("9")},
        user=director,
    )
    # Beta (absolute): expected S_us 6.5 crosses the cut line 5 -> key account in 3 years.
    outlook_save(
        review=review,
        account=beta,
        data={
            "expected_attractiveness": Decimal("8.5"),
            "expected_strength": Decimal("6.5"),
            "potential_revenue": Decimal("900000"),
        },
        user=director,
    )
    rows = by_name(matrix_rows(review=review, user=director, filters=MatrixFilters()))
    assert rows["Alpha Retail"]["expected_strength_value"] == pytest.approx(9 / 4)
    assert rows["Beta Wholesale"]["expected_strength_value"] == pytest.approx(6.5)
    assert rows["Beta Wholesale"]["expected_combined"] == pytest.approx(0.3)  # 1.5 / 5
    assert rows["Gamma Foodservice"]["expected_attractiveness"] is None

    spec = charts.chart_spec(charts.matrix_chart(list(rows.values()), axis="combined", cuts=CUTS))
    heads = {s["n"]: s for s in spec["datasets"]["expected"]}
    assert set(heads) == {"Alpha Retail", "Beta Wholesale"}
    assert heads["Beta Wholesale"]["x0"] == pytest.approx(-0.4)
    assert heads["Beta Wholesale"]["x"] == pytest.approx(0.3)
    assert heads["Beta Wholesale"]["a"] == pytest.approx(8.5)
    # The arrowhead sits at the expected position itself.
    assert heads["Beta Wholesale"]["mx"] == heads["Beta Wholesale"]["x"]


@pytest.mark.django_db
def test_size_by_potential_changes_the_bubble_sizes(three_reviews, director):
    review = three_reviews.review
    for name, amount in (("Alpha Retail", "50000"), ("Delta Online", "2000000")):
        outlook_save(
            review=review,
            account=three_reviews.accounts[name],
            data={"potential_revenue": Decimal(amount)},
            user=director,
        )
    rows = matrix_rows(review=review, user=director, filters=MatrixFilters())
    by_revenue = {
        p["n"]: p["r"]
        for p in charts.chart_spec(charts.matrix_chart(rows, axis="combined", cuts=CUTS))[
            "datasets"
        ]["accounts"]
    }
    by_potential = {
        p["n"]: p["r"]
        for p in charts.chart_spec(
            charts.matrix_chart(rows, axis="combined", cuts=CUTS, size_by="potential")
        )["datasets"]["accounts"]
    }
    # Revenue: Alpha 100,000 USD at 0.9 = 90,000 EUR, Delta 400,000 EUR.
    assert by_revenue["Alpha Retail"] == 90_000 and by_revenue["Delta Online"] == 400_000
    # Potential: Alpha 50,000 USD = 45,000 EUR, Delta 2,000,000; without one, smallest (0).
    assert by_potential["Alpha Retail"] == 45_000
    assert by_potential["Delta Online"] == 2_000_000
    assert by_potential["Gamma Foodservice"] == 0


# --- the outlook: service, page, API ---------------------------------------------------------


@pytest.mark.django_db
def test_outlook_needs_both_expected_scores_and_scores_in_range(three_reviews, director):
    alpha = three_reviews.accounts["Alpha Retail"]
    with pytest.raises(ApplicationError) as err:
        outlook_save(
            review=three_reviews.review,
            account=alpha,
            data={"expected_attractiveness": Decimal("7")},
            user=director,
        )
    assert err.value.field == "expected_strength"
    with pytest.raises(ApplicationError) as err:
        outlook_save(
            review=three_reviews.review,
            account=alpha,
            data={"expected_attractiveness": Decimal("7"), "expected_strength": Decimal("11")},
            user=director,
        )
    assert err.value.field == "expected_strength"
    assert not Outlook.objects.exists()


@pytest.mark.django_db
def test_saving_the_same_outlook_again_changes_nothing(three_reviews, director):
    data = {"potential_revenue": Decimal("1000"), "note": "Growth in the south"}
    first = outlook_save(
        review=three_reviews.review,
        account=three_reviews.accounts["Gamma Foodservice"],
        data=data,
        user=director,
    )
    again = outlook_save(
        review=three_reviews.review,
        account=three_reviews.accounts["Gamma Foodservice"],
        data=data,
        user=director,
        expected_version=first.version,
    )
    assert again.version == first.version == 1
    assert first.history.count() == 1


@pytest.mark.django_db
def test_outlook_page_saves_and_the_matrix_shows_it(three_reviews, kam_user, other_kam):
    review = three_reviews.review
    alpha = three_reviews.accounts["Alpha Retail"]  # kam_user's account
    url = reverse("portfolio:outlook_edit", args=[review.pk, alpha.pk])
    client = client_for(kam_user)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "potential_revenue": "250000",
            "expected_attractiveness": "9",
            "expected_strength": "8.5",
            "expected_competitor_strength": "",
            "note": "New category",
        },
    )
    assert response.status_code == 302
    outlook = Outlook.objects.get(review=review, account=alpha)
    assert outlook.expected_strength == Decimal("8.5")
    html = client.get(reverse("portfolio:matrix"), {"size": "potential"}).content.decode()
    assert 'data-testid="outlook-link"' in html
    assert 'data-testid="size-potential" aria-current="true"' in html
    # Someone else's account: read-only, refused.
    gamma = three_reviews.accounts["Gamma Foodservice"]  # other_kam's
    refused = client.get(reverse("portfolio:outlook_edit", args=[review.pk, gamma.pk]))
    assert refused.status_code == 404


@pytest.mark.django_db
def test_outlook_page_in_dutch_shows_and_takes_decimal_commas(three_reviews, kam_user):
    """A Dutch page shows 6,40 (not 6.40) in the outlook's number fields, and saving the
    form unchanged keeps the numbers."""
    from django.conf import settings as django_settings

    review = three_reviews.review
    alpha = three_reviews.accounts["Alpha Retail"]  # kam_user's account
    outlook_save(
        review=review,
        account=alpha,
        data={
            "potential_revenue": Decimal("1234.50"),
            "expected_attractiveness": Decimal("6.40"),
            "expected_strength": Decimal("8.25"),
            "expected_competitor_strength": None,
            "note": "",
        },
        user=kam_user,
    )
    url = reverse("portfolio:outlook_edit", args=[review.pk, alpha.pk])
    client = client_for(kam_user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "nl"
    html = client.get(url).content.decode()
    assert 'name="expected_attractiveness" value="6,40"' in html
    assert 'name="expected_strength" value="8,25"' in html
    assert 'value="6.40"' not in html
    version = Outlook.objects.get(review=review, account=alpha).version
    response = client.post(
        url,
        {
            "version": version,
            "potential_revenue": "1234,50",
            "expected_attractiveness": "6,40",
            "expected_strength": "8,5",
            "expected_competitor_strength": "",
            "note": "",
        },
    )
    assert response.status_code == 302
    outlook = Outlook.objects.get(review=review, account=alpha)
    assert outlook.expected_attractiveness == Decimal("6.40")
    assert outlook.expected_strength == Decimal("8.5")
    assert outlook.potential_revenue == Decimal("1234.50")


@pytest.mark.django_db
def test_api_outlook_and_matrix_rows_carry_the_picture(three_reviews, director, kam_user):
    review = three_reviews.review
    beta = three_reviews.accounts["Beta Wholesale"]
    client = client_for(kam_user)
    url = f"/api/portfolio/reviews/{review.pk}/outlooks/{beta.pk}"
    assert client.get(url).json()["version"] == 0
    saved = client.put(
        url,
        {"expected_attractiveness": "8", "expected_strength": "6", "potential_revenue": "5000"},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["version"] == 1
    half = client.put(
        url, {"expected_attractiveness": None, "version": 1}, content_type="application/json"
    )
    assert half.status_code == 422
    assert half.json()["field"] == "expected_attractiveness"

    body = client.get("/api/portfolio/matrix").json()
    assert body["axis_counts"]["combined"] == 2  # kam_user sees Alpha and Beta (+ Epsilon)
    rows = {r["name"]: r for r in body["rows"]}
    assert rows["Beta Wholesale"]["combined_value"] == pytest.approx(-0.4)
    assert rows["Beta Wholesale"]["expected_combined"] == pytest.approx(0.2)
    assert rows["Beta Wholesale"]["potential"] == pytest.approx(5000)
    assert [t["review"] for t in rows["Alpha Retail"]["trail"]] == ["Review 2024", "Review 2025"]
    # The director sees all five accounts of the review.
    other = client_for(director).get("/api/portfolio/matrix").json()
    assert len(other["rows"]) == 5


@pytest.mark.django_db
def test_page_and_data_follow_the_choices_in_the_url(three_reviews, director):
    client = client_for(director)
    html = client.get(reverse("portfolio:matrix")).content.decode()
    assert 'data-testid="combined-axis-help"' in html
    assert 'data-testid="axis-combined" aria-current="true"' in html
    data = client.get(
        reverse("portfolio:matrix_data"), {"axis": "combined", "trails": "1", "size": "potential"}
    ).json()
    assert data["axis"] == "combined" and data["trails"] is True and data["size"] == "potential"
    assert data["points"] == 4
    assert len(data["spec"]["datasets"]["trails"]) == 2
    png = client.get(
        reverse("portfolio:matrix_export", args=["png"]), {"axis": "combined", "trails": "1"}
    )
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert Review.objects.filter(status="closed").count() == 3


@pytest.mark.django_db
def test_rows_read_without_trails_get_the_same_trails_when_filled(
    three_reviews, director, kam_user
):
    """The matrix page and chart data read the rows without trails and fill in those of the
    bubbles (``trails_fill``); whether any row has a trail is asked apart
    (``trails_exist``). Both say what ``matrix_rows`` with trails says, for every reader,
    filter and review."""
    cases = [
        (three_reviews.review, director, MatrixFilters()),
        (three_reviews.review, kam_user, MatrixFilters()),
        (three_reviews.review, director, MatrixFilters(country="NL")),
        (three_reviews.review, director, MatrixFilters(box="unplaced")),
        (three_reviews.earliest, director, MatrixFilters()),  # nothing before it
    ]
    seen_trail = False
    for review, user, filters in cases:
        full = matrix_rows(review=review, user=user, filters=filters)
        lean = matrix_rows(review=review, user=user, filters=filters, trails=False)
        assert all(r["trail"] == [] for r in lean)
        assert trails_exist(review=review, user=user, filters=filters) == any(
            r["trail"] for r in full
        )
        trails_fill(lean, review=review)
        assert lean == full
        seen_trail = seen_trail or any(r["trail"] for r in full)
    assert seen_trail
