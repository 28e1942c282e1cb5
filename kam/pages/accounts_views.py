"""Account pages: list (with htmx filtering), detail, create, edit, import and export.
They sit in kam/pages, above kam.accounts, because the list and the page show the box and
the customer groups' rolled-up P&L (docs/architecture.md, "The order of the packages").

Views parse the request, call one selector or service, and render. Reads start from
``account_list_visible``; a hidden account answers 404 exactly like a missing one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from kam.accounts.exports import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    account_export,
    account_import_template,
)
from kam.accounts.filters import SORT_KEYS, account_filter, account_filters_parse
from kam.accounts.forms import AccountForm, ImportForm, RevenueForm, TeamForm
from kam.accounts.imports import account_import
from kam.accounts.models import Account, TeamRole
from kam.accounts.selectors import (
    account_children_visible,
    account_filter_options,
    account_get_editable,
    account_get_visible,
    account_list_visible,
    account_may_change_owner,
    account_may_create,
    account_may_edit,
    account_may_import,
    account_team,
    revenue_year_last,
)
from kam.accounts.services import (
    account_create,
    account_revenue_set,
    account_team_set,
    account_update,
)
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.organisation.selectors import exchange_rates_get, organisation_get
from kam.pages.groups import group_rollup_get, group_rollups
from kam.portfolio.selectors import (
    account_box,
    account_list_annotated,
    account_placements_shown,
    portfolio_review,
)
from kam.web.forms import add_application_error
from kam.web.page_errors import forbidden
from kam.web.requests import AuthenticatedHttpRequest
from kam.web.uploads import import_page

PAGE_SIZE = 50

_COLUMNS = [
    ("name", gettext_lazy("Account")),
    ("country", gettext_lazy("Country")),
    ("channel", gettext_lazy("Channel")),
    ("owner", gettext_lazy("Key account manager")),
    ("revenue", gettext_lazy("Revenue last year")),
]


def _get_visible_or_404(request: AuthenticatedHttpRequest, pk: int) -> Account:
    return account_get_visible(user=request.user, account_id=pk)


@login_required
@require_GET
def account_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The accounts the user may read, filtered, sorted and 50 to a page.

    An htmx request (the filter form or a sort link) gets only the table fragment.
    """
    filters = account_filters_parse(request.GET)
    review = portfolio_review()
    annotated = account_list_annotated(user=request.user, review=review)
    accounts = account_filter(queryset=annotated, filters=filters).select_related("parent")
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    current = filters.sort.lstrip("-")
    descending = filters.sort.startswith("-")
    columns = {
        key: {
            "label": label,
            "sorted": key == current,
            "descending": key == current and descending,
            "next": f"-{key}" if key == current and not descending else key,
        }
        for key, label in _COLUMNS
        if key in SORT_KEYS
    }
    box_labels = dict(Box.choices)
    rows = list(page.object_list)
    for account in rows:
        account.box_label = box_labels.get(account.box, "")
    groups = group_rollups(user=request.user, filters=filters, annotated=annotated)
    context: dict[str, Any] = {
        "page": page,
        "rows": rows,
        "groups": groups,
        "group_period": next((g.period for g in groups if g.period), None),
        "filters": filters,
        "columns": columns,
        "review": review,
        "revenue_year": revenue_year_last(),
        "base_currency": organisation_get().base_currency,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "accounts/_account_table.html", context)
    context.update(
        options=account_filter_options(user=request.user),
        boxes=[*Box.choices, ("none", _("Not placed"))],
        may_create=account_may_create(user=request.user),
        may_import=account_may_import(user=request.user),
    )
    return render(request, "accounts/account_list.html", context)


@login_required
@require_GET
def account_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Master data, group, team, revenue per year and the account's place in every review."""
    account = _get_visible_or_404(request, pk)
    organisation = organisation_get()
    rates = exchange_rates_get(organisation=organisation)
    rate = rates.get(account.currency)
    revenues = [
        {
            "year": r.year,
            "amount": r.amount,
            "base": (r.amount * rate).quantize(r.amount) if rate is not None else None,
        }
        for r in account.revenues.order_by("-year")
    ]
    team = list(account_team(account=account))
    portfolio = portfolio_review()
    box = account_box(account=account, review=portfolio) if portfolio else ""
    parent_visible = account_get_visible_or_none(request, account.parent_id) is not None
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "parent_visible": parent_visible,
            "children": account_children_visible(user=request.user, account=account),
            "core_team": [m for m in team if m.team_role == TeamRole.CORE],
            "surround_team": [m for m in team if m.team_role == TeamRole.SURROUND],
            "revenues": revenues,
            "base_currency": organisation.base_currency,
            "show_base": rate is not None and account.currency != organisation.base_currency,
            "placements": account_placements_shown(account=account),
            "portfolio": portfolio,
            "portfolio_box": box,
            "portfolio_box_label": Box(box).label if box else "",
            "may_edit": account_may_edit(user=request.user, account=account),
        },
    )


@login_required
@require_GET
def group_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A group's companies the user may see, each with box, revenue, P&L and plan, and the
    group's totals (docs/economics.md, "Customer groups rolled up")."""
    review = portfolio_review()
    rollup = group_rollup_get(user=request.user, group_id=pk, review=review)
    return render(
        request,
        "accounts/group_detail.html",
        {
            "group": rollup,
            "group_visible": account_get_visible_or_none(request, pk) is not None,
            "revenue_year": revenue_year_last(),
            "base_currency": organisation_get().base_currency,
            "review": review,
        },
    )


