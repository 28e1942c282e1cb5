"""Response curves (docs/method.md section 2): the ADBUDG form of CALLPLAN (Lodish 1971),
calibrated from four judgements, one account at a time (``ResponseCurve``) or many as
parallel arrays (``Curves``).

Units: hours are yearly hours; contributions are in the organisation's currency per year.
docs/allocation.md gives the mathematics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

CALIBRATION_FIELDS = ("reference_hours", "at_zero", "at_reference", "at_150pct", "at_saturation")


# --- response curves ------------------------------------------------------------------------


def _xd(h: FloatArray, d: FloatArray | float, ref: FloatArray | float) -> FloatArray:
    """(h / ref)^d, 0 at h = 0 (by exp and log: much faster than a power over 1M accounts)."""
    with np.errstate(divide="ignore"):
        lx = np.log(h / ref)
    out: FloatArray = np.exp(d * lx)
    return out


def _r(
    h: FloatArray,
    c: FloatArray | float,
    a: FloatArray | float,
    d: FloatArray | float,
    e: FloatArray | float,
    ref: FloatArray | float,
) -> FloatArray:
    u = _xd(h, d, ref)
    out: FloatArray = c + a * (u / (e + u))
    return out


def _dr(
    h: FloatArray,
    a: FloatArray | float,
    d: FloatArray | float,
    e: FloatArray | float,
    ref: FloatArray | float,
) -> FloatArray:
    x = h / ref
    u = _xd(h, d, ref)
    with np.errstate(divide="ignore", invalid="ignore"):
        xd1 = np.where(x > 0, u / np.where(x > 0, x, 1.0), np.where(np.asarray(d) < 1, np.inf, 0.0))
        xd1 = np.where((x == 0) & (np.asarray(d) == 1), 1.0, xd1)
        out: FloatArray = a * e * d * xd1 / (e + u) ** 2 / ref
    return out


def _inflection(
    d: FloatArray | np.float64, e: FloatArray | np.float64, ref: FloatArray | float
) -> FloatArray:
    """Hours of the inflection point: (e (d−1)/(d+1))^(1/d) · ref for d > 1, else 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(d > 1, e * (d - 1) / (d + 1), 0.0)
        x = np.where(d > 1, u ** (1.0 / np.where(d > 1, d, 1.0)), 0.0)
    out: FloatArray = x * ref
    return out


