"""API endpoints of the economics app, mounted at /api/economics (docs/method.md section 6).

The same rules as the pages: an account is read through the caller's visibility (another
manager's account answers 404, as if it did not exist) and changed only by those who may
edit it (403 for a reader such as a viewer). Amounts are in the account's currency, except
the by-box comparison, which is in the base currency.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from kam.economics.figures import account_figures
from kam.economics.models import Investment
from kam.economics.pnl import InvestmentResult, PeriodPnl
from kam.economics.selectors import (
    account_economics_visible,
    account_facts_latest,
    account_ledger,
    cost_item_get,
    cost_item_list,
    investment_get,
    portfolio_economics,
)
from kam.economics.services import (
    cost_item_create,
    cost_item_delete,
    cost_item_update,
    investment_create,
    investment_delete,
    investment_update,
    transaction_source_remove,
)
from kam.jobs.api import JobOut
from kam.jobs.models import Job
from kam.web.api_schemas import ErrorOut
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["economics"])


class AsOf(Schema):
    as_of: dt.date | None = Field(None, description="The as-of date; today when left out.")


def _as_of(query: AsOf) -> dt.date:
    return query.as_of or timezone.localdate()


# --- facts and P&L --------------------------------------------------------------------------


class FactsOut(Schema):
    """One account's facts at ``as_of`` (see docs/facts.md; null = not defined)."""

    account_id: int
    as_of: dt.date
    revenue_12m: float | None
    revenue_prev_12m: float | None
    growth: float | None
    gross_margin_pct: float | None
    orders: float | None
    recency_days: float | None
    mean_days_late: float | None
    share_of_wallet: float | None
    predicted_future_value: float | None


class CostsOut(Schema):
    team: float
    team_hours: float
    logistics: float
    service: float
    rebates: float
    payment_terms: float
    payment_financing: float = Field(description="Revenue × days to payment / 365 × rate.")
    other: float
    total: float


class EconomicsPeriodOut(Schema):
    """One year of an account's P&L (account currency)."""

    start: dt.date
    end: dt.date
    complete: bool = Field(description="False when the invoice lines begin inside the year.")
    revenue: float
    cost_of_goods: float
    gross_margin: float
    cost_to_serve: CostsOut
    contribution: float
    payment_days: float


class PnlOut(Schema):
    account_id: int
    currency: str
    as_of: dt.date
    periods: list[EconomicsPeriodOut]


def _period(p: PeriodPnl) -> dict[str, Any]:
    c = p.costs
    return {
        "start": p.period.start,
        "end": p.period.end,
        "complete": p.period.complete,
        "revenue": p.revenue,
        "cost_of_goods": p.cost_of_goods,
        "gross_margin": p.gross_margin,
        "cost_to_serve": {
            "team": c.team,
            "team_hours": c.team_hours,
            "logistics": c.logistics,
            "service": c.service,
            "rebates": c.rebates,
            "payment_terms": c.payment_terms,
            "payment_financing": c.payment_financing,
            "other": c.other,
            "total": c.total,
        },
        "contribution": p.contribution,
        "payment_days": p.payment_days,
    }


@router.get(
    "/accounts/{account_id}/facts",
    response={200: FactsOut, 404: ErrorOut},
    summary="An account's latest facts",
)
def account_facts(request: AuthenticatedHttpRequest, account_id: int, query: Query[AsOf]) -> Any:
    """The account's most recent facts at or before ``as_of`` (404 when none were computed)."""
    account = account_economics_visible(user=request.user, account_id=account_id)
    row = account_facts_latest(account_ids=[account.pk], as_of=_as_of(query)).get(account.pk)
    if row is None:
        return Status(404, {"detail": "No facts have been computed for this account."})
    return row


@router.get(
    "/accounts/{account_id}/pnl", response={200: PnlOut, 404: ErrorOut}, summary="Account P&L"
)
def account_pnl(request: AuthenticatedHttpRequest, account_id: int, query: Query[AsOf]) -> Any:
    """The account's P&L per year (365 days) up to ``as_of``, oldest first."""
    account = account_economics_visible(user=request.user, account_id=account_id)
    as_of = _as_of(query)
    ledger = account_ledger(account=account, as_of=as_of)
    return {
        "account_id": account.pk,
        "currency": ledger.currency,
        "as_of": as_of,
        "periods": [_period(p) for p in ledger.periods],
    }


class FiguresQuery(Schema):
    year: int | None = Field(
        None, ge=1901, le=2999, description="The plan year; this year when left out."
    )


class FiguresOut(Schema):
    """An account's headline figures for a plan year, as every page and export shows them
    (docs/economics.md, "One figure, one definition"). Money in ``currency``; ratios as
    fractions (0.25 = 25 %); null = unknown."""

    account_id: int
    year: int
    base_year: int = Field(description="The calendar year revenue is of: year − 1.")
    currency: str
    revenue: float | None
    revenue_source: str = Field(description="invoices, entered, plan, or empty when unknown.")
    available_spend: float | None
    share_of_wallet: float | None
    revenue_target: float | None
    growth: float | None
    investment: float | None
    expected_return: float | None
    roi: float | None
    payback_years: float | None
    box: str
    hours_planned: float | None
    hours_actual: float
    plan_id: int | None


