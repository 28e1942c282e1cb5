"""Numbers, money, percentages and dates the user's way: the one set of formatting functions.

Pages (through the ``kam_formats`` template filters), chart tooltips and axes (through
:func:`d3_locale`), and the PDF and PowerPoint exports (``kam.reports.formats``) all call
these, so a number looks the same everywhere in one language:

===================  ===================  ======================
what                 English              Dutch
===================  ===================  ======================
number(1234.5, 1)    1,234.5              1.234,5
money(6359)          EUR 6,359            EUR 6.359
percent(0.253)       25%                  25%
percent(0.2534, 1)   25.3%                25,3%
compact(19.2e6)      19.2M                19,2 mln
date(7 Dec 2026)     7 Dec 2026           7 dec 2026
month(Dec 2026)      Dec 2026             dec 2026
===================  ===================  ======================

Negative numbers get a real minus sign (−), which lines up with the digits. Unknown
values (``None``, not a number) show as a dash. Each function formats in the active
language, or in ``language`` when given (an export in the language it was asked in).
Dates use the display formats of ``kam/web/locale_formats`` (one per language).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import translation
from django.utils.formats import date_format, number_format

DASH = "–"
MINUS = "−"

# Short scale abbreviations after the number; Dutch writes "mln" and "mld" with a space.
_COMPACT: dict[str, list[tuple[float, str]]] = {
    "en": [(1e9, "B"), (1e6, "M"), (1e3, "k")],
    "nl": [(1e9, " mld"), (1e6, " mln"), (1e3, "k")],
}


def _language(language: str | None) -> str:
    code = (language or translation.get_language() or "en").split("-")[0].lower()
    return code if code in _COMPACT else "en"


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def half_up(value: float | Decimal | None, places: int = 0) -> Decimal | None:
    """``value`` rounded half up to ``places`` decimals (None stays None): the one rounding
    of displayed figures, so 233.5 shows as 234 on the page, in the PDF and in the deck."""
    if value is None:
        return None
    number = Decimal(str(value))
    if not number.is_finite():
        return None
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def number(value: Any, digits: int = 0, *, language: str | None = None) -> str:
    """``value`` with ``digits`` decimals and thousands grouping: 1,234.5 / 1.234,5."""
    x = _float(value)
    if x is None:
        return DASH
    digits = max(int(digits), 0)
    # half away from zero, as people round by hand (Python's round() goes to even)
    rounded = Decimal(str(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "−0"
    with translation.override(_language(language)):
        text = number_format(abs(rounded), decimal_pos=digits, force_grouping=True)
    return f"{MINUS}{text}" if rounded < 0 else text


def money(
    value: Any, currency: str = "EUR", digits: int = 0, *, language: str | None = None
) -> str:
    """An amount with its currency code in front: "EUR 6,359" / "EUR 6.359"."""
    if _float(value) is None:
        return DASH
    return f"{currency} {number(value, digits, language=language)}".strip()


def signed_money(
    value: Any, currency: str = "EUR", digits: int = 0, *, language: str | None = None
) -> str:
    """A gain or loss with its sign always written: "EUR +1,060,000" / "EUR −1.083.486"
    (nothing rounds to zero gets no sign)."""
    x = _float(value)
    text = money(value, currency, digits, language=language)
    if x is None or round(x, max(int(digits), 0)) <= 0:
        return text
    return f"{currency} +{number(x, digits, language=language)}".strip()


def percent(fraction: Any, digits: int = 0, *, language: str | None = None) -> str:
    """A fraction as a percentage: 0.253 → "25%"; with one digit "25.3%" / "25,3%"."""
    x = _float(fraction)
    if x is None:
        return DASH
    return f"{number(100 * x, digits, language=language)}%"


def compact(value: Any, digits: int = 1, *, language: str | None = None) -> str:
    """A large number shortened: 19,200,000 → "19.2M" / "19,2 mln"; 640 → "640".

    Trailing zero decimals are dropped ("3M", not "3.0M").
    """
    x = _float(value)
    if x is None:
        return DASH
    lang = _language(language)
    digits = max(int(digits), 0)
    for size, suffix in _COMPACT[lang]:
        scaled = round(x / size, digits)
        if abs(scaled) >= 1:
            shown = digits if scaled != int(scaled) else 0
            return f"{number(scaled, shown, language=lang)}{suffix}"
    return number(x, 0, language=lang)


def date(value: dt.date | dt.datetime | None, *, language: str | None = None) -> str:
    """A day: "7 Dec 2026" / "7 dec 2026"."""
    if value is None:
        return DASH
    with translation.override(_language(language)):
        return date_format(value, "DATE_FORMAT")


def month(value: dt.date | dt.datetime | None, *, language: str | None = None) -> str:
    """A month: "Dec 2026" / "dec 2026"."""
    if value is None:
        return DASH
    with translation.override(_language(language)):
        return date_format(value, "YEAR_MONTH_FORMAT")


# --- charts ------------------------------------------------------------------------------

_D3_NUMBER = {
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["EUR ", ""]},
    "nl": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["EUR ", ""]},
}


def d3_locale(language: str | None = None) -> dict[str, dict[str, Any]]:
    """The d3 ``formatLocale`` and ``timeFormatLocale`` of a language for Vega-Lite.

    Given to vega-embed in the browser (``formatLocale``/``timeFormatLocale`` options) and
    to vl-convert for PNG/SVG exports (``format_locale``/``time_format_locale``), so chart
    axes and tooltips write numbers and months as the pages do.
    """
    lang = _language(language)
    with translation.override(lang):
        days = [date_format(dt.date(2023, 1, 1 + i), "l") for i in range(7)]  # a Sunday
        short_days = [date_format(dt.date(2023, 1, 1 + i), "D") for i in range(7)]
        months = [date_format(dt.date(2023, m, 1), "F") for m in range(1, 13)]
        short_months = [
            date_format(dt.date(2023, m, 1), "b" if lang == "nl" else "M") for m in range(1, 13)
        ]
    number_locale = {**_D3_NUMBER[lang], "minus": MINUS}
    time_locale = {
        "dateTime": "%a %e %B %Y %X",
        "date": "%d-%m-%Y" if lang == "nl" else "%m/%d/%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": days,
        "shortDays": short_days,
        "months": months,
        "shortMonths": short_months,
    }
    return {"format": number_locale, "time": time_locale}


def chart_localised(spec: dict[str, Any], language: str | None = None) -> dict[str, Any]:
    """``spec`` (a Vega-Lite dict) carrying the language's locale in ``config.locale``.

    Vega applies it wherever the spec is drawn (vega-embed in the page, vl-convert for
    the PDF and PowerPoint pictures), so a chart that travels alone still writes
    ``1.234,5`` and ``dec`` in Dutch.
    """
    locale = d3_locale(language)
    config = dict(spec.get("config") or {})
    config["locale"] = {"number": locale["format"], "time": locale["time"]}
    return {**spec, "config": config}


def vega_compact_expr(field: str = "datum.value", language: str | None = None) -> str:
    """A Vega expression writing ``field`` as :func:`compact` does ("19,2 mln" in Dutch).

    For axis ``labelExpr`` and ``calculate`` transforms: d3's SI format ("~s") would
    write "19.2M" and "2.5G" whatever the language. ``format`` in the expression uses the
    chart's locale (:func:`chart_localised`) for the decimal sign.
    """
    lang = _language(language)
    expr = f"format({field}, ',.0f')"
    for size, suffix in reversed(_COMPACT[lang]):
        scaled = f"{field} / {size:.0e}"
        expr = f"abs({scaled}) >= 0.95 ? format({scaled}, ',.1~f') + '{suffix}' : ({expr})"
    return expr
