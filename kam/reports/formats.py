"""Numbers as the exports print them, in the active language (1,234 or 1.234)."""

from __future__ import annotations

from django.utils.formats import number_format


def whole(value: float | None) -> str:
    """A whole number with thousands grouping; "-" when unknown."""
    if value is None:
        return "-"
    return number_format(round(value), force_grouping=True)


def decimal(value: float | None, digits: int = 1) -> str:
    """A number with ``digits`` decimals in the active language; "-" when unknown."""
    if value is None:
        return "-"
    return number_format(round(value, digits), decimal_pos=digits, force_grouping=True)


def percent(share: float | None) -> str:
    """A share 0-1 as a whole percentage ("42 %" style without the space: "42%")."""
    if share is None:
        return "-"
    return f"{round(share * 100)}%"


def money(value: float | None, currency: str) -> str:
    """An amount with its currency code in front: "EUR 1,234,567"."""
    if value is None:
        return "-"
    return f"{currency} {whole(value)}"
