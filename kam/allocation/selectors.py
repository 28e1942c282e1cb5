"""Reads of planning periods, judgements and runs (docs/method.md section 2).

Who may do what:

- sales directors and administrators plan: create periods, edit capacities and policies,
  start runs, and enter judgements for every account;
- key account managers enter judgements for the accounts they may edit
  (``account_list_editable``: those they own or are on the team of);
- everyone who can read an account (``account_list_visible``) reads its judgement and its
  planned hours; the period's totals (objective, gap, shadow price) are read by everyone
  signed in with a kam role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext as _

from kam.accounts.models import Account, AccountTeamMember
from kam.accounts.selectors import account_list_editable, account_list_visible, user_role
from kam.allocation.models import (
    AllocationLine,
    AllocationPersonLine,
    AllocationRun,
    PeriodBoxPolicy,
    PeriodCapacity,
    PeriodFunctionCapacity,
    PlannedBy,
    PlanningPeriod,
    ResponseJudgement,
    RunStatus,
)
from kam.core.allocation.problems import EXACT_GAP
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.portfolio.models import Placement, Review
from kam.portfolio.selectors import portfolio_review
from kam.users.models import Function, Role
from kam.users.selectors import user_may_manage_portfolio


def period_may_plan(*, user: User | AnonymousUser) -> bool:
    """Sales directors and administrators plan (periods, capacities, policies, runs)."""
    return user_may_manage_portfolio(user=user)


def period_may_read(*, user: User | AnonymousUser) -> bool:
    """Everyone signed in with a kam role reads the planning periods."""
    return user_role(user) is not None


def judgement_may_enter(*, user: User | AnonymousUser) -> bool:
    """Whether ``user`` may enter judgements for at least some accounts."""
    return user_role(user) in {Role.ADMINISTRATOR, Role.SALES_DIRECTOR, Role.KEY_ACCOUNT_MANAGER}


def period_list() -> QuerySet[PlanningPeriod]:
    """Every planning period, newest first, with its number of judgements and runs."""
    return (
        PlanningPeriod.objects.select_related("created_by")
        .annotate(
            judgement_count=Count("judgements", distinct=True),
            run_count=Count("runs", distinct=True),
        )
        .order_by("-start", "-pk")
    )


def period_get(*, user: User | AnonymousUser, period_id: int) -> PlanningPeriod:
    """The period ``period_id``; 404 when there is none or ``user`` has no kam role."""
    period = (
        PlanningPeriod.objects.select_related("created_by").filter(pk=period_id).first()
        if period_may_read(user=user)
        else None
    )
    if period is None:
        raise ApplicationError(_("There is no such planning period."), status=404)
    return period


def capacity_list(*, period: PlanningPeriod) -> QuerySet[PeriodCapacity]:
    """The people planned in ``period`` with their hours, function and cost, by name."""
    return period.capacities.select_related("user").order_by(
        "user__last_name", "user__first_name", "user__username"
    )


def function_capacity_list(*, period: PlanningPeriod) -> list[PeriodFunctionCapacity]:
    """The period's caps per function, in the order of ``Function``."""
    order = {f: i for i, f in enumerate(Function.values)}
    return sorted(period.function_capacities.all(), key=lambda f: order.get(f.function, 99))


def function_capacity_rows(*, period: PlanningPeriod) -> list[dict[str, Any]]:
    """Per function that has people in ``period`` or a cap: its label, how many people,
    their hours together and the cap (None: no cap), in the order of ``Function``
    (two queries)."""
    people = (
        period.capacities.values("function")
        .annotate(people=Count("pk"), hours=Sum("hours_per_year"))
        .order_by()
    )
    found = {r["function"]: r for r in people}
    caps = {f.function: f.hours_per_year for f in period.function_capacities.all()}
    out = []
    for function in Function:
        r = found.get(function.value)
        if r is None and function.value not in caps:
            continue
        out.append(
            {
                "function": function.value,
                "label": function.label,
                "people": r["people"] if r else 0,
                "people_hours": int(r["hours"] or 0) if r else 0,
                "cap": caps.get(function.value),
            }
        )
    return out


