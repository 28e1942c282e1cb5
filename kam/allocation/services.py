"""Writes of planning periods, their capacities and box policies (docs/method.md section 2).

Every function checks who may call it (see ``kam.allocation.selectors``) and the rule it
guards, and raises ``ApplicationError`` with the field concerned. A closed period is
history: nothing in it changes any more (409). The judgements are written in
``kam.allocation.judgement_services``, the optimisation runs in
``kam.allocation.run_services`` (the job) and ``kam.allocation.adapter`` (its rows in and
out).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from kam.allocation.models import (
    PeriodBoxPolicy,
    PeriodCapacity,
    PeriodFunctionCapacity,
    PeriodStatus,
    PlanningPeriod,
)
from kam.allocation.selectors import period_may_plan
from kam.errors import ApplicationError, control_characters_refuse, require
from kam.organisation.models import Box
from kam.organisation.selectors import box_policy_rows_get, organisation_get, team_capacity_list
from kam.organisation.services import (
    MAX_HOURLY_COST,
    MAX_HOURS_PER_ACCOUNT,
    MAX_PERSON_HOURS_PER_YEAR,
    service_channel_check,
    visits_check,
)
from kam.users.models import Function
from kam.web.concurrency import save_versioned, snapshot

#: The most hours a function may be given: far beyond any team, so only typos are refused.
MAX_FUNCTION_HOURS_PER_YEAR = 1_000_000
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
_GROUPING = re.compile(r"[,\s]")


# --- periods, capacities, policies ----------------------------------------------------------


def plan_check(user: User) -> None:
    """Refuse (403) a user who may not plan the team's time."""
    require(
        period_may_plan(user=user),
        _("Only sales directors and administrators plan the team's time."),
    )


def open_check(period: PlanningPeriod) -> None:
    """Refuse (409) a change to a closed period."""
    if period.status == PeriodStatus.CLOSED:
        raise ApplicationError(
            _("This planning period is closed; its plan no longer changes."), status=409
        )


def decimal_parse(value: object, *, field: str, label: str) -> Decimal:
    """A number typed by a user (digits grouped by commas or spaces allowed); an
    ``ApplicationError`` on ``field`` naming ``label`` when it is missing or no number."""
    if isinstance(value, bool) or value is None or value == "":
        raise ApplicationError(_("%(label)s is needed.") % {"label": label}, field=field)
    try:
        # Digits may come grouped by commas or by spaces ("1,200,000", "1 200 000"), as
        # the judgements page shows them.
        number = Decimal(_GROUPING.sub("", str(value)))
    except InvalidOperation as exc:
        raise ApplicationError(
            _("%(label)s must be a number.") % {"label": label}, field=field
        ) from exc
    if not number.is_finite():
        raise ApplicationError(_("%(label)s must be a number.") % {"label": label}, field=field)
    return number


def period_create(*, created_by: User, name: str, start: dt.date, end: dt.date) -> PlanningPeriod:
    """A draft planning period from ``start`` to ``end`` (inclusive), with every team
    member's hours, function and hourly cost and the organisation's box policies copied
    in, so that later profile or policy edits do not rewrite this plan."""
    plan_check(created_by)
    name = control_characters_refuse((name or "").strip(), field="name")
    if not name:
        raise ApplicationError(_("Give the period a name, such as “Plan 2027”."), field="name")
    if end <= start:
        raise ApplicationError(_("The period must end after it starts."), field="end")
    if (end - start).days > 3 * 366:
        raise ApplicationError(_("Plan at most three years at a time."), field="end")
    with transaction.atomic():
        period = PlanningPeriod.objects.create(
            name=name[:100], start=start, end=end, created_by=created_by
        )
        PeriodCapacity.objects.bulk_create(
            PeriodCapacity(
                period=period,
                user=u,
                hours_per_year=u.profile.hours_per_year,
                function=u.profile.function,
                hourly_cost=u.profile.hourly_cost,
            )
            for u in team_capacity_list()
        )
        PeriodBoxPolicy.objects.bulk_create(
            PeriodBoxPolicy(
                period=period,
                box=p.box,
                min_hours_per_year=p.min_hours_per_year,
                max_hours_per_year=p.max_hours_per_year,
                service_channel=p.service_channel,
                visits_per_year=p.visits_per_year,
            )
            for p in box_policy_rows_get(organisation=organisation_get())
        )
    return period


