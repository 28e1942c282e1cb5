"""Write manifest.json: what kam's calendar import must make of every .ics file here.

Run from the repository root: ``.venv/bin/python tests/data/calendars/make_manifest.py``.

The expectations are computed WITHOUT kam's code: the file is read with ``icalendar`` and
expanded with ``recurring_ical_events`` directly, following the rules in
docs/relationships.md ("Calendar import"):

- a file is refused when it is not an iCalendar file, cannot be parsed, or has an event whose
  start is missing, given twice or unreadable, or whose end, duration, recurrence id, rule,
  RDATE or EXDATE cannot be read, or whose recurrences cannot be expanded, or that repeats
  more than 50,000 times up to the end of the period;
- otherwise ``occurrences`` is the number of occurrences in the period and ``meetings`` those
  that start at a time (not all-day), are not cancelled and started before NOW;
  ``activities`` counts the different meetings (UID and RECURRENCE-ID, else start) among
  those that have an organiser or an attendee who did not decline at CUSTOMER_DOMAINS.

The period of a file is fixed: from its first start, one year (366 days), ending no later
than NOW's date. Files listed in HAND_CHECKED were counted by hand from the file's text; the
script stops when its count disagrees with the hand count.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import signal
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

HERE = Path(__file__).parent
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
LOCAL = ZoneInfo("Europe/Amsterdam")  # kam's default TIME_ZONE, the tests' too
LIMIT = 50_000
#: The attendees' domains in the corpus; the test gives them to one account, so a meeting
#: with any of them (organiser or attendee who did not decline) becomes an activity.
CUSTOMER_DOMAINS = [
    "example.com",
    "example.org",
    "mozilla.com",
    "gmail.com",
    "googlemail.com",
    "domain.tld",
    "xs4all.nl",
    "daxlab.com",
    "yahoo.com",
    "bar.com",
    "baz.com",
    "yyy.zzz",
]

#: path: (occurrences, meetings, how it was counted by hand)
HAND_CHECKED: dict[str, tuple[int, int, str]] = {
    "regressions/several_rrules.ics": (8, 8, "4 Mondays + 4 Thursdays in January 2026"),
    "regressions/this_and_future.ics": (10, 10, "weekly COUNT=10; the edit moves 5, drops none"),
    "regressions/no_uid.ics": (3, 3, "three single timed events"),
    "regressions/utf8_bom.ics": (1, 1, "one timed event"),
    "regressions/utf16_bom.ics": (1, 1, "one timed event"),
    "regressions/cp1252.ics": (1, 1, "one timed event"),
    "recurring-ical-events/issue_75_range_parameter.ics": (
        184,
        184,
        "every 2nd day from 1 Sep 2024 12:00Z: 183 starts up to 31 Aug 2025, + RDATE 14 Sep;"
        " the THISANDFUTURE edits move starts by -3h and +1d2h22m, the last (31 Aug) lands"
        " on 1 Sep 2025, still in the period",
    ),
    "icalendar/issue_722_timezone_transition_ambiguity.ics": (4, 4, "four single timed events"),
    "ical.js/rdate_exdate.ics": (3, 3, "DAILY COUNT=4 from 9 June 2024, EXDATE 11 June"),
    "icalendar/issue_1081_event_with_rrule.ics": (10, 10, "DAILY COUNT=10 from 1 Jan 2025"),
    "recurring-ical-events/duration.ics": (3, 2, "one all-day (P3D), two timed events"),
    "recurring-ical-events/issue_128_only_first_event.ics": (
        7,
        0,
        "all-day, every 4th Monday 2 Oct 2023 to 31 Mar 2024: Oct 2, Oct 30, Nov 27, Dec 25,"
        " Jan 22, Feb 19, Mar 18",
    ),
    "icalendar/issue_466_convert_tzid_with_slash.ics": (
        53,
        53,
        "weekly on Friday from Fri 21 Oct 2022; period to Sat 21 Oct 2023: 52 weeks + 1",
    ),
    "ical.js/recur_instances_finite.ics": (
        5,
        5,
        "first Tuesday monthly 2 Oct to 31 Dec 2012 (Oct 2, Nov 6, Dec 4) + RDATE Nov 5 and"
        " Nov 10; organiser at mozilla.com, so 5 activities",
    ),
    "recurring-ical-events/duplicated_rrule.ics": (
        20,
        20,
        "the same RRULE twice (Thursdays, COUNT=20): 20 occurrences, 12 Jan to 25 May 2023",
    ),
}


def decode(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8", "replace")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", "replace").lstrip("\ufeff")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace")


def values(component: Any, name: str) -> list[Any]:
    value = component.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def local_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=LOCAL)
        return value.astimezone(LOCAL).date()
    return value  # type: ignore[no-any-return]


def customer_present(occurrence: Any) -> bool:
    people = values(occurrence, "ORGANIZER") + [
        a
        for a in values(occurrence, "ATTENDEE")
        if str(a.params.get("PARTSTAT", "")).upper() != "DECLINED"
    ]
    for person in people:
        address = str(person).strip()
        if address.lower().startswith("mailto:"):
            address = address[7:]
        address = address.strip().lower()
        if "@" in address and address.rsplit("@", 1)[1] in CUSTOMER_DOMAINS:
            return True
    return False


class Refused(Exception):
    pass


def check_event(event: Any) -> None:
    starts = values(event, "DTSTART")
    if len(starts) != 1:
        raise Refused("DTSTART")
    for name in ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID"):
        found = values(event, name)
        if len(found) > 1:
            raise Refused(name)
        for v in found:
            try:
                v.dt  # noqa: B018
            except Exception:
                raise Refused(name) from None
    for name in ("RDATE", "EXDATE"):
        for v in values(event, name):
            try:
                v.dts  # noqa: B018
            except Exception:
                raise Refused(name) from None
    for rule in values(event, "RRULE"):
        try:
            if not rule.get("FREQ"):
                raise Refused("RRULE")
        except Refused:
            raise
        except Exception:
            raise Refused("RRULE") from None
    if len(values(event, "UID")) > 1:
        raise Refused("UID")


def _timeout(signum: int, frame: Any) -> None:
    raise Refused("limit")


def expected(path: Path) -> dict[str, Any]:
    text = decode(path.read_bytes())
    if "BEGIN:VCALENDAR" not in text.lstrip()[:4096].upper():
        return {"expected": "refused", "reason": "not-ical"}
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
        if not calendars:
            raise ValueError("empty")
    except Exception:
        return {"expected": "refused", "reason": "read"}
    starts: list[dt.date] = []
    try:
        n = 0
        for calendar in calendars:
            for event in calendar.walk("VEVENT"):
                check_event(event)
                n += 1
                if not values(event, "UID"):
                    event.add("UID", f"manifest-{n}")  # each UID-less event on its own
                starts.append(local_date(event["DTSTART"].dt))
    except Refused as exc:
        return {"expected": "refused", "reason": str(exc)}
    today = NOW.astimezone(LOCAL).date()
    first = min(starts) if starts else today
    end = min(first + dt.timedelta(days=365), today)
    start = max(first, end - dt.timedelta(days=365))
    if start > end:
        start = end
    occurrences = meetings = 0
    activities: set[tuple[str, str]] = set()
    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(60)
    try:
        for calendar in calendars:
            for occ in recurring_ical_events.of(calendar).between(
                start, end + dt.timedelta(days=1)
            ):
                occurrences += 1
                begin = occ["DTSTART"].dt
                if str(occ.get("STATUS", "")).upper() == "CANCELLED":
                    continue
                if not isinstance(begin, dt.datetime):
                    continue
                if begin.tzinfo is None:
                    begin = begin.replace(tzinfo=LOCAL)
                if begin > NOW:
                    continue
                meetings += 1
                if customer_present(occ):
                    rid = occ.get("RECURRENCE-ID")
                    when = rid.dt if rid is not None else occ["DTSTART"].dt
                    if isinstance(when, dt.datetime) and when.tzinfo is None:
                        when = when.replace(tzinfo=LOCAL)
                    if isinstance(when, dt.datetime):
                        when = when.astimezone(dt.UTC)
                    activities.add((str(occ.get("UID")), when.isoformat()))
    except Refused:
        return {"expected": "refused", "reason": "limit", "period": [str(start), str(end)]}
    except Exception:
        return {"expected": "refused", "reason": "RRULE", "period": [str(start), str(end)]}
    finally:
        signal.alarm(0)
    if occurrences > LIMIT:
        return {"expected": "refused", "reason": "limit", "period": [str(start), str(end)]}
    return {
        "expected": "imported",
        "period": [str(start), str(end)],
        "occurrences": occurrences,
        "meetings": meetings,
        "activities": len(activities),
    }


def main() -> int:
    manifest: dict[str, Any] = {}
    disagreements = []
    for path in sorted(HERE.rglob("*.ics")):
        key = str(path.relative_to(HERE))
        entry = expected(path)
        if key in HAND_CHECKED:
            occ, meet, note = HAND_CHECKED[key]
            entry["hand_checked"] = note
            if (entry.get("occurrences"), entry.get("meetings")) != (occ, meet):
                disagreements.append((key, entry, occ, meet))
        manifest[key] = entry
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    for key, entry, occ, meet in disagreements:
        print(f"{key}: script {entry}, by hand {occ}/{meet}", file=sys.stderr)
    kinds: dict[str, int] = {}
    for entry in manifest.values():
        kinds[entry["expected"]] = kinds.get(entry["expected"], 0) + 1
    print(f"{len(manifest)} files: {kinds}")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
