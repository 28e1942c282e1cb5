"""Placing accounts in the four boxes, and how sure we are of each placement.

Implements kam-method.md section 1:

- an account's score per criterion is the mean of its raters' scores (1-10);
- ``A = Σ wᵢ·sᵢ / 100`` and ``S_us = Σ Wⱼ·xⱼ / 100``; ``S_comp`` likewise when every
  strength criterion has a competitor score, and then ``RS = S_us / S_comp`` with the
  strength cut at ``strength_cut_relative`` (1.0); otherwise the strength axis is ``S_us``
  with its cut at ``strength_cut_absolute`` (5.0); ``A`` is cut at ``attractiveness_cut``;
- a point exactly on a line belongs to the upper box (comparisons allow ``EPS`` for the
  rounding of floating-point sums);
- an account lacking a score on any criterion is not placed (box code ``-1``);
- a criterion whose raters differ by more than ``disagreement_points`` is flagged;
- sensitivity: weights drawn from a Dirichlet around the chosen weights, each score moved
  by -1, 0 or +1 (equally likely, kept within 1-10), give each account a probability of
  each box; an account whose most likely box stays below 80 % is uncertain.

Everything is vectorised over accounts: arrays have one row per account and one column
per criterion, in the order of ``Scheme.criteria``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kam.core.scoring import BOXES, Scheme

EPS = 1e-9
NOT_PLACED = -1
SCORE_MIN = 1.0
SCORE_MAX = 10.0

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
BoxArray = NDArray[np.int8]


@dataclass(frozen=True)
class ScoreRow:
    """One rater's score for one account on one criterion (the long format of the CLI)."""

    account: Hashable
    criterion: str
    score: float
    competitor_score: float | None = None
    rater: Hashable | None = None


@dataclass(frozen=True)
class ScoreTable:
    """Mean scores per account (rows) and criterion (columns of ``Scheme.criteria``).

    ``scores`` and ``competitor_scores`` hold NaN where nobody scored; competitor scores
    are meaningful for strength columns only. ``spread`` is the largest minus the smallest
    rater score (0 with one rater, NaN with none).
    """

    accounts: tuple[Hashable, ...]
    scores: FloatArray
    competitor_scores: FloatArray
    spread: FloatArray
    raters: NDArray[np.int64]


@dataclass(frozen=True)
class Classification:
    """Axis scores and boxes of every account (NaN / ``NOT_PLACED`` where not placed).

    ``box`` holds indexes into ``kam.core.scoring.BOXES``; ``relative`` is True where the
    strength axis is ``S_us / S_comp``.
    """

    attractiveness: FloatArray
    strength: FloatArray
    competitor_strength: FloatArray
    relative_strength: FloatArray
    relative: BoolArray
    box: BoxArray
    missing: BoolArray


def score_table(scheme: Scheme, rows: Iterable[ScoreRow]) -> ScoreTable:
    """Average the raters' scores per account and criterion.

    Accounts keep the order in which they first appear. Criteria not in the scheme raise
    ``KeyError`` naming the key; the edges check input before calling this.
    """
    columns = {key: j for j, key in enumerate(scheme.keys)}
    account_index: dict[Hashable, int] = {}
    acc: list[int] = []
    col: list[int] = []
    val: list[float] = []
    comp: list[float] = []
    for row in rows:
        i = account_index.setdefault(row.account, len(account_index))
        acc.append(i)
        col.append(columns[row.criterion])
        val.append(float(row.score))
        comp.append(np.nan if row.competitor_score is None else float(row.competitor_score))
    return _table_from_arrays(
        tuple(account_index),
        len(columns),
        np.asarray(acc, dtype=np.int64),
        np.asarray(col, dtype=np.int64),
        np.asarray(val, dtype=np.float64),
        np.asarray(comp, dtype=np.float64),
    )


def score_table_from_arrays(
    accounts: Sequence[Hashable],
    n_criteria: int,
    account_idx: NDArray[np.int64],
    criterion_idx: NDArray[np.int64],
    score: FloatArray,
    competitor_score: FloatArray,
) -> ScoreTable:
    """As ``score_table`` for rows already given as index and value arrays (NaN = no score)."""
    return _table_from_arrays(
        tuple(accounts),
        n_criteria,
        np.asarray(account_idx, dtype=np.int64),
        np.asarray(criterion_idx, dtype=np.int64),
        np.asarray(score, dtype=np.float64),
        np.asarray(competitor_score, dtype=np.float64),
    )


