"""Writes of activities: log, change and delete, with the rules of who may.

Who may (kam-method.md section 2, "Planned against actual"):

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
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
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
from kam.web.errors import ApplicationError

User = AbstractBaseUser | AnonymousUser

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


# --- checks --------------------------------------------------------------------------------------


def _check_may_log(*, user: User, account: Account) -> None:
    if not activity_may_log(user=user):
        raise ApplicationError(_("Viewers cannot log activities."), status=403)
    if not account_list_visible(user=user).filter(pk=account.pk).exists():
        raise ApplicationError(_("There is no such account."), status=404, field="account")


def _check_may_change(*, user: User, activity: Activity) -> None:
    if not account_list_visible(user=user).filter(pk=activity.account_id).exists():
        raise ApplicationError(_("There is no such activity."), status=404)
    if not activity_may_change(user=user, activity=activity):
        raise ApplicationError(
            _(
                "Only the person who logged this activity, its participants or a sales "
                "director can change it."
            ),
            status=403,
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
) -> Activity:
    """Log an activity on ``account`` (see the module docstring for who may).

    ``duration_minutes`` is the length for each participant (1-1440); every participant
    counts it in full towards the account's actual hours. A set ``external_uid`` that is
    already stored is refused with 409.
    """
    _check_may_log(user=user, account=account)
    values = {
        "date": date_clean(date),
        "duration_minutes": duration_clean(duration_minutes),
        "type": type_clean(type),
        "topic": topic_clean(topic),
        "notes": (notes or "").strip(),
        "contact_names": contacts_clean(contact_names),
        "external_uid": uid_clean(external_uid),
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
) -> Activity:
    """Change the fields given (None leaves a field as it is); the same rules as logging.

    Moving an activity to another account needs that account to be readable by ``user``.
    The external uid never changes: it is what a re-import recognises.
    """
    _check_may_change(user=user, activity=activity)
    if account is not None and account.pk != activity.account_id:
        _check_may_log(user=user, account=account)
        activity.account = account
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
    if contact_names is not None:
        activity.contact_names = contacts_clean(contact_names)
    people = participants_clean(participants) if participants is not None else None
    with transaction.atomic():
        activity.save()
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
    _check_may_change(user=user, activity=activity)
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
