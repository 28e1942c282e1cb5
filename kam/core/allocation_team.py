"""The team allocation problem (kam-method.md section 2): people with their own capacity,
function and hourly cost, who may serve only some accounts.

Lagrangian dual over every capacity constraint: with prices λₚ per person, μ_f per function
and λ_T on the total, an hour on account i costs πᵢ = λ_T + min over eligible p of
(costₚ + λₚ + μ_f(p)); each account then chooses its hours alone (the pool sub-problem), and

    L(λ, μ, λ_T) = Σᵢ maxₖ [rᵢ(k g) − πᵢ k g] + Σ λₚ capₚ + Σ μ_f cap_f + λ_T T

bounds every feasible allocation from above, for any non-negative prices. The prices are
improved by projected subgradient steps (Polyak's step towards the best allocation found);
allocations come from the dual's hours, made feasible by a transport LP (HiGHS through
scipy) and filled greedily, and the gap between the two is reported as it is.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog  # type: ignore[import-untyped]
from scipy.sparse import coo_matrix, vstack  # type: ignore[import-untyped]

from kam.core.allocation import (
    Accounts,
    AllocationResult,
    FloatArray,
    ProgressCallback,
    Shortfall,
    ShortfallReason,
    TeamProblem,
    _report,
    as_curves,
    flat_rule,
    normalise_bounds,
    reference_allocation,
    repair,
    solve_pool_units,
)

#: subgradient iterations on the prices
DUAL_ITERATIONS = 300
#: how many times more iterations a team with a cap per function gets
FUNCTION_CAP_FACTOR = 10
#: how often (in iterations) a feasible allocation is built from the dual's hours
PRIMAL_EVERY = 10
#: how often the allocation is also built by the transport LP and greedy filling
LP_PRIMAL_EVERY = 100


class _Team:
    """The team's data on the hour grid (capacities in grid units)."""

    def __init__(self, problem: TeamProblem) -> None:
        curves = as_curves(problem.curves)
        self.curves = curves
        n = len(curves)
        people = list(problem.people)
        m = len(people)
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
        #: functions with a cap of their own; the others' constraint never binds, so their
        #: price stays 0 (a price there would only shift value between equivalent prices)
        self.capped = np.array([f in fc for f in self.functions], dtype=bool)
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

    def dual(
        self, lam: FloatArray, mu: FloatArray, lam_t: float, acc: Accounts, start: FloatArray | None
    ) -> tuple[float, NDArray[np.int64], NDArray[np.int64], FloatArray]:
        """(L, hours per account, cheapest eligible person per account, effective price)."""
        person_price = self.cost + lam + mu[self.function_of]
        priced = np.where(self.eligible, person_price[:, None], np.inf)
        who = np.argmin(priced, axis=0)
        price = priced[who, np.arange(self.n)] + lam_t
        price = np.where(self.nobody, 0.0, price)
        acc.cost = price
        k, v = acc.best(price, start)
        # prices are per hour, capacities in grid units of g hours
        value = float(v.sum()) + self.g * (
            float(lam @ self.cap) + float(mu @ self.fcap) + lam_t * self.total
        )
        return value, k, who, price


