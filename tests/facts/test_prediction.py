"""predicted_future_value: the clv models of kam.core.clv fitted on the store's lines."""

from __future__ import annotations

import csv
import math
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kam.facts.clv import clv_from_transactions
from kam.facts.compute import (
    ALL_COLUMNS,
    facts_table,
    predict_future_values,
    predicted_future_values,
)
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


def test_the_spend_model_is_fitted_per_currency(tmp_path: Path) -> None:
    # The same 400 histories twice: in EUR, and as accounts "JPY…" in yen at 150 yen a
    # euro. The purchase model sees the same histories twice (the same estimate); each
    # currency gets its own spend model, and Gamma-Gamma scales with the money (p and q
    # unchanged, gamma × 150), so each yen value is 150 × its euro twin. One spend model over
    # both currencies would have mixed 100-euro purchases with 15,000-yen ones.
    history(tmp_path / "eur.parquet")
    eur = pq.read_table(tmp_path / "eur.parquet")
    yen = eur.set_column(
        0,
        "account_external_id",
        pa.array(
            [a.replace("ACC", "JPY") for a in eur.column(0).to_pylist()],
            pa.string(),
        ),
    )
    yen = yen.set_column(
        yen.schema.get_field_index("amount"),
        "amount",
        pa.array([v * 150 for v in eur.column("amount").to_pylist()], pa.decimal128(18, 4)),
    )
    yen = yen.set_column(
        yen.schema.get_field_index("currency"), "currency", pa.array(["JPY"] * yen.num_rows)
    )
    pq.write_table(yen, tmp_path / "yen.parquet")
    both = predict_future_values(
        lines=[tmp_path / "eur.parquet", tmp_path / "yen.parquet"], as_of=END
    )
    assert both.spend_models == ("EUR", "JPY") and both.missing == ()
    alone = predicted_future_values(lines=tmp_path / "eur.parquet", as_of=END)
    assert len(both.values) == 800
    for account, value in alone.items():
        # the same purchase model (fitted on the histories twice) and the same spend model:
        # equal up to the optimiser's stopping tolerance
        assert math.isclose(both.values[account], value, rel_tol=1e-6), account
        twin = both.values[account.replace("ACC", "JPY")]
        assert math.isclose(twin, 150 * value, rel_tol=1e-6), account


def test_exchange_rates_give_one_spend_model_in_the_base_currency(tmp_path: Path) -> None:
    history(tmp_path / "lines.parquet")
    plain = predicted_future_values(lines=tmp_path / "lines.parquet", as_of=END)
    # every account in EUR, worth 2 base units a euro: fitted in the base currency and
    # converted back, the values in euro are those fitted in euro
    result = predict_future_values(lines=tmp_path / "lines.parquet", as_of=END, rates={"EUR": 2.0})
    assert result.spend_models == ("base",)
    for account, value in plain.items():
        assert math.isclose(result.values[account], value, rel_tol=1e-6), account


def test_a_currency_whose_spend_model_fails_has_no_value_and_says_why(tmp_path: Path) -> None:
    history(tmp_path / "eur.parquet")
    # one USD account with a single purchase: its own spend model has nobody to learn from
    pq.write_table(
        pa.table(
            {
                "account_external_id": pa.array(["USD1"], pa.string()),
                "invoice_id": pa.array(["U1"], pa.string()),
                "invoice_date": pa.array([date(2026, 1, 5)], pa.date32()),
                "amount": pa.array([Decimal("10")], pa.decimal128(18, 4)),
                "cost": pa.array([None], pa.decimal128(18, 4)),
                "due_date": pa.array([None], pa.date32()),
                "paid_date": pa.array([None], pa.date32()),
                "currency": pa.array(["USD"], pa.string()),
            }
        ),
        tmp_path / "usd.parquet",
    )
    result = predict_future_values(
        lines=[tmp_path / "eur.parquet", tmp_path / "usd.parquet"], as_of=END
    )
    assert result.spend_models == ("EUR",)
    assert result.missing == (
        ("USD", "the spend model needs at least two customers with a repeat purchase"),
    )
    assert "USD1" not in result.values and len(result.values) == 400
