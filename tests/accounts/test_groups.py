"""Customer groups rolled up (docs/economics.md, "Customer groups rolled up"): a hand-worked
group of three companies in two currencies, whose totals are the sums of the figures each
company's own pages show; boxes, plans and visibility; the account list, the group page and
the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.accounts.models import Account, AccountRevenue
from kam.economics.models import CostKind, CostToServeItem
from kam.organisation.models import ExchangeRate
from kam.organisation.selectors import organisation_get
from kam.pages.groups import group_rollup_get, group_rollups
from kam.plans import services as plan_services
from tests.conftest import client_for
from tests.economics.conftest import import_lines
from tests.factories import AccountFactory
from tests.portfolio.test_matrix import matrix_portfolio

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def store_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.KAM_TRANSACTIONS_ROOT = str(tmp_path / "transactions")
    return tmp_path / "transactions"


def _day(days_ago: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days_ago)).isoformat()


@pytest.fixture
def group(tmp_path, director, kam_user, other_kam):  # type: ignore[no-untyped-def]
    """Gamma Group (EUR, Anna's) with Gamma Nederland (EUR, Anna's) and Gamma UK (GBP, the
    other manager's); 1 GBP = 1.20 EUR.

    Last year's revenue entered: 1,000 + 2,000 + GBP 500 (= 600) = EUR 3,600.
    Invoice lines of the last 12 months, paid on the day (no cost of payment terms):
      Group     revenue 1,000, cost of goods   600                    → contribution 400
      Nederland revenue 2,000, cost of goods 1,500, logistics 100     → contribution 400
      UK        revenue GBP 1,000, cost of goods GBP 700 → GBP 300    → contribution 360
    Totals: P&L revenue 1,000 + 2,000 + 1,200 = 4,200; contribution 1,160 (27.6 %).
    """
    ExchangeRate.objects.create(
        organisation=organisation_get(), currency="GBP", rate_to_base=Decimal("1.20")
    )
    head = AccountFactory(name="Gamma Group", external_id="G0", currency="EUR", owner=kam_user)
    nl = AccountFactory(
        name="Gamma Nederland", external_id="G1", currency="EUR", owner=kam_user, parent=head
    )
    uk = AccountFactory(
        name="Gamma UK", external_id="G2", currency="GBP", owner=other_kam, parent=head
    )
    AccountFactory(name="Solo Stores", external_id="S1", owner=kam_user)  # no group
    year = timezone.localdate().year - 1
    for account, amount in ((head, "1000"), (nl, "2000"), (uk, "500")):
        AccountRevenue.objects.create(account=account, year=year, amount=Decimal(amount))
    d = _day(30)
    import_lines(
        tmp_path,
        [
            ("G0", "i1", d, "1000", "600", d, d, "EUR"),
            ("G1", "i2", d, "2000", "1500", d, d, "EUR"),
            ("G2", "i3", d, "1000", "700", d, d, "GBP"),
            ("S1", "i4", d, "5000", "100", d, d, "EUR"),
        ],
    )
    CostToServeItem.objects.create(
        account=nl,
        date=timezone.localdate() - dt.timedelta(days=20),
        kind=CostKind.LOGISTICS,
        amount=Decimal("100"),
    )
    plan_services.plan_create(
        user=director,
        account=nl,
        period_label=str(year + 1),
        period_start=dt.date(year + 1, 1, 1),
        period_end=dt.date(year + 1, 12, 31),
    )
    return head, nl, uk


def test_the_hand_worked_group_rolls_up_in_the_base_currency(group, director):
    head, _nl, _uk = group
    (rollup,) = group_rollups(user=director)
    assert rollup.group == head
    assert [c.account.name for c in rollup.companies] == [
        "Gamma Group",
        "Gamma Nederland",
        "Gamma UK",
    ]
    assert [c.is_group for c in rollup.companies] == [True, False, False]
    assert rollup.revenue == Decimal("3600.00")
    assert [c.revenue for c in rollup.companies] == [
        Decimal("1000"),
        Decimal("2000"),
        Decimal("600"),
    ]
    assert rollup.pnl_revenue == pytest.approx(4200)
    assert [c.contribution for c in rollup.companies] == pytest.approx([400, 400, 360])
    assert rollup.contribution == pytest.approx(1160)
    assert rollup.cost_to_serve == pytest.approx(100)
    assert rollup.contribution_share == pytest.approx(1160 / 4200)
    assert rollup.plans == [("draft", 1), ("", 2)]
    assert rollup.missing_rates == []


def test_the_totals_are_the_sums_of_what_each_companys_pages_show(group, director):
    """Revenue as the account page shows it in the base currency; contribution as the
    economics page shows it (its currency × the rate)."""
    client = client_for(director)
    (rollup,) = group_rollups(user=director)
    revenue = Decimal(0)
    contribution = 0.0
    for company in group:
        detail = client.get(reverse("accounts:detail", args=[company.pk])).context
        year = detail["revenues"][0]
        revenue += year["base"] if year["base"] is not None else year["amount"]
        page = client.get(reverse("economics:account", args=[company.pk])).context
        contribution += page["ledger"].to_base(page["latest"].contribution)
    assert rollup.revenue == revenue
    assert rollup.contribution == pytest.approx(contribution)


def test_a_manager_sees_the_companies_they_may_read_and_totals_over_those(
    group, kam_user, other_kam, member
):
    head, nl, uk = group
    (mine,) = group_rollups(user=kam_user)
    assert [c.account for c in mine.companies] == [head, nl]
    assert mine.revenue == Decimal("3000.00")
    assert mine.contribution == pytest.approx(800)
    (theirs,) = group_rollups(user=other_kam)  # sees only the UK company, and the group's name
    assert theirs.group == head and [c.account for c in theirs.companies] == [uk]
    assert theirs.revenue == Decimal("600.00")
    page = client_for(other_kam).get(reverse("accounts:group", args=[head.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Gamma UK" in html and "Gamma Nederland" not in html
    assert client_for(member).get(reverse("accounts:group", args=[head.pk])).status_code == 404
    # a company is not a group; an account without companies neither
    assert client_for(kam_user).get(reverse("accounts:group", args=[nl.pk])).status_code == 404
    solo = Account.objects.get(name="Solo Stores")
    assert client_for(kam_user).get(reverse("accounts:group", args=[solo.pk])).status_code == 404


def test_a_currency_without_a_rate_counts_in_no_total_and_is_named(group, director):
    ExchangeRate.objects.filter(currency="GBP").delete()
    rollup = group_rollup_get(user=director, group_id=group[0].pk)
    assert rollup.revenue == Decimal("3000.00")
    assert rollup.revenue_unknown == 1
    assert rollup.contribution == pytest.approx(800)
    assert rollup.missing_rates == ["GBP"]
    html = client_for(director).get(reverse("accounts:group", args=[group[0].pk])).content
    assert "No exchange rate for GBP" in html.decode()


def test_the_account_list_shows_the_groups_rolled_up_and_each_companys_group(group, director):
    html = client_for(director).get(reverse("accounts:list")).content.decode()
    assert 'data-testid="group-rollups"' in html
    assert f'href="{reverse("accounts:group", args=[group[0].pk])}"' in html
    assert "3,600" in html and "1,160" in html
    assert html.count("Group: <a") == 2  # under Gamma Nederland and Gamma UK
    # filtered to a country no company of the group is in: no group shown
    none = client_for(director).get(reverse("accounts:list"), {"q": "Solo"}).content.decode()
    assert 'data-testid="group-rollups"' not in none
    # filtered to one of its companies: the group, with all its companies' totals
    uk = client_for(director).get(reverse("accounts:list"), {"q": "Gamma UK"})
    (shown,) = uk.context["groups"]
    assert shown.size == 3


def test_the_list_in_dutch_writes_the_numbers_the_dutch_way(group, director):
    client = client_for(director)
    client.cookies["django_language"] = "nl"
    html = client.get(reverse("accounts:list")).content.decode()
    assert "3.600" in html and "1.160" in html


def test_the_group_page_has_every_company_its_totals_and_links(group, director):
    head, nl, _uk = group
    response = client_for(director).get(reverse("accounts:group", args=[head.pk]))
    html = response.content.decode()
    for company in group:
        assert f'href="{reverse("accounts:detail", args=[company.pk])}"' in html
        assert f'href="{reverse("economics:account", args=[company.pk])}"' in html
    assert "EUR 3,600" in html and "EUR 1,160" in html and "28%" in html
    plan = nl.plans.get()
    assert f'href="{reverse("plans:detail", args=[plan.pk])}"' in html


def test_the_api_answers_the_same_figures(group, director, kam_user):
    head, nl, _uk = group
    listed = client_for(director).get("/api/accounts/groups").json()
    assert [g["name"] for g in listed] == ["Gamma Group"]
    (g,) = listed
    assert Decimal(g["revenue"]) == Decimal("3600")
    assert g["contribution"] == pytest.approx(1160)
    assert g["companies"] == 3
    assert g["plans"] == {"draft": 1, "none": 2}
    detail = client_for(kam_user).get(f"/api/accounts/groups/{head.pk}").json()
    assert [m["name"] for m in detail["members"]] == ["Gamma Group", "Gamma Nederland"]
    assert detail["group"]["contribution"] == pytest.approx(800)
    assert detail["members"][1]["plan_status"] == "draft"
    missing = client_for(kam_user).get(f"/api/accounts/groups/{nl.pk}")
    assert missing.status_code == 404 and missing.json()["detail"]
    filtered = client_for(director).get("/api/accounts/groups", {"country": "ZZ"}).json()
    assert filtered == []


def test_boxes_of_the_companies_come_from_the_portfolio(director, kam_user, other_kam):
    p = matrix_portfolio(director=director, owners=[kam_user, other_kam])
    alpha = Account.objects.get(name="Alpha Retail")
    Account.objects.filter(name__in=["Beta Wholesale", "Gamma Foodservice"]).update(parent=alpha)
    rollup = group_rollup_get(user=director, group_id=alpha.pk, review=p.review)
    assert rollup.boxes == [("key", 1), ("key_development", 1), ("maintenance", 1)]
    assert [label for _b, label, _n in rollup.box_rows] == [
        "Key",
        "Key development",
        "Maintenance",
    ]


def test_the_list_costs_the_same_queries_with_more_groups(director, kam_user):
    client = client_for(director)
    url = reverse("accounts:list")

    def add_group(i: int) -> None:
        head = AccountFactory(name=f"Group {i}", owner=kam_user)
        for j in range(3):
            child = AccountFactory(name=f"Group {i} company {j}", owner=kam_user, parent=head)
            AccountRevenue.objects.create(
                account=child, year=timezone.localdate().year - 1, amount=Decimal(100)
            )

    add_group(0)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(1, 6):
        add_group(i)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(client.get(url).context["groups"]) == 6
