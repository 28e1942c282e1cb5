"""The selection matrix: rows, filters, visibility, warnings, exports (docs/method.md section 1).

``matrix_portfolio`` builds a review through the real services (scheme, review, raters'
scores, computation); the browser tests build theirs with it too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.urls import reverse

from kam.accounts.models import Account
from kam.core.capacity import CapacityCheck, CapacityWarning, WarningCode
from kam.errors import ApplicationError
from kam.organisation.models import ExchangeRate
from kam.organisation.selectors import organisation_get
from kam.portfolio import charts
from kam.portfolio.matrix import (
    MatrixFilters,
    axis_counts,
    capacity_check,
    capacity_warning_messages,
    matrix_filters_parse,
    matrix_rows,
    matrix_sort,
    matrix_stats,
)
from kam.portfolio.models import Review
from kam.portfolio.services import (
    CriterionInput,
    RatingInput,
    SchemeContent,
    ratings_save,
    review_close,
    review_compute,
    review_create,
    scheme_create,
)
from tests.conftest import client_for
from tests.factories import AccountFactory, AccountRevenueFactory

REVIEW_DATE = dt.date(2026, 3, 1)
PREVIOUS_DATE = dt.date(2025, 3, 1)

# (attractiveness scores a1..a3, our strength s1..s2, competitor s1..s2) per box.
PROFILES = {
    "key": ((8, 8, 8), (8, 8), (4, 4)),
    "key_development": ((8, 8, 8), (3, 3), (6, 6)),
    "maintenance": ((3, 3, 3), (8, 8), (4, 4)),
    "opportunistic": ((2, 2, 2), (2, 2), (6, 6)),
}


def scheme_content() -> SchemeContent:
    """Three attractiveness criteria (40/30/30) and two buying criteria (60/40)."""
    att = [
        CriterionInput("attractiveness", key, name, w, f"{key} 2", f"{key} 5", f"{key} 8")
        for key, name, w in (
            ("spend", "Available spend", 40),
            ("growth", "Growth", 30),
            ("margin", "Profitability for us", 30),
        )
    ]
    strength = [
        CriterionInput("strength", "price", "Price", 60),
        CriterionInput("strength", "quality", "Quality", 40),
    ]
    return SchemeContent(criteria=att + strength, competitors=["Rival Foods"])


def score(review: Review, rater, account: Account, profile, *, skip: Iterable[str] = ()) -> None:  # type: ignore[no-untyped-def]
    """Save ``profile`` (a PROFILES value) as ``rater``'s scores for ``account``."""
    att, ours, theirs = profile
    criteria = {c.key: c.pk for c in review.scheme_version.criteria.all()}
    entries = [
        RatingInput(account.pk, criteria[k], v)
        for k, v in zip(("spend", "growth", "margin"), att, strict=True)
    ] + [
        RatingInput(account.pk, criteria[k], v, competitor_score=c)
        for k, v, c in zip(("price", "quality"), ours, theirs, strict=True)
    ]
    ratings_save(
        review=review,
        rater=rater,
        entries=[e for e in entries if _key_of(review, e.criterion_id) not in set(skip)],
    )


def _key_of(review: Review, criterion_id: int) -> str:
    return review.scheme_version.criteria.get(pk=criterion_id).key


@dataclass
class Portfolio:
    review: Review
    previous: Review
    accounts: dict[str, Account] = field(default_factory=dict)


