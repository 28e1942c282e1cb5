"""Forms of the policies page. They check shape and ranges; the services decide the rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.organisation.models import ManagerLimitCounts, ServiceChannel
from kam.organisation.services import (
    MAX_HOURLY_COST,
    MAX_HOURS_PER_ACCOUNT,
    MAX_PERSON_HOURS_PER_YEAR,
    MAX_REVIEW_CADENCE_MONTHS,
    MAX_VISITS_PER_YEAR,
    ORGANISATION_BOUNDS,
)
from kam.users.models import Function

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class BoxPolicyForm(forms.Form):
    """One box's policy; the page shows one per box, prefixed with the box value."""

    min_hours_per_year = forms.IntegerField(
        label=_("Minimum hours per account per year"), min_value=0, max_value=MAX_HOURS_PER_ACCOUNT
    )
    max_hours_per_year = forms.IntegerField(
        label=_("Maximum hours per account per year"), min_value=0, max_value=MAX_HOURS_PER_ACCOUNT
    )
    review_cadence_months = forms.IntegerField(
        label=_("Review every (months)"), min_value=1, max_value=MAX_REVIEW_CADENCE_MONTHS
    )
    # Left out (an older client, a script): kept as they are.
    service_channel = forms.ChoiceField(
        label=_("Service channel"), choices=ServiceChannel.choices, required=False
    )
    visits_per_year = forms.IntegerField(
        label=_("Visits per account per year"),
        min_value=0,
        max_value=MAX_VISITS_PER_YEAR,
        required=False,
    )

    def clean_service_channel(self) -> str | None:
        return self.cleaned_data.get("service_channel") or None


def _bounded_decimal(name: str, label: StrOrPromise, places: int) -> forms.DecimalField:
    lo, hi = ORGANISATION_BOUNDS[name]
    return forms.DecimalField(
        label=label, min_value=lo, max_value=hi, decimal_places=places, max_digits=12
    )


def _bounded_integer(name: str, label: StrOrPromise) -> forms.IntegerField:
    lo, hi = ORGANISATION_BOUNDS[name]
    return forms.IntegerField(label=label, min_value=int(lo), max_value=int(hi))


class OrganisationForm(forms.Form):
    """Key-account limits, sensitivity and disagreement settings, name and base currency."""

    name = forms.CharField(label=_("Organisation name"), max_length=200)
    base_currency = forms.CharField(label=_("Base currency"), min_length=3, max_length=3)
    max_key_accounts = _bounded_integer("max_key_accounts", _("Most key accounts for the company"))
    max_key_accounts_per_manager = _bounded_integer(
        "max_key_accounts_per_manager", _("Most key accounts per key account manager")
    )
    manager_limit_counts = forms.ChoiceField(
        label=_("Counted per key account manager"),
        choices=ManagerLimitCounts.choices,
    )
    capacity_warning_share = _bounded_decimal(
        "capacity_warning_share", _("Share of team hours key accounts may need"), 2
    )
    sensitivity_draws = _bounded_integer("sensitivity_draws", _("Sensitivity draws"))
    sensitivity_concentration = _bounded_decimal(
        "sensitivity_concentration", _("Weight concentration"), 1
    )
    uncertainty_threshold = _bounded_decimal(
        "uncertainty_threshold", _("Certainty needed for a box"), 2
    )
    disagreement_points = _bounded_decimal(
        "disagreement_points", _("Rater spread that flags a criterion (points)"), 1
    )
    discount_rate = _bounded_decimal("discount_rate", _("Discount rate per year"), 4)
    discount_rate.required = False  # left out: kept as it is


class TeamCapacityForm(forms.Form):
    """One person's row in the team-capacity table."""

    user_id = forms.IntegerField(widget=forms.HiddenInput)
    function = forms.ChoiceField(label=_("Function"), choices=Function.choices)
    hours_per_year = forms.IntegerField(
        label=_("Hours per year for accounts"), min_value=0, max_value=MAX_PERSON_HOURS_PER_YEAR
    )
    hourly_cost = forms.DecimalField(
        label=_("Hourly cost"), min_value=0, max_value=MAX_HOURLY_COST, decimal_places=2
    )


TeamCapacityFormSet = forms.formset_factory(TeamCapacityForm, extra=0)


class ExchangeRateForm(forms.Form):
    """Add a currency or change its rate."""

    currency = forms.CharField(label=_("Currency"), min_length=3, max_length=3)
    rate_to_base = forms.DecimalField(
        label=_("Value of 1 unit in the base currency"), decimal_places=6, min_value=0
    )
