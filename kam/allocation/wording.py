"""Sentences of the year plan that depend on codes from ``kam.core.allocation``."""

from __future__ import annotations

import math

from django.utils.translation import gettext as _

from kam.core.allocation.fit import JudgementFit
from kam.core.allocation.problems import ShortfallReason
from kam.web import formats

#: Groups of three digits in the judgement inputs are set apart by a narrow no-break space:
#: neither a comma nor a point, which mean opposite things in English and Dutch, and the
#: services read the number back whatever spaces it holds.
GROUP = "\u202f"


def shortfall_text(code: str) -> str:
    """Why an account ends below its policy minimum, for the results page and the API."""
    texts = {
        ShortfallReason.MINIMUMS_EXCEED_CAPACITY.value: _(
            "The minimums of all accounts together exceed the team's capacity, so every "
            "minimum was cut in proportion."
        ),
        ShortfallReason.NO_ELIGIBLE_PERSON.value: _(
            "Nobody with hours in this period may serve the account: give it an owner or an "
            "account team with capacity."
        ),
        ShortfallReason.ELIGIBLE_CAPACITY.value: _(
            "The people who may serve this account lack the hours for all their accounts' minimums."
        ),
    }
    return texts.get(code, code)


def grouped_amount(value: float) -> str:
    """A whole amount as the judgement inputs show it (digits grouped by narrow spaces), so
    that a suggested number can be typed or pasted back as it is."""
    return f"{round(value):,}".replace(",", GROUP)


def _three_digits(value: float) -> float:
    # "about 1 670 000" reads as the estimate it is; 1 665 019 would claim false precision
    if value == 0:
        return 0.0
    return round(value, 2 - math.floor(math.log10(abs(value))))


def fit_quality_text(fit: JudgementFit) -> str:
    """How well the curve fits five judgements (empty for four: the curve is exact)."""
    if fit.judgements < 5:
        return ""
    if fit.largest_miss_share < 0.0005:
        return _("Five judgements: the curve passes through all of them.")
    return _("Five judgements: the curve misses them by at most %(share)s of the range.") % {
        "share": formats.percent(fit.largest_miss_share, 1 if fit.largest_miss_share < 0.1 else 0)
    }


def inconsistent_text(fit: JudgementFit) -> str:
    """The note beside the judgement that disagrees with the other four (empty when none)."""
    if fit.inconsistent is None or fit.suggested is None:
        return ""
    return _("Disagrees with the other four: they suggest about %(amount)s.") % {
        "amount": grouped_amount(_three_digits(fit.suggested))
    }


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


def calibration_message(field: str) -> str:
    """What to change when a judgement does not calibrate, for the model field ``field``."""
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
