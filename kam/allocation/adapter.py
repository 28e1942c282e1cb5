"""The ORM adapter of the optimiser (docs/method.md section 2): a planning period's rows
become a ``kam.core.allocation`` problem (``run_problem``), and a result becomes the
run's lines and summary (``result_store``), with the capacity what-if and the value of
one more hour solved on the way. The job that calls them is in
``kam.allocation.run_services``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from kam.allocation.judgement_services import judgement_curve
from kam.allocation.models import (
    AllocationLine,
    AllocationPersonLine,
    AllocationRun,
    PeriodBoxPolicy,
    PlannedBy,
    PlanningPeriod,
    ResponseJudgement,
    RunStatus,
)
from kam.allocation.selectors import PlanHours, eligible_people, plan_hours, review_for_boxes
from kam.allocation.services import CENT, TENTH
from kam.core.allocation.curves import Curves, ResponseCurve
from kam.core.allocation.policy import PolicyAccount, PolicyAssignment, assign_policy_hours
from kam.core.allocation.pool import flat_rule, reference_allocation
from kam.core.allocation.problems import (
    AllocationResult,
    CapacityPoint,
    Person,
    PoolProblem,
    ProgressCallback,
    TeamProblem,
)
from kam.core.allocation.solve import (
    capacity_curve,
    gain_per_hour,
    value_of_one_more_cap_hour,
    value_of_one_more_hour,
)
from kam.core.allocation.team import team_scale
from kam.errors import ApplicationError
from kam.portfolio.models import Placement
from kam.users.models import Function

#: The what-if shows the best plan from 60 % to 160 % of the period's capacity.
WHAT_IF_SHARES = (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6)
#: The hours of one more hire for the "one more hire" estimate (a full-time person's
#: customer hours after holidays, travel and internal work).
HIRE_HOURS = 1400


@dataclass
class Built:
    """The core problem of a period, and what is needed to store its result.

    The problem holds the judged accounts only, with the people's hours left after the
    policy hours of the other active accounts (``policy``, given before the optimiser)."""

    problem: TeamProblem | PoolProblem
    account_ids: list[int]
    boxes: list[str]
    curves: list[ResponseCurve]
    min_hours: np.ndarray
    max_hours: np.ndarray
    user_ids: list[int]
    capacity_hours: float
    #: the function of each person in ``user_ids``
    functions: list[str]
    #: the period's caps per function (yearly hours), only the functions that have one
    function_caps: dict[str, float]
    #: each person's own hours in the period, before the policy hours (by ``user_ids``)
    people_hours: list[float] = field(default_factory=list)
    #: the capacity check the plan was made against
    hours: PlanHours | None = None
    #: the policy hours given to the accounts without judgements
    policy: PolicyAssignment[int, int] = field(default_factory=PolicyAssignment)


def _flat_hours(box: str, policies: Mapping[str, PeriodBoxPolicy], reference: float) -> float:
    # The flat per-box rule: every account of a box gets the middle of its policy's range;
    # an account without a box keeps today's hours.
    p = policies.get(box)
    if p is None:
        return reference
    return (p.min_hours_per_year + p.max_hours_per_year) / 2.0


def run_problem(*, period: PlanningPeriod) -> Built:
    """The core problem of ``period`` (docs/allocation.md, "Time for every customer").

    Every active account without a judgement gets its box policy's hours
    (``PeriodBoxPolicy.policy_hours``), from its owner first, then its account team
    (``kam.core.allocation.policy``); those hours are taken off the people's and functions'
    capacities. The optimiser then divides what is left over the active accounts with a
    judgement: one curve each, bounds from the judgement's override or the period's policy
    for the account's box in the portfolio review (the latest closed one), and the team
    (people with hours, their cost, who may serve which account: owner and account team)
    with the period's caps per function. Refused (``ApplicationError``) when the policy
    hours exceed the team's capacity."""
    hours = plan_hours(period=period)
    refusal = hours.refusal()
    if refusal:
        raise ApplicationError(refusal, status=422)
    judgements = list(
        ResponseJudgement.objects.filter(period=period, account__active=True).order_by("account_id")
    )
    account_ids = [j.account_id for j in judgements]
    review = review_for_boxes()
    boxes_by_account: dict[int, str] = {}
    if review is not None:
        boxes_by_account = dict(
            Placement.objects.filter(review=review, account_id__in=account_ids).values_list(
                "account_id", "box"
            )
        )
    policies = {p.box: p for p in period.policies.all()}
    curves, boxes, lo, hi, flat = [], [], [], [], []
    for j in judgements:
        box = boxes_by_account.get(j.account_id, "") or ""
        policy = policies.get(box)
        curves.append(judgement_curve(j))
        boxes.append(box)
        lo.append(
            float(j.min_hours)
            if j.min_hours is not None
            else float(policy.min_hours_per_year if policy else 0)
        )
        hi.append(
            float(j.max_hours)
            if j.max_hours is not None
            else float(policy.max_hours_per_year if policy else np.inf)
        )
        flat.append(_flat_hours(box, policies, float(j.reference_hours)))
    min_hours = np.array(lo, dtype=float)
    max_hours = np.array(hi, dtype=float)
    caps = [c for c in period.capacities.all() if c.hours_per_year > 0]
    function_caps = {f.function: float(f.hours_per_year) for f in period.function_capacities.all()}
    assigned = assign_policy_hours(
        [
            PolicyAccount(key=a.account_id, hours=float(a.hours), owner=a.owner_id, team=a.team)
            for a in hours.policy_accounts
        ],
        capacity={c.user_id: float(c.hours_per_year) for c in caps},
        functions={c.user_id: c.function for c in caps},
        function_caps=function_caps,
    )
    user_ids = [c.user_id for c in caps]
    people = [
        Person(
            key=c.user_id,
            capacity_hours=max(assigned.person_left[c.user_id], 0.0),
            function=c.function,
            hour_cost=float(c.hourly_cost),
        )
        for c in caps
    ]
    eligible_map = eligible_people(account_ids=account_ids)
    eligible = np.zeros((len(people), len(account_ids)), dtype=bool)
    index = {u: i for i, u in enumerate(user_ids)}
    for col, account_id in enumerate(account_ids):
        for u in eligible_map.get(account_id, ()):
            if u in index:
                eligible[index[u], col] = True
    capacity = float(sum(c.hours_per_year for c in caps))
    problem = TeamProblem(
        curves=Curves.of(curves),
        people=people,
        eligible=eligible,
        function_capacity=(
            {f: max(assigned.function_left.get(f, h), 0.0) for f, h in function_caps.items()}
            or None
        ),
        min_hours=min_hours,
        max_hours=max_hours,
        flat_hours=np.array(flat, dtype=float),
        accounts=tuple(account_ids),
    )
    return Built(
        problem,
        account_ids,
        boxes,
        curves,
        min_hours,
        max_hours,
        user_ids,
        capacity,
        [c.function for c in caps],
        function_caps,
        people_hours=[float(c.hours_per_year) for c in caps],
        hours=hours,
        policy=assigned,
    )


