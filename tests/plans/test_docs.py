"""docs/plans.md and the code must not drift apart."""

from __future__ import annotations

import re
from pathlib import Path

from kam.api import api
from kam.plans.models import Section

DOC = Path(__file__).resolve().parents[2] / "docs" / "plans.md"
ENDPOINT = re.compile(
    r"`((?:GET|POST|PATCH|DELETE)(?:/(?:GET|POST|PATCH|DELETE))*) (/api/plans[^`?\s]*)"
)


def _normalise(path: str) -> str:
    parts = ["{}" if re.fullmatch(r"\{[^}]+\}|\d+", p) else p for p in path.split("/")]
    return "/".join(parts).rstrip("/") or "/"


def test_every_documented_endpoint_exists():
    paths = api.get_openapi_schema()["paths"]
    schema = {_normalise(p): {m.upper() for m in ops} for p, ops in paths.items()}
    documented = ENDPOINT.findall(DOC.read_text())
    assert len(documented) >= 10
    missing = [
        f"{methods} {path}"
        for methods, path in documented
        for method in methods.split("/")
        if method not in schema.get(_normalise(path), set())
    ]
    assert missing == []


def test_every_section_is_documented():
    text = DOC.read_text()
    for _key, label in Section.choices:
        assert f"| {label} |" in text, label
