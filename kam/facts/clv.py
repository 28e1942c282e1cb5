"""Predicted future value from a transactions table (kam-method.md section 6).

A transactions file (CSV or Parquet) has one row per order line with at least the columns
``account``, ``date`` (``YYYY-MM-DD``, a time after it is ignored) and ``amount`` (a number,
negative for credits); other columns are ignored. :func:`transaction_problems` checks it,
:func:`purchase_summary` turns it into the per-account calibration summary of
:class:`kam.core.clv.PurchaseSummary` with DuckDB (the rows never become Python objects), and
:func:`clv_from_transactions` fits BG/NBD and Gamma-Gamma on it and predicts each account's
purchases and value; :func:`clv_from_lines` does the same on invoice lines already in
Parquet (the transaction store of :mod:`kam.facts.store`).

The summary follows the literature's conventions (see :mod:`kam.core.clv`): all lines of an
account on one day are one purchase, whatever their amount; only days up to and including
the calibration end count; ``frequency`` is the number of purchase days after the first,
``recency_weeks`` the weeks from the first to the last purchase day, ``age_weeks`` the weeks
from the first purchase day to the calibration end; the spend is the mean value of the repeat
purchase days whose value is positive. Accounts whose first purchase lies after the
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

from kam.core.clv import ClvModel, ClvPrediction, PurchaseSummary, clv_fit, clv_predict
from kam.facts.i18n import _

COLUMNS = ("account", "date", "amount")
MAX_PROBLEMS = 100
"""Stop listing problems after this many (a file with a systematic error has one per row)."""

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ].*)?$")


def _format(path: Path) -> str:
    return "parquet" if path.suffix.lower() in {".parquet", ".pq"} else "csv"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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

    def relation_sql(self) -> str:
        """A DuckDB ``SELECT`` of (account VARCHAR, day DATE, amount DOUBLE) over the file.

        A CSV is read with the dialect the check used (comma, double quotes, no sniffing, no
        comment lines; extra fields on a row are ignored) and rows without an account, which
        the check accepts only when the whole row is blank, are skipped."""
        path = _sql_string(str(self.path))
        if self.format == "parquet":
            source = f"read_parquet({path})"
            account, date, amount = (_identifier(c) for c in COLUMNS)
        else:
            names = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(self.width))
            source = (
                f"read_csv({path}, auto_detect = false, header = true, columns = {{{names}}}, "
                "delim = ',', quote = '\"', escape = '\"', strict_mode = false, "
                "null_padding = true, parallel = false)"
            )
            account, date, amount = (f"c{self.positions[c]}" for c in COLUMNS)
        return (
            f"SELECT trim(CAST({account} AS VARCHAR)) AS account, "
            f"CAST(substr(trim(CAST({date} AS VARCHAR)), 1, 10) AS DATE) AS day, "
            f"CAST({amount} AS DOUBLE) AS amount FROM {source} "
            f"WHERE nullif(trim(CAST({account} AS VARCHAR)), '') IS NOT NULL"
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
    """Why ``value`` cannot be the ``field`` of a transaction (None when it can)."""
    if field == "account":
        return None if value else _("the account is empty")
    if field == "date":
        match = _DATE.match(value)
        try:
            if match is None:
                raise ValueError
            dt.date.fromisoformat(match.group(1))
        except ValueError:
            return _("'%(value)s' is not a date (YYYY-MM-DD)") % {"value": value}
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        return _("'%(value)s' is not a number") % {"value": value}
    return None


def _csv_records(path: Path, name: str, problems: list[str]) -> Iterator[list[str]]:
    """The file's CSV records, streaming; a file or encoding error ends it with a problem."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield from csv.reader(handle)
    except FileNotFoundError:
        problems.append(_("%(file)s: the file does not exist") % {"file": name})
    except IsADirectoryError:
        problems.append(_("%(file)s: this is a folder, not a file") % {"file": name})
    except UnicodeDecodeError:
        problems.append(_("%(file)s: the file is not UTF-8 text") % {"file": name})
    except OSError as exc:
        problems.append(
            _("%(file)s: the file cannot be read (%(reason)s)")
            % {"file": name, "reason": exc.strerror or exc}
        )


def _missing_columns(name: str, header: list[str]) -> list[str]:
    present = {h.strip() for h in header}
    return [
        _("%(file)s: row 1, field %(field)s: the column is missing; the file needs %(header)s")
        % {"file": name, "field": c, "header": ",".join(COLUMNS)}
        for c in COLUMNS
        if c not in present
    ]