def _money(value: float) -> Decimal:
    return Decimal(str(round(float(value), 2))).quantize(CENT)


def _hours(value: float) -> Decimal:
    return Decimal(str(round(float(value), 1))).quantize(TENTH)


def what_if_points(
    built: Built, result: AllocationResult, progress: ProgressCallback
) -> list[CapacityPoint | None]:
    """The capacity what-if of a plan: the best plan at each share of the period's capacity
    in ``WHAT_IF_SHARES``, then with one more hire (``HIRE_HOURS``); None where the total
    is below the policy hours."""
    # The what-if covers every account: at each total capacity the policy hours stay
    # as they are and the optimiser divides the rest (a total below the policy hours
    # is left out). The point at today's capacity is the plan just computed: it is not
    # solved twice.
    policy_total = built.policy.total
    wanted = [built.capacity_hours * s for s in WHAT_IF_SHARES] + [
        built.capacity_hours + HIRE_HOURS
    ]
    solve = [t for i, t in enumerate(wanted) if i != WHAT_IF_SHARES.index(1.0)]
    solve = [t for t in solve if t - policy_total > 0]
    solved = capacity_curve(
        built.problem,
        [t - policy_total for t in solve],
        progress=progress,
    )
    by_total = {
        t: CapacityPoint(t, p.objective, p.shadow_price) for t, p in zip(solve, solved, strict=True)
    }
    by_total[built.capacity_hours] = CapacityPoint(
        built.capacity_hours, result.objective, result.shadow_price
    )
    return [by_total.get(t) for t in wanted]


def hour_values(built: Built, result: AllocationResult) -> tuple[float, dict[str, float]]:
    """What one more hour really adds to the plan (docs/allocation.md, "The value of one
    more hour"): of the team's capacity, and of each function's cap. The problem is solved
    again with that hour (``kam.core.allocation.solve.value_of_one_more_hour``); the Lagrangian
    prices are kept under their own name."""
    total = value_of_one_more_hour(built.problem, result)
    caps: dict[str, float] = {}
    if isinstance(built.problem, TeamProblem) and built.problem.function_capacity:
        for function in built.problem.function_capacity:
            caps[function] = value_of_one_more_cap_hour(built.problem, result, function)
    return total, caps


