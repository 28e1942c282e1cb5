"""The actual-time page's sums stored: ``HoursStored`` rows kept equal to the live sums.

The actual-time page (docs/activities.md, "Actual time") sums the person-minutes of a
period per box, per account and per person. At 10,000 accounts its default period, the
twelve months up to today, holds some 200,000 participations, and summing them takes most
of a second. So for that period, and for the readers of every account (who see every
account's hours), the page reads the minutes per account and per person stored here
(``kam.activities.selectors.actual_time_overview``); the boxes are those of the review
it shows, joined when the page is read. Every other period, and a reader of some accounts
only, is summed from the participations as before.

The store is never stale: a change of an activity or a participation writes a
``HoursDirty`` mark in the same transaction, and while a mark exists the page sums the
participations itself (the same figures, only slower); nothing stored for today (the
period moves with the date) has the same effect.

The store is refreshed

- by a job (kind ``hours_refresh``) that a change enqueues once its transaction commits
  (one job waiting at a time; it handles every mark present when it starts);
- by the nightly task ``hours_refresh_all`` (KAM_PERIODIC_TASKS: the period moves with
  the date);
- by the demo loader, after it has written the demo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from kam.activities.models import HoursDirty, HoursSnapshot, HoursStored
from kam.activities.selectors import minutes_by_account_and_person, period_start_default

JOB_KIND = "hours_refresh"
#: rows written per INSERT
BATCH = 2000


def hours_store(*, as_of: dt.date | None = None) -> int:
    """Store the person-minutes per account and per person of the twelve months up to
    ``as_of`` (today) in place of what was stored, and remove the marks that were present
    when it started. The number of accounts with hours."""
    as_of = as_of or timezone.localdate()
    start = period_start_default(as_of)
    # the marks written before the sums are read: a change committed later keeps its mark
    upto = HoursDirty.objects.aggregate(m=Max("pk"))["m"] or 0
    rows = minutes_by_account_and_person(start=start, end=as_of)
    per_account: dict[int, int] = {}
    per_person: dict[int, int] = {}
    for account, person, minutes in rows:
        per_account[account] = per_account.get(account, 0) + minutes
        per_person[person] = per_person.get(person, 0) + minutes
    with transaction.atomic():
        HoursSnapshot.objects.all().delete()
        snapshot = HoursSnapshot.objects.create(as_of=as_of, start=start)
        HoursStored.objects.bulk_create(
            [
                *(
                    HoursStored(snapshot=snapshot, account_id=a, minutes=m)
                    for a, m in sorted(per_account.items())
                ),
                *(
                    HoursStored(snapshot=snapshot, user_id=u, minutes=m)
                    for u, m in sorted(per_person.items())
                ),
            ],
            batch_size=BATCH,
        )
        HoursDirty.objects.filter(pk__lte=upto).delete()
    return len(per_account)


# --- keeping the store fresh ----------------------------------------------------------------


def hours_dirty() -> None:
    """Mark the stored sums changed, in the current transaction, and store them again in a
    job once the transaction commits (one job per transaction)."""
    HoursDirty.objects.create()
    from kam.jobs.services import enqueue_after_commit

    enqueue_after_commit(JOB_KIND, hours_refresh_enqueue)


def hours_refresh_enqueue(*, user: Any = None) -> Any:
    """One ``hours_refresh`` job; a job of that kind still waiting in the queue is enough
    (it handles every mark present when it starts)."""
    from kam.jobs.services import job_enqueue, job_waiting

    with transaction.atomic():
        waiting = job_waiting(kind=JOB_KIND)
        if waiting is not None:
            return waiting
        return job_enqueue(kind=JOB_KIND, user=user, object_id=None)


def hours_job_stopped(*, object_id: int | None, reason: str, cancelled: bool) -> None:
    """A refresh keeps no row of its own: its marks stay, so the page keeps summing the
    participations itself until the next refresh."""


def hours_job_retry(*, user: Any, object_id: int | None) -> None:
    """A refresh may always run again (it stores everything)."""


# --- the inputs that change the sums -------------------------------------------------------


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # fixtures and restores: the stored rows come with them
    hours_dirty()


def _bulk_created(sender: Any, account_ids: Iterable[int | None], **kwargs: Any) -> None:
    hours_dirty()


def connect() -> None:
    """Mark the store changed when an activity or a participation is saved or deleted, and
    when activities are written in bulk (``activities_bulk_created``; from
    ``ActivitiesConfig.ready``). Other bulk writes of activities (the demo) store again
    themselves."""
    from django.db.models.signals import post_delete, post_save

    from kam.activities.models import Activity, ActivityParticipant
    from kam.activities.signals import activities_bulk_created

    for model in (Activity, ActivityParticipant):
        uid = f"kam-hours-{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=uid + "-delete")
    activities_bulk_created.connect(_bulk_created, dispatch_uid="kam-hours-bulk")
