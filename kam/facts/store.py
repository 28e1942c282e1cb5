"""The transaction store: invoice lines as Parquet files under the data directory.

Layout (``root`` is ``<KAM_DATA_DIR>/transactions`` unless told otherwise)::

    root/lines/<source>-<hash>.parquet   the typed lines of one imported source (file)
    root/available_spend.parquet         account → yearly available spend (share of wallet)
    root/.staging/                       scratch space of an import in progress

One source is one file: its Parquet file carries, in its key-value metadata, the source's
name, the SHA-256 fingerprint of the imported file, the original file name, the number of
lines and the time of the import. Importing again under the same source name *replaces*
that source's lines in one atomic rename (a corrected extract replaces the old one);
importing a file whose fingerprint is already stored, under any name, changes nothing and
says which source holds it. Lines are never one ORM row each: the facts read the Parquet
files directly (``lines_glob``), in DuckDB or any engine that reads Parquet.

Writes are atomic per file (write to a temporary name, then ``os.replace``); two imports
of the same source at the same moment end with one of them, whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from kam.facts.checking import (
    DECIMAL,
    Check,
    CheckResult,
    CodedProblem,
    Column,
    Progress,
    connect,
    first_problems,
    problem_struct,
    run_with_progress,
    stage,
)
from kam.imports.numbers import Convention
from kam.imports.sql import sql_string

#: The columns of an invoice-line file, in the order the store keeps them.
LINE_COLUMNS: tuple[Column, ...] = (
    Column("account_external_id", "text", column_required=True, value_required=True),
    Column("invoice_id", "text", column_required=False, value_required=False),
    Column("invoice_date", "date", column_required=True, value_required=True),
    Column("product", "text", column_required=False, value_required=False),
    Column("category", "text", column_required=False, value_required=False),
    Column("quantity", "double", column_required=False, value_required=False),
    Column("amount", "decimal", column_required=True, value_required=True),
    Column("cost", "decimal", column_required=False, value_required=True),
    Column("due_date", "date", column_required=False, value_required=False),
    Column("paid_date", "date", column_required=False, value_required=False),
    Column("currency", "currency", column_required=True, value_required=True),
)
LINE_COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in LINE_COLUMNS)
#: Other header names accepted for a column (compared in lower case).
LINE_ALIASES: dict[str, str] = {
    "account": "account_external_id",
    "external_id": "account_external_id",
    "date": "invoice_date",
}
SPEND_COLUMNS: tuple[Column, ...] = (
    Column("account_external_id", "text", column_required=True, value_required=True),
    Column("available_spend", "decimal", column_required=True, value_required=True),
)
MAX_PROBLEMS = 100
#: DuckDB's memory limit of an import when the caller gives none: the staged rows beyond it
#: are spilled to the import's scratch folder, so a file of any size is imported in bounded
#: memory (a web worker's, a job's).
IMPORT_MEMORY_LIMIT = "1GB"
_META_KEYS = ("source", "fingerprint", "filename", "lines", "imported_at")


class TransactionImportError(Exception):
    """A file was refused as a whole; ``report`` says why (nothing was written)."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{report.filename}: {report.problems_total} problem(s)")
        self.report = report


