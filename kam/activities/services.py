"""Writes of activities: log, change and delete, with the rules of who may.

Who may (docs/method.md section 2, "Planned against actual"):

- sales directors and administrators log, change and delete activities on any account;
- key account managers and team members log activities on the accounts they may read,
  and change or delete those they logged or took part in;
- viewers write nothing.

An account the user cannot read answers 404, exactly as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.accounts.selectors import account_list_visible
from kam.activities.models import (
    MAX_DURATION_MINUTES,
    Activity,
    ActivityParticipant,
    ActivityType,
)
from kam.activities.selectors import activity_may_change, activity_may_log
from kam.activities.signals import activities_bulk_created
from kam.core.contact_match import Candidate, NameMatch, match_names
from kam.errors import ApplicationError, require

MAX_CONTACTS = 50
MAX_CONTACT_LENGTH = 200
MAX_TOPIC_LENGTH = 200
MAX_UID_LENGTH = 255
#: How far ahead an activity may be dated (days): a typo such as 2062 is refused.
MAX_DAYS_AHEAD = 366


# --- field rules (shared with the import) -------------------------------------------------------


def duration_clean(value: Any) -> int:
    """A duration in whole minutes, 1 to 1440 (one person cannot spend more than a day)."""
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        raise ApplicationError(
            _("The duration is a whole number of minutes, for example 90."),
            field="duration_minutes",
        ) from None
    if not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise ApplicationError(
            _("The duration is between 1 and %(max)d minutes (24 hours).")
            % {"max": MAX_DURATION_MINUTES},
            field="duration_minutes",
        )
    return minutes


def date_clean(value: dt.date) -> dt.date:
    """An activity date: not more than a year ahead of today."""
    latest = timezone.localdate() + dt.timedelta(days=MAX_DAYS_AHEAD)
    if value > latest:
        raise ApplicationError(
            _("%(date)s is more than a year ahead; check the year.") % {"date": value.isoformat()},
            field="date",
        )
    return value


def type_clean(value: str) -> str:
    """One of the activity types (visit, call, meeting, review, email, other)."""
    text = (value or "").strip().lower()
    if text not in ActivityType.values:
        raise ApplicationError(
            _("'%(value)s' is not an activity type; use one of %(types)s.")
            % {"value": value, "types": ", ".join(ActivityType.values)},
            field="type",
        )
    return text


def topic_clean(value: str) -> str:
    """The topic, at most 200 characters."""
    text = (value or "").strip()
    if len(text) > MAX_TOPIC_LENGTH:
        raise ApplicationError(
            _("The topic is at most %(max)d characters.") % {"max": MAX_TOPIC_LENGTH},
            field="topic",
        )
    return text


def contacts_clean(values: Iterable[str]) -> list[str]:
    """The customer's people as names or e-mail addresses: blanks dropped, duplicates once."""
    out: list[str] = []
    for value in values:
        text = " ".join(str(value).split())
        if not text or text in out:
            continue
        if len(text) > MAX_CONTACT_LENGTH:
            raise ApplicationError(
                _("A contact is at most %(max)d characters.") % {"max": MAX_CONTACT_LENGTH},
                field="contact_names",
            )
        out.append(text)
    if len(out) > MAX_CONTACTS:
        raise ApplicationError(
            _("An activity lists at most %(max)d contacts.") % {"max": MAX_CONTACTS},
            field="contact_names",
        )
    return out


def uid_clean(value: str) -> str:
    """An external id as sent, at most 255 characters; empty for none."""
    text = (value or "").strip()
    if len(text) > MAX_UID_LENGTH:
        raise ApplicationError(
            _("The uid is at most %(max)d characters.") % {"max": MAX_UID_LENGTH},
            field="external_uid",
        )
    return text


def participants_clean(participants: Sequence[Any]) -> list[Any]:
    """At least one of our people, each active, each once."""
    out: list[Any] = []
    for person in participants:
        if not person.is_active:
            raise ApplicationError(
                _("%(name)s is no longer active and cannot take part.")
                % {"name": person.get_username()},
                field="participants",
            )
        if person.pk not in {p.pk for p in out}:
            out.append(person)
    if not out:
        raise ApplicationError(
            _("Name at least one of our people who took part."), field="participants"
        )
    return out


