"""What the ``kam`` commands share: argument types, the ``--decimal`` option, reading an
input file (one set of messages for a missing, unreadable or malformed file), and starting
Django for the commands that use the database.

Importing this module is cheap (the standard library, ``kam.i18n`` and
``kam.imports.numbers``): every command's parser uses it, and ``kam <command> --help``
imports no numpy, Django or DuckDB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from kam.i18n import _
from kam.imports.files import file_error
from kam.imports.numbers import CONVENTIONS, Convention, NumberReading, read_numbers

#: The exit status of a command refused for bad input (a file, an option, a limit).
BAD_INPUT = 2


class InputProblems(Exception):
    """Everything wrong with the input files, one line each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


# --- argument types (argparse says "kam <command>: error: argument --x: <message>") ------


def whole_number(text: str) -> int:
    """``text`` as a whole number (``int``)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("'%(value)s' is not a whole number") % {"value": text}
        ) from None


def number(text: str) -> float:
    """``text`` as a number (``float``; the caller checks that it is finite and in range)."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("'%(value)s' is not a number") % {"value": text}
        ) from None


def iso_date(text: str) -> dt.date:
    """``text`` as a date, YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("'%(value)s' is not a date (YYYY-MM-DD)") % {"value": text}
        ) from None


def add_decimal_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--decimal comma|point``: the decimal separator of the numbers in the input
    files (default: told from each file; see docs/import.md, Numbers)."""
    parser.add_argument(
        "--decimal",
        choices=CONVENTIONS,
        default=None,
        help=_(
            "the input files' decimal separator: comma (1.250,50) or point (1,250.50); "
            "default: told from each file as a whole"
        ),
    )


# --- reading input files --------------------------------------------------------------------


def file_text(path: Path, name: str, problems: list[str]) -> str | None:
    """The text of ``path`` (UTF-8, a BOM dropped, line ends as they are), or None with
    the reason appended to ``problems``, naming the file as ``name``."""
    from kam.imports.limits import upload_size_check

    try:
        # newline="": line ends as they are, so that a CR inside a CSV header is seen as one
        # a file beyond KAM_MAX_UPLOAD_BYTES is refused before it is read (exit 2)
        upload_size_check(path.stat().st_size, name=name)
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(file_error(exc, name))
    return None


def read_file_numbers(
    rows: Sequence[tuple[int, Mapping[str, str]]],
    fields: Sequence[str],
    *,
    decimal: Convention | None,
) -> tuple[NumberReading, dict[tuple[int, str], str]]:
    """The numbers of ``fields`` in every row, read together (``kam.imports.numbers``), and
    the reason each one written in the wrong convention is refused, by (row, field)."""
    numbers = read_numbers(
        (
            ((row, field), row, field, cells[field])
            for row, cells in rows
            for field in fields
            if cells[field]
        ),
        decimal=decimal,
    )
    # A cell that is no number at all gets the caller's own message, which says what
    # the field wants; the others (two readings, the file's other convention) get these.
    refused = {
        (p.row or 0, p.column): p.reason for p in numbers.problems if p.code != "not_a_number"
    }
    return numbers, refused


# --- the commands that use the database -----------------------------------------------------


def data_dir_ready() -> None:
    """Check the data directory before Django reads the settings; on failure, print why
    and exit with status 2 (no traceback)."""
    from kam.datadir import DataDirError, data_dir, data_dir_ensure, tighten

    path = data_dir()
    try:
        data_dir_ensure(path)
    except DataDirError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(BAD_INPUT) from None
    tighten(path)


def django_setup() -> None:
    """The data directory checked, then Django set up with kam's settings."""
    data_dir_ready()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    import django

    django.setup()


def failure_reason(exc: Exception) -> str:
    """A message for a failure of the system (disk, permissions, database connection)."""
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or exc}: {exc.filename}"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
