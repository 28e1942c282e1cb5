"""The org chart layout of the reports-to forest (docs/method.md section 3, the contact map):
a compact tidy tree with connectors that pass through no box."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from kam.core.relationships.data import Contact

DEFAULT_MAX_WIDTH = 12
"""Org chart: the widest row of sibling blocks (in node columns) before siblings wrap."""


@dataclass(frozen=True)
class Node:
    """A contact's place in the org chart.

    ``x`` is the centre column and ``y`` the centre row, in units of one node pitch: draw a
    box narrower and lower than one unit centred on (x, y) (for example 160 × 48 px with
    a pitch of 180 × 80 px). Two nodes in one row are at least one unit apart.
    ``depth`` is the distance from the root of the node's tree; ``parent`` the key of
    the manager it is drawn under (None for a root).
    """

    key: str
    x: float
    y: float
    depth: int
    parent: str | None


@dataclass(frozen=True)
class Edge:
    """A reports-to connector: an orthogonal polyline from the manager's centre to the
    report's centre, through the gap half a row above the report (never through a box)."""

    parent: str
    child: str
    points: tuple[tuple[float, float], ...]


@dataclass
class _Block:
    width: int
    height: int
    items: list[tuple[str, float, int]]  # key, centre x, row


def _parents(contacts: Sequence[Contact]) -> dict[str, str | None]:
    """Manager of each contact, with missing managers and cycles cut (see org_chart_layout)."""
    by_key = {c.key: c for c in contacts}
    parent: dict[str, str | None] = {}
    for c in contacts:
        p = c.reports_to
        parent[c.key] = p if p is not None and p in by_key and p != c.key else None
    # cut cycles: in each cycle, the most senior contact (then the smallest key) becomes a root
    state: dict[str, int] = {}
    for start in sorted(parent):
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node, 0) == 0:
            state[node] = 1
            path.append(node)
            node = parent[node]
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node) :]
            cut = min(cycle, key=lambda k: (by_key[k].seniority, k))
            parent[cut] = None
        for k in path:
            state[k] = 2
    return parent


def _order(contacts: Mapping[str, Contact], keys: Iterable[str]) -> list[str]:
    return sorted(keys, key=lambda k: (contacts[k].seniority, contacts[k].name.casefold(), k))


def _pack(blocks: Sequence[_Block], max_width: int) -> list[list[_Block]]:
    bands: list[list[_Block]] = []
    width = 0
    for b in blocks:
        if bands and width + b.width <= max_width:
            bands[-1].append(b)
            width += b.width
        else:
            bands.append([b])
            width = b.width
    return bands