def objective_clean(*, account: Account, value: Any, keep_id: int | None = None) -> Any:
    """The plan objective or value proposition an activity on ``account`` is tied to.

    ``value`` is a ``PlanItem``, its id, or None/"" for none. It must be an objective or a
    value proposition of a plan of ``account`` (docs/activities.md, "The objective");
    ``keep_id`` is the item the activity is tied to already, kept even when its plan has
    since been superseded.
    """
    from kam.plans.conversations import OBJECTIVE_KINDS
    from kam.plans.models import PlanItem

    if value is None or value == "":
        return None
    pk = getattr(value, "pk", value)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise ApplicationError(
            _("'%(value)s' is not an objective id.") % {"value": value}, field="objective"
        ) from None
    item = PlanItem.objects.filter(pk=pk).select_related("plan").first()
    if item is None or item.plan.account_id != account.pk:
        raise ApplicationError(
            _("Objective %(id)s is not on a plan of %(account)s.")
            % {"id": f"#{pk}", "account": account.name},
            field="objective",
        )
    if item.kind not in OBJECTIVE_KINDS and item.pk != keep_id:
        raise ApplicationError(
            _("'%(title)s' is a %(kind)s; tie the activity to an objective or a value proposition.")
            % {"title": item.title, "kind": item.get_kind_display()},
            field="objective",
        )
    return item


def contact_match(*, account_id: int, names: Iterable[str]) -> NameMatch:
    """``names`` matched to the account's contacts (``kam.core.contact_match``'s rule)."""
    from kam.relationships.models import Contact

    candidates = [
        Candidate(pk, name, email)
        for pk, name, email in Contact.objects.filter(
            account_id=account_id, erased_at=None
        ).values_list("pk", "name", "email")
    ]
    return match_names(names, candidates)


def unmatched_error(names: Sequence[str], *, field: str = "contact_names") -> ApplicationError:
    """The refusal of names that match no contact of the account, each one listed."""
    return ApplicationError(
        _("No contact of the account matches %(names)s; add them as contacts first.")
        % {"names": ", ".join(f"'{n}'" for n in names)},
        field=field,
        problems=[_("No contact of the account matches '%(name)s'.") % {"name": n} for n in names],
    )


def contacts_resolve(
    *,
    account: Account,
    contact_ids: Iterable[Any] = (),
    names: Iterable[str] = (),
    refuse_unmatched: bool = False,
    keep_ids: Iterable[int] = (),
) -> tuple[list[int], list[str]]:
    """The contact ids an activity on ``account`` names, and the names left unmatched.

    ``contact_ids`` must be contacts of ``account`` (an erased one only when it is in
    ``keep_ids``, the activity's contacts already); ``names`` are matched by the rule of
    ``kam.core.contact_match``; the names that match nobody are refused when
    ``refuse_unmatched`` (the API), else kept to be shown as "not matched".
    """
    from kam.relationships.models import Contact

    wanted: list[int] = []
    for raw in contact_ids:
        pk = getattr(raw, "pk", raw)
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise ApplicationError(
                _("'%(value)s' is not a contact id.") % {"value": raw}, field="contacts"
            ) from None
        if pk not in wanted:
            wanted.append(pk)
    if wanted:
        rows = dict(
            Contact.objects.filter(pk__in=wanted, account=account).values_list("pk", "erased_at")
        )
        keep = set(keep_ids)
        wrong = [pk for pk in wanted if pk not in rows or (rows[pk] and pk not in keep)]
        if wrong:
            raise ApplicationError(
                _("Contact %(ids)s is not a contact of %(account)s.")
                % {"ids": ", ".join(f"#{pk}" for pk in wrong), "account": account.name},
                field="contacts",
            )
    match = contact_match(account_id=account.pk, names=contacts_clean(names))
    if match.unmatched and refuse_unmatched:
        raise unmatched_error(match.unmatched)
    for pk in match.ids:
        if pk not in wanted:
            wanted.append(pk)
    if len(wanted) > MAX_CONTACTS:
        raise ApplicationError(
            _("An activity lists at most %(max)d contacts.") % {"max": MAX_CONTACTS},
            field="contacts",
        )
    return wanted, match.unmatched


