"""Reading and checking a transaction file (CSV or Parquet) in DuckDB, row numbers and all.

A file of 50 million invoice lines must never become 50 million Python objects. So the
check is SQL that reads the file once: DuckDB reads it, ``TRY_CAST``s every value to its
type and keeps the typed lines, each with its record number and the list of what is wrong
with it, in a staging table (a temporary DuckDB table, spilled to the connection's
``temp_directory`` beyond its memory limit). The report is then a few small queries on that
table: how many rows are bad, and the first ``max_problems`` of them in file order
(``ORDER BY _row LIMIT n``). Only those few problems reach Python; the good rows go from
the table to wherever they are kept, without reading the file again.

Row numbers follow the spreadsheet: in a CSV file the header is row 1 and the first line
row 2; in a Parquet file (which has no header row) the first record is row 1. A CSV line
that cannot be split into the header's fields (too many or too few, a stray quote, text
that is not UTF-8) is reported with its line number from DuckDB's reject table; the other
rows keep their own numbers around it.
"""

from __future__ import annotations

import bisect
import csv
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb

from kam.i18n import _
from kam.imports.limits import date_reason, limit, sql_date_plausible
from kam.imports.numbers import (
    NUMBER_CODES,
    Convention,
    decide,
    number_reason,
    sql_counts,
    sql_limited,
    sql_normalised,
    sql_number,
    sql_raw_number,
)
from kam.imports.problems import ImportProblem
from kam.imports.sql import sql_identifier as _identifier
from kam.imports.sql import sql_string
from kam.imports.tables import header_name

#: ``progress(phase, fraction)``: the phase's name and how far it is, from 0.0 to 1.0.
Progress = Callable[[str, float], None]

Kind = Literal["text", "date", "decimal", "double", "currency"]

#: Money is kept exactly: four decimals, up to 14 digits before the point.
DECIMAL = "DECIMAL(18,4)"
SQL_TYPE: dict[str, str] = {
    "text": "VARCHAR",
    "date": "DATE",
    "decimal": DECIMAL,
    "double": "DOUBLE",
    "currency": "VARCHAR",
}
#: Structural CSV problems beyond this many are counted but their rows are not mapped.
MAX_REJECTS_MAPPED = 100_000
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Column:
    """One column of an import file.

    ``column_required``: the file must have the column. ``value_required``: when the column
    is there, every row needs a value in it (a blank is a problem).
    """

    name: str
    kind: Kind
    column_required: bool
    value_required: bool


@dataclass(frozen=True)
class CodedProblem:
    """One thing wrong with a file: the row (``None`` for the file as a whole), the column
    (``None`` when it is the whole row) and a code with the offending value.

    ``reason`` is the message in the current language (see ``kam.i18n``).

    Not the ``ImportProblem`` of the other imports (``kam.imports.problems``), whose reason
    is text worded when the problem is found: these come from DuckDB rows
    (``first_problems``) as a code and the offending value, are kept in the import's report
    (``kam.facts.store``) and are worded only when shown, in the language of that moment and
    also without Django (``kam facts``). ``import_problem()`` gives the ``ImportProblem`` of
    one, worded now.
    """

    row: int | None
    column: str | None
    code: str
    value: str | None = None

    @property
    def reason(self) -> str:
        if self.code in NUMBER_CODES:
            return number_reason(self.code, self.value or "")
        if self.code == "implausible_date":
            return date_reason(self.value or "")
        template = _reason_template(self.code)
        return template % {"value": self.value or ""}

    def import_problem(self) -> ImportProblem:
        """This problem as the other imports report theirs, worded in the current language."""
        return ImportProblem(self.row, self.column or "", self.reason)

    def line(self, filename: str) -> str:
        """``bad.csv: row 7, field amount: 'x' is not a number`` (the form of the other
        ``kam`` commands)."""
        if self.row is not None and self.column is not None:
            return _("%(file)s: row %(row)s, field %(field)s: %(message)s") % {
                "file": filename,
                "row": self.row,
                "field": self.column,
                "message": self.reason,
            }
        if self.row is not None:
            return _("%(file)s: row %(row)s: %(reason)s") % {
                "file": filename,
                "row": self.row,
                "reason": self.reason,
            }
        if self.column is not None:
            return _("%(file)s: field %(field)s: %(message)s") % {
                "file": filename,
                "field": self.column,
                "message": self.reason,
            }
        return _("%(file)s: %(reason)s") % {"file": filename, "reason": self.reason}


