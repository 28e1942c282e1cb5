"""Optional single sign-on through OpenID Connect (mozilla-django-oidc).

Off unless ``KAM_OIDC_CLIENT_ID`` and either ``KAM_OIDC_ISSUER`` (endpoints read from the
provider's discovery document on first use) or the four endpoint settings are set. A
person is matched by a verified e-mail address, or by a user name claim when
``KAM_OIDC_USERNAME_CLAIM`` names one; unknown people are refused unless
``KAM_OIDC_CREATE_USERS=1``. Their kam role comes from ``KAM_OIDC_ROLE_CLAIM`` mapped by
``KAM_OIDC_ROLES``, else ``KAM_OIDC_DEFAULT_ROLE`` (docs/operations.md, "Signing in").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from kam.users.models import Role
from kam.users.services import user_create, user_role_set

LOG = logging.getLogger(__name__)
CALLBACK = "oidc_authentication_callback"
# Roles from most to least powerful: a person in several mapped groups gets the first.
_POWER = [
    Role.ADMINISTRATOR,
    Role.SALES_DIRECTOR,
    Role.KEY_ACCOUNT_MANAGER,
    Role.TEAM_MEMBER,
    Role.VIEWER,
]
_discovered: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def oidc_config() -> dict[str, Any]:
    return dict(settings.KAM_OIDC)


def oidc_enabled() -> bool:
    cfg = oidc_config()
    endpoints = all(
        cfg[k] for k in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint")
    )
    return bool(cfg["client_id"]) and bool(cfg["issuer"] or endpoints)


def provider_name() -> str:
    return str(oidc_config()["provider_name"])


def endpoint(name: str) -> str:
    """An endpoint of the provider: the setting, else the issuer's discovery document."""
    cfg = oidc_config()
    if cfg.get(name):
        return str(cfg[name])
    issuer = cfg["issuer"]
    if not issuer:
        raise ImproperlyConfigured(f"KAM_OIDC_ISSUER or the {name} setting is needed")
    with _lock:
        if issuer not in _discovered:
            url = f"{issuer}/.well-known/openid-configuration"
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
            response.raise_for_status()
            _discovered[issuer] = response.json()
    return str(_discovered[issuer].get(name) or "")


_SETTINGS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "OIDC_RP_CLIENT_ID": lambda c: c["client_id"],
    "OIDC_RP_CLIENT_SECRET": lambda c: c["client_secret"],
    "OIDC_RP_SIGN_ALGO": lambda c: c["sign_algo"],
    "OIDC_RP_SCOPES": lambda c: c["scopes"],
    "OIDC_OP_AUTHORIZATION_ENDPOINT": lambda c: endpoint("authorization_endpoint"),
    "OIDC_OP_TOKEN_ENDPOINT": lambda c: endpoint("token_endpoint"),
    "OIDC_OP_USER_ENDPOINT": lambda c: endpoint("userinfo_endpoint"),
    "OIDC_OP_JWKS_ENDPOINT": lambda c: endpoint("jwks_uri"),
    "LOGIN_REDIRECT_URL_FAILURE": lambda c: reverse("login"),
}


def _setting(attr: str, *args: Any) -> Any:
    if attr in _SETTINGS:
        return _SETTINGS[attr](oidc_config())
    return import_from_settings(attr, *args)


def _role_for(claims: dict[str, Any]) -> str | None:
    """The kam role the claims give, by the mapping; the default role; or None (refuse)."""
    cfg = oidc_config()
    claim = cfg["role_claim"]
    if claim:
        raw = claims.get(claim)
        values = list(raw) if isinstance(raw, list | tuple) else [] if raw is None else [raw]
        mapping: dict[str, str] = {}
        for pair in str(cfg["roles"]).split(","):
            if "=" in pair:
                group, role = (p.strip() for p in pair.split("=", 1))
                mapping[group] = role
        # without a mapping, the claim carries kam's role names themselves
        roles = {mapping.get(str(v), "") if mapping else str(v) for v in values}
        for role in _POWER:
            if role in roles:
                return role
    default = str(cfg["default_role"]).strip()
    return default if default in Role.values else None


def _refuse(request: HttpRequest | None, reason: str) -> None:
    if request is not None:
        request.kam_oidc_refusal = reason  # type: ignore[attr-defined]


class OidcBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """Signs in whoever the provider vouches for, on kam's OpenID callback only."""

    get_settings = staticmethod(_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Endpoints are read lazily (below): building the backend, which Django does for
        # every password sign-in too, never calls the provider.
        self.UserModel = get_user_model()

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return str(_setting("OIDC_OP_TOKEN_ENDPOINT"))

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return str(_setting("OIDC_OP_USER_ENDPOINT"))

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return str(_setting("OIDC_OP_JWKS_ENDPOINT"))

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(oidc_config()["client_id"])

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return str(oidc_config()["client_secret"])

    @property
    def OIDC_RP_SIGN_ALGO(self) -> str:
        return str(oidc_config()["sign_algo"])

    @property
    def OIDC_RP_IDP_SIGN_KEY(self) -> None:
        return None

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        match = getattr(request, "resolver_match", None)
        if not oidc_enabled() or match is None or match.url_name != CALLBACK:
            return None
        return super().authenticate(request, **kwargs)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        username_claim = oidc_config()["username_claim"]
        if _verified_email(claims) or (username_claim and claims.get(username_claim)):
            return True
        _refuse(
            self.request,
            _("The provider did not tell kam a verified e-mail address or a user name."),
        )
        return False

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        users = self.UserModel.objects.none()
        email = _verified_email(claims)
        if email:
            users = self.UserModel.objects.filter(email__iexact=email)
        username_claim = oidc_config()["username_claim"]
        if not users and username_claim and claims.get(username_claim):
            users = self.UserModel.objects.filter(username=str(claims[username_claim]))
        if len(users) > 1:
            _refuse(
                self.request,
                _("More than one kam user has this e-mail address; ask an administrator."),
            )
        return users

    def create_user(self, claims: dict[str, Any]) -> Any:
        if not oidc_config()["create_users"]:
            _refuse(self.request, _("You have no kam account yet; ask an administrator."))
            return None
        role = _role_for(claims)
        if role is None:
            _refuse(self.request, _("Your groups at the provider give you no kam role."))
            return None
        email = _verified_email(claims) or ""
        username_claim = oidc_config()["username_claim"]
        wanted = str(claims.get(username_claim) or "") if username_claim else ""
        username = wanted or email or str(claims.get("sub", ""))
        if not username or self.UserModel.objects.filter(username=username).exists():
            username = f"oidc-{claims.get('sub', '')}"[:150]
        return user_create(
            username=username[:150],
            password=None,  # signs in through the provider only
            email=email,
            first_name=str(claims.get("given_name", ""))[:150],
            last_name=str(claims.get("family_name", ""))[:150],
            role=role,
        )

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        """When a role claim is configured, the provider's groups decide the kam role."""
        if oidc_config()["role_claim"]:
            role = _role_for(claims)
            if role is None:
                _refuse(self.request, _("Your groups at the provider give you no kam role."))
                return None
            user_role_set(user=user, role=role)
        return user

    def get_or_create_user(self, access_token: str, id_token: str, payload: Any) -> Any:
        try:
            return super().get_or_create_user(access_token, id_token, payload)
        except SuspiciousOperation:
            if not getattr(self.request, "kam_oidc_refusal", None):
                _refuse(self.request, _("The provider's answer could not be verified."))
            raise


def _verified_email(claims: dict[str, Any]) -> str | None:
    verified = claims.get("email_verified")
    if claims.get("email") and (verified is True or str(verified).lower() == "true"):
        return str(claims["email"])
    return None


class OidcStartView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """Sends the browser to the provider; 404 while single sign-on is off."""

    get_settings = staticmethod(_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = _setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ValueError) as exc:
            LOG.warning("OpenID provider discovery failed: %s", exc)
            messages.error(
                request,
                _("%(provider)s cannot be reached; try again later or use your password.")
                % {"provider": provider_name()},
            )
            return HttpResponseRedirect(reverse("login"))
        self.OIDC_RP_CLIENT_ID = oidc_config()["client_id"]
        return super().get(request)  # type: ignore[no-any-return]


class OidcCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """Where the provider sends the browser back; failures return to the login page."""

    get_settings = staticmethod(_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404
        try:
            return super().get(request)  # type: ignore[no-any-return]
        except (requests.RequestException, SuspiciousOperation, ValueError) as exc:
            LOG.warning("OpenID sign-in failed: %s", exc)
            return self.login_failure()

    def login_failure(self) -> HttpResponse:
        reason = getattr(self.request, "kam_oidc_refusal", None)
        message = _("Signing in with %(provider)s did not work.") % {"provider": provider_name()}
        if reason:
            message = f"{message} {reason}"
        messages.error(self.request, message)
        return HttpResponseRedirect(reverse("login"))
