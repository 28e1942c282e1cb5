"""``GET /api/accounts/{id}/history``: the account's history as the history page shows it,
from the same selector (``kam.pages.timeline.account_timeline``); an account the caller
may not read answers 404."""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema

from kam.pages.timeline import account_timeline
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["accounts"])


class HistoryReviewOut(Schema):
    review_id: int
    review_name: str
    review_date: dt.date
    box: str
    box_label: str
    attractiveness: float | None
    strength: float | None
    relative_strength: float | None
    strength_axis: str
    uncertain: bool
    spread: int | None
    spread_criterion: str
    flagged: list[str]
    previous_box: str
    box_change: str
    attractiveness_change: float | None
    strength_change: float | None
    worse: bool


class HistoryStageOut(Schema):
    on: dt.date
    stage: str
    stage_label: str
    previous: str
    chosen: bool
    by: str
    reason: str
    worse: bool


class HistoryFindingOut(Schema):
    kind: str
    kind_label: str
    subject: str
    subject_name: str
    severity: int
    why: str
    opened_on: dt.date
    resolved_on: dt.date | None
    on_decider: bool
    worse: bool


class HistoryPlanVersionOut(Schema):
    plan_id: int
    period_label: str
    number: int
    approved_by: str
    approved_at: dt.datetime
    note: str


class HistoryYearOut(Schema):
    label: str
    start: dt.date
    end: dt.date
    complete: bool
    revenue: float
    contribution: float
    change: float | None
    change_fraction: float | None
    worse: bool


class HistoryEventOut(Schema):
    on: dt.date
    kind: str
    worse: bool


class AccountHistoryOut(Schema):
    account_id: int
    as_of: dt.date
    currency: str
    reviews: list[HistoryReviewOut]
    stages: list[HistoryStageOut]
    findings: list[HistoryFindingOut]
    plan_versions: list[HistoryPlanVersionOut]
    years: list[HistoryYearOut]
    worse: list[HistoryEventOut]


class HistoryQuery(Schema):
    as_of: dt.date | None = None


@router.get(
    "/{account_id}/history",
    response=AccountHistoryOut,
    summary="An account's history",
)
def account_history(
    request: AuthenticatedHttpRequest, account_id: int, query: Query[HistoryQuery]
) -> object:
    """Closed reviews (box, scores, raters' spread), stage changes, findings opened and
    resolved, plan versions and contribution by year, oldest first per strand (findings and
    plan versions newest first); ``worse`` lists what got worse in the last 12 months."""
    t = account_timeline(user=request.user, account_id=account_id, as_of=query.as_of)
    return {
        "account_id": t.account.pk,
        "as_of": t.as_of,
        "currency": t.currency,
        "reviews": [{**vars(r), "worse": r.worse} for r in t.reviews],
        "stages": [{**vars(s), "worse": s.worse} for s in t.stages],
        "findings": [{**vars(f), "on_decider": f.on_decider, "worse": f.worse} for f in t.findings],
        "plan_versions": [vars(v) for v in t.plan_versions],
        "years": [{**vars(y), "worse": y.worse} for y in t.years],
        "worse": [{"on": e.on, "kind": e.kind, "worse": e.worse} for e in t.worse],
    }
