"""An account's history as a key account manager reads it (docs/history.md, "The account's
history"): where the account stood in each closed review, how its relationship stage moved,
which findings opened and were resolved, which plan versions were approved, and what the
account contributed year by year, with what is getting worse marked.

Every figure comes from the selector its own page uses ("one figure, one definition"):

- reviews: the placements of the closed reviews (``portfolio.selectors.account_placements``),
  the raters' spread per criterion (``review_selectors.account_spreads``, the review page's
  ``score_spread``) and the criteria the review flagged (``Placement.disagreement``);
- stage: the history records of ``AccountRelationship`` (the stage in force: chosen, else
  inferred), one event per change;
- findings: the findings store (``relationships.FindingRecord``), kept equal to the computed
  findings by ``relationships.findings_store``;
- plan versions: ``plans.PlanVersion`` with who approved and when;
- contribution: the economics page's ledger (``economics.selectors.account_ledger``), per
  12-month year up to ``as_of``.

What is getting worse (``worse`` on an event): a box lower than the review before (in the
order key, key development, maintenance, opportunistic), a stage lower than the one before
(disintegrating counts lowest), a finding opened of severity 3 or on a decider (an uncovered
decider, a champion who left), a year whose contribution fell below the year before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.accounts.selectors import account_get_visible
from kam.organisation.models import Box

if TYPE_CHECKING:
    from kam.economics.pnl import PeriodPnl

BOX_RANK = {b.value: i for i, b in enumerate(Box)}
#: The stages from lowest to highest; disintegrating ranks below exploratory.
STAGE_RANK = {
    "disintegrating": 0,
    "exploratory": 1,
    "basic": 2,
    "cooperative": 3,
    "interdependent": 4,
    "integrated": 5,
}
#: Findings that name somebody who decides (a decider not covered, a champion who left).
DECIDER_KINDS = {"uncovered_decider", "champion_left"}


@dataclass(frozen=True)
class ReviewPoint:
    """The account in one closed review: box, scores (0-10), the strength axis used, the
    relative strength (ratio) when relative, the widest raters' spread (points) and the
    criteria the review flagged for disagreement."""

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
    previous_box: str  # the box in the review before; the changes below are to 0.1
    previous_box_label: str
    box_change: str  # "up", "down", "same" or "" (first review, or not placed)
    attractiveness_change: float | None
    strength_change: float | None

    @property
    def worse(self) -> bool:
        return self.box_change == "down"


@dataclass(frozen=True)
class StagePoint:
    """A change of the relationship stage in force (``chosen`` when set by hand)."""

    on: dt.date
    stage: str
    stage_label: str
    previous: str
    previous_label: str
    chosen: bool
    by: str
    reason: str

    @property
    def worse(self) -> bool:
        return bool(self.previous) and STAGE_RANK.get(self.stage, 0) < STAGE_RANK.get(
            self.previous, 0
        )


@dataclass(frozen=True)
class FindingPoint:
    """A finding as the store keeps it: opened on, resolved on (None while open)."""

    kind: str
    kind_label: str
    subject: str
    subject_name: str
    severity: int
    why: str
    opened_on: dt.date
    resolved_on: dt.date | None

    @property
    def on_decider(self) -> bool:
        return self.kind in DECIDER_KINDS

    @property
    def worse(self) -> bool:
        """Serious (severity 3) and about coverage: a decider not covered, a champion who
        left, a key account's single thread. A contact not met is a reminder, not a fall."""
        return self.severity >= 3 and self.kind != "not_met"


@dataclass(frozen=True)
class PlanVersionPoint:
    """An approved plan version: the plan's period, number, who approved it and when."""

    plan_id: int
    period_label: str
    number: int
    approved_by: str
    approved_at: dt.datetime
    note: str


@dataclass(frozen=True)
class YearPoint:
    """One 12-month year of the P&L (account currency): revenue, contribution and the change
    of contribution from the year before (amount, and fraction of the year before's when
    that was above zero)."""

    label: str
    start: dt.date
    end: dt.date
    complete: bool
    revenue: float
    contribution: float
    change: float | None
    change_fraction: float | None

    @property
    def worse(self) -> bool:
        return self.change is not None and self.change < 0


@dataclass(frozen=True)
class Event:
    """One dated line of the story: ``kind`` is review, stage, findings_opened,
    findings_resolved or plan_version; ``item`` the point it tells (for the findings, the
    list of those opened or resolved that day, the ones getting worse first)."""

    on: dt.date
    kind: str
    item: Any
    worse: bool


