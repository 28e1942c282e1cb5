"""Benchmark: classification and sensitivity at 10k, 100k and 1M accounts, and the matrix
data endpoint at 10,000 accounts.

Every timing is printed as a ratio to a floor measured in the same run on the same
machine: one matrix product of the (accounts × criteria) score matrix with the weight
vectors of the two axes, the least work any classification must do. A ratio travels
between machines better than seconds do.

    .venv/bin/python bench/portfolio.py          # the full run (a few minutes)
    .venv/bin/python bench/portfolio.py --quick  # a smoke run on small portfolios

The endpoint section builds a throw-away SQLite database (never the one DATABASE_URL names)
with two scored reviews and times ``/portfolio/matrix/data.json`` as a sales director,
against a plain query of the same placement rows (``--data-dir``: in that directory instead
of a new temporary one).

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


def endpoint_section(quick: bool, data_dir: str | None = None) -> list[Row]:
    """The matrix data endpoint against a plain query of the same rows (one portfolio), in
    ``data_dir`` (a new temporary directory when None)."""
    import os
    import tempfile

    n = 500 if quick else 10_000
    # Always a SQLite file of its own: the benchmark writes thousands of rows and must never
    # touch a configured database (DATABASE_URL may point at real data).
    os.environ.pop("DATABASE_URL", None)
    os.environ["KAM_DATA_DIR"] = data_dir or tempfile.mkdtemp(prefix="kam-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from kam.accounts.models import Account
    from kam.portfolio import services
    from kam.portfolio.models import Axis, Placement, Rating
    from kam.users.models import Role
    from kam.users.services import user_create

    setup_test_environment()
    call_command("migrate", verbosity=0)
    director = user_create(username=f"bench{n}", password="bench-pw-1", role=Role.SALES_DIRECTOR)
    rng = np.random.default_rng(7)
    Account.objects.bulk_create(
        Account(name=f"Customer {i}", external_id=f"B{n}-{i}", country="NL") for i in range(n)
    )
    account_ids = list(
        Account.objects.filter(external_id__startswith=f"B{n}-").values_list("pk", flat=True)
    )
    criteria = [
        services.CriterionInput(Axis.ATTRACTIVENESS, c.key, c.name, c.weight, "a", "b", "c")
        for c in SCHEME.attractiveness
    ]
    criteria += [
        services.CriterionInput(Axis.STRENGTH, c.key, c.name, c.weight) for c in SCHEME.strength
    ]
    version = services.scheme_create(
        name=f"Bench {n}", content=services.SchemeContent(criteria=criteria), created_by=director
    )
    crits = list(version.criteria.all())
    reviews = []
    for year in (2025, 2026):
        review = services.review_create(
            name=f"Bench {year}",
            review_date=dt.date(year, 11, 1),
            scheme_version=version,
            raters=[director],
            created_by=director,
        )
        scores = rng.integers(1, 11, size=(n, len(crits)))
        comp = rng.integers(1, 11, size=(n, len(crits)))
        Rating.objects.bulk_create(
            (
                Rating(
                    review=review,
                    account_id=a,
                    rater=director,
                    criterion=c,
                    score=int(scores[i, j]),
                    competitor_score=int(comp[i, j]) if c.axis == Axis.STRENGTH else None,
                )
                for i, a in enumerate(account_ids)
                for j, c in enumerate(crits)
            ),
            batch_size=5000,
        )
        services.review_compute(review=review)
        reviews.append(review)
    latest = reviews[-1]
    client = Client()
    client.force_login(director)
    url = f"/portfolio/matrix/data.json?review_id={latest.pk}"
    assert client.get(url).status_code == 200

    def plain() -> object:
        return list(
            Placement.objects.filter(review=latest).values_list(
                "account_id",
                "account__name",
                "attractiveness",
                "strength",
                "relative_strength",
                "box",
            )
        )

    repeats = 3 if quick else 7
    floor = statistics.median(timed(plain, repeats))
    endpoint = statistics.median(timed(lambda: client.get(url).content, repeats))
    return [Row(n, "matrix data endpoint", endpoint, floor)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small portfolios, for a smoke test")
    parser.add_argument("--skip-endpoint", action="store_true", help="kam.core sections only")
    parser.add_argument(
        "--data-dir",
        help="the endpoint's data directory, instead of a new temporary one; its kam.sqlite3 "
        "may be migrated already (tests/bench passes a copy of the suite's migrated database "
        "so the smoke run does not run every migration)",
    )
    args = parser.parse_args(argv)
    print("kam.core: classification and sensitivity, as a ratio to one matrix product")
    print_rows(core_section(args.quick))
    if not args.skip_endpoint:
        print()
        print("The matrix data endpoint, as a ratio to a plain query of the same placement rows")
        print_rows(endpoint_section(args.quick, args.data_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
