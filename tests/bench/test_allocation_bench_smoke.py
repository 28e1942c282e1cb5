"""bench/allocation.py runs against HiGHS and prints a row per problem, the exact check and
the year plan (``--smoke``: the quick run with a smaller year plan, so every part runs in
seconds; the quick run's year plan alone costs about 50 CPU seconds)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "allocation.py"

# A real subprocess running a benchmark: the slow layer (`make test` still runs it).
pytestmark = pytest.mark.slow


def test_quick_bench_prints_times_ratios_and_objective_differences() -> None:
    pytest.importorskip("highspy")
    result = subprocess.run(
        [sys.executable, str(BENCH), "--smoke"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    rows = [
        line for line in result.stdout.splitlines() if re.match(r"\s+[\d,]+\s+(pool|team)", line)
    ]
    assert len(rows) == 2
    for row in rows:
        fields = row.split()
        assert fields[-1] == "Optimal"
        difference = float(fields[-2])
        # kam's allocation is never better than the exact optimum, and its gap bounds the loss
        gap = float(fields[-5])
        assert difference <= 1e-8  # HiGHS stops within 1e-9 of its own bound
        assert -difference <= gap + 1e-9
    # the other parts ran too: the exact check and the year plan against the previous method
    assert "exact check, 2 portfolios" in result.stdout
    assert "year plan, demo-shaped team of 16 x 200 accounts" in result.stdout
    assert "previous method (bundle prices)" in result.stdout
