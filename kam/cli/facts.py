"""``kam facts``: every account's facts from a transaction file, without a database.

Reads invoice lines (CSV or Parquet, docs/facts.md), checks every value in DuckDB, and
prints each account's revenue over the last 12 months and the year before, growth, gross
margin %, orders, recency, amount-weighted days paid late, share of wallet and predicted
future value at an as-of date (docs/method.md sections 1 and 6; definitions in
``kam.facts.definitions``). It goes through the same import and fact code as the web app,
in a temporary store that is removed afterwards.

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
import io
import json
import re
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kam.cli.common import BAD_INPUT, add_decimal_argument, django_setup, iso_date
from kam.core.cells import spreadsheet_cell
from kam.i18n import _

if TYPE_CHECKING:  # pyarrow and the fact code (DuckDB) are imported when the command runs
    import pyarrow as pa

    from kam.facts.store import TransactionStore


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
    from kam.facts.compute import facts_table
    from kam.facts.store import TransactionImportError, TransactionStore

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
        store = TransactionStore(scratch)
        try:
            report = store.lines_import(
                path=path,
                filename=args.transactions,
                skip_bad_rows=args.skip_bad_rows,
                progress=bar,
                memory_limit=args.memory_limit,
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
        table = facts_table(
            lines=store,
            as_of=as_of,
            available_spend=store,
            progress=bar,
            memory_limit=args.memory_limit,
            temp_directory=str(Path(scratch) / "spill"),
        )
        notes: list[str] = []
        if args.predict:
            table, notes = _with_prediction(table, store, as_of, bar)
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
    _write(table, args.format, args.output)
    return 0


def _has_currency_column(path: Path) -> bool:
    """Whether the file's header names a ``currency`` column (False when it cannot be read:
    the import then says what is wrong with the file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from kam.facts.checking import csv_header, file_format

    try:
        if file_format(path) == "parquet":
            names = pq.read_schema(path).names
        else:
            names, _delimiter = csv_header(path)
    except (OSError, ValueError, UnicodeDecodeError, pa.ArrowException, csv.Error):
        return False
    return any(str(name).strip().lower() == "currency" for name in names)


def _with_prediction(
    table: pa.Table, store: TransactionStore, as_of: date, bar: ProgressBar | None
) -> tuple[pa.Table, list[str]]:
    """The table with ``predicted_future_value``, and a note per model that cannot be fitted
    (the value of its accounts is then empty)."""
    import pyarrow as pa

    from kam.facts.compute import predict_future_values

    if bar:
        bar("prediction", 0.0)
    result = predict_future_values(lines=store, as_of=as_of)
    notes = [
        _("predicted_future_value is empty: %(reason)s") % {"reason": _(reason)}
        if currency is None
        else _("predicted_future_value is empty for the accounts in %(currency)s: %(reason)s")
        % {"currency": currency, "reason": _(reason)}
        for currency, reason in result.missing
    ]
    if bar:
        bar("prediction", 1.0)
    values = result.values
    column = [values.get(a) for a in table.column("account_external_id").to_pylist()]
    return table.append_column("predicted_future_value", pa.array(column, pa.float64())), notes


def _write(table: pa.Table, fmt: str, output: str | None) -> None:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        assert output is not None
        pq.write_table(table, output)
        return
    text = render_json(table) if fmt == "json" else render_csv(table)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def render_json(table: pa.Table) -> str:
    """The facts as a JSON list of objects (null where a fact is not defined). Floats are
    not rounded: each is written as its repr, the shortest text that reads back as the same
    float."""
    return json.dumps(table.to_pylist(), indent=2, allow_nan=False) + "\n"


def render_csv(table: pa.Table) -> str:
    """The facts as CSV with a header row (empty where a fact is not defined)."""
    import pyarrow as pa

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.column_names)
    # column by column: only text can hold a formula (``spreadsheet_cell``)
    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            columns.append(["" if v is None else spreadsheet_cell(v) for v in column.to_pylist()])
        else:
            columns.append(["" if v is None else v for v in column.to_pylist()])
    writer.writerows(zip(*columns, strict=True))
    return out.getvalue()
