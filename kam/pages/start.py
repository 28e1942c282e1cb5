"""The start page's reads: what needs a person today (docs/start.md).

A key account manager (anyone who is not a sales director or administrator) sees the
accounts they may read (owned or served, ``account_list_visible``); a sales director or
administrator sees the whole portfolio and, besides, the capacity check of the matrix and
the accounts that moved box between the last two closed reviews.

Every section reuses the selector its own page uses: boxes from the portfolio review,
findings from the findings store (``relationships.selectors.findings_open``, ranked by
``kam.core.finding_cost`` in SQL; new since the last visit when recorded after it), the capacity
check from the matrix (``capacity_summary``), alerts from ``kam.pages.alerts``,
review progress from the review pages. The number of queries does not grow with the
number of accounts (tests/web/test_start.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from kam.accounts.models import Account
from kam.accounts.selectors import account_list_visible
from kam.activities.models import Activity
from kam.core import relationships as core_rel
from kam.notifications.models import CustomerUpdate
from kam.organisation.models import Box
from kam.pages.alerts import (
    Alert,
    BoxMove,
    alerts_of,
    box_moves_summary,
    review_pair,
)
from kam.plans.models import FINISHED_STATUSES, ActionStatus, OwnerSide, PlanAction
from kam.portfolio.models import Placement, Review
from kam.portfolio.review_selectors import review_progress_map
from kam.portfolio.selectors import reviews_open
from kam.relationships.selectors import finding_rows, findings_open

#: How far ahead "coming" actions reach (the weekly digest's 14 days).
COMING_DAYS = 14
#: How many rows a section lists before "all ..." links to the full page.
SHOWN = 8
#: Findings shown, ranked by cost.
SHOWN_FINDINGS = 10
#: Customer updates of the last this many days are listed.
UPDATE_DAYS = 30
#: The accounts that moved box are listed up to this many (a director's start page).
SHOWN_MOVED = 12
#: A key account manager's accounts are listed by name up to this many per box.
SHOWN_ACCOUNTS = 12
#: The alerts listed, the most important first, before the link to the alerts page.
SHOWN_ALERTS = 10
#: The activities logged since the last visit are counted up to this many; beyond, the
#: page says "more than" this many (counting every one would read them all).
COUNTED_ACTIVITIES = 100


@dataclass
class RankedFinding:
    """A finding with its account, box and cost; ``new`` when it appeared since the last visit."""

    account: Account
    box: str
    kind: str
    severity: int
    message: core_rel.Message | None
    cost: int
    new: bool = False


@dataclass
class BoxGroup:
    """The person's accounts in one box of the portfolio review."""

    box: str
    label: str
    count: int
    accounts: list[Account] = field(default_factory=list)


@dataclass
class ReviewToScore:
    """An open review where the person is a rater with cells left to score."""

    review: Review
    scored: int
    cells: int

    @property
    def left(self) -> int:
        return self.cells - self.scored


@dataclass
class Changes:
    """What changed on the person's accounts since ``since`` (None: first visit)."""

    since: dt.datetime | None
    box_moves: list[BoxMove] = field(default_factory=list)
    box_moves_count: int = 0
    actions: list[PlanAction] = field(default_factory=list)
    actions_count: int = 0
    customer_updates_count: int = 0
    new_findings: list[RankedFinding] = field(default_factory=list)
    new_findings_count: int = 0
    activities: list[Activity] = field(default_factory=list)
    #: counted up to COUNTED_ACTIVITIES; ``activities_more`` when there are more
    activities_count: int = 0
    activities_more: bool = False

    @property
    def empty(self) -> bool:
        return not (
            self.box_moves_count
            or self.actions_count
            or self.customer_updates_count
            or self.new_findings_count
            or self.activities_count
        )


@dataclass
class StartPage:
    """Everything the start page shows, section by section."""

    director: bool
    today: dt.date
    review: Review | None
    previous_review: Review | None
    boxes: list[BoxGroup]
    unplaced: int
    changes: Changes
    overdue: list[PlanAction]
    overdue_count: int
    coming: list[PlanAction]
    coming_count: int
    reviews_to_score: list[ReviewToScore]
    customer_updates: list[CustomerUpdate]
    customer_updates_count: int
    findings: list[RankedFinding]
    findings_count: int
    #: the first SHOWN_ALERTS of ``start_alerts``, and how many it holds
    alerts: list[Alert]
    alerts_count: int
    capacity: dict[str, Any] | None = None
    moved: list[BoxMove] = field(default_factory=list)
    moved_count: int = 0


