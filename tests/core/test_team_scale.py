"""The share of today's hours the team can give in today's proportions (team_scale)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.core.allocation.curves import ResponseCurve
from kam.core.allocation.problems import Person, TeamProblem
from kam.core.allocation.team import team_scale

CURVE = ResponseCurve(c=0, b=100, d=2, e=100, reference_hours=10)


def _problem(caps, eligible, function_capacity=None, functions=None):  # type: ignore[no-untyped-def]
    functions = functions or [""] * len(caps)
    people = [
        Person(key=k, capacity_hours=c, function=f)
        for k, (c, f) in enumerate(zip(caps, functions, strict=True))
    ]
    n = np.asarray(eligible).shape[1]
    return TeamProblem(
        curves=[CURVE] * n,
        people=people,
        eligible=np.asarray(eligible, dtype=bool),
        function_capacity=function_capacity,
    )


def test_who_may_serve_whom_limits_the_share_not_only_the_total():
    # A (100 h) serves account 0 only; B (100 h) serves both. Account 1 needs 200 h and only
    # B may give them: at most half of today's hours, although 200 h of 250 exist in all.
    problem = _problem([100, 100], [[True, False], [True, True]])
    assert team_scale(problem, np.array([50.0, 200.0]), 1000) == pytest.approx(0.5)


def test_the_total_capacity_and_a_function_cap_bind_too():
    problem = _problem([100, 100], [[True, False], [True, True]])
    assert team_scale(problem, np.array([50.0, 200.0]), 100) == pytest.approx(0.4)
    capped = _problem(
        [100, 100],
        [[True, True], [True, True]],
        function_capacity={"service": 30},
        functions=["kam", "service"],
    )
    # kam 100 h + service at most 30 h = 130 h for 260 h of today's hours
    assert team_scale(capped, np.array([60.0, 200.0]), 1000) == pytest.approx(0.5)


def test_hours_the_team_has_are_given_whole_and_nobody_may_serve_means_no_hours():
    problem = _problem([100, 100], [[True, False], [False, True]])
    assert team_scale(problem, np.array([40.0, 90.0]), 1000) == 1.0
    assert team_scale(problem, np.zeros(2), 1000) == 1.0
    nobody = _problem([100], [[True, False]])
    with pytest.raises(ValueError):
        team_scale(nobody, np.array([10.0, 10.0]), 1000)


@settings(max_examples=60, deadline=None)
@given(
    caps=st.lists(st.integers(0, 300), min_size=1, max_size=4),
    hours=st.lists(st.integers(0, 300), min_size=1, max_size=5),
    seed=st.integers(0, 10_000),
)
def test_the_share_is_feasible_and_no_larger_than_any_single_bottleneck(caps, hours, seed):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    eligible = rng.random((len(caps), len(hours))) < 0.6
    eligible[0, :] = True  # someone may serve every account
    h = np.array(hours, dtype=float)
    s = team_scale(_problem(caps, eligible), h, float(sum(caps)))
    assert 0.0 <= s <= 1.0
    # every account's hours come from the people who may serve it
    for i in range(len(hours)):
        servers = sum(c for c, ok in zip(caps, eligible[:, i], strict=True) if ok)
        assert s * h[i] <= servers + 1e-6
    assert s * h.sum() <= sum(caps) + 1e-6
