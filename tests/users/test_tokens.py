"""Personal API tokens: hashed at rest, shown once, revocable, only ever the owner's."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.apps import apps
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kam.errors import ApplicationError
from kam.users.models import ApiToken
from kam.users.selectors import api_token_get, api_token_list
from kam.users.tokens import api_token_authenticate, api_token_create, api_token_revoke
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def bearer(plain: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def rows_containing(text: str) -> list[str]:
    """Every model and text column in the database whose value contains ``text``."""
    hits = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField):
                continue
            if model._default_manager.filter(**{f"{field.attname}__contains": text}).exists():
                hits.append(f"{model._meta.label}.{field.attname}")
    return hits


def test_token_is_stored_as_a_digest_never_in_plain(kam_user):
    token, plain = api_token_create(user=kam_user, name="report script")
    token.refresh_from_db()
    assert plain.startswith("kam_")
    assert token.digest != plain
    assert len(token.digest) == 64
    assert plain.startswith(token.prefix)
    assert rows_containing(plain) == []


def test_plain_token_is_not_stored_after_the_page_shows_it(kam_user):
    client = client_for(kam_user)
    response = client.post("/me/tokens/", {"name": "laptop"})
    plain = response.context["plain_token"]
    assert plain and plain in response.content.decode()
    # not in any table, the session table included
    assert rows_containing(plain) == []


def test_token_authenticates_the_api_as_its_owner(kam_user):
    _token, plain = api_token_create(user=kam_user, name="x")
    response = Client().get("/api/me", **bearer(plain))
    assert response.status_code == 200
    assert response.json()["username"] == "kam1"


def test_revoked_token_is_refused_with_401(kam_user):
    token, plain = api_token_create(user=kam_user, name="x")
    assert Client().get("/api/me", **bearer(plain)).status_code == 200
    api_token_revoke(token=token)
    response = Client().get("/api/me", **bearer(plain))
    assert response.status_code == 401
    assert "detail" in response.json()


def test_unknown_and_malformed_tokens_are_refused(kam_user):
    _token, plain = api_token_create(user=kam_user, name="x")
    assert Client().get("/api/me", **bearer(plain + "x")).status_code == 401
    assert Client().get("/api/me", **bearer("not-a-kam-token")).status_code == 401
    assert Client().get("/api/me").status_code == 401


def test_token_of_a_deactivated_person_is_refused(kam_user):
    _token, plain = api_token_create(user=kam_user, name="x")
    kam_user.is_active = False
    kam_user.save()
    assert Client().get("/api/me", **bearer(plain)).status_code == 401


def test_last_used_is_recorded_when_the_token_is_used(kam_user):
    token, plain = api_token_create(user=kam_user, name="x")
    assert token.last_used_at is None
    before = timezone.now()
    assert Client().get("/api/me", **bearer(plain)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at >= before


def test_last_used_moves_on_after_a_minute(kam_user):
    token, plain = api_token_create(user=kam_user, name="x")
    long_ago = timezone.now() - dt.timedelta(hours=3)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)
    api_token_authenticate(plain)
    token.refresh_from_db()
    assert token.last_used_at > long_ago + dt.timedelta(hours=2)


def test_revoking_twice_keeps_the_first_revocation_time(kam_user):
    token, _plain = api_token_create(user=kam_user, name="x")
    api_token_revoke(token=token)
    first = token.revoked_at
    api_token_revoke(token=token)
    token.refresh_from_db()
    assert token.revoked_at == first


def test_a_name_that_is_too_long_is_refused(kam_user):
    with pytest.raises(ApplicationError) as exc:
        api_token_create(user=kam_user, name="x" * 101)
    assert exc.value.field == "name"
    assert ApiToken.objects.count() == 0


def test_selectors_only_return_own_tokens(kam_user, other_kam):
    mine, _ = api_token_create(user=kam_user, name="mine")
    theirs, _ = api_token_create(user=other_kam, name="theirs")
    assert list(api_token_list(user=kam_user)) == [mine]
    assert api_token_get(user=kam_user, token_id=mine.pk) == mine
    with pytest.raises(ApplicationError) as exc:
        api_token_get(user=kam_user, token_id=theirs.pk)
    assert exc.value.status == 404


# --- API ------------------------------------------------------------------------------


def test_api_me_describes_the_caller(kam_user):
    profile = kam_user.profile
    profile.function = "supply_chain"
    profile.hours_per_year = 1200
    profile.save()
    response = client_for(kam_user).get("/api/me")
    assert response.status_code == 200
    assert response.json() == {
        "username": "kam1",
        "name": kam_user.get_full_name(),
        "role": "key_account_manager",
        "function": "supply_chain",
        "hours_per_year": 1200,
    }


def test_api_creates_a_token_that_works_and_lists_it_without_the_secret(kam_user):
    client = client_for(kam_user)
    response = client.post(
        "/api/tokens", json.dumps({"name": "nightly export"}), content_type="application/json"
    )
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "nightly export"
    assert created["token"].startswith(created["prefix"])
    assert Client().get("/api/me", **bearer(created["token"])).status_code == 200

    listed = client.get("/api/tokens").json()
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0]
    assert "digest" not in listed[0]
    assert created["token"] not in json.dumps(listed)


def test_api_lists_only_own_tokens(kam_user, other_kam):
    api_token_create(user=other_kam, name="theirs")
    mine, _ = api_token_create(user=kam_user, name="mine")
    listed = client_for(kam_user).get("/api/tokens").json()
    assert [t["id"] for t in listed] == [mine.pk]


def test_api_revokes_own_token(kam_user):
    token, plain = api_token_create(user=kam_user, name="x")
    response = client_for(kam_user).delete(f"/api/tokens/{token.pk}")
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert Client().get("/api/me", **bearer(plain)).status_code == 401


def test_api_answers_404_for_another_persons_token_and_leaves_it_alive(kam_user, other_kam):
    theirs, plain = api_token_create(user=other_kam, name="theirs")
    response = client_for(kam_user).delete(f"/api/tokens/{theirs.pk}")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "field", "problems"}
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert Client().get("/api/me", **bearer(plain)).status_code == 200


def test_api_token_can_manage_tokens_of_its_own_owner_only(kam_user, other_kam):
    _t, plain = api_token_create(user=kam_user, name="script")
    theirs, _ = api_token_create(user=other_kam, name="theirs")
    client = Client()
    assert client.delete(f"/api/tokens/{theirs.pk}", **bearer(plain)).status_code == 404
    assert [t["name"] for t in client.get("/api/tokens", **bearer(plain)).json()] == ["script"]


# --- page -----------------------------------------------------------------------------


def test_tokens_page_needs_login(client):
    response = client.get("/me/tokens/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_tokens_page_lists_own_tokens_with_their_state(kam_user, other_kam):
    live, _ = api_token_create(user=kam_user, name="live one")
    dead, _ = api_token_create(user=kam_user, name="dead one")
    api_token_revoke(token=dead)
    api_token_create(user=other_kam, name="someone else's")
    html = client_for(kam_user).get("/me/tokens/").content.decode()
    assert "live one" in html and "dead one" in html
    assert live.prefix in html
    assert "someone else" not in html
    assert "revoked" in html


def test_creating_on_the_page_shows_the_token_once_with_a_curl_example(kam_user):
    client = client_for(kam_user)
    response = client.post("/me/tokens/", {"name": "laptop"})
    assert response.status_code == 200
    plain = response.context["plain_token"]
    html = response.content.decode()
    assert f'curl -H "Authorization: Bearer {plain}" http://testserver/api/me' in html
    assert ApiToken.objects.filter(user=kam_user, name="laptop").count() == 1
    again = client.get("/me/tokens/").content.decode()
    assert plain not in again
    assert "laptop" in again


def test_page_refuses_an_empty_name_without_creating(kam_user):
    response = client_for(kam_user).post("/me/tokens/", {"name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert response.context["plain_token"] is None
    assert ApiToken.objects.count() == 0


def test_htmx_revoke_returns_the_updated_row(kam_user):
    token, plain = api_token_create(user=kam_user, name="x")
    response = client_for(kam_user).post(f"/me/tokens/{token.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="token-{token.pk}"')
    assert "revoked" in html
    assert api_token_authenticate(plain) is None


def test_plain_form_revoke_redirects_back(kam_user):
    token, _ = api_token_create(user=kam_user, name="x")
    response = client_for(kam_user).post(f"/me/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_page_cannot_revoke_another_persons_token(kam_user, other_kam):
    theirs, _ = api_token_create(user=other_kam, name="theirs")
    response = client_for(kam_user).post(f"/me/tokens/{theirs.pk}/revoke/", HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoke_needs_post(kam_user):
    token, _ = api_token_create(user=kam_user, name="x")
    assert client_for(kam_user).get(f"/me/tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_tokens_page_query_count_does_not_grow_with_tokens(kam_user):
    client = client_for(kam_user)
    api_token_create(user=kam_user, name="one")
    with CaptureQueriesContext(connection) as few:
        client.get("/me/tokens/")
    for i in range(10):
        api_token_create(user=kam_user, name=f"more {i}")
    with CaptureQueriesContext(connection) as many:
        client.get("/me/tokens/")
    assert len(many.captured_queries) == len(few.captured_queries)
