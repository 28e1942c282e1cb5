"""The account's history page (docs/history.md, "The account's timeline"): the story of one
account for its key account manager, read by ``kam.pages.timeline``. Not the audit
history of field changes (/history/, kam.pages.history)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from kam.pages.timeline import account_timeline
from kam.pages.timeline_chart import scores_chart
from kam.portfolio.charts import box_labels
from kam.web.requests import AuthenticatedHttpRequest


def _as_of(request: AuthenticatedHttpRequest) -> dt.date:
    text = request.GET.get("as_of", "")
    try:
        return dt.date.fromisoformat(text) if text else timezone.localdate()
    except ValueError:
        return timezone.localdate()


@login_required
@require_GET
def account_history(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Reviews, stage, findings, plan versions and contribution by year, newest first."""
    timeline = account_timeline(user=request.user, account_id=pk, as_of=_as_of(request))
    return render(
        request,
        "accounts/account_history.html",
        {
            "account": timeline.account,
            "t": timeline,
            "scores_spec": scores_chart(timeline.reviews),
            "box_labels": box_labels(),
        },
    )
