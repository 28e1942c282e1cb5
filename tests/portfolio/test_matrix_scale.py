"""The matrix at a large portfolio (issue 16): a picture of more than ``charts.MAX_BUBBLES``
accounts draws the largest as bubbles and counts the others in shaded cells, so the chart's
data stays bounded; the page says what it leaves out; the API pages its rows and keeps its
counts over every row; the views run a fixed number of queries whatever the number of
accounts.

The chart is tested on hand-made rows (``matrix_chart`` takes the rows of ``matrix_rows``);
the views on ``test_matrix.matrix_portfolio`` with a lowered ``MAX_BUBBLES``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.portfolio import charts
from kam.portfolio.matrix import BOX_ORDER
from kam.portfolio.models import Review
from kam.portfolio.services import review_compute
from tests.conftest import client_for
from tests.factories import AccountFactory
from tests.portfolio.test_matrix import matrix_portfolio

CUTS = {"attractiveness": 5.0, "relative": 1.0, "absolute": 5.0}


def _box(a: float, x: float, cut: float) -> str:
    if a >= 5.0:
        return "key" if x >= cut else "key_development"
    return "maintenance" if x >= cut else "opportunistic"


def fake_rows(n: int, *, axis: str = "relative", seed: int = 1) -> list[dict[str, Any]]:
    """``n`` placed accounts on ``axis`` as ``matrix_rows`` gives them, each moved since the
    previous review and with an expected position (the most the chart can draw per row)."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        a = round(rnd.uniform(0.5, 9.5), 2)
        if axis == "relative":
            x = round(math.exp(rnd.uniform(-1.2, 1.2)), 3)
        else:
            x = round(rnd.uniform(0.5, 9.5), 2)
        cut = CUTS[axis]
        box = _box(a, x, cut)
        rows.append(
            {
                "id": i + 1,
                "name": f"Account {i:05d}",
                "owner": "Sanne de Vries",
                "box": box,
                "attractiveness": a,
                "strength": 6.0,
                "competitor_strength": 6.0 / x if axis == "relative" else None,
                "relative_strength": x if axis == "relative" else None,
                "strength_axis": axis,
                "strength_value": x,
                "combined_value": 0.1 if x >= cut else -0.1,
                "p_key": 0.5,
                "p_key_development": 0.2,
                "p_maintenance": 0.2,
                "p_opportunistic": 0.1,
                "p_box": 0.5,
                "uncertain": i % 7 == 0,
                "disagreement": [],
                "missing": [],
                "revenue": float(rnd.randint(1_000, 5_000_000)),
                "potential": None,
                "previous_box": box,
                "previous_attractiveness": max(0.1, a - 0.5),
                "previous_strength_value": x * 0.9 if axis == "relative" else max(0.1, x - 0.5),
                "moved": True,
                "expected_attractiveness": min(10.0, a + 0.5),
                "expected_strength_value": x * 1.1 if axis == "relative" else min(10.0, x + 0.5),
                "expected_combined": None,
                "trail": [],
            }
        )
    return rows


def spec_of(rows: list[dict[str, Any]], *, axis: str = "relative") -> dict[str, Any]:
    return charts.chart_spec(charts.matrix_chart(rows, axis=axis, cuts=CUTS))


def test_a_portfolio_up_to_the_limit_is_drawn_account_by_account():
    rows = fake_rows(300)
    spec = spec_of(rows)
    assert len(spec["datasets"]["accounts"]) == 300
    assert spec["datasets"]["density"] == []
    assert "density" not in json.dumps(spec["layer"])
    assert charts.reduction_note(rows, axis="relative") == ""


