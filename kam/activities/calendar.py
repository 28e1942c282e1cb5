"""Calendar import: iCalendar (.ics) files from Outlook or Google Calendar become activities
(kept beside the activities import; the ``CalendarImport`` record and the contacts it matches
are in kam.relationships).

docs/method.md section 3 ("Contact matrix ... derived from activities where possible").

Rules (docs/relationships.md, "Calendar import"):

- the file is parsed with ``icalendar``; recurring events are expanded with
  ``recurring-ical-events`` within the period the user picks (RRULE, RDATE, EXDATE, and
  instances moved with RECURRENCE-ID). The default period is the file's span, ending no
  later than today and capped to one year; occurrences that have not started yet are not
  activities (they are counted as "not held yet" and come in on a later import);
- times with a TZID (and the file's VTIMEZONE), UTC times ('Z') and floating times (read in
  kam's time zone, ``TIME_ZONE``) all land on the local calendar date;
- **all-day events are not meetings** (fairs, holidays, out-of-office): they are skipped and
  counted; cancelled events and attendees who declined are left out too;
- attendees and the organiser are matched by e-mail address, without regard to case or a
  ``mailto:`` prefix: our people by their user e-mail, the customer's by their contact
  e-mail, and other addresses by the account's e-mail domains. The event goes to the account
  with the most matched customer attendees (ties: the account first by name) among the
  accounts the importing user may read; events without any customer attendee (internal
  meetings) are skipped. Our matched people are the participants (the organiser too); when
  none matches, the importing user is the participant (it is their calendar);
- the file is read as UTF-8 (BOM or not), UTF-16 (BOM or not) or else Windows-1252;
- an occurrence's ``external_uid`` is ``ics:<UID>`` for a single event and
  ``ics:<UID>/<original start in UTC>`` for an occurrence of a recurring one (the
  RECURRENCE-ID, so a moved instance keeps its id; after a THISANDFUTURE edit each later
  occurrence keeps its own original start); an event without UID gets one derived from
  its content (``_derived_uid``): importing the same file again creates nothing; it only
  attaches contacts that were mapped since;
- an event names the plan objective or value proposition it is about with a tag
  ``#obj-<code>`` in its summary or description (``kam.plans.conversations``; the code
  is on the plan's conversation grid). The tag is looked up on the plan of the event's
  account for the occurrence's date (else its current plan) and left out of the topic; a
  tag that names nothing there, or two different tags on one event, refuses the file
  with the event, the property and the reason. A re-run ties an earlier imported meeting
  that is tied to nothing yet;
- customer attendees without a contact are listed as unmatched, with their name when the
  file gives one (CN), for the user to map to a contact (new or existing) or to an account
  domain before running the file again;
- one file is one transaction: a broken file or event writes nothing and reports every
  problem, naming the event (number, line, UID, summary), the property and the reason;
  every event is checked before the period is chosen or anything expanded, and a series
  that would need more than MAX_SERIES_STEPS occurrences to reach the period's end is
  refused before it is expanded.
"""

from __future__ import annotations

import ast
import codecs
import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.accounts.selectors import account_list_visible
from kam.activities.models import MAX_DURATION_MINUTES, Activity, ActivityType
from kam.activities.selectors import activity_may_log
from kam.activities.services import activities_bulk_insert
from kam.errors import ApplicationError, require
from kam.imports.limits import Deadline, date_check, limit, upload_size_check
from kam.imports.problems import ImportProblem, ImportRefused
from kam.plans.conversations import ObjectiveIndex, tags_in, tags_strip
from kam.relationships.models import CalendarImport, Contact
from kam.relationships.services import (
    account_domains_set,
    contact_create,
    contact_update,
    email_clean,
)

#: The longest period one import may span (days).
MAX_PERIOD_DAYS = 366
MAX_OCCURRENCES = 50_000
#: One recurring series may need at most this many occurrences from its first one to the end
#: of the period (the expansion walks them all); a file at most MAX_EXPANSION_STEPS in all.
MAX_SERIES_STEPS = 50_000
MAX_EXPANSION_STEPS = 500_000


class CalendarImportError(ImportRefused):
    """A calendar file refused whole; ``report`` lists every problem (event, field, reason)."""


@dataclass
class Unmatched:
    """A customer-side address no contact has, how often it appeared, and its domain's account."""

    address: str
    name: str = ""
    events: int = 0
    account_id: int | None = None
    account_name: str = ""