def start_scope(*, user: User) -> QuerySet[Account]:
    """The active accounts the start page speaks of: those the person may read."""
    return account_list_visible(user=user).filter(active=True)


def start_alerts(*, user: User, as_of: dt.date) -> list[Alert]:
    """Every alert on the key and key development accounts of the person's scope, the most
    important first (``kam.pages.alerts.alert_order``): what the alerts page lists, and
    the start page counts and shows the first ``SHOWN_ALERTS`` of."""
    return alerts_of(accounts=start_scope(user=user), as_of=as_of)


def _ranked_findings(
    *, user: User, since: dt.datetime | None
) -> tuple[QuerySet[Any], list[RankedFinding]]:
    """The open findings of the person's accounts ranked by cost (a queryset) and the
    first ``SHOWN_FINDINGS`` of them; ``new`` when recorded after ``since``."""
    records = findings_open(user=user, sort="cost")
    shown = finding_rows(records.select_related("account")[:SHOWN_FINDINGS])
    return records, [_ranked(r, since) for r in shown]


def _ranked(r: Any, since: dt.datetime | None) -> RankedFinding:
    return RankedFinding(
        r.account,
        r.box,
        r.kind,
        r.severity,
        r.why,
        r.cost,
        new=since is not None and r.opened_at is not None and r.opened_at > since,
    )


def _actions(user: User, scope: QuerySet[Account]) -> QuerySet[PlanAction]:
    """Unfinished actions of current plans on the person's accounts, and ours they own
    anywhere (the definition of the overdue page, kam.plans.selectors.actions_overdue)."""
    return (
        PlanAction.objects.filter(
            Q(plan__account__in=scope) | Q(owner_user_id=user.pk),
            plan__successors__isnull=True,
        )
        .exclude(status__in=list(FINISHED_STATUSES))
        .select_related("plan", "plan__account", "owner_user", "owner_contact")
    )


def activities_since(
    *,
    user: User,
    scope: QuerySet[Account],
    since: dt.datetime,
    whole_portfolio: bool,
) -> QuerySet[Activity]:
    """The activities others logged on the accounts of ``scope`` after ``since``.

    Read along one of two indexes, so that neither reads every activity of the scope
    (~459k for a director at 10,000 accounts): for the ``whole_portfolio`` the scope is a
    correlated EXISTS, so SQLite walks the index on ``created_at`` from ``since`` on, newest
    first, and stops at the LIMIT; for a person's own accounts, "account IN (scope)" reads
    each account's activities after ``since`` from the index on (account, created_at)."""
    if whole_portfolio:
        visible = Activity.objects.filter(Exists(scope.filter(pk=OuterRef("account_id"))))
    else:
        visible = Activity.objects.filter(account__in=scope)
    return visible.filter(created_at__gt=since).exclude(created_by_id=user.pk)


