"""Broken variants of the corpus files (a line dropped, doubled, cut short, a property added,
a colon turned into a semicolon) never crash the calendar import: each gives an import or a
refusal whose problems are one clear line each. Seeded, so every run tries the same files."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from kam.activities.calendar import CalendarImportError, calendar_run
from kam.errors import ApplicationError
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent.parent / "data" / "calendars"
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
INSERTS = [
    "RECURRENCE-ID;RANGE=THISANDFUTURE:20200101T100000Z",
    "RRULE:FREQ=DAILY;COUNT=3",
    "DTSTART;VALUE=DATE:20200101",
    "ORGANIZER:mailto:x@example.com",
    "ATTENDEE;PARTSTAT=DECLINED:mailto:y@example.com",
    "STATUS:CANCELLED",
    "EXDATE:20200101T100000Z",
    "DTEND:20190101T100000Z",
    "UID:",
    "RDATE:20200105T100000Z",
]


def mutate(rnd: random.Random, text: str) -> str:
    lines = text.splitlines()
    j = rnd.randrange(1, len(lines) - 1)
    match rnd.randrange(5):
        case 0:
            del lines[j]
        case 1:
            lines.insert(j, lines[j])
        case 2:
            lines[j] = lines[j][: rnd.randrange(len(lines[j]) + 1)]
        case 3:
            lines.insert(j, rnd.choice(INSERTS))
        case _:
            lines[j] = lines[j].replace(":", ";", 1)
    return "\r\n".join(lines) + "\r\n"


def test_broken_variants_never_crash(kam_user):  # type: ignore[no-untyped-def]
    AccountFactory(owner=kam_user, name="C", email_domains=["example.com", "mozilla.com"])
    rnd = random.Random(7)
    files = [f for f in sorted(CORPUS.rglob("*.ics")) if f.stat().st_size < 8000]
    texts = [f.read_bytes().decode("utf-8", "replace") for f in files]
    texts = [t for t in texts if len(t.splitlines()) >= 3]
    outcomes = {"imported": 0, "refused": 0}
    for _ in range(200):
        content = mutate(rnd, rnd.choice(texts))
        for start, end in ((None, None), (dt.date(2020, 1, 1), dt.date(2020, 12, 31))):
            try:
                calendar_run(
                    user=kam_user, content=content, period_start=start, period_end=end, now=NOW
                )
                outcomes["imported"] += 1
            except CalendarImportError as exc:
                outcomes["refused"] += 1
                for problem in exc.report:
                    text = str(problem)
                    assert text.strip() and "\n" not in text and "b'" not in text
            except ApplicationError as exc:
                outcomes["refused"] += 1
                assert exc.message
    # Both kinds happened: the variants were neither all harmless nor all fatal.
    assert outcomes["imported"] > 50 and outcomes["refused"] > 50, outcomes
