"""Pictures of the plan: the live sketch of a response curve (a small inline SVG drawn on
the server, so the browser does no maths of its own), an account's response curve with
today's and the planned point, and the capacity what-if (Vega-Lite through Altair,
embedded with the Vega bundle kam serves, as the matrix is)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
from django.utils.html import escape
from django.utils.translation import gettext as _

from kam.core.allocation.curves import ResponseCurve
from kam.core.allocation.solve import gain_per_hour
from kam.portfolio.charts import FONT, INK, MUTED
from kam.web import formats

SKETCH_WIDTH = 180
SKETCH_HEIGHT = 56
CURVE_COLOUR = "#2f6f9f"
TODAY_COLOUR = "#e07a1f"
PLAN_COLOUR = "#2a9d8f"


def _x_max(curve: ResponseCurve, *extra: float) -> float:
    # Three times today's hours shows the whole S; further when bounds or the plan lie beyond.
    return max([3.0 * curve.reference_hours, *[1.15 * e for e in extra if e and e > 0], 1.0])


def sketch_svg(curve: ResponseCurve, *, title: str = "") -> str:
    """A small SVG of ``curve`` from 0 to three times today's hours, with today's point
    marked and the saturation level dashed; the axes are implied (contribution from the
    lowest to the saturation level)."""
    x_max = _x_max(curve)
    xs = np.linspace(0.0, x_max, 61)
    ys = np.asarray(curve.contribution(xs), dtype=float)
    lo = min(float(curve.c), float(ys.min()))
    hi = max(float(curve.b), float(ys.max()))
    span = hi - lo if hi > lo else 1.0
    pad = 4.0

    def sx(x: float) -> float:
        return pad + (SKETCH_WIDTH - 2 * pad) * x / x_max

    def sy(y: float) -> float:
        return SKETCH_HEIGHT - pad - (SKETCH_HEIGHT - 2 * pad) * (y - lo) / span

    points = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys, strict=True))
    today_x = curve.reference_hours
    today_y = float(curve.contribution(today_x))
    label = escape(title or _("Response curve"))
    return (
        f'<svg class="sketch" xmlns="http://www.w3.org/2000/svg" width="{SKETCH_WIDTH}" '
        f'height="{SKETCH_HEIGHT}" viewBox="0 0 {SKETCH_WIDTH} {SKETCH_HEIGHT}" role="img" '
        f'aria-label="{label}" data-d="{curve.d:.4g}" data-e="{curve.e:.4g}">'
        f"<title>{label}</title>"
        f'<line x1="{pad}" y1="{sy(curve.b):.1f}" x2="{SKETCH_WIDTH - pad}" '
        f'y2="{sy(curve.b):.1f}" stroke="#c6cfd9" stroke-dasharray="3 3"/>'
        f'<line x1="{pad}" y1="{SKETCH_HEIGHT - pad}" x2="{SKETCH_WIDTH - pad}" '
        f'y2="{SKETCH_HEIGHT - pad}" stroke="#c6cfd9"/>'
        f'<polyline fill="none" stroke="{CURVE_COLOUR}" stroke-width="2" points="{points}"/>'
        f'<circle class="today" cx="{sx(today_x):.1f}" cy="{sy(today_y):.1f}" r="3.5" '
        f'fill="{TODAY_COLOUR}"/>'
        "</svg>"
    )


def _configure(chart: alt.LayerChart) -> alt.LayerChart:
    configured: alt.LayerChart = chart.configure(
        font=FONT,
        background="#ffffff",
        padding={"left": 6, "right": 6, "top": 6, "bottom": 6},
        view=alt.ViewConfig(stroke="#c6cfd9"),
        axis=alt.AxisConfig(
            labelFontSize=12,
            titleFontSize=12,
            titleColor=INK,
            labelColor=MUTED,
            titleFontWeight=600,
            domainColor="#c6cfd9",
            tickColor="#c6cfd9",
            gridColor="#eef2f7",
        ),
        legend=alt.LegendConfig(labelFontSize=12, titleFontSize=12, labelColor=INK),
    )
    return configured


def curve_chart(
    curve: ResponseCurve,
    *,
    account: str,
    currency: str,
    planned_hours: float | None,
    min_hours: float | None = None,
    max_hours: float | None = None,
) -> alt.TopLevelMixin:
    """An account's response curve (contribution per year against hours per year) with
    today's point and the planned point, and the policy bounds shaded out."""
    x_max = _x_max(curve, planned_hours or 0.0, min_hours or 0.0, max_hours or 0.0)
    xs = np.linspace(0.0, x_max, 121)
    ys = np.asarray(curve.contribution(xs), dtype=float)
    line = [{"h": round(float(x), 2), "r": round(float(y), 2)} for x, y in zip(xs, ys, strict=True)]
    today = _("Today")
    plan = _("Plan")
    points = [
        {
            "h": round(curve.reference_hours, 1),
            "r": round(float(curve.contribution(curve.reference_hours)), 2),
            "k": today,
        }
    ]
    if planned_hours is not None:
        points.append(
            {
                "h": round(planned_hours, 1),
                "r": round(float(curve.contribution(planned_hours)), 2),
                "k": plan,
            }
        )
    hours_title = _("Hours per year")
    contribution_title = _("Contribution per year (%(currency)s)") % {"currency": currency}
    x = alt.X("h:Q", title=hours_title, scale=alt.Scale(domain=[0, x_max], nice=False))
    y = alt.Y("r:Q", title=contribution_title, axis=alt.Axis(format=",.0f"))
    layers: list[Any] = []
    bands = []
    if min_hours:
        bands.append({"from": 0.0, "to": float(min_hours)})
    if max_hours is not None and max_hours < x_max:
        bands.append({"from": float(max_hours), "to": x_max})
    if bands:
        layers.append(
            alt.Chart(alt.Data(values=bands))
            .mark_rect(color="#eef2f7", opacity=0.8)
            .encode(x="from:Q", x2="to:Q")
        )
    layers.append(
        alt.Chart(alt.Data(values=line))
        .mark_line(color=CURVE_COLOUR, strokeWidth=2.5)
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("h:Q", title=hours_title, format=",.0f"),
                alt.Tooltip("r:Q", title=contribution_title, format=",.0f"),
            ],
        )
    )
    layers.append(
        alt.Chart(alt.Data(values=points))
        .mark_point(filled=True, size=130, opacity=1)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "k:N",
                title=None,
                scale=alt.Scale(domain=[today, plan], range=[TODAY_COLOUR, PLAN_COLOUR]),
                legend=alt.Legend(orient="bottom-right"),
            ),
            tooltip=[
                alt.Tooltip("k:N", title=" "),
                alt.Tooltip("h:Q", title=hours_title, format=",.0f"),
                alt.Tooltip("r:Q", title=contribution_title, format=",.0f"),
            ],
        )
    )
    chart = alt.LayerChart(
        layer=layers,
        width="container",
        height=300,
        title=alt.TitleParams(text=account, anchor="start", fontSize=14, color=INK, font=FONT),
        usermeta={"embedOptions": {"actions": False, "renderer": "svg"}},
    )
    return _configure(chart)