def matrix_portfolio(*, director, owners, extra: int = 0, closed: bool = True) -> Portfolio:  # type: ignore[no-untyped-def]
    """Two reviews a year apart. In the latest: one account per box (Alpha key, Beta key
    development, Gamma maintenance, Delta opportunistic), Epsilon not placed (no growth
    score), and ``extra`` more accounts cycling through the boxes. Alpha was key development
    in the previous review (an arrow); Gamma stood where it stands now (no arrow).
    ``owners`` is a list of users the accounts are spread over (Alpha and Beta go to the
    first, Gamma and Delta to the second when there is one). Both reviews are closed, so
    the latest is the portfolio, unless ``closed`` is False (both stay open)."""
    version = scheme_create(name="Food retail", content=scheme_content(), created_by=director)
    previous = review_create(
        name="Review 2025",
        review_date=PREVIOUS_DATE,
        scheme_version=version,
        raters=[director],
        created_by=director,
    )
    review = review_create(
        name="Review 2026",
        review_date=REVIEW_DATE,
        scheme_version=version,
        raters=[director],
        created_by=director,
    )
    second = owners[1] if len(owners) > 1 else owners[0]
    spec = [
        ("Alpha Retail", "key", owners[0], "NL", "retail", "USD"),
        ("Beta Wholesale", "key_development", owners[0], "DE", "wholesale", "EUR"),
        ("Gamma Foodservice", "maintenance", second, "NL", "food service", "EUR"),
        ("Delta Online", "opportunistic", second, "BE", "online", "EUR"),
        ("Epsilon Stores", None, owners[0], "NL", "retail", "EUR"),
    ]
    boxes = list(PROFILES)
    for i in range(extra):
        spec.append(
            (f"Extra {i:03d}", boxes[i % 4], owners[i % len(owners)], "FR", "retail", "EUR")
        )
    ExchangeRate.objects.get_or_create(
        organisation=organisation_get(), currency="USD", defaults={"rate_to_base": Decimal("0.9")}
    )
    portfolio = Portfolio(review=review, previous=previous)
    for n, (name, box, owner, country, channel, currency) in enumerate(spec):
        account = AccountFactory(
            name=name, owner=owner, country=country, channel=channel, currency=currency
        )
        AccountRevenueFactory(
            account=account, year=REVIEW_DATE.year - 1, amount=Decimal(100_000 * (n + 1))
        )
        portfolio.accounts[name] = account
        if box is None:
            score(review, director, account, PROFILES["key"], skip=["growth"])
            continue
        score(review, director, account, PROFILES[box])
        if name == "Alpha Retail":
            score(previous, director, account, PROFILES["key_development"])
        elif name == "Gamma Foodservice":
            score(previous, director, account, PROFILES["maintenance"])
    review_compute(review=previous)
    review_compute(review=review)
    if closed:
        review_close(review=previous, closed_by=director)
        review_close(review=review, closed_by=director)
    return portfolio


def by_name(rows):  # type: ignore[no-untyped-def]
    return {r["name"]: r for r in rows}


@pytest.fixture
def portfolio(director, kam_user, other_kam):  # type: ignore[no-untyped-def]
    kam_user.first_name, kam_user.last_name = "Anna", "de Vries"
    kam_user.save()
    return matrix_portfolio(director=director, owners=[kam_user, other_kam])


@pytest.mark.django_db
def test_rows_place_one_account_per_box_and_list_the_unplaced_one(portfolio, director):
    rows = by_name(matrix_rows(review=portfolio.review, user=director, filters=MatrixFilters()))

    assert {n: r["box"] for n, r in rows.items()} == {
        "Alpha Retail": "key",
        "Beta Wholesale": "key_development",
        "Gamma Foodservice": "maintenance",
        "Delta Online": "opportunistic",
        "Epsilon Stores": "",
    }
    alpha = rows["Alpha Retail"]
    assert alpha["attractiveness"] == pytest.approx(8.0)
    assert alpha["strength"] == pytest.approx(8.0)
    assert alpha["competitor_strength"] == pytest.approx(4.0)
    assert alpha["relative_strength"] == pytest.approx(2.0)
    assert alpha["strength_axis"] == "relative"
    assert alpha["strength_value"] == pytest.approx(2.0)
    assert alpha["owner"] == "Anna de Vries"
    assert alpha["url"] == reverse("accounts:detail", args=[alpha["id"]])
    # 100,000 USD at 0.9 EUR per USD.
    assert alpha["revenue"] == pytest.approx(90_000.0)
    assert alpha["p_key"] + alpha["p_key_development"] + alpha["p_maintenance"] + alpha[
        "p_opportunistic"
    ] == pytest.approx(1.0)
    assert alpha["p_box"] == alpha["p_key"]
    assert rows["Epsilon Stores"]["missing"] == ["growth"]
    assert rows["Epsilon Stores"]["strength_value"] is None
    assert axis_counts(list(rows.values())) == {
        "relative": 4,
        "absolute": 0,
        "unplaced": 1,
        "combined": 4,
    }


