"""docs/activities.md says what the code does: every import column, every API endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.activities.imports import COLUMNS, REQUIRED_COLUMNS
from kam.activities.models import ActivityType

DOC = (Path(__file__).resolve().parents[2] / "docs" / "activities.md").read_text()


def test_every_import_column_is_documented_with_whether_it_is_required() -> None:
    for column in COLUMNS:
        row = next(line for line in DOC.splitlines() if line.startswith(f"| `{column}` |"))
        assert ("| yes |" in row) == (column in REQUIRED_COLUMNS), column


def test_every_activity_type_is_documented() -> None:
    for value in ActivityType.values:
        assert f"`{value}`" in DOC


@pytest.mark.django_db
def test_every_documented_endpoint_exists(client) -> None:  # type: ignore[no-untyped-def]
    from kam.api import api

    paths = set(api.get_openapi_schema()["paths"])
    for path in (
        "/api/activities/",
        "/api/activities/{activity_id}",
        "/api/activities/import",
        "/api/activities/hours/accounts",
        "/api/activities/hours/people",
        "/api/activities/hours/boxes",
    ):
        assert path in paths, path
        assert path.replace("{activity_id}", "{id}") in DOC, path