@dataclass
class CalendarSummary:
    """What one run of a calendar file did."""

    period_start: dt.date
    period_end: dt.date
    occurrences: int = 0
    created: int = 0
    unchanged: int = 0
    contacts_attached: int = 0
    objectives_tied: int = 0
    all_day: int = 0
    cancelled: int = 0
    internal: int = 0
    not_held_yet: int = 0
    capped: int = 0
    accounts: dict[str, int] = field(default_factory=dict)
    unmatched: list[Unmatched] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "occurrences": self.occurrences,
            "created": self.created,
            "unchanged": self.unchanged,
            "contacts_attached": self.contacts_attached,
            "objectives_tied": self.objectives_tied,
            "all_day": self.all_day,
            "cancelled": self.cancelled,
            "internal": self.internal,
            "not_held_yet": self.not_held_yet,
            "capped": self.capped,
            "accounts": self.accounts,
            "unmatched": [u.__dict__ for u in self.unmatched],
        }


# --- reading the file ----------------------------------------------------------------------------


def _local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _aware(value: dt.datetime) -> dt.datetime:
    """A floating time (no TZID, no Z) is read in kam's time zone."""
    if value.tzinfo is None:
        return value.replace(tzinfo=_local_tz())
    return value


_BYTES_REPR = re.compile(r"""\bb(['"])((?:\\.|(?!\1).)*)\1""")


