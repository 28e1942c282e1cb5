"""The economics pages render for those who may see them, in a fixed number of queries, and
their forms write through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.economics.models import CostToServeItem, Investment
from kam.organisation.selectors import organisation_get
from tests.conftest import client_for
from tests.economics.conftest import import_lines
from tests.factories import AccountFactory, ActivityFactory


@pytest.fixture
def portfolio(tmp_path, kam_user, other_kam):  # type: ignore[no-untyped-def]
    rows = []
    accounts = []
    for i in range(6):
        owner = kam_user if i % 2 else other_kam
        account = AccountFactory(external_id=f"P{i}", owner=owner, name=f"Customer {i}")
        accounts.append(account)
        rows.append((f"P{i}", f"x{i}", "2025-10-01", str(1000 * (i + 1)), "600", None, None, "EUR"))
        ActivityFactory(
            account=account, date=dt.date(2026, 1, 5), duration_minutes=60, participants=[owner]
        )
        CostToServeItem.objects.create(
            account=account, date=dt.date(2026, 2, 1), kind="logistics", amount=Decimal(40)
        )
        Investment.objects.create(
            account=account,
            date=dt.date(2026, 1, 1),
            kind="project",
            amount=50,
            description=f"Project {i}",
            baseline_method="amount",
            baseline_amount=Decimal(100),
        )
    import_lines(tmp_path, rows)
    return accounts


def _queries(client, url):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_portfolio_page_costs_the_same_queries_for_more_accounts(portfolio, director, tmp_path):
    organisation_get()
    client = client_for(director)
    url = reverse("economics:portfolio") + "?as_of=2026-06-30"
    few = _queries(client, url)
    for i in range(6, 12):
        account = AccountFactory(external_id=f"P{i}")
        Investment.objects.create(
            account=account, date=dt.date(2026, 1, 1), kind="other", amount=5, description="y"
        )
        CostToServeItem.objects.create(
            account=account, date=dt.date(2026, 2, 1), kind="service", amount=Decimal(3)
        )
    assert _queries(client, url) == few


@pytest.mark.django_db
def test_portfolio_page_shows_the_answer_and_the_boxes(portfolio, director):
    response = client_for(director).get(reverse("economics:portfolio") + "?as_of=2026-06-30")
    html = response.content.decode()
    assert 'data-testid="answer"' in html
    assert 'data-testid="boxes"' in html
    assert "Customer 5" in html  # the largest contributor is listed


@pytest.mark.django_db
def test_account_page_for_its_readers_only(portfolio, kam_user, other_kam, viewer):
    account = portfolio[1]  # kam_user's
    url = reverse("economics:account", args=[account.pk]) + "?as_of=2026-06-30"
    page = client_for(kam_user).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="pnl-chart"' in html and 'data-testid="waterfall-chart"' in html
    assert "Project 1" in html and 'data-testid="investment-form"' in html
    assert client_for(other_kam).get(url).status_code == 404
    viewer_page = client_for(viewer).get(url)
    assert viewer_page.status_code == 200
    assert 'data-testid="investment-form"' not in viewer_page.content.decode()


@pytest.mark.django_db
def test_account_detail_links_to_its_economics(portfolio, kam_user):
    account = portfolio[1]
    page = client_for(kam_user).get(reverse("accounts:detail", args=[account.pk]))
    assert reverse("economics:account", args=[account.pk]).encode() in page.content


@pytest.mark.django_db
def test_forms_add_and_remove_items_and_investments(portfolio, kam_user, viewer):
    account = portfolio[1]
    client = client_for(kam_user)
    response = client.post(
        reverse("economics:cost_add", args=[account.pk]),
        {"date": "2026-03-01", "kind": "rebates", "amount": "25", "note": "Q1"},
    )
    assert response.status_code == 302
    item = account.cost_items.get(kind="rebates")
    response = client.post(
        reverse("economics:investment_add", args=[account.pk]),
        {
            "date": "2026-03-01",
            "kind": "funds",
            "amount": "80",
            "description": "Promotion",
            "baseline_method": "amount",
            "baseline_amount": "",
            "probability": "0.7",
        },
    )
    assert response.status_code == 422  # an amount baseline needs its amount
    assert "contribution per year you expected" in response.content.decode()
    assert (
        client_for(viewer).post(reverse("economics:cost_delete", args=[item.pk])).status_code == 403
    )
    assert client.post(reverse("economics:cost_delete", args=[item.pk])).status_code == 302
    assert not account.cost_items.filter(kind="rebates").exists()


@pytest.mark.django_db
def test_policies_page_sets_the_discount_rate(director):
    from kam.organisation.views import ORGANISATION_FIELDS

    org = organisation_get()
    data = {f: getattr(org, f) for f in ORGANISATION_FIELDS}
    data.update(section="organisation", discount_rate="0.12")
    response = client_for(director).post(reverse("organisation:settings"), data)
    assert response.status_code == 302
    assert organisation_get().discount_rate == Decimal("0.1200")
    data["discount_rate"] = "0.9"
    response = client_for(director).post(reverse("organisation:settings"), data)
    assert response.status_code == 200
    assert organisation_get().discount_rate == Decimal("0.1200")
