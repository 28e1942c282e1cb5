"""Django admin: people with their kam profile on one page; organisation models registered."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model

from kam.organisation.models import BoxPolicy, ExchangeRate, Organisation
from kam.organisation.selectors import organisation_get
from kam.users.models import ApiToken, Profile, Role
from kam.users.tokens import api_token_create
from tests.conftest import client_for
from tests.factories import ExchangeRateFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):  # type: ignore[no-untyped-def]
    user = make_user(Role.ADMINISTRATOR, username="root")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def test_every_model_of_people_and_organisation_is_registered():
    for model in (get_user_model(), Profile, ApiToken, Organisation, BoxPolicy, ExchangeRate):
        assert admin.site.is_registered(model), model


def test_user_change_page_edits_the_profile_inline(superuser, kam_user):
    client = client_for(superuser)
    url = f"/admin/auth/user/{kam_user.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert "profile-0-hours_per_year" in page.content.decode()
    data = {
        "username": kam_user.username,
        "first_name": "Kim",
        "last_name": "Jansen",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2025-01-01",
        "date_joined_1": "09:00:00",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-id": kam_user.profile.pk,
        "profile-0-user": kam_user.pk,
        "profile-0-role": "team_member",
        "profile-0-function": "finance",
        "profile-0-hours_per_year": "400",
        "profile-0-hourly_cost": "75.00",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    kam_user.profile.refresh_from_db()
    assert (kam_user.profile.role, kam_user.profile.hours_per_year) == ("team_member", 400)


def test_adding_a_user_in_the_admin_gives_exactly_one_profile(superuser):
    client = client_for(superuser)
    assert client.get("/admin/auth/user/add/").status_code == 200
    response = client.post(
        "/admin/auth/user/add/",
        {
            "username": "newbie",
            "password1": "a-long-Passphrase-42",
            "password2": "a-long-Passphrase-42",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = get_user_model().objects.get(username="newbie")
    assert Profile.objects.filter(user=user).count() == 1


def test_admin_lists_show_the_rows(superuser, kam_user):
    organisation = organisation_get()
    token, plain = api_token_create(user=kam_user, name="script")
    ExchangeRateFactory(organisation=organisation, currency="USD")
    client = client_for(superuser)
    pages = {}
    for url in (
        "/admin/auth/user/",
        "/admin/users/profile/",
        "/admin/users/apitoken/",
        "/admin/organisation/organisation/",
        "/admin/organisation/boxpolicy/",
        "/admin/organisation/exchangerate/",
        f"/admin/organisation/organisation/{organisation.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.content.decode()
    assert "kam1" in pages["/admin/auth/user/"]
    assert "Key account manager" in pages["/admin/users/profile/"]
    # the token is listed by name and prefix; neither the token nor its digest is shown
    tokens = pages["/admin/users/apitoken/"]
    assert "script" in tokens and token.prefix in tokens
    assert plain not in tokens and token.digest not in tokens
    assert organisation.name in pages["/admin/organisation/organisation/"]
    assert all(
        label in pages["/admin/organisation/boxpolicy/"]
        for label in ("Key", "Key development", "Maintenance", "Opportunistic")
    )
    assert "USD" in pages["/admin/organisation/exchangerate/"]


def test_tokens_cannot_be_added_in_the_admin(superuser):
    assert client_for(superuser).get("/admin/users/apitoken/add/").status_code == 403
