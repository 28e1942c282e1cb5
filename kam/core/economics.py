"""The return on the investment in an account (docs/method.md section 6).

- :func:`cost_to_serve` and :func:`account_pnl`: the account P&L of one period,
  revenue − cost of goods = gross margin; gross margin − cost to serve = contribution, with
  an activity-based cost to serve (team hours × each role's hourly cost, plus logistics,
  service, rebates and the cost of payment terms, :func:`payment_term_cost`).
- :func:`linear_trend_baseline`, :func:`investment_return`: the incremental contribution
  of an investment against a baseline, its ROI, payback period (:func:`payback_period`) and
  net present value (:func:`npv`), risk-adjusted by a probability.
- :func:`risk_adjusted_lifetime_value`: Ryals & Knox (2005),
  Σₜ (Rₜ − COGSₜ − CTSₜ) / (1 + d)ᵗ × probability.
- :func:`compare_boxes`: contribution, cost to serve, ROI and share of team hours per box
  of the selection matrix (section 1), so leadership sees whether key accounts earn the
  special return that justifies them.

Money is in one currency, as floats (the database keeps Decimals; convert at the edge).
Periods are whatever the caller uses (months, quarters, years); every rate is **per
period** (:func:`period_rate` converts a yearly rate). Cash flows fall at the end of each
period: period t = 1, 2, … is discounted by (1 + d)ᵗ; an investment falls at t = 0.

Pure: no Django.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kam.core.scoring import BOXES

FloatArray = npt.NDArray[np.float64]
Floats = Sequence[float] | FloatArray
"""A series of amounts, one per period: a list or a numpy array."""

DAYS_PER_YEAR = 365.0


def _finite(name: str, value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number")
    return float(value)


def _non_negative(name: str, value: float) -> float:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be 0 or more")
    return float(value)


def _rate(rate: float) -> float:
    if not (math.isfinite(rate) and rate > -1):
        raise ValueError("the discount rate must be above −1 (−100 %)")
    return float(rate)


def _probability(probability: float) -> float:
    if not (math.isfinite(probability) and 0 <= probability <= 1):
        raise ValueError("the probability must lie between 0 and 1")
    return float(probability)


def _series(name: str, values: Iterable[float]) -> FloatArray:
    array = np.asarray(list(values), dtype=np.float64)
    if array.ndim != 1 or not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be a list of finite numbers")
    return array


# --- P&L ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostToServe:
    """One period's cost to serve an account, by kind (currency). ``team`` is Σ hours × the
    role's hourly cost; ``team_hours`` the hours themselves."""

    team: float
    team_hours: float
    logistics: float
    service: float
    rebates: float
    payment_terms: float

    @property
    def total(self) -> float:
        """All the cost to serve of the period."""
        return self.team + self.logistics + self.service + self.rebates + self.payment_terms


def payment_term_cost(*, revenue: float, payment_days: float, annual_rate: float) -> float:
    """The cost of financing the customer's payment term: revenue × days / 365 × yearly rate.

    A customer who pays 1,000,000 at 60 days, with money costing 6 % a year, costs
    1,000,000 × 60/365 × 0.06 = 9,863.01 in the period."""
    _finite("revenue", revenue)
    _non_negative("payment_days", payment_days)
    _finite("annual_rate", annual_rate)
    return revenue * payment_days / DAYS_PER_YEAR * annual_rate


def cost_to_serve(
    *,
    team_hours: Mapping[str, float],
    hourly_cost: Mapping[str, float],
    logistics: float = 0.0,
    service: float = 0.0,
    rebates: float = 0.0,
    payment_terms: float = 0.0,
) -> CostToServe:
    """Activity-based cost to serve of one period (section 6): Σ over roles of the account's
    hours × that role's hourly cost, plus logistics, service, rebates and the cost of
    payment terms. Every role with hours needs an hourly cost (else ``ValueError``)."""
    missing = sorted(role for role in team_hours if role not in hourly_cost)
    if missing:
        raise ValueError(f"no hourly cost for the role(s): {', '.join(missing)}")
    team = 0.0
    hours = 0.0
    for role, role_hours in team_hours.items():
        hours += _non_negative(f"hours of {role}", role_hours)
        team += role_hours * _non_negative(f"hourly cost of {role}", hourly_cost[role])
    return CostToServe(
        team=team,
        team_hours=hours,
        logistics=_finite("logistics", logistics),
        service=_finite("service", service),
        rebates=_finite("rebates", rebates),
        payment_terms=_finite("payment_terms", payment_terms),
    )