def policy_list(*, period: PlanningPeriod) -> list[PeriodBoxPolicy]:
    """The period's box policies in box order (key first)."""
    order = {b.value: i for i, b in enumerate(Box)}
    return sorted(period.policies.all(), key=lambda p: order.get(p.box, 99))


def review_for_boxes() -> Review | None:
    """The review whose boxes a year plan uses: the portfolio review, the latest closed one
    (docs/method.md section 1); an open review changes nothing until it is closed."""
    return portfolio_review()


def box_subquery(review: Review | None) -> Any:
    """A subquery giving an account's box in ``review`` (``None`` without a review)."""
    if review is None:
        return None
    return Subquery(
        Placement.objects.filter(review=review, account=OuterRef("pk")).values("box")[:1]
    )


def judgement_accounts(
    *,
    user: User | AnonymousUser,
    period: PlanningPeriod,
    owner_id: int | None = None,
    box: str = "",
    editable_only: bool = False,
) -> QuerySet[Account]:
    """The active accounts ``user`` can read (or edit), each annotated with its ``box`` in the
    portfolio review and the ``judgement_id`` it has in ``period`` (None when not yet entered),
    filtered by owner and box; key accounts first, then key development, maintenance,
    opportunistic and unplaced ones, by name within a box (the accounts whose judgements
    matter most come first). One query for any page of it."""
    base = account_list_editable(user=user) if editable_only else account_list_visible(user=user)
    qs = base.filter(active=True).select_related("owner")
    review = review_for_boxes()
    sub = box_subquery(review)
    judgement = ResponseJudgement.objects.filter(period=period, account=OuterRef("pk"))
    qs = qs.annotate(judgement_id=Subquery(judgement.values("pk")[:1]))
    if owner_id:
        qs = qs.filter(owner_id=owner_id)
    if sub is None:
        return qs.order_by("name", "pk")
    boxed = qs.annotate(box=sub)
    if box:
        boxed = boxed.filter(box=box)
    rank = Case(
        *(When(box=b.value, then=Value(i)) for i, b in enumerate(Box)),
        default=Value(len(Box)),
        output_field=IntegerField(),
    )
    return boxed.annotate(box_rank=rank).order_by("box_rank", "name", "pk")


def judgements_for(
    *, period: PlanningPeriod, account_ids: list[int]
) -> dict[int, ResponseJudgement]:
    """The judgements of ``period`` for ``account_ids``, by account id (one query)."""
    rows = ResponseJudgement.objects.filter(
        period=period, account_id__in=account_ids
    ).select_related("entered_by")
    return {j.account_id: j for j in rows}


def judgement_counts_by_box(*, period: PlanningPeriod) -> list[dict[str, Any]]:
    """Per box of the portfolio review: active accounts and how many have a judgement in
    ``period`` (one query). Accounts not placed count under the empty box ``""``."""
    review = review_for_boxes()
    qs = Account.objects.filter(active=True)
    sub = box_subquery(review)
    judged = ResponseJudgement.objects.filter(period=period, account=OuterRef("pk")).values("pk")
    qs = qs.annotate(has_judgement=Subquery(judged[:1]))
    if sub is not None:
        qs = qs.annotate(box=sub)
        rows = qs.values("box").annotate(
            accounts=Count("pk"), judged=Count("pk", filter=Q(has_judgement__isnull=False))
        )
        found: dict[str, Mapping[str, Any]] = {r["box"] or "": r for r in rows}
    else:
        total = qs.aggregate(
            accounts=Count("pk"), judged=Count("pk", filter=Q(has_judgement__isnull=False))
        )
        found = {"": {"box": "", **total}}
    out = []
    for b in [*(b.value for b in Box), ""]:
        r = found.get(b)
        if r is None and b == "":
            continue
        out.append(
            {
                "box": b,
                "accounts": r["accounts"] if r else 0,
                "judged": r["judged"] if r else 0,
            }
        )
    return out


