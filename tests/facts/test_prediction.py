"""predicted_future_value: the clv models of kam.core.clv fitted on the store's lines."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kam.facts.clv import clv_from_transactions
from kam.facts.compute import ALL_COLUMNS, facts_table, predicted_future_values
from tests.facts.golden import AS_OF, lines_table

END = date(2026, 6, 30)


def history(path: Path, accounts: int = 400, seed: int = 7) -> None:
    """Purchases drawn from the BG/NBD story over two years before ``END``: each account buys
    at its own Poisson rate and may drop out after any purchase (fixed seed)."""
    rng = np.random.default_rng(seed)
    start = END - timedelta(days=728)
    rows: dict[str, list[object]] = {k: [] for k in ("account_external_id", "invoice_date")}
    amounts: list[Decimal] = []
    for a in range(accounts):
        rate = rng.gamma(0.8, 1 / 4.0)  # purchases a week
        drop = rng.beta(1.0, 3.0)
        spend = rng.gamma(4.0, 50.0)
        week = rng.uniform(0, 52)  # the first purchase in the first year
        while week < 104:
            rows["account_external_id"].append(f"ACC{a:04d}")
            rows["invoice_date"].append(start + timedelta(days=int(week * 7)))
            amounts.append(Decimal(str(round(spend * rng.gamma(6.0, 1 / 6.0), 2))))
            if rng.uniform() < drop:
                break
            week += rng.exponential(1 / rate) if rate > 0 else 1e9
    n = len(amounts)
    pq.write_table(
        pa.table(
            {
                "account_external_id": pa.array(rows["account_external_id"], pa.string()),
                "invoice_id": pa.array([f"I{i}" for i in range(n)], pa.string()),
                "invoice_date": pa.array(rows["invoice_date"], pa.date32()),
                "amount": pa.array(amounts, pa.decimal128(18, 4)),
                "cost": pa.array([None] * n, pa.decimal128(18, 4)),
                "due_date": pa.array([None] * n, pa.date32()),
                "paid_date": pa.array([None] * n, pa.date32()),
                "currency": pa.array(["EUR"] * n, pa.string()),
            }
        ),
        path,
    )


def test_the_prediction_is_kam_clv_on_the_same_history(tmp_path: Path) -> None:
    history(tmp_path / "lines.parquet")
    ours = predicted_future_values(lines=tmp_path / "lines.parquet", as_of=END)
    # the same lines as the account/date/amount file that `kam clv` reads
    with (tmp_path / "tx.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account", "date", "amount"])
        for row in pq.read_table(tmp_path / "lines.parquet").to_pylist():
            writer.writerow([row["account_external_id"], row["invoice_date"], row["amount"]])
    theirs = clv_from_transactions(tmp_path / "tx.csv", calibration_end=END, horizon_weeks=52)
    expected = dict(zip(theirs.prediction.accounts, theirs.prediction.expected_value, strict=True))
    assert len(ours) == 400 and set(ours) == set(expected)
    # The same lines give the same summary to the last bit (the amounts are added up exactly,
    # whatever order the CSV and the Parquet file deliver them in), so the same fit: equal,
    # not merely close.
    for account, value in ours.items():
        assert value == float(expected[account]), account
    assert all(value >= 0 for value in ours.values())


def test_facts_table_adds_the_prediction_column(tmp_path: Path) -> None:
    history(tmp_path / "lines.parquet")
    table = facts_table(lines=tmp_path / "lines.parquet", as_of=END, predict=True)
    assert table.column_names == list(ALL_COLUMNS)
    values = table.column("predicted_future_value").to_pylist()
    assert len(values) == 400 and all(v is not None and v >= 0 for v in values)


def test_too_little_history_leaves_the_prediction_empty(tmp_path: Path) -> None:
    pq.write_table(lines_table(), tmp_path / "lines.parquet")
    table = facts_table(lines=tmp_path / "lines.parquet", as_of=AS_OF, predict=True)
    assert table.column("predicted_future_value").to_pylist() == [None] * 4
    assert table.column("revenue_12m").to_pylist() == [4000.0, 500.0, 0.0, 150.0]
