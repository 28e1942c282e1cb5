"""Account P&L and the return on an investment, end to end from the invoice store, the
activities and the cost-to-serve items, against hand-worked numbers (docs/method.md
section 6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam.economics.lines import periods_for
from kam.economics.models import CostKind, CostToServeItem, Investment
from kam.economics.pnl import box_comparison, ledgers_build
from kam.organisation.selectors import organisation_get
from tests.economics.conftest import import_lines
from tests.factories import AccountFactory, ActivityFactory

AS_OF = dt.date(2026, 6, 30)


def _rate(value: str) -> None:
    org = organisation_get()
    org.discount_rate = Decimal(value)
    org.save()


def test_periods_are_the_facts_365_day_years_oldest_first():
    periods = periods_for(as_of=AS_OF, first_day=dt.date(2024, 9, 1))
    assert [(p.index, p.start, p.end, p.complete) for p in periods] == [
        (-1, dt.date(2024, 7, 1), dt.date(2025, 6, 30), False),
        (0, dt.date(2025, 7, 1), dt.date(2026, 6, 30), True),
    ]
    assert len(periods_for(as_of=AS_OF, first_day=None)) == 1


@pytest.mark.django_db
def test_pnl_from_lines_activities_and_items_by_hand(tmp_path, kam_user, member):
    _rate("0.10")
    kam_user.profile.hourly_cost = Decimal("50")
    kam_user.profile.save()
    member.profile.hourly_cost = Decimal("30")
    member.profile.save()
    account = AccountFactory(external_id="A1", owner=kam_user)
    import_lines(
        tmp_path,
        [
            ("A1", "i1", "2024-09-01", "1000", "600", "2024-09-30", "2024-10-01", "EUR"),
            ("A1", "i2", "2025-09-01", "2000", "1100", "2025-10-01", "2025-11-30", "EUR"),
            ("A1", "i3", "2026-03-01", "1000", "500", "2026-04-01", None, "EUR"),
            ("A1", "i4", "2026-07-01", "9999", "1", None, None, "EUR"),  # after the as-of date
        ],
    )
    ActivityFactory(
        account=account,
        date=dt.date(2026, 1, 15),
        duration_minutes=90,
        participants=[kam_user, member],
    )
    for day, kind, amount in (
        (dt.date(2026, 2, 1), CostKind.LOGISTICS, "100"),
        (dt.date(2025, 7, 1), CostKind.REBATES, "50"),  # first day of the latest year
        (dt.date(2025, 6, 30), CostKind.OTHER, "10"),  # last day of the year before
    ):
        CostToServeItem.objects.create(account=account, date=day, kind=kind, amount=Decimal(amount))

    (ledger,) = ledgers_build(accounts=[account], as_of=AS_OF)
    before, latest = ledger.periods
    # latest year: revenue 3,000, cost of goods 1,600; paid line 2,000 after 90 days
    assert latest.revenue == pytest.approx(3000)
    assert latest.gross_margin == pytest.approx(1400)
    assert latest.payment_days == pytest.approx(90)
    assert latest.costs.payment_financing == pytest.approx(3000 * 90 / 365 * 0.10)  # 73.97
    # team: 1.5 h × 50 + 1.5 h × 30 = 120 for 3 person-hours
    assert latest.costs.team_hours == pytest.approx(3.0)
    assert latest.costs.team == pytest.approx(120.0)
    assert latest.costs.logistics == pytest.approx(100)
    assert latest.costs.rebates == pytest.approx(50)
    assert latest.cost_to_serve == pytest.approx(120 + 100 + 50 + 73.972603, abs=1e-4)
    assert latest.contribution == pytest.approx(1400 - 343.972603, abs=1e-4)
    # the year before: 1,000 − 600; other 10; 30 days to pay
    assert before.revenue == pytest.approx(1000)
    assert before.costs.other == pytest.approx(10)
    assert before.costs.payment_financing == pytest.approx(1000 * 30 / 365 * 0.10)
    assert before.contribution == pytest.approx(400 - 10 - 8.219178, abs=1e-4)
    assert not before.period.complete


@pytest.fixture
def steady(tmp_path, director):  # type: ignore[no-untyped-def]
    """Contribution 400, 500 and 700 in the three years to 30 June 2026, nothing else."""
    _rate("0.10")
    account = AccountFactory(external_id="B1", owner=director)
    import_lines(
        tmp_path,
        [
            ("B1", "b1", "2023-07-05", "1000", "600", None, None, "EUR"),
            ("B1", "b2", "2024-12-01", "1200", "700", None, None, "EUR"),
            ("B1", "b3", "2026-01-10", "1500", "800", None, None, "EUR"),
        ],
    )
    return account


@pytest.mark.django_db
def test_investment_return_against_the_trend_by_hand(steady):
    Investment.objects.create(
        account=steady,
        date=dt.date(2025, 3, 1),  # in the year 1 Jul 2024 – 30 Jun 2025
        kind="project",
        amount=Decimal("300"),
        description="Shelf-ready packaging",
        probability=Decimal("0.50"),
    )
    (ledger,) = ledgers_build(accounts=[steady], as_of=AS_OF)
    assert [round(p.contribution) for p in ledger.periods] == [400, 500, 700]
    (r,) = ledger.investments
    res = r.result
    assert res is not None
    # one year before: a flat baseline of 400; incremental 100 and 300
    assert list(res.baseline) == pytest.approx([400, 400])
    assert list(res.incremental) == pytest.approx([100, 300])
    assert res.roi == pytest.approx((400 - 300) / 300)
    assert res.payback_periods == pytest.approx(1 + 200 / 300)
    assert res.npv == pytest.approx(-300 + 100 / 1.1 + 300 / 1.21)  # 38.84
    assert res.risk_adjusted_npv == pytest.approx(-300 + 0.5 * (100 / 1.1 + 300 / 1.21))


@pytest.mark.django_db
def test_investment_return_against_an_amount_the_user_sets(steady):
    Investment.objects.create(
        account=steady,
        date=dt.date(2025, 3, 1),
        kind="funds",
        amount=Decimal("300"),
        description="Listing fees",
        baseline_method="amount",
        baseline_amount=Decimal("450"),
    )
    (ledger,) = ledgers_build(accounts=[steady], as_of=AS_OF)
    res = ledger.investments[0].result
    assert list(res.incremental) == pytest.approx([50, 250])
    assert res.roi == pytest.approx(0.0)
    assert res.payback_periods == pytest.approx(2.0)
    assert res.npv == pytest.approx(-300 + 50 / 1.1 + 250 / 1.21)


@pytest.mark.django_db
def test_an_investment_without_a_year_before_asks_for_a_baseline(steady):
    Investment.objects.create(
        account=steady, date=dt.date(2023, 8, 1), kind="other", amount=1, description="Early"
    )
    Investment.objects.create(
        account=steady, date=dt.date(2026, 8, 1), kind="other", amount=1, description="Later"
    )
    (ledger,) = ledgers_build(accounts=[steady], as_of=AS_OF)
    early, later = ledger.investments
    assert early.result is None and "baseline" in early.problem
    assert later.result is None and later.periods_after == []


@pytest.mark.django_db
def test_box_comparison_says_when_too_few_hours_are_logged_to_judge(steady):
    (ledger,) = ledgers_build(accounts=[steady], as_of=AS_OF)
    comparison = box_comparison(ledgers=[ledger], boxes={steady.pk: "key"}, currency="EUR")
    key = comparison.rows[0]
    assert key.box == "key" and key.accounts == 1
    assert key.contribution == pytest.approx(700)
    assert comparison.earns is None  # no hours logged anywhere: it cannot be told
    assert comparison.answer.startswith("Too few hours logged to judge key accounts yet: 0 team")
