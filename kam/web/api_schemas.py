"""The one error shape of kam's API, and the status codes every operation documents.

Every refusal the API gives (a broken rule, input that does not fit the schema, a missing
token, an object the caller may not see, a conflict, too many attempts) answers
``{detail, field, problems}``; see docs/api.md. ``declare_error_responses`` writes these
codes into every operation of the API's schema, so the OpenAPI schema lists each status an
operation can answer and a client generated from it knows the error body.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from ninja import Field, Schema

# What ApplicationError (400, 403, 404, 409, 422), the authentication (401), the
# validation handler (422), the request size limit (413) and throttling (429) can answer,
# whatever the operation.
ERROR_STATUSES: tuple[int, ...] = (400, 401, 403, 404, 409, 413, 422, 429)


class ErrorOut(Schema):
    """A refusal: what is wrong, the field it concerns, and every problem found."""

    detail: str = Field(description="What is wrong, in one sentence a user can act on.")
    field: str | None = Field(default=None, description="The field or column it concerns.")
    problems: list[str] = Field(default_factory=list, description="Every problem found.")


def declare_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error statuses each operation of an OpenAPI ``schema`` does not declare itself.

    An operation that declares a status with a richer body (an import's report of
    problems) keeps it. Runtime answers are unchanged: the exception handlers of kam/api.py
    already answer every refusal in the ``ErrorOut`` shape.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorOut"] = ErrorOut.model_json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization"
    )
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            declared = {str(code) for code in responses}
            for status in ERROR_STATUSES:
                if str(status) not in declared:
                    responses[status] = {
                        "description": HTTPStatus(status).phrase,
                        "content": {"application/json": {"schema": ref}},
                    }
    return schema


class NulCharacter(Exception):
    """A string of a request body holds U+0000, which no text column can store."""

    def __init__(self, place: str) -> None:
        from django.utils.translation import gettext as _

        self.place = place
        self.message = _("%(place)s: the text holds a NUL character (U+0000); use plain text.") % {
            "place": place or _("the body")
        }
        super().__init__(self.message)


def nul_place(data: Any, path: tuple[str | int, ...] = ()) -> str | None:
    """The place (``rows[3].notes``) of the first string with U+0000 in ``data``, or None."""
    if isinstance(data, str):
        return _place(path) if "\x00" in data else None
    if isinstance(data, dict):
        for key, value in data.items():
            if "\x00" in str(key):
                return _place((*path, key))
            found = nul_place(value, (*path, key))
            if found is not None:
                return found
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found = nul_place(value, (*path, index))
            if found is not None:
                return found
    return None


def _place(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
