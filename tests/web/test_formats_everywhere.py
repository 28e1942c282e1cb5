"""Numbers and dates the user's way on pages, in charts and in the exports (kam.web.formats)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.conftest import client_for
from tests.factories import AccountFactory, AccountRevenueFactory, PlacementFactory, ReviewFactory
from tests.reports.conftest import (  # noqa: F401  (fixtures)
    marked_plan,
    pdf_text,
    portfolio,
    pptx_texts,
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [("nl", "1.234,50", "1,234.50"), ("en", "1,234.50", "1.234,50")],
)
def test_a_page_writes_numbers_in_its_language(director, language, shown, not_shown):  # type: ignore[no-untyped-def]
    account = AccountFactory(currency="EUR")
    AccountRevenueFactory(account=account, year=2025, amount=Decimal("1234.50"))
    client = client_for(director)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(reverse("accounts:detail", args=[account.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert shown in html
    assert not_shown not in html


@pytest.mark.parametrize("language", ["nl", "en"])
def test_chart_specs_carry_the_language_locale(language):  # type: ignore[no-untyped-def]
    import altair as alt

    from kam.allocation.charts import spec_of
    from kam.portfolio.charts import chart_spec

    chart = alt.Chart(alt.Data(values=[{"x": 1234.5}])).mark_point().encode(x="x:Q")
    decimal = {"nl": ",", "en": "."}[language]
    thousands = {"nl": ".", "en": ","}[language]
    with translation.override(language):
        for spec in (chart_spec(chart), spec_of(chart)):
            locale = spec["config"]["locale"]
            assert locale["number"]["decimal"] == decimal
            assert locale["number"]["thousands"] == thousands
            assert locale["time"]["shortMonths"][11] == {"nl": "dec", "en": "Dec"}[language]


def test_a_dutch_chart_drawn_for_an_export_writes_dutch_numbers_and_months():
    import altair as alt

    from kam.portfolio.charts import chart_spec, chart_svg

    chart = (
        alt.Chart(alt.Data(values=[{"v": 1234.5, "t": "2026-12-07"}]))
        .mark_text()
        .encode(text=alt.Text("v:Q", format=",.1f"))
    )
    months = (
        alt.Chart(alt.Data(values=[{"t": "2026-12-07"}]))
        .mark_text()
        .encode(text=alt.Text("t:T", format="%e %b %Y"))
    )
    with translation.override("nl"):
        number_svg = chart_svg(chart_spec(chart))
        month_svg = chart_svg(chart_spec(months))
    texts = re.findall(r">([^<]+)</text>", number_svg + month_svg)
    assert "1.234,5" in texts
    assert "7 dec 2026" in texts
    with translation.override("en"):
        assert "1,234.5" in re.findall(r">([^<]+)</text>", chart_svg(chart_spec(chart)))


@pytest.mark.parametrize(
    ("language", "value", "label"),
    [("nl", 19_200_000, "19,2 mln"), ("en", 19_200_000, "19.2M"), ("nl", 640_000, "640k")],
)
def test_chart_axes_abbreviate_large_numbers_as_the_pages_do(language, value, label):  # type: ignore[no-untyped-def]
    import altair as alt

    from kam.portfolio.charts import chart_spec, chart_svg
    from kam.web import formats

    with translation.override(language):
        chart = (
            alt.Chart(alt.Data(values=[{"v": value}]))
            .transform_calculate(label=formats.vega_compact_expr("datum.v"))
            .mark_text()
            .encode(text="label:N")
        )
        svg = chart_svg(chart_spec(chart))
        assert formats.compact(value) == label
    assert label in re.findall(r">([^<]+)</text>", svg)


@pytest.mark.django_db
def test_a_dutch_pdf_and_deck_write_dutch_numbers(marked_plan, kam_user):  # noqa: F811
    from kam.reports.plan_export import plan_export_build, plan_pdf, plan_pptx

    with translation.override("nl"):
        export = plan_export_build(plan=marked_plan, user=kam_user, audience="internal")
        pdf, pptx = plan_pdf(export), plan_pptx(export)
    text = pdf_text(pdf)
    slides = " ".join(pptx_texts(pptx))
    # the profit plan's revenue target of 1,600,000 and its due date, 31 December 2026
    for document in (text, slides):
        assert "1.600.000" in document
        assert "1,600,000" not in document
    assert "31 dec 2026" in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [("nl", "7 dec 2026", ["2026-12-07", "Dec. 7, 2026"]), ("en", "7 Dec 2026", ["2026-12-07"])],
)
def test_pages_write_dates_in_the_one_format_of_their_language(  # type: ignore[no-untyped-def]
    director, language, shown, not_shown
):
    from kam.activities.services import activity_create

    account = AccountFactory(owner=director)
    activity_create(
        user=director,
        account=account,
        date=dt.date(2026, 12, 7),
        duration_minutes=30,
        type="meeting",
        participants=[director],
    )
    review = ReviewFactory(name="Review", review_date=dt.date(2026, 12, 7))
    PlacementFactory(review=review, account=account, box="")
    client = client_for(director)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for url in (reverse("activities:list"), reverse("accounts:detail", args=[account.pk])):
        html = client.get(url).content.decode()
        assert shown in html, url
        for other in not_shown:
            assert other not in html, (url, other)
