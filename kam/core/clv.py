"""Predicted future value of many transactional customers: BG/NBD and Gamma-Gamma
(docs/method.md section 6, "Predicted future value").

Two models, each fitted by maximum likelihood:

- **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing
  Science 24(2)). While alive, a customer buys as a Poisson process with rate λ; λ is Gamma
  distributed over customers (shape ``r``, rate ``alpha``, in weeks). After each purchase
  the customer drops out with probability p; p is Beta(``a``, ``b``) distributed.
- **Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for
  customer base analysis", Journal of Marketing Research 42(4); Fader & Hardie 2013, "The
  Gamma-Gamma model of monetary value"). The value of each purchase is Gamma(``p``, ν); ν is
  Gamma(``q``, ``gamma``) over customers; spend is independent of the purchase process.

Conventions of that literature, which :class:`PurchaseSummary` carries:

- time is in **weeks**;
- all lines of one customer on one day are **one purchase**, whatever their amount;
- the calibration window runs from each customer's first purchase to the calibration end:
  ``frequency`` x = purchase days after the first one (repeat purchases), ``recency_weeks``
  t_x = weeks from the first to the last purchase, ``age_weeks`` T = weeks from the first
  purchase to the calibration end;
- the spend model uses the **repeat** purchases whose value is positive: ``spend_count`` of
  them with ``mean_spend`` as their mean value.

Validated on the CDNOW sample (2,357 customers, calibration to 1997-09-30):
BG/NBD r = 0.243, α = 4.414, a = 0.793, b = 2.426, log-likelihood −9582.4 (Fader, Hardie &
Lee 2005); Gamma-Gamma p = 6.25, q = 3.74, γ = 15.44 (Fader & Hardie 2013). See
tests/core/test_clv.py.

Pure numpy/scipy; no Django, no files.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

FloatArray = npt.NDArray[np.float64]

WEEKS_PER_YEAR = 365.25 / 7
"""Weeks in an average year: converts a yearly discount rate to weeks."""

LOG_BOUND = 15.0
"""Fitted parameters live in [e^-15, e^15]; an estimate at that edge means the data do not
identify the model (for example: nobody bought twice), and the fit is refused."""

_A_NEAR_ONE = 1e-9


def gettext_noop(message: str) -> str:
    """Marks a message for translation without translating it (kam.core has no Django)."""
    return message


class ClvFitError(ValueError):
    """The data cannot identify the model; ``message`` says why in words a user can act on
    (English, marked for translation: the edge translates it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters: purchase rate λ ~ Gamma(r, alpha) per week, drop-out
    probability after each purchase p ~ Beta(a, b); ``log_likelihood`` of the data fitted
    (natural log, summed over customers; NaN when the parameters were given, not fitted)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = math.nan


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters: value of a purchase ~ Gamma(p, ν), ν ~ Gamma(q, gamma).

    The population's mean value of a purchase is ``p * gamma / (q - 1)`` (q > 1)."""

    p: float
    q: float
    gamma: float


def _array(name: str, values: npt.ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite")
    return array


@dataclass(frozen=True)
class PurchaseSummary:
    """Per customer: the calibration-period history the two models need (see module docs).

    ``frequency`` and ``spend_count`` are whole numbers ≥ 0 (stored as floats),
    0 ≤ ``recency_weeks`` ≤ ``age_weeks``, ``recency_weeks`` = 0 when ``frequency`` = 0,
    ``spend_count`` ≤ ``frequency``, ``mean_spend`` (currency per purchase) is the mean value
    of the ``spend_count`` positive repeat purchases and 0 when there are none.
    """

    accounts: tuple[str, ...]
    frequency: FloatArray
    recency_weeks: FloatArray
    age_weeks: FloatArray
    spend_count: FloatArray
    mean_spend: FloatArray

    @classmethod
    def of(
        cls,
        *,
        accounts: tuple[str, ...] | list[str],
        frequency: npt.ArrayLike,
        recency_weeks: npt.ArrayLike,
        age_weeks: npt.ArrayLike,
        spend_count: npt.ArrayLike | None = None,
        mean_spend: npt.ArrayLike | None = None,
    ) -> PurchaseSummary:
        """Build and check a summary; without spend data every purchase counts with value 0."""
        x = _array("frequency", frequency)
        return cls(
            accounts=tuple(accounts),
            frequency=x,
            recency_weeks=_array("recency_weeks", recency_weeks),
            age_weeks=_array("age_weeks", age_weeks),
            spend_count=_array(
                "spend_count", np.zeros_like(x) if spend_count is None else spend_count
            ),
            mean_spend=_array("mean_spend", np.zeros_like(x) if mean_spend is None else mean_spend),
        )

    def __post_init__(self) -> None:
        n = len(self.accounts)
        for name in ("frequency", "recency_weeks", "age_weeks", "spend_count", "mean_spend"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"{name} must have one value per account ({n})")
        _check_history(self.frequency, self.recency_weeks, self.age_weeks)
        if np.any(self.spend_count < 0) or np.any(self.spend_count != np.round(self.spend_count)):
            raise ValueError("spend_count must be whole numbers of 0 or more")
        if np.any(self.spend_count > self.frequency):
            raise ValueError("spend_count cannot exceed frequency")
        if np.any((self.spend_count > 0) & (self.mean_spend <= 0)):
            raise ValueError("mean_spend must be positive where spend_count > 0")


def _check_history(x: FloatArray, t_x: FloatArray, age: FloatArray) -> None:
    if not (x.shape == t_x.shape == age.shape):
        raise ValueError("frequency, recency_weeks and age_weeks must have the same length")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be whole numbers of 0 or more")
    if np.any(t_x < 0) or np.any(t_x > age * (1 + 1e-12)):
        raise ValueError("recency_weeks must lie between 0 and age_weeks")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("recency_weeks must be 0 when frequency is 0")


# --- BG/NBD ---------------------------------------------------------------------------------


def _bgnbd_ll(
    r: float, alpha: float, a: float, b: float, x: FloatArray, t_x: FloatArray, age: FloatArray
) -> FloatArray:
    """Per-customer log-likelihood, Fader, Hardie & Lee (2005) equation (6), in logs."""
    common = special.gammaln(r + x) - special.gammaln(r) + r * math.log(alpha)
    beta_ab = special.betaln(a, b)
    still = special.betaln(a, b + x) - beta_ab - (r + x) * np.log(alpha + age)
    repeat = x > 0
    gone = np.full_like(x, -np.inf)
    xr = x[repeat]
    gone[repeat] = (
        special.betaln(a + 1, b + xr - 1) - beta_ab - (r + xr) * np.log(alpha + t_x[repeat])
    )
    ll: FloatArray = common + np.logaddexp(still, gone)
    return ll


def _bgnbd_gradient(
    r: float, alpha: float, a: float, b: float, x: FloatArray, t_x: FloatArray, age: FloatArray
) -> FloatArray:
    """Per-customer derivatives of :func:`_bgnbd_ll` by (r, α, a, b), shape (n, 4).

    With LL = A + log(e^B₁ + e^B₂) and w₁ = e^B₁ / (e^B₁ + e^B₂), w₂ = 1 − w₁ (0 for x = 0):
    ∂LL = ∂A + w₁ ∂B₁ + w₂ ∂B₂, where ψ is the digamma function, ∂B/∂a and ∂B/∂b come from
    ∂ ln B(u, v)/∂u = ψ(u) − ψ(u + v)."""
    psi = special.digamma
    beta_ab = special.betaln(a, b)
    log_age, log_recency = np.log(alpha + age), np.log(alpha + t_x)
    still = special.betaln(a, b + x) - beta_ab - (r + x) * log_age
    gone = np.full_like(x, -np.inf)
    repeat = x > 0
    gone[repeat] = (
        special.betaln(a + 1, b + x[repeat] - 1) - beta_ab - (r + x[repeat]) * log_recency[repeat]
    )
    w_still = special.expit(still - gone)
    w_gone = 1.0 - w_still
    psi_total = psi(a + b + x)
    d_ab_a, d_ab_b = psi(a) - psi(a + b), psi(b) - psi(a + b)
    b_gone = np.where(repeat, b + x - 1, 1.0)  # ψ(b + x − 1) is only needed where x > 0
    grad = np.empty((x.size, 4))
    grad[:, 0] = psi(r + x) - psi(r) + math.log(alpha) - w_still * log_age - w_gone * log_recency
    grad[:, 1] = r / alpha - (r + x) * (w_still / (alpha + age) + w_gone / (alpha + t_x))
    grad[:, 2] = w_still * (psi(a + b) - psi_total) + w_gone * (psi(a + 1) - psi_total - d_ab_a)
    grad[:, 3] = w_still * (psi(b + x) - psi_total - d_ab_b) + w_gone * (
        psi(b_gone) - psi_total - d_ab_b
    )
    return grad


def _dot(u: FloatArray, v: FloatArray) -> float:
    """Σ u·v without BLAS: a BLAS dot product may start threads, which on a busy machine
    made one likelihood evaluation of 40,000 customers take 20 ms instead of 0.1 ms."""
    return float(np.sum(u * v))


@dataclass(frozen=True)
class _Histories:
    """Distinct (x, t_x, T) rows with their counts, each column also as indices into its own
    distinct values: the special functions of the likelihood depend on x alone and the logs
    on t_x or T alone, so a fit evaluates them once per distinct value, not per customer."""

    weight: FloatArray
    x: FloatArray
    xs: FloatArray
    ix: npt.NDArray[np.intp]
    recencies: FloatArray
    it: npt.NDArray[np.intp]
    ages: FloatArray
    ia: npt.NDArray[np.intp]

    @classmethod
    def of(cls, x: FloatArray, t_x: FloatArray, age: FloatArray) -> _Histories:
        (ux, ut, uage), weight, _ = _unique_rows(x, t_x, age)
        xs, ix = np.unique(ux, return_inverse=True)
        recencies, it = np.unique(ut, return_inverse=True)
        ages, ia = np.unique(uage, return_inverse=True)
        return cls(weight, ux, xs, ix, recencies, it, ages, ia)


def _bgnbd_value_and_gradient(
    r: float, alpha: float, a: float, b: float, h: _Histories
) -> tuple[float, FloatArray]:
    """Σ weight × :func:`_bgnbd_ll` and Σ weight × :func:`_bgnbd_gradient`, computed on the
    distinct values of ``h`` (the same numbers, far fewer special-function calls)."""
    psi, betaln = special.digamma, special.betaln
    xs, x = h.xs, h.x
    beta_ab = betaln(a, b)
    repeat_s = xs > 0
    b_gone_s = np.where(repeat_s, b + xs - 1, 1.0)
    per_x_common = special.gammaln(r + xs) - special.gammaln(r)
    per_x_still = betaln(a, b + xs) - beta_ab
    per_x_gone = np.where(repeat_s, betaln(a + 1, b_gone_s) - beta_ab, -np.inf)
    psi_total_s = psi(a + b + xs)
    log_age_s, log_recency_s = np.log(alpha + h.ages), np.log(alpha + h.recencies)
    log_age, log_recency = log_age_s[h.ia], log_recency_s[h.it]
    still = per_x_still[h.ix] - (r + x) * log_age
    gone = per_x_gone[h.ix] - (r + x) * log_recency
    ll = per_x_common[h.ix] + r * math.log(alpha) + np.logaddexp(still, gone)
    value = _dot(h.weight, ll)
    w_still = special.expit(still - gone)
    w_gone = 1.0 - w_still
    ww_still, ww_gone = h.weight * w_still, h.weight * w_gone
    d_ab_a, d_ab_b = psi(a) - psi(a + b), psi(b) - psi(a + b)

    def per_x(values: FloatArray, weights: FloatArray) -> float:
        # Σ_rows weights × values[ix] without gathering: add the weights up per distinct x
        return _dot(
            np.bincount(h.ix, weights=weights, minlength=xs.size).astype(np.float64), values
        )

    total = float(h.weight.sum())
    grad = np.empty(4)
    grad[0] = (
        per_x(psi(r + xs), h.weight)
        - total * psi(r)
        + total * math.log(alpha)
        - _dot(ww_still, log_age)
        - _dot(ww_gone, log_recency)
    )
    grad[1] = total * r / alpha - _dot(
        (r + x) * (w_still / (alpha + h.ages[h.ia]) + w_gone / (alpha + h.recencies[h.it])),
        h.weight,
    )
    grad[2] = per_x(psi(a + b) - psi_total_s, ww_still) + per_x(
        psi(a + 1) - psi_total_s - d_ab_a, ww_gone
    )
    grad[3] = per_x(psi(b + xs) - psi_total_s - d_ab_b, ww_still) + per_x(
        np.where(repeat_s, psi(b_gone_s) - psi_total_s - d_ab_b, 0.0), ww_gone
    )
    return value, grad


def bgnbd_log_likelihood(
    params: BgNbdParams,
    *,
    frequency: npt.ArrayLike,
    recency_weeks: npt.ArrayLike,
    age_weeks: npt.ArrayLike,
) -> float:
    """The BG/NBD log-likelihood (natural log, summed over customers) of ``params``."""
    x, t_x, age = _history(frequency, recency_weeks, age_weeks)
    return float(np.sum(_bgnbd_ll(params.r, params.alpha, params.a, params.b, x, t_x, age)))


def _history(
    frequency: npt.ArrayLike, recency_weeks: npt.ArrayLike, age_weeks: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x = _array("frequency", frequency)
    t_x = _array("recency_weeks", recency_weeks)
    age = _array("age_weeks", age_weeks)
    _check_history(x, t_x, age)
    return x, t_x, age


def _maximise(
    negative_ll: Callable[[FloatArray], tuple[float, FloatArray]],
    starts: list[FloatArray],
    messages: tuple[str, str],
) -> FloatArray:
    """Minimise ``negative_ll`` (value and analytic gradient) over log-parameters in
    [−LOG_BOUND, LOG_BOUND] from each start with L-BFGS-B (tight tolerances) and return the
    best: several starts guard against a poor local optimum; on CDNOW all starts agree to
    five digits. ``messages``: why the fit is refused when the likelihood cannot be evaluated
    at any start, and when the estimate runs off to the bounds."""
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(starts[0])
    best: FloatArray | None = None
    best_value = math.inf
    for start in starts:
        result = optimize.minimize(
            negative_ll,
            start,
            method="L-BFGS-B",
            jac=True,
            bounds=bounds,
            options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 2000},
        )
        if np.isfinite(result.fun) and result.fun < best_value:
            best, best_value = np.asarray(result.x, dtype=np.float64), float(result.fun)
    if best is None:
        raise ClvFitError(messages[0])
    if np.any(np.abs(best) > LOG_BOUND - 0.5):
        raise ClvFitError(messages[1])
    return best


def _unique_rows(
    *columns: FloatArray,
) -> tuple[tuple[FloatArray, ...], FloatArray, npt.NDArray[np.intp]]:
    """Distinct rows of ``columns`` with their counts and the inverse index."""
    stacked = np.column_stack(columns)
    rows, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    return (
        tuple(np.ascontiguousarray(rows[:, j]) for j in range(rows.shape[1])),
        counts.astype(np.float64),
        inverse.reshape(-1),
    )


def bgnbd_fit(
    *, frequency: npt.ArrayLike, recency_weeks: npt.ArrayLike, age_weeks: npt.ArrayLike
) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters for customers' (x, t_x, T) histories in weeks.

    Maximises the log-likelihood of Fader, Hardie & Lee (2005) over the logs of (r, α, a, b)
    with L-BFGS-B and the analytic gradient from three starting points, keeping the best.
    Customers with the same history are counted once with a weight. Raises
    :class:`ClvFitError` when there are fewer than two customers or nobody bought twice, or
    when the estimate runs off.
    """
    x, t_x, age = _history(frequency, recency_weeks, age_weeks)
    if x.size < 2:
        raise ClvFitError(gettext_noop("the purchase model needs at least two customers"))
    if not np.any(x > 0):
        raise ClvFitError(
            gettext_noop("the purchase model needs at least one customer who bought twice")
        )
    histories = _Histories.of(x, t_x, age)

    def negative_ll(theta: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(theta)
        r, alpha, a, b = (float(v) for v in params)
        value, gradient = _bgnbd_value_and_gradient(r, alpha, a, b, histories)
        if not math.isfinite(value):
            return 1e300, np.zeros(4)
        # chain rule for the log-parameters: ∂/∂ log θ = θ ∂/∂θ
        log_gradient: FloatArray = -gradient * params
        return -value, log_gradient

    mean_age = float(np.mean(age))
    starts = [
        np.log(np.array([1.0, mean_age, 1.0, 1.0])),
        np.log(np.array([0.5, max(mean_age / 4, 1e-3), 0.5, 2.0])),
        np.log(np.array([0.1, 0.1, 0.1, 0.1])),
    ]
    theta = _maximise(
        negative_ll,
        starts,
        (
            gettext_noop("the purchase model cannot be evaluated on these data"),
            gettext_noop(
                "the purchase model is not identified by these data (a parameter runs off "
                "to 0 or infinity); it needs more customers with repeat purchases"
            ),
        ),
    )
    r, alpha, a, b = (float(v) for v in np.exp(theta))
    return BgNbdParams(r=r, alpha=alpha, a=a, b=b, log_likelihood=-negative_ll(theta)[0])


def _log_odds_gone(
    params: BgNbdParams, x: FloatArray, t_x: FloatArray, age: FloatArray
) -> FloatArray:
    """log[a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)] for x > 0, −∞ for x = 0."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    out = np.full_like(x, -np.inf)
    m = x > 0
    out[m] = (
        math.log(a)
        - np.log(b + x[m] - 1)
        + (r + x[m]) * (np.log(alpha + age[m]) - np.log(alpha + t_x[m]))
    )
    return out


def bgnbd_probability_alive(
    params: BgNbdParams,
    *,
    frequency: npt.ArrayLike,
    recency_weeks: npt.ArrayLike,
    age_weeks: npt.ArrayLike,
) -> FloatArray:
    """P(still buying at the calibration end | x, t_x, T), in [0, 1]; 1 when x = 0.

    Fader, Hardie & Lee (2005) equation (11): 1 / (1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^(r+x)).
    """
    x, t_x, age = _history(frequency, recency_weeks, age_weeks)
    alive: FloatArray = special.expit(-_log_odds_gone(params, x, t_x, age))
    return alive


def _expected_while_alive(
    params: BgNbdParams, x: FloatArray, age: FloatArray, horizon: FloatArray
) -> FloatArray:
    """(a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))].

    The hypergeometric term is evaluated after Euler's transformation,
    (1−z)^(r+x) ₂F₁(r+x, b+x; c; z) = (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; c; z) with
    c = a+b+x−1, whose first two parameters stay small for large x (numerically stable).
    Broadcasts ``x`` and ``age`` (column) against ``horizon`` (row).
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < _A_NEAR_ONE:
        # the closed form is 0/0 at a = 1; the function is continuous in a there
        a = 1.0 + _A_NEAR_ONE
    c = a + b + x - 1
    z = horizon / (alpha + age + horizon)
    inner = 1.0 - (1.0 - z) ** (a - 1.0) * special.hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    expected: FloatArray = (c / (a - 1.0)) * inner
    return expected


def bgnbd_expected_purchases(
    params: BgNbdParams,
    *,
    frequency: npt.ArrayLike,
    recency_weeks: npt.ArrayLike,
    age_weeks: npt.ArrayLike,
    horizon_weeks: float,
) -> FloatArray:
    """Expected purchases of each customer in the ``horizon_weeks`` after the calibration end,
    given the customer's history (Fader, Hardie & Lee 2005, equation (10)). ≥ 0, 0 for a
    horizon of 0, increasing in the horizon."""
    if not (math.isfinite(horizon_weeks) and horizon_weeks >= 0):
        raise ValueError("horizon_weeks must be 0 or more")
    x, t_x, age = _history(frequency, recency_weeks, age_weeks)
    if horizon_weeks == 0:
        return np.zeros_like(x)
    alive = special.expit(-_log_odds_gone(params, x, t_x, age))
    expected: FloatArray = _expected_while_alive(params, x, age, np.asarray(horizon_weeks)) * alive
    return np.maximum(expected, 0.0)


# --- Gamma-Gamma ----------------------------------------------------------------------------


def _spend(spend_count: npt.ArrayLike, mean_spend: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    count = _array("spend_count", spend_count)
    mean = _array("mean_spend", mean_spend)
    if count.shape != mean.shape:
        raise ValueError("spend_count and mean_spend must have the same length")
    if np.any(count < 0) or np.any((count > 0) & (mean <= 0)):
        raise ValueError("spend_count must be ≥ 0 and mean_spend > 0 where spend_count > 0")
    return count, mean


def _gamma_gamma_ll(p: float, q: float, gamma: float, x: FloatArray, m: FloatArray) -> FloatArray:
    """log f(m_x | p, q, γ; x) of Fader & Hardie (2013), equation (3), for x > 0."""
    px = p * x
    ll: FloatArray = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * math.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )
    return ll


def _gamma_gamma_gradient(
    p: float, q: float, gamma: float, x: FloatArray, m: FloatArray
) -> FloatArray:
    """Per-customer derivatives of :func:`_gamma_gamma_ll` by (p, q, γ), shape (n, 3)."""
    psi = special.digamma
    px = p * x
    log_total = np.log(gamma + m * x)
    grad = np.empty((x.size, 3))
    grad[:, 0] = x * (psi(px + q) - psi(px) + np.log(m) + np.log(x) - log_total)
    grad[:, 1] = psi(px + q) - psi(q) + math.log(gamma) - log_total
    grad[:, 2] = q / gamma - (px + q) / (gamma + m * x)
    return grad


def _gamma_gamma_value_and_gradient(
    p: float,
    q: float,
    gamma: float,
    weight: FloatArray,
    x: FloatArray,
    m: FloatArray,
    xs: FloatArray,
    ix: npt.NDArray[np.intp],
    log_m: FloatArray,
    log_x: FloatArray,
) -> tuple[float, FloatArray]:
    """Σ weight × :func:`_gamma_gamma_ll` and its gradient, with the special functions of
    p·x + q and p·x evaluated once per distinct x (``xs``, ``ix``) and the logs of m and x
    given."""
    psi = special.digamma
    pxs = p * xs
    per_x_ll = special.gammaln(pxs + q) - special.gammaln(pxs)
    per_x_psi = psi(pxs + q)
    per_x_psi_px = psi(pxs)
    px = p * x
    total_spend = gamma + m * x
    log_total = np.log(total_spend)
    total = float(weight.sum())
    ll = per_x_ll[ix] + (px - 1) * log_m + px * log_x - (px + q) * log_total
    value = _dot(weight, ll) + total * (q * math.log(gamma) - float(special.gammaln(q)))
    grad = np.empty(3)
    grad[0] = _dot(weight * x, per_x_psi[ix] - per_x_psi_px[ix] + log_m + log_x - log_total)
    grad[1] = _dot(weight, per_x_psi[ix] - log_total) + total * (math.log(gamma) - psi(q))
    grad[2] = total * q / gamma - _dot(weight, (px + q) / total_spend)
    return value, grad


def gamma_gamma_log_likelihood(
    params: GammaGammaParams, *, spend_count: npt.ArrayLike, mean_spend: npt.ArrayLike
) -> float:
    """The Gamma-Gamma log-likelihood of the customers with ``spend_count`` > 0."""
    count, mean = _spend(spend_count, mean_spend)
    m = count > 0
    return float(np.sum(_gamma_gamma_ll(params.p, params.q, params.gamma, count[m], mean[m])))


def gamma_gamma_fit(*, spend_count: npt.ArrayLike, mean_spend: npt.ArrayLike) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters from each customer's number of positive repeat
    purchases (``spend_count``) and their mean value (``mean_spend``); customers with none are
    left out, as in Fader & Hardie (2013). Fitted over log-parameters like :func:`bgnbd_fit`.

    Raises :class:`ClvFitError` with fewer than two customers with a repeat purchase, when all
    their mean values are equal, or when the estimate runs off.
    """
    count, mean = _spend(spend_count, mean_spend)
    m = count > 0
    if int(np.sum(m)) < 2:
        raise ClvFitError(
            gettext_noop("the spend model needs at least two customers with a repeat purchase")
        )
    if np.ptp(mean[m]) == 0:
        raise ClvFitError(gettext_noop("the spend model needs customers whose mean spend differs"))
    (ux, um), weight, _ = _unique_rows(count[m], mean[m])
    xs, ix = np.unique(ux, return_inverse=True)
    log_m, log_x = np.log(um), np.log(ux)

    def negative_ll(theta: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(theta)
        p, q, gamma = (float(v) for v in params)
        value, gradient = _gamma_gamma_value_and_gradient(
            p, q, gamma, weight, ux, um, xs, ix, log_m, log_x
        )
        if not math.isfinite(value):
            return 1e300, np.zeros(3)
        log_gradient: FloatArray = -gradient * params
        return -value, log_gradient

    scale = float(np.mean(mean[m]))
    starts = [
        np.log(np.array([1.0, 2.0, scale])),
        np.log(np.array([5.0, 3.0, scale])),
        np.log(np.array([0.5, 5.0, 10 * scale])),
    ]
    theta = _maximise(
        negative_ll,
        starts,
        (
            gettext_noop("the spend model cannot be evaluated on these data"),
            gettext_noop(
                "the spend model is not identified by these data (a parameter runs off "
                "to 0 or infinity); it needs more customers with repeat purchases"
            ),
        ),
    )
    p, q, gamma = (float(v) for v in np.exp(theta))
    return GammaGammaParams(p=p, q=q, gamma=gamma)


def gamma_gamma_expected_spend(
    params: GammaGammaParams, *, spend_count: npt.ArrayLike, mean_spend: npt.ArrayLike
) -> FloatArray:
    """Expected value of a customer's future purchases (currency per purchase), given x
    positive repeat purchases with mean value m_x (Fader & Hardie 2013, equation (5)):
    (γp + p·x·m_x) / (p·x + q − 1), a weighted mean of the population mean p·γ/(q−1) and m_x.

    Customers without repeat purchases get the population mean, which exists only when q > 1
    (otherwise :class:`ClvFitError`)."""
    count, mean = _spend(spend_count, mean_spend)
    p, q, gamma = params.p, params.q, params.gamma
    denominator = p * count + q - 1
    if np.any(denominator <= 0):
        raise ClvFitError(
            gettext_noop(
                "the fitted spend model has no finite mean spend (q ≤ 1) for customers with "
                "few repeat purchases"
            )
        )
    expected: FloatArray = (gamma * p + p * count * mean) / denominator
    return expected


# --- value ----------------------------------------------------------------------------------


def weekly_discount_factors(*, horizon_weeks: int, annual_discount_rate: float) -> FloatArray:
    """(1 + d)^(−w / 52.18) for weeks w = 1 … horizon: a purchase in week w is valued at the
    week's end with the yearly rate d converted to weeks."""
    if annual_discount_rate <= -1 or not math.isfinite(annual_discount_rate):
        raise ValueError("annual_discount_rate must be above −1")
    weeks = np.arange(1, horizon_weeks + 1, dtype=np.float64)
    factors: FloatArray = (1.0 + annual_discount_rate) ** (-weeks / WEEKS_PER_YEAR)
    return factors


@dataclass(frozen=True)
class ClvPrediction:
    """Per account (same order as the summary): expected purchases in the horizon, probability
    alive at the calibration end, expected value per purchase (currency) and the discounted
    expected value of the horizon's purchases (currency × ``margin``)."""

    accounts: tuple[str, ...]
    horizon_weeks: int
    annual_discount_rate: float
    expected_purchases: FloatArray
    probability_alive: FloatArray
    expected_spend: FloatArray
    expected_value: FloatArray


def clv_predict(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams | None,
    summary: PurchaseSummary,
    *,
    horizon_weeks: int,
    annual_discount_rate: float = 0.0,
    margin: float = 1.0,
) -> ClvPrediction:
    """Each account's expected purchases and discounted expected value over ``horizon_weeks``.

    Discounting (weekly, discrete): the expected purchases of week w are
    E[Y(w)] − E[Y(w−1)] (BG/NBD, conditional on the history), each worth the Gamma-Gamma
    expected spend × ``margin`` (1 = value as revenue; a gross margin fraction gives margin),
    discounted by (1 + d)^(−w/52.18) with d the yearly ``annual_discount_rate``:

        value = margin · E[M] · Σ_{w=1..H} (E[Y(w)] − E[Y(w−1)]) · (1 + d)^(−w/52.18)

    At d = 0 this is margin · E[M] · E[Y(H)]. This is the discrete form used by the lifetimes
    library (its ``customer_lifetime_value``, here per week), not the continuous DERT.

    Without a spend model (``gamma_gamma`` None: it could not be fitted) the expected
    purchases and probabilities are given and the expected spend and value are NaN.
    """
    if horizon_weeks < 0 or int(horizon_weeks) != horizon_weeks:
        raise ValueError("horizon_weeks must be a whole number of 0 or more")
    if not math.isfinite(margin):
        raise ValueError("margin must be finite")
    horizon = int(horizon_weeks)
    x, t_x, age = summary.frequency, summary.recency_weeks, summary.age_weeks
    alive = special.expit(-_log_odds_gone(bgnbd, x, t_x, age))
    if gamma_gamma is None:
        spend = np.full_like(x, np.nan)
    else:
        spend = gamma_gamma_expected_spend(
            gamma_gamma, spend_count=summary.spend_count, mean_spend=summary.mean_spend
        )
    if horizon == 0:
        zeros = np.zeros_like(x)
        return ClvPrediction(
            summary.accounts, 0, annual_discount_rate, zeros, alive, spend, zeros.copy()
        )
    # E[Y(w)] depends on (x, T) and alive only: evaluate once per distinct (x, T)
    (ux, uage), _, inverse = _unique_rows(x, age)
    weeks = np.arange(0, horizon + 1, dtype=np.float64)
    while_alive = _expected_while_alive(bgnbd, ux[:, None], uage[:, None], weeks[None, :])
    while_alive = np.maximum.accumulate(np.maximum(while_alive, 0.0), axis=1)
    per_week = np.diff(while_alive, axis=1)
    factors = weekly_discount_factors(
        horizon_weeks=horizon, annual_discount_rate=annual_discount_rate
    )
    discounted = np.sum(per_week * factors, axis=1)[inverse] * alive
    expected = while_alive[:, -1][inverse] * alive
    return ClvPrediction(
        accounts=summary.accounts,
        horizon_weeks=horizon,
        annual_discount_rate=annual_discount_rate,
        expected_purchases=expected,
        probability_alive=alive,
        expected_spend=spend,
        expected_value=margin * spend * discounted,
    )


@dataclass(frozen=True)
class ClvModel:
    """Both fitted models and the number of customers each was fitted on.

    ``gamma_gamma`` is None when the spend model could not be fitted (only with
    ``clv_fit(..., spend_required=False)``); ``spend_problem`` then says why (English, marked
    for translation)."""

    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams | None
    customers: int
    spend_customers: int
    spend_problem: str | None = None


def spend_fit(summary: PurchaseSummary) -> GammaGammaParams:
    """Gamma-Gamma fitted on the customers of ``summary`` with positive repeat purchases, and
    checked to give every customer a finite expected spend. Raises :class:`ClvFitError`."""
    params = gamma_gamma_fit(spend_count=summary.spend_count, mean_spend=summary.mean_spend)
    gamma_gamma_expected_spend(
        params, spend_count=summary.spend_count, mean_spend=summary.mean_spend
    )
    return params


def clv_fit(summary: PurchaseSummary, *, spend_required: bool = True) -> ClvModel:
    """Fit BG/NBD on every customer of ``summary`` and Gamma-Gamma on those with positive
    repeat purchases. Raises :class:`ClvFitError` when the purchase model is not identified,
    and when the spend model is not (or has no finite mean) unless ``spend_required`` is
    False: the model then has no spend model and says why in ``spend_problem``."""
    bgnbd = bgnbd_fit(
        frequency=summary.frequency,
        recency_weeks=summary.recency_weeks,
        age_weeks=summary.age_weeks,
    )
    gamma_gamma: GammaGammaParams | None = None
    problem = None
    try:
        gamma_gamma = spend_fit(summary)
    except ClvFitError as exc:
        if spend_required:
            raise
        problem = exc.message
    return ClvModel(
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        customers=len(summary.accounts),
        spend_customers=int(np.sum(summary.spend_count > 0)),
        spend_problem=problem,
    )
