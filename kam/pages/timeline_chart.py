"""The account history's picture: attractiveness and our strength (0-10) in each closed
review, as a Vega-Lite spec built with Altair and drawn with the Vega bundle kam serves
(kam's chart embedder, web/charts.js, draws it), each point coloured by the review's box."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
from django.utils.translation import gettext as _

from kam.pages.timeline import ReviewPoint
from kam.portfolio.charts import BOX_COLOURS, FONT, INK, MUTED, box_labels
from kam.web import formats

HEIGHT = 220


def scores_chart(reviews: Sequence[ReviewPoint]) -> dict[str, Any] | None:
    """Attractiveness and strength per review (x: the review, in date order); None with
    fewer than two scored reviews (one point is no history)."""
    scored = [r for r in reviews if r.attractiveness is not None or r.strength is not None]
    if len(scored) < 2:
        return None
    labels = box_labels()
    att, strength = _("Attractiveness"), _("Our strength")
    rows = []
    order = []
    for r in scored:
        x = formats.month(r.review_date)
        if x in order:  # two reviews in one month
            x = formats.date(r.review_date)
        order.append(x)
        for name, value in ((att, r.attractiveness), (strength, r.strength)):
            if value is not None:
                rows.append(
                    {
                        "review": x,
                        "name": r.review_name,
                        "score": round(value, 1),
                        "axis": name,
                        "box": labels.get(r.box, _("not placed")),
                        "shown": formats.number(value, 1),
                    }
                )
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("review:N", title=None, sort=order, axis=alt.Axis(labelAngle=0, labelLimit=180)),
        y=alt.Y("score:Q", title=_("Score (0-10)"), scale=alt.Scale(domain=[0, 10])),
        color=alt.Color(
            "axis:N",
            title=None,
            scale=alt.Scale(
                domain=[att, strength], range=[BOX_COLOURS["key"], BOX_COLOURS["maintenance"]]
            ),
        ),
        tooltip=[
            alt.Tooltip("name:N", title=_("Review")),
            alt.Tooltip("axis:N", title=_("Score")),
            alt.Tooltip("shown:N", title=_("Value")),
            alt.Tooltip("box:N", title=_("Box")),
        ],
    )
    chart = base.mark_line(point=alt.OverlayMarkDef(size=70, filled=True), strokeWidth=2.5)
    spec: dict[str, Any] = (
        chart.properties(width="container", height=HEIGHT)
        .configure(
            font=FONT,
            background="#ffffff",
            padding={"left": 4, "right": 4, "top": 8, "bottom": 4},
            view=alt.ViewConfig(stroke=None),
            axis=alt.AxisConfig(
                labelFontSize=12,
                titleFontSize=12,
                titleColor=INK,
                labelColor=MUTED,
                domainColor="#c6cfd9",
                tickColor="#c6cfd9",
                gridColor="#eef2f7",
            ),
            legend=alt.LegendConfig(labelFontSize=12, labelColor=INK, orient="top"),
        )
        .to_dict()
    )
    return formats.chart_localised(spec)