def _function_summary(
    built: Built, result: AllocationResult, cap_values: dict[str, float]
) -> list[dict[str, Any]]:
    """Per function (in the order of ``Function``): its people's hours, its cap (None when
    it has none), the hours planned for its people (the optimiser's and the policy hours of
    the accounts without judgements) and, when capped, what one more hour of the cap adds
    to the plan (``hour_value``, a re-solve) and the cap's Lagrangian price μ_f
    (``shadow_price``, per hour; docs/method.md section 2)."""
    people_hours: dict[str, float] = {}
    planned: dict[str, float] = {}
    per_person = (
        result.person_hours.sum(axis=1)
        if result.person_hours is not None
        else np.zeros(len(built.user_ids))
    )
    policy_per_person: dict[Any, float] = {}
    for (person, _account), h in built.policy.person_hours.items():
        policy_per_person[person] = policy_per_person.get(person, 0.0) + h
    own = built.people_hours or [float(p.capacity_hours) for p in built.problem.people]  # type: ignore[union-attr]
    for user_id, function, capacity, hours in zip(
        built.user_ids, built.functions, own, per_person, strict=True
    ):
        people_hours[function] = people_hours.get(function, 0.0) + float(capacity)
        planned[function] = (
            planned.get(function, 0.0) + float(hours) + policy_per_person.get(user_id, 0.0)
        )
    prices = result.function_shadow_prices
    out = []
    for function in Function.values:
        if function not in people_hours and function not in built.function_caps:
            continue
        cap = built.function_caps.get(function)
        price = prices.get(function, 0.0) if cap is not None else None
        out.append(
            {
                "function": function,
                "people_hours": people_hours.get(function, 0.0),
                "cap": cap,
                "hours": round(planned.get(function, 0.0), 1),
                "shadow_price": None if price is None else float(price),
                "hour_value": (None if cap is None else float(cap_values.get(function, 0.0))),
            }
        )
    return out


def _comparisons(
    built: Built, result: AllocationResult
) -> tuple[float, float | None, float | None]:
    """Today's allocation and the flat per-box rule, given the hours the plan can really
    use (docs/allocation.md, "What the result reports"): when the capacity binds (a shadow
    price above 0) the hours the plan gives the judged accounts, since the caps per
    function and who may serve whom can leave part of the capacity unusable for them;
    otherwise the optimiser's capacity, as ``kam.core`` takes it. Without the policy hours
    of the other accounts both comparisons would get hours the team does not have."""
    if built.policy.total <= 0 or not isinstance(built.problem, TeamProblem):
        return (
            float(result.baseline_objective),
            float(result.flat_objective) if result.flat_objective is not None else None,
            None,
        )
    people = built.problem.people
    capacity = float(sum(p.capacity_hours for p in people))
    if result.shadow_price > 1e-9:
        capacity = min(capacity, float(np.sum(result.hours)))
    weights = np.array([p.capacity_hours for p in people], dtype=float)
    costs = np.array([p.hour_cost for p in people], dtype=float)
    mean_cost = float(costs @ (weights / max(float(weights.sum()), 1.0)))
    curves = Curves.of(built.curves)
    # Only hours someone may spend can be compared: an account nobody may serve gets none in
    # any plan, and the rest in today's proportions as far as the people who may serve them
    # have the hours (team_scale), not merely as far as the total capacity goes.
    eligible = built.problem.eligible
    servable = np.ones(len(built.curves), dtype=bool) if eligible is None else eligible.any(axis=0)
    reference = np.array([c.reference_hours for c in built.curves], dtype=float)
    reference = np.where(servable, reference_allocation(reference, capacity), 0.0)
    baseline = reference * team_scale(built.problem, reference, capacity)
    baseline_objective = float((curves.contribution(baseline) - mean_cost * baseline).sum())
    flat_objective = None
    if built.problem.flat_hours is not None:
        flat = flat_rule(
            np.asarray(built.problem.flat_hours, dtype=float),
            capacity,
            built.min_hours,
            built.max_hours,
        )
        flat = np.where(servable, flat, 0.0)
        flat = flat * team_scale(built.problem, flat, capacity)
        flat_objective = float((curves.contribution(flat) - mean_cost * flat).sum())
    return baseline_objective, flat_objective, float(baseline.sum())


