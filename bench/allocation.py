"""Benchmark: kam's allocation optimiser against HiGHS solving the same instance exactly.

Pools of 10k, 100k and 1M accounts and a team of 20 people over 10k accounts (docs/method.md
section 2). Every instance is the same discrete problem for both solvers: hours in steps
of the granularity between each account's minimum and maximum. HiGHS gets it as a MILP:
each account chooses one of its grid points (binaries, one per point, exactly one per
account), the chosen point's contribution minus the cost of its hours is the objective,
and the hours respect the capacity (for the team: integer hours per eligible person and
account, each person's capacity, and the account's hours equal to its chosen point).
HiGHS runs with a relative MIP gap of 1e-9 and a time limit. It takes about four minutes
at 10k accounts (210k binaries); at 100k (2.1M binaries) it had not finished after 15
minutes, time limit or not, so the full run gives HiGHS the 10k pool only and the rows
of the larger pools say so.

    .venv/bin/python bench/allocation.py          # the full run (several minutes)
    .venv/bin/python bench/allocation.py --quick  # a smoke run on small instances
    .venv/bin/python bench/allocation.py --smoke  # every part on tiny instances (tests/bench)

Columns: accounts, problem, kam seconds, kam's relative gap (certified), HiGHS seconds,
speed ratio (HiGHS / kam), and the objective difference (kam − HiGHS, relative).

Then the year plan of a demo-shaped team (57 people x 1,000 accounts; in the full run also
494 x 10,000), the plan with its hour values and capacity what-if as a run makes it, and
the plan alone by the previous method (bundle prices) with the objective difference.

Then the exact check on key-account portfolios (20–40 accounts, 1,500–3,000 whole hours;
5 in the quick run, 21 in the full one): kam's plan against a plain dynamic programme over
whole hours (one account and one choice at a time), with the largest relative objective
gap, whether kam said ``exact``, the median seconds of each and their ratio (kam / DP);
and the exact dynamic programme's worst case inside its bound (40 accounts × 3,000 hours
without a maximum, every choice kept: 360M cells), in seconds and nanoseconds a cell.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kam.core.allocation.curves import Curves
from kam.core.allocation.pool import DP_CELLS, Accounts, dp_choices, dp_pool, normalise_bounds
from kam.core.allocation.problems import AllocationResult, Person, PoolProblem, TeamProblem
from kam.core.allocation.solve import (
    allocate,
    capacity_curve,
    value_of_one_more_cap_hour,
    value_of_one_more_hour,
)
from kam.core.allocation.team import allocate_team

GRANULARITY = 5.0
MAX_HOURS = 100.0
HOUR_COST = 25.0


def curves(n: int, seed: int) -> Curves:
    """Judgements as account managers give them: today 5–60 h, contribution 1k–20k with no
    effort, the reference covering 15–70 % of the way to saturation."""
    rng = np.random.default_rng(seed)
    ref = np.round(rng.uniform(5, 60, n))
    c = rng.uniform(1_000, 20_000, n)
    span = rng.lognormal(9, 1, n)
    y1 = rng.uniform(0.15, 0.7, n)
    y15 = y1 + (1 - y1) * rng.uniform(0.1, 0.6, n)
    e = (1 - y1) / y1
    d = np.log(e * y15 / (1 - y15)) / np.log(1.5)
    return Curves(c=c, b=c + span, d=d, e=e, reference_hours=ref)


def pool(n: int, seed: int = 1) -> PoolProblem:
    k = curves(n, seed)
    rng = np.random.default_rng(seed + 1)
    minimum = np.where(rng.random(n) < 0.2, 10.0, 0.0)
    return PoolProblem(
        k,
        capacity_hours=float(np.round(k.reference_hours.sum() * 0.8)),
        hour_cost=HOUR_COST,
        min_hours=minimum,
        max_hours=np.full(n, MAX_HOURS),
        granularity=GRANULARITY,
    )


def team(people: int, n: int, seed: int = 2) -> TeamProblem:
    k = curves(n, seed)
    rng = np.random.default_rng(seed + 1)
    total = float(k.reference_hours.sum() * 0.8)
    staff = [
        Person(f"p{j}", total / people, "kam" if j % 2 == 0 else "service", 60.0 - 25.0 * (j % 2))
        for j in range(people)
    ]
    eligible = rng.random((people, n)) < 0.25
    eligible[rng.integers(0, people, n), np.arange(n)] = True
    return TeamProblem(
        k,
        staff,
        eligible=eligible,
        max_hours=np.full(n, MAX_HOURS),
        granularity=GRANULARITY,
    )


#: the demo's account kinds: (minimum, maximum) yearly hours, today's hours (range), share
DEMO_KINDS = (
    (24.0, 80.0, (30, 60), 0.33),
    (100.0, 300.0, (100, 250), 0.42),
    (200.0, 500.0, (250, 400), 0.25),
)
#: the demo's other functions: (function, yearly hours, hourly cost), who may serve some accounts
DEMO_STAFF = (
    ("management", 250.0, 140.0),
    ("customer_service", 1200.0, 55.0),
    ("marketing", 400.0, 90.0),
    ("supply_chain", 500.0, 85.0),
    ("finance", 250.0, 95.0),
    ("rnd", 300.0, 100.0),
)


def demo_team(people: int, n: int, seed: int = 3) -> TeamProblem:
    """A team shaped like the demo's year plan (kam/demo/team.py, ``_scale_team``): sellers
    with a territory each (owner of its accounts, 1,300 h, cost 50-70), one or two
    colleagues of the same territory on most accounts, a few people of other functions on
    many accounts, the director on all, and a cap on the sales function below its people's
    hours; 1-hour grid, the box kinds' minimums and maximums."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(len(DEMO_KINDS), n, p=[k[3] for k in DEMO_KINDS])
    lo = np.array([DEMO_KINDS[k][0] for k in kind])
    hi = np.array([DEMO_KINDS[k][1] for k in kind])
    ref = np.array([rng.uniform(*DEMO_KINDS[k][2]) for k in kind]).round()
    c = rng.lognormal(11.4, 1.0, n)
    span = rng.lognormal(11.8, 1.2, n)
    y1 = rng.uniform(0.15, 0.7, n)
    y15 = y1 + (1 - y1) * rng.uniform(0.1, 0.6, n)
    e = (1 - y1) / y1
    d = np.log(e * y15 / (1 - y15)) / np.log(1.5)
    curves_ = Curves(c=c, b=c + span, d=d, e=e, reference_hours=ref)
    sellers = people - len(DEMO_STAFF)
    staff = [
        Person(
            f"s{j}",
            float(rng.choice([528.0, 1260.0, 1300.0])),
            "sales",
            float(rng.choice([50.0, 70.0])),
        )
        for j in range(sellers)
    ] + [Person(f, hours, f, cost) for f, hours, cost in DEMO_STAFF]
    eligible = np.zeros((people, n), dtype=bool)
    owner = np.sort(rng.integers(0, sellers, n))
    eligible[owner, np.arange(n)] = True
    for extra in range(2):
        take = rng.random(n) < (0.6 if extra == 0 else 0.3)
        mate = np.clip(owner + rng.integers(-2, 3, n), 0, sellers - 1)
        eligible[mate[take], np.flatnonzero(take)] = True
    for j in range(1, len(DEMO_STAFF)):
        eligible[sellers + j] = rng.random(n) < 0.25
    eligible[sellers] = True  # the director
    # the hours left after the policy hours of the accounts without judgements: about 1.7
    # times the judged accounts' minimums, as in the demo
    scale = 1.7 * float(lo.sum()) / sum(p.capacity_hours for p in staff)
    staff = [replace(p, capacity_hours=round(p.capacity_hours * scale)) for p in staff]
    sales = float(sum(p.capacity_hours for p in staff if p.function == "sales"))
    return TeamProblem(
        curves_,
        staff,
        eligible=eligible,
        function_capacity={"sales": round(0.93 * sales)},
        min_hours=lo,
        max_hours=hi,
        granularity=1.0,
    )


