"""The portfolio page's boxes chart: its frame is kept per language, its data never are."""

from __future__ import annotations

from django.utils import translation

from kam.core.economics import BoxEconomics
from kam.economics.charts import boxes_chart

BOXES = ("key", "key_development", "maintenance", "opportunistic")


def _rows(hours: tuple[float, ...], contribution: tuple[float, ...]) -> list[BoxEconomics]:
    return [
        BoxEconomics(box, 3, 1000.0, c, 100.0, 10.0, h, 0.0, 0.0, None, None)
        for box, h, c in zip(BOXES, hours, contribution, strict=True)
    ]


def _shares(spec: dict) -> list[tuple[str, str, float]]:  # type: ignore[type-arg]
    return [(d["box"], d["measure"], d["share"]) for d in spec["data"]["values"]]


def test_each_chart_shows_its_own_figures_in_the_readers_language():
    first = _rows((0.5, 0.25, 0.25, 0.0), (600.0, 200.0, 200.0, 0.0))
    second = _rows((0.1, 0.2, 0.3, 0.4), (100.0, 100.0, 100.0, 700.0))
    with translation.override("en"):
        english = boxes_chart(first)
        english["data"]["values"].clear()  # what a caller does to one spec stays there
        english["layer"].clear()
        again = boxes_chart(second)
    with translation.override("nl"):
        dutch = boxes_chart(first)

    assert _shares(again) == [
        ("Key", "Share of team hours", 10.0),
        ("Key", "Share of contribution", 10.0),
        ("Key development", "Share of team hours", 20.0),
        ("Key development", "Share of contribution", 10.0),
        ("Maintenance", "Share of team hours", 30.0),
        ("Maintenance", "Share of contribution", 10.0),
        ("Opportunistic", "Share of team hours", 40.0),
        ("Opportunistic", "Share of contribution", 70.0),
    ]
    assert again["layer"][0]["encoding"]["x"]["title"] == "Share of the portfolio, %"
    assert again["layer"][0]["encoding"]["y"]["sort"] == [
        "Key",
        "Key development",
        "Maintenance",
        "Opportunistic",
    ]
    assert again["config"]["locale"]["number"]["decimal"] == "."

    dutch_shares = _shares(dutch)
    assert [s for _b, _m, s in dutch_shares] == [50.0, 60.0, 25.0, 20.0, 25.0, 20.0, 0.0, 0.0]
    assert "Share of team hours" not in {m for _b, m, _s in dutch_shares}
    assert dutch["layer"][0]["encoding"]["x"]["title"] != "Share of the portfolio, %"
    assert dutch["config"]["locale"]["number"]["decimal"] == ","
