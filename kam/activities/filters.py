"""The one filter definition of the activity list, used by the page and the API.

As with the account list (``kam.accounts.filters``): the API declares ``ActivityFilters``
as its query parameters and refuses a bad value (422); the page reads the same fields
leniently with ``activity_filters_parse`` (a bad value is dropped, the rest still filters).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field, ValidationError

from kam.activities.models import Activity

TypeFilter = Literal["", "visit", "call", "meeting", "review", "email", "other"]


class ActivityFilters(Schema):
    """What the activity list can be narrowed by; dates are inclusive."""

    account: int | None = Field(None, description="Account id.")
    person: int | None = Field(None, description="User id of one of our participants.")
    type: TypeFilter = Field("", description="Activity type.")
    date_from: dt.date | None = Field(None, description="First date, YYYY-MM-DD.")
    date_to: dt.date | None = Field(None, description="Last date, YYYY-MM-DD.")

    def is_filtered(self) -> bool:
        """True when any filter narrows the list."""
        return bool(self.account or self.person or self.type or self.date_from or self.date_to)


def activity_filters_parse(params: Mapping[str, Any]) -> ActivityFilters:
    """Filters from a page's query string; values that do not fit are dropped, not refused."""
    values: dict[str, Any] = {}
    for name in ActivityFilters.model_fields:
        raw = params.get(name)
        if raw is None or raw == "":
            continue
        value = raw.strip() if isinstance(raw, str) else raw
        try:
            ActivityFilters.model_validate({name: value})
        except ValidationError:
            continue
        values[name] = value
    return ActivityFilters.model_validate(values)


def activity_filter(
    *, queryset: QuerySet[Activity], filters: ActivityFilters
) -> QuerySet[Activity]:
    """Apply ``filters`` to ``queryset`` (start from ``activity_list_visible``)."""
    qs = queryset
    if filters.account:
        qs = qs.filter(account_id=filters.account)
    if filters.person:
        qs = qs.filter(participations__user_id=filters.person)
    if filters.type:
        qs = qs.filter(type=filters.type)
    if filters.date_from:
        qs = qs.filter(date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(date__lte=filters.date_to)
    return qs