@pytest.mark.django_db
def test_rows_kept_for_a_closed_review_follow_every_change(portfolio, director, kam_user):
    """What a closed review's placements give its rows is kept between requests
    (``_review_part``); an outlook saved, an account renamed or given to someone else, a
    person renamed, an exchange rate changed and another review to compare with all show
    at once, and the kept rows are those computed afresh."""
    from kam.portfolio.matrix import review_parts_forget
    from kam.portfolio.services import outlook_save

    def rows(**kwargs):  # type: ignore[no-untyped-def]
        return by_name(
            matrix_rows(review=portfolio.review, user=director, filters=MatrixFilters(), **kwargs)
        )

    before = rows()
    alpha = portfolio.accounts["Alpha Retail"]
    assert before["Alpha Retail"]["expected_attractiveness"] is None
    outlook_save(
        review=portfolio.review,
        account=alpha,
        data={
            "expected_attractiveness": Decimal("9"),
            "expected_strength": Decimal("9"),
            "potential_revenue": Decimal("500000"),
        },
        user=director,
    )
    after = rows()["Alpha Retail"]
    assert after["expected_attractiveness"] == pytest.approx(9.0)
    assert after["expected_strength_value"] == pytest.approx(9 / 4)
    assert after["potential"] == pytest.approx(450_000)  # USD at 0.9
    outlook_save(
        review=portfolio.review,
        account=alpha,
        data={"expected_attractiveness": Decimal("7")},
        user=director,
    )
    assert rows()["Alpha Retail"]["expected_attractiveness"] == pytest.approx(7.0)

    beta = portfolio.accounts["Beta Wholesale"]
    beta.name = "Beta Groothandel"
    beta.owner = director
    beta.save()
    kam_user.first_name = "Anne"
    kam_user.save()
    rate = ExchangeRate.objects.get(currency="USD")
    rate.rate_to_base = Decimal("0.5")
    rate.save()
    now = rows()
    assert "Beta Wholesale" not in now
    assert now["Beta Groothandel"]["owner_id"] == director.pk
    assert now["Alpha Retail"]["owner"] == "Anne de Vries"
    assert now["Alpha Retail"]["revenue"] == pytest.approx(50_000)  # 100,000 USD at 0.5
    assert now["Alpha Retail"]["potential"] == pytest.approx(250_000)
    assert now["Alpha Retail"]["moved"] is True
    assert rows(previous=None)["Alpha Retail"]["moved"] is False
    assert rows(previous=None)["Alpha Retail"]["previous_box"] is None

    kept = matrix_rows(review=portfolio.review, user=director, filters=MatrixFilters())
    review_parts_forget()
    assert matrix_rows(review=portfolio.review, user=director, filters=MatrixFilters()) == kept


@pytest.mark.django_db
def test_kept_trails_follow_the_reviews_they_are_made_of(portfolio, director):
    """Every account's trail is kept per set of earlier closed reviews: a review renamed
    shows in the trail at once, and the kept trails are those computed afresh."""
    from kam.portfolio.matrix import review_parts_forget

    def trail(name: str):  # type: ignore[no-untyped-def]
        rows = by_name(matrix_rows(review=portfolio.review, user=director, filters=MatrixFilters()))
        return rows[name]["trail"]

    assert [t["review"] for t in trail("Alpha Retail")] == ["Review 2025"]
    assert trail("Beta Wholesale") == []
    portfolio.previous.name = "Spring review 2025"
    portfolio.previous.save()
    kept = trail("Alpha Retail")
    assert [t["review"] for t in kept] == ["Spring review 2025"]
    review_parts_forget()
    assert trail("Alpha Retail") == kept


