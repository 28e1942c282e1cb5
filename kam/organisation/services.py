"""Writes of the organisation's policies: box policies, limits, team capacity, exchange rates.

Every function checks the rule it guards and raises ``ApplicationError`` with the field
concerned and a message a sales director can act on. Who may call them (sales directors
and administrators) is checked by the page and the API, with
``kam.organisation.selectors.policy_may_edit``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from kam.errors import ApplicationError
from kam.organisation.models import (
    Box,
    BoxPolicy,
    ExchangeRate,
    ManagerLimitCounts,
    Organisation,
    ServiceChannel,
)
from kam.users.models import Function, Profile
from kam.web.concurrency import VersionConflict, save_versioned, snapshot

# Bounds shared by the services (the authority) and the forms (which show every field's
# range error at once). Each bound states what a value outside it would mean.
MAX_HOURS_PER_ACCOUNT = 100_000  # beyond this it is a typo, not a policy
MAX_REVIEW_CADENCE_MONTHS = 24  # an account unreviewed for two years is not managed
MAX_PERSON_HOURS_PER_YEAR = 3_000  # a full-time year is about 1,700 working hours
MAX_HOURLY_COST = Decimal("999999.99")
ORGANISATION_BOUNDS: dict[str, tuple[Decimal, Decimal]] = {
    "max_key_accounts": (Decimal(1), Decimal(10_000)),
    "max_key_accounts_per_manager": (Decimal(1), Decimal(100)),
    # More than 1.00 would plan key accounts on hours the team does not have.
    "capacity_warning_share": (Decimal("0.01"), Decimal("1.00")),
    "sensitivity_draws": (Decimal(100), Decimal(10_000)),
    "sensitivity_concentration": (Decimal(1), Decimal(1_000_000)),
    # From 0.50 up, at most one box can reach the threshold, so "certain" is unambiguous.
    "uncertainty_threshold": (Decimal("0.50"), Decimal("1.00")),
    # Scores run 1-10, so raters can differ by at most 9 points.
    "disagreement_points": (Decimal("1.0"), Decimal("9.0")),
    # A yearly cost of capital; above 50 % every future year would be worth next to nothing.
    "discount_rate": (Decimal("0.0000"), Decimal("0.5000")),
}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_RATE_PLACES = Decimal("0.000001")
_MAX_RATE = Decimal("99999999.999999")


@dataclass(frozen=True)
class BoxPolicyInput:
    """A box policy as entered: whole yearly hours per account and a cadence in months."""

    min_hours_per_year: int
    max_hours_per_year: int
    review_cadence_months: int
    version: int | None = None  # the policy's version it was changed on (None: no check)
    service_channel: str | None = None  # None: kept as it is
    visits_per_year: int | None = None  # None: kept as it is


@dataclass(frozen=True)
class TeamCapacityChange:
    """One person's function, yearly hours for accounts and hourly cost (base currency)."""

    user_id: int
    function: str
    hours_per_year: int
    hourly_cost: Decimal


