"""Reads of customer groups: a group and its country companies rolled up (docs/economics.md,
"Customer groups rolled up").

An account whose ``parent`` is set is a country company of that group; the group account
itself stands for the group's home business (its own revenue, box and plan, if any) and is
one of the group's companies. One level: a group and the accounts directly under it.

Every figure is the one the single account's pages show, summed in the base currency:

- ``revenue``: the revenue of the last complete calendar year, as the account list shows it
  (``account_list_annotated``: the yearly revenue entered or imported, at the organisation's
  exchange rate);
- P&L (``pnl_revenue``, ``cost_to_serve``, ``contribution``): the latest period of each
  company's ledger, as the economics pages show it (``kam.economics.ledger_store.ledgers_read``,
  12 months to the as-of date), converted with the ledger's rate;
- ``box``: the company's box in the portfolio (the latest closed review);
- ``plan``: the company's latest plan (by period start) and its status.

A company whose currency has no exchange rate counts in no money total (``missing_rates``
names the currencies). Visibility is the accounts list's: a key account manager sees the
companies they may read and totals over those only; the group's name shows to anyone who
sees one of its companies (as the account page shows its group's name).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.filters import AccountFilters, account_filter
from kam.accounts.models import Account
from kam.economics.ledger_store import ledgers_read
from kam.economics.lines import Period
from kam.economics.pnl import AccountLedger
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.plans.models import Plan, PlanStatus
from kam.portfolio.models import Review
from kam.portfolio.selectors import account_list_annotated

BOX_ORDER = [b.value for b in Box]
PLAN_ORDER = [s.value for s in PlanStatus]


@dataclass
class GroupCompany:
    """One company of a group with its figures (money in the base currency; None: unknown).

    ``account`` carries the list's annotations (``box``, ``revenue_last_year``,
    ``revenue_last_year_base``); ``is_group`` marks the group account itself."""

    account: Account
    is_group: bool
    box: str
    revenue: Decimal | None
    pnl_revenue: float | None
    cost_to_serve: float | None
    contribution: float | None
    plan: Plan | None

    @property
    def box_label(self) -> str:
        return str(dict(Box.choices).get(self.box, ""))

    @property
    def contribution_share(self) -> float | None:
        """Contribution as a fraction of the P&L revenue (None without revenue)."""
        if self.contribution is None or not self.pnl_revenue:
            return None
        return self.contribution / self.pnl_revenue


@dataclass
class GroupRollup:
    """A group and its companies the reader may see, with the totals (base currency)."""

    group: Account
    companies: list[GroupCompany] = field(default_factory=list)
    period: Period | None = None
    missing_rates: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.companies)

    @property
    def revenue(self) -> Decimal | None:
        """Σ revenue of the companies whose revenue is known (None when none is)."""
        known = [c.revenue for c in self.companies if c.revenue is not None]
        return sum(known, Decimal(0)) if known else None

    @property
    def revenue_unknown(self) -> int:
        """Companies without a known revenue (no figure or no exchange rate)."""
        return sum(1 for c in self.companies if c.revenue is None)

    def _sum(self, name: str) -> float | None:
        values = [getattr(c, name) for c in self.companies if getattr(c, name) is not None]
        return float(sum(values)) if values else None

    @property
    def pnl_revenue(self) -> float | None:
        return self._sum("pnl_revenue")

    @property
    def cost_to_serve(self) -> float | None:
        return self._sum("cost_to_serve")

    @property
    def contribution(self) -> float | None:
        return self._sum("contribution")

    @property
    def contribution_share(self) -> float | None:
        """Σ contribution as a fraction of Σ P&L revenue (over companies with both)."""
        pairs = [
            (c.contribution, c.pnl_revenue)
            for c in self.companies
            if c.contribution is not None and c.pnl_revenue is not None
        ]
        revenue = sum(r for _c, r in pairs)
        return sum(c for c, _r in pairs) / revenue if revenue else None

    @property
    def boxes(self) -> list[tuple[str, int]]:
        """(box, companies in it) in box order, boxes with none left out; "" is not placed."""
        counts = Counter(c.box for c in self.companies)
        return [(b, counts[b]) for b in [*BOX_ORDER, ""] if counts[b]]

    @property
    def plans(self) -> list[tuple[str, int]]:
        """(status, companies whose latest plan has it) in status order; "" is no plan."""
        counts = Counter(c.plan.status if c.plan is not None else "" for c in self.companies)
        return [(s, counts[s]) for s in [*PLAN_ORDER, ""] if counts[s]]

    @property
    def box_rows(self) -> list[tuple[str, str, int]]:
        """``boxes`` with each box's name: (box, label, companies)."""
        labels = {**dict(Box.choices), "": _("not placed")}
        return [(b, str(labels[b]), n) for b, n in self.boxes]

    @property
    def plan_rows(self) -> list[tuple[str, str, int]]:
        """``plans`` with each status's name: (status, label, companies)."""
        labels = {**dict(PlanStatus.choices), "": _("no plan")}
        return [(s, str(labels[s]), n) for s, n in self.plans]

    def as_dict(self) -> dict[str, Any]:
        """The roll-up as plain values (for the API)."""
        return {
            "id": self.group.pk,
            "name": self.group.name,
            "external_id": self.group.external_id,
            "companies": self.size,
            "revenue": self.revenue,
            "revenue_unknown": self.revenue_unknown,
            "pnl_revenue": self.pnl_revenue,
            "cost_to_serve": self.cost_to_serve,
            "contribution": self.contribution,
            "contribution_share": self.contribution_share,
            "boxes": {b or "none": n for b, n in self.boxes},
            "plans": {s or "none": n for s, n in self.plans},
            "period_start": self.period.start if self.period else None,
            "period_end": self.period.end if self.period else None,
            "missing_rates": self.missing_rates,
        }


