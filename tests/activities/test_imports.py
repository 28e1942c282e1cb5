"""CSV import of activities: all or nothing, a report of row, column and reason, and a
re-import with uids that changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.activities.imports import (
    COLUMNS,
    IGNORE,
    NEW,
    ActivityImportError,
    ActivityImportUnmatched,
    activity_import,
    activity_import_template,
)
from kam.activities.models import Activity, ActivityParticipant
from kam.activities.selectors import actual_hours_by_account
from kam.errors import ApplicationError
from kam.relationships.models import Contact
from kam.relationships.services import contact_create

pytestmark = pytest.mark.django_db

HEADER = "date,account,duration_minutes,type,participants,contacts,topic,notes,uid"
GOOD = [
    "2025-05-06,OWN-1,60,visit,kam1; member1,Anna de Wit; j.bos@example.com,Range review,Ok,cal-1",
    "2025-05-07,OWN-1,30,call,kam1,,Follow-up,,cal-2",
    "2025-05-08,SRV-1,45,meeting,member1,,,,",
]


@pytest.fixture(autouse=True)
def own_contacts(kam_user, accounts):  # type: ignore[no-untyped-def]
    """The people GOOD names on OWN-1: Anna de Wit, and Jan Bos by his address."""
    own = accounts["own"]
    return {
        "anna": contact_create(user=kam_user, account=own, name="Anna de Wit"),
        "jan": contact_create(
            user=kam_user, account=own, name="Jan Bos", email="j.bos@example.com"
        ),
    }


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def problems(user, content: bytes) -> list[tuple[int | None, str]]:  # type: ignore[no-untyped-def]
    with pytest.raises(ActivityImportError) as exc:
        activity_import(user=user, content=content, filename="a.csv")
    return [(p.row, p.column) for p in exc.value.report]


def test_good_file_imports_every_row(director, kam_user, member, accounts, own_contacts):  # type: ignore[no-untyped-def]
    summary = activity_import(user=director, content=csv_bytes(*GOOD), filename="a.csv")
    assert (summary.created, summary.unchanged) == (3, 0)
    visit = Activity.objects.get(external_uid="cal-1")
    assert visit.account == accounts["own"] and visit.date == dt.date(2025, 5, 6)
    assert visit.type == "visit" and visit.topic == "Range review" and visit.notes == "Ok"
    assert set(visit.contacts.all()) == {own_contacts["anna"], own_contacts["jan"]}
    assert visit.contact_names == []
    assert set(visit.participants.all()) == {kam_user, member}
    assert visit.created_by == director
    assert Activity.objects.get(account=accounts["served"]).external_uid == ""
    # 60 × 2 + 30 = 150 person-minutes on OWN-1
    rows = actual_hours_by_account(
        start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31), user=director
    )
    assert {r.detail: r.minutes for r in rows} == {"OWN-1": 150, "SRV-1": 45}


def test_reimport_with_uids_changes_nothing(director, accounts):  # type: ignore[no-untyped-def]
    activity_import(user=director, content=csv_bytes(*GOOD[:2]), filename="a.csv")
    before = list(Activity.objects.order_by("pk").values_list("pk", "updated_at"))
    summary = activity_import(user=director, content=csv_bytes(*GOOD[:2]), filename="a.csv")
    assert (summary.created, summary.unchanged) == (0, 2)
    assert list(Activity.objects.order_by("pk").values_list("pk", "updated_at")) == before
    assert ActivityParticipant.objects.count() == 3


def test_rows_without_uid_are_added_again(director, accounts):  # type: ignore[no-untyped-def]
    activity_import(user=director, content=csv_bytes(GOOD[2]), filename="a.csv")
    activity_import(user=director, content=csv_bytes(GOOD[2]), filename="a.csv")
    assert Activity.objects.count() == 2


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("2025-13-01,OWN-1,60,visit,kam1,,,,", "date"),
        ("06/05/2025,OWN-1,60,visit,kam1,,,,", "date"),
        (",OWN-1,60,visit,kam1,,,,", "date"),
        ("2025-05-06,NOPE-1,60,visit,kam1,,,,", "account"),
        ("2025-05-06,,60,visit,kam1,,,,", "account"),
        ("2025-05-06,OWN-1,1.5h,visit,kam1,,,,", "duration_minutes"),
        ("2025-05-06,OWN-1,0,visit,kam1,,,,", "duration_minutes"),
        ("2025-05-06,OWN-1,1441,visit,kam1,,,,", "duration_minutes"),
        ("2025-05-06,OWN-1,60,lunch,kam1,,,,", "type"),
        ("2025-05-06,OWN-1,60,visit,,,,,", "participants"),
        ("2025-05-06,OWN-1,60,visit,kam1; nobody,,,,", "participants"),
        ("2025-05-06,OWN-1,60,visit,kam1," + "x" * 201 + ",,,", "contacts"),
        ("2025-05-06,OWN-1,60,visit,kam1,," + "t" * 201 + ",,", "topic"),
        ("2025-05-06,OWN-1,60,visit,kam1,,,," + "u" * 256, "uid"),
    ],
)
def test_each_bad_column_is_reported_and_nothing_is_written(director, accounts, row, column):  # type: ignore[no-untyped-def]
    assert problems(director, csv_bytes(GOOD[0], row)) == [(3, column)]
    assert Activity.objects.count() == 0


def test_every_problem_is_reported_in_row_order(director, accounts):  # type: ignore[no-untyped-def]
    found = problems(
        director,
        csv_bytes(
            "2025-05-06,NOPE,60,lunch,kam1,,,,",
            GOOD[0],
            "bad,OWN-1,-1,visit,ghost,,,,",
        ),
    )
    assert found == [
        (2, "account"),
        (2, "type"),
        (4, "date"),
        (4, "duration_minutes"),
        (4, "participants"),
    ]


def test_report_reasons_are_readable(director, accounts):  # type: ignore[no-untyped-def]
    with pytest.raises(ActivityImportError) as exc:
        activity_import(
            user=director, content=csv_bytes("2025-05-06,NOPE,60,visit,kam1,,,,"), filename="a.csv"
        )
    assert (
        str(exc.value.report[0])
        == "row 2, column account: There is no account with external id 'NOPE'."
    )
    assert exc.value.status == 422
    assert "nothing was imported" in exc.value.message


def test_uid_twice_in_one_file_is_refused(director, accounts):  # type: ignore[no-untyped-def]
    assert problems(director, csv_bytes(GOOD[0], GOOD[0])) == [(3, "uid")]


def test_header_problems(director, accounts):  # type: ignore[no-untyped-def]
    assert problems(director, csv_bytes(GOOD[2], header=HEADER + ",colour")) == [(1, "colour")]
    assert problems(
        director,
        csv_bytes("2025-05-06,OWN-1,60,visit", header="date,account,duration_minutes,type"),
    ) == [(1, "participants")]
    assert problems(director, b"") == [(None, "")]
    assert problems(director, csv_bytes()) == [(None, "")]
    assert problems(director, b"PK\x03\x04rest-of-a-workbook") == [(None, "")]


def test_key_account_manager_imports_only_on_their_accounts(kam_user, accounts):  # type: ignore[no-untyped-def]
    # The other manager's account answers like one that does not exist.
    assert problems(kam_user, csv_bytes(GOOD[1], "2025-05-06,OTH-1,60,visit,kam1,,,,")) == [
        (3, "account")
    ]
    assert Activity.objects.count() == 0
    summary = activity_import(user=kam_user, content=csv_bytes(GOOD[1]), filename="a.csv")
    assert summary.created == 1


def test_viewer_cannot_import(viewer, accounts):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as exc:
        activity_import(user=viewer, content=csv_bytes(*GOOD), filename="a.csv")
    assert exc.value.status == 403


def test_semicolon_separated_file_and_windows_encoding(director, accounts):  # type: ignore[no-untyped-def]
    content = (
        "date;account;duration_minutes;type;participants;topic\n"
        '2025-05-06;OWN-1;60;visit;"kam1; member1";Café visit\n'
    ).encode("cp1252")
    assert activity_import(user=director, content=content, filename="a.csv").created == 1
    activity = Activity.objects.get()
    assert activity.topic == "Café visit" and activity.participants.count() == 2


def test_template_has_the_import_columns(director, accounts):  # type: ignore[no-untyped-def]
    content = activity_import_template()
    assert content.decode("utf-8-sig").splitlines()[0] == ",".join(COLUMNS)


def test_import_costs_a_fixed_number_of_queries(director, accounts, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    rows = [f"2025-05-{d:02d},OWN-1,{30 + d},call,kam1; member1,,,,u-{d}" for d in range(1, 29)]
    with django_assert_max_num_queries(12):
        activity_import(user=director, content=csv_bytes(*rows), filename="a.csv")
    assert Activity.objects.count() == 28


# --- names that match no contact -----------------------------------------------------------

MIXED = [
    "2025-05-06,OWN-1,60,visit,kam1,anna de wit; Piet Vos; p.vos@example.com,Review,,m-1",
    "2025-05-07,OWN-1,30,call,kam1,Piet Vos,Follow-up,,m-2",
    "2025-05-08,SRV-1,45,meeting,member1,Karin,,,m-3",
]


def unmatched(user, content: bytes, mapping=None):  # type: ignore[no-untyped-def]
    with pytest.raises(ActivityImportUnmatched) as exc:
        activity_import(user=user, content=content, filename="a.csv", mapping=mapping)
    return [(u.account, u.name, u.rows) for u in exc.value.unmatched]


def test_unmatched_names_are_listed_and_nothing_is_written(director, accounts):  # type: ignore[no-untyped-def]
    assert unmatched(director, csv_bytes(*MIXED)) == [
        ("OWN-1", "Piet Vos", [2, 3]),
        ("OWN-1", "p.vos@example.com", [2]),
        ("SRV-1", "Karin", [4]),
    ]
    assert Activity.objects.count() == 0


def test_a_mapping_for_each_name_imports_the_file(director, accounts, own_contacts):  # type: ignore[no-untyped-def]
    own, served = accounts["own"].pk, accounts["served"].pk
    mapping = {
        (own, "Piet Vos"): NEW,
        (own, "p.vos@example.com"): own_contacts["jan"].pk,
        (served, "Karin"): IGNORE,
    }
    summary = activity_import(
        user=director, content=csv_bytes(*MIXED), filename="a.csv", mapping=mapping
    )
    assert summary.created == 3
    piet = Contact.objects.get(name="Piet Vos")
    assert piet.account == accounts["own"]
    first = Activity.objects.get(external_uid="m-1")
    assert set(first.contacts.all()) == {own_contacts["anna"], piet, own_contacts["jan"]}
    assert first.contact_names == []
    assert list(Activity.objects.get(external_uid="m-2").contacts.all()) == [piet]
    karin = Activity.objects.get(external_uid="m-3")
    assert list(karin.contacts.all()) == [] and karin.contact_names == ["Karin"]
    assert Contact.objects.filter(name="Piet Vos").count() == 1  # once for both rows


def test_a_partial_mapping_still_lists_the_rest(director, accounts):  # type: ignore[no-untyped-def]
    own = accounts["own"].pk
    left = unmatched(director, csv_bytes(*MIXED), {(own, "Piet Vos"): IGNORE})
    assert [name for _a, name, _r in left] == ["p.vos@example.com", "Karin"]
    assert Activity.objects.count() == 0 and not Contact.objects.filter(name="Piet Vos").exists()


def test_a_contact_of_another_account_in_the_mapping_is_a_row_problem(  # type: ignore[no-untyped-def]
    director, other_kam, accounts
):
    stranger = contact_create(user=other_kam, account=accounts["other"], name="Stan")
    mapping = {(accounts["served"].pk, "Karin"): stranger.pk}
    assert problems_mapped(director, csv_bytes(MIXED[2]), mapping) == [(2, "contacts")]


def test_creating_is_refused_where_the_importer_may_not_change_the_account(  # type: ignore[no-untyped-def]
    member, accounts
):
    # member1 serves SRV-1 (may log there) but may not add its contacts: nothing is written.
    mapping = {(accounts["served"].pk, "Karin"): NEW}
    with pytest.raises(ActivityImportError) as exc:
        activity_import(user=member, content=csv_bytes(MIXED[2]), filename="a.csv", mapping=mapping)
    assert "'Karin' cannot be added to Served Online" in exc.value.report[0].reason
    assert Activity.objects.count() == 0 and not Contact.objects.filter(name="Karin").exists()


def problems_mapped(user, content: bytes, mapping):  # type: ignore[no-untyped-def]
    with pytest.raises(ActivityImportError) as exc:
        activity_import(user=user, content=content, filename="a.csv", mapping=mapping)
    return [(p.row, p.column) for p in exc.value.report]
