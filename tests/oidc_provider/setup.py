"""Prepare the test provider's database: tables, a signing key, users and kam as client.

Run as ``python -m tests.oidc_provider.setup REDIRECT_URI`` with
``DJANGO_SETTINGS_MODULE=tests.oidc_provider.settings`` and ``OIDC_PROVIDER_DB`` set.
"""

from __future__ import annotations

import sys

import django

CLIENT_ID = "kam-test"
CLIENT_SECRET = "kam-test-secret"
PASSWORD = "provider-pass-1"
# username, e-mail, groups at the provider
USERS = [
    ("anna", "anna@example.com", ["kam-directors"]),
    ("bob", "bob@example.com", []),
    ("known", "known.user@example.com", []),
]


def main(redirect_uri: str) -> None:
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oidc_provider.models import Client, ResponseType

    call_command("migrate", verbosity=0)
    call_command("creatersakey", verbosity=0)
    for username, email, groups in USERS:
        user = User.objects.create_user(username, email=email, password=PASSWORD)
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    client = Client.objects.create(
        name="kam",
        client_type="confidential",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        jwt_alg="RS256",
        require_consent=False,
        _redirect_uris=redirect_uri,
        _scope="openid email profile kam",
    )
    client.response_types.add(ResponseType.objects.get(value="code"))


if __name__ == "__main__":
    main(sys.argv[1])
