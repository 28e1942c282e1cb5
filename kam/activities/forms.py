"""Forms of the activity pages; they check shape only, the services check the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.accounts.selectors import account_list_visible
from kam.activities.models import MAX_DURATION_MINUTES, Activity, ActivityType
from kam.activities.selectors import participant_candidates, period_start_default
from kam.imports.forms import decimal_field
from kam.web.widgets import IsoDateInput


def _person_label(obj: Any) -> str:
    full = obj.get_full_name()
    return f"{full} ({obj.username})" if full else obj.username


class _AccountChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.external_id})"


class _PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return _person_label(obj)


class _ContactIds(forms.TypedMultipleChoiceField):
    """Contact ids as posted (blanks dropped); the service checks they are the account's."""

    def to_python(self, value: Any) -> list[str]:
        return [str(v) for v in super().to_python(value) if str(v).strip()]

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit()


def objective_choice_list(*, account_id: int | None, keep_id: int | None) -> list[Any]:
    """The select's choices: none, then the objectives and value propositions of the
    account's current plan(s), grouped by kind and plan (``objective_choices``)."""
    from kam.plans.conversations import objective_choices

    items = objective_choices(account_id=account_id, keep_id=keep_id)
    groups: dict[str, list[tuple[int, str]]] = {}
    for item in items:
        label = _("%(kind)s · plan %(period)s") % {
            "kind": item.get_kind_display(),
            "period": item.plan.period_label,
        }
        groups.setdefault(str(label), []).append((item.pk, item.title))
    return [("", _("None")), *groups.items()]


class ActivityForm(forms.Form):
    """Log or edit one activity; the account list holds only the accounts the user may read."""

    account = _AccountChoice(
        label=_("Account"),
        queryset=None,
        widget=forms.Select(
            attrs={
                "class": "w-full",
                "hx-get": reverse_lazy("activities:contact_picker"),
                "hx-trigger": "change",
                "hx-target": "#contact-picker",
                "hx-swap": "outerHTML",
                "hx-vals": '{"whole": "1"}',
            }
        ),
    )
    date = forms.DateField(label=_("Date"), widget=IsoDateInput())
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=1,
        max_value=MAX_DURATION_MINUTES,
        help_text=_("For each of our participants: a two-hour visit by two people is four hours."),
        widget=forms.NumberInput(attrs={"step": 5, "class": "w-8"}),
    )
    type = forms.ChoiceField(label=_("Type"), choices=ActivityType.choices)
    participants = _PeopleChoice(
        label=_("Our participants"),
        queryset=None,
        widget=forms.SelectMultiple(attrs={"size": 8, "class": "min-w-20"}),
        help_text=_("Hold Ctrl (or Cmd) to choose more than one."),
    )
    contacts = _ContactIds(
        label=_("Their contacts"),
        required=False,
        coerce=int,
        help_text=_("The account's people who took part; type to search."),
    )
    contact_names = forms.CharField(
        label=_("Not matched"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "w-full"}),
        help_text=_(
            "Names as typed that match no contact of the account, one per line; they do not "
            "count in the contact matrix. Pick or create the contact and remove the name."
        ),
    )
    new_contact_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    new_contact_title = forms.CharField(label=_("Role"), max_length=200, required=False)
    new_contact_email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    objective = forms.TypedChoiceField(
        label=_("Objective or value proposition"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_(
            "What on the account's plan this conversation was about; the plan's conversation "
            "grid counts it."
        ),
    )
    topic = forms.CharField(
        label=_("Topic"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "w-full"}),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "w-full"}),
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Fresh querysets per form: visibility is the user's, and new colleagues show at once.
        self.fields["account"].queryset = account_list_visible(user=user).only(  # type: ignore[attr-defined]
            "pk", "name", "external_id"
        )
        self.fields["participants"].queryset = participant_candidates()  # type: ignore[attr-defined]
        kept = self.initial.get("objective")
        self.fields["objective"].choices = objective_choice_list(  # type: ignore[attr-defined]
            account_id=self.account_id,
            keep_id=int(str(kept)) if str(kept or "").isdigit() else None,
        )

    @property
    def account_id(self) -> int | None:
        """The account chosen (as posted, else as given beforehand)."""
        raw = self.data.get("account") if self.is_bound else self.initial.get("account")
        return int(str(raw)) if str(raw or "").isdigit() else None

    def contact_ids(self) -> list[int]:
        """The contacts picked (as posted, else as given beforehand)."""
        if self.is_bound:
            raw = self.data.getlist("contacts") if hasattr(self.data, "getlist") else []
        else:
            raw = self.initial.get("contacts") or []
        return [int(v) for v in raw if str(v).isdigit()]

    def unmatched_names(self) -> list[str]:
        """The names not matched, one entry per non-empty line."""
        return [line.strip() for line in self.cleaned_data.get("contact_names", "").splitlines()]

    def new_contact(self) -> dict[str, str] | None:
        """The contact to create on the spot (name, role, e-mail), or None when no name."""
        name = (self.cleaned_data.get("new_contact_name") or "").strip()
        if not name:
            return None
        return {
            "name": name,
            "title": self.cleaned_data.get("new_contact_title") or "",
            "email": self.cleaned_data.get("new_contact_email") or "",
        }

    @staticmethod
    def initial_for(activity: Activity) -> dict[str, Any]:
        return {
            "account": activity.account_id,
            "date": activity.date,
            "duration_minutes": activity.duration_minutes,
            "type": activity.type,
            "participants": [p.pk for p in activity.participants.all()],
            "contacts": [c.pk for c in activity.contacts.all()],
            "contact_names": "\n".join(activity.contact_names or []),
            "objective": activity.objective_id,
            "topic": activity.topic,
            "notes": activity.notes,
        }

    @staticmethod
    def initial_new(*, user: Any, account_id: int | None) -> dict[str, Any]:
        return {
            "account": account_id,
            "date": timezone.localdate(),
            "duration_minutes": 60,
            "type": ActivityType.MEETING,
            "participants": [user.pk],
        }


class ImportForm(forms.Form):
    """One CSV file of activities."""

    file = forms.FileField(label=_("CSV file"))
    decimal = decimal_field()


class PeriodForm(forms.Form):
    """A date range, both ends inclusive; the last twelve months when left empty."""

    start = forms.DateField(label=_("From"), required=False, widget=IsoDateInput())
    end = forms.DateField(label=_("To"), required=False, widget=IsoDateInput())

    def period(self) -> tuple[dt.date, dt.date]:
        """(start, end): the dates given, else the twelve months up to and including today."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or period_start_default(end)
        if start > end:
            start, end = end, start
        return start, end
