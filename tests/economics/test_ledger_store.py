"""The stored account P&L (``kam.economics.ledger_store``): after every kind of change to
its inputs the pages read what ``ledgers_build`` computes, at once (the changed accounts are
computed until the job stores them) and from the store after the job; the portfolio page,
its API and the start page's contribution alerts cost as many queries for 3N accounts as
for N."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.accounts.models import Account
from kam.activities.models import ActivityParticipant
from kam.economics import pnl
from kam.economics.ledger_store import ledgers_read, ledgers_store
from kam.economics.lines import line_totals_store
from kam.economics.models import (
    CostToServeItem,
    Investment,
    LedgerDirty,
    LedgerSnapshot,
    LedgerStored,
)
from kam.organisation.models import ExchangeRate
from kam.organisation.selectors import organisation_get
from kam.pages.alerts import contribution_alerts
from tests.activities.conftest import make_review
from tests.conftest import client_for
from tests.economics.conftest import import_lines
from tests.economics.test_line_totals_stored import _accounts
from tests.factories import AccountFactory, ActivityFactory

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


def _key(ledgers: list[pnl.AccountLedger]) -> list[Any]:
    """Everything a page shows of the ledgers, exactly (floats compared bit for bit)."""
    return [
        (
            ledger.account.pk,
            ledger.currency,
            ledger.rate_to_base,
            [
                (p.period, p.revenue, p.cost_of_goods, p.payment_days, p.costs, p.contribution)
                for p in ledger.periods
            ],
            [
                (
                    r.investment.pk,
                    r.problem,
                    None
                    if r.result is None
                    else (r.result.roi, r.result.npv, r.result.total_incremental),
                )
                for r in ledger.investments
            ],
        )
        for ledger in ledgers
    ]


def _refuse(**_kwargs: Any) -> Any:
    raise AssertionError("computed, not read from the store")


def _store_equals_computation(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the pages read equals ``ledgers_build`` before the refresh (the changed accounts
    computed) and after it (everything read from the store, nothing computed)."""
    accounts = list(Account.objects.order_by("pk"))
    computed = _key(pnl.ledgers_build(accounts=accounts, as_of=AS_OF))
    assert _key(ledgers_read(accounts=accounts, as_of=AS_OF)) == computed
    ledgers_store(as_of=AS_OF)
    assert not LedgerDirty.objects.exists()
    assert LedgerStored.objects.filter(as_of=AS_OF).values("account").distinct().count() == len(
        accounts
    )
    with monkeypatch.context() as patch:
        patch.setattr(pnl, "ledgers_build", _refuse)
        assert _key(ledgers_read(accounts=accounts, as_of=AS_OF)) == computed


@pytest.fixture
def small(tmp_path, kam_user):  # type: ignore[no-untyped-def]
    """E1 (EUR) and E2 (EUR) and E3 (GBP): the worked example is E1's latest year."""
    org = organisation_get()
    org.discount_rate = Decimal("0.10")
    org.save()
    kam_user.profile.hourly_cost = Decimal("60")
    kam_user.profile.save()
    e1 = AccountFactory(external_id="E1", currency="EUR", owner=kam_user)
    e2 = AccountFactory(external_id="E2", currency="EUR", owner=kam_user)
    AccountFactory(external_id="E3", currency="GBP", owner=kam_user)
    import_lines(
        tmp_path,
        [
            # 1,000 invoiced on 1 March, paid 73 days later; 700 cost of goods
            ("E1", "i1", "2026-03-01", 1000, 700, None, "2026-05-13", "EUR"),
            ("E1", "i0", "2025-03-01", 800, 600, None, None, "EUR"),
            ("E2", "i2", "2026-02-01", 500, 200, None, None, "EUR"),
            ("E3", "i3", "2026-04-01", 300, 100, None, None, "GBP"),
        ],
    )
    activity = ActivityFactory(
        account=e1, date=dt.date(2026, 1, 5), duration_minutes=120, participants=[kam_user]
    )
    CostToServeItem.objects.create(
        account=e1, date=dt.date(2026, 2, 1), kind="logistics", amount=Decimal(30)
    )
    Investment.objects.create(
        account=e2,
        date=dt.date(2026, 1, 1),
        kind="project",
        amount=50,
        description="Project",
        baseline_method="amount",
        baseline_amount=Decimal(100),
    )
    return {"e1": e1, "e2": e2, "activity": activity}


