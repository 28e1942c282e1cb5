"""The org chart layout of the reports-to forest (docs/method.md section 3, contacts)."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.core.relationships.data import Contact
from kam.core.relationships.orgchart import Edge, Node, org_chart_edges, org_chart_layout
from kam.core.relationships.vocabulary import Attitude

HALF_W = 0.45  # a box 0.9 of the column pitch wide
HALF_H = 0.3  # and 0.6 of the row pitch high


def person(key: str, reports_to: str | None = None, seniority: int = 3) -> Contact:
    return Contact(
        key=key,
        name=key.upper(),
        function="Ops",
        seniority=seniority,
        reports_to=reports_to,
        buying_roles=frozenset(),
        influence=3,
        attitude=Attitude.NEUTRAL,
    )


def assert_no_overlap(nodes: list[Node]) -> None:
    by_row: dict[float, list[float]] = {}
    for n in nodes:
        assert n.y == int(n.y)
        by_row.setdefault(n.y, []).append(n.x)
    for xs in by_row.values():
        xs.sort()
        for a, b in itertools.pairwise(xs):
            assert b - a >= 1 - 1e-9, f"nodes overlap in a row: {a}, {b}"


def crosses_box(a: tuple[float, float], b: tuple[float, float], n: Node) -> bool:
    """Whether the axis-parallel segment a-b passes through the inside of n's box."""
    (x1, y1), (x2, y2) = a, b
    lo_x, hi_x = sorted((x1, x2))
    lo_y, hi_y = sorted((y1, y2))
    return (
        lo_x < n.x + HALF_W and hi_x > n.x - HALF_W and lo_y < n.y + HALF_H and hi_y > n.y - HALF_H
    )


def assert_edges_clear(nodes: list[Node], edges: list[Edge]) -> None:
    for e in edges:
        pts = e.points
        for a, b in itertools.pairwise(pts):
            assert a[0] == b[0] or a[1] == b[1], "segments are horizontal or vertical"
            for n in nodes:
                if n.key in (e.parent, e.child):
                    continue
                assert not crosses_box(a, b, n), f"edge {e.parent}->{e.child} crosses {n.key}"


def sixty() -> list[Contact]:
    """A 60-person decision-making unit: a CEO, 6 directors, 53 reports (two sub-teams)."""
    people = [person("ceo", seniority=1)]
    counts = [12, 9, 9, 8, 8, 7]
    n = 0
    for d, count in enumerate(counts):
        people.append(person(f"dir{d}", "ceo", seniority=2))
        for _ in range(count):
            people.append(person(f"p{n:02d}", f"dir{d}", seniority=4))
            n += 1
    # two team leads with their own reports (moved under p00 and p20)
    for k in ("p01", "p02", "p03"):
        people[[p.key for p in people].index(k)] = person(k, "p00", seniority=5)
    for k in ("p21", "p22"):
        people[[p.key for p in people].index(k)] = person(k, "p20", seniority=5)
    assert len(people) == 60
    return people


def test_sixty_contacts_without_overlap_compact_and_with_clear_edges() -> None:
    nodes = org_chart_layout(sixty())
    assert len(nodes) == 60
    assert len({n.key for n in nodes}) == 60
    assert_no_overlap(nodes)
    assert_edges_clear(nodes, org_chart_edges(nodes))
    width = max(n.x for n in nodes) - min(n.x for n in nodes) + 1
    height = max(n.y for n in nodes) + 1
    assert width <= 12
    assert height <= 16  # 12 × 16 node pitches: about 2,200 × 1,300 px at 180 × 80
    depth = {n.key: n.depth for n in nodes}
    assert depth["ceo"] == 0 and depth["dir0"] == 1 and depth["p04"] == 2 and depth["p01"] == 3


def test_a_small_tree_is_a_classic_tidy_tree() -> None:
    nodes = {n.key: n for n in org_chart_layout([person("a"), person("b", "a"), person("c", "a")])}
    assert (nodes["b"].y, nodes["c"].y) == (1.0, 1.0)
    assert nodes["a"].y == 0.0
    assert nodes["a"].x == (nodes["b"].x + nodes["c"].x) / 2
    assert nodes["b"].parent == "a" and nodes["a"].parent is None


