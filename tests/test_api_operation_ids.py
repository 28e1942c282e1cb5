"""The API's operation ids stay those it was published with.

A client generated from kam's OpenAPI document (openapi-generator, orval) names its methods
after the operation ids, so a renamed id breaks every such client although no path changed.
django-ninja derives the id from the view's module; kam pins the ids of routes that moved
(kam/api.py, PUBLISHED_MODULES). tests/data/api_operation_ids.txt lists the published ids; a
new route adds its line there, and a removed or renamed one is a breaking change to announce.
"""

from __future__ import annotations

from pathlib import Path

from kam.api import api

PUBLISHED = Path(__file__).parent / "data" / "api_operation_ids.txt"


def test_every_published_operation_id_is_kept() -> None:
    schema = api.get_openapi_schema()
    ids = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    published = set(PUBLISHED.read_text(encoding="utf-8").split())
    assert published - ids == set(), "published operation ids that the API no longer has"
    assert ids - published == set(), (
        "new operation ids: add them to tests/data/api_operation_ids.txt"
    )
