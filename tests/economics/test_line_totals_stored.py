"""The invoice lines summed once per store version and day (``LineTotalsStored``): the
economics pages read the sums, never every line per request, and their figures are the
same as summed from the lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.economics import lines
from kam.economics.lines import line_totals_store, store_get, store_totals, store_totals_stored
from kam.economics.models import CostToServeItem, Investment, LineTotalsStored
from kam.economics.selectors import portfolio_economics
from kam.portfolio.models import Placement
from tests.activities.conftest import make_review
from tests.conftest import client_for
from tests.economics.conftest import import_lines
from tests.factories import AccountFactory, ActivityFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)
BOXES = ["key", "key_development", "maintenance", "opportunistic", ""]


def _accounts(tmp_path, first: int, n: int, review, name: str, owner):  # type: ignore[no-untyped-def]
    """``n`` accounts with lines over three years, an hour logged, a cost item, and a box."""
    rows = []
    for i in range(first, first + n):
        account = AccountFactory(
            external_id=f"E{i}", name=f"Customer {i}", currency="EUR", owner=owner
        )
        for year, amount in ((2024, 700), (2025, 1000 + 10 * i), (2026, 300 + i)):
            paid = f"{year}-03-31" if i % 2 else None
            rows.append((f"E{i}", f"{i}-{year}", f"{year}-03-01", amount, 400, None, paid, "EUR"))
        ActivityFactory(
            account=account, date=dt.date(2026, 1, 5), duration_minutes=30 + i, participants=[owner]
        )
        CostToServeItem.objects.create(
            account=account, date=dt.date(2026, 2, 1), kind="logistics", amount=Decimal(i)
        )
        if i % 3 == 0:
            Investment.objects.create(
                account=account,
                date=dt.date(2025, 8, 1),
                kind="project",
                amount=50,
                description="Project",
                baseline_method="amount",
                baseline_amount=Decimal(100),
            )
        Placement.objects.create(review=review, account=account, box=BOXES[i % len(BOXES)])
    import_lines(tmp_path, rows, name=name)


@pytest.fixture
def portfolio(tmp_path, director, kam_user):  # type: ignore[no-untyped-def]
    kam_user.profile.hourly_cost = Decimal("60")
    kam_user.profile.save()
    review = make_review()
    _accounts(tmp_path, 0, 8, review, "first.csv", kam_user)
    return review


def _no_line_read(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def refuse(**_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the invoice lines were read")

    monkeypatch.setattr(lines, "store_totals", refuse)


def test_stored_totals_equal_the_lines_summed(portfolio, director, monkeypatch):
    store = store_get()
    live = store_totals(store=store, as_of=AS_OF)
    assert store_totals_stored(store=store, as_of=AS_OF) == live  # nothing stored: summed
    assert line_totals_store(as_of=AS_OF) == len(live.totals) == 8 * 3
    _no_line_read(monkeypatch)
    assert store_totals_stored(store=store, as_of=AS_OF) == live
    some = store_totals_stored(store=store, as_of=AS_OF, external_ids=["E1", "E2"])
    assert {k for k, _ in some.totals} == {"E1", "E2"}
    assert some.totals[("E2", 0)] == live.totals[("E2", 0)]


def test_the_box_comparison_from_stored_totals_is_the_one_from_the_lines(
    portfolio, director, monkeypatch
):
    """The figures of the page and the API do not change when the sums are stored."""
    client = client_for(director)
    url = "/api/economics/boxes?as_of=2026-06-30"
    live = portfolio_economics(user=director, as_of=AS_OF).comparison
    api_live = client.get(url).json()
    assert any(row.accounts for row in live.rows)
    line_totals_store(as_of=AS_OF)
    _no_line_read(monkeypatch)
    stored = portfolio_economics(user=director, as_of=AS_OF).comparison
    assert stored == live
    assert client.get(url).json() == api_live
    page = client.get(reverse("economics:portfolio") + "?as_of=2026-06-30")
    assert page.status_code == 200


def test_another_store_version_is_never_read(portfolio, director, tmp_path):
    line_totals_store(as_of=AS_OF)
    before = store_totals_stored(store=store_get(), as_of=AS_OF)
    import_lines(tmp_path, [("E1", "new", "2026-05-01", 5000, 1, None, None, "EUR")], "more.csv")
    after = store_totals_stored(store=store_get(), as_of=AS_OF)
    assert after.totals[("E1", 0)].revenue == before.totals[("E1", 0)].revenue + 5000
    line_totals_store(as_of=AS_OF)
    assert LineTotalsStored.objects.count() == 1  # the old version's sums are gone


def test_the_import_job_stores_todays_totals(director, tmp_path):
    from django.utils import timezone

    from kam.economics.services import transaction_import_start
    from tests.economics.conftest import lines_csv

    AccountFactory(external_id="J1")
    transaction_import_start(
        user=director,
        content=lines_csv([("J1", "a", "2026-01-02", "10", "4", None, None, "EUR")]),
        filename="lines.csv",
        as_of=AS_OF,
    )
    stored = LineTotalsStored.objects.get()
    assert stored.as_of == timezone.localdate()
    assert stored.fingerprint == lines.store_fingerprint(store_get())


def test_pages_and_api_cost_the_same_queries_for_3n_accounts(
    portfolio, director, kam_user, tmp_path, monkeypatch
):
    """N accounts, then 3N: the boxes page and its API run as many queries, and with the
    sums stored neither reads an invoice line."""
    client = client_for(director)
    urls = [
        reverse("economics:portfolio") + "?as_of=2026-06-30",
        "/api/economics/boxes?as_of=2026-06-30",
    ]

    def counts() -> list[int]:
        out = []
        for url in urls:
            client.get(url)  # the first request of a session caches what every page reads
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            out.append(len(queries))
        return out

    line_totals_store(as_of=AS_OF)
    with monkeypatch.context() as patch:
        _no_line_read(patch)
        few = counts()
    _accounts(tmp_path, 8, 16, portfolio, "second.csv", kam_user)
    line_totals_store(as_of=AS_OF)
    _no_line_read(monkeypatch)
    assert counts() == few
