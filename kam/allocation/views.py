"""Pages of the year plan (docs/method.md section 2): planning periods with capacities and
box policies, the four (or five) judgements per account with a live sketch of the fitted
curve and, with five, how well it fits and which judgement disagrees,
optimisation runs with their progress, and the results.

Directors and administrators plan; key account managers enter judgements for the
accounts they may edit; everyone reads results for the accounts they can see.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kam.accounts.selectors import account_filter_options, account_list_editable
from kam.allocation import charts
from kam.allocation.forms import (
    CapacityFormSet,
    FunctionCapacityForm,
    JudgementFilterForm,
    PeriodForm,
    PeriodStatusForm,
    PolicyForm,
    next_year_initial,
)
from kam.allocation.judgement_services import (
    JudgementInput,
    judgement_check,
    judgement_curve,
    judgement_fit,
    judgement_save,
)
from kam.allocation.models import AllocationRun, PeriodStatus, PlanningPeriod, RunStatus
from kam.allocation.run_services import run_start
from kam.allocation.selectors import (
    capacity_list,
    function_capacity_rows,
    judgement_accounts,
    judgement_counts_by_box,
    judgement_may_enter,
    judgements_for,
    period_get,
    period_list,
    period_may_plan,
    plan_hours,
    policy_list,
    run_get,
    run_hours_by_box,
    run_hours_by_person,
    run_latest_done,
    run_lines_visible,
    run_list,
    run_summary,
)
from kam.allocation.services import (
    CapacityChange,
    FunctionCapacityChange,
    PolicyChange,
    capacities_update,
    function_capacities_update,
    period_create,
    period_update,
    policies_update,
)
from kam.allocation.wording import (
    GROUP,
    fit_quality_text,
    inconsistent_text,
    shortfall_text,
)
from kam.core.allocation.fit import JudgementFit
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.organisation.selectors import organisation_get
from kam.users.models import Function
from kam.web.concurrency import VersionConflict, conflict_response, parse_version
from kam.web.forms import add_application_error
from kam.web.page_errors import refusal_message
from kam.web.requests import AuthenticatedHttpRequest

PAGE_SIZE = 50
JUDGEMENT_FIELDS = (
    "reference_hours",
    "contribution_at_zero",
    "contribution_at_50pct",
    "contribution_at_reference",
    "contribution_at_150pct",
    "contribution_at_saturation",
    "min_hours",
    "max_hours",
)
#: The numbers a sketch needs; the fifth judgement and the bounds are optional.
REQUIRED_FIELDS = (
    "reference_hours",
    "contribution_at_zero",
    "contribution_at_reference",
    "contribution_at_150pct",
    "contribution_at_saturation",
)


def _period(request: AuthenticatedHttpRequest, period_id: int) -> PlanningPeriod:
    return period_get(user=request.user, period_id=period_id)


def _run(request: AuthenticatedHttpRequest, run_id: int) -> AllocationRun:
    return run_get(user=request.user, run_id=run_id)


def _currency() -> str:
    return organisation_get().base_currency


# --- periods --------------------------------------------------------------------------------


@login_required
def period_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every planning period; directors and administrators create a new one here."""
    can_plan = period_may_plan(user=request.user)
    form = PeriodForm(initial=next_year_initial())
    if request.method == "POST":
        if not can_plan:
            raise PermissionDenied(_("Only sales directors and administrators plan."))
        form = PeriodForm(request.POST)
        if form.is_valid():
            try:
                period = period_create(created_by=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Period created with the team's capacities and the box policies of "
                        "today. Check them, then ask the key account managers for their "
                        "judgements."
                    ),
                )
                return redirect("allocation:period", period_id=period.pk)
    return render(
        request,
        "allocation/period_list.html",
        {"periods": period_list(), "form": form, "can_plan": can_plan},
    )


def _capacity_formset(period: PlanningPeriod, data: Any = None) -> tuple[Any, list[Any]]:
    rows = list(capacity_list(period=period))
    formset = CapacityFormSet(
        data,
        prefix="cap",
        initial=[
            {
                "user_id": r.user_id,
                "function": r.function,
                "hours_per_year": r.hours_per_year,
                "hourly_cost": r.hourly_cost,
            }
            for r in rows
        ],
    )
    return formset, rows


