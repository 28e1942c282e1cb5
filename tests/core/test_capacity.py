"""Never too many key accounts (docs/method.md section 1): the three warnings."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.core.capacity import (
    BoxPolicy,
    CapacityLimits,
    CapacityWarning,
    WarningCode,
    check_key_account_capacity,
)

POLICIES = {
    "key": BoxPolicy(min_hours_per_year=200, max_hours_per_year=400, review_cadence_months=3),
    "key_development": BoxPolicy(min_hours_per_year=100, max_hours_per_year=200),
    "maintenance": BoxPolicy(min_hours_per_year=20, max_hours_per_year=60),
}


def test_hours_needed_are_the_policy_minimums_of_key_and_development_accounts() -> None:
    # 3 key · 200 + 2 development · 100 = 800 hours; maintenance does not count
    check = check_key_account_capacity(
        boxes=["key", "key", "key", "key_development", "key_development", "maintenance", None],
        owners=["ann", "bob", "ann", "ann", None, "bob", "bob"],
        policies=POLICIES,
        team_hours_per_year=800,
    )
    assert check.hours_needed == 800
    assert check.hours_available == 800
    assert check.key_accounts == 3 and check.key_development_accounts == 2
    # per manager, key and key development accounts count by default (section 1)
    assert check.key_accounts_per_manager == {"ann": 3, "bob": 1}
    assert check.warnings == ()  # needing exactly the capacity is fine


def test_more_hours_needed_than_the_team_has_warns() -> None:
    check = check_key_account_capacity(
        boxes=["key", "key", "key_development"],
        owners=["ann", "bob", "cy"],
        policies=POLICIES,
        team_hours_per_year=1000,
        limits=CapacityLimits(capacity_share=0.4),  # only 400 of the 1,000 hours
    )
    assert check.hours_available == 400
    assert check.warnings == (CapacityWarning(WarningCode.CAPACITY, 500, 400),)


def test_more_than_four_key_accounts_per_manager_warns_but_four_does_not() -> None:
    check = check_key_account_capacity(
        boxes=["key"] * 9,
        owners=["ann"] * 5 + ["bob"] * 4,
        policies=POLICIES,
        team_hours_per_year=10_000,
    )
    assert check.warnings == (CapacityWarning(WarningCode.PER_MANAGER, 5, 4, manager="ann"),)


def test_more_than_fifty_key_accounts_in_the_company_warns() -> None:
    owners = [f"kam{i % 20}" for i in range(51)]  # at most 3 each
    check = check_key_account_capacity(
        boxes=["key"] * 51, owners=owners, policies=POLICIES, team_hours_per_year=1e6
    )
    assert check.warnings == (CapacityWarning(WarningCode.COMPANY, 51, 50),)
    fifty = check_key_account_capacity(
        boxes=["key"] * 50, owners=owners[:50], policies=POLICIES, team_hours_per_year=1e6
    )
    assert fifty.warnings == ()


def test_limits_are_configurable() -> None:
    limits = CapacityLimits(max_key_accounts=2, max_key_accounts_per_manager=1)
    check = check_key_account_capacity(
        boxes=["key", "key", "key"],
        owners=["ann", "ann", "bob"],
        policies=POLICIES,
        team_hours_per_year=100,
        limits=limits,
    )
    assert [w.code for w in check.warnings] == [
        WarningCode.CAPACITY,
        WarningCode.PER_MANAGER,
        WarningCode.COMPANY,
    ]
    assert check.warnings[1].manager == "ann"
    assert check.warnings[2].observed == 3 and check.warnings[2].limit == 2


def test_boxes_and_owners_must_match_in_length() -> None:
    with pytest.raises(ValueError):
        check_key_account_capacity(
            boxes=["key"], owners=[], policies=POLICIES, team_hours_per_year=1
        )


def test_per_manager_counts_key_development_accounts_unless_set_to_key_only() -> None:
    # ann: 3 key + 2 key development = 5 > 4; bob: 4 key; cy: 4 key development + 1 maintenance
    boxes = ["key"] * 3 + ["key_development"] * 2 + ["key"] * 4 + ["key_development"] * 4
    boxes += ["maintenance"]
    owners = ["ann"] * 5 + ["bob"] * 4 + ["cy"] * 5
    accounts = [f"A{i}" for i in range(len(boxes))]
    both = check_key_account_capacity(
        boxes=boxes,
        owners=owners,
        accounts=accounts,
        policies=POLICIES,
        team_hours_per_year=1e6,
    )
    assert both.key_accounts_per_manager == {"ann": 5, "bob": 4, "cy": 4}
    assert both.warnings == (
        CapacityWarning(
            WarningCode.PER_MANAGER, 5, 4, manager="ann", accounts=("A0", "A1", "A2", "A3", "A4")
        ),
    )
    assert both.per_manager_boxes == ("key", "key_development")
    key_only = check_key_account_capacity(
        boxes=boxes,
        owners=owners,
        accounts=accounts,
        policies=POLICIES,
        team_hours_per_year=1e6,
        limits=CapacityLimits(per_manager_boxes=("key",)),
    )
    assert key_only.key_accounts_per_manager == {"ann": 3, "bob": 4}
    assert key_only.warnings == ()
    with pytest.raises(ValueError):
        check_key_account_capacity(
            boxes=boxes,
            owners=owners,
            accounts=accounts[:2],
            policies=POLICIES,
            team_hours_per_year=1,
        )


@settings(deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["key", "key_development", "maintenance", "opportunistic", None]),
            st.sampled_from(["ann", "bob", None]),
        ),
        max_size=30,
    ),
    st.integers(min_value=0, max_value=6),
)
def test_counting_key_development_never_lowers_a_managers_count(rows, limit) -> None:  # type: ignore[no-untyped-def]
    boxes = [b for b, _o in rows]
    owners = [o for _b, o in rows]

    def check(counted: tuple[str, ...]):  # type: ignore[no-untyped-def]
        return check_key_account_capacity(
            boxes=boxes,
            owners=owners,
            policies=POLICIES,
            team_hours_per_year=1e9,
            limits=CapacityLimits(max_key_accounts_per_manager=limit, per_manager_boxes=counted),
        )

    both, key_only = check(("key", "key_development")), check(("key",))
    for manager, n in key_only.key_accounts_per_manager.items():
        assert both.key_accounts_per_manager[manager] >= n
    warned = {w.manager for w in both.warnings if w.code == WarningCode.PER_MANAGER}
    assert warned >= {w.manager for w in key_only.warnings if w.code == WarningCode.PER_MANAGER}
