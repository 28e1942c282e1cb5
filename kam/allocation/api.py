"""API of the year plan (docs/method.md section 2), mounted at /api/allocation: planning
periods, their capacities and box policies, response judgements, optimisation runs with
their progress, and the planned hours per account and per person.

Directors and administrators plan (403 for others); key account managers enter judgements
for the accounts they may edit; lines and judgements are read through the caller's
visibility. A judgement that does not make a response curve answers 422 with the message
and the ``field`` to change.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from kam.accounts.selectors import account_get_visible
from kam.allocation.judgement_services import (
    JudgementInput,
    judgement_curve,
    judgement_fit,
    judgement_save,
)
from kam.allocation.models import (
    AllocationLine,
    AllocationPersonLine,
    AllocationRun,
    PlanningPeriod,
    ResponseJudgement,
)
from kam.allocation.run_services import run_start
from kam.allocation.selectors import (
    capacity_list,
    function_capacity_rows,
    judgement_accounts,
    judgement_list,
    period_get,
    period_list,
    period_may_plan,
    period_may_read,
    plan_hours,
    policy_list,
    run_get,
    run_hours_by_box,
    run_hours_by_person,
    run_lines_visible,
    run_person_lines_visible,
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
from kam.allocation.wording import fit_quality_text, inconsistent_text, shortfall_text
from kam.errors import ApplicationError
from kam.web.api_schemas import ErrorOut
from kam.web.concurrency import IF_MATCH, ConflictOut, conflict_shows, if_match_list, list_etag
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["allocation"])


class AllocationPeriodIn(Schema):
    """A new planning period: name, first and last day."""

    name: str
    start: dt.date
    end: dt.date


class PeriodPatch(Schema):
    """A new name or status (draft, active, closed)."""

    name: str | None = None
    status: str | None = None


class AllocationPeriodOut(Schema):
    id: int
    name: str
    start: dt.date
    end: dt.date
    status: str
    created_by: str | None


class AllocationCapacityOut(Schema):
    """One person's yearly hours for customers, function and hourly cost in the period;
    ``hourly_cost`` only for sales directors and administrators (who plan), ``null`` for
    everyone else, as on the period's page and the team capacity."""

    user_id: int
    username: str
    hours_per_year: int
    function: str
    hourly_cost: Decimal | None


class CapacityIn(Schema):
    user_id: int
    hours_per_year: int
    function: str
    hourly_cost: Decimal


class FunctionCapacityOut(Schema):
    """One function in the period: its people, their yearly hours together, and the cap on
    the function's hours for customers (``null``: no cap)."""

    function: str
    label: str
    people: int
    people_hours: int
    hours_per_year: int | None


class FunctionCapacityIn(Schema):
    """The cap of one function in yearly hours; ``null`` removes it."""

    function: str
    hours_per_year: int | None


class PolicyOut(Schema):
    """A box's yearly hours per account in the period (minimum, maximum; an account without
    judgements is planned at ``policy_hours``, the middle), its service channel and visits
    per account per year."""

    box: str
    min_hours_per_year: int
    max_hours_per_year: int
    service_channel: str | None = Field(
        None,
        description="field, inside_sales, key_account_team or web; left out: kept as it is.",
    )
    visits_per_year: int | None = Field(None, description="Left out: kept as it is.")
    policy_hours: int | None = Field(
        None,
        description="Read only: the hours an account of this box without judgements is "
        "planned at (the middle of minimum and maximum, whole hours down).",
    )
    version: int | None = Field(
        None,
        description=(
            "The policy's version. Send back what you loaded: a policy saved by someone "
            "since is refused (409, with both); nothing is saved."
        ),
    )


class JudgementIn(Schema):
    """Today's yearly hours and the yearly contribution (base currency) at zero, today's,
    +50 % and saturation effort; optional bounds that override the box policy; optionally
    a fifth judgement, the contribution at half of today's hours (docs/allocation.md)."""

    reference_hours: Decimal
    contribution_at_zero: Decimal
    contribution_at_50pct: Decimal | None = Field(
        None,
        description=(
            "Optional: the yearly contribution with half of today's hours. With it the "
            "curve is fitted by least squares and ``fit`` says how well, and which "
            "judgement disagrees with the other four."
        ),
    )
    contribution_at_reference: Decimal
    contribution_at_150pct: Decimal
    contribution_at_saturation: Decimal
    min_hours: int | None = None
    max_hours: int | None = None


