"""Writes of planning periods, judgements and optimisation runs (docs/method.md section 2).

Every function checks who may call it (see ``kam.allocation.selectors``) and the rule it
guards, and raises ``ApplicationError`` with the field concerned. A closed period is
history: nothing in it changes any more (409).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.accounts.selectors import account_list_editable, account_list_visible
from kam.allocation.models import (
    AllocationLine,
    AllocationPersonLine,
    AllocationRun,
    PeriodBoxPolicy,
    PeriodCapacity,
    PeriodFunctionCapacity,
    PeriodStatus,
    PlannedBy,
    PlanningPeriod,
    ResponseJudgement,
    RunStatus,
)
from kam.allocation.selectors import (
    PlanHours,
    eligible_people,
    judgement_may_enter,
    period_may_plan,
    plan_hours,
    review_for_boxes,
)
from kam.core import allocation as core
from kam.core import allocation_fit
from kam.core.allocation_team import team_scale
from kam.core.policy_hours import PolicyAccount, PolicyAssignment, assign_policy_hours
from kam.jobs.services import JobCancelled, JobTracker, job_busy, job_enqueue
from kam.organisation.models import Box
from kam.organisation.selectors import box_policy_rows_get, organisation_get, team_capacity_list
from kam.organisation.services import (
    MAX_HOURLY_COST,
    MAX_HOURS_PER_ACCOUNT,
    MAX_PERSON_HOURS_PER_YEAR,
    service_channel_check,
    visits_check,
)
from kam.portfolio.models import Placement
from kam.users.models import Function
from kam.web.concurrency import save_versioned, snapshot
from kam.web.errors import ApplicationError, control_characters_refuse

log = logging.getLogger(__name__)

#: The what-if shows the best plan from 60 % to 160 % of the period's capacity.
WHAT_IF_SHARES = (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6)
#: The hours of one more hire for the "one more hire" estimate (a full-time person's
#: customer hours after holidays, travel and internal work).
HIRE_HOURS = 1400
#: The judgement fields of the form and API, and the names ``kam.core`` gives them.
CORE_FIELDS = {
    "reference_hours": "reference_hours",
    "at_zero": "contribution_at_zero",
    "at_reference": "contribution_at_reference",
    "at_150pct": "contribution_at_150pct",
    "at_saturation": "contribution_at_saturation",
}
#: The optional fifth judgement (half of today's hours; docs/allocation.md) and its core name.
HALF_FIELD = "contribution_at_50pct"
CORE_NAME = {**{v: k for k, v in CORE_FIELDS.items()}, HALF_FIELD: "at_50pct"}
MODEL_NAME = {v: k for k, v in CORE_NAME.items()}
#: The most hours a function may be given: far beyond any team, so only typos are refused.
MAX_FUNCTION_HOURS_PER_YEAR = 1_000_000
_MONEY_MAX = Decimal("99999999999999.99")
_HOURS_MAX = Decimal(MAX_HOURS_PER_ACCOUNT)
_CENT = Decimal("0.01")
_GROUPING = re.compile(r"[,\s]")
_TENTH = Decimal("0.1")


# --- periods, capacities, policies ----------------------------------------------------------


def _plan_check(user: AbstractBaseUser) -> None:
    if not period_may_plan(user):
        raise ApplicationError(
            _("Only sales directors and administrators plan the team's time."), status=403
        )


def _open_check(period: PlanningPeriod) -> None:
    if period.status == PeriodStatus.CLOSED:
        raise ApplicationError(
            _("This planning period is closed; its plan no longer changes."), status=409
        )


def period_create(
    *, created_by: AbstractBaseUser, name: str, start: dt.date, end: dt.date
) -> PlanningPeriod:
    """A draft planning period from ``start`` to ``end`` (inclusive), with every team
    member's hours, function and hourly cost and the organisation's box policies copied
    in, so that later profile or policy edits do not rewrite this plan."""
    _plan_check(created_by)
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
    user: AbstractBaseUser,
    period: PlanningPeriod,
    name: str | None = None,
    status: str | None = None,
) -> PlanningPeriod:
    """Rename a period or move it between draft, active and closed. Only one period is
    active at a time: activating one closes the period active before it."""
    _plan_check(user)
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
    *, user: AbstractBaseUser, period: PlanningPeriod, changes: Sequence[CapacityChange]
) -> list[PeriodCapacity]:
    """Change the hours, function and cost of people planned in ``period``, all or none.

    An error names its field as ``"<user id>.<field>"``."""
    _plan_check(user)
    _open_check(period)
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
            cost = _decimal(change.hourly_cost, field=f"{prefix}hourly_cost", label=_("Cost"))
            if cost < 0 or cost > MAX_HOURLY_COST:
                raise ApplicationError(
                    _("The hourly cost must be between 0 and %(n)s.") % {"n": MAX_HOURLY_COST},
                    field=f"{prefix}hourly_cost",
                )
            row.hours_per_year = int(hours)
            row.function = change.function
            row.hourly_cost = cost.quantize(_CENT, rounding=ROUND_HALF_UP)
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
    user: AbstractBaseUser,
    period: PlanningPeriod,
    changes: Sequence[FunctionCapacityChange],
) -> list[PeriodFunctionCapacity]:
    """Set or remove the period's caps per function, all or none (docs/method.md section 2:
    the team's capacity in total, per person and per function). Functions not named keep
    their cap. An error names its field as ``"<function>.hours_per_year"``."""
    _plan_check(user)
    _open_check(period)
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
    user: AbstractBaseUser,
    period: PlanningPeriod,
    changes: Sequence[PolicyChange],
    precondition: bool = False,
) -> list[PeriodBoxPolicy]:
    """Set the period's box policies, all or none (the organisation's stay as they are).

    An error names its field as ``"<box>.<field>"``, e.g. ``"key.max_hours_per_year"``.
    A change made on an older ``version`` of a policy saves none
    (``kam.web.concurrency.VersionConflict``: 409, or 412 with ``precondition``); an
    unchanged policy is not written and keeps its version."""
    _plan_check(user)
    _open_check(period)
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


# --- judgements -----------------------------------------------------------------------------


def _decimal(value: object, *, field: str, label: str) -> Decimal:
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


def judgement_labels() -> dict[str, str]:
    """The judgement fields (model names) and their labels, for messages and forms."""
    return {
        "reference_hours": _("Today's hours"),
        "contribution_at_zero": _("Contribution with no effort"),
        "contribution_at_50pct": _("Contribution at −50 % hours"),
        "contribution_at_reference": _("Contribution at today's hours"),
        "contribution_at_150pct": _("Contribution at +50 % hours"),
        "contribution_at_saturation": _("Contribution at saturation"),
        "min_hours": _("Minimum hours"),
        "max_hours": _("Maximum hours"),
    }


def _calibration_message(field: str) -> str:
    # The core's own message is English; the page shows one per field, in the user's language.
    messages = {
        "reference_hours": _(
            "Today's hours must be more than 0: enter the hours the team spends on the "
            "account this year (at least 1)."
        ),
        "contribution_at_zero": _(
            "The contribution with no effort must be lower than the contribution at "
            "today's hours: lower this number or raise the next."
        ),
        "contribution_at_reference": _(
            "The contribution at today's hours must lie between the contribution with no "
            "effort and the contribution at +50 % hours: change this number."
        ),
        "contribution_at_50pct": _(
            "The contribution at −50 % hours must lie between the contribution with no "
            "effort and the contribution at today's hours: change this number, or leave it "
            "empty."
        ),
        "contribution_at_150pct": _(
            "The contribution at +50 % hours must lie between the contribution at today's "
            "hours and the contribution at saturation: change this number."
        ),
        "contribution_at_saturation": _(
            "The contribution at saturation must be higher than the contribution at +50 % "
            "hours: raise this number."
        ),
    }
    return messages.get(field, _("These four numbers do not make a response curve."))


@dataclass(frozen=True)
class JudgementInput:
    """The four judgements (base currency per year) at 0, today's, +50 % and saturation
    hours, today's yearly hours, and optional bounds overriding the box policy; optionally
    a fifth judgement at half of today's hours (empty or None: four judgements)."""

    reference_hours: Any
    contribution_at_zero: Any
    contribution_at_reference: Any
    contribution_at_150pct: Any
    contribution_at_saturation: Any
    min_hours: Any = None
    max_hours: Any = None
    contribution_at_50pct: Any = None


