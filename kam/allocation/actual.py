"""Planned against actual (docs/method.md section 2): where the hours went, from the
activities logged (``kam.activities``), next to where the plan puts them.

Actual hours are person-hours of activities on the accounts the reader can see. Inside
the period, the window runs from its first day to today (or its last day); before the
period has started, it is the twelve months up to today, so a director sees how far the
new plan is from the way time is spent now.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.activities.selectors import (
    UNPLACED,
    actual_hours_by_box,
    period_start_default,
    shares,
    variance_sentences,
)
from kam.allocation.models import AllocationRun
from kam.allocation.selectors import review_for_boxes, run_hours_by_box


def plan_against_actual(
    *, run: AllocationRun, user: User, today: dt.date | None = None
) -> dict[str, Any]:
    """Actual hours per box in the window (see the module docstring) against the run's
    planned hours per box, with each side's share (0-1) and the variance sentences."""
    today = today or timezone.localdate()
    period = run.period
    if today >= period.start:
        start, end = period.start, min(period.end, today)
        window = _("from %(start)s to %(end)s") % {"start": start, "end": end}
        before = False
    else:
        start, end = period_start_default(today), today
        window = _("in the twelve months up to today")
        before = True
    actual_rows = actual_hours_by_box(start=start, end=end, user=user, review=review_for_boxes())
    actual_share = shares(actual_rows)
    planned = {(r["box"] or UNPLACED): r["hours"] for r in run_hours_by_box(run=run)}
    total_planned = sum(planned.values())
    planned_share = {b: (h / total_planned if total_planned else 0.0) for b, h in planned.items()}
    rows = [
        {
            "box": r.key,
            "label": r.label,
            "actual_hours": r.hours,
            "actual_share": actual_share.get(r.key, 0.0),
            "planned_hours": planned.get(str(r.key), 0.0),
            "planned_share": planned_share.get(str(r.key), 0.0),
        }
        for r in actual_rows
    ]
    total_actual = sum(r.minutes for r in actual_rows) / 60
    return {
        "start": start,
        "end": end,
        "window": window,
        "before_period": before,
        "rows": rows,
        "total_actual": total_actual,
        "total_planned": total_planned,
        "sentences": variance_sentences(actual_share, planned_share) if total_actual else [],
    }