@dataclass
class Timeline:
    """An account's history: the points of each strand and the events newest first, grouped
    by calendar year (newest year first)."""

    account: Account
    as_of: dt.date
    currency: str
    reviews: list[ReviewPoint] = field(default_factory=list)  # oldest first
    stages: list[StagePoint] = field(default_factory=list)  # oldest first
    findings: list[FindingPoint] = field(default_factory=list)  # newest opened first
    plan_versions: list[PlanVersionPoint] = field(default_factory=list)  # newest first
    years: list[YearPoint] = field(default_factory=list)  # oldest first
    events: list[Event] = field(default_factory=list)  # newest first

    @property
    def by_year(self) -> list[tuple[int, list[Event]]]:
        out: list[tuple[int, list[Event]]] = []
        for e in self.events:
            if not out or out[-1][0] != e.on.year:
                out.append((e.on.year, []))
            out[-1][1].append(e)
        return out

    @property
    def worse(self) -> list[Event]:
        """What is getting worse: the latest year's fall in contribution, then the marked
        events of the last 12 months, newest first (a day's findings: only those marked and
        still open)."""
        since = self.as_of - dt.timedelta(days=365)
        out = []
        if self.years and self.years[-1].worse:
            y = self.years[-1]
            out.append(Event(on=y.end, kind="contribution", item=y, worse=True))
        for e in self.events:
            if not e.worse or e.on < since:
                continue
            if e.kind == "findings_opened":
                for f in e.item:  # the serious ones still open
                    if f.worse and (f.resolved_on is None or f.resolved_on > self.as_of):
                        out.append(Event(on=e.on, kind="finding_opened", item=f, worse=True))
            else:
                out.append(e)
        return out

    @property
    def stage_now(self) -> StagePoint | None:
        return self.stages[-1] if self.stages else None

    @property
    def open_findings(self) -> list[FindingPoint]:
        return [f for f in self.findings if f.resolved_on is None]


