"""The findings over time: ``FindingRecord`` rows kept equal to the computed findings.

Findings are computed from the contacts, links, activities, team and box
(``kam.relationships.selectors.load``, which reads the meetings and the plan markers
through ``kam.relationships.sources``, and ``kam.core.relationships.findings``); they have
no dates of their own. ``findings_refresh`` compares what is found today with the open records:
a new finding opens a record dated today, a finding no longer found is resolved today, one
still found keeps its opening day (its severity and wording follow the latest computation).
So after a refresh the open records equal the computed findings of the active accounts;
the account history reads the opened and resolved days from here. The same refresh
stores the inferred stage (``stage_inferred_store``), so the stage's history (the
``AccountRelationship`` history records) moves when the stage moves, not only when somebody
opens the relationships page.

The store is refreshed

- by a job (kind ``findings_refresh``) that the signals below enqueue once the transaction
  that changed a contact, link, activity, team, relationship or review commits (one job per
  transaction; a job still waiting in the queue takes the new accounts on);
- by the periodic task ``findings_refresh_all`` (KAM_PERIODIC_TASKS, daily: findings also
  change with time, e.g. a contact not met within the review cadence);
- by the demo loader, after it has written the demo.

docs/relationships.md, "Findings over time".
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from kam.accounts.models import Account
from kam.core import relationships as core
from kam.core.finding_cost import finding_cost
from kam.relationships.models import FindingRecord

#: accounts loaded per batch (``load`` costs a fixed number of queries per batch)
BATCH = 200
JOB_KIND = "findings_refresh"


@dataclass(frozen=True)
class RefreshResult:
    """What one refresh did: accounts checked, records opened and resolved."""

    accounts: int
    opened: int
    resolved: int


def finding_kind_labels() -> dict[str, str]:
    """Each finding kind's name as the pages show it (the findings page, the history)."""
    from django.utils.translation import gettext as _

    return {
        core.FindingKind.UNCOVERED_DECIDER: _("Decider or influencer not covered"),
        core.FindingKind.BOW_TIE: _("Bow-tie (single-threaded)"),
        core.FindingKind.CHAMPION_LEFT: _("Champion left"),
        core.FindingKind.NOT_MET: _("Not met within the cadence"),
        core.FindingKind.MISSING_FUNCTION: _("Function missing from the team"),
    }


def why_to_json(message: core.Message) -> dict[str, Any]:
    """A finding's ``why`` (or ``resolve``) as stored: the English template, its
    parameters and labels."""
    return {
        "template": message.template,
        "params": {
            k: v if isinstance(v, int | float) else str(v) for k, v in message.params.items()
        },
        "labels": sorted(message.labels),
    }


