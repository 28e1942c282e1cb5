"""The selection matrix as one chart definition (Vega-Lite through Altair).

The same spec is embedded interactively in the page (with the Vega bundle kam serves,
canvas renderer) and rendered to PNG and SVG with ``vl-convert-python`` for exports, so the
picture a director downloads is the picture they saw (architecture.md, "Real parts").

Vertical: attractiveness to us, 0-10 (cut at the scheme's attractiveness cut). Horizontal:
our strength as the customer sees it, either relative strength RS = S_us / S_comp on a log
scale (1.0 = parity) or S_us on 0-10, whichever axis the accounts were classified on
(docs/method.md section 1). Each account appears on its own axis only, except on the
combined picture: there every placed account sits at its position against its own cut line
(``kam.core.combined_axis``, docs/scoring.md), circles placed on RS and squares on S_us.

Bubble area shows last year's revenue or the three-year revenue potential (``size_by``).
Arrows show the move since the previous review, or (``trails``) the path over every
closed review with the newest step drawn strongest; a dashed arrow ends at the expected
position in three years where it is scored (the account's ``Outlook``).

The data is inlined (vl-convert has no network access) and kept lean for 10,000 accounts:
short field names, rounded numbers, the account page URL built in the spec from the id.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypedDict

import altair as alt
import vl_convert
from altair.utils.schemapi import debug_mode
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
SIZE_BY = ("revenue", "potential")
EXPECTED = "#6a4c93"
# Beyond this many moved accounts, arrows hide the picture (and slow PNG export a lot):
# the accounts that changed box come first, then the largest by revenue.
MAX_ARROWS = 400
#: Beyond this many accounts on one picture nobody reads the bubbles one by one, and the
#: chart's data outgrows what a browser (or a slide) draws quickly: the largest
#: ``MAX_BUBBLES`` by bubble size are drawn as bubbles, the others are counted in shaded
#: cells of a ``DENSITY_BINS`` grid (strength by attractiveness). Filters narrow the picture
#: below the limit and every account is a bubble again.
MAX_BUBBLES = 1000
DENSITY_BINS = (40, 20)


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def box_labels() -> dict[str, str]:
    """Box value to its (translated) name."""
    return {b.value: str(b.label) for b in Box}


def axis_title(axis: str) -> str:
    """The horizontal axis title, with its unit."""
    if axis == "combined":
        return _(
            "Our strength against the cut line: left weaker, right stronger "
            "(each account on its own scale)"
        )
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


def _combined_domain(values: Sequence[float | None]) -> tuple[float, float]:
    # Symmetric around the cut line (0) so that it sits in the middle; at least +-0.3.
    spread = max([0.3, *(abs(v) for v in values if v is not None)]) * 1.12
    spread = min(spread, 1.05)
    return -spread, spread


def scale_labels() -> dict[str, str]:
    """Strength axis to the (translated) name of the scale an account was placed on."""
    return {
        "relative": _("relative strength RS"),
        "absolute": _("our score S_us only"),
    }


def x_of(row: Mapping[str, Any], axis: str) -> float | None:
    """The horizontal position of ``row`` on ``axis``: its own value, or the combined one."""
    x: float | None = row["combined_value"] if axis == "combined" else row["strength_value"]
    return x


def _screen(x: float, y: float, *, axis: str, domain: tuple[float, float]) -> tuple[float, float]:
    lo, hi = domain
    if axis == "relative":
        sx = (math.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo)) * WIDTH
    else:
        sx = (x - lo) / (hi - lo) * WIDTH
    return sx, HEIGHT - y / 10.0 * HEIGHT


def _size(row: Mapping[str, Any], size_by: str) -> float | None:
    size: float | None = row["potential"] if size_by == "potential" else row["revenue"]
    return size


def shown_rows(rows: Sequence[Mapping[str, Any]], *, axis: str) -> list[Mapping[str, Any]]:
    """The rows that belong on the picture of ``axis``: placed, and on that axis (every
    placed account with a combined position on "combined")."""
    if axis == "combined":
        return [r for r in rows if r["box"] and r["combined_value"] is not None]
    return [r for r in rows if r["box"] and r["strength_axis"] == axis]


def bubble_rows(
    rows: Sequence[Mapping[str, Any]], *, axis: str, size_by: str = "revenue"
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The rows on the picture of ``axis`` split into those drawn as bubbles and those only
    counted in the density cells: all are bubbles up to ``MAX_BUBBLES``; beyond, the largest
    ``MAX_BUBBLES`` by bubble size (ties by name) are, in their original order."""
    shown = shown_rows(rows, axis=axis)
    if len(shown) <= MAX_BUBBLES:
        return shown, []
    order = sorted(
        range(len(shown)),
        key=lambda i: (-(_size(shown[i], size_by) or 0.0), (shown[i]["name"] or "").casefold()),
    )
    keep = set(order[:MAX_BUBBLES])
    drawn = [r for i, r in enumerate(shown) if i in keep]
    counted = [r for i, r in enumerate(shown) if i not in keep]
    return drawn, counted


