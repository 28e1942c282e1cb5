"""Placing accounts in the four boxes, and how sure we are of each placement.

Implements docs/method.md section 1:

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

import os
from collections.abc import Hashable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

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
    scored = ~np.isnan(val)  # a row without a score (NaN) counts as no rater
    acc, col, val, comp = acc[scored], col[scored], val[scored], comp[scored]
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
    placed: BoolArray = np.asarray(~missing.any(axis=1), dtype=np.bool_)
    attractiveness = sa @ wa / 100.0
    strength = ss @ ws / 100.0
    relative: BoolArray = np.asarray(placed & ~np.isnan(cs).any(axis=1), dtype=np.bool_)
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


# --- sensitivity -----------------------------------------------------------------------------
#
# The work is one (draw, account) pair at a time for ~10⁸ pairs, so it is organised around
# what numpy does fast. Each draw's noise on a group of up to five criteria is one random
# byte: a byte below ``limit`` names one of the ``q**g`` patterns of steps (``q = 2·noise+1``
# step values, ``g`` criteria), uniformly, and bytes at or above ``limit`` are drawn again.
# Per block of draws a table holds, for every pattern and every clipping profile present,
# ``Σ pᵢ·δᵢ`` with the clipped step ``δᵢ = clip(sᵢ + uᵢ) - sᵢ``: scores at a whole number near
# a bound (1 or 10 for noise 1) have their own profile, so clipping costs nothing extra;
# other scores near a bound (means such as 1.5) get an exact correction. The noisy axis is
# then the matrix product of the unperturbed scores with the drawn weights plus one table
# look-up per group. Random numbers come from one stream per block of draws, consumed in
# fixed blocks of accounts, so the result depends on the seed only (not on threads).

_DRAW_BLOCK = 4
_ACCOUNT_BLOCK = 32768
_BYTE_VALUES = 256
SENSITIVITY_TOLERANCE = 1e-5
"""Drawn axis values within this distance below a cut line count as on it (float32 rounding)."""

Float32Array = NDArray[np.float32]
IntpArray = NDArray[np.intp]


@dataclass(frozen=True)
class _NoiseCode:
    """How a byte encodes the steps of up to ``size`` criteria (see the comment above)."""

    steps: Float32Array  # (q,) the step values -noise..noise
    size: int  # criteria per byte
    patterns: int  # q ** size
    limit: int  # bytes below this are used, as pattern = byte % patterns
    digits: NDArray[np.intp]  # (size, 256): step index of criterion i for each byte


def _noise_code(noise: int) -> _NoiseCode:
    q = 2 * noise + 1
    size = 1
    while q > 1 and q ** (size + 1) <= _BYTE_VALUES:
        size += 1
    patterns = q**size
    limit = (_BYTE_VALUES // patterns) * patterns
    byte = np.arange(_BYTE_VALUES) % patterns
    digits = np.stack([(byte // q**i) % q for i in range(size)]).astype(np.intp)
    return _NoiseCode(
        steps=np.arange(-noise, noise + 1, dtype=np.float32),
        size=size,
        patterns=patterns,
        limit=limit,
        digits=digits,
    )


@dataclass(frozen=True)
class _Group:
    """Up to ``code.size`` criteria of one axis whose noise one byte per draw encodes.

    ``deltas`` is (criteria, profiles × 256): the clipped step of each criterion for every
    profile present and every byte; ``offsets`` the start of each account's profile in a
    row of the table; ``corrections`` the exact extra step of scores near a bound that are
    not whole numbers, as (criterion, account positions, (accounts, q) extra steps).
    """

    axis: int  # 0 attractiveness, 1 strength
    weight_columns: IntpArray  # columns of that axis's drawn weights
    scale: float  # 1, or -cut for the competitor's strength (us - cut·them >= 0)
    profiles: int
    deltas: Float32Array
    offsets: IntpArray
    corrections: tuple[tuple[int, IntpArray, Float32Array], ...]


def _split(columns: Sequence[int], size: int) -> list[list[int]]:
    """Columns in groups of at most ``size``, as equal as possible."""
    n = len(columns)
    parts = -(-n // size)
    bounds = [round(i * n / parts) for i in range(parts + 1)]
    return [list(columns[bounds[i] : bounds[i + 1]]) for i in range(parts)]


def _group(
    axis: int,
    weight_columns: list[int],
    scale: float,
    values: FloatArray,
    active: BoolArray,
    code: _NoiseCode,
) -> _Group:
    """Profiles, step tables and corrections of one group; ``values`` is (accounts, criteria).

    Accounts where ``active`` is False get a profile whose steps are all zero (the
    competitor's group of accounts on the absolute strength axis).
    """
    steps = code.steps.astype(np.float64)
    n, k = values.shape
    n_profile = int(SCORE_MAX) + 1
    # profile 0: unclipped; profile v (1..10): a whole score v whose steps clipping changes
    codes = np.zeros(n, dtype=np.int64)
    corrections = []
    for i in range(k):
        # true[a, s]: the step the score of account a really takes for step index s
        true = np.clip(values[:, i, None] + steps, SCORE_MIN, SCORE_MAX) - values[:, i, None]
        clipped = (true != steps).any(axis=1) & active
        whole = values[:, i] == np.round(values[:, i])
        profile = np.where(clipped & whole, np.round(values[:, i]), 0).astype(np.int64)
        codes += profile * n_profile**i
        rows = np.flatnonzero(clipped & ~whole)
        if rows.size:
            extra = (true[rows] - steps).astype(np.float32)
            corrections.append((i, rows.astype(np.intp), extra))
    zero = n_profile**k
    codes[~active] = zero
    present, which = np.unique(codes, return_inverse=True)
    deltas = np.zeros((k, len(present), _BYTE_VALUES), dtype=np.float64)
    for c, pcode in enumerate(present.tolist()):
        if pcode == zero:
            continue
        for i in range(k):
            v = (pcode // n_profile**i) % n_profile
            step_values = steps if v == 0 else np.clip(v + steps, SCORE_MIN, SCORE_MAX) - v
            deltas[i, c, : code.limit] = step_values[code.digits[i, : code.limit]]
    return _Group(
        axis=axis,
        weight_columns=np.asarray(weight_columns, dtype=np.intp),
        scale=scale,
        profiles=len(present),
        deltas=deltas.reshape(k, -1).astype(np.float32),
        offsets=(which.reshape(-1) * _BYTE_VALUES).astype(np.intp),
        corrections=tuple(corrections),
    )


def _bytes(bitgen: np.random.BitGenerator, count: int, limit: int) -> NDArray[np.uint8]:
    """``count`` random bytes, each uniform below ``limit`` (bytes at or above it redrawn)."""

    def draw(k: int) -> NDArray[np.uint8]:
        raw = bitgen.random_raw(-(-k // 8)).astype("<u8", copy=False)
        return np.asarray(raw.view(np.uint8)[:k])

    out = draw(count)
    if limit < _BYTE_VALUES:
        redo = np.flatnonzero(out >= limit)
        while redo.size:
            fresh = draw(redo.size)
            out[redo] = fresh
            redo = redo[fresh >= limit]
    return out


def _quantised_dirichlet(rng: np.random.Generator, alpha: FloatArray, draws: int) -> Float32Array:
    """Dirichlet weights rounded to multiples of 2⁻²⁰ that sum to exactly 1.

    On that grid a weighted sum of whole scores is exact in float32, so an account whose
    drawn scores all sit on a cut line lands on it exactly, as the method wants.
    """
    p = rng.dirichlet(alpha, size=draws)
    grid = 2.0**20
    q = np.round(p * grid) / grid
    top = np.argmax(q, axis=1)
    rows = np.arange(draws)
    q[rows, top] = 0.0
    q[rows, top] = 1.0 - q.sum(axis=1)
    return q.astype(np.float32)


def _count_blocks(
    tasks: Sequence[tuple[int, int]],
    *,
    seed: int,
    pa: Float32Array,
    ps: Float32Array,
    groups: Sequence[_Group],
    code: _NoiseCode,
    a_scores: Float32Array,
    s_scores: Float32Array,
    s_constant: Float32Array,
    a_constant: float,
) -> NDArray[np.int64]:
    """Box counts (accounts × 4) over the draw blocks ``tasks``, each ``(first, last)``.

    A block is a few draws across many accounts: the look-up tables of one draw then stay
    in the processor's cache while all those accounts use them.
    """
    n = a_scores.shape[1]
    counts = np.zeros((n, len(BOXES)), dtype=np.int64)
    for task in tasks:
        _count_block(
            task,
            counts,
            seed=seed,
            pa=pa,
            ps=ps,
            groups=groups,
            code=code,
            a_scores=a_scores,
            s_scores=s_scores,
            s_constant=s_constant,
            a_constant=a_constant,
        )
    return counts


def _count_block(
    task: tuple[int, int],
    counts: NDArray[np.int64],
    *,
    seed: int,
    pa: Float32Array,
    ps: Float32Array,
    groups: Sequence[_Group],
    code: _NoiseCode,
    a_scores: Float32Array,
    s_scores: Float32Array,
    s_constant: Float32Array,
    a_constant: float,
) -> None:
    """Add the box counts of the draws ``task = (first, last)`` to ``counts``."""
    first, last = task
    db = last - first
    bitgen = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(1, first)))
    weights = (pa[first:last], ps[first:last])
    both = np.concatenate([weights[1], weights[1]], axis=1)
    # einsum rather than ``@``: these products are small, and a multi-threaded BLAS
    # spinning up its threads for each of them costs more than the product itself
    tables = [
        np.einsum("dk,kt->dt", weights[g.axis][:, g.weight_columns] * np.float32(g.scale), g.deltas)
        for g in groups
    ]
    n = a_scores.shape[1]
    tol = np.float32(-SENSITIVITY_TOLERANCE)
    for start in range(0, n, _ACCOUNT_BLOCK):
        stop = min(start + _ACCOUNT_BLOCK, n)
        c = stop - start
        raw = _bytes(bitgen, len(groups) * db * c, code.limit).reshape(len(groups), db, c)
        axes = [
            np.einsum("dk,kn->dn", weights[0], a_scores[:, start:stop]) + np.float32(a_constant),
            np.einsum("dk,kn->dn", both, s_scores[:, start:stop]) + s_constant[start:stop],
        ]
        index = np.empty((db, c), dtype=np.intp)
        looked_up = np.empty((db, c), dtype=np.float32)
        for k, (g, table) in enumerate(zip(groups, tables, strict=True)):
            row = np.arange(db, dtype=np.intp)[:, None] * (g.profiles * _BYTE_VALUES)
            np.add(row, g.offsets[None, start:stop], out=index)
            np.add(index, raw[k], out=index)
            np.take(table, index, out=looked_up, mode="clip")
            axes[g.axis] += looked_up
            for i, rows, extra in g.corrections:
                lo, hi = np.searchsorted(rows, (start, stop))
                if lo == hi:
                    continue
                cols = rows[lo:hi] - start
                step = code.digits[i][raw[k][:, cols]]  # (db, m) step index per draw
                add = np.take_along_axis(extra[lo:hi][None, :, :], step[:, :, None], axis=2)
                w = weights[g.axis][:, g.weight_columns[i]] * np.float32(g.scale)
                axes[g.axis][:, cols] += w[:, None] * add[:, :, 0]
        attractive = axes[0] >= tol
        strong = axes[1] >= tol
        n_att = np.count_nonzero(attractive, axis=0)
        n_strong = np.count_nonzero(strong, axis=0)
        n_key = np.count_nonzero(attractive & strong, axis=0)
        # BOXES order: key, key development, maintenance, opportunistic
        counts[start:stop, 0] += n_key
        counts[start:stop, 1] += n_att - n_key
        counts[start:stop, 2] += n_strong - n_key
        counts[start:stop, 3] += db - n_att - n_strong + n_key


def sensitivity(
    scheme: Scheme,
    scores: FloatArray,
    competitor_scores: FloatArray,
    *,
    draws: int = 1000,
    seed: int = 0,
    concentration: float = 100.0,
    noise: int = 1,
    workers: int | None = None,
) -> FloatArray:
    """Probability of each box (columns in ``BOXES`` order) per account; NaN rows when not placed.

    Implements the sensitivity analysis of docs/method.md section 1. Each draw takes weights
    from ``Dirichlet(concentration · w / 100)`` per axis (the same draw for every account,
    as a change of mind about weights would be; rounded to multiples of 2⁻²⁰ that sum to 1)
    and moves every score of every account independently by a whole step in
    ``[-noise, noise]``, all steps equally likely, clipped to 1-10. The competitor's scores
    move independently of ours. The strength axis of an account stays the one
    ``classify_scores`` chose for it, with the same cut lines; a drawn point less than
    ``SENSITIVITY_TOLERANCE`` below a line counts as on it (the upper box).

    The same seed gives the same result, whatever ``workers`` is (threads, default up to
    four; numpy releases the interpreter lock in the heavy steps). Memory is bounded:
    accounts are handled in blocks of 32,768 and draws in blocks of 4, so a worker needs a
    few megabytes besides the inputs. ``seed`` is a whole number from 0; scores of placed
    accounts (and competitor scores on the relative axis) must lie in 1-10.
    """
    if draws < 1:
        raise ValueError("draws must be at least 1")
    if not concentration > 0:
        raise ValueError("concentration must be above 0")
    if not 0 <= noise <= 9:
        raise ValueError("noise must be a whole number of steps from 0 to 9")
    scores = np.asarray(scores, dtype=np.float64)
    competitor_scores = np.asarray(competitor_scores, dtype=np.float64)
    base = classify_scores(scheme, scores, competitor_scores)
    out = np.full((scores.shape[0], len(BOXES)), np.nan)
    placed = np.flatnonzero(base.box != NOT_PLACED)
    if placed.size == 0:
        return out
    ka = len(scheme.attractiveness)
    ks = len(scheme.strength)
    used = np.concatenate(
        [scores[placed].ravel(), competitor_scores[placed[base.relative[placed]], ka:].ravel()]
    )
    if used.size and not ((used >= SCORE_MIN) & (used <= SCORE_MAX)).all():
        raise ValueError("scores must lie between 1 and 10")
    wa, ws = _weights(scheme)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    pa = _quantised_dirichlet(rng, concentration * wa / 100.0, draws)
    ps = _quantised_dirichlet(rng, concentration * ws / 100.0, draws)

    ours = scores[placed]
    theirs = np.nan_to_num(competitor_scores[placed, ka:])
    relative = base.relative[placed]
    cut_rel = scheme.strength_cut_relative
    # attractiveness - cut >= 0; strength: us - cut·them >= 0 or us - cut >= 0
    a_scores = np.ascontiguousarray(ours[:, :ka].T, dtype=np.float32)
    them = np.where(relative[:, None], -cut_rel * theirs, 0.0)
    s_scores = np.ascontiguousarray(np.concatenate([ours[:, ka:], them], axis=1).T, np.float32)
    s_constant = np.where(relative, 0.0, -scheme.strength_cut_absolute).astype(np.float32)

    code = _noise_code(noise)
    groups: list[_Group] = []
    if noise > 0:
        everyone = np.ones(len(placed), dtype=np.bool_)
        for cols in _split(range(ka), code.size):
            groups.append(_group(0, cols, 1.0, ours[:, cols], everyone, code))
        for cols in _split(range(ks), code.size):
            groups.append(_group(1, cols, 1.0, ours[:, [ka + j for j in cols]], everyone, code))
        if relative.any():
            for cols in _split(range(ks), code.size):
                groups.append(_group(1, cols, -cut_rel, theirs[:, cols], relative, code))

    tasks = [(d, min(d + _DRAW_BLOCK, draws)) for d in range(0, draws, _DRAW_BLOCK)]
    n_workers = max(1, min(workers or min(os.cpu_count() or 1, 4), len(tasks)))
    run = partial(
        _count_blocks,
        seed=seed,
        pa=pa,
        ps=ps,
        groups=groups,
        code=code,
        a_scores=a_scores,
        s_scores=s_scores,
        s_constant=s_constant,
        a_constant=-scheme.attractiveness_cut,
    )
    shares = [tasks[i::n_workers] for i in range(n_workers)]
    if n_workers == 1:
        counts = run(tasks)
    else:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            counts = sum(pool.map(run, shares), np.zeros((len(placed), len(BOXES)), np.int64))
    out[placed] = counts / draws
    return out


def uncertain(probabilities: FloatArray, *, threshold: float = 0.8) -> BoolArray:
    """Accounts whose most likely box has a probability below ``threshold`` (placed ones only)."""
    with np.errstate(invalid="ignore"):
        best = np.nanmax(np.where(np.isnan(probabilities), -1.0, probabilities), axis=1)
    return np.asarray((best >= 0) & (best < threshold - EPS), dtype=np.bool_)