@dataclass(frozen=True)
class CheckedJudgement:
    """A judgement that calibrates: its numbers as Decimals, the fitted curve and, with five
    judgements, how well it fits them (``fit``)."""

    reference_hours: Decimal
    contribution_at_zero: Decimal
    contribution_at_reference: Decimal
    contribution_at_150pct: Decimal
    contribution_at_saturation: Decimal
    min_hours: int | None
    max_hours: int | None
    curve: core.ResponseCurve
    fit: allocation_fit.JudgementFit
    contribution_at_50pct: Decimal | None = None


def _optional_hours(value: object, *, field: str, label: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = _decimal(value, field=field, label=label)
    if number != number.to_integral_value() or number < 0:
        raise ApplicationError(
            _("%(label)s must be a whole number of hours, 0 or more.") % {"label": label},
            field=field,
        )
    if number > _HOURS_MAX:
        raise ApplicationError(
            _("%(label)s: more than %(n)s hours a year for one account is a typo.")
            % {"label": label, "n": f"{MAX_HOURS_PER_ACCOUNT:,}"},
            field=field,
        )
    return int(number)


def judgement_check(data: JudgementInput) -> CheckedJudgement:
    """Parse and calibrate one judgement without saving it (the live sketch uses this).

    Raises ``ApplicationError`` naming the model field to change: a number that is missing
    or not a number, or four numbers that do not make a curve (``kam.core`` decides which).
    A fifth judgement (``contribution_at_50pct``) is optional; when given, the curve is the
    least-squares fit of ``kam.core.allocation_fit`` and ``fit`` says which judgement
    disagrees, if one does.
    """
    labels = judgement_labels()
    values: dict[str, Decimal] = {}
    for name in CORE_FIELDS.values():
        values[name] = _decimal(getattr(data, name), field=name, label=labels[name])
    half_raw = data.contribution_at_50pct
    half: Decimal | None = None
    if not (half_raw is None or (isinstance(half_raw, str) and not half_raw.strip())):
        half = _decimal(half_raw, field=HALF_FIELD, label=labels[HALF_FIELD])
        if abs(half) > _MONEY_MAX:
            raise ApplicationError(_("That amount is too large to store."), field=HALF_FIELD)
    if values["reference_hours"] > _HOURS_MAX:
        raise ApplicationError(
            _("More than %(n)s hours a year for one account is a typo.")
            % {"n": f"{MAX_HOURS_PER_ACCOUNT:,}"},
            field="reference_hours",
        )
    for name in CORE_FIELDS.values():
        if name != "reference_hours" and abs(values[name]) > _MONEY_MAX:
            raise ApplicationError(_("That amount is too large to store."), field=name)
    lo = _optional_hours(data.min_hours, field="min_hours", label=labels["min_hours"])
    hi = _optional_hours(data.max_hours, field="max_hours", label=labels["max_hours"])
    if lo is not None and hi is not None and hi < lo:
        raise ApplicationError(
            _("The maximum (%(hi)d h) must be at least the minimum (%(lo)d h).")
            % {"hi": hi, "lo": lo},
            field="max_hours",
        )
    try:
        fit = allocation_fit.fit_judgements(
            **{core_name: float(values[name]) for core_name, name in CORE_FIELDS.items()},
            at_50pct=float(half) if half is not None else None,
        )
    except core.CalibrationError as exc:
        field = MODEL_NAME.get(exc.field, exc.field)
        raise ApplicationError(_calibration_message(field), field=field) from exc
    return CheckedJudgement(
        reference_hours=values["reference_hours"].quantize(_TENTH, rounding=ROUND_HALF_UP),
        contribution_at_zero=values["contribution_at_zero"].quantize(_CENT, ROUND_HALF_UP),
        contribution_at_reference=values["contribution_at_reference"].quantize(
            _CENT, ROUND_HALF_UP
        ),
        contribution_at_150pct=values["contribution_at_150pct"].quantize(_CENT, ROUND_HALF_UP),
        contribution_at_saturation=values["contribution_at_saturation"].quantize(
            _CENT, ROUND_HALF_UP
        ),
        min_hours=lo,
        max_hours=hi,
        curve=fit.curve,
        fit=fit,
        contribution_at_50pct=(half.quantize(_CENT, ROUND_HALF_UP) if half is not None else None),
    )


def judgement_save(
    *, user: AbstractBaseUser, period: PlanningPeriod, account: Account, data: JudgementInput
) -> ResponseJudgement:
    """Save the four judgements of ``account`` in ``period`` after calibrating them
    (docs/method.md section 2). Directors and administrators judge every account, key
    account managers those they may edit (403 otherwise, 404 when the account is hidden);
    inconsistent numbers are refused with the field to change (422)."""
    if not judgement_may_enter(user):
        raise ApplicationError(
            _("Only key account managers, sales directors and administrators enter judgements."),
            status=403,
        )
    if not account_list_editable(user=user).filter(pk=account.pk).exists():
        if account_list_visible(user=user).filter(pk=account.pk).exists():
            raise ApplicationError(
                _("You may read this account but not enter its judgements."), status=403
            )
        raise ApplicationError(_("There is no such account."), status=404)
    _open_check(period)
    checked = judgement_check(data)
    judgement, _created = ResponseJudgement.objects.update_or_create(
        period=period,
        account=account,
        defaults={
            "reference_hours": checked.reference_hours,
            "contribution_at_zero": checked.contribution_at_zero,
            "contribution_at_50pct": checked.contribution_at_50pct,
            "contribution_at_reference": checked.contribution_at_reference,
            "contribution_at_150pct": checked.contribution_at_150pct,
            "contribution_at_saturation": checked.contribution_at_saturation,
            "min_hours": checked.min_hours,
            "max_hours": checked.max_hours,
            "entered_by": user,
        },
    )
    return judgement


def judgement_fit(judgement: ResponseJudgement) -> allocation_fit.JudgementFit:
    """The fitted curve of a saved judgement (it calibrated when it was saved) and, with
    five judgements, how well it fits them and which judgement disagrees."""
    half = judgement.contribution_at_50pct
    return allocation_fit.fit_judgements(
        reference_hours=float(judgement.reference_hours),
        at_zero=float(judgement.contribution_at_zero),
        at_reference=float(judgement.contribution_at_reference),
        at_150pct=float(judgement.contribution_at_150pct),
        at_saturation=float(judgement.contribution_at_saturation),
        at_50pct=float(half) if half is not None else None,
    )


def judgement_curve(judgement: ResponseJudgement) -> core.ResponseCurve:
    """The response curve of a saved judgement: exact through four judgements, the
    least-squares fit of five (docs/allocation.md)."""
    return judgement_fit(judgement).curve


# --- runs -----------------------------------------------------------------------------------


def run_start(*, user: AbstractBaseUser, period: PlanningPeriod) -> AllocationRun:
    """Queue an optimisation of ``period`` as a background job (``kam worker`` runs it;
    docs/operations.md). Refused while another run of the period is queued or running
    (409), when no account has a judgement (422) or when the box policies' hours of the
    accounts without judgements exceed the team's capacity (422, ``PlanHours.refusal``)."""
    _plan_check(user)
    _open_check(period)
    if not period.judgements.filter(account__active=True).exists():
        raise ApplicationError(
            _("No account has its four judgements yet: enter them before optimising."),
            status=422,
        )
    refusal = plan_hours(period=period).refusal()
    if refusal:
        raise ApplicationError(refusal, status=422)
    with transaction.atomic():  # the check and the new run together (see economics)
        _busy_check(period)
        run = AllocationRun.objects.create(period=period, created_by=user)
        job_enqueue(kind=RUN_JOB, user=user, object_id=run.pk, label=str(period))
    run.refresh_from_db()
    return run


RUN_JOB = "allocation_run"


def _busy_check(period: PlanningPeriod) -> None:
    if job_busy(kind=RUN_JOB, object_ids=list(period.runs.values_list("pk", flat=True))):
        raise ApplicationError(
            _("An optimisation of this period is already under way; wait for it to finish."),
            status=409,
        )


def run_stopped(*, object_id: int, reason: str, cancelled: bool) -> None:
    """The job of a run stopped without finishing (its worker died, it crashed or was
    cancelled): the run is marked failed with ``reason``; it stored nothing."""
    AllocationRun.objects.filter(
        pk=object_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).update(status=RunStatus.FAILED, error=reason, finished_at=timezone.now())


def run_retry(*, user: AbstractBaseUser, object_id: int) -> None:
    """Check that a failed run may run again (its period open, no other run of it under
    way) and put it back in the queue."""
    _plan_check(user)
    run = AllocationRun.objects.select_related("period").filter(pk=object_id).first()
    if run is None:
        raise ApplicationError(_("There is no such optimisation."), status=404)
    _open_check(run.period)
    _busy_check(run.period)
    AllocationRun.objects.filter(pk=object_id).update(
        status=RunStatus.QUEUED, progress=0, error="", started_at=None, finished_at=None
    )


class _Progress:
    """Writes the run's progress (0-100) at most every half second, and only forward; at
    each call a requested cancel stops the run (nothing is stored before the end)."""

    def __init__(self, run_id: int, lo: int, hi: int, tracker: JobTracker | None = None) -> None:
        self.run_id, self.lo, self.hi = run_id, lo, hi
        self.tracker = tracker
        self.last_pct = -1
        self.last_time = 0.0

    def __call__(self, fraction: float, phase: str = "") -> None:
        if self.tracker is not None:
            self.tracker.check()
        pct = self.lo + round((self.hi - self.lo) * min(max(fraction, 0.0), 1.0))
        now = time.monotonic()
        if pct <= self.last_pct or (now - self.last_time < 0.5 and pct < self.hi):
            return
        self.last_pct, self.last_time = pct, now
        AllocationRun.objects.filter(pk=self.run_id, progress__lt=pct).update(progress=pct)
        if self.tracker is not None:
            self.tracker.update(pct)


@dataclass
class _Built:
    """The core problem of a period, and what is needed to store its result.

    The problem holds the judged accounts only, with the people's hours left after the
    policy hours of the other active accounts (``policy``, given before the optimiser)."""

    problem: core.TeamProblem | core.PoolProblem
    account_ids: list[int]
    boxes: list[str]
    curves: list[core.ResponseCurve]
    min_hours: np.ndarray
    max_hours: np.ndarray
    user_ids: list[int]
    capacity_hours: float
    #: the function of each person in ``user_ids``
    functions: list[str]
    #: the period's caps per function (yearly hours), only the functions that have one
    function_caps: dict[str, float]
    #: each person's own hours in the period, before the policy hours (by ``user_ids``)
    people_hours: list[float] = field(default_factory=list)
    #: the capacity check the plan was made against
    hours: PlanHours | None = None
    #: the policy hours given to the accounts without judgements
    policy: PolicyAssignment = field(default_factory=PolicyAssignment)


def _flat_hours(box: str, policies: Mapping[str, PeriodBoxPolicy], reference: float) -> float:
    # The flat per-box rule: every account of a box gets the middle of its policy's range;
    # an account without a box keeps today's hours.
    p = policies.get(box)
    if p is None:
        return reference
    return (p.min_hours_per_year + p.max_hours_per_year) / 2.0


def run_problem(*, period: PlanningPeriod) -> _Built:
    """The core problem of ``period`` (docs/allocation.md, "Time for every customer").

    Every active account without a judgement gets its box policy's hours
    (``PeriodBoxPolicy.policy_hours``), from its owner first, then its account team
    (``kam.core.policy_hours``); those hours are taken off the people's and functions'
    capacities. The optimiser then divides what is left over the active accounts with a
    judgement: one curve each, bounds from the judgement's override or the period's policy
    for the account's box in the portfolio review (the latest closed one), and the team
    (people with hours, their cost, who may serve which account: owner and account team)
    with the period's caps per function. Refused (``ApplicationError``) when the policy
    hours exceed the team's capacity."""
    hours = plan_hours(period=period)
    refusal = hours.refusal()
    if refusal:
        raise ApplicationError(refusal, status=422)
    judgements = list(
        ResponseJudgement.objects.filter(period=period, account__active=True).order_by("account_id")
    )
    account_ids = [j.account_id for j in judgements]
    review = review_for_boxes()
    boxes_by_account: dict[int, str] = {}
    if review is not None:
        boxes_by_account = dict(
            Placement.objects.filter(review=review, account_id__in=account_ids).values_list(
                "account_id", "box"
            )
        )
    policies = {p.box: p for p in period.policies.all()}
    curves, boxes, lo, hi, flat = [], [], [], [], []
    for j in judgements:
        box = boxes_by_account.get(j.account_id, "") or ""
        policy = policies.get(box)
        curves.append(judgement_curve(j))
        boxes.append(box)
        lo.append(
            float(j.min_hours)
            if j.min_hours is not None
            else float(policy.min_hours_per_year if policy else 0)
        )
        hi.append(
            float(j.max_hours)
            if j.max_hours is not None
            else float(policy.max_hours_per_year if policy else np.inf)
        )
        flat.append(_flat_hours(box, policies, float(j.reference_hours)))
    min_hours = np.array(lo, dtype=float)
    max_hours = np.array(hi, dtype=float)
    caps = [c for c in period.capacities.all() if c.hours_per_year > 0]
    function_caps = {f.function: float(f.hours_per_year) for f in period.function_capacities.all()}
    assigned = assign_policy_hours(
        [
            PolicyAccount(key=a.account_id, hours=float(a.hours), owner=a.owner_id, team=a.team)
            for a in hours.policy_accounts
        ],
        capacity={c.user_id: float(c.hours_per_year) for c in caps},
        functions={c.user_id: c.function for c in caps},
        function_caps=function_caps,
    )
    user_ids = [c.user_id for c in caps]
    people = [
        core.Person(
            key=c.user_id,
            capacity_hours=max(assigned.person_left[c.user_id], 0.0),
            function=c.function,
            hour_cost=float(c.hourly_cost),
        )
        for c in caps
    ]
    eligible_map = eligible_people(account_ids=account_ids)
    eligible = np.zeros((len(people), len(account_ids)), dtype=bool)
    index = {u: i for i, u in enumerate(user_ids)}
    for j, account_id in enumerate(account_ids):
        for u in eligible_map.get(account_id, ()):
            if u in index:
                eligible[index[u], j] = True
    capacity = float(sum(c.hours_per_year for c in caps))
    problem = core.TeamProblem(
        curves=core.Curves.of(curves),
        people=people,
        eligible=eligible,
        function_capacity=(
            {f: max(assigned.function_left.get(f, h), 0.0) for f, h in function_caps.items()}
            or None
        ),
        min_hours=min_hours,
        max_hours=max_hours,
        flat_hours=np.array(flat, dtype=float),
        accounts=tuple(account_ids),
    )
    return _Built(
        problem,
        account_ids,
        boxes,
        curves,
        min_hours,
        max_hours,
        user_ids,
        capacity,
        [c.function for c in caps],
        function_caps,
        people_hours=[float(c.hours_per_year) for c in caps],
        hours=hours,
        policy=assigned,
    )


def _money(value: float) -> Decimal:
    return Decimal(str(round(float(value), 2))).quantize(_CENT)


def _hours(value: float) -> Decimal:
    return Decimal(str(round(float(value), 1))).quantize(_TENTH)


def run_execute(*, run_id: int, tracker: JobTracker | None = None) -> None:
    """Solve the run's period and store its lines and summary (docs/method.md section 2).

    Progress: building 0-5 %, the optimisation 5-60 %, the capacity what-if 60-95 %,
    storing 95-100 %. Any failure marks the run failed with the reason; a cancel reported
    by ``tracker`` (the background job's) stops it before it stores anything
    (``JobCancelled`` propagates)."""
    run = AllocationRun.objects.select_related("period").get(pk=run_id)
    AllocationRun.objects.filter(pk=run_id).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=1
    )
    try:
        built = run_problem(period=run.period)
        if not built.user_ids:
            raise ApplicationError(
                _("Nobody in this period has hours for customers: set the capacities first.")
            )
        AllocationRun.objects.filter(pk=run_id).update(progress=5)
        result = core.allocate(built.problem, progress=_Progress(run_id, 5, 60, tracker))
        # The what-if covers every account: at each total capacity the policy hours stay
        # as they are and the optimiser divides the rest (a total below the policy hours
        # is left out). The point at today's capacity is the plan just computed: it is not
        # solved twice.
        policy_total = built.policy.total
        wanted = [built.capacity_hours * s for s in WHAT_IF_SHARES] + [
            built.capacity_hours + HIRE_HOURS
        ]
        solve = [t for i, t in enumerate(wanted) if i != WHAT_IF_SHARES.index(1.0)]
        solve = [t for t in solve if t - policy_total > 0]
        solved = core.capacity_curve(
            built.problem,
            [t - policy_total for t in solve],
            progress=_Progress(run_id, 60, 95, tracker),
        )
        by_total = {
            t: core.CapacityPoint(t, p.objective, p.shadow_price)
            for t, p in zip(solve, solved, strict=True)
        }
        by_total[built.capacity_hours] = core.CapacityPoint(
            built.capacity_hours, result.objective, result.shadow_price
        )
        points: list[core.CapacityPoint | None] = [by_total.get(t) for t in wanted]
        if tracker is not None:
            tracker.check()
        values = _hour_values(built, result)
        if tracker is not None:
            tracker.check()
        _store(run, built, result, points, values)
    except JobCancelled:
        raise
    except Exception as exc:  # the run must end, whatever went wrong; the reason is kept
        log.exception("allocation run %s failed", run_id)
        message = exc.message if isinstance(exc, ApplicationError) else str(exc) or repr(exc)
        AllocationRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, error=message, finished_at=timezone.now()
        )