@router.get(
    "/accounts/{account_id}/figures",
    response={200: FiguresOut, 404: ErrorOut},
    summary="An account's headline figures",
)
def account_figures_get(
    request: AuthenticatedHttpRequest, account_id: int, query: Query[FiguresQuery]
) -> Any:
    """Revenue of the year before, share of wallet, planned growth, ROI and payback, box and
    team hours (planned and logged) of the account for the plan year ``year``."""
    account = account_economics_visible(user=request.user, account_id=account_id)
    year = query.year or timezone.localdate().year
    return account_figures(account=account, year=year).as_dict()


# --- cost-to-serve items --------------------------------------------------------------------


class CostItemIn(Schema):
    date: dt.date
    kind: str = Field(description="logistics, service, rebates, payment_terms or other")
    amount: Decimal = Field(description="In the account's currency.")
    note: str = ""


class CostItemUpdateIn(Schema):
    date: dt.date | None = None
    kind: str | None = None
    amount: Decimal | None = None
    note: str | None = None


class CostItemOut(Schema):
    id: int
    account_id: int
    date: dt.date
    kind: str
    amount: Decimal
    note: str


@router.get(
    "/accounts/{account_id}/costs",
    response={200: list[CostItemOut], 404: ErrorOut},
    summary="An account's cost-to-serve items",
)
def list_cost_items(request: AuthenticatedHttpRequest, account_id: int) -> Any:
    account = account_economics_visible(user=request.user, account_id=account_id)
    return cost_item_list(account=account)


