"""Predicted future value from a transactions table (docs/method.md section 6).

A transactions file (CSV or Parquet) has one row per order line with at least the columns
``account``, ``date`` (``YYYY-MM-DD``, a time after it is ignored) and ``amount`` (a number,
negative for credits); other columns are ignored. :func:`transaction_problems` checks it,
:func:`purchase_summary` turns it into the per-account calibration summary of
:class:`kam.core.clv.PurchaseSummary` with DuckDB (the rows never become Python objects), and
:func:`clv_from_transactions` fits BG/NBD and Gamma-Gamma on it and predicts each account's
purchases and value; :func:`clv_from_lines` does the same on invoice lines already in
Parquet (the transaction store of :mod:`kam.facts.store`).

The summary follows the literature's conventions (see :mod:`kam.core.clv`): all lines of an
account on one day are one purchase, whatever their number; a line with a negative amount is
a credit (credit note, return), and a day of credits only is no purchase; only days up to and
including the calibration end count; ``frequency`` is the number of purchase days after the
first, ``recency_weeks`` the weeks from the first to the last purchase day, ``age_weeks`` the
weeks from the first purchase day to the calibration end; the spend is the mean value of the
repeat purchase days whose value is positive. Accounts whose first purchase lies after the
calibration end are not part of the calibration cohort and are left out (counted in
:attr:`ClvReport.later_accounts`).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from kam.core.clv import (
    ClvFitError,
    ClvModel,
    ClvPrediction,
    PurchaseSummary,
    clv_fit,
    clv_predict,
    gettext_noop,
)
from kam.i18n import _
from kam.imports.files import file_error
from kam.imports.limits import (
    ImportLimitError,
    date_plausible,
    date_reason,
    limited_records,
    sql_date_plausible,
)
from kam.imports.sql import sql_identifier, sql_string
from kam.imports.tables import csv_rows

COLUMNS = ("account", "date", "amount")
MAX_PROBLEMS = 100
"""Stop listing problems after this many (a file with a systematic error has one per row)."""

BLANKS = " \t"
"""What is stripped from both ends of a cell (in the check and in DuckDB alike)."""
DATE_PATTERN = r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ].*)?"
NUMBER_PATTERN = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_DATE = re.compile(DATE_PATTERN)
_NUMBER = re.compile(NUMBER_PATTERN)


def _format(path: Path) -> str:
    return "parquet" if path.suffix.lower() in {".parquet", ".pq"} else "csv"


# --- checking the file ----------------------------------------------------------------------


@dataclass(frozen=True)
class TransactionsFile:
    """A checked transactions file: its path, format, the position of each of the three
    columns and the number of columns (CSV: read by position, so names with spaces around
    them or repeated names cannot confuse DuckDB; Parquet: by name)."""

    path: Path
    format: str
    positions: dict[str, int]
    width: int
    padded: bool = True
    """CSV: read blank lines as empty rows with DuckDB's one-thread reader; False when
    DuckDB's own check found no blank or short row, so its parallel reader can be used."""

    def relation_sql(self) -> str:
        """A DuckDB ``SELECT`` of (account VARCHAR, day DATE, amount DOUBLE) over the file.

        A CSV is read in the dialect of the check (see ``padded``); rows without
        an account, which the check accepts only when the whole row is blank, are skipped."""
        if self.format == "parquet":
            source = f"read_parquet({sql_string(str(self.path))})"
            account, date, amount = (f"CAST({sql_identifier(c)} AS VARCHAR)" for c in COLUMNS)
        else:
            source = _csv_source(self.path, self.width, padded=self.padded)
            account, date, amount = (f"c{self.positions[c]}" for c in COLUMNS)
        account, date, amount = (_trimmed(column) for column in (account, date, amount))
        return (
            f"SELECT {account} AS account, CAST(substr({date}, 1, 10) AS DATE) AS day, "
            f"CAST({amount} AS DOUBLE) AS amount FROM {source} "
            f"WHERE coalesce({account}, '') <> ''"
        )


