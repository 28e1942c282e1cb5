"""The pool solver (docs/method.md section 2): one pool of hours shared by all accounts.

Each account's sub-problem is solved on the hour grid; a dynamic programme makes the plan
exact when it is small enough (``DP_CELLS``), otherwise the Lagrangian price of the
capacity gives the hours and a repair keeps them within it. The helpers here (the
accounts on the hour grid, the flat rule, today's allocation) also serve the team solver.
docs/allocation.md gives the mathematics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from kam.core.allocation.curves import (
    Curves,
    FloatArray,
    ResponseCurve,
    _dr,
    _inflection,
    _r,
)
from kam.core.allocation.problems import (
    AllocationResult,
    PoolProblem,
    ProgressCallback,
    Shortfall,
    ShortfallReason,
)

#: largest dynamic programme (choices kept × capacity cells) that always runs, making the
#: plan exact; measured in docs/allocation.md ("Exact plans"): 40 accounts without a
#: maximum × 3,000 hours with every choice kept is 360M cells, about 2.5 s on one core
DP_CELLS = 400_000_000
#: largest table of accounts × capacity cells for the dynamic programme (its values,
#: choices and traceback: about 40 bytes a cell)
DP_TABLE = 5_000_000


def as_curves(curves: Curves | Sequence[ResponseCurve]) -> Curves:
    """``Curves`` from either form."""
    return curves if isinstance(curves, Curves) else Curves.of(curves)


@dataclass
class Accounts:
    """The accounts of a problem on the hour grid: bounds in units of ``g`` hours, and
    each account's cost per hour (``cost``), ready for the vectorised sub-problems."""

    c: FloatArray
    a: FloatArray  # b − c
    d: FloatArray
    e: FloatArray
    ref: FloatArray
    cost: FloatArray
    lo: NDArray[np.int64]
    hi: NDArray[np.int64]
    g: float

    def subset(self, index: NDArray[np.intp]) -> Accounts:
        return Accounts(
            self.c[index],
            self.a[index],
            self.d[index],
            self.e[index],
            self.ref[index],
            self.cost[index],
            self.lo[index],
            self.hi[index],
            self.g,
        )

    def value(self, k: NDArray[np.int64], price: FloatArray | float) -> FloatArray:
        """r(k g) − price · k g for each account (price per hour)."""
        h = k * self.g
        out: FloatArray = (
            _r(h.astype(np.float64), self.c, self.a, self.d, self.e, self.ref) - price * h
        )
        return out

    def best(
        self, price: FloatArray | float, start: FloatArray | None = None
    ) -> tuple[NDArray[np.int64], FloatArray]:
        """Each account's exact best grid choice of r(k g) − price · k g within its bounds.

        The best is at the lower bound or next to the stationary point on the concave part
        of the curve (the convex part only holds minima), so the candidates are the lower
        bound and the grid points around that point (see docs/allocation.md).
        """
        price_arr = np.broadcast_to(np.asarray(price, dtype=np.float64), self.c.shape)
        h_star = self.stationary(price_arr, start)
        kf = np.floor(h_star / self.g + 1e-9).astype(np.int64)
        best_k = self.lo.copy()
        best_v = self.value(best_k, price_arr)
        for shift in (-1, 0, 1):
            k = np.clip(kf + shift, self.lo, self.hi)
            v = self.value(k, price_arr)
            better = v > best_v
            best_k = np.where(better, k, best_k)
            best_v = np.where(better, v, best_v)
        return best_k, best_v

    def concave_range(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """(h_a, h_b, r'(h_a), r'(h_b)): the concave part of each curve within the bounds
        (hours) and the marginal contribution at its ends; computed once."""
        cached: tuple[FloatArray, FloatArray, FloatArray, FloatArray] | None = self.__dict__.get(
            "_concave"
        )
        if cached is None:
            h_b = (self.hi * self.g).astype(np.float64)
            h_a = np.minimum(
                np.maximum(self.lo * self.g, _inflection(self.d, self.e, self.ref)), h_b
            )
            cached = (
                h_a,
                h_b,
                _dr(h_a, self.a, self.d, self.e, self.ref),
                _dr(h_b, self.a, self.d, self.e, self.ref),
            )
            self.__dict__["_concave"] = cached
        return cached

    def stationary(self, price: FloatArray, start: FloatArray | None = None) -> FloatArray:
        """Where r'(h) = price on the concave part of the curve within the bounds (hours).

        Clipped to the bounds of the concave part when r' stays above or below the price.
        Newton's method on ln r'(h) − ln price in t = ln(h / ref): that function is concave
        and decreasing in t on the concave part, so from the right of the root Newton's
        steps decrease monotonically to it; a first step from the left lands on the right.
        ``start`` (hours) warm-starts it, e.g. from the previous price's answer.
        """
        h_a, h_b, r_a, r_b = self.concave_range()
        out = np.where(r_a <= price, h_a, h_b)
        solve = (price > 0) & (r_a > price) & (r_b < price)
        index = np.flatnonzero(solve)
        if index.size:
            first = h_b[index] if start is None else np.clip(start[index], h_a[index], h_b[index])
            out[index] = _newton(
                self.a[index],
                self.d[index],
                self.e[index],
                self.ref[index],
                price[index],
                h_a[index],
                h_b[index],
                first,
            )
        return out


def _newton(
    a: FloatArray,
    d: FloatArray,
    e: FloatArray,
    ref: FloatArray,
    price: FloatArray,
    h_a: FloatArray,
    h_b: FloatArray,
    start: FloatArray,
) -> FloatArray:
    """Root of ln r'(h) = ln price with r'(h_a) > price > r'(h_b) (see ``Accounts.stationary``).

    Works on the accounts not yet converged only, so a few slow ones (a root next to the
    inflection point, where the slope vanishes) cost little.
    """
    with np.errstate(divide="ignore"):
        t_a = np.log(h_a / ref)
        start = np.where(start > 0, start, h_b)
    t_b = np.log(h_b / ref)
    k0 = np.log(a * e * d / ref) - np.log(price)
    t = np.log(start / ref)
    out = t.copy()
    live = np.arange(t.shape[0])
    dd, ee, ta, tb, kk = d, e, t_a, t_b, k0
    for _ in range(200):
        u = np.exp(dd * t)
        eu = ee + u
        f = kk + (dd - 1) * t - 2 * np.log(eu)
        fp = (dd - 1) - 2 * dd * u / eu
        with np.errstate(divide="ignore", invalid="ignore"):
            # a flat slope only happens at the inflection point, left of the root: go right
            t_new = np.where(fp < -1e-12, t - f / fp, tb)
        t_new = np.minimum(np.maximum(t_new, ta), tb)
        going = np.abs(t_new - t) > 1e-13 * np.maximum(1.0, np.abs(t_new))
        t = t_new
        if not going.all():
            out[live] = t
            keep = np.flatnonzero(going)
            if keep.size == 0:
                break
            live, t = live[keep], t[keep]
            dd, ee, ta, tb, kk = dd[keep], ee[keep], ta[keep], tb[keep], kk[keep]
    out[live] = t
    result: FloatArray = np.exp(out) * ref
    return result


def flat_rule(
    flat: FloatArray, capacity_hours: float, lo_hours: FloatArray, hi_hours: FloatArray
) -> FloatArray:
    """The flat per-box rule to compare a plan with (docs/method.md section 2): every
    account its box's policy hours ``flat``, all scaled by one factor so that together they
    use ``capacity_hours``, but never outside an account's own bounds (a plan is held to
    them, so the rule is too). Where the bounds leave less room than the capacity, the
    rule ends below it. The factor is found by bisection (the total is non-decreasing)."""
    flat = np.asarray(flat, dtype=np.float64)
    lo = np.minimum(np.asarray(lo_hours, dtype=np.float64), np.asarray(hi_hours, np.float64))
    hi = np.asarray(hi_hours, dtype=np.float64)

    def at(factor: float) -> FloatArray:
        out: FloatArray = np.clip(flat * factor, lo, hi)
        return out

    total = float(flat.sum())
    if total <= 0:
        return at(1.0)
    if float(at(0.0).sum()) >= capacity_hours:
        # the minimums alone exceed the capacity: scale them down together, as a plan must
        low = at(0.0)
        low_total = float(low.sum())
        scaled: FloatArray = low * (capacity_hours / low_total) if low_total > 0 else low
        return scaled
    a, b = 0.0, capacity_hours / total
    while float(at(b).sum()) < capacity_hours and b < 1e12:
        if np.all(at(b) >= hi):
            return at(b)  # every account at its maximum
        a, b = b, b * 2.0
    for _ in range(100):
        mid = (a + b) / 2.0
        if float(at(mid).sum()) < capacity_hours:
            a = mid
        else:
            b = mid
    return at(a)


def normalise_bounds(
    n: int,
    min_hours: FloatArray | None,
    max_hours: FloatArray | None,
    granularity: float,
    capacity_units: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Bounds in grid units: minimums rounded up, maximums rounded down and capped at the
    capacity. Raises ``ValueError`` naming the first account whose minimum exceeds its maximum."""
    if not granularity > 0:
        raise ValueError("granularity must be more than 0 hours")
    lo_h = np.zeros(n) if min_hours is None else np.asarray(min_hours, dtype=np.float64)
    hi_h = np.full(n, np.inf) if max_hours is None else np.asarray(max_hours, dtype=np.float64)
    lo_h = np.where(np.isnan(lo_h), 0.0, lo_h)
    hi_h = np.where(np.isnan(hi_h), np.inf, hi_h)
    if np.any(lo_h < 0):
        raise ValueError(f"account {int(np.argmax(lo_h < 0))}: min_hours is below 0")
    lo = np.ceil(lo_h / granularity - 1e-9)
    hi = np.floor(np.minimum(hi_h / granularity, capacity_units) + 1e-9)
    if np.any(lo_h > hi_h):
        i = int(np.argmax(lo_h > hi_h))
        raise ValueError(f"account {i}: min_hours {lo_h[i]:g} is above max_hours {hi_h[i]:g}")
    lo_i = lo.astype(np.int64)
    hi_i = np.maximum(hi.astype(np.int64), np.minimum(lo_i, capacity_units))
    return lo_i, hi_i


def _scale_down(lo: NDArray[np.int64], units: int) -> NDArray[np.int64]:
    """Minimums scaled proportionally (rounded down) so that they fit ``units``."""
    total = int(lo.sum())
    if total <= units:
        return lo
    out: NDArray[np.int64] = np.floor(lo * (units / total)).astype(np.int64)
    return out


def reference_allocation(hours: FloatArray, capacity_hours: float) -> FloatArray:
    """``hours`` scaled down proportionally when they add up to more than the capacity."""
    total = float(hours.sum())
    if total > capacity_hours and total > 0:
        out: FloatArray = hours * (capacity_hours / total)
        return out
    return hours.astype(np.float64)


def _report(progress: ProgressCallback | None, fraction: float, phase: str) -> None:
    if progress is not None:
        progress(fraction, phase)


def allocate_pool(
    problem: PoolProblem, *, gap_target: float, progress: ProgressCallback | None
) -> AllocationResult:
    """Solve a pool problem (see the module docstring); called by ``allocate``."""
    curves = as_curves(problem.curves)
    n = len(curves)
    g = float(problem.granularity)
    if not (math.isfinite(problem.capacity_hours) and problem.capacity_hours >= 0):
        raise ValueError("capacity_hours must be a number of 0 or more")
    units = math.floor(problem.capacity_hours / g + 1e-9)
    lo_policy, hi = normalise_bounds(n, problem.min_hours, problem.max_hours, g, units)
    lo = _scale_down(lo_policy, units)
    hi = np.maximum(hi, lo)
    cost = np.broadcast_to(np.asarray(problem.hour_cost, dtype=np.float64), (n,)).copy()
    acc = Accounts(
        curves.c,
        curves.b - curves.c,
        curves.d,
        curves.e,
        curves.reference_hours,
        cost,
        lo,
        hi,
        g,
    )
    _report(progress, 0.0, "prices")
    k, lam, upper, iterations = solve_pool_units(
        acc, units, gap_target=gap_target, progress=progress
    )
    values = acc.value(k, acc.cost)
    objective = float(values.sum())
    # One more hour of capacity, in grid units (the exact gain f(C + 1) − f(C) is the
    # dynamic programme's, or the plan's own re-solve with that hour).
    units_plus = math.floor((problem.capacity_hours + 1.0) / g + 1e-9)
    _, hi_plus = normalise_bounds(n, problem.min_hours, problem.max_hours, g, units_plus)
    acc_plus = replace(acc, hi=np.maximum(hi_plus, lo))
    exact = False
    hour_value: float | None = None
    if n * (units_plus + 1) <= DP_TABLE:
        tables = dp_choices(acc_plus, units_plus, objective)
        if dp_cells(tables[1]) <= DP_CELLS:
            _report(progress, 0.9, "exact")
            k_dp, best = dp_pool(
                acc_plus, units, extra=units_plus - units, keep=objective, tables=tables
            )
            if float(acc.value(k_dp, acc.cost).sum()) >= objective:
                k = k_dp
                values = acc.value(k, acc.cost)
                objective = float(values.sum())
            upper = objective
            exact = True
            hour_value = max(float(best[units_plus] - best[units]), 0.0)
    if hour_value is None:
        more = repair(acc_plus, k, units_plus)
        hour_value = max(float(acc.value(more, acc.cost).sum()) - objective, 0.0)
    if upper - objective <= 0:
        upper = max(upper, objective)
        exact = True
    hours = k * g
    contributions = values + acc.cost * hours
    accounts = tuple(range(n)) if problem.accounts is None else tuple(problem.accounts)
    baseline = reference_allocation(curves.reference_hours, problem.capacity_hours)
    baseline_objective = float((curves.contribution(baseline) - cost * baseline).sum())
    flat_hours = flat_objective = None
    if problem.flat_hours is not None:
        flat_hours = flat_rule(
            np.asarray(problem.flat_hours, dtype=np.float64),
            problem.capacity_hours,
            (acc.lo * g).astype(np.float64),
            (acc.hi * g).astype(np.float64),
        )
        flat_objective = float((curves.contribution(flat_hours) - cost * flat_hours).sum())
    shortfalls = tuple(
        Shortfall(
            int(i),
            accounts[int(i)],
            float(lo_policy[i] * g),
            float(hours[i]),
            ShortfallReason.MINIMUMS_EXCEED_CAPACITY,
        )
        for i in np.flatnonzero(k < lo_policy)
    )
    gap = max(upper - objective, 0.0)
    _report(progress, 1.0, "done")
    return AllocationResult(
        hours=hours.astype(np.float64),
        objective=objective,
        upper_bound=max(upper, objective),
        gap=gap,
        relative_gap=gap / max(abs(objective), 1.0),
        shadow_price=float(lam),
        hour_value=hour_value,
        baseline_hours=baseline,
        baseline_objective=baseline_objective,
        contributions=contributions,
        accounts=accounts,
        shortfalls=shortfalls,
        flat_hours=flat_hours,
        flat_objective=flat_objective,
        exact=exact,
        iterations=iterations,
    )


def dual_value(
    acc: Accounts, units: int, lam: float, start: FloatArray | None = None
) -> tuple[float, NDArray[np.int64]]:
    """The Lagrangian dual at price ``lam`` (a certified upper bound) and its choices."""
    k, v = acc.best(acc.cost + lam, start)
    return float(v.sum()) + lam * units * acc.g, k


def solve_pool_units(
    acc: Accounts,
    units: int,
    *,
    gap_target: float = 1e-6,
    progress: ProgressCallback | None = None,
    repair_: bool = True,
) -> tuple[NDArray[np.int64], float, float, int]:
    """Lagrangian solution of the pool in grid units: (choices, price λ, upper bound, iterations).

    The choices respect the bounds and ``Σ k ≤ units``; λ is the shadow price of capacity.
    """
    g = acc.g
    target = units * g
    demand = _Demand(acc)
    iterations = 1
    if demand(0.0) <= target + acc.c.shape[0] * g:
        upper0, k0 = dual_value(acc, 0, 0.0)
        if int(k0.sum()) <= units:
            return k0, 0.0, upper0, 1
    tolerance = max(1e-6 * target, 1e-3 * g)
    n = acc.c.shape[0]
    lam_lo, f_lo = 0.0, demand(0.0) - target
    lam_hi = float(np.max(acc.a / g)) + 1.0
    f_hi = np.nan
    if n > SAMPLE:
        # the price of a random sample with its share of the capacity is close to the
        # whole pool's: bracket the search around it
        pick = np.random.default_rng(0).choice(n, SAMPLE, replace=False)
        _, guess, _, _ = solve_pool_units(acc.subset(pick), int(units * SAMPLE / n), repair_=False)
        step = 0.01 * max(guess, 1e-9)
        for _ in range(60):
            f = demand(guess) - target
            iterations += 1
            if f > 0:
                lam_lo, f_lo = guess, f
                guess = min(guess + step, lam_hi)
            else:
                lam_hi, f_hi = guess, f
                guess = max(guess - step, lam_lo)
            if (np.isfinite(f_hi) and lam_lo > 0) or f_hi >= -tolerance:
                break
            step *= 2
    if not np.isfinite(f_hi):
        f_hi = demand(lam_hi) - target
    side = 0
    for _ in range(80):
        if f_hi >= -tolerance or lam_hi - lam_lo <= 1e-13 * lam_hi:
            break
        lam = (lam_lo * f_hi - lam_hi * f_lo) / (f_hi - f_lo)
        if not lam_lo < lam < lam_hi:
            lam = 0.5 * (lam_lo + lam_hi)
        f = demand(lam) - target
        iterations += 1
        if f > 0:
            lam_lo, f_lo = lam, f
            if side == -1:
                f_hi *= 0.5
            side = -1
        else:
            lam_hi, f_hi = lam, f
            if side == 1:
                f_lo *= 0.5
            side = 1
        _report(progress, min(0.8, 0.1 + 0.02 * iterations), "prices")
    if not repair_:
        return acc.lo, lam_hi, np.inf, iterations
    lam = lam_hi
    upper, k = dual_value(acc, units, lam, demand.last)
    _report(progress, 0.85, "repair")
    k = repair(acc, k, units)
    objective = float(acc.value(k, acc.cost).sum())
    if upper - objective > gap_target * max(abs(objective), 1.0):
        # the hour grid moves the demand away from the continuous one: search the price
        # again on the grid's own demand, keeping the lowest bound and the best repair
        k_raw = dual_value(acc, units, lam, demand.last)[1]
        lam, upper, k, objective, more = _grid_search(
            acc, units, lam, upper, k_raw, k, objective, demand.last, gap_target
        )
        iterations += more
    return k, lam, upper, iterations


def _grid_search(
    acc: Accounts,
    units: int,
    lam: float,
    upper: float,
    k_raw: NDArray[np.int64],
    k: NDArray[np.int64],
    objective: float,
    start: FloatArray | None,
    gap_target: float,
) -> tuple[float, float, NDArray[np.int64], float, int]:
    """Bisection on the price with the exact grid demand (see ``solve_pool_units``)."""
    best_lam = lam
    excess = int(k_raw.sum()) - units
    lo_lam, hi_lam = (lam, np.inf) if excess > 0 else (0.0, lam)
    step = max(abs(lam) * 1e-3, 1e-9)
    iterations = 0
    for _ in range(40):
        if np.isinf(hi_lam):
            trial = lo_lam + step
            step *= 2
        elif lo_lam == 0.0 and excess <= 0 and hi_lam - step > 0:
            trial = hi_lam - step
            step *= 2
        else:
            trial = 0.5 * (lo_lam + hi_lam)
        bound, k_trial = dual_value(acc, units, trial, start)
        iterations += 1
        over = int(k_trial.sum()) - units
        if bound < upper:
            upper, best_lam = bound, trial
        if over > 0:
            lo_lam = trial
        else:
            hi_lam = trial
            candidate = repair(acc, k_trial, units)
            value = float(acc.value(candidate, acc.cost).sum())
            if value > objective:
                k, objective = candidate, value
        if upper - objective <= gap_target * max(abs(objective), 1.0):
            break
        if np.isfinite(hi_lam) and hi_lam - lo_lam <= 1e-12 * max(hi_lam, 1.0):
            break
    return best_lam, upper, k, objective, iterations


#: accounts in the sample that gives a large pool's first price
SAMPLE = 20_000


class _Demand:
    """Hours the accounts want at a price λ on top of their cost (continuous hours: the
    stationary point on the concave part or the lower bound, whichever is worth more),
    warm-starting each Newton solve from the previous price's."""

    def __init__(self, acc: Accounts) -> None:
        self.acc = acc
        self.r_lo = acc.value(acc.lo, 0.0)
        self.last: FloatArray | None = None

    def __call__(self, lam: float) -> float:
        acc = self.acc
        price = acc.cost + lam
        h = acc.stationary(price, self.last)
        self.last = h
        lo_h = acc.lo * acc.g
        on = _r(h, acc.c, acc.a, acc.d, acc.e, acc.ref) - price * h > self.r_lo - price * lo_h
        return float(np.where(on, h, lo_h).sum())


def _smallest(values: FloatArray, m: int) -> NDArray[np.intp]:
    """Positions of the ``m`` smallest values (in no particular order)."""
    if m >= values.shape[0]:
        return np.arange(values.shape[0])
    return np.argpartition(values, m)[:m]


def repair(acc: Accounts, k: NDArray[np.int64], units: int) -> NDArray[np.int64]:
    """A feasible allocation near ``k``: remove the grid steps that lose least while over
    capacity, add the steps that gain most while capacity is left, then move steps from
    the accounts that lose least to those that gain most while that pays."""
    k = k.copy()
    price = acc.cost
    for _ in range(1000):
        excess = int(k.sum()) - units
        if excess <= 0:
            break
        can = np.flatnonzero(k > acc.lo)
        loss = acc.subset(can).value(k[can], price[can]) - acc.subset(can).value(
            k[can] - 1, price[can]
        )
        take = can[_smallest(loss, excess)]
        k[take] -= 1
    for _ in range(1000):
        room = units - int(k.sum())
        if room <= 0:
            break
        can = np.flatnonzero(k < acc.hi)
        if can.size == 0:
            break
        sub = acc.subset(can)
        gain = sub.value(k[can] + 1, price[can]) - sub.value(k[can], price[can])
        order = _smallest(-gain, room)
        order = order[gain[order] > 0]
        if order.size == 0:
            break
        k[can[order]] += 1
    for _ in range(50):
        up = np.flatnonzero(k < acc.hi)
        down = np.flatnonzero(k > acc.lo)
        if up.size == 0 or down.size == 0:
            break
        su, sd = acc.subset(up), acc.subset(down)
        gain = su.value(k[up] + 1, price[up]) - su.value(k[up], price[up])
        loss = sd.value(k[down], price[down]) - sd.value(k[down] - 1, price[down])
        m = min(up.size, down.size, 1000)
        top = _smallest(-gain, m)
        top = top[np.argsort(-gain[top], kind="stable")]
        gi, gv = up[top], gain[top]
        low = _smallest(loss, m)
        low = low[np.argsort(loss[low], kind="stable")]
        li, lv = down[low], loss[low]
        moves = (gv - lv > 1e-9 * np.maximum(1.0, np.abs(gv))) & (gi != li)
        if not moves.any():
            break
        count = int(np.argmin(moves)) if not moves.all() else m
        if count == 0:
            break
        gi, li = gi[:count], li[:count]
        shared = np.intersect1d(gi, li)
        keep_g = ~np.isin(gi, shared)
        keep_l = ~np.isin(li, shared)
        pairs = min(int(keep_g.sum()), int(keep_l.sum()))
        if pairs == 0:
            break
        k[gi[keep_g][:pairs]] += 1
        k[li[keep_l][:pairs]] -= 1
    return k


def _max_plus(
    f: FloatArray, v: FloatArray, start: int, new: FloatArray, arg: NDArray[np.int32]
) -> None:
    """``new[j] = max(new[j], f[j − start − t] + v[t])`` over t = 0 … len(v) − 1, recording
    the best choice ``start + t`` in ``arg``: a max-plus convolution as blocks of rows of a
    sliding window (numpy, no Python loop over the choices)."""
    rows = f.shape[0]
    m = v.shape[0]
    finite = np.flatnonzero(np.isfinite(f))
    if m == 0 or finite.size == 0 or start >= rows:
        return
    j0 = int(finite[0]) + start
    j1 = min(rows, int(finite[-1]) + start + m)
    if j0 >= j1:
        return
    padded = np.concatenate([np.full(m - 1, -np.inf), f])
    # window[s, u] = padded[s + u] = f[s + u − (m − 1)]: row j − start, column m − 1 − t
    window = np.lib.stride_tricks.sliding_window_view(padded, m)
    reverse = v[::-1]
    block = max(1, _DP_BLOCK // m)
    for j in range(j0, j1, block):
        stop = min(j + block, j1)
        cells = window[j - start : stop - start] + reverse
        best = cells.argmax(axis=1)
        value = cells[np.arange(stop - j), best]
        better = value > new[j:stop]
        new[j:stop] = np.where(better, value, new[j:stop])
        arg[j:stop] = np.where(better, start + (m - 1 - best), arg[j:stop])


#: cells per block of the max-plus convolution (bounds its working memory to ~16 MB)
_DP_BLOCK = 1 << 21


def _runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """The [start, stop) ranges where ``mask`` is True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(
        zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True)
    )


def dp_choices(acc: Accounts, units: int, keep: float) -> tuple[FloatArray, NDArray[np.bool_]]:
    """The table of every account's value r(k g) − cost · k g at k = 0 … ``units`` (−inf
    outside its bounds) and the choices that can be part of an allocation of at most
    ``units`` worth ``keep`` or more (``keep`` = −inf: every choice within the bounds).

    Reduced-cost fixing: at any price λ ≥ 0, an allocation of at most ``units`` loses
    against the dual L(λ) = Σᵢ maxₖ [vᵢ(k) − λ k g] + λ g units the sum of every account's
    own shortfall against its best, so an allocation worth ``keep`` or more uses only
    choices whose shortfall is at most L(λ) − keep. λ is found by bisection on the
    accounts' demand in this table."""
    n = acc.c.shape[0]
    ks = np.arange(units + 1, dtype=np.int64)
    inside = (ks >= acc.lo[:, None]) & (ks <= acc.hi[:, None])
    h = np.broadcast_to(ks * acc.g, (n, units + 1)).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = _r(
            h, acc.c[:, None], acc.a[:, None], acc.d[:, None], acc.e[:, None], acc.ref[:, None]
        )
    table: FloatArray = np.where(inside, raw - acc.cost[:, None] * h, -np.inf)
    if not math.isfinite(keep):
        return table, inside
    step = acc.g * ks

    def dual(lam: float) -> tuple[float, int]:
        w = table - lam * step
        j = np.argmax(w, axis=1)
        return float(w[np.arange(n), j].sum()) + lam * acc.g * units, int(j.sum())

    best, demand = dual(0.0)
    lam_best, lo_lam = 0.0, 0.0
    with np.errstate(invalid="ignore"):
        finite = np.where(inside[:, 1:] & inside[:, :-1], np.diff(table, axis=1), 0.0)
    hi_lam = max(float(finite.max(initial=0.0)) / acc.g, 0.0) + 1.0
    if demand > units:
        for _ in range(60):
            lam = 0.5 * (lo_lam + hi_lam)
            bound, demand = dual(lam)
            if bound < best:
                best, lam_best = bound, lam
            if demand > units:
                lo_lam = lam
            else:
                hi_lam = lam
    w = table - lam_best * step
    slack = best - keep + 1e-9 * max(abs(best), 1.0)
    return table, inside & (w >= w.max(axis=1, keepdims=True) - slack)


def dp_cells(masks: NDArray[np.bool_]) -> int:
    """Cells of the dynamic programme over these choices (accounts × capacity)."""
    return int(masks.sum()) * int(masks.shape[1])


def dp_pool(
    acc: Accounts,
    units: int,
    *,
    extra: int = 0,
    keep: float = -math.inf,
    tables: tuple[FloatArray, NDArray[np.bool_]] | None = None,
) -> tuple[NDArray[np.int64], FloatArray]:
    """The exact optimum by a dynamic programme over capacity (grid units).

    Returns the best choices within ``units`` and, for every capacity j = 0 … units +
    ``extra``, the best objective with at most j units (so ``best[units + 1] −
    best[units]`` is exactly what one more unit is worth). With ``keep`` (the objective
    of an allocation known to exist at ``units``) only the choices that can beat it enter
    (``dp_choices``); that leaves the optimum and the table above ``keep`` exact."""
    n = acc.c.shape[0]
    top = units + extra
    values, masks = dp_choices(acc, top, keep) if tables is None else tables
    f = np.full(top + 1, -np.inf)
    f[0] = 0.0
    choice = np.zeros((n, top + 1), dtype=np.int32)
    for i in range(n):
        new = np.full(top + 1, -np.inf)
        arg = choice[i]
        for begin, stop in _runs(masks[i]):
            _max_plus(f, values[i, begin:stop], begin, new, arg)
        f = new
    best = np.maximum.accumulate(f)
    j = int(np.argmax(f[: units + 1]))
    k = np.zeros(n, dtype=np.int64)
    for i in range(n - 1, -1, -1):
        k[i] = choice[i, j]
        j -= int(k[i])
    return k, best
