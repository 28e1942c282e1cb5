"""An account's headline figures, defined once: every page, export and API response that shows
one of them reads it here (see docs/economics.md, "One figure, one definition").

The figures of account A for plan year Y (the year a plan is for; the economics page takes the
year of its as-of date):

- ``revenue``: A's revenue in the last full calendar year before Y (``base_year`` = Y − 1), in
  A's currency. The invoice lines of the transaction store dated 1 January to 31 December,
  when the store's lines begin on or before 1 January of that year and A has lines in it
  (booked revenue, what the ledger says); otherwise the yearly revenue entered on the account
  (``AccountRevenue``); otherwise the revenue entered on the plan; otherwise unknown.
  ``revenue_source`` says which.
- ``share_of_wallet``: ``revenue`` ÷ A's available spend per year in our category (the spend
  entered on the economics page or imported; the plan's category spend when none is entered),
  a ratio 0–1.
- ``growth``: the plan's revenue target for Y ÷ ``revenue`` − 1, a ratio.
- ``roi``: (the plan's expected return − its investment) ÷ investment, a ratio, from the
  amounts as entered (never from rounded amounts); ``payback_years``: investment ÷ expected
  return per year.
- ``box``: A's box in the portfolio (``kam.portfolio.selectors.account_box``).
- ``hours_planned``: the person-hours the latest finished allocation run whose planning period
  overlaps Y (the plan's period when there is a plan) gives A; ``hours_actual``: the
  person-hours of the activities logged on A in Y (each participant counts the activity's
  duration), the same hours the P&L charges as team cost.

Percentages are shown rounded half up (``kam.web.formats.half_up``): 233.5 % shows as 234 %
everywhere.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from django.db.models import F, Sum

from kam.accounts.models import Account, AccountRevenue
from kam.economics.lines import _lines, first_line_day, store_fingerprint, store_get
from kam.facts.checking import connect
from kam.portfolio.selectors import account_box
from kam.web.formats import half_up

if TYPE_CHECKING:
    from kam.plans.models import Plan

SOURCE_INVOICES = "invoices"
SOURCE_ENTERED = "entered"
SOURCE_PLAN = "plan"


@dataclass(frozen=True)
class YearRevenue:
    """An account's revenue in one calendar year (account currency) and where it comes from
    (``SOURCE_INVOICES`` or ``SOURCE_ENTERED``)."""

    amount: float
    source: str


def revenues_of_year(*, accounts: Iterable[Account], year: int) -> dict[int, YearRevenue]:
    """Account id → its revenue in calendar ``year`` as defined in the module docstring
    (invoice lines, else the entered yearly revenue; accounts with neither are left out).
    One SQL query, and one DuckDB query per version of the transaction store and year
    (``_invoiced_in_year``), whatever the number of accounts."""
    return revenues_of_year_by_id(external_ids={a.pk: a.external_id for a in accounts}, year=year)


#: Up to this many accounts, the entered revenues are read by an IN list of their ids.
ENTERED_IN_LIST_MAX = 500


def revenues_of_year_by_id(*, external_ids: Mapping[int, str], year: int) -> dict[int, YearRevenue]:
    """As ``revenues_of_year`` for accounts given as id → external id (lists that already
    hold both read no account rows again)."""
    out: dict[int, YearRevenue] = {}
    entered = AccountRevenue.objects.filter(year=year)
    if len(external_ids) <= ENTERED_IN_LIST_MAX:
        entered = entered.filter(account_id__in=list(external_ids))
    # Beyond that many ids, the year's rows are read and those of other accounts skipped:
    # Django prepares every element of an IN list (0.2 s for 10,000 ids), the year's rows
    # are at most one per account.
    for pk, amount in entered.values_list("account_id", "amount"):
        if pk in external_ids:
            out[pk] = YearRevenue(float(amount), SOURCE_ENTERED)
    invoiced = _invoiced_in_year(external_ids=list(external_ids.values()), year=year)
    for pk, external_id in external_ids.items():
        invoiced_amount = invoiced.get(external_id)
        if invoiced_amount is not None:
            out[pk] = YearRevenue(invoiced_amount, SOURCE_INVOICES)
    return out


def revenue_amounts_of_year(*, external_ids: Mapping[int, str], year: int) -> dict[int, float]:
    """``revenues_of_year_by_id`` without the sources: the revenue the portfolio's matrix
    shows (``kam.portfolio.sources``)."""
    return {
        pk: found.amount
        for pk, found in revenues_of_year_by_id(external_ids=external_ids, year=year).items()
    }


def _invoiced_in_year(*, external_ids: list[str], year: int) -> dict[str, float]:
    """External id → Σ invoice-line amount dated in ``year``; empty when the store's lines
    begin after 1 January of ``year`` (a year the store holds only part of).

    The sums of every account in the year are computed once per version of the store
    (``store_fingerprint``: its line files, names, sizes and times) and kept in the
    process: the matrix asks for the year of 10,000 accounts on every request."""
    store = store_get()
    files = store.line_files()
    if not files or not external_ids:
        return {}
    key = (str(store.root), store_fingerprint(store), year)
    totals = _invoiced_years.get(key)
    if totals is None:
        totals = _invoiced_years_compute(files=files, year=year)
        with _invoiced_years_lock:
            _invoiced_years[key] = totals
            while len(_invoiced_years) > _INVOICED_YEARS_KEPT:
                _invoiced_years.popitem(last=False)
    return {pk: totals[pk] for pk in external_ids if pk in totals}


#: Σ invoice-line amount per external id, by (store root, store version, year).
_invoiced_years: OrderedDict[tuple[str, str, int], dict[str, float]] = OrderedDict()
_invoiced_years_lock = threading.Lock()
_INVOICED_YEARS_KEPT = 8


def _invoiced_years_compute(*, files: list[Path], year: int) -> dict[str, float]:
    sql = f"""
        SELECT account_external_id, CAST(sum(amount) AS DOUBLE)
        FROM {_lines(files)}
        WHERE invoice_date BETWEEN DATE '{year}-01-01' AND DATE '{year}-12-31'
        GROUP BY account_external_id
    """
    # One connection for the first day and the sums (opening one costs about 0.1 s).
    con = connect()
    try:
        first = first_line_day(store_get(), con=con)
        if first is None or first > dt.date(year, 1, 1):
            return {}
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    return {str(pk): float(total) for pk, total in rows if total is not None}


def planned_hours_by_person(*, account_id: int, start: dt.date, end: dt.date) -> dict[int, Decimal]:
    """User id → hours the latest finished allocation run of a planning period overlapping
    ``start``–``end`` gives the account (section 2); empty without such a run."""
    from kam.allocation.models import AllocationPersonLine, RunStatus

    run_id = (
        AllocationPersonLine.objects.filter(
            account_id=account_id,
            run__status=RunStatus.DONE,
            run__period__start__lte=end,
            run__period__end__gte=start,
        )
        .order_by("-run__finished_at", "-run__pk")
        .values_list("run_id", flat=True)
        .first()
    )
    if run_id is None:
        return {}
    return dict(
        AllocationPersonLine.objects.filter(run_id=run_id, account_id=account_id).values_list(
            "user_id", "hours"
        )
    )


def hours_logged(*, account_id: int, start: dt.date, end: dt.date) -> float:
    """Person-hours of the activities logged on the account between ``start`` and ``end``."""
    from kam.activities.models import ActivityParticipant

    minutes = ActivityParticipant.objects.filter(
        activity__account_id=account_id, activity__date__range=(start, end)
    ).aggregate(m=Sum(F("activity__duration_minutes")))["m"]
    return (minutes or 0) / 60


@dataclass(frozen=True)
class AccountFigures:
    """The headline figures of one account for plan year ``year`` (see the module docstring).
    Money in ``currency`` (the account's); ratios as fractions (0.25 = 25 %); None: unknown."""

    account_id: int
    year: int
    currency: str
    revenue: float | None
    revenue_source: str
    available_spend: float | None
    share_of_wallet: float | None
    revenue_target: float | None
    growth: float | None
    investment: float | None
    expected_return: float | None
    roi: float | None
    payback_years: float | None
    box: str
    hours_planned: float | None
    hours_actual: float
    plan_id: int | None

    @property
    def growth_pct(self) -> Decimal | None:
        """``growth`` in percent, rounded half up to one decimal: the figure every page and
        document shows (docs/architecture.md, rule 5)."""
        return half_up(self.growth * 100, 1) if self.growth is not None else None

    @property
    def roi_pct(self) -> Decimal | None:
        """``roi`` in whole percents, rounded half up: the figure every page and document
        shows (docs/architecture.md, rule 5)."""
        return half_up(self.roi * 100) if self.roi is not None else None

    @property
    def base_year(self) -> int:
        """The calendar year ``revenue`` is of: the last full year before ``year``."""
        return self.year - 1

    def as_dict(self) -> dict[str, object]:
        """The figures as plain values (for the API)."""
        return {
            "account_id": self.account_id,
            "year": self.year,
            "base_year": self.base_year,
            "currency": self.currency,
            "revenue": self.revenue,
            "revenue_source": self.revenue_source,
            "available_spend": self.available_spend,
            "share_of_wallet": self.share_of_wallet,
            "revenue_target": self.revenue_target,
            "growth": self.growth,
            "investment": self.investment,
            "expected_return": self.expected_return,
            "roi": self.roi,
            "payback_years": self.payback_years,
            "box": self.box,
            "hours_planned": self.hours_planned,
            "hours_actual": self.hours_actual,
            "plan_id": self.plan_id,
        }


def plan_of_year(*, account: Account, year: int) -> Plan | None:
    """The account's plan for ``year`` (its period starts in that year; the latest, preferring
    one not yet followed by a next period's plan), or None."""
    from kam.plans.models import Plan

    return (
        Plan.objects.filter(account=account, period_start__year=year)
        .order_by("-period_start", "-pk")
        .first()
    )


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def account_figures(*, account: Account, year: int, plan: Plan | None = None) -> AccountFigures:
    """The figures of ``account`` for plan year ``year``; ``plan`` gives the plan's numbers
    (the account's plan for ``year`` when left out)."""
    if plan is None:
        plan = plan_of_year(account=account, year=year)
    base = revenues_of_year(accounts=[account], year=year - 1).get(account.pk)
    revenue: float | None = base.amount if base else None
    source = base.source if base else ""
    if revenue is None and plan is not None and plan.revenue_current is not None:
        revenue, source = float(plan.revenue_current), SOURCE_PLAN
    spend_entered = store_get().available_spend().get(account.external_id)
    spend = _float(spend_entered)
    if spend is None and plan is not None:
        spend = _float(plan.category_spend)
    wallet = revenue / spend if revenue is not None and spend else None
    target = _float(plan.revenue_target) if plan is not None else None
    growth = target / revenue - 1 if target is not None and revenue else None
    investment = _float(plan.investment) if plan is not None else None
    expected = _float(plan.expected_return) if plan is not None else None
    roi = payback = None
    if investment and expected is not None and plan is not None:
        roi = float((plan.expected_return - plan.investment) / plan.investment)
        if expected > 0:
            years = ((plan.period_end - plan.period_start).days + 1) / 365
            payback = investment / (expected / max(years, 1e-9))
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if plan is not None:
        start, end = plan.period_start, plan.period_end
    planned = planned_hours_by_person(account_id=account.pk, start=start, end=end)
    return AccountFigures(
        account_id=account.pk,
        year=year,
        currency=account.currency,
        revenue=revenue,
        revenue_source=source,
        available_spend=spend,
        share_of_wallet=wallet,
        revenue_target=target,
        growth=growth,
        investment=investment,
        expected_return=expected,
        roi=roi,
        payback_years=payback,
        box=account_box(account=account),
        hours_planned=float(sum(planned.values())) if planned else None,
        hours_actual=hours_logged(account_id=account.pk, start=start, end=end),
        plan_id=plan.pk if plan is not None else None,
    )