def _hour_values(built: _Built, result: core.AllocationResult) -> tuple[float, dict[str, float]]:
    """What one more hour really adds to the plan (docs/allocation.md, "The value of one
    more hour"): of the team's capacity, and of each function's cap. The problem is solved
    again with that hour (``kam.core.allocation.value_of_one_more_hour``); the Lagrangian
    prices are kept under their own name."""
    total = core.value_of_one_more_hour(built.problem, result)
    caps: dict[str, float] = {}
    if isinstance(built.problem, core.TeamProblem) and built.problem.function_capacity:
        for function in built.problem.function_capacity:
            caps[function] = core.value_of_one_more_cap_hour(built.problem, result, function)
    return total, caps


def _function_summary(
    built: _Built, result: core.AllocationResult, cap_values: dict[str, float]
) -> list[dict[str, Any]]:
    """Per function (in the order of ``Function``): its people's hours, its cap (None when
    it has none), the hours planned for its people (the optimiser's and the policy hours of
    the accounts without judgements) and, when capped, what one more hour of the cap adds
    to the plan (``hour_value``, a re-solve) and the cap's Lagrangian price μ_f
    (``shadow_price``, per hour; docs/method.md section 2)."""
    people_hours: dict[str, float] = {}
    planned: dict[str, float] = {}
    per_person = (
        result.person_hours.sum(axis=1)
        if result.person_hours is not None
        else np.zeros(len(built.user_ids))
    )
    policy_per_person: dict[Any, float] = {}
    for (person, _account), h in built.policy.person_hours.items():
        policy_per_person[person] = policy_per_person.get(person, 0.0) + h
    own = built.people_hours or [float(p.capacity_hours) for p in built.problem.people]  # type: ignore[union-attr]
    for user_id, function, capacity, hours in zip(
        built.user_ids, built.functions, own, per_person, strict=True
    ):
        people_hours[function] = people_hours.get(function, 0.0) + float(capacity)
        planned[function] = (
            planned.get(function, 0.0) + float(hours) + policy_per_person.get(user_id, 0.0)
        )
    prices = result.function_shadow_prices
    out = []
    for function in Function.values:
        if function not in people_hours and function not in built.function_caps:
            continue
        cap = built.function_caps.get(function)
        price = prices.get(function, 0.0) if cap is not None else None
        out.append(
            {
                "function": function,
                "people_hours": people_hours.get(function, 0.0),
                "cap": cap,
                "hours": round(planned.get(function, 0.0), 1),
                "shadow_price": None if price is None else float(price),
                "hour_value": (None if cap is None else float(cap_values.get(function, 0.0))),
            }
        )
    return out


