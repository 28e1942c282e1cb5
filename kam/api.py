"""The REST API under /api/ (django-ninja); OpenAPI docs at /api/docs.

Every endpoint authenticates with a personal token (``Authorization: Bearer kam_…``) or
the browser session, and reads accounts only through the caller's visibility.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation

from kam.activities.api import router as activities_router
from kam.allocation.api import router as allocation_router
from kam.casefor.api import router as casefor_router
from kam.economics.api import router as economics_router
from kam.errors import ApplicationError
from kam.imports.limits import ImportLimitError
from kam.jobs.api import router as jobs_router
from kam.organisation.api import router as organisation_router
from kam.pages.accounts_api import router as accounts_router
from kam.pages.history_api import router as history_router
from kam.pages.plans_api import router as plans_router
from kam.pages.relationships_api import router as relationships_router
from kam.pages.timeline_api import router as account_history_router
from kam.portfolio.api import router as portfolio_router
from kam.reports.api import router as reports_router
from kam.users.api import router as users_router
from kam.users.auth import API_AUTH
from kam.web.api_schemas import NulCharacter, declare_error_responses, nul_place
from kam.web.concurrency import VersionConflict, conflict_body, etag, version_of
from kam.web.numbers import CheckedParser, NumberOutOfRange


class KamParser(CheckedParser):
    """The checked JSON parser, refusing also a string with U+0000 in the body, the query or
    a form (PostgreSQL can neither store nor compare it; it used to answer 500 there)."""

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        place = nul_place(result)
        if place is not None:
            raise NulCharacter(place)
        return result

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        place = nul_place(data)
        if place is not None:
            raise NulCharacter(place)
        return data


# Operation ids are part of the API's contract: a client generated from the OpenAPI document
# names its methods after them. django-ninja derives them from the view's module, so a route
# moved to another module keeps the id it was published with (tests/test_api_operation_ids.py).
PUBLISHED_MODULES: dict[str, str] = {
    "kam.pages.accounts_api": "kam.accounts.api",
    "kam.pages.plans_api": "kam.plans.api",
    "kam.pages.relationships_api": "kam.relationships.api",
}


class KamAPI(NinjaAPI):
    """kam's API: every operation documents the error statuses it can answer."""

    def get_openapi_operation_id(self, operation: Operation) -> str:
        """The id the operation was published with, wherever its view lives now."""
        module = operation.view_func.__module__
        module = PUBLISHED_MODULES.get(module, module)
        return f"{module}_{operation.view_func.__name__}".replace(".", "_")

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        declare_error_responses(schema)
        return schema


api = KamAPI(
    title="kam API",
    version="1",
    description="Key account management: accounts, scoring schemes, reviews and the portfolio.",
    auth=API_AUTH,
    urls_namespace="api",
    # numbers no column can hold (1e400, NaN, 20-digit integers) are refused with their
    # place before any schema sees them (kam/web/numbers.py)
    parser=KamParser(),
)


def _nul_refused(request: HttpRequest, exc: NulCharacter) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": exc.message, "field": exc.place or None, "problems": [exc.message]},
        status=422,
    )


@api.exception_handler(NulCharacter)
def nul_character(request: HttpRequest, exc: NulCharacter) -> HttpResponse:
    """A query or form value with U+0000: 422 naming the parameter."""
    return _nul_refused(request, exc)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """ninja's own answer to an ``HttpError``, except for a body with a refused number: 422
    naming its place, in the shape of a broken rule."""
    cause = exc.__cause__
    if isinstance(cause, NulCharacter):
        return _nul_refused(request, cause)
    if isinstance(cause, NumberOutOfRange):
        return api.create_response(
            request,
            {"detail": cause.message, "field": cause.place or None, "problems": [cause.message]},
            status=422,
        )
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    body: dict[str, object] = {"detail": exc.message, "field": exc.field, "problems": exc.problems}
    if isinstance(exc, ImportLimitError):
        # a file beyond an import limit: in the shape of the import's own report
        body["report"] = [{"row": None, "column": exc.field or "", "reason": exc.message}]
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(VersionConflict)
def version_conflict(request: HttpRequest, exc: VersionConflict) -> HttpResponse:
    """Someone saved in between: 412 (stale ``If-Match``) or 409 (stale body ``version``),
    with the object as it is now and what the caller sent; the ETag is the current one."""
    response = api.create_response(request, conflict_body(exc), status=exc.status)
    response["ETag"] = etag(version_of(exc.current))
    return response


def _place(loc: list[object] | tuple[object, ...]) -> str:
    # ("body", "payload", "rows", 3, "score") -> "rows[3].score": the part a user wrote
    parts = [p for p in loc if p not in ("body", "query", "path", "form", "file", "payload")]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Input that does not fit the schema, in the same shape as a broken rule."""
    problems = []
    fields = []
    for error in exc.errors:
        place = _place(error.get("loc", ()))
        fields.append(place or None)
        problems.append(f"{place}: {error.get('msg', 'invalid')}" if place else error["msg"])
    return api.create_response(
        request,
        {
            "detail": problems[0] if problems else gettext("Invalid input."),
            "field": fields[0] if fields else None,
            "problems": problems,
        },
        status=422,
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {
            "detail": gettext("Authentication required: a Bearer token or a session."),
            "field": None,
            "problems": [],
        },
        status=401,
    )


api.add_router("/accounts", accounts_router)
api.add_router("/accounts", account_history_router)
api.add_router("/", portfolio_router)
api.add_router("/organisation", organisation_router)
api.add_router("/", users_router)
api.add_router("/business-case", casefor_router)
api.add_router("/activities", activities_router)
api.add_router("/allocation", allocation_router)
api.add_router("/relationships", relationships_router)
api.add_router("/plans", plans_router)
api.add_router("/reports", reports_router)
api.add_router("/economics", economics_router)
api.add_router("/jobs", jobs_router)
api.add_router("/history", history_router)
