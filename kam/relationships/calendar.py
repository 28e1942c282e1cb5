"""Calendar import: iCalendar (.ics) files from Outlook or Google Calendar become activities.

kam-method.md section 3 ("Contact matrix ... derived from activities where possible").

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
- an occurrence's ``external_uid`` is ``ics:<UID>`` for a single event and
  ``ics:<UID>/<original start in UTC>`` for an occurrence of a recurring one (the
  RECURRENCE-ID, so a moved instance keeps its id): importing the same file again creates
  nothing; it only attaches contacts that were mapped since;
- customer attendees without a contact are listed as unmatched, with their name when the
  file gives one (CN), for the user to map to a contact (new or existing) or to an account
  domain before running the file again;
- one file is one transaction: a broken file or event writes nothing and reports every
  problem (with the event's UID and summary as its "row").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.imports import AccountImportError, ImportProblem
from kam.accounts.models import Account
from kam.accounts.selectors import account_list_visible
from kam.activities.models import MAX_DURATION_MINUTES, Activity, ActivityParticipant, ActivityType
from kam.activities.selectors import activity_may_log
from kam.relationships.models import CalendarImport, Contact
from kam.relationships.services import (
    account_domains_set,
    contact_create,
    contact_update,
    email_clean,
)
from kam.web.errors import ApplicationError

User = AbstractBaseUser | AnonymousUser

#: The longest period one import may span (days).
MAX_PERIOD_DAYS = 366
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_OCCURRENCES = 50_000


class CalendarImportError(AccountImportError):
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


def ics_parse(content: bytes | str) -> icalendar.Calendar:
    """The calendar in ``content``, or a refusal that says why it is not an iCalendar file."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    if len(content) > MAX_FILE_BYTES:
        raise CalendarImportError(
            [ImportProblem(None, "", _("The file is larger than 20 MB; export a shorter period."))]
        )
    if b"BEGIN:VCALENDAR" not in content[:4096].upper():
        raise CalendarImportError(
            [
                ImportProblem(
                    None,
                    "",
                    _(
                        "This is not an iCalendar (.ics) file: it does not start with "
                        "BEGIN:VCALENDAR. Export the calendar from Outlook or Google Calendar "
                        "as .ics."
                    ),
                )
            ]
        )
    try:
        return icalendar.Calendar.from_ical(content)
    except (ValueError, KeyError, IndexError) as exc:
        raise CalendarImportError(
            [ImportProblem(None, "", _("The calendar cannot be read: %(error)s") % {"error": exc})]
        ) from None


def _start_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return _aware(value).astimezone(_local_tz()).date()
    return value  # type: ignore[no-any-return]


def ics_span(calendar: icalendar.Calendar) -> tuple[dt.date, dt.date] | None:
    """The first and last day the file's events touch (an open-ended series counts as one year)."""
    first: dt.date | None = None
    last: dt.date | None = None
    for event in calendar.walk("VEVENT"):
        start = event.get("DTSTART")
        if start is None:
            continue
        day = _start_date(start.dt)
        end_day = day
        rrule = event.get("RRULE")
        if rrule is not None:
            until = rrule.get("UNTIL")
            if until:
                end_day = _start_date(until[0])
            elif rrule.get("COUNT"):
                end_day = day + dt.timedelta(days=MAX_PERIOD_DAYS)
            else:
                end_day = day + dt.timedelta(days=MAX_PERIOD_DAYS)
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
    """A period of at most one year that does not end after today."""
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
    organiser = event.get("ORGANIZER")
    if organiser:
        out.append((str(organiser), str(organiser.params.get("CN", "")), True))
    attendees = event.get("ATTENDEE") or []
    if not isinstance(attendees, list):
        attendees = [attendees]
    for a in attendees:
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


def _uid(uid: str, original: dt.datetime | dt.date | None) -> str:
    key = f"ics:{uid}"
    if original is not None:
        if isinstance(original, dt.datetime):
            stamp = _aware(original).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        else:
            stamp = original.strftime("%Y%m%d")
        key = f"{key}/{stamp}"
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


