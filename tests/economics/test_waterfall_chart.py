"""The waterfall from revenue to contribution: every step shows and says its amount, in the
reader's language, even when the cost to serve is a sliver of the revenue."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from kam.core import economics as core
from kam.economics.charts import MIN_STEP_SHARE, waterfall_chart, waterfall_rows
from kam.economics.lines import Period
from kam.economics.pnl import CostBreakdown, PeriodPnl


def _pnl() -> PeriodPnl:
    """2,400,000 revenue, 1,800,000 cost of goods and a cost to serve of 23,840 (1 %)."""
    costs = CostBreakdown(
        team=12_500.0,
        team_hours=150.0,
        logistics=6_300.0,
        service=1_200.0,
        rebates=3_000.0,
        payment_terms=0.0,
        payment_financing=840.0,
        other=0.0,
    )
    pnl = core.AccountPnl(
        revenue=2_400_000.0, cost_of_goods=1_800_000.0, cost_to_serve=costs.core()
    )
    period = Period(index=0, start=dt.date(2025, 12, 1), end=dt.date(2026, 11, 30), complete=True)
    return PeriodPnl(period=period, pnl=pnl, costs=costs, payment_days=30.0)


def test_every_step_is_long_enough_to_see_and_keeps_its_true_amount():
    with translation.override("en"):
        rows = waterfall_rows(_pnl())

    assert [r["step"] for r in rows] == [
        "Revenue",
        "Cost of goods",
        "Gross margin",
        "Team hours",
        "Logistics",
        "Service",
        "Rebates",
        "Payment terms",
        "Contribution",
    ]  # "Other" is 0 and left out
    span = 2_400_000.0  # from 0 to the revenue
    for r in rows:
        assert abs(r["x2"] - r["x"]) >= MIN_STEP_SHARE * span - 0.01, r["step"]
        # Long bars carry their label inside; the cost-to-serve steps beside them.
        assert r["inside"] == (r["step"] in ("Revenue", "Cost of goods")), r["step"]
    by_step = {r["step"]: r for r in rows}
    # The true walk: 600,000 gross margin less 23,840 leaves 576,160.
    assert by_step["Gross margin"]["end"] == 600_000.0
    assert by_step["Service"]["amount"] == -1_200.0
    assert by_step["Payment terms"]["amount"] == -840.0
    assert by_step["Contribution"]["end"] == 576_160.0
    # A step ends where the next starts (true amounts, not the drawn ones).
    assert by_step["Team hours"]["start"] == 600_000.0
    assert by_step["Team hours"]["end"] == 587_500.0
    assert by_step["Logistics"]["start"] == 587_500.0
    # A big step is drawn as it is.
    assert by_step["Cost of goods"]["x2"] - by_step["Cost of goods"]["x"] == -1_800_000.0


def test_every_step_is_labelled_in_the_readers_language():
    with translation.override("en"):
        english = {r["step"]: r["label"] for r in waterfall_rows(_pnl())}
    with translation.override("nl"):
        dutch = {r["step"]: r["label"] for r in waterfall_rows(_pnl())}

    assert english["Revenue"] == "2,400,000"
    assert english["Team hours"] == "\u221212,500"
    assert english["Payment terms"] == "\u2212840"
    assert english["Contribution"] == "576,160"
    assert dutch["Omzet"] == "2.400.000"
    assert dutch["Teamuren"] == "\u221212.500"
    assert len(dutch) == len(english)


def test_the_chart_draws_a_bar_and_a_label_per_step():
    with translation.override("nl"):
        spec = waterfall_chart(_pnl(), currency="EUR")

    layers = spec["layer"]
    marks = [layer["mark"]["type"] for layer in layers]
    assert marks == ["bar", "text", "text"]  # labels beside short bars, inside long ones
    assert all(layer["encoding"]["text"]["field"] == "label" for layer in layers[1:])
    values = spec["data"]["values"] if "data" in spec else spec["datasets"]
    rows = values if isinstance(values, list) else next(iter(values.values()))
    assert len(rows) == 9
    # One row per step, tall enough to read: the height grows with the steps.
    assert spec["height"] >= 9 * 24
    assert spec["width"] == "container"


def test_a_step_of_nothing_draws_no_bar_but_says_0():
    costs = CostBreakdown(team=100.0, team_hours=1.0, rebates=0.0)
    pnl = core.AccountPnl(revenue=1000.0, cost_of_goods=500.0, cost_to_serve=costs.core())
    period = Period(index=0, start=dt.date(2025, 12, 1), end=dt.date(2026, 11, 30), complete=True)
    with translation.override("en"):
        rows = {
            r["step"]: r
            for r in waterfall_rows(PeriodPnl(period=period, pnl=pnl, costs=costs, payment_days=0))
        }
    assert rows["Rebates"]["x2"] == rows["Rebates"]["x"]
    assert rows["Rebates"]["label"] == "0"