@dataclass(frozen=True)
class AccountPnl:
    """An account's P&L for one period (currency)."""

    revenue: float
    cost_of_goods: float
    cost_to_serve: CostToServe

    @property
    def gross_margin(self) -> float:
        """Revenue − cost of goods."""
        return self.revenue - self.cost_of_goods

    @property
    def contribution(self) -> float:
        """Gross margin − cost to serve: what the account contributes."""
        return self.gross_margin - self.cost_to_serve.total

    @property
    def gross_margin_pct(self) -> float | None:
        """Gross margin as a percentage of revenue (None without revenue)."""
        return None if self.revenue == 0 else 100 * self.gross_margin / self.revenue

    @property
    def contribution_pct(self) -> float | None:
        """Contribution as a percentage of revenue (None without revenue)."""
        return None if self.revenue == 0 else 100 * self.contribution / self.revenue


def account_pnl(*, revenue: float, cost_of_goods: float, cost_to_serve: CostToServe) -> AccountPnl:
    """The period's P&L: revenue − cost of goods = gross margin; − cost to serve =
    contribution (section 6)."""
    return AccountPnl(
        revenue=_finite("revenue", revenue),
        cost_of_goods=_finite("cost_of_goods", cost_of_goods),
        cost_to_serve=cost_to_serve,
    )


# --- return on an investment ----------------------------------------------------------------


def period_rate(*, annual_rate: float, periods_per_year: int) -> float:
    """The per-period rate equivalent to a yearly one: (1 + annual)^(1/periods) − 1."""
    if periods_per_year < 1:
        raise ValueError("periods_per_year must be 1 or more")
    return float((1 + _rate(annual_rate)) ** (1 / periods_per_year) - 1)


def discount_factors(*, periods: int, rate: float) -> FloatArray:
    """(1 + d)^−t for t = 1 … periods (end-of-period cash flows)."""
    t = np.arange(1, periods + 1, dtype=np.float64)
    factors: FloatArray = (1 + _rate(rate)) ** -t
    return factors


def npv(
    *,
    cash_flows: Floats,
    rate: float,
    investment: float = 0.0,
    probability: float = 1.0,
) -> float:
    """Net present value: −investment + probability × Σₜ cash_flowₜ / (1 + d)ᵗ, t = 1 … n.

    ``rate`` d is per period; ``investment`` falls at t = 0 and is certain; ``probability``
    (0–1) is the chance that the forecast cash flows come true (risk adjustment, section 6).
    At d = 0, p = 1 and no investment it is the plain sum of the cash flows."""
    flows = _series("cash_flows", cash_flows)
    present = float(flows @ discount_factors(periods=flows.size, rate=rate))
    return -_non_negative("investment", investment) + _probability(probability) * present


def roi(*, incremental_contribution: float, investment: float) -> float:
    """(incremental contribution − investment) / investment, as a fraction (0.25 = 25 %).

    ``investment`` must be more than 0."""
    if not (math.isfinite(investment) and investment > 0):
        raise ValueError("the investment must be more than 0 to compute an ROI")
    return (_finite("incremental_contribution", incremental_contribution) - investment) / investment


def payback_period(*, incremental: Floats, investment: float) -> float | None:
    """Periods until the cumulative incremental contribution first covers the investment.

    With Cₖ = Σₜ₌₁..ₖ incrementalₜ and k the first period with Cₖ ≥ investment, the payback
    is (k − 1) + (investment − Cₖ₋₁) / incrementalₖ: linear within period k, as if the
    period's contribution came in evenly. 0 for no investment; None when the cumulative
    contribution never reaches the investment within the periods given."""
    flows = _series("incremental", incremental)
    amount = _non_negative("investment", investment)
    if amount == 0:
        return 0.0
    cumulative = np.cumsum(flows)
    reached = np.flatnonzero(cumulative >= amount)
    if reached.size == 0:
        return None
    k = int(reached[0])  # 0-based: period k + 1
    before = float(cumulative[k - 1]) if k > 0 else 0.0
    # before < amount ≤ cumulative[k], so flows[k] > 0
    return k + (amount - before) / float(flows[k])


def linear_trend_baseline(*, contributions_before: Floats, periods_after: int) -> FloatArray:
    """The default baseline: the contribution expected without the investment.

    Fits the least-squares line cₜ = β₀ + β₁·t to the k periods before the investment
    (t = 0 … k−1) and extends it to the ``periods_after`` periods from the investment on
    (t = k … k + periods_after − 1). One period before gives a flat baseline at its value;
    none is an error (the user must then set the baseline)."""
    before = _series("contributions_before", contributions_before)
    if before.size == 0:
        raise ValueError("a trend baseline needs at least one period before the investment")
    if periods_after < 0:
        raise ValueError("periods_after must be 0 or more")
    t_after = np.arange(before.size, before.size + periods_after, dtype=np.float64)
    if before.size == 1:
        return np.full(periods_after, before[0])
    slope, intercept = np.polyfit(np.arange(before.size, dtype=np.float64), before, 1)
    baseline: FloatArray = intercept + slope * t_after
    return baseline