def eligible_people(*, account_ids: list[int]) -> dict[int, set[int]]:
    """Account id to the ids of the people who may serve it: its owner and its account team
    (docs/method.md section 3). Two queries."""
    out: dict[int, set[int]] = {a: set() for a in account_ids}
    for pk, owner_id in Account.objects.filter(pk__in=account_ids).values_list("pk", "owner_id"):
        if owner_id is not None:
            out[pk].add(owner_id)
    for account_id, user_id in AccountTeamMember.objects.filter(
        account_id__in=account_ids
    ).values_list("account_id", "user_id"):
        out[account_id].add(user_id)
    return out


def run_summary(run: AllocationRun) -> dict[str, Any]:
    """A run's stored summary as the page, the API and the exports show it: ``exact`` only
    with a certified relative gap of at most ``EXACT_GAP`` (a run stored before that rule
    may say exact with a larger gap, e.g. 1.6e-9 from the MILP's tolerance)."""
    summary = dict(run.summary or {})
    if "exact" in summary:
        gap = float(summary.get("relative_gap", 1.0))
        summary["exact"] = bool(summary["exact"]) and gap <= EXACT_GAP
    return summary


def run_list(*, period: PlanningPeriod, limit: int = 10) -> list[AllocationRun]:
    """The period's latest runs, newest first."""
    return list(period.runs.select_related("created_by").order_by("-created_at", "-pk")[:limit])


def run_get(*, user: User | AnonymousUser, run_id: int) -> AllocationRun:
    """The run ``run_id``; 404 when there is none or ``user`` has no kam role."""
    run = (
        AllocationRun.objects.select_related("period", "created_by").filter(pk=run_id).first()
        if period_may_read(user=user)
        else None
    )
    if run is None:
        raise ApplicationError(_("There is no such optimisation run."), status=404)
    return run


def run_latest_done(*, period: PlanningPeriod) -> AllocationRun | None:
    """The period's most recent finished run, whose plan the pages show."""
    return period.runs.filter(status=RunStatus.DONE).order_by("-finished_at", "-pk").first()


def run_lines_visible(
    *, run: AllocationRun, user: User | AnonymousUser
) -> QuerySet[AllocationLine]:
    """The run's account lines for the accounts ``user`` may read, with account and owner."""
    visible = account_list_visible(user=user).values("pk")
    return run.lines.filter(account_id__in=visible).select_related("account", "account__owner")


def run_person_lines_visible(
    *, run: AllocationRun, user: User | AnonymousUser
) -> QuerySet[AllocationPersonLine]:
    """The run's person × account lines for accounts ``user`` may read."""
    visible = account_list_visible(user=user).values("pk")
    return run.person_lines.filter(account_id__in=visible).select_related("user", "account")


def run_hours_by_person(*, run: AllocationRun, user: User | AnonymousUser) -> list[dict[str, Any]]:
    """Planned hours per person over the accounts ``user`` may read, split into the
    optimiser's (judged accounts) and the box policies' (accounts without judgements),
    with each person's capacity in the period (one query for the sums, one for the
    capacities)."""
    policy_accounts = run.lines.filter(planned_by=PlannedBy.POLICY).values("account_id")
    sums = (
        run_person_lines_visible(run=run, user=user)
        .values("user_id")
        .annotate(
            planned=Sum("hours"),
            by_policy=Sum("hours", filter=Q(account_id__in=policy_accounts)),
            accounts=Count("account_id"),
        )
    )
    by_user = {r["user_id"]: r for r in sums}
    out = []
    for cap in capacity_list(period=run.period):
        r = by_user.get(cap.user_id)
        hours = float(r["planned"] or 0) if r else 0.0
        policy = float(r["by_policy"] or 0) if r else 0.0
        out.append(
            {
                "user": cap.user,
                "function": cap.get_function_display(),
                "capacity": cap.hours_per_year,
                "hours": hours,
                "optimised_hours": hours - policy,
                "policy_hours": policy,
                "accounts": r["accounts"] if r else 0,
            }
        )
    return out


