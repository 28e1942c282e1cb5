"""The facts' 12-month windows in calendar months, and credit notes (kam.facts.definitions)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import ibis
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kam.facts.definitions import account_facts, months_before


def test_a_year_before_is_the_same_day_or_the_month_end() -> None:
    assert months_before(date(2026, 3, 15), 12) == date(2025, 3, 15)
    # no 29 February in 2023: its last day
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)
    # 28 February 2025 is the end of February: the end of February 2024
    assert months_before(date(2025, 2, 28), 12) == date(2024, 2, 29)
    assert months_before(date(2024, 2, 28), 12) == date(2023, 2, 28)
    assert months_before(date(2026, 4, 30), 12) == date(2025, 4, 30)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 10), 24) == date(2024, 1, 10)


def lines(rows: list[tuple[str, str | None, date, str]]) -> pa.Table:
    """(account, invoice id, date, amount) rows with the store's columns."""
    money = pa.decimal128(18, 4)
    n = len(rows)
    return pa.table(
        {
            "account_external_id": pa.array([r[0] for r in rows], pa.string()),
            "invoice_id": pa.array([r[1] for r in rows], pa.string()),
            "invoice_date": pa.array([r[2] for r in rows], pa.date32()),
            "amount": pa.array([Decimal(r[3]) for r in rows], money),
            "cost": pa.array([None] * n, money),
            "due_date": pa.array([None] * n, pa.date32()),
            "paid_date": pa.array([None] * n, pa.date32()),
            "currency": pa.array(["EUR"] * n, pa.string()),
        }
    )


def facts(table: pa.Table, as_of: date) -> dict[str, dict[str, object]]:
    con = ibis.duckdb.connect()
    rows = con.to_pyarrow(account_facts(ibis.memtable(table), as_of=as_of)).to_pylist()
    return {str(r["account_external_id"]): r for r in rows}


def _monthly(account: str, day_of_month: int | None) -> list[tuple[str, str | None, date, str]]:
    """An invoice of 100 on ``day_of_month`` (None: the last day) of every month 2017-2031."""
    out: list[tuple[str, str | None, date, str]] = []
    for year in range(2017, 2032):
        for month in range(1, 13):
            if day_of_month is None:
                day = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
            else:
                day = date(year, month, day_of_month)
            out.append((account, f"{account}-{year}-{month}", day, "100"))
    return out


MONTHLY = lines(_monthly("first", 1) + _monthly("fifteenth", 15) + _monthly("twenty-eighth", 28))


@settings(max_examples=25, deadline=None)
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
@example(date(2020, 2, 29))
@example(date(2024, 2, 29))
@example(date(2028, 2, 29))
@example(date(2024, 2, 28))
@example(date(2025, 2, 28))
@example(date(2021, 3, 1))
@example(date(2024, 12, 31))
def test_a_customer_billed_every_month_has_12_orders_and_no_growth(as_of: date) -> None:
    # billed on the 1st (or the 15th, or the 28th) of every month: 12 invoices of 100 in
    # each of the two windows, whatever the as-of date, leap years included
    for account, row in facts(MONTHLY, as_of).items():
        assert row["orders"] == 12, (account, as_of)
        assert row["revenue_12m"] == 1200.0, (account, as_of)
        assert row["revenue_prev_12m"] == 1200.0, (account, as_of)
        assert row["growth"] == 0.0, (account, as_of)


@settings(max_examples=10, deadline=None)
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
@example(date(2024, 2, 29))
@example(date(2025, 2, 28))
def test_a_customer_billed_at_every_month_end_has_12_orders_at_a_month_end(as_of: date) -> None:
    month_end = date(as_of.year + as_of.month // 12, as_of.month % 12 + 1, 1) - timedelta(days=1)
    row = facts(lines(_monthly("end", None)), month_end)["end"]
    assert (row["orders"], row["revenue_12m"], row["growth"]) == (12, 1200.0, 0.0), month_end


def test_leap_year_monthly_customer_by_hand() -> None:
    # As of 29 February 2024: the last 12 months are (28 Feb 2023, 29 Feb 2024], holding
    # the invoices of 1 March 2023 … 1 February 2024 (12); the year before is
    # (28 Feb 2022, 28 Feb 2023], holding 1 March 2022 … 1 February 2023 (12).
    # 365 days would have started the window on 1 March 2023 itself and left out its invoice.
    row = facts(lines(_monthly("first", 1)), date(2024, 2, 29))["first"]
    assert row["orders"] == 12
    assert row["revenue_12m"] == 1200.0 and row["revenue_prev_12m"] == 1200.0
    assert row["growth"] == 0.0
    assert row["recency_days"] == 28  # 1 → 29 February


def test_a_credit_note_lowers_revenue_but_is_no_order() -> None:
    # As of 2026-06-30: invoices INV-1 (1000, 2026-03-10) and INV-2 (500, 2026-05-04); a
    # credit note CN-1 of −200 on 2026-06-20 (a return from INV-1), and a credit repeating
    # INV-2's id, −50 on 2026-06-25; a credit on a day without an invoice id, −30 on 06-28.
    table = lines(
        [
            ("A", "INV-1", date(2026, 3, 10), "1000"),
            ("A", "INV-2", date(2026, 5, 4), "500"),
            ("A", "CN-1", date(2026, 6, 20), "-200"),
            ("A", "INV-2", date(2026, 6, 25), "-50"),
            ("A", None, date(2026, 6, 28), "-30"),
        ]
    )
    row = facts(table, date(2026, 6, 30))["A"]
    assert row["revenue_12m"] == 1220.0  # 1000 + 500 − 200 − 50 − 30
    assert row["orders"] == 2  # INV-1 and INV-2; the credits make none
    assert row["recency_days"] == 57  # from 2026-05-04, the last sale: 27 + 30 days
    # a credit only account: revenue below 0, no orders, no recency
    only = facts(lines([("B", "CN-9", date(2026, 6, 1), "-10")]), date(2026, 6, 30))["B"]
    assert only["revenue_12m"] == -10.0 and only["orders"] == 0
    assert only["recency_days"] is None
    assert only["growth"] is None or math.isnan(only["growth"])


def test_the_economics_years_are_the_facts_years() -> None:
    from kam.economics.lines import periods_for

    # as of 29 February 2024: 1 March 2023 … 29 February 2024, then 1 March 2022 … 28 Feb 2023
    latest, before = periods_for(as_of=date(2024, 2, 29), first_day=date(2020, 1, 1))[-1:-3:-1]
    assert (latest.start, latest.end) == (date(2023, 3, 1), date(2024, 2, 29))
    assert (before.start, before.end) == (date(2022, 3, 1), date(2023, 2, 28))