def _policy_forms(period: PlanningPeriod, data: Any = None) -> list[tuple[Any, PolicyForm]]:
    out = []
    for p in policy_list(period=period):
        form = PolicyForm(
            data,
            prefix=p.box,
            initial={
                "min_hours_per_year": p.min_hours_per_year,
                "max_hours_per_year": p.max_hours_per_year,
                "service_channel": p.service_channel,
                "visits_per_year": p.visits_per_year,
            },
        )
        # The version the row was loaded with (kept when the form comes back with an error).
        form.edit_version = (  # type: ignore[attr-defined]
            parse_version(data.get(f"{p.box}-version")) if data is not None else p.version
        )
        out.append((p, form))
    return out


def _function_forms(
    period: PlanningPeriod, data: Any = None
) -> list[tuple[dict[str, Any], FunctionCapacityForm]]:
    return [
        (
            row,
            FunctionCapacityForm(
                data, prefix=f"fn-{row['function']}", initial={"hours_per_year": row["cap"]}
            ),
        )
        for row in function_capacity_rows(period=period)
    ]


def _place_error(form: Any, exc: ApplicationError, field: str | None) -> None:
    """``exc`` on the form of one row, whose field is the part of ``exc.field`` after the dot."""
    add_application_error(form, exc, fields={exc.field or "": field or None})


@login_required
def period_page(request: AuthenticatedHttpRequest, period_id: int) -> HttpResponse:
    """A period: capacities and box policies (editable by planners), judgement counts per
    box, the button that starts an optimisation, and the latest runs with their progress."""
    period = _period(request, period_id)
    can_plan = period_may_plan(user=request.user)
    editable = can_plan and period.status != PeriodStatus.CLOSED
    section = request.POST.get("section") if request.method == "POST" else None
    if section and not can_plan:
        raise PermissionDenied(_("Only sales directors and administrators plan."))
    formset, rows = _capacity_formset(period, request.POST if section == "capacities" else None)
    policy_forms = _policy_forms(period, request.POST if section == "policies" else None)
    function_forms = _function_forms(period, request.POST if section == "functions" else None)
    status_form = PeriodStatusForm(
        request.POST if section == "status" else None, initial={"status": period.status}
    )
    try:
        if section == "capacities" and formset.is_valid():
            capacities_update(
                user=request.user,
                period=period,
                changes=[CapacityChange(**f.cleaned_data) for f in formset.forms],
            )
            messages.success(request, _("Capacities saved."))
            return redirect(reverse("allocation:period", args=[period.pk]) + "#capacities")
        if section == "policies" and all(f.is_valid() for _p, f in policy_forms):
            policies_update(
                user=request.user,
                period=period,
                changes=[
                    PolicyChange(box=p.box, **f.cleaned_data, version=f.edit_version)  # type: ignore[attr-defined]
                    for p, f in policy_forms
                ],
            )
            messages.success(request, _("Box policies of this period saved."))
            return redirect(reverse("allocation:period", args=[period.pk]) + "#policies")
        if section == "functions" and all(f.is_valid() for _r, f in function_forms):
            function_capacities_update(
                user=request.user,
                period=period,
                changes=[
                    FunctionCapacityChange(r["function"], f.cleaned_data["hours_per_year"])
                    for r, f in function_forms
                ],
            )
            messages.success(request, _("Capacities per function saved."))
            return redirect(reverse("allocation:period", args=[period.pk]) + "#functions")
        if section == "status" and status_form.is_valid():
            period_update(
                user=request.user,
                period=period,
                status=status_form.cleaned_data["status"],
            )
            messages.success(request, _("Status changed."))
            return redirect("allocation:period", period_id=period.pk)
    except VersionConflict as exc:
        box = exc.current.box  # type: ignore[attr-defined]
        return conflict_response(
            request,
            exc,
            title=_("Box policies of this period") + f": {Box(box).label}",
            back_url=reverse("allocation:period", args=[period.pk]) + "#policies",
            version_field=f"{box}-version",
            extra={"crumbs": period.name},
        )
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        head, _sep, field = (exc.field or "").partition(".")
        if section == "capacities":
            target = next(
                (f for f in formset.forms if str(f.cleaned_data.get("user_id")) == head), None
            )
            if target is None:
                messages.error(request, exc.message)
            else:
                _place_error(target, exc, field)
        elif section == "policies":
            target = next((f for p, f in policy_forms if p.box == head), None)
            if target is None:
                messages.error(request, exc.message)
            else:
                _place_error(target, exc, field)
        elif section == "functions":
            target = next((f for r, f in function_forms if r["function"] == head), None)
            if target is None:
                messages.error(request, exc.message)
            else:
                _place_error(target, exc, field)
        else:
            add_application_error(status_form, exc)
    counts = judgement_counts_by_box(period=period)
    labels = {b.value: b.label for b in Box}
    hours = plan_hours(period=period)
    policy_by_box = {b["box"]: b for b in hours.by_box}
    for c in counts:
        c["label"] = labels.get(c["box"], _("Not placed"))
        c["policy"] = policy_by_box.get(c["box"])
    return render(
        request,
        "allocation/period_detail.html",
        {
            "period": period,
            "can_plan": can_plan,
            "editable": editable,
            "capacity_formset": formset,
            "capacity_rows": list(zip(rows, formset.forms, strict=True)),
            "capacity_total": sum(r.hours_per_year for r in rows),
            "policy_forms": policy_forms,
            "function_forms": function_forms,
            "capacity_within_caps": sum(
                min(r["people_hours"], r["cap"]) if r["cap"] is not None else r["people_hours"]
                for r, _f in function_forms
            ),
            "any_function_cap": any(r["cap"] is not None for r, _f in function_forms),
            "status_form": status_form,
            "counts": counts,
            "judged_total": sum(c["judged"] for c in counts),
            "plan_hours": hours,
            "runs": run_list(period=period),
            "latest_done": run_latest_done(period=period),
            "can_judge": judgement_may_enter(user=request.user),
            "currency": _currency(),
        },
    )