def _too_many_columns() -> str:
    return _(
        "the header has %(value)s columns; kam reads at most %(max)s (setting "
        "KAM_IMPORT_MAX_COLUMNS)"
    ).replace("%(max)s", f"{limit('KAM_IMPORT_MAX_COLUMNS'):,}")


def _reason_template(code: str) -> str:
    reasons = {
        "empty": _("is empty"),
        "not_a_date": _("'%(value)s' is not a date (YYYY-MM-DD)"),
        "not_a_number": _("'%(value)s' is not a number"),
        "not_a_currency": _("'%(value)s' is not a currency code (three letters, such as EUR)"),
        "negative": _("'%(value)s' is below 0"),
        "missing_column": _("the column is missing"),
        "too_many_columns": _too_many_columns(),
        "duplicate_column": _("the column appears more than once"),
        "other_currency": _(
            "the account's lines are in %(value)s: kam adds up amounts without converting, "
            "so each account keeps one currency"
        ),
        "duplicate_account": _("the account appears again (first on row %(value)s)"),
        "too_few_fields": _("the line has fewer fields than the header"),
        "too_many_fields": _("the line has more fields than the header"),
        "bad_quote": _("a quote is in the wrong place"),
        "not_utf8": _("the line is not UTF-8 text"),
        "bad_line": _("the line cannot be read (%(value)s)"),
        "unreadable": _("the file cannot be read as CSV or Parquet (%(value)s)"),
        "cr_in_header": _(
            "the header line has a carriage return (CR) inside a column name; save the file "
            "again as CSV"
        ),
        "no_rows": _("the file has no rows"),
    }
    return reasons.get(code, code)


@dataclass
class CheckResult:
    """What checking a file found. The typed rows are in the ``staging`` table."""

    rows_read: int = 0
    rows_bad: int = 0
    problems_total: int = 0
    problems: list[CodedProblem] = field(default_factory=list)
    #: the file as a whole was refused (unreadable, a required column missing, no rows)
    file_problem: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    format: str = "csv"
    #: CSV lines DuckDB could not split into the header's fields (not in ``staging``):
    #: the first ``MAX_REJECTS_MAPPED`` of them, and how many there are
    rejects: list[CodedProblem] = field(default_factory=list)
    rejects_total: int = 0
    #: the columns in file-spec order (problems of one row are listed in this order)
    column_order: list[str] = field(default_factory=list)


def connect(*, threads: int | None = None, memory_limit: str | None = None) -> Any:
    """A fresh in-process DuckDB connection with progress tracking on and its own bar off."""
    config: dict[str, Any] = {}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    con = duckdb.connect(config=config)
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return con


def run_with_progress(
    con: Any, sql: str, *, phase: str, progress: Progress | None, fetch: bool = False
) -> Any:
    """Run ``sql`` on ``con``; while it runs, report DuckDB's own progress of the query."""

    def work() -> Any:
        result = con.execute(sql)
        return result.fetchall() if fetch else None

    return polling(con, work, phase=phase, progress=progress)


def polling(con: Any, work: Callable[[], Any], *, phase: str, progress: Progress | None) -> Any:
    """``work()``'s result; while it runs a query on the DuckDB connection ``con``, the
    query's progress is passed to ``progress(phase, fraction)`` five times a second."""
    if progress is None:
        return work()
    progress(phase, 0.0)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    last = 0.0
    while worker.is_alive():
        worker.join(POLL_SECONDS)
        try:
            percent = float(con.query_progress())
        except duckdb.Error:
            percent = -1.0
        if percent >= 0 and percent / 100.0 > last:
            last = min(percent / 100.0, 1.0)
            try:
                progress(phase, last)
            except BaseException:  # a cancel: stop the query before the caller goes on
                con.interrupt()
                worker.join()
                raise
    if "error" in outcome:
        raise outcome["error"]
    progress(phase, 1.0)
    return outcome.get("value")