class CalibrationError(ValueError):
    """Four judgements that do not make an S-shaped or concave response curve.

    ``field`` names the number to change (one of ``CALIBRATION_FIELDS``, or for
    ``curve_from_parameters`` one of ``c``, ``b``, ``d``, ``e``, ``reference_hours``);
    the message says which number and how.
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ResponseCurve:
    """Yearly contribution of one account as a function of yearly hours (ADBUDG).

    ``r(x) = c + (b − c) · xᵈ / (e + xᵈ)`` with ``x = hours / reference_hours``:
    ``c`` is the contribution with no effort, ``b`` the contribution at saturation (both
    currency per year, ``b > c``), ``d > 0`` the shape (S-shaped when ``d > 1``, concave
    when ``d ≤ 1``) and ``e > 0`` sets where the curve rises (at the reference hours
    the curve has covered ``1 / (1 + e)`` of the way from ``c`` to ``b``).
    ``reference_hours`` (> 0) is today's yearly hours on the account.
    """

    c: float
    b: float
    d: float
    e: float
    reference_hours: float

    @overload
    def contribution(self, hours: float) -> float: ...

    @overload
    def contribution(self, hours: FloatArray) -> FloatArray: ...

    def contribution(self, hours: float | FloatArray) -> float | FloatArray:
        """r at ``hours`` (yearly hours, ≥ 0; a number or a numpy array, elementwise)."""
        h = np.asarray(hours, dtype=np.float64)
        out = _r(h, self.c, self.b - self.c, self.d, self.e, self.reference_hours)
        return float(out) if np.ndim(hours) == 0 else out

    @overload
    def marginal(self, hours: float) -> float: ...

    @overload
    def marginal(self, hours: FloatArray) -> FloatArray: ...

    def marginal(self, hours: float | FloatArray) -> float | FloatArray:
        """dr/dhours at ``hours``: currency per extra hour (elementwise for arrays)."""
        h = np.asarray(hours, dtype=np.float64)
        out = _dr(h, self.b - self.c, self.d, self.e, self.reference_hours)
        return float(out) if np.ndim(hours) == 0 else out

    @property
    def inflection_hours(self) -> float:
        """Hours where the curve turns from convex to concave (0 when ``d ≤ 1``)."""
        return float(_inflection(np.float64(self.d), np.float64(self.e), self.reference_hours))


def calibrate(
    *,
    reference_hours: float,
    at_zero: float,
    at_reference: float,
    at_150pct: float,
    at_saturation: float,
) -> ResponseCurve:
    """The ADBUDG curve through four judgements, as in CALLPLAN (docs/method.md section 2).

    ``at_zero`` = c and ``at_saturation`` = b; with ``y₁`` and ``y₁.₅`` the shares of the
    way from c to b at the reference hours and at 150 % of them,
    ``e = (1 − y₁) / y₁`` and ``d = ln(e · y₁.₅ / (1 − y₁.₅)) / ln 1.5``.
    The four numbers must strictly increase; otherwise ``CalibrationError`` names the
    number to change.
    """
    values = {
        "reference_hours": reference_hours,
        "at_zero": at_zero,
        "at_reference": at_reference,
        "at_150pct": at_150pct,
        "at_saturation": at_saturation,
    }
    for name, value in values.items():
        if not math.isfinite(value):
            raise CalibrationError(f"{name} must be a finite number", field=name)
    if reference_hours <= 0:
        raise CalibrationError(
            "reference_hours must be more than 0: today's yearly hours on the account",
            field="reference_hours",
        )
    if at_reference <= at_zero:
        raise CalibrationError(
            f"raise at_reference above at_zero ({at_zero:g}): contribution at today's hours "
            "must be more than with no effort",
            field="at_reference",
        )
    if at_saturation <= at_reference:
        raise CalibrationError(
            f"raise at_saturation above at_reference ({at_reference:g}): saturation must be "
            "more than today's contribution",
            field="at_saturation",
        )
    if not at_reference < at_150pct < at_saturation:
        raise CalibrationError(
            f"set at_150pct between at_reference ({at_reference:g}) and at_saturation "
            f"({at_saturation:g}), both excluded",
            field="at_150pct",
        )
    span = at_saturation - at_zero
    y1 = (at_reference - at_zero) / span
    y15 = (at_150pct - at_zero) / span
    e = (1.0 - y1) / y1
    d = math.log(e * y15 / (1.0 - y15)) / math.log(1.5)
    return ResponseCurve(
        c=float(at_zero), b=float(at_saturation), d=d, e=e, reference_hours=float(reference_hours)
    )


def curve_from_parameters(
    *, c: float, b: float, d: float, e: float, reference_hours: float
) -> ResponseCurve:
    """A curve given by its parameters directly (checked: finite, b > c, d > 0, e > 0,
    reference_hours > 0; ``CalibrationError`` names the parameter otherwise)."""
    for name, value in (
        ("c", c),
        ("b", b),
        ("d", d),
        ("e", e),
        ("reference_hours", reference_hours),
    ):
        if not math.isfinite(value):
            raise CalibrationError(f"{name} must be a finite number", field=name)
    if b <= c:
        raise CalibrationError(
            f"raise b above c ({c:g}): saturation must exceed no effort", field="b"
        )
    if d <= 0:
        raise CalibrationError("d must be more than 0", field="d")
    if e <= 0:
        raise CalibrationError("e must be more than 0", field="e")
    if reference_hours <= 0:
        raise CalibrationError("reference_hours must be more than 0", field="reference_hours")
    return ResponseCurve(
        c=float(c), b=float(b), d=float(d), e=float(e), reference_hours=float(reference_hours)
    )


@dataclass(frozen=True)
class Curves:
    """Many response curves as parallel arrays, one entry per account (fast at 1M accounts).

    Same meaning and units as ``ResponseCurve``'s fields.
    """

    c: FloatArray
    b: FloatArray
    d: FloatArray
    e: FloatArray
    reference_hours: FloatArray

    @classmethod
    def of(cls, curves: Sequence[ResponseCurve]) -> Curves:
        """Stack single curves."""
        return cls(
            c=np.array([k.c for k in curves], dtype=np.float64),
            b=np.array([k.b for k in curves], dtype=np.float64),
            d=np.array([k.d for k in curves], dtype=np.float64),
            e=np.array([k.e for k in curves], dtype=np.float64),
            reference_hours=np.array([k.reference_hours for k in curves], dtype=np.float64),
        )

    def __len__(self) -> int:
        return int(self.c.shape[0])

    def __getitem__(self, index: int) -> ResponseCurve:
        return ResponseCurve(
            c=float(self.c[index]),
            b=float(self.b[index]),
            d=float(self.d[index]),
            e=float(self.e[index]),
            reference_hours=float(self.reference_hours[index]),
        )

    def contribution(self, hours: ArrayLike) -> FloatArray:
        """r of every account at its own ``hours`` (array of the same length)."""
        h = np.asarray(hours, dtype=np.float64)
        return _r(h, self.c, self.b - self.c, self.d, self.e, self.reference_hours)

    def marginal(self, hours: ArrayLike) -> FloatArray:
        """dr/dhours of every account at its own ``hours``."""
        h = np.asarray(hours, dtype=np.float64)
        return _dr(h, self.b - self.c, self.d, self.e, self.reference_hours)
