"""The table in an uploaded CSV or XLSX file, as every row-by-row import of kam reads it
(docs/import.md).

``csv_records`` reads CSV text into a header and numbered rows (the accounts, activities
and cost-to-serve imports); ``read_table`` reads an upload that may be CSV or an XLSX
workbook (the account import), keeping the cells a workbook stores as numbers aside so
that they are taken as they are. Rows are numbered as the spreadsheet numbers them: the
header is row 1. A file that cannot be read is refused whole (``ImportRefused``), before
anything is written, and the limits of ``kam.imports.limits`` apply as it is read.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kam.imports.limits import Deadline, columns_check, limited_records, rows_check, xlsx_check
from kam.imports.problems import ImportProblem, ImportRefused, file_refused
from kam.imports.tables import delimiter_of as _delimiter_of
from kam.imports.tables import header_name, without_stray_cr


@dataclass
class Table:
    """An uploaded table: its header and its rows, numbered as in the file."""

    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number in the file, cell texts)
    #: cells an XLSX file stores as numbers, by (row number, column index): taken as they are
    numbers: dict[tuple[int, int], int | float] = field(default_factory=dict)


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person would type into it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def unquote(text: str) -> str:
    """Undo export's guard against formulas (``kam.core.cells.spreadsheet_row``): a quote
    before =, +, -, @ is taken off."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def csv_records(
    content: bytes,
    *,
    error: type[ImportRefused] | None = None,
    delimiter_of: Callable[[str], str] | None = None,
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the numbered rows (from 2) of CSV text, for every CSV import of kam.

    UTF-8 (with or without a byte-order mark) or, as spreadsheet programs on Windows save
    it, Windows-1252. The delimiter is the one of comma, semicolon and tab that the first
    line holds most, unless ``delimiter_of(first_line)`` says otherwise. Header names are
    trimmed (``kam.imports.tables``); a carriage return inside the header line is taken out.
    A file that is not text, or that the csv module cannot read, raises ``error``
    (ImportRefused by default) naming the row.
    """
    error = error or ImportRefused
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    if "\x00" in text[:4096]:
        raise error(
            [
                ImportProblem(
                    None, "", _("The file is not CSV text; save it as CSV and upload that.")
                )
            ]
        )
    text = without_stray_cr(text)
    first_line = text.split("\n", 1)[0]
    delimiter = (delimiter_of or _delimiter_of)(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = [list(r) for r in limited_records(reader)]
    except csv.Error as exc:
        raise error(
            [
                ImportProblem(
                    reader.line_num or None,
                    "",
                    _("The CSV text cannot be read: %(error)s") % {"error": exc},
                )
            ]
        ) from None
    if not records:
        return [], []
    return [header_name(h) for h in records[0]], list(enumerate(records[1:], start=2))


def csv_table(content: bytes) -> Table:
    """The table of CSV text, with export's guard against formulas taken off each cell."""
    header, records = csv_records(content)
    return Table(header, [(n, [unquote(c) for c in cells]) for n, cells in records])


def _sheet_values(content: bytes, *, data_only: bool) -> list[tuple[Any, ...]]:
    xlsx_check(content)  # a zip bomb is refused from the archive's directory, unpacked never
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError):
        raise ImportRefused(
            [ImportProblem(None, "", _("The file cannot be read as an XLSX workbook."))]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        # the size the sheet declares (openpyxl pads every row to it): refused before reading
        columns_check(sheet.max_column or 0, row=None)
        rows_check((sheet.max_row or 1) - 1)
        deadline = Deadline()
        return [
            tuple(row) for row in deadline.each(limited_records(sheet.iter_rows(values_only=True)))
        ]
    finally:
        workbook.close()


def xlsx_table(content: bytes) -> Table:
    """The first sheet's cells as text, with the cells stored as numbers kept aside.

    A formula cell is read by the value the spreadsheet program stored with it. A workbook
    written by a program that stores no values (a script, some exports) has only the
    formula: such a cell is refused, never read as blank, so the workbook is read a second
    time for its formulas.
    """
    values = _sheet_values(content, data_only=True)
    if not values:
        return Table([], [])
    formulas = _sheet_values(content, data_only=False)
    problems: list[ImportProblem] = []
    numbers: dict[tuple[int, int], int | float] = {}
    records: list[list[str]] = []
    for number, (row, row_formulas) in enumerate(zip(values, formulas, strict=False), start=1):
        for index, value in enumerate(row):
            formula = row_formulas[index] if index < len(row_formulas) else None
            if value is None and isinstance(formula, str) and formula.startswith("="):
                problems.append(
                    ImportProblem(
                        number,
                        get_column_letter(index + 1),
                        _(
                            "the cell holds the formula %(formula)s but no value computed "
                            "from it; open the file in a spreadsheet program, save it, and "
                            "upload it again (or type the value)."
                        )
                        % {"formula": formula},
                    )
                )
            elif isinstance(value, int | float) and not isinstance(value, bool) and number > 1:
                numbers[(number, index)] = value
        records.append([cell_text(v) for v in row])
    if problems:
        raise ImportRefused(problems)
    rows = [(n, cells) for n, cells in enumerate(records[1:], start=2)]
    return Table([header_name(cell_text(h)) for h in values[0]], rows, numbers)


def read_table(content: bytes, filename: str, *, other_format: str) -> Table:
    """The table in an uploaded file; CSV (comma, semicolon or tab separated) or XLSX.

    The file's name tells which. ``other_format`` is the caller's (translated) refusal of a
    file that is neither, with ``%(name)s`` for the file's name and ``%(suffix)s`` for its
    ending.
    """
    suffix = PurePath(filename or "").suffix.lower()
    is_zip = content[:4] == b"PK\x03\x04"
    names = {"name": filename or "?", "suffix": suffix}
    if suffix == ".xls":
        raise file_refused(
            _(
                "'%(name)s' is in the old Excel format (.xls); save it as .xlsx or CSV "
                "and upload that."
            )
            % names
        )
    if suffix in {".xlsx", ".xlsm"}:
        if not content.strip():
            raise file_refused(_("The file is empty."))
        if not is_zip:
            raise file_refused(
                _("'%(name)s' is not an XLSX workbook, although its name ends in %(suffix)s.")
                % names
            )
        return xlsx_table(content)
    if suffix in {".csv", ".txt"}:
        if is_zip or b"\x00" in content[:4096]:
            raise file_refused(
                _(
                    "'%(name)s' is not CSV text (it looks like a spreadsheet or another "
                    "binary file); save it as CSV, or upload the workbook as .xlsx."
                )
                % names
            )
        return csv_table(content)
    raise file_refused(other_format % names)
