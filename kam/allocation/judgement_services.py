"""Writes of the response judgements of a planning period (docs/method.md section 2): four
(or five) numbers per account, parsed and calibrated into a response curve before they are
saved; ``ApplicationError`` names the field to change. The labels and messages are in
``kam.allocation.wording``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.accounts.selectors import account_list_editable, account_list_visible
from kam.allocation.models import PlanningPeriod, ResponseJudgement
from kam.allocation.selectors import judgement_may_enter
from kam.allocation.services import CENT, TENTH, decimal_parse, open_check
from kam.allocation.wording import calibration_message, judgement_labels
from kam.core.allocation.curves import CalibrationError, ResponseCurve
from kam.core.allocation.fit import JudgementFit, fit_judgements
from kam.errors import ApplicationError, require
from kam.organisation.services import MAX_HOURS_PER_ACCOUNT

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
_MONEY_MAX = Decimal("99999999999999.99")
_HOURS_MAX = Decimal(MAX_HOURS_PER_ACCOUNT)


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
    curve: ResponseCurve
    fit: JudgementFit
    contribution_at_50pct: Decimal | None = None


def _optional_hours(value: object, *, field: str, label: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = decimal_parse(value, field=field, label=label)
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
    least-squares fit of ``kam.core.allocation.fit`` and ``fit`` says which judgement
    disagrees, if one does.
    """
    labels = judgement_labels()
    values: dict[str, Decimal] = {}
    for name in CORE_FIELDS.values():
        values[name] = decimal_parse(getattr(data, name), field=name, label=labels[name])
    half_raw = data.contribution_at_50pct
    half: Decimal | None = None
    if not (half_raw is None or (isinstance(half_raw, str) and not half_raw.strip())):
        half = decimal_parse(half_raw, field=HALF_FIELD, label=labels[HALF_FIELD])
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
        fit = fit_judgements(
            **{core_name: float(values[name]) for core_name, name in CORE_FIELDS.items()},
            at_50pct=float(half) if half is not None else None,
        )
    except CalibrationError as exc:
        field = MODEL_NAME.get(exc.field, exc.field)
        raise ApplicationError(calibration_message(field), field=field) from exc
    return CheckedJudgement(
        reference_hours=values["reference_hours"].quantize(TENTH, rounding=ROUND_HALF_UP),
        contribution_at_zero=values["contribution_at_zero"].quantize(CENT, ROUND_HALF_UP),
        contribution_at_reference=values["contribution_at_reference"].quantize(CENT, ROUND_HALF_UP),
        contribution_at_150pct=values["contribution_at_150pct"].quantize(CENT, ROUND_HALF_UP),
        contribution_at_saturation=values["contribution_at_saturation"].quantize(
            CENT, ROUND_HALF_UP
        ),
        min_hours=lo,
        max_hours=hi,
        curve=fit.curve,
        fit=fit,
        contribution_at_50pct=(half.quantize(CENT, ROUND_HALF_UP) if half is not None else None),
    )


def judgement_save(
    *, user: User, period: PlanningPeriod, account: Account, data: JudgementInput
) -> ResponseJudgement:
    """Save the four judgements of ``account`` in ``period`` after calibrating them
    (docs/method.md section 2). Directors and administrators judge every account, key
    account managers those they may edit (403 otherwise, 404 when the account is hidden);
    inconsistent numbers are refused with the field to change (422)."""
    require(
        judgement_may_enter(user=user),
        _("Only key account managers, sales directors and administrators enter judgements."),
    )
    if not account_list_editable(user=user).filter(pk=account.pk).exists():
        if account_list_visible(user=user).filter(pk=account.pk).exists():
            raise ApplicationError(
                _("You may read this account but not enter its judgements."), status=403
            )
        raise ApplicationError(_("There is no such account."), status=404)
    open_check(period)
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


def judgement_fit(judgement: ResponseJudgement) -> JudgementFit:
    """The fitted curve of a saved judgement (it calibrated when it was saved) and, with
    five judgements, how well it fits them and which judgement disagrees."""
    half = judgement.contribution_at_50pct
    return fit_judgements(
        reference_hours=float(judgement.reference_hours),
        at_zero=float(judgement.contribution_at_zero),
        at_reference=float(judgement.contribution_at_reference),
        at_150pct=float(judgement.contribution_at_150pct),
        at_saturation=float(judgement.contribution_at_saturation),
        at_50pct=float(half) if half is not None else None,
    )


def judgement_curve(judgement: ResponseJudgement) -> ResponseCurve:
    """The response curve of a saved judgement: exact through four judgements, the
    least-squares fit of five (docs/allocation.md)."""
    return judgement_fit(judgement).curve
