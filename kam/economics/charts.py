"""Pictures of the return on the investment (docs/method.md section 6), as Vega-Lite specs built
with Altair and embedded with the Vega bundle kam serves (as the matrix and the year plan):
an account's P&L per year, the waterfall from revenue to contribution, and the four boxes'
share of the team's hours against their share of the contribution."""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from typing import Any

import altair as alt
from django.utils import translation
from django.utils.translation import gettext as _

from kam.core.economics import BoxEconomics
from kam.economics.pnl import PeriodPnl
from kam.portfolio.charts import FONT, INK, MUTED, box_labels
from kam.web import formats

COGS = "#b8c2cc"
CTS = "#e9a23b"
CONTRIBUTION = "#2a9d8f"
NEGATIVE = "#d1495b"
REVENUE = "#2f6f9f"
WIDTH = 520
HEIGHT = 300


def _configure(chart: Any) -> dict[str, Any]:
    spec: dict[str, Any] = chart.configure(
        font=FONT,
        background="#ffffff",
        padding={"left": 4, "right": 4, "top": 8, "bottom": 4},
        view=alt.ViewConfig(stroke=None),
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
        legend=alt.LegendConfig(labelFontSize=12, titleFontSize=12, labelColor=INK, orient="top"),
    ).to_dict(validate=False)  # as the matrix's: checking the schema took half the page's time
    return formats.chart_localised(spec)


def _money_axis(currency: str) -> alt.Axis:
    return alt.Axis(title=currency, labelExpr=formats.vega_compact_expr(), tickCount=6)


def pnl_chart(periods: Sequence[PeriodPnl], *, currency: str) -> dict[str, Any]:
    """Each year's revenue as a bar split into cost of goods, cost to serve and contribution
    (stacked from the bottom in that order, so the top slice is what the account earns)."""
    parts = [
        (_("Contribution"), CONTRIBUTION, "contribution"),
        (_("Cost to serve"), CTS, "cost_to_serve"),
        (_("Cost of goods"), COGS, "cost_of_goods"),
    ]
    rows: list[dict[str, Any]] = []
    for p in periods:
        label = p.period.short_label + ("" if p.period.complete else " *")
        for order, (name, _colour, attr) in enumerate(parts):
            rows.append(
                {
                    "period": label,
                    "part": name,
                    "order": order,
                    "amount": round(getattr(p, attr), 2),
                    "revenue": round(p.revenue, 2),
                    "pct": None if p.revenue == 0 else round(100 * getattr(p, attr) / p.revenue, 1),
                }
            )
    period_order = [r["period"] for r in rows[:: len(parts)]]
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(width={"band": 0.6})
        .encode(
            x=alt.X("period:N", title=None, sort=period_order, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(amount):Q", axis=_money_axis(currency), stack="zero"),
            color=alt.Color(
                "part:N",
                title=None,
                scale=alt.Scale(domain=[p[0] for p in parts], range=[p[1] for p in parts]),
            ),
            order=alt.Order("order:Q", sort="descending"),
            tooltip=[
                alt.Tooltip("period:N", title=_("Year")),
                alt.Tooltip("part:N", title=_("Part")),
                alt.Tooltip("amount:Q", title=currency, format=",.0f"),
                alt.Tooltip("pct:Q", title=_("Share of revenue, %"), format=".1f"),
            ],
        )
    )
    return _configure(bars.properties(width="container", height=HEIGHT))


# A step smaller than this share of the chart's span is drawn this long anyway, so that
# every step shows; its label and tooltip keep the true amount.
MIN_STEP_SHARE = 0.012
ROW_HEIGHT = 30
# A bar at least this share of the span long has room for its label inside it.
INSIDE_SHARE = 0.4


def _amount_label(amount: float) -> str:
    """``amount`` as a whole number in the active language ("1,234" or "1.234"), a negative
    one (a cost) with a minus sign in front."""
    return formats.number(amount)


def waterfall_rows(p: PeriodPnl) -> list[dict[str, Any]]:
    """The steps of the walk from revenue to contribution, each with where its bar starts
    and ends (true amounts) and where it is drawn (``x``/``x2``: at least
    ``MIN_STEP_SHARE`` of the span long), and its label in the active language."""
    c = p.costs
    steps: list[tuple[str, float, str]] = [
        (_("Revenue"), p.revenue, "total"),
        (_("Cost of goods"), -p.cost_of_goods, "step"),
        (_("Gross margin"), p.gross_margin, "total"),
        (_("Team hours"), -c.team, "step"),
        (_("Logistics"), -c.logistics, "step"),
        (_("Service"), -c.service, "step"),
        (_("Rebates"), -c.rebates, "step"),
        (_("Payment terms"), -(c.payment_terms + c.payment_financing), "step"),
        (_("Other"), -c.other, "step"),
        (_("Contribution"), p.contribution, "total"),
    ]
    levels = [0.0, p.revenue, p.gross_margin, p.contribution]
    span = max(levels) - min(levels) or 1.0
    least = MIN_STEP_SHARE * span
    rows = []
    level = 0.0
    for order, (name, amount, kind) in enumerate(steps):
        if kind == "step" and amount == 0 and name == _("Other"):
            continue
        if kind == "total":
            start, end = 0.0, amount
            level = amount
            colour = REVENUE if order == 0 else (CONTRIBUTION if amount >= 0 else NEGATIVE)
        else:
            start, end = level, level + amount
            level = end
            colour = COGS if order == 1 else CTS
        x, x2 = start, end
        if amount != 0 and abs(end - start) < least:
            x2 = start + (least if end > start or (end == start and kind == "total") else -least)
        rows.append(
            {
                "step": name,
                "order": order,
                "start": round(start, 2),
                "end": round(end, 2),
                "x": round(x, 2),
                "x2": round(x2, 2),
                "amount": round(amount, 2),
                "colour": colour,
                "right": round(max(x, x2), 2),
                # a long bar carries its label inside, at its right end
                "inside": abs(x2 - x) >= INSIDE_SHARE * span,
                "label": _amount_label(amount),
                "total": kind == "total",
            }
        )
    return rows