def calendar_run(
    *,
    user: User,
    content: bytes | str,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    now: dt.datetime | None = None,
) -> CalendarSummary:
    """Import the events of one .ics file within the period (see the module docstring)."""
    if not activity_may_log(user=user):
        raise ApplicationError(_("Viewers cannot import calendars."), status=403)
    calendar = ics_parse(content)
    now = now or timezone.now()
    if period_start is None or period_end is None:
        default_start, default_end = period_default(
            calendar, today=now.astimezone(_local_tz()).date()
        )
        period_start = period_start or default_start
        period_end = period_end or default_end
    period_start, period_end = period_clean(period_start, period_end)
    summary = CalendarSummary(period_start=period_start, period_end=period_end)

    recurring_uids = {
        str(e.get("UID"))
        for e in calendar.walk("VEVENT")
        if e.get("RRULE") or e.get("RDATE") or e.get("RECURRENCE-ID")
    }
    problems: list[ImportProblem] = []
    for event in calendar.walk("VEVENT"):
        subject = event.get("SUMMARY") or _("no summary")
        label = f"{event.get('UID') or '?'} ({subject})"
        if not event.get("UID"):
            problems.append(ImportProblem(None, "UID", _("event %(e)s has no UID.") % {"e": label}))
        if event.get("DTSTART") is None:
            problems.append(
                ImportProblem(None, "DTSTART", _("event %(e)s has no start.") % {"e": label})
            )
    if problems:
        raise CalendarImportError(problems)
    try:
        occurrences = list(
            recurring_ical_events.of(calendar).between(
                period_start, period_end + dt.timedelta(days=1)
            )
        )
    except Exception as exc:  # the library raises several types for broken rules and zones
        raise CalendarImportError(
            [
                ImportProblem(
                    None, "RRULE", _("The recurrences cannot be expanded: %(e)s") % {"e": exc}
                )
            ]
        ) from None
    if len(occurrences) > MAX_OCCURRENCES:
        raise CalendarImportError(
            [
                ImportProblem(
                    None,
                    "",
                    _("More than %(n)d meetings in the period; import a shorter period.")
                    % {"n": MAX_OCCURRENCES},
                )
            ]
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
    for occ in occurrences:
        summary.occurrences += 1
        if str(occ.get("STATUS", "")).upper() == "CANCELLED":
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
        uid = str(occ.get("UID"))
        original = (
            occ.get("RECURRENCE-ID").dt
            if uid in recurring_uids and occ.get("RECURRENCE-ID")
            else None
        )
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
                account_id = domain_account.get(domain)
                if account_id is not None:
                    votes[account_id] += 1
                strangers.append((address, name, account_id))
        for address, name, account_id in strangers:
            row = unmatched.setdefault(address, Unmatched(address=address))
            row.events += 1
            row.name = row.name or name
            if account_id is not None:
                row.account_id = account_id
                row.account_name = visible[account_id][0]
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
        planned[key] = _Planned(
            uid=key,
            account_id=account_id,
            date=start.astimezone(_local_tz()).date(),
            minutes=minutes,
            topic=" ".join(str(occ.get("SUMMARY", "")).split())[:200],
            participant_ids=people,
            contact_ids=attached,
            contact_names=names[:50],
        )
    summary.unmatched = sorted(unmatched.values(), key=lambda u: (-u.events, u.address))

    existing = {
        a.external_uid: a
        for uid_chunk in _chunks(sorted(planned), 500)
        for a in Activity.objects.filter(external_uid__in=uid_chunk).only(
            "pk", "external_uid", "account_id"
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
                created_by=user if user.is_authenticated else None,
            )
            for p in new
        ]
        Activity.objects.bulk_create(activities, batch_size=1000)
        ActivityParticipant.objects.bulk_create(
            [
                ActivityParticipant(activity_id=a.pk, user_id=u)
                for a, p in zip(activities, new, strict=True)
                for u in p.participant_ids
            ],
            batch_size=2000,
        )
        Through = Activity.contacts.through
        Through.objects.bulk_create(
            [
                Through(activity_id=a.pk, contact_id=c)
                for a, p in zip(activities, new, strict=True)
                for c in p.contact_ids
            ],
            batch_size=2000,
        )
        summary.created = len(activities)
        # Re-runs: an earlier imported meeting gains the contacts mapped since (only additions).
        old = [(existing[k], p) for k, p in planned.items() if k in existing]
        summary.unchanged = len(old)
        if old:
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
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
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