def run_hours_by_box(*, run: AllocationRun) -> list[dict[str, Any]]:
    """Planned and today's hours per box over all the run's accounts (the whole active
    portfolio: judged accounts optimised, the others at their box policy's hours), split
    into the optimiser's and the policies', with the period's policy bounds per account,
    service channel and visits (totals are no secret: the matrix shows them to everyone)."""
    policy = Q(planned_by=PlannedBy.POLICY)
    rows = run.lines.values("box").annotate(
        accounts=Count("pk"),
        planned=Sum("hours"),
        reference=Sum("reference_hours"),
        policy_accounts=Count("pk", filter=policy),
        by_policy=Sum("hours", filter=policy),
    )
    found = {r["box"] or "": r for r in rows}
    policies = {p.box: p for p in run.period.policies.all()}
    total = sum(float(r["planned"] or 0) for r in rows) or 0.0
    out = []
    for b in [*(b.value for b in Box), ""]:
        r = found.get(b)
        if r is None:
            continue
        p = policies.get(b)
        hours = float(r["planned"] or 0)
        policy_hours = float(r["by_policy"] or 0)
        out.append(
            {
                "box": b,
                "accounts": r["accounts"],
                "optimised_accounts": r["accounts"] - r["policy_accounts"],
                "policy_accounts": r["policy_accounts"],
                "hours": hours,
                "optimised_hours": hours - policy_hours,
                "policy_hours": policy_hours,
                "reference": float(r["reference"] or 0),
                "share": hours / total if total else 0.0,
                "min_each": p.min_hours_per_year if p else None,
                "max_each": p.max_hours_per_year if p else None,
                "min_total": p.min_hours_per_year * r["accounts"] if p else None,
                "max_total": p.max_hours_per_year * r["accounts"] if p else None,
                "service_channel": p.service_channel if p else "",
                "service_channel_label": p.get_service_channel_display() if p else "",
                "visits_each": p.visits_per_year if p else None,
            }
        )
    return out


@dataclass(frozen=True)
class PolicyAccountRow:
    """An active account without a judgement in a period: its box in the portfolio review
    (``""`` when not placed), its owner, its account team and the hours its box policy
    plans for it (0 without a box)."""

    account_id: int
    box: str
    owner_id: int | None
    team: tuple[int, ...]
    hours: int
    min_hours: int
    max_hours: int | None


@dataclass(frozen=True)
class PlanHours:
    """The year plan's capacity check (docs/method.md section 2; docs/allocation.md, "Time
    for every customer"): the team's hours against the hours the box policies plan for
    the accounts without judgements. One definition for the period page, the run and the
    API."""

    capacity_hours: int
    capacity_within_caps: int
    judged_accounts: int
    judged_min_hours: int
    policy_accounts: tuple[PolicyAccountRow, ...]
    by_box: tuple[dict[str, Any], ...]

    @property
    def policy_hours(self) -> int:
        """The box policies' hours of every active account without a judgement."""
        return sum(a.hours for a in self.policy_accounts)

    @property
    def left_for_optimiser(self) -> int:
        """The hours left for the judged accounts after the policy hours (may be negative)."""
        return self.capacity_within_caps - self.policy_hours

    @property
    def fits(self) -> bool:
        """Whether the policy hours fit in the team's capacity (within the function caps)."""
        return self.policy_hours <= self.capacity_within_caps

    def refusal(self) -> str:
        """The sentence that says why a plan cannot be made ("" when it fits)."""
        if self.fits:
            return ""
        return _(
            "The box policies plan %(policy)s hours for the %(n)s accounts without "
            "judgements, more than the team's %(capacity)s hours: lower those boxes' "
            "hours in this period's box policies, add capacity, or enter judgements."
        ) % {
            "policy": f"{self.policy_hours:,}",
            "n": f"{len(self.policy_accounts):,}",
            "capacity": f"{self.capacity_within_caps:,}",
        }


