"""The team allocation problem (docs/method.md section 2): people with their own capacity,
function and hourly cost, who may serve only some accounts.

**Bound.** Lagrangian dual over every capacity constraint: with prices λₚ per person, μ_f
per function and λ_T on the total, person p's hour costs νₚ = costₚ + λₚ + μ_f(p) + λ_T, an
hour on account i costs πᵢ = min over the people who may serve it of νₚ; each account then
chooses its hours alone (the pool sub-problem, exact on the hour grid), and

    L(λ, μ, λ_T) = Σᵢ maxₖ [rᵢ(k g) − πᵢ k g] + g (Σ λₚ capₚ + Σ μ_f cap_f + λ_T T)

bounds every feasible allocation from above, for any non-negative prices (capacities in
grid units of g hours). L is convex and piecewise linear in the few prices (one per
person, one per function whose capacity can bind, one on the total when it can bind) and
costs one vectorised pass over the accounts. Its minimum comes from one LP over the
accounts' concave envelopes (``_lp_prices``: the Lagrangian dual equals that LP); when
HiGHS fails there, it is minimised by the level bundle method
(Lemaréchal, Nemirovskii and Nesterov 1995): every evaluation adds a cutting plane, a
small LP over the prices (HiGHS through scipy's ``linprog``) gives the lower model's
minimum, and the next prices are the point nearest (∞-norm) to the best so far where the
model reaches a level between that minimum and the best value. It stops when the best
value is within a small fraction of the gap target of the model's minimum: the prices
are then the dual optimum to within that.

**Allocation, by reduced-cost fixing.** At prices (λ, μ, λ_T) every feasible allocation
loses, against L, a sum of non-negative terms: for each account its choice's shortfall
against its best choice, maxₖ[...] − [rᵢ(xᵢ) − πᵢ xᵢ], for each hour of person p on account
i its excess price νₚ − πᵢ, and for each capacity its price times its unused hours. So an
allocation within Δ of L uses only the choices and person-account pairs whose own loss
is at most Δ. With the dual optimal prices almost every account has one such choice and
one such person, and the rest (the accounts near indifference, and who serves the
accounts that people tie on) is a small MILP: binaries for each account's choices,
integer hours per person and account, every capacity, minimising the total loss (HiGHS
through scipy's ``milp``). Its solution is the best allocation within Δ; when it is
infeasible or loses more than Δ, no allocation is within Δ of L, so L − Δ (or L minus
the MILP's proven bound) is a certified upper bound. Δ starts at the gap target and
grows while the gap is open and the MILP stays small; with Δ at the gap between L and an
allocation found, the MILP contains the optimum, so a solved one is exact.

**Large teams.** With many person-account pairs (people whose prices tie may all serve
most accounts, so the MILP above would hold a transport problem over every account), the
first MILPs are quick ones: Δ is set so that a few hundred accounts have a second choice;
the other accounts keep their best hours, which a maximum flow (scipy's Dinic) gives to
people within Δ, filling first the people whose capacity has a price (their unused hours
lose against L); the people of a sample of them (``EXCHANGE``) stay free in the MILP so
that hours can move between people, and a next quick MILP (Δ doubled) starts from the
best allocation's people. Its allocation's gap is certified by L as always;
when it is above the target the exact MILP follows while its size allows.

**Safety net.** When no MILP gives an allocation, it comes from the dual's hours: a
transport LP serves as many of them as the capacities allow, greedy filling adds hours
where they pay, and a min-cost transport gives them to the cheapest people. The gap is
reported as it is.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import (
    Bounds,
    LinearConstraint,
    linprog,
    milp,
)
from scipy.sparse import coo_matrix, vstack

from kam.core.allocation.curves import FloatArray, _dr, _inflection
from kam.core.allocation.pool import (
    Accounts,
    _report,
    as_curves,
    flat_rule,
    normalise_bounds,
    reference_allocation,
    solve_pool_units,
)
from kam.core.allocation.problems import (
    EXACT_GAP,
    AllocationResult,
    ProgressCallback,
    Shortfall,
    ShortfallReason,
    TeamProblem,
)

#: most evaluations of the dual (cutting planes) in the level bundle method
DUAL_ITERATIONS = 400
#: where the level sits between the model's minimum (0) and the best value (1)
LEVEL = 0.3
#: the bundle stops when the best value is within this share of the gap target of the
#: model's minimum (the rest of the gap is left to the allocation)
DUAL_SHARE = 0.05
#: largest reduced-cost MILP (columns: choices plus person-account pairs) solved
MILP_COLUMNS = 120_000
#: seconds HiGHS may spend on one reduced-cost MILP
MILP_SECONDS = 60.0
#: HiGHS's relative MIP gap on the MILP's total loss (a small number, so this is tight)
MILP_GAP = 1e-4
#: teams with more person-account pairs than this first get quick MILPs (module docstring)
EXACT_PAIRS = 10_000
#: quick MILPs tried, Δ doubling each time (fourfold after one that found nothing)
QUICK_ROUNDS = 4
#: most candidate steps scanned away from each account's best choice
SCAN = 10_000


class _Team:
    """The team's data on the hour grid (capacities in grid units)."""

    def __init__(self, problem: TeamProblem) -> None:
        curves = as_curves(problem.curves)
        self.curves = curves
        n = len(curves)
        people = list(problem.people)
        m = len(people)
        if m == 0:
            raise ValueError("a team needs at least one person")
        g = float(problem.granularity)
        self.n, self.m, self.g = n, m, g
        for person in people:
            if not (math.isfinite(person.capacity_hours) and person.capacity_hours >= 0):
                raise ValueError(f"person {person.key!r}: capacity_hours must be 0 or more")
        self.cap = np.array([math.floor(p.capacity_hours / g + 1e-9) for p in people], np.int64)
        self.cost = np.array([p.hour_cost for p in people], dtype=np.float64)
        self.functions = sorted({p.function for p in people})
        self.function_of = np.array([self.functions.index(p.function) for p in people], np.int64)
        fc = problem.function_capacity or {}
        self.fcap = np.array(
            [
                math.floor(fc[f] / g + 1e-9)
                if f in fc
                else int(self.cap[self.function_of == j].sum())
                for j, f in enumerate(self.functions)
            ],
            np.int64,
        )
        total = (
            int(self.cap.sum())
            if problem.total_capacity_hours is None
            else math.floor(problem.total_capacity_hours / g + 1e-9)
        )
        self.total = min(total, int(self.cap.sum()))
        self.total_given = problem.total_capacity_hours is not None
        # the capacities that can bind get a price: every person, a function whose
        # capacity is below its people's, the total when below everyone's
        per_function = np.bincount(
            self.function_of, weights=self.cap, minlength=len(self.functions)
        )
        self.free_f = np.flatnonzero(self.fcap < per_function)
        self.free_t = self.total < int(self.cap.sum())
        self.free = m + self.free_f.size + int(self.free_t)
        eligible = (
            np.ones((m, n), dtype=bool)
            if problem.eligible is None
            else np.asarray(problem.eligible, dtype=bool)
        )
        if eligible.shape != (m, n):
            raise ValueError(f"eligible must be people × accounts, {m} × {n}")
        self.eligible = eligible
        lo, hi = normalise_bounds(n, problem.min_hours, problem.max_hours, g, self.total)
        self.lo_policy = lo
        self.nobody = ~eligible.any(axis=0)
        self.hi = np.where(self.nobody, 0, hi)
        pairs = np.nonzero(eligible)
        self.pair_p, self.pair_i = pairs[0].astype(np.int64), pairs[1].astype(np.int64)

    def accounts(self, lo: NDArray[np.int64], price: FloatArray) -> Accounts:
        c = self.curves
        return Accounts(
            c.c, c.b - c.c, c.d, c.e, c.reference_hours, price, lo, np.maximum(self.hi, lo), self.g
        )

    def transport(
        self,
        weight: FloatArray,
        upper: NDArray[np.int64],
        lower: NDArray[np.int64] | None = None,
        cap: NDArray[np.int64] | None = None,
        fcap: NDArray[np.int64] | None = None,
        total: int | None = None,
    ) -> FloatArray:
        """Hours (grid units) per eligible pair: maximise Σ (weightᵢ − costₚ) y within each
        account's [lower, upper] and the capacities; a network LP, so its vertex is whole."""
        n, m = self.n, self.m
        npairs = self.pair_p.shape[0]
        cols = np.arange(npairs)
        rows = np.concatenate([self.pair_i, n + self.pair_p, n + m + self.function_of[self.pair_p]])
        nf = len(self.functions)
        a = coo_matrix(
            (
                np.ones(3 * npairs + npairs),
                (
                    np.concatenate([rows, np.full(npairs, n + m + nf)]),
                    np.concatenate([cols, cols, cols, cols]),
                ),
            ),
            shape=(n + m + nf + 1, npairs),
        ).tocsr()
        b_hi = np.concatenate(
            [
                upper,
                self.cap if cap is None else cap,
                self.fcap if fcap is None else fcap,
                [self.total if total is None else total],
            ]
        ).astype(np.float64)
        c = -(weight[self.pair_i] - self.cost[self.pair_p])
        if lower is not None and lower.any():
            b_lo = np.concatenate([lower, np.zeros(m + nf + 1)]).astype(np.float64)
            res = linprog(
                c,
                A_ub=vstack([a, -a[:n]]),
                b_ub=np.concatenate([b_hi, -b_lo[:n]]),
                bounds=(0, None),
                method="highs",
            )
        else:
            res = linprog(c, A_ub=a, b_ub=b_hi, bounds=(0, None), method="highs")
        if res.status != 0 or res.x is None:
            raise RuntimeError(f"the transport LP failed: {res.message}")
        y: FloatArray = np.round(np.asarray(res.x, dtype=np.float64)).astype(np.float64)
        return y

    def price_box(self, acc: Accounts) -> float:
        """A price (per hour) above which nobody buys an hour beyond the minimums: the
        steepest step of any curve on the grid, plus the spread of the hourly costs."""
        c = acc
        infl = _inflection(c.d, c.e, c.ref)
        steepest = np.where(c.d > 1, _dr(infl, c.a, c.d, c.e, c.ref), 0.0)
        first = (acc.value(acc.lo + 1, 0.0) - acc.value(acc.lo, 0.0)) / self.g
        top = float(np.max(np.maximum(steepest, first), initial=0.0))
        spread = float(np.ptp(self.cost)) if self.cost.size else 0.0
        return 1.5 * (top + spread) + 1.0

    def prices(self, z: FloatArray) -> tuple[FloatArray, FloatArray, float]:
        """(λ per person, μ per function, λ_T) from the free prices ``z`` (see ``free``)."""
        m = self.m
        lam = z[:m]
        mu = np.zeros(len(self.functions))
        mu[self.free_f] = z[m : m + self.free_f.size]
        lam_t = float(z[-1]) if self.free_t else 0.0
        return lam, mu, lam_t

    def dual(
        self, z: FloatArray, acc: Accounts, start: FloatArray | None
    ) -> tuple[float, FloatArray, NDArray[np.int64], NDArray[np.int64]]:
        """L at the free prices ``z``, a subgradient (grid units × g), the best hours per
        account and the cheapest eligible person per account."""
        lam, mu, lam_t = self.prices(z)
        person_price = self.cost + lam + mu[self.function_of] + lam_t
        priced = np.where(self.eligible, person_price[:, None], np.inf)
        who = np.argmin(priced, axis=0)
        price = np.where(self.nobody, 0.0, priced[who, np.arange(self.n)])
        acc.cost = price
        k, v = acc.best(price, start)
        # prices are per hour, capacities in grid units of g hours
        value = float(v.sum()) + self.g * (
            float(lam @ self.cap) + float(mu @ self.fcap) + lam_t * self.total
        )
        use = np.bincount(who, weights=k, minlength=self.m)
        sub = [self.cap - use]
        if self.free_f.size:
            use_f = np.bincount(self.function_of, weights=use, minlength=len(self.functions))
            sub.append((self.fcap - use_f)[self.free_f])
        if self.free_t:
            sub.append(np.array([self.total - float(k.sum())]))
        return value, self.g * np.concatenate(sub), k, who


