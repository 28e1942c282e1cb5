"""Pictures of the return on the investment (kam-method.md section 6), as Vega-Lite specs built
with Altair and embedded with the Vega bundle kam serves (as the matrix and the year plan):
an account's P&L per year, the waterfall from revenue to contribution, and the four boxes'
share of the team's hours against their share of the contribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
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
    ).to_dict()
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
    rows = []
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
    order = [r["period"] for r in rows[:: len(parts)]]
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(width={"band": 0.6})
        .encode(
            x=alt.X("period:N", title=None, sort=order, axis=alt.Axis(labelAngle=0)),
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


def waterfall_chart(p: PeriodPnl, *, currency: str) -> dict[str, Any]:
    """The year's walk from revenue to contribution: revenue, minus cost of goods, gross
    margin, minus each kind of cost to serve, contribution."""
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
        rows.append(
            {
                "step": name,
                "order": order,
                "start": round(start, 2),
                "end": round(end, 2),
                "amount": round(amount, 2),
                "colour": colour,
                "top": round(max(start, end), 2),
                # small steps stay unlabelled: their numbers would sit on top of each other
                "show": kind == "total" or abs(amount) >= 0.04 * max(abs(p.revenue), 1.0),
            }
        )
    domain = [r["step"] for r in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("step:N", title=None, sort=domain, axis=alt.Axis(labelAngle=-30, labelLimit=120))
    )
    bars = base.mark_bar(width={"band": 0.7}).encode(
        y=alt.Y("start:Q", axis=_money_axis(currency)),
        y2="end:Q",
        color=alt.Color("colour:N", scale=None),
        tooltip=[
            alt.Tooltip("step:N", title=_("Step")),
            alt.Tooltip("amount:Q", title=currency, format=",.0f"),
        ],
    )
    labels = (
        base.mark_text(dy=-6, fontSize=11, color=INK)
        .transform_calculate(label=formats.vega_compact_expr("datum.amount"))
        .encode(y=alt.Y("top:Q"), text=alt.Text("label:N"))
        .transform_filter("datum.show")
    )
    return _configure((bars + labels).properties(width="container", height=HEIGHT))


def boxes_chart(rows: Sequence[BoxEconomics]) -> dict[str, Any]:
    """Per box, its share of the team's hours beside its share of the contribution: a box
    that earns more than the time it takes has the longer green bar."""
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
    order = [labels.get(r.box, r.box) for r in rows]
    base = alt.Chart(alt.Data(values=data)).encode(
        y=alt.Y("box:N", title=None, sort=order),
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
