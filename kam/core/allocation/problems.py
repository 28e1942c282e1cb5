"""The allocation problems and their results (docs/method.md section 2).

A problem divides yearly hours over accounts, from one pool (``PoolProblem``) or a team of
people with their own capacity, function and hourly cost (``TeamProblem``), maximising

    Σᵢ rᵢ(xᵢ) − hourly cost · hours

subject to the capacities, each account's minimum and maximum hours and who may serve
which account. Curves are S-shaped, so the problem is not concave: every result
(``AllocationResult``) carries a certified upper bound (the Lagrangian dual over the
capacity constraints) and its gap.

Units: hours are yearly hours; contributions and costs are in the organisation's
currency per year (costs per hour); shadow prices in currency per extra hour.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from kam.core.allocation.curves import Curves, FloatArray, ResponseCurve

#: the largest certified relative gap (gap / max(|objective|, 1)) a result may have and
#: still say ``exact``: rounding in the solver's arithmetic, nothing more
EXACT_GAP = 1e-9
#: Called with (fraction done from 0 to 1, a short English phase name) during long runs.
ProgressCallback = Callable[[float, str], None]


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
    - ``hour_value``: what one more hour of total capacity really adds to the objective
      (currency): for a pool the exact f(C + 1) − f(C) when ``exact``, otherwise the gain
      of the plan re-solved with that hour from this one; None for a team problem (see
      ``value_of_one_more_hour``);
    - ``shadow_price``: the Lagrangian price of total capacity (currency/hour), the dual
      variable of the bound. With S-shaped curves it is not what an hour adds (that is
      ``hour_value``); ``person_shadow_prices`` per person (team problems) and
      ``function_shadow_prices`` per function are the same kind of price;
    - ``baseline_hours`` / ``baseline_objective``: today's allocation (reference hours,
      scaled down proportionally when over capacity) and its objective;
    - ``flat_hours`` / ``flat_objective``: the flat per-box rule scaled to the capacity
      within each account's bounds (``flat_rule``; None when the problem gave no
      ``flat_hours``);
    - ``shortfalls``: accounts ending below their policy minimum, with the reason;
    - ``exact``: True when the allocation is proven optimal: by construction (the pool's
      dynamic programme) or with a certified relative gap of at most ``EXACT_GAP``;
      otherwise the plan is only proven within ``gap`` of the best;
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
    hour_value: float | None = None

    def hours_by_account(self) -> dict[Hashable, float]:
        """Account label → hours."""
        return {a: float(h) for a, h in zip(self.accounts, self.hours, strict=True)}

    @property
    def uplift(self) -> float:
        """objective − baseline_objective (currency per year)."""
        return self.objective - self.baseline_objective


class CapacityPoint(NamedTuple):
    """One point of the capacity what-if: total hours, best objective, the Lagrangian
    price and (pools) the value of one more hour there."""

    capacity: float
    objective: float
    shadow_price: float
    hour_value: float | None = None
