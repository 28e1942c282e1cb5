"""The form field an import page offers for the file's decimal separator."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


def decimal_field() -> forms.ChoiceField:
    """The decimal separator of the file's numbers; blank: told from the file as a whole
    (``kam.imports.numbers``)."""
    return forms.ChoiceField(
        label=_("Decimal separator"),
        required=False,
        choices=[
            ("", _("Tell from the file")),
            ("comma", _("Comma: 1.250.000,50")),
            ("point", _("Point: 1,250,000.50")),
        ],
    )
