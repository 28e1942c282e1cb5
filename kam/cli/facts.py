"""``kam facts``: every account's facts from a transaction file, without a database.

Reads invoice lines (CSV or Parquet, docs/facts.md), checks every value in DuckDB, and
prints each account's revenue over the last 12 months and the year before, growth, gross
margin %, orders, recency, amount-weighted days paid late, share of wallet and predicted
future value at an as-of date (docs/method.md sections 1 and 6; definitions in
``kam.facts.definitions``). It goes through the same checks and fact SQL as the web app's
import (``kam.facts.store.checked_lines``, ``kam.facts.compute.facts_query_over``), without
storing the lines: DuckDB computes the facts from the checked rows and writes the output.

A file without a ``currency`` column is in one currency: ``--currency``, by default the base
currency of the kam installation the command runs in (its organisation settings), or EUR
where there is none.

Bad input is reported one line per problem on stderr, naming the file, the row (the header
is row 1) and the column; the command then prints nothing and exits with status 2.
``--skip-bad-rows`` reports the bad rows the same way and goes on with the good ones.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from kam.cli.common import BAD_INPUT, add_decimal_argument, django_setup, iso_date
from kam.core.cells import spreadsheet_cell
from kam.i18n import _


def _currency(text: str) -> str:
    code = text.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise argparse.ArgumentTypeError(
            _("'%(value)s' is not a currency code (three letters, such as EUR)") % {"value": text}
        )
    return code


#: The currency of a file without a currency column outside a configured installation.
FALLBACK_CURRENCY = "EUR"


def installation_currency() -> str:
    """The base currency of the kam installation this command runs in (its organisation),
    or ``FALLBACK_CURRENCY`` when there is no configured installation: no database yet, or
    one without an organisation. Never creates a database or an organisation."""
    try:
        from django.conf import settings

        django_setup()
        from django.db import DatabaseError, connection

        from kam.organisation.models import Organisation

        database = settings.DATABASES["default"]
        name = str(database["NAME"])
        in_memory = name == ":memory:" or "mode=memory" in name
        if str(database["ENGINE"]).endswith("sqlite3") and not (in_memory or Path(name).is_file()):
            return FALLBACK_CURRENCY  # opening it would create an empty database
        try:
            if Organisation._meta.db_table not in connection.introspection.table_names():
                return FALLBACK_CURRENCY
            code = (
                Organisation.objects.order_by("pk").values_list("base_currency", flat=True).first()
            )
        finally:
            connection.close()
    except (ImportError, RuntimeError, DatabaseError, KeyError):
        return FALLBACK_CURRENCY
    return str(code) if code else FALLBACK_CURRENCY


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kam facts`` (its help line is in ``kam.cli.COMMANDS``)."""
    parser.description = _(
        "Compute revenue, growth, gross margin, orders, recency, days paid late and "
        "share of wallet per account from a file of invoice lines (CSV or Parquet) at "
        "an as-of date. No database needed."
    )
    parser.add_argument(
        "--transactions",
        required=True,
        metavar="FILE",
        help=_("invoice lines, CSV or Parquet (columns in docs/facts.md)"),
    )
    parser.add_argument(
        "--as-of",
        type=iso_date,
        default=None,
        metavar="YYYY-MM-DD",
        help=_("the date the facts are computed at (default: today)"),
    )
    parser.add_argument(
        "--currency",
        type=_currency,
        default=None,
        metavar="CODE",
        help=_(
            "the currency of the lines of a file without a currency column (default: the "
            "base currency of this kam installation, or EUR outside a configured "
            "installation); a file with the column keeps its own"
        ),
    )
    parser.add_argument(
        "--available-spend",
        metavar="FILE",
        help=_("account_external_id, available_spend per account (CSV or Parquet)"),
    )
    add_decimal_argument(parser)
    parser.add_argument(
        "--format",
        choices=("json", "csv", "parquet"),
        default="csv",
        help=_("output format (default: csv)"),
    )
    parser.add_argument(
        "--output", metavar="PATH", help=_("write to this file instead of standard output")
    )
    parser.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help=_("report bad rows and go on with the good ones (default: refuse the file)"),
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=_("show a progress bar on stderr (default: when stderr is a terminal)"),
    )
    parser.add_argument(
        "--predict",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=_(
            "add predicted_future_value, the revenue expected over the next 52 weeks "
            "(BG/NBD, and a Gamma-Gamma spend model per currency; default: on)"
        ),
    )
    parser.add_argument(
        "--memory-limit",
        default=None,
        metavar="SIZE",
        help=_("DuckDB's memory limit, such as 1GB (default: DuckDB's)"),
    )