@dataclass
class _Bound:
    """The dual's best value and prices, and the iterations it took."""

    value: float
    z: FloatArray
    iterations: int


def _minimise_dual(
    team: _Team,
    acc: Accounts,
    z0: FloatArray,
    box: float,
    gap_target: float,
    progress: ProgressCallback | None,
) -> _Bound:
    """The level bundle method on L over the free prices in [0, box] (module docstring).

    The prices first stay within a few times the first ones (much smaller than ``box``,
    which holds for the steepest curve); the limit grows when the best prices reach it."""
    d = z0.shape[0]
    limit = min(box, 4.0 * float(np.max(z0, initial=0.0)) + 2.0 * float(np.ptp(team.cost)) + 1.0)
    z = np.clip(z0, 0.0, limit)
    points: list[FloatArray] = []
    slopes: list[FloatArray] = []
    values: list[float] = []
    best = _Bound(np.inf, z.copy(), 0)
    low = -np.inf
    start: FloatArray | None = None
    bounds_z = [(0.0, limit)] * d
    for it in range(DUAL_ITERATIONS):
        value, sub, k, _ = team.dual(z, acc, start)
        start = (k * team.g).astype(np.float64)
        best.iterations = it + 1
        points.append(z.copy())
        slopes.append(sub)
        values.append(value)
        if value < best.value:
            best.value, best.z = value, z.copy()
        # cuts: value_j + slope_j · (z − z_j) ≤ r
        a = np.array(slopes)
        b = np.array(values) - np.einsum("ij,ij->i", a, np.array(points))
        ones = np.ones((len(values), 1))
        res = linprog(
            np.r_[np.zeros(d), 1.0],
            A_ub=np.hstack([a, -ones]),
            b_ub=-b,
            bounds=[*bounds_z, (None, None)],
            method="highs",
        )
        if res.status != 0 or res.x is None:
            break
        low = max(low, float(res.fun))
        gap = best.value - low
        _report(progress, 0.05 + 0.6 * min(1.0, (it + 1) / 150), "prices")
        if gap <= DUAL_SHARE * gap_target * max(abs(best.value), 1.0):
            if limit >= box or np.all(best.z < limit * (1 - 1e-6)):
                break
            limit = min(box, 4.0 * limit)
            bounds_z = [(0.0, limit)] * d
            low = -np.inf
            continue
        level = low + LEVEL * gap
        # the point nearest (∞-norm) to the best prices where the model is at most the level
        eye = np.eye(d)
        res = linprog(
            np.r_[np.zeros(d), 1.0],
            A_ub=np.vstack(
                [
                    np.hstack([a, 0 * ones]),
                    np.hstack([eye, -np.ones((d, 1))]),
                    np.hstack([-eye, -np.ones((d, 1))]),
                ]
            ),
            b_ub=np.r_[level - b, best.z, -best.z],
            bounds=[*bounds_z, (0.0, None)],
            method="highs",
        )
        if res.status != 0 or res.x is None:
            break
        z = np.asarray(res.x[:d], dtype=np.float64)
    return best