def allocate_team(
    problem: TeamProblem, *, gap_target: float = 1e-6, progress: ProgressCallback | None = None
) -> AllocationResult:
    """Solve a team problem (see the module docstring); called by ``allocate``."""
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
    lam = np.full(m, lam0)
    mu = np.zeros(len(team.functions))
    lam_t = 0.0
    best_upper = np.inf
    best_prices = (lam.copy(), mu.copy(), lam_t)
    best_obj = -np.inf
    best_y: FloatArray | None = None
    start: FloatArray | None = None
    # A function's cap couples its people's prices: the subgradient needs more steps to
    # settle them (on the demo: a 0.9 % gap after 300, 0.016 % after 3,000).
    iterations = DUAL_ITERATIONS * (FUNCTION_CAP_FACTOR if team.capped.any() else 1)
    for it in range(iterations):
        upper, k, who, _ = team.dual(lam, mu, lam_t, acc, start)
        start = (k * g).astype(np.float64)
        if upper < best_upper:
            best_upper = upper
            best_prices = (lam.copy(), mu.copy(), lam_t)
        if it % PRIMAL_EVERY == 0:
            y_split = _primal_split(team, lo, who)
            if y_split is not None:
                obj = _objective(team, y_split)
                if obj > best_obj:
                    best_obj, best_y = obj, y_split
            if it % LP_PRIMAL_EVERY == 0:
                y = _primal(team, lo, k)
                obj = _objective(team, y)
                if obj > best_obj:
                    best_obj, best_y = obj, y
        if best_upper - best_obj <= gap_target * max(abs(best_obj), 1.0):
            break
        use = np.bincount(who, weights=k, minlength=m)  # grid units per person
        sub_p = team.cap - use
        sub_f = team.fcap - np.bincount(team.function_of, weights=use, minlength=len(mu))
        sub_f = np.where(team.capped, sub_f, 0.0)
        sub_t = team.total - float(k.sum())
        norm = float(sub_p @ sub_p + sub_f @ sub_f + sub_t * sub_t) * g * g
        if norm == 0:
            break
        step = max(upper - best_obj, 1e-12) / norm * g
        lam = np.maximum(0.0, lam - step * sub_p * 1.0)
        mu = np.where(team.capped, np.maximum(0.0, mu - step * sub_f), 0.0)
        lam_t = max(0.0, lam_t - step * sub_t) if team.total_given else 0.0
        _report(progress, 0.05 + 0.9 * (it + 1) / iterations, "prices")
    assert best_y is not None
    _report(progress, 0.96, "improve")
    best_y = _improve(team, lo, best_y)
    best_obj = _objective(team, best_y)
    exact = False
    if best_upper - best_obj > gap_target * max(abs(best_obj), 1.0):
        _report(progress, 0.97, "exact")
        closed = _exact(team, lo, gap_target)
        if closed is not None and _objective(team, closed[0]) >= best_obj:
            best_y, best_obj = closed[0], _objective(team, closed[0])
            best_upper = min(best_upper, closed[1])
            exact = closed[2]
    lam, mu, lam_t = best_prices
    person_hours = np.zeros((m, n))
    np.add.at(person_hours, (team.pair_p, team.pair_i), best_y * g)
    hours = person_hours.sum(axis=0)
    objective = best_obj
    upper = max(best_upper, objective)
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
        exact=exact or gap <= 0,
        iterations=it + 1,
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


#: largest number of grid choices for which a small team is solved exactly as a MILP
EXACT_CHOICES = 20_000


def _exact(
    team: _Team, lo: NDArray[np.int64], gap_target: float
) -> tuple[FloatArray, float, bool] | None:
    """A small team solved exactly (HiGHS's MILP through scipy): each account chooses one of
    its grid points (binaries, exactly one), integer hours per eligible person and account
    add up to it, within every capacity. Returns (pair hours, the MILP's upper bound,
    proven optimal) or None when the instance is too large or HiGHS finds nothing."""
    from scipy.optimize import (
        Bounds,
        LinearConstraint,
        milp,
    )

    n, m, g = team.n, team.m, team.g
    hi = np.maximum(team.hi, lo)
    sizes = hi - lo + 1
    if int(sizes.sum()) > EXACT_CHOICES:
        return None
    account = np.repeat(np.arange(n), sizes)
    offset = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    points = lo[account] + offset
    m_z, m_y = points.shape[0], team.pair_p.shape[0]
    nf = len(team.functions)
    rows = np.concatenate(
        [
            account,
            n + account,
            n + team.pair_i,
            2 * n + team.pair_p,
            2 * n + m + team.function_of[team.pair_p],
            np.full(m_y, 2 * n + m + nf),
        ]
    )
    cols = np.concatenate([np.arange(m_z), np.arange(m_z)] + [m_z + np.arange(m_y)] * 4)
    vals = np.concatenate(
        [np.ones(m_z), points.astype(np.float64), -np.ones(m_y), np.ones(3 * m_y)]
    )
    a = coo_matrix((vals, (rows, cols)), shape=(2 * n + m + nf + 1, m_z + m_y)).tocsr()
    c = team.curves
    values = c.c[account] + (c.b - c.c)[account] * _share(
        (points * g).astype(np.float64), c.d[account], c.e[account], c.reference_hours[account]
    )
    objective = np.concatenate([values, team.cost[team.pair_p] * g])
    objective[:m_z] *= -1
    upper_rows = np.concatenate(
        [np.ones(n), np.zeros(n), team.cap, team.fcap, [team.total]]
    ).astype(np.float64)
    lower_rows = np.concatenate([np.ones(n), np.zeros(n), np.full(m + nf + 1, -np.inf)])
    res = milp(
        objective,
        constraints=LinearConstraint(a, lower_rows, upper_rows),
        integrality=np.ones(m_z + m_y),
        bounds=Bounds(np.zeros(m_z + m_y), np.concatenate([np.ones(m_z), np.full(m_y, np.inf)])),
        options={"mip_rel_gap": gap_target / 10, "time_limit": 60.0, "disp": False},
    )
    if res.x is None:
        return None
    y: FloatArray = np.round(np.asarray(res.x[m_z:], dtype=np.float64)).astype(np.float64)
    bound = getattr(res, "mip_dual_bound", None)
    upper = np.inf if bound is None or not np.isfinite(bound) else -float(bound)
    return y, upper + 1e-9 * max(abs(upper), 1.0), bool(res.status == 0)