def waterfall_chart(p: PeriodPnl, *, currency: str) -> dict[str, Any]:
    """The year's walk from revenue to contribution as horizontal bars, one row per step:
    revenue, minus cost of goods, gross margin, minus each kind of cost to serve,
    contribution. Each bar carries its amount; a small step is drawn a little longer than
    it is so that it shows (the label and tooltip give the true amount)."""
    rows = waterfall_rows(p)
    domain = [r["step"] for r in rows]
    low = min(0.0, *(min(r["x"], r["x2"]) for r in rows))
    high = max(0.0, *(r["right"] for r in rows))
    # Room on the right for the labels beside the shorter bars.
    high += 0.3 * ((high - low) or 1.0)
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y(
            "step:N",
            title=None,
            sort=domain,
            axis=alt.Axis(labelLimit=170, labelFontSize=12, ticks=False, domain=False),
            scale=alt.Scale(paddingInner=0.25),
        )
    )
    bars = base.mark_bar(cornerRadius=1).encode(
        x=alt.X(
            "x:Q",
            axis=alt.Axis(title=currency, format="~s", tickCount=5),
            scale=alt.Scale(domain=[low, high], nice=False),
        ),
        x2="x2:Q",
        color=alt.Color("colour:N", scale=None),
        tooltip=[
            alt.Tooltip("step:N", title=_("Step")),
            alt.Tooltip("label:N", title=currency),
        ],
    )
    text: dict[str, Any] = {"fontSize": 12}
    beside = (
        base.mark_text(align="left", dx=5, color=INK, **text)
        .encode(x=alt.X("right:Q"), text=alt.Text("label:N"))
        .transform_filter("!datum.inside")
    )
    inside = (
        base.mark_text(align="right", dx=-6, color="#ffffff", fontWeight=600, **text)
        .encode(x=alt.X("right:Q"), text=alt.Text("label:N"))
        .transform_filter("datum.inside")
    )
    height = ROW_HEIGHT * len(rows)
    return _configure((bars + beside + inside).properties(width="container", height=height))


def boxes_chart(rows: Sequence[BoxEconomics]) -> dict[str, Any]:
    """Per box, its share of the team's hours beside its share of the contribution: a box
    that earns more than the time it takes has the longer green bar.

    Only the data depend on the figures: the rest of the spec (labels, order, colours, the
    language's locale) is built with Altair once per language and order of boxes and kept
    (building it took about 0.15 s of the portfolio page)."""
    labels = box_labels()
    total = sum(r.contribution for r in rows)
    hours = _("Share of team hours")
    contribution = _("Share of contribution")
    data = []
    for r in rows:
        data.append(
            {
                "box": labels.get(r.box, r.box),
                "measure": hours,
                "share": round(100 * r.hours_share, 1),
            }
        )
        data.append(
            {
                "box": labels.get(r.box, r.box),
                "measure": contribution,
                "share": round(100 * r.contribution / total, 1) if total else 0.0,
            }
        )
    order = tuple(labels.get(r.box, r.box) for r in rows)
    spec = copy.deepcopy(_boxes_frame(translation.get_language() or "", order))
    spec["data"] = {"values": data}
    return spec


@functools.lru_cache(maxsize=32)
def _boxes_frame(language: str, order: tuple[str, ...]) -> dict[str, Any]:
    """The boxes chart's spec without its data, in the active ``language`` (part of the key
    of the cache: every label and the locale are that language's)."""
    hours = _("Share of team hours")
    contribution = _("Share of contribution")
    base = alt.Chart(alt.Data(values=[])).encode(
        y=alt.Y("box:N", title=None, sort=list(order)),
        yOffset=alt.YOffset("measure:N", sort=[hours, contribution]),
    )
    bars = base.mark_bar(height={"band": 0.9}).encode(
        x=alt.X("share:Q", title=_("Share of the portfolio, %")),
        color=alt.Color(
            "measure:N",
            title=None,
            scale=alt.Scale(domain=[hours, contribution], range=[MUTED, CONTRIBUTION]),
        ),
        tooltip=[
            alt.Tooltip("box:N", title=_("Box")),
            alt.Tooltip("measure:N", title=_("Measure")),
            alt.Tooltip("share:Q", title="%", format=".1f"),
        ],
    )
    text = base.mark_text(align="left", dx=4, fontSize=11, color=INK).encode(
        x="share:Q", text=alt.Text("share:Q", format=".0f")
    )
    return _configure((bars + text).properties(width="container", height=260))
