"""Pages of the return on the investment (docs/method.md section 6): an account's economics
(P&L per year, the waterfall, cost to serve, investments and their return, facts), the
portfolio's four boxes compared, and the imports of invoice lines, available spend and
cost-to-serve items.

Accounts are read through ``account_list_visible`` and changed through
``account_list_editable``; imports are for sales directors and administrators.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.accounts.selectors import account_may_edit
from kam.economics import charts
from kam.economics.figures import account_figures
from kam.economics.forms import (
    CostItemForm,
    FileForm,
    InvestmentForm,
    SpendForm,
    TransactionUploadForm,
)
from kam.economics.lines import store_get
from kam.economics.models import ImportStatus
from kam.economics.selectors import (
    account_economics_visible,
    account_facts_latest,
    account_ledger,
    account_planned_cost,
    cost_item_get,
    cost_items_of,
    investment_get,
    portfolio_economics,
    source_may_remove,
    transaction_import_get,
    transaction_import_list,
    transaction_may_import,
)
from kam.economics.services import (
    available_spend_import,
    available_spend_set,
    cost_item_create,
    cost_item_delete,
    cost_items_import,
    investment_create,
    investment_delete,
    transaction_import_start,
    transaction_source_remove,
)
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.organisation.selectors import organisation_get
from kam.web.forms import add_application_error
from kam.web.page_errors import refusal_message
from kam.web.requests import AuthenticatedHttpRequest
from kam.web.uploads import import_page


def _as_of(request: AuthenticatedHttpRequest) -> dt.date:
    text = request.GET.get("as_of", "")
    try:
        return dt.date.fromisoformat(text) if text else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _year(request: AuthenticatedHttpRequest, as_of: dt.date) -> int:
    """The plan year of the page's figures: ``?year=`` when it is a year, else the as-of's."""
    text = request.GET.get("year", "")
    return int(text) if text.isdigit() and 1900 < int(text) < 3000 else as_of.year


def _account(request: AuthenticatedHttpRequest, account_id: int) -> Any:
    return account_economics_visible(user=request.user, account_id=account_id)


def _page_url(account_id: int, anchor: str = "") -> str:
    return reverse("economics:account", args=[account_id]) + (f"#{anchor}" if anchor else "")


# --- an account -----------------------------------------------------------------------------


@login_required
@require_GET
def account_page(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """An account's economics: P&L per year (chart and table), the waterfall of the latest
    year, cost to serve, the investment ledger with each return, and the facts."""
    account = _account(request, account_id)
    return render(
        request,
        "economics/account.html",
        _account_context(request, account, cost_form=CostItemForm(), invest_form=InvestmentForm()),
    )


def _account_context(
    request: AuthenticatedHttpRequest,
    account: Any,
    *,
    cost_form: CostItemForm,
    invest_form: InvestmentForm,
) -> dict[str, Any]:
    as_of = _as_of(request)
    ledger = account_ledger(account=account, as_of=as_of)
    latest = ledger.latest
    facts = account_facts_latest(account_ids=[account.pk], as_of=as_of).get(account.pk)
    figures = account_figures(account=account, year=_year(request, as_of))
    org = organisation_get()
    spend = store_get().available_spend().get(account.external_id)
    has_lines = any(p.revenue for p in ledger.periods)
    return {
        "account": account,
        "as_of": as_of,
        "ledger": ledger,
        "latest": latest,
        "has_lines": has_lines,
        "partial": any(not p.period.complete for p in ledger.periods),
        "pnl_spec": charts.pnl_chart(ledger.periods, currency=ledger.currency)
        if has_lines
        else None,
        "waterfall_spec": charts.waterfall_chart(latest, currency=ledger.currency)
        if has_lines and latest
        else None,
        "facts": facts,
        "figures": figures,
        "box": figures.box,
        "box_label": dict(Box.choices).get(figures.box, ""),
        "planned": account_planned_cost(account=account, year=figures.year),
        "base_currency": org.base_currency,
        "discount_rate_pct": float(org.discount_rate) * 100,
        "cost_items": cost_items_of(account=account),
        "may_edit": account_may_edit(user=request.user, account=account),
        "cost_form": cost_form,
        "invest_form": invest_form,
        "spend_form": SpendForm(
            initial={"available_spend": None if spend is None else spend.quantize(Decimal(1))}
        ),
        "available_spend": spend,
    }


def _edit_post(
    request: AuthenticatedHttpRequest, account_id: int, form: Any, save: Any, anchor: str, done: str
) -> HttpResponse:
    account = _account(request, account_id)
    if form.is_valid():
        try:
            save(account, form.cleaned_data)
        except ApplicationError as exc:
            if exc.status in (403, 404):
                raise
            add_application_error(form, exc)
        else:
            messages.success(request, done)
            return redirect(_page_url(account.pk, anchor))
    cost_form = form if isinstance(form, CostItemForm) else CostItemForm()
    invest_form = InvestmentForm() if isinstance(form, CostItemForm) else form
    if isinstance(form, SpendForm):
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(_page_url(account.pk, anchor))
    return render(
        request,
        "economics/account.html",
        _account_context(request, account, cost_form=cost_form, invest_form=invest_form),
        status=422,
    )


@login_required
@require_POST
def cost_item_add(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """Add a cost-to-serve item to the account (users who may edit it)."""
    return _edit_post(
        request,
        account_id,
        CostItemForm(request.POST),
        lambda account, data: cost_item_create(user=request.user, account=account, **data),
        "costs",
        _("Cost item added."),
    )


@login_required
@require_POST
def cost_item_remove(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    """Remove a cost-to-serve item."""
    item = cost_item_get(user=request.user, item_id=item_id)
    cost_item_delete(user=request.user, item=item)
    messages.success(request, _("Cost item removed."))
    return redirect(_page_url(item.account_id, "costs"))


@login_required
@require_POST
def investment_add(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """Add an investment to the account's ledger."""
    return _edit_post(
        request,
        account_id,
        InvestmentForm(request.POST),
        lambda account, data: investment_create(user=request.user, account=account, **data),
        "investments",
        _("Investment added to the ledger."),
    )


