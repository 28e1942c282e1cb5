"""The business case self-assessment (docs/method.md section 7), worked by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kam.core.business_case import (
    LEVEL_LABELS,
    QUESTIONS,
    READINESS,
    READINESS_LABELS,
    REASONS,
    REWARDS,
    AssessmentError,
    Binding,
    Dominance,
    Finding,
    Side,
    Strength,
    answer_changes,
    business_case,
    key_account_capacity,
    side_score_pct,
)

# Defensive 4+3+2+3+1 = 13 of 20 = 65 %; aggressive 2+1+0+1+2 = 6 of 20 = 30 %.
ANSWERS = {
    "customer_power": 4,
    "global_customers": 3,
    "complex_dmu": 2,
    "purchasing_practices": 3,
    "own_complexity": 1,
    "focus_resources": 2,
    "relationships_win": 1,
    "solutions": 0,
    "shape_strategy": 1,
    "abnormal_rewards": 2,
}
# 1+2+0+3+2 = 8 of 20 = 40 %.
READY = {
    "sponsorship": 1,
    "cross_functional": 2,
    "profitability_data": 0,
    "planning_discipline": 3,
    "people": 2,
}
TEAM = {
    "team_hours_per_year": 3000,
    "capacity_share": 0.8,
    "key_min_hours_per_year": 200,
    "key_development_min_hours_per_year": 120,
    "managers": 2,
    "max_key_accounts_per_manager": 4,
}


def test_the_method_has_five_defensive_and_five_aggressive_reasons_with_five_levels_each() -> None:
    sides = [q.side for q in REASONS]
    assert sides.count(Side.DEFENSIVE) == 5 and sides.count(Side.AGGRESSIVE) == 5
    assert {q.key for q in READINESS} >= {
        "sponsorship",
        "cross_functional",
        "profitability_data",
        "planning_discipline",
    }
    assert len(QUESTIONS) == len(REASONS) + len(READINESS), "keys are unique"
    for q in REASONS + READINESS:
        assert len(q.levels) == 5 and len(set(q.levels)) == 5, q.key
    assert len(LEVEL_LABELS) == len(READINESS_LABELS) == 5
    # every reward is brought by known reasons, and every reason brings some reward
    reason_keys = {q.key for q in REASONS}
    for reward in REWARDS:
        assert set(reward.reasons) <= reason_keys, reward.key
    assert {k for r in REWARDS for k in r.reasons} == reason_keys


def test_worked_case_defensive_with_low_readiness_and_too_many_key_accounts() -> None:
    case = business_case(
        ANSWERS,
        READY,
        **TEAM,
        current_key_accounts=11,
        current_key_development_accounts=2,
    )
    assert case.defensive_pct == 65.0
    assert case.aggressive_pct == 30.0
    assert case.overall_pct == 47.5  # 19 of 40
    assert case.readiness_pct == 40.0
    assert case.dominant is Dominance.DEFENSIVE  # 65 - 30 = 35 points > 10
    assert case.strength is Strength.MODERATE  # 35 <= 47.5 < 60
    # answers >= 2, highest first, ties in the method's order: 4, 3, 3 (2s come after)
    assert case.top_reasons == ("customer_power", "global_customers", "purchasing_practices")

    cap = case.capacity
    assert cap.usable_hours == 2400  # 3000 h × 0.8
    assert cap.hours_for_key_accounts == 2160  # 2400 - 2 development accounts × 120 h
    assert cap.by_hours == 10  # ⌊2160 / 200⌋ = ⌊10.8⌋
    assert cap.by_managers == 8  # 2 managers × 4
    assert cap.key_accounts == 8 and cap.binding is Binding.MANAGERS
    assert cap.shortfall == 3  # 11 - 8

    assert case.obstacles == (
        Finding("sponsorship", {"answer": 1}),
        Finding("profitability_data", {"answer": 0}),
        Finding("capacity_shortfall", {"current": 11, "capacity": 8, "excess": 3}),
    )
    assert [s.code for s in case.next_steps] == [
        "pilot",  # readiness 40 % < 60 % (and sponsorship 1)
        "name_sponsor",
        "build_account_pl",
        "cut_key_accounts",
        "add_managers",  # hours would carry 10, managers only 8
        "lead_defensive",
    ]
    assert case.next_steps[0].params == {"low": 2, "high": 3}
    assert case.next_steps[4].params == {"by_hours": 10, "by_managers": 8, "managers": 2}


def test_worked_case_rewards_ranked_by_the_reasons_behind_them() -> None:
    case = business_case(ANSWERS, READY, **TEAM)
    got = [(r.key, round(r.strength_pct, 2), r.drivers) for r in case.rewards]
    assert got == [
        # customer_power 4 + purchasing 3 + relationships 1 + global 3 = 11 of 16
        ("loyalty", 68.75, ("customer_power", "global_customers", "purchasing_practices")),
        # abnormal 2 + customer_power 4 + focus 2 = 8 of 12
        ("secured_future", 66.67, ("customer_power", "focus_resources", "abnormal_rewards")),
        # focus 2 + own 1 + abnormal 2 = 5 of 12
        ("better_resources", 41.67, ("focus_resources", "abnormal_rewards")),
        # solutions 0 + global 3 + own 1 = 4 of 12
        ("new_capabilities", 33.33, ("global_customers",)),
        # shape 1 + solutions 0 + relationships 1 + purchasing 3 = 5 of 16
        ("value_propositions", 31.25, ("purchasing_practices",)),
        # complex 2 + shape 1 + solutions 0 = 3 of 12
        ("understanding", 25.0, ("complex_dmu",)),
    ]
    assert [r.key for r in case.expected_rewards] == [r[0] for r in got]


def test_worked_case_strong_aggressive_and_ready_rolls_out_within_the_hours() -> None:
    answers = {q.key: (4 if q.side is Side.AGGRESSIVE else 2) for q in REASONS}
    # 3 + 3 + 2 + 2 + 2 = 12 of 20 = 60 %: exactly ready, no answer at 0 or 1
    ready = {
        "sponsorship": 3,
        "cross_functional": 3,
        "profitability_data": 2,
        "planning_discipline": 2,
        "people": 2,
    }
    case = business_case(
        answers,
        ready,
        team_hours_per_year=1000,
        capacity_share=1.0,
        key_min_hours_per_year=200,
        key_development_min_hours_per_year=120,
        managers=3,
        max_key_accounts_per_manager=4,
    )
    assert (case.defensive_pct, case.aggressive_pct) == (50.0, 100.0)  # 10/20, 20/20
    assert case.overall_pct == 75.0 and case.strength is Strength.STRONG  # 30 of 40
    assert case.readiness_pct == 60.0
    assert case.dominant is Dominance.AGGRESSIVE
    # ⌊1000 / 200⌋ = 5 by hours against 3 × 4 = 12 by managers: hours bind
    assert (case.capacity.by_hours, case.capacity.by_managers) == (5, 12)
    assert case.capacity.binding is Binding.HOURS and case.capacity.key_accounts == 5
    assert case.capacity.shortfall == 0, "no review yet: nothing to compare"
    assert case.obstacles == ()
    assert case.next_steps == (
        Finding("roll_out", {"capacity": 5}),
        Finding("free_hours", {"by_hours": 5, "by_managers": 12}),
        Finding("classify_portfolio"),
        Finding("lead_aggressive"),
    )


def test_worked_case_nothing_applies_and_nothing_is_ready() -> None:
    answers = {q.key: 0 for q in REASONS}
    ready = {q.key: 0 for q in READINESS}
    case = business_case(
        answers,
        ready,
        team_hours_per_year=0,
        capacity_share=1.0,
        key_min_hours_per_year=200,
        key_development_min_hours_per_year=120,
        managers=0,
        max_key_accounts_per_manager=4,
        current_key_accounts=0,
    )
    assert case.overall_pct == 0 and case.strength is Strength.WEAK
    assert case.dominant is Dominance.BALANCED
    assert case.top_reasons == () and case.expected_rewards == ()
    assert case.capacity.key_accounts == 0 and case.capacity.binding is Binding.BOTH
    assert [o.code for o in case.obstacles] == [q.key for q in READINESS] + ["no_capacity"]
    assert [s.code for s in case.next_steps] == [
        "no_rollout",
        "name_sponsor",
        "form_core_teams",
        "build_account_pl",
        "plan_discipline",
        "develop_managers",
    ]


def test_sides_within_ten_points_are_balanced_and_just_beyond_are_not() -> None:
    # defensive 2 each = 10/20 = 50 %; aggressive 12/20 = 60 %: 10 points apart, balanced
    answers = {q.key: 2 for q in REASONS} | {"solutions": 4}
    case = business_case(answers, _ready(2), **TEAM)
    assert case.aggressive_pct == 60.0 and case.dominant is Dominance.BALANCED
    assert case.next_steps[-1] == Finding("lead_balanced")
    # 13/20 = 65 %: 15 points apart
    answers["shape_strategy"] = 3
    case = business_case(answers, _ready(2), **TEAM)
    assert case.dominant is Dominance.AGGRESSIVE


def _ready(level: int) -> dict[str, int]:
    return {q.key: level for q in READINESS}


def test_capacity_without_an_hours_minimum_is_bound_by_managers() -> None:
    cap = key_account_capacity(
        team_hours_per_year=500,
        capacity_share=1.0,
        key_min_hours_per_year=0,
        key_development_min_hours_per_year=0,
        managers=3,
        max_key_accounts_per_manager=2,
    )
    assert cap.by_hours is None and cap.by_managers == 6
    assert cap.binding is Binding.MANAGERS and cap.key_accounts == 6


def test_capacity_counts_whole_accounts_without_float_error() -> None:
    # 0.7 × 1000 = 700.0000000000001 or 699.999…; either way 3 accounts of 200 h fit, not 4
    cap = key_account_capacity(
        team_hours_per_year=1000,
        capacity_share=0.6,
        key_min_hours_per_year=200,
        key_development_min_hours_per_year=0,
        managers=10,
        max_key_accounts_per_manager=4,
    )
    assert cap.by_hours == 3  # ⌊600 / 200⌋, although 1000 × 0.6 = 600.0000000000001 in floats


def test_development_accounts_cannot_take_more_than_all_hours() -> None:
    cap = key_account_capacity(
        team_hours_per_year=1000,
        capacity_share=1.0,
        key_min_hours_per_year=200,
        key_development_min_hours_per_year=300,
        managers=5,
        max_key_accounts_per_manager=4,
        current_key_accounts=2,
        current_key_development_accounts=4,  # 1200 h > 1000 h
    )
    assert cap.hours_for_key_accounts == 0 and cap.by_hours == 0
    assert cap.binding is Binding.HOURS and cap.shortfall == 2


@pytest.mark.parametrize(
    ("change", "problem_key"),
    [
        ({"solutions": None}, "solutions"),
        ({"solutions": 5}, "solutions"),
        ({"solutions": -1}, "solutions"),
        ({"solutions": True}, "solutions"),
        ({"solutions": 2.5}, "solutions"),
        ({"made_up": 2}, "made_up"),
    ],
)
def test_every_answer_is_a_whole_number_from_0_to_4_for_a_known_question(
    change: dict[str, object], problem_key: str
) -> None:
    answers: dict[str, object] = dict(ANSWERS) | change
    answers = {k: v for k, v in answers.items() if v is not None}
    with pytest.raises(AssessmentError) as info:
        business_case(answers, READY, **TEAM)  # type: ignore[arg-type]
    assert list(info.value.problems) == [problem_key]


def test_a_missing_readiness_answer_is_reported_by_its_key() -> None:
    ready = {k: v for k, v in READY.items() if k != "people"}
    with pytest.raises(AssessmentError) as info:
        business_case(ANSWERS, ready, **TEAM)
    assert info.value.problems == {"people": "Choose an answer from 0 to 4."}


def test_answer_changes_lists_what_moved_in_the_assessments_order() -> None:
    before = ANSWERS | READY
    after = before | {"solutions": 3, "customer_power": 2, "people": 4}
    changes = answer_changes(before, after)
    assert [(c.key, c.before, c.after, c.delta) for c in changes] == [
        ("customer_power", 4, 2, -2),
        ("solutions", 0, 3, 3),
        ("people", 2, 4, 2),
    ]
    assert answer_changes(before, before) == ()


levels = st.integers(min_value=0, max_value=4)
all_answers = st.fixed_dictionaries({q.key: levels for q in REASONS})
all_ready = st.fixed_dictionaries({q.key: levels for q in READINESS})


@given(all_answers, all_ready)
def test_scores_stay_between_0_and_100(answers: dict[str, int], ready: dict[str, int]) -> None:
    case = business_case(answers, ready, **TEAM)
    for pct in (case.defensive_pct, case.aggressive_pct, case.overall_pct, case.readiness_pct):
        assert 0.0 <= pct <= 100.0
    for reward in case.rewards:
        assert 0.0 <= reward.strength_pct <= 100.0
    assert len(case.top_reasons) <= 3


@given(all_answers, st.sampled_from([q.key for q in REASONS]))
def test_raising_one_answer_never_lowers_its_side_and_leaves_the_other_alone(
    answers: dict[str, int], key: str
) -> None:
    side = QUESTIONS[key].side
    other = Side.AGGRESSIVE if side is Side.DEFENSIVE else Side.DEFENSIVE
    raised = answers | {key: min(4, answers[key] + 1)}
    assert side_score_pct(raised, side) >= side_score_pct(answers, side)
    assert side_score_pct(raised, other) == side_score_pct(answers, other)
    if answers[key] < 4:
        assert side_score_pct(raised, side) == side_score_pct(answers, side) + 5.0  # 1 of 20
