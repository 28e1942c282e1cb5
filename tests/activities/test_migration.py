"""The data migration that matches older free-text contacts to the account's contacts."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from kam.activities.contact_privacy import contact_erase
from kam.activities.models import Activity, ActivityParticipant
from kam.relationships.models import Contact
from kam.relationships.services import contact_create
from tests.activities.conftest import DAY

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "kam.activities.migrations.0003_match_contact_names_to_contacts"
)


def old_style(account, user, names):  # type: ignore[no-untyped-def]
    """An activity as stored before contacts were picked: names only."""
    a = Activity.objects.create(
        account=account, date=DAY, duration_minutes=60, type="meeting", contact_names=names
    )
    ActivityParticipant.objects.create(activity=a, user=user)
    return a


def test_names_are_matched_and_the_rest_kept(kam_user, other_kam, accounts):  # type: ignore[no-untyped-def]
    own, other = accounts["own"], accounts["other"]
    anna = contact_create(user=kam_user, account=own, name="Anna de Wit")
    jose = contact_create(user=kam_user, account=own, name="José Peters", email="jp@own.example")
    contact_create(user=kam_user, account=own, name="Jan Bos")
    contact_create(user=kam_user, account=own, name="Jan Bos")
    elsewhere = contact_create(user=other_kam, account=other, name="Piet Vos")
    gone = contact_create(user=kam_user, account=own, name="Gerda Gone")
    contact_erase(user=kam_user, contact=gone)
    first = old_style(own, kam_user, ["ANNA DE WIT", "JP@own.example", "Jan Bos", "Piet Vos"])
    second = old_style(own, kam_user, ["jose peters", "Gerda Gone"])
    third = old_style(other, other_kam, ["piet  vos"])
    already = old_style(own, kam_user, ["Anna de Wit"])
    already.contacts.set([anna])

    migration.names_to_contacts(apps, None)

    for a in (first, second, third, already):
        a.refresh_from_db()
    assert set(first.contacts.all()) == {anna, jose}
    # Two contacts called Jan Bos: ambiguous; Piet Vos is another account's.
    assert first.contact_names == ["Jan Bos", "Piet Vos"]
    assert list(second.contacts.all()) == [jose]
    assert second.contact_names == ["Gerda Gone"]  # an erased contact matches nobody
    assert list(third.contacts.all()) == [elsewhere] and third.contact_names == []
    assert list(already.contacts.all()) == [anna] and already.contact_names == []

    migration.names_to_contacts(apps, None)  # running it again changes nothing
    first.refresh_from_db()
    assert first.contact_names == ["Jan Bos", "Piet Vos"]
    assert Activity.contacts.through.objects.count() == 5


def test_going_back_puts_the_names_in_front_again(kam_user, accounts):  # type: ignore[no-untyped-def]
    anna = contact_create(user=kam_user, account=accounts["own"], name="Anna de Wit")
    a = old_style(accounts["own"], kam_user, ["Piet"])
    a.contacts.set([anna])
    migration.contacts_to_names(apps, None)
    a.refresh_from_db()
    assert a.contact_names == ["Anna de Wit", "Piet"]
    assert Contact.objects.count() == 1
