"""Five judgements of a response curve: a least-squares fit and the judgement that disagrees.

CALLPLAN (Lodish 1971, docs/allocation.md) asked the salesperson for the contribution at
five levels of effort: none, half of today's, today's, 50 % more, and saturation. ADBUDG
(``r(x) = c + (b − c) · xᵈ / (e + xᵈ)``) has four parameters, so four judgements fix the
curve exactly (``kam.core.allocation.curves.calibrate``) and give no way to tell whether they
agree. The fifth (the contribution at **half of today's hours**, ``at_50pct``) is one
judgement more than the curve needs: it lets kam measure how well the judgements hang
together and point at the one to look at again.

The fit:

- ``c`` and ``b`` are the judged contributions with no effort and at saturation (the
  curve's floor and ceiling, as in the four-point fit);
- the curve passes through today's contribution exactly, which fixes
  ``e = (1 − y₁) / y₁`` (``y`` is the share of the way from ``c`` to ``b``): today's
  contribution is this year's margin, the one judgement that is close to a fact, and every
  plan is compared with today's;
- ``d`` is fitted by least squares to the two remaining judgements (at −50 % and +50 %),
  the misses measured as shares of ``b − c``. The curve through the other four judgements
  without the −50 % one has ``d₊``, the one without the +50 % one ``d₋``; the sum of squares
  falls from either towards the other, so the optimum lies between them and the search is
  bounded there (scipy's ``least_squares``, trust region reflective: deterministic).

With one judgement more than parameters, the five can show that they disagree, but not
prove which one is wrong: moving either middle judgement can remove the disagreement. kam
names the one that the curve through the other four misses most, and says where that
curve would put it, when the fitted curve misses a judgement by more than
``INCONSISTENT_SHARE`` of the range ``b − c``. In simulation (docs/allocation.md) this
names the judgement that was moved in 86 % of cases when it was moved by a fifth of the
range or more, and barely better than a coin below a tenth: small disagreements are
reported as fit quality, not blamed on one judgement.

Units: hours are yearly hours; contributions in currency per year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kam.core.allocation.curves import CalibrationError, ResponseCurve, calibrate

#: A fitted curve that misses a judgement by more than this share of the range from no
#: effort to saturation names the judgement that disagrees (5 %: judgements are usually
#: rounded to a few per cent of the range, which must not be blamed on anyone).
INCONSISTENT_SHARE = 0.05
#: Effort of the fifth judgement, as a share of today's hours (Lodish's "one half").
HALF = 0.5
#: The judgements of five, in order of effort (``reference_hours`` first).
FIVE_FIELDS = (
    "reference_hours",
    "at_zero",
    "at_50pct",
    "at_reference",
    "at_150pct",
    "at_saturation",
)


@dataclass(frozen=True)
class JudgementFit:
    """A response curve fitted to four or five judgements, and how well it fits.

    - ``curve``: the fitted curve (four judgements: the exact curve of ``calibrate``);
    - ``judgements``: 4 or 5;
    - ``miss_at_50pct`` / ``miss_at_150pct``: judged minus fitted contribution (currency
      per year) at half and at 150 % of today's hours (0 with four judgements; the curve
      passes exactly through the other three);
    - ``largest_miss_share``: the larger of the two misses as a share of ``b − c``
      (0 ≤ share; the fit quality);
    - ``inconsistent``: ``"at_50pct"`` or ``"at_150pct"`` when the fit misses by more than
      the threshold: the judgement the curve through the other four misses most;
      None otherwise;
    - ``suggested``: where the curve through the other four puts that judgement
      (currency per year), None when nothing is named.
    """

    curve: ResponseCurve
    judgements: int
    miss_at_50pct: float = 0.0
    miss_at_150pct: float = 0.0
    largest_miss_share: float = 0.0
    inconsistent: str | None = None
    suggested: float | None = None

    @property
    def largest_miss(self) -> float:
        """The larger absolute miss, currency per year."""
        return max(abs(self.miss_at_50pct), abs(self.miss_at_150pct))


def _share_at(x: float, d: float, e: float) -> float:
    u = x**d
    return float(u / (e + u))


def _d_through(x: float, share: float, e: float) -> float:
    """The shape d of the curve with this ``e`` that reaches ``share`` at ``x`` (x ≠ 1)."""
    return math.log(e * share / (1.0 - share)) / math.log(x)


def fit_judgements(
    *,
    reference_hours: float,
    at_zero: float,
    at_reference: float,
    at_150pct: float,
    at_saturation: float,
    at_50pct: float | None = None,
    threshold: float = INCONSISTENT_SHARE,
) -> JudgementFit:
    """The ADBUDG curve of four or five judgements (docs/method.md section 2, CALLPLAN).

    Four (``at_50pct`` None): exactly ``calibrate``'s curve. Five: the least-squares fit
    described in the module's docstring, with its misses and the judgement named when
    the fit misses one by more than ``threshold`` of the range. Judgements that do not
    increase with effort raise ``CalibrationError`` naming the number to change, as
    ``calibrate`` does; ``at_50pct`` must lie strictly between ``at_zero`` and
    ``at_reference``.
    """
    curve = calibrate(
        reference_hours=reference_hours,
        at_zero=at_zero,
        at_reference=at_reference,
        at_150pct=at_150pct,
        at_saturation=at_saturation,
    )
    if at_50pct is None:
        return JudgementFit(curve=curve, judgements=4)
    if not math.isfinite(at_50pct):
        raise CalibrationError("at_50pct must be a finite number", field="at_50pct")
    if not at_zero < at_50pct < at_reference:
        raise CalibrationError(
            f"set at_50pct between at_zero ({at_zero:g}) and at_reference ({at_reference:g}), "
            "both excluded",
            field="at_50pct",
        )
    span = at_saturation - at_zero
    y_half = (at_50pct - at_zero) / span
    y_150 = (at_150pct - at_zero) / span
    e = curve.e
    d_plus = curve.d  # through today's and +50 %: the four-point curve
    d_minus = _d_through(HALF, y_half, e)  # through today's and −50 %
    lo, hi = sorted((math.log(d_minus), math.log(d_plus)))

    def misses(log_d: np.ndarray) -> np.ndarray:
        d = math.exp(float(log_d[0]))
        return np.array([_share_at(HALF, d, e) - y_half, _share_at(1.5, d, e) - y_150])

    if hi - lo <= 1e-12:
        log_d = lo
    else:
        # imported here: scipy.optimize takes longer to import than a file of four
        # judgements takes to allocate (``kam allocate``)
        from scipy.optimize import least_squares

        found = least_squares(
            misses,
            x0=[0.5 * (lo + hi)],
            bounds=([lo], [hi]),
            method="trf",
            xtol=1e-15,
            ftol=1e-15,
            gtol=1e-15,
        )
        log_d = float(found.x[0])
    d = math.exp(log_d)
    fitted = ResponseCurve(c=curve.c, b=curve.b, d=d, e=e, reference_hours=curve.reference_hours)
    miss_half = y_half - _share_at(HALF, d, e)
    miss_150 = y_150 - _share_at(1.5, d, e)
    share = max(abs(miss_half), abs(miss_150))
    named: str | None = None
    suggested: float | None = None
    if share > threshold:
        # leave each middle judgement out: the curve through the other four is exact
        loo_half = _share_at(HALF, d_plus, e)
        loo_150 = _share_at(1.5, d_minus, e)
        if abs(y_half - loo_half) >= abs(y_150 - loo_150):
            named, suggested = "at_50pct", at_zero + span * loo_half
        else:
            named, suggested = "at_150pct", at_zero + span * loo_150
    return JudgementFit(
        curve=fitted,
        judgements=5,
        miss_at_50pct=miss_half * span,
        miss_at_150pct=miss_150 * span,
        largest_miss_share=share,
        inconsistent=named,
        suggested=suggested,
    )
