"""Delimited text as every import of kam reads it: the delimiter, the header, stray CRs.

Spreadsheet programs in Dutch and German save "CSV" with semicolons (the comma is their
decimal separator), and some tools save tab-separated text; a file's delimiter is the one of
comma, semicolon and tab that its header line holds most. Header names are trimmed of
spaces, a byte-order mark and stray carriage returns, so that ``amount\\r`` is ``amount``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence

from kam.i18n import _
from kam.imports.limits import limited_records

DELIMITERS = (",", ";", "\t")


def delimiter_of(first_line: str, candidates: tuple[str, ...] = DELIMITERS) -> str:
    """The delimiter of a file whose header line is ``first_line`` (comma when it has none)."""
    counts = {d: first_line.count(d) for d in candidates}
    best = max(candidates, key=lambda d: counts[d])
    return best if counts[best] else ","


def header_name(cell: str) -> str:
    """A header cell without the byte-order mark, spaces and carriage returns around it."""
    return cell.replace("\ufeff", "").replace("\r", "").strip()


def without_stray_cr(text: str) -> str:
    """``text`` with carriage returns taken out of its first (header) line, except the one
    ending it: a CR inside the header line would otherwise split it into two records."""
    line, newline, rest = text.partition("\n")
    if not newline:  # one line, or lines ended by CR alone (old Mac files): left as it is
        return text
    ending = "\r" if line.endswith("\r") else ""
    core = line[: len(line) - len(ending)]
    if "\r" not in core:
        return text
    return core.replace("\r", "") + ending + newline + rest


def csv_reader(text: str, *, rows: bool = True) -> Iterator[list[str]]:
    """A ``csv.reader`` over ``text`` in its own delimiter, with stray CRs out of the header
    line (the caller trims the header names with ``header_name``). ``rows``: whether the
    row limit applies (files of transactions have none)."""
    text = without_stray_cr(text)
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter_of(text.split("\n", 1)[0])
    )
    # a row wider than KAM_IMPORT_MAX_COLUMNS, or more rows than KAM_IMPORT_MAX_ROWS, is
    # refused as it is read (kam.imports.limits)
    return limited_records(reader, rows=rows)


def csv_rows(
    reader: Iterator[list[str]],
    *,
    name: str,
    header: Sequence[str],
    column: Mapping[str, int],
    columns: Sequence[str],
    problems: list[str],
    blanks: str | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """The data rows after the header as (row number, cells of ``columns``), header = row 1.

    Blank rows are skipped; a short row or unreadable CSV is reported in ``problems`` (a
    CSV error ends the file, since nothing after it can be trusted). Cells are stripped of
    ``blanks`` (``str.strip``'s argument: whitespace when None), and a row is blank when
    every cell is.
    """
    row_number = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(
                _("%(file)s: row %(row)s: %(reason)s")
                % {"file": name, "row": row_number + 1, "reason": exc}
            )
            return
        row_number += 1
        if not any(cell.strip(blanks) for cell in record):
            continue
        if len(record) < len(header):
            problems.append(
                _("%(file)s: row %(row)s: %(found)s fields, the header has %(expected)s")
                % {"file": name, "row": row_number, "found": len(record), "expected": len(header)}
            )
            continue
        yield row_number, {c: record[column[c]].strip(blanks) for c in columns}
