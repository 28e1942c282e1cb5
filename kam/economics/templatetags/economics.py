"""Money as the economics pages show it: whole units with thousands separators, a real minus
sign, and a dash for nothing, in the user's language (``kam.web.formats``)."""

from __future__ import annotations

from django import template

from kam.web import formats
from kam.web.formats import half_up

register = template.Library()


def _whole(value: object) -> int | None:
    try:
        rounded = half_up(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if rounded is None else int(rounded)


@register.filter
def money(value: object) -> str:
    """1234567.8 → "1,234,568" (Dutch "1.234.568"); −5 → "−5"; None → "–"."""
    return formats.number(value)


@register.filter
def cost(value: object) -> str:
    """A cost shown as a deduction: 1234 → "−1,234"; 0 or None → "–"."""
    number = _whole(value)
    if not number:
        return "–"
    return money(-number)


@register.filter
def pct(value: object, digits: int = 0) -> str:
    """A fraction as a percentage: 0.253 → "25%"; None → "–"."""
    return formats.percent(value, int(digits))


@register.filter
def phase_label(phase: str) -> str:
    """What a transaction import is doing, in words."""
    from django.utils.translation import gettext as _

    labels = {
        "fingerprint": _("reading the file"),
        "reading": _("checking every value"),
        "checking": _("checking the rows together"),
        "writing": _("storing the lines"),
        "facts": _("computing the facts"),
        "prediction": _("predicting future value"),
    }
    return labels.get(phase, phase)
