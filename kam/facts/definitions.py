"""The account facts, defined once as Ibis expressions (docs/method.md sections 1 and 6).

``account_facts(lines, as_of=D)`` builds one expression; whichever Ibis backend holds
``lines`` runs it where the lines are: DuckDB in-process by default (``kam.facts.compute``),
Spark, BigQuery or Snowflake by connecting Ibis to them (docs/facts.md). The raw lines never
move; only one row per account comes back.

``lines`` needs the store's columns (``kam.facts.store.LINE_COLUMNS``): at least
``account_external_id`` (string), ``invoice_id`` (string, may be null), ``invoice_date``
(date), ``amount`` and ``cost`` (decimal or float; cost may be null), ``due_date`` and
``paid_date`` (dates, may be null) and ``currency`` (string).

At the as-of date D, over the lines dated on or before D (later lines are ignored), per
account. **The last 12 months** are (D − 12 months, D], counted in calendar months as a
finance department does: D − 12 months is the same day of the month a year earlier (a
year before 15 March 2026 is 15 March 2025); when that month is shorter, its last day (a
year before 29 February 2024 is 28 February 2023); when D is the last day of its month, the
last day of that month a year earlier (a year before 28 February 2025 is 29 February 2024).
The year before is (D − 24 months, D − 12 months], by the same rule. So a customer billed
on the same day of every month (any day up to the 28th, the 1st for instance) has exactly
12 invoices in each window at every as-of date, leap years included (``months_before``).
A customer billed on the last day of each month has 12 as well, except at 28 February of a
leap year: that February's invoice is still to come, and the one of a year before, on
28 February, is exactly a year old.

A line with a negative amount is a **credit** (a credit note or a return); every other line,
0 included, is a **sale**. Credits lower revenue (and cost), but are no orders and no
purchases.

- ``revenue_12m``: Σ amount of the lines of the last 12 months, credits included; 0 when none.
- ``revenue_prev_12m``: Σ amount of the lines of the year before; 0 when none.
- ``growth``: revenue_12m / revenue_prev_12m − 1; null when revenue_prev_12m is 0.
- ``gross_margin_pct``: 100 · (Σ amount − Σ cost) / Σ amount over the last 12 months; null
  when that revenue is 0 or when a line of those months has no cost.
- ``orders``: the orders of the last 12 months: distinct invoice ids among the sale lines of
  those months, plus, for sale lines without an invoice id, distinct invoice dates (one order
  per day). A credit note is no order, whether it has its own invoice id or repeats the id of
  the invoice it corrects (that invoice counts once, by its sale lines).
- ``recency_days``: D − the latest invoice date of a sale line, in days; null when there is
  none.
- ``mean_days_late``: over the lines due in the last 12 months with a positive amount,
  max(0, min(paid date, D) − due date) in days (an unpaid line runs late until D; a
  payment after D was still open at D), weighted by amount: an invoice weighs its amount.
  Null when no line was due.
- ``available_spend``: the account's yearly spend in our category that we could win
  (entered or imported; null when unknown).
- ``share_of_wallet``: revenue_12m / available_spend, a fraction (0.25 = a quarter); null
  when the spend is unknown or 0.

Amounts are in the account's own currency, as imported (an import keeps one currency per
account); kam does not convert currencies, so ``currency`` comes with every row.
"""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Ibis is imported where an expression is built: kam's own run on DuckDB
    # uses the SQL compiled from it (``kam.facts.compiled``) and needs no Ibis
    import ibis.expr.types as ir

#: The fact columns, in output order.
FACT_COLUMNS: tuple[str, ...] = (
    "account_external_id",
    "currency",
    "revenue_12m",
    "revenue_prev_12m",
    "growth",
    "gross_margin_pct",
    "orders",
    "recency_days",
    "mean_days_late",
    "available_spend",
    "share_of_wallet",
)
#: Months in the facts' year: the windows are counted in calendar months.
YEAR_MONTHS = 12


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def months_before(day: date, months: int) -> date:
    """``day`` − ``months`` calendar months: the same day of the month, or the last day of the
    earlier month when that month is shorter or when ``day`` is the last day of its month.

    >>> months_before(date(2026, 3, 15), 12), months_before(date(2024, 2, 29), 12)
    (datetime.date(2025, 3, 15), datetime.date(2023, 2, 28))
    >>> months_before(date(2025, 2, 28), 12), months_before(date(2026, 4, 30), 2)
    (datetime.date(2024, 2, 29), datetime.date(2026, 2, 28))
    """
    if months < 0:
        raise ValueError("months must be 0 or more")
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    end = _month_end(year, month + 1)
    if day == _month_end(day.year, day.month) or day.day > end.day:
        return end
    return date(year, month + 1, day.day)


