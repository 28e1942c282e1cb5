"""bench/portfolio.py runs and prints its ratios (the quick run, on small portfolios)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "portfolio.py"

# A real subprocess running a benchmark: the slow layer (`make test` still runs it).
pytestmark = pytest.mark.slow


def test_quick_bench_prints_a_ratio_per_operation(
    request: pytest.FixtureRequest, django_db_setup: None, tmp_path: Path
) -> None:
    from tests import db_template

    command = [sys.executable, str(BENCH), "--quick"]
    # The suite's migrated database (tests/db_template.py, kept once the test databases are
    # set up), copied, instead of every migration again in the benchmark's process.
    if db_template.enabled() and db_template.template_copy(
        request.config.cache.mkdir("kam-test-db"), tmp_path / "kam.sqlite3"
    ):
        command += ["--data-dir", str(tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["n", "operation", "median", "s", "floor", "s", "ratio"]
    rows = [line for line in lines if re.match(r"\s+[\d,]+\s+(classify|sensitivity)", line)]
    assert len(rows) == 2
    for row in rows:
        ratio = float(row.split()[-1].replace(",", ""))
        assert ratio > 0
