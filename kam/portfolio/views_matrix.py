"""The selection matrix page, its table fragment, chart data and exports (docs/method.md §1).

Every view parses the same filters (``matrix.MatrixFilters``), reads the same rows
(``matrix.matrix_rows``) and draws the same chart (``charts.matrix_chart``); they differ
only in what they render: the page, the htmx table fragment, the chart spec as JSON, or a
CSV/PNG/SVG download.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from kam.core.cells import spreadsheet_cell
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.organisation.selectors import organisation_get
from kam.portfolio import charts
from kam.portfolio.matrix import (
    BOX_ORDER,
    MatrixFilters,
    axis_choose,
    axis_counts,
    capacity_summary,
    criterion_names,
    filter_choices,
    matrix_cuts,
    matrix_filters_parse,
    matrix_review_get,
    matrix_rows,
    matrix_sort,
    matrix_stats,
    revenue_year,
    review_choices,
    size_choose,
    trails_exist,
    trails_fill,
)
from kam.portfolio.models import Review, ReviewStatus
from kam.portfolio.selectors import portfolio_review, review_previous
from kam.portfolio.services import review_ensure_computed
from kam.web.requests import AuthenticatedHttpRequest

PAGE_SIZE = 50
UNPLACED_SHOWN = 100


@dataclass
class MatrixState:
    """What every matrix view needs: filters, the review and the one before, the rows."""

    filters: MatrixFilters
    review: Review | None
    previous: Review | None
    rows: list[dict[str, Any]]
    counts: dict[str, int]
    axis: str
    size: str = "revenue"
    trails: bool = False

    @cached_property
    def bubbles(self) -> charts.Split:
        """The picture's rows drawn as bubbles and those counted in shaded squares
        (``charts.bubble_rows``), split once per request, without their trails."""
        return charts.bubble_rows(self.rows, axis=self.axis, size_by=self.size)

    @cached_property
    def traced(self) -> charts.Split:
        """``bubbles`` with the bubbles' trails (at most ``charts.MAX_BUBBLES`` accounts):
        the rows are read without them, and the arrows and trails of the chart belong to
        the bubbles only. The page's notes need them only with ``trails`` on; the chart
        always (the combined picture's arrows start at the last trail point)."""
        drawn, counted = self.bubbles
        if self.review is not None:
            trails_fill(drawn, review=self.review)  # type: ignore[arg-type]
        return drawn, counted

    def view(self, filters: MatrixFilters | None = None, **extra: Any) -> str:
        """The filters (``filters`` instead, when given) and the picture's choices (axis,
        bubble size, trails) as a query string."""
        params: dict[str, Any] = {"axis": self.axis, "size": self.size}
        if self.trails:
            params["trails"] = "1"
        params.update(extra)
        return (filters or self.filters).as_query(**params)


def _state(request: AuthenticatedHttpRequest) -> MatrixState:
    filters = matrix_filters_parse(request.GET)
    review = matrix_review_get(filters=filters)
    if review is None:
        return MatrixState(filters, None, None, [], axis_counts([]), "relative")
    review_ensure_computed(review=review)
    previous = review_previous(review=review)
    rows = matrix_rows(
        review=review, user=request.user, filters=filters, previous=previous, trails=False
    )
    counts = axis_counts(rows)
    axis = axis_choose(request.GET.get("axis"), counts)
    size = size_choose(request.GET.get("size"))
    trails = request.GET.get("trails") in ("1", "true", "on")
    return MatrixState(filters, review, previous, rows, counts, axis, size, trails)


def _review_label(review: Review) -> str:
    return _("%(name)s (%(date)s)") % {
        "name": review.name,
        "date": date_format(review.review_date, "DATE_FORMAT"),
    }


def chart_notes(state: MatrixState, *, with_hidden: bool) -> list[str]:
    """What the arrows, bubble sizes and dashed outlines mean, which accounts are counted in
    shaded squares instead of drawn as bubbles (on a picture of more than
    ``charts.MAX_BUBBLES``), and (``with_hidden``) which placed accounts the chart leaves
    out."""
    assert state.review is not None
    org = organisation_get()
    year = revenue_year(review=state.review)
    subtitle = []
    # The bubbles the chart draws (all of the picture's accounts up to charts.MAX_BUBBLES):
    # arrows, trails and expected positions belong to them.
    shown, _counted = state.traced if state.trails else state.bubbles
    reduced = charts.reduction_note(
        state.rows, axis=state.axis, size_by=state.size, bubbles=state.bubbles
    )
    if reduced:
        subtitle.append(reduced)
    if state.trails:
        with_trail = sum(1 for r in shown if r["trail"])
        subtitle.append(
            _(
                "Lines follow each account through every closed review (%(n)s accounts have "
                "earlier positions; dots mark them); the dark step with the arrowhead is the "
                "newest."
            )
            % {"n": with_trail}
        )
    elif state.previous is not None:
        moved = sum(1 for r in shown if r["moved"])
        if moved > charts.MAX_ARROWS:
            subtitle.append(
                _(
                    "Arrows show the move since %(previous)s of %(n)s of the %(moved)s accounts "
                    "that moved: those that changed box first, then the largest."
                )
                % {
                    "previous": _review_label(state.previous),
                    "n": charts.MAX_ARROWS,
                    "moved": moved,
                }
            )
        else:
            subtitle.append(
                _("Arrows show each account's move since %(previous)s.")
                % {"previous": _review_label(state.previous)}
            )
    expected = sum(1 for r in shown if r["expected_attractiveness"] is not None)
    if expected:
        subtitle.append(
            _("Dashed purple arrows end where %(n)s accounts are expected in three years.")
            % {"n": expected}
        )
    if state.axis == "combined":
        subtitle.append(
            _(
                "Circles are placed on relative strength RS, squares on our own score S_us "
                "(no competitor scores); 0 is each one's own cut line."
            )
        )
    if state.size == "potential":
        unknown = sum(1 for r in shown if r["potential"] is None)
        subtitle.append(
            _("Bubble area: revenue potential in three years in %(currency)s.")
            % {"currency": org.base_currency}
            + (
                " "
                + _("%(n)s accounts have no potential yet and are drawn smallest.") % {"n": unknown}
                if unknown
                else ""
            )
            + " "
            + _(
                "Dashed outline: box uncertain (no box reaches %(threshold)s%% in the "
                "sensitivity analysis)."
            )
            % {"threshold": round(float(org.uncertainty_threshold) * 100)}
        )
    else:
        subtitle.append(
            _(
                "Bubble area: revenue %(year)s in %(currency)s. Dashed outline: box uncertain "
                "(no box reaches %(threshold)s%% in the sensitivity analysis)."
            )
            % {
                "year": year,
                "currency": org.base_currency,
                "threshold": round(float(org.uncertainty_threshold) * 100),
            }
        )
    hidden = _hidden_note(state)
    if hidden and with_hidden:
        subtitle.append(hidden)
    return subtitle


def _chart_for(state: MatrixState, *, titled: bool) -> Any:
    """The chart of the current state. ``titled`` (for downloads) writes the review and the
    notes on arrows, sizes and outlines into the image, so that it stands on its own on a
    board slide; the page shows them around the chart instead."""
    assert state.review is not None
    org = organisation_get()
    year = revenue_year(review=state.review)
    return charts.matrix_chart(
        state.rows,
        axis=state.axis,
        cuts=matrix_cuts(review=state.review),
        size_by=state.size,
        title=_chart_title(state.review) if titled else "",
        subtitle=chart_notes(state, with_hidden=True) if titled else (),
        size_title=size_title(state.size, year=year, currency=org.base_currency),
        trails=state.trails,
        bubbles=state.traced,
        # On the page the chart fits its box; a downloaded file keeps its fixed size.
        width=charts.WIDTH if titled else "container",
    )


def size_title(size: str, *, year: int, currency: str) -> str:
    """The bubble-size legend's title."""
    if size == "potential":
        return _("Potential in three years (%(currency)s)") % {"currency": currency}
    return _("Revenue %(year)s (%(currency)s)") % {"year": year, "currency": currency}


def _chart_title(review: Review) -> str:
    if review.status == ReviewStatus.OPEN:
        return _("Preview of review %(name)s in progress — not the portfolio") % {
            "name": _review_label(review)
        }
    return _("Customer portfolio: %(review)s") % {"review": _review_label(review)}


def _hidden_note(state: MatrixState) -> str:
    if state.axis == "combined":
        return ""
    other = "absolute" if state.axis == "relative" else "relative"
    n = state.counts[other]
    if not n:
        return ""
    if state.axis == "relative":
        return _(
            "%(n)s placed accounts are not drawn here: they lack a competitor score on some "
            "strength criterion, so they were placed on our own strength score S_us."
        ) % {"n": n}
    return _(
        "%(n)s placed accounts are not drawn here: they have competitor scores on every "
        "strength criterion, so they were placed on relative strength."
    ) % {"n": n}


# (sort key, numeric): numeric columns sort high-to-low on the first click.
SORT_COLUMNS = (
    ("name", False),
    ("owner", False),
    ("box", False),
    ("attractiveness", True),
    ("strength", True),
    ("rs", True),
    ("revenue", True),
    ("probability", True),
)


def _column_labels() -> dict[str, str]:
    return {
        "name": _("Account"),
        "owner": _("Owner"),
        "box": _("Box"),
        "attractiveness": _("Attractiveness (A)"),
        "strength": _("Our strength (S_us)"),
        "rs": _("Relative strength (RS)"),
        "revenue": _("Revenue"),
        "probability": _("Certainty of box"),
    }


def _table_context(request: AuthenticatedHttpRequest, state: MatrixState) -> dict[str, Any]:
    placed = [r for r in state.rows if r["box"]]
    unplaced = [r for r in state.rows if not r["box"]]
    ordered, sort = matrix_sort(placed, request.GET.get("sort"))
    paginator = Paginator(ordered, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    boxes = {b.value: b.label for b in Box}
    for r in page.object_list:
        r["box_label"] = boxes.get(r["box"], "")
        r["previous_box_label"] = boxes.get(r["previous_box"] or "", "")
    labels = _column_labels()
    base: dict[str, Any] = {"axis": state.axis, "size": state.size}
    if state.trails:
        base["trails"] = "1"
    columns = []
    for key, numeric in SORT_COLUMNS:
        descending_first = numeric
        if sort.lstrip("-") == key:
            next_sort = key if sort.startswith("-") else f"-{key}"
            arrow = "▼" if sort.startswith("-") else "▲"
        else:
            next_sort = f"-{key}" if descending_first else key
            arrow = ""
        columns.append(
            {
                "key": key,
                "label": labels[key],
                "numeric": numeric,
                "query": state.filters.as_query(**base, sort=next_sort),
                "arrow": arrow,
                "aria": "descending" if arrow == "▼" else ("ascending" if arrow else "none"),
            }
        )
    names = criterion_names(review=state.review) if (unplaced and state.review) else {}
    for r in unplaced[:UNPLACED_SHOWN]:
        r["missing_names"] = [names.get(k, k) for k in r["missing"]]
    return {
        "page": page,
        "sort": sort,
        "columns": columns,
        "prev_query": state.filters.as_query(**base, sort=sort, page=page.number - 1)
        if page.has_previous()
        else "",
        "next_query": state.filters.as_query(**base, sort=sort, page=page.number + 1)
        if page.has_next()
        else "",
        "unplaced": unplaced[:UNPLACED_SHOWN],
        "unplaced_total": len(unplaced),
        "unplaced_more": max(0, len(unplaced) - UNPLACED_SHOWN),
        "filters": state.filters,
        "axis": state.axis,
        "review_id": state.review.pk if state.review else None,
    }


def _main_context(request: AuthenticatedHttpRequest, state: MatrixState) -> dict[str, Any]:
    assert state.review is not None
    stats = matrix_stats(state.rows)
    capacity = capacity_summary(review=state.review, user=request.user)
    labels = {b.value: b.label for b in Box}
    query = state.view()
    box_stats = [
        {
            "box": b,
            "label": labels[b],
            "count": stats["per_box"][b],
            "query": state.view(state.filters.model_copy(update={"box": b})),
        }
        for b in BOX_ORDER
    ]
    other = {"relative": "absolute", "absolute": "relative"}.get(state.axis, "unplaced")
    hidden_count = state.counts[other] if state.axis != "combined" else 0
    trails_available = trails_exist(review=state.review, user=request.user, filters=state.filters)
    expected_count = sum(1 for r in state.rows if r["expected_attractiveness"] is not None)
    potential_count = sum(1 for r in state.rows if r["potential"] is not None)
    return {
        "filters": state.filters,
        "review": state.review,
        "previous": state.previous,
        "reviews": review_choices(),
        "portfolio": portfolio_review(),
        "choices": filter_choices(user=request.user),
        "stats": stats,
        "box_stats": box_stats,
        "capacity": capacity,
        "axis": state.axis,
        "counts": state.counts,
        "shown": state.counts[state.axis],
        "hidden": hidden_count,
        "hidden_note": _hidden_note(state),
        "chart_notes": chart_notes(state, with_hidden=False),
        "axis_queries": {a: state.view(axis=a) for a in ("relative", "absolute", "combined")},
        "size": state.size,
        "size_queries": {z: state.view(size=z) for z in ("revenue", "potential")},
        "trails": state.trails,
        "trails_query": state.view(trails="") if state.trails else state.view(trails="1"),
        "trails_available": trails_available,
        "expected_count": expected_count,
        "potential_count": potential_count,
        "cuts": matrix_cuts(review=state.review),
        "query": query,
        "data_url": f"{reverse('portfolio:matrix_data')}?{query}",
        "revenue_year": revenue_year(review=state.review),
        "base_currency": organisation_get().base_currency,
        **_table_context(request, state),
    }


@login_required
@require_GET
def matrix(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The matrix page; an htmx request (the filter form) gets the part below the heading."""
    state = _state(request)
    if state.review is None:
        return render(
            request,
            "portfolio/matrix.html",
            {"review": None, "open_reviews": [r for r in review_choices() if r.is_open]},
        )
    context = _main_context(request, state)
    if request.htmx and not request.htmx.boosted:
        return render(request, "portfolio/_matrix_main.html", context)
    return render(request, "portfolio/matrix.html", context)


@login_required
@require_GET
def matrix_table(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The sortable, paginated table of the matrix's accounts (an htmx fragment)."""
    state = _state(request)
    if state.review is None:
        return HttpResponse(status=204)
    return render(request, "portfolio/_matrix_table.html", _table_context(request, state))


@login_required
@require_GET
@gzip_page
def matrix_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The chart as JSON for the page: the Vega-Lite ``spec``, how many accounts are on the
    picture (``points``) and how many of them are drawn as bubbles (``bubbles``; the others
    are counted in shaded squares beyond ``charts.MAX_BUBBLES``, which keeps the spec under
    about 1 MB however large the portfolio). Compressed when the browser accepts it.
    """
    try:
        state = _state(request)
    except ApplicationError as exc:
        return JsonResponse({"detail": exc.message, "field": exc.field}, status=exc.status)
    if state.review is None:
        return JsonResponse({"detail": _("There is no portfolio review yet.")}, status=404)
    spec = charts.chart_spec(_chart_for(state, titled=False))
    return JsonResponse(
        {
            "spec": spec,
            "points": state.counts[state.axis],
            "bubbles": len(state.bubbles[0]),
            "axis": state.axis,
            "size": state.size,
            "trails": state.trails,
            "axis_counts": state.counts,
        }
    )


CSV_COLUMNS = (
    "id",
    "name",
    "owner",
    "country",
    "channel",
    "box",
    "attractiveness",
    "strength",
    "competitor_strength",
    "relative_strength",
    "strength_axis",
    "p_key",
    "p_key_development",
    "p_maintenance",
    "p_opportunistic",
    "uncertain",
    "disagreement",
    "missing",
    "revenue",
    "revenue_year",
    "previous_box",
    "previous_attractiveness",
    "previous_strength_value",
    "url",
)


def _csv(rows: list[dict[str, Any]], request: HttpRequest) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        line = []
        for col in CSV_COLUMNS:
            value = r.get(col)
            if col == "url":
                value = request.build_absolute_uri(r["url"])
            elif isinstance(value, list):
                value = " ".join(value)
            elif isinstance(value, bool):
                value = "yes" if value else "no"
            elif isinstance(value, float):
                value = f"{value:.4f}".rstrip("0").rstrip(".")
            line.append(spreadsheet_cell("" if value is None else value))
        writer.writerow(line)
    return out.getvalue()


@login_required
@require_GET
def matrix_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """Download the filtered matrix: ``csv`` (every account, placed or not), ``png`` or ``svg``."""
    if fmt not in ("csv", "png", "svg"):
        raise Http404
    state = _state(request)
    if state.review is None:
        raise Http404
    stem = f"kam-matrix-{state.review.review_date.isoformat()}"
    if fmt == "csv":
        response = HttpResponse(_csv(state.rows, request), content_type="text/csv; charset=utf-8")
    else:
        spec = charts.chart_spec(_chart_for(state, titled=True))
        if fmt == "png":
            response = HttpResponse(charts.chart_png(spec), content_type="image/png")
        else:
            response = HttpResponse(charts.chart_svg(spec), content_type="image/svg+xml")
        stem += f"-{state.axis}" + ("-potential" if state.size == "potential" else "")
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response
