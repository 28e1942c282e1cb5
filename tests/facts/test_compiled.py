"""kam runs the facts as SQL checked in beside the Ibis definitions (``kam.facts.compiled``),
so ``kam facts`` starts without Ibis. The SQL can never drift from the definitions: it is
what they compile to, and both give the same facts."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import ibis
import pyarrow.parquet as pq
import pytest

from kam.facts.compiled import FACTS_SQL
from kam.facts.compute import facts_rows, facts_table, rows_of
from kam.facts.definitions import FACT_COLUMNS, account_facts, compiled_module_text, compiled_sql
from tests.facts.golden import SPEND, lines_table, spend_table


def test_the_checked_in_sql_is_what_the_definitions_compile_to() -> None:
    # after changing kam/facts/definitions.py, `make facts-sql` writes kam/facts/compiled.py
    assert FACTS_SQL.strip() == compiled_sql().strip()
    text = Path(__file__).parents[2].joinpath("kam/facts/compiled.py").read_text("utf-8")
    assert text == compiled_module_text()


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


@pytest.mark.parametrize(
    "as_of",
    # a month end, a year after a leap day, a 31st, and after every line
    [date(2026, 6, 30), date(2026, 2, 28), date(2026, 3, 31), date(2027, 12, 31)],
    ids=str,
)
def test_the_checked_in_sql_gives_the_same_facts_as_the_ibis_definitions(
    tmp_path: Path, as_of: date
) -> None:
    pq.write_table(lines_table(), tmp_path / "lines.parquet")
    pq.write_table(spend_table(), tmp_path / "spend.parquet")
    con = ibis.duckdb.connect()
    try:
        lines = con.read_parquet(str(tmp_path / "lines.parquet"))
        spend = con.read_parquet(str(tmp_path / "spend.parquet"))
        expected = con.to_pyarrow(account_facts(lines, as_of=as_of, available_spend=spend))
    finally:
        con.disconnect()
    got = facts_table(lines=tmp_path / "lines.parquet", as_of=as_of, available_spend=SPEND)
    assert got.column_names == list(FACT_COLUMNS)
    want_rows = expected.select(list(FACT_COLUMNS)).to_pylist()
    got_rows = got.to_pylist()
    assert [r["account_external_id"] for r in got_rows] == [
        r["account_external_id"] for r in want_rows
    ]
    assert len(got_rows) > 0
    for want, row in zip(want_rows, got_rows, strict=True):
        for name in FACT_COLUMNS:
            assert _same(row[name], want[name]), (row["account_external_id"], name)


def test_facts_rows_are_the_facts_tables_rows(tmp_path: Path) -> None:
    pq.write_table(lines_table(), tmp_path / "lines.parquet")
    kwargs = {"lines": tmp_path / "lines.parquet", "as_of": date(2026, 6, 30)}
    table = facts_table(**kwargs, available_spend=SPEND, predict=True)
    rows = facts_rows(**kwargs, available_spend=SPEND, predict=True)
    assert rows == rows_of(table)
    assert facts_rows(**kwargs, accounts=["B", "Z"]) == rows_of(
        facts_table(**kwargs, accounts=["B", "Z"])
    )
