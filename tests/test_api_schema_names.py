"""Schema names in the OpenAPI document are unique, and errors have one shape everywhere.

django-ninja names each component after its Python class and merges the components of all
routers into one dict: two classes called ``PeriodIn`` in two apps silently overwrite each
other, and one endpoint is then documented with the other's fields. These tests walk every
operation's schema classes (request and response, nested ones included) and fail on any
name two classes share.
"""

from __future__ import annotations

import types
import typing
from collections import defaultdict
from typing import Any

from pydantic import BaseModel

from kam.api import api
from kam.web.api_schemas import ERROR_STATUSES, ErrorOut

# Classes django-ninja makes for each operation; they are flattened, never components.
NINJA_WRAPPERS = {"NinjaResponseSchema", "QueryParams", "BodyParams", "FormParams"}
NINJA_WRAPPERS |= {"FileParams", "PathParams", "HeaderParams", "CookieParams"}


def _models_in(annotation: Any) -> typing.Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def _reachable(roots: list[type[BaseModel]]) -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo = list(roots)
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in model.model_fields.values():
            todo.extend(_models_in(field.annotation))
    return seen


def _routers() -> typing.Iterator[Any]:
    """Every router of the API, nested ones included (ninja builds the tree lazily)."""
    todo = [entry[1] for entry in api._routers]
    while todo:
        router = todo.pop()
        yield router
        todo.extend(entry[1] for entry in router._routers)


def _api_schema_classes() -> set[type[BaseModel]]:
    roots: list[type[BaseModel]] = []
    for router in _routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                roots.extend(operation.models)
                roots.extend(m for m in operation.response_models.values() if _is_model(m))
    return _reachable(roots)


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def test_no_two_schema_classes_share_a_name() -> None:
    by_name: dict[str, set[str]] = defaultdict(set)
    for model in _api_schema_classes():
        if model.__name__ in NINJA_WRAPPERS:
            continue
        by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    collisions = {name: sorted(where) for name, where in by_name.items() if len(where) > 1}
    assert collisions == {}, f"rename these (prefix the app): {collisions}"
    assert len(by_name) > 50  # the walk really reached the API's classes


def test_every_component_is_one_class_of_the_api() -> None:
    names = {m.__name__ for m in _api_schema_classes()}
    components = set(api.get_openapi_schema()["components"]["schemas"])
    assert components - names == set()


def test_the_helper_catches_a_collision() -> None:
    """The walk itself finds two classes of one name (the check is not vacuous)."""

    first = types.new_class("PeriodIn", (BaseModel,), {}, lambda ns: ns.update(__module__="a"))
    second = types.new_class("PeriodIn", (BaseModel,), {}, lambda ns: ns.update(__module__="b"))

    class Holder(BaseModel):
        one: first | None = None  # type: ignore[valid-type]
        two: list[second] = []  # type: ignore[valid-type]

    found = {f"{m.__module__}.{m.__name__}" for m in _reachable([Holder])}
    assert {"a.PeriodIn", "b.PeriodIn"} <= found


def test_post_periods_is_documented_with_its_own_fields() -> None:
    schema = api.get_openapi_schema()
    body = schema["paths"]["/api/allocation/periods"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = set(schema["components"]["schemas"][ref]["properties"])
    from kam.allocation.api import AllocationPeriodIn

    assert fields == set(AllocationPeriodIn.model_fields)


def test_every_operation_documents_every_error_status_with_the_one_error_shape() -> None:
    schema = api.get_openapi_schema()
    assert "ErrorOut" in schema["components"]["schemas"]
    missing = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status in ERROR_STATUSES:
                if (
                    status not in operation["responses"]
                    and str(status) not in operation["responses"]
                ):
                    missing.append(f"{method.upper()} {path} {status}")
    assert missing == []
    assert set(ErrorOut.model_fields) == {"detail", "field", "problems"}


def test_there_is_one_error_schema_class() -> None:
    errors = [m for m in _api_schema_classes() if m.__name__ == "ErrorOut"]
    assert errors == [ErrorOut]


def test_every_error_response_is_the_one_error_schema_or_adds_to_it() -> None:
    """An operation's own error body is ``ErrorOut`` or a subclass adding fields (an
    import's report), never a separate copy of its fields that can drift."""
    drifting = []
    for router in _routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for status, model in operation.response_models.items():
                    if status < 400 or not _is_model(model):
                        continue
                    body = model.model_fields["response"].annotation
                    for cls in _models_in(body):
                        if not issubclass(cls, ErrorOut):
                            drifting.append(f"{operation.path} {status} {cls.__qualname__}")
    assert drifting == []
