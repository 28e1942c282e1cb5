"""The facts, defined once in Ibis, give the hand-worked values on DuckDB and on Spark."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import ibis
import pyarrow.parquet as pq
import pytest

from kam.facts.compute import facts_table
from kam.facts.definitions import FACT_COLUMNS, account_facts
from tests.facts.golden import AS_OF, SPEND, assert_facts, lines_table, spend_table


def test_duckdb_gives_the_hand_worked_facts(tmp_path: Path) -> None:
    pq.write_table(lines_table(), tmp_path / "lines.parquet")
    table = facts_table(lines=tmp_path / "lines.parquet", as_of=AS_OF, available_spend=SPEND)
    assert table.column_names == list(FACT_COLUMNS)
    assert_facts(table.to_pylist())


def test_facts_of_chosen_accounts_only(tmp_path: Path) -> None:
    pq.write_table(lines_table(), tmp_path / "lines.parquet")
    table = facts_table(lines=tmp_path / "lines.parquet", as_of=AS_OF, accounts=["B", "Z"])
    assert table.column("account_external_id").to_pylist() == ["B"]


def test_no_lines_no_facts() -> None:
    assert facts_table(lines=[], as_of=AS_OF).num_rows == 0


@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (java not on PATH)")
def test_spark_gives_the_same_facts_as_duckdb_and_the_hand(tmp_path: Path) -> None:
    from pyspark.sql import SparkSession

    pq.write_table(lines_table(), tmp_path / "lines.parquet")
    pq.write_table(spend_table(), tmp_path / "spend.parquet")

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("kam-facts-golden")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "512m")
        # a few rows: compiling code and re-planning cost more than they save
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    try:
        spark_con = ibis.pyspark.connect(spark)
        lines = spark_con.read_parquet(str(tmp_path / "lines.parquet"))
        spend = spark_con.read_parquet(str(tmp_path / "spend.parquet"))
        on_spark = spark_con.to_pyarrow(account_facts(lines, as_of=AS_OF, available_spend=spend))
    finally:
        spark.stop()
    duck = ibis.duckdb.connect()
    on_duckdb = duck.to_pyarrow(
        account_facts(
            duck.create_table("lines", lines_table()),
            as_of=AS_OF,
            available_spend=duck.create_table("spend", spend_table()),
        )
    )
    assert_facts(on_spark.to_pylist())
    assert_facts(on_duckdb.to_pylist())
    _assert_same(on_spark.to_pylist(), on_duckdb.to_pylist())


def _assert_same(a: list[dict[str, object]], b: list[dict[str, object]]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        for key in FACT_COLUMNS:
            u, v = x[key], y[key]
            if isinstance(u, float) and isinstance(v, float):
                assert math.isclose(u, v, rel_tol=1e-12, abs_tol=1e-12), (key, u, v)
            else:
                assert u == v, (key, u, v)
