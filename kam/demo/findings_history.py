"""The demo's findings and stages over time (``kam.demo``, after every other loader).

kam keeps findings and stages from the day it is installed; a freshly loaded demo would
have none in the past. So the loader brings the findings store up to date as the recorded
contacts and activities stood a year ago, then four months ago, then today
(``findings_refresh`` with those dates: a finding found a year ago and not four months ago
was resolved four months ago), and dates the stage records those refreshes wrote to their
day. Nothing is invented: each step is what kam computes from the demo's own activities up
to that day.
"""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.utils import timezone
from django.utils.translation import gettext as _

from kam.relationships.findings_store import findings_refresh
from kam.relationships.models import AccountRelationship, FindingRecord

#: days before today of the past refreshes, oldest first
STEPS_DAYS = (365, 120)


def demo_findings_history(*, today: dt.date, stdout: TextIO) -> None:
    """Refresh the findings store at the past steps and today (see the module docstring)."""
    history = AccountRelationship.history.model
    for days in (*STEPS_DAYS, 0):
        day = today - dt.timedelta(days=days)
        last = history.objects.order_by("-history_id").values_list("history_id", flat=True).first()
        findings_refresh(as_of=day)
        if days:
            when = timezone.make_aware(dt.datetime.combine(day, dt.time(6, 0)))
            history.objects.filter(history_id__gt=last or 0).update(history_date=when)
            AccountRelationship.objects.filter(inferred_at__gt=when).update(inferred_at=when)
    opened = FindingRecord.objects.count()
    resolved = FindingRecord.objects.filter(resolved_on__isnull=False).count()
    stdout.write(
        _(
            "Findings over time: %(opened)d findings recorded since a year ago, %(resolved)d "
            "of them resolved since."
        )
        % {"opened": opened, "resolved": resolved}
        + "\n"
    )