Split = tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]


def reduction_note(
    rows: Sequence[Mapping[str, Any]],
    *,
    axis: str,
    size_by: str = "revenue",
    bubbles: Split | None = None,
) -> str:
    """What the picture leaves out when it has more than ``MAX_BUBBLES`` accounts (else "").
    ``bubbles``: ``bubble_rows`` of the same arguments when the caller has it already."""
    drawn, counted = bubbles or bubble_rows(rows, axis=axis, size_by=size_by)
    if not counted:
        return ""
    values = {
        "total": formats.number(len(drawn) + len(counted)),
        "drawn": formats.number(len(drawn)),
        "counted": formats.number(len(counted)),
    }
    if size_by == "potential":
        text = _(
            "%(total)s accounts are too many to draw one by one: the %(drawn)s with the largest "
            "potential are bubbles (with their arrows); the other %(counted)s are counted in "
            "the shaded squares, darker where there are more. Filter by key account manager, "
            "country, channel or box to see every account as a bubble."
        )
    else:
        text = _(
            "%(total)s accounts are too many to draw one by one: the %(drawn)s with the largest "
            "revenue are bubbles (with their arrows); the other %(counted)s are counted in the "
            "shaded squares, darker where there are more. Filter by key account manager, "
            "country, channel or box to see every account as a bubble."
        )
    return text % values


def density_cells(
    rows: Sequence[Mapping[str, Any]],
    *,
    axis: str,
    domain: tuple[float, float],
    size_by: str = "revenue",
    bins: tuple[int, int] = DENSITY_BINS,
) -> list[dict[str, Any]]:
    """``rows`` counted per cell of a ``bins`` grid over the picture (equal steps on the
    screen, so in log space on "relative") and per box: the cell's edges (``x``, ``x2``,
    ``a``, ``a2``), the box's name ``b``, the number of accounts ``k`` and the sum of their
    bubble size ``rv`` (base currency). The domain is symmetric around the strength cut line
    and the grid even, so no cell straddles that line."""
    labels = box_labels()
    nx, ny = bins
    lo, hi = domain
    log = axis == "relative"
    t_lo, t_hi = (math.log(lo), math.log(hi)) if log else (lo, hi)
    step_x = (t_hi - t_lo) / nx
    step_y = 10.0 / ny
    cells: dict[tuple[int, int, str], list[float]] = {}
    for r in rows:
        x = x_of(r, axis)
        a = r["attractiveness"]
        if x is None or a is None or (log and x <= 0):
            continue
        tx = math.log(x) if log else x
        bx = min(nx - 1, max(0, math.floor((tx - t_lo) / step_x)))
        by = min(ny - 1, max(0, math.floor(a / step_y)))
        cell = cells.setdefault((bx, by, r["box"]), [0, 0.0])
        cell[0] += 1
        cell[1] += _size(r, size_by) or 0.0

    def edge(i: int) -> float:
        t = t_lo + i * step_x
        return round(math.exp(t), 4) if log else round(t, 4)

    return [
        {
            "x": edge(bx),
            "x2": edge(bx + 1),
            "a": round(by * step_y, 3),
            "a2": round((by + 1) * step_y, 3),
            "b": labels[box],
            "k": count,
            "rv": round(total),
        }
        for (bx, by, box), (count, total) in sorted(cells.items())
    ]


