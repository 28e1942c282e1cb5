"""The selection matrix as one chart definition (Vega-Lite through Altair).

The same spec is embedded interactively in the page (with the Vega bundle kam serves,
canvas renderer) and rendered to PNG and SVG with ``vl-convert-python`` for exports, so the
picture a director downloads is the picture they saw (architecture.md, "Real parts").

Vertical: attractiveness to us, 0-10 (cut at the scheme's attractiveness cut). Horizontal:
our strength as the customer sees it, either relative strength RS = S_us / S_comp on a log
scale (1.0 = parity) or S_us on 0-10, whichever axis the accounts were classified on
(kam-method.md section 1). Each account appears on its own axis only.

The data is inlined (vl-convert has no network access) and kept lean for 10,000 accounts:
short field names, rounded numbers, the account page URL built in the spec from the id.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import vl_convert
from django.utils.translation import gettext as _

from kam.core.cells import xml_safe
from kam.organisation.models import Box
from kam.portfolio.matrix import BOX_ORDER, account_url_pattern
from kam.web import formats

BOX_COLOURS: dict[str, str] = {
    "key": "#2a9d8f",
    "key_development": "#e9a23b",
    "maintenance": "#4f86c6",
    "opportunistic": "#9aa3ad",
}
WIDTH = 800
HEIGHT = 520
INK = "#1d2733"
MUTED = "#5b6775"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"
SIZE_BY = ("revenue",)
# Beyond this many moved accounts, arrows hide the picture (and slow PNG export a lot):
# the accounts that changed box come first, then the largest by revenue.
MAX_ARROWS = 400


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def box_labels() -> dict[str, str]:
    """Box value to its (translated) name."""
    return {b.value: str(b.label) for b in Box}


def axis_title(axis: str) -> str:
    """The horizontal axis title, with its unit."""
    if axis == "relative":
        return _("Our strength relative to the strongest competitor (1.0 = parity, log scale)")
    return _("Our strength as the customer sees it, S_us (0-10)")


def _relative_domain(values: Sequence[float], cut: float) -> tuple[float, float]:
    # Symmetric around the cut in log space, so parity sits in the middle; at least 0.5x-2x.
    spread = math.log(2.0)
    for v in values:
        if v and v > 0:
            spread = max(spread, abs(math.log(v / cut)))
    spread *= 1.12
    return cut * math.exp(-spread), cut * math.exp(spread)


def _relative_ticks(lo: float, hi: float, cut: float) -> list[float]:
    ticks = [cut * 2.0**k for k in range(-8, 9)]
    return [round(t, 4) for t in ticks if lo <= t <= hi]


def _legend_values(top: float) -> list[float]:
    # Three round amounts (one significant digit) up to the largest revenue.
    out: list[float] = []
    for share in (0.1, 0.4, 1.0):
        v = top * share
        if v <= 0:
            continue
        magnitude = 10 ** math.floor(math.log10(v))
        rounded = math.floor(v / magnitude) * magnitude
        if rounded > 0 and rounded not in out:
            out.append(rounded)
    return out


def _screen(x: float, y: float, *, axis: str, domain: tuple[float, float]) -> tuple[float, float]:
    lo, hi = domain
    if axis == "relative":
        sx = (math.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo)) * WIDTH
    else:
        sx = (x - lo) / (hi - lo) * WIDTH
    return sx, HEIGHT - y / 10.0 * HEIGHT


def chart_points(
    rows: Sequence[Mapping[str, Any]], *, axis: str
) -> tuple[list[dict[str, Any]], list[Mapping[str, Any]]]:
    """The lean data rows of the bubbles on ``axis``, and the source rows they came from."""
    labels = box_labels()
    shown = [r for r in rows if r["box"] and r["strength_axis"] == axis]
    points = []
    for r in shown:
        points.append(
            {
                "i": r["id"],
                "n": r["name"],
                "o": r["owner"],
                "b": labels[r["box"]],
                "a": _r(r["attractiveness"]),
                "x": _r(r["strength_value"], 3),
                "su": _r(r["strength"]),
                "sc": _r(r["competitor_strength"]),
                "rs": _r(r["relative_strength"]),
                "pk": _r(r["p_key"]),
                "pd": _r(r["p_key_development"]),
                "pm": _r(r["p_maintenance"]),
                "po": _r(r["p_opportunistic"]),
                "u": 1 if r["uncertain"] else 0,
                "d": ", ".join(r["disagreement"]) or "-",
                "r": round(r["revenue"]) if r["revenue"] is not None else 0,
            }
        )
    return points, shown


def arrow_rows(shown: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The moved accounts that get an arrow: all of them up to ``MAX_ARROWS``; beyond that
    those that changed box first, then the largest by revenue."""
    moved = [r for r in shown if r["moved"]]
    if len(moved) <= MAX_ARROWS:
        return moved
    moved.sort(key=lambda r: (r["previous_box"] == r["box"], -(r["revenue"] or 0)))
    return moved[:MAX_ARROWS]