def _comparisons(
    built: _Built, result: core.AllocationResult
) -> tuple[float, float | None, float | None]:
    """Today's allocation and the flat per-box rule, given the hours the plan can really
    use (docs/allocation.md, "What the result reports"): when the capacity binds (a shadow
    price above 0) the hours the plan gives the judged accounts, since the caps per
    function and who may serve whom can leave part of the capacity unusable for them;
    otherwise the optimiser's capacity, as ``kam.core`` takes it. Without the policy hours
    of the other accounts both comparisons would get hours the team does not have."""
    if built.policy.total <= 0 or not isinstance(built.problem, core.TeamProblem):
        return (
            float(result.baseline_objective),
            float(result.flat_objective) if result.flat_objective is not None else None,
            None,
        )
    people = built.problem.people
    capacity = float(sum(p.capacity_hours for p in people))
    if result.shadow_price > 1e-9:
        capacity = min(capacity, float(np.sum(result.hours)))
    weights = np.array([p.capacity_hours for p in people], dtype=float)
    costs = np.array([p.hour_cost for p in people], dtype=float)
    mean_cost = float(costs @ (weights / max(float(weights.sum()), 1.0)))
    curves = core.Curves.of(built.curves)
    # Only hours someone may spend can be compared: an account nobody may serve gets none in
    # any plan, and the rest in today's proportions as far as the people who may serve them
    # have the hours (team_scale), not merely as far as the total capacity goes.
    eligible = built.problem.eligible
    servable = np.ones(len(built.curves), dtype=bool) if eligible is None else eligible.any(axis=0)
    reference = np.array([c.reference_hours for c in built.curves], dtype=float)
    reference = np.where(servable, core.reference_allocation(reference, capacity), 0.0)
    baseline = reference * team_scale(built.problem, reference, capacity)
    baseline_objective = float((curves.contribution(baseline) - mean_cost * baseline).sum())
    flat_objective = None
    if built.problem.flat_hours is not None:
        flat = core.flat_rule(
            np.asarray(built.problem.flat_hours, dtype=float),
            capacity,
            built.min_hours,
            built.max_hours,
        )
        flat = np.where(servable, flat, 0.0)
        flat = flat * team_scale(built.problem, flat, capacity)
        flat_objective = float((curves.contribution(flat) - mean_cost * flat).sum())
    return baseline_objective, flat_objective, float(baseline.sum())