def file_format(path: Path) -> str:
    """``parquet`` when the file starts with Parquet's magic bytes, else ``csv``."""
    with path.open("rb") as handle:
        return "parquet" if handle.read(4) == b"PAR1" else "csv"


DELIMITERS = (",", ";", "\t", "|")


def csv_header(path: Path) -> tuple[list[str], str]:
    """The header's column names and the delimiter, read from the file's first line.

    The delimiter is the one of ``, ; TAB |`` that the header uses most (spreadsheets in
    Dutch and German save with ``;``). Reading the header ourselves, rather than letting
    DuckDB sniff the file, keeps a file with a few ragged lines readable: those lines are
    then reported, not the whole file.
    """
    with path.open("rb") as handle:
        first = handle.readline(1 << 20)
    text = first.decode("utf-8-sig").rstrip("\r\n")
    if "\r" in text:
        raise HeaderError("cr_in_header")
    delimiter = max(DELIMITERS, key=text.count)
    try:
        names = next(csv.reader([text], delimiter=delimiter)) if text else []
    except csv.Error as exc:
        raise HeaderError("unreadable", str(exc)) from None
    if len(names) > limit("KAM_IMPORT_MAX_COLUMNS"):
        raise HeaderError("too_many_columns", f"{len(names):,}")
    return [header_name(name) for name in names], delimiter


class HeaderError(ValueError):
    """A CSV header line that cannot be read: the problem code and the detail."""

    def __init__(self, code: str, value: str | None = None) -> None:
        super().__init__(code)
        self.code, self.value = code, value


def _source_sql(
    path: Path,
    fmt: str,
    header: Sequence[str] = (),
    delimiter: str = ",",
    *,
    rejects: bool = True,
) -> str:
    if fmt == "parquet":
        return f"read_parquet({sql_string(str(path))}, file_row_number = true)"
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    errors = (
        "store_rejects = true, rejects_table = 'kam_rejects', rejects_scan = 'kam_reject_scans'"
        if rejects
        else "ignore_errors = true"
    )
    return (
        f"read_csv({sql_string(str(path))}, columns = {{{columns}}}, header = true, "
        f"delim = {sql_string(delimiter)}, quote = '\"', escape = '\"', {errors})"
    )


def _header(con: Any, path: Path, fmt: str) -> tuple[list[str], list[str], list[str], str]:
    """The header's names, the names to select them by, their types and the delimiter."""
    if fmt == "parquet":
        rows = con.execute(f"DESCRIBE SELECT * FROM {_source_sql(path, fmt)}").fetchall()
        rows = [row for row in rows if row[0] != "file_row_number"]
        names = [row[0] for row in rows]
        if len(names) > limit("KAM_IMPORT_MAX_COLUMNS"):
            raise HeaderError("too_many_columns", f"{len(names):,}")
        return names, names, [str(row[1]) for row in rows], ","
    names, delimiter = csv_header(path)
    return names, [f"c{i}" for i in range(len(names))], ["VARCHAR"] * len(names), delimiter


def _typed(kind: Kind, text: str) -> str:
    if kind == "date":
        return f"TRY_CAST({text} AS DATE)"
    if kind == "decimal":
        return f"TRY_CAST({text} AS {DECIMAL})"
    if kind == "double":
        return f"TRY_CAST({text} AS DOUBLE)"
    if kind == "currency":
        upper = f"upper(CAST({text} AS VARCHAR))"
        return f"CASE WHEN regexp_full_match({upper}, '[A-Z]{{3}}') THEN {upper} END"
    return f"CAST({text} AS VARCHAR)"


#: A check: (SQL condition that the row has the problem, SQL struct describing it).
Check = tuple[str, str]


def problem_struct(column: str, code: str, value: str = "NULL") -> str:
    """The SQL struct of one problem; ``value`` is SQL (cast to text)."""
    return (
        f"{{'col': {sql_string(column)}, 'code': {sql_string(code)}, "
        f"'value': CAST({value} AS VARCHAR)}}"
    )