@pytest.mark.parametrize("axis", ["relative", "absolute"])
def test_beyond_the_limit_the_largest_are_bubbles_and_every_other_account_is_counted(axis):
    rows = fake_rows(charts.MAX_BUBBLES * 3, axis=axis)
    data = spec_of(rows, axis=axis)["datasets"]
    bubbles = data["accounts"]
    assert len(bubbles) == charts.MAX_BUBBLES
    # Nobody is lost: bubbles and counted accounts add up to the picture, per box too.
    assert len(bubbles) + sum(c["k"] for c in data["density"]) == len(rows)
    labels = charts.box_labels()
    for box in BOX_ORDER:
        expected = sum(1 for r in rows if r["box"] == box)
        drawn = sum(1 for p in bubbles if p["b"] == labels[box])
        counted = sum(c["k"] for c in data["density"] if c["b"] == labels[box])
        assert drawn + counted == expected, box
    # The bubbles are the largest accounts.
    drawn_ids = {p["i"] for p in bubbles}
    smallest_drawn = min(r["revenue"] for r in rows if r["id"] in drawn_ids)
    largest_counted = max(r["revenue"] for r in rows if r["id"] not in drawn_ids)
    assert smallest_drawn >= largest_counted
    # Arrows and expected positions belong to bubbles only.
    assert len(data["moves"]) <= charts.MAX_ARROWS
    assert len(data["expected"]) <= charts.MAX_BUBBLES


def test_beyond_the_limit_the_picture_keeps_its_box_colour_key(monkeypatch):
    """The shaded squares share the bubbles' colours; the drawn picture still names the
    boxes in its legend (a legend left off the squares used to remove it altogether)."""
    monkeypatch.setattr(charts, "MAX_BUBBLES", 10)
    spec = spec_of(fake_rows(60))
    assert spec["datasets"]["density"]
    svg = charts.chart_svg(spec)
    assert svg.count(">Box<") == 1
    for label in charts.box_labels().values():
        assert f">{label}<" in svg, label


def test_the_chart_data_does_not_grow_with_the_portfolio_beyond_the_limit():
    n = charts.MAX_BUBBLES * 3
    small = len(json.dumps(spec_of(fake_rows(n, seed=2))))
    large = len(json.dumps(spec_of(fake_rows(3 * n, seed=3))))
    # 3x the accounts: the same bubbles, at most as many density cells as the grid has.
    cells = charts.DENSITY_BINS[0] * charts.DENSITY_BINS[1]
    assert large <= small + cells * 80
    assert large < 1_000_000


def test_density_cells_hand_worked():
    # A 2 x 2 grid over S_us 0-10 and A 0-10: cells of 5 by 5.
    rows = [
        {"box": "key", "attractiveness": 7.0, "strength_value": 6.0, "revenue": 100.0},
        {"box": "key", "attractiveness": 9.9, "strength_value": 9.0, "revenue": 50.0},
        {"box": "opportunistic", "attractiveness": 1.0, "strength_value": 2.0, "revenue": 5.0},
        # Exactly on the top edge: the last cell, not outside the grid.
        {"box": "key", "attractiveness": 10.0, "strength_value": 10.0, "revenue": None},
    ]
    cells = charts.density_cells(rows, axis="absolute", domain=(0.0, 10.0), bins=(2, 2))
    labels = charts.box_labels()
    assert cells == [
        {"x": 0.0, "x2": 5.0, "a": 0.0, "a2": 5.0, "b": labels["opportunistic"], "k": 1, "rv": 5},
        {"x": 5.0, "x2": 10.0, "a": 5.0, "a2": 10.0, "b": labels["key"], "k": 3, "rv": 150},
    ]


@settings(max_examples=40, deadline=None)
@given(
    xs=st.lists(st.floats(min_value=0.2, max_value=5.0), min_size=1, max_size=60),
    a=st.floats(min_value=0.0, max_value=10.0),
)
def test_on_relative_strength_no_cell_straddles_the_cut_line(xs, a):
    rows = [
        {"box": _box(a, x, 1.0), "attractiveness": a, "strength_value": x, "revenue": 1.0}
        for x in xs
    ]
    domain = charts._relative_domain(xs, 1.0)
    cells = charts.density_cells(rows, axis="relative", domain=domain)
    assert sum(c["k"] for c in cells) == len(rows)
    for c in cells:
        assert domain[0] * 0.999 <= c["x"] < c["x2"] <= domain[1] * 1.001
        assert c["x2"] <= 1.0 + 1e-3 or c["x"] >= 1.0 - 1e-3, c


# --- The page, the chart data and the API -------------------------------------------------


@pytest.fixture
def large(director, kam_user, other_kam, monkeypatch):  # type: ignore[no-untyped-def]
    """The hand-built portfolio with 12 more accounts, and a picture limit of 3 bubbles."""
    monkeypatch.setattr(charts, "MAX_BUBBLES", 3)
    return matrix_portfolio(director=director, owners=[kam_user, other_kam], extra=12)