class TransactionProblems(Exception):
    """Everything wrong with a transactions file, one line each (row and field named)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _problem(name: str, row: int, field: str, message: str) -> str:
    return _("%(file)s: row %(row)s, field %(field)s: %(message)s") % {
        "file": name,
        "row": row,
        "field": field,
        "message": message,
    }


def _cell_problem(field: str, value: str) -> str | None:
    """Why ``value`` (stripped of :data:`BLANKS`) cannot be the ``field`` of a transaction
    (None when it can). Dates are ``YYYY-MM-DD`` with an optional time after ``T`` or a space;
    amounts plain decimal numbers (``-12.50``, ``1e3``): exactly what DuckDB then reads."""
    if field == "account":
        return None if value else _("the account is empty")
    if field == "date":
        match = _DATE.fullmatch(value)
        try:
            if match is None:
                raise ValueError
            day = dt.date.fromisoformat(match.group(1))
        except ValueError:
            return _("'%(value)s' is not a date (YYYY-MM-DD)") % {"value": value}
        # the same years as every import of kam (kam.imports.limits)
        return None if date_plausible(day) else date_reason(value)
    if _NUMBER.fullmatch(value) is None or not math.isfinite(float(value)):
        return _("'%(value)s' is not a number") % {"value": value}
    return None


def _csv_records(path: Path, name: str, problems: list[str]) -> Iterator[list[str]]:
    """The file's CSV records, streaming; a file or encoding error ends it with a problem."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from limited_records(csv.reader(handle), rows=False)
    except ImportLimitError as exc:
        problems.append(f"{name}: {exc.message}")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(file_error(exc, name))


def _missing_columns(name: str, header: list[str]) -> list[str]:
    present = {h.strip() for h in header}
    return [
        _("%(file)s: row 1, field %(field)s: the column is missing; the file needs %(header)s")
        % {"file": name, "field": c, "header": ",".join(COLUMNS)}
        for c in COLUMNS
        if c not in present
    ]


def _csv_source(path: Path, width: int, *, padded: bool) -> str:
    """DuckDB's ``read_csv`` of the file in the check's dialect, columns ``c0`` … by position:
    comma, double quotes, no sniffing, no comment lines, extra fields ignored. ``padded``
    reads blank lines as empty rows (only one reader can do that); unpadded, a short row is
    an error."""
    names = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    padding = "null_padding = true, parallel = false" if padded else "null_padding = false"
    return (
        f"read_csv({sql_string(str(path))}, auto_detect = false, header = true, "
        f"columns = {{{names}}}, delim = ',', quote = '\"', escape = '\"', "
        f"strict_mode = false, {padding})"
    )


def _trimmed(column: str) -> str:
    return f"trim({column}, {sql_string(BLANKS)})"


def _valid_sql(columns: dict[str, str]) -> dict[str, str]:
    """Per field, the DuckDB condition that a cell (a VARCHAR expression) is valid: the rules
    of :func:`_cell_problem` (NULL counts as invalid through ``coalesce``)."""
    account, date, amount = (_trimmed(columns[c]) for c in COLUMNS)
    return {
        "account": f"coalesce({account} <> '', false)",
        "date": (
            f"coalesce(regexp_full_match({date}, {sql_string(DATE_PATTERN)}) "
            "AND " + sql_date_plausible(f"TRY_CAST(substr({date}, 1, 10) AS DATE)") + ", false)"
        ),
        "amount": (
            f"coalesce(regexp_full_match({amount}, {sql_string(NUMBER_PATTERN)}) "
            f"AND isfinite(TRY_CAST({amount} AS DOUBLE)), false)"
        ),
    }


def _all_valid_in_duckdb(path: Path, positions: dict[str, int], width: int) -> bool:
    """True when DuckDB finds every row of the file valid by the rules of
    :func:`_cell_problem`, with at least one row. Anything else (a bad cell, a short or blank
    row, a file DuckDB cannot parse) is False, and the caller checks row by row to say where:
    the fast path for good files, the exact report for bad ones."""
    ok = _valid_sql({c: f"c{positions[c]}" for c in COLUMNS})
    valid = f"coalesce({ok['account']} AND {ok['date']} AND {ok['amount']}, false)"
    try:
        row = (
            duckdb.connect()
            .execute(
                f"SELECT count(*), count(*) FILTER (WHERE NOT {valid}) "
                f"FROM {_csv_source(path, width, padded=False)}"
            )
            .fetchone()
        )
    except duckdb.Error:
        return False
    return row is not None and row[0] > 0 and row[1] == 0


