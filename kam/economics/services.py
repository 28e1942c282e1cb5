"""Writes of account facts (the facts themselves are computed by kam.facts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.db import transaction

from kam.core.fact_scores import FACTS
from kam.economics.models import AccountFacts


def account_facts_save(
    *, as_of: dt.date, rows: Iterable[tuple[int, Mapping[str, float | None]]]
) -> int:
    """Store facts per account at ``as_of`` (replacing that day's rows); returns the count.

    ``rows`` holds (account id, {fact name: value}); names outside the known facts are
    ignored, missing ones stored as null.
    """
    objects = [
        AccountFacts(
            account_id=account_id,
            as_of=as_of,
            **{name: (None if values.get(name) is None else float(values[name])) for name in FACTS},  # type: ignore[arg-type]
        )
        for account_id, values in rows
    ]
    with transaction.atomic():
        AccountFacts.objects.filter(
            as_of=as_of, account_id__in=[o.account_id for o in objects]
        ).delete()
        AccountFacts.objects.bulk_create(objects, batch_size=2000)
    return len(objects)
