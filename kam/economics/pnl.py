"""Account P&L per year, the return on each investment and the by-box comparison
(docs/method.md section 6), assembled from the transaction store, the activities, the
cost-to-serve items and the investment ledger, computed by ``kam.core.economics``.

Per account and period (``kam.economics.lines.Period``, the facts' 365-day years):

- revenue and cost of goods: the invoice lines of the period (account currency);
- cost to serve (activity-based): team hours × each person's hourly cost (``Profile.hourly_cost``,
  base currency, converted to the account's currency at the organisation's rate; the
  current hourly cost is applied to every period, kam keeps no history of it), plus the
  dated cost-to-serve items by kind, plus the cost of payment terms: revenue × the
  amount-weighted days from invoice to payment / 365 × the organisation's discount rate
  (``kam.core.economics.payment_term_cost``), on top of any payment-terms items;
- contribution = revenue − cost of goods − cost to serve.

kam.core's ``CostToServe`` has no "other" kind: other items count there with service (so the
total and the contribution are right) and the page shows them on a line of their own.

An investment's return compares the contribution of the periods from the one holding its
date on with its baseline (the trend of the periods before, or the user's amount per year),
at the discount rate per year (periods are years), with its probability
(``kam.core.economics.investment_return``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Sum, Value, When
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.activities.models import ActivityParticipant
from kam.core import economics as core
from kam.economics.lines import Period, StoreTotals, periods_for, store_get, store_totals_stored
from kam.economics.models import BaselineMethod, CostKind, CostToServeItem, Investment
from kam.organisation.selectors import exchange_rates_get, organisation_get
from kam.users.models import Profile
from kam.web import formats


@dataclass(frozen=True)
class CostBreakdown:
    """One period's cost to serve by kind (account currency); ``payment_financing`` is the
    computed cost of the days the customer takes to pay, ``payment_terms`` the entered items."""

    team: float = 0.0
    team_hours: float = 0.0
    logistics: float = 0.0
    service: float = 0.0
    rebates: float = 0.0
    payment_terms: float = 0.0
    payment_financing: float = 0.0
    other: float = 0.0

    def core(self) -> core.CostToServe:
        """As kam.core's ``CostToServe`` (other counts with service there)."""
        return core.CostToServe(
            team=self.team,
            team_hours=self.team_hours,
            logistics=self.logistics,
            service=self.service + self.other,
            rebates=self.rebates,
            payment_terms=self.payment_terms + self.payment_financing,
        )

    @property
    def total(self) -> float:
        return self.core().total


@dataclass(frozen=True)
class PeriodPnl:
    """An account's P&L in one period (account currency) and its payment days."""

    period: Period
    pnl: core.AccountPnl
    costs: CostBreakdown
    payment_days: float

    @property
    def revenue(self) -> float:
        return self.pnl.revenue

    @property
    def cost_of_goods(self) -> float:
        return self.pnl.cost_of_goods

    @property
    def gross_margin(self) -> float:
        return self.pnl.gross_margin

    @property
    def cost_to_serve(self) -> float:
        return self.pnl.cost_to_serve.total

    @property
    def contribution(self) -> float:
        return self.pnl.contribution

    @property
    def contribution_pct(self) -> float | None:
        return self.pnl.contribution_pct

    @property
    def gross_margin_pct(self) -> float | None:
        return self.pnl.gross_margin_pct

    @property
    def cost_to_serve_pct(self) -> float | None:
        """Cost to serve as a percentage of revenue (None without revenue)."""
        return None if self.revenue == 0 else 100 * self.cost_to_serve / self.revenue


@dataclass
class AccountLedger:
    """Everything the economics of one account needs: its periods' P&L (oldest first), its
    currency and the rate of that currency to the base currency (None: no rate known)."""

    account: Account
    currency: str
    rate_to_base: float | None
    periods: list[PeriodPnl]
    investments: list[InvestmentResult] = field(default_factory=list)

    @property
    def latest(self) -> PeriodPnl | None:
        return self.periods[-1] if self.periods else None

    def to_base(self, amount: float) -> float:
        """An amount of the account's currency in the base currency (unchanged without a rate)."""
        return _to_base(amount, self.rate_to_base)


