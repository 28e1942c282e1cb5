"""The one filter definition of the account list, used by the page, the API and the export.

``AccountFilters`` is a ninja schema, so the API declares it as its query parameters and
validates strictly (a bad value answers 422); the page reads the same fields leniently
from the query string with ``account_filters_parse`` (a bad value is ignored, the rest
still filters). Both then call ``account_filter``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from django.db.models import F, Q, QuerySet
from ninja import Schema
from pydantic import Field, ValidationError

from kam.accounts.models import Account
from kam.organisation.models import Box

NOT_PLACED = "none"

BoxFilter = Literal["", "key", "key_development", "maintenance", "opportunistic", "none"]
SortKey = Literal[
    "name",
    "-name",
    "country",
    "-country",
    "channel",
    "-channel",
    "owner",
    "-owner",
    "revenue",
    "-revenue",
]
SORT_KEYS: tuple[str, ...] = tuple(k for k in get_args(SortKey) if not k.startswith("-"))

# Sorting by revenue uses the base-currency figure, so that accounts in different
# currencies rank by what they are worth to us; unknown revenue sorts last either way.
_ORDER: dict[str, list[Any]] = {
    "name": [F("name").asc(), F("pk").asc()],
    "country": [F("country").asc(), F("name").asc()],
    "channel": [F("channel").asc(), F("name").asc()],
    "owner": [
        F("owner__last_name").asc(nulls_last=True),
        F("owner__first_name").asc(nulls_last=True),
        F("owner__username").asc(nulls_last=True),
        F("name").asc(),
    ],
    "revenue": [F("revenue_last_year_base").asc(nulls_last=True), F("name").asc()],
}


class AccountFilters(Schema):
    """What the account list can be narrowed and sorted by."""

    q: str = Field("", description="Text in the account's name or external id.", max_length=200)
    owner: int | None = Field(None, description="User id of the key account manager.")
    country: str = Field("", description="ISO country code, e.g. NL.", max_length=2)
    channel: str = Field("", description="Industry or channel, exactly as stored.", max_length=60)
    box: BoxFilter = Field(
        "",
        description=(
            "Box in the portfolio (the latest closed review); 'none' for accounts not placed in it."
        ),
    )
    sort: SortKey = Field("name", description="Column to sort by; a leading '-' sorts descending.")

    def is_filtered(self) -> bool:
        """True when any filter (not just the sort order) narrows the list."""
        return bool(self.q or self.owner or self.country or self.channel or self.box)


def account_filters_parse(params: Mapping[str, Any]) -> AccountFilters:
    """Filters from a page's query string; values that do not fit are dropped, not refused."""
    values: dict[str, Any] = {}
    for name in AccountFilters.model_fields:
        raw = params.get(name)
        if raw is None or raw == "":
            continue
        try:
            AccountFilters.model_validate({name: raw.strip() if isinstance(raw, str) else raw})
        except ValidationError:
            continue
        values[name] = raw.strip() if isinstance(raw, str) else raw
    return AccountFilters.model_validate(values)


def account_filter(*, queryset: QuerySet[Account], filters: AccountFilters) -> QuerySet[Account]:
    """Apply ``filters`` to ``queryset``.

    ``queryset`` must carry the ``box`` and ``revenue_last_year_base`` annotations of
    ``kam.portfolio.selectors.account_list_annotated``.
    """
    qs = queryset
    if filters.q:
        text = filters.q.strip()
        qs = qs.filter(Q(name__icontains=text) | Q(external_id__icontains=text))
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.country:
        qs = qs.filter(country=filters.country.upper())
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.box == NOT_PLACED:
        qs = qs.filter(box="")
    elif filters.box in Box.values:
        qs = qs.filter(box=filters.box)
    key = filters.sort.lstrip("-")
    order = _ORDER[key]
    if filters.sort.startswith("-"):
        order = [*(_reverse(o) for o in order[:-1]), order[-1]]
    return qs.order_by(*order)


def _reverse(expression: Any) -> Any:
    """A sort column descending, keeping empty values last."""
    return F(expression.expression.name).desc(nulls_last=True)