def _whole(value: object, *, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        raise ApplicationError(
            _("%(label)s must be a whole number.") % {"label": label}, field=field
        )
    if int(value) != value:
        raise ApplicationError(
            _("%(label)s must be a whole number.") % {"label": label}, field=field
        )
    return int(value)


#: More visits a year than working days is a typo, not a policy.
MAX_VISITS_PER_YEAR = 250


def service_channel_check(value: object, *, field: str = "service_channel") -> str:
    """``value`` when it is a service channel; otherwise a 422 naming the channels."""
    if value not in ServiceChannel.values:
        raise ApplicationError(
            _("Unknown service channel “%(c)s”; use one of: %(channels)s.")
            % {"c": value, "channels": ", ".join(ServiceChannel.values)},
            field=field,
        )
    return str(value)


def visits_check(value: object, *, field: str = "visits_per_year") -> int:
    """``value`` as whole visits a year, 0 to ``MAX_VISITS_PER_YEAR``; otherwise a 422."""
    visits = _whole(value, field=field, label=_("Visits per year"))
    if not 0 <= visits <= MAX_VISITS_PER_YEAR:
        raise ApplicationError(
            _("Visits per year must be between 0 and %(n)d.") % {"n": MAX_VISITS_PER_YEAR},
            field=field,
        )
    return visits


def box_policy_update(
    *,
    organisation: Organisation,
    box: str,
    min_hours_per_year: int,
    max_hours_per_year: int,
    review_cadence_months: int,
    service_channel: str | None = None,
    visits_per_year: int | None = None,
    expected_version: int | None = None,
    precondition: bool = False,
    user: Any = None,
) -> BoxPolicy:
    """Set the policy of one box: yearly hours per account (minimum, maximum), how many
    months between reviews, the service channel and visits per account per year
    (docs/method.md section 2; ``None`` keeps the channel or visits as they are). The
    minimum is what the capacity check counts for key and key development accounts.

    ``expected_version``: the policy's version the change was made on; when someone saved
    it since, nothing is written (``kam.web.concurrency.VersionConflict``, 409 or 412 with
    ``precondition``). An unchanged policy is not written and keeps its version."""
    if box not in Box.values:
        raise ApplicationError(
            _("Unknown box “%(box)s”; use one of: %(boxes)s.")
            % {"box": box, "boxes": ", ".join(Box.values)},
            field="box",
        )
    lo = _whole(min_hours_per_year, field="min_hours_per_year", label=_("The minimum"))
    hi = _whole(max_hours_per_year, field="max_hours_per_year", label=_("The maximum"))
    months = _whole(review_cadence_months, field="review_cadence_months", label=_("The cadence"))
    if lo < 0:
        raise ApplicationError(
            _("The minimum cannot be negative; use 0 for no promised hours."),
            field="min_hours_per_year",
        )
    if hi > MAX_HOURS_PER_ACCOUNT:
        raise ApplicationError(
            _("More than %(n)s hours a year for one account is not a policy; check the number.")
            % {"n": f"{MAX_HOURS_PER_ACCOUNT:,}"},
            field="max_hours_per_year",
        )
    if hi < lo:
        raise ApplicationError(
            _("The maximum (%(hi)d h) must be at least the minimum (%(lo)d h).")
            % {"hi": hi, "lo": lo},
            field="max_hours_per_year",
        )
    if not 1 <= months <= MAX_REVIEW_CADENCE_MONTHS:
        raise ApplicationError(
            _("Review every 1 to %(n)d months.") % {"n": MAX_REVIEW_CADENCE_MONTHS},
            field="review_cadence_months",
        )
    values: dict[str, Any] = {
        "min_hours_per_year": lo,
        "max_hours_per_year": hi,
        "review_cadence_months": months,
    }
    if service_channel is not None:
        values["service_channel"] = service_channel_check(service_channel)
    if visits_per_year is not None:
        values["visits_per_year"] = visits_check(visits_per_year)
    policy = BoxPolicy.objects.filter(organisation=organisation, box=box).first()
    if policy is None:
        by = user if user is not None and getattr(user, "is_authenticated", False) else None
        return BoxPolicy.objects.create(organisation=organisation, box=box, updated_by=by, **values)
    before = snapshot(policy, list(values))
    for name, value in values.items():
        setattr(policy, name, value)
    save_versioned(
        policy, before=before, expected=expected_version, user=user, precondition=precondition
    )
    return policy


def box_policies_update(
    *,
    organisation: Organisation,
    policies: Mapping[str, BoxPolicyInput],
    user: Any = None,
    precondition: bool = False,
) -> list[BoxPolicy]:
    """Set several box policies at once, all or none.

    An error names its field as ``"<box>.<field>"``, for example
    ``"key.max_hours_per_year"``. Each input's ``version`` is checked as in
    :func:`box_policy_update`; a conflict on one box saves none.
    """
    saved = []
    with transaction.atomic():
        for box, policy in policies.items():
            try:
                saved.append(
                    box_policy_update(
                        organisation=organisation,
                        box=box,
                        min_hours_per_year=policy.min_hours_per_year,
                        max_hours_per_year=policy.max_hours_per_year,
                        review_cadence_months=policy.review_cadence_months,
                        service_channel=policy.service_channel,
                        visits_per_year=policy.visits_per_year,
                        expected_version=policy.version,
                        precondition=precondition,
                        user=user,
                    )
                )
            except VersionConflict:
                raise
            except ApplicationError as exc:
                label = Box(box).label if box in Box.values else box
                raise ApplicationError(
                    f"{label}: {exc.message}",
                    field=f"{box}.{exc.field}" if exc.field else box,
                    status=exc.status,
                ) from exc
    return saved


def _bounded(name: str, value: Decimal | int | float, label: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise ApplicationError(
            _("%(label)s must be a number.") % {"label": label}, field=name
        ) from exc
    lo, hi = ORGANISATION_BOUNDS[name]
    if not number.is_finite() or not lo <= number <= hi:
        raise ApplicationError(
            _("%(label)s must be between %(lo)s and %(hi)s.")
            % {"label": label, "lo": lo, "hi": hi},
            field=name,
        )
    return number


def _quantize_rate(value: Decimal, *, field: str) -> Decimal:
    rate = value.quantize(_RATE_PLACES, rounding=ROUND_HALF_UP)
    if rate <= 0:
        raise ApplicationError(
            _("An exchange rate must be more than 0 (kam keeps 6 decimals)."), field=field
        )
    if rate > _MAX_RATE:
        raise ApplicationError(_("That exchange rate is too large to store."), field=field)
    return rate


def _currency(code: str, *, field: str) -> str:
    code = (code or "").strip().upper()
    if not _CURRENCY.match(code):
        raise ApplicationError(
            _("Use a three-letter ISO currency code, such as EUR, USD or GBP."), field=field
        )
    return code


def _rebase(organisation: Organisation, new_base: str) -> None:
    """Re-express every stored rate in ``new_base``, through the rate of ``new_base`` itself."""
    old_base = organisation.base_currency
    rates = {r.currency: r for r in organisation.exchange_rates.select_for_update()}
    if not rates:
        return
    pivot = rates.pop(new_base, None)
    if pivot is None:
        raise ApplicationError(
            _(
                "Add an exchange rate for %(new)s first: kam converts the other rates "
                "through it when the base currency changes."
            )
            % {"new": new_base},
            field="base_currency",
        )
    for rate in rates.values():
        rate.rate_to_base = _quantize_rate(
            rate.rate_to_base / pivot.rate_to_base, field="base_currency"
        )
        rate.save(update_fields=["rate_to_base"])
    pivot.currency = old_base
    pivot.rate_to_base = _quantize_rate(Decimal(1) / pivot.rate_to_base, field="base_currency")
    pivot.save(update_fields=["currency", "rate_to_base"])


def organisation_update(
    *,
    organisation: Organisation,
    name: str | None = None,
    base_currency: str | None = None,
    max_key_accounts: int | None = None,
    max_key_accounts_per_manager: int | None = None,
    manager_limit_counts: str | None = None,
    capacity_warning_share: Decimal | None = None,
    sensitivity_draws: int | None = None,
    sensitivity_concentration: Decimal | None = None,
    uncertainty_threshold: Decimal | None = None,
    disagreement_points: Decimal | None = None,
    discount_rate: Decimal | None = None,
) -> Organisation:
    """Change the organisation's settings; an argument left ``None`` keeps its value.

    - ``max_key_accounts``, ``max_key_accounts_per_manager``, ``capacity_warning_share``:
      the too-many-key-accounts limits (docs/method.md section 1; defaults 50, 4, 1.00);
    - ``manager_limit_counts``: which accounts count against the per-manager limit
      (``ManagerLimitCounts``: key and key development, the default, or key only);
    - ``sensitivity_draws``, ``sensitivity_concentration`` (Dirichlet concentration of the
      drawn weights), ``uncertainty_threshold`` (probability a box needs, 0.50-1.00):
      the sensitivity analysis of section 1;
    - ``disagreement_points``: the spread between raters (in score points) that flags a
      criterion for discussion;
    - ``discount_rate``: the yearly rate (0.08 = 8 %) of net present values and of the cost
      of payment terms (docs/method.md section 6);
    - ``base_currency``: changing it re-expresses the stored exchange rates in the new
      base, which therefore needs a rate first.
    """
    labels = {
        "max_key_accounts": _("The most key accounts for the company"),
        "max_key_accounts_per_manager": _("The most key accounts per key account manager"),
        "capacity_warning_share": _("The capacity share"),
        "sensitivity_draws": _("The number of draws"),
        "sensitivity_concentration": _("The concentration"),
        "uncertainty_threshold": _("The certainty threshold"),
        "disagreement_points": _("The disagreement spread"),
        "discount_rate": _("The discount rate"),
    }
    given: dict[str, object] = {
        "max_key_accounts": max_key_accounts,
        "max_key_accounts_per_manager": max_key_accounts_per_manager,
        "capacity_warning_share": capacity_warning_share,
        "sensitivity_draws": sensitivity_draws,
        "sensitivity_concentration": sensitivity_concentration,
        "uncertainty_threshold": uncertainty_threshold,
        "disagreement_points": disagreement_points,
        "discount_rate": discount_rate,
    }
    changes: dict[str, object] = {}
    if name is not None:
        name = name.strip()
        if not name or len(name) > 200:
            raise ApplicationError(
                _("Give the organisation a name of 1 to 200 characters."), field="name"
            )
        changes["name"] = name
    if manager_limit_counts is not None:
        if manager_limit_counts not in ManagerLimitCounts.values:
            raise ApplicationError(
                _("Choose which accounts count per key account manager: %(choices)s.")
                % {"choices": ", ".join(ManagerLimitCounts.values)},
                field="manager_limit_counts",
            )
        changes["manager_limit_counts"] = manager_limit_counts
    for field, value in given.items():
        if value is None:
            continue
        number = _bounded(field, value, labels[field])  # type: ignore[arg-type]
        if field in {"max_key_accounts", "max_key_accounts_per_manager", "sensitivity_draws"}:
            changes[field] = _whole(number, field=field, label=labels[field])
        else:
            places = Organisation._meta.get_field(field).decimal_places  # type: ignore[union-attr]
            changes[field] = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    with transaction.atomic():
        if base_currency is not None:
            code = _currency(base_currency, field="base_currency")
            if code != organisation.base_currency:
                _rebase(organisation, code)
                changes["base_currency"] = code
        for field, value in changes.items():
            setattr(organisation, field, value)
        if changes:
            organisation.save(update_fields=list(changes))
    return organisation


def exchange_rate_set(
    *, organisation: Organisation, currency: str, rate_to_base: Decimal
) -> ExchangeRate:
    """Set what one unit of ``currency`` is worth in the base currency (kept to 6 decimals).

    Used to compare and size accounts that report revenue in different currencies.
    """
    code = _currency(currency, field="currency")
    if code == organisation.base_currency:
        raise ApplicationError(
            _("%(code)s is the base currency; its rate is always 1.") % {"code": code},
            field="currency",
        )
    try:
        value = Decimal(str(rate_to_base))
    except InvalidOperation as exc:
        raise ApplicationError(_("The rate must be a number."), field="rate_to_base") from exc
    if not value.is_finite():
        raise ApplicationError(_("The rate must be a number."), field="rate_to_base")
    rate = _quantize_rate(value, field="rate_to_base")
    row, _created = ExchangeRate.objects.update_or_create(
        organisation=organisation, currency=code, defaults={"rate_to_base": rate}
    )
    return row


def exchange_rate_delete(*, organisation: Organisation, currency: str) -> None:
    """Remove the rate of ``currency``; amounts in it can no longer be converted."""
    deleted, _detail = ExchangeRate.objects.filter(
        organisation=organisation, currency=(currency or "").strip().upper()
    ).delete()
    if not deleted:
        raise ApplicationError(
            _("There is no exchange rate for %(code)s.") % {"code": currency},
            field="currency",
            status=404,
        )


def team_capacity_update(*, changes: Sequence[TeamCapacityChange]) -> list[Profile]:
    """Set function, yearly hours for accounts and hourly cost for several people, all or none.

    The hours add up to the team's capacity, against which the box policies' minimum
    hours for key and key development accounts are checked (docs/method.md section 1).
    An error names its field as ``"<user id>.<field>"``.
    """
    User = get_user_model()
    ids = [c.user_id for c in changes]
    if len(set(ids)) != len(ids):
        raise ApplicationError(_("Each person may appear only once."), field="user_id")
    users = User.objects.filter(pk__in=ids, is_active=True).select_related("profile").in_bulk()
    saved: list[Profile] = []
    with transaction.atomic():
        for change in changes:
            user = users.get(change.user_id)
            if user is None:
                raise ApplicationError(
                    _("No active person with id %(id)s.") % {"id": change.user_id},
                    field=f"{change.user_id}.user_id",
                    status=404,
                )
            who = user.get_full_name() or user.get_username()
            if change.function not in Function.values:
                raise ApplicationError(
                    _("%(who)s: choose a function from the list.") % {"who": who},
                    field=f"{change.user_id}.function",
                )
            hours = _whole(
                change.hours_per_year,
                field=f"{change.user_id}.hours_per_year",
                label=_("Hours per year"),
            )
            if not 0 <= hours <= MAX_PERSON_HOURS_PER_YEAR:
                raise ApplicationError(
                    _(
                        "%(who)s: hours per year must be between 0 and %(max)s; a full-time "
                        "year has about 1,700 working hours."
                    )
                    % {"who": who, "max": f"{MAX_PERSON_HOURS_PER_YEAR:,}"},
                    field=f"{change.user_id}.hours_per_year",
                )
            try:
                cost = Decimal(str(change.hourly_cost)).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP
                )
            except InvalidOperation as exc:
                raise ApplicationError(
                    _("%(who)s: the hourly cost must be a number.") % {"who": who},
                    field=f"{change.user_id}.hourly_cost",
                ) from exc
            if not Decimal(0) <= cost <= MAX_HOURLY_COST:
                raise ApplicationError(
                    _("%(who)s: the hourly cost must be between 0 and %(max)s.")
                    % {"who": who, "max": MAX_HOURLY_COST},
                    field=f"{change.user_id}.hourly_cost",
                )
            profile, _created = Profile.objects.get_or_create(user=user)
            profile.function = change.function
            profile.hours_per_year = hours
            profile.hourly_cost = cost
            profile.save(update_fields=["function", "hours_per_year", "hourly_cost"])
            saved.append(profile)
    return saved


def expected_functions_set(*, box_functions: Mapping[str, Sequence[str]]) -> None:
    """The functions (ours: sales, supply chain …) an account team of each box should have
    (docs/method.md section 3); kam shows the team's functions against them."""
    from kam.organisation.selectors import box_policy_rows_get, organisation_get

    org = organisation_get()
    with transaction.atomic():
        for row in box_policy_rows_get(organisation=org):
            if row.box not in box_functions:
                continue
            chosen = set(box_functions[row.box])
            unknown = chosen - set(Function.values)
            if unknown:
                raise ApplicationError(
                    _("'%(value)s' is not a function.") % {"value": sorted(unknown)[0]},
                    field="expected_functions",
                )
            row.expected_functions = [f for f in Function.values if f in chosen]
            # Only this field: a full save would write back hours (and a version) read
            # before someone else's save of the policy.
            row.save(update_fields=["expected_functions", "updated_at"] if row.pk else None)
