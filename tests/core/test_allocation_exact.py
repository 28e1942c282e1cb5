"""Exact plans for key-account portfolios and the honest value of one more hour
(docs/method.md section 2, docs/allocation.md "Exact plans").

The reference here is an independent dynamic programme written plainly: one account at a
time, one choice of hours at a time, over whole hours (no windows, no reduced-cost fixing,
no traceback), so it shares nothing with kam's vectorised one but the curves.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam.core.allocation.curves import Curves
from kam.core.allocation.pool import Accounts, normalise_bounds, solve_pool_units
from kam.core.allocation.problems import PoolProblem
from kam.core.allocation.solve import allocate, value_of_one_more_hour


def portfolio(seed: int) -> tuple[Curves, float, float]:
    """A key-account portfolio: 20–40 accounts, today 20–150 h each, 1,500–3,000 hours of
    capacity (below or above today's total), an hourly cost of 0 or 40 to 80."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 41))
    ref = np.round(rng.uniform(20, 150, n))
    c = rng.uniform(5_000, 80_000, n)
    span = rng.lognormal(11, 0.8, n)
    y1 = rng.uniform(0.15, 0.7, n)
    y15 = y1 + (1 - y1) * rng.uniform(0.1, 0.6, n)
    e = (1 - y1) / y1
    d = np.log(e * y15 / (1 - y15)) / np.log(1.5)
    capacity = float(rng.integers(1_500, 3_001))
    cost = 0.0 if rng.random() < 0.3 else float(rng.uniform(40, 80))
    return Curves(c=c, b=c + span, d=d, e=e, reference_hours=ref), capacity, cost


def plain_dp(
    curves: Curves,
    capacity: int,
    cost: float,
    lo: list[int] | None = None,
    hi: list[int] | None = None,
) -> list[float]:
    """best[j]: the best Σ r(h) − cost · h with at most j whole hours, j = 0 … capacity."""
    n = len(curves)
    f = np.full(capacity + 1, -np.inf)
    f[0] = 0.0
    for i in range(n):
        first = 0 if lo is None else lo[i]
        last = capacity if hi is None else min(hi[i], capacity)
        g = np.full(capacity + 1, -np.inf)
        for hours in range(first, last + 1):
            value = curves[i].contribution(float(hours)) - cost * hours
            g[hours:] = np.maximum(g[hours:], f[: capacity + 1 - hours] + value)
        f = g
    return list(np.maximum.accumulate(f))


@pytest.mark.parametrize("seed", range(21))
def test_kam_plans_a_realistic_portfolio_exactly(seed: int) -> None:
    curves, capacity, cost = portfolio(seed)
    result = allocate(PoolProblem(curves, capacity_hours=capacity, hour_cost=cost))
    best = plain_dp(curves, int(capacity) + 1, cost)
    optimum = best[int(capacity)]
    assert result.exact
    assert result.gap == 0
    assert abs(result.objective - optimum) <= 1e-9 * abs(optimum)
    assert result.hours.sum() <= capacity
    # the value of one more hour is the gain of solving again with it, exactly
    assert result.hour_value == pytest.approx(best[int(capacity) + 1] - optimum, abs=1e-6)


@st.composite
def small_pools(draw: st.DrawFn) -> tuple[Curves, int, float, list[int], list[int]]:
    n = draw(st.integers(1, 5))
    ref = [draw(st.integers(2, 30)) for _ in range(n)]
    c = [draw(st.floats(0, 1_000)) for _ in range(n)]
    span = [draw(st.floats(100, 20_000)) for _ in range(n)]
    d = [draw(st.floats(0.5, 4.0)) for _ in range(n)]
    e = [draw(st.floats(0.3, 5.0)) for _ in range(n)]
    lo = [draw(st.sampled_from([0, 0, 3, 8])) for _ in range(n)]
    hi = [lo[i] + draw(st.sampled_from([2, 10, 25, 1_000])) for i in range(n)]
    capacity = draw(st.integers(0, 60))
    cost = draw(st.sampled_from([0.0, 10.0, 120.0]))
    curves = Curves(
        c=np.array(c),
        b=np.array(c) + np.array(span),
        d=np.array(d),
        e=np.array(e),
        reference_hours=np.array(ref, dtype=float),
    )
    return curves, capacity, cost, lo, hi


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_pools())
def test_exact_plan_properties(case: tuple[Curves, int, float, list[int], list[int]]) -> None:
    curves, capacity, cost, lo, hi = case
    if sum(lo) > capacity:
        lo = [0] * len(lo)  # minimums above the capacity are scaled down: tested elsewhere
    problem = PoolProblem(
        curves,
        capacity_hours=capacity,
        hour_cost=cost,
        min_hours=np.array(lo, dtype=float),
        max_hours=np.array(hi, dtype=float),
    )
    result = allocate(problem)
    best = plain_dp(curves, capacity, cost, lo, hi)
    # respects the bounds and the capacity, in whole hours
    assert np.all(result.hours >= np.array(lo)) and np.all(result.hours <= np.array(hi))
    assert result.hours.sum() <= capacity
    assert np.all(result.hours == np.round(result.hours))
    # never above the plain dynamic programme, and here (small) exactly on it
    scale = max(abs(best[capacity]), 1.0)
    assert result.objective <= best[capacity] + 1e-9 * scale
    assert result.exact and result.objective >= best[capacity] - 1e-9 * scale
    # never worse than the fast path (Lagrangian prices, repair and bound)
    n = len(curves)
    lo_u, hi_u = normalise_bounds(n, problem.min_hours, problem.max_hours, 1.0, capacity)
    acc = Accounts(
        curves.c,
        curves.b - curves.c,
        curves.d,
        curves.e,
        curves.reference_hours,
        np.full(n, cost),
        lo_u,
        hi_u,
        1.0,
    )
    k, _, _, _ = solve_pool_units(acc, capacity)
    assert result.objective >= float(acc.value(k, acc.cost).sum()) - 1e-9 * scale
    # one more hour is never worth less than nothing
    assert result.hour_value is not None and result.hour_value >= 0


