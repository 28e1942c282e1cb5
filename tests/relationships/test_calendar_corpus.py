"""Every .ics file of the corpus (tests/data/calendars: the test suites of public calendar
libraries, and hand-written regressions) through the calendar import: no crash, with or without
a period, and for the manifest's fixed period the count that make_manifest.py computed with
icalendar and recurring_ical_events directly (not through kam), or a refusal naming the reason.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.activities.calendar import CalendarImportError, calendar_run
from kam.activities.models import Activity
from kam.errors import ApplicationError
from tests.factories import AccountFactory
from tests.relationships.test_api import token_client

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent.parent / "data" / "calendars"
MANIFEST: dict[str, dict] = json.loads((CORPUS / "manifest.json").read_text())  # type: ignore[type-arg]
_spec = importlib.util.spec_from_file_location("make_manifest", CORPUS / "make_manifest.py")
assert _spec is not None and _spec.loader is not None
make_manifest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_manifest)
NOW = make_manifest.NOW
CUSTOMER_DOMAINS = make_manifest.CUSTOMER_DOMAINS  # their meetings become activities

#: What a refusal's report must say for each kind of refusal in the manifest.
REASON_WORDS = {
    "not-ical": "not an iCalendar (.ics) file",
    "read": "The calendar cannot be read",
    "limit": "occurrences",
}


def period(entry: dict) -> tuple[dt.date, dt.date]:  # type: ignore[type-arg]
    start, end = entry["period"]
    return dt.date.fromisoformat(start), dt.date.fromisoformat(end)


def assert_clear(problems: list[str]) -> None:
    assert problems
    for text in problems:
        assert text.strip() and "\n" not in text
        assert "b'" not in text and 'b"' not in text and "Traceback" not in text


def names_reason(exc: CalendarImportError, reason: str) -> bool:
    """The refusal says what the manifest says: its kind, or the field (DTSTART, RRULE, ...)."""
    if reason in REASON_WORDS:
        return any(REASON_WORDS[reason] in str(p) for p in exc.report)
    return any(
        p.column == reason and (reason in str(p) or "recurrences cannot be expanded" in str(p))
        for p in exc.report
    )


def test_the_corpus_is_big_enough() -> None:
    assert len(MANIFEST) >= 100
    assert sum(1 for e in MANIFEST.values() if e["expected"] == "imported") >= 100
    assert sum(1 for e in MANIFEST.values() if e.get("hand_checked")) >= 12
    assert set(MANIFEST) == {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*.ics")}


@pytest.fixture
def customer(kam_user):  # type: ignore[no-untyped-def]
    kam_user.email = "kam1@supplier.example"
    kam_user.save()
    return AccountFactory(owner=kam_user, name="Corpus", email_domains=CUSTOMER_DOMAINS)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_corpus_file(kam_user, customer, name):  # type: ignore[no-untyped-def]
    entry = MANIFEST[name]
    content = (CORPUS / name).read_bytes()
    start, end = period(entry) if "period" in entry else (None, None)
    if entry["expected"] == "imported":
        summary = calendar_run(
            user=kam_user, content=content, period_start=start, period_end=end, now=NOW
        )
        assert summary.occurrences == entry["occurrences"]
        held = summary.occurrences - summary.cancelled - summary.all_day - summary.not_held_yet
        assert held == entry["meetings"]
        assert summary.created == entry["activities"]
        assert Activity.objects.count() == summary.created
        again = calendar_run(
            user=kam_user, content=content, period_start=start, period_end=end, now=NOW
        )
        assert (again.created, again.unchanged) == (0, summary.created)
        CREATED[name] = summary.created
    else:
        with pytest.raises(CalendarImportError) as exc:
            calendar_run(
                user=kam_user, content=content, period_start=start, period_end=end, now=NOW
            )
        problems = [str(p) for p in exc.value.report]
        assert_clear(problems)
        assert names_reason(exc.value, entry["reason"]), problems
    # Without a period (the default on the page, API and command line): never a crash.
    try:
        calendar_run(user=kam_user, content=content, now=NOW)
    except CalendarImportError as exc:
        assert_clear([str(p) for p in exc.report])
        if entry["expected"] == "refused" and entry["reason"] != "limit":
            assert names_reason(exc, entry["reason"])
    except ApplicationError as exc:
        assert_clear([exc.message])


CREATED: dict[str, int] = {}

SAMPLE = sorted(MANIFEST)[::25]


@pytest.mark.parametrize("name", SAMPLE)
def test_corpus_sample_through_cli_and_api(kam_user, tmp_path, capsys, name):  # type: ignore[no-untyped-def]
    from kam.cli import main

    entry = MANIFEST[name]
    path = CORPUS / name
    span = ["--from", entry["period"][0], "--to", entry["period"][1]] if "period" in entry else []
    for extra in (span, []):
        code = main(["calendar-import", str(path), "--user", "kam1", *extra])
        out = capsys.readouterr()
        assert "Traceback" not in out.err
        if entry["expected"] == "imported":
            assert code == 0, out.err
        elif extra or entry["reason"] != "limit":
            assert code == 2, out.err
        else:
            assert code in (0, 2)
        if code == 2:
            assert out.err.strip() and all(
                line.startswith(f"{path}: ") for line in out.err.strip().splitlines()
            )
    client = token_client(kam_user)
    given = entry.get("period")
    with_period = {"period_start": given[0], "period_end": given[1]} if given else {}
    for data in (with_period, {}):
        upload = SimpleUploadedFile(path.name, path.read_bytes())
        response = client.post("/api/relationships/calendar/import", {"file": upload, **data})
        assert response.status_code in (200, 422), response.content
        if data or entry.get("reason") != "limit":
            expected = 200 if entry["expected"] == "imported" else 422
            assert response.status_code == expected, response.content


def test_zz_corpus_made_activities() -> None:
    """Runs after the files (when they ran in this process): the files that make activities
    did, so the re-import check above was not only about empty imports. Under xdist a
    process runs only part of the corpus, so the count is of the files it ran."""
    if len(CREATED) < 50:
        pytest.skip("the corpus files did not run in this process")
    makers = [n for n, e in MANIFEST.items() if e["expected"] == "imported" and e["activities"]]
    assert len(makers) >= 5, "the corpus has files that make activities"
    ran = [n for n in makers if n in CREATED]
    print(f"corpus: {len(ran)} files made {sum(CREATED[n] for n in ran)} activities")
    assert all(CREATED[n] > 0 for n in ran)