@login_required
@require_POST
def investment_remove(request: AuthenticatedHttpRequest, investment_id: int) -> HttpResponse:
    """Remove an investment from the ledger."""
    investment = investment_get(user=request.user, investment_id=investment_id)
    investment_delete(user=request.user, investment=investment)
    messages.success(request, _("Investment removed from the ledger."))
    return redirect(_page_url(investment.account_id, "investments"))


@login_required
@require_POST
def spend_save(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """Enter or clear the account's available spend (share of wallet)."""
    return _edit_post(
        request,
        account_id,
        SpendForm(request.POST),
        lambda account, data: available_spend_set(
            user=request.user, account=account, amount=data["available_spend"]
        ),
        "facts",
        _("Available spend saved; it counts in share of wallet from the next facts run."),
    )


# --- the portfolio --------------------------------------------------------------------------


@login_required
@require_GET
def portfolio_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The four boxes compared on contribution, cost to serve, return on investment and
    share of team hours, with the one-sentence answer (docs/method.md section 6, "By box")."""
    as_of = _as_of(request)
    data = portfolio_economics(user=request.user, as_of=as_of)
    rows = data.comparison.rows
    total_contribution = sum(r.contribution for r in rows)
    has_lines = data.has_lines
    invested = data.invested
    total_revenue = sum(r.revenue for r in rows)
    total_cts = sum(r.cost_to_serve for r in rows)
    return render(
        request,
        "economics/portfolio.html",
        {
            "total_cts": total_cts,
            "contribution_pct": 100 * total_contribution / total_revenue if total_revenue else None,
            "cts_pct": 100 * total_cts / total_revenue if total_revenue else None,
            "total_invested": sum(
                ledger.to_base(float(r.investment.amount)) for ledger, r in invested
            ),
            "as_of": as_of,
            "data": data,
            "rows": rows,
            "labels": dict(Box.choices),
            "total_contribution": total_contribution,
            "total_revenue": total_revenue,
            "total_hours": sum(r.team_hours for r in rows),
            "boxes_spec": charts.boxes_chart(rows) if has_lines else None,
            "has_lines": has_lines,
            "top": data.top,
            "bottom": data.bottom,
            "invested": invested,
            "may_import": transaction_may_import(user=request.user),
        },
    )


# --- imports --------------------------------------------------------------------------------


def _import_guard(request: AuthenticatedHttpRequest) -> None:
    if not transaction_may_import(user=request.user):
        raise PermissionDenied(_("Only sales directors and administrators import transactions."))


@login_required
@require_http_methods(["GET", "POST"])
def import_transactions(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload invoice lines (CSV or Parquet); the import runs in the background and its row
    shows the progress, then the refused rows or what was imported and computed."""
    _import_guard(request)
    form = TransactionUploadForm(
        request.POST or None, request.FILES or None, initial={"as_of": timezone.localdate()}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = transaction_import_start(
                    user=request.user,
                    content=upload,  # copied to disk in chunks, never read whole
                    filename=upload.name,
                    as_of=form.cleaned_data.get("as_of"),
                )
            except ApplicationError as exc:
                if exc.status in (403, 404):
                    raise
                add_application_error(form, exc)
                status = exc.status
            else:
                return redirect(reverse("economics:import") + f"#job-{job.pk}")
        else:
            status = 422
    jobs = transaction_import_list()
    store = store_get()
    return render(
        request,
        "economics/import.html",
        {
            "form": form,
            "jobs": jobs,
            "sources": store.sources(),
            "today": timezone.localdate(),
            "may_remove": source_may_remove(user=request.user),
        },
        status=status,
    )


@login_required
@require_GET
def import_progress(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """One import's row with its progress; polled every second while it runs."""
    _import_guard(request)
    job = transaction_import_get(job_id=job_id)
    if job is None:
        raise Http404(_("There is no such import."))
    return render(request, "economics/_job.html", {"job": job})


@login_required
@require_GET
def import_report(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    """What one import did, or the rows that refused it."""
    _import_guard(request)
    job = transaction_import_get(job_id=job_id)
    if job is None:
        raise Http404(_("There is no such import."))
    return render(
        request,
        "economics/import_report.html",
        {"job": job, "refused": job.status == ImportStatus.REFUSED},
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_source_remove(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ask, then remove one transaction source (``?source=``): its lines, its import
    records, and the facts recomputed, as a background job whose row on the jobs page
    shows its progress. Administrators only."""
    if not source_may_remove(user=request.user):
        raise PermissionDenied(_("Only administrators remove imported transaction sources."))
    name = (request.POST.get("source") if request.method == "POST" else None) or request.GET.get(
        "source", ""
    )
    found = next((s for s in store_get().sources() if s.name == name), None)
    if found is None:
        raise Http404(_("There is no such transaction source."))
    if request.method == "POST":
        try:
            job = transaction_source_remove(user=request.user, source=name)
        except ApplicationError as exc:
            refusal_message(request, exc)
            return redirect(reverse("economics:import") + "#jobs")
        messages.info(
            request,
            _(
                "The removal of the source %(source)s runs as a background job: its row "
                "below shows its progress."
            )
            % {"source": name},
        )
        return redirect(reverse("jobs:list") + f"#job-{job.pk}")
    return render(request, "economics/import_source_remove.html", {"source": found})


@login_required
@require_http_methods(["GET", "POST"])
def import_spend(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Import each account's yearly available spend (share of wallet), all or nothing."""
    _import_guard(request)
    return import_page(
        request,
        form=FileForm(request.POST or None, request.FILES or None),
        run=lambda content, name, decimal: available_spend_import(
            user=request.user, content=content, filename=name, decimal=decimal
        ),
        template="economics/import_spend.html",
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_costs(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Import cost-to-serve items from CSV, all or nothing (the accounts must be editable)."""
    return import_page(
        request,
        form=FileForm(request.POST or None, request.FILES or None),
        run=lambda content, name, decimal: cost_items_import(
            user=request.user, content=content, filename=name, decimal=decimal
        ),
        template="economics/import_costs.html",
    )
