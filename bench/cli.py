"""Benchmark: how long the ``kam`` command takes to start, against ``python -c "import numpy"``.

Times, each as a fresh process, ``kam --help``, ``kam classify --help`` and ``kam allocate``
on a file of 30 accounts, and prints each median as a ratio to the median of
``python -c "import numpy"`` measured in the same run: the runs are interleaved (one of
each command per round, in a rotating order), so a machine that gets busier or quieter
during the run slows every command alike. The goal is a ratio of at most 2 for the two help
commands: a help that costs no more than importing numpy twice. ``kam allocate`` also
imports numpy and solves, so its ratio is above 1 by nature; its last line, the time of
the command's own work in this process (reading the file and the solve, modules already
imported), shows how much of it is start-up.

    .venv/bin/python bench/cli.py             # 15 rounds
    .venv/bin/python bench/cli.py --runs 31   # more rounds, steadier medians
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ACCOUNTS = 30
CAPACITY_HOURS = 2000
HOUR_COST = 50
GOAL = 2.0


def accounts_file(path: Path, n: int = ACCOUNTS, seed: int = 30) -> Path:
    """``n`` accounts with four judgements each (a plausible portfolio, no bounds)."""
    rng = random.Random(seed)
    lines = [
        "account,reference_hours,contribution_at_zero,contribution_at_reference,"
        "contribution_at_150pct,contribution_at_saturation,min_hours,max_hours"
    ]
    for i in range(n):
        reference = rng.choice((40, 60, 80, 100, 120))
        zero = rng.randint(0, 20) * 1000
        today = zero + rng.randint(10, 40) * 1000
        saturation = today + rng.randint(10, 60) * 1000
        more = today + (saturation - today) * rng.uniform(0.3, 0.7)
        lines.append(f"A{i:02d},{reference},{zero},{today},{more:.0f},{saturation},,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def kam_command() -> list[str]:
    """The installed ``kam`` script beside this Python (what a user runs), else
    ``python -m kam.cli``."""
    script = Path(sys.executable).parent / "kam"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "kam.cli"]


def wall_time(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def in_process_allocate(argv: list[str], runs: int) -> float:
    """Median seconds of ``kam allocate``'s own work here, its modules imported first."""
    from kam.cli import main

    times = []
    for _ in range(runs + 1):  # the first run imports the modules: not counted
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            status = main(argv)
        times.append(time.perf_counter() - start)
        assert status == 0
    return statistics.median(times[1:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds (default 15)")
    args = parser.parse_args()
    kam = kam_command()
    with tempfile.TemporaryDirectory(prefix="kam-bench-cli-") as scratch:
        accounts = accounts_file(Path(scratch) / "accounts.csv")
        allocate = [
            "allocate",
            "--accounts",
            str(accounts),
            "--capacity-hours",
            str(CAPACITY_HOURS),
            "--hour-cost",
            str(HOUR_COST),
        ]
        floor = "python -c 'import numpy'"
        commands = {
            floor: [sys.executable, "-c", "import numpy"],
            "kam --help": [*kam, "--help"],
            "kam classify --help": [*kam, "classify", "--help"],
            f"kam allocate ({ACCOUNTS} accounts)": [*kam, *allocate],
        }
        for argv in commands.values():  # once, untimed: files in the page cache
            wall_time(argv)
        times: dict[str, list[float]] = {name: [] for name in commands}
        names = list(commands)
        load_before = os.getloadavg()[0]
        for round_ in range(args.runs):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                times[name].append(wall_time(commands[name]))
        load_after = os.getloadavg()[0]
        work = in_process_allocate(allocate, args.runs)
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians[floor]
    print(
        f"kam start-up: median of {args.runs} interleaved runs each; load average "
        f"{load_before:.1f} before, {load_after:.1f} after, {os.cpu_count()} cores"
    )
    print(f"{'operation':<28} {'median s':>9} {'floor s':>9} {'ratio':>7}  goal")
    for name in names[1:]:
        ratio = medians[name] / base
        goal = f"<= {GOAL:g}" if "--help" in name else ""
        verdict = ("met" if ratio <= GOAL else "missed") if goal else ""
        line = f"{name:<28} {medians[name]:9.3f} {base:9.3f} {ratio:7.2f}  {goal} {verdict}"
        print(line.rstrip())
    print(f"{'kam allocate work in process':<28} {work:9.3f} {base:9.3f} {work / base:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
