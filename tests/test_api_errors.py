"""Every API error has one shape: {detail, field, problems}, naming where the input is wrong."""

from __future__ import annotations

import json

import pytest

from tests.conftest import client_for


@pytest.mark.django_db
def test_schema_mismatch_names_the_field(director) -> None:  # type: ignore[no-untyped-def]
    response = client_for(director).post(
        "/api/accounts/",
        data=json.dumps({"external_id": "C1", "country": "NL", "parent_id": "not a number"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"detail", "field", "problems"}
    places = {p.split(":")[0] for p in body["problems"]}
    assert places == {"name", "parent_id"}
    assert body["field"] in places


@pytest.mark.django_db
def test_unauthenticated_request_is_401_with_detail() -> None:
    from django.test import Client

    response = Client().get("/api/accounts/")
    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