def result_store(
    run: AllocationRun,
    built: Built,
    result: AllocationResult,
    points: list[CapacityPoint | None],
    values: tuple[float, dict[str, float]],
) -> None:
    """Store a run's result: one line per account (the optimiser's and the policy hours'),
    the hours per person and account, and the summary the run page shows; the run is done."""
    shortfalls = {s.index: s.reason.value for s in result.shortfalls}
    hire = points[-1]
    what_if = [p for p in points[: len(WHAT_IF_SHARES)] if p is not None]
    policy = built.policy
    policy_rows = built.hours.policy_accounts if built.hours is not None else ()
    person_prices = (
        {str(u): float(p) for u, p in zip(built.user_ids, result.person_shadow_prices, strict=True)}
        if result.person_shadow_prices is not None
        else {}
    )
    functions = _function_summary(built, result, values[1])
    baseline_objective, flat_objective, baseline_hours = _comparisons(built, result)
    summary = {
        "objective": float(result.objective),
        "upper_bound": float(result.upper_bound),
        "gap": float(result.gap),
        "relative_gap": float(result.relative_gap),
        "exact": bool(result.exact),
        "iterations": int(result.iterations),
        "hour_value": float(values[0]),
        "function_hour_values": {
            f["function"]: f["hour_value"] for f in functions if f["hour_value"] is not None
        },
        "shadow_price": float(result.shadow_price),
        "person_shadow_prices": person_prices,
        "function_shadow_prices": {
            f["function"]: f["shadow_price"] for f in functions if f["shadow_price"] is not None
        },
        "functions": functions,
        "baseline_objective": baseline_objective,
        "baseline_hours": baseline_hours,
        "flat_objective": flat_objective,
        "uplift": float(result.objective) - baseline_objective,
        "uplift_flat": (
            float(result.objective) - flat_objective if flat_objective is not None else None
        ),
        "capacity_hours": built.capacity_hours,
        "planned_hours": float(np.sum(result.hours)) + policy.total,
        "optimised_hours": float(np.sum(result.hours)),
        "policy_hours": policy.total,
        "optimiser_capacity_hours": float(sum(p.capacity_hours for p in built.problem.people))
        if isinstance(built.problem, TeamProblem)
        else built.capacity_hours - policy.total,
        "reference_hours": float(sum(c.reference_hours for c in built.curves)),
        "minimum_hours": float(np.sum(built.min_hours)),
        "accounts": len(built.account_ids) + len(policy_rows),
        "judged_accounts": len(built.account_ids),
        "policy_accounts": len(policy_rows),
        "below_minimum": len(result.shortfalls)
        + sum(1 for a in policy_rows if policy.hours.get(a.account_id, 0.0) < a.min_hours),
        "hire_hours": HIRE_HOURS,
        "hire_value": float(hire.objective - result.objective) if hire is not None else None,
        "what_if": [
            {
                "capacity": float(p.capacity),
                "objective": float(p.objective),
                "shadow_price": float(p.shadow_price),
                "gain_per_hour": gain,
            }
            for p, gain in zip(
                what_if,
                gain_per_hour([(p.capacity, p.objective) for p in what_if]),
                strict=True,
            )
        ],
    }
    reference = np.array([c.reference_hours for c in built.curves], dtype=float)
    reference_contribution = Curves.of(built.curves).contribution(reference)
    lines = [
        AllocationLine(
            run=run,
            account_id=account_id,
            box=built.boxes[i],
            hours=_hours(result.hours[i]),
            contribution=_money(result.contributions[i]),
            reference_hours=_hours(reference[i]),
            reference_contribution=_money(reference_contribution[i]),
            min_hours=_hours(built.min_hours[i]),
            max_hours=None if not np.isfinite(built.max_hours[i]) else _hours(built.max_hours[i]),
            below_minimum=shortfalls.get(i, ""),
        )
        for i, account_id in enumerate(built.account_ids)
    ]
    for a in policy_rows:
        given = policy.hours.get(a.account_id, 0.0)
        reason = policy.shortfalls.get(a.account_id)
        lines.append(
            AllocationLine(
                run=run,
                account_id=a.account_id,
                box=a.box,
                planned_by=PlannedBy.POLICY,
                hours=_hours(given),
                contribution=None,
                reference_hours=None,
                reference_contribution=None,
                min_hours=_hours(a.min_hours),
                max_hours=None if a.max_hours is None else _hours(a.max_hours),
                below_minimum=reason.value if reason is not None and given < a.min_hours else "",
            )
        )
    person_lines = []
    if result.person_hours is not None:
        rows, cols = np.nonzero(result.person_hours > 1e-9)
        for p, col in zip(rows.tolist(), cols.tolist(), strict=True):
            person_lines.append(
                AllocationPersonLine(
                    run=run,
                    user_id=built.user_ids[p],
                    account_id=built.account_ids[col],
                    hours=_hours(result.person_hours[p, col]),
                )
            )
    for (user_id, account_id), h in policy.person_hours.items():
        person_lines.append(
            AllocationPersonLine(run=run, user_id=user_id, account_id=account_id, hours=_hours(h))
        )
    AllocationRun.objects.filter(pk=run.pk).update(progress=95)
    with transaction.atomic():
        AllocationLine.objects.filter(run=run).delete()
        AllocationPersonLine.objects.filter(run=run).delete()
        AllocationLine.objects.bulk_create(lines, batch_size=2000)
        AllocationPersonLine.objects.bulk_create(person_lines, batch_size=2000)
        AllocationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE, progress=100, summary=summary, finished_at=timezone.now()
        )
