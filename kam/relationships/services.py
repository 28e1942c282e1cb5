"""Writes of the relationship pages: contacts, manual links, the account team's functions and
hours, stage overrides and the customer's view of us (a contact's GDPR export and erasure,
which reach its activities, are in kam.activities.contact_privacy).

Who may (docs/method.md section 3, and the account rules of ``kam.accounts.selectors``):
people who may change an account (its key account manager and core/surround KAMs, sales
directors, administrators) write its contacts, links, team, stage and positioning; team
members and viewers read. An account the user cannot read answers 404.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account, AccountTeamMember, TeamRole
from kam.accounts.selectors import account_editable_check, account_list_visible
from kam.errors import ApplicationError, control_characters_refuse
from kam.relationships.models import (
    AccountRelationship,
    Contact,
    ContactFunction,
    ContactLink,
    LawfulBasis,
    Seniority,
)
from kam.users.models import Function
from kam.web.choices import Attitude, BuyingRole, CustomerView, Stage, Strength

MAX_TEXT = 200
MAX_PLANNED_HOURS = 5000
_DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

#: The contact fields a caller may set, with their defaults for a new contact.
CONTACT_FIELDS: dict[str, Any] = {
    "name": "",
    "title": "",
    "function": ContactFunction.OTHER,
    "seniority": Seniority.MIDDLE,
    "reports_to": None,
    "buying_roles": [],
    "influence": 3,
    "attitude": Attitude.NEUTRAL,
    "owner": None,
    "email": "",
    "phone": "",
    "notes": "",
    "has_left": False,
    "left_on": None,
    "lawful_basis": LawfulBasis.LEGITIMATE_INTEREST,
}


# --- field rules ---------------------------------------------------------------------------------


def _text(value: Any, *, field: str, label: str, required: bool = False) -> str:
    text = control_characters_refuse(" ".join(str(value or "").split()), field=field)
    if required and not text:
        raise ApplicationError(_("%(label)s is required.") % {"label": label}, field=field)
    if len(text) > MAX_TEXT:
        raise ApplicationError(
            _("%(label)s is at most %(n)d characters.") % {"label": label, "n": MAX_TEXT},
            field=field,
        )
    return text


def _choice(value: Any, choices: Any, *, field: str) -> str:
    text = str(value or "").strip().lower()
    if text not in choices.values:
        raise ApplicationError(
            _("'%(value)s' is not allowed here; use one of %(choices)s.")
            % {"value": value, "choices": ", ".join(choices.values)},
            field=field,
        )
    return text


def email_clean(value: Any, *, field: str = "email") -> str:
    """An e-mail address, lower-cased (mail systems treat the address case-insensitively)."""
    text = str(value or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().lower()
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        raise ApplicationError(
            _("'%(value)s' is not an e-mail address.") % {"value": value}, field=field
        ) from None
    return text


def domain_clean(value: Any, *, field: str = "email_domains") -> str:
    """An e-mail domain such as example.com (lower case, without @)."""
    text = str(value or "").strip().lower().lstrip("@")
    if not _DOMAIN.match(text):
        raise ApplicationError(
            _("'%(value)s' is not an e-mail domain such as example.com.") % {"value": value},
            field=field,
        )
    return text


def buying_roles_clean(values: Iterable[Any]) -> list[str]:
    """Buying roles (section 3), each once, in the method's order."""
    chosen = {_choice(v, BuyingRole, field="buying_roles") for v in values if str(v).strip()}
    return [r for r in BuyingRole.values if r in chosen]