def activity_contact_create(
    *, user: User, account: Account, name: str, title: str = "", email: str = ""
) -> Any:
    """Add a contact to ``account`` while logging an activity (name; job title, e-mail optional).

    The same rules as the relationship page's contact form: who may change the account
    may add its contacts, and an e-mail address is unique within the account.
    """
    from kam.relationships.services import contact_create

    data: dict[str, Any] = {"name": name}
    if (title or "").strip():
        data["title"] = title
    if (email or "").strip():
        data["email"] = email
    return contact_create(user=user, account=account, **data)


# --- checks --------------------------------------------------------------------------------------


def _log_check(*, user: User, account: Account) -> None:
    require(activity_may_log(user=user), _("Viewers cannot log activities."))
    if not account_list_visible(user=user).filter(pk=account.pk).exists():
        raise ApplicationError(_("There is no such account."), status=404, field="account")


def _change_check(*, user: User, activity: Activity) -> None:
    if not account_list_visible(user=user).filter(pk=activity.account_id).exists():
        raise ApplicationError(_("There is no such activity."), status=404)
    require(
        activity_may_change(user=user, activity=activity),
        _(
            "Only the person who logged this activity, its participants or a sales "
            "director can change it."
        ),
    )


# --- services ----------------------------------------------------------------------------------


def activity_create(
    *,
    user: User,
    account: Account,
    date: dt.date,
    duration_minutes: int,
    type: str,
    participants: Sequence[Any],
    contact_names: Iterable[str] = (),
    topic: str = "",
    notes: str = "",
    external_uid: str = "",
    contacts: Iterable[Any] = (),
    refuse_unmatched: bool = False,
    objective: Any = None,
) -> Activity:
    """Log an activity on ``account`` (see the module docstring for who may).

    ``duration_minutes`` is the length for each participant (1-1440); every participant
    counts it in full towards the account's actual hours. A set ``external_uid`` that is
    already stored is refused with 409. The customer's people are ``contacts`` (contacts of
    the account, or their ids) and ``contact_names`` matched to contacts by name or e-mail
    (``contacts_resolve``); names that match nobody are kept as "not matched", or refused
    with ``refuse_unmatched``. ``objective`` is the plan objective or value proposition it
    was about (``objective_clean``), or None.
    """
    _log_check(user=user, account=account)
    contact_ids, unmatched = contacts_resolve(
        account=account,
        contact_ids=contacts,
        names=contact_names,
        refuse_unmatched=refuse_unmatched,
    )
    values = {
        "date": date_clean(date),
        "duration_minutes": duration_clean(duration_minutes),
        "type": type_clean(type),
        "topic": topic_clean(topic),
        "notes": (notes or "").strip(),
        "contact_names": unmatched,
        "external_uid": uid_clean(external_uid),
        "objective": objective_clean(account=account, value=objective),
    }
    people = participants_clean(participants)
    if (
        values["external_uid"]
        and Activity.objects.filter(external_uid=values["external_uid"]).exists()
    ):
        raise ApplicationError(
            _("An activity with uid '%(uid)s' is already stored.")
            % {"uid": values["external_uid"]},
            field="external_uid",
            status=409,
        )
    try:
        with transaction.atomic():
            activity = Activity.objects.create(
                account=account, created_by=user if user.is_authenticated else None, **values
            )
            ActivityParticipant.objects.bulk_create(
                [ActivityParticipant(activity=activity, user=p) for p in people]
            )
            activity.contacts.set(contact_ids)
    except IntegrityError:
        raise ApplicationError(
            _("An activity with uid '%(uid)s' is already stored.")
            % {"uid": values["external_uid"]},
            field="external_uid",
            status=409,
        ) from None
    return activity


_UNSET: Any = object()