@pytest.mark.django_db
def test_rows_of_an_open_review_follow_its_placements(director, kam_user):
    """An open review's placements change while it is scored: nothing of them is kept."""
    from kam.portfolio.models import Placement

    preview = matrix_portfolio(director=director, owners=[kam_user], closed=False)
    first = by_name(matrix_rows(review=preview.review, user=director, filters=MatrixFilters()))
    assert first["Beta Wholesale"]["box"] == "key_development"
    Placement.objects.filter(
        review=preview.review, account=preview.accounts["Beta Wholesale"]
    ).update(box="key")
    rows = by_name(matrix_rows(review=preview.review, user=director, filters=MatrixFilters()))
    assert rows["Beta Wholesale"]["box"] == "key"
    assert rows["Beta Wholesale"]["p_box"] == rows["Beta Wholesale"]["p_key"]


@pytest.mark.django_db
def test_rows_carry_the_criteria_raters_disagree_on_and_those_missing(portfolio, director):
    """The two lists of a placement (read as JSON text for speed) come back as lists."""
    from kam.portfolio.models import Placement

    alpha = portfolio.accounts["Alpha Retail"]
    Placement.objects.filter(review=portfolio.review, account=alpha).update(
        disagreement=["growth", "share of wallet"]
    )
    rows = by_name(matrix_rows(review=portfolio.review, user=director, filters=MatrixFilters()))
    assert rows["Alpha Retail"]["disagreement"] == ["growth", "share of wallet"]
    assert rows["Alpha Retail"]["missing"] == []
    assert rows["Beta Wholesale"]["disagreement"] == []
    assert rows["Epsilon Stores"]["missing"] == ["growth"]
    assert matrix_stats(list(rows.values()))["flagged"] == 1


@pytest.mark.django_db
def test_moved_account_carries_its_previous_position_for_the_arrow(portfolio, director):
    rows = by_name(matrix_rows(review=portfolio.review, user=director, filters=MatrixFilters()))

    alpha = rows["Alpha Retail"]
    assert alpha["moved"] is True
    assert alpha["previous_box"] == "key_development"
    assert alpha["previous_attractiveness"] == pytest.approx(8.0)
    assert alpha["previous_strength_value"] == pytest.approx(0.5)  # 3 / 6 then
    gamma = rows["Gamma Foodservice"]
    assert gamma["previous_box"] == "maintenance"
    assert gamma["moved"] is False
    assert rows["Beta Wholesale"]["previous_box"] is None
    assert rows["Beta Wholesale"]["moved"] is False

    chart = charts.chart_spec(
        charts.matrix_chart(
            list(rows.values()),
            axis="relative",
            cuts={"attractiveness": 5.0, "relative": 1.0, "absolute": 5.0},
        )
    )
    moves = chart["datasets"]["moves"]
    assert any(layer.get("data", {}).get("name") == "moves" for layer in chart["layer"]), (
        "the chart draws an arrow for the account that moved"
    )
    assert moves == [
        {
            "x0": 0.5,
            "a0": 8.0,
            "x": 2.0,
            "a": 8.0,
            "mx": pytest.approx(1.149, abs=0.01),
            "ma": 8.0,
            "g": 90,
        }
    ]
    assert [p["n"] for p in chart["datasets"]["accounts"]] == [
        "Alpha Retail",
        "Beta Wholesale",
        "Delta Online",
        "Gamma Foodservice",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"box": "key"}, {"Alpha Retail"}),
        ({"box": "unplaced"}, {"Epsilon Stores"}),
        ({"country": "nl"}, {"Alpha Retail", "Gamma Foodservice", "Epsilon Stores"}),
        ({"channel": "online"}, {"Delta Online"}),
        ({"country": "NL", "box": "maintenance"}, {"Gamma Foodservice"}),
        ({"owner": "", "country": "", "box": ""}, None),
    ],
)
def test_filters_narrow_the_rows(portfolio, director, query, expected):
    filters = matrix_filters_parse(query)
    rows = matrix_rows(review=portfolio.review, user=director, filters=filters)
    names = {r["name"] for r in rows}
    assert names == (expected if expected is not None else set(portfolio.accounts))