def what_if_chart(
    points: Sequence[Mapping[str, float]], *, capacity: float, currency: str
) -> alt.TopLevelMixin:
    """The capacity what-if: the best expected contribution (minus the hours' cost) and
    what each extra hour brings on average from one point to the next
    (``kam.core.allocation.solve.gain_per_hour``), against the team's total yearly hours; today's
    capacity marked. (The Lagrangian price is not drawn: it is not what an hour adds.)"""
    gains = gain_per_hour([(p["capacity"], p["objective"]) for p in points])
    data = [
        {
            "c": round(p["capacity"], 0),
            "o": round(p["objective"], 2),
            "s": None if gain is None else round(gain, 2),
        }
        for p, gain in zip(points, gains, strict=True)
    ]
    cap_title = _("Team capacity (hours per year)")
    obj_title = _("Best contribution minus cost (%(currency)s per year)") % {"currency": currency}
    price_title = _("Gain per extra hour, to the next point (%(currency)s)") % {
        "currency": currency
    }
    x = alt.X("c:Q", title=cap_title, axis=alt.Axis(format=",.0f"), scale=alt.Scale(zero=False))
    tooltip = [
        alt.Tooltip("c:Q", title=cap_title, format=",.0f"),
        alt.Tooltip("o:Q", title=obj_title, format=",.0f"),
        alt.Tooltip("s:Q", title=price_title, format=",.2f"),
    ]
    base = alt.Chart(alt.Data(values=data))
    objective = base.mark_line(color=CURVE_COLOUR, strokeWidth=2.5, point=True).encode(
        x=x,
        y=alt.Y(
            "o:Q",
            title=obj_title,
            scale=alt.Scale(zero=False),
            axis=alt.Axis(format=",.0f", titleColor=CURVE_COLOUR),
        ),
        tooltip=tooltip,
    )
    price = base.mark_line(color=TODAY_COLOUR, strokeWidth=2, strokeDash=[5, 3], point=True).encode(
        x=x,
        y=alt.Y(
            "s:Q",
            title=price_title,
            axis=alt.Axis(format=",.0f", titleColor=TODAY_COLOUR, orient="right"),
        ),
        tooltip=tooltip,
    )
    rule = (
        alt.Chart(alt.Data(values=[{"c": round(capacity, 0), "t": _("today")}]))
        .mark_rule(color=MUTED, strokeDash=[2, 2])
        .encode(x="c:Q")
    )
    chart = alt.layer(objective, price, rule).resolve_scale(y="independent")
    chart = chart.properties(
        width="container",
        height=300,
        usermeta={"embedOptions": {"actions": False, "renderer": "svg"}},
    )
    return _configure(chart)


def spec_of(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec of ``chart`` as a JSON-able dict, in the active language's locale."""
    return formats.chart_localised(dict(chart.to_dict(validate=False)))
