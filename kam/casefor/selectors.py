"""Reads of business case assessments and of the capacity figures a new one records
(docs/method.md section 7, with sections 1 and 2 for capacity)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet

from kam.casefor.models import Assessment
from kam.core.business_case import AnswerChange, BusinessCase, answer_changes, business_case
from kam.organisation.models import Box
from kam.organisation.selectors import (
    box_policies_get,
    capacity_limits_get,
    organisation_get,
    team_capacity_hours,
)
from kam.portfolio.models import Placement
from kam.portfolio.selectors import portfolio_review
from kam.users.models import Role
from kam.users.selectors import user_may_manage_portfolio


def assessment_may_create(*, user: User | AnonymousUser) -> bool:
    """Whether ``user`` may record an assessment (sales directors and administrators)."""
    return user_may_manage_portfolio(user=user)


def assessment_list() -> QuerySet[Assessment]:
    """Every assessment of the organisation, newest first, with who recorded it."""
    return Assessment.objects.filter(organisation=organisation_get()).select_related(
        "created_by", "organisation"
    )


def assessment_get(*, assessment_id: int) -> Assessment | None:
    """One assessment of the organisation by id, or ``None``."""
    return assessment_list().filter(pk=assessment_id).first()


def assessment_latest() -> Assessment | None:
    """The most recent assessment by date (ties: the later recorded)."""
    return assessment_list().order_by("-assessed_on", "-pk").first()


def assessment_previous(*, assessment: Assessment) -> Assessment | None:
    """The assessment just before ``assessment`` (by date, then by the order recorded)."""
    return (
        assessment_list()
        .filter(
            Q(assessed_on__lt=assessment.assessed_on)
            | Q(assessed_on=assessment.assessed_on, pk__lt=assessment.pk)
        )
        .order_by("-assessed_on", "-pk")
        .first()
    )


@dataclass(frozen=True)
class CapacityInputs:
    """What the team can carry today: yearly hours, the share of them key and key
    development accounts may take, the policy minimums per account, the key account
    managers and their limit, and the key and key development accounts of the latest
    review (``None`` when there is no review with placements)."""

    team_hours_per_year: float
    capacity_share: float
    key_min_hours_per_year: float
    key_development_min_hours_per_year: float
    managers: int
    max_key_accounts_per_manager: int
    current_key_accounts: int | None
    current_key_development_accounts: int


def key_account_manager_count() -> int:
    """Active people whose role is key account manager."""
    return (
        get_user_model()
        .objects.filter(is_active=True, profile__role=Role.KEY_ACCOUNT_MANAGER)
        .count()
    )


def capacity_inputs_current() -> CapacityInputs:
    """Today's capacity figures from the organisation's policies, team and the portfolio
    review (the latest closed one)."""
    org = organisation_get()
    policies = box_policies_get(organisation=org)
    limits = capacity_limits_get(organisation=org)
    current_key: int | None = None
    current_development = 0
    review = portfolio_review()
    if review is not None:
        counts = Placement.objects.filter(review=review).aggregate(
            placed=Count("pk", filter=~Q(box="")),
            key=Count("pk", filter=Q(box=Box.KEY)),
            development=Count("pk", filter=Q(box=Box.KEY_DEVELOPMENT)),
        )
        if counts["placed"]:
            current_key = counts["key"]
            current_development = counts["development"]
    return CapacityInputs(
        team_hours_per_year=team_capacity_hours(),
        capacity_share=limits.capacity_share,
        key_min_hours_per_year=policies[Box.KEY].min_hours_per_year,
        key_development_min_hours_per_year=policies[Box.KEY_DEVELOPMENT].min_hours_per_year,
        managers=key_account_manager_count(),
        max_key_accounts_per_manager=limits.max_key_accounts_per_manager,
        current_key_accounts=current_key,
        current_key_development_accounts=current_development,
    )


def business_case_of(*, assessment: Assessment) -> BusinessCase:
    """The business case of a saved assessment, with the capacity figures it recorded."""
    return business_case(
        assessment.answers,
        assessment.readiness,
        team_hours_per_year=float(assessment.team_hours_per_year),
        capacity_share=float(assessment.capacity_share),
        key_min_hours_per_year=float(assessment.key_min_hours_per_year),
        key_development_min_hours_per_year=float(assessment.key_development_min_hours_per_year),
        managers=assessment.managers,
        max_key_accounts_per_manager=assessment.max_key_accounts_per_manager,
        current_key_accounts=assessment.current_key_accounts,
        current_key_development_accounts=assessment.current_key_development_accounts,
    )


def assessment_changes(*, assessment: Assessment, previous: Assessment) -> tuple[AnswerChange, ...]:
    """The answers that moved from ``previous`` to ``assessment``, in the questionnaire's order."""
    return answer_changes(
        {**previous.answers, **previous.readiness}, {**assessment.answers, **assessment.readiness}
    )
