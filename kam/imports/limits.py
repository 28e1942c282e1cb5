"""The limits every import of kam applies to what it reads (docs/import.md, Limits).

A hostile or broken file must be refused quickly, naming the limit and the value, before it
costs minutes of CPU or gigabytes of memory: an ``.ics`` whose RRULE repeats every second, a
CSV with a million columns, an XLSX zip bomb, a file far larger than any real one, dates in
year 0 or 9999. Each limit is a Django setting (from the environment, see kam/settings.py)
with a default that real files stay far below:

==============================  =====================================  ===============
setting                         what                                   default
==============================  =====================================  ===============
KAM_MAX_UPLOAD_BYTES            one uploaded or imported file          25 MB
KAM_MAX_LINES_UPLOAD_BYTES      one file of invoice lines (a job)      2 GB
KAM_IMPORT_MAX_COLUMNS          columns of a table                     200
KAM_IMPORT_MAX_ROWS             rows of a row-by-row import            100,000
KAM_IMPORT_MAX_PROBLEMS         problems listed (and "N more")         1,000
KAM_IMPORT_MAX_OCCURRENCES      occurrences of one recurring event     10,000
KAM_IMPORT_MAX_XLSX_BYTES       an XLSX workbook unpacked              100 MB
KAM_IMPORT_MAX_XLSX_RATIO       packed-to-unpacked ratio of a member   100
KAM_IMPORT_SECONDS              time one import may take               60 s
KAM_IMPORT_FIRST_YEAR           earliest year of a date                1900
KAM_IMPORT_LAST_YEAR            latest year of a date                  2100
==============================  =====================================  ===============

The refusals are ``ImportLimitError`` (an ``ApplicationError``: the pages show the message,
the API answers 413 or 422, the commands exit 2).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import time
import zipfile
from collections.abc import Iterable, Iterator, Sized
from typing import Any, TypeVar

from kam.errors import ApplicationError
from kam.i18n import _, django_settings

T = TypeVar("T")
R = TypeVar("R", bound=Sized)

DEFAULTS: dict[str, int] = {
    "KAM_MAX_UPLOAD_BYTES": 25 * 1024 * 1024,
    # Invoice lines are imported by a background job, in DuckDB, and real ERP exports of a
    # few years run to hundreds of megabytes: they have a limit of their own.
    "KAM_MAX_LINES_UPLOAD_BYTES": 2 * 1024 * 1024 * 1024,
    "KAM_IMPORT_MAX_COLUMNS": 200,
    "KAM_IMPORT_MAX_ROWS": 100_000,
    "KAM_IMPORT_MAX_PROBLEMS": 1_000,
    "KAM_IMPORT_MAX_OCCURRENCES": 10_000,
    "KAM_IMPORT_MAX_XLSX_BYTES": 100 * 1024 * 1024,
    "KAM_IMPORT_MAX_XLSX_RATIO": 100,
    "KAM_IMPORT_SECONDS": 60,
    "KAM_IMPORT_FIRST_YEAR": 1900,
    "KAM_IMPORT_LAST_YEAR": 2100,
}

#: Members of an XLSX smaller than this are not judged by their ratio (a small, repetitive
#: XML part packs very well and costs nothing).
_RATIO_FLOOR = 1024 * 1024


def limit(name: str) -> int:
    """The value of the limit ``name`` (a key of ``DEFAULTS``): the Django setting, or (in
    the commands that run without Django, such as ``kam facts``) the environment variable of
    the same name, or its default."""
    settings = django_settings()
    if settings is not None:
        return int(getattr(settings, name, DEFAULTS[name]))
    return int(os.environ.get(name, DEFAULTS[name]))


def _n(value: int) -> str:
    return f"{value:,}"


def _size(n_bytes: int) -> str:
    if n_bytes >= 1024 * 1024:
        return f"{n_bytes / (1024 * 1024):,.1f} MB"
    if n_bytes >= 1024:
        return f"{n_bytes / 1024:,.1f} KB"
    return f"{n_bytes:,} bytes"


class ImportLimitError(ApplicationError):
    """A file refused because it goes beyond one of the limits; ``setting`` names it."""

    def __init__(
        self, message: str, *, setting: str, status: int = 422, field: str | None = None
    ) -> None:
        super().__init__(message, status=status, field=field)
        self.setting = setting


# --- size, columns, rows ------------------------------------------------------------------


def upload_size_check(size: int, *, name: str = "", setting: str = "KAM_MAX_UPLOAD_BYTES") -> None:
    """Refuse a file of ``size`` bytes above the limit ``setting`` (413); invoice lines use
    ``KAM_MAX_LINES_UPLOAD_BYTES``, every other file ``KAM_MAX_UPLOAD_BYTES``."""
    largest = limit(setting)
    if size > largest:
        raise ImportLimitError(
            _(
                "%(name)s is %(size)s; kam reads files of at most %(max)s "
                "(setting %(setting)s). Split the file or ask the administrator."
            )
            % {
                "name": name or _("The file"),
                "size": _size(size),
                "max": _size(largest),
                "setting": setting,
            },
            setting=setting,
            status=413,
            field="file",
        )


def columns_check(count: int, *, row: int | None = 1) -> None:
    """Refuse a table whose row ``row`` has more than ``KAM_IMPORT_MAX_COLUMNS`` columns."""
    most = limit("KAM_IMPORT_MAX_COLUMNS")
    if count > most:
        where = _("row %(row)d") % {"row": row} if row is not None else _("the file")
        raise ImportLimitError(
            _(
                "%(where)s has %(n)s columns; kam reads at most %(max)s "
                "(setting KAM_IMPORT_MAX_COLUMNS). Nothing was imported."
            )
            % {"where": where, "n": _n(count), "max": _n(most)},
            setting="KAM_IMPORT_MAX_COLUMNS",
        )


def rows_check(count: int, *, what: str = "") -> None:
    """Refuse a file with more than ``KAM_IMPORT_MAX_ROWS`` rows of data."""
    most = limit("KAM_IMPORT_MAX_ROWS")
    if count > most:
        raise ImportLimitError(
            _(
                "The file has more than %(max)s rows%(what)s; kam imports at most %(max)s "
                "at a time (setting KAM_IMPORT_MAX_ROWS). Split the file. Nothing was imported."
            )
            % {"max": _n(most), "what": f" ({what})" if what else ""},
            setting="KAM_IMPORT_MAX_ROWS",
        )


def limited_records(
    records: Iterable[R], *, header_rows: int = 1, rows: bool = True
) -> Iterator[R]:
    """``records`` (the rows of a table, header first), refusing a row wider than
    ``KAM_IMPORT_MAX_COLUMNS`` and (with ``rows``) more than ``KAM_IMPORT_MAX_ROWS`` rows of
    data, as they are read (a million-column line is refused before the next line is
    parsed). Files of invoice lines, read by DuckDB, have no row limit (``rows=False``)."""
    most_rows = limit("KAM_IMPORT_MAX_ROWS") + header_rows if rows else None
    most_columns = limit("KAM_IMPORT_MAX_COLUMNS")
    for number, record in enumerate(records, start=1):
        if len(record) > most_columns:
            columns_check(len(record), row=number)
        if most_rows is not None and number > most_rows:
            rows_check(number - header_rows)
        yield record


# --- time ---------------------------------------------------------------------------------


class Deadline:
    """The time budget of one import (``KAM_IMPORT_SECONDS``): ``check()`` in its loops
    refuses the import once the budget is spent. Cheap enough to call on every row."""

    def __init__(self, seconds: float | None = None) -> None:
        self.seconds = float(limit("KAM_IMPORT_SECONDS") if seconds is None else seconds)
        self.ends = time.monotonic() + self.seconds
        self._calls = 0

    def check(self) -> None:
        self._calls += 1
        if self._calls % 64 and self._calls > 1:
            return
        if time.monotonic() > self.ends:
            raise ImportLimitError(
                _(
                    "The import took longer than %(s)s seconds (setting KAM_IMPORT_SECONDS) "
                    "and was stopped; nothing was imported. Split the file."
                )
                % {"s": f"{self.seconds:g}"},
                setting="KAM_IMPORT_SECONDS",
            )

    def each(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, checking the deadline before each."""
        for item in items:
            self.check()
            yield item


