"""Writes about accounts: master data, group, owner, account team and yearly revenue.

Every write checks the caller against ``account_list_editable``; an account the caller
cannot even read answers 404 (so that ids cannot be probed), one they read but may not
change answers 403. The field rules here are the same ones the CSV/XLSX import applies
(``kam.accounts.imports``), so a value refused on the edit page is refused in a file too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from kam.accounts.codes import COUNTRY_CODES, CURRENCY_CODES
from kam.accounts.models import Account, AccountRevenue, AccountTeamMember, TeamRole
from kam.accounts.selectors import (
    account_editable_check,
    account_list_visible,
    account_may_change_owner,
    user_role,
)
from kam.errors import ApplicationError, control_characters_refuse
from kam.organisation.selectors import organisation_get
from kam.users.models import Role
from kam.web.history_records import bulk_history

#: Roles that may own (lead) an account.
OWNER_ROLES: Final = frozenset({Role.KEY_ACCOUNT_MANAGER, Role.SALES_DIRECTOR, Role.ADMINISTRATOR})

NAME_MAX = Account._meta.get_field("name").max_length or 200
EXTERNAL_ID_MAX = Account._meta.get_field("external_id").max_length or 64
CHANNEL_MAX = Account._meta.get_field("channel").max_length or 60
YEAR_MIN, YEAR_MAX = 1900, 2100
#: AccountRevenue.amount has 16 digits, 2 after the point.
AMOUNT_MAX = Decimal("99999999999999.99")
CENT = Decimal("0.01")

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class _Unset:
    """Marks an argument of ``account_update`` that the caller did not pass."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


# --- field rules (shared with the import) -------------------------------------------------


def name_clean(value: str) -> str:
    """An account name: not empty, at most 200 characters, outer spaces removed."""
    name = control_characters_refuse((value or "").strip(), field="name")
    if not name:
        raise ApplicationError(_("The name is empty."), field="name")
    if len(name) > NAME_MAX:
        raise ApplicationError(
            _("The name is longer than %(max)d characters.") % {"max": NAME_MAX}, field="name"
        )
    return name


def external_id_clean(value: str) -> str:
    """The customer number in the ERP/CRM: not empty, at most 64 characters, no spaces around."""
    external_id = (value or "").strip()
    if not external_id:
        raise ApplicationError(_("The external id is empty."), field="external_id")
    if len(external_id) > EXTERNAL_ID_MAX:
        raise ApplicationError(
            _("The external id is longer than %(max)d characters.") % {"max": EXTERNAL_ID_MAX},
            field="external_id",
        )
    return external_id


def country_clean(value: str) -> str:
    """An ISO 3166-1 alpha-2 country code such as ``NL``; lower case is accepted and raised."""
    code = (value or "").strip().upper()
    if code not in COUNTRY_CODES:
        raise ApplicationError(
            _("'%(value)s' is not a two-letter ISO country code (for example NL, DE, GB).")
            % {"value": (value or "").strip()},
            field="country",
        )
    return code


def currency_clean(value: str) -> str:
    """An ISO 4217 currency code such as ``EUR``; lower case is accepted and raised."""
    code = (value or "").strip().upper()
    if code not in CURRENCY_CODES:
        raise ApplicationError(
            _("'%(value)s' is not a three-letter ISO currency code (for example EUR, USD, GBP).")
            % {"value": (value or "").strip()},
            field="currency",
        )
    return code


def channel_clean(value: str) -> str:
    """The industry or channel, free text of at most 60 characters (may be empty)."""
    channel = (value or "").strip()
    if len(channel) > CHANNEL_MAX:
        raise ApplicationError(
            _("The channel is longer than %(max)d characters.") % {"max": CHANNEL_MAX},
            field="channel",
        )
    return channel


def year_clean(value: int | str) -> int:
    """A calendar year between 1900 and 2100."""
    try:
        year = int(str(value).strip())
    except ValueError:
        raise ApplicationError(
            _("'%(value)s' is not a year.") % {"value": value}, field="year"
        ) from None
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ApplicationError(
            _("%(year)d is not a year between %(min)d and %(max)d.")
            % {"year": year, "min": YEAR_MIN, "max": YEAR_MAX},
            field="year",
        )
    return year