@pytest.mark.django_db
def test_owner_filter_and_review_filter(portfolio, director, other_kam):
    rows = matrix_rows(
        review=portfolio.review,
        user=director,
        filters=matrix_filters_parse({"owner": str(other_kam.pk)}),
    )
    assert {r["name"] for r in rows} == {"Gamma Foodservice", "Delta Online"}

    rows = matrix_rows(
        review=portfolio.previous,
        user=director,
        filters=matrix_filters_parse({"review_id": str(portfolio.previous.pk)}),
    )
    # Every active account is in scope of the open previous review; two were scored.
    placed = {r["name"]: r["box"] for r in rows if r["box"]}
    assert placed == {"Alpha Retail": "key_development", "Gamma Foodservice": "maintenance"}


@pytest.mark.django_db
def test_bad_filter_value_is_refused_with_the_field_named():
    with pytest.raises(ApplicationError) as exc:
        matrix_filters_parse({"box": "platinum"})
    assert exc.value.field == "box"
    assert exc.value.status == 400


@pytest.mark.django_db
def test_sort_by_revenue_descending_puts_empty_values_last(portfolio, director):
    rows = matrix_rows(review=portfolio.review, user=director, filters=MatrixFilters())
    rows[0]["revenue"] = None
    ordered, used = matrix_sort(rows, "-revenue")
    assert used == "-revenue"
    revenues = [r["revenue"] for r in ordered]
    assert revenues[-1] is None
    assert revenues[:-1] == sorted(revenues[:-1], reverse=True)
    assert matrix_sort(rows, "nonsense")[1] == "name"


@pytest.mark.django_db
def test_a_key_account_manager_sees_only_their_own_accounts(portfolio, kam_user):
    rows = matrix_rows(review=portfolio.review, user=kam_user, filters=MatrixFilters())
    assert {r["name"] for r in rows} == {"Alpha Retail", "Beta Wholesale", "Epsilon Stores"}

    client = client_for(kam_user)
    body = client.get(reverse("portfolio:matrix_export", args=["csv"])).content.decode()
    names = {line["name"] for line in csv.DictReader(io.StringIO(body))}
    assert names == {"Alpha Retail", "Beta Wholesale", "Epsilon Stores"}

    api = client.get("/api/portfolio/matrix").json()
    assert {r["name"] for r in api["rows"]} == {"Alpha Retail", "Beta Wholesale", "Epsilon Stores"}

    page = client.get(reverse("portfolio:matrix")).content.decode()
    assert "Alpha Retail" in page
    assert "Gamma Foodservice" not in page

    data = client.get(reverse("portfolio:matrix_data")).json()
    assert {p["n"] for p in data["spec"]["datasets"]["accounts"]} == {
        "Alpha Retail",
        "Beta Wholesale",
    }