def _check_csv(path: Path, name: str) -> TransactionsFile:
    from kam.classify_cli import csv_rows  # the project's one CSV row reader

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
    column = {h.strip(): i for i, h in reversed(list(enumerate(header))) if h.strip() in COLUMNS}
    rows = 0
    for row_number, cells in csv_rows(
        records, name=name, header=header, column=column, columns=COLUMNS, problems=problems
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
    return TransactionsFile(path, "csv", {c: column[c] for c in COLUMNS}, len(header))


def _check_parquet(
    path: Path, name: str, connection: duckdb.DuckDBPyConnection
) -> TransactionsFile:
    if not path.exists():
        raise TransactionProblems([_("%(file)s: the file does not exist") % {"file": name}])
    source = f"read_parquet({_sql_string(str(path))}, file_row_number = true)"
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
    checks = {
        "account": "nullif(trim(CAST(account AS VARCHAR)), '') IS NULL",
        "date": "TRY_CAST(substr(trim(CAST(date AS VARCHAR)), 1, 10) AS DATE) IS NULL",
        "amount": "TRY_CAST(amount AS DOUBLE) IS NULL OR NOT isfinite(TRY_CAST(amount AS DOUBLE))",
    }
    problems: list[str] = []
    for field, condition in checks.items():
        bad = connection.execute(
            f"SELECT file_row_number + 1, CAST({_identifier(field)} AS VARCHAR) FROM {source} "
            f"WHERE {condition} ORDER BY file_row_number LIMIT {MAX_PROBLEMS}"
        ).fetchall()
        for row, value in bad:
            reason = _cell_problem(field, "" if value is None else str(value))
            problems.append(
                _problem(
                    name, row, field, reason or _("'%(value)s' is not valid") % {"value": value}
                )
            )
    if not problems:
        (count,) = connection.execute(f"SELECT count(*) FROM {source}").fetchone() or (0,)
        if count == 0:
            problems.append(_("%(file)s: no transactions") % {"file": name})
    if problems:
        raise TransactionProblems(problems[:MAX_PROBLEMS])
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


def summary_sql(relation: str, calibration_end: dt.date) -> str:
    """DuckDB SQL of the per-account summary over ``relation`` (account, day, amount)."""
    end = f"DATE {_sql_string(calibration_end.isoformat())}"
    return f"""
        WITH days AS (
            SELECT account, day, sum(amount) AS value
            FROM ({relation}) AS t
            WHERE day <= {end}
            GROUP BY account, day
        ),
        bounds AS (
            SELECT account, min(day) AS first_day, max(day) AS last_day, count(*) AS days
            FROM days GROUP BY account
        )
        SELECT
            b.account,
            b.days - 1 AS frequency,
            date_diff('day', b.first_day, b.last_day) / 7.0 AS recency_weeks,
            date_diff('day', b.first_day, {end}) / 7.0 AS age_weeks,
            count(*) FILTER (WHERE d.day > b.first_day AND d.value > 0) AS spend_count,
            coalesce(avg(d.value) FILTER (WHERE d.day > b.first_day AND d.value > 0), 0)
                AS mean_spend
        FROM bounds AS b JOIN days AS d USING (account)
        GROUP BY b.account, b.days, b.first_day, b.last_day
        ORDER BY b.account
    """


def summary_of_relation(
    relation: str, *, calibration_end: dt.date, connection: duckdb.DuckDBPyConnection
) -> tuple[PurchaseSummary, int]:
    """The calibration summary of any DuckDB ``SELECT`` yielding (account VARCHAR, day DATE,
    amount DOUBLE), and the number of accounts left out because their first purchase lies
    after ``calibration_end``."""
    columns: dict[str, Any] = connection.execute(
        summary_sql(relation, calibration_end)
    ).fetchnumpy()
    (later,) = connection.execute(
        f"SELECT count(*) FROM (SELECT account FROM ({relation}) AS t GROUP BY account "
        f"HAVING min(day) > DATE {_sql_string(calibration_end.isoformat())})"
    ).fetchone() or (0,)
    summary = PurchaseSummary.of(
        accounts=[str(a) for a in columns["account"]],
        frequency=np.asarray(columns["frequency"], dtype=np.float64),
        recency_weeks=np.asarray(columns["recency_weeks"], dtype=np.float64),
        age_weeks=np.asarray(columns["age_weeks"], dtype=np.float64),
        spend_count=np.asarray(columns["spend_count"], dtype=np.float64),
        mean_spend=np.asarray(columns["mean_spend"], dtype=np.float64),
    )
    return summary, int(later)


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
    how many accounts first bought after the calibration end (left out)."""

    summary: PurchaseSummary
    model: ClvModel
    prediction: ClvPrediction
    later_accounts: int


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
    model = clv_fit(summary)
    prediction = clv_predict(
        model.bgnbd,
        model.gamma_gamma,
        summary,
        horizon_weeks=horizon_weeks,
        annual_discount_rate=annual_discount_rate,
        margin=margin,
    )
    return ClvReport(summary=summary, model=model, prediction=prediction, later_accounts=later)


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
    the data cannot identify a model."""
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
        f"FROM read_parquet({_sql_string(lines)}, union_by_name = true) "
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
