"""API endpoints about the caller: who am I, and my personal API tokens."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema, Status

from kam.users.models import Profile
from kam.users.selectors import api_token_get, api_token_list
from kam.users.services import profile_get_or_create
from kam.users.tokens import api_token_create, api_token_revoke
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["users"])


class MeOut(Schema):
    """The caller: role decides what they may see and change; hours are per year."""

    username: str
    name: str
    role: str
    function: str
    hours_per_year: int


class TokenOut(Schema):
    """A personal token as listed: never the token itself, only its first characters."""

    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIn(Schema):
    name: str = ""


class TokenCreatedOut(TokenOut):
    """A new token; ``token`` is shown this once and cannot be retrieved again."""

    token: str


def _profile(request: AuthenticatedHttpRequest) -> Profile:
    return profile_get_or_create(user=request.user)


@router.get("/me", response=MeOut, summary="Who is calling")
def me(request: AuthenticatedHttpRequest) -> MeOut:
    user = request.user
    profile = _profile(request)
    return MeOut(
        username=user.get_username(),
        name=user.get_full_name() or user.get_username(),
        role=profile.role,
        function=profile.function,
        hours_per_year=profile.hours_per_year,
    )


@router.get("/tokens", response=list[TokenOut], summary="My personal API tokens")
def token_list(request: AuthenticatedHttpRequest) -> list[TokenOut]:
    return list(api_token_list(user=request.user))  # type: ignore[arg-type]


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Create a personal API token")
def token_create(request: AuthenticatedHttpRequest, payload: TokenIn) -> Status[TokenCreatedOut]:
    token, plain = api_token_create(user=request.user, name=payload.name)
    out = TokenCreatedOut(
        id=token.pk,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
        token=plain,
    )
    return Status(201, out)


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke one of my tokens")
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> TokenOut:
    token = api_token_get(user=request.user, token_id=token_id)
    return api_token_revoke(token=token)  # type: ignore[return-value]
