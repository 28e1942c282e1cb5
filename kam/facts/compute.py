"""Running the account facts on DuckDB in-process: the default engine of kam.

``facts_table`` runs ``kam.facts.definitions.account_facts`` over Parquet files of lines
(the store's, or any) with Ibis's DuckDB backend and returns an Arrow table, one row per
account; ``facts_rows`` gives the same rows as ``AccountFacts`` dataclasses. DuckDB streams
the files: memory stays bounded by ``memory_limit`` (spilling to a temporary directory when
needed), not by the number of lines.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from kam.facts.checking import Progress, polling
from kam.facts.definitions import FACT_COLUMNS, account_facts
from kam.facts.store import TransactionStore


@dataclass(frozen=True)
class AccountFacts:
    """The facts of one account at an as-of date (definitions in ``kam.facts.definitions``).

    Money is in the account's ``currency``; ``growth`` and ``share_of_wallet`` are
    fractions (0.1 = 10 %); ``gross_margin_pct`` is a percentage; days are whole days
    except ``mean_days_late`` (an amount-weighted mean). ``None`` = not defined.
    """

    account_external_id: str
    currency: str
    revenue_12m: float
    revenue_prev_12m: float
    growth: float | None
    gross_margin_pct: float | None
    orders: int
    recency_days: int | None
    mean_days_late: float | None
    available_spend: float | None
    share_of_wallet: float | None


def duckdb_backend(
    *,
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
) -> Any:
    """An Ibis DuckDB backend (in-process, in memory) with kam's settings: DuckDB's
    progress tracking on and its own progress bar off; ``threads``, ``memory_limit``
    (``"1GB"``) and ``temp_directory`` (where to spill) when given."""
    config: dict[str, Any] = {}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    if temp_directory:
        config["temp_directory"] = temp_directory
    backend = ibis.duckdb.connect(**config)
    backend.raw_sql("SET enable_progress_bar = true")
    backend.raw_sql("SET enable_progress_bar_print = false")
    return backend


def _paths(lines: TransactionStore | str | Path | Sequence[str | Path]) -> list[str]:
    if isinstance(lines, TransactionStore):
        return [str(p) for p in lines.line_files()]
    if isinstance(lines, str | Path):
        return [str(lines)]
    return [str(p) for p in lines]


def _spend_table(
    backend: Any, spend: TransactionStore | Mapping[str, Decimal | float] | None
) -> Any:
    if spend is None:
        return None
    if isinstance(spend, TransactionStore):
        if not spend.spend_path.exists():
            return None
        return backend.read_parquet(str(spend.spend_path), table_name="kam_available_spend")
    return ibis.memtable(
        {
            "account_external_id": [str(a) for a in spend],
            "available_spend": [float(v) for v in spend.values()],
        },
        schema={"account_external_id": "string", "available_spend": "float64"},
    )


def empty_facts() -> pa.Table:
    """A facts table with no rows (the schema of ``facts_table``)."""
    schema = pa.schema(
        [
            ("account_external_id", pa.string()),
            ("currency", pa.string()),
            ("revenue_12m", pa.float64()),
            ("revenue_prev_12m", pa.float64()),
            ("growth", pa.float64()),
            ("gross_margin_pct", pa.float64()),
            ("orders", pa.int64()),
            ("recency_days", pa.int64()),
            ("mean_days_late", pa.float64()),
            ("available_spend", pa.float64()),
            ("share_of_wallet", pa.float64()),
        ]
    )
    return schema.empty_table()


def facts_table(
    *,
    lines: TransactionStore | str | Path | Sequence[str | Path],
    as_of: date,
    available_spend: TransactionStore | Mapping[str, Decimal | float] | None = None,
    accounts: Iterable[str] | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
) -> pa.Table:
    """The facts of every account (or of ``accounts`` only) at ``as_of``, as Arrow.

    ``lines``: a store, or Parquet file(s)/glob(s) with the store's columns.
    ``available_spend``: a store (its available-spend table) or a mapping account → spend.
    ``progress(phase, fraction)`` is called with the phase ``facts``.
    """
    paths = _paths(lines)
    if not paths:
        return empty_facts()
    backend = duckdb_backend(
        threads=threads, memory_limit=memory_limit, temp_directory=temp_directory
    )
    try:
        table = backend.read_parquet(paths, table_name="kam_lines")
        if accounts is not None:
            wanted = sorted({str(a) for a in accounts})
            table = table.filter(table.account_external_id.isin(wanted))
        expr = account_facts(
            table, as_of=as_of, available_spend=_spend_table(backend, available_spend)
        )
        result: pa.Table = polling(
            backend.con, lambda: backend.to_pyarrow(expr), phase="facts", progress=progress
        )
        return result.select(list(FACT_COLUMNS))
    finally:
        backend.disconnect()


def _none_if_nan(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def rows_of(table: pa.Table) -> list[AccountFacts]:
    """A facts table's rows as ``AccountFacts``."""
    return [
        AccountFacts(**{k: _none_if_nan(v) for k, v in row.items()}) for row in table.to_pylist()
    ]


def facts_rows(**kwargs: Any) -> list[AccountFacts]:
    """``facts_table(**kwargs)`` as ``AccountFacts`` rows, ordered by account."""
    return rows_of(facts_table(**kwargs))


def store_facts(
    store: TransactionStore,
    *,
    as_of: date,
    accounts: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> list[AccountFacts]:
    """The facts of the store's accounts at ``as_of``, with its available spend."""
    return facts_rows(
        lines=store, as_of=as_of, available_spend=store, accounts=accounts, progress=progress
    )