def test_many_siblings_wrap_in_rows_beside_a_lane() -> None:
    people = [person("boss")] + [person(f"r{i:02d}", "boss") for i in range(20)]
    nodes = {n.key: n for n in org_chart_layout(people, max_width=6)}
    assert nodes["boss"].x == 0.5
    reports = [n for k, n in nodes.items() if k != "boss"]
    assert min(n.x for n in reports) == 1.5  # indented one column: a free lane
    assert Counter(n.y for n in reports) == {1.0: 5, 2.0: 5, 3.0: 5, 4.0: 5}
    # 13 reports in rows of at most 6: three rows, filled evenly (5, 5, 3, not 6, 6, 1)
    people = [person("boss")] + [person(f"r{i:02d}", "boss") for i in range(13)]
    nodes = {n.key: n for n in org_chart_layout(people, max_width=7)}
    rows = Counter(n.y for k, n in nodes.items() if k != "boss")
    assert rows == {1.0: 5, 2.0: 5, 3.0: 3}
    assert_edges_clear(list(nodes.values()), org_chart_edges(list(nodes.values())))


def test_cycles_self_reports_and_missing_managers() -> None:
    people = [
        person("a", "c", seniority=3),
        person("b", "a", seniority=2),  # the most senior of the cycle: becomes the root
        person("c", "b", seniority=4),
        person("d", "a"),
        person("e", "e"),  # reports to themself
        person("f", "gone"),  # manager not recorded
    ]
    nodes = {n.key: n for n in org_chart_layout(people)}
    assert set(nodes) == {"a", "b", "c", "d", "e", "f"}
    assert nodes["b"].parent is None and nodes["b"].depth == 0
    assert nodes["c"].parent == "b" and nodes["a"].parent == "c" and nodes["d"].parent == "a"
    assert nodes["d"].depth == 3
    assert nodes["e"].parent is None and nodes["f"].parent is None
    assert_no_overlap(list(nodes.values()))


def test_a_cycle_of_equals_breaks_at_the_smallest_key() -> None:
    nodes = {n.key: n for n in org_chart_layout([person("x", "y"), person("y", "x")])}
    assert nodes["x"].parent is None and nodes["y"].parent == "x"


def test_empty_duplicate_and_bad_width() -> None:
    assert org_chart_layout([]) == []
    assert len(org_chart_layout([person("a"), person("a")])) == 1
    with pytest.raises(ValueError):
        org_chart_layout([person("a")], max_width=1)


def test_edges_are_elbows_through_the_gap_above_the_report() -> None:
    nodes = org_chart_layout([person("a"), person("b", "a")])
    (edge,) = org_chart_edges(nodes)
    assert edge == Edge("a", "b", ((0.5, 0.0), (0.5, 0.5), (0.5, 0.5), (0.5, 1.0)))


@st.composite
def forests(draw: st.DrawFn) -> list[Contact]:
    n = draw(st.integers(1, 60))
    keys = [f"k{i}" for i in range(n)]
    return [
        person(
            k,
            draw(st.one_of(st.none(), st.sampled_from([*keys, "missing"]))),
            seniority=draw(st.integers(1, 5)),
        )
        for k in keys
    ]


@settings(max_examples=80, deadline=None)
@given(people=forests(), max_width=st.integers(3, 14))
def test_any_forest_is_laid_out_once_without_overlap(people: list[Contact], max_width: int) -> None:
    nodes = org_chart_layout(people, max_width=max_width)
    assert sorted(n.key for n in nodes) == sorted(p.key for p in people)
    assert_no_overlap(nodes)
    by_key = {n.key: n for n in nodes}
    for n in nodes:
        assert n.x >= 0.5 and n.y >= 0
        if n.parent is None:
            assert n.depth == 0
        else:
            parent = by_key[n.parent]
            assert n.depth == parent.depth + 1
            assert n.y > parent.y
    assert_edges_clear(nodes, org_chart_edges(nodes))
