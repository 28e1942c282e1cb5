"""What the test provider says about a user: e-mail (verified), names, and a kam role."""

from __future__ import annotations

from typing import Any

from oidc_provider.lib.claims import ScopeClaims


def userinfo(claims: dict[str, Any], user: Any) -> dict[str, Any]:
    claims["email"] = user.email
    claims["email_verified"] = True
    claims["given_name"] = user.first_name
    claims["family_name"] = user.last_name
    claims["preferred_username"] = user.username
    return claims


class KamScopeClaims(ScopeClaims):
    """Scope ``kam``: the user's group names as claim ``groups`` (mapped to kam roles)."""

    def scope_kam(self) -> dict[str, Any]:
        return {"groups": [g.name for g in self.user.groups.order_by("name")]}