@pytest.mark.django_db
def test_filtering_on_another_managers_accounts_gives_nothing(portfolio, kam_user, other_kam):
    client = client_for(kam_user)
    api = client.get("/api/portfolio/matrix", {"owner": other_kam.pk}).json()
    assert api["rows"] == []


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_number_of_accounts(
    director, kam_user, other_kam, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = matrix_portfolio(director=director, owners=[kam_user, other_kam], extra=5)
    with CaptureQueriesContext(connection) as few:
        rows = matrix_rows(review=small.review, user=kam_user, filters=MatrixFilters())
    assert len(rows) > 3

    Review.objects.all().delete()
    Account.objects.all().delete()
    from kam.portfolio.models import SchemeVersion, ScoringScheme

    SchemeVersion.objects.all().delete()
    ScoringScheme.objects.all().delete()
    large = matrix_portfolio(director=director, owners=[kam_user, other_kam], extra=35)
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = matrix_rows(review=large.review, user=kam_user, filters=MatrixFilters())
    assert len(rows) > 18


@pytest.mark.django_db
def test_matrix_page_views_use_a_constant_number_of_queries(
    director, kam_user, other_kam, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    """As many queries for 30 more accounts, both when the review's part of the rows is
    kept from an earlier request and when it is computed (``review_parts_forget``)."""
    from kam.portfolio.matrix import review_parts_forget

    matrix_portfolio(director=director, owners=[kam_user, other_kam], extra=5)
    client = client_for(director)
    url = reverse("portfolio:matrix")
    client.get(url)  # the first request may compute placements and create the organisation
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    review_parts_forget()
    with CaptureQueriesContext(connection) as few_cold:
        assert client.get(url).status_code == 200
    for i in range(30):
        AccountFactory(name=f"Later {i}", owner=kam_user)
    review = Review.objects.get(name="Review 2026")
    review_compute(review=review)
    with django_assert_max_num_queries(len(few_cold.captured_queries)):
        assert client.get(url).status_code == 200  # the placements changed: computed again
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_capacity_warnings_in_a_directors_words(portfolio, director, kam_user):
    org = organisation_get()
    org.max_key_accounts = 0
    org.max_key_accounts_per_manager = 0
    org.manager_limit_counts = (
        "key"  # key development counts too by default: see test_manager_limit
    )
    org.save()
    # Nobody has hours for accounts: key (200 h) + key development (120 h) need 320.
    check = capacity_check(review=portfolio.review)
    assert check.key_accounts == 1
    assert check.key_development_accounts == 1
    assert check.hours_needed == pytest.approx(320.0)
    messages = {m.code: m for m in capacity_warning_messages(check)}
    assert messages["capacity"].message == (
        "Key and key development accounts need at least 320 hours a year by your box "
        "policies; the team has 0."
    )
    assert messages["per_manager"].message == (
        "Anna de Vries carries 1 key account; a key account manager can serve at most 0. "
        "Counted: Alpha Retail."
    )
    assert messages["per_manager"].manager_id == kam_user.pk
    assert messages["company"].message == (
        "The company has 1 key account; more than 0 is too many to serve as key accounts."
    )

    page = client_for(director).get(reverse("portfolio:matrix")).content.decode()
    assert "Anna de Vries carries 1 key account" in page

    api = client_for(kam_user).get("/api/portfolio/warnings").json()
    assert api["key_accounts"] == 1
    assert api["hours_needed"] == pytest.approx(320.0)
    assert {w["code"] for w in api["warnings"]} == {"capacity", "per_manager", "company"}
    assert api["per_manager"][kam_user.username]["key_accounts"] == 1


@pytest.mark.django_db
def test_warning_sentences_with_thousands_and_plurals(kam_user):
    kam_user.first_name, kam_user.last_name = "Anna", "de Vries"
    kam_user.save()
    check = CapacityCheck(
        key_accounts=57,
        key_development_accounts=20,
        hours_needed=7400,
        hours_available=5200,
        key_accounts_per_manager={kam_user.pk: 6},
        warnings=(
            CapacityWarning(WarningCode.CAPACITY, 7400, 5200),
            CapacityWarning(WarningCode.PER_MANAGER, 6, 4, kam_user.pk),
            CapacityWarning(WarningCode.COMPANY, 57, 50),
        ),
        per_manager_boxes=("key",),
    )
    assert [m.message for m in capacity_warning_messages(check)] == [
        "Key and key development accounts need at least 7,400 hours a year by your box "
        "policies; the team has 5,200.",
        "Anna de Vries carries 6 key accounts; a key account manager can serve at most 4.",
        "The company has 57 key accounts; more than 50 is too many to serve as key accounts.",
    ]
    share = capacity_warning_messages(
        CapacityCheck(1, 0, 7400, 3120, {}, (CapacityWarning(WarningCode.CAPACITY, 7400, 3120),)),
        capacity_share=0.6,
    )
    assert share[0].message.endswith("your limit gives them 3,120 (60% of the team's hours).")


@pytest.mark.django_db
def test_no_warnings_when_the_team_can_serve_its_key_accounts(portfolio, director):
    for user in (director,):
        user.profile.hours_per_year = 1500
        user.profile.save()
    check = capacity_check(review=portfolio.review)
    assert check.warnings == ()
    page = client_for(director).get(reverse("portfolio:matrix")).content.decode()
    assert 'data-testid="capacity-ok"' in page


@pytest.mark.django_db
def test_csv_export_lists_every_filtered_account_with_scores(portfolio, director):
    client = client_for(director)
    response = client.get(reverse("portfolio:matrix_export", args=["csv"]), {"country": "NL"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = list(csv.DictReader(io.StringIO(response.content.decode())))
    got = {line["name"]: line for line in lines}
    assert set(got) == {"Alpha Retail", "Gamma Foodservice", "Epsilon Stores"}
    alpha = got["Alpha Retail"]
    assert alpha["box"] == "key"
    assert float(alpha["relative_strength"]) == pytest.approx(2.0)
    assert float(alpha["revenue"]) == pytest.approx(90_000.0)
    assert alpha["previous_box"] == "key_development"
    assert alpha["url"].endswith(reverse("accounts:detail", args=[alpha["id"]]))
    assert got["Epsilon Stores"]["box"] == ""
    assert got["Epsilon Stores"]["missing"] == "growth"


@pytest.mark.django_db
def test_png_and_svg_exports_are_images(portfolio, director):
    client = client_for(director)
    png = client.get(reverse("portfolio:matrix_export", args=["png"]))
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = client.get(reverse("portfolio:matrix_export", args=["svg"]), {"box": "key"})
    assert svg.status_code == 200
    text = svg.content.decode()
    assert "<svg" in text
    assert "Attractiveness to us (0-10)" in text
    assert client.get(reverse("portfolio:matrix_export", args=["pdf"])).status_code == 404


@pytest.mark.django_db
def test_page_shows_review_stats_chart_and_table(portfolio, director):
    client = client_for(director)
    response = client.get(reverse("portfolio:matrix"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="matrix-chart"' in html
    assert reverse("vega_bundle") in html
    assert "Review 2026" in html and "Review 2025" in html
    assert 'class="badge box-key"' in html
    assert "Epsilon Stores" in html and "Growth" in html  # not placed, lacks Growth
    assert 'main class="wide"' in html

    fragment = client.get(
        reverse("portfolio:matrix"), {"box": "key"}, headers={"HX-Request": "true"}
    )
    body = fragment.content.decode()
    assert "<html" not in body
    assert "Alpha Retail" in body and "Beta Wholesale" not in body

    table = client.get(reverse("portfolio:matrix_table"), {"sort": "-attractiveness"})
    assert table.status_code == 200
    names = [n for n in ("Alpha Retail", "Beta Wholesale", "Gamma Foodservice", "Delta Online")]
    positions = [table.content.decode().index(n) for n in names]
    assert positions[2] > positions[0] and positions[3] > positions[2]


@pytest.mark.django_db
def test_table_pages_hold_fifty_accounts(director, kam_user, other_kam):
    matrix_portfolio(director=director, owners=[kam_user, other_kam], extra=60)
    client = client_for(director)
    first = client.get(reverse("portfolio:matrix_table")).content.decode()
    assert first.count("<tr data-account=") == 50 + 1  # 50 placed + Epsilon not placed
    second = client.get(reverse("portfolio:matrix_table"), {"page": 2}).content.decode()
    assert second.count("<tr data-account=") == 14 + 1
    assert "Page 2 of 2" in second


@pytest.mark.django_db
def test_data_json_gives_the_spec_and_the_number_of_points(portfolio, director):
    data = client_for(director).get(reverse("portfolio:matrix_data")).json()
    assert data["axis"] == "relative"
    assert data["points"] == 4
    assert len(data["spec"]["datasets"]["accounts"]) == 4
    assert data["spec"]["usermeta"]["embedOptions"]["renderer"] == "canvas"


@pytest.mark.django_db
def test_absolute_axis_accounts_are_counted_not_drawn_on_the_relative_axis(director, kam_user):
    portfolio = matrix_portfolio(director=director, owners=[kam_user], closed=False)
    review = portfolio.review
    criteria = {c.key: c.pk for c in review.scheme_version.criteria.all()}
    # Beta loses its competitor score on quality: it is placed on S_us instead.
    ratings_save(
        review=review,
        rater=director,
        entries=[RatingInput(portfolio.accounts["Beta Wholesale"].pk, criteria["quality"], 3)],
    )
    review_close(review=portfolio.previous, closed_by=director)
    review_close(review=review, closed_by=director)
    client = client_for(director)
    html = client.get(reverse("portfolio:matrix"), {"axis": "relative"}).content.decode()
    assert "relative strength (3 accounts)" in html
    assert "our strength score S_us (1 account)" in html
    assert 'data-testid="matrix-hidden"' in html
    # With both kinds present, the page opens on the combined picture: nobody is left out.
    html = client.get(reverse("portfolio:matrix")).content.decode()
    assert 'data-testid="matrix-hidden"' not in html
    assert client.get(reverse("portfolio:matrix_data")).json()["points"] == 4
    data = client.get(reverse("portfolio:matrix_data"), {"axis": "absolute"}).json()
    assert [p["n"] for p in data["spec"]["datasets"]["accounts"]] == ["Beta Wholesale"]


@pytest.mark.django_db
def test_api_matrix_returns_review_previous_counts_and_rows(portfolio, director):
    response = client_for(director).get("/api/portfolio/matrix", {"box": "key"})
    assert response.status_code == 200
    body = response.json()
    assert body["review"]["name"] == "Review 2026"
    assert body["previous_review"]["name"] == "Review 2025"
    assert body["axis_counts"] == {"relative": 1, "absolute": 0, "unplaced": 0, "combined": 1}
    (row,) = body["rows"]
    assert row["name"] == "Alpha Retail"
    assert row["previous_box"] == "key_development"
    assert row["moved"] is True
    bad = client_for(director).get("/api/portfolio/matrix", {"box": "gold"})
    assert bad.status_code == 422


@pytest.mark.django_db
def test_empty_state_explains_what_to_do(director, kam_user):
    response = client_for(director).get(reverse("portfolio:matrix"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="matrix-empty"' in html
    assert reverse("portfolio:scheme_create") in html
    assert reverse("portfolio:review_create") in html
    assert reverse("vega_bundle") not in html
    assert client_for(kam_user).get(reverse("portfolio:matrix")).status_code == 200
    api = client_for(director).get("/api/portfolio/matrix")
    assert api.status_code == 404
    assert "no closed portfolio review yet" in api.json()["detail"]
    assert client_for(director).get("/api/portfolio/warnings").status_code == 404


@pytest.mark.django_db
def test_unknown_review_is_a_404_not_a_crash(portfolio, director):
    client = client_for(director)
    assert client.get(reverse("portfolio:matrix"), {"review_id": 99999}).status_code == 404
    assert client.get("/api/portfolio/matrix", {"review_id": 99999}).status_code == 404


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("portfolio:matrix"))
    assert response.status_code == 302
    assert client.get("/api/portfolio/matrix").status_code == 401
