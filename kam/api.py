"""The REST API under /api/ (django-ninja); OpenAPI docs at /api/docs.

Every endpoint authenticates with a personal token (``Authorization: Bearer kam_…``) or
the browser session, and reads accounts only through the caller's visibility.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from kam.accounts.api import router as accounts_router
from kam.organisation.api import router as organisation_router
from kam.portfolio.api import router as portfolio_router
from kam.users.api import router as users_router
from kam.users.auth import API_AUTH
from kam.web.errors import ApplicationError

api = NinjaAPI(
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


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Authentication required: a Bearer token or a session."}, status=401
    )


api.add_router("/accounts", accounts_router)
api.add_router("/", portfolio_router)
api.add_router("/organisation", organisation_router)
api.add_router("/", users_router)
