"""The demo's scoring scheme and its scores (docs/method.md section 1): the criteria, anchors,
weights and competitors of ``story/scoring.toml``, and three raters' scores for every
account, drawn around a latent "true" position on both axes.

The scores are not random noise: each account has a latent position (correlated with its
size and growth) from which the raters' scores are drawn with rater bias and noise. A
handful of accounts sit close to a cut line, raters disagree by more than 3 points on a
handful, the smallest opportunistic accounts have no competitor scores (so their strength
axis is absolute), and a few accounts in the latest review lack a score and are not placed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kam.core import portfolio as core
from kam.core.scoring import BOXES, Scheme
from kam.core.scoring import Criterion as CoreCriterion
from kam.demo.data import story
from kam.demo.market import FOOD_SERVICE, ONLINE, RETAIL, WHOLESALE, _Account
from kam.portfolio.models import Axis, ViewSource

_SCORING = story("scoring")


@dataclass(frozen=True)
class _CriterionSpec:
    axis: str
    key: str
    name: str
    weight_v1: int
    weight_v2: int
    anchor_2: str
    anchor_5: str
    anchor_8: str


CRITERIA: tuple[_CriterionSpec, ...] = tuple(
    _CriterionSpec(
        Axis(c["axis"]),
        c["key"],
        c["name"],
        c["weight_v1"],
        c["weight_v2"],
        c["anchor_2"],
        c["anchor_5"],
        c["anchor_8"],
    )
    for c in _SCORING["criteria"]
)
N_ATTRACTIVENESS = sum(1 for c in CRITERIA if c.axis == Axis.ATTRACTIVENESS)
DEMO_SCHEME: str = _SCORING["name"]
SCHEME_DESCRIPTION: str = _SCORING["description"]
COMPETITORS: tuple[str, ...] = tuple(_SCORING["competitors"])
V2_NOTE: str = _SCORING["v2_note"]
#: A review's name, from its date.
REVIEW_NAME: str = _SCORING["review_name"]

#: Our typical profile against the competitors on the strength criteria (score points):
#: strong on quality and innovation, weaker on price; private label wins on price.
OUR_PROFILE = np.array(_SCORING["our_profile"])
COMPETITOR_PROFILE = {name: np.array(p) for name, p in _SCORING["competitor_profiles"].items()}

# Rater slots: 0 = the sales director, 1 = the account's key account manager, 2 = the
# colleague from the account team. Key account managers see their customers a little
# rosier than the director does (bias in score points on each axis, and on competitors).
SLOTS = 3
BIAS_ATTRACTIVENESS = np.array([-0.15, 0.20, 0.0])
BIAS_STRENGTH = np.array([-0.10, 0.35, -0.05])
BIAS_COMPETITOR = np.array([0.0, -0.20, 0.0])
RATER_NOISE = 0.55

#: What a key account manager writes when their score is far from the director's:
#: criterion key -> (why I score it higher, why I score it lower).
COMMENTS = {c["key"]: (c["comment_higher"], c["comment_lower"]) for c in _SCORING["criteria"]}


@dataclass
class _Ratings:
    """One review's scores, (slot, account, criterion) arrays of whole numbers, 0 = none."""

    score: np.ndarray
    competitor: np.ndarray
    comments: dict[tuple[int, int, int], str]
    view_source: list[ViewSource]


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    standardised: np.ndarray = (x - x.mean()) / (sd if sd > 0 else 1.0)
    return standardised


@dataclass
class _Latent:
    """True positions: attractiveness (0-10), our strength and the competitor's (1-10)."""

    attractiveness: np.ndarray
    strength: np.ndarray
    competitor: np.ndarray  # NaN where the account is scored on the absolute axis
    att_profile: np.ndarray  # (n, criteria) deviations per attractiveness criterion
    our_profile: np.ndarray
    comp_profile: np.ndarray


def _apart(distance: np.ndarray, gap: float = 0.45) -> np.ndarray:
    """Move signed distances from a cut line away from it by ``gap`` score points."""
    moved: np.ndarray = distance + gap * np.sign(distance)
    return moved