def amount_clean(value: Decimal | int | float | str, *, field: str = "amount") -> Decimal:
    """A yearly revenue in the account's currency: a number of at least 0, rounded to cents.

    Text must use a point for decimals and no thousands separators (``1234567.89``), so
    that ``1.234`` can never be read as either one thousand or one point two.
    """
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, bool):
        raise ApplicationError(_("'%(value)s' is not a number.") % {"value": value}, field=field)
    elif isinstance(value, int | float):
        amount = Decimal(str(value))
    else:
        text = (value or "").strip()
        if not _NUMBER.match(text):
            raise ApplicationError(
                _(
                    "'%(value)s' is not a number (write 1234567.89: a point for decimals, "
                    "no thousands separators)."
                )
                % {"value": text},
                field=field,
            )
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ApplicationError(
                _("'%(value)s' is not a number.") % {"value": text}, field=field
            ) from None
    if not amount.is_finite():
        raise ApplicationError(_("'%(value)s' is not a number.") % {"value": value}, field=field)
    if amount < 0:
        raise ApplicationError(_("Revenue cannot be negative."), field=field)
    amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if amount > AMOUNT_MAX:
        raise ApplicationError(_("The amount is too large."), field=field)
    return amount


def owner_check(owner: User) -> None:
    """Refuse an owner who is not an active key account manager, sales director or administrator."""
    profile = getattr(owner, "profile", None)
    if not owner.is_active or profile is None or profile.role not in OWNER_ROLES:
        raise ApplicationError(
            _(
                "'%(username)s' cannot own accounts: the owner must be a key account manager, "
                "sales director or administrator."
            )
            % {"username": owner.get_username()},
            field="owner",
        )


def _parent_check(*, user: User, account_pk: int | None, parent: Account | None) -> None:
    """The group must be readable by ``user``, not the account itself and not one of its members."""
    if parent is None:
        return
    if not account_list_visible(user=user).filter(pk=parent.pk).exists():
        raise ApplicationError(_("There is no such group account."), field="parent", status=404)
    if account_pk is None:
        return
    if parent.pk == account_pk:
        raise ApplicationError(_("An account cannot be its own group."), field="parent")
    # Walk up from the proposed parent; meeting the account means the chain would loop.
    seen: set[int] = set()
    node_id: int | None = parent.parent_id
    while node_id is not None and node_id not in seen:
        if node_id == account_pk:
            raise ApplicationError(
                _("'%(parent)s' belongs to this account's own group, so it cannot be its parent.")
                % {"parent": parent.name},
                field="parent",
            )
        seen.add(node_id)
        node_id = Account.objects.filter(pk=node_id).values_list("parent_id", flat=True).first()


def _external_id_free(external_id: str, *, exclude_pk: int | None = None) -> None:
    taken = Account.objects.filter(external_id=external_id)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ApplicationError(
            _("Another account already has external id '%(external_id)s'.")
            % {"external_id": external_id},
            field="external_id",
            status=409,
        )


# --- services ------------------------------------------------------------------------------


def account_create(
    *,
    user: User,
    external_id: str,
    name: str,
    country: str,
    currency: str | None = None,
    channel: str = "",
    parent: Account | None = None,
    owner: User | None = None,
    active: bool = True,
) -> Account:
    """Create an account.

    Sales directors and administrators create accounts for any owner; a key account
    manager creates accounts they own themselves (``owner`` defaults to them). The
    currency defaults to the organisation's base currency.
    """
    if account_may_change_owner(user=user):
        pass
    elif user_role(user) == Role.KEY_ACCOUNT_MANAGER:
        if owner is None:
            owner = user
        elif owner.pk != user.pk:
            raise ApplicationError(
                _("A key account manager can only create accounts they own themselves."),
                field="owner",
                status=403,
            )
    else:
        raise ApplicationError(_("You may not create accounts."), status=403)

    fields: dict[str, Any] = {
        "external_id": external_id_clean(external_id),
        "name": name_clean(name),
        "country": country_clean(country),
        "currency": currency_clean(currency) if currency else organisation_get().base_currency,
        "channel": channel_clean(channel),
        "active": active,
    }
    if owner is not None:
        owner_check(owner)
    _parent_check(user=user, account_pk=None, parent=parent)
    with transaction.atomic():
        _external_id_free(fields["external_id"])
        return Account.objects.create(parent=parent, owner=owner, **fields)