def plan_hours(*, period: PlanningPeriod) -> PlanHours:
    """The period's capacity check (see ``PlanHours``): the people's hours (and within the
    caps per function), the judged accounts and their minimum hours, and every active
    account without a judgement with its box policy's hours (``policy_hours``: the middle
    of the range), owner and team. Every active account counts, whoever asks: totals are
    no secret (the matrix shows them to everyone). A fixed number of queries."""
    people = period.capacities.values("function").annotate(hours=Sum("hours_per_year")).order_by()
    people_hours = {r["function"]: int(r["hours"] or 0) for r in people}
    caps = {f.function: f.hours_per_year for f in period.function_capacities.all()}
    capacity = sum(people_hours.values())
    within = sum(min(h, caps[f]) if f in caps else h for f, h in people_hours.items())
    policies = {p.box: p for p in period.policies.all()}
    review = review_for_boxes()
    boxes: dict[int, str] = {}
    if review is not None:
        boxes = dict(
            Placement.objects.filter(review=review, account__active=True).values_list(
                "account_id", "box"
            )
        )
    judged = list(
        ResponseJudgement.objects.filter(period=period, account__active=True).values_list(
            "account_id", "min_hours"
        )
    )
    judged_ids = {a for a, _m in judged}
    judged_min = 0
    for account_id, min_hours in judged:
        p = policies.get(boxes.get(account_id, "") or "")
        judged_min += min_hours if min_hours is not None else (p.min_hours_per_year if p else 0)
    accounts = list(
        Account.objects.filter(active=True)
        .exclude(pk__in=judged_ids)
        .order_by("pk")
        .values_list("pk", "owner_id")
    )
    teams: dict[int, list[int]] = {}
    for account_id, user_id in (
        AccountTeamMember.objects.filter(account__active=True)
        .exclude(account_id__in=judged_ids)
        .order_by("account_id", "user_id")
        .values_list("account_id", "user_id")
    ):
        teams.setdefault(account_id, []).append(user_id)
    rank = {b.value: i for i, b in enumerate(Box)}
    rows = []
    for account_id, owner_id in accounts:
        box = boxes.get(account_id, "") or ""
        p = policies.get(box)
        rows.append(
            PolicyAccountRow(
                account_id=account_id,
                box=box,
                owner_id=owner_id,
                team=tuple(teams.get(account_id, ())),
                hours=p.policy_hours if p else 0,
                min_hours=p.min_hours_per_year if p else 0,
                max_hours=p.max_hours_per_year if p else None,
            )
        )
    # Key accounts first: when hours run short, the lower boxes go without.
    rows.sort(key=lambda r: (rank.get(r.box, len(rank)), r.account_id))
    by_box = []
    for b in [*(b.value for b in Box), ""]:
        mine = [r for r in rows if r.box == b]
        if not mine and b == "":
            continue
        p = policies.get(b)
        by_box.append(
            {
                "box": b,
                "accounts": len(mine),
                "hours_each": p.policy_hours if p else 0,
                "hours": sum(r.hours for r in mine),
                "service_channel": p.service_channel if p else "",
                "service_channel_label": p.get_service_channel_display() if p else "",
                "visits_each": p.visits_per_year if p else 0,
            }
        )
    return PlanHours(
        capacity_hours=capacity,
        capacity_within_caps=within,
        judged_accounts=len(judged_ids),
        judged_min_hours=judged_min,
        policy_accounts=tuple(rows),
        by_box=tuple(by_box),
    )


def judgement_list(
    *, period: PlanningPeriod, accounts: QuerySet[Any]
) -> QuerySet[ResponseJudgement]:
    """The judgements of ``period`` on these accounts (a ``values("pk")`` queryset), by account."""
    return (
        ResponseJudgement.objects.filter(period=period, account_id__in=accounts)
        .select_related("account", "entered_by")
        .order_by("account__name", "pk")
    )