def test_the_worked_example_is_stored_as_computed(small, monkeypatch):
    """E1's latest year: revenue 1,000 − cost of goods 700 − team 2 h × 60 − logistics 30 −
    financing 1,000 × 73/365 × 10 % = 20: contribution 130."""
    ledgers_store(as_of=AS_OF)
    row = LedgerStored.objects.get(account=small["e1"], as_of=AS_OF, period=0)
    assert (row.revenue, row.cost_of_goods, row.team, row.team_hours) == (1000, 700, 120, 2)
    assert (row.logistics, row.payment_days) == (30, 73)
    assert row.payment_financing == pytest.approx(20)
    monkeypatch.setattr(pnl, "ledgers_build", _refuse)
    (ledger,) = ledgers_read(accounts=[small["e1"]], as_of=AS_OF)
    assert ledger.latest is not None and ledger.latest.contribution == pytest.approx(130)
    assert [p.period.index for p in ledger.periods] == [-1, 0]


def test_every_kind_of_change_reads_as_computed_then_from_the_store(
    small, kam_user, director, tmp_path, monkeypatch
):
    from kam.economics.services import cost_items_import

    _store_equals_computation(monkeypatch)
    e1, e2, activity = small["e1"], small["e2"], small["activity"]

    # an activity logged, and a second person on it
    more = ActivityFactory(
        account=e2, date=dt.date(2026, 3, 5), duration_minutes=45, participants=[kam_user, director]
    )
    assert set(LedgerDirty.objects.values_list("account_id", flat=True)) == {e2.pk}
    _store_equals_computation(monkeypatch)
    # a participant removed; an activity moved to another account (both change)
    ActivityParticipant.objects.filter(activity=more, user=director).delete()
    _store_equals_computation(monkeypatch)
    activity.account = e2
    activity.save()
    assert set(LedgerDirty.objects.values_list("account_id", flat=True)) == {e1.pk, e2.pk}
    _store_equals_computation(monkeypatch)
    activity.delete()
    _store_equals_computation(monkeypatch)
    # cost items: added, changed, removed, imported (bulk)
    item = CostToServeItem.objects.create(
        account=e1, date=dt.date(2026, 5, 1), kind="rebates", amount=Decimal(12)
    )
    _store_equals_computation(monkeypatch)
    item.amount = Decimal(40)
    item.save()
    _store_equals_computation(monkeypatch)
    item.delete()
    _store_equals_computation(monkeypatch)
    cost_items_import(
        user=director,
        content=b"account_external_id,date,kind,amount\nE2,2026-04-30,service,25\n",
    )
    assert set(LedgerDirty.objects.values_list("account_id", flat=True)) == {e2.pk}
    _store_equals_computation(monkeypatch)
    # an exchange rate, an hourly cost, the discount rate: every account
    org = organisation_get()
    ExchangeRate.objects.create(organisation=org, currency="GBP", rate_to_base=Decimal("1.2"))
    assert LedgerDirty.objects.filter(account_id__isnull=True).exists()
    _store_equals_computation(monkeypatch)
    kam_user.profile.hourly_cost = Decimal("75")
    kam_user.profile.save()
    _store_equals_computation(monkeypatch)
    org.discount_rate = Decimal("0.05")
    org.save()
    _store_equals_computation(monkeypatch)
    # the account's currency; a new account (nothing stored for it yet)
    e1.currency = "GBP"
    e1.save()
    _store_equals_computation(monkeypatch)
    AccountFactory(external_id="E4", currency="EUR", owner=kam_user)
    _store_equals_computation(monkeypatch)
    # invoice lines imported: another version of the store
    import_lines(
        tmp_path, [("E4", "i4", "2026-06-01", 900, 500, None, None, "EUR")], name="more.csv"
    )
    _store_equals_computation(monkeypatch)
    assert LedgerSnapshot.objects.count() == 1