def _name(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def _reviews(account: Account) -> list[ReviewPoint]:
    from kam.portfolio.models import ReviewStatus
    from kam.portfolio.review_selectors import account_spreads
    from kam.portfolio.selectors import account_placements

    placements = [
        p
        for p in account_placements(account=account)
        if p.review.status == ReviewStatus.CLOSED and p.review.computed_at is not None
    ]
    placements.reverse()  # oldest first
    spreads = account_spreads(account_id=account.pk, review_ids=[p.review_id for p in placements])
    from kam.portfolio.models import Criterion

    criteria = {
        c.pk: c
        for c in Criterion.objects.filter(
            version_id__in={p.review.scheme_version_id for p in placements}
        )
    }
    labels = {b.value: str(b.label) for b in Box}
    out: list[ReviewPoint] = []
    previous = None
    for p in placements:
        by_criterion = spreads.get(p.review_id, {})
        widest = max(by_criterion.items(), key=lambda kv: (kv[1], -kv[0]), default=None)
        names = {
            c.key: c.name for c in criteria.values() if c.version_id == p.review.scheme_version_id
        }
        change = ""
        if previous is not None and previous.box and p.box:
            a, b = BOX_RANK[previous.box], BOX_RANK[p.box]
            change = "down" if b > a else "up" if b < a else "same"

        def delta(now: float | None, before: float | None) -> float | None:
            return None if now is None or before is None else round(now - before, 1)

        out.append(
            ReviewPoint(
                review_id=p.review_id,
                review_name=p.review.name,
                review_date=p.review.review_date,
                box=p.box,
                box_label=labels.get(p.box, ""),
                attractiveness=p.attractiveness,
                strength=p.strength,
                relative_strength=p.relative_strength,
                strength_axis=p.strength_axis,
                uncertain=p.uncertain,
                spread=widest[1] if widest else None,
                spread_criterion=criteria[widest[0]].name
                if widest and widest[0] in criteria
                else "",
                flagged=[names.get(k, k) for k in p.disagreement or []],
                previous_box=previous.box if previous is not None else "",
                previous_box_label=labels.get(previous.box, "") if previous is not None else "",
                box_change=change,
                attractiveness_change=delta(
                    p.attractiveness, previous.attractiveness if previous else None
                ),
                strength_change=delta(p.strength, previous.strength if previous else None),
            )
        )
        previous = p
    return out


def _stages(account: Account) -> list[StagePoint]:
    from kam.relationships.models import AccountRelationship
    from kam.web.choices import Stage

    labels = dict(Stage.choices)
    rows = (
        AccountRelationship.history.filter(account_id=account.pk)
        .select_related("history_user", "chosen_by")
        .order_by("history_date", "history_id")
    )
    out: list[StagePoint] = []
    current = ""
    for row in rows:
        stage = row.chosen_stage or row.inferred_stage
        if not stage or stage == current:
            continue
        chosen = bool(row.chosen_stage)
        out.append(
            StagePoint(
                on=timezone.localdate(row.history_date),
                stage=stage,
                stage_label=str(labels.get(stage, stage)),
                previous=current,
                previous_label=str(labels.get(current, current)) if current else "",
                chosen=chosen,
                by=_name(row.chosen_by or row.history_user) if chosen else "",
                reason=row.chosen_reason if chosen else "",
            )
        )
        current = stage
    return out


def _findings(account: Account) -> list[FindingPoint]:
    from kam.relationships.findings_store import finding_kind_labels
    from kam.relationships.models import Contact, FindingRecord
    from kam.relationships.selectors import why_from_json

    rows = list(FindingRecord.objects.filter(account=account).order_by("-opened_on", "-pk"))
    contact_ids = [
        int(r.subject[1:]) for r in rows if r.subject[:1] == "c" and r.subject[1:].isdigit()
    ]
    contacts = {c.pk: c for c in Contact.objects.filter(pk__in=contact_ids)}
    labels = finding_kind_labels()
    out = []
    for r in rows:
        subject_name = ""
        if r.subject[:1] == "c" and r.subject[1:].isdigit():
            c = contacts.get(int(r.subject[1:]))
            subject_name = c.display_name if c is not None else ""
        elif r.subject:
            from kam.core.relationships.vocabulary import function_label

            subject_name = _(function_label(r.subject))
        message = why_from_json(r.why)
        out.append(
            FindingPoint(
                kind=r.kind,
                kind_label=labels.get(r.kind, r.kind),
                subject=r.subject,
                subject_name=subject_name,
                severity=r.severity,
                why=message.translated(_) if message is not None else "",
                opened_on=r.opened_on,
                resolved_on=r.resolved_on,
            )
        )
    return out


def _plan_versions(account: Account) -> list[PlanVersionPoint]:
    from kam.plans.models import PlanVersion

    rows = (
        PlanVersion.objects.filter(plan__account=account)
        .select_related("plan", "approved_by")
        .order_by("-approved_at", "-pk")
    )
    return [
        PlanVersionPoint(
            plan_id=v.plan_id,
            period_label=v.plan.period_label,
            number=v.number,
            approved_by=v.approved_by_name or _name(v.approved_by),
            approved_at=v.approved_at,
            note=v.note,
        )
        for v in rows
    ]


def _years(account: Account, as_of: dt.date) -> tuple[str, list[YearPoint]]:
    from kam.economics.selectors import account_ledger

    ledger = account_ledger(account=account, as_of=as_of)
    out: list[YearPoint] = []
    previous: PeriodPnl | None = None
    for p in ledger.periods:
        if previous is None and not p.revenue and not p.contribution:
            continue  # years before the first invoice line tell nothing
        change = None if previous is None else p.contribution - previous.contribution
        fraction = (
            change / previous.contribution
            if change is not None and previous is not None and previous.contribution > 0
            else None
        )
        out.append(
            YearPoint(
                label=p.period.short_label,
                start=p.period.start,
                end=p.period.end,
                complete=p.period.complete,
                revenue=round(p.revenue, 2),
                contribution=round(p.contribution, 2),
                change=None if change is None else round(change, 2),
                change_fraction=fraction,
            )
        )
        previous = p
    return ledger.currency, out


def account_timeline(*, user: User, account_id: int, as_of: dt.date | None = None) -> Timeline:
    """The history of one account ``user`` may read (404 otherwise), up to ``as_of``."""
    account = account_get_visible(user=user, account_id=account_id)
    return timeline_build(account=account, as_of=as_of)


def timeline_build(*, account: Account, as_of: dt.date | None = None) -> Timeline:
    """The history of ``account`` (no visibility check: callers have done it)."""
    as_of = as_of or timezone.localdate()
    currency, years = _years(account, as_of)
    t = Timeline(account=account, as_of=as_of, currency=currency, years=years)
    t.reviews = [r for r in _reviews(account) if r.review_date <= as_of]
    t.stages = [s for s in _stages(account) if s.on <= as_of]
    t.findings = [f for f in _findings(account) if f.opened_on <= as_of]
    t.plan_versions = [
        v for v in _plan_versions(account) if timezone.localdate(v.approved_at) <= as_of
    ]
    events: list[Event] = []
    events += [Event(r.review_date, "review", r, r.worse) for r in t.reviews]
    events += [Event(s.on, "stage", s, s.worse) for s in t.stages]
    opened: dict[dt.date, list[FindingPoint]] = {}
    resolved: dict[dt.date, list[FindingPoint]] = {}
    for f in t.findings:
        opened.setdefault(f.opened_on, []).append(f)
        if f.resolved_on is not None and f.resolved_on <= as_of:
            resolved.setdefault(f.resolved_on, []).append(f)
    for day, items in opened.items():
        items.sort(key=lambda f: (not f.worse, -f.severity, f.kind_label, f.subject_name))
        events.append(Event(day, "findings_opened", items, any(f.worse for f in items)))
    for day, items in resolved.items():
        items.sort(key=lambda f: (-f.severity, f.kind_label, f.subject_name))
        events.append(Event(day, "findings_resolved", items, False))
    events += [
        Event(timezone.localdate(v.approved_at), "plan_version", v, False) for v in t.plan_versions
    ]
    order = {
        "review": 0,
        "stage": 1,
        "plan_version": 2,
        "findings_opened": 3,
        "findings_resolved": 4,
    }
    events.sort(key=lambda e: (e.on, -order[e.kind]), reverse=True)
    t.events = events
    return t