def activity_update(
    *,
    user: User,
    activity: Activity,
    account: Account | None = None,
    date: dt.date | None = None,
    duration_minutes: int | None = None,
    type: str | None = None,
    participants: Sequence[Any] | None = None,
    contact_names: Iterable[str] | None = None,
    topic: str | None = None,
    notes: str | None = None,
    contacts: Iterable[Any] | None = None,
    refuse_unmatched: bool = False,
    objective: Any = _UNSET,
) -> Activity:
    """Change the fields given (None leaves a field as it is); the same rules as logging.

    Moving an activity to another account needs that account to be readable by ``user``.
    The external uid never changes: it is what a re-import recognises.

    The customer's people: ``contacts`` replaces the contacts attached; ``contact_names``
    replaces the "not matched" names after matching them (a name that now matches a
    contact is attached instead). Given alone, ``contact_names`` replaces the contacts
    too (all the people are in it). When the account changes and neither is given, the
    contacts of the old account are kept as names, not matched.

    ``objective``: an item (or id) ties the activity to it, None unties it; left out, it
    stays, except that moving the activity to another account unties it (the objective
    is the old account's).
    """
    _change_check(user=user, activity=activity)
    current_ids = list(activity.contacts.values_list("pk", flat=True))
    moved = account is not None and account.pk != activity.account_id
    if account is not None and moved:
        _log_check(user=user, account=account)
        activity.account = account
    contact_ids: list[int] | None = None
    if contacts is not None or contact_names is not None:
        contact_ids, unmatched = contacts_resolve(
            account=activity.account,
            contact_ids=contacts if contacts is not None else (),
            names=contact_names if contact_names is not None else activity.contact_names,
            # Names kept from before are not refused: only the names sent now are.
            refuse_unmatched=refuse_unmatched and contact_names is not None,
            keep_ids=current_ids,
        )
        activity.contact_names = unmatched
    elif moved and current_ids:
        from kam.relationships.models import Contact

        former = [c.display_name for c in Contact.objects.filter(pk__in=current_ids)]
        contact_ids, activity.contact_names = contacts_resolve(
            account=activity.account, names=[*former, *(activity.contact_names or [])]
        )
    if objective is not _UNSET:
        activity.objective = objective_clean(
            account=activity.account, value=objective, keep_id=activity.objective_id
        )
    elif moved and activity.objective_id is not None:
        activity.objective = None
    if date is not None:
        activity.date = date_clean(date)
    if duration_minutes is not None:
        activity.duration_minutes = duration_clean(duration_minutes)
    if type is not None:
        activity.type = type_clean(type)
    if topic is not None:
        activity.topic = topic_clean(topic)
    if notes is not None:
        activity.notes = notes.strip()
    people = participants_clean(participants) if participants is not None else None
    with transaction.atomic():
        activity.save()
        if contact_ids is not None:
            activity.contacts.set(contact_ids)
        if people is not None:
            wanted = {p.pk for p in people}
            current = set(activity.participations.values_list("user_id", flat=True))
            activity.participations.exclude(user_id__in=wanted).delete()
            ActivityParticipant.objects.bulk_create(
                [ActivityParticipant(activity=activity, user_id=pk) for pk in wanted - current]
            )
    return activity


def activity_delete(*, user: User, activity: Activity) -> None:
    """Delete ``activity`` and its participations (see the module docstring for who may)."""
    _change_check(user=user, activity=activity)
    activity.delete()


def users_by_username(usernames: Sequence[str], *, field: str = "participants") -> list[Any]:
    """The users named, in order; an unknown username is refused with the field named."""
    names = [n.strip() for n in usernames if n and n.strip()]
    found = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    unknown = [n for n in names if n not in found]
    if unknown:
        raise ApplicationError(
            _("There is no user '%(username)s'.") % {"username": unknown[0]},
            field=field,
            problems=[_("There is no user '%(username)s'.") % {"username": u} for u in unknown],
        )
    return [found[n] for n in names]


def activities_bulk_insert(
    *,
    activities: list[Activity],
    participant_ids: Sequence[Iterable[int]],
    contact_ids: Sequence[Iterable[int]],
) -> None:
    """Insert ``activities`` (an import, a calendar file) with the participants and contacts
    of each, the i-th of ``participant_ids`` and ``contact_ids`` being the i-th activity's,
    in three bulk inserts inside the caller's transaction; the stored P&L is told that the
    accounts' team hours changed."""
    Activity.objects.bulk_create(activities, batch_size=1000)
    if any(a.pk is None for a in activities):  # a database that cannot return ids
        raise RuntimeError("bulk_create did not return the new activities' ids")
    ActivityParticipant.objects.bulk_create(
        [
            ActivityParticipant(activity_id=a.pk, user_id=user_id)
            for a, users in zip(activities, participant_ids, strict=True)
            for user_id in users
        ],
        batch_size=2000,
    )
    activities_bulk_created.send(sender=Activity, account_ids={a.account_id for a in activities})
    Through = Activity.contacts.through
    Through.objects.bulk_create(
        [
            Through(activity_id=a.pk, contact_id=contact_id)
            for a, contacts in zip(activities, contact_ids, strict=True)
            for contact_id in contacts
        ],
        batch_size=2000,
    )
