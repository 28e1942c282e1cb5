"""Forms of the economics pages: they check shape; the services decide the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.economics.models import BaselineMethod, CostKind, InvestmentKind
from kam.imports.forms import decimal_field
from kam.web.widgets import IsoDateInput


class TransactionUploadForm(forms.Form):
    """An invoice-line file and the date the facts are computed at."""

    file = forms.FileField(
        label=_("CSV or Parquet file of invoice lines"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.parquet,text/csv"}),
    )
    as_of = forms.DateField(label=_("Compute the facts as of"), widget=IsoDateInput, required=False)


class FileForm(forms.Form):
    """A CSV (or Parquet) file to import."""

    file = forms.FileField(
        label=_("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.parquet,text/csv"}),
    )
    decimal = decimal_field()


class CostItemForm(forms.Form):
    """One cost-to-serve item of an account."""

    date = forms.DateField(label=_("Date"), widget=IsoDateInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=CostKind.choices)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class InvestmentForm(forms.Form):
    """One investment of an account's ledger."""

    date = forms.DateField(label=_("Date"), widget=IsoDateInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=InvestmentKind.choices)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0)
    description = forms.CharField(label=_("Description"), max_length=300)
    plan_label = forms.CharField(label=_("Plan project"), max_length=200, required=False)
    baseline_method = forms.ChoiceField(label=_("Baseline"), choices=BaselineMethod.choices)
    baseline_amount = forms.DecimalField(
        label=_("Baseline contribution per year"), max_digits=14, decimal_places=2, required=False
    )
    probability = forms.DecimalField(
        label=_("Probability the forecast comes true (0-1)"),
        max_digits=3,
        decimal_places=2,
        min_value=0,
        max_value=1,
        initial="0.80",
    )


class SpendForm(forms.Form):
    """An account's yearly available spend in our category (blank clears it)."""

    available_spend = forms.DecimalField(
        label=_("Available spend per year"), max_digits=14, decimal_places=2, required=False
    )
