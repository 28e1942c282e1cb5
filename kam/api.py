"""The REST API under /api/ (django-ninja); OpenAPI docs at /api/docs.

Every endpoint authenticates with a personal token (``Authorization: Bearer kam_…``) or
the browser session, and reads accounts only through the caller's visibility.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from kam.accounts.api import router as accounts_router
from kam.activities.api import router as activities_router
from kam.allocation.api import router as allocation_router
from kam.casefor.api import router as casefor_router
from kam.economics.api import router as economics_router
from kam.organisation.api import router as organisation_router
from kam.plans.api import router as plans_router
from kam.portfolio.api import router as portfolio_router
from kam.relationships.api import router as relationships_router
from kam.reports.api import router as reports_router
from kam.users.api import router as users_router
from kam.users.auth import API_AUTH
from kam.web.api_schemas import declare_error_responses
from kam.web.errors import ApplicationError


class KamAPI(NinjaAPI):
    """kam's API: every operation documents the error statuses it can answer."""

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
)


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": exc.message, "field": exc.field, "problems": exc.problems},
        status=exc.status,
    )


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