def _table_from_arrays(
    accounts: tuple[Hashable, ...],
    k: int,
    acc: NDArray[np.int64],
    col: NDArray[np.int64],
    val: FloatArray,
    comp: FloatArray,
) -> ScoreTable:
    n = len(accounts)
    flat = acc * k + col
    size = n * k
    counts = np.bincount(flat, minlength=size).astype(np.float64)
    sums = np.bincount(flat, weights=val, minlength=size)
    has_comp = ~np.isnan(comp)
    comp_counts = np.bincount(flat[has_comp], minlength=size).astype(np.float64)
    comp_sums = np.bincount(flat[has_comp], weights=comp[has_comp], minlength=size)
    high = np.full(size, -np.inf)
    low = np.full(size, np.inf)
    np.maximum.at(high, flat, val)
    np.minimum.at(low, flat, val)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(counts > 0, sums / counts, np.nan)
        competitor = np.where(comp_counts > 0, comp_sums / comp_counts, np.nan)
    spread = np.where(counts > 0, high - low, np.nan)
    return ScoreTable(
        accounts=accounts,
        scores=scores.reshape(n, k),
        competitor_scores=competitor.reshape(n, k),
        spread=spread.reshape(n, k),
        raters=counts.reshape(n, k).astype(np.int64),
    )


