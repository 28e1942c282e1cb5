"""The team allocation optimiser (docs/method.md section 2; kam/core/allocation/team.py).

Small teams against an exhaustive search and against an independent MILP (HiGHS through
scipy), and properties: every capacity, bound and eligibility respected, the certified
upper bound never below the true optimum, more capacity never worse.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from kam.core.allocation.curves import Curves
from kam.core.allocation.problems import Person, TeamProblem
from kam.core.allocation.solve import allocate
from kam.core.allocation.team import EXACT_PAIRS


def random_curves(n: int, seed: int) -> Curves:
    """S-shaped and concave curves of small accounts (2–15 reference hours)."""
    rng = np.random.default_rng(seed)
    ref = np.round(rng.uniform(2, 15, n))
    c = rng.uniform(0, 500, n)
    span = rng.uniform(100, 3000, n)
    y1 = rng.uniform(0.1, 0.7, n)
    y15 = y1 + (1 - y1) * rng.uniform(0.05, 0.7, n)
    e = (1 - y1) / y1
    d = np.log(e * y15 / (1 - y15)) / np.log(1.5)
    return Curves(c=c, b=c + span, d=d, e=e, reference_hours=ref)


def reference_optimum(problem: TeamProblem) -> float | None:
    """The exact optimum by an independent MILP: each account picks one grid point
    (binaries), integer grid units per eligible person and account add up to it, within
    each person's, each function's and the total capacity. None when infeasible."""
    curves = problem.curves
    assert isinstance(curves, Curves)
    n, people = len(curves), list(problem.people)
    m, g = len(people), problem.granularity
    cap = np.array([math.floor(p.capacity_hours / g + 1e-9) for p in people])
    total = int(cap.sum())
    if problem.total_capacity_hours is not None:
        total = min(total, math.floor(problem.total_capacity_hours / g + 1e-9))
    lo = np.zeros(n) if problem.min_hours is None else np.asarray(problem.min_hours)
    hi = np.full(n, np.inf) if problem.max_hours is None else np.asarray(problem.max_hours)
    lo_u = np.ceil(lo / g - 1e-9).astype(int)
    hi_u = np.minimum(np.floor(hi / g + 1e-9), total).astype(int)
    eligible = np.ones((m, n), bool) if problem.eligible is None else problem.eligible
    if np.any(lo_u > hi_u):
        return None
    account = np.concatenate([np.full(hi_u[i] - lo_u[i] + 1, i) for i in range(n)])
    points = np.concatenate([np.arange(lo_u[i], hi_u[i] + 1) for i in range(n)])
    pp, pi = np.nonzero(eligible)
    functions = sorted({p.function for p in people})
    fof = np.array([functions.index(p.function) for p in people])
    fc = problem.function_capacity or {}
    fcap = [math.floor(fc[f] / g + 1e-9) if f in fc else total for f in functions]
    nz, ny, nf = points.size, pp.size, len(functions)
    rows = np.concatenate([account, n + account, n + pi, 2 * n + pp, 2 * n + m + fof[pp]])
    rows = np.concatenate([rows, np.full(ny, 2 * n + m + nf)])
    cols = np.concatenate([np.arange(nz), np.arange(nz)] + [nz + np.arange(ny)] * 4)
    vals = np.concatenate([np.ones(nz), points.astype(float), -np.ones(ny), np.ones(3 * ny)])
    a = coo_matrix((vals, (rows, cols)), shape=(2 * n + m + nf + 1, nz + ny))
    value = np.array(
        [curves[int(i)].contribution(float(k * g)) for i, k in zip(account, points, strict=True)]
    )
    cost = np.array([people[p].hour_cost for p in pp]) * g
    res = milp(
        np.concatenate([-value, cost]),
        constraints=LinearConstraint(
            a,
            np.concatenate([np.ones(n), np.zeros(n), np.full(m + nf + 1, -np.inf)]),
            np.concatenate([np.ones(n), np.zeros(n), cap, fcap, [total]]),
        ),
        integrality=np.ones(nz + ny),
        bounds=Bounds(0, np.concatenate([np.ones(nz), np.full(ny, np.inf)])),
        options={"mip_rel_gap": 1e-12},
    )
    if res.status != 0:
        return None
    return float(-res.fun)


def check_feasible(problem: TeamProblem, result: object) -> None:
    """Every capacity, eligibility and bound of ``problem`` holds in ``result``."""
    from kam.core.allocation.problems import AllocationResult

    assert isinstance(result, AllocationResult) and result.person_hours is not None
    people = list(problem.people)
    g = problem.granularity
    ph = result.person_hours
    eligible = np.ones(ph.shape, bool) if problem.eligible is None else problem.eligible
    tol = 1e-9
    assert np.all(ph >= 0)
    assert np.all(ph[~eligible] == 0)
    units = ph / g
    assert np.allclose(units, np.round(units))  # whole grid steps
    per_person = ph.sum(axis=1)
    for j, p in enumerate(people):
        assert per_person[j] <= p.capacity_hours + tol
    for f, hours in (problem.function_capacity or {}).items():
        assert sum(per_person[j] for j, p in enumerate(people) if p.function == f) <= hours + tol
    if problem.total_capacity_hours is not None:
        assert ph.sum() <= problem.total_capacity_hours + tol
    assert result.hours == pytest.approx(ph.sum(axis=0))
    if problem.max_hours is not None:
        assert np.all(result.hours <= np.asarray(problem.max_hours) + tol)
    short = {s.index for s in result.shortfalls}
    if problem.min_hours is not None:
        for i, minimum in enumerate(problem.min_hours):
            assert result.hours[i] >= minimum - tol or i in short
    value = float(problem_curves(problem).contribution(result.hours).sum())
    cost = float(np.array([p.hour_cost for p in people]) @ per_person)
    assert result.objective == pytest.approx(value - cost, rel=1e-9, abs=1e-6)
    assert result.gap >= 0 and result.upper_bound >= result.objective


def problem_curves(problem: TeamProblem) -> Curves:
    assert isinstance(problem.curves, Curves)
    return problem.curves


# --- exhaustive search, worked on a small case ---------------------------------------------------


def test_small_team_matches_exhaustive_search() -> None:
    # two people (3 and 2 hours, cost 10 and 30 per hour), three accounts; the second
    # person may not serve account 0. Every whole-hour split is tried.
    curves = random_curves(3, 7)
    people = [Person("ann", 3, "kam", 10.0), Person("bob", 2, "service", 30.0)]
    eligible = np.array([[True, True, True], [False, True, True]])
    problem = TeamProblem(curves, people, eligible=eligible)
    best = -math.inf
    pairs = list(zip(*np.nonzero(eligible), strict=True))
    for split in itertools.product(range(4), repeat=len(pairs)):
        load = [0, 0]
        hours = np.zeros(3)
        for (p, i), h in zip(pairs, split, strict=True):
            load[p] += h
            hours[i] += h
        if load[0] > 3 or load[1] > 2:
            continue
        value = float(curves.contribution(hours).sum()) - 10 * load[0] - 30 * load[1]
        best = max(best, value)
    result = allocate(problem)
    check_feasible(problem, result)
    assert result.objective == pytest.approx(best, abs=1e-9)
    assert result.upper_bound >= best - 1e-9
    assert result.exact


# --- against an independent MILP ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_small_teams_are_solved_exactly(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 12
    curves = random_curves(n, 100 + seed)
    people = [
        Person("a", 40, "kam", 40.0),
        Person("b", 30, "kam", 55.0),
        Person("c", 35, "service", 20.0),
    ]
    eligible = rng.random((3, n)) < 0.6
    eligible[rng.integers(0, 3, n), np.arange(n)] = True
    problem = TeamProblem(
        curves,
        people,
        eligible=eligible,
        function_capacity={"kam": 50},
        total_capacity_hours=90,
        max_hours=np.full(n, 30.0),
        granularity=2.5,
    )
    exact = reference_optimum(problem)
    assert exact is not None
    result = allocate(problem)
    check_feasible(problem, result)
    assert result.objective == pytest.approx(exact, rel=1e-7)
    assert result.upper_bound >= exact - 1e-7 * abs(exact)
    assert result.relative_gap <= 1e-6


def test_a_larger_team_takes_the_quick_route_and_meets_the_gap_target() -> None:
    # 6 people × 3,000 accounts: more person-account pairs than the exact route takes
    n = 3_000
    curves = random_curves(n, 5)
    rng = np.random.default_rng(5)
    total = float(curves.reference_hours.sum() * 0.8)
    people = [
        Person(f"p{j}", total / 6, "kam" if j % 2 == 0 else "service", 60.0 - 25.0 * (j % 2))
        for j in range(6)
    ]
    eligible = rng.random((6, n)) < 0.7
    eligible[rng.integers(0, 6, n), np.arange(n)] = True
    assert eligible.sum() > EXACT_PAIRS
    minimum = np.where(rng.random(n) < 0.2, 2.0, 0.0)
    problem = TeamProblem(
        curves, people, eligible=eligible, min_hours=minimum, max_hours=np.full(n, 40.0)
    )
    result = allocate(problem)
    check_feasible(problem, result)
    assert not result.shortfalls
    assert result.relative_gap < 1e-6


def test_people_that_tie_share_the_accounts_they_may_all_serve() -> None:
    # identical people: the dual prices tie and who serves what is decided by the MILP
    curves = random_curves(40, 9)
    people = [Person(k, 60, "kam", 20.0) for k in "abcd"]
    problem = TeamProblem(curves, people, max_hours=np.full(40, 20.0))
    exact = reference_optimum(problem)
    assert exact is not None
    result = allocate(problem)
    check_feasible(problem, result)
    assert result.objective == pytest.approx(exact, rel=1e-7)
    assert result.upper_bound >= exact - 1e-7 * abs(exact)


def test_progress_runs_from_zero_to_done() -> None:
    seen: list[tuple[float, str]] = []
    allocate(
        TeamProblem(random_curves(20, 3), [Person("a", 50), Person("b", 40)]),
        progress=lambda f, phase: seen.append((f, phase)),
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0
    assert seen[-1] == (1.0, "done")


# --- properties ----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 7),
    m=st.integers(1, 3),
    granularity=st.sampled_from([1.0, 2.5, 5.0]),
    function_cap=st.one_of(st.none(), st.integers(0, 60)),
    total_cap=st.one_of(st.none(), st.integers(0, 80)),
    more=st.integers(1, 30),
)
def test_team_properties(
    seed: int,
    n: int,
    m: int,
    granularity: float,
    function_cap: int | None,
    total_cap: int | None,
    more: int,
) -> None:
    rng = np.random.default_rng(seed)
    curves = random_curves(n, seed)
    people = [
        Person(
            f"p{j}",
            float(rng.integers(0, 40)),
            "kam" if j % 2 == 0 else "service",
            float(rng.uniform(0, 60)),
        )
        for j in range(m)
    ]
    eligible = rng.random((m, n)) < 0.7
    # bounds on the grid (kam rounds a minimum up and a maximum down to it)
    lo = np.where(rng.random(n) < 0.3, granularity * rng.integers(1, 3), 0.0)
    hi = lo + granularity * rng.integers(0, 10, n)
    problem = TeamProblem(
        curves,
        people,
        eligible=eligible,
        function_capacity=None if function_cap is None else {"kam": float(function_cap)},
        total_capacity_hours=None if total_cap is None else float(total_cap),
        min_hours=lo,
        max_hours=hi,
        granularity=granularity,
    )
    result = allocate(problem)
    check_feasible(problem, result)
    scale = max(1.0, abs(result.objective))
    # the certified bound is never below the true optimum
    exact = reference_optimum(problem)
    if exact is not None:
        assert result.upper_bound >= exact - 1e-7 * max(1.0, abs(exact))
        assert result.objective <= exact + 1e-7 * max(1.0, abs(exact))
        if not result.shortfalls:
            assert result.objective >= exact - result.gap - 1e-7 * scale
    # more hours for the first person never make the best allocation worse
    richer = [
        Person(p.key, p.capacity_hours + more * (j == 0), p.function, p.hour_cost)
        for j, p in enumerate(people)
    ]
    bigger_problem = TeamProblem(
        curves,
        richer,
        eligible=eligible,
        function_capacity=problem.function_capacity,
        total_capacity_hours=problem.total_capacity_hours,
        min_hours=lo,
        max_hours=hi,
        granularity=granularity,
    )
    bigger = allocate(bigger_problem)
    check_feasible(bigger_problem, bigger)
    if not result.shortfalls and not bigger.shortfalls:
        assert bigger.objective >= result.objective - bigger.gap - 1e-7 * scale