def _at(k: Curves, account: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Contribution of account ``account[j]`` at ``hours[j]``."""
    picked = Curves(
        c=k.c[account],
        b=k.b[account],
        d=k.d[account],
        e=k.e[account],
        reference_hours=k.reference_hours[account],
    )
    return picked.contribution(hours.astype(float))


def _grid(problem: PoolProblem | TeamProblem, n: int) -> tuple[np.ndarray, np.ndarray]:
    lo = np.zeros(n) if problem.min_hours is None else np.asarray(problem.min_hours)
    hi = np.full(n, np.inf) if problem.max_hours is None else np.asarray(problem.max_hours)
    g = problem.granularity
    return np.ceil(lo / g - 1e-9).astype(np.int64), np.floor(hi / g + 1e-9).astype(np.int64)


def highs_pool(problem: PoolProblem, time_limit: float) -> tuple[float, float, str]:
    """(seconds, objective, status) of HiGHS on the one-hot MILP of the pool."""
    import highspy

    k = problem.curves
    assert isinstance(k, Curves)
    n = len(k)
    lo, hi = _grid(problem, n)
    g = problem.granularity
    units = int(np.floor(problem.capacity_hours / g + 1e-9))
    hi = np.minimum(hi, units)
    sizes = hi - lo + 1
    account = np.repeat(np.arange(n), sizes)
    offset = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    points = lo[account] + offset
    hours = points * g
    value = _at(k, account, hours) - HOUR_COST * hours
    m = points.shape[0]
    lp = highspy.HighsLp()
    lp.num_col_ = m
    lp.num_row_ = n + 1
    lp.col_cost_ = value
    lp.col_lower_ = np.zeros(m)
    lp.col_upper_ = np.ones(m)
    lp.row_lower_ = np.concatenate([np.ones(n), [-highspy.kHighsInf]])
    lp.row_upper_ = np.concatenate([np.ones(n), [units]])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * m + 1, 2)
    index = np.empty(2 * m, dtype=np.int32)
    index[0::2] = account
    index[1::2] = n
    values = np.empty(2 * m)
    values[0::2] = 1.0
    values[1::2] = points
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = values
    return _run(lp, time_limit)


def highs_team(problem: TeamProblem, time_limit: float) -> tuple[float, float, str]:
    """(seconds, objective, status) of HiGHS on the team MILP (one-hot hours per account,
    integer grid units per eligible person and account)."""
    import highspy
    from scipy.sparse import coo_matrix

    k = problem.curves
    assert isinstance(k, Curves) and problem.eligible is not None
    n, people = len(k), len(problem.people)
    g = problem.granularity
    cap = np.array([np.floor(p.capacity_hours / g + 1e-9) for p in problem.people])
    cost = np.array([p.hour_cost for p in problem.people])
    lo, hi = _grid(problem, n)
    hi = np.minimum(hi, int(cap.sum()))
    sizes = hi - lo + 1
    account = np.repeat(np.arange(n), sizes)
    offset = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    points = lo[account] + offset
    m_z = points.shape[0]
    pp, pi = np.nonzero(problem.eligible)
    m_y = pp.shape[0]
    # rows: one-hot per account (n), hours balance per account (n), capacity per person
    rows = np.concatenate([account, n + account, n + pi, 2 * n + pp])
    cols = np.concatenate(
        [np.arange(m_z), np.arange(m_z), m_z + np.arange(m_y), m_z + np.arange(m_y)]
    )
    vals = np.concatenate([np.ones(m_z), points.astype(float), -np.ones(m_y), np.ones(m_y)])
    a = coo_matrix((vals, (rows, cols)), shape=(2 * n + people, m_z + m_y)).tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = m_z + m_y
    lp.num_row_ = 2 * n + people
    lp.col_cost_ = np.concatenate([_at(k, account, points * g), -cost[pp] * g])
    lp.col_lower_ = np.zeros(m_z + m_y)
    lp.col_upper_ = np.concatenate([np.ones(m_z), np.full(m_y, highspy.kHighsInf)])
    lp.row_lower_ = np.concatenate([np.ones(n), np.zeros(n), np.full(people, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([np.ones(n), np.zeros(n), cap])
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.integrality_ = [highspy.HighsVarType.kInteger] * (m_z + m_y)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    return _run(lp, time_limit)


def _run(lp: object, time_limit: float) -> tuple[float, float, str]:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("time_limit", time_limit)
    h.passModel(lp)
    start, cpu = time.perf_counter(), time.process_time()
    h.run()
    seconds = time.perf_counter() - start
    CPU["highs"] = time.process_time() - cpu
    status = h.modelStatusToString(h.getModelStatus())
    return seconds, float(h.getInfo().objective_function_value), status


#: CPU seconds of the last kam and HiGHS runs (this process only: fairer than wall-clock
#: seconds on a shared machine)
CPU: dict[str, float] = {}


def timed(problem: PoolProblem | TeamProblem) -> tuple[float, AllocationResult]:
    start, cpu = time.perf_counter(), time.process_time()
    result = allocate(problem)
    CPU["kam"] = time.process_time() - cpu
    return time.perf_counter() - start, result


def cpu_line() -> str:
    """CPU seconds of the row above (kam, and HiGHS when it ran), with their ratio."""
    kam = CPU.pop("kam", math.nan)
    highs = CPU.pop("highs", None)
    text = f"{'':>12}CPU s: kam {kam:.3f}"
    if highs is not None:
        speed = highs / kam
        text += (
            f", HiGHS {highs:.2f} ({speed:,.0f}x)"
            if speed >= 10
            else f", HiGHS {highs:.2f} ({speed:.1f}x)"
        )
    return text


@dataclass(frozen=True)
class Row:
    """One line of the report."""

    n: int
    problem: str
    kam_s: float
    gap: float
    highs_s: float | None
    objective_difference: float | None
    note: str

    def text(self) -> str:
        if self.highs_s is None:
            ratio = "-"
        else:
            speed = self.highs_s / self.kam_s
            ratio = f"{speed:,.0f}x" if speed >= 10 else f"{speed:.1f}x"
        highs = "-" if self.highs_s is None else f"{self.highs_s:.2f}"
        diff = (
            "-"
            if self.objective_difference is None or not np.isfinite(self.objective_difference)
            else f"{self.objective_difference:+.1e}"
        )
        return (
            f"{self.n:>10,}  {self.problem:<14} {self.kam_s:>8.3f} {self.gap:>9.1e} "
            f"{highs:>9} {ratio:>8} {diff:>9}  {self.note}"
        )


def portfolio(seed: int) -> tuple[Curves, float, float]:
    """A key-account portfolio: 20–40 accounts, today 20–150 h each, 1,500–3,000 hours of
    capacity, an hourly cost of 0 or 40 to 80 (as tests/core/test_allocation_exact.py)."""
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


def plain_dp(curves: Curves, capacity: int, cost: float) -> float:
    """The best Σ r(h) − cost · h over whole hours within ``capacity``: one account and one
    choice of hours at a time (numpy only over the capacity)."""
    f = np.full(capacity + 1, -np.inf)
    f[0] = 0.0
    for i in range(len(curves)):
        values = curves[i].contribution(np.arange(capacity + 1, dtype=float))
        g = np.full(capacity + 1, -np.inf)
        for hours in range(capacity + 1):
            value = values[hours] - cost * hours
            g[hours:] = np.maximum(g[hours:], f[: capacity + 1 - hours] + value)
        f = g
    return float(f.max())


def exact_check(count: int) -> None:
    """kam against the plain dynamic programme on ``count`` portfolios (see the docstring)."""
    worst, all_exact, kam_s, dp_s = 0.0, True, [], []
    for seed in range(count):
        curves, capacity, cost = portfolio(seed)
        start = time.perf_counter()
        result = allocate(PoolProblem(curves, capacity_hours=capacity, hour_cost=cost))
        kam_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        best = plain_dp(curves, int(capacity), cost)
        dp_s.append(time.perf_counter() - start)
        worst = max(worst, (best - result.objective) / abs(best))
        all_exact = all_exact and result.exact
    kam_m, dp_m = float(np.median(kam_s)), float(np.median(dp_s))
    print(
        f"exact check, {count} portfolios of 20-40 accounts x 1,500-3,000 h: "
        f"max relative gap to the plain DP {worst:.1e}, all exact: {all_exact}, "
        f"kam {kam_m:.3f} s, plain DP {dp_m:.3f} s (medians), ratio kam/DP {kam_m / dp_m:.3f}",
        flush=True,
    )
    curves, _, _ = portfolio(0)
    n, units = 40, 3_000
    rng = np.random.default_rng(0)
    pick = rng.integers(0, len(curves), n)
    lo, hi = normalise_bounds(n, None, None, 1.0, units)
    acc = Accounts(
        curves.c[pick],
        (curves.b - curves.c)[pick],
        curves.d[pick],
        curves.e[pick],
        curves.reference_hours[pick],
        np.zeros(n),
        lo,
        hi,
        1.0,
    )
    tables = dp_choices(acc, units, -math.inf)
    cells = int(tables[1].sum()) * (units + 1)
    start = time.perf_counter()
    dp_pool(acc, units, tables=tables)
    seconds = time.perf_counter() - start
    print(
        f"exact DP worst case inside the bound: {n} accounts x {units:,} h, every choice kept, "
        f"{cells / 1e6:,.0f}M cells (bound {DP_CELLS / 1e6:,.0f}M): {seconds:.2f} s, "
        f"{1e9 * seconds / cells:.1f} ns a cell",
        flush=True,
    )


#: the run's capacity what-if: shares of today's capacity (kam/allocation/adapter.py)
WHAT_IF = (0.6, 0.7, 0.8, 0.9, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6)


def year_plan(people: int, n: int, baseline: bool) -> None:
    """The year plan of a demo-shaped team as a run makes it (the plan, what one more hour
    adds per person and per function cap, ten capacity what-if points), timed; and the
    plan alone by the previous method (the level bundle method for the prices) when
    ``baseline``, with its seconds and the objective difference."""
    problem = demo_team(people, n)
    total = sum(p.capacity_hours for p in problem.people)
    start, cpu = time.perf_counter(), time.process_time()
    result = allocate(problem)
    plan_s, plan_cpu = time.perf_counter() - start, time.process_time() - cpu
    value_of_one_more_hour(problem, result)
    for function in problem.function_capacity or {}:
        value_of_one_more_cap_hour(problem, result, function)
    capacity_curve(problem, [total * share for share in WHAT_IF])
    all_s, all_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"year plan, demo-shaped team of {people} x {n:,} accounts "
        f"({int(np.sum(problem.eligible)):,} person-account pairs): plan {plan_s:.1f} s "
        f"({plan_cpu:.1f} CPU s), relative gap {result.relative_gap:.1e}, exact {result.exact}; "
        f"with hour values and 10 what-if points {all_s:.1f} s ({all_cpu:.1f} CPU s)",
        flush=True,
    )
    if not baseline:
        return
    start, cpu = time.perf_counter(), time.process_time()
    before = allocate_team(problem, prices="bundle")
    old_s, old_cpu = time.perf_counter() - start, time.process_time() - cpu
    diff = (result.objective - before.objective) / max(abs(before.objective), 1.0)
    print(
        f"{'':>12}previous method (bundle prices), the plan alone: {old_s:.1f} s "
        f"({old_cpu:.1f} CPU s, {old_cpu / plan_cpu:.0f}x the CPU), relative gap "
        f"{before.relative_gap:.1e}; objective new - previous {diff:+.1e} (relative)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small instances only")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="--quick, with the year plan at 16 x 200 and the exact check on 2 portfolios: "
        "every part runs in seconds, its times mean nothing (tests/bench)",
    )
    parser.add_argument("--time-limit", type=float, default=300.0, help="HiGHS seconds per run")
    parser.add_argument(
        "--only", choices=("pool", "team"), help="run only the pools or only the team"
    )
    args = parser.parse_args(argv)
    args.quick = args.quick or args.smoke
    if args.quick:
        pools, highs_pools, team_size, limit = [2_000], {2_000}, (5, 300), 60.0
    else:
        pools, highs_pools, team_size, limit = (
            [10_000, 100_000, 1_000_000],
            {10_000},
            (20, 10_000),
            args.time_limit,
        )
    print("kam allocation against HiGHS on the same discrete problem")
    print(
        f"{'accounts':>10}  {'problem':<14} {'kam s':>8} {'kam gap':>9} {'HiGHS s':>9} "
        f"{'ratio':>8} {'obj diff':>9}  note"
    )
    for n in [] if args.only == "team" else pools:
        problem = pool(n)
        seconds, result = timed(problem)
        if n in highs_pools:
            hs, objective, status = highs_pool(problem, limit)
            diff = (result.objective - objective) / max(abs(objective), 1.0)
            print(Row(n, "pool", seconds, result.relative_gap, hs, diff, status).text())
            print(cpu_line(), flush=True)
        else:
            print(
                Row(
                    n,
                    "pool",
                    seconds,
                    result.relative_gap,
                    None,
                    None,
                    f"HiGHS not run: its MILP has {21 * n / 1e6:g}M binaries and did not finish "
                    "at 100k in 15 minutes; ratio at 10k above",
                ).text()
            )
            print(cpu_line(), flush=True)
    if args.only != "team":
        exact_check(2 if args.smoke else 5 if args.quick else 21)
    if args.only == "pool":
        return 0
    year_plan(*((16, 200) if args.smoke else (57, 1_000)), baseline=True)
    if not args.quick:
        year_plan(494, 10_000, baseline=False)
    people, n = team_size
    problem_t = team(people, n)
    seconds, result = timed(problem_t)
    hs, objective, status = highs_team(problem_t, limit)
    diff = (result.objective - objective) / max(abs(objective), 1.0)
    print(Row(n, f"team of {people}", seconds, result.relative_gap, hs, diff, status).text())
    print(cpu_line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
