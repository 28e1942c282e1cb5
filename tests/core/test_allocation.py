"""Response curves and the allocation optimiser (docs/method.md section 2)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.core.allocation.curves import CalibrationError, Curves, calibrate, curve_from_parameters
from kam.core.allocation.pool import flat_rule
from kam.core.allocation.problems import Person, PoolProblem, ShortfallReason, TeamProblem
from kam.core.allocation.solve import allocate, capacity_curve

# --- calibration, worked by hand --------------------------------------------------------------


def test_calibration_worked_example() -> None:
    # c = 10, b = 100, reference 100 h: at the reference the curve has covered
    # y1 = (50 - 10) / 90 = 4/9 of the way, so e = (1 - 4/9) / (4/9) = 5/4 = 1.25;
    # at 150 h y15 = (70 - 10) / 90 = 2/3, so 1.5^d = e * y15 / (1 - y15) = 1.25 * 2 = 2.5
    # and d = ln 2.5 / ln 1.5 = 0.916291 / 0.405465 = 2.259851.
    curve = calibrate(
        reference_hours=100, at_zero=10, at_reference=50, at_150pct=70, at_saturation=100
    )
    assert curve.c == 10 and curve.b == 100
    assert curve.e == pytest.approx(1.25)
    assert curve.d == pytest.approx(2.259851, abs=1e-6)
    assert curve.contribution(0.0) == pytest.approx(10)
    assert curve.contribution(100.0) == pytest.approx(50)
    assert curve.contribution(150.0) == pytest.approx(70)
    assert curve.contribution(1e9) == pytest.approx(100, abs=1e-6)


def test_calibration_symmetric_example() -> None:
    # halfway at the reference: y1 = 1/2, e = 1; three quarters at +50 %: 1.5^d = 3,
    # d = ln 3 / ln 1.5 = 1.098612 / 0.405465 = 2.709511 (S-shaped, inflection at
    # x = ((d - 1)/(d + 1))^(1/d) = (0.460845)^(0.369070) = 0.751 of the reference).
    curve = calibrate(
        reference_hours=40, at_zero=0, at_reference=50, at_150pct=75, at_saturation=100
    )
    assert curve.e == pytest.approx(1.0)
    assert curve.d == pytest.approx(2.709511, abs=1e-6)
    assert curve.inflection_hours == pytest.approx(40 * 0.460845**0.369070, rel=1e-4)
    hours = np.array([0.0, 40.0, 60.0])
    assert curve.contribution(hours) == pytest.approx([0, 50, 75])


def test_concave_judgements_give_d_at_most_one() -> None:
    # a big first step and little after: y1 = 0.8, e = 0.25; y15 = 0.84: 1.5^d = 0.25 * 5.25
    # = 1.3125, d = 0.6707 < 1: concave, no inflection.
    curve = calibrate(
        reference_hours=10, at_zero=0, at_reference=80, at_150pct=84, at_saturation=100
    )
    assert curve.d == pytest.approx(math.log(1.3125) / math.log(1.5))
    assert curve.d < 1 and curve.inflection_hours == 0


@pytest.mark.parametrize(
    ("numbers", "field"),
    [
        ({"at_reference": 5}, "at_reference"),
        ({"at_150pct": 50}, "at_150pct"),
        ({"at_150pct": 100}, "at_150pct"),
        ({"at_saturation": 40}, "at_saturation"),
        ({"reference_hours": 0}, "reference_hours"),
        ({"at_zero": math.nan}, "at_zero"),
    ],
)
def test_inconsistent_judgements_name_the_number_to_change(
    numbers: dict[str, float], field: str
) -> None:
    judgements = {
        "reference_hours": 100,
        "at_zero": 10,
        "at_reference": 50,
        "at_150pct": 70,
        "at_saturation": 100,
    } | numbers
    with pytest.raises(CalibrationError) as caught:
        calibrate(**judgements)
    assert caught.value.field == field
    assert field in str(caught.value)


def test_curve_from_parameters_checks_them() -> None:
    curve = curve_from_parameters(c=1, b=3, d=2, e=1, reference_hours=10)
    assert curve.contribution(10.0) == pytest.approx(2.0)
    with pytest.raises(CalibrationError) as caught:
        curve_from_parameters(c=1, b=3, d=0, e=1, reference_hours=10)
    assert caught.value.field == "d"
    with pytest.raises(CalibrationError) as caught:
        curve_from_parameters(c=3, b=3, d=1, e=1, reference_hours=10)
    assert caught.value.field == "b"


def test_marginal_is_the_derivative() -> None:
    curve = calibrate(
        reference_hours=40, at_zero=0, at_reference=50, at_150pct=75, at_saturation=100
    )
    h = np.array([5.0, 30.0, 80.0])
    numeric = (curve.contribution(h + 1e-5) - curve.contribution(h - 1e-5)) / 2e-5
    assert curve.marginal(h) == pytest.approx(numeric, rel=1e-6)


# --- the pool optimiser against a dynamic programme ------------------------------------------


def random_curves(n: int, seed: int) -> Curves:
    rng = np.random.default_rng(seed)
    ref = np.round(rng.uniform(2, 15, n))
    c = rng.uniform(0, 500, n)
    span = rng.uniform(100, 3000, n)
    y1 = rng.uniform(0.1, 0.7, n)
    y15 = y1 + (1 - y1) * rng.uniform(0.05, 0.7, n)
    e = (1 - y1) / y1
    d = np.log(e * y15 / (1 - y15)) / np.log(1.5)
    return Curves(c=c, b=c + span, d=d, e=e, reference_hours=ref)


def brute_force(curves: Curves, capacity: int, cost: float, lo: list[int], hi: list[int]) -> float:
    """max Σ r(x) − cost·x over whole hours, by a plain dynamic programme over capacity."""
    best = {0: 0.0}
    for i in range(len(curves)):
        curve = curves[i]
        nxt: dict[int, float] = {}
        for used, value in best.items():
            for x in range(lo[i], min(hi[i], capacity - used) + 1):
                v = value + curve.contribution(float(x)) - cost * x
                if v > nxt.get(used + x, -math.inf):
                    nxt[used + x] = v
        best = nxt
    return max(best.values())


@pytest.mark.parametrize("seed", range(8))
def test_objective_matches_a_dynamic_programme(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(3, 7))
    curves = random_curves(n, seed)
    capacity = int(rng.integers(5, 40))
    lo = [int(v) for v in rng.integers(0, 3, n)]
    hi = [int(v) for v in rng.integers(8, 20, n)]
    cost = float(rng.uniform(0, 40))
    result = allocate(
        PoolProblem(
            curves,
            capacity,
            hour_cost=cost,
            min_hours=np.array(lo, float),
            max_hours=np.array(hi, float),
        )
    )
    optimum = brute_force(curves, capacity, cost, lo, hi)
    assert result.objective == pytest.approx(optimum, rel=1e-9, abs=1e-9)
    assert result.upper_bound >= optimum - 1e-6
    assert result.hours.sum() <= capacity


def test_lagrangian_alone_is_bounded_and_near_on_many_accounts() -> None:
    # without the exact step (gap target 1), the dual bound still holds the DP optimum
    curves = random_curves(40, 7)
    problem = PoolProblem(curves, 150, hour_cost=10.0, max_hours=np.full(40, 12.0))
    rough = allocate(problem, gap_target=1.0)
    exact = allocate(problem)
    assert exact.exact
    assert rough.objective <= exact.objective + 1e-6
    assert rough.upper_bound >= exact.objective - 1e-6
    assert rough.relative_gap < 1e-2


def test_large_pool_reaches_the_gap_target() -> None:
    curves = random_curves(20_000, 3)
    problem = PoolProblem(curves, float(curves.reference_hours.sum() * 0.7), hour_cost=20.0)
    result = allocate(problem)
    assert result.relative_gap < 1e-6
    assert result.hours.sum() <= problem.capacity_hours
    assert result.shadow_price > 0
    assert result.objective >= result.baseline_objective


def test_granularity_gives_multiples() -> None:
    curves = random_curves(5, 1)
    result = allocate(PoolProblem(curves, 40, hour_cost=5.0, granularity=4))
    assert np.all(result.hours % 4 == 0)
    assert result.hours.sum() <= 40


def test_minimums_beyond_capacity_are_explained() -> None:
    curves = random_curves(3, 2)
    result = allocate(PoolProblem(curves, 20, min_hours=np.array([10.0, 10.0, 10.0])))
    assert result.hours.sum() <= 20
    assert result.shortfalls
    assert {s.reason for s in result.shortfalls} == {ShortfallReason.MINIMUMS_EXCEED_CAPACITY}
    assert all(s.hours < s.min_hours == 10 for s in result.shortfalls)


def test_minimum_above_maximum_is_refused() -> None:
    with pytest.raises(ValueError, match="account 1"):
        allocate(
            PoolProblem(
                random_curves(2, 0),
                20,
                min_hours=np.array([0.0, 5.0]),
                max_hours=np.array([9.0, 4.0]),
            )
        )


def test_baseline_and_flat_comparisons() -> None:
    curves = random_curves(4, 5)
    capacity = float(curves.reference_hours.sum()) / 2
    result = allocate(
        PoolProblem(curves, capacity, hour_cost=3.0, flat_hours=np.array([10.0, 10, 5, 5]))
    )
    assert result.baseline_hours == pytest.approx(curves.reference_hours / 2)
    expected = float(
        (curves.contribution(curves.reference_hours / 2) - 3.0 * curves.reference_hours / 2).sum()
    )
    assert result.baseline_objective == pytest.approx(expected)
    assert result.flat_hours is not None and result.flat_hours.sum() == pytest.approx(capacity)
    assert result.flat_hours[0] == pytest.approx(2 * result.flat_hours[2])
    assert result.objective >= result.baseline_objective - 1e-9
    assert result.flat_objective is not None and result.objective >= result.flat_objective - 1e-9


def test_progress_is_reported() -> None:
    seen: list[float] = []
    allocate(
        PoolProblem(random_curves(30_000, 1), 100_000, hour_cost=30.0),
        progress=lambda f, _: seen.append(f),
    )
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


def test_capacity_curve_rises_and_prices_fall() -> None:
    curves = random_curves(30, 9)
    points = capacity_curve(PoolProblem(curves, 0, hour_cost=20.0), [20, 60, 120, 400])
    objectives = [p.objective for p in points]
    assert objectives == sorted(objectives)
    assert points[0].shadow_price >= points[-1].shadow_price


# --- properties ----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 8),
    capacity=st.integers(0, 60),
    more=st.integers(1, 30),
    cost=st.floats(0, 80),
)
def test_capacity_and_bounds_hold_and_more_capacity_never_hurts(
    seed: int, n: int, capacity: int, more: int, cost: float
) -> None:
    rng = np.random.default_rng(seed)
    curves = random_curves(n, seed)
    lo = rng.integers(0, 4, n).astype(float)
    hi = lo + rng.integers(0, 25, n)
    problem = PoolProblem(curves, capacity, hour_cost=cost, min_hours=lo, max_hours=hi)
    result = allocate(problem)
    assert result.hours.sum() <= capacity + 1e-9
    assert np.all(result.hours <= hi)
    below = {s.index for s in result.shortfalls}
    for i in range(n):
        assert result.hours[i] >= lo[i] or i in below
    if lo.sum() <= capacity:
        assert not below
    assert result.gap >= 0 and result.upper_bound >= result.objective
    bigger = allocate(
        PoolProblem(curves, capacity + more, hour_cost=cost, min_hours=lo, max_hours=hi)
    )
    if lo.sum() <= capacity:
        assert bigger.objective >= result.objective - 1e-7 * max(1.0, abs(result.objective))


# --- the team problem ----------------------------------------------------------------------------


def test_team_respects_people_and_eligibility() -> None:
    curves = random_curves(12, 4)
    people = [
        Person("ann", 30, "kam", 50.0),
        Person("bob", 20, "kam", 40.0),
        Person("cy", 25, "service", 20.0),
    ]
    eligible = np.ones((3, 12), dtype=bool)
    eligible[2, :6] = False
    eligible[:, 11] = False  # nobody may serve the last account
    min_hours = np.zeros(12)
    min_hours[11] = 5
    result = allocate(
        TeamProblem(
            curves,
            people,
            eligible=eligible,
            function_capacity={"kam": 40},
            min_hours=min_hours,
        )
    )
    assert result.person_hours is not None
    per_person = result.person_hours.sum(axis=1)
    assert np.all(per_person <= [30, 20, 25])
    assert per_person[:2].sum() <= 40
    assert np.all(result.person_hours[~eligible] == 0)
    assert result.hours == pytest.approx(result.person_hours.sum(axis=0))
    assert result.gap >= 0 and result.upper_bound >= result.objective
    assert [(s.index, s.reason) for s in result.shortfalls] == [
        (11, ShortfallReason.NO_ELIGIBLE_PERSON)
    ]
    assert result.person_shadow_prices is not None and len(result.person_shadow_prices) == 3


def test_team_bound_holds_the_true_optimum() -> None:
    # everyone may serve everything at one cost: the team is a pool of the summed hours,
    # whose exact optimum the team's bound must not undercut
    curves = random_curves(8, 11)
    people = [Person(k, 15, "kam", 10.0) for k in ("a", "b", "c")]
    team = allocate(TeamProblem(curves, people))
    pool = allocate(PoolProblem(curves, 45, hour_cost=10.0))
    assert pool.exact
    assert team.upper_bound >= pool.objective - 1e-6
    assert team.objective <= pool.objective + 1e-6
    assert team.relative_gap < 0.05


def test_team_minimums_that_eligible_people_cannot_meet_are_explained() -> None:
    curves = random_curves(3, 6)
    people = [Person("a", 10, "kam", 0.0), Person("b", 50, "kam", 0.0)]
    eligible = np.array([[True, True, False], [False, False, True]])
    result = allocate(
        TeamProblem(curves, people, eligible=eligible, min_hours=np.array([8.0, 8.0, 0.0]))
    )
    reasons = {s.index: s.reason for s in result.shortfalls}
    assert set(reasons.values()) == {ShortfallReason.ELIGIBLE_CAPACITY}
    assert result.hours[:2].sum() <= 10


def test_the_flat_rule_keeps_each_account_within_its_bounds() -> None:
    # Hand-worked: policy middles 10, 10, 5, 5 h; bounds 0-12, 0-12, 0-6, 2-40 h.
    flat = np.array([10.0, 10, 5, 5])
    lo, hi = np.array([0.0, 0, 0, 2]), np.array([12.0, 12, 6, 40])
    # 15 h: one factor of 0.5 for all, inside every bound.
    assert flat_rule(flat, 15.0, lo, hi) == pytest.approx([5, 5, 2.5, 2.5])
    # 60 h: the factor grows until the first three hit their maximums (12, 12, 6) and the
    # fourth takes the rest, 30 h = 5 × 6.
    assert flat_rule(flat, 60.0, lo, hi) == pytest.approx([12, 12, 6, 30])
    # 200 h is more than the bounds allow: every account at its maximum, below the capacity.
    assert flat_rule(flat, 200.0, lo, hi) == pytest.approx([12, 12, 6, 40])
    # 1 h is less than the minimums (2 h): they are scaled down together.
    assert flat_rule(flat, 1.0, lo, hi) == pytest.approx([0, 0, 0, 1])


def test_a_plan_is_never_worse_than_the_flat_rule_with_capacity_to_spare() -> None:
    curves = random_curves(6, 7)
    hi = curves.reference_hours * 1.2
    result = allocate(
        PoolProblem(
            curves,
            float(curves.reference_hours.sum()) * 5,  # far more hours than the maximums
            hour_cost=3.0,
            max_hours=hi,
            flat_hours=curves.reference_hours,
        )
    )
    assert result.flat_hours is not None
    assert np.all(result.flat_hours <= np.floor(hi) + 1e-9)
    assert result.flat_objective is not None
    assert result.objective >= result.flat_objective - 1e-9


def test_a_binding_function_cap_is_priced_like_the_pool_it_makes() -> None:
    # Everyone may serve everything at one cost, three people of 15 h and a cap of 30 h on
    # their function: the team is the pool of 30 h, so the cap's price is the pool's
    # shadow price, the people (with hours to spare) price 0 on their own, and a function
    # without a cap has no price of its own.
    curves = random_curves(8, 11)
    people = [Person(k, 15, "kam", 10.0) for k in ("a", "b", "c")] + [
        Person("d", 0, "service", 10.0)
    ]
    team = allocate(TeamProblem(curves, people, function_capacity={"kam": 30}))
    pool = allocate(PoolProblem(curves, 30, hour_cost=10.0))
    assert team.hours.sum() <= 30 + 1e-9
    assert team.objective == pytest.approx(pool.objective, rel=1e-6)
    assert team.function_shadow_prices["service"] == 0
    assert team.function_shadow_prices["kam"] == pytest.approx(pool.shadow_price, rel=0.05)
    assert team.person_shadow_prices is not None
    assert team.person_shadow_prices[:3] == pytest.approx([pool.shadow_price] * 3, rel=0.05)
