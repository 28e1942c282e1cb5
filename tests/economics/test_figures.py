"""The figures' definitions (docs/economics.md, "One figure, one definition"), by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam.accounts.models import AccountRevenue
from kam.economics.figures import account_figures
from kam.economics.lines import store_get
from kam.plans.models import Plan
from kam.web.formats import half_up
from tests.economics.conftest import import_lines
from tests.factories import AccountFactory, ActivityFactory

pytestmark = pytest.mark.django_db


def plan_for(account, **amounts):  # type: ignore[no-untyped-def]
    return Plan.objects.create(
        account=account,
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        **amounts,
    )


def test_invoiced_revenue_of_the_year_before_wins_over_entered_amounts(tmp_path, kam_user):
    account = AccountFactory(external_id="A1", owner=kam_user)
    import_lines(
        tmp_path,
        [
            ("A1", "i0", "2024-06-01", "500", "0", None, None, "EUR"),  # before 2025
            ("A1", "i1", "2025-01-01", "1000", "0", None, None, "EUR"),
            ("A1", "i2", "2025-12-31", "3000", "0", None, None, "EUR"),
            ("A1", "i3", "2026-01-01", "7000", "0", None, None, "EUR"),  # in the plan year
        ],
    )
    AccountRevenue.objects.create(account=account, year=2025, amount=Decimal("9999"))
    store_get().available_spend_set(values={"A1": 16000})
    plan = plan_for(
        account,
        revenue_current=Decimal("8888"),
        revenue_target=Decimal("5000"),
        category_spend=Decimal("40000"),
        investment=Decimal("300"),
        expected_return=Decimal("1001.5"),
    )
    ActivityFactory(
        account=account, date=dt.date(2026, 2, 1), duration_minutes=90, participants=[kam_user]
    )

    f = account_figures(account=account, year=2026)
    assert f.plan_id == plan.pk and f.base_year == 2025
    assert f.revenue == pytest.approx(4000) and f.revenue_source == "invoices"  # 1,000 + 3,000
    assert f.available_spend == 16000  # the entered spend, not the plan's 40,000
    assert f.share_of_wallet == pytest.approx(0.25)  # 4,000 / 16,000
    assert f.growth == pytest.approx(0.25)  # 5,000 / 4,000 − 1
    assert f.roi == pytest.approx(2.338333, abs=1e-6)  # (1,001.5 − 300) / 300
    assert f.payback_years == pytest.approx(300 / 1001.5)
    assert f.hours_actual == pytest.approx(1.5)
    assert f.hours_planned is None and f.box == ""


def test_without_lines_for_the_whole_year_the_entered_revenue_counts(tmp_path, kam_user):
    account = AccountFactory(external_id="B1", owner=kam_user)
    # The store begins in March 2025: 2025 is only partly there.
    import_lines(tmp_path, [("B1", "i1", "2025-03-01", "1000", "0", None, None, "EUR")])
    AccountRevenue.objects.create(account=account, year=2025, amount=Decimal("6000"))
    plan_for(account, revenue_current=Decimal("8888"), category_spend=Decimal("24000"))
    f = account_figures(account=account, year=2026)
    assert f.revenue == 6000 and f.revenue_source == "entered"
    assert f.share_of_wallet == pytest.approx(0.25)  # the plan's spend: none entered


def test_with_nothing_else_the_plans_revenue_counts_and_unknowns_stay_unknown(kam_user):
    account = AccountFactory(external_id="C1", owner=kam_user)
    plan_for(account, revenue_current=Decimal("8000"))
    f = account_figures(account=account, year=2026)
    assert f.revenue == 8000 and f.revenue_source == "plan"
    assert f.share_of_wallet is None and f.growth is None and f.roi is None
    other = AccountFactory(external_id="C2", owner=kam_user)
    g = account_figures(account=other, year=2026)
    assert g.revenue is None and g.revenue_source == "" and g.plan_id is None


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [(233.5, 0, "234"), (233.49, 0, "233"), (-3.85, 1, "-3.9"), (0.25, 1, "0.3")],
)
def test_figures_round_half_up(value, places, shown):
    assert str(half_up(value, places)) == shown


@pytest.mark.parametrize("in_list_max", [500, 0])
def test_revenues_of_year_read_by_id_list_or_by_year_are_the_same(
    tmp_path, kam_user, monkeypatch, in_list_max
):
    """Beyond ``ENTERED_IN_LIST_MAX`` accounts the entered revenues are read by year and
    other accounts' rows skipped (0 here: always): the same figures either way."""
    from kam.economics import figures

    monkeypatch.setattr(figures, "ENTERED_IN_LIST_MAX", in_list_max)
    asked = AccountFactory(external_id="C1", owner=kam_user)
    invoiced = AccountFactory(external_id="C2", owner=kam_user)
    other = AccountFactory(external_id="C3", owner=kam_user)
    import_lines(
        tmp_path,
        [
            ("C2", "i1", "2024-12-01", "700", "0", None, None, "EUR"),
            ("C2", "i2", "2025-05-01", "1200", "0", None, None, "EUR"),
        ],
    )
    AccountRevenue.objects.create(account=asked, year=2025, amount=Decimal("4000"))
    AccountRevenue.objects.create(account=asked, year=2024, amount=Decimal("3000"))
    AccountRevenue.objects.create(account=invoiced, year=2025, amount=Decimal("9999"))
    AccountRevenue.objects.create(account=other, year=2025, amount=Decimal("5000"))
    found = figures.revenues_of_year_by_id(
        external_ids={asked.pk: "C1", invoiced.pk: "C2"}, year=2025
    )
    assert found == {
        asked.pk: figures.YearRevenue(4000.0, figures.SOURCE_ENTERED),
        invoiced.pk: figures.YearRevenue(1200.0, figures.SOURCE_INVOICES),
    }


def test_the_years_invoiced_revenue_follows_every_import_and_removal(tmp_path, kam_user):
    """The year's sums are kept per version of the transaction store: lines imported or a
    source removed show in the next reading."""
    from kam.economics.figures import revenue_amounts_of_year

    a = AccountFactory(external_id="D1", owner=kam_user)
    b = AccountFactory(external_id="D2", owner=kam_user)
    ids = {a.pk: "D1", b.pk: "D2"}
    import_lines(tmp_path, [("D1", "i1", "2025-01-01", "1000", "0", None, None, "EUR")])
    assert revenue_amounts_of_year(external_ids=ids, year=2025) == {a.pk: 1000}
    assert revenue_amounts_of_year(external_ids={b.pk: "D2"}, year=2025) == {}
    import_lines(
        tmp_path,
        [
            ("D1", "i2", "2025-05-01", "500", "0", None, None, "EUR"),
            ("D2", "i3", "2025-06-01", "200", "0", None, None, "EUR"),
        ],
        name="more.csv",
    )
    assert revenue_amounts_of_year(external_ids=ids, year=2025) == {a.pk: 1500, b.pk: 200}
    store = store_get()
    first = next(s.name for s in store.sources() if s.filename == "lines.csv")
    assert store.source_remove(name=first)
    AccountRevenue.objects.create(account=a, year=2025, amount=Decimal("700"))
    # The lines now begin in May 2025: the entered revenue counts for 2025.
    assert revenue_amounts_of_year(external_ids=ids, year=2025) == {a.pk: 700}
