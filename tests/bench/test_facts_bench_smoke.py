"""bench/facts.py runs and checks that DuckDB and pandas agree, and that ``kam facts`` end to
end agrees with plain DuckDB SQL on the same CSV file (the quick run, 20,000 lines)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "facts.py"

# A real subprocess running a benchmark: the slow layer (`make test` still runs it).
pytestmark = pytest.mark.slow


def test_quick_bench_gives_the_same_facts_both_ways(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--repeat", "1", "--cache", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.strip().startswith("20,000")]
    # the computation (DuckDB against pandas), then end to end (kam facts against plain SQL)
    assert len(rows) == 2
    assert all(row.rstrip().endswith("yes (1000 accounts)") for row in rows)
    assert "end to end" in result.stdout
