"""The attacks on kam's imports, replayed (issue 13, item 2): each hostile file is refused
by a named limit (kam/imports/limits.py), and nothing is written.

The files are made here: a 315-byte .ics whose RRULE repeats every second, a CSV with a
million columns, an XLSX zip bomb, a file larger than the upload limit, a file with
thousands of bad rows, and files whose dates lie in year 0, 9999 or -2026 (those are in
tests/economics/test_limits_economics.py with the transaction store).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kam.accounts.imports import account_import
from kam.accounts.models import Account
from kam.activities.calendar import CalendarImportError, calendar_run
from kam.activities.imports import activity_import
from kam.activities.models import Activity
from kam.imports.limits import Deadline, ImportLimitError, xlsx_check
from kam.imports.problems import ImportRefused
from kam.relationships.models import CalendarImport
from tests.conftest import client_for
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)

# The attacker's file: 315 bytes, one event repeating every second from 2025 on.
SECONDLY = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//attacker//EN\r\nBEGIN:VEVENT\r\n"
    b"UID:every-second@attacker.example\r\nDTSTAMP:20260101T000000Z\r\n"
    b"DTSTART:20250301T090000Z\r\nDTEND:20250301T090001Z\r\nSUMMARY:Every second\r\n"
    b"RRULE:FREQ=SECONDLY\r\nORGANIZER:mailto:kam1@supplier.example\r\n"
    b"ATTENDEE:mailto:anna@vandenberg.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _calendar(rule: str) -> bytes:
    return SECONDLY.replace(b"RRULE:FREQ=SECONDLY", f"RRULE:{rule}".encode())


def _calendar_refusal(user, content: bytes) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(CalendarImportError) as exc:
        calendar_run(
            user=user,
            content=content,
            period_start=dt.date(2025, 3, 2),
            period_end=dt.date(2026, 2, 28),
            now=NOW,
        )
    return [str(p) for p in exc.value.report]


def test_the_secondly_rrule_is_refused_before_it_is_expanded(kam_user):  # type: ignore[no-untyped-def]
    assert len(SECONDLY) < 400
    problems = _calendar_refusal(kam_user, SECONDLY)
    assert len(problems) == 1
    assert "RRULE repeats too often" in problems[0]
    assert "KAM_IMPORT_MAX_OCCURRENCES" in problems[0] and "10,000" in problems[0]
    assert '"Every second"' in problems[0]
    assert Activity.objects.count() == 0 and CalendarImport.objects.count() == 0


@pytest.mark.parametrize(
    "rule",
    [
        # BY-parts that expand a coarse rule: a year of days, each with 24 × 30 times
        "FREQ=YEARLY;BYYEARDAY="
        + ",".join(str(d) for d in range(1, 367))
        + ";BYHOUR="
        + ",".join(str(h) for h in range(24))
        + ";BYMINUTE="
        + ",".join(str(m) for m in range(30)),
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=" + ",".join(str(h) for h in range(24)),
        "FREQ=MINUTELY;INTERVAL=1;COUNT=1000000",
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE="
        + ",".join(str(m) for m in range(0, 60, 5)),
    ],
    ids=["yearly-by-parts", "monthly-by-day-hour", "minutely-count", "weekly-every-five-minutes"],
)
def test_rules_that_expand_through_by_parts_are_refused_too(kam_user, rule):  # type: ignore[no-untyped-def]
    problems = _calendar_refusal(kam_user, _calendar(rule))
    assert any("RRULE repeats too often" in p for p in problems), problems
    assert Activity.objects.count() == 0


def test_a_real_daily_series_since_long_ago_still_imports(kam_user):  # type: ignore[no-untyped-def]
    """A daily stand-up since 2001: years of steps before the period, 365 in it."""
    kam_user.email = "kam1@supplier.example"
    kam_user.save()
    AccountFactory(owner=kam_user, name="Vandenberg", email_domains=["vandenberg.example"])
    content = _calendar("FREQ=DAILY").replace(b"DTSTART:20250301", b"DTSTART:20010301")
    content = content.replace(b"DTEND:20250301T090001Z", b"DTEND:20010301T091500Z")
    summary = calendar_run(
        user=kam_user,
        content=content,
        period_start=dt.date(2025, 3, 2),
        period_end=dt.date(2026, 2, 28),
        now=NOW,
    )
    assert summary.created == 364


def test_the_occurrence_limit_is_a_setting(kam_user, settings):  # type: ignore[no-untyped-def]
    settings.KAM_IMPORT_MAX_OCCURRENCES = 100
    problems = _calendar_refusal(kam_user, _calendar("FREQ=DAILY"))
    assert "at most 100 per event" in problems[0]


# --- a million columns ---------------------------------------------------------------------


def million_columns_csv() -> bytes:
    header = "date,account,duration_minutes,type,participants"
    return (header + "," + ",".join(["x"] * 1_000_000) + "\n" + "2026-01-01,A,30,call,\n").encode()


def test_a_million_columns_are_refused_naming_the_limit(kam_user):  # type: ignore[no-untyped-def]
    content = million_columns_csv()
    assert len(content) > 1_000_000
    with pytest.raises(ImportLimitError) as exc:
        activity_import(user=kam_user, content=content, filename="wide.csv")
    assert "1,000,005 columns" in exc.value.message
    assert "KAM_IMPORT_MAX_COLUMNS" in exc.value.message and "200" in exc.value.message
    assert Activity.objects.count() == 0


def test_the_api_answers_a_million_columns_in_a_few_hundred_bytes(kam_user):  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("wide.csv", million_columns_csv(), content_type="text/csv")
    response = client_for(kam_user).post("/api/activities/import", {"file": upload})
    assert response.status_code == 422
    assert len(response.content) < 2_000
    body = response.json()
    assert "KAM_IMPORT_MAX_COLUMNS" in body["detail"]
    assert body["report"][0]["reason"] == body["detail"]
    assert Activity.objects.count() == 0


def test_a_million_problems_are_listed_as_the_first_thousand_and_a_count(director):  # type: ignore[no-untyped-def]
    rows = "\n".join(f"X{n},,NL" for n in range(5_000))  # every row lacks its name
    content = ("external_id,name,country\n" + rows + "\n").encode()
    with pytest.raises(ImportRefused) as exc:
        account_import(user=director, content=content, filename="bad.csv")
    report = exc.value.report
    assert exc.value.total == 5_000
    assert len(report) == 1_001
    assert "4,000 more problems" in report[-1].reason
    assert "KAM_IMPORT_MAX_PROBLEMS" in report[-1].reason
    assert "5000 problem(s)" in exc.value.message
    assert Account.objects.count() == 0


def test_the_account_import_page_shows_the_short_report(director):  # type: ignore[no-untyped-def]
    rows = "\n".join(f"X{n},,NL" for n in range(1_500))
    upload = SimpleUploadedFile("bad.csv", ("external_id,name,country\n" + rows + "\n").encode())
    response = client_for(director).post(reverse("accounts:import"), {"file": upload})
    assert response.status_code == 422
    html = response.content.decode()
    assert "500 more problems" in html
    assert html.count("<tr") < 1_100


def test_too_many_rows_are_refused(kam_user, settings):  # type: ignore[no-untyped-def]
    settings.KAM_IMPORT_MAX_ROWS = 10
    header = "date,account,duration_minutes,type,participants\n"
    content = (header + "2026-01-01,A,30,call,\n" * 11).encode()
    with pytest.raises(ImportLimitError) as exc:
        activity_import(user=kam_user, content=content, filename="long.csv")
    assert "KAM_IMPORT_MAX_ROWS" in exc.value.message
    assert Activity.objects.count() == 0


# --- XLSX zip bomb -------------------------------------------------------------------------


def zip_bomb(size: int = 8 * 1024 * 1024) -> bytes:
    """An XLSX-shaped zip whose sheet unpacks to ``size`` bytes of one repeated cell."""
    cell = b'<c r="A1" t="inlineStr"><is><t>0</t></is></c>'
    sheet = (
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData><row r="1">'
        + cell * (size // len(cell))
        + b"</row></sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def test_an_xlsx_zip_bomb_is_refused_from_the_zip_directory(director):  # type: ignore[no-untyped-def]
    bomb = zip_bomb()
    assert len(bomb) < 100_000
    with pytest.raises(ImportLimitError) as exc:
        account_import(user=director, content=bomb, filename="accounts.xlsx")
    assert "KAM_IMPORT_MAX_XLSX_RATIO" in exc.value.message
    assert "xl/worksheets/sheet1.xml" in exc.value.message
    assert Account.objects.count() == 0


def test_a_workbook_that_unpacks_too_large_is_refused(settings):  # type: ignore[no-untyped-def]
    settings.KAM_IMPORT_MAX_XLSX_BYTES = 1024 * 1024
    settings.KAM_IMPORT_MAX_XLSX_RATIO = 1_000_000
    with pytest.raises(ImportLimitError) as exc:
        xlsx_check(zip_bomb(2 * 1024 * 1024))
    assert "KAM_IMPORT_MAX_XLSX_BYTES" in exc.value.message


def test_a_real_workbook_passes_the_check_and_imports(director, kam_user):  # type: ignore[no-untyped-def]
    from tests.accounts.test_imports import xlsx_bytes

    content = xlsx_bytes([["C1", "Customer one", "", "kam1", "NL", "retail", "EUR", "", "", ""]])
    xlsx_check(content)  # no refusal
    account_import(user=director, content=content, filename="accounts.xlsx")
    account = Account.objects.get(external_id="C1")
    assert (account.name, account.country, account.owner) == ("Customer one", "NL", kam_user)


def test_a_sheet_declaring_a_million_columns_is_refused(director):  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"] = "external_id"
    sheet["XFD1"] = "far away"  # the last column of a sheet: 16,384
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(ImportLimitError) as exc:
        account_import(user=director, content=out.getvalue(), filename="wide.xlsx")
    assert "16,384 columns" in exc.value.message


# --- upload size ---------------------------------------------------------------------------


def test_an_oversized_upload_is_answered_413_before_it_is_read(kam_user, settings):  # type: ignore[no-untyped-def]
    settings.KAM_MAX_UPLOAD_BYTES = 100_000
    big = SimpleUploadedFile("big.csv", b"x" * 1_200_000, content_type="text/csv")
    response = client_for(kam_user).post("/api/activities/import", {"file": big})
    assert response.status_code == 413
    assert "KAM_MAX_UPLOAD_BYTES" in response.json()["detail"]
    big.seek(0)
    page = client_for(kam_user).post(reverse("activities:import"), {"file": big})
    assert page.status_code == 413
    assert "KAM_MAX_UPLOAD_BYTES" in page.content.decode()
    assert Activity.objects.count() == 0


def test_a_file_over_the_limit_is_refused_by_every_importer(director, settings):  # type: ignore[no-untyped-def]
    """Below the request's envelope (the middleware) the importer itself refuses: the same
    check serves the commands, which read files without a request."""
    settings.KAM_MAX_UPLOAD_BYTES = 1_000
    content = b"external_id,name,country\n" + b"C1,Name,NL\n" * 200
    for run in (
        lambda: account_import(user=director, content=content, filename="a.csv"),
        lambda: activity_import(user=director, content=content, filename="a.csv"),
        lambda: calendar_run(user=director, content=content, now=NOW),
    ):
        with pytest.raises(ImportLimitError) as exc:
            run()
        assert exc.value.status == 413 and "KAM_MAX_UPLOAD_BYTES" in exc.value.message


def test_the_calendar_command_refuses_a_large_file_with_exit_2(  # type: ignore[no-untyped-def]
    kam_user, settings, tmp_path, capsys
):
    from kam.cli import main

    settings.KAM_MAX_UPLOAD_BYTES = 100
    path = tmp_path / "big.ics"
    path.write_bytes(SECONDLY)
    assert main(["calendar-import", str(path), "--user", kam_user.username]) == 2
    assert "KAM_MAX_UPLOAD_BYTES" in capsys.readouterr().err


# --- time budget ---------------------------------------------------------------------------


def test_an_import_over_its_time_budget_is_stopped_naming_the_setting(director, settings):  # type: ignore[no-untyped-def]
    settings.KAM_IMPORT_SECONDS = 0
    content = b"external_id,name,country\n" + b"".join(
        f"C{n},Name {n},NL\n".encode() for n in range(200)
    )
    with pytest.raises(ImportLimitError) as exc:
        account_import(user=director, content=content, filename="a.csv")
    assert "KAM_IMPORT_SECONDS" in exc.value.message
    assert Account.objects.count() == 0


def test_the_deadline_passes_while_there_is_time():  # type: ignore[no-untyped-def]
    deadline = Deadline(3600)
    for _ in range(1_000):
        deadline.check()


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1850-06-01"])
def test_activity_dates_outside_the_plausible_years_are_refused(kam_user, day):  # type: ignore[no-untyped-def]
    AccountFactory(owner=kam_user, external_id="A1")
    content = (f"date,account,duration_minutes,type,participants\n{day},A1,30,call,kam1\n").encode()
    with pytest.raises(ImportRefused) as exc:
        activity_import(user=kam_user, content=content, filename="a.csv")
    text = str(exc.value.report[0])
    assert "row 2" in text and "date" in text and "1900 to 2100" in text
    assert Activity.objects.count() == 0


# --- the commands: the same years, the same columns ----------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_kam_clv_refuses_impossible_years_naming_row_and_field(tmp_path, capsys, day):  # type: ignore[no-untyped-def]
    from kam.cli import main

    path = tmp_path / "t.csv"
    path.write_text(f"account,date,amount\nA,2024-01-05,100\nB,{day},10\n")
    argv = ["--calibration-end", "2024-06-30", "--horizon-weeks", "4"]
    status = main(["clv", "--transactions", str(path), *argv])
    err = capsys.readouterr().err
    assert status == 2
    assert f"row 3, field date: '{day}' is outside the years 1900 to 2100" in err


def test_kam_facts_refuses_a_year_zero_parquet_file(tmp_path, capsys):  # type: ignore[no-untyped-def]
    import duckdb

    from kam.cli import main

    path = tmp_path / "lines.parquet"
    duckdb.connect().execute(
        "COPY (SELECT 'A' AS account_external_id, DATE '0000-01-01' AS invoice_date, "
        f"10.0 AS amount, 'EUR' AS currency) TO '{path}' (FORMAT parquet)"
    )
    status = main(["facts", "--transactions", str(path), "--as-of", "2026-06-30"])
    err = capsys.readouterr().err
    assert status == 2
    assert "invoice_date" in err and "1900" in err


def test_kam_classify_refuses_a_wide_scores_file_with_exit_2(tmp_path, capsys):  # type: ignore[no-untyped-def]
    from kam.cli import main
    from tests.test_cli_classify import SCHEME

    scheme = tmp_path / "scheme.toml"
    scheme.write_text(SCHEME)
    scores = tmp_path / "scores.csv"
    scores.write_text("account," + ",".join(f"c{n}" for n in range(300)) + "\nA,1\n")
    status = main(["classify", "--scheme", str(scheme), "--scores", str(scores)])
    err = capsys.readouterr().err
    assert status == 2
    assert "301 columns" in err and "KAM_IMPORT_MAX_COLUMNS" in err
    assert "Traceback" not in err


def test_the_calendar_period_keeps_to_the_plausible_years(kam_user):  # type: ignore[no-untyped-def]
    from kam.errors import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        calendar_run(
            user=kam_user,
            content=SECONDLY,
            period_start=dt.date(1, 1, 1),
            period_end=dt.date(1, 6, 1),
            now=NOW,
        )
    assert exc.value.field == "period_start" and "1900" in exc.value.message


def test_invoice_lines_have_a_size_limit_of_their_own(settings) -> None:  # type: ignore[no-untyped-def]
    """A file of invoice lines runs to hundreds of megabytes and is read by a job: it is held
    to KAM_MAX_LINES_UPLOAD_BYTES, every other upload to KAM_MAX_UPLOAD_BYTES."""
    from kam.imports.limits import ImportLimitError, upload_size_check

    settings.KAM_MAX_UPLOAD_BYTES = 1_000
    settings.KAM_MAX_LINES_UPLOAD_BYTES = 10_000
    upload_size_check(5_000, name="lines.csv", setting="KAM_MAX_LINES_UPLOAD_BYTES")
    with pytest.raises(ImportLimitError) as refused:
        upload_size_check(5_000, name="accounts.csv")
    assert "KAM_MAX_UPLOAD_BYTES" in refused.value.message
    with pytest.raises(ImportLimitError) as refused:
        upload_size_check(20_000, name="lines.csv", setting="KAM_MAX_LINES_UPLOAD_BYTES")
    assert "KAM_MAX_LINES_UPLOAD_BYTES" in refused.value.message


def test_the_invoice_lines_page_takes_a_file_above_the_general_limit(director, settings):  # type: ignore[no-untyped-def]
    settings.KAM_MAX_UPLOAD_BYTES = 100_000
    big = SimpleUploadedFile("lines.csv", b"x" * 1_200_000, content_type="text/csv")
    page = client_for(director).post(reverse("economics:import"), {"file": big})
    assert page.status_code != 413
    settings.KAM_MAX_LINES_UPLOAD_BYTES = 100_000
    big.seek(0)
    page = client_for(director).post(reverse("economics:import"), {"file": big})
    assert page.status_code == 413
    assert "KAM_MAX_LINES_UPLOAD_BYTES" in page.content.decode()
