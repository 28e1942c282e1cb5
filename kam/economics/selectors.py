"""Reads of account facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.accounts.selectors import account_get_visible, account_list_visible, user_role
from kam.core import economics as core
from kam.core.fact_scores import FACTS
from kam.economics.ledger_store import ledgers_latest_read, ledgers_read, ledgers_refreshing
from kam.economics.models import AccountFacts, CostToServeItem, Investment, TransactionImport
from kam.economics.pnl import (
    AccountLedger,
    BoxComparison,
    InvestmentResult,
    box_comparison_of,
    latest_economics,
)
from kam.errors import ApplicationError
from kam.organisation.selectors import organisation_get
from kam.portfolio.models import Review
from kam.portfolio.selectors import boxes_of, portfolio_review
from kam.users.models import Role
from kam.users.selectors import user_may_manage_portfolio


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


def account_fact_values(
    *, account_ids: Iterable[int], as_of: dt.date
) -> dict[int, dict[str, float | None]]:
    """Each account's latest facts at or before ``as_of`` as fact → value: what the
    portfolio derives scores from (``kam.portfolio.sources``)."""
    return {
        pk: {fact: fact_value(row, fact) for fact in FACTS}
        for pk, row in account_facts_latest(account_ids=account_ids, as_of=as_of).items()
    }


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


def boxes_latest(
    *, account_ids: Iterable[int] | QuerySet[Any, Any]
) -> tuple[Review | None, dict[int, str]]:
    """The portfolio review (the latest closed one) and each account's box in it (missing:
    not placed)."""
    review = portfolio_review()
    if review is None:
        return None, {}
    return review, boxes_of(account_ids=account_ids, review=review)


#: the accounts that contribute most, listed on the portfolio page
TOP_ACCOUNTS = 10
#: the accounts that cost more than they bring, listed on the portfolio page (at most)
BOTTOM_ACCOUNTS = 5


@dataclass(frozen=True)
class PortfolioEconomics:
    """The portfolio page's numbers: the by-box comparison, the review whose boxes it uses
    and the base currency; the ledgers of the accounts the page lists (``top``: the most
    contribution first, of the accounts with revenue; ``bottom``: the least first, those
    with a negative contribution; ``invested``: every investment with its return, by
    account name) with their contribution in the base currency; ``ledgers``: those
    ledgers (with their investments' returns); ``has_lines``: some account has revenue."""

    comparison: BoxComparison
    review: Review | None
    ledgers: list[AccountLedger]
    currency: str
    missing_rates: list[str]
    #: a change waits for the ``ledger_refresh`` job (the changed accounts are computed)
    refreshing: bool = False
    top: list[tuple[AccountLedger, float]] = field(default_factory=list)
    bottom: list[tuple[AccountLedger, float]] = field(default_factory=list)
    invested: list[tuple[AccountLedger, InvestmentResult]] = field(default_factory=list)
    has_lines: bool = False


def portfolio_economics(*, user: Any, as_of: dt.date) -> PortfolioEconomics:
    """compare_boxes over the active accounts ``user`` may read, in the base currency, over
    the latest period at ``as_of``, and the accounts the portfolio page lists; the page and
    ``GET /api/economics/boxes`` both read it.

    Every account's latest period comes from the stored P&L as numbers
    (``ledgers_latest_read``); only the accounts listed (the top and bottom contributors)
    and those with investments (whose returns need every period) are read as ledgers
    (``ledgers_read``). A fixed number of SQL queries, whatever the number of accounts."""
    query = account_list_visible(user=user).filter(active=True)
    review, boxes = boxes_latest(account_ids=query.order_by().values("pk"))
    latest = ledgers_latest_read(account_query=query, as_of=as_of)
    figures = [latest.figures[pk] for pk, _external_id in latest.accounts if pk in latest.figures]
    # the ranking of the page's lists: Python's sort is stable, so equal contributions keep
    # the accounts' order
    ranked = sorted(
        (f for f in figures if f.revenue), key=lambda f: f.to_base(f.contribution), reverse=True
    )
    top_ids = [f.account_id for f in ranked[:TOP_ACCOUNTS]]
    bottom_ids = [f.account_id for f in ranked[::-1][:BOTTOM_ACCOUNTS] if f.contribution < 0]
    # the investments' accounts as a subquery: no list of ids that grows with the portfolio
    listed = query.filter(
        Q(pk__in=Investment.objects.values("account_id")) | Q(pk__in=[*top_ids, *bottom_ids])
    )
    ledgers = ledgers_read(
        accounts=listed.only("pk", "external_id", "currency", "name"), as_of=as_of
    )
    by_id = {ledger.account.pk: ledger for ledger in ledgers}
    external = dict(latest.accounts)
    economics = [
        latest_economics(
            f,
            external_id=external[f.account_id],
            box=boxes.get(f.account_id),
            investments=by_id[f.account_id].investments if f.account_id in by_id else (),
        )
        for f in figures
    ]
    currency = organisation_get().base_currency
    return PortfolioEconomics(
        comparison=box_comparison_of(
            economics, period=latest.period, accounts=len(latest.accounts), currency=currency
        ),
        review=review,
        ledgers=ledgers,
        currency=currency,
        missing_rates=sorted({f.currency for f in figures if f.rate_to_base is None}),
        refreshing=ledgers_refreshing(),
        top=[(by_id[pk], by_id[pk].to_base(by_id[pk].latest.contribution)) for pk in top_ids],  # type: ignore[union-attr]
        bottom=[
            (by_id[pk], by_id[pk].to_base(by_id[pk].latest.contribution))  # type: ignore[union-attr]
            for pk in bottom_ids
        ],
        invested=[(ledger, r) for ledger in ledgers for r in ledger.investments],
        has_lines=any(f.revenue for f in figures),
    )


def transaction_may_import(*, user: User | AnonymousUser) -> bool:
    """Sales directors and administrators import invoice lines and available spend (they
    touch every account)."""
    return user_may_manage_portfolio(user=user)


def source_may_remove(*, user: User | AnonymousUser) -> bool:
    """Only administrators remove imported invoice lines (the facts of every account change)."""
    return user_role(user) == Role.ADMINISTRATOR


def transaction_import_list(*, limit: int = 10) -> list[TransactionImport]:
    """The latest transaction imports, newest first, with who started them."""
    return list(TransactionImport.objects.select_related("created_by")[:limit])


def transaction_import_get(*, job_id: int) -> TransactionImport | None:
    """One transaction import with who started it, or None."""
    return TransactionImport.objects.select_related("created_by").filter(pk=job_id).first()


def cost_item_list(*, account: Account) -> list[CostToServeItem]:
    """All the account's cost-to-serve items, newest first."""
    return list(CostToServeItem.objects.filter(account=account).order_by("-date", "-pk"))
