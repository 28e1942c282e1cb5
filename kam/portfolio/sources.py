"""What the portfolio reads from economics, the app above it that it does not import
(docs/architecture.md, "The order of the packages"): the accounts' latest facts, from which
fact-bound criteria derive their scores, and the revenue of a year the matrix shows.
kam.economics registers its readers here in its app config (``EconomicsConfig.ready``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Protocol

from kam.slots import Slot


class FactsReader(Protocol):
    """Account id → each fact's value (None when missing) in the account's latest facts at
    or before ``as_of``; accounts without facts are left out."""

    def __call__(
        self, *, account_ids: Iterable[int], as_of: dt.date
    ) -> dict[int, dict[str, float | None]]: ...


class RevenuesReader(Protocol):
    """Account id → its revenue in calendar ``year`` (invoiced, else entered), for the
    accounts given as id → external id; accounts without one are left out."""

    def __call__(self, *, external_ids: Mapping[int, str], year: int) -> dict[int, float]: ...


_facts: Slot[FactsReader] = Slot("the accounts' facts", provider="kam.economics")
_revenues: Slot[RevenuesReader] = Slot("the revenue of a year", provider="kam.economics")


def sources_register(*, facts: FactsReader, revenues: RevenuesReader) -> None:
    """Called by economics when the apps are ready."""
    _facts.fill(facts)
    _revenues.fill(revenues)


def facts_latest(
    *, account_ids: Iterable[int], as_of: dt.date
) -> dict[int, dict[str, float | None]]:
    """The accounts' latest fact values at or before ``as_of`` (see ``FactsReader``)."""
    return _facts.get()(account_ids=account_ids, as_of=as_of)


def revenues_of_year(*, external_ids: Mapping[int, str], year: int) -> dict[int, float]:
    """The accounts' revenue in ``year`` (see ``RevenuesReader``)."""
    return _revenues.get()(external_ids=external_ids, year=year)