def _readable(error: object, limit: int = 200) -> str:
    """An error message on one line, with ``b'...'`` byte quotes shown as the decoded text."""

    def decode(match: re.Match[str]) -> str:
        try:
            raw: bytes = ast.literal_eval(match.group(0))
        except (ValueError, SyntaxError):
            return match.group(0)
        return "'" + raw.decode("utf-8", errors="replace") + "'"

    text = " ".join(_BYTES_REPR.sub(decode, str(error)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _refuse(reason: str, field_name: str = "") -> CalendarImportError:
    return CalendarImportError([ImportProblem(None, field_name, reason)])


def ics_decode(content: bytes | str) -> str:
    """The file's text: UTF-8 (with or without BOM), UTF-16 (BOM, or without one but with the
    zero bytes of ASCII text), else Windows-1252 / Latin-1 as older calendar programs write."""
    upload_size_check(len(content), name=_("The calendar file"))
    if isinstance(content, str):
        return content.removeprefix("\ufeff")
    if content.startswith(codecs.BOM_UTF8):
        return content[3:].decode("utf-8", errors="replace")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16", errors="replace").removeprefix("\ufeff")
    head = content[:200]
    if len(head) >= 2 and head.count(0) * 3 >= len(head):
        # UTF-16 without a BOM: every other byte of ASCII text is zero.
        even_zeros = head[0::2].count(0)
        odd_zeros = head[1::2].count(0)
        return content.decode("utf-16-be" if even_zeros > odd_zeros else "utf-16-le", "replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def ics_parse(content: bytes | str) -> icalendar.Calendar:
    """The calendar in ``content``, or a refusal that says why it is not an iCalendar file."""
    text = ics_decode(content)
    if "BEGIN:VCALENDAR" not in text.lstrip()[:4096].upper():
        raise _refuse(
            _(
                "This is not an iCalendar (.ics) file: it does not start with "
                "BEGIN:VCALENDAR. Export the calendar from Outlook or Google Calendar "
                "as .ics."
            )
        )
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
        if not calendars:
            raise ValueError(_("the file has no calendar in it."))
        if len(calendars) == 1:
            return calendars[0]
        # Some programs write several calendars into one file: read them as one.
        merged = icalendar.Calendar()
        for name, value in calendars[0].property_items(recursive=False)[1:-1]:
            merged.add(name, value)
        for part in calendars:
            for component in part.subcomponents:
                merged.add_component(component)
        return merged
    except Exception as exc:  # the parser raises many types for broken files
        raise _refuse(
            _("The calendar cannot be read: %(error)s") % {"error": _readable(exc)}
        ) from None


def _event_lines(text: str) -> list[int]:
    """The line number of every BEGIN:VEVENT, in the order the events are walked."""
    return [
        n
        for n, line in enumerate(re.split(r"\r\n|\n|\r", text), start=1)
        if line.strip().upper() == "BEGIN:VEVENT"
    ]


def _one(event: Any, name: str) -> Any:
    """The event's property ``name``: the first when it is (wrongly) given more than once."""
    value = event.get(name)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _many(event: Any, name: str) -> list[Any]:
    value = event.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _event_label(event: Any, number: int, line: int | None = None) -> str:
    """How a refusal names an event: its number and line in the file, UID and summary."""
    line = line or getattr(event, "kam_line", None)
    summary = " ".join(str(_one(event, "SUMMARY") or "").split())[:80]
    uid = str(_one(event, "UID") or "")[:80]
    details = [_("line %(n)d") % {"n": line}] if line else []
    if uid and not uid.startswith("kam-derived-"):
        details.append(_("UID %(uid)s") % {"uid": uid})
    details.append(f'"{summary}"' if summary else _("no summary"))
    return _("event %(n)d (%(details)s)") % {"n": number, "details": ", ".join(details)}


def _derived_uid(event: Any) -> str:
    """A stable identity for an event without UID: a hash of what it says (the same file gives
    the same identity every time; a changed start or summary gives a new one)."""
    digest = hashlib.sha256()
    for name in (
        "DTSTART",
        "DTEND",
        "DURATION",
        "SUMMARY",
        "ORGANIZER",
        "LOCATION",
        "RRULE",
        "RDATE",
        "RECURRENCE-ID",
    ):
        for value in _many(event, name):
            try:
                raw = value.to_ical()
            except Exception:  # a broken value still has its text
                raw = str(value).encode()
            raw = raw if isinstance(raw, bytes) else str(raw).encode()
            digest.update(name.encode() + b":" + raw + b"\x1f")
    return "kam-derived-" + digest.hexdigest()[:32]


def _event_problems(calendar: icalendar.Calendar, text: str) -> list[ImportProblem]:
    """Every event that cannot be read, named by its line, UID and summary; events without
    UID get a derived one (``_derived_uid``)."""
    events = list(calendar.walk("VEVENT"))
    lines = _event_lines(text)
    if len(lines) != len(events):
        lines = []
    problems: list[ImportProblem] = []
    for number, event in enumerate(events, start=1):
        if lines:
            event.kam_line = lines[number - 1]  # type: ignore[attr-defined]
        label = _event_label(event, number)

        def problem(name: str, reason: str, label: str = label) -> None:
            problems.append(
                ImportProblem(
                    None,
                    name,
                    _("%(event)s: %(field)s %(reason)s")
                    % {"event": label, "field": name, "reason": reason},
                )
            )

        uids = _many(event, "UID")
        if len(uids) > 1:
            problem("UID", _("is given %(n)d times.") % {"n": len(uids)})
        elif not uids or not str(uids[0]).strip():
            event.pop("UID", None)
            event.add("UID", _derived_uid(event))
        starts = _many(event, "DTSTART")
        if not starts:
            problem("DTSTART", _("is missing: the event has no start."))
        elif len(starts) > 1:
            problem("DTSTART", _("is given %(n)d times.") % {"n": len(starts)})
        for name in ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID"):
            values = _many(event, name)
            if name != "DTSTART" and len(values) > 1:
                problem(name, _("is given %(n)d times.") % {"n": len(values)})
                continue
            for value in values:
                try:
                    read = value.dt
                except Exception as exc:
                    problem(name, _("cannot be read: %(e)s") % {"e": _readable(exc)})
                    continue
                if name != "DURATION" and not isinstance(read, dt.date):
                    problem(name, _("is not a date or a date with a time."))
        for name in ("RDATE", "EXDATE"):
            for value in _many(event, name):
                try:
                    value.dts  # noqa: B018
                except Exception as exc:
                    problem(name, _("cannot be read: %(e)s") % {"e": _readable(exc)})
        for value in _many(event, "RRULE"):
            try:
                if not value.get("FREQ"):
                    problem("RRULE", _("has no FREQ."))
            except Exception as exc:
                problem("RRULE", _("cannot be read: %(e)s") % {"e": _readable(exc)})
    return problems


def _start_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return _aware(value).astimezone(_local_tz()).date()
    return value  # type: ignore[no-any-return]


def _rule_end(rule: Any) -> dt.date | None:
    """The last day a rule may reach (its UNTIL), or None when it has none or it is unreadable."""
    try:
        until = rule.get("UNTIL")
        return _start_date(until[0]) if until else None
    except Exception:  # a broken rule was reported by _event_problems
        return None


def ics_span(calendar: icalendar.Calendar) -> tuple[dt.date, dt.date] | None:
    """The first and last day the file's events touch (an open-ended series counts as one year)."""
    first: dt.date | None = None
    last: dt.date | None = None
    for event in calendar.walk("VEVENT"):
        try:
            day = _start_date(_one(event, "DTSTART").dt)
        except Exception:  # no or broken start: reported by _event_problems
            continue
        end_day = day
        for rule in _many(event, "RRULE"):
            end_day = max(end_day, _rule_end(rule) or day + dt.timedelta(days=MAX_PERIOD_DAYS))
        first = day if first is None or day < first else first
        last = end_day if last is None or end_day > last else last
    if first is None or last is None:
        return None
    return first, last


def period_default(
    calendar: icalendar.Calendar, *, today: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The file's span, ending no later than today, and at most one year long."""
    today = today or timezone.localdate()
    span = ics_span(calendar)
    if span is None:
        return today - dt.timedelta(days=MAX_PERIOD_DAYS - 1), today
    first, last = span
    end = min(last, today)
    start = max(first, end - dt.timedelta(days=MAX_PERIOD_DAYS - 1))
    if start > end:
        start = end
    return start, end


def period_clean(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """A period of at most one year that does not end after today, in the years every
    import accepts (``kam.imports.limits``)."""
    date_check(start, field="period_start")
    if end < start:
        raise ApplicationError(_("The period ends before it starts."), field="period_end")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ApplicationError(
            _("Import at most one year at a time (%(n)d days).") % {"n": MAX_PERIOD_DAYS},
            field="period_start",
        )
    if end > timezone.localdate():
        raise ApplicationError(
            _(
                "Meetings that have not happened yet are not activities; "
                "end the period today or earlier."
            ),
            field="period_end",
        )
    return start, end


def _addresses(event: Any) -> list[tuple[str, str, bool]]:
    """(address, name, is_organiser) of the organiser and every attendee who did not decline."""
    out: list[tuple[str, str, bool]] = []
    for organiser in _many(event, "ORGANIZER"):
        out.append((str(organiser), str(getattr(organiser, "params", {}).get("CN", "")), True))
    for a in _many(event, "ATTENDEE"):
        if not hasattr(a, "params"):
            continue
        if str(a.params.get("PARTSTAT", "")).upper() == "DECLINED":
            continue
        out.append((str(a), str(a.params.get("CN", "")), False))
    cleaned: list[tuple[str, str, bool]] = []
    seen: set[str] = set()
    for raw, name, organises in out:
        text = raw.strip()
        if text.lower().startswith("mailto:"):
            text = text[7:]
        text = text.strip().lower()
        if not text or "@" not in text or text in seen:
            continue
        seen.add(text)
        name = name.strip().strip('"')
        cleaned.append((text, "" if name.lower() == text else name, organises))
    return cleaned


#: Seconds between two steps of a rule (months and years at their shortest, so an estimate
#: errs on the high side).
_STEP_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}
_COARSER_THAN = {  # the frequencies a BY-part of this unit expands (gives several per step)
    "BYHOUR": {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"},
    "BYMINUTE": {"HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"},
    "BYSECOND": {"MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"},
}


def _values(rule: Any, part: str) -> list[Any]:
    values = rule.get(part)
    return list(values) if values else []


def _days_per_step(rule: Any, freq: str) -> int:
    """At most how many days one step of ``rule`` gives (its day-level BY-parts expand a
    week, a month or a year; for daily and finer rules they only limit)."""
    by_day = [str(d) for d in _values(rule, "BYDAY")]
    # "MO" is every Monday (at most 5 a month), "-1SU" one day
    per_month = len(_values(rule, "BYMONTHDAY")) or (
        sum(1 if any(c.isdigit() for c in d) else 5 for d in by_day) if by_day else 0
    )
    if freq == "YEARLY":
        if _values(rule, "BYYEARDAY"):
            return min(len(_values(rule, "BYYEARDAY")), 366)
        if _values(rule, "BYWEEKNO"):
            return min(len(_values(rule, "BYWEEKNO")) * 7, 366)
        months = len(_values(rule, "BYMONTH")) or (12 if per_month else 1)
        return min(months * max(per_month, 1), 366)
    if freq == "MONTHLY":
        return min(max(per_month, 1), 31)
    if freq == "WEEKLY":
        return min(max(len(by_day), 1), 7)
    return 1


def _rule_estimate(
    rule: Any, start: dt.datetime, until: dt.datetime, since: dt.datetime | None = None
) -> int:
    """At most how many occurrences ``rule`` of a series starting at ``start`` has before
    ``until`` (and from ``since`` on, when given): its steps (FREQ, INTERVAL, UNTIL, COUNT)
    times what each step may give (BY-parts finer than FREQ). Computed from the rule alone,
    before anything is expanded. Without ``since`` it is the work of the expansion, which
    walks from the series' first occurrence whatever the period."""
    freq = str(rule.get("FREQ", [""])[0]).upper()
    step = _STEP_SECONDS.get(freq)
    if step is None:
        return 0  # unknown rules are refused by the expansion itself
    interval = max(int((rule.get("INTERVAL") or [1])[0] or 1), 1)
    end = until
    rule_until = rule.get("UNTIL")
    if rule_until:
        value = rule_until[0]
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time.max)
        end = min(end, _aware(value))
    begin = max(start, since) if since is not None else start
    if end < begin:
        return 0
    seconds = (end - begin).total_seconds()
    steps = int(seconds // (step * interval)) + 1
    per_step = _days_per_step(rule, freq)
    for part, frequencies in _COARSER_THAN.items():
        if freq in frequencies:
            per_step *= max(len(_values(rule, part)), 1)
    count = rule.get("COUNT")
    if count and not any(k.startswith("BY") for k in rule):
        steps = min(steps, int(count[0]))
        return steps
    total = steps * per_step
    if count:
        # a step gives at least one occurrence when no BY-part limits it; else COUNT only
        # caps what is kept, not what is walked
        total = min(total, max(int(count[0]), 0) * per_step) if "BYSETPOS" not in rule else total
    return total


def _expansion_check(
    calendar: icalendar.Calendar, period_end: dt.date, period_start: dt.date | None = None
) -> None:
    """Refuse, before expanding anything, a series that would have more than
    ``KAM_IMPORT_MAX_OCCURRENCES`` occurrences in the period, or need more than
    MAX_SERIES_STEPS steps to reach the period's end, or a file that needs more than
    MAX_EXPANSION_STEPS in all (a FREQ=SECONDLY rule would otherwise run for hours)."""
    until = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time(), tzinfo=_local_tz())
    since = (
        dt.datetime.combine(period_start, dt.time(), tzinfo=_local_tz())
        if period_start is not None
        else None
    )
    most = limit("KAM_IMPORT_MAX_OCCURRENCES")
    events = list(calendar.walk("VEVENT"))
    total = 0
    problems: list[ImportProblem] = []
    for number, event in enumerate(events, start=1):
        rules = _many(event, "RRULE")
        if not rules:
            continue
        start = _one(event, "DTSTART").dt
        if not isinstance(start, dt.datetime):
            start = dt.datetime.combine(start, dt.time())
        start = _aware(start)
        steps = in_period = 0
        for rule in rules:
            try:
                steps += _rule_estimate(rule, start, until)
                in_period += _rule_estimate(rule, start, until, since)
            except Exception:  # a rule we cannot estimate: the expansion says
                continue
        total += steps
        label = _event_label(event, number)
        if in_period > most:
            problems.append(
                ImportProblem(
                    None,
                    "RRULE",
                    _(
                        "%(event)s: RRULE repeats too often: up to %(n)s occurrences in the "
                        "period (at most %(max)s per event, setting KAM_IMPORT_MAX_OCCURRENCES); "
                        "import a shorter period or export the calendar without this series."
                    )
                    % {"event": label, "n": f"{in_period:,}", "max": f"{most:,}"},
                )
            )
        elif steps > MAX_SERIES_STEPS:
            problems.append(
                ImportProblem(
                    None,
                    "RRULE",
                    _(
                        "%(event)s: RRULE repeats too often: about %(n)s occurrences from "
                        "its start to the end of the period (at most %(max)s); import a "
                        "shorter period or export the calendar without this series."
                    )
                    % {
                        "event": label,
                        "n": f"{steps:,}",
                        "max": f"{MAX_SERIES_STEPS:,}",
                    },
                )
            )
    if problems:
        raise CalendarImportError(problems)
    if total > MAX_EXPANSION_STEPS:
        raise _refuse(
            _(
                "The recurring events of this file need about %(n)s occurrences from their "
                "start to the end of the period (at most %(max)s); import a shorter period."
            )
            % {"n": f"{total:,}", "max": f"{MAX_EXPANSION_STEPS:,}"},
            "RRULE",
        )


def _expand(calendar: icalendar.Calendar, period_start: dt.date, period_end: dt.date) -> list[Any]:
    """Every occurrence in the period; when the library fails, each series is tried on its own
    so the refusal names the events it cannot expand."""
    end = period_end + dt.timedelta(days=1)
    try:
        return list(recurring_ical_events.of(calendar).between(period_start, end))
    except Exception as whole:  # the library raises many types for broken rules
        first_error = whole
    by_uid: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        by_uid[str(_one(event, "UID"))].append((number, event))
    problems: list[ImportProblem] = []
    for members in by_uid.values():
        single = icalendar.Calendar()
        for name, value in calendar.property_items(recursive=False):
            if name.startswith("X-WR-"):
                single.add(name, value)
        for zone in calendar.walk("VTIMEZONE"):
            single.add_component(zone)
        for _number, event in members:
            single.add_component(event)
        try:
            recurring_ical_events.of(single).between(period_start, end)
        except Exception as exc:
            number, event = members[0]
            problems.append(
                ImportProblem(
                    None,
                    "RRULE",
                    _("%(event)s: the recurrences cannot be expanded: %(e)s")
                    % {"event": _event_label(event, number), "e": _readable(exc)},
                )
            )
    if not problems:
        problems.append(
            ImportProblem(
                None,
                "RRULE",
                _("The recurrences cannot be expanded: %(e)s") % {"e": _readable(first_error)},
            )
        )
    raise CalendarImportError(problems)


def _original_start(occurrence: Any, shifts: dict[tuple[str, str], dt.timedelta]) -> Any:
    """The start an occurrence had in the series before it was edited (its identity).

    A "this and all future occurrences" edit (RECURRENCE-ID;RANGE=THISANDFUTURE) is handed
    on to every later occurrence with the edit's RECURRENCE-ID; each keeps its own identity
    by undoing the edit's shift: original = start - (edit's start - edit's RECURRENCE-ID).
    """
    rid = occurrence.get("RECURRENCE-ID")
    if rid is None:
        return None
    original = rid.dt
    if str(rid.params.get("RANGE", "")).upper() == "THISANDFUTURE":
        shift = shifts.get((str(occurrence.get("UID")), _stamp(original)))
        start = occurrence.get("DTSTART").dt
        if shift is not None and isinstance(start, type(original)):
            original = start - shift
    return original


def _future_shifts(calendar: icalendar.Calendar) -> dict[tuple[str, str], dt.timedelta]:
    """(UID, RECURRENCE-ID) of each THISANDFUTURE edit: how far it moved its occurrences."""
    shifts: dict[tuple[str, str], dt.timedelta] = {}
    for event in calendar.walk("VEVENT"):
        rid = _one(event, "RECURRENCE-ID")
        if rid is None or str(rid.params.get("RANGE", "")).upper() != "THISANDFUTURE":
            continue
        start = _one(event, "DTSTART").dt
        if type(start) is not type(rid.dt):
            continue
        a = _aware(start) if isinstance(start, dt.datetime) else start
        b = _aware(rid.dt) if isinstance(rid.dt, dt.datetime) else rid.dt
        shifts[(str(_one(event, "UID")), _stamp(rid.dt))] = a - b
    return shifts


def _stamp(original: dt.datetime | dt.date) -> str:
    if isinstance(original, dt.datetime):
        return _aware(original).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return original.strftime("%Y%m%d")


def _uid(uid: str, original: dt.datetime | dt.date | None) -> str:
    key = f"ics:{uid}"
    if original is not None:
        key = f"{key}/{_stamp(original)}"
    if len(key) > 255:
        key = "ics:sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


# --- the run -------------------------------------------------------------------------------------


@dataclass
class _Planned:
    uid: str
    account_id: int
    date: dt.date
    minutes: int
    topic: str
    participant_ids: list[int]
    contact_ids: list[int]
    contact_names: list[str]
    objective_codes: list[tuple[str, str]] = field(default_factory=list)  # (property, code)
    event_label: str = ""
    objective_id: int | None = None


def _objective_tags(occ: Any) -> list[tuple[str, str]]:
    """The ``#obj-`` codes an occurrence carries, with the property each is in."""
    out: list[tuple[str, str]] = []
    for name in ("SUMMARY", "DESCRIPTION"):
        for code in tags_in(str(_one(occ, name) or "")):
            if code not in {c for _n, c in out}:
                out.append((name, code))
    return out


def _objectives_resolve(planned: dict[str, _Planned]) -> list[ImportProblem]:
    """Tie each planned meeting to the objective its tag names; the problems of those whose
    tag names none (each event and code once)."""
    tagged = [p for p in planned.values() if p.objective_codes]
    if not tagged:
        return []
    index = ObjectiveIndex(p.account_id for p in tagged)
    problems: dict[tuple[str, str], ImportProblem] = {}

    def problem(p: _Planned, name: str, reason: str) -> None:
        problems.setdefault(
            (p.event_label, reason),
            ImportProblem(
                None,
                name,
                _("%(event)s: %(field)s %(reason)s")
                % {"event": p.event_label, "field": name, "reason": reason},
            ),
        )

    for p in tagged:
        if len(p.objective_codes) > 1:
            problem(
                p,
                p.objective_codes[1][0],
                _("names %(n)d objectives (%(codes)s); a meeting is tied to one.")
                % {
                    "n": len(p.objective_codes),
                    "codes": ", ".join(f"#obj-{c}" for _n, c in p.objective_codes),
                },
            )
            continue
        name, code = p.objective_codes[0]
        try:
            p.objective_id = index.resolve(p.account_id, p.date, code).pk
        except LookupError as exc:
            problem(p, name, str(exc))
    return list(problems.values())


def calendar_run(
    *,
    user: User,
    content: bytes | str,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    now: dt.datetime | None = None,
) -> CalendarSummary:
    """Import the events of one .ics file within the period (see the module docstring)."""
    require(activity_may_log(user=user), _("Viewers cannot import calendars."))
    text = ics_decode(content)
    calendar = ics_parse(text)
    problems = _event_problems(calendar, text)
    if problems:
        raise CalendarImportError(problems)
    now = now or timezone.now()
    if period_start is None or period_end is None:
        default_start, default_end = period_default(
            calendar, today=now.astimezone(_local_tz()).date()
        )
        period_start = period_start or default_start
        period_end = period_end or default_end
    period_start, period_end = period_clean(period_start, period_end)
    summary = CalendarSummary(period_start=period_start, period_end=period_end)
    _expansion_check(calendar, period_end, period_start)
    recurring_uids = {
        str(_one(e, "UID"))
        for e in calendar.walk("VEVENT")
        if e.get("RRULE") or e.get("RDATE") or e.get("RECURRENCE-ID")
    }
    shifts = _future_shifts(calendar)
    numbers: dict[str, tuple[int, int | None]] = {}
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        numbers.setdefault(str(_one(event, "UID")), (number, getattr(event, "kam_line", None)))
    occurrences = _expand(calendar, period_start, period_end)
    if len(occurrences) > MAX_OCCURRENCES:
        raise _refuse(
            _("More than %(n)d meetings in the period; import a shorter period.")
            % {"n": MAX_OCCURRENCES}
        )

    # Reference data: a fixed number of queries whatever the file's size.
    UserModel = get_user_model()
    ours: dict[str, int] = {}
    our_domains: set[str] = set()
    for pk, email in (
        UserModel.objects.filter(is_active=True, profile__isnull=False)
        .exclude(email="")
        .values_list("pk", "email")
    ):
        ours[email.lower()] = pk
        our_domains.add(email.lower().rsplit("@", 1)[-1])
    visible = {
        pk: (name, domains or [])
        for pk, name, domains in account_list_visible(user=user).values_list(
            "pk", "name", "email_domains"
        )
    }
    domain_account: dict[str, int] = {}
    for pk, (_name, domains) in sorted(visible.items(), key=lambda kv: kv[1][0]):
        for d in domains:
            domain_account.setdefault(d.lower(), pk)
    contacts: dict[str, tuple[int, int]] = {}
    contact_names: dict[int, str] = {}
    for pk, email, account_id, name in (
        Contact.objects.filter(account_id__in=list(visible), erased_at=None)
        .exclude(email="")
        .values_list("pk", "email", "account_id", "name")
    ):
        contacts[email.lower()] = (pk, account_id)
        contact_names[pk] = name
    contact_account = dict(contacts.values())

    planned: dict[str, _Planned] = {}
    unmatched: dict[str, Unmatched] = {}
    deadline = Deadline()
    for occ in occurrences:
        deadline.check()
        summary.occurrences += 1
        if str(_one(occ, "STATUS") or "").upper() == "CANCELLED":
            summary.cancelled += 1
            continue
        start = occ.get("DTSTART").dt
        if not isinstance(start, dt.datetime):
            summary.all_day += 1
            continue
        start = _aware(start)
        end_prop = occ.get("DTEND")
        end = (
            _aware(end_prop.dt)
            if end_prop is not None and isinstance(end_prop.dt, dt.datetime)
            else start
        )
        if start > now:
            summary.not_held_yet += 1
            continue
        minutes = int((end - start).total_seconds() // 60)
        if minutes < 1:
            minutes = 1
        if minutes > MAX_DURATION_MINUTES:
            minutes = MAX_DURATION_MINUTES
            summary.capped += 1
        uid = str(_one(occ, "UID"))
        original = _original_start(occ, shifts) if uid in recurring_uids else None
        key = _uid(uid, original)
        people: list[int] = []
        contact_ids: list[int] = []
        votes: Counter[int] = Counter()
        strangers: list[tuple[str, str, int | None]] = []
        for address, name, _organises in _addresses(occ):
            if address in ours:
                if ours[address] not in people:
                    people.append(ours[address])
            elif address in contacts:
                contact_pk, account_id = contacts[address]
                contact_ids.append(contact_pk)
                votes[account_id] += 1
            else:
                domain = address.rsplit("@", 1)[-1]
                if domain in our_domains:
                    continue
                their_account = domain_account.get(domain)
                if their_account is not None:
                    votes[their_account] += 1
                strangers.append((address, name, their_account))
        for address, name, their_account in strangers:
            row = unmatched.setdefault(address, Unmatched(address=address))
            row.events += 1
            row.name = row.name or name
            if their_account is not None:
                row.account_id = their_account
                row.account_name = visible[their_account][0]
        if not votes:
            summary.internal += 1
            continue
        best = max(votes.values())
        account_id = sorted((visible[a][0], a) for a, v in votes.items() if v == best)[0][1]
        if not people and user.is_authenticated:
            people = [user.pk]
        attached = sorted({c for c in contact_ids if contact_account[c] == account_id})
        # The attached contacts are in contact_ids; contact_names keeps only the unmatched.
        names = [name or address for address, name, acc in strangers if acc == account_id]
        tags = _objective_tags(occ)
        number, line = numbers.get(uid, (0, None))
        planned[key] = _Planned(
            uid=key,
            account_id=account_id,
            date=start.astimezone(_local_tz()).date(),
            minutes=minutes,
            topic=tags_strip(str(_one(occ, "SUMMARY") or ""))[:200],
            participant_ids=people,
            contact_ids=attached,
            contact_names=names[:50],
            objective_codes=tags,
            event_label=_event_label(occ, number, line) if tags else "",
        )
    summary.unmatched = sorted(unmatched.values(), key=lambda u: (-u.events, u.address))
    problems = _objectives_resolve(planned)
    if problems:
        raise CalendarImportError(problems)

    existing = {
        a.external_uid: a
        for uid_chunk in _chunks(sorted(planned), 500)
        for a in Activity.objects.filter(external_uid__in=uid_chunk).only(
            "pk", "external_uid", "account_id", "objective_id"
        )
    }
    with transaction.atomic():
        new = [p for k, p in planned.items() if k not in existing]
        activities = [
            Activity(
                account_id=p.account_id,
                date=p.date,
                duration_minutes=p.minutes,
                type=ActivityType.MEETING,
                topic=p.topic,
                contact_names=p.contact_names,
                external_uid=p.uid,
                objective_id=p.objective_id,
                created_by=user if user.is_authenticated else None,
            )
            for p in new
        ]
        activities_bulk_insert(
            activities=activities,
            participant_ids=[p.participant_ids for p in new],
            contact_ids=[p.contact_ids for p in new],
        )
        summary.created = len(activities)
        # Re-runs: an earlier imported meeting gains the contacts mapped since (only additions).
        old = [(existing[k], p) for k, p in planned.items() if k in existing]
        summary.unchanged = len(old)
        if old:
            Through = Activity.contacts.through
            have = set(
                Through.objects.filter(activity_id__in=[a.pk for a, _p in old]).values_list(
                    "activity_id", "contact_id"
                )
            )
            add = [
                Through(activity_id=a.pk, contact_id=c)
                for a, p in old
                if a.account_id == p.account_id
                for c in p.contact_ids
                if (a.pk, c) not in have
            ]
            Through.objects.bulk_create(add)
            summary.contacts_attached = len(add)
            # ... and the objective tagged since, when it is tied to none yet.
            tie: dict[int, list[int]] = defaultdict(list)
            for a, p in old:
                if a.account_id == p.account_id and p.objective_id and a.objective_id is None:
                    tie[p.objective_id].append(a.pk)
            for objective_id, pks in tie.items():
                Activity.objects.filter(pk__in=pks).update(objective_id=objective_id)
            summary.objectives_tied = sum(len(pks) for pks in tie.values())
    counts: Counter[str] = Counter(visible[p.account_id][0] for p in planned.values())
    summary.accounts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return summary


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


# --- stored files and mapping ---------------------------------------------------------------------


def calendar_import_create(
    *,
    user: User,
    content: bytes,
    filename: str,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> tuple[CalendarImport, CalendarSummary]:
    """Run an uploaded file and keep it (with its summary) so it can be run again after mapping."""
    summary = calendar_run(
        user=user, content=content, period_start=period_start, period_end=period_end
    )
    text = ics_decode(content)
    record = CalendarImport.objects.create(
        uploaded_by=user,
        filename=filename[:255],
        content=text,
        period_start=summary.period_start,
        period_end=summary.period_end,
        last_run_at=timezone.now(),
        summary=summary.as_dict(),
    )
    return record, summary


def calendar_import_rerun(*, user: User, record: CalendarImport) -> CalendarSummary:
    """Run a kept file again over the same period (after addresses were mapped)."""
    if record.uploaded_by_id != getattr(user, "pk", None):
        raise ApplicationError(_("There is no such calendar import."), status=404)
    summary = calendar_run(
        user=user,
        content=record.content,
        period_start=record.period_start,
        period_end=record.period_end,
    )
    record.summary = summary.as_dict()
    record.last_run_at = timezone.now()
    record.save(update_fields=["summary", "last_run_at"])
    return summary


def address_map(
    *,
    user: User,
    address: str,
    account: Account,
    contact: Contact | None = None,
    name: str = "",
    as_domain: bool = False,
) -> str:
    """Map an unmatched address: to an existing ``contact``, to a new contact called ``name``
    on ``account``, or (``as_domain``) its domain to ``account``. Returns what was done.
    """
    email = email_clean(address, field="address")
    if not email:
        raise ApplicationError(_("Give the e-mail address to map."), field="address")
    if as_domain:
        domain = email.rsplit("@", 1)[-1]
        account_domains_set(user=user, account=account, domains=[*account.email_domains, domain])
        return _("%(domain)s now belongs to %(account)s.") % {
            "domain": domain,
            "account": account.name,
        }
    if contact is not None:
        if contact.account_id != account.pk:
            raise ApplicationError(_("The contact is not one of this account's."), field="contact")
        contact_update(user=user, contact=contact, email=email)
        return _("%(address)s is now %(name)s's address.") % {
            "address": email,
            "name": contact.display_name,
        }
    label = " ".join(str(name or "").split()) or email.split("@", 1)[0].replace(".", " ").title()
    created = contact_create(user=user, account=account, name=label, email=email)
    return _("Contact %(name)s created with %(address)s.") % {
        "name": created.name,
        "address": email,
    }


def unmatched_group(unmatched: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Unmatched addresses grouped by the account their domain names ('' for none)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in unmatched:
        out[row.get("account_name") or ""].append(row)
    return dict(out)