def _influence(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 5:
        raise ApplicationError(_("Influence is a whole number from 1 to 5."), field="influence")
    return number


# --- permissions ---------------------------------------------------------------------------------


def _check_editable(*, user: User, account: Account) -> None:
    account_editable_check(user=user, account=account)


def _user_or_none(value: Any, *, field: str) -> Any:
    if value in (None, ""):
        return None
    UserModel = get_user_model()
    person = value if isinstance(value, UserModel) else UserModel.objects.filter(pk=value).first()
    if person is None or not person.is_active:
        raise ApplicationError(_("There is no such active person on our side."), field=field)
    return person


# --- contacts ------------------------------------------------------------------------------------


def _contact_values(
    *, account: Account, contact: Contact | None, data: Mapping[str, Any]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in CONTACT_FIELDS:
            raise ApplicationError(_("Unknown field '%(f)s'.") % {"f": name}, field=name)
        if name == "name":
            values[name] = _text(raw, field=name, label=_("The name"), required=True)
        elif name in ("title", "phone"):
            values[name] = _text(
                raw,
                field=name,
                label=_("The job title") if name == "title" else _("The phone number"),
            )
        elif name == "notes":
            values[name] = str(raw or "").strip()
        elif name == "function":
            values[name] = _choice(raw, ContactFunction, field=name)
        elif name == "seniority":
            try:
                level = int(raw)
            except (TypeError, ValueError):
                level = 0
            if level not in Seniority.values:
                raise ApplicationError(_("Seniority is 1 (board) to 5 (operational)."), field=name)
            values[name] = level
        elif name == "attitude":
            values[name] = _choice(raw, Attitude, field=name)
        elif name == "lawful_basis":
            values[name] = _choice(raw, LawfulBasis, field=name)
        elif name == "buying_roles":
            values[name] = buying_roles_clean(raw or [])
        elif name == "influence":
            values[name] = _influence(raw)
        elif name == "owner":
            values[name] = _user_or_none(raw, field=name)
        elif name == "email":
            values[name] = email_clean(raw)
        elif name == "has_left":
            values[name] = bool(raw)
        elif name == "left_on":
            if raw in (None, ""):
                values[name] = None
            elif isinstance(raw, dt.date):
                values[name] = raw
            else:
                try:
                    values[name] = dt.date.fromisoformat(str(raw))
                except ValueError:
                    raise ApplicationError(
                        _("The date is written YYYY-MM-DD."), field=name
                    ) from None
        elif name == "reports_to":
            values[name] = _reports_to(account=account, contact=contact, value=raw)
    if values.get("left_on") and "has_left" not in values:
        values["has_left"] = True
    if values.get("has_left") is False and "left_on" not in values:
        values["left_on"] = None
    if values.get("email"):
        clash = Contact.objects.filter(account=account, email=values["email"], erased_at=None)
        if contact is not None:
            clash = clash.exclude(pk=contact.pk)
        if clash.exists():
            raise ApplicationError(
                _("Another contact of this account has the e-mail address %(email)s.")
                % {"email": values["email"]},
                field="email",
            )
    return values


def _reports_to(*, account: Account, contact: Contact | None, value: Any) -> Contact | None:
    if value in (None, ""):
        return None
    boss = value if isinstance(value, Contact) else Contact.objects.filter(pk=value).first()
    if boss is None or boss.account_id != account.pk:
        raise ApplicationError(
            _("The manager must be a contact of the same account."), field="reports_to"
        )
    if contact is not None:
        # Walk up from the new manager: meeting the contact itself would make a loop.
        parents = dict(Contact.objects.filter(account=account).values_list("pk", "reports_to_id"))
        seen: set[int] = set()
        node: int | None = boss.pk
        while node is not None and node not in seen:
            if node == contact.pk:
                raise ApplicationError(
                    _("%(name)s cannot report to someone who reports to them.")
                    % {"name": contact.display_name},
                    field="reports_to",
                )
            seen.add(node)
            node = parents.get(node)
    return boss


def contact_create(*, user: User, account: Account, **data: Any) -> Contact:
    """Add a contact to ``account`` (name required; see ``CONTACT_FIELDS`` for the rest)."""
    _check_editable(user=user, account=account)
    values = {**CONTACT_FIELDS, "buying_roles": []}
    if "name" not in data:
        data = {**data, "name": ""}
    values.update(_contact_values(account=account, contact=None, data=data))
    with transaction.atomic():
        last = (
            Contact.objects.select_for_update()
            .filter(account=account)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        return Contact.objects.create(account=account, number=(last or 0) + 1, **values)


def contact_update(*, user: User, contact: Contact, **data: Any) -> Contact:
    """Change the fields given; an erased contact cannot be changed."""
    _check_editable(user=user, account=contact.account)
    if contact.erased_at is not None:
        raise ApplicationError(
            _("This contact's data was erased; it cannot be changed."), status=409
        )
    for name, value in _contact_values(account=contact.account, contact=contact, data=data).items():
        setattr(contact, name, value)
    contact.save()
    return contact


def contact_delete(*, user: User, contact: Contact) -> None:
    """Delete a contact entered by mistake; one who took part in activities is erased instead."""
    _check_editable(user=user, account=contact.account)
    if contact.activities.exists():
        raise ApplicationError(
            _(
                "%(name)s took part in activities; erase the person's data instead, so that "
                "the account's history stays whole."
            )
            % {"name": contact.display_name},
            status=409,
        )
    contact.delete()


# --- manual links --------------------------------------------------------------------------------


def link_set(
    *,
    user: User,
    contact: Contact,
    person: Any,
    strength: str,
    meetings_per_year: int = 0,
    last_met: dt.date | None = None,
    note: str = "",
) -> ContactLink | None:
    """Set a manual link between ``person`` (ours) and ``contact``; strength 'none' removes it.

    Links derived from activities win over manual ones (``kam.relationships.selectors``).
    """
    _check_editable(user=user, account=contact.account)
    if contact.erased_at is not None:
        raise ApplicationError(_("This contact's data was erased."), status=409)
    person = _user_or_none(person, field="user")
    if person is None:
        raise ApplicationError(_("Name one of our people."), field="user")
    strength = _choice(strength, Strength, field="strength")
    if not 0 <= int(meetings_per_year) <= 365:
        raise ApplicationError(_("Meetings per year is 0 to 365."), field="meetings_per_year")
    if last_met is not None and last_met > timezone.localdate():
        raise ApplicationError(_("The last meeting cannot be in the future."), field="last_met")
    if strength == Strength.NONE:
        ContactLink.objects.filter(contact=contact, user=person).delete()
        return None
    link, _created = ContactLink.objects.update_or_create(
        contact=contact,
        user=person,
        defaults={
            "strength": strength,
            "meetings_per_year": int(meetings_per_year),
            "last_met": last_met,
            "note": _text(note, field="note", label=_("The note")),
            "updated_by": user if user.is_authenticated else None,
        },
    )
    return link


# --- team ----------------------------------------------------------------------------------------


def _hours(value: Any) -> int:
    try:
        hours = int(value)
    except (TypeError, ValueError):
        hours = -1
    if not 0 <= hours <= MAX_PLANNED_HOURS:
        raise ApplicationError(
            _("Planned hours are a whole number from 0 to %(n)d.") % {"n": MAX_PLANNED_HOURS},
            field="planned_hours",
        )
    return hours


def team_member_set(
    *,
    user: User,
    account: Account,
    person: Any,
    team_role: str = TeamRole.CORE,
    function: str = "",
    planned_hours: int = 0,
) -> AccountTeamMember | None:
    """Put ``person`` on the account team (or change their seat), with function and hours.

    For the account's key account manager only the planned hours are kept (on the account):
    they lead the team and have no seat in it (section 3).
    """
    _check_editable(user=user, account=account)
    person = _user_or_none(person, field="user")
    if person is None:
        raise ApplicationError(_("Name one of our people."), field="user")
    hours = _hours(planned_hours)
    if person.pk == account.owner_id:
        account.owner_planned_hours = hours
        account.save(update_fields=["owner_planned_hours", "updated_at"])
        return None
    role = _choice(team_role, TeamRole, field="team_role")
    function = _choice(function, Function, field="function") if function else ""
    member, _created = AccountTeamMember.objects.update_or_create(
        account=account,
        user=person,
        defaults={"team_role": role, "function": function, "planned_hours": hours},
    )
    return member


def team_member_remove(*, user: User, account: Account, person: Any) -> None:
    """Take ``person`` off the account team."""
    _check_editable(user=user, account=account)
    AccountTeamMember.objects.filter(account=account, user=person).delete()


def account_domains_set(*, user: User, account: Account, domains: Iterable[str]) -> Account:
    """The customer's e-mail domains (for the calendar import); a domain has one account."""
    _check_editable(user=user, account=account)
    cleaned: list[str] = []
    for d in domains:
        if str(d).strip():
            value = domain_clean(d)
            if value not in cleaned:
                cleaned.append(value)
    for other in (
        Account.objects.exclude(pk=account.pk)
        .exclude(email_domains=[])
        .only("name", "email_domains")
    ):
        clash = set(other.email_domains or []) & set(cleaned)
        if clash:
            domain = sorted(clash)[0]
            # Name the other account only to someone who may see it (a leak otherwise).
            if account_list_visible(user=user).filter(pk=other.pk).exists():
                message = _("The domain %(d)s belongs to %(account)s already.") % {
                    "d": domain,
                    "account": other.name,
                }
            else:
                message = _("The domain %(d)s belongs to another account already.") % {"d": domain}
            raise ApplicationError(message, field="email_domains", status=409)
    account.email_domains = cleaned
    account.save(update_fields=["email_domains", "updated_at"])
    return account


# --- stage and positioning -----------------------------------------------------------------------


def relationship_get_or_create(*, account: Account) -> AccountRelationship:
    rel, _created = AccountRelationship.objects.get_or_create(account=account)
    return rel


def stage_inferred_store(*, account: Account, stage: str) -> AccountRelationship:
    """Store the stage ``infer_stage`` gave, with the time (only when it changed)."""
    rel = relationship_get_or_create(account=account)
    if rel.inferred_stage != stage:
        rel.inferred_stage = stage
        rel.inferred_at = timezone.now()
        rel.save(update_fields=["inferred_stage", "inferred_at"])
    return rel


def stage_override(*, user: User, account: Account, stage: str, reason: str) -> AccountRelationship:
    """Choose the stage by hand with a reason (empty ``stage`` returns to the inferred one)."""
    _check_editable(user=user, account=account)
    rel = relationship_get_or_create(account=account)
    if stage:
        stage = _choice(stage, Stage, field="stage")
        reason = str(reason or "").strip()
        if not reason:
            raise ApplicationError(
                _("Say why you choose another stage than the inferred one."), field="reason"
            )
    rel.chosen_stage = stage or ""
    rel.chosen_reason = reason if stage else ""
    rel.chosen_by = user if user.is_authenticated and stage else None
    rel.chosen_at = timezone.now() if stage else None
    rel.save()
    return rel


def markers_set(
    *,
    user: User,
    account: Account,
    joint_plan: bool,
    joint_projects: int,
    shared_systems: bool,
) -> AccountRelationship:
    """The stage markers kam cannot see in activities: a joint plan, joint projects, shared
    information or systems (section 3, stage table)."""
    _check_editable(user=user, account=account)
    try:
        projects = int(joint_projects)
    except (TypeError, ValueError):
        projects = -1
    if not 0 <= projects <= 100:
        raise ApplicationError(
            _("Joint projects is a count from 0 to 100."), field="joint_projects"
        )
    rel = relationship_get_or_create(account=account)
    rel.joint_plan = bool(joint_plan)
    rel.joint_projects = projects
    rel.shared_systems = bool(shared_systems)
    rel.save(update_fields=["joint_plan", "joint_projects", "shared_systems"])
    return rel


def positioning_set(
    *, user: User, account: Account, view: str, note: str = ""
) -> AccountRelationship:
    """Record how the customer files us (section 4); empty ``view`` clears it."""
    _check_editable(user=user, account=account)
    rel = relationship_get_or_create(account=account)
    rel.customer_view = _choice(view, CustomerView, field="view") if view else ""
    rel.customer_view_note = str(note or "").strip()
    rel.customer_view_by = user if user.is_authenticated else None
    rel.customer_view_at = timezone.now()
    rel.save()
    return rel