@login_required
@require_POST
def run_start_view(request: AuthenticatedHttpRequest, period_id: int) -> HttpResponse:
    """Start an optimisation of the period; the period page shows its progress."""
    period = _period(request, period_id)
    try:
        run = run_start(user=request.user, period=period)
    except ApplicationError as exc:
        refusal_message(request, exc)
    else:
        if run.status == RunStatus.DONE:
            return redirect("allocation:run", run_id=run.pk)
        messages.success(request, _("The optimisation has started."))
    return redirect(reverse("allocation:period", args=[period.pk]) + "#runs")


@login_required
@require_GET
def run_progress(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    """One run's row with its progress; polled every second while the run is under way."""
    run = _run(request, run_id)
    return render(request, "allocation/_run_row.html", {"run": run})


# --- judgements -----------------------------------------------------------------------------


def _cell_labels() -> dict[str, str]:
    return {
        "reference_hours": _("Today's hours"),
        "contribution_at_zero": _("Contribution with no effort"),
        "contribution_at_50pct": _("Contribution at −50 % hours (optional)"),
        "contribution_at_reference": _("Contribution at today's hours"),
        "contribution_at_150pct": _("Contribution at +50 % hours"),
        "contribution_at_saturation": _("Contribution at saturation"),
        "min_hours": _("Minimum hours (empty: box policy)"),
        "max_hours": _("Maximum hours (empty: box policy)"),
    }


def _plain(value: Any) -> str:
    # Amounts as shown in an input: digits grouped by threes, no trailing ".00".
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        text = f"{value.normalize():,f}" if value == value.to_integral_value() else f"{value:,f}"
        return text.replace(",", GROUP)
    return str(value)


def _row(
    account: Any,
    judgement: Any,
    *,
    editable: bool,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    policies: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One account's row on the judgements page: its inputs (from ``values`` as typed, or
    the saved judgement), the sketch of its saved curve, and any message. Empty bounds
    show the box policy's (from ``policies``, by box) as their placeholder."""
    if values is None:
        values = {f: getattr(judgement, f) for f in JUDGEMENT_FIELDS} if judgement else {}
    errors = errors or {}
    labels = _cell_labels()
    box = getattr(account, "box", "") or ""
    policy = (policies or {}).get(box)
    placeholders = (
        {"min_hours": policy.min_hours_per_year, "max_hours": policy.max_hours_per_year}
        if policy is not None
        else {}
    )
    sketch = fit_text = ""
    fit: JudgementFit | None = None
    if judgement is not None and not errors:
        fit = judgement_fit(judgement)
        sketch = charts.sketch_svg(fit.curve, title=account.name)
        fit_text = fit_quality_text(fit)
    doubtful = fit.inconsistent if fit is not None else None
    return {
        "account": account,
        "box": box,
        "box_label": Box(box).label if box in Box.values else "",
        "judgement": judgement,
        "cells": [
            {
                "name": f,
                "label": labels[f],
                "value": _plain(values.get(f)),
                "error": errors.get(f, ""),
                "short": f in ("min_hours", "max_hours"),
                "placeholder": placeholders.get(f, ""),
                "optional": f == "contribution_at_50pct",
                "note": inconsistent_text(fit) if fit and _core_name(f) == doubtful else "",
            }
            for f in JUDGEMENT_FIELDS
        ],
        "editable": editable,
        "sketch": sketch,
        "fit_text": fit_text,
        "has_note": doubtful is not None,
        "errors": errors,
        "saved": saved,
    }


def _core_name(field: str) -> str:
    # kam.core names the judgements without their "contribution_" prefix
    return field.removeprefix("contribution_")


def _judgement_filters(
    request: AuthenticatedHttpRequest, period: PlanningPeriod
) -> JudgementFilterForm:
    owners = account_filter_options(user=request.user)["owners"]
    boxes = [(b.value, str(b.label)) for b in Box]
    return JudgementFilterForm(request.GET or None, owners=owners, boxes=boxes)


@login_required
@require_GET
def judgements_page(request: AuthenticatedHttpRequest, period_id: int) -> HttpResponse:
    """The four (or five) judgements of every account the user can see, 50 per page,
    filtered by owner and box; rows the user may edit have inputs, a live sketch and a save
    button."""
    period = _period(request, period_id)
    form = _judgement_filters(request, period)
    owner_id, box, missing = None, "", False
    if form.is_valid():
        owner_id = form.cleaned_data["owner"]
        box = form.cleaned_data["box"]
        missing = form.cleaned_data["missing"]
    qs: QuerySet[Any] = judgement_accounts(
        user=request.user, period=period, owner_id=owner_id, box=box
    )
    if missing:
        qs = qs.filter(judgement_id__isnull=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    accounts = list(page.object_list)
    ids = [a.pk for a in accounts]
    judgements = judgements_for(period=period, account_ids=ids)
    open_period = period.status != PeriodStatus.CLOSED
    editable_ids = (
        set(
            account_list_editable(user=request.user).filter(pk__in=ids).values_list("pk", flat=True)
        )
        if open_period
        else set()
    )
    policies = {p.box: p for p in policy_list(period=period)}
    rows = [
        _row(a, judgements.get(a.pk), editable=a.pk in editable_ids, policies=policies)
        for a in accounts
    ]
    query = {k: v for k, v in request.GET.items() if k != "page" and v}

    def page_query(n: int) -> str:
        return urlencode({**query, "page": n})

    context = {
        "period": period,
        "form": form,
        "page": page,
        "rows": rows,
        "currency": _currency(),
        "prev_query": page_query(page.previous_page_number()) if page.has_previous() else "",
        "next_query": page_query(page.next_page_number()) if page.has_next() else "",
        "any_editable": bool(editable_ids),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "allocation/_judgement_table.html", context)
    return render(request, "allocation/judgements.html", context)


def _judgement_input(data: Any) -> JudgementInput:
    return JudgementInput(**{f: data.get(f, "") for f in JUDGEMENT_FIELDS})


def _account_for_row(request: AuthenticatedHttpRequest, period: PlanningPeriod) -> Any:
    try:
        account_id = int(request.POST.get("account", ""))
    except ValueError as exc:
        raise Http404(_("There is no such account.")) from exc
    account = judgement_accounts(user=request.user, period=period).filter(pk=account_id).first()
    if account is None:
        raise Http404(_("There is no such account."))
    return account


@login_required
@require_POST
def judgement_save_view(request: AuthenticatedHttpRequest, period_id: int) -> HttpResponse:
    """Save one row of judgements (htmx) and answer with the row, saved or with the
    message beside the number to change."""
    period = _period(request, period_id)
    account = _account_for_row(request, period)
    values = {f: request.POST.get(f, "") for f in JUDGEMENT_FIELDS}
    try:
        judgement = judgement_save(
            user=request.user,
            period=period,
            account=account,
            data=_judgement_input(request.POST),
        )
    except ApplicationError as exc:
        if exc.status in (403, 404):
            raise
        row = _row(
            account,
            None,
            editable=True,
            values=values,
            errors={exc.field or "row": exc.message},
            policies={p.box: p for p in policy_list(period=period)},
        )
        # htmx swaps only successful answers, so the row with its message comes back as 200
        # to htmx and as 422 to anything else.
        return render(
            request,
            "allocation/_judgement_row.html",
            {"row": row, "period": period},
            status=200 if request.htmx else 422,
        )
    row = _row(
        account,
        judgement,
        editable=True,
        saved=True,
        policies={p.box: p for p in policy_list(period=period)},
    )
    return render(request, "allocation/_judgement_row.html", {"row": row, "period": period})


@login_required
@require_POST
def judgement_sketch(request: AuthenticatedHttpRequest, period_id: int) -> HttpResponse:
    """The fitted curve of the numbers typed so far, as a small inline SVG, or the message
    that says which number to change (nothing is saved)."""
    _period(request, period_id)
    if not judgement_may_enter(user=request.user):
        raise PermissionDenied(
            _("Only key account managers, sales directors and administrators enter judgements.")
        )
    data = _judgement_input(request.POST)
    filled = [getattr(data, f) for f in REQUIRED_FIELDS]
    if any(str(v).strip() == "" for v in filled):
        return HttpResponse(
            format_html('<span class="sketch-hint">{}</span>', _("Enter all five numbers."))
        )
    try:
        checked = judgement_check(data)
    except ApplicationError as exc:
        return HttpResponse(
            format_html(
                '<span class="sketch-error" data-field="{}">{}</span>', exc.field or "", exc.message
            )
        )
    fit = checked.fit
    parts = [charts.sketch_svg(checked.curve, title=request.POST.get("title", ""))]
    if fit.judgements == 5:
        parts.append(format_html('<p class="fit-quality">{}</p>', fit_quality_text(fit)))
    if fit.inconsistent is not None:
        # judgements.js puts this note beside the cell it names
        parts.append(
            format_html(
                '<span class="fit-warning" data-field="contribution_{}">{}</span>',
                fit.inconsistent,
                inconsistent_text(fit),
            )
        )
    return HttpResponse("".join(parts))


# --- results --------------------------------------------------------------------------------

SORTS = {
    "name": ("account__name",),
    "box": ("box", "account__name"),
    "today": ("reference_hours",),
    "planned": ("hours",),
    "change": ("change",),
    "contribution": ("contribution",),
}


def _sorted_lines(run: AllocationRun, user: Any, sort: str) -> QuerySet[Any]:
    qs = run_lines_visible(run=run, user=user).annotate(change=F("hours") - F("reference_hours"))
    key = sort.lstrip("-")
    fields = SORTS.get(key, SORTS["planned"])
    desc = sort.startswith("-") if key in SORTS else True
    # Accounts planned by their box policy have no today's hours or contribution: they
    # sort last either way, on SQLite and PostgreSQL alike.
    order = [F(f).desc(nulls_last=True) if desc else F(f).asc(nulls_last=True) for f in fields]
    return qs.order_by(*order, "account_id")


def _columns(sort: str, base: dict[str, str]) -> list[dict[str, Any]]:
    labels = {
        "name": (_("Account"), False),
        "box": (_("Box"), False),
        "today": (_("Today (h)"), True),
        "planned": (_("Planned (h)"), True),
        "change": (_("Change (h)"), True),
        "contribution": (_("Expected contribution"), True),
    }
    current = sort if sort.lstrip("-") in SORTS else "-planned"
    out = []
    for key, (label, numeric) in labels.items():
        active = current.lstrip("-") == key
        desc = current.startswith("-")
        nxt = (key if desc else f"-{key}") if active else (f"-{key}" if numeric else key)
        out.append(
            {
                "label": label,
                "numeric": numeric,
                "query": urlencode({**base, "sort": nxt}),
                "arrow": ("↓" if desc else "↑") if active else "",
                "aria": ("descending" if desc else "ascending") if active else "none",
            }
        )
    return out


def _lines_context(request: AuthenticatedHttpRequest, run: AllocationRun) -> dict[str, Any]:
    sort = request.GET.get("sort", "-planned")
    page = Paginator(_sorted_lines(run, request.user, sort), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    base = {"sort": sort}
    lines = list(page.object_list)
    for line in lines:
        line.shortfall_text = shortfall_text(line.below_minimum) if line.below_minimum else ""
    return {
        "run": run,
        "lines_page": page,
        "lines": lines,
        "columns": _columns(sort, {}),
        "prev_query": urlencode({**base, "page": page.previous_page_number()})
        if page.has_previous()
        else "",
        "next_query": urlencode({**base, "page": page.next_page_number()})
        if page.has_next()
        else "",
        "currency": _currency(),
    }


@login_required
@require_GET
def run_page(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    """A run's results: the summary with the certified gap and the comparisons, the shadow
    price, hours per account, per person and per box, a response curve and the what-if."""
    run = _run(request, run_id)
    if request.htmx and request.htmx.target == "lines-table" and run.status == RunStatus.DONE:
        return render(request, "allocation/_lines_table.html", _lines_context(request, run))
    context: dict[str, Any] = {"run": run, "period": run.period, "currency": _currency()}
    if run.status == RunStatus.DONE:
        s = run.summary
        functions = _function_rows(run)
        boxes = _box_rows(run)
        people = _people_rows(run, request.user)
        context.update(_lines_context(request, run))
        context.update(
            {
                "s": s,
                "gap_pct": 100.0 * float(s.get("relative_gap", 0.0)),
                "exact": bool(run_summary(run).get("exact")),
                "people": people,
                "functions": functions,
                "any_function_cap": any(f["cap"] is not None for f in functions),
                "boxes": boxes,
                "box_total": {
                    k: sum(b[k] for b in boxes)
                    for k in ("accounts", "optimised_hours", "policy_hours", "hours", "reference")
                },
                "people_total": {
                    k: sum(p[k] for p in people)
                    for k in ("optimised_hours", "policy_hours", "hours", "capacity")
                },
                "hire_hours": s.get("hire_hours"),
                "first_line": context["lines"][0] if context["lines"] else None,
                "actual": _actual(run, request.user),
            }
        )
    return render(request, "allocation/run_detail.html", context)


def _actual(run: AllocationRun, user: Any) -> dict[str, Any] | None:
    # Planned against actual needs the activities app; without it the section is left out.
    if not apps.is_installed("kam.activities"):
        return None
    from kam.allocation.actual import plan_against_actual

    return plan_against_actual(run=run, user=user)


def _people_rows(run: AllocationRun, user: Any) -> list[dict[str, Any]]:
    prices = run.summary.get("person_shadow_prices", {})
    rows = run_hours_by_person(run=run, user=user)
    for r in rows:
        r["shadow_price"] = prices.get(str(r["user"].pk))
    return rows


def _function_rows(run: AllocationRun) -> list[dict[str, Any]]:
    # Totals over all the run's accounts, as the summary's other totals (runs made before
    # caps per function existed have none: the section is left out).
    labels = {f.value: f.label for f in Function}
    rows = []
    for r in run.summary.get("functions", []):
        cap = r.get("cap")
        rows.append(
            {
                **r,
                "label": labels.get(r["function"], r["function"]),
                "used": 100.0 * r["hours"] / cap if cap else None,
                "binds": cap is not None and r["hours"] >= cap - 0.5,
            }
        )
    return rows


def _box_rows(run: AllocationRun) -> list[dict[str, Any]]:
    labels = {b.value: b.label for b in Box}
    rows = run_hours_by_box(run=run)
    for r in rows:
        r["label"] = labels.get(r["box"], _("Not placed"))
        lo, hi = r["min_total"], r["max_total"]
        if lo is not None and r["hours"] < lo - 0.5:
            r["against"] = _("below the policy")
        elif hi is not None and r["hours"] > hi + 0.5:
            r["against"] = _("above the policy")
        elif lo is not None:
            r["against"] = _("within the policy")
        else:
            r["against"] = ""
    return rows


@login_required
@require_GET
def run_curve(request: AuthenticatedHttpRequest, run_id: int, account_id: int) -> JsonResponse:
    """The Vega-Lite spec of one account's response curve with today's and the planned point."""
    run = _run(request, run_id)
    line = run_lines_visible(run=run, user=request.user).filter(account_id=account_id).first()
    if line is None:
        raise Http404(_("There is no such account in this plan."))
    judgement = run.period.judgements.filter(account_id=account_id).first()
    if judgement is None:
        raise Http404(_("This account has no judgement any more."))
    chart = charts.curve_chart(
        judgement_curve(judgement),
        account=line.account.name,
        currency=_currency(),
        planned_hours=float(line.hours),
        min_hours=float(line.min_hours),
        max_hours=float(line.max_hours) if line.max_hours is not None else None,
    )
    return JsonResponse({"spec": charts.spec_of(chart)})


@login_required
@require_GET
def run_what_if(request: AuthenticatedHttpRequest, run_id: int) -> JsonResponse:
    """The Vega-Lite spec of the capacity what-if of a finished run."""
    run = _run(request, run_id)
    if run.status != RunStatus.DONE:
        raise Http404(_("The run has not finished."))
    chart = charts.what_if_chart(
        run.summary.get("what_if", []),
        capacity=float(run.summary.get("capacity_hours", 0.0)),
        currency=_currency(),
    )
    return JsonResponse({"spec": charts.spec_of(chart)})
