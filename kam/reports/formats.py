"""Numbers as the exports print them, in the export's language (1,234 or 1.234).

Thin names over :mod:`kam.web.formats`, the one set of formatting functions the pages
and charts use too; the export runs under ``translation.override(lang)``, so each writes
in the language the export was asked in.
"""

from __future__ import annotations

from kam.web import formats


def whole(value: float | None) -> str:
    """A whole number with thousands grouping; a dash when unknown."""
    return formats.number(value)


def decimal(value: float | None, digits: int = 1) -> str:
    """A number with ``digits`` decimals in the active language; a dash when unknown."""
    return formats.number(value, digits)


def percent(share: float | None) -> str:
    """A share 0-1 as a whole percentage: "42%"."""
    return formats.percent(share)


def money(value: float | None, currency: str) -> str:
    """An amount with its currency code in front: "EUR 1,234,567" / "EUR 1.234.567"."""
    return formats.money(value, currency)