def _to_base(amount: float, rate: float | None) -> float:
    return amount * rate if rate is not None else amount


@dataclass(slots=True)
class LatestFigures:
    """What the by-box comparison and the portfolio page take of an account's latest period:
    revenue, contribution and cost to serve (the account's currency), team hours, and the
    currency with its rate to the base currency (None: no rate known). From a ledger
    (``of``) or from the stored values of the period (``from_stored``): the same numbers."""

    account_id: int
    currency: str
    rate_to_base: float | None
    revenue: float
    contribution: float
    cost_to_serve: float
    team_hours: float

    @classmethod
    def of(cls, ledger: AccountLedger) -> LatestFigures | None:
        """The ledger's latest period (None when it has none)."""
        latest = ledger.latest
        if latest is None:
            return None
        return cls.of_period(ledger, latest)

    @classmethod
    def of_period(cls, ledger: AccountLedger, period: PeriodPnl) -> LatestFigures:
        """The figures of one of the ledger's periods (``ledgers_recent_read`` reads a few)."""
        return cls(
            ledger.account.pk,
            ledger.currency,
            ledger.rate_to_base,
            period.revenue,
            period.contribution,
            period.cost_to_serve,
            period.costs.team_hours,
        )

    @classmethod
    def from_stored(
        cls,
        account_id: int,
        currency: str,
        rate_to_base: float | None,
        revenue: float,
        cost_of_goods: float,
        team: float,
        team_hours: float,
        logistics: float,
        service: float,
        rebates: float,
        payment_terms: float,
        payment_financing: float,
        other: float,
    ) -> LatestFigures:
        """From a period's values as ``LedgerStored`` keeps them, without building the
        ledger: the cost to serve is ``CostBreakdown.core().total`` (other counts with
        service, the financing with the payment terms) and the contribution ``AccountPnl``'s,
        the same operations in the same order, so the same floats to the last bit."""
        cost_to_serve = (
            team + logistics + (service + other) + rebates + (payment_terms + payment_financing)
        )
        return cls(
            account_id,
            currency,
            rate_to_base,
            revenue,
            (revenue - cost_of_goods) - cost_to_serve,
            cost_to_serve,
            team_hours,
        )

    def to_base(self, amount: float) -> float:
        """An amount of the account's currency in the base currency (unchanged without a rate)."""
        return _to_base(amount, self.rate_to_base)


@dataclass(frozen=True)
class InvestmentResult:
    """An investment with its return, or why there is none yet (``problem``)."""

    investment: Investment
    periods_after: list[Period]
    result: core.InvestmentReturn | None
    problem: str = ""

    @property
    def roi_pct(self) -> float | None:
        return None if self.result is None else 100 * self.result.roi


def _periods_case(periods: Sequence[Period], field_name: str) -> Case:
    return Case(
        *[When(**{f"{field_name}__range": (p.start, p.end)}, then=Value(p.index)) for p in periods],
        default=Value(None),
        output_field=IntegerField(),
    )


def _team_costs(
    account_ids: list[int] | QuerySet[Any], periods: Sequence[Period]
) -> dict[tuple[int, int], tuple[float, float]]:
    """(account id, period) → (person-hours, their cost in base currency). Two queries."""
    if not periods:
        return {}
    cost = {
        user_id: float(c) for user_id, c in Profile.objects.values_list("user_id", "hourly_cost")
    }
    rows = (
        ActivityParticipant.objects.filter(
            activity__account_id__in=account_ids,
            activity__date__range=(periods[0].start, periods[-1].end),
        )
        .annotate(p=_periods_case(periods, "activity__date"))
        .values("activity__account_id", "user_id", "p")
        .annotate(minutes=Sum("activity__duration_minutes"))
        .order_by()
    )
    out: dict[tuple[int, int], tuple[float, float]] = {}
    for r in rows:
        if r["p"] is None:
            continue
        key = (r["activity__account_id"], r["p"])
        hours, money = out.get(key, (0.0, 0.0))
        team = core.cost_to_serve(
            team_hours={"person": r["minutes"] / 60},
            hourly_cost={"person": cost.get(r["user_id"], 0.0)},
        )
        out[key] = (hours + team.team_hours, money + team.team)
    return out