def findings_refresh(
    *,
    account_ids: Iterable[int] | None = None,
    as_of: dt.date | None = None,
    progress: Any = None,
) -> RefreshResult:
    """Bring the records of the active accounts in ``account_ids`` (all when None) in line
    with their computed findings at ``as_of`` (today). ``progress(percent)`` is called after
    each batch when given."""
    from kam.relationships.selectors import load
    from kam.relationships.services import stage_inferred_store

    as_of = as_of or timezone.localdate()
    accounts = Account.objects.filter(active=True)
    if account_ids is not None:
        accounts = accounts.filter(pk__in=list(account_ids))
    ids = list(accounts.order_by("pk").values_list("pk", flat=True))
    opened = resolved = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        data = load(Account.objects.filter(pk__in=chunk), as_of=as_of)
        with transaction.atomic():
            open_rows: dict[int, dict[tuple[str, str], FindingRecord]] = {i: {} for i in chunk}
            for row in FindingRecord.objects.select_for_update().filter(
                account_id__in=chunk, resolved_on__isnull=True
            ):
                open_rows[row.account_id][(row.kind, row.subject)] = row
            new: list[FindingRecord] = []
            for d in data:
                current = open_rows[d.account.pk]
                found = {(str(f.kind), f.subject or ""): f for f in d.findings}
                for key, f in found.items():
                    stored = current.get(key)
                    why = why_to_json(f.why)
                    resolve = why_to_json(f.resolve)
                    cost = finding_cost(box=d.box, severity=f.severity)
                    if stored is None:
                        new.append(
                            FindingRecord(
                                account_id=d.account.pk,
                                kind=key[0],
                                subject=key[1],
                                severity=f.severity,
                                why=why,
                                resolve=resolve,
                                opened_on=as_of,
                                box=d.box,
                                cost=cost,
                            )
                        )
                    elif (
                        stored.severity != f.severity
                        or stored.why != why
                        or stored.resolve != resolve
                        or stored.box != d.box
                        or stored.cost != cost
                    ):
                        stored.severity, stored.why, stored.resolve = f.severity, why, resolve
                        stored.box, stored.cost = d.box, cost
                        stored.save(
                            update_fields=[
                                *("severity", "why", "resolve", "box", "cost", "refreshed_at")
                            ]
                        )
                for key, row in current.items():
                    if key not in found:
                        # a finding cannot be resolved before the day it opened
                        row.resolved_on = max(as_of, row.opened_on)
                        row.save(update_fields=["resolved_on", "refreshed_at"])
                        resolved += 1
                if d.stage is not None:
                    stage = d.stage.stage.value
                    rel = d.relationship
                    if rel is None or rel.inferred_stage != stage:
                        stage_inferred_store(account=d.account, stage=stage)
            FindingRecord.objects.bulk_create(new)
            opened += len(new)
        if progress is not None:
            progress(min(99, round(100 * (start + len(chunk)) / len(ids))))
    return RefreshResult(accounts=len(ids), opened=opened, resolved=resolved)


# --- the box and cost of the open findings ---------------------------------------------------


def findings_boxes_store() -> int:
    """Write the box of the portfolio review (``portfolio.selectors.portfolio_review``) and
    the cost at that box (``kam.core.finding_cost``) onto every open finding: two UPDATE
    statements, whatever the number of findings. Called in the transaction that closes,
    changes or deletes a closed review (the signals below; a review's placements are
    written by ``review_compute`` before the review is saved closed, and never change
    after), so the stored values never lag the boxes; the refresh writes them on the rows
    it opens or updates. Returns the number of findings written."""
    from django.db.models import Case, F, IntegerField, OuterRef, Subquery, Value, When
    from django.db.models.functions import Coalesce

    from kam.core import finding_cost as costs
    from kam.portfolio.models import Placement
    from kam.portfolio.selectors import portfolio_review

    records = FindingRecord.objects.filter(resolved_on__isnull=True)
    review = portfolio_review()
    box: Any = Value("")
    if review is not None:
        box = Coalesce(
            Subquery(
                Placement.objects.filter(review=review, account_id=OuterRef("account_id")).values(
                    "box"
                )[:1]
            ),
            Value(""),
        )
    n = records.update(box=box)
    weight = Case(
        *[When(box=b, then=Value(w)) for b, w in costs.BOX_WEIGHT.items()],
        default=Value(costs.UNPLACED_WEIGHT),
        output_field=IntegerField(),
    )
    records.update(cost=weight * F("severity"))
    return n