def period_update(
    *,
    user: User,
    period: PlanningPeriod,
    name: str | None = None,
    status: str | None = None,
) -> PlanningPeriod:
    """Rename a period or move it between draft, active and closed. Only one period is
    active at a time: activating one closes the period active before it."""
    plan_check(user)
    if status is not None and status not in PeriodStatus.values:
        raise ApplicationError(
            _("Unknown status “%(s)s”; use draft, active or closed.") % {"s": status},
            field="status",
        )
    with transaction.atomic():
        if name is not None:
            name = control_characters_refuse(name.strip(), field="name")
            if not name:
                raise ApplicationError(_("Give the period a name."), field="name")
            period.name = name[:100]
        if status is not None and status != period.status:
            if status == PeriodStatus.ACTIVE:
                PlanningPeriod.objects.filter(status=PeriodStatus.ACTIVE).exclude(
                    pk=period.pk
                ).update(status=PeriodStatus.CLOSED)
            period.status = status
        period.save()
    return period


@dataclass(frozen=True)
class CapacityChange:
    """One person's yearly hours for customers, function and hourly cost (base currency)."""

    user_id: int
    hours_per_year: int
    function: str
    hourly_cost: Decimal


def capacities_update(
    *, user: User, period: PlanningPeriod, changes: Sequence[CapacityChange]
) -> list[PeriodCapacity]:
    """Change the hours, function and cost of people planned in ``period``, all or none.

    An error names its field as ``"<user id>.<field>"``."""
    plan_check(user)
    open_check(period)
    rows = {c.user_id: c for c in period.capacities.all()}
    saved = []
    with transaction.atomic():
        for change in changes:
            row = rows.get(change.user_id)
            prefix = f"{change.user_id}."
            if row is None:
                raise ApplicationError(
                    _("That person is not planned in this period."),
                    field=f"{prefix}user_id",
                    status=404,
                )
            hours = change.hours_per_year
            if isinstance(hours, bool) or int(hours) != hours or hours < 0:
                raise ApplicationError(
                    _("Hours per year must be a whole number, 0 or more."),
                    field=f"{prefix}hours_per_year",
                )
            if hours > MAX_PERSON_HOURS_PER_YEAR:
                raise ApplicationError(
                    _("More than %(n)s hours a year is more than one person has.")
                    % {"n": f"{MAX_PERSON_HOURS_PER_YEAR:,}"},
                    field=f"{prefix}hours_per_year",
                )
            if change.function not in Function.values:
                raise ApplicationError(
                    _("Unknown function “%(f)s”.") % {"f": change.function},
                    field=f"{prefix}function",
                )
            cost = decimal_parse(change.hourly_cost, field=f"{prefix}hourly_cost", label=_("Cost"))
            if cost < 0 or cost > MAX_HOURLY_COST:
                raise ApplicationError(
                    _("The hourly cost must be between 0 and %(n)s.") % {"n": MAX_HOURLY_COST},
                    field=f"{prefix}hourly_cost",
                )
            row.hours_per_year = int(hours)
            row.function = change.function
            row.hourly_cost = cost.quantize(CENT, rounding=ROUND_HALF_UP)
            row.save()
            saved.append(row)
    return saved


@dataclass(frozen=True)
class FunctionCapacityChange:
    """The most yearly hours one function may spend on customers in the period, over all
    its people together; ``None`` removes the cap (the function's people's own hours are
    then its only limit)."""

    function: str
    hours_per_year: int | None