#: grid points sampled evenly on each account's useful range in the price LP's first pass
LP_SAMPLES = 12
#: grid steps either side of each account's best hours (at the first pass's prices) that
#: the second pass adds, one by one
LP_WINDOW = 12


def _lp_prices(team: _Team, lo: NDArray[np.int64]) -> tuple[FloatArray, float, FloatArray] | None:
    """Prices at which L is (almost) least, and a lower bound on min L, from two LPs.

    The Lagrangian dual's minimum equals the LP in which each account's contribution is
    replaced by its upper concave envelope over the hour grid (the convex hull of its
    choices; Geoffrion 1974): maximise Σᵢ envᵢ(xᵢ) − Σ g costₚ yₚᵢ with xᵢ = Σₚ yₚᵢ, within
    every capacity; the capacity rows' duals are the prices (per hour). Segments steeper
    than no eligible person's cost can pay are left out (no price makes them pay). The
    envelope is taken over some grid points only (an inner envelope, so the LP's value
    stays a lower bound on min L): ``LP_SAMPLES`` evenly spread, then, in a second LP,
    also every grid point within ``LP_WINDOW`` steps of each account's best hours at the
    first LP's prices, where the second LP's prices put them too. Also the second LP's
    hours per eligible pair (grid units, a vertex: whole but for a few). None when HiGHS
    fails."""
    found = _lp_pass(team, lo, None)
    if found is None:
        return None
    lam, mu, lam_t = team.prices(found[0])
    person_price = team.cost + lam + mu[team.function_of] + lam_t
    priced = np.where(team.eligible, person_price[:, None], np.inf)
    price = np.where(team.nobody, 0.0, priced.min(axis=0))
    best_k, _ = team.accounts(lo, price).best(price)
    return _lp_pass(team, lo, best_k) or found


