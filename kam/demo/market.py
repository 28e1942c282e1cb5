"""The demo's customers (``story/market.toml``): a few very large retail groups whose country
companies are accounts of their own (``parent``), and a long tail of regional retailers,
wholesalers, caterers and online shops in eight countries, each with three calendar years
of revenue in EUR (``_plan_accounts``; written in the customer's own currency).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from kam.demo.data import story

#: Every demo account's external id starts with this; it is how the demo recognises itself.
EXTERNAL_ID_PREFIX = "NHF-"

_MARKET = story("market")
_COUNTRIES = _MARKET["countries"]
_CHANNELS = _MARKET["channels"]

RATE_TO_EUR = {
    currency: Decimal(rate) for currency, rate in story("organisation")["rates_to_eur"].items()
}
CURRENCY = {country: c["currency"] for country, c in _COUNTRIES.items()}
COUNTRY_WEIGHTS: dict[str, float] = {country: c["weight"] for country, c in _COUNTRIES.items()}
COUNTRY_LOCAL: dict[str, str] = {country: c["local_name"] for country, c in _COUNTRIES.items()}
#: The channels the code treats apart (story/market.toml names the same four).
RETAIL, WHOLESALE, FOOD_SERVICE, ONLINE = "Retail", "Wholesale", "Food service", "Online"
CHANNEL_WEIGHTS: dict[str, float] = {name: c["weight"] for name, c in _CHANNELS.items()}
#: Typical yearly revenue (EUR) of a tail account per channel, and its growth (a year).
CHANNEL_REVENUE: dict[str, int] = {name: c["revenue_eur"] for name, c in _CHANNELS.items()}
CHANNEL_GROWTH: dict[str, float] = {name: c["growth"] for name, c in _CHANNELS.items()}

#: Customer groups: group name, brand of its country companies, home country, channel,
#: typical yearly revenue of the group's home business (EUR).
GROUPS: tuple[tuple[str, str, str, str, int], ...] = tuple(
    (g["name"], g["brand"], g["home"], g["channel"], g["revenue_eur"]) for g in _MARKET["groups"]
)
STEMS: dict[str, tuple[str, ...]] = {
    country: tuple(c["stems"]) for country, c in _COUNTRIES.items()
}
PATTERNS: dict[str, dict[str, tuple[str, ...]]] = {
    country: {channel: tuple(p) for channel, p in c["patterns"].items()}
    for country, c in _COUNTRIES.items()
}
BRANCH_SUFFIXES: tuple[str, ...] = tuple(_MARKET["branch_suffixes"])


@dataclass
class _Account:
    external_id: str
    name: str
    country: str
    channel: str
    currency: str
    group: int | None  # index into GROUPS
    parent: int | None  # index of the parent account
    revenue_eur: dict[int, float]
    growth: float
    competitor: str | None = None  # strongest competitor; None when not scored against one
    owner: str = ""
    third_rater: str = ""
    team: list[tuple[str, str]] = field(default_factory=list)


def _plan_accounts(rng: np.random.Generator, n: int, years: Sequence[int]) -> list[_Account]:
    """Groups with their country companies first, then a long tail; revenue in EUR a year."""
    accounts: list[_Account] = []
    used: set[str] = set()
    n_groups = min(len(GROUPS), max(2, round(n / 45)))
    countries = list(COUNTRY_WEIGHTS)

    def revenue(last_eur: float, growth: float, first_year: int) -> dict[int, float]:
        out: dict[int, float] = {}
        for k, year in enumerate(reversed(years)):  # last year first
            if year < first_year:
                break
            wobble = float(np.exp(rng.normal(0.0, 0.04)))
            out[year] = last_eur / (1.0 + growth) ** k * wobble
        return out

    for g in range(n_groups):
        if len(accounts) >= 0.3 * n:
            break
        group_name, brand, home, channel, size = GROUPS[g]
        growth = float(rng.normal(CHANNEL_GROWTH[channel] + 0.01, 0.04))
        parent = len(accounts)
        used.add(group_name)
        accounts.append(
            _Account(
                external_id="",
                name=group_name,
                country=home,
                channel=channel,
                currency=CURRENCY.get(home, "EUR"),
                group=g,
                parent=None,
                revenue_eur=revenue(size * float(np.exp(rng.normal(0, 0.25))), growth, 0),
                growth=growth,
            )
        )
        others = [c for c in countries if c != home]
        n_children = int(rng.integers(2, 5))
        for c in sorted(rng.choice(len(others), size=n_children, replace=False)):
            country = others[int(c)]
            child_growth = float(rng.normal(growth, 0.04))
            name = f"{brand} {COUNTRY_LOCAL[country]}"
            used.add(name)
            accounts.append(
                _Account(
                    external_id="",
                    name=name,
                    country=country,
                    channel=channel,
                    currency=CURRENCY.get(country, "EUR"),
                    group=g,
                    parent=parent,
                    revenue_eur=revenue(
                        size * 0.3 * float(np.exp(np.clip(rng.normal(0, 0.4), -1.5, 0.9))),
                        child_growth,
                        0,
                    ),
                    growth=child_growth,
                )
            )

    channels = list(CHANNEL_WEIGHTS)
    p_country = np.array([COUNTRY_WEIGHTS[c] for c in countries])
    p_channel = np.array([CHANNEL_WEIGHTS[c] for c in channels])
    while len(accounts) < n:
        country = countries[int(rng.choice(len(countries), p=p_country / p_country.sum()))]
        channel = channels[int(rng.choice(len(channels), p=p_channel / p_channel.sum()))]
        stems, patterns = STEMS[country], PATTERNS[country][channel]
        name = ""
        for _attempt in range(40):
            candidate = patterns[int(rng.integers(len(patterns)))].format(
                stems[int(rng.integers(len(stems)))]
            )
            if candidate not in used:
                name = candidate
                break
        if not name:  # a large demo has used up the plain names: add a branch
            for suffix in BRANCH_SUFFIXES:
                candidate = f"{candidate} {suffix}"
                if candidate not in used:
                    name = candidate
                    break
        if not name:
            continue
        used.add(name)
        growth = float(rng.normal(CHANNEL_GROWTH[channel], 0.07))
        last = CHANNEL_REVENUE[channel] * float(np.exp(rng.normal(0.0, 1.1)))
        last = max(last, 6_000.0)
        # A few customers are new: no revenue in the first year, or in the first two.
        u = float(rng.random())
        first_year = years[2] if u < 0.03 else years[1] if u < 0.09 else years[0]
        if first_year != years[0]:
            growth = abs(growth) + 0.15
        accounts.append(
            _Account(
                external_id="",
                name=name,
                country=country,
                channel=channel,
                currency=CURRENCY.get(country, "EUR"),
                group=None,
                parent=None,
                revenue_eur=revenue(last, growth, first_year),
                growth=growth,
            )
        )
    # Number them by size, as an ERP would have them from an old migration: groups first.
    for i, account in enumerate(accounts, start=1):
        account.external_id = f"{EXTERNAL_ID_PREFIX}{i:05d}"
    return accounts