def _check_csv(path: Path, name: str) -> TransactionsFile:
    problems: list[str] = []
    records = _csv_records(path, name, problems)
    try:
        header = next(records)
    except StopIteration:
        if not problems:
            problems.append(
                _("%(file)s: row 1: the file is empty; the header is %(header)s")
                % {"file": name, "header": ",".join(COLUMNS)}
            )
        raise TransactionProblems(problems) from None
    except csv.Error as exc:
        raise TransactionProblems(
            [_("%(file)s: row 1: %(reason)s") % {"file": name, "reason": exc}]
        ) from None
    lacking = _missing_columns(name, header)
    if lacking:
        raise TransactionProblems(lacking)
    positions = {h.strip(): i for i, h in reversed(list(enumerate(header))) if h.strip() in COLUMNS}
    checked = TransactionsFile(path, "csv", positions, len(header))
    if _all_valid_in_duckdb(path, positions, len(header)):
        return TransactionsFile(path, "csv", positions, len(header), padded=False)
    rows = 0
    # the rows as ``kam classify`` reads them, cells stripped of BLANKS
    for row_number, cells in csv_rows(
        records,
        name=name,
        header=header,
        column=positions,
        columns=COLUMNS,
        problems=problems,
        blanks=BLANKS,
    ):
        rows += 1
        for field in COLUMNS:
            reason = _cell_problem(field, cells[field])
            if reason is not None:
                problems.append(_problem(name, row_number, field, reason))
        if len(problems) >= MAX_PROBLEMS:
            problems.append(
                _("%(file)s: stopped after %(count)s problems")
                % {"file": name, "count": len(problems)}
            )
            break
    if not problems and rows == 0:
        problems.append(_("%(file)s: no transactions") % {"file": name})
    if problems:
        raise TransactionProblems(problems)
    return checked


def _check_parquet(
    path: Path, name: str, connection: duckdb.DuckDBPyConnection
) -> TransactionsFile:
    if not path.exists():
        raise TransactionProblems([_("%(file)s: the file does not exist") % {"file": name}])
    source = f"read_parquet({sql_string(str(path))}, file_row_number = true)"
    try:
        names = [
            row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        ]
    except duckdb.Error as exc:
        raise TransactionProblems(
            [
                _("%(file)s: the file cannot be read as Parquet (%(reason)s)")
                % {"file": name, "reason": str(exc).splitlines()[0]}
            ]
        ) from None
    lacking = [
        _("%(file)s: field %(field)s: the column is missing; the file needs %(header)s")
        % {"file": name, "field": c, "header": ",".join(COLUMNS)}
        for c in COLUMNS
        if c not in names
    ]
    if lacking:
        raise TransactionProblems(lacking)
    # Parquet rows count from 1 (there is no header row)
    checks = _valid_sql({c: f"CAST({sql_identifier(c)} AS VARCHAR)" for c in COLUMNS})
    found: list[tuple[int, int, str]] = []
    for order, (field, condition) in enumerate(checks.items()):
        bad = connection.execute(
            f"SELECT file_row_number + 1, CAST({sql_identifier(field)} AS VARCHAR) FROM {source} "
            f"WHERE NOT {condition} ORDER BY file_row_number LIMIT {MAX_PROBLEMS}"
        ).fetchall()
        for row, value in bad:
            text = "" if value is None else str(value).strip(BLANKS)
            reason = _cell_problem(field, text) or _("'%(value)s' is not valid") % {"value": text}
            found.append((row, order, _problem(name, row, field, reason)))
    problems = [line for _row, _order, line in sorted(found)][:MAX_PROBLEMS]
    if not problems:
        (count,) = connection.execute(f"SELECT count(*) FROM {source}").fetchone() or (0,)
        if count == 0:
            problems.append(_("%(file)s: no transactions") % {"file": name})
    if problems:
        raise TransactionProblems(problems)
    return TransactionsFile(path, "parquet", {c: names.index(c) for c in COLUMNS}, len(names))


def transaction_problems(
    path: Path, *, name: str | None = None, connection: duckdb.DuckDBPyConnection | None = None
) -> TransactionsFile:
    """Check a transactions file (``.parquet``/``.pq`` is Parquet, anything else CSV).

    Returns the checked file; raises :class:`TransactionProblems` with one line per problem
    naming the file, the row (a CSV's header is row 1; Parquet rows count from 1) and the field,
    at most :data:`MAX_PROBLEMS` of them."""
    label = name or str(path)
    if _format(path) == "parquet":
        return _check_parquet(path, label, connection or duckdb.connect())
    return _check_csv(path, label)