@dataclass(frozen=True)
class InvestmentReturn:
    """The return on an investment in an account (section 6). ``incremental`` is per period
    after the investment (contribution − baseline); ``roi`` a fraction; ``payback_periods``
    in periods (None: not paid back in the periods given); ``npv`` at the per-period rate and
    ``risk_adjusted_npv`` with the forecast weighted by ``probability``."""

    baseline: FloatArray
    incremental: FloatArray
    total_incremental: float
    investment: float
    roi: float
    payback_periods: float | None
    npv: float
    risk_adjusted_npv: float
    probability: float


def investment_return(
    *,
    contributions_after: Floats,
    investment: float,
    rate: float,
    contributions_before: Floats = (),
    baseline: Floats | None = None,
    probability: float = 1.0,
) -> InvestmentReturn:
    """ROI, payback and NPV of an investment made at the start of the first period of
    ``contributions_after``.

    The baseline is the user's own (one value per period after) or, by default, the linear
    trend of ``contributions_before`` (:func:`linear_trend_baseline`). Incremental
    contribution per period = contribution − baseline; ROI = (Σ incremental − investment) /
    investment; NPV = −investment + Σₜ incrementalₜ/(1 + d)ᵗ; the risk-adjusted NPV weights
    the incremental flows by ``probability``. ``rate`` is per period; ``investment`` must be
    more than 0 (``ValueError`` otherwise, as for :func:`roi`)."""
    after = _series("contributions_after", contributions_after)
    if baseline is None:
        base = linear_trend_baseline(
            contributions_before=contributions_before, periods_after=after.size
        )
    else:
        base = _series("baseline", baseline)
        if base.size != after.size:
            raise ValueError("the baseline needs one value per period after the investment")
    incremental = after - base
    total = float(incremental.sum())
    p = _probability(probability)
    return InvestmentReturn(
        baseline=base,
        incremental=incremental,
        total_incremental=total,
        investment=float(investment),
        roi=roi(incremental_contribution=total, investment=investment),
        payback_periods=payback_period(incremental=incremental, investment=investment),
        npv=npv(cash_flows=incremental, rate=rate, investment=investment),
        risk_adjusted_npv=npv(
            cash_flows=incremental, rate=rate, investment=investment, probability=p
        ),
        probability=p,
    )


def risk_adjusted_lifetime_value(
    *,
    revenue: Floats,
    cost_of_goods: Floats,
    cost_to_serve: Floats,
    rate: float,
    probability: float | Floats = 1.0,
) -> float:
    """Ryals & Knox (2005): Σₜ (Rₜ − COGSₜ − CTSₜ) / (1 + d)ᵗ × pₜ, t = 1 … n.

    The forecast periods start one period from now; ``rate`` d is per period; ``probability``
    is the chance that the forecast comes true, one value for all periods or one per period
    (a forecast further out is often less certain)."""
    r = _series("revenue", revenue)
    cogs = _series("cost_of_goods", cost_of_goods)
    cts = _series("cost_to_serve", cost_to_serve)
    if not (r.size == cogs.size == cts.size):
        raise ValueError("revenue, cost_of_goods and cost_to_serve need the same periods")
    if isinstance(probability, (Sequence, np.ndarray)) and np.ndim(probability) == 1:
        weights = _series("probability", probability)
        if weights.size != r.size or np.any((weights < 0) | (weights > 1)):
            raise ValueError("give one probability between 0 and 1 per period")
    else:
        weights = np.full(r.size, _probability(float(probability)))  # type: ignore[arg-type]
    return float(((r - cogs - cts) * weights) @ discount_factors(periods=r.size, rate=rate))


# --- by box ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountEconomics:
    """One account's numbers over the period compared (currency, hours); ``box`` one of
    :data:`kam.core.scoring.BOXES` (or None when not placed)."""

    account: str
    box: str | None
    revenue: float
    contribution: float
    cost_to_serve: float
    team_hours: float
    investment: float = 0.0
    incremental_contribution: float = 0.0


@dataclass(frozen=True)
class BoxEconomics:
    """Totals of one box: ``hours_share`` is the box's share of all team hours (0–1),
    ``roi`` (Σ incremental − Σ investment) / Σ investment (None without investment),
    ``contribution_per_hour`` contribution / team hours (None without hours)."""

    box: str
    accounts: int
    revenue: float
    contribution: float
    cost_to_serve: float
    team_hours: float
    hours_share: float
    investment: float
    incremental_contribution: float
    roi: float | None
    contribution_per_hour: float | None

    @property
    def cost_to_serve_pct(self) -> float | None:
        """Cost to serve as a percentage of revenue (None without revenue)."""
        return None if self.revenue == 0 else 100 * self.cost_to_serve / self.revenue