def _share(h: FloatArray, d: FloatArray, e: FloatArray, ref: FloatArray) -> FloatArray:
    """(h/ref)^d / (e + (h/ref)^d), 0 at h = 0."""
    with np.errstate(divide="ignore"):
        u = np.exp(d * np.log(h / ref))
    out: FloatArray = u / (e + u)
    return out


def _improve(team: _Team, lo: NDArray[np.int64], y: FloatArray, passes: int = 4) -> FloatArray:
    """Local search, one person at a time: with the others' hours fixed, the person's hours
    over the accounts they may serve are a pool, improved by ``repair``'s moves (remove
    where it loses least, add where it gains most, within the person's, the function's and
    the total capacity)."""
    y = y.copy()
    c = team.curves
    for _ in range(passes):
        before = _objective(team, y)
        for p in range(team.m):
            pairs = np.flatnonzero(team.pair_p == p)
            if pairs.size == 0:
                continue
            idx = team.pair_i[pairs]
            x = np.bincount(team.pair_i, weights=y, minlength=team.n).astype(np.int64)
            mine = y[pairs].astype(np.int64)
            other = x[idx] - mine
            f = team.function_of[p]
            used_f = int(y[team.function_of[team.pair_p] == f].sum())
            room = min(
                int(team.cap[p]) - int(mine.sum()),
                int(team.fcap[f]) - used_f,
                team.total - int(x.sum()),
            )
            units = int(mine.sum()) + max(room, 0)
            acc = Accounts(
                c.c[idx],
                (c.b - c.c)[idx],
                c.d[idx],
                c.e[idx],
                c.reference_hours[idx],
                np.full(idx.size, team.cost[p]),
                np.maximum(lo[idx], other),
                np.maximum(team.hi[idx], x[idx]),
                team.g,
            )
            k = repair(acc, x[idx], int(other.sum()) + units)
            y[pairs] = (k - other).astype(np.float64)
        if _objective(team, y) <= before + 1e-9 * max(abs(before), 1.0):
            break
    return y


def _primal_split(team: _Team, lo: NDArray[np.int64], who: NDArray[np.int64]) -> FloatArray | None:
    """A feasible allocation that gives each account to one person (``who``, the cheapest
    at the current prices) and solves each person's accounts as a pool (with its repair
    moves); None when that breaks a minimum, a function's or the total capacity."""
    n, g = team.n, team.g
    c = team.curves
    x = np.zeros(n, dtype=np.int64)
    for p in range(team.m):
        idx = np.flatnonzero((who == p) & ~team.nobody)
        if idx.size == 0:
            continue
        if int(lo[idx].sum()) > team.cap[p]:
            return None
        acc = Accounts(
            c.c[idx],
            (c.b - c.c)[idx],
            c.d[idx],
            c.e[idx],
            c.reference_hours[idx],
            np.full(idx.size, team.cost[p]),
            lo[idx],
            np.maximum(np.minimum(team.hi[idx], team.cap[p]), lo[idx]),
            g,
        )
        k, _, _, _ = solve_pool_units(acc, int(team.cap[p]))
        x[idx] = k
    used_f = np.bincount(
        team.function_of[who[~team.nobody]], weights=x[~team.nobody], minlength=len(team.functions)
    )
    if np.any(used_f > team.fcap) or int(x.sum()) > team.total:
        return None
    pair = np.zeros(team.pair_p.shape[0])
    chosen = who[team.pair_i] == team.pair_p
    pair[chosen] = x[team.pair_i[chosen]]
    return pair