@pytest.mark.django_db
def test_page_and_chart_data_say_how_many_accounts_are_counted_instead_of_drawn(large, director):
    client = client_for(director)
    data = client.get(reverse("portfolio:matrix_data"), {"axis": "relative"}).json()
    points = data["points"]
    assert points > 3
    assert data["bubbles"] == 3
    counted = sum(c["k"] for c in data["spec"]["datasets"]["density"])
    assert counted == points - 3
    page = client.get(reverse("portfolio:matrix"), {"axis": "relative"}).content.decode()
    assert f"{points} accounts are too many to draw one by one" in page
    assert f"the other {points - 3} are counted in the shaded squares" in page
    # Filtered to one country the picture is small again: every account a bubble, no note.
    query = {"axis": "relative", "country": "NL"}
    data = client.get(reverse("portfolio:matrix_data"), query).json()
    assert data["points"] == data["bubbles"] == 2  # Alpha and Gamma; Epsilon is not placed
    assert data["spec"]["datasets"]["density"] == []
    page = client.get(reverse("portfolio:matrix"), query).content.decode()
    assert "too many to draw one by one" not in page


@pytest.mark.django_db
def test_api_pages_the_rows_and_counts_them_all(large, director):
    client = client_for(director)
    everything = client.get("/api/portfolio/matrix").json()
    total = everything["count"]
    assert total == len(everything["rows"]) == 17  # five named accounts and twelve extra
    assert everything["limit"] is None and everything["offset"] == 0
    page = client.get("/api/portfolio/matrix", {"limit": 5, "offset": 10}).json()
    assert [r["name"] for r in page["rows"]] == [r["name"] for r in everything["rows"][10:15]]
    assert page["count"] == total
    assert page["summary"] == everything["summary"]
    assert page["axis_counts"] == everything["axis_counts"]
    assert page["summary"]["total"] == total
    assert sum(page["summary"]["per_box"].values()) + page["summary"]["unplaced"] == total
    beyond = client.get("/api/portfolio/matrix", {"limit": 5, "offset": 40}).json()
    assert beyond["rows"] == [] and beyond["count"] == total
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "many"}):
        response = client.get("/api/portfolio/matrix", bad)
        assert response.status_code == 422, bad
        assert response.json()["field"] == next(iter(bad)), bad


@pytest.mark.django_db
def test_chart_data_and_api_use_a_constant_number_of_queries(
    director, kam_user, other_kam, django_assert_max_num_queries
):
    matrix_portfolio(director=director, owners=[kam_user, other_kam], extra=5)
    client = client_for(director)
    urls = [
        reverse("portfolio:matrix_data"),
        reverse("portfolio:matrix_data") + "?trails=1&axis=combined",
        "/api/portfolio/matrix",
        "/api/portfolio/matrix?limit=3&offset=2",
    ]
    from kam.portfolio.matrix import review_parts_forget

    for url in urls:
        client.get(url)  # the first request may compute placements
    few, cold = {}, {}
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        few[url] = len(captured.captured_queries)
        review_parts_forget()  # and once computing the review's part of the rows again
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        cold[url] = len(captured.captured_queries)
    for i in range(15):
        AccountFactory(name=f"Later {i}", owner=kam_user)
    review_compute(review=Review.objects.get(name="Review 2026"))
    for url in urls:
        review_parts_forget()
        with django_assert_max_num_queries(cold[url]):
            assert client.get(url).status_code == 200
        with django_assert_max_num_queries(few[url]):
            assert client.get(url).status_code == 200


