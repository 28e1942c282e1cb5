"""Reading the invoice lines of the transaction store per account and period (DuckDB).

The lines stay in the store's Parquet files (``kam.facts.store``); only one row per account
and period comes back: revenue, cost of goods, and the amount-weighted days from invoice to
payment of the paid lines. Periods are the facts' years (``kam.facts.definitions``): period
``k`` (0 = the latest) holds the lines dated in (D − 12·(k+1) months, D − 12·k months] for
the as-of date D, in calendar months (``months_before``), so the latest period's revenue is
the facts' ``revenue_12m`` and the one before is ``revenue_prev_12m``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kam.facts.checking import connect
from kam.facts.definitions import months_before
from kam.facts.store import TransactionStore
from kam.imports.limits import sql_plausible_lines
from kam.imports.sql import sql_string
from kam.web import formats

#: Months in a period: a year, counted in calendar months as the facts count it.
MONTHS_PER_PERIOD = 12
#: The most periods (years) the pages show.
MAX_PERIODS = 5


def store_get() -> TransactionStore:
    """The installation's transaction store: ``KAM_TRANSACTIONS_ROOT`` when set (tests), else
    ``<KAM_DATA_DIR>/transactions``."""
    root = getattr(settings, "KAM_TRANSACTIONS_ROOT", None)
    return TransactionStore(Path(root) if root else Path(settings.DATA_DIR) / "transactions")


@dataclass(frozen=True)
class Period:
    """One year of the P&L: ``index`` 0 is the 12 months to the as-of date, −1 the year
    before, …; ``start`` and ``end`` both count; ``complete`` is false when the store's
    lines begin inside it (its numbers cover only part of the year)."""

    index: int
    start: dt.date
    end: dt.date
    complete: bool

    @property
    def label(self) -> str:
        """ "Dec 2025 – Nov 2026" (the months it spans, in the active language)."""
        return f"{formats.month(self.start)} – {formats.month(self.end)}"

    @property
    def short_label(self) -> str:
        """The year the period ends in, marked when it is the latest (the 12 months to date)."""
        if self.index == 0:
            return _("12 months to %(date)s") % {"date": formats.month(self.end)}
        return _("year to %(date)s") % {"date": formats.month(self.end)}

    def holds(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def periods_for(*, as_of: dt.date, first_day: dt.date | None) -> list[Period]:
    """The periods from the first with lines to the latest, oldest first, at most
    ``MAX_PERIODS``; only the latest when there are no lines at all."""
    out = []
    for k in range(MAX_PERIODS):
        end = months_before(as_of, MONTHS_PER_PERIOD * k)
        start = months_before(as_of, MONTHS_PER_PERIOD * (k + 1)) + dt.timedelta(days=1)
        if k > 0 and (first_day is None or end < first_day):
            break
        out.append(
            Period(index=-k, start=start, end=end, complete=first_day is None or start >= first_day)
        )
    return out[::-1]


@dataclass(frozen=True)
class LineTotals:
    """One account's invoice lines in one period (the account's currency)."""

    revenue: float
    cost_of_goods: float
    paid_amount: float
    paid_amount_days: float

    @property
    def payment_days(self) -> float:
        """Amount-weighted mean days from invoice to payment of the paid lines (0 without)."""
        return self.paid_amount_days / self.paid_amount if self.paid_amount > 0 else 0.0


@dataclass(frozen=True)
class StoreTotals:
    """What the store holds for some accounts: totals per (external id, period index), each
    account's currency, and the first invoice date of all lines (None: no lines)."""

    totals: dict[tuple[str, int], LineTotals]
    currency: dict[str, str]
    first_day: dt.date | None


def first_line_day(store: TransactionStore, *, con: Any = None) -> dt.date | None:
    """The earliest invoice date in the store (None when it holds no lines); on the DuckDB
    connection ``con`` when given (left open), else on a connection of its own."""
    files = store.line_files()
    if not files:
        return None
    own = con is None
    if own:
        con = connect()
    try:
        row = con.execute(f"SELECT min(invoice_date) FROM {_lines(files)}").fetchone()
    finally:
        if own:
            con.close()
    return row[0] if row and row[0] is not None else None


def _file_list(files: Iterable[Path]) -> str:
    return "[" + ", ".join(sql_string(str(f)) for f in files) + "]"


def _lines(files: Iterable[Path]) -> str:
    """The stored lines with a plausible invoice date (``kam.imports.limits``)."""
    return sql_plausible_lines(f"read_parquet({_file_list(files)})")


