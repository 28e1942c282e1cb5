"""Box probabilities and the properties a user relies on (docs/method.md section 1)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kam.core.portfolio import NOT_PLACED, classify_scores, sensitivity, uncertain
from kam.core.scoring import Criterion, Scheme

NAN = math.nan
# weights chosen so that no two step patterns give the same weighted sum (no ties to
# break differently when the weights move a little)
SCHEME = Scheme(
    attractiveness=(
        Criterion("a1", "A1", 47),
        Criterion("a2", "A2", 31),
        Criterion("a3", "A3", 22),
    ),
    strength=(Criterion("s1", "S1", 57), Criterion("s2", "S2", 43)),
)
WA = np.array([0.47, 0.31, 0.22])
WS = np.array([0.57, 0.43])


def exact_probabilities(ours: list[float], theirs: list[float] | None) -> np.ndarray:
    """Every ±1 step pattern enumerated, with the weights fixed at the chosen ones."""
    k = 5 + (2 if theirs else 0)
    counts = np.zeros(4)
    for steps in itertools.product((-1, 0, 1), repeat=k):
        u = np.array(steps, float)
        noisy = np.clip(np.array(ours) + u[:5], 1, 10)
        a = WA @ noisy[:3]
        us = WS @ noisy[3:5]
        if theirs:
            strong = us >= WS @ np.clip(np.array(theirs) + u[5:], 1, 10) - 1e-9
        else:
            strong = us >= 5 - 1e-9
        attractive = a >= 5 - 1e-9
        counts[(0 if strong else 1) if attractive else (2 if strong else 3)] += 1
    return counts / 3**k


CASES = [
    ([5, 5, 5, 5, 5], [5, 5]),
    ([1, 10, 5, 1, 10], [1, 10]),  # scores on the bounds: clipped steps
    ([1.4, 9.7, 4, 2, 9], [1.5, 9.25]),  # means near the bounds
    ([4, 6, 5, 4.5, 5.5], None),
    ([9, 2, 6, 5, 4], None),
]


def test_probabilities_match_the_enumeration_of_every_step_pattern() -> None:
    ours = np.array([c[0] for c in CASES], float)
    theirs = np.array([[NAN] * 3 + (c[1] or [NAN, NAN]) for c in CASES], float)
    draws = 20_000
    p = sensitivity(SCHEME, ours, theirs, draws=draws, seed=11, concentration=1e9)
    for i, (our, their) in enumerate(CASES):
        expected = exact_probabilities(our, their)
        # five standard errors of a proportion estimated from 20,000 draws
        assert np.abs(p[i] - expected).max() < 5 * math.sqrt(0.25 / draws), (our, their)


def test_same_seed_same_result_whatever_the_threads() -> None:
    rng = np.random.default_rng(3)
    ours = rng.integers(1, 11, size=(300, 5)).astype(float)
    theirs = np.full((300, 5), NAN)
    theirs[:150, 3:] = rng.integers(1, 11, size=(150, 2))
    one = sensitivity(SCHEME, ours, theirs, draws=64, seed=5, workers=1)
    two = sensitivity(SCHEME, ours, theirs, draws=64, seed=5, workers=2)
    again = sensitivity(SCHEME, ours, theirs, draws=64, seed=5)
    other = sensitivity(SCHEME, ours, theirs, draws=64, seed=6)
    assert np.array_equal(one, two) and np.array_equal(one, again)
    assert not np.array_equal(one, other)


def test_not_placed_accounts_get_no_probabilities() -> None:
    ours = np.array([[5, 5, 5, 5, 5], [5, NAN, 5, 5, 5]], float)
    p = sensitivity(SCHEME, ours, np.full((2, 5), NAN), draws=10, seed=1)
    assert p[0].sum() == pytest.approx(1.0)
    assert np.isnan(p[1]).all()
    assert uncertain(p).tolist() == [True, False]


def test_all_scores_on_the_lines_stay_in_the_upper_boxes() -> None:
    # every drawn weight sums to 1, so scores all at 5 give A = S_us = 5.0 in every draw
    ours = np.array([[5, 5, 5, 5, 5], [5, 5, 5, 7, 7]], float)
    theirs = np.array([[NAN] * 5, [NAN, NAN, NAN, 7, 7]])
    p = sensitivity(SCHEME, ours, theirs, draws=200, seed=2, concentration=1.0, noise=0)
    assert p.tolist() == [[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]


def test_uncertain_below_eighty_percent() -> None:
    p = np.array([[0.8, 0.2, 0, 0], [0.79, 0.21, 0, 0], [NAN] * 4])
    assert uncertain(p).tolist() == [False, True, False]


def test_bad_arguments_are_refused() -> None:
    ours = np.array([[5, 5, 5, 5, 5]], float)
    theirs = np.full((1, 5), NAN)
    for kwargs in ({"draws": 0}, {"concentration": 0.0}, {"noise": 10}):
        with pytest.raises(ValueError):
            sensitivity(SCHEME, ours, theirs, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        sensitivity(SCHEME, np.array([[11, 5, 5, 5, 5]], float), theirs)


scores = st.integers(min_value=1, max_value=10)
row = st.lists(scores, min_size=5, max_size=5)
competitor = st.one_of(st.none(), st.lists(scores, min_size=2, max_size=2))


def _one(ours: list[int], theirs: list[int] | None):  # type: ignore[no-untyped-def]
    comp = np.array([[NAN] * 3 + (list(theirs) if theirs else [NAN, NAN])], float)
    return classify_scores(SCHEME, np.array([ours], float), comp)


def _attractive(r) -> bool:  # type: ignore[no-untyped-def]
    return int(r.box[0]) in (0, 1)


def _strong(r) -> bool:  # type: ignore[no-untyped-def]
    return int(r.box[0]) in (0, 2)


@given(row, competitor, st.integers(0, 2))
def test_raising_an_attractiveness_score_never_makes_an_account_less_attractive(
    ours: list[int], theirs: list[int] | None, j: int
) -> None:
    assume(ours[j] < 10)
    before = _one(ours, theirs)
    raised = list(ours)
    raised[j] += 1
    after = _one(raised, theirs)
    assert int(after.box[0]) != NOT_PLACED
    assert _attractive(after) or not _attractive(before)
    assert _strong(after) == _strong(before)


@given(row, competitor, st.integers(3, 4))
def test_raising_our_strength_score_never_makes_us_weaker(
    ours: list[int], theirs: list[int] | None, j: int
) -> None:
    assume(ours[j] < 10)
    before = _one(ours, theirs)
    raised = list(ours)
    raised[j] += 1
    after = _one(raised, theirs)
    assert _strong(after) or not _strong(before)
    assert _attractive(after) == _attractive(before)


@given(row, st.lists(scores, min_size=2, max_size=2), st.integers(0, 1))
def test_raising_the_competitors_score_never_makes_us_stronger(
    ours: list[int], theirs: list[int], j: int
) -> None:
    assume(theirs[j] < 10)
    before = _one(ours, theirs)
    raised = list(theirs)
    raised[j] += 1
    after = _one(ours, raised)
    assert not _strong(after) or _strong(before)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(row, competitor), min_size=1, max_size=6), st.integers(0, 2**32))
def test_probabilities_of_placed_accounts_sum_to_one(
    accounts: list[tuple[list[int], list[int] | None]], seed: int
) -> None:
    ours = np.array([a[0] for a in accounts], float)
    theirs = np.array([[NAN] * 3 + (list(a[1]) if a[1] else [NAN, NAN]) for a in accounts])
    p = sensitivity(SCHEME, ours, theirs, draws=37, seed=seed)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert ((p >= 0) & (p <= 1)).all()
    assert np.array_equal(p, sensitivity(SCHEME, ours, theirs, draws=37, seed=seed))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(row, competitor), min_size=1, max_size=6))
def test_without_noise_and_with_fixed_weights_the_box_is_certain(
    accounts: list[tuple[list[int], list[int] | None]],
) -> None:
    ours = np.array([a[0] for a in accounts], float)
    theirs = np.array([[NAN] * 3 + (list(a[1]) if a[1] else [NAN, NAN]) for a in accounts])
    base = classify_scores(SCHEME, ours, theirs)
    # a point exactly on a line with unequal scores may fall either way once weights move
    far = np.abs(base.attractiveness - 5) > 1e-6
    gap = np.where(base.relative, base.strength - base.competitor_strength, base.strength - 5)
    far &= np.abs(gap) > 1e-6
    assume(far.any())
    p = sensitivity(SCHEME, ours, theirs, draws=20, seed=1, concentration=1e12, noise=0)
    for i in np.flatnonzero(far):
        expected = np.zeros(4)
        expected[int(base.box[i])] = 1.0
        assert p[i].tolist() == expected.tolist()


def test_many_criteria_split_over_several_random_bytes_match_a_direct_simulation() -> None:
    # 7 attractiveness and 12 strength criteria need several bytes of steps per draw
    wa = [20, 18, 16, 14, 13, 11, 8]
    ws = [15, 13, 12, 11, 10, 9, 8, 7, 6, 4, 3, 2]
    scheme = Scheme(
        attractiveness=tuple(Criterion(f"a{i}", f"A{i}", w) for i, w in enumerate(wa)),
        strength=tuple(Criterion(f"s{i}", f"S{i}", w) for i, w in enumerate(ws)),
    )
    rng = np.random.default_rng(8)
    ours = np.array(
        [
            [*[5, 6, 4, 5, 5, 6, 4], *[6, 5, 5, 6, 4, 5, 6, 5, 5, 4, 6, 5]],
            [*[1, 10, 5, 5, 1, 10, 5], *[1, 1, 10, 10, 5, 5, 5, 5, 1, 10, 5, 5]],
            [*[5.5, 4.5, 5, 5, 5, 5, 4], *[5] * 12],
        ],
        float,
    )
    theirs = np.full_like(ours, NAN)
    theirs[0, 7:] = [5, 6, 5, 5, 5, 5, 6, 5, 5, 5, 5, 6]
    draws = 20_000
    p = sensitivity(scheme, ours, theirs, draws=draws, seed=4, concentration=1e9)

    wa_ = np.array(wa) / 100
    ws_ = np.array(ws) / 100
    for i in range(3):
        steps = rng.integers(-1, 2, size=(draws, 31))
        noisy = np.clip(ours[i] + steps[:, :19], 1, 10)
        a = noisy[:, :7] @ wa_
        us = noisy[:, 7:] @ ws_
        if i == 0:
            strong = us >= np.clip(theirs[i, 7:] + steps[:, 19:], 1, 10) @ ws_ - 1e-9
        else:
            strong = us >= 5 - 1e-9
        attractive = a >= 5 - 1e-9
        direct = np.array(
            [
                (attractive & strong).mean(),
                (attractive & ~strong).mean(),
                (~attractive & strong).mean(),
                (~attractive & ~strong).mean(),
            ]
        )
        # two independent estimates: five standard errors of their difference
        assert np.abs(p[i] - direct).max() < 5 * math.sqrt(2 * 0.25 / draws), i
