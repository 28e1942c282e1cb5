"""The one set of formatting functions, with hand-worked English and Dutch examples."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from kam.web import formats as f

M = "\u2212"  # the minus sign


@pytest.mark.parametrize(
    ("call", "en", "nl"),
    [
        (lambda lang: f.number(1234.5, 1, language=lang), "1,234.5", "1.234,5"),
        (lambda lang: f.number(1234567, language=lang), "1,234,567", "1.234.567"),
        (lambda lang: f.number(-6359.4, language=lang), f"{M}6,359", f"{M}6.359"),
        (lambda lang: f.number(-0.4, language=lang), "0", "0"),
        (lambda lang: f.number(Decimal("2.675"), 2, language=lang), "2.68", "2,68"),
        (lambda lang: f.number(None, language=lang), "–", "–"),
        (lambda lang: f.money(6359, language=lang), "EUR 6,359", "EUR 6.359"),
        (lambda lang: f.money(Decimal("6358.5"), "GBP", language=lang), "GBP 6,359", "GBP 6.359"),
        (lambda lang: f.money(-1200, language=lang), f"EUR {M}1,200", f"EUR {M}1.200"),
        (lambda lang: f.percent(0.253, language=lang), "25%", "25%"),
        (lambda lang: f.percent(0.2534, 1, language=lang), "25.3%", "25,3%"),
        (lambda lang: f.percent("x", language=lang), "–", "–"),
        (lambda lang: f.compact(19_200_000, language=lang), "19.2M", "19,2 mln"),
        (lambda lang: f.compact(3_000_000, language=lang), "3M", "3 mln"),
        (lambda lang: f.compact(2_450_000_000, language=lang), "2.5B", "2,5 mld"),
        (lambda lang: f.compact(12_340, language=lang), "12.3k", "12,3k"),
        (lambda lang: f.compact(999_960, language=lang), "1M", "1 mln"),
        (lambda lang: f.compact(640, language=lang), "640", "640"),
        (lambda lang: f.date(dt.date(2026, 12, 7), language=lang), "7 Dec 2026", "7 dec 2026"),
        (lambda lang: f.date(dt.date(2026, 3, 1), language=lang), "1 Mar 2026", "1 mrt 2026"),
        (lambda lang: f.month(dt.date(2024, 12, 1), language=lang), "Dec 2024", "dec 2024"),
    ],
)
def test_english_and_dutch(call, en, nl):  # type: ignore[no-untyped-def]
    assert call("en") == en
    assert call("nl") == nl


def test_the_active_language_is_used_when_none_is_given():
    with translation.override("nl"):
        assert f.number(1234.5, 1) == "1.234,5"
        assert f.date(dt.date(2026, 12, 7)) == "7 dec 2026"
    with translation.override("en"):
        assert f.number(1234.5, 1) == "1,234.5"


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_template_date_filter_uses_the_same_one_format(language):  # type: ignore[no-untyped-def]
    from django.template import Context, Template

    day = dt.date(2026, 12, 7)
    template = Template(
        '{{ d }}|{{ d|date }}|{{ d|date:"DATE_FORMAT" }}|{{ d|date:"SHORT_DATE_FORMAT" }}'
    )
    with translation.override(language):
        shown = set(template.render(Context({"d": day})).split("|"))
    assert shown == {f.date(day, language=language)}


def test_the_chart_locale_of_dutch_writes_a_decimal_comma_and_dutch_months():
    nl = f.d3_locale("nl")
    assert nl["format"]["decimal"] == ","
    assert nl["format"]["thousands"] == "."
    assert nl["time"]["shortMonths"][11] == "dec"
    assert nl["time"]["shortMonths"][2] == "mrt"
    assert nl["time"]["months"][2] == "maart"
    en = f.d3_locale("en")
    assert (en["format"]["decimal"], en["format"]["thousands"]) == (".", ",")
    assert en["time"]["shortMonths"][11] == "Dec"
    assert en["time"]["days"][0] == "Sunday"


def test_a_gain_always_shows_its_sign_and_nothing_is_not_a_gain():
    assert f.signed_money(1_060_000.4, language="en") == "EUR +1,060,000"
    assert f.signed_money(-1_083_486, language="en") == "EUR −1,083,486"
    assert f.signed_money(1234.5, language="nl") == "EUR +1.235"
    assert f.signed_money(0.2, language="en") == "EUR 0"
    assert f.signed_money(None) == "–"
