"""Forms of the account pages; they check shape only, the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account
from kam.accounts.selectors import owner_candidates, team_candidates
from kam.imports.forms import decimal_field


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


class _UsersChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


class AccountForm(forms.Form):
    """Master data of an account: name, ids, group, owner, country, channel, currency."""

    name = forms.CharField(label=_("Name"), max_length=200)
    external_id = forms.CharField(
        label=_("External id"),
        max_length=64,
        help_text=_("The customer number in your ERP or CRM; imports match on it."),
    )
    parent_external_id = forms.CharField(
        label=_("Group (external id)"),
        max_length=64,
        required=False,
        help_text=_("The external id of the group this account belongs to; empty for none."),
    )
    owner = _UserChoice(
        label=_("Key account manager"),
        queryset=owner_candidates(),
        required=False,
        empty_label=_("(nobody)"),
    )
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        min_length=2,
        help_text=_("Two-letter ISO code, for example NL, DE, GB."),
        widget=forms.TextInput(attrs={"size": 3, "autocomplete": "off"}),
    )
    channel = forms.CharField(
        label=_("Industry / channel"),
        max_length=60,
        required=False,
        help_text=_("For example retail, wholesale, food service, online."),
    )
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        min_length=3,
        help_text=_("Three-letter ISO code of the currency revenue is booked in, e.g. EUR."),
        widget=forms.TextInput(attrs={"size": 4, "autocomplete": "off"}),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, owner_editable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Fresh querysets per form, so that a new colleague shows up without a restart.
        self.fields["owner"].queryset = owner_candidates()  # type: ignore[attr-defined]
        if not owner_editable:
            self.fields["owner"].disabled = True
            self.fields["owner"].help_text = _(
                "Only a sales director or administrator can hand an account to someone else."
            )

    @classmethod
    def initial_for(cls, account: Account) -> dict[str, Any]:
        return {
            "name": account.name,
            "external_id": account.external_id,
            "parent_external_id": account.parent.external_id if account.parent else "",
            "owner": account.owner_id,
            "country": account.country,
            "channel": account.channel,
            "currency": account.currency,
            "active": account.active,
        }


class TeamForm(forms.Form):
    """The account team: core and surround (docs/method.md section 3)."""

    core = _UsersChoice(
        label=_("Core team"),
        queryset=team_candidates(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    surround = _UsersChoice(
        label=_("Surround team"),
        queryset=team_candidates(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["core"].queryset = team_candidates()  # type: ignore[attr-defined]
        self.fields["surround"].queryset = team_candidates()  # type: ignore[attr-defined]


class RevenueForm(forms.Form):
    """Revenue per year; a field per known year (cleared means removed) and one to add a year."""

    new_year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2100)
    new_amount = forms.DecimalField(
        label=_("Revenue"), required=False, min_value=0, max_digits=16, decimal_places=2
    )

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.years = years
        for year in years:
            self.fields[f"revenue_{year}"] = forms.DecimalField(
                label=str(year), required=False, min_value=0, max_digits=16, decimal_places=2
            )

    def year_fields(self) -> list[Any]:
        return [self[f"revenue_{year}"] for year in self.years]

    def revenues(self) -> dict[int, Any]:
        """Year to amount (None removes the year) from the cleaned data."""
        result: dict[int, Any] = {y: self.cleaned_data.get(f"revenue_{y}") for y in self.years}
        if self.cleaned_data.get("new_year") and self.cleaned_data.get("new_amount") is not None:
            result[self.cleaned_data["new_year"]] = self.cleaned_data["new_amount"]
        return result

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The year field comes pre-filled with this year; only an amount asks for a year.
        if data.get("new_amount") is not None and data.get("new_year") is None:
            raise forms.ValidationError(_("Give the year the new amount belongs to."))
        return data


class ImportForm(forms.Form):
    """An account file to import."""

    file = forms.FileField(
        label=_("CSV or XLSX file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    decimal = decimal_field()