def _lp_pass(
    team: _Team, lo: NDArray[np.int64], around: NDArray[np.int64] | None
) -> tuple[FloatArray, float, FloatArray] | None:
    """One price LP (``_lp_prices``): the envelope over the even samples, and the window
    around ``around`` when given."""
    n, m, g = team.n, team.m, team.g
    serve = ~team.nobody
    cheapest = np.where(team.eligible, team.cost[:, None], np.inf).min(axis=0)
    best_cost = np.where(serve, cheapest, 0.0)
    acc = team.accounts(lo, best_cost)
    hi = np.maximum(team.hi, lo)
    h_star = acc.stationary(best_cost)
    top = np.where(best_cost > 0, np.floor(h_star / g + 1e-9).astype(np.int64) + 1, hi)
    top = np.where(serve, np.clip(top, lo, hi), lo)
    span = top - lo
    count = np.minimum(span, LP_SAMPLES) + 1
    idx = np.repeat(np.arange(n), count)
    j = np.arange(idx.size) - np.repeat(np.cumsum(count) - count, count)
    steps = np.maximum(count - 1, 1)
    k = lo[idx] + np.rint(j * span[idx] / steps[idx]).astype(np.int64)
    if around is not None:
        w = np.arange(-LP_WINDOW, LP_WINDOW + 1)
        wi = np.repeat(np.arange(n), w.size)
        wk = np.clip(around[wi] + np.tile(w, n), lo[wi], top[wi])
        key = np.unique(np.r_[idx, wi] * (int(hi.max(initial=0)) + 2) + np.r_[k, wk])
        idx, k = key // (int(hi.max(initial=0)) + 2), key % (int(hi.max(initial=0)) + 2)
        count = np.bincount(idx, minlength=n)
    v = acc.subset(idx).value(k, 0.0)
    seg_i: list[NDArray[np.int64]] = []
    seg_len: list[NDArray[np.int64]] = []
    seg_slope: list[FloatArray] = []
    base = 0.0
    starts = np.cumsum(count) - count
    for i in range(n):
        a, c = int(starts[i]), int(count[i])
        ki, vi = k[a : a + c], v[a : a + c]
        base += float(vi[0])
        if c < 2:
            continue
        chord = (vi[1:] - vi[0]) / (ki[1:] - ki[0])
        t = int(np.argmax(chord)) + 1
        lengths = np.r_[ki[t] - ki[0], np.diff(ki[t:])]
        slopes = np.r_[chord[t - 1], np.diff(vi[t:]) / np.maximum(np.diff(ki[t:]), 1)]
        slopes = np.minimum.accumulate(slopes)
        pays = (slopes > g * best_cost[i]) & (lengths > 0)
        if pays.any():
            seg_i.append(np.full(int(pays.sum()), i, dtype=np.int64))
            seg_len.append(lengths[pays])
            seg_slope.append(slopes[pays])
    si = np.concatenate(seg_i) if seg_i else np.zeros(0, np.int64)
    sl = np.concatenate(seg_len) if seg_len else np.zeros(0, np.int64)
    ss = np.concatenate(seg_slope) if seg_slope else np.zeros(0)
    npairs, nseg = team.pair_p.size, si.size
    nf = team.free_f.size
    if nseg == 0:  # no hour beyond the minimums pays at any price
        return np.zeros(team.free), base, np.zeros(npairs)
    # inequality rows: each person, each function that can bind, the total when it can
    f_row = np.full(len(team.functions), -1)
    f_row[team.free_f] = m + np.arange(nf)
    pf = f_row[team.function_of[team.pair_p]]
    rows = [team.pair_p, m + nf + np.zeros(npairs, np.int64)] if team.free_t else [team.pair_p]
    cols = [np.arange(npairs)] * len(rows)
    rows.append(pf[pf >= 0])
    cols.append(np.flatnonzero(pf >= 0))
    n_ub = m + nf + int(team.free_t)
    a_ub = coo_matrix(
        (np.ones(sum(r.size for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_ub, npairs + nseg),
    ).tocsr()
    b_ub = np.concatenate([team.cap, team.fcap[team.free_f], [team.total] if team.free_t else []])
    a_eq = coo_matrix(
        (
            np.r_[np.ones(npairs), -np.ones(nseg)],
            (np.r_[team.pair_i, si], np.r_[np.arange(npairs), npairs + np.arange(nseg)]),
        ),
        shape=(n, npairs + nseg),
    ).tocsr()
    c = np.r_[g * team.cost[team.pair_p], -ss]
    res = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub.astype(np.float64),
        A_eq=a_eq,
        b_eq=lo.astype(np.float64),
        bounds=np.c_[np.zeros(npairs + nseg), np.r_[np.full(npairs, np.inf), sl]],
        method="highs",
    )
    if res.status != 0 or res.x is None:
        return None
    z = np.maximum(-np.asarray(res.ineqlin.marginals, dtype=np.float64), 0.0) / g
    return z, base - float(res.fun), np.asarray(res.x[:npairs], dtype=np.float64)


def _rounded(team: _Team, lo: NDArray[np.int64], y_lp: FloatArray) -> FloatArray | None:
    """A feasible allocation from the price LP's pair hours: each rounded down (within
    every capacity still), then the minimums made up by a maximum flow through the hours
    left. None when the flow cannot make them up."""
    y = np.floor(y_lp + 1e-9)
    x = np.bincount(team.pair_i, weights=y, minlength=team.n).astype(np.int64)
    x = np.minimum(x, team.hi)
    short = np.maximum(lo - x, 0)
    if short.any():
        use_p = np.bincount(team.pair_p, weights=y, minlength=team.m).astype(np.int64)
        use_f = np.bincount(team.function_of, weights=use_p, minlength=len(team.functions))
        y = y + _route(
            team,
            short,
            np.arange(team.pair_p.size),
            team.cap - use_p,
            (team.fcap - use_f).astype(np.int64),
            team.total - int(use_p.sum()),
        )
        x = np.bincount(team.pair_i, weights=y, minlength=team.n).astype(np.int64)
        if np.any(x < lo):
            return None
    return y


def _candidates(
    acc: Accounts,
    price: FloatArray,
    delta: float,
) -> tuple[NDArray[np.int64], NDArray[np.int64], FloatArray, FloatArray]:
    """Every account's grid choices whose loss against its best at ``price`` is at most
    ``delta``: (account, choice, loss) sorted by account, and each account's best value.

    r(k g) − price k g is convex then concave in k (convex then concave curve), so those
    choices are an interval from the lower bound and one around the concave part's best;
    both are scanned outwards from their seeds."""
    best_k, best_v = acc.best(price)
    h_star = acc.stationary(price)
    kf = np.floor(h_star / acc.g + 1e-9).astype(np.int64)
    n = price.shape[0]
    found_i: list[NDArray[np.int64]] = []
    found_k: list[NDArray[np.int64]] = []
    found_l: list[FloatArray] = []
    limit = delta * (1 + 1e-9) + 1e-9 * np.maximum(np.abs(best_v), 1.0)
    for seed, directions in ((acc.lo, (1,)), (kf, (-1, 1)), (kf + 1, (-1, 1)), (best_k, (-1, 1))):
        for direction in directions:
            idx = np.arange(n)
            base = np.clip(seed, acc.lo, acc.hi)
            for step in range(SCAN):
                k = base[idx] + direction * step
                ok = (k >= acc.lo[idx]) & (k <= acc.hi[idx])
                idx, k = idx[ok], k[ok]
                loss = best_v[idx] - acc.subset(idx).value(k, price[idx])
                ok = loss <= limit[idx]
                idx, k = idx[ok], k[ok]
                if idx.size == 0:
                    break
                found_i.append(idx)
                found_k.append(k)
                found_l.append(np.maximum(loss[ok], 0.0))
    i = np.concatenate(found_i)
    k = np.concatenate(found_k)
    loss = np.concatenate(found_l)
    key = i * (int(acc.hi.max()) + 2) + k
    _, first = np.unique(key, return_index=True)
    return i[first], k[first], loss[first], best_v


@dataclass
class _Restricted:
    """One reduced-cost MILP's answer: pair hours (or None), the total loss it proves
    no allocation within Δ can beat, and whether it was solved to optimality."""

    y: FloatArray | None
    bound: float
    optimal: bool
    columns: int


def _route(
    team: _Team,
    hours: NDArray[np.int64],
    pairs: NDArray[np.intp],
    cap: NDArray[np.int64],
    fcap: NDArray[np.int64],
    total: int,
    first: NDArray[np.bool_] | None = None,
) -> FloatArray:
    """Whole hours per pair (of ``pairs`` only) serving as much of ``hours`` as the
    capacities ``cap`` (per person), ``fcap`` (per function) and ``total`` allow: a maximum
    flow from the accounts through the people, their functions and the total (scipy's
    Dinic). The people marked ``first`` (those whose own capacity has a price, so that
    their unused hours cost) are filled first: a flow through them alone, then augmented
    through everyone (which moves hours off them only where that serves more hours in
    all)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow

    n, m, nf = team.n, team.m, len(team.functions)
    first_p, first_f = 1 + n, 1 + n + m
    top, sink = 1 + n + m + nf, 2 + n + m + nf
    want = np.flatnonzero(hours > 0)
    src = np.concatenate(
        [
            np.zeros(want.size),
            1 + team.pair_i[pairs],
            first_p + np.arange(m),
            first_f + np.arange(nf),
            [top],
        ]
    ).astype(np.int64)
    dst = np.concatenate(
        [
            1 + want,
            first_p + team.pair_p[pairs],
            first_f + team.function_of,
            np.full(nf, top),
            [sink],
        ]
    ).astype(np.int64)
    capacity = np.maximum(
        np.concatenate([hours[want], hours[team.pair_i[pairs]], cap, fcap, [total]]), 0
    ).astype(np.int64)
    shape = (sink + 1, sink + 1)
    flow_e = np.zeros(capacity.size, dtype=np.int64)
    if first is not None and first.any() and not first.all():
        # only the marked people's edges to their functions open
        stage = capacity.copy()
        people_edges = slice(want.size + pairs.size, want.size + pairs.size + m)
        stage[people_edges] = np.where(first, stage[people_edges], 0)
        graph = csr_matrix((stage.astype(np.int32), (src, dst)), shape=shape)
        flow = maximum_flow(graph, 0, sink, method="dinic").flow
        flow_e = np.asarray(flow[src, dst], dtype=np.int64).ravel()
    # the residual network (forward room and the way back), augmented
    residual = csr_matrix(
        (
            np.concatenate([capacity - flow_e, flow_e]).astype(np.int32),
            (np.concatenate([src, dst]), np.concatenate([dst, src])),
        ),
        shape=shape,
    )
    more = maximum_flow(residual, 0, sink, method="dinic").flow
    flow_e = flow_e + np.asarray(more[src, dst], dtype=np.int64).ravel()
    y = np.zeros(team.pair_p.shape[0])
    pair_edges = slice(want.size, want.size + pairs.size)
    y[pairs] = flow_e[pair_edges].astype(np.float64)
    return np.maximum(y, 0.0)


#: accounts with a second choice that the first quick MILP lets choose
QUICK_ACCOUNTS = 300


def _quick_delta(team: _Team, lo: NDArray[np.int64], z: FloatArray) -> float:
    """The Δ at which about ``QUICK_ACCOUNTS`` accounts have a second choice within Δ."""
    lam, mu, lam_t = team.prices(z)
    person_price = team.cost + lam + mu[team.function_of] + lam_t
    priced = np.where(team.eligible, person_price[:, None], np.inf)
    price = np.where(team.nobody, 0.0, priced.min(axis=0))
    acc = team.accounts(lo, price)
    best_k, best_v = acc.best(price)
    second = np.full(team.n, np.inf)
    for k in (best_k - 1, best_k + 1, acc.lo):
        ok = (k >= acc.lo) & (k <= acc.hi) & (k != best_k)
        loss = best_v - acc.value(np.clip(k, acc.lo, acc.hi), price)
        second = np.where(ok, np.minimum(second, loss), second)
    second = second[np.isfinite(second)]
    if second.size <= QUICK_ACCOUNTS:
        return math.inf
    return float(np.partition(second, QUICK_ACCOUNTS)[QUICK_ACCOUNTS])


#: accounts (with several people within Δ) whose people stay free in the quick MILP, so
#: that hours can move between people
EXCHANGE = 500


def _restricted_milp(
    team: _Team,
    lo: NDArray[np.int64],
    z: FloatArray,
    delta: float,
    time_limit: float,
    *,
    exact: bool,
    close: float = 0.0,
    route: FloatArray | None = None,
    seed: int = 0,
) -> _Restricted:
    """The allocations within ``delta`` of L at the prices ``z`` (module docstring).

    ``exact``: every person-account pair within Δ is a variable, so the MILP's bound is a
    proof. Otherwise (quick) the hours of the accounts with one choice are first given to
    people by a maximum flow and stay there, except for ``EXCHANGE`` of them whose people
    stay free; the answer is then an allocation only, with no bound."""
    n, g = team.n, team.g
    lam, mu, lam_t = team.prices(z)
    person_price = team.cost + lam + mu[team.function_of] + lam_t
    priced = np.where(team.eligible, person_price[:, None], np.inf)
    price = np.where(team.nobody, 0.0, priced.min(axis=0))
    acc = team.accounts(lo, price)
    ci, ck, closs, best_v = _candidates(acc, price, delta)
    constant = g * (float(lam @ team.cap) + float(mu @ team.fcap) + lam_t * team.total)
    # person-account pairs whose hours each lose at most delta
    pair_loss = g * (person_price[team.pair_p] - price[team.pair_i])
    tiny = 1e-9 * max(abs(float(price.max(initial=0.0))) * g, 1.0)
    pairs = np.flatnonzero(pair_loss <= delta + tiny)
    top = np.zeros(n, dtype=np.int64)
    np.maximum.at(top, ci, ck)
    pairs = pairs[top[team.pair_i[pairs]] > 0]
    choices = np.bincount(ci, minlength=n)
    per_account = np.bincount(team.pair_i[pairs], minlength=n)
    y = np.zeros(team.pair_p.shape[0])
    if exact:
        fixed_acc = (choices == 1) & (per_account <= 1)
        on_pair = fixed_acc[team.pair_i[pairs]]
        y[pairs[on_pair]] = top[team.pair_i[pairs[on_pair]]]
        if np.any(fixed_acc & (top > 0) & (per_account == 0)):
            # an account fixed above 0 hours that nobody can serve within delta
            return _Restricted(None, math.inf, True, 0)
    else:
        # every account's best choice, given to people by a maximum flow
        best = np.zeros(n, dtype=np.int64)
        np.maximum.at(best, ci, np.where(closs <= 0.0, ck, 0))
        y = np.zeros(team.pair_p.shape[0])
        keep = np.zeros(n, dtype=bool)
        if route is not None:
            # people as in an allocation found before, where it gives these hours within
            # Δ; the flow routes the rest through what is left
            within = np.zeros(team.pair_p.shape[0], dtype=bool)
            within[pairs] = True
            outside = np.bincount(team.pair_i, weights=route * ~within, minlength=n)
            same = np.rint(np.bincount(team.pair_i, weights=route, minlength=n)) == best
            keep = same & (outside == 0) & (best > 0)
            y = np.where(keep[team.pair_i], route, 0.0)
        use_p = np.bincount(team.pair_p, weights=y, minlength=team.m)
        y += _route(
            team,
            np.where(keep, 0, best),
            pairs,
            team.cap - use_p.astype(np.int64),
            team.fcap
            - np.bincount(team.function_of, weights=use_p, minlength=len(team.functions)).astype(
                np.int64
            ),
            team.total - int(use_p.sum()),
            first=lam > 0,
        )
        routed = np.rint(np.bincount(team.pair_i, weights=y, minlength=n)).astype(np.int64)
        short = np.flatnonzero(routed < best)
        if short.size:
            # accounts the flow could not serve fully may also take fewer hours
            span = np.minimum(best[short] - lo[short], 8)
            extra_i = np.repeat(short, span + 1)
            extra_k = best[extra_i] - (
                np.arange(extra_i.size) - np.repeat(np.cumsum(span + 1) - span - 1, span + 1)
            )
            extra_k = np.concatenate([extra_k, lo[short]])
            extra_i = np.concatenate([extra_i, short])
            extra_l = best_v[extra_i] - acc.subset(extra_i).value(extra_k, price[extra_i])
            ci = np.concatenate([ci, extra_i])
            ck = np.concatenate([ck, extra_k])
            closs = np.concatenate([closs, np.maximum(extra_l, 0.0)])
            key = ci * (int(acc.hi.max()) + 2) + ck
            _, first = np.unique(key, return_index=True)
            ci, ck, closs = ci[first], ck[first], closs[first]
            choices = np.bincount(ci, minlength=n)
        several = np.flatnonzero((choices == 1) & (per_account >= 2))
        if several.size > EXCHANGE:
            several = np.sort(np.random.default_rng(seed).choice(several, EXCHANGE, replace=False))
        fixed_acc = choices == 1
        fixed_acc[several] = False
        fixed_acc[short] = False
        y[~fixed_acc[team.pair_i]] = 0.0
    flex = np.flatnonzero(choices >= 2)
    zc = np.flatnonzero(choices[ci] >= 2)  # candidate rows that become binaries
    fixed_c = np.flatnonzero(choices[ci] == 1)
    fixed_k = np.zeros(n, dtype=np.int64)
    fixed_k[ci[fixed_c]] = ck[fixed_c]
    constant += float(closs[fixed_c].sum())
    constant += float((g * (team.cost[team.pair_p] - price[team.pair_i])) @ y)
    free_pairs = pairs[~fixed_acc[team.pair_i[pairs]]]
    use_p = np.bincount(team.pair_p, weights=y, minlength=team.m)
    cap = team.cap - use_p
    fcap = team.fcap - np.bincount(team.function_of, weights=use_p, minlength=len(team.functions))
    total = team.total - float(use_p.sum())
    m_z, m_y = zc.size, free_pairs.size
    if m_z + m_y > MILP_COLUMNS:
        return _Restricted(None, 0.0, False, m_z + m_y)
    if np.any(cap < 0) or np.any(fcap < 0) or total < 0:
        return _Restricted(None, math.inf if exact else 0.0, exact, m_z + m_y)
    rows_acc = np.full(n, -1)
    balance = np.unique(np.concatenate([team.pair_i[free_pairs], flex[top[flex] > 0]]))
    rows_acc[balance] = np.arange(balance.size)
    one_row = np.full(n, -1)
    one_row[flex] = balance.size + np.arange(flex.size)
    r0 = balance.size + flex.size
    nf = len(team.functions)
    zi, zk = ci[zc], ck[zc]
    # z columns: the one-hot row, and −k in the balance row (when the account has pairs)
    has_balance = rows_acc[zi] >= 0
    pi, pp = team.pair_i[free_pairs], team.pair_p[free_pairs]
    rows = np.concatenate(
        [
            one_row[zi],
            rows_acc[zi[has_balance]],
            rows_acc[pi],
            r0 + pp,
            r0 + team.m + team.function_of[pp],
            np.full(m_y, r0 + team.m + nf),
        ]
    )
    cols = np.concatenate(
        [np.arange(m_z), np.flatnonzero(has_balance)] + [m_z + np.arange(m_y)] * 4
    )
    vals = np.concatenate(
        [np.ones(m_z), -zk[has_balance].astype(np.float64), np.ones(m_y), np.ones(3 * m_y)]
    )
    n_rows = r0 + team.m + nf + 1
    a = coo_matrix((vals, (rows, cols)), shape=(n_rows, m_z + m_y + 1)).tocsr()
    # fixed-hours accounts with several people: their balance row's right-hand side
    rhs = np.where(choices[balance] == 1, fixed_k[balance], 0).astype(np.float64)
    lower = np.concatenate([rhs, np.ones(flex.size), np.full(team.m + nf + 1, -np.inf)])
    upper = np.concatenate([rhs, np.ones(flex.size), cap, fcap, [total]]).astype(np.float64)
    objective = np.concatenate([closs[zc], g * (team.cost[pp] - price[pi]), [constant]])
    res = milp(
        objective,
        constraints=LinearConstraint(a, lower, upper),
        integrality=np.r_[np.ones(m_z + m_y), 0.0],
        bounds=Bounds(
            np.r_[np.zeros(m_z + m_y), 1.0],
            np.r_[np.ones(m_z), np.full(m_y, np.inf), 1.0],
        ),
        options={
            # tight enough that the loss is proven to within ``close`` (currency)
            "mip_rel_gap": min(MILP_GAP, max(0.25 * close / max(delta, 1e-12), 1e-9))
            if close > 0
            else MILP_GAP,
            "time_limit": time_limit,
            "disp": False,
        },
    )
    safety = 1e-9 * (abs(constant) + float(np.abs(objective[:-1]).sum()) + 1.0)
    if res.status == 2:  # infeasible: nothing within delta (a proof only when exact)
        return _Restricted(None, math.inf if exact else 0.0, exact, m_z + m_y)
    bound = getattr(res, "mip_dual_bound", None)
    proven = -math.inf if bound is None or not np.isfinite(bound) else float(bound) - safety
    if not exact:
        proven = 0.0
    if res.x is None:
        return _Restricted(None, max(proven, 0.0), False, m_z + m_y)
    y[free_pairs] = np.rint(np.asarray(res.x[m_z : m_z + m_y], dtype=np.float64))
    return _Restricted(y, max(proven, 0.0), exact and res.status == 0, m_z + m_y)


def allocate_team(
    problem: TeamProblem,
    *,
    gap_target: float = 1e-6,
    progress: ProgressCallback | None = None,
    prices: str = "lp",
) -> AllocationResult:
    """Solve a team problem (see the module docstring); called by ``allocate``.

    ``prices``: "lp" (the price LP, ``_lp_prices``) or "bundle" (the level bundle method
    alone, as before the LP: bench/allocation.py compares the two)."""
    team = _Team(problem)
    n, m, g = team.n, team.m, team.g
    curves = team.curves
    accounts_labels = tuple(range(n)) if problem.accounts is None else tuple(problem.accounts)
    _report(progress, 0.0, "minimums")
    # which minimums the people who may serve each account can meet together
    lo = team.lo_policy.copy()
    lo[team.nobody] = 0
    reasons: dict[int, ShortfallReason] = {
        int(i): ShortfallReason.NO_ELIGIBLE_PERSON
        for i in np.flatnonzero(team.nobody & (team.lo_policy > 0))
    }
    if lo.any():
        if team.pair_p.size > EXACT_PAIRS:
            # a large team: the same largest service of the minimums by a maximum flow
            # (seconds faster than the transport LP at 10,000 accounts)
            y = _route(team, lo, np.arange(team.pair_p.size), team.cap, team.fcap, team.total)
        else:
            y = team.transport(np.full(n, 1e6), lo)
        served = np.bincount(team.pair_i, weights=y, minlength=n).astype(np.int64)
        for i in np.flatnonzero(served < lo):
            reasons[int(i)] = ShortfallReason.ELIGIBLE_CAPACITY
        lo = np.minimum(lo, served)
    best_cost: FloatArray = np.where(
        team.nobody, 0.0, np.where(team.eligible, team.cost[:, None], np.inf).min(axis=0)
    )
    acc = team.accounts(lo, best_cost.copy())
    # first prices: the pool with everyone's hours at the cheapest eligible cost
    _, lam0, _, _ = solve_pool_units(team.accounts(lo, best_cost), team.total, repair_=False)
    z0 = np.zeros(team.free)
    # people end at about one price per hour (their cost plus their λ) when they can
    # stand in for each other: start there
    can_serve = ~team.nobody
    level = lam0 + (float(best_cost[can_serve].mean()) if can_serve.any() else 0.0)
    z0[:m] = np.maximum(level - team.cost, 0.0)
    box = team.price_box(acc)
    _report(progress, 0.05, "prices")
    found = _lp_prices(team, lo) if prices == "lp" else None
    first_y: FloatArray | None = None
    if found is not None:
        z_lp, _, y_lp = found
        value, _, _, _ = team.dual(z_lp, acc, None)
        bound = _Bound(value, z_lp, 1)
        first_y = _rounded(team, lo, y_lp)
    else:
        bound = _minimise_dual(team, acc, z0, box, gap_target, progress)
    upper_l = bound.value
    target = gap_target * max(abs(upper_l), 1.0)
    # the allocation: reduced-cost MILPs with a growing Δ (module docstring)
    _report(progress, 0.7, "allocation")
    proven_loss = 0.0  # no allocation loses less than this against L
    best_y: FloatArray | None = None
    best_loss = math.inf
    deadline = time.perf_counter() + MILP_SECONDS

    def take(answer: _Restricted) -> float:
        nonlocal best_y, best_loss
        if answer.y is None:
            return math.inf
        loss = upper_l - _objective(team, answer.y)
        if loss < best_loss:
            best_y, best_loss = answer.y, loss
        return loss

    if first_y is not None:
        take(_Restricted(first_y, 0.0, False, 0))
    delta = target
    if team.pair_p.size > EXACT_PAIRS:
        delta = min(target, _quick_delta(team, lo, bound.z))
        # a large team: quick MILPs (people fixed by a maximum flow for most accounts),
        # each after the first starting from the best allocation's people
        for round_ in range(QUICK_ROUNDS):
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            answer = _restricted_milp(
                team, lo, bound.z, delta, left, exact=False, route=best_y, seed=round_
            )
            take(answer)
            if best_loss <= target:
                break
            delta *= 2.0 if answer.y is not None else 4.0
            _report(progress, 0.75, "allocation")
        delta = min(best_loss, target) if np.isfinite(best_loss) else target
    ceiling = math.inf  # the smallest Δ whose MILP was too large
    # a team small enough for the exact MILP is solved to within EXACT_GAP (then it is
    # exact); a larger one to within the gap target
    close = EXACT_GAP * max(abs(upper_l), 1.0) if team.pair_p.size <= EXACT_PAIRS else target
    while best_loss - proven_loss > close and time.perf_counter() < deadline:
        answer = _restricted_milp(
            team, lo, bound.z, delta, deadline - time.perf_counter(), exact=True, close=close
        )
        if answer.columns > MILP_COLUMNS:
            ceiling = delta
            if best_y is not None or delta < 1e-3 * target:
                break
            delta /= 8.0
            continue
        proven_loss = max(proven_loss, min(delta, answer.bound))
        loss = take(answer)
        if answer.optimal and loss <= delta:
            break
        # with Δ at the best allocation's loss the MILP holds the optimum
        delta = min(4.0 * delta, best_loss)
        if delta >= ceiling or delta <= proven_loss:
            break
        _report(progress, 0.85, "allocation")
    if best_y is None:
        _, _, k, _ = team.dual(bound.z, acc, None)
        best_y = _primal(team, lo, k)
    best_obj = _objective(team, best_y)
    lam, mu, lam_t = team.prices(bound.z)
    person_hours = np.zeros((m, n))
    np.add.at(person_hours, (team.pair_p, team.pair_i), best_y * g)
    hours = person_hours.sum(axis=0)
    objective = best_obj
    upper = max(upper_l - proven_loss, objective)
    gap = upper - objective
    contributions = curves.contribution(hours)
    capacity_hours = float(team.total * g)
    weights = team.cap / max(float(team.cap.sum()), 1.0)
    mean_cost = float(team.cost @ weights)
    baseline = reference_allocation(curves.reference_hours, capacity_hours)
    baseline_objective = float((curves.contribution(baseline) - mean_cost * baseline).sum())
    flat_hours = flat_objective = None
    if problem.flat_hours is not None:
        flat_hours = flat_rule(
            np.asarray(problem.flat_hours, dtype=np.float64),
            capacity_hours,
            (team.lo_policy * g).astype(np.float64),
            (team.hi * g).astype(np.float64),
        )
        flat_objective = float((curves.contribution(flat_hours) - mean_cost * flat_hours).sum())
    person_prices = lam + mu[team.function_of] + lam_t
    shadow = lam_t if team.total_given and lam_t > 0 else float(person_prices @ weights)
    shortfalls = tuple(
        Shortfall(int(i), accounts_labels[int(i)], float(team.lo_policy[i] * g), float(hours[i]), r)
        for i, r in sorted(reasons.items())
        if hours[i] < team.lo_policy[i] * g
    )
    _report(progress, 1.0, "done")
    return AllocationResult(
        hours=hours,
        objective=objective,
        upper_bound=upper,
        gap=gap,
        relative_gap=gap / max(abs(objective), 1.0),
        shadow_price=float(shadow),
        baseline_hours=baseline,
        baseline_objective=baseline_objective,
        contributions=contributions,
        accounts=accounts_labels,
        shortfalls=shortfalls,
        flat_hours=flat_hours,
        flat_objective=flat_objective,
        person_hours=person_hours,
        person_shadow_prices=person_prices,
        function_shadow_prices={f: float(mu[j]) for j, f in enumerate(team.functions)},
        exact=gap <= EXACT_GAP * max(abs(objective), 1.0),
        iterations=bound.iterations,
    )


def _objective(team: _Team, y: FloatArray) -> float:
    """Σ r(hours) − Σ cost · hours of pair hours ``y`` (grid units)."""
    hours = np.bincount(team.pair_i, weights=y, minlength=team.n) * team.g
    cost = float(team.cost[team.pair_p] @ y) * team.g
    return float(team.curves.contribution(hours).sum()) - cost


def _primal(team: _Team, lo: NDArray[np.int64], k: NDArray[np.int64]) -> FloatArray:
    """A feasible allocation from the dual's hours ``k``: serve as much of them as the
    capacities allow (transport LP), then add hours greedily where they pay, then give
    the hours to the cheapest people who may serve (min-cost transport)."""
    n, g = team.n, team.g
    c = team.curves
    k = np.maximum(k, lo)
    y = team.transport(np.full(n, 1e6), k, lower=lo)
    x = np.bincount(team.pair_i, weights=y, minlength=n).astype(np.int64)
    left_p = team.cap - np.bincount(team.pair_p, weights=y, minlength=team.m).astype(np.int64)
    left_f = team.fcap - np.bincount(
        team.function_of[team.pair_p], weights=y, minlength=len(team.functions)
    ).astype(np.int64)
    left_t = team.total - int(x.sum())
    for _ in range(500):
        if left_t <= 0:
            break
        open_p = (left_p > 0) & (left_f[team.function_of] > 0)
        priced = np.where(team.eligible & open_p[:, None], team.cost[:, None], np.inf)
        who = np.argmin(priced, axis=0)
        price = priced[who, np.arange(n)]
        room = (x < team.hi) & np.isfinite(price)
        if not room.any():
            break
        h0: FloatArray = (x * g).astype(np.float64)
        gain = np.full(n, -np.inf)
        r1 = c.contribution(h0 + g) - c.contribution(h0)
        gain[room] = (r1 - price * g)[room]
        order = np.argsort(-gain, kind="stable")
        added = 0
        for i in order[: max(1, min(n, left_t))]:
            if gain[i] <= 0 or left_t <= 0:
                break
            p = who[i]
            f = team.function_of[p]
            if left_p[p] <= 0 or left_f[f] <= 0:
                continue
            x[i] += 1
            left_p[p] -= 1
            left_f[f] -= 1
            left_t -= 1
            added += 1
        if added == 0:
            break
    # cheapest people for these hours
    y = team.transport(np.zeros(n), x, lower=x)
    return y


def team_scale(problem: TeamProblem, hours: FloatArray, capacity_hours: float) -> float:
    """The largest share ``s`` in [0, 1] of ``hours`` (one figure per account) that the team
    can give every account at once: ``s × hours[i]`` to each account, spent by people who
    may serve it, within each person's and each function's hours and ``capacity_hours`` in
    all (docs/allocation.md, "What the result reports").

    A comparison such as today's allocation is only fair when the plan could make it:
    scaling today's hours down to the total capacity alone ignores who may serve whom, and
    can give an account hours only a fully booked colleague could spend. Accounts that
    nobody may serve must have 0 hours (they can get none in any plan); a small LP (HiGHS)
    finds ``s``.
    """
    hours = np.asarray(hours, dtype=np.float64)
    people = list(problem.people)
    n, m = hours.size, len(people)
    need = np.flatnonzero(hours > 0)
    if need.size == 0 or m == 0:
        return 1.0
    eligible = (
        np.ones((m, n), dtype=bool)
        if problem.eligible is None
        else np.asarray(problem.eligible, dtype=bool)
    )
    pair_p, pair_i = np.nonzero(eligible[:, need])
    if np.setdiff1d(np.arange(need.size), pair_i).size:
        raise ValueError("an account nobody may serve must have 0 hours")
    npairs = pair_p.size
    rows_eq = pair_i
    # one equality per account with hours: its people's hours - s × its hours = 0
    a_eq = coo_matrix(
        (
            np.concatenate([np.ones(npairs), -hours[need]]),
            (
                np.concatenate([rows_eq, np.arange(need.size)]),
                np.concatenate([np.arange(npairs), np.full(need.size, npairs)]),
            ),
        ),
        shape=(need.size, npairs + 1),
    ).tocsr()
    functions = sorted(problem.function_capacity or {})
    f_index = {f: k for k, f in enumerate(functions)}
    person_function = [f_index.get(p.function, -1) for p in people]
    f_rows = np.array([person_function[p] for p in pair_p], dtype=np.int64)
    in_f = f_rows >= 0
    cols = np.arange(npairs)
    a_ub = coo_matrix(
        (
            np.ones(npairs * 2 + int(in_f.sum())),
            (
                np.concatenate([pair_p, m + f_rows[in_f], np.full(npairs, m + len(functions))]),
                np.concatenate([cols, cols[in_f], cols]),
            ),
        ),
        shape=(m + len(functions) + 1, npairs + 1),
    ).tocsr()
    b_ub = np.concatenate(
        [
            [max(float(p.capacity_hours), 0.0) for p in people],
            [max(float((problem.function_capacity or {})[f]), 0.0) for f in functions],
            [max(float(capacity_hours), 0.0)],
        ]
    )
    c = np.zeros(npairs + 1)
    c[-1] = -1.0
    bounds = [(0.0, None)] * npairs + [(0.0, 1.0)]
    res = linprog(
        c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=np.zeros(need.size), bounds=bounds, method="highs"
    )
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"the scaling LP failed: {res.message}")
    return float(min(max(res.x[-1], 0.0), 1.0))