def account_update(
    *,
    user: User,
    account: Account,
    name: str | _Unset = UNSET,
    external_id: str | _Unset = UNSET,
    parent: Account | _Unset | None = UNSET,
    owner: User | _Unset | None = UNSET,
    country: str | _Unset = UNSET,
    channel: str | _Unset = UNSET,
    currency: str | _Unset = UNSET,
    active: bool | _Unset = UNSET,
) -> Account:
    """Change an account's master data; arguments left out stay as they are.

    Only sales directors and administrators may hand an account to another owner.
    """
    account_editable_check(user=user, account=account)
    changed: dict[str, Any] = {}
    if not isinstance(name, _Unset):
        changed["name"] = name_clean(name)
    if not isinstance(external_id, _Unset):
        changed["external_id"] = external_id_clean(external_id)
    if not isinstance(country, _Unset):
        changed["country"] = country_clean(country)
    if not isinstance(channel, _Unset):
        changed["channel"] = channel_clean(channel)
    if not isinstance(currency, _Unset):
        changed["currency"] = currency_clean(currency)
    if not isinstance(active, _Unset):
        changed["active"] = bool(active)
    if not isinstance(owner, _Unset):
        owner_id = owner.pk if owner is not None else None
        if owner_id != account.owner_id:
            if not account_may_change_owner(user=user):
                raise ApplicationError(
                    _("Only a sales director or administrator can give an account another owner."),
                    field="owner",
                    status=403,
                )
            if owner is not None:
                owner_check(owner)
            changed["owner"] = owner
    if not isinstance(parent, _Unset):
        parent_id = parent.pk if parent is not None else None
        if parent_id != account.parent_id:
            _parent_check(user=user, account_pk=account.pk, parent=parent)
            changed["parent"] = parent

    changed = {k: v for k, v in changed.items() if getattr(account, k) != v}
    if not changed:
        return account
    with transaction.atomic():
        if "external_id" in changed:
            _external_id_free(changed["external_id"], exclude_pk=account.pk)
        for key, value in changed.items():
            setattr(account, key, value)
        account.save(update_fields=[*changed, "updated_at"])
    return account


def account_team_set(
    *,
    user: User,
    account: Account,
    core: Sequence[User],
    surround: Sequence[User] = (),
) -> list[AccountTeamMember]:
    """Make the account team exactly ``core`` plus ``surround`` (docs/method.md section 3).

    The owner leads the team and is not listed in it; a person sits in one of the two
    circles, not both. Returns the team, core first, each circle by username.
    """
    account_editable_check(user=user, account=account)
    wanted: dict[int, str] = {}
    for members, team_role in ((core, TeamRole.CORE), (surround, TeamRole.SURROUND)):
        for member in members:
            if not member.is_active:
                raise ApplicationError(
                    _("'%(username)s' is no longer active.") % {"username": member.get_username()},
                    field="team",
                )
            if member.pk == account.owner_id:
                raise ApplicationError(
                    _(
                        "'%(username)s' owns the account and leads its team already; "
                        "do not list them as a member."
                    )
                    % {"username": member.get_username()},
                    field="team",
                )
            if wanted.get(member.pk, team_role) != team_role:
                raise ApplicationError(
                    _("'%(username)s' is in both the core and the surround team; pick one.")
                    % {"username": member.get_username()},
                    field="team",
                )
            wanted[member.pk] = team_role
    with transaction.atomic():
        current = {m.user_id: m for m in account.team.select_for_update()}
        AccountTeamMember.objects.filter(
            account=account, user_id__in=set(current) - set(wanted)
        ).delete()
        changed_role = []
        for user_id, role in wanted.items():
            if user_id in current and current[user_id].team_role != role:
                current[user_id].team_role = role
                changed_role.append(current[user_id])
        AccountTeamMember.objects.bulk_update(changed_role, ["team_role"])
        added = AccountTeamMember.objects.bulk_create(
            AccountTeamMember(account=account, user_id=user_id, team_role=role)
            for user_id, role in wanted.items()
            if user_id not in current
        )
        # bulk writes send no signals: their audit history is written here
        bulk_history(AccountTeamMember, changed_role, update=True)
        bulk_history(AccountTeamMember, added)
    return list(account.team.select_related("user").order_by("team_role", "user__username"))


def account_revenue_set(
    *,
    user: User,
    account: Account,
    revenues: Mapping[int, Decimal | int | float | str | None],
) -> list[AccountRevenue]:
    """Set the account's revenue for the given years (in the account's currency).

    ``revenues`` maps a calendar year to its amount; ``None`` removes that year. Years not
    mentioned keep their figure. Returns every year's revenue of the account, oldest first.
    """
    account_editable_check(user=user, account=account)
    cleaned: dict[int, Decimal | None] = {}
    for year, amount in revenues.items():
        y = year_clean(year)
        cleaned[y] = None if amount is None or amount == "" else amount_clean(amount)
    with transaction.atomic():
        existing = {r.year: r for r in account.revenues.select_for_update()}
        AccountRevenue.objects.filter(
            account=account, year__in=[y for y, a in cleaned.items() if a is None]
        ).delete()
        to_update = []
        to_create = []
        for year, amount in cleaned.items():
            if amount is None:
                continue
            if year in existing:
                if existing[year].amount != amount:
                    existing[year].amount = amount
                    to_update.append(existing[year])
            else:
                to_create.append(AccountRevenue(account=account, year=year, amount=amount))
        AccountRevenue.objects.bulk_update(to_update, ["amount"])
        AccountRevenue.objects.bulk_create(to_create)
    return list(account.revenues.order_by("year"))
