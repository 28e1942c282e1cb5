"""Forms of the planning pages. They check shape and ranges; the services decide the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kam.allocation.models import PeriodStatus
from kam.organisation.models import ServiceChannel
from kam.organisation.services import (
    MAX_HOURLY_COST,
    MAX_HOURS_PER_ACCOUNT,
    MAX_PERSON_HOURS_PER_YEAR,
    MAX_VISITS_PER_YEAR,
)
from kam.users.models import Function
from kam.web.widgets import IsoDateInput


def next_year_initial() -> dict[str, Any]:
    """Name and dates of next calendar year, what a director usually plans."""
    year = timezone.localdate().year + 1
    return {
        "name": gettext("Plan %(year)d") % {"year": year},
        "start": dt.date(year, 1, 1),
        "end": dt.date(year, 12, 31),
    }


class PeriodForm(forms.Form):
    """A new planning period: its name and first and last day."""

    name = forms.CharField(label=_("Name"), max_length=100)
    start = forms.DateField(label=_("First day"), widget=IsoDateInput())
    end = forms.DateField(label=_("Last day"), widget=IsoDateInput())


class PeriodStatusForm(forms.Form):
    """Move a period between draft, active and closed."""

    status = forms.ChoiceField(label=_("Status"), choices=PeriodStatus.choices)


class CapacityForm(forms.Form):
    """One person's row in the period's capacity table."""

    user_id = forms.IntegerField(widget=forms.HiddenInput)
    function = forms.ChoiceField(label=_("Function"), choices=Function.choices)
    hours_per_year = forms.IntegerField(
        label=_("Hours per year for accounts"), min_value=0, max_value=MAX_PERSON_HOURS_PER_YEAR
    )
    hourly_cost = forms.DecimalField(
        label=_("Hourly cost"), min_value=0, max_value=MAX_HOURLY_COST, decimal_places=2
    )


CapacityFormSet = forms.formset_factory(CapacityForm, extra=0)


class FunctionCapacityForm(forms.Form):
    """One function's cap on its people's hours for customers in the period (empty: none)."""

    hours_per_year = forms.IntegerField(
        label=_("Most hours per year for accounts"),
        required=False,
        min_value=0,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"placeholder": _("no cap")}),
    )


class PolicyForm(forms.Form):
    """One box's minimum and maximum yearly hours per account in the period, its service
    channel and visits per account per year (left out: kept as they are)."""

    min_hours_per_year = forms.IntegerField(
        label=_("Minimum hours per account per year"), min_value=0, max_value=MAX_HOURS_PER_ACCOUNT
    )
    max_hours_per_year = forms.IntegerField(
        label=_("Maximum hours per account per year"), min_value=0, max_value=MAX_HOURS_PER_ACCOUNT
    )
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


class JudgementFilterForm(forms.Form):
    """Filters of the judgements page: owner, box, only accounts without a judgement."""

    owner = forms.TypedChoiceField(label=_("Owner"), required=False, coerce=int, empty_value=None)
    box = forms.ChoiceField(label=_("Box"), required=False)
    missing = forms.BooleanField(label=_("Only without judgement"), required=False)

    def __init__(
        self, *args: Any, owners: list[tuple[int, str]], boxes: list[tuple[str, str]], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["owner"].choices = [  # type: ignore[attr-defined]
            ("", _("Everyone")),
            *[(str(k), v) for k, v in owners],
        ]
        self.fields["box"].choices = [("", _("Every box")), *boxes]  # type: ignore[attr-defined]
