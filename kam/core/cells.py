"""Text that leaves kam in a file: spreadsheet cells and XML (XLSX, SVG) that others open.

One guard for every CSV and XLSX export (OWASP "CSV injection"): a spreadsheet program runs
a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula,
so such text gets a leading quote in CSV files (the account import takes it off again).
XML 1.0 cannot hold most control characters: openpyxl refuses them and an SVG renderer
fails on them, so exports drop them from text already stored.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Characters XML 1.0 does not allow (tab, newline and carriage return are allowed), plus
# the C1 controls and DEL that no name needs either.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# A control character in a one-line name: every C0 control (tab and newlines included), DEL
# and the C1 controls.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold."""
    return _XML_ILLEGAL.sub("", text)


def has_control_character(text: str) -> bool:
    """Whether ``text`` holds a control character (a name must not)."""
    return _CONTROL.search(text) is not None


def spreadsheet_cell(value: object) -> object:
    """``value`` as a CSV export writes it: text that would run as a formula gets a quote.

    Numbers written as text (``-12.5``) stay as they are; other values are returned
    unchanged. Characters XML cannot hold are dropped, so the same value fits an XLSX cell.
    """
    if not isinstance(value, str):
        return value
    text = xml_safe(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def spreadsheet_row(values: list[object] | tuple[object, ...]) -> list[object]:
    """Every cell of a row through :func:`spreadsheet_cell`."""
    return [spreadsheet_cell(v) for v in values]
