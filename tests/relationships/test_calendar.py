"""Calendar import: .ics files with the quirks of Outlook and Google Calendar (module
``kam.activities.calendar``), all or nothing, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.activities.calendar import CalendarImportError, address_map, calendar_run
from kam.activities.models import Activity
from kam.errors import ApplicationError
from kam.relationships.models import Contact
from kam.relationships.services import contact_create
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)

OUTLOOK_TZ = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE"""


def ics(*events: str, prodid: str = "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN") -> bytes:
    body = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{prodid}", OUTLOOK_TZ, *events, "END:VCALENDAR"]
    )
    return (body + "\r\n").encode()


@pytest.fixture
def world(kam_user, member):  # type: ignore[no-untyped-def]
    kam_user.email = "Kam1@Supplier.example"
    kam_user.save()
    member.email = "member1@supplier.example"
    member.save()
    account = AccountFactory(
        owner=kam_user, name="Vandenberg Retail", email_domains=["vandenberg.example"]
    )
    other = AccountFactory(owner=kam_user, name="Zeeland Foods", email_domains=["zeeland.example"])
    anna = contact_create(
        user=kam_user, account=account, name="Anna de Wit", email="anna@vandenberg.example"
    )
    return {"account": account, "other": other, "anna": anna, "kam": kam_user, "member": member}


OUTLOOK_WEEKLY = """BEGIN:VEVENT
UID:040000008200E00074C5B7101A82E008000000001
SUMMARY:Weekly supply call
DTSTART;TZID=W. Europe Standard Time:20260105T100000
DTEND;TZID=W. Europe Standard Time:20260105T103000
RRULE:FREQ=WEEKLY;COUNT=5;BYDAY=MO
EXDATE;TZID=W. Europe Standard Time:20260112T100000
ORGANIZER;CN=Kam One:mailto:kam1@supplier.example
ATTENDEE;CN=Anna de Wit;PARTSTAT=ACCEPTED:MAILTO:ANNA@VANDENBERG.EXAMPLE
ATTENDEE;PARTSTAT=ACCEPTED:mailto:piet@vandenberg.example
END:VEVENT
BEGIN:VEVENT
UID:040000008200E00074C5B7101A82E008000000001
RECURRENCE-ID;TZID=W. Europe Standard Time:20260119T100000
SUMMARY:Weekly supply call (moved)
DTSTART;TZID=W. Europe Standard Time:20260120T150000
DTEND;TZID=W. Europe Standard Time:20260120T160000
ORGANIZER;CN=Kam One:mailto:kam1@supplier.example
ATTENDEE;CN=Anna de Wit:mailto:anna@vandenberg.example
END:VEVENT"""

GOOGLE_UTC = """BEGIN:VEVENT
UID:7kukuqrfedlm2f9t0vr42q2qdk@google.com
SUMMARY:Quarterly business review
DTSTART:20260210T230000Z
DTEND:20260211T010000Z
ORGANIZER;CN=member1@supplier.example:mailto:member1@supplier.example
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=member1@supplier.example:mailto:member1@supplier.example
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:Anna@Vandenberg.example
ATTENDEE;PARTSTAT=DECLINED;CN=Zed:mailto:zed@zeeland.example
END:VEVENT"""

ALL_DAY = """BEGIN:VEVENT
UID:fair-2026@google.com
SUMMARY:Trade fair
DTSTART;VALUE=DATE:20260203
DTEND;VALUE=DATE:20260205
ATTENDEE:mailto:anna@vandenberg.example
END:VEVENT"""

INTERNAL = """BEGIN:VEVENT
UID:internal-1
SUMMARY:Team lunch
DTSTART:20260115T110000Z
DTEND:20260115T120000Z
ATTENDEE:mailto:kam1@supplier.example
ATTENDEE:mailto:member1@supplier.example
END:VEVENT"""

FUTURE = """BEGIN:VEVENT
UID:future-1
SUMMARY:Next visit
DTSTART:20260310T090000Z
DTEND:20260310T100000Z
ATTENDEE:mailto:anna@vandenberg.example
END:VEVENT"""


def run(world, content: bytes, **kw):  # type: ignore[no-untyped-def]
    return calendar_run(
        user=world["kam"],
        content=content,
        period_start=kw.pop("start", dt.date(2026, 1, 1)),
        period_end=kw.pop("end", dt.date(2026, 3, 1)),
        now=NOW,
        **kw,
    )


def test_outlook_recurrence_with_exdate_and_moved_instance(world):  # type: ignore[no-untyped-def]
    summary = run(world, ics(OUTLOOK_WEEKLY))
    # 5 Mondays from 5 Jan, 12 Jan excluded, 19 Jan moved to Tue 20 Jan 15:00.
    dates = sorted(Activity.objects.values_list("date", flat=True))
    assert dates == [
        dt.date(2026, 1, 5),
        dt.date(2026, 1, 20),
        dt.date(2026, 1, 26),
        dt.date(2026, 2, 2),
    ]
    assert summary.created == 4
    moved = Activity.objects.get(date=dt.date(2026, 1, 20))
    assert moved.duration_minutes == 60
    assert moved.topic == "Weekly supply call (moved)"
    # The moved instance keeps its original start (RECURRENCE-ID, 09:00 UTC) as its id.
    assert moved.external_uid.endswith("/20260119T090000Z")
    first = Activity.objects.get(date=dt.date(2026, 1, 5))
    assert first.duration_minutes == 30
    assert first.account == world["account"]
    assert list(first.participants.all()) == [world["kam"]]
    # Upper-case MAILTO and address match Anna; Piet (no CN) is listed by address.
    assert list(first.contacts.all()) == [world["anna"]]
    # The attendees without a contact are kept as given, shown as "not matched".
    assert first.contact_names == ["piet@vandenberg.example"]
    assert [u.address for u in summary.unmatched] == ["piet@vandenberg.example"]
    assert summary.unmatched[0].account_id == world["account"].pk
    assert summary.unmatched[0].events == 4 - 1  # the moved instance lists only Anna