def chart_points(
    rows: Sequence[Mapping[str, Any]],
    *,
    axis: str,
    size_by: str = "revenue",
    bubbles: Split | None = None,
) -> tuple[list[dict[str, Any]], list[Mapping[str, Any]]]:
    """The lean data rows of the bubbles on ``axis``, and the source rows they came from
    (the bubbles of ``bubble_rows``: at most ``MAX_BUBBLES``).

    ``r`` is the bubble's size (revenue or potential, base currency; 0 when unknown)."""
    labels = box_labels()
    scales = scale_labels()
    shown, _counted = bubbles or bubble_rows(rows, axis=axis, size_by=size_by)
    points = []
    for r in shown:
        size = _size(r, size_by)
        points.append(
            {
                "i": r["id"],
                "n": r["name"],
                "o": r["owner"],
                "b": labels[r["box"]],
                "a": _r(r["attractiveness"]),
                "x": _r(x_of(r, axis), 3),
                "s": scales.get(r["strength_axis"], ""),
                "su": _r(r["strength"]),
                "sc": _r(r["competitor_strength"]),
                "rs": _r(r["relative_strength"]),
                "pk": _r(r["p_key"]),
                "pd": _r(r["p_key_development"]),
                "pm": _r(r["p_maintenance"]),
                "po": _r(r["p_opportunistic"]),
                "u": 1 if r["uncertain"] else 0,
                "d": ", ".join(r["disagreement"]) or "-",
                "r": round(size) if size is not None else 0,
                "rv": round(r["revenue"]) if r["revenue"] is not None else None,
                "pt": round(r["potential"]) if r["potential"] is not None else None,
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


def _segment(
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    *,
    axis: str,
    domain: tuple[float, float],
    at: float = 0.6,
) -> dict[str, Any]:
    """A line from (x0, y0) to (x1, y1) with its arrowhead ``at`` that share of the way."""
    sx0, sy0 = _screen(x0, y0, axis=axis, domain=domain)
    sx1, sy1 = _screen(x1, y1, axis=axis, domain=domain)
    # Angle in screen degrees, clockwise from "up", for Vega's triangle-up shape.
    angle = math.degrees(math.atan2(sx1 - sx0, -(sy1 - sy0)))
    if axis == "relative":
        mx = math.exp(math.log(x0) + at * (math.log(x1) - math.log(x0)))
    else:
        mx = x0 + at * (x1 - x0)
    my = y0 + at * (y1 - y0)
    return {
        "x0": _r(x0, 3),
        "a0": _r(y0),
        "x": _r(x1, 3),
        "a": _r(y1),
        "mx": _r(mx, 3),
        "ma": _r(my),
        "g": round(angle),
    }


def _previous_x(row: Mapping[str, Any], axis: str) -> float | None:
    x: float | None
    if axis != "combined":
        x = row["previous_strength_value"]
    elif row["previous_box"] is None or not row["trail"]:
        x = None
    else:
        x = row["trail"][-1]["c"]
    return x


def _moved(row: Mapping[str, Any], axis: str) -> bool:
    if axis != "combined":
        return bool(row["moved"])
    x0, x1 = _previous_x(row, axis), row["combined_value"]
    a0 = row["trail"][-1]["attractiveness"] if row["trail"] else None
    return (
        x0 is not None
        and x1 is not None
        and a0 is not None
        and (abs(x0 - x1) > 1e-6 or abs(a0 - row["attractiveness"]) > 1e-6)
    )


def _moves(
    shown: Sequence[Mapping[str, Any]], *, axis: str, domain: tuple[float, float]
) -> list[dict[str, Any]]:
    """The arrow of each moved account from its previous position (60 % arrowheads, where
    a bubble at either end does not hide them)."""
    moves = []
    if axis == "combined":
        shown = [{**r, "moved": _moved(r, axis)} for r in shown]
    for r in arrow_rows(shown):
        x0 = _previous_x(r, axis)
        y0 = (
            r["previous_attractiveness"] if axis != "combined" else r["trail"][-1]["attractiveness"]
        )
        x1 = x_of(r, axis)
        assert x0 is not None and y0 is not None and x1 is not None
        moves.append(_segment(x0, y0, x1, r["attractiveness"], axis=axis, domain=domain))
    return moves


def trail_segments(
    shown: Sequence[Mapping[str, Any]], *, axis: str, domain: tuple[float, float]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The paths over every closed review: segments (``w`` 1 for the newest step into
    today's position, 0 for older ones) and the earlier positions as dots (``d``: date).

    At most ``MAX_ARROWS`` accounts get a trail, chosen as the arrows are."""
    candidates = []
    for r in shown:
        pts = [
            (t["c"] if axis == "combined" else t["x"], t["attractiveness"], t) for t in r["trail"]
        ]
        pts = [(x, a, t) for x, a, t in pts if x is not None and a is not None]
        if pts:
            candidates.append({**r, "moved": True, "_pts": pts})
    segments: list[dict[str, Any]] = []
    dots: list[dict[str, Any]] = []
    labels = box_labels()
    for r in arrow_rows(candidates):
        pts = r["_pts"] + [(x_of(r, axis), r["attractiveness"], None)]
        for (x0, y0, _t0), (x1, y1, t1) in itertools.pairwise(pts):
            newest = t1 is None
            if abs(x0 - x1) < 1e-9 and abs(y0 - y1) < 1e-9:
                continue
            segments.append(
                {**_segment(x0, y0, x1, y1, axis=axis, domain=domain), "w": 1 if newest else 0}
            )
        for x, a, t in r["_pts"]:
            dots.append(
                {
                    "x": _r(x, 3),
                    "a": _r(a),
                    "n": r["name"],
                    "v": t["review"],
                    "d": formats.date(t["date"]),
                    "b": labels.get(t["box"], ""),
                }
            )
    return segments, dots


def expected_segments(
    shown: Sequence[Mapping[str, Any]], *, axis: str, domain: tuple[float, float]
) -> list[dict[str, Any]]:
    """From today's position to the expected position in three years, arrowhead at the end,
    for every shown account whose outlook scores it."""
    out = []
    for r in shown:
        x1 = r["expected_combined"] if axis == "combined" else r["expected_strength_value"]
        y1 = r["expected_attractiveness"]
        x0 = x_of(r, axis)
        if x1 is None or y1 is None or x0 is None:
            continue
        if axis == "relative" and x1 <= 0:
            continue
        seg = _segment(x0, r["attractiveness"], x1, y1, axis=axis, domain=domain, at=1.0)
        seg["n"] = r["name"]
        out.append(seg)
    return out


class _Quadrant(TypedDict):
    """A box's name in its corner of the matrix: position, text, alignment and colour."""

    x: float
    y: float
    t: str
    al: Literal["left", "right"]
    c: str


def _unchecked(chart: Callable[..., alt.LayerChart]) -> Callable[..., alt.LayerChart]:
    """``chart`` built without Altair's schema checks."""
    # Altair checks every object against the Vega-Lite schema as it is made (its "debug
    # mode"): some 300 ms a chart, whatever the number of accounts, for a spec that is the
    # same code each time. The spec is checked once by the tests (test_matrix_picture
    # renders it with vl-convert), not on every request.

    @functools.wraps(chart)
    def built(*args: Any, **kwargs: Any) -> alt.LayerChart:
        with debug_mode(False):
            return chart(*args, **kwargs)

    return built


@_unchecked
def matrix_chart(
    rows: Sequence[Mapping[str, Any]],
    *,
    axis: str,
    cuts: Mapping[str, float],
    size_by: str = "revenue",
    title: str | Sequence[str] = "",
    subtitle: Sequence[str] = (),
    size_title: str = "",
    width: float | Literal["container"] = WIDTH,
    trails: bool = False,
    bubbles: Split | None = None,
) -> alt.LayerChart:
    """The selection matrix of ``rows`` (from ``matrix.matrix_rows``) on the strength ``axis``.

    ``axis`` is "relative" (RS, log scale), "absolute" (S_us, 0-10) or "combined" (every
    placed account against its own cut line, ``kam.core.combined_axis``; the shape tells
    the scale). ``cuts`` holds the cut lines ("attractiveness", "relative", "absolute");
    ``size_by`` names what bubble area shows ("revenue": last full year, or "potential":
    revenue potential in three years; base currency, sqrt scale so that area is
    proportional). On "relative" and "absolute", accounts classified on the other axis and
    those not placed are left out; the caller says so beside the chart. ``size_title``
    names the size legend (for example "Revenue 2024 (EUR)"). ``width`` is the plot's width
    in pixels (files), or "container": the page's chart takes its box's width, legends and
    axes included, so that it never runs out of the page. ``trails`` draws each account's
    path over every closed review (the newest step strongest) instead of the one arrow
    since the previous review.

    Beyond ``MAX_BUBBLES`` accounts on the picture only the largest are bubbles (with their
    arrows, trails and expected positions); the others are counted per box in the shaded
    cells of the "density" layer (``bubble_rows``, ``density_cells``), so the chart's data
    stays bounded however many accounts there are. The caller says so beside the chart
    (``reduction_note``).

    Layers: quadrant names, cut lines, density cells, movement arrows or trails,
    expected-position arrows, bubbles (named "bubbles", Vega mark "bubbles_marks"). The
    bubble data is the named dataset "accounts"; the others are "density", "moves",
    "trails", "trail_dots" and "expected".
    """
    if axis not in ("relative", "absolute", "combined"):
        raise ValueError(f"unknown axis {axis!r}")
    if size_by not in SIZE_BY:
        raise ValueError(f"unknown size {size_by!r}")
    labels = box_labels()
    bubbles = bubbles or bubble_rows(rows, axis=axis, size_by=size_by)
    points, shown = chart_points(rows, axis=axis, size_by=size_by, bubbles=bubbles)
    counted = bubbles[1]
    counted_x = [x_of(r, axis) for r in counted]
    a_cut = cuts["attractiveness"]
    s_cut = 0.0 if axis == "combined" else cuts[axis]
    expected_x = [
        r["expected_combined"] if axis == "combined" else r["expected_strength_value"]
        for r in shown
    ]
    trail_x = [t["c"] if axis == "combined" else t["x"] for r in shown for t in r["trail"]]
    if axis == "relative":
        values = (
            [p["x"] for p in points]
            + [v for v in counted_x if v]
            + [r["previous_strength_value"] for r in shown if r["moved"]]
            + [v for v in expected_x if v]
            + ([v for v in trail_x if v] if trails else [])
        )
        domain = _relative_domain(values, s_cut)
        x_scale = alt.Scale(type="log", domain=list(domain), nice=False, clamp=True)
        x_axis = alt.Axis(
            title=axis_title(axis),
            values=_relative_ticks(*domain, s_cut),
            format="~g",
            grid=False,
        )
    elif axis == "combined":
        cut_label = _("cut line")
        domain = _combined_domain([p["x"] for p in points] + counted_x + expected_x + trail_x)
        x_scale = alt.Scale(domain=list(domain), nice=False, clamp=True)
        ticks = [k / 4 for k in range(-4, 5) if domain[0] <= k / 4 <= domain[1]]
        x_axis = alt.Axis(
            title=axis_title(axis),
            values=ticks,
            grid=False,
            labelExpr=f"datum.value == 0 ? {json.dumps(cut_label)} : (datum.value < 0 ? '←' : '→')",
        )
    else:
        domain = (0.0, 10.0)
        x_scale = alt.Scale(domain=[0, 10], nice=False, clamp=True)
        x_axis = alt.Axis(title=axis_title(axis), values=list(range(11)), grid=False)
    y_scale = alt.Scale(domain=[0, 10], nice=False, clamp=True)
    y_axis = alt.Axis(title=_("Attractiveness to us (0-10)"), values=list(range(11)), grid=False)
    if trails:
        moves: list[dict[str, Any]] = []
        trail, dots = trail_segments(shown, axis=axis, domain=domain)
    else:
        moves = _moves(shown, axis=axis, domain=domain)
        trail, dots = [], []
    expected = expected_segments(shown, axis=axis, domain=domain)
    density = density_cells(counted, axis=axis, domain=domain, size_by=size_by)
    prefix, suffix = account_url_pattern()

    lo, hi = domain
    if axis == "relative":
        left = lo * math.exp(0.03 * math.log(hi / lo))
        right = hi / math.exp(0.03 * math.log(hi / lo))
    else:
        left, right = lo + 0.025 * (hi - lo), hi - 0.025 * (hi - lo)
    quadrants: list[_Quadrant] = [
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
    base_text: dict[str, Any] = {"fontSize": 17, "fontWeight": 700, "opacity": 0.45, "font": FONT}
    quadrant_layers = [
        alt.Chart(alt.Data(values=[q]))
        .mark_text(
            align=q["al"], baseline="top" if q["y"] > 5 else "bottom", color=q["c"], **base_text
        )
        .encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), text=alt.Text("t:N"))
        for q in quadrants
    ]
    cut_layer = alt.Chart(alt.Data(values=[{"x": s_cut, "y": a_cut}])).mark_rule(
        color="#8a96a3", strokeDash=[5, 4], strokeWidth=1.2
    )
    cut_v = cut_layer.encode(x=alt.X("x:Q", scale=x_scale))
    cut_h = cut_layer.encode(y=alt.Y("y:Q", scale=y_scale))

    layers: list[alt.Chart] = [*quadrant_layers, cut_v, cut_h]
    box_domain = [labels[b] for b in BOX_ORDER]
    box_colour = alt.Scale(domain=box_domain, range=[BOX_COLOURS[b] for b in BOX_ORDER])
    if density:
        most = max(c["k"] for c in density)
        layers.append(
            alt.Chart(alt.NamedData("density"), name="density")
            .mark_rect(stroke=None)
            .encode(
                x=alt.X("x:Q", scale=x_scale),
                x2=alt.X2("x2:Q"),
                y=alt.Y("a:Q", scale=y_scale),
                y2=alt.Y2("a2:Q"),
                # No legend of its own: with legend=None here Vega-Lite drops the merged box
                # legend of the bubbles too (the 10,000-account picture had no colour key).
                color=alt.Color("b:N", scale=box_colour),
                opacity=alt.Opacity(
                    "k:Q",
                    scale=alt.Scale(type="sqrt", domain=[0, most], range=[0.12, 0.7]),
                    legend=None,
                ),
                tooltip=[
                    alt.Tooltip("b:N", title=_("Box")),
                    alt.Tooltip("k:Q", title=_("Accounts not drawn as bubbles"), format=",d"),
                    alt.Tooltip("rv:Q", title=_("Their total"), format=",.0f"),
                ],
            )
        )
    if moves:
        move_data = alt.NamedData("moves")
        layers.append(
            alt.Chart(move_data)
            .mark_rule(color=MUTED, strokeWidth=1.3, opacity=0.7)
            .encode(
                x=alt.X("x0:Q", scale=x_scale),
                x2=alt.X2("x:Q"),
                y=alt.Y("a0:Q", scale=y_scale),
                y2=alt.Y2("a:Q"),
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

    if trail:
        trail_data = alt.NamedData("trails")
        for newest in (0, 1):
            layers.append(
                alt.Chart(trail_data)
                .transform_filter(f"datum.w == {newest}")
                .mark_rule(
                    color=INK if newest else MUTED,
                    strokeWidth=2.2 if newest else 1.1,
                    opacity=0.85 if newest else 0.45,
                )
                .encode(
                    x=alt.X("x0:Q", scale=x_scale),
                    x2=alt.X2("x:Q"),
                    y=alt.Y("a0:Q", scale=y_scale),
                    y2=alt.Y2("a:Q"),
                )
            )
        layers.append(
            alt.Chart(trail_data)
            .transform_filter("datum.w == 1")
            .mark_point(shape="triangle-up", filled=True, color=INK, opacity=0.9, size=70)
            .encode(
                x=alt.X("mx:Q", scale=x_scale),
                y=alt.Y("ma:Q", scale=y_scale),
                angle=alt.Angle("g:Q", scale=None),
            )
        )
        layers.append(
            alt.Chart(alt.NamedData("trail_dots"))
            .mark_circle(color=MUTED, opacity=0.6, size=22)
            .encode(
                x=alt.X("x:Q", scale=x_scale),
                y=alt.Y("a:Q", scale=y_scale),
                tooltip=[
                    alt.Tooltip("n:N", title=_("Account")),
                    alt.Tooltip("v:N", title=_("Review")),
                    alt.Tooltip("d:N", title=_("Date")),
                    alt.Tooltip("b:N", title=_("Box")),
                ],
            )
        )
    if expected:
        expected_data = alt.NamedData("expected")
        layers.append(
            alt.Chart(expected_data)
            .mark_rule(color=EXPECTED, strokeWidth=1.6, strokeDash=[4, 3], opacity=0.9)
            .encode(
                x=alt.X("x0:Q", scale=x_scale),
                x2=alt.X2("x:Q"),
                y=alt.Y("a0:Q", scale=y_scale),
                y2=alt.Y2("a:Q"),
            )
        )
        layers.append(
            alt.Chart(expected_data)
            .mark_point(shape="triangle-up", filled=True, color=EXPECTED, opacity=0.95, size=90)
            .encode(
                x=alt.X("x:Q", scale=x_scale),
                y=alt.Y("a:Q", scale=y_scale),
                angle=alt.Angle("g:Q", scale=None),
                tooltip=[
                    alt.Tooltip("n:N", title=_("Account")),
                    alt.Tooltip(
                        "a:Q", title=_("Expected attractiveness in three years"), format=".1f"
                    ),
                ],
            )
        )

    max_revenue = max((p["r"] for p in points), default=0) or 1
    pct = ".0%"
    bubble_layer = (
        alt.Chart(alt.NamedData("accounts"), name="bubbles")
        .transform_calculate(
            h=f"{json.dumps(prefix)} + datum.i + {json.dumps(suffix)}",
            uu=f"datum.u ? {json.dumps(_('yes'))} : {json.dumps(_('no'))}",
        )
        .mark_point(filled=True, opacity=0.82, cursor="pointer")
        .encode(
            x=x_enc,
            y=y_enc,
            color=alt.Color(
                "b:N",
                scale=box_colour,
                legend=alt.Legend(
                    title=_("Box"), orient="right", symbolSize=180, symbolOpacity=0.85
                ),
            ),
            size=alt.Size(
                "r:Q",
                scale=alt.Scale(type="sqrt", domain=[0, max_revenue], range=[30, 1500]),
                legend=alt.Legend(
                    title=size_title or _("Revenue"),
                    titleLimit=260,
                    labelExpr=formats.vega_compact_expr(),
                    orient="right",
                    symbolFillColor="#c9d1da",
                    symbolStrokeColor="#8a96a3",
                    values=_legend_values(max_revenue),
                ),
            ),
            # Channel objects, not alt.condition's dicts: Altair would search its schema
            # for the class of each dict on every request.
            stroke=alt.StrokeValue(value="#ffffff", condition={"test": "datum.u", "value": INK}),
            strokeDash=alt.StrokeDashValue(
                value=[1, 0], condition={"test": "datum.u", "value": [3, 2]}
            ),
            strokeWidth=alt.StrokeWidthValue(
                value=0.8, condition={"test": "datum.u", "value": 1.6}
            ),
            shape=alt.Shape(
                "s:N",
                scale=alt.Scale(domain=list(scale_labels().values()), range=["circle", "square"]),
                legend=alt.Legend(
                    title=_("Placed on"),
                    orient="right",
                    symbolFillColor="#c9d1da",
                    labelLimit=220,
                )
                if axis == "combined"
                else None,
            ),
            order=alt.Order("r:Q", sort="descending"),
            href=alt.Href("h:N"),
            tooltip=[
                alt.Tooltip("n:N", title=_("Account")),
                alt.Tooltip("o:N", title=_("Owner")),
                alt.Tooltip("b:N", title=_("Box")),
                alt.Tooltip("a:Q", title=_("Attractiveness (A)"), format=".2f"),
                alt.Tooltip("su:Q", title=_("Our strength (S_us)"), format=".2f"),
                alt.Tooltip("sc:Q", title=_("Strongest competitor (S_comp)"), format=".2f"),
                alt.Tooltip("rs:Q", title=_("Relative strength (RS)"), format=".2f"),
                alt.Tooltip("s:N", title=_("Placed on")),
                alt.Tooltip("rv:Q", title=_("Revenue"), format=",.0f"),
                alt.Tooltip("pt:Q", title=_("Revenue potential in three years"), format=",.0f"),
                alt.Tooltip("pk:Q", title=_("P(key)"), format=pct),
                alt.Tooltip("pd:Q", title=_("P(key development)"), format=pct),
                alt.Tooltip("pm:Q", title=_("P(maintenance)"), format=pct),
                alt.Tooltip("po:Q", title=_("P(opportunistic)"), format=pct),
                alt.Tooltip("uu:N", title=_("Uncertain box")),
                alt.Tooltip("d:N", title=_("Raters disagree on")),
            ],
        )
    )
    layers.append(bubble_layer)

    if isinstance(title, str):
        title_text: Any = title
    else:
        title_text = list(title)
    chart: alt.LayerChart = alt.LayerChart(
        layer=layers,
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
    # The data goes in last: Altair deep-copies a chart on configure(), which for a thousand
    # bubbles and the density cells cost more than drawing the rest of the chart.
    chart.datasets = {
        "accounts": points,
        "moves": moves,
        "trails": trail,
        "trail_dots": dots,
        "expected": expected,
        "density": density,
    }
    return chart


def chart_spec(chart: alt.Chart | alt.LayerChart) -> dict[str, Any]:
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
