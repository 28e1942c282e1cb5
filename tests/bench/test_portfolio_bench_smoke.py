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


def test_quick_bench_prints_a_ratio_per_operation() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["n", "operation", "median", "s", "floor", "s", "ratio"]
    rows = [line for line in lines if re.match(r"\s+[\d,]+\s+(classify|sensitivity)", line)]
    assert len(rows) == 2
    for row in rows:
        ratio = float(row.split()[-1].replace(",", ""))
        assert ratio > 0