def _checks(column: Column, text: str, typed: str) -> list[Check]:
    """The checks of one column of a row: blank when required, and not of its type."""
    checks: list[Check] = []
    if column.value_required:
        checks.append((f"{text} IS NULL", problem_struct(column.name, "empty")))
    if column.kind != "text":
        code = {
            "date": "not_a_date",
            "decimal": "not_a_number",
            "double": "not_a_number",
            "currency": "not_a_currency",
        }[column.kind]
        checks.append(
            (f"({text} IS NOT NULL AND {typed} IS NULL)", problem_struct(column.name, code, text))
        )
    if column.kind == "date":
        # year 0, 9999 or -2026 are dates to DuckDB but not to Python, nor to a reader of
        # the facts: the same years as every other import, checked in SQL (vectorised)
        checks.append(
            (
                f"({typed} IS NOT NULL AND NOT {sql_date_plausible(typed)})",
                problem_struct(column.name, "implausible_date", text),
            )
        )
    return checks


def _problem_list(checks: Sequence[Check]) -> str:
    """SQL: the list of a row's problems, NULL for a row without any. The list is built
    only for the rows that have one: DuckDB evaluates a CASE branch only for the rows that
    take it."""
    any_problem = " OR ".join(condition for condition, _struct in checks) or "false"
    each = ", ".join(f"CASE WHEN {condition} THEN {struct} END" for condition, struct in checks)
    return f"CASE WHEN {any_problem} THEN list_filter([{each}], lambda p: p IS NOT NULL) END"


