"""Reads of account facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from kam.core.fact_scores import FACTS
from kam.economics.models import AccountFacts


def account_facts_latest(
    *, account_ids: Iterable[int], as_of: dt.date | None = None
) -> dict[int, AccountFacts]:
    """Each account's most recent facts, at or before ``as_of`` when given."""
    qs = AccountFacts.objects.filter(account_id__in=list(account_ids))
    if as_of is not None:
        qs = qs.filter(as_of__lte=as_of)
    latest: dict[int, AccountFacts] = {}
    for row in qs.order_by("account_id", "-as_of"):
        latest.setdefault(row.account_id, row)
    return latest


def fact_value(row: AccountFacts | None, fact: str) -> float | None:
    """One named fact of a row (None when the row or the fact is missing)."""
    if row is None or fact not in FACTS:
        return None
    value = getattr(row, fact)
    return None if value is None else float(value)