def _moves(
    shown: Sequence[Mapping[str, Any]], *, axis: str, domain: tuple[float, float]
) -> list[dict[str, Any]]:
    moves = []
    for r in arrow_rows(shown):
        x0, y0 = r["previous_strength_value"], r["previous_attractiveness"]
        x1, y1 = r["strength_value"], r["attractiveness"]
        sx0, sy0 = _screen(x0, y0, axis=axis, domain=domain)
        sx1, sy1 = _screen(x1, y1, axis=axis, domain=domain)
        # Angle in screen degrees, clockwise from "up", for Vega's triangle-up shape.
        angle = math.degrees(math.atan2(sx1 - sx0, -(sy1 - sy0)))
        # The arrowhead sits 60 % of the way, where a bubble at either end does not hide it.
        if axis == "relative":
            mx = math.exp(math.log(x0) + 0.6 * (math.log(x1) - math.log(x0)))
        else:
            mx = x0 + 0.6 * (x1 - x0)
        my = y0 + 0.6 * (y1 - y0)
        moves.append(
            {
                "x0": _r(x0, 3),
                "a0": _r(y0),
                "x": _r(x1, 3),
                "a": _r(y1),
                "mx": _r(mx, 3),
                "ma": _r(my),
                "g": round(angle),
            }
        )
    return moves


