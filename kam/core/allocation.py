"""Dividing time over all customers (kam-method.md section 2).

Response curves in the ADBUDG form of CALLPLAN (Lodish 1971), calibrated from four
judgements, and the allocation of yearly hours over accounts (one pool of hours, or a
team of people with their own capacity, function and hourly cost) that maximises

    Σᵢ rᵢ(xᵢ) − hourly cost · hours

subject to the capacities, each account's minimum and maximum hours and who may serve
which account. Curves are S-shaped, so the problem is not concave: every result carries a
certified upper bound (the Lagrangian dual over the capacity constraints) and its gap.

Units: hours are yearly hours; contributions and costs are in the organisation's
currency per year (costs per hour); shadow prices in currency per extra hour.
docs/allocation.md gives the mathematics and the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
#: Called with (fraction done from 0 to 1, a short English phase name) during long runs.
ProgressCallback = Callable[[float, str], None]

CALIBRATION_FIELDS = ("reference_hours", "at_zero", "at_reference", "at_150pct", "at_saturation")


# --- response curves ------------------------------------------------------------------------


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
        raise NotImplementedError

    @overload
    def marginal(self, hours: float) -> float: ...

    @overload
    def marginal(self, hours: FloatArray) -> FloatArray: ...

    def marginal(self, hours: float | FloatArray) -> float | FloatArray:
        """dr/dhours at ``hours``: currency per extra hour (elementwise for arrays)."""
        raise NotImplementedError

    @property
    def inflection_hours(self) -> float:
        """Hours where the curve turns from convex to concave (0 when ``d ≤ 1``)."""
        raise NotImplementedError


def calibrate(
    *,
    reference_hours: float,
    at_zero: float,
    at_reference: float,
    at_150pct: float,
    at_saturation: float,
) -> ResponseCurve:
    """The ADBUDG curve through four judgements, as in CALLPLAN (kam-method.md section 2).

    ``at_zero`` = c and ``at_saturation`` = b; with ``y₁`` and ``y₁.₅`` the shares of the
    way from c to b at the reference hours and at 150 % of them,
    ``e = (1 − y₁) / y₁`` and ``d = ln(e · y₁.₅ / (1 − y₁.₅)) / ln 1.5``.
    The four numbers must strictly increase; otherwise ``CalibrationError`` names the
    number to change.
    """
    raise NotImplementedError


def curve_from_parameters(
    *, c: float, b: float, d: float, e: float, reference_hours: float
) -> ResponseCurve:
    """A curve given by its parameters directly (checked: finite, b > c, d > 0, e > 0,
    reference_hours > 0; ``CalibrationError`` names the parameter otherwise)."""
    raise NotImplementedError


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
        raise NotImplementedError

    def __len__(self) -> int:
        return int(self.c.shape[0])

    def __getitem__(self, index: int) -> ResponseCurve:
        raise NotImplementedError

    def contribution(self, hours: ArrayLike) -> FloatArray:
        """r of every account at its own ``hours`` (array of the same length)."""
        raise NotImplementedError

    def marginal(self, hours: ArrayLike) -> FloatArray:
        """dr/dhours of every account at its own ``hours``."""
        raise NotImplementedError


# --- problems -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolProblem:
    """One pool of hours shared by all accounts.

    - ``curves``: one curve per account (``Curves`` or a sequence of ``ResponseCurve``);
    - ``capacity_hours``: the total yearly hours available;
    - ``hour_cost``: currency per hour, one number or one per account;
    - ``min_hours`` / ``max_hours``: per account (policy or set on the account); None means
      0 and no maximum; ``np.inf`` in ``max_hours`` means no maximum;
    - ``granularity``: hours come in multiples of this (1 = whole hours); minimums are
      rounded up and maximums down to it;
    - ``flat_hours``: the flat per-box rule to compare with (each account its box's policy
      hours), optional;
    - ``accounts``: labels for the accounts (default: their positions).
    """

    curves: Curves | Sequence[ResponseCurve]
    capacity_hours: float
    hour_cost: float | FloatArray = 0.0
    min_hours: FloatArray | None = None
    max_hours: FloatArray | None = None
    granularity: float = 1.0
    flat_hours: FloatArray | None = None
    accounts: Sequence[Hashable] | None = None


@dataclass(frozen=True)
class Person:
    """One member of the team: yearly hours, function (e.g. "kam", "service") and cost/hour."""

    key: Hashable
    capacity_hours: float
    function: str = ""
    hour_cost: float = 0.0


@dataclass(frozen=True)
class TeamProblem:
    """A team of people sharing accounts.

    - ``people``: each person's capacity, function and hourly cost;
    - ``eligible``: boolean array (people × accounts), True where the person may serve the
      account; None means everyone may serve every account;
    - ``function_capacity``: optional yearly hours per function (on top of each person's);
    - ``total_capacity_hours``: optional cap on the team's total hours (None: the sum of
      the people's capacities);
    - the rest as in ``PoolProblem``. The cost of an hour is the hourly cost of the person
      who spends it.
    """

    curves: Curves | Sequence[ResponseCurve]
    people: Sequence[Person]
    eligible: NDArray[np.bool_] | None = None
    function_capacity: Mapping[str, float] | None = None
    total_capacity_hours: float | None = None
    min_hours: FloatArray | None = None
    max_hours: FloatArray | None = None
    granularity: float = 1.0
    flat_hours: FloatArray | None = None
    accounts: Sequence[Hashable] | None = None


Problem = PoolProblem | TeamProblem


# --- results --------------------------------------------------------------------------------


class ShortfallReason(StrEnum):
    """Why an account ends below its policy minimum."""

    #: the accounts' minimums together exceed the capacity; all minimums were scaled down
    #: proportionally to fit
    MINIMUMS_EXCEED_CAPACITY = "minimums_exceed_capacity"
    #: nobody in the team may serve the account
    NO_ELIGIBLE_PERSON = "no_eligible_person"
    #: the people who may serve it (or their functions) lack the hours for all minimums
    ELIGIBLE_CAPACITY = "eligible_capacity"


@dataclass(frozen=True)
class Shortfall:
    """One account that ends below its policy minimum: index, label, hours and why."""

    index: int
    account: Hashable
    min_hours: float
    hours: float
    reason: ShortfallReason


@dataclass(frozen=True)
class AllocationResult:
    """The allocation and the numbers that say how good it is.

    - ``hours``: hours per account (multiples of the granularity);
    - ``person_hours``: people × accounts hours (team problems; None for a pool);
    - ``objective``: Σ r(hours) − cost · hours of this allocation;
    - ``upper_bound``: a certified bound no allocation can beat (Lagrangian dual);
    - ``gap`` = upper_bound − objective (≥ 0), ``relative_gap`` = gap / max(|objective|, 1);
    - ``shadow_price``: value of one more hour of total capacity (currency/hour);
    - ``person_shadow_prices``: the same per person (team problems), and
      ``function_shadow_prices`` per function;
    - ``baseline_hours`` / ``baseline_objective``: today's allocation (reference hours,
      scaled down proportionally when over capacity) and its objective;
    - ``flat_hours`` / ``flat_objective``: the flat per-box rule scaled to the capacity
      (None when the problem gave no ``flat_hours``);
    - ``shortfalls``: accounts ending below their policy minimum, with the reason;
    - ``exact``: True when the allocation is proven optimal (gap closed);
    - ``contributions``: r(hours) per account.
    """

    hours: FloatArray
    objective: float
    upper_bound: float
    gap: float
    relative_gap: float
    shadow_price: float
    baseline_hours: FloatArray
    baseline_objective: float
    contributions: FloatArray
    accounts: tuple[Hashable, ...]
    shortfalls: tuple[Shortfall, ...] = ()
    flat_hours: FloatArray | None = None
    flat_objective: float | None = None
    person_hours: FloatArray | None = None
    person_shadow_prices: FloatArray | None = None
    function_shadow_prices: Mapping[str, float] = field(default_factory=dict)
    exact: bool = False
    iterations: int = 0

    def hours_by_account(self) -> dict[Hashable, float]:
        """Account label → hours."""
        return {a: float(h) for a, h in zip(self.accounts, self.hours, strict=True)}

    @property
    def uplift(self) -> float:
        """objective − baseline_objective (currency per year)."""
        return self.objective - self.baseline_objective


class CapacityPoint(NamedTuple):
    """One point of the capacity what-if: total hours, best objective, shadow price."""

    capacity: float
    objective: float
    shadow_price: float


# --- solving --------------------------------------------------------------------------------


def allocate(
    problem: Problem,
    *,
    gap_target: float = 1e-6,
    progress: ProgressCallback | None = None,
) -> AllocationResult:
    """Solve a pool or team problem; the result reports its certified gap.

    ``gap_target`` is the relative gap below which the solver stops improving.
    ``progress`` is called now and then with the fraction done and the phase.
    """
    raise NotImplementedError


def capacity_curve(
    problem: Problem,
    capacities: Sequence[float],
    *,
    progress: ProgressCallback | None = None,
) -> list[CapacityPoint]:
    """The capacity what-if: the problem solved at each total capacity (hours).

    For a team problem the people's (and functions') capacities are scaled in proportion
    so that they add up to each total.
    """
    raise NotImplementedError