# --- XLSX ---------------------------------------------------------------------------------


def xlsx_check(content: bytes) -> None:
    """Refuse an XLSX (a zip archive) that would unpack to more than
    ``KAM_IMPORT_MAX_XLSX_BYTES``, or one of whose large members is packed more than
    ``KAM_IMPORT_MAX_XLSX_RATIO`` times: a zip bomb, judged from the archive's directory
    before openpyxl unpacks anything. A file that is not a zip archive is left to the reader
    (which refuses it in its own words)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    most = limit("KAM_IMPORT_MAX_XLSX_BYTES")
    ratio = limit("KAM_IMPORT_MAX_XLSX_RATIO")
    total = 0
    with archive:
        for member in archive.infolist():
            total += member.file_size
            packed = max(member.compress_size, 1)
            if member.file_size > _RATIO_FLOOR and member.file_size / packed > ratio:
                raise ImportLimitError(
                    _(
                        "The workbook's part %(part)s unpacks %(ratio)s times (%(size)s from "
                        "%(packed)s); kam refuses more than %(max)s times (setting "
                        "KAM_IMPORT_MAX_XLSX_RATIO): it looks like a zip bomb."
                    )
                    % {
                        "part": member.filename[:100],
                        "ratio": _n(member.file_size // packed),
                        "size": _size(member.file_size),
                        "packed": _size(member.compress_size),
                        "max": _n(ratio),
                    },
                    setting="KAM_IMPORT_MAX_XLSX_RATIO",
                    field="file",
                )
    if total > most:
        raise ImportLimitError(
            _(
                "The workbook unpacks to %(size)s; kam reads workbooks of at most %(max)s "
                "unpacked (setting KAM_IMPORT_MAX_XLSX_BYTES)."
            )
            % {"size": _size(total), "max": _size(most)},
            setting="KAM_IMPORT_MAX_XLSX_BYTES",
            field="file",
        )


# --- dates --------------------------------------------------------------------------------


def year_range() -> tuple[int, int]:
    """The first and last year a date in an imported file may have."""
    return limit("KAM_IMPORT_FIRST_YEAR"), limit("KAM_IMPORT_LAST_YEAR")


def first_last_day() -> tuple[dt.date, dt.date]:
    """The first and last plausible day (for guarding readers of stored data)."""
    first, last = year_range()
    return dt.date(max(first, dt.MINYEAR), 1, 1), dt.date(min(last, dt.MAXYEAR), 12, 31)


def date_plausible(value: dt.date) -> bool:
    """Whether ``value`` lies in the plausible years (``KAM_IMPORT_FIRST_YEAR`` ..
    ``KAM_IMPORT_LAST_YEAR``)."""
    first, last = year_range()
    return first <= value.year <= last


def date_reason(value: Any) -> str:
    """Why the date ``value`` (a date or its text) is refused."""
    first, last = year_range()
    return _(
        "'%(value)s' is outside the years %(first)s to %(last)s that kam accepts "
        "(settings KAM_IMPORT_FIRST_YEAR and KAM_IMPORT_LAST_YEAR); check the year."
    ) % {"value": value, "first": first, "last": last}


def date_check(value: dt.date, *, field: str | None = None) -> dt.date:
    """``value``, or an ``ImportLimitError`` naming the plausible years."""
    if not date_plausible(value):
        raise ImportLimitError(
            date_reason(value.isoformat()), setting="KAM_IMPORT_FIRST_YEAR", field=field
        )
    return value


def sql_date_plausible(date_sql: str) -> str:
    """SQL (DuckDB): whether the DATE expression ``date_sql`` lies in the plausible years;
    vectorised, for files of millions of lines."""
    first, last = year_range()
    return f"({date_sql} BETWEEN DATE '{first:04d}-01-01' AND DATE '{last:04d}-12-31')"


def sql_plausible_lines(source_sql: str, column: str = "invoice_date") -> str:
    """SQL (DuckDB): the rows of ``source_sql`` (``read_parquet(…)``) whose ``column`` lies in
    the plausible years. Every reader of stored invoice lines goes through it, so that lines
    stored before this rule existed (year 0, 9999) are left out instead of breaking every
    economics page."""
    return f"(SELECT * FROM {source_sql} WHERE {sql_date_plausible(column)})"