def _zero_if_null(value: Any) -> Any:
    return value.fill_null(0.0)


def account_facts(
    lines: ir.Table, *, as_of: date, available_spend: ir.Table | None = None
) -> ir.Table:
    """One row per account with a line dated on or before ``as_of``: the facts above.

    ``available_spend``, when given, has ``account_external_id`` and ``available_spend``
    (one row per account; the same backend as ``lines``). Rows are ordered by account.
    """
    import ibis

    return account_facts_between(
        lines,
        as_of=ibis.literal(as_of, type="date"),
        year_ago=ibis.literal(months_before(as_of, YEAR_MONTHS), type="date"),
        two_years_ago=ibis.literal(months_before(as_of, 2 * YEAR_MONTHS), type="date"),
        available_spend=available_spend,
    )


def account_facts_between(
    lines: ir.Table,
    *,
    as_of: ir.DateValue,
    year_ago: ir.DateValue,
    two_years_ago: ir.DateValue,
    available_spend: ir.Table | None = None,
) -> ir.Table:
    """``account_facts`` with its three dates given as Ibis date values: the as-of date D,
    D − 12 months and D − 24 months (``months_before``). ``compiled_sql`` compiles it with
    placeholders for them."""
    import ibis

    d = as_of

    t = lines.filter(lines.invoice_date <= d)
    amount = t.amount.cast("float64")
    in_year = t.invoice_date > year_ago
    in_prev_year = (t.invoice_date > two_years_ago) & (t.invoice_date <= year_ago)
    due_in_year = (
        t.due_date.notnull() & (t.due_date > year_ago) & (t.due_date <= d) & (t.amount > 0)
    )
    settled = ibis.least(t.paid_date.fill_null(d), d)
    days_late = ibis.greatest(settled.delta(t.due_date, unit="day"), 0).cast("float64")

    per_account = t.group_by("account_external_id").aggregate(
        currency=t.currency.max(),
        revenue_12m=t.amount.sum(where=in_year),
        revenue_prev_12m=t.amount.sum(where=in_prev_year),
        cost_12m=t.cost.sum(where=in_year),
        lines_12m=in_year.cast("int64").sum(),
        costless_12m=(in_year & t.cost.isnull()).cast("int64").sum(),
        last_purchase=t.invoice_date.max(where=t.amount >= 0),
        late_weighted=(days_late * amount).sum(where=due_in_year),
        late_weight=amount.sum(where=due_in_year),
    )
    # Orders: distinct (invoice id, or the day for lines without one) per account. Counted
    # from a DISTINCT of the year's keys rather than COUNT(DISTINCT) inside the aggregate
    # above: a plain DISTINCT and GROUP BY are partitioned and can spill, which keeps
    # tens of millions of invoices within the memory limit.
    # a credit (negative amount) is no order: only the sale lines make orders
    year_lines = t.filter(in_year & (t.amount >= 0))
    keys = year_lines.select(
        "account_external_id",
        "invoice_id",
        idless_day=ibis.ifelse(
            year_lines.invoice_id.isnull(), year_lines.invoice_date, ibis.null("date")
        ),
    ).distinct()
    orders = keys.group_by("account_external_id").aggregate(orders_12m=keys.count())
    per_account = per_account.left_join(orders, "account_external_id").select(
        per_account, orders.orders_12m
    )
    if available_spend is not None:
        spend = available_spend.select(
            "account_external_id",
            available_spend=available_spend.available_spend.cast("float64"),
        )
        per_account = per_account.left_join(spend, "account_external_id").select(
            per_account, spend.available_spend
        )
    else:
        per_account = per_account.mutate(available_spend=ibis.null("float64"))

    p = per_account
    revenue = _zero_if_null(p.revenue_12m.cast("float64"))
    previous = _zero_if_null(p.revenue_prev_12m.cast("float64"))
    cost_12m = p.cost_12m.cast("float64")
    margin_known = (revenue != 0) & (p.costless_12m == 0) & (p.lines_12m > 0)
    return p.select(
        account_external_id=p.account_external_id,
        currency=p.currency,
        revenue_12m=revenue,
        revenue_prev_12m=previous,
        growth=ibis.ifelse(previous != 0, revenue / previous - 1, ibis.null("float64")),
        gross_margin_pct=ibis.ifelse(
            margin_known, 100.0 * (revenue - cost_12m) / revenue, ibis.null("float64")
        ),
        orders=p.orders_12m.fill_null(0).cast("int64"),
        recency_days=d.delta(p.last_purchase, unit="day").cast("int64"),
        mean_days_late=ibis.ifelse(
            p.late_weight > 0, p.late_weighted / p.late_weight, ibis.null("float64")
        ),
        available_spend=p.available_spend,
        share_of_wallet=ibis.ifelse(
            p.available_spend > 0, revenue / p.available_spend, ibis.null("float64")
        ),
    ).order_by("account_external_id")


