"""Writes of business case assessments (docs/method.md section 7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.casefor.models import Assessment
from kam.casefor.selectors import assessment_may_create, capacity_inputs_current
from kam.core.business_case import AssessmentError, validate_answers
from kam.errors import ApplicationError, Problem, require
from kam.organisation.selectors import organisation_get


def assessment_create(
    *,
    created_by: User,
    answers: Mapping[str, int],
    readiness: Mapping[str, int],
    assessed_on: dt.date | None = None,
    notes: str = "",
) -> Assessment:
    """Record a self-assessment for the organisation, dated ``assessed_on`` (default today).

    Only sales directors and administrators may (403). Every reason and readiness question
    needs one whole answer 0-4 (422, with each problem placed at its question's key).
    Today's capacity figures (team hours, policy minimums, key account managers, the latest
    review's key accounts) are recorded with it.
    """
    require(
        assessment_may_create(user=created_by),
        _("Only sales directors and administrators may record a business case assessment."),
    )
    try:
        validate_answers(answers, readiness)
    except AssessmentError as exc:
        located = [Problem(message=_(msg), field=key) for key, msg in exc.problems.items()]
        first = located[0]
        raise ApplicationError(
            _("Answer every question with a level from 0 to 4."),
            field=first.field,
            located=located,
            problems=[f"{p.field}: {p.message}" for p in located],
        ) from exc
    if assessed_on is None:
        assessed_on = timezone.localdate()
    if assessed_on > timezone.localdate():
        raise ApplicationError(
            _("An assessment cannot be dated in the future."), field="assessed_on"
        )
    inputs = capacity_inputs_current()
    with transaction.atomic():
        return Assessment.objects.create(
            organisation=organisation_get(),
            assessed_on=assessed_on,
            created_by=created_by,
            notes=notes.strip(),
            answers=dict(answers),
            readiness=dict(readiness),
            team_hours_per_year=round(inputs.team_hours_per_year),
            capacity_share=Decimal(str(inputs.capacity_share)).quantize(Decimal("0.01")),
            key_min_hours_per_year=round(inputs.key_min_hours_per_year),
            key_development_min_hours_per_year=round(inputs.key_development_min_hours_per_year),
            managers=inputs.managers,
            max_key_accounts_per_manager=inputs.max_key_accounts_per_manager,
            current_key_accounts=inputs.current_key_accounts,
            current_key_development_accounts=inputs.current_key_development_accounts,
        )