def stage(
    con: Any,
    *,
    path: Path,
    columns: Sequence[Column],
    staging: str = "kam_staged",
    aliases: dict[str, str] | None = None,
    extra_checks: Callable[[dict[str, str]], list[Check]] | None = None,
    progress: Progress | None = None,
    decimal: Convention | None = None,
) -> CheckResult:
    """Read ``path`` once and keep its typed rows with their problems in the temporary
    table ``staging`` of ``con``.

    Numbers the file stores as text (every number of a CSV file) are read by the rules of
    ``kam.imports.numbers``, in SQL: ``decimal`` is the convention the user gave; without
    it, the file's convention is told by counting, over the rows read, the numbers that read
    only with a decimal point and only with a decimal comma (``decide``).
    Numbers stored as numbers (typed Parquet columns) are taken as they are.

    The staging table has ``_row`` (the row number as described in the module's docstring),
    one typed column per entry of ``columns`` (NULL when the file lacks an optional one)
    and ``problems``, a list of ``{column, code, value}``. Header problems (a missing
    required column) end the check early: nothing is staged and ``file_problem`` is set.
    """
    result = CheckResult()
    try:
        result.format = file_format(path)
        header, selectable, types, delimiter = _header(con, path, result.format)
    except HeaderError as exc:
        result.problems.append(CodedProblem(1, None, exc.code, exc.value))
        result.problems_total = 1
        result.file_problem = True
        return result
    except (duckdb.Error, OSError, UnicodeDecodeError) as exc:
        result.problems.append(CodedProblem(None, None, "unreadable", _first_line(exc)))
        result.problems_total = 1
        result.file_problem = True
        return result
    aliases = aliases or {}
    known = {column.name for column in columns}
    found: dict[str, str] = {}
    header_row = 1 if result.format == "csv" else None
    native: dict[str, str] = {}
    for name, select_as, sql_type in zip(header, selectable, types, strict=True):
        key = name.strip().lower()
        key = aliases.get(key, key)
        if key not in known:
            result.ignored_columns.append(name)
        elif key in found:
            result.problems.append(CodedProblem(header_row, key, "duplicate_column"))
        else:
            found[key] = select_as
            native[key] = sql_type
    for column in columns:
        if column.column_required and column.name not in found:
            result.problems.append(CodedProblem(header_row, column.name, "missing_column"))
    if result.problems:
        result.problems_total = len(result.problems)
        result.file_problem = True
        return result

    text_numbers = [
        c
        for c in columns
        if c.kind in ("decimal", "double") and c.name in found and native[c.name] == "VARCHAR"
    ]
    undecided = bool(text_numbers) and decimal is None
    raw: list[str] = []
    flags: list[str] = []
    flag_names: list[str] = []
    for column in columns:
        if column.name in found:
            source = _identifier(found[column.name])
            # a typed Parquet column is cast directly, without a detour through text
            if column in text_numbers:
                text = f"NULLIF({sql_normalised(source)}, '')"
            elif native[column.name] == "VARCHAR":
                text = f"NULLIF(trim({source}), '')"
            else:
                text = source
        else:
            text = "CAST(NULL AS VARCHAR)"
        raw.append(f"{text} AS t_{column.name}")
        if column in text_numbers:
            number = sql_number(
                f"t_{column.name}",
                None,
                given=False,
                sql_type=SQL_TYPE[column.kind],
                name=column.name,
            )
            flags.extend(f"{sql} AS {alias}" for alias, sql in number.flags.items())
            flag_names.extend(number.flags)
    row = "file_row_number + 1" if result.format == "parquet" else "row_number() OVER () + 1"
    source_sql = _source_sql(path, result.format, header, delimiter)
    read = (
        f"SELECT *{''.join(', ' + f for f in flags)} "
        f"FROM (SELECT {row} AS _row, {', '.join(raw)} FROM {source_sql})"
    )
    # Row numbers of a CSV come from the order rows are read in; a Parquet file numbers its
    # rows itself, so there DuckDB may read and write in any order, in parallel.
    order = "true" if result.format == "csv" else "false"
    con.execute(f"SET preserve_insertion_order = {order}")

    def staging_sql(convention: Convention | None, *, keep_flags: bool) -> str:
        """The staging table from normalised texts, with both patterns on every number
        (``sql_number``): the form that keeps the flags the convention is counted from."""
        readings: list[str] = []
        selects: list[str] = []
        checks: list[Check] = []
        for column in columns:
            t_name = f"t_{column.name}"
            if column in text_numbers:
                number = sql_number(
                    t_name,
                    convention,
                    given=decimal is not None,
                    sql_type=SQL_TYPE[column.kind],
                    name=column.name,
                )
                # only the reading of the convention (both while undecided)
                readings.extend(f"{sql} AS {alias}" for alias, sql in number.readings.items())
                typed = number.typed
                if column.value_required:
                    checks.append((f"{t_name} IS NULL", problem_struct(column.name, "empty")))
                checks.extend(
                    (
                        f"({t_name} IS NOT NULL AND {condition})",
                        problem_struct(column.name, code, t_name),
                    )
                    for condition, code in number.checks
                )
            else:
                typed = _typed(column.kind, t_name)
                if column.name in found:
                    checks.extend(_checks(column, t_name, typed))
            selects.append(f"CAST({typed} AS {SQL_TYPE[column.kind]}) AS {column.name}")
        if keep_flags:
            selects.extend(flag_names)
        if extra_checks is not None:
            checks.extend(extra_checks({c.name: f"t_{c.name}" for c in columns}))
        return (
            f"CREATE OR REPLACE TEMP TABLE {staging} AS "
            f"SELECT _row, {', '.join(selects)}, {_problem_list(checks)} AS problems "
            f"FROM (SELECT *{''.join(', ' + r for r in readings)} FROM ({read}))"
        )

    def known_sql(convention: Convention) -> str:
        """The staging table in a known ``convention`` straight from the raw texts: one
        pattern per number (``sql_raw_number``), dates cast as written; the same rows,
        values and problems as ``staging_sql(convention, keep_flags=False)``."""
        sources: list[str] = []
        fasts: list[str] = []
        readings: list[str] = []
        typeds: list[str] = []
        codes: list[tuple[str, str, str]] = []  # (column, code SQL, text SQL)
        texts: dict[str, str] = {}
        for column in columns:
            name = column.name
            t_name, x_name, y_name = f"t_{name}", f"x_{name}", f"y_{name}"
            sql_type = SQL_TYPE[column.kind]
            empty = "'empty'" if column.value_required else "NULL"
            if column in text_numbers:
                sources.append(f"{_identifier(found[name])} AS {x_name}")
                number = sql_raw_number(
                    x_name,
                    convention,
                    given=decimal is not None,
                    sql_type=sql_type,
                    fast=f"f_{name}",
                    reading=f"v_{name}",
                    typed=y_name,
                    required=column.value_required,
                )
                fasts.append(f"{number.fast} AS f_{name}")
                readings.append(f"{number.reading} AS v_{name}")
                typeds.append(f"{sql_limited(f'v_{name}', sql_type)} AS {y_name}")
                codes.append((name, number.code, number.text))
                texts[name] = f"NULLIF({sql_normalised(x_name)}, '')"
            elif column.kind == "date" and name in found and native[name] == "VARCHAR":
                # DuckDB's cast skips the spaces around a date: the text is trimmed only
                # for the values that do not read (blank, or not a date). Inside a CASE,
                # not a coalesce: DuckDB lifts an expression written twice out of a
                # coalesce (NULLIF names its argument twice) and runs it on every row.
                sources.append(f"{_identifier(found[name])} AS {x_name}")
                text = f"NULLIF(trim({x_name}), '')"
                fasts.append(f"TRY_CAST({x_name} AS DATE) AS d_{name}")
                readings.append(
                    f"CASE WHEN d_{name} IS NOT NULL THEN d_{name} "
                    f"ELSE TRY_CAST({text} AS DATE) END AS {y_name}"
                )
                code = (
                    f"CASE WHEN {y_name} IS NOT NULL THEN (CASE WHEN NOT "
                    f"{sql_date_plausible(y_name)} THEN 'implausible_date' END) "
                    f"WHEN {text} IS NULL THEN {empty} ELSE 'not_a_date' END"
                )
                codes.append((name, code, text))
                texts[name] = text
            else:
                sources.append(raw[columns.index(column)])
                typed = _typed(column.kind, t_name)
                readings.append(f"{typed} AS {y_name}")
                texts[name] = t_name
                if name not in found:
                    continue
                if column.kind == "text":
                    if column.value_required:
                        codes.append((name, f"CASE WHEN {t_name} IS NULL THEN 'empty' END", t_name))
                    continue
                wrong = {
                    "date": "not_a_date",
                    "decimal": "not_a_number",
                    "double": "not_a_number",
                    "currency": "not_a_currency",
                }[column.kind]
                code = f"WHEN {t_name} IS NULL THEN {empty} WHEN {y_name} IS NULL THEN '{wrong}'"
                if column.kind == "date":
                    code += f" WHEN NOT {sql_date_plausible(y_name)} THEN 'implausible_date'"
                codes.append((name, f"CASE {code} END", t_name))
        checks: list[Check] = [
            (
                f"k_{name} IS NOT NULL",
                f"{{'col': {sql_string(name)}, 'code': k_{name}, "
                f"'value': CAST({text} AS VARCHAR)}}",
            )
            for name, _code, text in codes
        ]
        if extra_checks is not None:
            checks.extend(extra_checks(texts))
        selects = [f"CAST(y_{c.name} AS {SQL_TYPE[c.kind]}) AS {c.name}" for c in columns]
        layers = f"SELECT {row} AS _row, {', '.join(sources)} FROM {source_sql}"
        for step in (fasts, readings, typeds, [f"{code} AS k_{n}" for n, code, _t in codes]):
            if step:
                layers = f"SELECT *, {', '.join(step)} FROM ({layers})"
        return (
            f"CREATE OR REPLACE TEMP TABLE {staging} AS "
            f"SELECT _row, {', '.join(selects)}, {_problem_list(checks)} AS problems "
            f"FROM ({layers})"
        )

    def reread(convention: Convention | None, *, keep_flags: bool = False) -> None:
        con.execute("DROP TABLE IF EXISTS kam_rejects")
        con.execute("DROP TABLE IF EXISTS kam_reject_scans")
        sql = (
            known_sql(convention)
            if convention is not None and not keep_flags
            else staging_sql(convention, keep_flags=keep_flags)
        )
        run_with_progress(con, sql, phase="reading", progress=progress)

    def counted(read_in: Convention | None) -> Convention | None:
        """The convention ``decide`` gives over the flags kept in the staging table, read
        in ``read_in``; the flags are dropped when it is that one (the table is kept)."""
        aggregates: list[str] = []
        for column in text_numbers:
            aggregates.extend(sql_counts(f"mp_{column.name}", f"mc_{column.name}"))
        counts = con.execute(f"SELECT {', '.join(aggregates)} FROM {staging}").fetchone()
        assert counts is not None
        decided = decide(sum(counts[0::2]), sum(counts[1::2]))
        if decided == read_in:
            for name in flag_names:
                con.execute(f"ALTER TABLE {staging} DROP COLUMN {name}")
        return decided

    # Without a convention given, the file's convention is told by counting its numbers
    # (``decide``), which needs every row. Rather than keep every value as text until the
    # count is known, the file is read once in the convention its first rows tell (a
    # guess), with one pattern per number. The count is then told from the problems: in
    # the guessed convention C every number that reads only in the other one is a problem
    # ``written_<other>``, and at least as many numbers as the first rows hold read only
    # in C; so while the first are fewer than the latter, ``decide`` gives C and the
    # staging table is exactly what reading in C gives (nearly always: a file keeps one
    # convention). Otherwise the file is read again keeping whether each number reads with
    # a point and with a comma, and counted; if the count disagrees with that reading the
    # file is read once more in the counted convention, so the rows and messages never
    # depend on the guess. When the first rows tell no convention the file is read keeping
    # those flags at once.
    convention = decimal
    first_only: dict[str, int] = {}
    if undecided:
        convention, first_only = _first_rows_convention(
            con,
            raw=raw,
            flags=flags,
            source=_source_sql(path, result.format, header, delimiter, rejects=False),
            text_numbers=text_numbers,
        )
    try:
        if convention is None and undecided:
            run_with_progress(
                con, staging_sql(None, keep_flags=True), phase="reading", progress=progress
            )
            decided = counted(None)
            if decided is not None:
                reread(decided)
        else:
            # without numbers written as text the convention is never used
            reading: Convention = convention or "point"
            run_with_progress(con, known_sql(reading), phase="reading", progress=progress)
            if undecided:
                other: Convention = "comma" if reading == "point" else "point"
                found_other = con.execute(
                    "SELECT count(*) FROM (SELECT unnest(problems) AS p FROM "
                    f"{staging} WHERE problems IS NOT NULL) WHERE p.code = "
                    f"{sql_string('written_' + other)}"
                ).fetchone()
                assert found_other is not None
                if int(found_other[0]) >= first_only[reading]:
                    reread(other, keep_flags=True)
                    decided = counted(other)
                    if decided != other:
                        reread(decided)
    except duckdb.Error as exc:
        return _unreadable(result, exc)

    rejects, rejected = _rejects(con) if result.format == "csv" else ([], 0)
    result.rejects, result.rejects_total = rejects, rejected
    result.column_order = [column.name for column in columns]
    counts = con.execute(
        f"SELECT count(*), count(problems), coalesce(sum(len(problems)), 0) FROM {staging}"
    ).fetchone()
    assert counts is not None
    result.rows_read = int(counts[0]) + rejected
    result.rows_bad = int(counts[1]) + rejected
    result.problems_total = int(counts[2]) + rejected
    if result.rows_read == 0:
        result.problems.append(CodedProblem(None, None, "no_rows"))
        result.problems_total = 1
        result.file_problem = True
    return result