# --- the summary and the models -------------------------------------------------------------


#: Exact money in the summary: amounts are added up as DECIMAL(38, 10), whatever order the
#: lines arrive in (see :func:`summary_sql`).
EXACT_AMOUNT = "DECIMAL(38,10)"


def summary_sql(relation: str, calibration_end: dt.date) -> str:
    """DuckDB SQL of the per-account summary over ``relation`` (account, day, amount), in one
    pass: every account with a purchase day, with its calibration summary, and ``later`` =
    true for an account whose first purchase day lies after ``calibration_end`` (its other
    columns are then NULL).

    A line with a negative amount is a **credit** (a credit note or a return); any other line
    is a sale (0 included: CDNOW, the literature's data, has purchases of $0). A **purchase
    day** is a day with at least one sale line; a credit lowers the value of its day, and a
    day of credits only is no purchase, so it counts neither in ``frequency`` nor in the
    recency. An account that never bought (credits only) is not in the summary.

    The amounts are added up exactly, as DECIMAL(38, 10) (a line's value rounded to 10
    decimals), and only then turned into floating point: a floating-point sum depends on the
    order the lines are read in, which differs between a CSV and a Parquet file of the same
    lines and between DuckDB's threads, and a difference in the last bit of one mean spend
    moved the fitted spend model by 1e-8 (the optimiser stops within its own tolerance of the
    optimum, wherever the input puts it). The positive repeat purchase days are the purchase
    days of positive value up to the end less the first day when that was positive (its value
    found with ``arg_min``), which avoids joining the days back to each account's first
    day."""
    end = f"DATE {sql_string(calibration_end.isoformat())}"
    return f"""
        WITH days AS (
            SELECT account, day, sum(CAST(amount AS {EXACT_AMOUNT})) AS value
            FROM ({relation}) AS t
            GROUP BY account, day
            HAVING bool_or(amount >= 0)
        ),
        accounts AS (
            SELECT
                account,
                min(day) FILTER (WHERE day <= {end}) AS first_day,
                max(day) FILTER (WHERE day <= {end}) AS last_day,
                count(*) FILTER (WHERE day <= {end}) AS days,
                arg_min(value, day) FILTER (WHERE day <= {end}) AS first_value,
                count(*) FILTER (WHERE day <= {end} AND value > 0) AS positive_days,
                sum(value) FILTER (WHERE day <= {end} AND value > 0) AS positive_value
            FROM days
            GROUP BY account
        ),
        repeat AS (
            SELECT
                *,
                positive_days - CASE WHEN first_value > 0 THEN 1 ELSE 0 END AS spend_count,
                positive_value - CASE WHEN first_value > 0 THEN first_value ELSE 0 END
                    AS spend_value
            FROM accounts
        )
        SELECT
            account,
            first_day IS NULL AS later,
            days - 1 AS frequency,
            date_diff('day', first_day, last_day) / 7.0 AS recency_weeks,
            date_diff('day', first_day, {end}) / 7.0 AS age_weeks,
            spend_count,
            CASE WHEN spend_count > 0 THEN CAST(spend_value AS DOUBLE) / spend_count ELSE 0 END
                AS mean_spend
        FROM repeat
        ORDER BY account
    """


def summary_of_relation(
    relation: str, *, calibration_end: dt.date, connection: duckdb.DuckDBPyConnection
) -> tuple[PurchaseSummary, int]:
    """The calibration summary of any DuckDB ``SELECT`` yielding (account VARCHAR, day DATE,
    amount DOUBLE), and the number of accounts left out because their first purchase lies
    after ``calibration_end``. Raises :class:`kam.core.clv.ClvFitError` when an amount or a
    day's total is too large to add up exactly (beyond 10^27)."""
    try:
        columns: dict[str, Any] = connection.execute(
            summary_sql(relation, calibration_end)
        ).fetchnumpy()
    except (duckdb.ConversionException, duckdb.OutOfRangeException):
        raise ClvFitError(
            gettext_noop("an amount or a day's total is too large (more than 10^27)")
        ) from None
    later = np.asarray(columns["later"], dtype=bool)
    cohort = ~later

    def numbers(name: str) -> Any:
        return np.asarray(columns[name][cohort], dtype=np.float64)

    summary = PurchaseSummary.of(
        accounts=[str(a) for a in columns["account"][cohort]],
        frequency=numbers("frequency"),
        recency_weeks=numbers("recency_weeks"),
        age_weeks=numbers("age_weeks"),
        spend_count=numbers("spend_count"),
        mean_spend=numbers("mean_spend"),
    )
    return summary, int(later.sum())


