"""The team optimiser's prices from the LP over each account's concave envelope and its
"exact" claim (kam/core/allocation/team.py, docs/allocation.md "Large teams").

Hand-worked teams, and properties on tiny teams against an independent MILP: the plan
never above the optimum nor the bound below it, ``exact`` only with a relative gap of at
most ``EXACT_GAP`` and then the optimum itself, a team whose people are interchangeable
equal to the pool of their hours, and the same objective as the previous method (the
level bundle method for the prices).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.core.allocation.curves import Curves
from kam.core.allocation.problems import EXACT_GAP, Person, PoolProblem, TeamProblem
from kam.core.allocation.solve import allocate, value_of_one_more_hour
from kam.core.allocation.team import allocate_team
from tests.core.test_allocation_team import check_feasible, random_curves, reference_optimum


def concave(n: int) -> Curves:
    """Concave curves (d = 1): every extra hour adds less, never nothing."""
    return Curves(
        c=np.full(n, 100.0),
        b=np.full(n, 10_100.0),
        d=np.ones(n),
        e=np.ones(n),
        reference_hours=np.full(n, 10.0),
    )


def test_the_cheap_person_serves_and_the_dear_one_does_not() -> None:
    # one account; Ann costs nothing and has 5 hours, Bob's hour costs more than any hour
    # can bring (the curve's steepest slope is 10,000 / 10 = 1,000 an hour)
    curves = concave(1)
    problem = TeamProblem(
        curves, [Person("ann", 5.0, "kam", 0.0), Person("bob", 100.0, "kam", 5_000.0)]
    )
    result = allocate(problem)
    assert result.person_hours is not None
    assert result.person_hours[:, 0].tolist() == [5.0, 0.0]
    assert result.objective == pytest.approx(float(curves.contribution(np.array([5.0]))[0]))
    assert result.exact and result.gap <= EXACT_GAP * abs(result.objective)


def test_who_may_serve_whom_decides_the_hours() -> None:
    # Ann may serve only the first account, Bob only the second, 3 hours each at 10 an
    # hour: each account gets its own person's 3 hours, whatever the curves would prefer
    curves = concave(2)
    eligible = np.array([[True, False], [False, True]])
    people = [Person("ann", 3.0, "kam", 10.0), Person("bob", 3.0, "kam", 10.0)]
    result = allocate(TeamProblem(curves, people, eligible=eligible))
    assert result.hours.tolist() == [3.0, 3.0]
    expected = float(curves.contribution(np.array([3.0, 3.0])).sum()) - 60.0
    assert result.objective == pytest.approx(expected, rel=1e-12)
    assert result.exact


def test_the_hour_value_of_an_hour_that_leaves_the_grid_unchanged_is_zero() -> None:
    # 5-hour grid, Ann has 12 hours: 13 are still two steps of 5, so the plan cannot use
    # the extra hour (no re-solve needed, and none would find more)
    curves = concave(2)
    problem = TeamProblem(curves, [Person("ann", 12.0, "kam", 1.0)], granularity=5.0)
    result = allocate(problem)
    assert value_of_one_more_hour(problem, result) == 0.0
    more = allocate(TeamProblem(curves, [Person("ann", 13.0, "kam", 1.0)], granularity=5.0))
    assert more.objective == pytest.approx(result.objective, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 5),
    m=st.integers(1, 3),
    function_cap=st.one_of(st.none(), st.integers(0, 40)),
)
def test_exact_means_the_optimum_and_the_bound_holds(
    seed: int, n: int, m: int, function_cap: int | None
) -> None:
    rng = np.random.default_rng(seed)
    people = [
        Person(
            f"p{j}",
            float(rng.integers(0, 30)),
            "kam" if j % 2 == 0 else "service",
            float(rng.uniform(0, 60)),
        )
        for j in range(m)
    ]
    eligible = rng.random((m, n)) < 0.7
    lo = np.where(rng.random(n) < 0.3, 2.0, 0.0)
    problem = TeamProblem(
        random_curves(n, seed),
        people,
        eligible=eligible,
        function_capacity=None if function_cap is None else {"kam": float(function_cap)},
        min_hours=lo,
        max_hours=lo + rng.integers(0, 12, n),
    )
    result = allocate(problem)
    check_feasible(problem, result)
    assert result.exact == (result.relative_gap <= EXACT_GAP)
    best = reference_optimum(problem)
    if best is None or result.shortfalls:
        return
    scale = max(1.0, abs(best))
    assert result.objective <= best + 1e-9 * scale
    assert result.upper_bound >= best - 1e-9 * scale
    if result.exact:
        assert result.objective == pytest.approx(best, rel=2e-9, abs=1e-6)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30), m=st.integers(1, 5))
def test_interchangeable_people_are_the_pool_of_their_hours(seed: int, n: int, m: int) -> None:
    # everyone may serve every account at the same cost, no caps: the team is the pool
    rng = np.random.default_rng(seed)
    curves = random_curves(n, seed)
    hours = [float(rng.integers(0, 40)) for _ in range(m)]
    team = allocate(TeamProblem(curves, [Person(j, h, "kam", 20.0) for j, h in enumerate(hours)]))
    pool = allocate(PoolProblem(curves, capacity_hours=sum(hours), hour_cost=20.0))
    assert pool.exact
    scale = max(1.0, abs(pool.objective))
    assert team.objective >= pool.objective - team.gap - 1e-9 * scale
    assert team.objective <= pool.objective + 1e-9 * scale


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_the_lp_prices_give_the_plan_the_bundle_prices_gave(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 12, 3
    people = [
        Person(j, float(rng.integers(5, 40)), "kam", float(rng.uniform(0, 60))) for j in range(m)
    ]
    problem = TeamProblem(random_curves(n, seed), people, eligible=rng.random((m, n)) < 0.6)
    new = allocate_team(problem)
    old = allocate_team(problem, prices="bundle")
    scale = max(1.0, abs(old.objective))
    assert new.objective >= old.objective - old.gap - new.gap - 1e-9 * scale
    if new.exact and old.exact:
        assert new.objective == pytest.approx(old.objective, rel=2e-9, abs=1e-6)