def test_a_change_enqueues_the_job_that_stores_it(
    small, kam_user, django_capture_on_commit_callbacks
):
    """Once the transaction commits, the ``ledger_refresh`` job stores today's P&L of the
    changed account (jobs run inline in the tests) and leaves no mark."""
    from kam.jobs.models import Job, JobStatus

    today = timezone.localdate()
    ledgers_store(as_of=today)
    e2 = small["e2"]
    before = LedgerStored.objects.get(account=e2, as_of=today, period=0).team
    with django_capture_on_commit_callbacks(execute=True):
        ActivityFactory(account=e2, date=today, duration_minutes=60, participants=[kam_user])
    job = Job.objects.get(kind="ledger_refresh")
    assert job.status == JobStatus.DONE
    assert not LedgerDirty.objects.exists()
    assert LedgerStored.objects.get(account=e2, as_of=today, period=0).team == before + 60
    (ledger,) = pnl.ledgers_build(accounts=[e2], as_of=today)
    assert ledger.latest is not None and ledger.latest.costs.team == before + 60


def test_the_page_says_when_the_stored_figures_are_being_refreshed(small, director):
    client = client_for(director)
    url = reverse("economics:portfolio") + "?as_of=2026-06-30"
    ledgers_store(as_of=AS_OF)
    assert "being refreshed" not in client.get(url).content.decode()
    CostToServeItem.objects.create(
        account=small["e1"], date=dt.date(2026, 5, 1), kind="rebates", amount=Decimal(12)
    )
    assert "being refreshed" in client.get(url).content.decode()


@pytest.fixture
def portfolio(tmp_path, kam_user):  # type: ignore[no-untyped-def]
    kam_user.profile.hourly_cost = Decimal("60")
    kam_user.profile.save()
    review = make_review()
    _accounts(tmp_path, 0, 8, review, "first.csv", kam_user)
    return review


def test_pages_api_and_alerts_cost_the_same_queries_for_3n_accounts(
    portfolio, director, kam_user, tmp_path, monkeypatch
):
    """N accounts, then 3N, the store fresh: the boxes page, its API and the contribution
    alerts run as many queries, and none computes an account's P&L."""
    from kam.portfolio.selectors import boxes_of

    client = client_for(director)
    urls = [
        reverse("economics:portfolio") + "?as_of=2026-06-30",
        "/api/economics/boxes?as_of=2026-06-30",
    ]

    def counts() -> list[int]:
        line_totals_store(as_of=AS_OF)
        ledgers_store(as_of=AS_OF)
        out = []
        with monkeypatch.context() as patch:
            patch.setattr(pnl, "ledgers_build", _refuse)
            for url in urls:
                client.get(url)  # the first request of a session caches what pages read
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(url).status_code == 200
                out.append(len(queries))
            accounts = list(Account.objects.all())
            boxes = boxes_of(account_ids=[a.pk for a in accounts], review=portfolio)
            with CaptureQueriesContext(connection) as queries:
                contribution_alerts(accounts=accounts, boxes=boxes, as_of=AS_OF)
            out.append(len(queries))
        return out

    few = counts()
    _accounts(tmp_path, 8, 16, portfolio, "second.csv", kam_user)
    assert counts() == few
    # and the comparison read from the store is the one computed from every input
    from kam.economics.selectors import portfolio_economics

    accounts = list(Account.objects.filter(active=True))
    boxes = boxes_of(account_ids=[a.pk for a in accounts], review=portfolio)
    computed = pnl.box_comparison(
        ledgers=pnl.ledgers_build(accounts=accounts, as_of=AS_OF), boxes=boxes, currency="EUR"
    )
    monkeypatch.setattr(pnl, "ledgers_build", _refuse)
    stored = portfolio_economics(user=director, as_of=AS_OF)
    assert stored.comparison == computed
    assert any(ledger.investments for ledger in stored.ledgers)


def test_the_demo_stores_every_account_as_computed(monkeypatch):
    """The demo loader stores today's P&L; it is what ``ledgers_build`` computes."""
    import io

    from kam.demo import demo_load

    demo_load(seed=5, accounts=40, stdout=io.StringIO())
    today = timezone.localdate()
    assert LedgerSnapshot.objects.filter(as_of=today).exists()
    accounts = list(Account.objects.order_by("pk"))
    computed = _key(pnl.ledgers_build(accounts=accounts, as_of=today))
    assert any(row[3][-1][1] for row in computed)  # revenue in the latest year
    monkeypatch.setattr(pnl, "ledgers_build", _refuse)
    assert _key(ledgers_read(accounts=accounts, as_of=today)) == computed