def _store(
    run: AllocationRun,
    built: _Built,
    result: core.AllocationResult,
    points: list[core.CapacityPoint | None],
    values: tuple[float, dict[str, float]],
) -> None:
    shortfalls = {s.index: s.reason.value for s in result.shortfalls}
    hire = points[-1]
    what_if = [p for p in points[: len(WHAT_IF_SHARES)] if p is not None]
    policy = built.policy
    policy_rows = built.hours.policy_accounts if built.hours is not None else ()
    person_prices = (
        {str(u): float(p) for u, p in zip(built.user_ids, result.person_shadow_prices, strict=True)}
        if result.person_shadow_prices is not None
        else {}
    )
    functions = _function_summary(built, result, values[1])
    baseline_objective, flat_objective, baseline_hours = _comparisons(built, result)
    summary = {
        "objective": float(result.objective),
        "upper_bound": float(result.upper_bound),
        "gap": float(result.gap),
        "relative_gap": float(result.relative_gap),
        "exact": bool(result.exact),
        "iterations": int(result.iterations),
        "hour_value": float(values[0]),
        "function_hour_values": {
            f["function"]: f["hour_value"] for f in functions if f["hour_value"] is not None
        },
        "shadow_price": float(result.shadow_price),
        "person_shadow_prices": person_prices,
        "function_shadow_prices": {
            f["function"]: f["shadow_price"] for f in functions if f["shadow_price"] is not None
        },
        "functions": functions,
        "baseline_objective": baseline_objective,
        "baseline_hours": baseline_hours,
        "flat_objective": flat_objective,
        "uplift": float(result.objective) - baseline_objective,
        "uplift_flat": (
            float(result.objective) - flat_objective if flat_objective is not None else None
        ),
        "capacity_hours": built.capacity_hours,
        "planned_hours": float(np.sum(result.hours)) + policy.total,
        "optimised_hours": float(np.sum(result.hours)),
        "policy_hours": policy.total,
        "optimiser_capacity_hours": float(sum(p.capacity_hours for p in built.problem.people))  # type: ignore[union-attr]
        if isinstance(built.problem, core.TeamProblem)
        else built.capacity_hours - policy.total,
        "reference_hours": float(sum(c.reference_hours for c in built.curves)),
        "minimum_hours": float(np.sum(built.min_hours)),
        "accounts": len(built.account_ids) + len(policy_rows),
        "judged_accounts": len(built.account_ids),
        "policy_accounts": len(policy_rows),
        "below_minimum": len(result.shortfalls)
        + sum(1 for a in policy_rows if policy.hours.get(a.account_id, 0.0) < a.min_hours),
        "hire_hours": HIRE_HOURS,
        "hire_value": float(hire.objective - result.objective) if hire is not None else None,
        "what_if": [
            {
                "capacity": float(p.capacity),
                "objective": float(p.objective),
                "shadow_price": float(p.shadow_price),
                "gain_per_hour": gain,
            }
            for p, gain in zip(
                what_if,
                core.gain_per_hour([(p.capacity, p.objective) for p in what_if]),
                strict=True,
            )
        ],
    }
    reference = np.array([c.reference_hours for c in built.curves], dtype=float)
    reference_contribution = core.Curves.of(built.curves).contribution(reference)
    lines = [
        AllocationLine(
            run=run,
            account_id=account_id,
            box=built.boxes[i],
            hours=_hours(result.hours[i]),
            contribution=_money(result.contributions[i]),
            reference_hours=_hours(reference[i]),
            reference_contribution=_money(reference_contribution[i]),
            min_hours=_hours(built.min_hours[i]),
            max_hours=None if not np.isfinite(built.max_hours[i]) else _hours(built.max_hours[i]),
            below_minimum=shortfalls.get(i, ""),
        )
        for i, account_id in enumerate(built.account_ids)
    ]
    for a in policy_rows:
        given = policy.hours.get(a.account_id, 0.0)
        reason = policy.shortfalls.get(a.account_id)
        lines.append(
            AllocationLine(
                run=run,
                account_id=a.account_id,
                box=a.box,
                planned_by=PlannedBy.POLICY,
                hours=_hours(given),
                contribution=None,
                reference_hours=None,
                reference_contribution=None,
                min_hours=_hours(a.min_hours),
                max_hours=None if a.max_hours is None else _hours(a.max_hours),
                below_minimum=reason.value if reason is not None and given < a.min_hours else "",
            )
        )
    person_lines = []
    if result.person_hours is not None:
        rows, cols = np.nonzero(result.person_hours > 1e-9)
        for p, a in zip(rows.tolist(), cols.tolist(), strict=True):
            person_lines.append(
                AllocationPersonLine(
                    run=run,
                    user_id=built.user_ids[p],
                    account_id=built.account_ids[a],
                    hours=_hours(result.person_hours[p, a]),
                )
            )
    for (user_id, account_id), h in policy.person_hours.items():
        person_lines.append(
            AllocationPersonLine(run=run, user_id=user_id, account_id=account_id, hours=_hours(h))
        )
    AllocationRun.objects.filter(pk=run.pk).update(progress=95)
    with transaction.atomic():
        AllocationLine.objects.filter(run=run).delete()
        AllocationPersonLine.objects.filter(run=run).delete()
        AllocationLine.objects.bulk_create(lines, batch_size=2000)
        AllocationPersonLine.objects.bulk_create(person_lines, batch_size=2000)
        AllocationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE, progress=100, summary=summary, finished_at=timezone.now()
        )
