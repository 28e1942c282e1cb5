"""Reads of account facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.accounts.selectors import account_get_visible, account_list_visible
from kam.core import economics as core
from kam.core.fact_scores import FACTS
from kam.economics.ledger_store import ledgers_read, ledgers_refreshing
from kam.economics.models import AccountFacts, CostToServeItem, Investment
from kam.economics.pnl import AccountLedger, BoxComparison, box_comparison
from kam.organisation.selectors import organisation_get
from kam.portfolio.models import Review
from kam.portfolio.selectors import boxes_of, portfolio_review
from kam.web.errors import ApplicationError


def account_facts_latest(
    *, account_ids: Iterable[int], as_of: dt.date | None = None
) -> dict[int, AccountFacts]:
    """Each account's most recent facts, at or before ``as_of`` when given."""
    qs = AccountFacts.objects.filter(account_id__in=list(account_ids))
    if as_of is not None:
        qs = qs.filter(as_of__lte=as_of)
    latest: dict[int, AccountFacts] = {}
    for row in qs.order_by("account_id", "-as_of"):
        latest.setdefault(row.account_id, row)
    return latest


def fact_value(row: AccountFacts | None, fact: str) -> float | None:
    """One named fact of a row (None when the row or the fact is missing)."""
    if row is None or fact not in FACTS:
        return None
    value = getattr(row, fact)
    return None if value is None else float(value)


# --- the pages' reads -----------------------------------------------------------------------


def account_economics_visible(*, user: Any, account_id: int) -> Account:
    """The account if ``user`` may read it (404 otherwise, as ``account_get_visible``)."""
    return account_get_visible(user=user, account_id=account_id)


def account_ledger(*, account: Account, as_of: dt.date) -> AccountLedger:
    """One account's P&L per year and its investments' returns at ``as_of`` (the stored
    P&L's selector, ``kam.economics.ledger_store.ledgers_read``)."""
    return ledgers_read(accounts=[account], as_of=as_of)[0]


def cost_items_of(*, account: Account, limit: int = 200) -> list[CostToServeItem]:
    """An account's cost-to-serve items, newest first (at most ``limit``)."""
    return list(account.cost_items.order_by("-date", "-pk")[:limit])


def investment_get(*, user: Any, investment_id: int) -> Investment:
    """An investment of an account ``user`` may read (404 otherwise)."""
    visible = account_list_visible(user=user).values("pk")
    row = (
        Investment.objects.select_related("account")
        .filter(pk=investment_id, account_id__in=visible)
        .first()
    )
    if row is None:
        raise ApplicationError(_("There is no such investment."), status=404)
    return row


def cost_item_get(*, user: Any, item_id: int) -> CostToServeItem:
    """A cost-to-serve item of an account ``user`` may read (404 otherwise)."""
    visible = account_list_visible(user=user).values("pk")
    row = (
        CostToServeItem.objects.select_related("account")
        .filter(pk=item_id, account_id__in=visible)
        .first()
    )
    if row is None:
        raise ApplicationError(_("There is no such cost item."), status=404)
    return row


@dataclass(frozen=True)
class PlannedCost:
    """The year plan's hours on an account (latest finished run) and their cost (base
    currency): hours × each person's hourly cost."""

    period_name: str
    hours: float
    cost: float


def account_planned_cost(*, account: Account, year: int) -> PlannedCost | None:
    """The team hours the year plan for ``year`` gives ``account`` and their cost (None: no
    plan). The run is the one the figures use (``kam.economics.figures``): the latest
    finished allocation run of a planning period overlapping ``year``."""
    from kam.allocation.models import AllocationPersonLine, AllocationRun, RunStatus

    run_id = (
        AllocationPersonLine.objects.filter(
            account=account,
            run__status=RunStatus.DONE,
            run__period__start__lte=dt.date(year, 12, 31),
            run__period__end__gte=dt.date(year, 1, 1),
        )
        .order_by("-run__finished_at", "-run__pk")
        .values_list("run_id", flat=True)
        .first()
    )
    if run_id is None:
        return None
    run = AllocationRun.objects.select_related("period").get(pk=run_id)
    hours = 0.0
    cost = 0.0
    for line_hours, hourly in AllocationPersonLine.objects.filter(
        run=run, account=account
    ).values_list("hours", "user__profile__hourly_cost"):
        team = core.cost_to_serve(
            team_hours={"person": float(line_hours)},
            hourly_cost={"person": float(hourly or 0)},
        )
        hours += team.team_hours
        cost += team.team
    return PlannedCost(period_name=run.period.name, hours=hours, cost=cost)


def boxes_latest(*, account_ids: Iterable[int]) -> tuple[Review | None, dict[int, str]]:
    """The portfolio review (the latest closed one) and each account's box in it (missing:
    not placed)."""
    review = portfolio_review()
    if review is None:
        return None, {}
    return review, boxes_of(account_ids=account_ids, review=review)


@dataclass(frozen=True)
class PortfolioEconomics:
    """The portfolio page's numbers: the by-box comparison, the review whose boxes it uses,
    the ledgers behind it and the base currency."""

    comparison: BoxComparison
    review: Review | None
    ledgers: list[AccountLedger]
    currency: str
    missing_rates: list[str]
    #: a change waits for the ``ledger_refresh`` job (the changed accounts are computed)
    refreshing: bool = False


def portfolio_economics(*, user: Any, as_of: dt.date) -> PortfolioEconomics:
    """compare_boxes over the active accounts ``user`` may read, in the base currency, over
    the latest period at ``as_of``: the stored P&L (``ledgers_read``) and a fixed number of
    SQL queries, whatever the number of accounts."""
    query = account_list_visible(user=user).filter(active=True)
    accounts = list(query.only("pk", "external_id", "currency", "name"))
    review, boxes = boxes_latest(account_ids=query.order_by().values("pk"))
    ledgers = ledgers_read(accounts=accounts, as_of=as_of, account_query=query, last=1)
    currency = organisation_get().base_currency
    missing = sorted({ledger.currency for ledger in ledgers if ledger.rate_to_base is None})
    return PortfolioEconomics(
        comparison=box_comparison(ledgers=ledgers, boxes=boxes, currency=currency),
        review=review,
        ledgers=ledgers,
        currency=currency,
        missing_rates=missing,
        refreshing=ledgers_refreshing(),
    )