def purchase_summary(
    transactions: TransactionsFile,
    *,
    calibration_end: dt.date,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> tuple[PurchaseSummary, int]:
    """The calibration summary of a checked file and the number of accounts left out because
    their first purchase lies after ``calibration_end``."""
    return summary_of_relation(
        transactions.relation_sql(),
        calibration_end=calibration_end,
        connection=connection or duckdb.connect(),
    )


@dataclass(frozen=True)
class ClvReport:
    """Everything ``kam clv`` shows: the summary, both fitted models, the prediction, and
    how many accounts first bought after the calibration end (left out).

    When only the spend model cannot be fitted, the purchase forecast stands:
    ``model.gamma_gamma`` is None, the prediction's spend and value are NaN and
    ``value_missing`` says why, one reason each (English, marked for translation)."""

    summary: PurchaseSummary
    model: ClvModel
    prediction: ClvPrediction
    later_accounts: int
    value_missing: tuple[str, ...] = ()


def _report(
    relation: str,
    *,
    calibration_end: dt.date,
    horizon_weeks: int,
    annual_discount_rate: float,
    margin: float,
    connection: duckdb.DuckDBPyConnection,
) -> ClvReport:
    summary, later = summary_of_relation(
        relation, calibration_end=calibration_end, connection=connection
    )
    model = clv_fit(summary, spend_required=False)
    prediction = clv_predict(
        model.bgnbd,
        model.gamma_gamma,
        summary,
        horizon_weeks=horizon_weeks,
        annual_discount_rate=annual_discount_rate,
        margin=margin,
    )
    missing = () if model.spend_problem is None else (model.spend_problem,)
    return ClvReport(
        summary=summary,
        model=model,
        prediction=prediction,
        later_accounts=later,
        value_missing=missing,
    )


def clv_from_transactions(
    path: Path,
    *,
    calibration_end: dt.date,
    horizon_weeks: int,
    annual_discount_rate: float = 0.0,
    margin: float = 1.0,
    name: str | None = None,
) -> ClvReport:
    """Check the file, build the summary, fit both models and predict over ``horizon_weeks``
    (see :func:`kam.core.clv.clv_predict` for the discounting and ``margin``). Raises
    :class:`TransactionProblems` for a bad file and :class:`kam.core.clv.ClvFitError` when
    the data cannot identify the purchase model; when only the spend model cannot be
    fitted, the report has the purchases and says why the value is missing."""
    connection = duckdb.connect()
    checked = transaction_problems(path, name=name, connection=connection)
    return _report(
        checked.relation_sql(),
        calibration_end=calibration_end,
        horizon_weeks=horizon_weeks,
        annual_discount_rate=annual_discount_rate,
        margin=margin,
        connection=connection,
    )


def clv_from_lines(
    lines: str,
    *,
    calibration_end: dt.date,
    horizon_weeks: int,
    annual_discount_rate: float = 0.0,
    margin: float = 1.0,
) -> ClvReport:
    """The same report from invoice lines already checked into Parquet, such as the
    transaction store's (``lines`` is a path or glob, e.g. ``TransactionStore.lines_glob()``):
    columns ``account_external_id``, ``invoice_date`` and ``amount``, one currency. Raises
    :class:`kam.core.clv.ClvFitError` when the data cannot identify a model."""
    connection = duckdb.connect()
    relation = (
        "SELECT CAST(account_external_id AS VARCHAR) AS account, "
        "CAST(invoice_date AS DATE) AS day, CAST(amount AS DOUBLE) AS amount "
        f"FROM read_parquet({sql_string(lines)}, union_by_name = true) "
        "WHERE account_external_id IS NOT NULL"
    )
    return _report(
        relation,
        calibration_end=calibration_end,
        horizon_weeks=horizon_weeks,
        annual_discount_rate=annual_discount_rate,
        margin=margin,
        connection=connection,
    )
