"""The account P&Ls stored: ``LedgerStored`` rows kept equal to ``ledgers_build``.

``kam.economics.pnl.ledgers_build`` computes every account's P&L per period from the invoice
lines' totals, the activities' person-hours × each person's hourly cost, the cost-to-serve
items, the exchange rates and the organisation's discount rate. At 10,000 accounts that
takes seconds, so the pages that show many accounts at once (the portfolio economics page,
``GET /api/economics/boxes``, the start page's contribution alerts, the groups) read the
stored rows through ``ledgers_read``, the one selector of the account P&L.

``ledgers_read`` is never stale: an account whose inputs changed since its rows were stored
is marked (``LedgerDirty``, written in the same transaction as the change) and computed the
slow way until the ``ledger_refresh`` job has stored it again; a mark for every account (an
exchange rate, an hourly cost, the discount rate, the invoice lines), another day or another
version of the transaction store make it compute every account (the figures are the same,
only slower). The investments' returns are always computed on reading, from the periods.

The store is refreshed

- by a job (kind ``ledger_refresh``) that a change of an input enqueues once its transaction
  commits (one job waiting at a time; it handles every mark present when it starts);
- by the nightly task ``ledger_refresh_all`` (KAM_PERIODIC_TASKS: the periods move with the
  date) and by the end of a transaction import or removal;
- by the demo loader, after it has written the demo.

docs/economics.md, "The portfolio economics page".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from kam.accounts.models import Account
from kam.core import economics as core
from kam.economics import pnl
from kam.economics.lines import (
    Period,
    periods_for,
    store_fingerprint,
    store_get,
    store_totals_stored,
)
from kam.economics.models import Investment, LedgerDirty, LedgerSnapshot, LedgerStored
from kam.economics.pnl import (
    AccountLedger,
    CostBreakdown,
    LatestFigures,
    PeriodPnl,
    investment_result,
)
from kam.organisation.selectors import organisation_get

JOB_KIND = "ledger_refresh"
#: rows written per INSERT
BATCH = 2000

_VALUES = (
    "revenue",
    "cost_of_goods",
    "payment_days",
    "team",
    "team_hours",
    "logistics",
    "service",
    "rebates",
    "payment_terms",
    "payment_financing",
    "other",
)
#: the stored values ``LatestFigures.from_stored`` takes, in its order (all but payment days)
_LATEST_VALUES = tuple(v for v in _VALUES if v != "payment_days")


# --- writing --------------------------------------------------------------------------------


def _rows(ledgers: Iterable[AccountLedger], as_of: dt.date) -> list[LedgerStored]:
    out = []
    for ledger in ledgers:
        for p in ledger.periods:
            c = p.costs
            out.append(
                LedgerStored(
                    account_id=ledger.account.pk,
                    as_of=as_of,
                    period=p.period.index,
                    currency=ledger.currency,
                    rate_to_base=ledger.rate_to_base,
                    revenue=p.revenue,
                    cost_of_goods=p.cost_of_goods,
                    payment_days=p.payment_days,
                    team=c.team,
                    team_hours=c.team_hours,
                    logistics=c.logistics,
                    service=c.service,
                    rebates=c.rebates,
                    payment_terms=c.payment_terms,
                    payment_financing=c.payment_financing,
                    other=c.other,
                )
            )
    return out


def ledgers_store(*, as_of: dt.date | None = None, progress: Any = None) -> int:
    """Store the P&L of the accounts marked changed (every account when one mark says so,
    or when nothing is stored for ``as_of`` (today) and this version of the store) and
    remove the marks handled. The number of accounts stored."""
    as_of = as_of or timezone.localdate()
    store = store_get()
    fingerprint = store_fingerprint(store)
    upto = LedgerDirty.objects.aggregate(m=Max("pk"))["m"] or 0
    marks = LedgerDirty.objects.filter(pk__lte=upto)
    snapshot = LedgerSnapshot.objects.filter(as_of=as_of, fingerprint=fingerprint).first()
    everything = snapshot is None or marks.filter(account_id__isnull=True).exists()
    if everything:
        query = Account.objects.all()
    else:
        # no mark without an account here (that one marks everything)
        ids = cast(set[int], set(marks.values_list("account_id", flat=True)))
        query = Account.objects.filter(pk__in=ids)
    accounts = list(query.only("pk", "external_id", "currency").order_by("pk"))
    totals = store_totals_stored(
        store=store,
        as_of=as_of,
        external_ids=None if everything else [a.external_id for a in accounts],
    )
    ledgers = pnl.ledgers_build(
        accounts=accounts,
        as_of=as_of,
        with_investments=False,
        totals=totals,
        account_query=query if everything else None,
    )
    if progress is not None:
        progress(60)
    rows = _rows(ledgers, as_of)
    with transaction.atomic():
        if everything:
            LedgerStored.objects.all().delete()
            LedgerSnapshot.objects.all().delete()
            LedgerSnapshot.objects.create(
                as_of=as_of, fingerprint=fingerprint, first_day=totals.first_day
            )
        else:
            LedgerStored.objects.filter(
                as_of=as_of, account_id__in=[a.pk for a in accounts]
            ).delete()
        LedgerStored.objects.bulk_create(rows, batch_size=BATCH)
        marks.delete()
    return len(accounts)


# --- reading --------------------------------------------------------------------------------


def _ledger_from_rows(account: Account, rows: list[tuple[Any, ...]], periods: list[Any]) -> Any:
    """The ledger of ``account`` over ``periods`` from its stored rows (period, currency,
    rate, then ``_VALUES``); None when they do not hold every one of ``periods``. The values
    were checked when they were computed, so they are not checked again."""
    by_period = {r[0]: r for r in rows}
    out = []
    for p in periods:
        r = by_period.get(p.index)
        if r is None:
            return None
        costs = CostBreakdown(r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13])
        pnl_row = core.AccountPnl(r[3], r[4], costs.core())
        out.append(PeriodPnl(period=p, pnl=pnl_row, costs=costs, payment_days=r[5]))
    first = rows[0]
    return AccountLedger(account=account, currency=first[1], rate_to_base=first[2], periods=out)


def ledgers_read(
    *,
    accounts: Iterable[Account],
    as_of: dt.date,
    with_investments: bool = True,
    account_query: QuerySet[Account] | None = None,
    last: int | None = None,
) -> list[AccountLedger]:
    """The P&L per period (and each investment's return) of ``accounts`` at ``as_of``: the
    same ledgers as ``ledgers_build``, read from the store for the accounts stored and not
    changed since, computed for the others. A fixed number of queries.

    ``last``: only the latest ``last`` periods are needed (the by-box comparison needs one,
    the contribution alerts two); an account with investments still gets every period,
    which its investments' returns need, and a computed one may get them all."""
    accounts = list(accounts)
    if not accounts:
        return []
    store = store_get()
    snapshot = LedgerSnapshot.objects.filter(as_of=as_of).first()
    if (
        snapshot is None
        or snapshot.fingerprint != store_fingerprint(store)
        or LedgerDirty.objects.filter(account_id__isnull=True).exists()
    ):
        return pnl.ledgers_build(
            accounts=accounts,
            as_of=as_of,
            with_investments=with_investments,
            account_query=account_query,
        )
    ids: list[int] | QuerySet[Any] = [a.pk for a in accounts]
    if account_query is not None:
        ids = account_query.order_by().values("pk")
    investments: list[Investment] = []
    if with_investments:
        investments = list(Investment.objects.filter(account_id__in=ids).order_by("date", "pk"))
    invested = {inv.account_id for inv in investments}
    periods = periods_for(as_of=as_of, first_day=snapshot.first_day)
    wanted = periods if last is None else periods[-last:]
    # every changed account's mark (few, deleted by the refresh job): no list of thousands of
    # account ids to send, and ``dirty`` is only asked about the accounts read
    dirty = set(
        LedgerDirty.objects.filter(account_id__isnull=False).values_list("account_id", flat=True)
    )
    rows = LedgerStored.objects.filter(as_of=as_of, account_id__in=ids)
    if len(wanted) < len(periods):
        rows = rows.filter(Q(period__gte=wanted[0].index) | Q(account_id__in=sorted(invested)))
    stored: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows.values_list("account_id", "period", "currency", "rate_to_base", *_VALUES):
        stored[row[0]].append(row[1:])
    ledgers: dict[int, AccountLedger] = {}
    missing = []
    for account in accounts:
        ledger = None
        if account.pk not in dirty and account.pk in stored:
            ledger = _ledger_from_rows(
                account, stored[account.pk], periods if account.pk in invested else wanted
            )
        if ledger is None:
            missing.append(account)
        else:
            ledgers[account.pk] = ledger
    if missing:
        for ledger in pnl.ledgers_build(accounts=missing, as_of=as_of, with_investments=False):
            ledgers[ledger.account.pk] = ledger
    if investments:
        annual_rate = float(organisation_get().discount_rate)
        for inv in investments:
            ledger = ledgers.get(inv.account_id)
            if ledger is not None:
                ledger.investments.append(
                    investment_result(ledger=ledger, investment=inv, annual_rate=annual_rate)
                )
    return [ledgers[a.pk] for a in accounts]


@dataclass(frozen=True)
class LatestRead:
    """The latest period of many accounts (``ledgers_latest_read``): the accounts as (id,
    external id) in the order of their query, the latest figures of each account that has a
    period, and that period (None without accounts)."""

    accounts: list[tuple[int, str]]
    figures: dict[int, LatestFigures]
    period: Period | None


def ledgers_latest_read(*, account_query: QuerySet[Account], as_of: dt.date) -> LatestRead:
    """The latest period of the accounts of ``account_query`` at ``as_of``, as
    ``ledgers_read(…, last=1)`` reads it but without building a ledger per account
    (``ledgers_recent_read`` of one period). A fixed number of queries; the by-box
    comparison at 10,000 accounts reads 10,000 rows of numbers instead of building 10,000
    ledgers. docs/method.md section 6, "By box"."""
    accounts = list(account_query.values_list("pk", "external_id"))
    if not accounts:
        return LatestRead(accounts=[], figures={}, period=None)
    recent = ledgers_recent_read(
        account_query=account_query,
        account_ids=[pk for pk, _external_id in accounts],
        as_of=as_of,
        last=1,
    )
    return LatestRead(
        accounts=accounts,
        figures={pk: figures[-1] for pk, figures in recent.figures.items()},
        period=recent.periods[-1] if recent.periods else None,
    )


@dataclass(frozen=True)
class RecentRead:
    """The latest periods of many accounts (``ledgers_recent_read``): the periods, oldest
    first, and per account the figures of each of them in that order (an account without
    them is left out)."""

    periods: list[Period]
    figures: dict[int, list[LatestFigures]]


def ledgers_recent_read(
    *, account_query: QuerySet[Account], account_ids: list[int], as_of: dt.date, last: int
) -> RecentRead:
    """The latest ``last`` periods of the accounts of ``account_query`` (whose ids are
    ``account_ids``) at ``as_of``, as ``ledgers_read(…, last=last)`` reads them but without
    building a ledger per account: the stored values of those periods turned into
    ``LatestFigures`` (the same numbers to the last bit); the accounts changed since they
    were stored, or without every one of those periods stored, computed. When nothing
    usable is stored every account is computed (``ledgers_build``). A fixed number of
    queries: the contribution alerts compare two periods of every key and key development
    account, the by-box comparison reads one of every account."""
    store = store_get()
    snapshot = LedgerSnapshot.objects.filter(as_of=as_of).first()
    if (
        snapshot is None
        or snapshot.fingerprint != store_fingerprint(store)
        or LedgerDirty.objects.filter(account_id__isnull=True).exists()
    ):
        ledgers = pnl.ledgers_build(
            accounts=account_query.only("pk", "external_id", "currency"),
            as_of=as_of,
            with_investments=False,
            account_query=account_query,
        )
        return _recent_of(ledgers, last)
    periods = periods_for(as_of=as_of, first_day=snapshot.first_day)[-last:]
    dirty = set(
        LedgerDirty.objects.filter(account_id__isnull=False).values_list("account_id", flat=True)
    )
    rows = LedgerStored.objects.filter(
        as_of=as_of,
        period__gte=periods[0].index,
        account_id__in=account_query.order_by().values("pk"),
    ).values_list("account_id", "period", "currency", "rate_to_base", *_LATEST_VALUES)
    by_account: dict[int, dict[int, LatestFigures]] = defaultdict(dict)
    for row in rows:
        if row[0] not in dirty:
            by_account[row[0]][row[1]] = LatestFigures.from_stored(row[0], *row[2:])
    figures: dict[int, list[LatestFigures]] = {}
    for pk, stored in by_account.items():
        if all(p.index in stored for p in periods):
            figures[pk] = [stored[p.index] for p in periods]
    missing = [pk for pk in account_ids if pk not in figures]
    if missing:
        computed = _recent_of(
            pnl.ledgers_build(
                accounts=Account.objects.filter(pk__in=missing).only(
                    "pk", "external_id", "currency"
                ),
                as_of=as_of,
                with_investments=False,
            ),
            last,
        )
        figures.update(computed.figures)
    return RecentRead(periods=periods, figures=figures)


def _recent_of(ledgers: Iterable[AccountLedger], last: int) -> RecentRead:
    """The latest ``last`` periods of computed ledgers (the periods: the first ledger's)."""
    figures: dict[int, list[LatestFigures]] = {}
    periods: list[Period] = []
    for ledger in ledgers:
        recent = ledger.periods[-last:]
        if recent:
            figures[ledger.account.pk] = [LatestFigures.of_period(ledger, p) for p in recent]
            periods = periods or [p.period for p in recent]
    return RecentRead(periods=periods, figures=figures)


def ledgers_refreshing() -> bool:
    """True while some change waits for the ``ledger_refresh`` job (the pages then compute
    the changed accounts themselves, so they say why they may be slower)."""
    return LedgerDirty.objects.exists()


# --- keeping the store fresh ----------------------------------------------------------------


def ledgers_dirty(*, account_ids: Iterable[int | None] | None) -> None:
    """Mark the stored P&L of ``account_ids`` (None: every account) changed, in the current
    transaction, and refresh it in a job once the transaction commits (one job per
    transaction)."""
    if account_ids is None:
        marks = [LedgerDirty(account_id=None)]
    else:
        marks = [LedgerDirty(account_id=int(i)) for i in sorted({i for i in account_ids if i})]
    if not marks:
        return
    LedgerDirty.objects.bulk_create(marks)
    from kam.jobs.services import enqueue_after_commit

    enqueue_after_commit(JOB_KIND, ledger_refresh_enqueue)


def ledger_refresh_enqueue(*, all_accounts: bool = False, user: Any = None) -> Any:
    """One ``ledger_refresh`` job; a job of that kind still waiting in the queue is enough
    (it handles every mark present when it starts). ``all_accounts`` marks every account."""
    from kam.jobs.services import job_enqueue, job_waiting

    with transaction.atomic():
        if all_accounts:
            LedgerDirty.objects.create(account_id=None)
        waiting = job_waiting(kind=JOB_KIND)
        if waiting is not None:
            return waiting
        return job_enqueue(kind=JOB_KIND, user=user, object_id=None)


def ledger_job_stopped(*, object_id: int | None, reason: str, cancelled: bool) -> None:
    """A refresh keeps no row of its own: its marks stay, so the pages keep computing the
    accounts it did not store (and the next refresh stores them)."""


def ledger_job_retry(*, user: Any, object_id: int | None) -> None:
    """A refresh may always run again (it stores what is marked, or everything)."""


# --- the inputs that change the P&L ---------------------------------------------------------


def _account_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # fixtures and restores
    account_id = getattr(instance, "account_id", None)
    if account_id is None and hasattr(instance, "activity_id"):
        from kam.activities.models import Activity

        account_id = (
            Activity.objects.filter(pk=instance.activity_id)
            .values_list("account_id", flat=True)
            .first()
        )
    ledgers_dirty(account_ids=[account_id, getattr(instance, "_ledger_old_account", None)])


def _activity_before(sender: Any, instance: Any, **kwargs: Any) -> None:
    """An activity moved to another account changes the old account's P&L too."""
    if kwargs.get("raw") or instance.pk is None:
        return
    instance._ledger_old_account = (
        sender.objects.filter(pk=instance.pk).values_list("account_id", flat=True).first()
    )


def _account_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    # a new account is stored by the next refresh; a changed one may have another currency
    # or external id
    ledgers_dirty(account_ids=[instance.pk])


def _everything_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    ledgers_dirty(account_ids=None)


def _profile_before(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw") or instance.pk is None:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("hourly_cost", flat=True).first()
    instance._ledger_cost_changed = old != instance.hourly_cost


def _profile_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    if getattr(instance, "_ledger_cost_changed", False):
        ledgers_dirty(account_ids=None)  # the hourly cost counts in every account's team cost


def _organisation_before(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw") or instance.pk is None:
        return
    old = (
        sender.objects.filter(pk=instance.pk).values_list("discount_rate", "base_currency").first()
    )
    instance._ledger_changed = old != (instance.discount_rate, instance.base_currency)


def _organisation_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    if getattr(instance, "_ledger_changed", False):
        ledgers_dirty(account_ids=None)


def _activities_bulk_created(sender: Any, account_ids: Iterable[int | None], **kwargs: Any) -> None:
    ledgers_dirty(account_ids=account_ids)


def connect() -> None:
    """Connect the signals of the stored P&L's inputs (from ``EconomicsConfig.ready``).
    Bulk writes of activities (the activities and calendar imports) send
    ``activities_bulk_created``; other writes that send no signal (``bulk_create`` of cost
    items, the demo) call ``ledgers_dirty`` themselves."""
    from django.db.models.signals import post_delete, post_save, pre_save

    from kam.activities.models import Activity, ActivityParticipant
    from kam.activities.signals import activities_bulk_created
    from kam.economics.models import CostToServeItem
    from kam.organisation.models import ExchangeRate, Organisation
    from kam.users.models import Profile

    for model in (Activity, ActivityParticipant, CostToServeItem):
        uid = f"kam-ledger-{model.__name__}"
        post_save.connect(_account_changed, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_account_changed, sender=model, dispatch_uid=uid + "-delete")
    pre_save.connect(_activity_before, sender=Activity, dispatch_uid="kam-ledger-activity-pre")
    activities_bulk_created.connect(_activities_bulk_created, dispatch_uid="kam-ledger-bulk")
    post_save.connect(_account_saved, sender=Account, dispatch_uid="kam-ledger-account")
    for rate_model in (ExchangeRate,):
        post_save.connect(
            _everything_changed, sender=rate_model, dispatch_uid="kam-ledger-rate-save"
        )
        post_delete.connect(
            _everything_changed, sender=rate_model, dispatch_uid="kam-ledger-rate-del"
        )
    pre_save.connect(_profile_before, sender=Profile, dispatch_uid="kam-ledger-profile-pre")
    post_save.connect(_profile_saved, sender=Profile, dispatch_uid="kam-ledger-profile")
    pre_save.connect(_organisation_before, sender=Organisation, dispatch_uid="kam-ledger-org-pre")
    post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid="kam-ledger-org")