#: The placeholders of ``compiled_sql`` and the dates that stand for them while compiling
#: (dates no invoice line can have: the store keeps only plausible years, see
#: ``kam.imports.limits``).
PLACEHOLDER_DATES: dict[str, date] = {
    "$as_of": date(1001, 1, 1),
    "$year_ago": date(1002, 2, 2),
    "$two_years_ago": date(1003, 3, 3),
}
#: The store's column types (``kam.facts.store.LINE_COLUMNS`` as DuckDB writes them).
LINE_SCHEMA: dict[str, str] = {
    "account_external_id": "string",
    "invoice_id": "string",
    "invoice_date": "date",
    "amount": "decimal(18, 4)",
    "cost": "decimal(18, 4)",
    "due_date": "date",
    "paid_date": "date",
    "currency": "string",
}


def compiled_sql() -> str:
    """``account_facts`` compiled by Ibis to DuckDB SQL over the tables ``kam_lines`` (the
    lines) and ``kam_available_spend`` (``account_external_id``, ``available_spend``), with
    ``$as_of``, ``$year_ago`` and ``$two_years_ago`` where the dates go. kam's own run uses
    this SQL as checked in (``kam.facts.compiled``, regenerated by ``make facts-sql``), so it
    starts without Ibis; a test asserts both are the same."""
    import ibis

    lines = ibis.table(LINE_SCHEMA, name="kam_lines")
    spend = ibis.table(
        {"account_external_id": "string", "available_spend": "decimal(18, 4)"},
        name="kam_available_spend",
    )
    dates = {name: ibis.literal(day, type="date") for name, day in PLACEHOLDER_DATES.items()}
    expr = account_facts_between(
        lines,
        as_of=dates["$as_of"],
        year_ago=dates["$year_ago"],
        two_years_ago=dates["$two_years_ago"],
        available_spend=spend,
    )
    sql = str(ibis.to_sql(expr, dialect="duckdb"))
    for name, day in PLACEHOLDER_DATES.items():
        literal = f"MAKE_DATE({day.year}, {day.month}, {day.day})"
        if literal not in sql:
            raise ValueError(f"{literal} is not in the compiled SQL")
        sql = sql.replace(literal, name)
    return sql


#: The module that holds ``compiled_sql()`` as checked in.
COMPILED_MODULE = Path(__file__).with_name("compiled.py")


def compiled_module_text() -> str:
    """The text of ``kam/facts/compiled.py``: ``FACTS_SQL``, the SQL of ``compiled_sql``."""
    sql = compiled_sql()
    if '"""' in sql or "\\" in sql:
        raise ValueError("the compiled SQL cannot be written as a plain string literal")
    return (
        '"""The account facts as DuckDB SQL, compiled by Ibis from '
        "``kam.facts.definitions.account_facts``.\n\n"
        "Generated by ``make facts-sql`` (``python -m kam.facts.definitions``); do not edit.\n"
        "tests/facts/test_compiled.py asserts that it is what the definitions compile to.\n"
        "``$as_of``, ``$year_ago`` and ``$two_years_ago`` are replaced by dates "
        "(``kam.facts.compute.facts_sql``).\n"
        '"""\n\n'
        "# ruff: noqa: E501\n\n"
        f'FACTS_SQL = """\n{sql}\n"""\n'
    )


if __name__ == "__main__":
    COMPILED_MODULE.write_text(compiled_module_text(), encoding="utf-8")
    print(f"wrote {COMPILED_MODULE}")