def matrix_chart(
    rows: Sequence[Mapping[str, Any]],
    *,
    axis: str,
    cuts: Mapping[str, float],
    size_by: str = "revenue",
    title: str | Sequence[str] = "",
    subtitle: Sequence[str] = (),
    size_title: str = "",
    width: int | str = WIDTH,
) -> alt.LayerChart:
    """The selection matrix of ``rows`` (from ``matrix.matrix_rows``) on the strength ``axis``.

    ``cuts`` holds the cut lines ("attractiveness", "relative", "absolute"); ``size_by``
    names what bubble area shows (only "revenue": last full year, base currency, sqrt
    scale so that area is proportional). Accounts classified on the other axis, and those
    not placed, are left out; the caller says so beside the chart. ``size_title`` names
    the size legend (for example "Revenue 2024 (EUR)"). ``width`` is the plot's width in
    pixels (files), or "container": the page's chart takes its box's width, legends and
    axes included, so that it never runs out of the page.

    Layers: quadrant names, cut lines, movement arrows, bubbles (named "bubbles", Vega
    mark "bubbles_marks"). The bubble data is the named dataset "accounts".
    """
    if axis not in ("relative", "absolute"):
        raise ValueError(f"unknown axis {axis!r}")
    if size_by not in SIZE_BY:
        raise ValueError(f"unknown size {size_by!r}")
    labels = box_labels()
    points, shown = chart_points(rows, axis=axis)
    a_cut = cuts["attractiveness"]
    s_cut = cuts[axis]
    if axis == "relative":
        values = [p["x"] for p in points] + [
            r["previous_strength_value"] for r in shown if r["moved"]
        ]
        domain = _relative_domain(values, s_cut)
        x_scale = alt.Scale(type="log", domain=list(domain), nice=False, clamp=True)
        x_axis = alt.Axis(
            title=axis_title(axis),
            values=_relative_ticks(*domain, s_cut),
            format="~g",
            grid=False,
        )
    else:
        domain = (0.0, 10.0)
        x_scale = alt.Scale(domain=[0, 10], nice=False, clamp=True)
        x_axis = alt.Axis(title=axis_title(axis), values=list(range(11)), grid=False)
    y_scale = alt.Scale(domain=[0, 10], nice=False, clamp=True)
    y_axis = alt.Axis(title=_("Attractiveness to us (0-10)"), values=list(range(11)), grid=False)
    moves = _moves(shown, axis=axis, domain=domain)
    prefix, suffix = account_url_pattern()

    lo, hi = domain
    if axis == "relative":
        left = lo * math.exp(0.03 * math.log(hi / lo))
        right = hi / math.exp(0.03 * math.log(hi / lo))
    else:
        left, right = 0.25, 9.75
    quadrants = [
        {"x": right, "y": 9.7, "t": labels["key"], "al": "right", "c": BOX_COLOURS["key"]},
        {
            "x": left,
            "y": 9.7,
            "t": labels["key_development"],
            "al": "left",
            "c": BOX_COLOURS["key_development"],
        },
        {
            "x": right,
            "y": 0.3,
            "t": labels["maintenance"],
            "al": "right",
            "c": BOX_COLOURS["maintenance"],
        },
        {
            "x": left,
            "y": 0.3,
            "t": labels["opportunistic"],
            "al": "left",
            "c": BOX_COLOURS["opportunistic"],
        },
    ]

    x_enc = alt.X("x:Q", scale=x_scale, axis=x_axis)
    y_enc = alt.Y("a:Q", scale=y_scale, axis=y_axis)
    base_text = {"fontSize": 17, "fontWeight": 700, "opacity": 0.45, "font": FONT}
    quadrant_layers = [
        alt.Chart(alt.Data(values=[q]))
        .mark_text(
            align=q["al"], baseline="top" if q["y"] > 5 else "bottom", color=q["c"], **base_text
        )
        .encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), text="t:N")
        for q in quadrants
    ]
    cut_layer = alt.Chart(alt.Data(values=[{"x": s_cut, "y": a_cut}])).mark_rule(
        color="#8a96a3", strokeDash=[5, 4], strokeWidth=1.2
    )
    cut_v = cut_layer.encode(x=alt.X("x:Q", scale=x_scale))
    cut_h = cut_layer.encode(y=alt.Y("y:Q", scale=y_scale))

    layers: list[alt.Chart] = [*quadrant_layers, cut_v, cut_h]
    if moves:
        move_data = alt.NamedData("moves")
        layers.append(
            alt.Chart(move_data)
            .mark_rule(color=MUTED, strokeWidth=1.3, opacity=0.7)
            .encode(
                x=alt.X("x0:Q", scale=x_scale),
                x2="x:Q",
                y=alt.Y("a0:Q", scale=y_scale),
                y2="a:Q",
            )
        )
        layers.append(
            alt.Chart(move_data)
            .mark_point(shape="triangle-up", filled=True, color=MUTED, opacity=0.85, size=55)
            .encode(
                x=alt.X("mx:Q", scale=x_scale),
                y=alt.Y("ma:Q", scale=y_scale),
                angle=alt.Angle("g:Q", scale=None),
            )
        )

    box_domain = [labels[b] for b in BOX_ORDER]
    max_revenue = max((p["r"] for p in points), default=0) or 1
    pct = ".0%"
    bubbles = (
        alt.Chart(alt.NamedData("accounts"), name="bubbles")
        .transform_calculate(
            h=f"{json.dumps(prefix)} + datum.i + {json.dumps(suffix)}",
            uu=f"datum.u ? {json.dumps(_('yes'))} : {json.dumps(_('no'))}",
        )
        .mark_circle(opacity=0.82, cursor="pointer")
        .encode(
            x=x_enc,
            y=y_enc,
            color=alt.Color(
                "b:N",
                scale=alt.Scale(domain=box_domain, range=[BOX_COLOURS[b] for b in BOX_ORDER]),
                legend=alt.Legend(
                    title=_("Box"), orient="right", symbolSize=180, symbolOpacity=0.85
                ),
            ),
            size=alt.Size(
                "r:Q",
                scale=alt.Scale(type="sqrt", domain=[0, max_revenue], range=[30, 1500]),
                legend=alt.Legend(
                    title=size_title or _("Revenue"),
                    labelExpr=formats.vega_compact_expr(),
                    orient="right",
                    symbolFillColor="#c9d1da",
                    symbolStrokeColor="#8a96a3",
                    values=_legend_values(max_revenue),
                ),
            ),
            stroke=alt.condition("datum.u", alt.value(INK), alt.value("#ffffff")),
            strokeDash=alt.condition("datum.u", alt.value([3, 2]), alt.value([1, 0])),
            strokeWidth=alt.condition("datum.u", alt.value(1.6), alt.value(0.8)),
            order=alt.Order("r:Q", sort="descending"),
            href="h:N",
            tooltip=[
                alt.Tooltip("n:N", title=_("Account")),
                alt.Tooltip("o:N", title=_("Owner")),
                alt.Tooltip("b:N", title=_("Box")),
                alt.Tooltip("a:Q", title=_("Attractiveness (A)"), format=".2f"),
                alt.Tooltip("su:Q", title=_("Our strength (S_us)"), format=".2f"),
                alt.Tooltip("sc:Q", title=_("Strongest competitor (S_comp)"), format=".2f"),
                alt.Tooltip("rs:Q", title=_("Relative strength (RS)"), format=".2f"),
                alt.Tooltip("r:Q", title=_("Revenue"), format=",.0f"),
                alt.Tooltip("pk:Q", title=_("P(key)"), format=pct),
                alt.Tooltip("pd:Q", title=_("P(key development)"), format=pct),
                alt.Tooltip("pm:Q", title=_("P(maintenance)"), format=pct),
                alt.Tooltip("po:Q", title=_("P(opportunistic)"), format=pct),
                alt.Tooltip("uu:N", title=_("Uncertain box")),
                alt.Tooltip("d:N", title=_("Raters disagree on")),
            ],
        )
    )
    layers.append(bubbles)

    if isinstance(title, str):
        title_text: Any = title
    else:
        title_text = list(title)
    chart = alt.LayerChart(
        layer=layers,
        datasets={"accounts": points, "moves": moves},
        width=width,
        height=HEIGHT,
        title=alt.TitleParams(
            text=title_text,
            subtitle=list(subtitle),
            anchor="start",
            fontSize=17,
            subtitleFontSize=12,
            subtitleColor=MUTED,
            color=INK,
            font=FONT,
            subtitleFont=FONT,
            offset=12,
        ),
        usermeta={
            "embedOptions": {"actions": False, "renderer": "canvas", "loader": {"target": "_self"}}
        },
    ).configure(
        font=FONT,
        background="#ffffff",
        padding={"left": 10, "right": 10, "top": 10, "bottom": 10},
        view=alt.ViewConfig(stroke="#c6cfd9"),
        axis=alt.AxisConfig(
            labelFontSize=12,
            titleFontSize=13,
            titleColor=INK,
            labelColor=MUTED,
            titleFontWeight=600,
            domainColor="#c6cfd9",
            tickColor="#c6cfd9",
            titlePadding=10,
        ),
        legend=alt.LegendConfig(labelFontSize=12, titleFontSize=12, titleColor=INK, labelColor=INK),
    )
    return chart