def test_google_utc_times_land_on_the_local_date(world):  # type: ignore[no-untyped-def]
    summary = run(world, ics(GOOGLE_UTC, prodid="-//Google Inc//Google Calendar 70.9054//EN"))
    activity = Activity.objects.get()
    # 23:00 UTC on 10 Feb is midnight on 11 Feb in Amsterdam.
    assert activity.date == dt.date(2026, 2, 11)
    assert activity.duration_minutes == 120
    assert list(activity.participants.all()) == [world["member"]]
    assert list(activity.contacts.all()) == [world["anna"]]
    # The declined Zeeland attendee neither counts for the account nor is listed.
    assert summary.unmatched == []
    assert activity.external_uid == "ics:7kukuqrfedlm2f9t0vr42q2qdk@google.com"


def test_all_day_internal_and_future_events_are_not_activities(world):  # type: ignore[no-untyped-def]
    summary = run(world, ics(ALL_DAY, INTERNAL, FUTURE), end=dt.date(2026, 3, 1))
    assert Activity.objects.count() == 0
    assert summary.all_day == 1
    assert summary.internal == 1
    assert summary.created == 0


def test_future_occurrence_is_counted_as_not_held_yet(world):  # type: ignore[no-untyped-def]
    later_today = FUTURE.replace("20260310T090000Z", "20260301T150000Z").replace(
        "20260310T100000Z", "20260301T160000Z"
    )
    summary = run(world, ics(later_today))
    assert summary.not_held_yet == 1
    assert Activity.objects.count() == 0


def test_period_after_today_is_refused(world):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as exc:
        calendar_run(
            user=world["kam"],
            content=ics(FUTURE),
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date.today() + dt.timedelta(days=3),
        )
    assert exc.value.field == "period_end"


def test_reimport_changes_nothing(world):  # type: ignore[no-untyped-def]
    content = ics(OUTLOOK_WEEKLY, GOOGLE_UTC, ALL_DAY)
    first = run(world, content)
    before = sorted(Activity.objects.values_list("pk", "external_uid", "date", "duration_minutes"))
    second = run(world, content)
    assert first.created == 5
    assert second.created == 0
    assert second.unchanged == 5
    assert second.contacts_attached == 0
    assert (
        sorted(Activity.objects.values_list("pk", "external_uid", "date", "duration_minutes"))
        == before
    )


def test_mapping_an_address_then_rerun_attaches_the_new_contact(world):  # type: ignore[no-untyped-def]
    content = ics(OUTLOOK_WEEKLY)
    run(world, content)
    address_map(
        user=world["kam"],
        address="Piet@Vandenberg.example",
        account=world["account"],
        name="Piet Bos",
    )
    piet = Contact.objects.get(email="piet@vandenberg.example")
    again = run(world, content)
    assert again.created == 0
    assert again.contacts_attached == 3
    assert again.unmatched == []
    assert piet.activities.count() == 3


def test_mapping_a_domain_routes_events_to_the_account(world):  # type: ignore[no-untyped-def]
    event = """BEGIN:VEVENT
UID:dom-1
SUMMARY:Intro
DTSTART:20260120T090000Z
DTEND:20260120T100000Z
ATTENDEE;CN=Nora:mailto:nora@new-customer.example
END:VEVENT"""
    first = run(world, ics(event))
    assert first.internal == 1 and first.unmatched[0].account_id is None
    address_map(
        user=world["kam"],
        address="nora@new-customer.example",
        account=world["other"],
        as_domain=True,
    )
    second = run(world, ics(event))
    assert second.created == 1
    assert Activity.objects.get().account == world["other"]


def test_a_broken_file_writes_nothing(world):  # type: ignore[no-untyped-def]
    bad = """BEGIN:VEVENT
UID:no-start
SUMMARY:No start here
END:VEVENT"""
    with pytest.raises(CalendarImportError) as exc:
        run(world, ics(GOOGLE_UTC, bad))
    assert [p.column for p in exc.value.report] == ["DTSTART"]
    assert "No start here" in exc.value.report[0].reason
    assert Activity.objects.count() == 0
    with pytest.raises(CalendarImportError):
        run(world, b"hello, this is a CSV")


def test_viewer_cannot_import(viewer):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as exc:
        calendar_run(user=viewer, content=ics(GOOGLE_UTC))
    assert exc.value.status == 403


def test_accounts_the_user_cannot_see_get_nothing(world, other_kam):  # type: ignore[no-untyped-def]
    summary = calendar_run(
        user=other_kam,
        content=ics(GOOGLE_UTC),
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 1),
        now=NOW,
    )
    assert summary.created == 0
    assert Activity.objects.count() == 0


def test_cli_imports_a_file(world, tmp_path, capsys):  # type: ignore[no-untyped-def]
    from kam.cli import main

    path = tmp_path / "outlook.ics"
    path.write_bytes(ics(OUTLOOK_WEEKLY))
    args = [
        "calendar-import",
        str(path),
        "--user",
        "kam1",
        "--from",
        "2026-01-01",
        "--to",
        "2026-03-01",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "4 activities created" in out and "piet@vandenberg.example" in out
    assert main(args) == 0
    assert "0 activities created, 4 already imported" in capsys.readouterr().out
    path.write_bytes(b"not a calendar")
    assert main(args) == 2
    assert main([*args[:3], "nobody"]) == 2