def account_get_visible_or_none(request: HttpRequest, pk: int | None) -> Account | None:
    """The account ``pk`` if the user may read it, else None (for optional links)."""
    if pk is None:
        return None
    try:
        return account_get_visible(user=request.user, account_id=pk)
    except ApplicationError:
        return None


def _apply_errors(form: Any, exc: ApplicationError) -> None:
    add_application_error(form, exc, fields={"parent": "parent_external_id"})


def _parent_from_form(request: AuthenticatedHttpRequest, form: AccountForm) -> Account | None:
    """The group named in the form, among the accounts the user can read."""
    external_id = form.cleaned_data.get("parent_external_id", "").strip()
    if not external_id:
        return None
    parent = account_list_visible(user=request.user).filter(external_id=external_id).first()
    if parent is None:
        raise ApplicationError(
            _("There is no account with external id '%(id)s'.") % {"id": external_id},
            field="parent_external_id",
        )
    return parent


@login_required
@require_http_methods(["GET", "POST"])
def account_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create an account (directors and administrators; key account managers for themselves)."""
    if not account_may_create(user=request.user):
        return forbidden(request, _("You may not create accounts."))
    owner_editable = account_may_change_owner(user=request.user)
    initial = {"currency": organisation_get().base_currency, "active": True}
    if not owner_editable:
        initial["owner"] = request.user.pk
    form = AccountForm(request.POST or None, initial=initial, owner_editable=owner_editable)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = account_create(
                user=request.user,
                external_id=data["external_id"],
                name=data["name"],
                country=data["country"],
                currency=data["currency"],
                channel=data["channel"],
                parent=_parent_from_form(request, form),
                owner=data["owner"] if owner_editable else request.user,
                active=data["active"],
            )
        except ApplicationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": account.name})
            return redirect("accounts:detail", account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": None})


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Edit master data, team and revenue: three forms on one page, each saved on its own."""
    account = account_get_editable(user=request.user, account_id=pk)
    owner_editable = account_may_change_owner(user=request.user)
    years = sorted(account.revenues.values_list("year", flat=True))
    section = request.POST.get("section") if request.method == "POST" else None
    team = list(account_team(account=account))
    form = AccountForm(
        request.POST if section == "account" else None,
        initial=AccountForm.initial_for(account),
        owner_editable=owner_editable,
    )
    team_form = TeamForm(
        request.POST if section == "team" else None,
        initial={
            "core": [m.user_id for m in team if m.team_role == TeamRole.CORE],
            "surround": [m.user_id for m in team if m.team_role == TeamRole.SURROUND],
        },
        prefix="team",
    )
    revenue_form = RevenueForm(
        request.POST if section == "revenue" else None,
        initial={f"revenue_{r.year}": r.amount for r in account.revenues.all()}
        | {
            "new_year": timezone.localdate().year
            if timezone.localdate().year not in years
            else None
        },
        years=years,
        prefix="revenue",
    )
    if section == "account" and form.is_valid():
        data = form.cleaned_data
        try:
            account_update(
                user=request.user,
                account=account,
                name=data["name"],
                external_id=data["external_id"],
                parent=_parent_from_form(request, form),
                country=data["country"],
                channel=data["channel"],
                currency=data["currency"],
                active=data["active"],
                **({"owner": data["owner"]} if owner_editable else {}),
            )
        except ApplicationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Account saved."))
            return redirect("accounts:detail", account.pk)
    elif section == "team" and team_form.is_valid():
        try:
            account_team_set(
                user=request.user,
                account=account,
                core=list(team_form.cleaned_data["core"]),
                surround=list(team_form.cleaned_data["surround"]),
            )
        except ApplicationError as exc:
            add_application_error(team_form, exc)
        else:
            messages.success(request, _("Account team saved."))
            return redirect("accounts:detail", account.pk)
    elif section == "revenue" and revenue_form.is_valid():
        try:
            account_revenue_set(
                user=request.user, account=account, revenues=revenue_form.revenues()
            )
        except ApplicationError as exc:
            add_application_error(revenue_form, exc)
        else:
            messages.success(request, _("Revenue saved."))
            return redirect("accounts:detail", account.pk)
    return render(
        request,
        "accounts/account_form.html",
        {
            "form": form,
            "team_form": team_form,
            "revenue_form": revenue_form,
            "account": account,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a CSV or XLSX file; show the problems (nothing imported) or what was done."""
    if not account_may_import(user=request.user):
        return forbidden(request, _("Only a sales director or administrator can import accounts."))
    return import_page(
        request,
        form=ImportForm(request.POST or None, request.FILES or None),
        run=lambda content, name, decimal: account_import(
            user=request.user, content=content, filename=name, decimal=decimal
        ),
        template="accounts/account_import.html",
    )


@login_required
@require_GET
def account_import_template_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A CSV file with the import's columns and two example rows."""
    response = HttpResponse(account_import_template(), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="kam-accounts-template.csv"'
    return response


@login_required
@require_GET
def account_export_download(request: AuthenticatedHttpRequest, file_format: str) -> HttpResponse:
    """The accounts of the list, with its filters, as CSV or XLSX in the import's columns."""
    if file_format not in {"csv", "xlsx"}:
        raise Http404(_("Export is available as CSV or XLSX."))
    filters = account_filters_parse(request.GET)
    accounts = account_filter(queryset=account_list_annotated(user=request.user), filters=filters)
    content = account_export(accounts=accounts, file_format=file_format)  # type: ignore[arg-type]
    content_type = XLSX_CONTENT_TYPE if file_format == "xlsx" else CSV_CONTENT_TYPE
    response = HttpResponse(content, content_type=content_type)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="kam-accounts-{stamp}.{file_format}"'
    return response