@dataclass
class ImportReport:
    """What an import did, or why it refused the file.

    ``problems`` holds the first ``max_problems`` problems in row order and
    ``problems_total`` counts them all; ``rows_bad`` counts the rows with at least one.
    ``duplicate_of`` names the source that already holds a file with the same fingerprint
    (then nothing was imported). ``replaced`` is true when the source existed and its lines
    were replaced.
    """

    source: str
    filename: str
    fingerprint: str
    format: str = "csv"
    rows_read: int = 0
    rows_imported: int = 0
    rows_bad: int = 0
    problems_total: int = 0
    problems: list[CodedProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    duplicate_of: str | None = None
    replaced: bool = False
    imported: bool = False

    def lines(self) -> list[str]:
        """One line per reported problem, as ``kam facts`` prints them, plus a count of
        the problems left out."""
        out = [problem.line(self.filename) for problem in self.problems]
        rest = self.problems_total - len(self.problems)
        if rest > 0:
            from kam.i18n import _

            out.append(
                _("%(filename)s: %(count)s more problem(s) not shown")
                % {"filename": self.filename, "count": rest}
            )
        return out


@dataclass(frozen=True)
class Source:
    """One imported source as the store holds it."""

    name: str
    fingerprint: str
    filename: str
    lines: int
    imported_at: datetime
    path: Path


def default_root() -> Path:
    """``<data directory>/transactions``: ``KAM_DATA_DIR``, else kam's per-user default
    (``kam.datadir``), as in ``kam.settings``."""
    from kam.datadir import data_dir

    return data_dir() / "transactions"


def fingerprint_file(path: Path, progress: Progress | None = None) -> str:
    """The SHA-256 of the file's bytes, in hex."""
    digest = hashlib.sha256()
    size = max(path.stat().st_size, 1)
    done = 0
    with path.open("rb") as handle:
        while chunk := handle.read(8 << 20):
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress("fingerprint", min(done / size, 1.0))
    return digest.hexdigest()


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:60] or "source"
    return f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"


def check_lines_file(
    path: Path,
    *,
    con: Any,
    staging: str = "kam_staged",
    max_problems: int = MAX_PROBLEMS,
    expected_currency_sql: str | None = None,
    progress: Progress | None = None,
    decimal: Convention | None = None,
    default_currency: str | None = None,
) -> tuple[CheckResult, str]:
    """Check an invoice-line file into the temporary table ``staging`` of ``con`` (the file
    is read once); returns the check and the SQL of the rows to keep (``_row`` of refused
    rows left out), for ``COPY``.

    ``default_currency`` (three capital letters): the currency of every line of a file
    without a ``currency`` column (without it, the column is required). A file with the
    column still needs a currency on every line.

    Besides each value's own check, every account must keep one currency: within the file,
    the currency of its first good row; against the store, ``expected_currency_sql`` (a
    query of ``account_external_id, currency`` from the other sources) when given.
    """
    columns = LINE_COLUMNS
    if default_currency is not None:
        if not re.fullmatch(r"[A-Z]{3}", default_currency):
            raise ValueError("default_currency must be three capital letters, such as EUR")
        columns = tuple(
            Column(c.name, c.kind, False, c.value_required) if c.name == "currency" else c
            for c in LINE_COLUMNS
        )
    check = stage(
        con,
        path=path,
        columns=columns,
        staging=staging,
        aliases=LINE_ALIASES,
        progress=progress,
        decimal=decimal,
    )
    if check.file_problem:
        return check, ""
    staged = staging
    if default_currency is not None:
        # a file without the column: every line in the default currency
        staged = (
            f"(SELECT * REPLACE (coalesce(currency, {sql_string(default_currency)}) "
            f"AS currency) FROM {staged})"
        )
    stored = expected_currency_sql or (
        "SELECT CAST(NULL AS VARCHAR) AS account_external_id, "
        "CAST(NULL AS VARCHAR) AS currency WHERE false"
    )

    # Each account's currency is that of its first good row (or the store's). Nearly every
    # file keeps it: one pass over the good rows tells whether any account has two
    # currencies or differs from the store, and only then are the rows that differ found.
    def expected(first: str) -> str:
        return (
            "CREATE OR REPLACE TEMP TABLE kam_expected_currency AS "
            "SELECT f.account_external_id, coalesce(s.currency, f.currency) AS currency, "
            "f.several OR s.currency <> f.currency AS differs FROM "
            f"(SELECT account_external_id, {first} AS currency, "
            "min(currency) <> max(currency) AS several "
            f"FROM {staged} WHERE problems IS NULL GROUP BY account_external_id) f "
            "LEFT JOIN (SELECT account_external_id, any_value(currency) AS currency "
            f"FROM ({stored}) GROUP BY account_external_id) s USING (account_external_id)"
        )

    # Nearly every file, and store, is in one currency: when every good row of the file is in
    # the currency of any one of them and no stored line is in another, no account can have
    # two, and the pass over every account is left out (a test over one column: 0.1 CPU s
    # less for a million lines).
    one = con.execute(
        f"SELECT currency FROM {staged} WHERE problems IS NULL AND currency IS NOT NULL LIMIT 1"
    ).fetchone()
    mixed = one is not None
    if one is not None:
        other = f"currency <> {sql_string(str(one[0]))}"
        tests = [f"SELECT 1 FROM {staged} WHERE problems IS NULL AND {other}"]
        if expected_currency_sql is not None:
            tests.append(f"SELECT 1 FROM ({expected_currency_sql}) WHERE {other}")
        found = con.execute(
            "SELECT " + " OR ".join(f"EXISTS ({test})" for test in tests)
        ).fetchone()
        mixed = bool(found and found[0])
    differs: tuple[Any, ...] | None = None
    if mixed:
        # an account of one currency: its least is its first
        con.execute(expected("min(currency)"))
        differs = con.execute("SELECT count(*) FROM kam_expected_currency WHERE differs").fetchone()
        if differs and differs[0]:
            con.execute(expected("arg_min(currency, _row)"))
    if differs and differs[0]:
        other_currency = (
            f"SELECT l._row, 'currency' AS col, 'other_currency' AS code, e.currency AS value "
            f"FROM {staged} l JOIN kam_expected_currency e USING (account_external_id) "
            "WHERE l.problems IS NULL AND l.currency <> e.currency"
        )
    else:
        other_currency = (
            "SELECT _row, 'currency' AS col, 'other_currency' AS code, currency AS value "
            f"FROM {staged} WHERE false"
        )
    con.execute(f"CREATE OR REPLACE TEMP TABLE kam_other_currency AS {other_currency}")
    conflict = con.execute("SELECT count(*) FROM kam_other_currency").fetchone()
    conflicts = int(conflict[0]) if conflict else 0
    check.rows_bad += conflicts
    check.problems_total += conflicts
    check.problems = first_problems(
        con,
        staging=staging,
        check=check,
        limit=max_problems,
        extra_sql="SELECT * FROM kam_other_currency",
    )
    names = ", ".join(LINE_COLUMN_NAMES)
    keep = f"SELECT {names} FROM {staged} WHERE problems IS NULL"
    if conflicts:
        keep += " AND _row NOT IN (SELECT _row FROM kam_other_currency)"
    return check, keep


