"""E-mail sending as jobs (django-tasks): queued on commit, run by the job runner.

Arguments are primary keys and ISO dates (jobs are stored as JSON). The periodic ones,
``send_digests`` and ``send_due_reminders``, are named in settings.KAM_PERIODIC_TASKS;
``kam manage send_digest`` and ``kam manage send_reminders`` do the same work for cron.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from kam.notifications import services


def _day(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso) if iso else None


@task()
def send_invitations(review_id: int, rater_ids: list[int]) -> int:
    """Invite the raters of a review that opened."""
    return services.invitations_send(review_id=review_id, rater_ids=rater_ids)


@task()
def send_reminders(
    review_id: int, today: str | None = None, rater_ids: list[int] | None = None
) -> int:
    """Remind the raters of one review who have not finished (the button)."""
    return services.reminders_send(review_id=review_id, today=_day(today), rater_ids=rater_ids)


@task()
def send_due_reminders(today: str | None = None) -> int:
    """Periodic: remind the raters behind in every open review."""
    return services.reminders_send_all(today=_day(today))


@task()
def send_digests(today: str | None = None) -> int:
    """Periodic: every person's weekly digest of overdue and coming actions."""
    return services.digests_send_all(today=_day(today))


@task()
def send_customer_updates(recipient_id: int) -> bool:
    """Tell a key account manager what customers changed in the last minutes."""
    return services.customer_updates_send(recipient_id=recipient_id)