#: How many rows are read first to guess a file's decimal convention (``stage``).
GUESS_ROWS = 10_000


def _first_rows_convention(
    con: Any, *, raw: list[str], flags: list[str], source: str, text_numbers: list[Column]
) -> tuple[Convention | None, dict[str, int]]:
    """The decimal convention the first ``GUESS_ROWS`` rows of the file tell (``decide``
    over them; None when they tell none or cannot be read: the full read says why), and
    how many of their numbers read only with a decimal point (``point``) and only with a
    decimal comma (``comma``)."""
    aggregates: list[str] = []
    for column in text_numbers:
        aggregates.extend(sql_counts(f"mp_{column.name}", f"mc_{column.name}"))
    try:
        counts = con.execute(
            f"SELECT {', '.join(aggregates)} FROM (SELECT {', '.join(flags)} FROM "
            f"(SELECT {', '.join(raw)} FROM {source} LIMIT {int(GUESS_ROWS)}))"
        ).fetchone()
    except duckdb.Error:
        return None, {}
    if counts is None:
        return None, {}
    point_only, comma_only = sum(counts[0::2]), sum(counts[1::2])
    return decide(point_only, comma_only), {"point": point_only, "comma": comma_only}


def _unreadable(result: CheckResult, exc: BaseException) -> CheckResult:
    """``result`` refused as a whole: DuckDB could not read the file."""
    result.problems.append(CodedProblem(None, None, "unreadable", _first_line(exc)))
    result.problems_total = 1
    result.file_problem = True
    return result


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