class TransactionStore:
    """The invoice lines and available spend of one kam installation (see module docs)."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()

    @property
    def lines_dir(self) -> Path:
        return self.root / "lines"

    @property
    def spend_path(self) -> Path:
        return self.root / "available_spend.parquet"

    def line_files(self) -> list[Path]:
        """The Parquet files of all sources, sorted by name."""
        if not self.lines_dir.is_dir():
            return []
        return sorted(self.lines_dir.glob("*.parquet"))

    @property
    def lines_glob(self) -> str:
        """A glob of every source's lines, for ``read_parquet`` in DuckDB or Spark."""
        return str(self.lines_dir / "*.parquet")

    # --- sources ----------------------------------------------------------------------

    def sources(self) -> list[Source]:
        """Every imported source, newest import first."""
        files = self.line_files()
        if not files:
            return []
        con = connect()
        try:
            rows = con.execute(
                "SELECT file_name, decode(key), decode(value) FROM parquet_kv_metadata("
                f"[{', '.join(sql_string(str(f)) for f in files)}])"
            ).fetchall()
        finally:
            con.close()
        meta: dict[str, dict[str, str]] = {}
        for file_name, key, value in rows:
            if key in _META_KEYS:
                meta.setdefault(file_name, {})[key] = value
        sources = []
        for file_name, values in meta.items():
            if set(_META_KEYS) <= values.keys():
                sources.append(
                    Source(
                        name=values["source"],
                        fingerprint=values["fingerprint"],
                        filename=values["filename"],
                        lines=int(values["lines"]),
                        imported_at=datetime.fromisoformat(values["imported_at"]),
                        path=Path(file_name),
                    )
                )
        return sorted(sources, key=lambda s: s.imported_at, reverse=True)

    def source_remove(self, *, name: str) -> bool:
        """Remove a source's lines; False when there was no such source."""
        path = self.lines_dir / f"{_slug(name)}.parquet"
        if not path.exists():
            return False
        path.unlink()
        return True

    @property
    def detached_dir(self) -> Path:
        """Where a removed source's file goes in its one atomic step out of ``lines/``."""
        return self.root / ".removed"

    def source_detach(self, *, path: Path) -> None:
        """Take one source's file out of the store in a single atomic rename (on the same
        file system): a reader, or a process killed at any moment, sees the source either
        wholly there or wholly gone, never part of its lines. ``detached_clear`` deletes it."""
        self.detached_dir.mkdir(parents=True, exist_ok=True)
        os.replace(path, self.detached_dir / f"{uuid.uuid4().hex}-{path.name}")

    def detached_clear(self) -> int:
        """Delete the files of removed sources; how many there were."""
        if not self.detached_dir.is_dir():
            return 0
        files = list(self.detached_dir.iterdir())
        shutil.rmtree(self.detached_dir, ignore_errors=True)
        return len(files)

    def lines_import(
        self,
        *,
        path: Path | str,
        source: str | None = None,
        filename: str | None = None,
        skip_bad_rows: bool = False,
        max_problems: int = MAX_PROBLEMS,
        progress: Progress | None = None,
        threads: int | None = None,
        memory_limit: str | None = None,
        decimal: Convention | None = None,
        default_currency: str | None = None,
        on_stored: Callable[[Any, str], None] | None = None,
    ) -> ImportReport:
        """Import an invoice-line file (CSV or Parquet) as the source ``source``.

        Amounts written as text are read by ``kam.imports.numbers``; ``decimal`` is the
        convention the user gave (None: told from the file).
        ``default_currency``: the currency of the lines of a file without a ``currency``
        column (``check_lines_file``); without it, such a file is refused.

        All or nothing: when any row is wrong, nothing is written and
        ``TransactionImportError`` carries the report, unless ``skip_bad_rows`` is true,
        which imports the good rows and reports the others. ``source`` defaults to the
        file's name (``filename``, else the path's name); an existing source of that name
        is replaced. A file already stored (same SHA-256) is not imported twice: the report
        names the source holding it.

        The file is read once, into a DuckDB staging table (``kam.facts.checking.stage``);
        ``memory_limit`` is DuckDB's (default ``IMPORT_MEMORY_LIMIT``): staged rows beyond
        it are spilled to the import's scratch folder.

        ``on_stored(con, lines_sql)`` is called once the file is stored, with the import's
        DuckDB connection and the SQL of every line the store now holds (the checked rows
        still in that connection and the other sources' files, all with the store's
        columns): the import job computes the facts there
        (``kam.facts.compute.FactsAfterImport``) rather than read back the file just
        written (docs/facts.md, "Speed and memory").

        ``progress(phase, fraction)`` is called with the phases ``fingerprint``,
        ``reading`` (checking every value), ``checking`` (the rules over several rows)
        and ``writing``.
        """
        path = Path(path)
        filename = filename or path.name
        source = source or filename
        fingerprint = fingerprint_file(path, progress)
        report = ImportReport(source=source, filename=filename, fingerprint=fingerprint)
        existing = self.sources()
        for known in existing:
            if known.fingerprint == fingerprint:
                report.duplicate_of = known.name
                report.rows_read = known.lines
                return report
        target = self.lines_dir / f"{_slug(source)}.parquet"
        others = [s.path for s in existing if s.path.resolve() != target.resolve()]
        self.lines_dir.mkdir(parents=True, exist_ok=True)
        scratch = self.root / ".staging"
        scratch.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=scratch))
        con = connect(threads=threads, memory_limit=memory_limit or IMPORT_MEMORY_LIMIT)
        try:
            con.execute(f"SET temp_directory = {sql_string(str(work / 'spill'))}")
            stored_currency = (
                "SELECT account_external_id, currency FROM read_parquet(["
                + ", ".join(sql_string(str(p)) for p in others)
                + "])"
                if others
                else None
            )
            keep = checked_lines(
                con,
                path=path,
                report=report,
                skip_bad_rows=skip_bad_rows,
                max_problems=max_problems,
                expected_currency_sql=stored_currency,
                progress=progress,
                decimal=decimal,
                default_currency=default_currency,
            )
            metadata = {
                "source": source,
                "fingerprint": fingerprint,
                "filename": filename,
                "lines": str(report.rows_imported),
                "imported_at": datetime.now(UTC).isoformat(),
            }
            kv = ", ".join(f"{k}: {sql_string(v)}" for k, v in metadata.items())
            partial = self.lines_dir / f".{target.name}.{uuid.uuid4().hex}.tmp"
            con.execute("SET preserve_insertion_order = false")  # the store keeps no order
            run_with_progress(
                con,
                f"COPY ({keep}) TO {sql_string(str(partial))} "
                f"(FORMAT parquet, COMPRESSION zstd, DICTIONARY_SIZE_LIMIT 1, "
                f"KV_METADATA {{{kv}}})",
                phase="writing",
                progress=progress,
            )
            report.replaced = target.exists()
            os.replace(partial, target)
            report.imported = True
            if on_stored is not None:
                names = ", ".join(LINE_COLUMN_NAMES)
                lines_sql = f"SELECT * FROM ({keep})"
                if others:
                    files = ", ".join(sql_string(str(p)) for p in others)
                    lines_sql += f" UNION ALL SELECT {names} FROM read_parquet([{files}])"
                on_stored(con, lines_sql)
            return report
        finally:
            con.close()
            shutil.rmtree(work, ignore_errors=True)

    def scratch_clear(self) -> int:
        """Remove what an interrupted import left behind (its staging folder and a partly
        written lines file); call it only while no import runs. Returns the paths removed."""
        removed = 0
        scratch = self.root / ".staging"
        if scratch.is_dir():
            for entry in scratch.iterdir():
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed += 1
        if self.lines_dir.is_dir():
            for partial in self.lines_dir.glob(".*.tmp"):
                partial.unlink(missing_ok=True)
                removed += 1
        return removed

    # --- available spend --------------------------------------------------------------

    def available_spend(self) -> dict[str, Decimal]:
        """Account external id → yearly available spend, in the account's currency."""
        if not self.spend_path.exists():
            return {}
        con = connect()
        try:
            rows = con.execute(
                "SELECT account_external_id, available_spend FROM "
                f"read_parquet({sql_string(str(self.spend_path))})"
            ).fetchall()
        finally:
            con.close()
        return {str(account): Decimal(value) for account, value in rows}

    def available_spend_set(self, *, values: Mapping[str, Decimal | float | int | None]) -> None:
        """Enter spend for some accounts (``None`` removes an account's); others are kept."""
        current = self.available_spend()
        for account, value in values.items():
            if value is None:
                current.pop(account, None)
            else:
                amount = Decimal(str(value))
                if not amount.is_finite() or amount < 0:
                    raise ValueError(f"available spend of {account} must be 0 or more")
                current[account] = amount
        self._spend_write(current.items())

    def available_spend_import(
        self,
        *,
        path: Path | str,
        filename: str | None = None,
        max_problems: int = MAX_PROBLEMS,
        decimal: Convention | None = None,
    ) -> ImportReport:
        """Import ``account_external_id, available_spend`` rows (CSV or Parquet); the
        accounts in the file get the new values, the others keep theirs. All or nothing:
        a negative, non-numeric or repeated account refuses the file."""
        path = Path(path)
        filename = filename or path.name
        report = ImportReport(source="available_spend", filename=filename, fingerprint="")
        with tempfile.TemporaryDirectory() as scratch:
            con = connect()
            try:
                con.execute(f"SET temp_directory = {sql_string(scratch)}")
                staging = "kam_spend"

                def negative(texts: dict[str, str]) -> list[Check]:
                    # Without its separators a number keeps its sign, in either convention.
                    text = texts["available_spend"]
                    bare = f"CAST({text} AS VARCHAR)"
                    for mark in (".", ",", " "):
                        bare = f"replace({bare}, '{mark}', '')"
                    return [
                        (
                            f"coalesce(TRY_CAST({bare} AS DOUBLE) < 0, false)",
                            problem_struct("available_spend", "negative", text),
                        )
                    ]

                check = stage(
                    con,
                    path=path,
                    columns=SPEND_COLUMNS,
                    staging=staging,
                    aliases=LINE_ALIASES,
                    extra_checks=negative,
                    decimal=decimal,
                )
                if not check.file_problem:
                    staged = staging
                    duplicates = (
                        "SELECT _row, 'account_external_id' AS col, "
                        "'duplicate_account' AS code, CAST(first AS VARCHAR) AS value FROM "
                        "(SELECT _row, account_external_id, min(_row) OVER "
                        f"(PARTITION BY account_external_id) AS first FROM {staged} "
                        "WHERE account_external_id IS NOT NULL) WHERE _row > first"
                    )
                    extra = con.execute(f"SELECT count(*) FROM ({duplicates})").fetchone()
                    more = int(extra[0]) if extra else 0
                    check.rows_bad += more
                    check.problems_total += more
                    check.problems = first_problems(
                        con,
                        staging=staging,
                        check=check,
                        limit=max_problems,
                        extra_sql=duplicates,
                    )
                _fill(report, check)
                if check.file_problem or check.rows_bad:
                    raise TransactionImportError(report)
                rows = con.execute(
                    f"SELECT account_external_id, available_spend FROM {staged}"
                ).fetchall()
            finally:
                con.close()
        current = self.available_spend()
        current.update({str(account): Decimal(value) for account, value in rows})
        self._spend_write(current.items())
        report.rows_imported = len(rows)
        report.imported = True
        return report

    def _spend_write(self, items: Iterable[tuple[str, Decimal]]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        rows = sorted(items)
        partial = self.root / f".available_spend.{uuid.uuid4().hex}.tmp"
        con = connect()
        try:
            con.execute(
                f"CREATE TEMP TABLE spend (account_external_id VARCHAR, available_spend {DECIMAL})"
            )
            if rows:
                con.executemany("INSERT INTO spend VALUES (?, ?)", [(a, v) for a, v in rows])
            con.execute(
                f"COPY spend TO {sql_string(str(partial))} (FORMAT parquet, COMPRESSION zstd)"
            )
        finally:
            con.close()
        os.replace(partial, self.spend_path)


def checked_lines(
    con: Any,
    *,
    path: Path,
    report: ImportReport,
    skip_bad_rows: bool = False,
    max_problems: int = MAX_PROBLEMS,
    expected_currency_sql: str | None = None,
    progress: Progress | None = None,
    decimal: Convention | None = None,
    default_currency: str | None = None,
) -> str:
    """Check an invoice-line file into ``con`` (``check_lines_file``) and fill ``report``;
    the SQL of the rows to keep. Raises ``TransactionImportError`` when the file is refused
    (a problem with the file, or a bad row without ``skip_bad_rows``). ``lines_import``
    stores the rows; ``kam facts`` computes the facts from them on ``con`` directly."""
    check, keep = check_lines_file(
        path,
        con=con,
        max_problems=max_problems,
        expected_currency_sql=expected_currency_sql,
        progress=progress,
        decimal=decimal,
        default_currency=default_currency,
    )
    _fill(report, check)
    if progress is not None:
        progress("checking", 1.0)
    if check.file_problem or (check.rows_bad and not skip_bad_rows):
        raise TransactionImportError(report)
    report.rows_imported = check.rows_read - check.rows_bad
    return keep


def _fill(report: ImportReport, check: CheckResult) -> None:
    report.format = check.format
    report.rows_read = check.rows_read
    report.rows_bad = check.rows_bad
    report.problems_total = check.problems_total
    report.problems = check.problems
    report.ignored_columns = check.ignored_columns


def report_json(report: ImportReport) -> dict[str, Any]:
    """The report as plain JSON-ready data (for an API or a log)."""
    return {
        "source": report.source,
        "filename": report.filename,
        "fingerprint": report.fingerprint,
        "format": report.format,
        "rows_read": report.rows_read,
        "rows_imported": report.rows_imported,
        "rows_bad": report.rows_bad,
        "problems_total": report.problems_total,
        "problems": [
            {"row": p.row, "column": p.column, "reason": p.reason} for p in report.problems
        ],
        "ignored_columns": report.ignored_columns,
        "duplicate_of": report.duplicate_of,
        "replaced": report.replaced,
        "imported": report.imported,
    }


def dumps(report: ImportReport) -> str:
    """``report_json`` as text."""
    return json.dumps(report_json(report), indent=2)
