"""Numbers no column can hold — oversized integers, ``1e400``, ``NaN``, ``Infinity`` — answer
4xx with the field named, in every API body and every form (issue 13, item 9; the checks are
in kam/web/numbers.py)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django import forms

from kam.users.models import Role
from tests.conftest import client_for
from tests.factories import make_user

BAD = ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "99999999999999999999999", "1" * 5000]


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def _is_numeric(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    node = _resolve(schema, node)
    if node.get("type") in ("integer", "number"):
        return True
    return any(_is_numeric(schema, n) for n in node.get("anyOf", []) + node.get("oneOf", []))


def numeric_fields() -> list[tuple[str, str, str]]:
    """(method, path, property) of every numeric property of every JSON request body."""
    from kam.api import api

    schema = api.get_openapi_schema()
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not body:
                continue
            node = _resolve(schema, body["schema"])
            for name, prop in node.get("properties", {}).items():
                if _is_numeric(schema, prop):
                    found.append((method, path, name))
    return found


def test_the_sweep_finds_the_api_numeric_fields():  # type: ignore[no-untyped-def]
    fields = numeric_fields()
    assert len(fields) >= 10  # the sweep below is not empty by mistake
    assert {"amount", "duration_minutes", "probability"} <= {name for _m, _p, name in fields}


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "name"), numeric_fields())
def test_every_numeric_api_field_refuses_what_no_column_holds(method, path, name):  # type: ignore[no-untyped-def]
    client = client_for(make_user(Role.ADMINISTRATOR, username="admin-numbers"))
    url = "/api" + re.sub(r"\{[^}]+\}", "1", path.removeprefix("/api"))
    for bad in BAD:
        response = client.generic(
            method.upper(), url, f'{{"{name}": {bad}}}', content_type="application/json"
        )
        assert response.status_code == 422, (method, url, name, bad, response.status_code)
        body = response.json()
        assert body["field"] == name, body
        assert "out of range" in body["detail"]


@pytest.mark.django_db
def test_nested_numbers_are_named_by_their_place(kam_user):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).put(
        "/api/accounts/1/revenue",
        '[{"year": 2025, "amount": 1}, {"year": 2026, "amount": 1e400}]',
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "[1].amount"


def test_good_numbers_pass_the_parser():  # type: ignore[no-untyped-def]
    from kam.web.numbers import json_checked

    assert json_checked(b'{"a": 1, "b": [2.5, -3], "c": 9223372036854775807}') == {
        "a": 1,
        "b": [2.5, -3],
        "c": 9223372036854775807,
    }


@pytest.mark.parametrize("field_class", [forms.IntegerField, forms.DecimalField, forms.FloatField])
@pytest.mark.parametrize("text", ["99999999999999999999999", "1e400", "NaN", "Infinity"])
def test_every_numeric_form_field_refuses_what_no_column_holds(field_class, text):  # type: ignore[no-untyped-def]
    class Form(forms.Form):
        number = field_class()

    form = Form({"number": text})
    assert not form.is_valid()
    assert "number" in form.errors


def test_form_fields_keep_good_numbers():  # type: ignore[no-untyped-def]
    class Form(forms.Form):
        whole = forms.IntegerField()
        amount = forms.DecimalField()

    form = Form({"whole": "9223372036854775807", "amount": "123456789012.34"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == Decimal("123456789012.34")


@pytest.mark.django_db
def test_a_page_with_a_hidden_user_id_refuses_a_huge_one(director):  # type: ignore[no-untyped-def]
    """The capacities formset of the organisation page: a hidden user id no row can have."""
    from kam.organisation.forms import TeamCapacityForm

    form = TeamCapacityForm(
        {
            "user_id": "99999999999999999999999",
            "function": "kam",
            "hours_per_year": "100",
            "hourly_cost": "1e400",
        }
    )
    assert not form.is_valid()
    assert "user_id" in form.errors and "hourly_cost" in form.errors