def compare_boxes(
    accounts: Iterable[AccountEconomics], *, boxes: Sequence[str] = BOXES
) -> list[BoxEconomics]:
    """One row per box, in the order of ``boxes`` (all four, even when empty), comparing
    contribution, cost to serve, ROI and share of team hours (section 6, "By box"). Accounts
    without a box count in no row but do count in the total of team hours, so the shares
    show how much time the placed boxes take of all the time spent."""
    rows = list(accounts)
    unknown = {a.box for a in rows if a.box is not None and a.box not in boxes}
    if unknown:
        raise ValueError(f"unknown box(es): {', '.join(sorted(unknown))}")
    total_hours = sum(a.team_hours for a in rows)
    result = []
    for box in boxes:
        members = [a for a in rows if a.box == box]
        hours = sum(a.team_hours for a in members)
        invested = sum(a.investment for a in members)
        incremental = sum(a.incremental_contribution for a in members)
        contribution = sum(a.contribution for a in members)
        result.append(
            BoxEconomics(
                box=str(box),
                accounts=len(members),
                revenue=sum(a.revenue for a in members),
                contribution=contribution,
                cost_to_serve=sum(a.cost_to_serve for a in members),
                team_hours=hours,
                hours_share=hours / total_hours if total_hours > 0 else 0.0,
                investment=invested,
                incremental_contribution=incremental,
                roi=(incremental - invested) / invested if invested > 0 else None,
                contribution_per_hour=contribution / hours if hours > 0 else None,
            )
        )
    return result


#: The least team hours a box needs before its contribution per hour is judged (a year of
#: logged activities on three accounts at about two hours a week): fewer hours say more about
#: what was logged than about what the box earns.
MIN_HOURS_PER_BOX = 200.0
#: The least accounts a box needs before it is judged: one or two accounts are anecdotes.
MIN_ACCOUNTS_PER_BOX = 3


@dataclass(frozen=True)
class BoxVerdict:
    """Which box earns most per hour of cost-to-serve time, and how key accounts compare.

    ``judged``: the boxes with enough hours and accounts, best first (by contribution per
    team hour); ``too_few``: the boxes with accounts but too few hours or accounts;
    ``best``: the first of ``judged`` (None when none is); ``key_beats``/``key_trails``: the
    judged other boxes key accounts earn at least/less than per hour (empty when key
    accounts are not judged); ``earns``: True when key accounts are judged and earn at least
    every judged other box per hour (and there is one), False when one earns more, None
    when it cannot be told."""

    judged: tuple[BoxEconomics, ...]
    too_few: tuple[BoxEconomics, ...]
    best: BoxEconomics | None
    key: BoxEconomics | None
    key_beats: tuple[BoxEconomics, ...]
    key_trails: tuple[BoxEconomics, ...]
    earns: bool | None
    min_hours: float
    min_accounts: int


def box_verdict(
    rows: Iterable[BoxEconomics],
    *,
    key_box: str = "key",
    min_hours: float = MIN_HOURS_PER_BOX,
    min_accounts: int = MIN_ACCOUNTS_PER_BOX,
) -> BoxVerdict:
    """Compare the boxes of :func:`compare_boxes` per team hour (section 6, "By box"): a box
    is judged when it has at least ``min_hours`` team hours and ``min_accounts`` accounts;
    key accounts are set against each judged other box on its own, never against the other
    boxes lumped together (a mean over boxes hides the one that earns more)."""
    rows = list(rows)
    judged = sorted(
        (
            r
            for r in rows
            if r.accounts >= min_accounts
            and r.team_hours >= min_hours
            and r.contribution_per_hour is not None
        ),
        key=lambda r: -(r.contribution_per_hour or 0.0),
    )
    too_few = tuple(r for r in rows if r.accounts > 0 and r not in judged)
    key = next((r for r in rows if r.box == key_box), None)
    key_judged = key is not None and key in judged
    others = [r for r in judged if r.box != key_box]
    beats: tuple[BoxEconomics, ...] = ()
    trails: tuple[BoxEconomics, ...] = ()
    earns: bool | None = None
    if key_judged and key is not None and key.contribution_per_hour is not None:
        own = key.contribution_per_hour
        beats = tuple(r for r in others if own >= (r.contribution_per_hour or 0.0))
        trails = tuple(r for r in others if own < (r.contribution_per_hour or 0.0))
        earns = None if not others else not trails
    return BoxVerdict(
        judged=tuple(judged),
        too_few=too_few,
        best=judged[0] if judged else None,
        key=key,
        key_beats=beats,
        key_trails=trails,
        earns=earns,
        min_hours=min_hours,
        min_accounts=min_accounts,
    )