def store_totals(
    *, store: TransactionStore, as_of: dt.date, external_ids: Iterable[str] | None = None
) -> StoreTotals:
    """Revenue, cost of goods and payment days per account and period up to ``as_of`` (one
    DuckDB query over the Parquet files; ``external_ids`` limits the accounts)."""
    files = store.line_files()
    if not files:
        return StoreTotals({}, {}, None)
    first = first_line_day(store)
    periods = periods_for(as_of=as_of, first_day=first)
    cases = " ".join(
        f"WHEN invoice_date BETWEEN DATE '{p.start.isoformat()}' AND DATE '{p.end.isoformat()}' "
        f"THEN {p.index}"
        for p in periods
    )
    where = (
        f"invoice_date BETWEEN DATE '{periods[0].start.isoformat()}' AND DATE '{as_of.isoformat()}'"
    )
    if external_ids is not None:
        ids = sorted(set(external_ids))
        if not ids:
            return StoreTotals({}, {}, first)
        where += " AND account_external_id IN (" + ", ".join(sql_string(i) for i in ids) + ")"
    sql = f"""
        SELECT account_external_id, any_value(currency), CASE {cases} END AS period,
            CAST(sum(amount) AS DOUBLE),
            CAST(sum(coalesce(cost, 0)) AS DOUBLE),
            CAST(coalesce(sum(amount) FILTER (WHERE paid_date IS NOT NULL), 0) AS DOUBLE),
            CAST(coalesce(sum(amount * date_diff('day', invoice_date, paid_date))
                FILTER (WHERE paid_date IS NOT NULL), 0) AS DOUBLE)
        FROM {_lines(files)}
        WHERE {where}
        GROUP BY account_external_id, period
    """
    con = connect()
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    totals: dict[tuple[str, int], LineTotals] = {}
    currency: dict[str, str] = {}
    for external_id, cur, period, revenue, cost, paid, paid_days in rows:
        totals[(external_id, int(period))] = LineTotals(revenue, cost, paid, paid_days)
        currency[external_id] = cur
    return StoreTotals(totals, currency, first)


# --- stored totals --------------------------------------------------------------------------


def store_fingerprint(store: TransactionStore) -> str:
    """A digest of the store's line files (names, sizes, modification times): it changes
    whenever lines are imported, replaced or removed (no line is read)."""
    digest = hashlib.sha256()
    for path in sorted(store.line_files()):
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _totals_rows(totals: StoreTotals) -> list[list[object]]:
    return [
        [
            external_id,
            period,
            totals.currency[external_id],
            t.revenue,
            t.cost_of_goods,
            t.paid_amount,
            t.paid_amount_days,
        ]
        for (external_id, period), t in sorted(totals.totals.items())
    ]


def _totals_from_rows(
    rows: list[list[Any]], first_day: dt.date | None, external_ids: Iterable[str] | None
) -> StoreTotals:
    wanted = None if external_ids is None else set(external_ids)
    totals: dict[tuple[str, int], LineTotals] = {}
    currency: dict[str, str] = {}
    for external_id, period, cur, revenue, cost, paid, paid_days in rows:
        if wanted is not None and external_id not in wanted:
            continue
        totals[(external_id, int(period))] = LineTotals(revenue, cost, paid, paid_days)
        currency[external_id] = cur
    return StoreTotals(totals, currency, first_day)


def store_totals_stored(
    *, store: TransactionStore, as_of: dt.date, external_ids: Iterable[str] | None = None
) -> StoreTotals:
    """``store_totals`` as stored for this version of the store and ``as_of`` (one query,
    no line read) by ``line_totals_store``; computed from the lines when none is stored
    (the same figures, the slower way)."""
    from kam.economics.models import LineTotalsStored

    if not store.line_files():
        return StoreTotals({}, {}, None)
    row = (
        LineTotalsStored.objects.filter(fingerprint=store_fingerprint(store), as_of=as_of)
        .only("first_day", "rows")
        .first()
    )
    if row is None:
        return store_totals(store=store, as_of=as_of, external_ids=external_ids)
    return _totals_from_rows(row.rows, row.first_day, external_ids)


def line_totals_store(*, as_of: dt.date, store: TransactionStore | None = None) -> int:
    """Sum the lines of every account per period at ``as_of`` once and store them for this
    version of the store (``LineTotalsStored``); rows of other versions, and of days before
    ``as_of``, go. The number of (account, period) rows stored."""
    from kam.economics.models import LineTotalsStored

    store = store or store_get()
    fingerprint = store_fingerprint(store)
    totals = store_totals(store=store, as_of=as_of)
    LineTotalsStored.objects.update_or_create(
        fingerprint=fingerprint,
        as_of=as_of,
        defaults={"first_day": totals.first_day, "rows": _totals_rows(totals)},
    )
    LineTotalsStored.objects.exclude(fingerprint=fingerprint).delete()
    LineTotalsStored.objects.filter(as_of__lt=as_of).delete()
    return len(totals.totals)
