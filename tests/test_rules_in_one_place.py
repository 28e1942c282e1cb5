"""Reads live in selectors and every permission rule has one name and one place
(docs/architecture.md, "The rules" 2 and 3).

The pages and API routes (modules named ``*views*`` or ``*api*``) read through selectors:
no ``Model.objects`` and no ``get_object_or_404`` there. A function whose name says what
someone can or may do is a selector ``<entity>_may_<verb>(*, user, …)`` in a selectors
module, so that a page, an API route and the service that writes all ask the same rule.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

KAM = Path(__file__).resolve().parent.parent / "kam"

PERMISSION_LIKE = re.compile(r"(^|_)(can|may)(_|$)")
PERMISSION_NAME = re.compile(r"[a-z]+(_[a-z]+)*_may_[a-z]+(_[a-z]+)*")


def _modules() -> list[Path]:
    return sorted(p for p in KAM.rglob("*.py") if "migrations" not in p.parts)


def _edge_modules() -> list[Path]:
    return [p for p in _modules() if "views" in p.stem or "api" in p.stem]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(KAM.parent)}:{getattr(node, 'lineno', 0)}"


def test_the_walk_finds_the_edges_and_the_selectors() -> None:
    edges = {p.relative_to(KAM).as_posix() for p in _edge_modules()}
    assert {"pages/plans_views.py", "pages/plans_api.py", "portfolio/api_reviews.py"} <= edges
    assert (KAM / "plans" / "selectors.py").exists()


@pytest.mark.parametrize("path", _edge_modules(), ids=lambda p: str(p.relative_to(KAM)))
def test_pages_and_api_routes_read_through_selectors(path: Path) -> None:
    reads = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            reads.append(f"{_where(path, node)} .objects")
        name = None
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name == "get_object_or_404":
            reads.append(f"{_where(path, node)} get_object_or_404")
    assert not reads, "read these through the app's selectors: " + ", ".join(reads)


def _functions() -> list[tuple[Path, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found = []
    for path in _modules():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found.append((path, node))
    return found


def test_permission_rules_are_selectors_named_entity_may_verb() -> None:
    wrong = []
    for path, node in _functions():
        if not PERMISSION_LIKE.search(node.name):
            continue
        in_selectors = path.stem == "selectors" or path.stem.endswith("_selectors")
        keyword_only = not node.args.args and not node.args.posonlyargs
        if not (PERMISSION_NAME.fullmatch(node.name) and in_selectors and keyword_only):
            wrong.append(f"{_where(path, node)} {node.name}")
    assert not wrong, "name it <entity>_may_<verb>(*, user, …) in a selectors module: " + ", ".join(
        wrong
    )


def test_the_rule_administrator_or_sales_director_is_written_once() -> None:
    """``user_may_manage_portfolio`` is the one place that names the two roles together."""
    places = []
    for path in _modules():
        for node in ast.walk(_tree(path)):
            if not isinstance(node, ast.Set | ast.List | ast.Tuple):
                continue
            names = {e.attr for e in node.elts if isinstance(e, ast.Attribute)}
            if names == {"ADMINISTRATOR", "SALES_DIRECTOR"}:
                places.append(_where(path, node))
    assert len(places) == 1, places
    assert places[0].startswith("kam/users/selectors.py:"), places