def _grow(portfolio: Any, *, owners: list[Any], n: int, start: int = 0) -> None:
    """``n`` more accounts placed in both reviews as Alpha is (a move, revenue, an outlook
    with an expected position), spread over ``owners``: the most work a row can cause."""
    from decimal import Decimal

    from kam.portfolio.models import Outlook, Placement
    from tests.factories import AccountRevenueFactory

    alpha = portfolio.accounts["Alpha Retail"]
    now = Placement.objects.get(review=portfolio.review, account=alpha)
    before = Placement.objects.get(review=portfolio.previous, account=alpha)
    fields = [
        "attractiveness",
        "strength",
        "competitor_strength",
        "relative_strength",
        "strength_axis",
        "box",
        "p_key",
        "p_key_development",
        "p_maintenance",
        "p_opportunistic",
        "uncertain",
    ]
    for i in range(start, start + n):
        account = AccountFactory(name=f"Grown {i:03d}", owner=owners[i % len(owners)])
        AccountRevenueFactory(
            account=account,
            year=portfolio.review.review_date.year - 1,
            amount=Decimal(50_000 + i),
        )
        for review, template in ((portfolio.review, now), (portfolio.previous, before)):
            Placement.objects.create(
                review=review, account=account, **{f: getattr(template, f) for f in fields}
            )
        Outlook.objects.create(
            review=portfolio.review,
            account=account,
            potential_revenue=Decimal(80_000),
            expected_attractiveness=Decimal("8.0"),
            expected_strength=Decimal("7.0"),
        )


@pytest.mark.django_db
def test_matrix_page_data_and_table_cost_the_same_queries_for_3n_accounts(
    director, kam_user, other_kam, monkeypatch
):
    """N accounts, then 3N (each placed in both reviews, with revenue, a move and an
    expected position): the matrix page, its chart data (every axis, trails, potential),
    its table and the API run exactly as many queries, for the sales director and for a key
    account manager, and beyond ``MAX_BUBBLES`` as below it."""
    monkeypatch.setattr(charts, "MAX_BUBBLES", 6)
    owners = [kam_user, other_kam]
    portfolio = matrix_portfolio(director=director, owners=owners, extra=3)
    urls = [
        reverse("portfolio:matrix"),
        reverse("portfolio:matrix") + "?axis=combined&size=potential&trails=1",
        reverse("portfolio:matrix") + "?sort=-revenue&page=2",
        reverse("portfolio:matrix_data"),
        reverse("portfolio:matrix_data") + "?axis=relative",
        reverse("portfolio:matrix_data") + "?axis=combined&size=potential&trails=1",
        reverse("portfolio:matrix_table") + "?sort=-revenue",
        "/api/portfolio/matrix?limit=3&offset=2",
    ]
    clients = {"director": client_for(director), "manager": client_for(kam_user)}

    def counts() -> dict[tuple[str, str], int]:
        out = {}
        for who, client in clients.items():
            for url in urls:
                client.get(url)  # a first request may compute or store what later ones read
                with CaptureQueriesContext(connection) as captured:
                    assert client.get(url).status_code == 200, url
                out[(who, url)] = len(captured.captured_queries)
        return out

    _grow(portfolio, owners=owners, n=5)
    few = counts()  # 8 named or extra accounts and 5 grown: 13
    _grow(portfolio, owners=owners, n=26, start=5)  # 39
    more = counts()
    assert more == few


@pytest.mark.parametrize("axis", ["relative", "absolute", "combined"])
@pytest.mark.parametrize("trails", [False, True])
def test_the_chart_made_without_altairs_checks_is_valid_vega_lite(axis, trails, monkeypatch):
    """``matrix_chart`` turns Altair's check of every object off while it builds (for speed);
    the whole spec, with every layer (density, arrows or trails, expected positions,
    bubbles), still passes the Vega-Lite schema."""
    import altair as alt
    import jsonschema

    monkeypatch.setattr(charts, "MAX_BUBBLES", 10)
    rows = fake_rows(30, axis="absolute" if axis == "absolute" else "relative")
    for r in rows:
        r["combined_value"] = (r["strength_value"] or 1.0) - (1.0 if axis != "absolute" else 5.0)
        r["combined_value"] = max(-0.9, min(0.9, r["combined_value"] / 10))
        r["expected_combined"] = r["combined_value"] / 2
        r["trail"] = [
            {
                "review_id": 1,
                "review": "Review 2025",
                "date": dt.date(2025, 3, 1),
                "box": r["box"],
                "attractiveness": r["previous_attractiveness"],
                "x": r["previous_strength_value"],
                "c": r["combined_value"] / 3,
            }
        ]
    spec = charts.chart_spec(charts.matrix_chart(rows, axis=axis, cuts=CUTS, trails=trails))
    names = {k for k, v in spec["datasets"].items() if v}
    assert {"accounts", "density", "expected"} <= names
    assert ("trails" if trails else "moves") in names
    jsonschema.validate(spec, alt.vegalite.v6.schema.core.load_schema())
