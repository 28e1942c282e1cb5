"""A hand-made invoice table and its facts, worked out by hand (the golden test's data).

As-of date D = 2026-06-30, the last day of June. The last 12 months are (D − 12 months, D] =
(2025-06-30, 2026-06-30] and the year before is (2024-06-30, 2025-06-30]. A line with a
negative amount is a credit: revenue, but no order and no purchase.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa

AS_OF = date(2026, 6, 30)

# (account, invoice, invoice date, amount, cost, due date, paid date, currency)
LINES = [
    # A: four invoices in the last 12 months, two in the year before, one after D.
    ("A", "INV-A1", date(2026, 6, 30), "1000", "600", date(2026, 7, 30), None, "EUR"),
    ("A", "INV-A1", date(2026, 6, 30), "500", "200", date(2026, 7, 30), None, "EUR"),
    ("A", "INV-A2", date(2026, 1, 15), "2000", "1500", date(2026, 2, 14), date(2026, 2, 24), "EUR"),
    ("A", "INV-A3", date(2025, 7, 1), "500", "300", date(2025, 7, 31), date(2025, 7, 31), "EUR"),
    ("A", "INV-A4", date(2025, 6, 30), "1000", "700", date(2025, 7, 30), date(2025, 8, 9), "EUR"),
    ("A", "INV-A5", date(2024, 7, 1), "2000", "1000", date(2024, 7, 31), date(2024, 9, 1), "EUR"),
    ("A", "INV-A6", date(2026, 7, 1), "99999", "1", date(2026, 7, 31), None, "EUR"),
    # B: no invoice ids; an unpaid line, a line paid after D, a credit note, an early payment.
    ("B", None, date(2026, 5, 1), "300", "100", date(2026, 5, 31), None, "EUR"),
    ("B", None, date(2026, 5, 1), "200", "100", date(2026, 5, 31), date(2026, 7, 15), "EUR"),
    ("B", None, date(2026, 5, 20), "-100", "-50", date(2026, 6, 19), None, "EUR"),
    ("B", None, date(2026, 3, 1), "100", "50", date(2026, 3, 31), date(2026, 3, 20), "EUR"),
    # C: bought only in the year before.
    ("C", "INV-C1", date(2025, 1, 10), "1200", "1000", date(2025, 2, 9), date(2025, 2, 9), "USD"),
    # D: only a line after the as-of date: not in the facts at all.
    ("D", "INV-D1", date(2026, 8, 1), "50", "10", date(2026, 8, 31), None, "EUR"),
    # E: one invoice whose first line has no cost (no margin), no due dates.
    ("E", "INV-E1", date(2026, 6, 1), "100", None, None, None, "GBP"),
    ("E", "INV-E1", date(2026, 6, 1), "50", "10", None, None, "GBP"),
]

SPEND = {"A": 16000.0, "C": 0.0, "E": 600.0}

EXPECTED = {
    "A": {
        "currency": "EUR",
        # 1000 + 500 + 2000 + 500 (2025-06-30 is D − 12 months: the year before)
        "revenue_12m": 4000.0,
        # 1000 (2025-06-30: D − 12 months, so the year before) + 2000 (2024-07-01)
        "revenue_prev_12m": 3000.0,
        "growth": 4000 / 3000 - 1,  # 0.3333...
        # cost 600 + 200 + 1500 + 300 = 2600; 100 * (4000 - 2600) / 4000
        "gross_margin_pct": 35.0,
        "orders": 3,  # INV-A1, INV-A2, INV-A3
        "recency_days": 0,  # last purchase on D itself
        # due in the window: A2 10 days late (2000), A3 on time (500), A4 10 days late
        # (1000; invoiced the year before but due 2025-07-30); A1 is due after D.
        # (2000·10 + 500·0 + 1000·10) / 3500 = 8.5714...
        "mean_days_late": 30000 / 3500,
        "available_spend": 16000.0,
        "share_of_wallet": 0.25,  # 4000 / 16000
    },
    "B": {
        "currency": "EUR",
        "revenue_12m": 500.0,  # 300 + 200 - 100 + 100
        "revenue_prev_12m": 0.0,
        "growth": None,  # the year before is 0
        "gross_margin_pct": 60.0,  # cost 100 + 100 - 50 + 50 = 200; 100 · 300 / 500
        # no invoice ids: days 2026-05-01 and 2026-03-01; the credit note of 05-20 is no order
        "orders": 2,
        "recency_days": 60,  # 2026-05-01 (the credit note of 05-20 is no purchase)
        # unpaid, due 05-31: 30 days at D (300); paid after D: also 30 at D (200);
        # the credit note weighs nothing; paid early: 0 (100). (9000 + 6000) / 600
        "mean_days_late": 25.0,
        "available_spend": None,
        "share_of_wallet": None,
    },
    "C": {
        "currency": "USD",
        "revenue_12m": 0.0,
        "revenue_prev_12m": 1200.0,
        "growth": -1.0,
        "gross_margin_pct": None,  # no revenue in the last 12 months
        "orders": 0,
        # 2025-01-10 → 2026-01-10 is 365 days, then 21 + 28 + 31 + 30 + 31 + 30 = 171
        "recency_days": 536,
        "mean_days_late": None,  # due 2025-02-09: before the window
        "available_spend": 0.0,
        "share_of_wallet": None,  # spend 0
    },
    "E": {
        "currency": "GBP",
        "revenue_12m": 150.0,
        "revenue_prev_12m": 0.0,
        "growth": None,
        "gross_margin_pct": None,  # a line without cost
        "orders": 1,
        "recency_days": 29,
        "mean_days_late": None,
        "available_spend": 600.0,
        "share_of_wallet": 0.25,
    },
}


def lines_table() -> pa.Table:
    """``LINES`` with the store's column types (amounts DECIMAL(18,4))."""
    money = pa.decimal128(18, 4)
    columns = list(zip(*LINES, strict=True))
    return pa.table(
        {
            "account_external_id": pa.array(columns[0], pa.string()),
            "invoice_id": pa.array(columns[1], pa.string()),
            "invoice_date": pa.array(columns[2], pa.date32()),
            "product": pa.array([None] * len(LINES), pa.string()),
            "category": pa.array([None] * len(LINES), pa.string()),
            "quantity": pa.array([None] * len(LINES), pa.float64()),
            "amount": pa.array([Decimal(v) for v in columns[3]], money),
            "cost": pa.array([None if v is None else Decimal(v) for v in columns[4]], money),
            "due_date": pa.array(columns[5], pa.date32()),
            "paid_date": pa.array(columns[6], pa.date32()),
            "currency": pa.array(columns[7], pa.string()),
        }
    )


def spend_table() -> pa.Table:
    return pa.table(
        {
            "account_external_id": pa.array(list(SPEND), pa.string()),
            "available_spend": pa.array(list(SPEND.values()), pa.float64()),
        }
    )


def assert_facts(rows: list[dict[str, object]]) -> None:
    """``rows`` (facts as dicts) equal ``EXPECTED``, floats to 1e-9."""
    import math

    assert [r["account_external_id"] for r in rows] == sorted(EXPECTED)
    for row in rows:
        expected = EXPECTED[str(row["account_external_id"])]
        for key, value in expected.items():
            got = row[key]
            if isinstance(got, float) and math.isnan(got):
                got = None
            if value is None or got is None:
                assert got == value, (row["account_external_id"], key, got, value)
            elif isinstance(value, float):
                assert math.isclose(float(got), value, rel_tol=1e-9, abs_tol=1e-9), (
                    row["account_external_id"],
                    key,
                    got,
                    value,
                )
            else:
                assert got == value, (row["account_external_id"], key, got, value)