def disagreement(table: ScoreTable, *, points: float = 3.0) -> BoolArray:
    """Criteria on which an account's raters differ by more than ``points`` (section 1)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(table.spread > points + EPS, dtype=np.bool_)


def _weights(scheme: Scheme) -> tuple[FloatArray, FloatArray]:
    wa = np.array([c.weight for c in scheme.attractiveness], dtype=np.float64)
    ws = np.array([c.weight for c in scheme.strength], dtype=np.float64)
    return wa, ws


def _boxes(
    attractiveness: FloatArray,
    strength: FloatArray,
    competitor_strength: FloatArray,
    relative: BoolArray,
    placed: BoolArray,
    scheme: Scheme,
) -> BoxArray:
    """Box index per account; the comparisons avoid dividing so that parity is exact."""
    attractive = attractiveness >= scheme.attractiveness_cut - EPS
    with np.errstate(invalid="ignore"):
        strong_rel = strength >= scheme.strength_cut_relative * competitor_strength - EPS
    strong_abs = strength >= scheme.strength_cut_absolute - EPS
    strong = np.where(relative, strong_rel, strong_abs)
    # BOXES order: key, key development, maintenance, opportunistic
    box = np.where(attractive, np.where(strong, 0, 1), np.where(strong, 2, 3)).astype(np.int8)
    box[~placed] = NOT_PLACED
    return box


def classify_scores(
    scheme: Scheme, scores: FloatArray, competitor_scores: FloatArray
) -> Classification:
    """Place every account given mean scores (n × criteria) and competitor scores.

    Columns follow ``scheme.criteria``; NaN is a missing score. Competitor columns of
    attractiveness criteria are ignored.
    """
    scores = np.asarray(scores, dtype=np.float64)
    competitor_scores = np.asarray(competitor_scores, dtype=np.float64)
    ka = len(scheme.attractiveness)
    wa, ws = _weights(scheme)
    sa = scores[:, :ka]
    ss = scores[:, ka:]
    cs = competitor_scores[:, ka:]
    missing = np.isnan(scores)
    placed = ~missing.any(axis=1)
    attractiveness = sa @ wa / 100.0
    strength = ss @ ws / 100.0
    relative = placed & ~np.isnan(cs).any(axis=1)
    competitor_strength = np.where(relative, np.nan_to_num(cs) @ ws / 100.0, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative_strength = np.where(relative, strength / competitor_strength, np.nan)
    attractiveness = np.where(placed, attractiveness, np.nan)
    strength = np.where(placed, strength, np.nan)
    box = _boxes(attractiveness, strength, competitor_strength, relative, placed, scheme)
    return Classification(
        attractiveness=attractiveness,
        strength=strength,
        competitor_strength=competitor_strength,
        relative_strength=relative_strength,
        relative=relative,
        box=box,
        missing=missing,
    )


def classify(scheme: Scheme, table: ScoreTable) -> Classification:
    """Place every account of a score table (see ``classify_scores``)."""
    return classify_scores(scheme, table.scores, table.competitor_scores)


def _perturbed_axis(
    scores: NDArray[np.float32],
    weights: NDArray[np.float32],
    rng: np.random.Generator,
    noise: int,
) -> NDArray[np.float32]:
    """Axis score per account and draw: ``Σ pᵢ·clip(sᵢ + uᵢ)`` with ``u`` in {-noise..noise}.

    ``scores`` is (n, k), ``weights`` (draws, k) summing to 1 per draw; returns (n, draws).
    The noisy scores are written as ``s + δ(u)``, where ``δ`` is the clipped step up or
    down, so that the work per element is a table look-up and one multiply-add.
    """
    n, k = scores.shape
    base = scores @ weights.T  # (n, draws)
    if noise == 0:
        return base
    steps = np.arange(-noise, noise + 1, dtype=np.float32)  # (m,)
    # deltas[i, j, s]: how far score (i, j) actually moves for step s after clipping
    deltas = np.clip(scores[:, :, None] + steps, SCORE_MIN, SCORE_MAX) - scores[:, :, None]
    u = rng.integers(0, len(steps), size=(n, weights.shape[0], k), dtype=np.int8)
    moved = np.take_along_axis(deltas[:, None, :, :], u[..., None].astype(np.intp), axis=3)[..., 0]
    return base + np.einsum("ndk,dk->nd", moved, weights, optimize=True)


def sensitivity(
    scheme: Scheme,
    scores: FloatArray,
    competitor_scores: FloatArray,
    *,
    draws: int = 1000,
    seed: int = 0,
    concentration: float = 100.0,
    noise: int = 1,
    chunk_size: int = 2048,
) -> FloatArray:
    """Probability of each box (columns in ``BOXES`` order) per account; NaN rows when not placed.

    Each draw takes weights from ``Dirichlet(concentration · w / 100)`` per axis (the same
    draw for every account, as a change of mind about weights would be) and moves every
    score independently by a whole step in ``[-noise, noise]``, clipped to 1-10. The
    strength axis of an account stays the one ``classify_scores`` chose for it. The same
    seed gives the same result. Memory is bounded by ``chunk_size`` accounts at a time.
    """
    if draws < 1:
        raise ValueError("draws must be at least 1")
    if concentration <= 0:
        raise ValueError("concentration must be above 0")
    scores = np.asarray(scores, dtype=np.float64)
    competitor_scores = np.asarray(competitor_scores, dtype=np.float64)
    base = classify_scores(scheme, scores, competitor_scores)
    n = scores.shape[0]
    ka = len(scheme.attractiveness)
    wa, ws = _weights(scheme)
    rng = np.random.default_rng(seed)
    pa = rng.dirichlet(concentration * wa / 100.0, size=draws).astype(np.float32)
    ps = rng.dirichlet(concentration * ws / 100.0, size=draws).astype(np.float32)
    out = np.full((n, len(BOXES)), np.nan)
    placed_idx = np.flatnonzero(base.box != NOT_PLACED)
    s32 = scores.astype(np.float32)
    c32 = np.nan_to_num(competitor_scores).astype(np.float32)
    for start in range(0, len(placed_idx), chunk_size):
        idx = placed_idx[start : start + chunk_size]
        a = _perturbed_axis(s32[idx, :ka], pa, rng, noise)
        us = _perturbed_axis(s32[idx, ka:], ps, rng, noise)
        rel = base.relative[idx]
        attractive = a >= np.float32(scheme.attractiveness_cut - EPS)
        strong = us >= np.float32(scheme.strength_cut_absolute - EPS)
        if rel.any():
            them = _perturbed_axis(c32[idx[rel], ka:], ps, rng, noise)
            strong[rel] = us[rel] >= np.float32(scheme.strength_cut_relative) * them - np.float32(
                EPS
            )
        box = np.where(attractive, np.where(strong, 0, 1), np.where(strong, 2, 3))
        counts = np.stack([(box == b).sum(axis=1) for b in range(len(BOXES))], axis=1)
        out[idx] = counts / draws
    return out


def uncertain(probabilities: FloatArray, *, threshold: float = 0.8) -> BoolArray:
    """Accounts whose most likely box has a probability below ``threshold`` (placed ones only)."""
    with np.errstate(invalid="ignore"):
        best = np.nanmax(np.where(np.isnan(probabilities), -1.0, probabilities), axis=1)
    return np.asarray((best >= 0) & (best < threshold - EPS), dtype=np.bool_)
