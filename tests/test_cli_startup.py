"""The ``kam`` command starts at once: its help, and each command's help, import none of
kam's heavy dependencies, and a file command imports only what it runs on.

Each case runs the command in a fresh interpreter and reads the modules it imported
(``sys.modules`` when the process ends), so what is asserted is what a user's ``kam``
loads, not a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kam.cli import COMMANDS, Command

#: Libraries that take from a tenth of a second to seconds to import; none is needed to
#: print help.
HEAVY = frozenset(
    {"django", "ibis", "duckdb", "scipy", "pandas", "numpy", "pyarrow", "sqlglot", "highspy"}
)

_RUN = """
import atexit, json, sys
atexit.register(lambda: sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n"))
from kam.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def kam(*argv: str, cwd: Path | None = None) -> tuple[int, str, set[str]]:
    """Exit status, standard output and the modules imported by ``kam *argv``."""
    result = subprocess.run(
        [sys.executable, "-c", _RUN, *argv], capture_output=True, text=True, cwd=cwd, check=False
    )
    marker = result.stderr.rindex("MODULES ")
    modules = set(json.loads(result.stderr[marker + len("MODULES ") :]))
    return result.returncode, result.stdout, modules


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def commands_loaded(modules: set[str]) -> set[str]:
    """The command modules (``kam.cli.<command>``) imported."""
    return {c.module for c in COMMANDS} & modules


def test_kam_help_lists_every_command_and_imports_no_command_and_nothing_heavy() -> None:
    status, out, modules = kam("--help")
    assert status == 0
    for command in COMMANDS:
        assert f"    {command.name}" in out
    assert "place accounts in the four boxes" in out  # a help line, from the registry
    assert heavy(modules) == []
    assert commands_loaded(modules) == set()


def test_kam_classify_help_lists_every_option_and_imports_only_its_parser() -> None:
    status, out, modules = kam("classify", "--help")
    assert status == 0
    for option in ("--scheme", "--scores", "--format", "--sensitivity", "--seed", "--decimal"):
        assert option in out
    assert "No database needed." in out  # the command's own description
    assert heavy(modules) == []
    assert commands_loaded(modules) == {"kam.cli.classify"}
    # the scoring arithmetic (kam.core.portfolio, on numpy) is imported when it runs
    assert "kam.core.portfolio" not in modules


@pytest.mark.parametrize("command", [c for c in COMMANDS if not c.raw], ids=lambda c: c.name)
def test_every_commands_help_imports_nothing_heavy(command: Command) -> None:
    status, out, modules = kam(command.name, "--help")
    assert status == 0
    assert out.startswith(f"usage: kam {command.name} ")
    assert heavy(modules) == []
    # demo serves with serve's functions; every other command loads only its own module
    expected = {command.module} | ({"kam.cli.serve"} if command.name == "demo" else set())
    assert commands_loaded(modules) == expected


def test_kam_allocate_on_four_judgements_imports_numpy_and_nothing_else_heavy(
    tmp_path: Path,
) -> None:
    """A file-to-file command needs no Django (no database), and four judgements fix the
    curve without scipy's least squares."""
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "account,reference_hours,contribution_at_zero,contribution_at_reference,"
        "contribution_at_150pct,contribution_at_saturation,min_hours,max_hours\n"
        "Acme,100,10000,50000,70000,100000,20,\n"
        "Bolt,40,5000,20000,26000,40000,,80\n",
        encoding="utf-8",
    )
    status, out, modules = kam(
        "allocate", "--accounts", str(accounts), "--capacity-hours", "120", "--format", "json"
    )
    assert status == 0
    assert set(json.loads(out)["hours"]) == {"Acme", "Bolt"}
    assert {m.split(".")[0] for m in heavy(modules)} == {"numpy"}
    assert commands_loaded(modules) == {"kam.cli.allocate"}


def test_python_dash_m_kam_cli_is_the_kam_command() -> None:
    """``python -m kam.cli`` (how ``kam serve`` starts its background worker) is ``kam``."""
    result = subprocess.run(
        [sys.executable, "-m", "kam.cli", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("usage: kam ")
    assert all(f"    {c.name}" in result.stdout for c in COMMANDS)


@pytest.mark.parametrize("predict", ["--predict", "--no-predict"])
def test_kam_facts_imports_neither_ibis_nor_pyarrow(tmp_path: Path, predict: str) -> None:
    """``kam facts`` runs the facts as the SQL compiled from the Ibis definitions and lets
    DuckDB write its output: starting Ibis and Arrow cost more than the facts themselves."""
    lines = tmp_path / "lines.csv"
    rows = [
        f"A{a},I{a}-{m},2026-{m:02d}-10,{100 + a * m}.50,{40 + m},,,EUR"
        for a in range(12)
        for m in range(1, 7)
    ]
    lines.write_text(
        "account_external_id,invoice_id,invoice_date,amount,cost,due_date,paid_date,currency\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )
    status, out, modules = kam(
        "facts", "--transactions", str(lines), "--as-of", "2026-06-30", predict, cwd=tmp_path
    )
    assert status == 0
    assert out.splitlines()[0].startswith("account_external_id,currency,revenue_12m,")
    assert len(out.splitlines()) == 13
    assert not {"ibis", "pyarrow", "pandas", "sqlglot"} & {m.split(".")[0] for m in modules}
    if predict == "--no-predict":  # the prediction's models need numpy and SciPy
        assert {m.split(".")[0] for m in heavy(modules)} == {"duckdb"}
    assert commands_loaded(modules) == {"kam.cli.facts"}