def _grid(keys: Sequence[str], columns: int) -> _Block:
    # as few rows as the width allows, filled evenly (13 in rows of at most 6: 5, 5, 3)
    rows = math.ceil(len(keys) / max(1, columns))
    cols = max(1, math.ceil(len(keys) / rows)) if rows else 1
    items = [(k, i % cols + 0.5, i // cols) for i, k in enumerate(keys)]
    return _Block(cols, math.ceil(len(keys) / cols), items)


def _place(dst: list[tuple[str, float, int]], block: _Block, dx: float, dy: int) -> None:
    dst.extend((k, x + dx, y + dy) for k, x, y in block.items)


def _block(
    key: str,
    children: Mapping[str, list[str]],
    contacts: Mapping[str, Contact],
    max_width: int,
) -> _Block:
    kids = children.get(key, [])
    if not kids:
        return _Block(1, 1, [(key, 0.5, 0)])
    blocks = [_block(k, children, contacts, max_width) for k in kids]
    total = sum(b.width for b in blocks)
    if total <= max_width:
        # classic tidy tree: children side by side, the manager centred above them
        items: list[tuple[str, float, int]] = []
        x = 0
        centres: list[float] = []
        for b in blocks:
            centres.append(b.items[0][1] + x)
            _place(items, b, x, 1)
            x += b.width
        centre = (centres[0] + centres[-1]) / 2
        return _Block(total, 1 + max(b.height for b in blocks), [(key, centre, 0), *items])
    # wrapped: the manager at the top left, a free lane below it, the reports indented by
    # one column: the reports without reports in rows, then bands of the larger blocks
    # (the larger blocks are laid out again for the narrower space, so that the block stays
    # within max_width columns)
    inner = max(1, max_width - 1)
    leaves = [k for k in kids if not children.get(k)]
    subs = [_block(k, children, contacts, max(2, inner)) for k in kids if children.get(k)]
    items = [(key, 0.5, 0)]
    row = 1
    width = 1
    if leaves:
        grid = _grid(leaves, inner)
        _place(items, grid, 1, row)
        row += grid.height
        width = max(width, 1 + grid.width)
    for band in _pack(subs, inner):
        x = 1
        for b in band:
            _place(items, b, x, row)
            x += b.width
        row += max(b.height for b in band)
        width = max(width, x)
    return _Block(width, row, items)


def org_chart_layout(
    contacts: Sequence[Contact], *, max_width: int = DEFAULT_MAX_WIDTH
) -> list[Node]:
    """A compact tidy-tree layout of the reports-to forest (for the contact map, section 3).

    - A contact whose manager is missing (not among ``contacts``) or is themself is a root.
      In a reports-to cycle the most senior contact (lowest seniority number, then the
      smallest key) becomes a root, so every contact appears exactly once.
    - Reports are ordered by seniority, then name. A manager whose reports fit in
      ``max_width`` columns sits centred above them (the classic tidy tree). Otherwise the
      manager sits at the top left with its reports indented by one column: reports
      without reports of their own wrapped in even rows of at most ``max_width - 1``, then the
      larger sub-trees in bands of at most ``max_width - 1`` columns.
    - Trees are placed in bands of at most ``max_width`` columns; contacts without manager
      or reports follow in rows of ``max_width``. The chart is at most ``max_width``
      columns wide unless wrapped managers nest more than ``max_width - 3`` levels deep.

    No two nodes overlap: nodes in one row are at least one unit apart. Use
    ``org_chart_edges`` for connectors that pass through no box.
    """
    if max_width < 2:
        raise ValueError("max_width must be at least 2")
    by_key: dict[str, Contact] = {}
    for c in contacts:
        by_key.setdefault(c.key, c)
    parent = _parents(list(by_key.values()))
    children: dict[str, list[str]] = defaultdict(list)
    for k, p in parent.items():
        if p is not None:
            children[p].append(k)
    for p in list(children):
        children[p] = _order(by_key, children[p])
    roots = _order(by_key, (k for k, p in parent.items() if p is None))
    trees = [r for r in roots if children.get(r)]
    loners = [r for r in roots if not children.get(r)]
    placed: list[tuple[str, float, int]] = []
    row = 0
    for band in _pack([_block(r, children, by_key, max_width) for r in trees], max_width):
        x = 0
        for b in band:
            _place(placed, b, x, row)
            x += b.width
        row += max(b.height for b in band)
    if loners:
        _place(placed, _grid(loners, max_width), 0, row)
    depth: dict[str, int] = {}

    def depth_of(k: str) -> int:
        if k not in depth:
            p = parent[k]
            depth[k] = 0 if p is None else depth_of(p) + 1
        return depth[k]

    return [Node(k, x, float(y), depth_of(k), parent[k]) for k, x, y in placed]


def org_chart_edges(nodes: Sequence[Node]) -> list[Edge]:
    """Connectors for ``org_chart_layout``: down from the manager's centre to half a row
    above the report, across to the report's column, and down to the report's centre.

    Draw them before the boxes (they start and end at box centres). They run through the
    free gaps of the layout: the column below a wrapped manager and the gap between rows.
    """
    at = {n.key: n for n in nodes}
    out: list[Edge] = []
    for n in nodes:
        if n.parent is None or n.parent not in at:
            continue
        p = at[n.parent]
        bus = n.y - 0.5
        out.append(Edge(p.key, n.key, ((p.x, p.y), (p.x, bus), (n.x, bus), (n.x, n.y))))
    return out
