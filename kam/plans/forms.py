"""Forms of the plan pages; they check shape only, the services check the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.organisation.models import Box
from kam.plans.models import (
    ALL_SECTIONS,
    ITEM_FIELDS,
    ActionStatus,
    ItemKind,
    OwnerSide,
    Plan,
    PlanAction,
    PlanItem,
    Section,
)
from kam.plans.services import SHARE_DEFAULT_DAYS, SHARE_MAX_DAYS
from kam.web.widgets import IsoDateInput

# The plan's own fields per section (items and actions have their own forms).
SECTION_FIELDS: dict[str, list[str]] = {
    Section.TEAM: ["team_notes"],
    Section.SUMMARY: ["summary"],
    Section.PROFIT_PLAN: [
        "revenue_current",
        "revenue_target",
        "volume_current",
        "volume_target",
        "volume_unit",
        "margin_current_pct",
        "margin_target_pct",
        "investment",
        "expected_return",
        "profit_notes",
    ],
    Section.ANALYSIS: [
        "market",
        "value_chain",
        "customer_strategy",
        "swot_strengths",
        "swot_weaknesses",
        "swot_opportunities",
        "swot_threats",
        "purchasing_strategy",
        "category_spend",
    ],
    Section.RESOURCES: ["resources_notes"],
}

SECTION_ITEM_KINDS: dict[str, list[str]] = {
    Section.OBJECTIVES: [ItemKind.OBJECTIVE, ItemKind.OPPORTUNITY],
    Section.VALUE_PROPOSITIONS: [ItemKind.VALUE_PROPOSITION],
    Section.PROJECTS: [ItemKind.PROJECT],
    Section.RESOURCES: [ItemKind.RESOURCE],
}


def _textareas(model: Any, names: list[str]) -> dict[str, type[forms.Widget] | forms.Widget]:
    widgets: dict[str, type[forms.Widget] | forms.Widget] = {}
    for name in names:
        field = model._meta.get_field(name)
        if field.get_internal_type() == "TextField":
            widgets[name] = forms.Textarea(attrs={"rows": 4, "class": "w-full"})
        elif field.get_internal_type() == "DateField":
            widgets[name] = IsoDateInput()
        elif field.get_internal_type() == "CharField" and not field.choices:
            widgets[name] = forms.TextInput(attrs={"class": "w-full"})
    return widgets


def section_form_class(key: str) -> type[forms.ModelForm]:
    """A form over the plan fields of section ``key``."""
    names = SECTION_FIELDS[key]
    return forms.modelform_factory(Plan, fields=names, widgets=_textareas(Plan, names))


def item_form_class(kind: str) -> type[forms.ModelForm]:
    """A form over the title, the columns of ``kind`` and the sharing flag of an item."""
    names = ["title", *ITEM_FIELDS[kind], "shared"]
    return forms.modelform_factory(PlanItem, fields=names, widgets=_textareas(PlanItem, names))


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name() or obj.username
        profile = getattr(obj, "profile", None)
        return f"{name} – {profile.get_function_display()}" if profile else name


class _ContactChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name = obj.display_name
        return f"{name} – {obj.title}" if obj.title and obj.erased_at is None else name


class ActionForm(forms.ModelForm):
    """What, who (one of our people, or a contact of the account), due, status."""

    owner_user = _PersonChoice(
        label=_("Owner on our side"),
        queryset=get_user_model().objects.none(),
        required=False,
    )
    owner_contact = _ContactChoice(
        label=_("Owner at the customer"),
        queryset=None,
        required=False,
        help_text=_(
            "One of the account's contacts; a share link for the contact's e-mail address "
            "lets the person update the action."
        ),
    )

    class Meta:
        model = PlanAction
        fields = [
            "what",
            "owner_side",
            "owner_user",
            "owner_contact",
            "due_date",
            "status",
            "objective",
            "shared",
        ]
        widgets = {
            "what": forms.TextInput(attrs={"class": "w-full"}),
            "owner_side": forms.RadioSelect,
            "due_date": IsoDateInput(),
        }

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_user"].queryset = (  # type: ignore[attr-defined]
            get_user_model()
            .objects.filter(is_active=True, profile__isnull=False)
            .select_related("profile")
            .order_by("first_name", "last_name", "username")
        )
        self.fields["objective"].queryset = plan.items.filter(  # type: ignore[attr-defined]
            kind__in=[ItemKind.OBJECTIVE, ItemKind.OPPORTUNITY]
        )
        self.fields["objective"].required = False
        self.fields["owner_side"].initial = OwnerSide.OURS
        from kam.relationships.models import Contact

        current = self.instance.owner_contact_id if self.instance.pk else None
        self.fields["owner_contact"].queryset = Contact.objects.filter(  # type: ignore[attr-defined]
            Q(erased_at=None) | Q(pk=current or 0), account_id=plan.account_id
        ).order_by("name", "number")
        if self.instance.pk and self.instance.owner_not_matched:
            self.fields["owner_contact"].help_text = _(
                "Typed before owners were contacts: “%(name)s”, which matches no contact of "
                "the account (not matched). Choose the contact, or add them on the "
                "relationship page first."
            ) % {"name": self.instance.owner_contact_name}


class TrackForm(forms.Form):
    """A status change and/or a comment on one action."""

    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "w-full"}),
    )
    visible_to_customer = forms.BooleanField(label=_("Visible to the customer"), required=False)


class PeriodForm(forms.Form):
    """The period of a new plan."""

    period_label = forms.CharField(label=_("Period"), max_length=40)
    period_start = forms.DateField(label=_("Period start"), widget=IsoDateInput())
    period_end = forms.DateField(label=_("Period end"), widget=IsoDateInput())

    @staticmethod
    def initial_for_year(year: int) -> dict[str, Any]:
        return {
            "period_label": str(year),
            "period_start": dt.date(year, 1, 1),
            "period_end": dt.date(year, 12, 31),
        }


class _AccountChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.external_id})"


class PlanNewForm(PeriodForm):
    """A new plan: the account (one the user may change) and the period."""

    account = _AccountChoice(label=_("Account"), queryset=None)
    field_order = ["account", "period_label", "period_start", "period_end"]

    def __init__(self, *args: Any, accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts  # type: ignore[attr-defined]


class SectionsForm(forms.Form):
    """Which sections this plan has and which of them the customer sees."""

    sections = forms.MultipleChoiceField(
        label=_("Sections in this plan"),
        choices=Section.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    shared_sections = forms.MultipleChoiceField(
        label=_("Shared with the customer"),
        choices=Section.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class ShareLinkForm(forms.Form):
    """A share link for one named person at the customer."""

    person_name = forms.CharField(label=_("Name"), max_length=200)
    person_email = forms.EmailField(label=_("E-mail"))
    days_valid = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=SHARE_MAX_DAYS,
        initial=SHARE_DEFAULT_DAYS,
        widget=forms.NumberInput(attrs={"class": "w-6"}),
    )
    language = forms.ChoiceField(
        label=_("Language of the shared page"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        required=False,
        help_text=_("The person can switch it on the page."),
    )


class ShareLanguageForm(forms.Form):
    """The language switch on the shared page (no login)."""

    language = forms.ChoiceField(choices=settings.LANGUAGES)


class SignOffForm(forms.Form):
    """A named person at the customer signs off the version of the plan they read."""

    # The form renderer marks the fields they may leave empty (web/forms/field.html).
    mark_optional = True

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    person_name = forms.CharField(label=_("Your name"), max_length=200)
    person_role = forms.CharField(
        label=_("Your role"),
        max_length=200,
        required=False,
        help_text=_("For example: supply chain director."),
    )
    person_email = forms.EmailField(label=_("Your e-mail address"), required=False)


class ApproveForm(forms.Form):
    note = forms.CharField(
        label=_("Note with the approval"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "w-full"}),
    )


def templates_from_post(data: Any) -> dict[str, tuple[list[str], list[str]]]:
    """Read the template grid: checkboxes ``<box>-sections`` and ``<box>-shared``."""
    rows = {}
    for box in Box.values:
        sections = [k for k in data.getlist(f"{box}-sections") if k in ALL_SECTIONS]
        shared = [k for k in data.getlist(f"{box}-shared") if k in ALL_SECTIONS]
        rows[box] = (sections, shared)
    return rows