def chart_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec (a JSON-able dict) of ``chart``, data inlined.

    The named datasets are set aside while Altair writes the spec and put back after:
    Altair walks every value of inline data, which for 10,000 accounts costs more than
    everything else on the page.
    """
    datasets = chart.datasets
    chart.datasets = alt.Undefined
    try:
        spec = chart.to_dict(validate=False)
    finally:
        chart.datasets = datasets
    if datasets is not alt.Undefined:
        spec["datasets"] = dict(datasets)
    return formats.chart_localised(spec)


def chart_png(spec: Mapping[str, Any], *, scale: float = 2.0) -> bytes:
    """The chart as a PNG (``scale`` 2 gives a sharp image on slides).

    Drawn through SVG: with 10,000 bubbles that is ten times faster than vl-convert's
    direct PNG path, and the picture is the same.
    """
    return bytes(vl_convert.svg_to_png(xml_safe(chart_svg(spec)), scale=scale))


def chart_svg(spec: Mapping[str, Any]) -> str:
    """The chart as an SVG document, numbers and months in the active language."""
    locale = formats.d3_locale()
    return str(
        vl_convert.vegalite_to_svg(
            vl_spec=dict(spec),
            format_locale=locale["format"],
            time_format_locale=locale["time"],
        )
    )
