"""Activities name the account's contacts: services, the form with its picker, editing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from kam.activities.models import Activity
from kam.activities.services import activity_update
from kam.errors import ApplicationError
from kam.relationships.models import Contact
from kam.relationships.services import contact_create
from tests.activities.conftest import log
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

NEW = reverse("activities:new")
PICKER = reverse("activities:contact_picker")
CREATE = reverse("activities:contact_new")


@pytest.fixture
def people(kam_user, accounts):  # type: ignore[no-untyped-def]
    own = accounts["own"]
    other = accounts["other"]
    return {
        "anna": contact_create(user=kam_user, account=own, name="Anna de Wit", title="Buyer"),
        "jose": contact_create(
            user=kam_user, account=own, name="José Peters", email="jose@own.example"
        ),
        "karel": contact_create(user=kam_user, account=own, name="Karel Smit", title="CFO"),
        "stranger": Contact.objects.create(account=other, number=1, name="Stan Elders"),
    }


def form_data(account, *people_ids, **extra):  # type: ignore[no-untyped-def]
    data = {
        "account": account.pk,
        "date": "2025-06-02",
        "duration_minutes": "60",
        "type": "meeting",
        "participants": [people_ids[0]],
        "topic": "Review",
        "notes": "",
    }
    data.update(extra)
    return data


# --- services -------------------------------------------------------------------------------


def test_names_are_matched_and_the_rest_kept_as_not_matched(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    activity = log(
        kam_user,
        accounts["own"],
        60,
        [kam_user],
        contact_names=["anna DE WIT", "JOSE@own.example", "Anna", "Piet"],
    )
    assert set(activity.contacts.all()) == {people["anna"], people["jose"]}
    assert activity.contact_names == ["Anna", "Piet"]


def test_contact_ids_of_another_account_are_refused(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as caught:
        log(kam_user, accounts["own"], 60, [kam_user], contacts=[people["stranger"].pk])
    assert caught.value.field == "contacts"
    assert f"#{people['stranger'].pk}" in caught.value.message
    assert Activity.objects.count() == 0


def test_refusing_unmatched_names_lists_each(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as caught:
        log(
            kam_user,
            accounts["own"],
            60,
            [kam_user],
            contact_names=["Anna de Wit", "Piet", "Kees"],
            refuse_unmatched=True,
        )
    assert caught.value.status == 422
    assert "'Piet'" in caught.value.message and "'Kees'" in caught.value.message
    assert len(caught.value.problems) == 2
    assert Activity.objects.count() == 0


def test_update_rematches_names_once_the_contact_exists(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    activity = log(kam_user, accounts["own"], 60, [kam_user], contact_names=["Piet Vos"])
    assert activity.contact_names == ["Piet Vos"]
    piet = contact_create(user=kam_user, account=accounts["own"], name="Piet Vos")
    activity_update(
        user=kam_user, activity=activity, contacts=[people["anna"].pk], contact_names=["piet vos"]
    )
    activity.refresh_from_db()
    assert set(activity.contacts.all()) == {people["anna"], piet}
    assert activity.contact_names == []


def test_moving_to_another_account_keeps_the_old_contacts_as_names(  # type: ignore[no-untyped-def]
    director, kam_user, accounts, people
):
    activity = log(kam_user, accounts["own"], 60, [kam_user], contacts=[people["anna"].pk])
    activity_update(user=director, activity=activity, account=accounts["other"])
    activity.refresh_from_db()
    assert list(activity.contacts.all()) == []
    assert activity.contact_names == ["Anna de Wit"]


# --- the form ---------------------------------------------------------------------------------


def test_logging_with_contacts_picked_attaches_them(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).post(
        NEW,
        form_data(accounts["own"], kam_user.pk, contacts=[people["anna"].pk, people["karel"].pk]),
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert set(activity.contacts.all()) == {people["anna"], people["karel"]}
    assert activity.contact_names == []


def test_the_form_lists_the_accounts_contacts_as_tick_boxes(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    html = client_for(kam_user).get(f"{NEW}?account={accounts['own'].pk}").content.decode()
    for name in ("Anna de Wit", "José Peters", "Karel Smit"):
        assert name in html
    assert f'name="contacts" value="{people["anna"].pk}"' in html
    assert "Stan Elders" not in html  # another account's contact


def test_a_contact_of_another_account_is_refused_beside_the_picker(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).post(
        NEW, form_data(accounts["own"], kam_user.pk, contacts=[people["stranger"].pk])
    )
    assert response.status_code == 200
    assert "is not a contact of Own Retail" in response.content.decode()
    assert Activity.objects.count() == 0


def test_create_a_contact_on_the_spot_when_saving(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).post(
        NEW,
        form_data(
            accounts["own"],
            kam_user.pk,
            contacts=[people["anna"].pk],
            new_contact_name="Lotte Vos",
            new_contact_title="Category manager",
            new_contact_email="lotte@own.example",
        ),
    )
    assert response.status_code == 302
    lotte = Contact.objects.get(name="Lotte Vos")
    assert (lotte.account, lotte.title, lotte.email) == (
        accounts["own"],
        "Category manager",
        "lotte@own.example",
    )
    assert set(Activity.objects.get().contacts.all()) == {people["anna"], lotte}


def test_a_refused_activity_creates_no_contact(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    far = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    response = client_for(kam_user).post(
        NEW, form_data(accounts["own"], kam_user.pk, date=far, new_contact_name="Lotte Vos")
    )
    assert response.status_code == 200
    assert not Contact.objects.filter(name="Lotte Vos").exists()


def test_a_bad_new_contact_email_is_shown_beside_it(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).post(
        NEW,
        form_data(
            accounts["own"],
            kam_user.pk,
            new_contact_name="Lotte Vos",
            new_contact_email="jose@own.example",
        ),
    )
    assert response.status_code == 200
    assert "Another contact of this account has the e-mail address" in response.content.decode()
    assert Activity.objects.count() == 0


def test_editing_shows_not_matched_names_and_keeps_contacts(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    activity = log(kam_user, accounts["own"], 60, [kam_user], contact_names=["Anna de Wit", "Piet"])
    client = client_for(kam_user)
    edit = reverse("activities:edit", args=[activity.pk])
    html = client.get(edit).content.decode()
    assert "Not matched" in html and "Piet" in html
    assert f'value="{people["anna"].pk}" checked' in html
    response = client.post(
        edit,
        form_data(
            accounts["own"],
            kam_user.pk,
            contacts=[people["anna"].pk, people["karel"].pk],
            contact_names="",
        ),
    )
    assert response.status_code == 302
    activity.refresh_from_db()
    assert set(activity.contacts.all()) == {people["anna"], people["karel"]}
    assert activity.contact_names == []


def test_the_list_shows_contacts_and_names_not_matched(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    log(
        kam_user,
        accounts["own"],
        60,
        [kam_user],
        day=dt.date.today(),
        contact_names=["Anna de Wit", "Piet"],
    )
    html = client_for(kam_user).get(reverse("activities:list")).content.decode()
    assert "Anna de Wit" in html
    assert "not matched: Piet" in html


# --- the picker ---------------------------------------------------------------------------------


def test_search_as_you_type_keeps_the_picked_and_finds_without_accents(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).get(
        PICKER,
        {"account": accounts["own"].pk, "contact_q": "jose", "contacts": [people["karel"].pk]},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert "José Peters" in html
    assert f'value="{people["karel"].pk}" checked' in html
    assert "Anna de Wit" not in html


def test_search_by_role(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    html = (
        client_for(kam_user)
        .get(PICKER, {"account": accounts["own"].pk, "contact_q": "cfo"})
        .content.decode()
    )
    assert "Karel Smit" in html and "Anna de Wit" not in html


def test_the_picker_shows_nothing_of_an_account_the_user_cannot_read(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    html = (
        client_for(kam_user)
        .get(PICKER, {"account": accounts["other"].pk, "contact_q": "stan"})
        .content.decode()
    )
    assert "Stan Elders" not in html


def test_create_on_the_spot_answers_the_list_with_the_new_contact_picked(
    kam_user, accounts, people
):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).post(
        CREATE,
        {
            "account": accounts["own"].pk,
            "contacts": [people["anna"].pk],
            "new_contact_name": "Lotte Vos",
            "new_contact_title": "Category manager",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    lotte = Contact.objects.get(name="Lotte Vos", account=accounts["own"])
    html = response.content.decode()
    assert f'value="{lotte.pk}" checked' in html
    assert f'value="{people["anna"].pk}" checked' in html


def test_create_on_the_spot_is_refused_for_a_team_member(member, accounts, people):  # type: ignore[no-untyped-def]
    response = client_for(member).post(
        CREATE, {"account": accounts["own"].pk, "new_contact_name": "Lotte Vos"}
    )
    assert response.status_code == 403
    assert "You may read this account but not change it." in response.content.decode()
    assert not Contact.objects.filter(name="Lotte Vos").exists()


def test_a_viewer_cannot_create_on_the_spot(viewer, accounts, people):  # type: ignore[no-untyped-def]
    response = client_for(viewer).post(
        CREATE, {"account": accounts["own"].pk, "new_contact_name": "Lotte Vos"}
    )
    assert response.status_code in (403, 422)
    assert not Contact.objects.filter(name="Lotte Vos").exists()


# --- the import page: names to map ------------------------------------------------------------

IMPORT = reverse("activities:import")
FILE = (
    "date,account,duration_minutes,type,participants,contacts,uid\n"
    "2025-05-06,OWN-1,60,visit,kam1,Anna de Wit; Piet Vos; Kees,i-1\n"
)


def test_import_page_asks_to_map_then_imports_the_kept_file(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(kam_user)
    response = client.post(IMPORT, {"file": SimpleUploadedFile("a.csv", FILE.encode())})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="mapping-form"' in html and "Piet Vos" in html and "Kees" in html
    assert Activity.objects.count() == 0
    own = accounts["own"].pk
    rows = dict(
        re.findall(r'name="(u-\d+)-name" value="([^"]+)"', html)
    )  # {"u-1": "Piet Vos", "u-2": "Kees"}
    by_name = {name: prefix for prefix, name in rows.items()}
    # Only one name mapped: the page asks again, nothing is written.
    response = client.post(
        IMPORT,
        {
            "action": "map",
            f"{by_name['Piet Vos']}-name": "Piet Vos",
            f"{by_name['Piet Vos']}-account": own,
            f"{by_name['Piet Vos']}-to": "new",
            f"{by_name['Kees']}-name": "Kees",
            f"{by_name['Kees']}-account": own,
            f"{by_name['Kees']}-to": "",
        },
    )
    assert response.status_code == 422
    assert "Choose what each name is: &#x27;Kees&#x27;." in response.content.decode()
    assert Activity.objects.count() == 0 and not Contact.objects.filter(name="Piet Vos").exists()
    response = client.post(
        IMPORT,
        {
            "action": "map",
            f"{by_name['Piet Vos']}-name": "Piet Vos",
            f"{by_name['Piet Vos']}-account": own,
            f"{by_name['Piet Vos']}-to": "new",
            f"{by_name['Kees']}-name": "Kees",
            f"{by_name['Kees']}-account": own,
            f"{by_name['Kees']}-to": str(people["karel"].pk),
        },
    )
    assert response.status_code == 200
    assert 'data-testid="import-summary"' in response.content.decode()
    activity = Activity.objects.get()
    piet = Contact.objects.get(name="Piet Vos", account=accounts["own"])
    assert set(activity.contacts.all()) == {people["anna"], piet, people["karel"]}
    # The kept file is gone: mapping again asks for a new upload.
    response = client.post(IMPORT, {"action": "map"})
    assert response.status_code == 409


def test_import_api_lists_unmatched_names_and_takes_a_mapping(kam_user, accounts, people):  # type: ignore[no-untyped-def]
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.activities.test_api import token_client

    client = token_client(kam_user)
    url = "/api/activities/import"
    response = client.post(url, {"file": SimpleUploadedFile("a.csv", FILE.encode())})
    assert response.status_code == 422
    body = response.json()
    assert [(u["name"], u["rows"]) for u in body["unmatched"]] == [
        ("Piet Vos", [2]),
        ("Kees", [2]),
    ]
    own = accounts["own"].pk
    mapping = [
        {"account_id": own, "name": "Piet Vos", "to": "ignore"},
        {"account_id": own, "name": "Kees", "to": people["karel"].pk},
    ]
    response = client.post(
        url,
        {"file": SimpleUploadedFile("a.csv", FILE.encode()), "mapping": json.dumps(mapping)},
    )
    assert response.status_code == 200, response.content
    activity = Activity.objects.get()
    assert set(activity.contacts.all()) == {people["anna"], people["karel"]}
    assert activity.contact_names == ["Piet Vos"]
    response = client.post(
        url, {"file": SimpleUploadedFile("b.csv", FILE.encode()), "mapping": '[{"name": 1}]'}
    )
    assert response.status_code == 422 and response.json()["field"] == "mapping"