@router.post(
    "/accounts/{account_id}/costs",
    response={201: CostItemOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add a cost-to-serve item",
)
def create_cost_item(
    request: AuthenticatedHttpRequest, account_id: int, payload: CostItemIn
) -> Any:
    account = account_economics_visible(user=request.user, account_id=account_id)
    item = cost_item_create(user=request.user, account=account, **payload.model_dump())
    return Status(201, item)


@router.patch(
    "/costs/{item_id}",
    response={200: CostItemOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change a cost-to-serve item",
)
def update_cost_item(
    request: AuthenticatedHttpRequest, item_id: int, payload: CostItemUpdateIn
) -> Any:
    item = cost_item_get(user=request.user, item_id=item_id)
    return cost_item_update(user=request.user, item=item, **payload.model_dump(exclude_unset=True))


@router.delete(
    "/costs/{item_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove a cost-to-serve item",
)
def delete_cost_item(request: AuthenticatedHttpRequest, item_id: int) -> Any:
    item = cost_item_get(user=request.user, item_id=item_id)
    cost_item_delete(user=request.user, item=item)
    return Status(204, None)


# --- transaction sources ----------------------------------------------------------------


class SourceRemovalJobOut(JobOut):
    """The background job removing a source (``kind`` transaction_source_remove; ``label``
    the source). Follow it at ``links.job`` (``GET /api/jobs/{id}``)."""

    links: dict[str, str]

    @staticmethod
    def resolve_links(job: Job) -> dict[str, str]:
        return {"job": f"/api/jobs/{job.pk}", "page": reverse("jobs:list") + f"#job-{job.pk}"}


@router.delete(
    "/sources/{source}",
    response={202: SourceRemovalJobOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Remove an imported transaction source (administrators), as a background job",
)
def delete_source(request: AuthenticatedHttpRequest, source: str) -> Any:
    """Enqueue the removal of a source: its invoice lines leave the store and its import
    records go, then every account's facts are computed again. Answers 202 with the job;
    409 while an import or another removal is queued or running."""
    job = transaction_source_remove(user=request.user, source=source)
    return Status(202, job)


# --- investments ----------------------------------------------------------------------------


class InvestmentIn(Schema):
    date: dt.date
    kind: str = Field(description="people, project, funds or other")
    amount: Decimal = Field(description="In the account's currency; more than 0.")
    description: str
    plan_label: str = ""
    baseline_method: str = Field("trend", description="trend or amount")
    baseline_amount: Decimal | None = Field(
        None, description="Contribution per year expected without the investment (amount)."
    )
    probability: Decimal = Field(Decimal("1.00"), description="0-1: the forecast comes true.")


class InvestmentUpdateIn(Schema):
    date: dt.date | None = None
    kind: str | None = None
    amount: Decimal | None = None
    description: str | None = None
    plan_label: str | None = None
    baseline_method: str | None = None
    baseline_amount: Decimal | None = None
    probability: Decimal | None = None


class ReturnOut(Schema):
    """The return of an investment (kam.core.economics.investment_return); per year after."""

    baseline: list[float]
    incremental: list[float]
    total_incremental: float
    roi: float = Field(description="A fraction: 0.25 = 25 %.")
    payback_years: float | None
    npv: float
    risk_adjusted_npv: float


class InvestmentOut(Schema):
    id: int
    account_id: int
    date: dt.date
    kind: str
    amount: Decimal
    description: str
    plan_label: str
    baseline_method: str
    baseline_amount: Decimal | None
    probability: Decimal
    years_after: int = 0
    result: ReturnOut | None = None
    problem: str = Field("", description="Why there is no return yet, when there is none.")


def _investment_out(inv: Investment, result: InvestmentResult | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": inv.pk,
        "account_id": inv.account_id,
        "date": inv.date,
        "kind": inv.kind,
        "amount": inv.amount,
        "description": inv.description,
        "plan_label": inv.plan_label,
        "baseline_method": inv.baseline_method,
        "baseline_amount": inv.baseline_amount,
        "probability": inv.probability,
    }
    if result is not None:
        out["years_after"] = len(result.periods_after)
        out["problem"] = result.problem
        if result.result is not None:
            r = result.result
            out["result"] = {
                "baseline": [float(x) for x in r.baseline],
                "incremental": [float(x) for x in r.incremental],
                "total_incremental": r.total_incremental,
                "roi": r.roi,
                "payback_years": r.payback_periods,
                "npv": r.npv,
                "risk_adjusted_npv": r.risk_adjusted_npv,
            }
    return out


def _with_return(
    request: AuthenticatedHttpRequest, inv: Investment, as_of: dt.date
) -> dict[str, Any]:
    ledger = account_ledger(account=inv.account, as_of=as_of)
    result = next((r for r in ledger.investments if r.investment.pk == inv.pk), None)
    return _investment_out(inv, result)


@router.get(
    "/accounts/{account_id}/investments",
    response={200: list[InvestmentOut], 404: ErrorOut},
    summary="An account's investments and their return",
)
def list_investments(request: AuthenticatedHttpRequest, account_id: int, query: Query[AsOf]) -> Any:
    account = account_economics_visible(user=request.user, account_id=account_id)
    ledger = account_ledger(account=account, as_of=_as_of(query))
    return [_investment_out(r.investment, r) for r in ledger.investments]


@router.post(
    "/accounts/{account_id}/investments",
    response={201: InvestmentOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add an investment",
)
def create_investment(
    request: AuthenticatedHttpRequest, account_id: int, payload: InvestmentIn
) -> Any:
    account = account_economics_visible(user=request.user, account_id=account_id)
    inv = investment_create(user=request.user, account=account, **payload.model_dump())
    return Status(201, _with_return(request, inv, timezone.localdate()))


@router.get(
    "/investments/{investment_id}",
    response={200: InvestmentOut, 404: ErrorOut},
    summary="An investment and its return",
)
def get_investment(
    request: AuthenticatedHttpRequest, investment_id: int, query: Query[AsOf]
) -> Any:
    inv = investment_get(user=request.user, investment_id=investment_id)
    return _with_return(request, inv, _as_of(query))


@router.patch(
    "/investments/{investment_id}",
    response={200: InvestmentOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change an investment",
)
def update_investment(
    request: AuthenticatedHttpRequest, investment_id: int, payload: InvestmentUpdateIn
) -> Any:
    inv = investment_get(user=request.user, investment_id=investment_id)
    inv = investment_update(
        user=request.user, investment=inv, **payload.model_dump(exclude_unset=True)
    )
    return _with_return(request, inv, timezone.localdate())


@router.delete(
    "/investments/{investment_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Remove an investment",
)
def delete_investment(request: AuthenticatedHttpRequest, investment_id: int) -> Any:
    inv = investment_get(user=request.user, investment_id=investment_id)
    investment_delete(user=request.user, investment=inv)
    return Status(204, None)


# --- by box ---------------------------------------------------------------------------------


class BoxOut(Schema):
    box: str
    accounts: int
    revenue: float
    contribution: float
    cost_to_serve: float
    team_hours: float
    hours_share: float
    investment: float
    incremental_contribution: float
    roi: float | None
    contribution_per_hour: float | None


class BoxesOut(Schema):
    """The four boxes compared over the latest year, in the base currency."""

    currency: str
    start: dt.date | None
    end: dt.date | None
    review_id: int | None
    answer: str
    key_accounts_earn: bool | None
    boxes: list[BoxOut]


@router.get("/boxes", response=BoxesOut, summary="The four boxes compared")
def boxes(request: AuthenticatedHttpRequest, query: Query[AsOf]) -> Any:
    """compare_boxes over the active accounts you may read (docs/method.md section 6)."""
    data = portfolio_economics(user=request.user, as_of=_as_of(query))
    period = data.comparison.period
    return {
        "currency": data.currency,
        "start": period.start if period else None,
        "end": period.end if period else None,
        "review_id": data.review.pk if data.review else None,
        "answer": data.comparison.answer,
        "key_accounts_earn": data.comparison.earns,
        "boxes": [r.__dict__ for r in data.comparison.rows],
    }