_REJECT_CODES = {
    "MISSING COLUMNS": "too_few_fields",
    "TOO MANY COLUMNS": "too_many_fields",
    "UNQUOTED VALUE": "bad_quote",
    "INVALID UNICODE": "not_utf8",
    "INVALID ENCODING": "not_utf8",
}


def _rejects(con: Any) -> tuple[list[CodedProblem], int]:
    """The first ``MAX_REJECTS_MAPPED`` CSV lines DuckDB could not split, one problem per
    line in file order, and the number of such lines."""
    try:
        counted = con.execute("SELECT count(DISTINCT line) FROM kam_rejects").fetchone()
        rows = con.execute(
            "SELECT line, min(error_type), min(error_message) FROM kam_rejects "
            f"GROUP BY line ORDER BY line LIMIT {MAX_REJECTS_MAPPED}"
        ).fetchall()
    except duckdb.Error:
        return [], 0
    problems = []
    for line, error_type, message in rows:
        code = _REJECT_CODES.get(str(error_type), "bad_line")
        problems.append(CodedProblem(int(line), None, code, str(message)))
    return problems, int(counted[0]) if counted else len(problems)


def first_problems(
    con: Any,
    *,
    staging: str,
    check: CheckResult,
    limit: int,
    extra_sql: str | None = None,
) -> list[CodedProblem]:
    """The first ``limit`` problems in row order (within a row, in column order): the
    staged rows', the unsplittable lines' and those of ``extra_sql`` (a query giving
    ``_row, col, code, value``).

    When more CSV lines could not be split than ``MAX_REJECTS_MAPPED``, the other rows'
    numbers cannot be told and only the unsplittable lines are listed.
    """
    rejects = check.rejects
    order = "[" + ", ".join(sql_string(c) for c in check.column_order) + "]"
    parts = [
        "SELECT _row, p.col AS col, p.code AS code, p.value AS value FROM "
        f"(SELECT _row, unnest(problems) AS p FROM {staging} "
        "WHERE problems IS NOT NULL)"
    ]
    if extra_sql:
        parts.append(extra_sql)
    rows = con.execute(
        f"SELECT * FROM ({' UNION ALL '.join(parts)}) "
        f"ORDER BY _row, list_position({order}, col) LIMIT {int(limit)}"
    ).fetchall()
    staged = [CodedProblem(int(r[0]), r[1], r[2], r[3]) for r in rows]
    if rejects:
        lines = sorted(p.row for p in rejects if p.row is not None)
        if check.rejects_total <= MAX_REJECTS_MAPPED:
            staged = [
                CodedProblem(_line_of(p.row or 0, lines), p.column, p.code, p.value) for p in staged
            ]
        else:
            staged = []
    merged = sorted([*rejects[:limit], *staged], key=lambda p: p.row or 0)  # stable
    return merged[:limit]


def _line_of(row: int, rejected: list[int]) -> int:
    """The file line of the staged row numbered ``row`` when ``rejected`` lines were left out.

    Staged rows are numbered as if no line had been rejected (header 1, then 2, 3, …); each
    rejected line before a row pushes it one further down the file.
    """
    line = row
    while True:
        moved = row + bisect.bisect_right(rejected, line)
        if moved == line:
            return line
        line = moved
