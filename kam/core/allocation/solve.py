"""Solving an allocation problem, and the what-ifs around it (docs/method.md section 2).

``allocate`` hands a pool problem to the pool solver (``kam.core.allocation.pool``) and a
team problem to the team solver (``kam.core.allocation.team``); the value of one more
hour and the capacity what-if solve the problem again.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from kam.core.allocation.pool import allocate_pool
from kam.core.allocation.problems import (
    AllocationResult,
    CapacityPoint,
    Problem,
    ProgressCallback,
    TeamProblem,
)


def gain_per_hour(points: Sequence[tuple[float, float]]) -> list[float | None]:
    """For what-if points (capacity, objective) in order of capacity: the gain per extra
    hour from each point to the next, (objective₂ − objective₁) / (capacity₂ − capacity₁);
    None for the last point. This is what the hours between them really bring on average."""
    out: list[float | None] = []
    for (c1, o1), (c2, o2) in itertools.pairwise(points):
        out.append((o2 - o1) / (c2 - c1) if c2 > c1 else None)
    return [*out, None] if points else []


def allocate(
    problem: Problem,
    *,
    gap_target: float = 1e-6,
    progress: ProgressCallback | None = None,
) -> AllocationResult:
    """Solve a pool or team problem; the result reports its certified gap.

    ``gap_target`` is the relative gap below which the solver stops improving.
    ``progress`` is called now and then with the fraction done and the phase.
    """
    if isinstance(problem, TeamProblem):
        # the team solver needs scipy: imported only for a team, so `kam allocate` on a pool
        # starts with numpy alone (tests/test_cli_startup.py)
        from kam.core.allocation.team import allocate_team

        return allocate_team(problem, gap_target=gap_target, progress=progress)
    return allocate_pool(problem, gap_target=gap_target, progress=progress)


def _scaled(problem: Problem, capacity: float) -> Problem:
    """The problem at another total capacity (hours); a team's people (and functions, and
    total) scaled in proportion so that they add up to it."""
    if not isinstance(problem, TeamProblem):
        return replace(problem, capacity_hours=capacity)
    total = sum(p.capacity_hours for p in problem.people)
    factor = capacity / total if total > 0 else 0.0
    return replace(
        problem,
        people=[replace(p, capacity_hours=p.capacity_hours * factor) for p in problem.people],
        function_capacity=(
            None
            if problem.function_capacity is None
            else {f: h * factor for f, h in problem.function_capacity.items()}
        ),
        total_capacity_hours=(
            None if problem.total_capacity_hours is None else problem.total_capacity_hours * factor
        ),
    )


def _capacity(problem: Problem) -> float:
    if isinstance(problem, TeamProblem):
        return float(sum(p.capacity_hours for p in problem.people))
    return float(problem.capacity_hours)


#: people tried for a team's value of one more hour (those whose hours the plan uses up,
#: highest Lagrangian price first): each is one more solve of the team
HOUR_VALUE_PEOPLE = 6


def value_of_one_more_hour(problem: Problem, result: AllocationResult) -> float:
    """What one more hour of capacity adds to the best objective (currency):
    f(C + 1) − f(C), not the Lagrangian price (with S-shaped curves the two differ).

    A pool's result carries it (exact from the dynamic programme, or the plan's re-solve).
    A team is solved again with one more hour for one person, for each of the people whose
    hours the plan uses up (at most ``HOUR_VALUE_PEOPLE``, highest Lagrangian price first;
    a person with hours left over has no use for another), keeping the largest gain; an
    hour spread over everyone in proportion would be a fraction of an hour each, which the
    hour grid cannot use. 0 when nobody's hours are used up."""
    if result.hour_value is not None:
        return float(result.hour_value)
    assert isinstance(problem, TeamProblem)
    used = (
        result.person_hours.sum(axis=1)
        if result.person_hours is not None
        else np.zeros(len(problem.people))
    )
    prices = (
        result.person_shadow_prices
        if result.person_shadow_prices is not None
        else np.zeros(len(problem.people))
    )
    full = [
        j
        for j, person in enumerate(problem.people)
        if used[j] >= person.capacity_hours - problem.granularity + 1e-9
    ]
    full.sort(key=lambda j: -float(prices[j]))
    best = 0.0
    g = problem.granularity
    for j in full[:HOUR_VALUE_PEOPLE]:
        hours = problem.people[j].capacity_hours
        if math.floor((hours + 1.0) / g + 1e-9) == math.floor(hours / g + 1e-9):
            continue  # the same problem on the hour grid: the hour adds nothing
        people = list(problem.people)
        people[j] = replace(people[j], capacity_hours=people[j].capacity_hours + 1.0)
        more = allocate(replace(problem, people=people))
        best = max(best, more.objective - result.objective)
    return best


def value_of_one_more_cap_hour(
    problem: TeamProblem, result: AllocationResult, function: str
) -> float:
    """What one more hour of a function's cap adds to the best objective: the team solved
    again with that cap one hour higher (≥ 0, as for ``value_of_one_more_hour``)."""
    caps = dict(problem.function_capacity or {})
    if function not in caps:
        raise ValueError(f"function {function!r} has no cap")
    g = problem.granularity
    if math.floor((caps[function] + 1.0) / g + 1e-9) == math.floor(caps[function] / g + 1e-9):
        return 0.0  # the same problem on the hour grid: the hour adds nothing
    caps[function] = caps[function] + 1.0
    more = allocate(replace(problem, function_capacity=caps))
    return max(more.objective - result.objective, 0.0)


def capacity_curve(
    problem: Problem,
    capacities: Sequence[float],
    *,
    progress: ProgressCallback | None = None,
) -> list[CapacityPoint]:
    """The capacity what-if: the problem solved at each total capacity (hours).

    For a team problem the people's (and functions') capacities are scaled in proportion
    so that they add up to each total. Each point's ``hour_value`` is the pool's exact
    value of one more hour there, None for a team (solving twice per point would double
    the what-if; ``gain_per_hour`` gives the gain between two points).
    """
    points = []
    for j, capacity in enumerate(capacities):
        result = allocate(_scaled(problem, capacity))
        points.append(
            CapacityPoint(float(capacity), result.objective, result.shadow_price, result.hour_value)
        )
        if progress is not None:
            progress((j + 1) / len(capacities), "capacity what-if")
    return points
