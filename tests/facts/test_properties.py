"""On random invoice tables, the Ibis facts on DuckDB equal a plain-Python reading of the
definitions (kam.facts.definitions), line by line."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import ibis
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam.facts.definitions import account_facts

D = date(2026, 6, 30)
# D − 12 and D − 24 calendar months (D is the last day of June)
YEAR_AGO = date(2025, 6, 30)
TWO_YEARS_AGO = date(2024, 6, 30)

days = st.integers(min_value=-800, max_value=40).map(lambda n: D + timedelta(days=n))
line = st.tuples(
    st.sampled_from(["A", "B", "C"]),
    st.one_of(st.none(), st.sampled_from(["I1", "I2", "I3", "I4"])),
    days,
    st.integers(min_value=-500, max_value=5000).map(lambda c: Decimal(c) / 4),
    st.one_of(st.none(), st.integers(min_value=0, max_value=4000).map(Decimal)),
    st.one_of(st.none(), st.integers(min_value=0, max_value=90)),
    st.one_of(st.none(), st.integers(min_value=-10, max_value=120)),
)


def reference(lines: list[tuple]) -> dict[str, dict[str, object]]:
    """The definitions read literally, in plain Python."""
    out: dict[str, dict[str, object]] = {}
    for account in sorted({row[0] for row in lines if row[2] <= D}):
        rows = [r for r in lines if r[0] == account and r[2] <= D]
        year = [r for r in rows if r[2] > YEAR_AGO]
        prev = [r for r in rows if TWO_YEARS_AGO < r[2] <= YEAR_AGO]
        revenue = float(sum((r[3] for r in year), Decimal(0)))
        previous = float(sum((r[3] for r in prev), Decimal(0)))
        costs = [r[4] for r in year]
        margin = None
        if revenue != 0 and year and all(c is not None for c in costs):
            margin = 100.0 * (revenue - float(sum(costs, Decimal(0)))) / revenue
        # a credit (negative amount) is no order and no purchase
        sales = [r for r in year if r[3] >= 0]
        orders = len({r[1] for r in sales if r[1] is not None}) + len(
            {r[2] for r in sales if r[1] is None}
        )
        purchases = [r[2] for r in rows if r[3] >= 0]
        due = []
        for r in rows:
            if r[5] is None or r[3] <= 0:
                continue
            due_date = r[2] + timedelta(days=r[5])
            if not YEAR_AGO < due_date <= D:
                continue
            paid = D if r[6] is None else min(due_date + timedelta(days=r[6]), D)
            due.append((float(r[3]), max(0, (paid - due_date).days)))
        weight = sum(a for a, _ in due)
        out[account] = {
            "revenue_12m": revenue,
            "revenue_prev_12m": previous,
            "growth": revenue / previous - 1 if previous != 0 else None,
            "gross_margin_pct": margin,
            "orders": orders,
            "recency_days": (D - max(purchases)).days if purchases else None,
            "mean_days_late": sum(a * late for a, late in due) / weight if weight > 0 else None,
        }
    return out


def table(lines: list[tuple]) -> pa.Table:
    money = pa.decimal128(18, 4)
    due = [None if r[5] is None else r[2] + timedelta(days=r[5]) for r in lines]
    paid = [
        None if r[5] is None or r[6] is None else r[2] + timedelta(days=r[5] + r[6]) for r in lines
    ]
    return pa.table(
        {
            "account_external_id": pa.array([r[0] for r in lines], pa.string()),
            "invoice_id": pa.array([r[1] for r in lines], pa.string()),
            "invoice_date": pa.array([r[2] for r in lines], pa.date32()),
            "amount": pa.array([r[3] for r in lines], money),
            "cost": pa.array([r[4] for r in lines], money),
            "due_date": pa.array(due, pa.date32()),
            "paid_date": pa.array(paid, pa.date32()),
            "currency": pa.array(["EUR"] * len(lines), pa.string()),
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, min_size=1, max_size=25))
def test_duckdb_facts_match_the_definitions_read_literally(lines: list[tuple]) -> None:
    con = ibis.duckdb.connect()
    got = con.to_pyarrow(account_facts(ibis.memtable(table(lines)), as_of=D)).to_pylist()
    expected = reference(lines)
    assert [row["account_external_id"] for row in got] == list(expected)
    for row in got:
        for key, value in expected[row["account_external_id"]].items():
            actual = row[key]
            if value is None or actual is None:
                assert actual == value, (key, actual, value)
            else:
                assert math.isclose(float(actual), float(value), rel_tol=1e-9, abs_tol=1e-9), (
                    key,
                    actual,
                    value,
                )