def _with_children() -> Exists:
    return Exists(Account.objects.filter(parent=OuterRef("pk")))


def _latest_plans(account_ids: list[int]) -> dict[int, Plan]:
    latest: dict[int, Plan] = {}
    for plan in Plan.objects.filter(account_id__in=account_ids).order_by(
        "account_id", "-period_start", "-pk"
    ):
        latest.setdefault(plan.account_id, plan)
    return latest


def _to_base(ledger: AccountLedger | None, amount: float | None) -> float | None:
    if ledger is None or amount is None or ledger.rate_to_base is None:
        return None
    return ledger.to_base(amount)


def group_rollups(
    *,
    user: User | AnonymousUser,
    filters: AccountFilters | None = None,
    group_id: int | None = None,
    review: Review | bool | None = True,
    as_of: dt.date | None = None,
    annotated: QuerySet[Account] | None = None,
) -> list[GroupRollup]:
    """The groups ``user`` sees a company of, each with its visible companies rolled up, by
    group name. ``filters`` (the account list's) keeps the groups with at least one company
    that matches them (the totals stay over all the group's visible companies);
    ``group_id`` keeps that group only. A fixed number of queries and one DuckDB query,
    whatever the number of groups and companies (one without groups). ``annotated``: the
    account list's ``account_list_annotated(user=user, review=review)`` when the caller
    has it already (it reads the organisation and its rates when made)."""
    if annotated is None:
        annotated = account_list_annotated(user=user, review=review)
    companies_qs = annotated.filter(Q(parent__isnull=False) | Q(_with_children())).order_by(
        "name", "pk"
    )
    if group_id is not None:
        companies_qs = companies_qs.filter(Q(pk=group_id) | Q(parent_id=group_id))
    companies = list(companies_qs.select_related("owner", "parent"))
    if not companies:
        return []
    group_of = {a.pk: (a.parent_id or a.pk) for a in companies}
    # A company with a parent that has a parent of its own rolls up to its direct parent.
    groups: dict[int, Account] = {a.pk: a for a in companies if a.pk in group_of.values()}
    missing = set(group_of.values()) - set(groups)
    if missing:
        groups.update({a.pk: a for a in Account.objects.filter(pk__in=missing)})
    wanted = set(group_of.values())
    if filters is not None and filters.is_filtered():
        matching = set(
            account_filter(queryset=companies_qs, filters=filters).values_list("pk", flat=True)
        )
        wanted = {group_of[pk] for pk in matching}
    companies = [a for a in companies if group_of[a.pk] in wanted]
    as_of = as_of or timezone.localdate()
    ledgers = {
        ledger.account.pk: ledger
        for ledger in ledgers_read(accounts=companies, as_of=as_of, with_investments=False, last=1)
    }
    plans = _latest_plans([a.pk for a in companies])
    rollups = {pk: GroupRollup(group=groups[pk]) for pk in wanted}
    missing_rates: dict[int, set[str]] = {pk: set() for pk in wanted}
    for a in companies:
        ledger = ledgers.get(a.pk)
        latest = ledger.latest if ledger is not None else None
        rollup = rollups[group_of[a.pk]]
        if rollup.period is None and latest is not None:
            rollup.period = latest.period
        if ledger is not None and ledger.rate_to_base is None:
            missing_rates[group_of[a.pk]].add(ledger.currency)
        if a.revenue_last_year is not None and a.revenue_last_year_base is None:
            missing_rates[group_of[a.pk]].add(a.currency)
        rollup.companies.append(
            GroupCompany(
                account=a,
                is_group=a.pk == group_of[a.pk],
                box=a.box,
                revenue=a.revenue_last_year_base,
                pnl_revenue=_to_base(ledger, latest.revenue if latest else None),
                cost_to_serve=_to_base(ledger, latest.cost_to_serve if latest else None),
                contribution=_to_base(ledger, latest.contribution if latest else None),
                plan=plans.get(a.pk),
            )
        )
    for pk, rollup in rollups.items():
        # the group's own account first, then its companies by name
        rollup.companies.sort(key=lambda c: (not c.is_group, c.account.name.casefold()))
        rollup.missing_rates = sorted(missing_rates[pk])
    return sorted(rollups.values(), key=lambda r: (r.group.name.casefold(), r.group.pk))


def group_rollup_get(
    *,
    user: User | AnonymousUser,
    group_id: int,
    review: Review | bool | None = True,
    as_of: dt.date | None = None,
) -> GroupRollup:
    """The group ``group_id`` with the companies ``user`` may see, rolled up; 404 when it is
    no group or ``user`` sees none of its companies (as a hidden account answers)."""
    found = group_rollups(user=user, group_id=group_id, review=review, as_of=as_of)
    rollup = next((r for r in found if r.group.pk == group_id), None)
    if rollup is None:
        raise ApplicationError(_("There is no such group."), status=404)
    return rollup
