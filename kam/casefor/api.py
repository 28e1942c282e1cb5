"""API of the business case (docs/method.md section 7): list and record self-assessments,
and read one with its computed business case.

Everyone signed in may read; only sales directors and administrators may record (403).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from kam.casefor.models import Assessment
from kam.casefor.selectors import (
    assessment_get,
    assessment_list,
    assessment_previous,
    business_case_of,
)
from kam.casefor.services import assessment_create
from kam.casefor.wording import OBSTACLES, STEPS, finding_text, headline
from kam.errors import ApplicationError
from kam.web.api_schemas import ErrorOut
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["business case"])


class AssessmentIn(Schema):
    """Answers 0-4 for every reason and every readiness question, keyed as listed in
    docs/business-case.md; the date defaults to today."""

    answers: dict[str, int]
    readiness: dict[str, int]
    assessed_on: dt.date | None = None
    notes: str = ""


class AssessmentSummaryOut(Schema):
    """One assessment with its side scores (0-100 % of the maximum)."""

    id: int
    assessed_on: dt.date
    created_by: str | None
    defensive_pct: float
    aggressive_pct: float
    readiness_pct: float
    key_account_capacity: int


class RewardOut(Schema):
    key: str
    strength_pct: float
    drivers: list[str]


class CaseFindingOut(Schema):
    """An obstacle or a next step: a stable ``code``, its ``params`` and the sentence."""

    code: str
    params: dict[str, Any]
    text: str


class CaseCapacityOut(Schema):
    """Key accounts the team can carry: by hours (``null`` = no hours minimum), by key
    account managers, the lower of the two, which binds, and the excess of today's list."""

    team_hours_per_year: int
    capacity_share: float
    usable_hours: float
    hours_for_key_accounts: float
    key_min_hours_per_year: int
    key_development_min_hours_per_year: int
    managers: int
    max_key_accounts_per_manager: int
    by_hours: int | None
    by_managers: int
    key_accounts: int
    binding: str
    current_key_accounts: int | None
    current_key_development_accounts: int
    shortfall: int


class BusinessCaseOut(Schema):
    defensive_pct: float
    aggressive_pct: float
    overall_pct: float
    readiness_pct: float
    dominant: str
    strength: str
    headline: list[str]
    top_reasons: list[str]
    expected_rewards: list[RewardOut]
    obstacles: list[CaseFindingOut]
    capacity: CaseCapacityOut
    next_steps: list[CaseFindingOut]


class AssessmentDetailOut(Schema):
    id: int
    assessed_on: dt.date
    created_by: str | None
    notes: str
    answers: dict[str, int]
    readiness: dict[str, int]
    previous_id: int | None
    business_case: BusinessCaseOut


def _who(assessment: Assessment) -> str | None:
    user = assessment.created_by
    return user.get_username() if user is not None else None


def _summary(assessment: Assessment) -> AssessmentSummaryOut:
    case = business_case_of(assessment=assessment)
    return AssessmentSummaryOut(
        id=assessment.pk,
        assessed_on=assessment.assessed_on,
        created_by=_who(assessment),
        defensive_pct=case.defensive_pct,
        aggressive_pct=case.aggressive_pct,
        readiness_pct=case.readiness_pct,
        key_account_capacity=case.capacity.key_accounts,
    )


def _detail(assessment: Assessment) -> AssessmentDetailOut:
    case = business_case_of(assessment=assessment)
    cap = case.capacity
    previous = assessment_previous(assessment=assessment)
    return AssessmentDetailOut(
        id=assessment.pk,
        assessed_on=assessment.assessed_on,
        created_by=_who(assessment),
        notes=assessment.notes,
        answers=assessment.answers,
        readiness=assessment.readiness,
        previous_id=previous.pk if previous is not None else None,
        business_case=BusinessCaseOut(
            defensive_pct=case.defensive_pct,
            aggressive_pct=case.aggressive_pct,
            overall_pct=case.overall_pct,
            readiness_pct=case.readiness_pct,
            dominant=case.dominant.value,
            strength=case.strength.value,
            headline=headline(case),
            top_reasons=list(case.top_reasons),
            expected_rewards=[
                RewardOut(key=r.key, strength_pct=r.strength_pct, drivers=list(r.drivers))
                for r in case.expected_rewards
            ],
            obstacles=[
                CaseFindingOut(code=f.code, params=dict(f.params), text=finding_text(f, OBSTACLES))
                for f in case.obstacles
            ],
            capacity=CaseCapacityOut(
                team_hours_per_year=assessment.team_hours_per_year,
                capacity_share=float(assessment.capacity_share),
                usable_hours=cap.usable_hours,
                hours_for_key_accounts=cap.hours_for_key_accounts,
                key_min_hours_per_year=assessment.key_min_hours_per_year,
                key_development_min_hours_per_year=assessment.key_development_min_hours_per_year,
                managers=assessment.managers,
                max_key_accounts_per_manager=assessment.max_key_accounts_per_manager,
                by_hours=cap.by_hours,
                by_managers=cap.by_managers,
                key_accounts=cap.key_accounts,
                binding=cap.binding.value,
                current_key_accounts=cap.current_key_accounts,
                current_key_development_accounts=assessment.current_key_development_accounts,
                shortfall=cap.shortfall,
            ),
            next_steps=[
                CaseFindingOut(code=f.code, params=dict(f.params), text=finding_text(f, STEPS))
                for f in case.next_steps
            ],
        ),
    )


@router.get(
    "/assessments", response=list[AssessmentSummaryOut], summary="Business case assessments"
)
def assessments_list(request: AuthenticatedHttpRequest) -> list[AssessmentSummaryOut]:
    """Every self-assessment, newest first, with its scores."""
    return [_summary(a) for a in assessment_list()]


@router.post(
    "/assessments",
    response={201: AssessmentDetailOut, 403: ErrorOut, 422: ErrorOut},
    summary="Record a self-assessment",
)
def assessments_create(request: AuthenticatedHttpRequest, payload: AssessmentIn) -> Any:
    """Record a self-assessment (sales directors and administrators) and return its case."""
    assessment = assessment_create(
        created_by=request.user,
        answers=payload.answers,
        readiness=payload.readiness,
        assessed_on=payload.assessed_on,
        notes=payload.notes,
    )
    return Status(201, _detail(assessment))


@router.get(
    "/assessments/{assessment_id}",
    response={200: AssessmentDetailOut, 404: ErrorOut},
    summary="One assessment with its business case",
)
def assessments_get(request: AuthenticatedHttpRequest, assessment_id: int) -> Any:
    assessment = assessment_get(assessment_id=assessment_id)
    if assessment is None:
        raise ApplicationError(_("No such assessment."), status=404)
    return _detail(assessment)
