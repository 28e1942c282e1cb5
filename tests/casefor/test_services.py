"""Recording a business case assessment: who may, what is checked, what is recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.casefor.models import Assessment
from kam.casefor.selectors import (
    assessment_changes,
    assessment_latest,
    assessment_list,
    assessment_previous,
    business_case_of,
    capacity_inputs_current,
)
from kam.casefor.services import assessment_create
from kam.errors import ApplicationError
from kam.users.models import Role
from tests.casefor.conftest import answers_at, readiness_at
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_director_records_an_assessment_with_todays_capacity(team, placed):
    director = team["director"]
    assessment = assessment_create(
        created_by=director,
        answers=answers_at(3),
        readiness=readiness_at(2),
        assessed_on=dt.date(2026, 3, 2),
        notes="  Board meeting in April.  ",
    )
    assessment.refresh_from_db()
    assert assessment.created_by == director and assessment.notes == "Board meeting in April."
    assert assessment.answers == answers_at(3) and assessment.readiness == readiness_at(2)
    # 1000 + 1000 + 400 hours; default policies key 200 h, development 120 h; 2 managers × 4
    assert assessment.team_hours_per_year == 2400
    assert (assessment.key_min_hours_per_year, assessment.key_development_min_hours_per_year) == (
        200,
        120,
    )
    assert (assessment.managers, assessment.max_key_accounts_per_manager) == (2, 4)
    assert (assessment.current_key_accounts, assessment.current_key_development_accounts) == (3, 1)
    case = business_case_of(assessment=assessment)
    # ⌊(2400 − 1 × 120) / 200⌋ = ⌊11.4⌋ = 11 by hours; 8 by managers: managers bind
    assert (case.capacity.by_hours, case.capacity.by_managers, case.capacity.key_accounts) == (
        11,
        8,
        8,
    )


def test_capacity_inputs_without_a_review_have_no_current_key_accounts(team):
    inputs = capacity_inputs_current()
    assert inputs.current_key_accounts is None and inputs.current_key_development_accounts == 0
    assert inputs.managers == 2 and inputs.team_hours_per_year == 2400


def test_an_administrator_may_record_one(db):
    admin = make_user(Role.ADMINISTRATOR, username="admin1")
    assessment = assessment_create(
        created_by=admin, answers=answers_at(1), readiness=readiness_at(1)
    )
    assert Assessment.objects.filter(pk=assessment.pk).exists()


@pytest.mark.parametrize("who", ["kam_user", "member", "viewer"])
def test_other_roles_may_not_record_one(request, who):
    with pytest.raises(ApplicationError) as info:
        assessment_create(
            created_by=request.getfixturevalue(who),
            answers=answers_at(2),
            readiness=readiness_at(2),
        )
    assert info.value.status == 403
    assert not Assessment.objects.exists()


def test_every_question_needs_an_answer_0_to_4_and_problems_name_their_question(director):
    answers = answers_at(2) | {"solutions": 7}
    del answers["customer_power"]
    with pytest.raises(ApplicationError) as info:
        assessment_create(created_by=director, answers=answers, readiness=readiness_at(2))
    assert info.value.status == 422
    assert {p.field for p in info.value.located} == {"customer_power", "solutions"}
    assert not Assessment.objects.exists()


def test_an_assessment_cannot_be_dated_in_the_future(director):
    with pytest.raises(ApplicationError) as info:
        assessment_create(
            created_by=director,
            answers=answers_at(2),
            readiness=readiness_at(2),
            assessed_on=dt.date.today() + dt.timedelta(days=30),
        )
    assert info.value.field == "assessed_on"


def test_latest_previous_and_what_moved(director):
    first = assessment_create(
        created_by=director,
        answers=answers_at(2),
        readiness=readiness_at(1),
        assessed_on=dt.date(2025, 3, 1),
    )
    second = assessment_create(
        created_by=director,
        answers=answers_at(2) | {"solutions": 4},
        readiness=readiness_at(1) | {"sponsorship": 3},
        assessed_on=dt.date(2026, 3, 1),
    )
    # recorded later but dated earlier: it sits between the two
    between = assessment_create(
        created_by=director,
        answers=answers_at(2),
        readiness=readiness_at(1),
        assessed_on=dt.date(2025, 9, 1),
    )
    assert assessment_latest() == second
    assert list(assessment_list()) == [second, between, first]
    assert assessment_previous(assessment=second) == between
    assert assessment_previous(assessment=first) is None
    moved = assessment_changes(assessment=second, previous=first)
    assert [(c.key, c.before, c.after) for c in moved] == [
        ("solutions", 2, 4),
        ("sponsorship", 1, 3),
    ]
