"""The policies page: box policies, team capacity, key-account limits and exchange rates.

Only sales directors and administrators may open it (403 for everyone else). Each
section is its own form with its own submit button; a rule broken shows its message
beside the field, and nothing of that section is saved.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kam.errors import ApplicationError
from kam.organisation.forms import (
    BoxPolicyForm,
    ExchangeRateForm,
    OrganisationForm,
    TeamCapacityFormSet,
)
from kam.organisation.models import Box, Organisation
from kam.organisation.selectors import (
    box_policy_rows_get,
    capacity_limits_get,
    exchange_rates_get,
    organisation_get,
    policy_may_edit,
    team_capacity_hours,
    team_capacity_list,
)
from kam.organisation.services import (
    BoxPolicyInput,
    TeamCapacityChange,
    box_policies_update,
    exchange_rate_delete,
    exchange_rate_set,
    expected_functions_set,
    organisation_update,
    team_capacity_update,
)
from kam.users.models import Function
from kam.web.concurrency import VersionConflict, conflict_response, parse_version
from kam.web.forms import add_application_error
from kam.web.page_errors import refusal_message
from kam.web.requests import AuthenticatedHttpRequest

ORGANISATION_FIELDS = (
    "name",
    "base_currency",
    "max_key_accounts",
    "max_key_accounts_per_manager",
    "manager_limit_counts",
    "capacity_warning_share",
    "sensitivity_draws",
    "sensitivity_concentration",
    "uncertainty_threshold",
    "disagreement_points",
    "discount_rate",
)


def _box_forms(org: Organisation, data: Any = None) -> list[tuple[Any, BoxPolicyForm]]:
    rows = box_policy_rows_get(organisation=org)
    out = []
    for row in rows:
        form = BoxPolicyForm(
            data,
            prefix=row.box,
            initial={
                "min_hours_per_year": row.min_hours_per_year,
                "max_hours_per_year": row.max_hours_per_year,
                "review_cadence_months": row.review_cadence_months,
                "service_channel": row.service_channel,
                "visits_per_year": row.visits_per_year,
            },
        )
        # The version the row was loaded with (kept when the form comes back with an error).
        form.edit_version = (  # type: ignore[attr-defined]
            parse_version(data.get(f"{row.box}-version"))
            if data is not None
            else (row.version if row.pk else None)
        )
        out.append((row, form))
    return out


def _team_formset(data: Any = None) -> tuple[Any, dict[int, Any]]:
    people = list(team_capacity_list())
    formset = TeamCapacityFormSet(
        data,
        prefix="team",
        initial=[
            {
                "user_id": p.pk,
                "function": p.profile.function,
                "hours_per_year": p.profile.hours_per_year,
                "hourly_cost": p.profile.hourly_cost,
            }
            for p in people
        ],
    )
    return formset, {p.pk: p for p in people}


def _organisation_form(org: Organisation, data: Any = None) -> OrganisationForm:
    return OrganisationForm(data, initial={f: getattr(org, f) for f in ORGANISATION_FIELDS})


def _save_boxes(
    org: Organisation, box_forms: list[tuple[Any, BoxPolicyForm]], user: Any = None
) -> bool:
    if not all(form.is_valid() for _row, form in box_forms):
        return False
    try:
        box_policies_update(
            organisation=org,
            policies={
                row.box: BoxPolicyInput(**form.cleaned_data, version=form.edit_version)  # type: ignore[attr-defined]
                for row, form in box_forms
            },
            user=user,
        )
    except VersionConflict:
        raise
    except ApplicationError as exc:
        box, _sep, field = (exc.field or "").partition(".")
        target = next((f for row, f in box_forms if row.box == box), box_forms[0][1])
        add_application_error(target, exc, fields={exc.field or "": field or None})
        return False
    return True


def _save_team(formset: Any) -> bool:
    if not formset.is_valid():
        return False
    try:
        team_capacity_update(
            changes=[TeamCapacityChange(**form.cleaned_data) for form in formset.forms]
        )
    except ApplicationError as exc:
        user_id, _sep, field = (exc.field or "").partition(".")
        target = next(
            (f for f in formset.forms if str(f.cleaned_data.get("user_id")) == user_id),
            None,
        )
        if target is None:
            formset._non_form_errors = formset.error_class([exc.message])
        else:
            add_application_error(target, exc, fields={exc.field or "": field or None})
        return False
    return True


def _save_organisation(org: Organisation, form: OrganisationForm) -> bool:
    if not form.is_valid():
        return False
    try:
        organisation_update(organisation=org, **form.cleaned_data)
    except ApplicationError as exc:
        add_application_error(form, exc)
        return False
    return True


def _save_rate(org: Organisation, form: ExchangeRateForm) -> bool:
    if not form.is_valid():
        return False
    try:
        exchange_rate_set(organisation=org, **form.cleaned_data)
    except ApplicationError as exc:
        add_application_error(form, exc)
        return False
    return True


@login_required
def settings_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show and change the organisation's policies (docs/method.md sections 1 and 2)."""
    if not policy_may_edit(user=request.user):
        raise PermissionDenied(_("Only sales directors and administrators may change policies."))
    org = organisation_get()
    section = request.POST.get("section") if request.method == "POST" else None
    data = request.POST if section else None

    box_forms = _box_forms(org, data if section == "boxes" else None)
    team_formset, people = _team_formset(data if section == "team" else None)
    org_form = _organisation_form(org, data if section == "organisation" else None)
    rate_form = ExchangeRateForm(data if section == "rate" else None)

    saved = False
    if section == "boxes":
        try:
            saved = _save_boxes(org, box_forms, request.user)
        except VersionConflict as exc:
            box = exc.current.box  # type: ignore[attr-defined]
            return conflict_response(
                request,
                exc,
                title=_("Box policies") + f": {Box(box).label}",
                back_url=reverse("organisation:settings") + "#boxes",
                version_field=f"{box}-version",
            )
        done = _("Box policies saved.")
    elif section == "team":
        saved = _save_team(team_formset)
        done = _("Team capacity saved.")
    elif section == "organisation":
        saved = _save_organisation(org, org_form)
        done = _("Limits and settings saved.")
    elif section == "rate":
        saved = _save_rate(org, rate_form)
        done = _("Exchange rate saved.")
    elif section == "rate_delete":
        currency = request.POST.get("currency", "")
        try:
            exchange_rate_delete(organisation=org, currency=currency)
        except ApplicationError as exc:
            refusal_message(request, exc)
            return redirect("organisation:settings")
        saved = True
        done = _("Exchange rate for %(code)s removed.") % {"code": currency.upper()}
    elif section == "functions":
        try:
            expected_functions_set(
                box_functions={box: request.POST.getlist(f"functions-{box}") for box in Box.values}
            )
        except ApplicationError as exc:
            refusal_message(request, exc)
            return redirect(f"{request.path}#functions")
        saved = True
        done = _("Expected functions saved.")
    elif section is not None:
        return HttpResponse(_("Unknown section."), status=400)
    if saved:
        messages.success(request, done)
        return redirect(f"{request.path}#{section}")

    for form in team_formset.forms:
        user_id = form["user_id"].value()
        form.person = people.get(int(user_id)) if str(user_id).isdigit() else None

    limits = capacity_limits_get(organisation=org)
    capacity = team_capacity_hours()
    policies = {row.box: row for row, _form in box_forms}
    key_minimum = policies[Box.KEY.value].min_hours_per_year
    affordable_key_accounts = (
        int(capacity * limits.capacity_share // key_minimum) if key_minimum else None
    )
    rates = exchange_rates_get(organisation=org)
    rates.pop(org.base_currency, None)
    return render(
        request,
        "organisation/settings.html",
        {
            "organisation": org,
            "box_forms": box_forms,
            "function_choices": Function.choices,
            "team_formset": team_formset,
            "org_form": org_form,
            "rate_form": rate_form,
            "rates": sorted(rates.items()),
            "team_hours": capacity,
            "usable_hours": capacity * limits.capacity_share,
            "key_minimum": key_minimum,
            "affordable_key_accounts": affordable_key_accounts,
            "section": section,
        },
    )
