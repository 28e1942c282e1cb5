"""Calendar files that crashed or were misread (hand-written in tests/data/calendars/regressions):
each now gives a correct import or a refusal that names the event and the reason, on the
service, the command line (exit 2) and the API (4xx)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.activities.calendar import CalendarImportError, calendar_import_create, calendar_run
from kam.activities.models import Activity
from kam.errors import ApplicationError
from kam.relationships.services import contact_create
from tests.factories import AccountFactory
from tests.relationships.test_api import token_client

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent.parent / "data" / "calendars" / "regressions"
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
PERIOD = (dt.date(2026, 1, 1), dt.date(2026, 5, 31))


@pytest.fixture
def world(kam_user):  # type: ignore[no-untyped-def]
    kam_user.email = "kam1@supplier.example"
    kam_user.save()
    account = AccountFactory(
        owner=kam_user, name="Vandenberg Retail", email_domains=["vandenberg.example"]
    )
    contact_create(
        user=kam_user, account=account, name="Anna de Wit", email="anna@vandenberg.example"
    )
    return kam_user


def run(user, name: str, period: tuple[dt.date, dt.date] | None = PERIOD):  # type: ignore[no-untyped-def]
    return calendar_run(
        user=user,
        content=(FILES / name).read_bytes(),
        period_start=period[0] if period else None,
        period_end=period[1] if period else None,
        now=NOW,
    )


def refusal(user, name: str, period: tuple[dt.date, dt.date] | None) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(CalendarImportError) as exc:
        run(user, name, period)
    return [str(p) for p in exc.value.report]


@pytest.mark.parametrize("period", [PERIOD, None], ids=["period", "no-period"])
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dtstart_twice.ics", ['"Review with two starts"', "DTSTART is given 2 times"]),
        ("broken_dtstart.ics", ['"Review with a broken start"', "DTSTART cannot be read"]),
        ("broken_rrule.ics", ['"Standup with a broken rule"', "RRULE cannot be read"]),
        ("secondly.ics", ['"Every second"', "RRULE repeats too often"]),
    ],
)
def test_broken_events_are_refused_by_name(world, name, expected, period):  # type: ignore[no-untyped-def]
    problems = refusal(world, name, period)
    assert len(problems) == 1
    for part in expected:
        assert part in problems[0]
    assert "line " in problems[0] or "every-second" in problems[0]
    assert Activity.objects.count() == 0


def test_the_refusal_says_which_line(world):  # type: ignore[no-untyped-def]
    (problem,) = refusal(world, "dtstart_twice.ics", PERIOD)
    # BEGIN:VEVENT is the 4th line of the file.
    assert problem.startswith('event 1 (line 4, UID twice-1, "Review with two starts")')


def test_several_rrules_give_every_occurrence(world):  # type: ignore[no-untyped-def]
    summary = run(world, "several_rrules.ics")
    # Mondays 5, 12, 19, 26 January and Thursdays 8, 15, 22, 29 January (COUNT=4 each).
    days = sorted(Activity.objects.values_list("date", flat=True))
    assert summary.created == 8
    assert [d.day for d in days] == [5, 8, 12, 15, 19, 22, 26, 29]


def test_this_and_future_keeps_every_occurrence(world):  # type: ignore[no-untyped-def]
    summary = run(world, "this_and_future.ics")
    assert summary.created == 10
    rows = list(Activity.objects.order_by("date").values_list("date", "topic", "external_uid"))
    assert len({uid for _d, _t, uid in rows}) == 10
    # The first five keep the old time, from 9 February on the edit's title (and time).
    assert [t for _d, t, _u in rows[:5]] == ["Weekly supply call"] * 5
    assert [t for _d, t, _u in rows[5:]] == ["Weekly supply call (new time)"] * 5
    # Each occurrence is known by its start in the series before the edit.
    assert rows[5][2] == "ics:outlook-series-1/20260209T090000Z"
    assert rows[9][2] == "ics:outlook-series-1/20260309T090000Z"
    assert run(world, "this_and_future.ics").created == 0


def test_events_without_uid_get_a_stable_identity(world):  # type: ignore[no-untyped-def]
    first = run(world, "no_uid.ics")
    assert first.created == 3
    uids = sorted(Activity.objects.values_list("external_uid", flat=True))
    again = run(world, "no_uid.ics")
    assert (again.created, again.unchanged) == (0, 3)
    assert sorted(Activity.objects.values_list("external_uid", flat=True)) == uids
    assert "ics:has-uid-1" in uids


@pytest.mark.parametrize("name", ["utf8_bom.ics", "utf16_bom.ics", "cp1252.ics"])
def test_encodings_calendar_programs_write(world, name):  # type: ignore[no-untyped-def]
    summary = run(world, name)
    assert summary.created == 1
    assert Activity.objects.get().topic == "Café overleg – Zoë"


def test_utf16_without_bom_is_read(world):  # type: ignore[no-untyped-def]
    text = (FILES / "utf8_bom.ics").read_bytes().decode("utf-8-sig")
    summary = calendar_run(
        user=world,
        content=text.encode("utf-16-le"),
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        now=NOW,
    )
    assert summary.created == 1


def test_refusals_show_text_not_bytes(world):  # type: ignore[no-untyped-def]
    content = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:caf\xc3\xa9\r\nEND:VEVENT\r\n"
    with pytest.raises(CalendarImportError) as exc:
        calendar_run(user=world, content=content, now=NOW)
    reasons = " ".join(str(p) for p in exc.value.report)
    assert "b'" not in reasons and 'b"' not in reasons
    assert "The calendar cannot be read" in reasons


def test_kept_file_is_the_decoded_text(world):  # type: ignore[no-untyped-def]
    record, summary = calendar_import_create(
        user=world,
        content=(FILES / "utf16_bom.ics").read_bytes(),
        filename="utf16_bom.ics",
        period_start=PERIOD[0],
        period_end=PERIOD[1],
    )
    assert summary.created == 1
    assert "Café overleg – Zoë" in record.content


def test_a_too_long_period_is_refused(world):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as exc:
        run(world, "no_uid.ics", (dt.date(2024, 1, 1), dt.date(2026, 1, 1)))
    assert exc.value.status == 422 and "at most one year" in exc.value.message


# --- the command line -----------------------------------------------------------------------


def cli(*args: str) -> int:
    from kam.cli import main

    return main(["calendar-import", *args, "--user", "kam1"])


@pytest.mark.parametrize("period", [["--from", "2026-01-01", "--to", "2026-05-31"], []])
@pytest.mark.parametrize(
    "name", ["dtstart_twice.ics", "broken_dtstart.ics", "broken_rrule.ics", "secondly.ics"]
)
def test_cli_refuses_with_exit_2_and_one_line_per_problem(world, capsys, name, period):  # type: ignore[no-untyped-def]
    assert cli(str(FILES / name), *period) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(str(FILES / name) + ": event 1 (")
    assert "Traceback" not in err[0]


def test_cli_too_long_period_exits_2(world, capsys):  # type: ignore[no-untyped-def]
    code = cli(str(FILES / "no_uid.ics"), "--from", "2024-01-01", "--to", "2026-01-01")
    assert code == 2
    assert "at most one year" in capsys.readouterr().err


def test_cli_imports_this_and_future(world, capsys):  # type: ignore[no-untyped-def]
    path = str(FILES / "this_and_future.ics")
    assert cli(path, "--from", "2026-01-01", "--to", "2026-05-31") == 0
    assert "10 activities created" in capsys.readouterr().out


# --- the API -----------------------------------------------------------------------------------

URL = "/api/relationships/calendar/import"


@pytest.mark.parametrize(
    "name", ["dtstart_twice.ics", "broken_dtstart.ics", "broken_rrule.ics", "secondly.ics"]
)
def test_api_refuses_with_422_naming_the_event(world, name):  # type: ignore[no-untyped-def]
    client = token_client(world)
    for data in ({}, {"period_start": "2026-01-01", "period_end": "2026-05-31"}):
        upload = SimpleUploadedFile(name, (FILES / name).read_bytes())
        response = client.post(URL, {"file": upload, **data})
        assert response.status_code == 422, response.content
        (problem,) = response.json()["report"]
        assert problem["reason"].startswith("event 1 (")


def test_api_too_long_period_is_4xx(world):  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("no_uid.ics", (FILES / "no_uid.ics").read_bytes())
    response = token_client(world).post(
        URL, {"file": upload, "period_start": "2024-01-01", "period_end": "2026-01-01"}
    )
    assert response.status_code == 422
    assert "at most one year" in response.json()["detail"]


# --- the page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [{"period_start": "2026-01-01", "period_end": "2026-05-31"}, {}])
@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("dtstart_twice.ics", "DTSTART is given 2 times"),
        ("broken_rrule.ics", "RRULE cannot be read"),
        ("secondly.ics", "RRULE repeats too often"),
    ],
)
def test_page_lists_the_problems(world, name, words, period):  # type: ignore[no-untyped-def]
    from django.urls import reverse

    from tests.conftest import client_for

    upload = SimpleUploadedFile(name, (FILES / name).read_bytes())
    response = client_for(world).post(reverse("relationships:calendar"), {"file": upload, **period})
    assert response.status_code == 422
    html = response.content.decode()
    assert words in html and "nothing was written" in html


def test_page_speaks_dutch(world):  # type: ignore[no-untyped-def]
    from django.urls import reverse
    from django.utils import translation

    from tests.conftest import client_for

    client = client_for(world)
    upload = SimpleUploadedFile("x.ics", (FILES / "dtstart_twice.ics").read_bytes())
    with translation.override("nl"):
        response = client.post(
            reverse("relationships:calendar"),
            {"file": upload},
            headers={"Accept-Language": "nl"},
        )
    html = response.content.decode()
    assert response.status_code == 422
    assert "afspraak 1 (regel 4, UID twice-1" in html and "staat er 2 keer in" in html


@pytest.mark.parametrize("period", [PERIOD, None], ids=["period", "no-period"])
def test_a_start_that_is_only_a_time_is_refused(world, period):  # type: ignore[no-untyped-def]
    content = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:time-only\r\n"
        "SUMMARY:Daily at ten\r\nDTSTART;VALUE=TIME:100000\r\nRRULE:FREQ=DAILY\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    with pytest.raises(CalendarImportError) as exc:
        calendar_run(
            user=world,
            content=content,
            period_start=period[0] if period else None,
            period_end=period[1] if period else None,
            now=NOW,
        )
    (problem,) = [str(p) for p in exc.value.report]
    assert problem == (
        'event 1 (line 4, UID time-only, "Daily at ten"): '
        "DTSTART is not a date or a date with a time."
    )
