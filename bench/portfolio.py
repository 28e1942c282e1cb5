"""Benchmark: classification and sensitivity at 10k, 100k and 1M accounts.

Every timing is printed as a ratio to a floor measured in the same run on the same
machine: one matrix product of the (accounts × criteria) score matrix with the weight
vectors of the two axes, the least work any classification must do. A ratio travels
between machines better than seconds do.

    .venv/bin/python bench/portfolio.py          # the full run (a few minutes)
    .venv/bin/python bench/portfolio.py --quick  # a smoke run on small portfolios

Each section is a function returning rows; ``main`` runs the sections and prints them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kam.core.portfolio import classify_scores, sensitivity
from kam.core.scoring import Criterion, Scheme

SCHEME = Scheme(
    attractiveness=tuple(
        Criterion(f"a{i}", f"Attractiveness {i}", w) for i, w in enumerate((30, 25, 20, 15, 10))
    ),
    strength=tuple(Criterion(f"s{i}", f"Strength {i}", w) for i, w in enumerate((40, 30, 20, 10))),
)


@dataclass(frozen=True)
class Row:
    """One line of the report."""

    n: int
    operation: str
    median_s: float
    floor_s: float

    @property
    def ratio(self) -> float:
        return self.median_s / self.floor_s


def portfolio(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Whole scores 1-10 on 5 + 4 criteria; complete competitor scores for every account."""
    rng = np.random.default_rng(seed)
    k = len(SCHEME.criteria)
    ka = len(SCHEME.attractiveness)
    scores = rng.integers(1, 11, size=(n, k)).astype(np.float64)
    competitor = np.full((n, k), np.nan)
    competitor[:, ka:] = rng.integers(1, 11, size=(n, k - ka))
    return scores, competitor


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


_FLOORS: dict[int, float] = {}


def floor_seconds(scores: np.ndarray, repeats: int = 25) -> float:
    """Best of ``repeats``: the score matrix times both axes' weights (one product).

    Measured once per portfolio size and reused, so that every row of one size is divided
    by the same floor.
    """
    n = scores.shape[0]
    if n not in _FLOORS:
        ka = len(SCHEME.attractiveness)
        weights = np.zeros((scores.shape[1], 2))
        weights[:ka, 0] = [c.weight for c in SCHEME.attractiveness]
        weights[ka:, 1] = [c.weight for c in SCHEME.strength]
        weights /= 100.0
        out = np.empty((n, 2))
        _FLOORS[n] = min(timed(lambda: np.matmul(scores, weights, out=out), repeats))
    return _FLOORS[n]


def bench_classify(n: int, repeats: int) -> Row:
    scores, competitor = portfolio(n)
    floor = floor_seconds(scores)
    times = timed(lambda: classify_scores(SCHEME, scores, competitor), repeats)
    return Row(n, "classify", statistics.median(times), floor)


def bench_sensitivity(n: int, draws: int, repeats: int) -> Row:
    scores, competitor = portfolio(n)
    floor = floor_seconds(scores)
    times = timed(lambda: sensitivity(SCHEME, scores, competitor, draws=draws, seed=1), repeats)
    return Row(n, f"sensitivity, {draws:,} draws", statistics.median(times), floor)


def print_rows(rows: list[Row]) -> None:
    head = f"{'n':>10}  {'operation':<28}  {'median s':>10}  {'floor s':>10}  {'ratio':>10}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r.n:>10,}  {r.operation:<28}  {r.median_s:>10.4f}  {r.floor_s:>10.6f}  "
            f"{r.ratio:>10,.0f}"
        )


def core_section(quick: bool) -> list[Row]:
    """Classification and sensitivity of the pure core."""
    if quick:
        return [bench_classify(2_000, 3), bench_sensitivity(2_000, 50, 1)]
    rows = []
    for n in (10_000, 100_000, 1_000_000):
        rows.append(bench_classify(n, 5))
    rows.append(bench_sensitivity(10_000, 1_000, 3))
    rows.append(bench_sensitivity(100_000, 1_000, 3))
    # 1M × 1,000 draws is 10⁹ account-draws, a few tens of seconds; time it once
    rows.append(bench_sensitivity(1_000_000, 1_000, 1))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small portfolios, for a smoke test")
    args = parser.parse_args(argv)
    print("kam.core: classification and sensitivity, as a ratio to one matrix product")
    print_rows(core_section(args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