def _item_costs(
    account_ids: list[int] | QuerySet[Any], periods: Sequence[Period]
) -> dict[tuple[int, int], dict[str, float]]:
    """(account id, period) → kind → Σ amount. One query."""
    if not periods:
        return {}
    rows = (
        CostToServeItem.objects.filter(
            account_id__in=account_ids, date__range=(periods[0].start, periods[-1].end)
        )
        .annotate(p=_periods_case(periods, "date"))
        .values("account_id", "kind", "p")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    out: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    for r in rows:
        if r["p"] is not None:
            out[(r["account_id"], r["p"])][r["kind"]] = float(r["total"])
    return out


def _rate(rates: dict[str, Decimal], currency: str) -> float | None:
    value = rates.get(currency)
    return None if value is None else float(value)


def ledgers_build(
    *,
    accounts: Iterable[Account],
    as_of: dt.date,
    with_investments: bool = True,
    totals: StoreTotals | None = None,
    account_query: QuerySet[Account] | None = None,
) -> list[AccountLedger]:
    """The P&L per period (and the return of each investment) of ``accounts`` at ``as_of``.

    The lines' totals as stored for the store's version and ``as_of`` (one DuckDB query over
    the store when none are stored) and a fixed number of database queries, whatever the
    number of accounts. ``account_query``, the query ``accounts`` were read from, goes to
    the database as a subquery instead of a list of ids (thousands of parameters)."""
    accounts = list(accounts)
    org = organisation_get()
    annual_rate = float(org.discount_rate)
    rates = exchange_rates_get(organisation=org)
    if totals is None:
        totals = store_totals_stored(
            store=store_get(), as_of=as_of, external_ids=[a.external_id for a in accounts]
        )
    periods = periods_for(as_of=as_of, first_day=totals.first_day)
    ids: list[int] | QuerySet[Any] = [a.pk for a in accounts]
    if account_query is not None:
        ids = account_query.order_by().values("pk")
    team = _team_costs(ids, periods)
    items = _item_costs(ids, periods)
    investments: dict[int, list[Investment]] = defaultdict(list)
    if with_investments:
        for inv in Investment.objects.filter(account_id__in=ids).order_by("date", "pk"):
            investments[inv.account_id].append(inv)
    ledgers = []
    for account in accounts:
        currency = totals.currency.get(account.external_id, account.currency)
        rate = _rate(rates, currency)
        rows = []
        for p in periods:
            lines = totals.totals.get((account.external_id, p.index))
            revenue = lines.revenue if lines else 0.0
            hours, team_base = team.get((account.pk, p.index), (0.0, 0.0))
            kinds = items.get((account.pk, p.index), {})
            days = lines.payment_days if lines else 0.0
            costs = CostBreakdown(
                team=team_base / rate if rate else team_base,
                team_hours=hours,
                logistics=kinds.get(CostKind.LOGISTICS, 0.0),
                service=kinds.get(CostKind.SERVICE, 0.0),
                rebates=kinds.get(CostKind.REBATES, 0.0),
                payment_terms=kinds.get(CostKind.PAYMENT_TERMS, 0.0),
                payment_financing=core.payment_term_cost(
                    revenue=revenue, payment_days=days, annual_rate=annual_rate
                ),
                other=kinds.get(CostKind.OTHER, 0.0),
            )
            pnl = core.account_pnl(
                revenue=revenue,
                cost_of_goods=lines.cost_of_goods if lines else 0.0,
                cost_to_serve=costs.core(),
            )
            rows.append(PeriodPnl(period=p, pnl=pnl, costs=costs, payment_days=days))
        ledger = AccountLedger(account=account, currency=currency, rate_to_base=rate, periods=rows)
        ledger.investments = [
            investment_result(ledger=ledger, investment=inv, annual_rate=annual_rate)
            for inv in investments.get(account.pk, [])
        ]
        ledgers.append(ledger)
    return ledgers


def investment_result(
    *, ledger: AccountLedger, investment: Investment, annual_rate: float
) -> InvestmentResult:
    """The return on ``investment`` from the ledger's periods (see the module docstring)."""
    rows = ledger.periods
    start = next((i for i, r in enumerate(rows) if r.period.holds(investment.date)), None)
    if start is None:
        if rows and investment.date < rows[0].period.start:
            start = 0
        else:
            return InvestmentResult(
                investment,
                [],
                None,
                _(
                    "Made after the last period with numbers: its return shows once a period "
                    "after it has passed."
                ),
            )
    before = [r.contribution for r in rows[:start]]
    after = [r.contribution for r in rows[start:]]
    baseline: list[float] | None = None
    if investment.baseline_method == BaselineMethod.AMOUNT:
        if investment.baseline_amount is None:
            return InvestmentResult(
                investment, [], None, _("Set the baseline contribution per year.")
            )
        baseline = [float(investment.baseline_amount)] * len(after)
    elif not before:
        return InvestmentResult(
            investment,
            [r.period for r in rows[start:]],
            None,
            _("No year before the investment to draw a trend from: set a baseline amount."),
        )
    try:
        result = core.investment_return(
            contributions_after=after,
            contributions_before=before,
            baseline=baseline,
            investment=float(investment.amount),
            rate=annual_rate,
            probability=float(investment.probability),
        )
    except ValueError as exc:
        return InvestmentResult(investment, [r.period for r in rows[start:]], None, str(exc))
    return InvestmentResult(investment, [r.period for r in rows[start:]], result)


# --- by box ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoxComparison:
    """The four boxes compared (base currency) over the latest period, the review whose boxes
    were used, and the one-sentence answer to "do key accounts earn their special return?"."""

    rows: list[core.BoxEconomics]
    period: Period | None
    answer: str
    accounts: int
    earns: bool | None = None


def account_economics(
    ledgers: Iterable[AccountLedger], boxes: dict[int, str]
) -> list[core.AccountEconomics]:
    """Each ledger's latest period in base currency, with its investments' measured
    incremental contribution (as kam.core's ``AccountEconomics``)."""
    out = []
    for ledger in ledgers:
        latest = LatestFigures.of(ledger)
        if latest is not None:
            out.append(
                latest_economics(
                    latest,
                    external_id=ledger.account.external_id,
                    box=boxes.get(ledger.account.pk),
                    investments=ledger.investments,
                )
            )
    return out


def latest_economics(
    latest: LatestFigures,
    *,
    external_id: str,
    box: str | None,
    investments: Sequence[InvestmentResult] = (),
) -> core.AccountEconomics:
    """One account's latest period in base currency, with its investments' measured
    incremental contribution (as kam.core's ``AccountEconomics``)."""
    invested = sum(float(r.investment.amount) for r in investments if r.result)
    incremental = sum(r.result.total_incremental for r in investments if r.result)
    return core.AccountEconomics(
        account=external_id,
        box=box or None,
        revenue=latest.to_base(latest.revenue),
        contribution=latest.to_base(latest.contribution),
        cost_to_serve=latest.to_base(latest.cost_to_serve),
        team_hours=latest.team_hours,
        investment=latest.to_base(invested),
        incremental_contribution=latest.to_base(incremental),
    )


def _money(value: float, currency: str) -> str:
    return formats.money(value, currency)


def _box_name(box: str) -> str:
    from kam.organisation.models import Box

    return str(dict(Box.choices).get(box, box))


def _box_amounts(rows: Sequence[core.BoxEconomics], currency: str) -> str:
    """ "Key development EUR 6,421, Maintenance EUR 6,608" (contribution per team hour)."""
    return ", ".join(
        f"{_box_name(r.box)} {_money(r.contribution_per_hour or 0.0, currency)}" for r in rows
    )


def box_answer(rows: Sequence[core.BoxEconomics], currency: str) -> str:
    """A few sentences: which box earns most per hour of cost-to-serve time (contribution per
    team hour), whether key accounts earn more per hour than each other box, and which boxes
    have too few hours or accounts to judge (``kam.core.economics.box_verdict``)."""
    verdict = core.box_verdict(rows)
    key = verdict.key
    limits = {
        "min_hours": formats.number(verdict.min_hours),
        "min_accounts": verdict.min_accounts,
    }
    if key is None or key.accounts == 0:
        return _("No account is in the key box yet: place accounts on the matrix first.")
    sentences: list[str] = []
    if key not in verdict.judged:
        sentences.append(
            _(
                "Too few hours logged to judge key accounts yet: %(hours)s team hours on "
                "%(accounts)s accounts, and a box is judged from %(min_hours)s hours on "
                "%(min_accounts)s accounts."
            )
            % {"hours": formats.number(key.team_hours), "accounts": key.accounts, **limits}
        )
        if verdict.best is not None:
            sentences.append(
                _("Of the boxes that can be judged, %(best)s earns the most per hour: %(amount)s.")
                % {
                    "best": _box_name(verdict.best.box),
                    "amount": _money(verdict.best.contribution_per_hour or 0.0, currency),
                }
            )
    else:
        values = {
            "key": _money(key.contribution_per_hour or 0.0, currency),
            "beats": _box_amounts(verdict.key_beats, currency),
            "trails": _box_amounts(verdict.key_trails, currency),
            "share": formats.number(100 * key.hours_share),
            **limits,
        }
        if verdict.earns is None:
            sentences.append(
                _(
                    "Key accounts return %(key)s of contribution per team hour, but no other "
                    "box has the %(min_hours)s hours on %(min_accounts)s accounts it takes to "
                    "compare with."
                )
                % values
            )
        elif verdict.earns:
            sentences.append(
                _(
                    "Yes: key accounts earn the most per hour, %(key)s of contribution per "
                    "team hour, against %(beats)s; they take %(share)s %% of the team's hours."
                )
                % values
            )
        else:
            assert verdict.best is not None
            values["best"] = _box_name(verdict.best.box)
            values["best_amount"] = _money(verdict.best.contribution_per_hour or 0.0, currency)
            if verdict.key_beats:
                text = _(
                    "Not yet: %(best)s earns the most per hour, %(best_amount)s of contribution "
                    "per team hour. Key accounts earn %(key)s: less than %(trails)s, more than "
                    "%(beats)s."
                )
            else:
                text = _(
                    "Not yet: %(best)s earns the most per hour, %(best_amount)s of contribution "
                    "per team hour. Key accounts earn %(key)s: less than %(trails)s."
                )
            sentences.append(text % values)
        if key.roi is not None:
            sentences.append(
                _("The investments in key accounts return %(roi)s %%.")
                % {"roi": formats.number(100 * key.roi)}
            )
    others_too_few = [r for r in verdict.too_few if r.box != key.box]
    if others_too_few:
        sentences.append(
            _("Too few hours or accounts to judge: %(boxes)s.")
            % {"boxes": ", ".join(_box_name(r.box) for r in others_too_few)}
        )
    return " ".join(sentences)


def box_comparison(
    *, ledgers: Sequence[AccountLedger], boxes: dict[int, str], currency: str
) -> BoxComparison:
    """compare_boxes over the ledgers' latest period, with its answer sentence."""
    period = next((ledger.latest.period for ledger in ledgers if ledger.latest), None)
    return box_comparison_of(
        account_economics(ledgers, boxes), period=period, accounts=len(ledgers), currency=currency
    )


def box_comparison_of(
    economics: Iterable[core.AccountEconomics],
    *,
    period: Period | None,
    accounts: int,
    currency: str,
) -> BoxComparison:
    """compare_boxes over the accounts' ``economics`` of ``period`` (``accounts``: how many
    accounts were compared), with its answer sentence."""
    rows = core.compare_boxes(economics)
    return BoxComparison(
        rows=rows,
        period=period,
        answer=box_answer(rows, currency),
        accounts=accounts,
        earns=key_accounts_earn(rows),
    )


def key_accounts_earn(rows: Sequence[core.BoxEconomics]) -> bool | None:
    """True when key accounts, judged (enough hours and accounts), earn at least every judged
    other box per team hour; False when one earns more; None when it cannot be told."""
    return core.box_verdict(rows).earns
