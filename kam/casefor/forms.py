"""The self-assessment questionnaire: one 0-4 choice per reason and readiness question."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.business_case import LEVELS, READINESS, REASONS
from kam.web.widgets import IsoDateInput


class AssessmentForm(forms.Form):
    """Fields ``reason__<key>`` and ``ready__<key>`` (radio 0-4), the date and notes.

    Shape only; the service checks the rules (every answer given, 0-4, who may record).
    """

    assessed_on = forms.DateField(
        label=_("Date of the assessment"),
        # ISO: a date input takes nothing else, whatever the language
        widget=IsoDateInput(),
    )
    notes = forms.CharField(
        label=_("Notes for the board"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Context that the numbers do not show: who took part, what you assumed."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assessed_on"].initial = timezone.localdate()
        for prefix, questions in (("reason", REASONS), ("ready", READINESS)):
            for q in questions:
                self.fields[f"{prefix}__{q.key}"] = forms.TypedChoiceField(
                    choices=[(level, str(level)) for level in LEVELS],
                    coerce=int,
                    widget=forms.RadioSelect,
                    error_messages={"required": _("Choose an answer from 0 to 4.")},
                )

    def answers(self) -> dict[str, int]:
        return {q.key: self.cleaned_data[f"reason__{q.key}"] for q in REASONS}

    def readiness(self) -> dict[str, int]:
        return {q.key: self.cleaned_data[f"ready__{q.key}"] for q in READINESS}

    @staticmethod
    def field_name(key: str) -> str:
        return f"{'ready' if key in {q.key for q in READINESS} else 'reason'}__{key}"
