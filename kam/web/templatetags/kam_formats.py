"""Template filters for numbers, money, percentages and dates: ``{% load kam_formats %}``.

Each is one function of :mod:`kam.web.formats` in the active language, so a page, its
charts and the exports write a number the same way: ``{{ x|number:1 }}`` → 1,234.5 /
1.234,5; ``{{ x|money:"EUR" }}`` → EUR 6,359 / EUR 6.359; ``{{ share|percent }}`` → 25%;
``{{ x|compact }}`` → 19.2M / 19,2 mln; ``{{ day|day }}`` → 7 Dec 2026 / 7 dec 2026.
"""

from __future__ import annotations

from typing import Any

from django import template

from kam.web import formats

register = template.Library()


@register.filter
def number(value: Any, digits: int = 0) -> str:
    return formats.number(value, digits)


@register.filter
def money(value: Any, currency: str = "EUR") -> str:
    return formats.money(value, currency)


@register.filter
def signed_money(value: Any, currency: str = "EUR") -> str:
    return formats.signed_money(value, currency)


@register.filter
def percent(value: Any, digits: int = 0) -> str:
    return formats.percent(value, digits)


@register.filter
def compact(value: Any, digits: int = 1) -> str:
    return formats.compact(value, digits)


@register.filter
def day(value: Any) -> str:
    return formats.date(value) if value else ""


@register.filter
def month(value: Any) -> str:
    return formats.month(value) if value else ""
