"""The demo's economics (``kam.demo``): three years of invoice lines, cost to serve and a few
investments for the demo portfolio, seeded and reproducible (docs/method.md section 6).

- **Invoice lines** for the three 365-day years before ``today``, generated with numpy and
  written as one Parquet file that goes through the real import (``kam.facts`` store), so
  the store, the facts and every page have true numbers. Each account's yearly revenue
  follows its demo revenue per calendar year (``AccountRevenue``, in its own currency);
  key accounts order twice a week, opportunistic ones a handful of times a year; soups
  sell more in winter; margins are thinner with the big retail groups; one customer in
  nine pays weeks late; a few accounts are declining.
- **Team hours**: two more years of activities (``kam.demo.activities`` run for the years
  before), so that every year's cost to serve includes the team's time.
- **Cost-to-serve items** per account and year (logistics, service, rebates for the large
  customers, the odd "other") and **available spend** for the key and key development
  accounts (share of wallet).
- **Investments** in a few key and key development accounts a year or two ago; most lift
  the account's sales after their date, one does not pay back.

The facts are computed at ``today`` once the lines are in. Numbers come only from
``numpy.random.default_rng([seed, STREAM])``; what each box orders, the categories and the
investments are in ``story/economics.toml``.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from django.utils.translation import gettext as _

from kam.accounts.models import Account, AccountRevenue
from kam.demo.data import story
from kam.economics.lines import store_get
from kam.economics.models import CostKind, CostToServeItem, Investment, InvestmentKind
from kam.organisation.models import Box
from kam.portfolio.models import Placement
from kam.portfolio.selectors import portfolio_review

STREAM = 6
SOURCE = "demo-invoices"
YEARS = 3
_STORY = story("economics")
_BOXES = {Box(box) if box else "": b for box, b in _STORY["boxes"].items()}
#: Orders per year by box in the latest review ("" = not placed).
ORDERS_PER_YEAR: dict[str, int] = {box: b["orders_per_year"] for box, b in _BOXES.items()}
#: Typical gross margin by box: big retail groups buy at thinner margins.
GROSS_MARGIN: dict[str, float] = {box: b["gross_margin"] for box, b in _BOXES.items()}
#: Logistics as a share of revenue: small drops cost more per euro.
LOGISTICS: dict[str, float] = {box: b["logistics"] for box, b in _BOXES.items()}
#: Share of the small accounts (maintenance, opportunistic, unplaced) that stop buying at
#: some point of the three years: customers are lost, and the purchase model can see it.
DROP_OUT = 0.15
CATEGORIES: tuple[str, ...] = tuple(_STORY["categories"])
#: (kind, what it was, the plan it belongs to)
INVESTMENTS: tuple[tuple[str, str, str], ...] = tuple(
    (InvestmentKind(i["kind"]), i["description"], i["plan"]) for i in _STORY["investments"]
)
#: What the cost-to-serve items say, by kind.
COST_NOTES: dict[str, str] = {CostKind(kind): note for kind, note in _STORY["cost_notes"].items()}


@dataclass
class _Plan:
    account: Account
    box: str
    yearly: dict[int, float]


def _boxes() -> dict[int, str]:
    latest = portfolio_review()
    if latest is None:
        return {}
    return dict(Placement.objects.filter(review=latest).values_list("account_id", "box"))


def _more_activities(*, seed: int, today: dt.date, prefix: str) -> None:
    from kam.demo.activities import demo_activities

    for k in range(1, YEARS):
        demo_activities(
            seed=seed + 100 * k,
            today=today - dt.timedelta(days=365 * k),
            stdout=io.StringIO(),
            external_id_prefix=prefix,
        )


def demo_economics(
    *, seed: int, today: dt.date, stdout: TextIO, external_id_prefix: str = "NHF-"
) -> int:
    """Write the demo's invoice lines, cost to serve, available spend and investments, and
    compute the facts (see the module docstring). Returns the number of invoice lines."""
    from kam.economics.services import facts_compute

    rng = np.random.default_rng([seed, STREAM])
    accounts = list(
        Account.objects.filter(external_id__startswith=external_id_prefix).order_by("external_id")
    )
    if not accounts:
        return 0
    boxes = _boxes()
    revenue: dict[int, dict[int, float]] = {}
    for account_id, year, amount in AccountRevenue.objects.filter(account__in=accounts).values_list(
        "account_id", "year", "amount"
    ):
        revenue.setdefault(account_id, {})[year] = float(amount)
    _more_activities(seed=seed, today=today, prefix=external_id_prefix)

    first = today - dt.timedelta(days=365 * YEARS - 1)
    days = np.array(
        [first + dt.timedelta(days=int(d)) for d in range((today - first).days + 1)],
        dtype="datetime64[D]",
    )
    day_of_year = (days - days.astype("datetime64[Y]")).astype(int)
    years = days.astype("datetime64[Y]").astype(int) + 1970
    weekday = (days.astype(int) + 3) % 7  # 0 = Monday
    season = 1.0 + 0.22 * np.cos(2 * np.pi * (day_of_year - 15) / 365.0)
    open_day = weekday < 5

    n = len(accounts)
    declining = set(rng.choice(n, size=max(3, n // 40), replace=False).tolist())
    late_payer = rng.random(n) < 0.11
    candidates = [
        i for i, a in enumerate(accounts) if boxes.get(a.pk) in {Box.KEY, Box.KEY_DEVELOPMENT}
    ]
    invested = rng.choice(
        candidates, size=min(len(INVESTMENTS), len(candidates)), replace=False
    ).tolist()
    # the investment that does not pay back: in a key development account when there is one
    failing = next(
        (i for i in invested[::-1] if boxes.get(accounts[i].pk) == Box.KEY_DEVELOPMENT),
        invested[-1] if invested else None,
    )
    invest_day: dict[int, dt.date] = {}
    for j, i in enumerate(invested):
        back = int(rng.integers(330, 640)) if j % 2 == 0 else int(rng.integers(400, 700))
        invest_day[i] = today - dt.timedelta(days=back)
        declining.discard(i)

    cols: dict[str, list[Any]] = {
        name: []
        for name in (
            "account_external_id",
            "invoice_id",
            "invoice_date",
            "product",
            "category",
            "quantity",
            "amount",
            "cost",
            "due_date",
            "paid_date",
            "currency",
        )
    }
    last_year = today.year - 1
    invest_size: dict[int, float] = {}
    for i, account in enumerate(accounts):
        box = boxes.get(account.pk, "")
        history = revenue.get(account.pk) or {last_year: 60_000.0}
        known = sorted(history)
        level = np.array(
            [
                history.get(int(y), history[known[-1]] if y > known[-1] else history[known[0]])
                for y in years
            ],
            dtype=float,
        )
        if len(known) >= 2 and history[known[-2]] > 0:
            trend = np.clip(history[known[-1]] / history[known[-2]], 0.85, 1.2)
            level = np.where(years > known[-1], level * trend, level)
        if i in declining:
            level = level * np.linspace(1.15, 0.55, level.size)
        if i in invest_day:
            # a steady account before the investment, so that its effect is what changes
            steady = history[known[-1]] * (1.03 ** ((days - days[0]).astype(int) / 365.0))
            uplift = 0.0 if i == failing else float(rng.uniform(0.12, 0.22))
            ramp = np.clip((days - np.datetime64(invest_day[i])).astype(int) / 180.0, 0, 1)
            level = steady * (1 + uplift * ramp)
            invest_size[i] = (
                history[known[-1]] * max(uplift, 0.15) * GROSS_MARGIN[box] * rng.uniform(0.35, 0.7)
            )
        per_year = ORDERS_PER_YEAR[box] * float(np.exp(rng.normal(0, 0.2)))
        chance = np.where(open_day, per_year / 260.0 * season, 0.0)
        ordered = rng.random(days.size) < np.minimum(chance, 1.0)
        if i in declining:
            ordered &= rng.random(days.size) < np.linspace(1.0, 0.6, days.size)
        if box not in {Box.KEY, Box.KEY_DEVELOPMENT} and rng.random() < DROP_OUT:
            ordered[int(rng.integers(days.size // 6, days.size - 30)) :] = False
        idx = np.flatnonzero(ordered)
        if idx.size == 0:
            idx = np.array([int(rng.integers(days.size))])
        # each order is worth the year's revenue / the year's expected orders, with noise
        order_value = level[idx] / per_year
        order_value *= np.exp(rng.normal(-0.045, 0.3, idx.size))
        # each year's total follows the account's level (±3 %), whatever the number of orders
        year_of = (days.size - 1 - idx) // 365
        for k in np.unique(year_of):
            in_year = year_of == k
            days_k = (days.size - 1 - np.arange(days.size)) // 365 == k
            target = level[days_k].sum() / 365.0 * float(np.exp(rng.normal(0, 0.03)))
            order_value[in_year] *= target / order_value[in_year].sum()
        margin = float(np.clip(GROSS_MARGIN[box] + rng.normal(0, 0.025), 0.12, 0.5))
        terms = 60 if box == Box.KEY else 30
        late_mean = float(rng.uniform(18, 45)) if late_payer[i] else 2.0
        for k, d in enumerate(idx):
            lines = int(rng.integers(1, 4))
            shares = rng.dirichlet(np.ones(lines))
            invoice_date = days[d].item()
            due = invoice_date + dt.timedelta(days=terms)
            paid = due + dt.timedelta(days=int(max(-5, rng.normal(late_mean, late_mean / 3 + 2))))
            for line, share in enumerate(shares):
                line_amount = round(float(order_value[k] * share), 2)
                if line_amount <= 0:
                    continue
                category = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
                cols["account_external_id"].append(account.external_id)
                cols["invoice_id"].append(f"{account.external_id}-{k + 1:05d}")
                cols["invoice_date"].append(invoice_date)
                cols["product"].append(f"{category} {line + 1}")
                cols["category"].append(category)
                cols["quantity"].append(float(max(1, round(line_amount / 18.0))))
                cols["amount"].append(Decimal(str(line_amount)))
                cost = line_amount * (1 - margin + rng.normal(0, 0.02))
                cols["cost"].append(Decimal(str(round(cost, 2))))
                cols["due_date"].append(due)
                cols["paid_date"].append(paid if paid <= today else None)
                cols["currency"].append(account.currency)
    table = pa.table(
        {
            "account_external_id": pa.array(cols["account_external_id"], pa.string()),
            "invoice_id": pa.array(cols["invoice_id"], pa.string()),
            "invoice_date": pa.array(cols["invoice_date"], pa.date32()),
            "product": pa.array(cols["product"], pa.string()),
            "category": pa.array(cols["category"], pa.string()),
            "quantity": pa.array(cols["quantity"], pa.float64()),
            "amount": pa.array(cols["amount"], pa.decimal128(18, 2)),
            "cost": pa.array(cols["cost"], pa.decimal128(18, 2)),
            "due_date": pa.array(cols["due_date"], pa.date32()),
            "paid_date": pa.array(cols["paid_date"], pa.date32()),
            "currency": pa.array(cols["currency"], pa.string()),
        }
    )
    store = store_get()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "noordhoek-invoices.parquet"
        pq.write_table(table, path)
        store.lines_import(path=path, source=SOURCE, filename=path.name)

    _write_costs(rng, accounts, boxes, cols, today)
    _write_spend(rng, accounts, boxes, cols, today, store)
    _write_investments(rng, accounts, invested, invest_day, invest_size, failing)
    facts = facts_compute(as_of=today)
    _scheme_from_facts()
    stdout.write(
        _(
            "Invoice lines: %(lines)s over three years for %(accounts)d accounts; facts of "
            "%(facts)d accounts as of %(date)s; %(investments)d investments."
        )
        % {
            "lines": f"{table.num_rows:,}",
            "accounts": len(accounts),
            "facts": facts["facts"],
            "date": today.isoformat(),
            "investments": len(invested),
        }
        + "\n"
    )
    return int(table.num_rows)


#: the demo scheme's criteria that the invoice history measures, and how (scoring.md)
FACT_BINDINGS = {
    # days paid late, lower is better: at most 1 day scores 10 … more than 90 days scores 1
    "payment": (
        "mean_days_late",
        {
            "method": "thresholds",
            "cuts": [1, 3, 7, 14, 21, 30, 45, 60, 90],
            "higher_is_better": False,
        },
    ),
    # gross margin %: under 10 % scores 1 … 35 % and more scores 10
    "profitability": (
        "gross_margin_pct",
        {
            "method": "thresholds",
            "cuts": [10, 13, 16, 19, 22, 25, 28, 32, 35],
            "higher_is_better": True,
        },
    ),
}


def _scheme_from_facts() -> None:
    """A next version of the demo scheme that scores payment discipline and profitability
    from the invoice history, ready for the next review (the demo's reviews keep theirs)."""
    from kam.portfolio.models import ScoringScheme
    from kam.portfolio.services import scheme_content_of, scheme_version_create

    scheme = ScoringScheme.objects.order_by("pk").first()
    latest = scheme.latest_version() if scheme else None
    if scheme is None or latest is None:
        return
    content = scheme_content_of(version=latest)
    criteria = [
        replace(c, fact=FACT_BINDINGS[c.key][0], fact_rule=FACT_BINDINGS[c.key][1])
        if c.key in FACT_BINDINGS
        else c
        for c in content.criteria
    ]
    scheme_version_create(
        scheme=scheme,
        content=replace(content, criteria=criteria),
        change_note=_STORY["facts_change_note"],
        created_by=None,
    )


def _revenue_by_period(cols: dict[str, list[Any]], today: dt.date) -> dict[tuple[str, int], float]:
    """(external id, period 0/−1/−2) → revenue of the generated lines."""
    out: dict[tuple[str, int], float] = {}
    for ext, day, amount in zip(
        cols["account_external_id"], cols["invoice_date"], cols["amount"], strict=True
    ):
        k = -((today - day).days // 365)
        out[(ext, k)] = out.get((ext, k), 0.0) + float(amount)
    return out


def _write_costs(
    rng: np.random.Generator,
    accounts: list[Account],
    boxes: dict[int, str],
    cols: dict[str, list[Any]],
    today: dt.date,
) -> None:
    by_period = _revenue_by_period(cols, today)
    items = []
    for account in accounts:
        box = boxes.get(account.pk, "")
        share = LOGISTICS[box] * float(np.exp(rng.normal(0, 0.15)))
        # the order desk's time per euro: small, irregular orders need the most
        service = 0.025 if box == Box.OPPORTUNISTIC else 0.012
        for k in range(YEARS):
            revenue = by_period.get((account.external_id, -k), 0.0)
            if revenue <= 0:
                continue
            end = today - dt.timedelta(days=365 * k)
            for q in range(4):  # quarterly freight invoices
                items.append(
                    CostToServeItem(
                        account=account,
                        date=end - dt.timedelta(days=91 * q + 10),
                        kind=CostKind.LOGISTICS,
                        amount=Decimal(str(round(revenue * share / 4, 2))),
                        note=COST_NOTES[CostKind.LOGISTICS],
                    )
                )
            items.append(
                CostToServeItem(
                    account=account,
                    date=end - dt.timedelta(days=40),
                    kind=CostKind.SERVICE,
                    amount=Decimal(str(round(revenue * service * float(rng.uniform(0.6, 1.4)), 2))),
                    note=COST_NOTES[CostKind.SERVICE],
                )
            )
            if box in {Box.KEY, Box.KEY_DEVELOPMENT}:
                items.append(
                    CostToServeItem(
                        account=account,
                        date=end - dt.timedelta(days=20),
                        kind=CostKind.REBATES,
                        amount=Decimal(str(round(revenue * float(rng.uniform(0.015, 0.035)), 2))),
                        note=COST_NOTES[CostKind.REBATES],
                    )
                )
            if rng.random() < 0.1:
                items.append(
                    CostToServeItem(
                        account=account,
                        date=end - dt.timedelta(days=int(rng.integers(30, 330))),
                        kind=CostKind.OTHER,
                        amount=Decimal(str(round(float(rng.uniform(500, 4000)), 2))),
                        note=COST_NOTES[CostKind.OTHER],
                    )
                )
    CostToServeItem.objects.bulk_create(items, batch_size=2000)


def _write_spend(
    rng: np.random.Generator,
    accounts: list[Account],
    boxes: dict[int, str],
    cols: dict[str, list[Any]],
    today: dt.date,
    store: object,
) -> None:
    by_period = _revenue_by_period(cols, today)
    values = {}
    for account in accounts:
        if boxes.get(account.pk) in {Box.KEY, Box.KEY_DEVELOPMENT}:
            revenue = by_period.get((account.external_id, 0), 0.0)
            share = float(rng.uniform(0.2, 0.65))
            if revenue > 0:
                values[account.external_id] = Decimal(str(round(revenue / share, -3)))
    store.available_spend_set(values=values)  # type: ignore[attr-defined]


def _write_investments(
    rng: np.random.Generator,
    accounts: list[Account],
    invested: list[int],
    invest_day: dict[int, dt.date],
    invest_size: dict[int, float],
    failing: int | None,
) -> None:
    rows = []
    for j, i in enumerate(invested):
        kind, description, plan = INVESTMENTS[j]
        amount = invest_size[i]
        rows.append(
            Investment(
                account=accounts[i],
                date=invest_day[i],
                kind=kind,
                amount=Decimal(str(round(amount, -3) if amount > 10_000 else round(amount, -2))),
                description=description,
                plan_label=plan,
                probability=Decimal("0.60")
                if i == failing
                else Decimal(str(round(float(rng.uniform(0.7, 0.95)), 2))),
            )
        )
    Investment.objects.bulk_create(rows)