def function_capacities_update(
    *,
    user: User,
    period: PlanningPeriod,
    changes: Sequence[FunctionCapacityChange],
) -> list[PeriodFunctionCapacity]:
    """Set or remove the period's caps per function, all or none (docs/method.md section 2:
    the team's capacity in total, per person and per function). Functions not named keep
    their cap. An error names its field as ``"<function>.hours_per_year"``."""
    plan_check(user)
    open_check(period)
    saved = []
    seen: set[str] = set()
    with transaction.atomic():
        for change in changes:
            if change.function not in Function.values:
                raise ApplicationError(
                    _("Unknown function “%(f)s”.") % {"f": change.function}, field="function"
                )
            field = f"{change.function}.hours_per_year"
            label = Function(change.function).label
            if change.function in seen:
                raise ApplicationError(
                    _("%(function)s is named twice.") % {"function": label}, field=field
                )
            seen.add(change.function)
            hours = change.hours_per_year
            if hours is None:
                PeriodFunctionCapacity.objects.filter(
                    period=period, function=change.function
                ).delete()
                continue
            if isinstance(hours, bool) or int(hours) != hours or hours < 0:
                raise ApplicationError(
                    _("%(function)s: hours per year must be a whole number, 0 or more.")
                    % {"function": label},
                    field=field,
                )
            if hours > MAX_FUNCTION_HOURS_PER_YEAR:
                raise ApplicationError(
                    _("%(function)s: more than %(n)s hours a year is a typo.")
                    % {"function": label, "n": f"{MAX_FUNCTION_HOURS_PER_YEAR:,}"},
                    field=field,
                )
            row, _created = PeriodFunctionCapacity.objects.update_or_create(
                period=period, function=change.function, defaults={"hours_per_year": int(hours)}
            )
            saved.append(row)
    return saved


@dataclass(frozen=True)
class PolicyChange:
    """A box's minimum and maximum yearly hours per account in the period, its service
    channel and visits per account per year (``None``: kept as they are)."""

    box: str
    min_hours_per_year: int
    max_hours_per_year: int
    version: int | None = None  # the policy's version it was changed on (None: no check)
    service_channel: str | None = None
    visits_per_year: int | None = None


def policies_update(
    *,
    user: User,
    period: PlanningPeriod,
    changes: Sequence[PolicyChange],
    precondition: bool = False,
) -> list[PeriodBoxPolicy]:
    """Set the period's box policies, all or none (the organisation's stay as they are).

    An error names its field as ``"<box>.<field>"``, e.g. ``"key.max_hours_per_year"``.
    A change made on an older ``version`` of a policy saves none
    (``kam.web.concurrency.VersionConflict``: 409, or 412 with ``precondition``); an
    unchanged policy is not written and keeps its version."""
    plan_check(user)
    open_check(period)
    saved = []
    with transaction.atomic():
        for change in changes:
            if change.box not in Box.values:
                raise ApplicationError(
                    _("Unknown box “%(box)s”.") % {"box": change.box}, field="box"
                )
            lo, hi = change.min_hours_per_year, change.max_hours_per_year
            label = Box(change.box).label
            for value, name in ((lo, "min_hours_per_year"), (hi, "max_hours_per_year")):
                if isinstance(value, bool) or int(value) != value or value < 0:
                    raise ApplicationError(
                        _("%(box)s: hours must be whole numbers, 0 or more.") % {"box": label},
                        field=f"{change.box}.{name}",
                    )
                if value > MAX_HOURS_PER_ACCOUNT:
                    raise ApplicationError(
                        _("%(box)s: more than %(n)s hours a year for one account is not a policy.")
                        % {"box": label, "n": f"{MAX_HOURS_PER_ACCOUNT:,}"},
                        field=f"{change.box}.{name}",
                    )
            if hi < lo:
                raise ApplicationError(
                    _("%(box)s: the maximum (%(hi)d h) must be at least the minimum (%(lo)d h).")
                    % {"box": label, "hi": hi, "lo": lo},
                    field=f"{change.box}.max_hours_per_year",
                )
            values: dict[str, Any] = {"min_hours_per_year": int(lo), "max_hours_per_year": int(hi)}
            if change.service_channel is not None:
                values["service_channel"] = service_channel_check(
                    change.service_channel, field=f"{change.box}.service_channel"
                )
            if change.visits_per_year is not None:
                values["visits_per_year"] = visits_check(
                    change.visits_per_year, field=f"{change.box}.visits_per_year"
                )
            policy = PeriodBoxPolicy.objects.filter(period=period, box=change.box).first()
            if policy is None:
                policy = PeriodBoxPolicy.objects.create(
                    period=period, box=change.box, updated_by=user, **values
                )
            else:
                before = snapshot(policy, list(values))
                for name, value in values.items():
                    setattr(policy, name, value)
                save_versioned(
                    policy,
                    before=before,
                    expected=change.version,
                    user=user,
                    precondition=precondition,
                )
            saved.append(policy)
    return saved