def _plan_latent(
    rng: np.random.Generator, accounts: list[_Account], last_year: int
) -> tuple[_Latent, _Latent]:
    """The latent position of every account at the latest review, and a year earlier.

    Attractiveness follows size and growth; the share of attractive accounts and of strong
    ones within each half is set so that the box mix looks like a real portfolio (about 8 %
    key, 13 % key development, 28 % maintenance, the rest opportunistic).
    """
    n = len(accounts)
    log_revenue = np.log([a.revenue_eur[last_year] for a in accounts])
    growth = np.array([a.growth for a in accounts])
    zr, zg = _standardise(log_revenue), _standardise(np.clip(growth, -0.2, 0.4))
    channel_bonus = np.array(
        [{FOOD_SERVICE: 0.25, WHOLESALE: -0.2, ONLINE: 0.1}.get(a.channel, 0.0) for a in accounts]
    )
    z_a = 0.7 * zr + 0.3 * zg + 0.4 * rng.normal(size=n) + channel_bonus
    cut_a = np.quantile(z_a, 1.0 - 0.2)
    # Most customers are clearly on one side of a line; the few close to it are placed
    # there on purpose below. ``_apart`` keeps the latent positions off the lines.
    attractiveness = np.clip(5.0 + _apart(2.2 * (z_a - cut_a) / z_a.std()), 1.6, 9.4)

    z_s = 0.55 * zr + 0.75 * rng.normal(size=n)
    strength_dev = np.zeros(n)
    attractive = attractiveness >= 5.0
    # At least seven key accounts even in a small demo, so that one manager can carry
    # more than four of them.
    key_share = min(0.9, max(0.38, 7.0 / max(1, int(attractive.sum()))))
    for mask, strong_share in ((attractive, key_share), (~attractive, 0.34)):
        if mask.sum() == 0:
            continue
        cut_s = np.quantile(z_s[mask], 1.0 - strong_share)
        strength_dev[mask] = _apart(2.2 * (z_s[mask] - cut_s) / z_s.std())

    # A handful sit right on a cut line, where a single point changes their box (not the
    # group headquarters, whose place the demo's story depends on).
    singles = [i for i, a in enumerate(accounts) if a.group is None]
    near = rng.choice(singles, size=max(3, n // 50), replace=False)
    for k, i in enumerate(near):
        if k % 2 == 0:
            attractiveness[i] = 5.0 + rng.uniform(-0.2, 0.2)
        else:
            strength_dev[i] = rng.uniform(-0.15, 0.15)

    # The smallest opportunistic customers are not scored against a competitor: nobody
    # asked them, so their strength axis is our own score (absolute).
    small_tail = [i for i in np.argsort(log_revenue)[: int(0.45 * n)] if accounts[i].group is None]
    absolute = set(
        int(i)
        for i in rng.choice(small_tail, size=min(len(small_tail), round(0.12 * n)), replace=False)
    )
    names = list(COMPETITOR_PROFILE)
    for i, a in enumerate(accounts):
        if i in absolute:
            continue
        if a.channel == RETAIL and rng.random() < 0.65:
            a.competitor = "Private label"
        else:
            a.competitor = names[int(rng.integers(len(names) - 1))]
    competitor_level = rng.uniform(5.0, 7.2, size=n)
    is_absolute = np.array([i in absolute for i in range(n)])

    def strength_at(dev: np.ndarray, level: np.ndarray) -> np.ndarray:
        return np.where(
            is_absolute,
            np.clip(5.0 + dev, 1.5, 9.5),
            np.clip(level + 1.2 * dev, 1.5, 9.8),
        )

    strength = strength_at(strength_dev, competitor_level)
    competitor = np.where(is_absolute, np.nan, competitor_level)

    k_att = N_ATTRACTIVENESS
    k_str = len(CRITERIA) - k_att
    att_profile = rng.normal(0.0, 0.9, size=(n, k_att))
    att_profile[:, 0] += 0.8 * zr
    att_profile[:, 1] += 0.9 * zg
    is_group = np.array([a.group is not None for a in accounts])
    att_profile[:, 2] += np.where(is_group, -0.6, 0.0) + 0.6 * (channel_bonus > 0.2)
    att_profile[:, 3] += np.where(is_group, 0.6, 0.0)
    our_profile = OUR_PROFILE + rng.normal(0.0, 0.6, size=(n, k_str))
    comp_profile = np.array(
        [COMPETITOR_PROFILE[a.competitor or "Rijnvallei Foods"] for a in accounts]
    ) + rng.normal(0.0, 0.5, size=(n, k_str))
    latest = _Latent(attractiveness, strength, competitor, att_profile, our_profile, comp_profile)

    # A year earlier: most accounts a little elsewhere; about one in five, from within
    # two points of a line, stood on its other side (they changed box since).
    drift_a = rng.normal(0.0, 0.2, size=n)
    drift_s = rng.normal(0.0, 0.2, size=n)
    distance_a = attractiveness - 5.0
    movers_a = (rng.random(n) < 0.12) & (np.abs(distance_a) < 2.0)
    movers_s = (rng.random(n) < 0.10) & (np.abs(strength_dev) < 2.0)
    crossed_a = -np.sign(distance_a) * rng.uniform(0.4, 1.4, size=n)
    crossed_s = -np.sign(strength_dev) * rng.uniform(0.4, 1.2, size=n)
    competitor_before = competitor_level + rng.normal(0.0, 0.2, size=n)
    previous = _Latent(
        attractiveness=np.clip(5.0 + np.where(movers_a, crossed_a, distance_a - drift_a), 1.3, 9.6),
        strength=strength_at(
            np.where(movers_s, crossed_s, strength_dev - drift_s), competitor_before
        ),
        competitor=np.where(is_absolute, np.nan, competitor_before),
        att_profile=att_profile + rng.normal(0.0, 0.35, size=(n, k_att)),
        our_profile=our_profile + rng.normal(0.0, 0.3, size=(n, k_str)),
        comp_profile=comp_profile + rng.normal(0.0, 0.3, size=(n, k_str)),
    )
    return previous, latest


def _centred(profile: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Deviations per criterion whose weighted mean is 0, so the axis score stays the latent."""
    centred: np.ndarray = profile - (profile @ weights / weights.sum())[:, None]
    return centred


def _plan_ratings(
    rng: np.random.Generator,
    accounts: list[_Account],
    latent: _Latent,
    *,
    weights: np.ndarray,
    disagreements: int,
    missing: int,
    big: np.ndarray,
) -> _Ratings:
    """Three raters' whole-number scores drawn around the latent position."""
    n = len(accounts)
    k_att = N_ATTRACTIVENESS
    wa, ws = weights[:k_att], weights[k_att:]
    true_att = latent.attractiveness[:, None] + _centred(latent.att_profile, wa)
    true_us = latent.strength[:, None] + _centred(latent.our_profile, ws)
    true_comp = latent.competitor[:, None] + _centred(latent.comp_profile, ws)
    true = np.concatenate([true_att, true_us], axis=1)
    bias = np.concatenate(
        [
            np.repeat(BIAS_ATTRACTIVENESS[:, None], k_att, axis=1),
            np.repeat(BIAS_STRENGTH[:, None], len(ws), axis=1),
        ],
        axis=1,
    )  # (slot, criterion)
    rater_mood = rng.normal(0.0, 0.2, size=(SLOTS, n, 1))
    noise = rng.normal(0.0, RATER_NOISE, size=(SLOTS, n, len(weights)))
    score = np.clip(np.rint(true[None] + bias[:, None, :] + rater_mood + noise), 1, 10)
    comp_noise = rng.normal(0.0, 0.5, size=(SLOTS, n, len(ws)))
    comp = np.clip(np.rint(true_comp[None] + BIAS_COMPETITOR[:, None, None] + comp_noise), 1, 10)
    competitor = np.zeros_like(score)
    competitor[:, :, k_att:] = np.nan_to_num(comp, nan=0.0)
    score = score.astype(np.int64)
    competitor = competitor.astype(np.int64)

    comments: dict[tuple[int, int, int], str] = {}
    chosen = rng.choice(n, size=min(n, disagreements + missing), replace=False)
    # Raters who disagree by 4 points or more on one criterion: flagged for discussion.
    for i in chosen[:disagreements]:
        j = int(rng.integers(len(weights)))
        base = int(score[0, i, j])
        if base <= 5:
            score[1, i, j] = min(10, base + 4)
            comments[(1, int(i), j)] = COMMENTS[CRITERIA[j].key][0]
        else:
            score[1, i, j] = max(1, base - 4)
            comments[(1, int(i), j)] = COMMENTS[CRITERIA[j].key][1]
        score[2, i, j] = min(10, max(1, base + int(rng.integers(-1, 2))))
    # Nobody scored a criterion for these accounts yet: they are listed as not placed.
    for i in chosen[disagreements:]:
        j = int(rng.choice([2, 3, 4]))  # profitability, payment, partnership
        score[:, i, j] = 0
    view_source = [
        ViewSource.CUSTOMER
        if big[i] and a.competitor and rng.random() < 0.6
        else ViewSource.ESTIMATE
        for i, a in enumerate(accounts)
    ]
    return _Ratings(score=score, competitor=competitor, comments=comments, view_source=view_source)


def _core_scheme(version: int) -> Scheme:
    def crit(c: _CriterionSpec) -> CoreCriterion:
        return CoreCriterion(c.key, c.name, c.weight_v1 if version == 1 else c.weight_v2)

    return Scheme(
        attractiveness=tuple(crit(c) for c in CRITERIA if c.axis == Axis.ATTRACTIVENESS),
        strength=tuple(crit(c) for c in CRITERIA if c.axis == Axis.STRENGTH),
    )


def _classify(ratings: _Ratings, version: int) -> list[str]:
    """Boxes exactly as ``review_compute`` will place them ("" = not placed)."""
    _slots, n, k = ratings.score.shape
    s, i, j = np.nonzero(ratings.score)
    comp = ratings.competitor[s, i, j].astype(np.float64)
    comp[comp == 0] = np.nan
    table = core.score_table_from_arrays(
        list(range(n)), k, i, j, ratings.score[s, i, j].astype(np.float64), comp
    )
    result = core.classify(_core_scheme(version), table)
    return ["" if b == core.NOT_PLACED else BOXES[int(b)].value for b in result.box]