class JudgementFitOut(Schema):
    """How the curve fits the judgements: four are fitted exactly; with five, the larger
    miss (base currency per year, and as a share of the range from no effort to
    saturation), and, when it exceeds the threshold, the judgement that disagrees with the
    other four, where they put it, and the sentence the page shows beside it."""

    judgements: int
    largest_miss: float
    largest_miss_share: float
    inconsistent: str | None = Field(
        None, description="The field that disagrees: contribution_at_50pct or _at_150pct."
    )
    suggested: float | None = Field(None, description="Where the other four judgements put it.")
    quality: str
    message: str


class JudgementOut(Schema):
    account_id: int
    account: str
    reference_hours: Decimal
    contribution_at_zero: Decimal
    contribution_at_50pct: Decimal | None
    contribution_at_reference: Decimal
    contribution_at_150pct: Decimal
    contribution_at_saturation: Decimal
    min_hours: int | None
    max_hours: int | None
    entered_by: str | None
    updated_at: dt.datetime
    curve: dict[str, float]
    fit: JudgementFitOut

    @staticmethod
    def resolve_account(obj: ResponseJudgement) -> str:
        return obj.account.name

    @staticmethod
    def resolve_fit(obj: ResponseJudgement) -> JudgementFitOut:
        """How well the curve fits the judgements (docs/allocation.md, five judgements)."""
        fit = judgement_fit(obj)
        return JudgementFitOut(
            judgements=fit.judgements,
            largest_miss=fit.largest_miss,
            largest_miss_share=fit.largest_miss_share,
            inconsistent=f"contribution_{fit.inconsistent}" if fit.inconsistent else None,
            suggested=fit.suggested,
            quality=fit_quality_text(fit),
            message=inconsistent_text(fit),
        )

    @staticmethod
    def resolve_entered_by(obj: ResponseJudgement) -> str | None:
        return _username(obj.entered_by)

    @staticmethod
    def resolve_curve(obj: ResponseJudgement) -> dict[str, float]:
        """The fitted ADBUDG parameters (docs/method.md section 2)."""
        curve = judgement_curve(obj)
        return {"c": curve.c, "b": curve.b, "d": curve.d, "e": curve.e}


class RunOut(Schema):
    """A run's status and progress (0-100) and, when done, its summary: objective, upper
    bound and gap (base currency per year), shadow prices (per hour: in total, per person
    and per capped function), comparisons, and ``functions``: per function its people's
    hours, its cap, the hours planned and the shadow price of the cap."""

    id: int
    period_id: int
    status: str
    progress: int
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    summary: dict[str, Any]


class LineOut(Schema):
    """One account's planned hours in a run. ``planned_by``: ``optimiser`` (from its
    judgements) or ``policy`` (no judgements: its box policy's hours, with no curve, so
    contribution and today's hours are null)."""

    account_id: int
    account: str
    box: str
    planned_by: str
    hours: Decimal
    contribution: Decimal | None
    reference_hours: Decimal | None
    reference_contribution: Decimal | None
    min_hours: Decimal
    max_hours: Decimal | None
    below_minimum: str
    below_minimum_reason: str

    @staticmethod
    def resolve_account(obj: AllocationLine) -> str:
        return obj.account.name

    @staticmethod
    def resolve_below_minimum_reason(obj: AllocationLine) -> str:
        return shortfall_text(obj.below_minimum) if obj.below_minimum else ""


class PersonLineOut(Schema):
    user_id: int
    username: str
    account_id: int
    hours: Decimal

    @staticmethod
    def resolve_username(obj: AllocationPersonLine) -> str:
        return obj.user.get_username()


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _period_out(p: PlanningPeriod) -> AllocationPeriodOut:
    return AllocationPeriodOut(
        id=p.pk,
        name=p.name,
        start=p.start,
        end=p.end,
        status=p.status,
        created_by=_username(p.created_by),
    )


def _judgement_out(j: ResponseJudgement) -> JudgementOut:
    return JudgementOut.from_orm(j)


def _run_out(r: AllocationRun) -> RunOut:
    return RunOut(
        id=r.pk,
        period_id=r.period_id,
        status=r.status,
        progress=r.progress,
        error=r.error,
        created_at=r.created_at,
        started_at=r.started_at,
        finished_at=r.finished_at,
        summary=run_summary(r),
    )


@router.get(
    "/periods",
    response={200: list[AllocationPeriodOut], 403: ErrorOut},
    summary="List planning periods",
)
def periods_list(request: AuthenticatedHttpRequest) -> Any:
    if not period_may_read(user=request.user):
        raise ApplicationError(_("You have no role in kam."), status=403)
    return [_period_out(p) for p in period_list()]


