"""A plan action's customer owner is a contact of the plan's account."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from kam.errors import ApplicationError
from kam.plans import services
from kam.plans.models import PlanAction
from kam.plans.selectors import plan_document_build
from tests.conftest import client_for
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("kam.plans.migrations.0003_match_action_owners_to_contacts")


@pytest.fixture
def anna(account):  # type: ignore[no-untyped-def]
    return account.contacts.get(name="Anna de Vries")


def theirs(plan, user, **data):  # type: ignore[no-untyped-def]
    return services.action_create(
        user=user, plan=plan, data={"what": "Send the data", "owner_side": "theirs", **data}
    )


def test_the_owner_is_the_contact_and_its_address_is_copied(plan, kam_user, anna):  # type: ignore[no-untyped-def]
    action = theirs(plan, kam_user, owner_contact=anna)
    assert action.owner_contact == anna
    assert action.owner_name == "Anna de Vries"
    # A share link for Anna's address lets her update it.
    assert action.owner_contact_email == "anna@vandijk.example"


def test_a_contact_of_another_account_is_refused(plan, kam_user):  # type: ignore[no-untyped-def]
    stranger = ContactFactory(name="Stan")  # of another account
    with pytest.raises(ApplicationError) as caught:
        theirs(plan, kam_user, owner_contact=stranger)
    assert caught.value.field == "owner_contact"
    assert "Van Dijk Retail" in caught.value.message


def test_a_typed_name_is_matched_else_refused(plan, kam_user, anna):  # type: ignore[no-untyped-def]
    action = theirs(plan, kam_user, owner_contact_name="ANNA DE VRIES")
    assert action.owner_contact == anna
    with pytest.raises(ApplicationError) as caught:
        theirs(plan, kam_user, owner_contact_name="Piet Nobody")
    assert caught.value.field == "owner_contact" and "'Piet Nobody'" in caught.value.message


def test_the_form_offers_the_accounts_contacts_in_a_select(plan, kam_user, anna):  # type: ignore[no-untyped-def]
    ContactFactory(name="Stan Elsewhere")  # of another account
    client = client_for(kam_user)
    html = client.get(reverse("plans:action_new", args=[plan.pk])).content.decode()
    assert f'<option value="{anna.pk}">Anna de Vries</option>' in html
    assert "Stan Elsewhere" not in html
    assert 'name="owner_contact_name"' not in html


def test_the_share_page_and_document_show_the_contacts_current_name(  # type: ignore[no-untyped-def]
    plan, kam_user, anna
):
    action = theirs(plan, kam_user, owner_contact=anna)
    anna.name = "Anna van Dijk-de Vries"
    anna.save()
    doc = plan_document_build(plan=plan)
    assert [a.owner_name for a in doc.actions] == ["Anna van Dijk-de Vries"]
    _link, token = services.share_link_create(
        user=kam_user, plan=plan, person_name="Anna", person_email="anna@vandijk.example"
    )
    html = Client().get(reverse("plans:shared", args=[token])).content.decode()
    assert "Anna van Dijk-de Vries" in html
    assert action.what in html


def test_api_takes_and_returns_the_contact_id(plan, kam_user, anna, account):  # type: ignore[no-untyped-def]
    client = client_for(kam_user)
    url = f"/api/plans/{plan.pk}/actions"
    response = client.post(
        url,
        {"what": "Call", "owner_side": "theirs", "owner_contact_id": anna.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner_contact_id"] == anna.pk and body["owner_name"] == "Anna de Vries"
    response = client.post(
        url,
        {"what": "Call", "owner_side": "theirs", "owner_contact_name": "Nobody Known"},
        content_type="application/json",
    )
    assert response.status_code == 422 and "'Nobody Known'" in response.json()["detail"]
    stranger = ContactFactory(name="Stan")  # of another account
    response = client.post(
        url,
        {"what": "Call", "owner_side": "theirs", "owner_contact_id": stranger.pk},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["field"] == "owner_contact_id"


def test_migration_matches_typed_owners(plan, kam_user, anna, account):  # type: ignore[no-untyped-def]
    bram = account.contacts.get(name="Bram Smit")
    typed = [
        PlanAction.objects.create(
            plan=plan,
            what=what,
            owner_side="theirs",
            owner_contact_name=name,
            owner_contact_email=email,
        )
        for what, name, email in [
            ("by name", "anna  de VRIES", ""),
            ("by address", "B. Smit", "BRAM@vandijk.example"),
            ("nobody", "Karel", "karel@vandijk.example"),
        ]
    ]
    migration.owners_to_contacts(apps, None)
    for a in typed:
        a.refresh_from_db()
    assert [a.owner_contact for a in typed] == [anna, bram, None]
    assert typed[2].owner_contact_name == "Karel" and typed[2].owner_not_matched
    assert not typed[0].owner_not_matched


def test_an_unmatched_owner_typed_before_stays_until_changed(plan, kam_user, anna):  # type: ignore[no-untyped-def]
    action = PlanAction.objects.create(
        plan=plan, what="Old", owner_side="theirs", owner_contact_name="Karel"
    )
    services.action_update(user=kam_user, action=action, data={"what": "Old, renamed"})
    assert action.owner_contact_name == "Karel"
    html = (
        client_for(kam_user)
        .get(reverse("plans:action_edit", args=[plan.pk, action.pk]))
        .content.decode()
    )
    assert "Karel" in html and "not matched" in html
    services.action_update(user=kam_user, action=action, data={"owner_contact": anna})
    assert action.owner_name == "Anna de Vries" and not action.owner_not_matched


def test_erasing_the_contact_erases_the_copied_name_and_address(plan, kam_user, anna):  # type: ignore[no-untyped-def]
    from kam.activities.contact_privacy import contact_erase

    action = theirs(plan, kam_user, owner_contact=anna)
    contact_erase(user=kam_user, contact=anna)
    action.refresh_from_db()
    assert action.owner_contact == anna
    assert action.owner_name == f"Former contact #{anna.number}"
    assert (action.owner_contact_name, action.owner_contact_email) == (
        f"Former contact #{anna.number}",
        "",
    )
