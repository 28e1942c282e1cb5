"""Charts of the plan exports, as Vega-Lite definitions (Altair), like the matrix.

One definition per chart: the PDF embeds it as SVG and the slide as PNG, both drawn by
vl-convert, so both show one picture. ``chart_svg`` and ``chart_png`` are those of
``kam.portfolio.charts`` with the numbers written in the active language (1.234.567 in
Dutch): the export is in one language from title to axis labels.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import vl_convert
from django.utils.translation import gettext as _

from kam.core.cells import xml_safe
from kam.plans.document import ProfitPlanDoc
from kam.portfolio.charts import FONT, INK, MUTED, chart_spec
from kam.portfolio.charts import chart_svg as portfolio_chart_svg
from kam.web import formats

CURRENT = "#9aa3ad"
TARGET = "#1f3a5f"
INVESTMENT = "#e9a23b"
RETURN = "#2a9d8f"


def profit_chart(profit: ProfitPlanDoc, *, currency: str) -> dict[str, Any] | None:
    """Bars of current and target revenue, investment and expected return (section 5), in
    ``currency``; None when the profit plan holds none of these amounts."""
    bars = [
        (_("Revenue now"), profit.revenue_current, CURRENT),
        (_("Revenue target"), profit.revenue_target, TARGET),
        (_("Investment"), profit.investment, INVESTMENT),
        (_("Expected return"), profit.expected_return, RETURN),
    ]
    values = [
        {"k": label, "v": float(amount), "c": colour, "o": i}
        for i, (label, amount, colour) in enumerate(bars)
        if amount is not None
    ]
    if not values:
        return None
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X(
            "k:N",
            sort=[str(v["k"]) for v in values],
            axis=alt.Axis(title=None, labelAngle=0, labelFontSize=13, labelColor=INK),
        ),
        y=alt.Y(
            "v:Q",
            axis=alt.Axis(
                title=currency,
                labelExpr=formats.vega_compact_expr(),
                grid=True,
                gridColor="#eef2f7",
            ),
            scale=alt.Scale(nice=True, zero=True),
        ),
    )
    bars_layer = base.mark_bar(cornerRadiusTopLeft=3, cornerRadiusTopRight=3, size=70).encode(
        color=alt.Color("c:N", scale=None)
    )
    labels = base.mark_text(dy=-8, fontSize=13, fontWeight=600, color=INK, font=FONT).encode(
        text=alt.Text("v:Q", format=",.0f")
    )
    chart = (
        alt.LayerChart(layer=[bars_layer, labels], width=560, height=300)
        .configure(font=FONT, background="#ffffff", padding=10)
        .configure_view(stroke=None)
        .configure_axis(
            labelFontSize=12,
            titleFontSize=12,
            titleColor=MUTED,
            labelColor=MUTED,
            domainColor="#c6cfd9",
            tickColor="#c6cfd9",
        )
    )
    return chart_spec(chart)


def chart_svg(spec: dict[str, Any]) -> str:
    """The chart as an SVG document, numbers and months in the active language."""
    return portfolio_chart_svg(spec)


def chart_png(spec: dict[str, Any], *, scale: float = 2.0) -> bytes:
    """The chart as a PNG, drawn through the SVG (as ``kam.portfolio.charts.chart_png``)."""
    return bytes(vl_convert.svg_to_png(xml_safe(chart_svg(spec)), scale=scale))