@router.post(
    "/periods",
    response={201: AllocationPeriodOut, 403: ErrorOut, 422: ErrorOut},
    summary="Create a planning period",
)
def periods_create(request: AuthenticatedHttpRequest, payload: AllocationPeriodIn) -> Any:
    """Create a draft period with the team's capacities and the box policies copied in."""
    period = period_create(
        created_by=request.user,
        name=payload.name,
        start=payload.start,
        end=payload.end,
    )
    return Status(201, _period_out(period))


@router.get(
    "/periods/{period_id}", response={200: AllocationPeriodOut, 404: ErrorOut}, summary="One period"
)
def periods_get(request: AuthenticatedHttpRequest, period_id: int) -> Any:
    return _period_out(period_get(user=request.user, period_id=period_id))


@router.patch(
    "/periods/{period_id}",
    response={200: AllocationPeriodOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Rename a period or change its status",
)
def periods_patch(request: AuthenticatedHttpRequest, period_id: int, payload: PeriodPatch) -> Any:
    period = period_get(user=request.user, period_id=period_id)
    period = period_update(
        user=request.user,
        period=period,
        name=payload.name,
        status=payload.status,
    )
    return _period_out(period)


@router.get(
    "/periods/{period_id}/capacities",
    response={200: list[AllocationCapacityOut], 404: ErrorOut},
    summary="The period's capacities",
)
def capacities_get(request: AuthenticatedHttpRequest, period_id: int) -> Any:
    period = period_get(user=request.user, period_id=period_id)
    show_cost = period_may_plan(user=request.user)  # colleagues' costs are the planners' to see
    return [
        AllocationCapacityOut(
            user_id=c.user_id,
            username=c.user.get_username(),
            hours_per_year=c.hours_per_year,
            function=c.function,
            hourly_cost=c.hourly_cost if show_cost else None,
        )
        for c in capacity_list(period=period)
    ]


@router.put(
    "/periods/{period_id}/capacities",
    response={
        200: list[AllocationCapacityOut],
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Change capacities (all or none)",
)
def capacities_put(
    request: AuthenticatedHttpRequest, period_id: int, payload: list[CapacityIn]
) -> Any:
    period = period_get(user=request.user, period_id=period_id)
    capacities_update(
        user=request.user,
        period=period,
        changes=[CapacityChange(**c.dict()) for c in payload],
    )
    return capacities_get(request, period_id)


@router.get(
    "/periods/{period_id}/function-capacities",
    response={200: list[FunctionCapacityOut], 404: ErrorOut},
    summary="The period's caps per function",
)
def function_capacities_get(request: AuthenticatedHttpRequest, period_id: int) -> Any:
    """Every function with people in the period or a cap, with its cap (null: none)."""
    period = period_get(user=request.user, period_id=period_id)
    return [
        FunctionCapacityOut(
            function=r["function"],
            label=str(r["label"]),
            people=r["people"],
            people_hours=r["people_hours"],
            hours_per_year=r["cap"],
        )
        for r in function_capacity_rows(period=period)
    ]


@router.put(
    "/periods/{period_id}/function-capacities",
    response={
        200: list[FunctionCapacityOut],
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Set or remove caps per function (all or none)",
)
def function_capacities_put(
    request: AuthenticatedHttpRequest, period_id: int, payload: list[FunctionCapacityIn]
) -> Any:
    """Functions not named keep their cap; ``hours_per_year: null`` removes one."""
    period = period_get(user=request.user, period_id=period_id)
    function_capacities_update(
        user=request.user,
        period=period,
        changes=[FunctionCapacityChange(c.function, c.hours_per_year) for c in payload],
    )
    return function_capacities_get(request, period_id)


@router.get(
    "/periods/{period_id}/policies",
    response={200: list[PolicyOut], 404: ErrorOut},
    summary="The period's box policies",
)
def policies_get(request: AuthenticatedHttpRequest, period_id: int, response: HttpResponse) -> Any:
    """Each box's policy with its ``version``; the ``ETag`` holds the versions of all of them
    in this order, for If-Match."""
    period = period_get(user=request.user, period_id=period_id)
    rows = policy_list(period=period)
    response["ETag"] = list_etag(p.version for p in rows)
    return [_policy_out(p) for p in rows]


def _policy_out(p: Any) -> PolicyOut:
    return PolicyOut(
        box=p.box,
        min_hours_per_year=p.min_hours_per_year,
        max_hours_per_year=p.max_hours_per_year,
        service_channel=p.service_channel,
        visits_per_year=p.visits_per_year,
        policy_hours=p.policy_hours,
        version=p.version,
    )


@router.put(
    "/periods/{period_id}/policies",
    response={
        200: list[PolicyOut],
        403: ErrorOut,
        404: ErrorOut,
        409: ConflictOut,
        412: ConflictOut,
        422: ErrorOut,
    },
    summary="Set the period's box policies (all or none)",
    openapi_extra=IF_MATCH,
    description="Send the ETag of the GET as If-Match (or each policy's ``version``): when "
    "someone saved one of them since, nothing is saved and the answer is 412 (If-Match) or "
    "409 (body version) with the current policies and what you sent. 409 also for a closed "
    "period.",
)
def policies_put(
    request: AuthenticatedHttpRequest,
    period_id: int,
    payload: list[PolicyOut],
    response: HttpResponse,
) -> Any:
    period = period_get(user=request.user, period_id=period_id)
    rows = policy_list(period=period)
    matched = if_match_list(request, len(rows))
    expected = (
        dict(zip([p.box for p in rows], matched, strict=True)) if matched is not None else None
    )
    with conflict_shows(
        lambda _current: [_policy_out(p).model_dump() for p in policy_list(period=period)]
    ):
        policies_update(
            user=request.user,
            period=period,
            changes=[
                PolicyChange(
                    box=p.box,
                    min_hours_per_year=p.min_hours_per_year,
                    max_hours_per_year=p.max_hours_per_year,
                    version=expected.get(p.box) if expected is not None else p.version,
                    service_channel=p.service_channel,
                    visits_per_year=p.visits_per_year,
                )
                for p in payload
            ],
            precondition=expected is not None,
        )
    return policies_get(request, period_id, response)


@router.get(
    "/periods/{period_id}/judgements",
    response={200: list[JudgementOut], 404: ErrorOut},
    summary="Judgements of the accounts you can read",
)
@paginate(PageNumberPagination, page_size=100)
def judgements_list(request: AuthenticatedHttpRequest, period_id: int) -> Any:
    period = period_get(user=request.user, period_id=period_id)
    visible = judgement_accounts(user=request.user, period=period).values("pk")
    return judgement_list(period=period, accounts=visible)


@router.put(
    "/periods/{period_id}/judgements/{account_id}",
    response={200: JudgementOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Enter the four (or five) judgements of an account",
)
def judgements_put(
    request: AuthenticatedHttpRequest, period_id: int, account_id: int, payload: JudgementIn
) -> Any:
    """Calibrate and save; numbers that make no response curve answer 422 naming the field."""
    period = period_get(user=request.user, period_id=period_id)
    account = account_get_visible(user=request.user, account_id=account_id)
    judgement = judgement_save(
        user=request.user,
        period=period,
        account=account,
        data=JudgementInput(**payload.dict()),
    )
    judgement.account = account
    return _judgement_out(judgement)


@router.post(
    "/periods/{period_id}/runs",
    response={202: RunOut, 200: RunOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Start an optimisation",
)
def runs_start(request: AuthenticatedHttpRequest, period_id: int) -> Any:
    """Queue a run; poll ``GET /runs/{id}`` for its progress (200 when it ran inline)."""
    period = period_get(user=request.user, period_id=period_id)
    run = run_start(user=request.user, period=period)
    return Status(200 if run.status in ("done", "failed") else 202, _run_out(run))


@router.get(
    "/runs/{run_id}", response={200: RunOut, 404: ErrorOut}, summary="A run's status and summary"
)
def runs_get(request: AuthenticatedHttpRequest, run_id: int) -> Any:
    return _run_out(run_get(user=request.user, run_id=run_id))


@router.get(
    "/runs/{run_id}/lines",
    response={200: list[LineOut], 404: ErrorOut},
    summary="Planned hours per account",
)
@paginate(PageNumberPagination, page_size=500)
def runs_lines(request: AuthenticatedHttpRequest, run_id: int) -> Any:
    run = run_get(user=request.user, run_id=run_id)
    return run_lines_visible(run=run, user=request.user).order_by("account__name", "pk")


@router.get(
    "/runs/{run_id}/people",
    response={200: list[PersonLineOut], 404: ErrorOut},
    summary="Planned hours per person and account",
)
@paginate(PageNumberPagination, page_size=500)
def runs_people(request: AuthenticatedHttpRequest, run_id: int) -> Any:
    run = run_get(user=request.user, run_id=run_id)
    return run_person_lines_visible(run=run, user=request.user).order_by(
        "user__username", "account__name", "pk"
    )


class RunBoxHoursOut(Schema):
    """One box's hours in a run over the whole active portfolio: the accounts optimised on
    their judgements and those planned at their box policy's hours, with the policy's
    service channel and visits per account per year."""

    box: str
    accounts: int
    optimised_accounts: int
    policy_accounts: int
    hours: float
    optimised_hours: float
    policy_hours: float
    reference_hours: float = Field(description="Today's hours of the optimised accounts.")
    share: float
    service_channel: str
    visits_per_year: int | None


class RunPersonHoursOut(Schema):
    """One person's hours in a run (over the accounts the caller may read): the
    optimiser's, the box policies' and their capacity in the period."""

    user_id: int
    username: str
    function: str
    capacity_hours: int
    hours: float
    optimised_hours: float
    policy_hours: float
    accounts: int


@router.get(
    "/runs/{run_id}/hours-by-box",
    response={200: list[RunBoxHoursOut], 404: ErrorOut},
    summary="Planned hours per box, the whole portfolio",
)
def runs_hours_by_box(request: AuthenticatedHttpRequest, run_id: int) -> Any:
    run = run_get(user=request.user, run_id=run_id)
    return [
        RunBoxHoursOut(
            box=r["box"],
            accounts=r["accounts"],
            optimised_accounts=r["optimised_accounts"],
            policy_accounts=r["policy_accounts"],
            hours=r["hours"],
            optimised_hours=r["optimised_hours"],
            policy_hours=r["policy_hours"],
            reference_hours=r["reference"],
            share=r["share"],
            service_channel=r["service_channel"],
            visits_per_year=r["visits_each"],
        )
        for r in run_hours_by_box(run=run)
    ]


@router.get(
    "/runs/{run_id}/hours-by-person",
    response={200: list[RunPersonHoursOut], 404: ErrorOut},
    summary="Planned hours per person",
)
def runs_hours_by_person(request: AuthenticatedHttpRequest, run_id: int) -> Any:
    run = run_get(user=request.user, run_id=run_id)
    return [
        RunPersonHoursOut(
            user_id=r["user"].pk,
            username=r["user"].get_username(),
            function=r["function"],
            capacity_hours=r["capacity"],
            hours=r["hours"],
            optimised_hours=r["optimised_hours"],
            policy_hours=r["policy_hours"],
            accounts=r["accounts"],
        )
        for r in run_hours_by_person(run=run, user=request.user)
    ]


class PlanHoursBoxOut(Schema):
    """The accounts of one box without judgements and the hours their policy plans."""

    box: str
    accounts_without_judgements: int
    hours_each: int
    hours: int
    service_channel: str
    visits_per_year: int


class PlanHoursOut(Schema):
    """The year plan's capacity check: the team's hours (within the caps per function)
    against the box policies' hours of the accounts without judgements; what is left goes
    to the optimiser. ``fits`` false: a run is refused with ``message``."""

    capacity_hours: int
    capacity_within_caps: int
    judged_accounts: int
    judged_min_hours: int
    policy_accounts: int
    policy_hours: int
    left_for_optimiser: int
    fits: bool
    message: str
    by_box: list[PlanHoursBoxOut]


@router.get(
    "/periods/{period_id}/capacity-check",
    response={200: PlanHoursOut, 404: ErrorOut},
    summary="The year plan's capacity check",
)
def periods_capacity_check(request: AuthenticatedHttpRequest, period_id: int) -> Any:
    period = period_get(user=request.user, period_id=period_id)
    h = plan_hours(period=period)
    return PlanHoursOut(
        capacity_hours=h.capacity_hours,
        capacity_within_caps=h.capacity_within_caps,
        judged_accounts=h.judged_accounts,
        judged_min_hours=h.judged_min_hours,
        policy_accounts=len(h.policy_accounts),
        policy_hours=h.policy_hours,
        left_for_optimiser=h.left_for_optimiser,
        fits=h.fits,
        message=h.refusal(),
        by_box=[
            PlanHoursBoxOut(
                box=b["box"],
                accounts_without_judgements=b["accounts"],
                hours_each=b["hours_each"],
                hours=b["hours"],
                service_channel=b["service_channel"],
                visits_per_year=b["visits_each"],
            )
            for b in h.by_box
        ],
    )
