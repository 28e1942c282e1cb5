"""What the portfolio reads from economics, the app above it that it does not import
(docs/architecture.md, "The order of the packages"): the accounts' latest facts, from which
fact-bound criteria derive their scores, and the revenue of a year the matrix shows.
kam.economics registers its readers here in its app config (``EconomicsConfig.ready``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol


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


@dataclass
class _Sources:
    facts: FactsReader | None = None
    revenues: RevenuesReader | None = None


_sources = _Sources()


def sources_register(*, facts: FactsReader, revenues: RevenuesReader) -> None:
    """Called by economics when the apps are ready."""
    _sources.facts = facts
    _sources.revenues = revenues


def facts_latest(
    *, account_ids: Iterable[int], as_of: dt.date
) -> dict[int, dict[str, float | None]]:
    """The accounts' latest fact values at or before ``as_of`` (see ``FactsReader``)."""
    assert _sources.facts is not None, "kam.economics registers the facts reader when ready"
    return _sources.facts(account_ids=account_ids, as_of=as_of)


def revenues_of_year(*, external_ids: Mapping[int, str], year: int) -> dict[int, float]:
    """The accounts' revenue in ``year`` (see ``RevenuesReader``)."""
    assert _sources.revenues is not None, "kam.economics registers the revenue reader when ready"
    return _sources.revenues(external_ids=external_ids, year=year)
