"""Forms of the relationship pages; they check shape, the services decide the rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.relationships.models import ContactFunction, LawfulBasis, Seniority
from kam.web.choices import Attitude, BuyingRole
from kam.web.widgets import IsoDateInput


class ContactForm(forms.Form):
    """One contact at the customer (docs/method.md section 3)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    title = forms.CharField(label=_("Job title"), max_length=200, required=False)
    function = forms.ChoiceField(label=_("Function"), choices=ContactFunction.choices)
    seniority = forms.TypedChoiceField(
        label=_("Seniority"), choices=Seniority.choices, coerce=int, initial=Seniority.MIDDLE
    )
    reports_to = forms.TypedChoiceField(
        label=_("Reports to"), required=False, coerce=int, empty_value=None
    )
    buying_roles = forms.MultipleChoiceField(
        label=_("Buying roles"),
        choices=BuyingRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    influence = forms.IntegerField(label=_("Influence (1–5)"), min_value=1, max_value=5, initial=3)
    attitude = forms.ChoiceField(
        label=_("Attitude to us"), choices=Attitude.choices, initial=Attitude.NEUTRAL
    )
    owner = forms.TypedChoiceField(
        label=_("Relationship owner (ours)"), required=False, coerce=int, empty_value=None
    )
    email = forms.EmailField(
        label=_("E-mail"), required=False, help_text=_("Used to match calendar invitations.")
    )
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    has_left = forms.BooleanField(label=_("Has left the company"), required=False)
    left_on = forms.DateField(label=_("Left on"), required=False, widget=IsoDateInput())
    lawful_basis = forms.ChoiceField(
        label=_("Lawful basis for keeping this person's data"),
        choices=LawfulBasis.choices,
        help_text=_("GDPR article 6: usually the legitimate interest of doing business together."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        reports_to_choices: Iterable[tuple[Any, Any]] = (),
        owner_choices: Iterable[tuple[Any, Any]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reports_to"].choices = [  # type: ignore[attr-defined]
            ("", _("— nobody on file —")),
            *reports_to_choices,
        ]
        self.fields["owner"].choices = [("", _("— nobody —")), *owner_choices]  # type: ignore[attr-defined]


class CalendarForm(forms.Form):
    """An .ics file and the period to import (empty: the file's span, at most a year)."""

    file = forms.FileField(label=_("Calendar file (.ics)"))
    period_start = forms.DateField(label=_("From"), required=False, widget=IsoDateInput())
    period_end = forms.DateField(label=_("To"), required=False, widget=IsoDateInput())
