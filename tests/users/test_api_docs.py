"""docs/api.md and the API must not drift apart: every documented endpoint exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kam.api import api

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
METHOD_AND_PATH = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/api/[^`?\s]*)")
CURL_URL = re.compile(r"http://127\.0\.0\.1:8000(/api/[\w{}/.-]*)")


def _normalise(path: str) -> str:
    """``/api/accounts/17`` and ``/api/accounts/{account_id}`` both become ``/api/accounts/{}``."""
    parts = ["{}" if re.fullmatch(r"\{[^}]+\}|\d+", p) else p for p in path.split("/")]
    return "/".join(parts).rstrip("/") or "/"


@pytest.fixture(scope="module")
def schema_paths() -> dict[str, set[str]]:
    paths = api.get_openapi_schema()["paths"]
    return {_normalise(p): {m.upper() for m in ops} for p, ops in paths.items()}


def test_every_documented_endpoint_exists_with_its_method(schema_paths):
    text = DOC.read_text()
    documented = METHOD_AND_PATH.findall(text)
    assert len(documented) >= 15
    missing = [
        f"{method} {path}"
        for method, path in documented
        if method not in schema_paths.get(_normalise(path), set())
    ]
    assert missing == []


def test_every_curl_example_points_at_an_endpoint(schema_paths):
    urls = CURL_URL.findall(DOC.read_text())
    assert urls
    docs_page = {"/api/docs"}
    missing = [u for u in urls if u not in docs_page and _normalise(u) not in schema_paths]
    assert missing == []


def test_docs_show_the_curl_call_of_the_tokens_page():
    assert 'curl -H "Authorization: Bearer kam_…" http://127.0.0.1:8000/api/me' in DOC.read_text()
