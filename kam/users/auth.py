"""How the API knows who is calling: a personal token (Bearer) or the browser session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from kam.users.tokens import api_token_authenticate


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer kam_…`` with a personal token."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = api_token_authenticate(token)
        if row is None:
            return None
        request.user = row.user
        return row.user


API_AUTH = [ApiTokenAuth(), SessionAuth()]