def _portfolio_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A review was closed, changed or deleted: the portfolio review may be another one."""
    from kam.portfolio.models import ReviewStatus

    if kwargs.get("raw") or instance.status != ReviewStatus.CLOSED:
        return
    findings_boxes_store()


# --- keeping the store fresh ------------------------------------------------------------------

_pending = threading.local()
ALL = "all"


def findings_refresh_later(*, account_ids: Iterable[int] | None) -> None:
    """Refresh the findings of ``account_ids`` (None: every account) in a job, once the
    current transaction commits. Calls within one transaction make one job."""
    pending: set[Any] = getattr(_pending, "ids", None) or set()
    _pending.ids = pending
    if account_ids is None:
        pending.add(ALL)
    else:
        pending.update(int(i) for i in account_ids if i is not None)
    transaction.on_commit(_flush)


def _flush() -> None:
    pending: set[Any] = getattr(_pending, "ids", None) or set()
    if not pending:
        return
    _pending.ids = set()
    ids = None if ALL in pending else sorted(pending)
    findings_refresh_enqueue(account_ids=ids)


def findings_refresh_enqueue(*, account_ids: list[int] | None, user: Any = None) -> Any:
    """One ``findings_refresh`` job for ``account_ids`` (None: all); a job of that kind still
    waiting in the queue takes them on instead."""
    from kam.jobs.services import job_enqueue, job_waiting

    with transaction.atomic():
        waiting = job_waiting(kind=JOB_KIND)
        if waiting is not None:
            have = waiting.arguments.get("account_ids")
            if have is not None:
                merged = None if account_ids is None else sorted({*have, *account_ids})
                waiting.arguments = {"account_ids": merged}
                waiting.save(update_fields=["arguments"])
            return waiting
    return job_enqueue(
        kind=JOB_KIND, user=user, object_id=None, arguments={"account_ids": account_ids}
    )


def findings_job_stopped(*, object_id: int | None, reason: str, cancelled: bool) -> None:
    """A refresh keeps no row of its own: nothing to mark when it stops."""


def findings_job_retry(*, user: Any, object_id: int | None) -> None:
    """A refresh may always run again (it compares, so running twice changes nothing)."""


# --- the inputs that change findings ------------------------------------------------------------


def _account_of(instance: Any) -> int | None:
    for attr in ("account_id",):
        if getattr(instance, attr, None):
            return int(getattr(instance, attr))
    contact = getattr(instance, "contact", None)
    if contact is not None:
        return int(contact.account_id)
    activity = getattr(instance, "activity", None)
    if activity is not None:
        return int(activity.account_id)
    return None


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # fixtures and restores: the restore refreshes as a whole
    account_id = _account_of(instance)
    if account_id is not None:
        findings_refresh_later(account_ids=[account_id])


def _review_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    from kam.portfolio.models import ReviewStatus

    if kwargs.get("raw"):
        return
    if instance.status == ReviewStatus.CLOSED and instance.computed_at is not None:
        findings_refresh_later(account_ids=None)  # the boxes change: every account


def _contacts_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        _changed(sender, instance)


def inputs_connect(*, models: Iterable[type[Model]], m2m: Iterable[Any] = ()) -> None:
    """Refresh an account's findings when a row of ``models`` (with an account, a contact
    or an activity) or a many-to-many table of ``m2m`` changes: the apps above
    relationships whose rows are inputs (activities) call this in their app config."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for model in models:
        uid = f"kam-findings-{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=uid + "-delete")
    for through in m2m:
        uid = f"kam-findings-{through.__name__}-m2m"
        m2m_changed.connect(_contacts_changed, sender=through, dispatch_uid=uid)


def connect() -> None:
    """Connect the signals of the findings' inputs in relationships and below (from
    ``RelationshipsConfig.ready``; activities connect theirs with ``inputs_connect``)."""
    from django.db.models.signals import post_delete, post_save

    from kam.accounts.models import AccountTeamMember
    from kam.portfolio.models import Review
    from kam.relationships.models import Contact, ContactLink

    inputs_connect(models=(Contact, ContactLink, AccountTeamMember))
    post_save.connect(_review_changed, sender=Review, dispatch_uid="kam-findings-review")
    # the box and cost of the open findings follow the portfolio review at once
    post_save.connect(_portfolio_changed, sender=Review, dispatch_uid="kam-findings-boxes")
    post_delete.connect(_portfolio_changed, sender=Review, dispatch_uid="kam-findings-boxes-del")