def test_the_portfolio_reads_each_accounts_latest_period_as_computed(monkeypatch):
    """On the demo, the store fresh but for one changed account and one new one: the latest
    period of every account (``ledgers_latest_read``) is ``ledgers_build``'s to the last bit,
    and the portfolio page's comparison and lists are the ones its ledgers give."""
    import io

    from django.contrib.auth import get_user_model

    from kam.demo import demo_load
    from kam.economics.ledger_store import (
        ledgers_dirty,
        ledgers_latest_read,
        ledgers_recent_read,
    )
    from kam.economics.pnl import LatestFigures
    from kam.economics.selectors import portfolio_economics
    from kam.portfolio.selectors import boxes_of

    demo_load(seed=5, accounts=40, stdout=io.StringIO())
    today = timezone.localdate()
    query = Account.objects.filter(active=True)
    changed = query.order_by("pk").first()
    assert changed is not None
    CostToServeItem.objects.create(
        account=changed, date=today, kind="service", amount=Decimal("1234.5")
    )
    AccountFactory(external_id="NEW", currency="EUR")  # not stored yet
    ledgers_dirty(account_ids=[changed.pk])
    ledgers = pnl.ledgers_build(accounts=list(query), as_of=today)
    assert any(ledger.investments for ledger in ledgers)

    read = ledgers_latest_read(account_query=query, as_of=today)
    assert [pk for pk, _external_id in read.accounts] == [ledger.account.pk for ledger in ledgers]
    assert [read.figures[ledger.account.pk] for ledger in ledgers] == [
        LatestFigures.of(ledger) for ledger in ledgers
    ]
    assert read.figures[changed.pk].cost_to_serve >= 1234.5  # computed, not the stored row
    # the latest two periods (the contribution alerts), read the same way: the ledgers'
    recent = ledgers_recent_read(
        account_query=query, account_ids=[a.pk for a in query], as_of=today, last=2
    )
    assert recent.periods == [p.period for p in ledgers[0].periods[-2:]]
    assert {ledger.account.pk: recent.figures[ledger.account.pk] for ledger in ledgers} == {
        ledger.account.pk: [LatestFigures.of_period(ledger, p) for p in ledger.periods[-2:]]
        for ledger in ledgers
    }
    every = {ledger.account.pk: "key" for ledger in ledgers}
    falls = [
        (ledger.account.pk, ledger.to_base(ledger.periods[-1].contribution))
        for ledger in ledgers
        if ledger.periods[-1].period.complete
        and ledger.periods[-2].period.complete
        and ledger.periods[-1].contribution < ledger.periods[-2].contribution
    ]
    alerted = contribution_alerts(accounts=list(query), boxes=every, as_of=today)
    assert falls and [(a.account.pk, a.contribution) for a in alerted] == falls

    director = get_user_model().objects.get(username="maarten")
    boxes = boxes_of(account_ids=[ledger.account.pk for ledger in ledgers])
    computed = pnl.box_comparison(ledgers=ledgers, boxes=boxes, currency="EUR")
    ranked = sorted(
        (ledger for ledger in ledgers if ledger.latest and ledger.latest.revenue),
        key=lambda ledger: ledger.to_base(ledger.latest.contribution),  # type: ignore[union-attr]
        reverse=True,
    )
    data = portfolio_economics(user=director, as_of=today)
    assert data.comparison == computed
    assert data.comparison.accounts == len(ledgers)
    assert (
        [(ledger.account.pk, c) for ledger, c in data.top]
        == [
            (ledger.account.pk, ledger.to_base(ledger.latest.contribution))  # type: ignore[union-attr]
            for ledger in ranked[:10]
        ]
    )
    assert (
        [(ledger.account.pk, c) for ledger, c in data.bottom]
        == [
            (ledger.account.pk, ledger.to_base(ledger.latest.contribution))  # type: ignore[union-attr]
            for ledger in ranked[::-1][:5]
            if ledger.latest and ledger.latest.contribution < 0
        ]
    )
    assert [(ledger.account.pk, r.investment.pk, r.roi_pct) for ledger, r in data.invested] == [
        (ledger.account.pk, r.investment.pk, r.roi_pct)
        for ledger in ledgers
        for r in ledger.investments
    ]
    assert data.has_lines