def test_value_of_an_hour_is_the_re_solve_not_the_price() -> None:
    # Two equal S-shaped accounts (c = 0, b = 10,000, d = 4, e = 1, reference 10 h) and 12
    # hours. r(h) = 10,000 · x⁴ / (1 + x⁴) with x = h / 10. Splitting the hours loses to
    # putting them on one account (the curve is convex up to its inflection at
    # x = (3/5)^(1/4) = 0.88, 8.8 h): 12 h on one account brings
    # 10,000 · 1.2⁴ / (1 + 1.2⁴) = 10,000 · 2.0736 / 3.0736 = 6,746.49; 6 + 6 brings
    # 2 · 10,000 · 0.1296 / 1.1296 = 2,294.62; 11 + 1 brings 5,941.72 + 1.00 = 5,942.72.
    # With 13 hours: 13 on one account gives 10,000 · 2.8561 / 3.8561 = 7,406.71, so one
    # more hour adds 7,406.71 − 6,746.49 = 660.22. The Lagrangian price is the best average
    # r(h) / h (where an account alone is indifferent between 0 hours and its best, so the
    # dual bound is lowest), 562.21; the slope at 12 h is 731.66. Neither is what an hour adds.
    curves = Curves(
        c=np.zeros(2),
        b=np.full(2, 10_000.0),
        d=np.full(2, 4.0),
        e=np.ones(2),
        reference_hours=np.full(2, 10.0),
    )
    problem = PoolProblem(curves, capacity_hours=12)
    result = allocate(problem)
    assert sorted(result.hours) == [0, 12]
    assert result.objective == pytest.approx(10_000 * 1.2**4 / (1 + 1.2**4))
    assert result.objective == pytest.approx(6_746.49, abs=0.01)
    again = allocate(PoolProblem(curves, capacity_hours=13))
    assert again.objective == pytest.approx(7_406.71, abs=0.01)
    assert result.hour_value == pytest.approx(again.objective - result.objective)
    assert result.hour_value == pytest.approx(660.22, abs=0.01)
    assert value_of_one_more_hour(problem, result) == result.hour_value
    assert result.shadow_price == pytest.approx(562.21, abs=0.01)
    assert not math.isclose(result.shadow_price, result.hour_value, rel_tol=0.01)


def test_a_large_pool_keeps_the_fast_path_and_still_values_an_hour() -> None:
    # 3,000 accounts × 60,000 hours is far beyond the exact bound: the certified fast path
    # answers, and the value of an hour is the plan's own re-solve with it (never below 0,
    # at most what the certified bound allows: upper bound at C + 1 − objective at C).
    rng = np.random.default_rng(3)
    n = 3_000
    ref = np.round(rng.uniform(5, 40, n))
    c = rng.uniform(1_000, 9_000, n)
    curves = Curves(
        c=c,
        b=c + rng.uniform(5_000, 40_000, n),
        d=rng.uniform(1.2, 3.0, n),
        e=rng.uniform(0.5, 3.0, n),
        reference_hours=ref,
    )
    capacity = float(np.round(ref.sum() * 0.8))
    result = allocate(PoolProblem(curves, capacity_hours=capacity, hour_cost=30.0))
    more = allocate(PoolProblem(curves, capacity_hours=capacity + 1, hour_cost=30.0))
    assert not result.exact
    assert result.hour_value is not None
    assert 0 <= result.hour_value <= more.upper_bound - result.objective


def test_a_teams_hour_goes_to_the_person_where_it_adds_most() -> None:
    # The accounts of the S-curve test above, one per person: Ann (10 h) may serve only
    # the first, Bob (12 h) only the second. Both use all their hours: r(10) = 5,000 and
    # r(12) = 6,746.49. One more hour for Ann adds r(11) − r(10) = 5,941.72 − 5,000 =
    # 941.72; for Bob r(13) − r(12) = 660.22. One more hour of the team is the larger.
    from kam.core.allocation.problems import Person, TeamProblem

    curves = Curves(
        c=np.zeros(2),
        b=np.full(2, 10_000.0),
        d=np.full(2, 4.0),
        e=np.ones(2),
        reference_hours=np.full(2, 10.0),
    )
    team = TeamProblem(
        curves,
        [Person("ann", 10.0), Person("bob", 12.0)],
        eligible=np.array([[True, False], [False, True]]),
    )
    result = allocate(team)
    assert list(result.hours) == [10, 12]
    assert result.objective == pytest.approx(5_000 + 6_746.49, abs=0.01)
    more_ann = allocate(
        TeamProblem(curves, [Person("ann", 11.0), Person("bob", 12.0)], eligible=team.eligible)
    )
    assert more_ann.objective - result.objective == pytest.approx(941.72, abs=0.01)
    assert value_of_one_more_hour(team, result) == pytest.approx(941.72, abs=0.01)