class ProgressBar:
    """A one-line progress bar on a terminal: the phase, a bar and a percentage."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, phase: str, fraction: float) -> None:
        filled = round(fraction * self.WIDTH)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        name = _phase_name(phase)
        self.stream.write(f"\r{name:<12} [{bar}] {fraction * 100:5.1f}%")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _phase_name(phase: str) -> str:
    names = {
        "fingerprint": _("fingerprint"),
        "reading": _("reading"),
        "checking": _("checking"),
        "writing": _("writing"),
        "facts": _("facts"),
        "prediction": _("prediction"),
    }
    return names.get(phase, phase)


def run(args: argparse.Namespace) -> int:
    """Run ``kam facts``; returns the exit status (0, or 2 for bad input)."""
    from kam.facts.checking import connect, polling
    from kam.facts.compute import facts_query_over
    from kam.facts.store import (
        IMPORT_MEMORY_LIMIT,
        ImportReport,
        TransactionImportError,
        TransactionStore,
        checked_lines,
    )
    from kam.imports.sql import sql_string

    if args.format == "parquet" and not args.output:
        print(_("--format parquet needs --output PATH"), file=sys.stderr)
        return BAD_INPUT
    path = Path(args.transactions)
    if not path.is_file():
        print(_("%(filename)s: no such file") % {"filename": args.transactions}, file=sys.stderr)
        return BAD_INPUT
    show = sys.stderr.isatty() if args.progress is None else args.progress
    bar = ProgressBar(sys.stderr) if show else None
    as_of = args.as_of or date.today()
    currency = args.currency
    if currency is None and not _has_currency_column(path):
        currency = installation_currency()
    with tempfile.TemporaryDirectory(prefix="kam-facts-") as scratch:
        store = TransactionStore(scratch)  # for the available spend only
        # The lines are checked into this connection and the facts computed from the
        # checked rows there: the same checks as the web import, without storing the lines
        # in a file that would be read once and removed. DuckDB writes the output itself.
        con = connect(memory_limit=args.memory_limit or IMPORT_MEMORY_LIMIT)
        try:
            con.execute(f"SET temp_directory = {sql_string(str(Path(scratch) / 'spill'))}")
            report = ImportReport(
                source=args.transactions, filename=args.transactions, fingerprint=""
            )
            try:
                keep = checked_lines(
                    con,
                    path=path,
                    report=report,
                    skip_bad_rows=args.skip_bad_rows,
                    progress=bar,
                    decimal=args.decimal,
                    default_currency=currency,
                )
                if args.available_spend:
                    spend_path = Path(args.available_spend)
                    if not spend_path.is_file():
                        if bar:
                            bar.close()
                        print(
                            _("%(filename)s: no such file") % {"filename": args.available_spend},
                            file=sys.stderr,
                        )
                        return BAD_INPUT
                    store.available_spend_import(
                        path=spend_path, filename=args.available_spend, decimal=args.decimal
                    )
            except TransactionImportError as refused:
                if bar:
                    bar.close()
                for line in refused.report.lines():
                    print(line, file=sys.stderr)
                return BAD_INPUT
            sql = facts_query_over(con, lines_sql=keep, as_of=as_of, available_spend=store)
            con.execute("SET preserve_insertion_order = true")
            polling(
                con,
                lambda: con.execute(f"CREATE TEMP TABLE kam_facts AS {sql}"),
                phase="facts",
                progress=bar,
            )
            notes: list[str] = []
            if args.predict:
                con.execute(
                    f"COPY (SELECT * FROM kam_lines) TO "
                    f"{sql_string(str(Path(scratch) / 'lines.parquet'))} (FORMAT parquet)"
                )
                notes = _add_prediction(con, Path(scratch) / "lines.parquet", as_of, bar)
            if bar:
                bar.close()
            for line in report.lines():  # only with --skip-bad-rows: the rows left out
                print(line, file=sys.stderr)
            if report.rows_bad:
                print(
                    _("%(file)s: %(bad)s of %(rows)s rows left out")
                    % {"file": args.transactions, "bad": report.rows_bad, "rows": report.rows_read},
                    file=sys.stderr,
                )
            for note in notes:
                print(note, file=sys.stderr)
            _write(con, args.format, args.output, Path(scratch))
        finally:
            con.close()
    return 0


def _has_currency_column(path: Path) -> bool:
    """Whether the file's header names a ``currency`` column (False when it cannot be read:
    the import then says what is wrong with the file)."""
    import duckdb

    from kam.facts.checking import csv_header, file_format
    from kam.imports.sql import sql_string

    try:
        if file_format(path) == "parquet":
            con = duckdb.connect()
            try:
                names = [
                    row[0]
                    for row in con.execute(
                        "SELECT name FROM parquet_schema("
                        f"{sql_string(str(path))}) WHERE num_children IS NULL"
                    ).fetchall()
                ]
            finally:
                con.close()
        else:
            names, _delimiter = csv_header(path)
    except (OSError, ValueError, UnicodeDecodeError, duckdb.Error, csv.Error):
        return False
    return any(str(name).strip().lower() == "currency" for name in names)


def _add_prediction(con: Any, lines: Path, as_of: date, bar: ProgressBar | None) -> list[str]:
    """Add ``predicted_future_value`` to the table ``kam_facts`` on ``con``; a note per model
    that cannot be fitted (the value of its accounts is then empty)."""
    import numpy as np

    from kam.facts.compute import predict_future_values

    if bar:
        bar("prediction", 0.0)
    result = predict_future_values(lines=lines, as_of=as_of)
    notes = [
        _("predicted_future_value is empty: %(reason)s") % {"reason": _(reason)}
        if currency is None
        else _("predicted_future_value is empty for the accounts in %(currency)s: %(reason)s")
        % {"currency": currency, "reason": _(reason)}
        for currency, reason in result.missing
    ]
    values = result.values
    con.register(
        "kam_predicted",
        {
            "account": np.array(list(values), dtype=object),
            "value": np.array(list(values.values()), dtype=np.float64),
        },
    )
    con.execute(
        "CREATE TEMP TABLE kam_facts_predicted AS SELECT f.*, "
        "CAST(p.value AS DOUBLE) AS predicted_future_value FROM kam_facts f "
        "LEFT JOIN kam_predicted p ON p.account = f.account_external_id"
    )
    con.execute("DROP TABLE kam_facts")
    con.execute("ALTER TABLE kam_facts_predicted RENAME TO kam_facts")
    con.unregister("kam_predicted")
    if bar:
        bar("prediction", 1.0)
    return notes


#: Text a spreadsheet cell may change (``spreadsheet_cell``): a formula's first character,
#: or a character XML cannot hold (RE2, DuckDB's regular expressions). It finds more than
#: ``spreadsheet_cell`` changes (tabs, newlines): the few values it finds go through it.
_CELL_SUSPECT = r"^[=+@\t\r-]|[\x00-\x1f\x7f-\x{9f}\x{fffe}\x{ffff}]"


def _text_columns(con: Any) -> list[tuple[str, bool]]:
    """The columns of ``kam_facts``, in order, and whether each holds text."""
    return [
        (str(name), str(kind).upper() == "VARCHAR")
        for name, kind, *_rest in con.execute("DESCRIBE kam_facts").fetchall()
    ]


def _write(con: Any, fmt: str, output: str | None, scratch: Path) -> None:
    """Write the table ``kam_facts`` on ``con``, ordered by account, in ``fmt`` to ``output``
    (or standard output). DuckDB writes CSV and Parquet itself."""
    from kam.imports.sql import sql_string

    columns = _text_columns(con)
    if fmt == "json":
        text = render_json(con, [name for name, _text in columns])
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return
    target = scratch / f"output.{fmt}"
    if fmt == "parquet":
        query = "SELECT * FROM kam_facts ORDER BY account_external_id"
        con.execute(f"COPY ({query}) TO {sql_string(str(target))} (FORMAT parquet)")
    else:
        query = _csv_query(con, columns)
        con.execute(
            f"COPY ({query}) TO {sql_string(str(target))} "
            "(FORMAT csv, HEADER, DELIMITER ',', QUOTE '\"', NEW_LINE '\\n')"
        )
    if output:
        shutil.copyfile(target, output)
        return
    with target.open(encoding="utf-8", newline="") as handle:
        while chunk := handle.read(1 << 20):
            sys.stdout.write(chunk)


def _csv_query(con: Any, columns: list[tuple[str, bool]]) -> str:
    """The query of the CSV output: text that would run as a formula in a spreadsheet gets
    a quote (``spreadsheet_cell``). DuckDB finds the few values it may change; those go
    through ``spreadsheet_cell`` itself."""
    texts = [name for name, text in columns if text]
    suspects: set[str] = set()
    for name in texts:
        suspects.update(
            row[0]
            for row in con.execute(
                f'SELECT DISTINCT "{name}" FROM kam_facts WHERE regexp_matches("{name}", ?)',
                [_CELL_SUSPECT],
            ).fetchall()
        )
    cells = {value: spreadsheet_cell(value) for value in suspects}
    cells = {value: cell for value, cell in cells.items() if cell != value}
    if not cells:
        return "SELECT * FROM kam_facts ORDER BY account_external_id"
    import numpy as np  # only for the few values that change

    con.register(
        "kam_cells",
        {
            "raw": np.array(list(cells), dtype=object),
            "cell": np.array(list(cells.values()), dtype=object),
        },
    )
    selects = []
    joins = []
    for i, (name, text) in enumerate(columns):
        if text:
            selects.append(f'COALESCE(c{i}.cell, f."{name}") AS "{name}"')
            joins.append(f'LEFT JOIN kam_cells c{i} ON c{i}.raw = f."{name}"')
        else:
            selects.append(f'f."{name}"')
    return (
        f"SELECT {', '.join(selects)} FROM kam_facts f {' '.join(joins)} "
        "ORDER BY f.account_external_id"
    )


def render_json(con: Any, names: list[str]) -> str:
    """The table ``kam_facts`` on ``con`` as a JSON list of objects, ordered by account
    (null where a fact is not defined). Floats are not rounded: each is written as its
    repr, the shortest text that reads back as the same float."""
    rows = con.execute("SELECT * FROM kam_facts ORDER BY account_external_id").fetchall()
    return (
        json.dumps([dict(zip(names, row, strict=True)) for row in rows], indent=2, allow_nan=False)
        + "\n"
    )