def start_page(
    *,
    user: User,
    director: bool,
    now: dt.datetime,
    today: dt.date,
    since: dt.datetime | None,
) -> StartPage:
    """The start page of ``user`` at ``now``; ``since`` comes from the recorded visit
    (kam.users.services.start_visit_record)."""
    scope = start_scope(user=user)
    pair = review_pair()
    # counted and listed in the database: the page never loads the whole portfolio
    placed = (
        Placement.objects.filter(review=pair.latest, account__in=scope).exclude(box="")
        if pair.latest is not None
        else Placement.objects.none()
    )
    per_box = dict(placed.order_by().values_list("box").annotate(n=Count("pk")))
    fields = ("account__id", "account__name", "account__external_id", "account__currency")
    groups = []
    for value, label in Box.choices:
        members: list[Account] = []
        if not director and per_box.get(value):
            members = [
                p.account
                for p in placed.filter(box=value)
                .select_related("account")
                .only("box", *fields)
                .order_by("account__name", "account_id")[:SHOWN_ACCOUNTS]
            ]
        groups.append(BoxGroup(value, str(label), per_box.get(value, 0), members))
    moves = box_moves_summary(accounts=scope, pair=pair, listed=SHOWN_MOVED)

    # actions: overdue and coming
    actions = _actions(user, scope)
    horizon = today + dt.timedelta(days=COMING_DAYS)
    counts = actions.filter(due_date__isnull=False, due_date__lte=horizon).aggregate(
        overdue=Count("pk", filter=Q(due_date__lt=today), distinct=True),
        coming=Count("pk", filter=Q(due_date__gte=today), distinct=True),
    )
    overdue = list(actions.filter(due_date__lt=today).order_by("due_date", "pk")[:SHOWN])
    coming = list(
        actions.filter(due_date__gte=today, due_date__lte=horizon).order_by("due_date", "pk")[
            :SHOWN
        ]
    )
    for a in overdue + coming:
        assert a.due_date is not None
        a.days = abs((a.due_date - today).days)  # type: ignore[attr-defined]
        a.theirs = a.owner_side == OwnerSide.THEIRS  # type: ignore[attr-defined]

    # reviews waiting for the person's scores: their own progress only (the raters read
    # are the person, when a rater)
    open_reviews = list(
        reviews_open().prefetch_related(
            Prefetch("raters", queryset=User.objects.filter(pk=user.pk))
        )
    )
    progress = review_progress_map(reviews=open_reviews, raters={user.pk})
    to_score = [
        ReviewToScore(r, p.scored, p.cells)
        for r in open_reviews
        for p in progress.get(r.pk, [])
        if p.rater.pk == user.pk and p.scored < p.cells
    ]

    # customer updates through share links
    updates_qs = CustomerUpdate.objects.filter(
        plan__account__in=scope, created_at__gte=now - dt.timedelta(days=UPDATE_DAYS)
    )
    updates = list(
        updates_qs.select_related(
            "plan", "plan__account", "action", "sign_off", "sign_off__version"
        ).order_by("-created_at", "-pk")[:SHOWN]
    )
    status_labels = dict(ActionStatus.choices)
    for u in updates:
        u.status_label = str(status_labels.get(u.status_to, u.status_to))  # type: ignore[attr-defined]
        u.new = since is not None and u.created_at > since  # type: ignore[attr-defined]

    # findings, ranked by cost
    findings, ranked = _ranked_findings(user=user, since=since)

    changes = Changes(since=since)
    if since is not None:
        if pair.latest is not None and pair.latest.closed_at and pair.latest.closed_at > since:
            changes.box_moves = moves.listed[:SHOWN]
            changes.box_moves_count = moves.count
        # who changed an action is in its history (updated_by misses status updates)
        changed_ids = (
            PlanAction.history.filter(history_date__gt=since, plan__account__in=scope)
            .exclude(history_user_id=user.pk)
            .values("id")
        )
        changed = PlanAction.objects.filter(pk__in=changed_ids)
        changes.actions_count = changed.count()
        changes.actions = list(
            changed.select_related("plan", "plan__account").order_by("-updated_at", "-pk")[:SHOWN]
        )
        changes.customer_updates_count = updates_qs.filter(created_at__gt=since).count()
        new_findings = findings.filter(opened_at__gt=since)
        changes.new_findings_count = new_findings.count()
        changes.new_findings = [
            _ranked(r, since)
            for r in finding_rows(new_findings.select_related("account")[:SHOWN_FINDINGS])
        ]
        new_activities = activities_since(
            user=user, scope=scope, since=since, whole_portfolio=director
        )
        changes.activities = list(
            new_activities.select_related("account").order_by("-created_at", "-pk")[:SHOWN]
        )
        if len(changes.activities) < SHOWN:
            changes.activities_count = len(changes.activities)
        else:
            counted = new_activities.order_by()[: COUNTED_ACTIVITIES + 1].count()
            changes.activities_more = counted > COUNTED_ACTIVITIES
            changes.activities_count = min(counted, COUNTED_ACTIVITIES)

    # the same list as the alerts page (start_alerts), with what the page read already
    alerts = alerts_of(accounts=scope, as_of=today, pair=pair, drops=moves.drops)
    page = StartPage(
        director=director,
        today=today,
        review=pair.latest,
        previous_review=pair.previous,
        boxes=groups,
        unplaced=scope.count() - sum(per_box.values()),
        changes=changes,
        overdue=overdue,
        overdue_count=counts["overdue"],
        coming=coming,
        coming_count=counts["coming"],
        reviews_to_score=to_score,
        customer_updates=updates,
        customer_updates_count=updates_qs.count(),
        findings=ranked,
        findings_count=findings.count(),
        alerts=alerts[:SHOWN_ALERTS],
        alerts_count=len(alerts),
    )
    if director:
        from kam.portfolio.matrix import capacity_summary

        page.capacity = capacity_summary(review=pair.latest) if pair.latest else None
        page.moved = moves.listed
        page.moved_count = moves.count
    return page
