"""Reads behind the selection matrix page, its exports and its API (docs/method.md section 1).

One filter definition (``MatrixFilters``) serves the page, the table fragment, the chart
data, the CSV/PNG/SVG exports and the API, as NetBox does with its filter sets.

``matrix_rows`` assembles one plain dict per account the caller may see, in a constant
number of queries whatever the number of accounts: ``values()`` queries joined in Python
by account id (placements of the review, placements of the previous review, revenue).
What never changes once a review is closed (what its placements give each row, the
trails over earlier closed reviews) is computed once per process and kept under a key
of everything it is made of, so a change shows on the next request.

``capacity_check`` runs the three "never too many key accounts" checks of
``kam.core.capacity`` company-wide, and ``capacity_warning_messages`` turns the warnings
into sentences a sales director understands.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Max, TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import Schema
from pydantic import Field, ValidationError, field_validator

from kam.accounts.models import Account
from kam.accounts.selectors import account_list_visible
from kam.core.capacity import (
    CapacityCheck,
    CapacityWarning,
    WarningCode,
    check_key_account_capacity,
)
from kam.core.combined_axis import combined_position
from kam.core.scoring import BOXES
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.organisation.selectors import (
    box_policies_get,
    capacity_limits_get,
    exchange_rates_get,
    organisation_get,
    team_capacity_hours,
)
from kam.portfolio.models import Criterion, Outlook, Placement, Review, ReviewStatus
from kam.portfolio.selectors import portfolio_review, review_choices_for_matrix, review_previous
from kam.portfolio.sources import revenues_of_year

UNPLACED = "unplaced"
BOX_ORDER: tuple[str, ...] = tuple(b.value for b in BOXES)
AXES = ("relative", "absolute", "combined")
#: What bubble area shows: last full year's revenue, or the three-year revenue potential.
SIZES = ("revenue", "potential")
BoxFilter = Literal["key", "key_development", "maintenance", "opportunistic", "unplaced"]


class MatrixFilters(Schema):
    """Which accounts the matrix shows: one review (default the portfolio review, the latest
    closed one; an open review is shown as a preview) and optional filters.

    Empty strings (an "All" choice in the page's form) mean "no filter".
    """

    review_id: int | None = Field(
        default=None,
        description="Review id; when empty, the portfolio review (the latest closed one). "
        "An open review's id previews its placements so far.",
    )
    owner: int | None = Field(default=None, description="User id of the key account manager.")
    country: str | None = Field(default=None, description="ISO 3166 country code, e.g. NL.")
    channel: str | None = Field(default=None, description="Industry / channel, e.g. retail.")
    box: BoxFilter | None = Field(default=None, description="A box, or 'unplaced'.")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def as_query(self, **extra: Any) -> str:
        """The filters (plus ``extra`` parameters) as a URL query string, without ``?``."""
        params = {k: v for k, v in self.model_dump().items() if v is not None}
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return urlencode(params)

    @property
    def active(self) -> bool:
        """True when any filter other than the review narrows the accounts."""
        return any(v is not None for k, v in self.model_dump().items() if k != "review_id")


def matrix_filters_parse(data: Mapping[str, Any]) -> MatrixFilters:
    """Parse filters from a query string (``request.GET``); unknown keys are ignored.

    Raises ``ApplicationError`` (400) naming the field when a value has the wrong shape.
    """
    fields = MatrixFilters.model_fields
    try:
        return MatrixFilters.model_validate({k: data.get(k) for k in fields if k in data})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else None
        raise ApplicationError(
            _("The filter '%(field)s' has a value kam does not understand.") % {"field": field},
            field=field,
            status=400,
        ) from exc


def matrix_review_get(*, filters: MatrixFilters) -> Review | None:
    """The review the filters ask for, or the portfolio review; None when none is closed yet.

    An unknown ``review_id`` raises ``ApplicationError`` (404), a cancelled one 409.
    """
    if filters.review_id is None:
        return portfolio_review()
    review = (
        Review.objects.select_related("scheme_version__scheme").filter(pk=filters.review_id).first()
    )
    if review is None:
        raise ApplicationError(
            _("There is no review %(id)s.") % {"id": filters.review_id},
            field="review_id",
            status=404,
        )
    if review.status == ReviewStatus.CANCELLED:
        raise ApplicationError(
            _("Review %(name)s was cancelled; it has no boxes.") % {"name": review.name},
            field="review_id",
            status=409,
        )
    return review


def review_choices() -> list[Review]:
    """Closed and open reviews, newest first, for the review picker."""
    return review_choices_for_matrix()


def person_name(first: str | None, last: str | None, username: str | None) -> str:
    """A person's display name: first and last name, or the username when both are empty."""
    full = f"{first or ''} {last or ''}".strip()
    return full or (username or "")


def revenue_year(*, review: Review) -> int:
    """The last full calendar year before the review date: the year whose revenue sizes bubbles."""
    return review.review_date.year - 1


def account_url_pattern() -> tuple[str, str]:
    """Prefix and suffix of an account page's URL around its id (for the chart's links).

    reverse() once, then build each URL by string: 10,000 reverse() calls cost more than
    the whole database work of the matrix.
    """
    marker = 987654321
    prefix, suffix = reverse("accounts:detail", args=[marker]).split(str(marker))
    return prefix, suffix


def _placements_filtered(
    *, review: Review, user: User | AnonymousUser, filters: MatrixFilters
) -> Any:
    qs = Placement.objects.filter(
        review=review, account_id__in=account_list_visible(user=user).values("pk")
    )
    if filters.owner is not None:
        qs = qs.filter(account__owner_id=filters.owner)
    if filters.country:
        qs = qs.filter(account__country__iexact=filters.country)
    if filters.channel:
        qs = qs.filter(account__channel__iexact=filters.channel)
    if filters.box == UNPLACED:
        qs = qs.filter(box="")
    elif filters.box:
        qs = qs.filter(box=filters.box)
    return qs


def strength_value(
    *, axis: str, strength: float | None, relative_strength: float | None
) -> float | None:
    """The horizontal position on ``axis``: RS (ratio) on "relative", S_us (0-10) on "absolute"."""
    return relative_strength if axis == "relative" else strength


def matrix_rows(
    *,
    review: Review,
    user: User | AnonymousUser,
    filters: MatrixFilters,
    previous: Review | Literal[False] | None = False,
    trails: bool = True,
) -> list[dict[str, Any]]:
    """One dict per account of ``review`` that ``user`` may see and ``filters`` keep, by name.

    Keys: ``id``, ``name``, ``url`` (the account page), ``owner_id``, ``owner`` (name),
    ``country``, ``channel``, ``box`` ("" when not placed), ``attractiveness`` (A, 0-10),
    ``strength`` (S_us, 0-10), ``competitor_strength`` (S_comp, 0-10 or None),
    ``relative_strength`` (RS = S_us / S_comp, or None), ``strength_axis`` ("relative" or
    "absolute": the axis the account was classified on), ``strength_value`` (its position on
    that axis), ``p_key`` .. ``p_opportunistic`` (box probabilities, 0-1), ``p_box`` (the
    probability of its own box), ``uncertain``, ``missing`` and ``disagreement`` (criteria
    keys), ``revenue`` (last full year before the review, in the organisation's base
    currency; None when unknown or no exchange rate), ``previous_box``,
    ``previous_attractiveness`` and ``previous_strength_value`` (position in the previous
    review on the same axis, for the arrow; None when it was not placed there on that
    axis) and ``moved`` (True when that previous position differs).

    The combined picture (docs/scoring.md): ``combined_value`` is the account's strength
    as a position against its own cut line (-1 .. 0 .. +1, ``kam.core.combined_axis``), the
    same side of the line as its box, whichever axis it was placed on.

    The three-year outlook (``Outlook`` of this review): ``potential`` (revenue potential
    in three years, base currency; None when not given or no exchange rate),
    ``expected_attractiveness``, ``expected_strength_value`` (on the account's own axis:
    S_us, or S_us / S_comp with today's S_comp when no expected S_comp is given) and
    ``expected_combined``; None when the expected position is not scored.

    ``trail``: the account's positions in every closed review before ``review``, oldest
    first (``review_id``, ``review``, ``date``, ``box``, ``attractiveness``, ``x``: on this
    review's axis or None when it was placed on the other one then, ``c``: combined, with
    that review's own cut lines).

    ``previous`` is the review to compare with; by default the one before ``review``.
    ``trails`` False leaves every ``trail`` empty (the trails are the largest part of the
    work: one row per account and earlier review); ``trails_fill`` then reads them for the
    rows that need them (the chart's bubbles), as this function would have.
    Runs a constant number of queries (12 at most) whatever the number of accounts.

    What the placements of a closed review give each row (its position, box, probabilities,
    the arrow from the previous review, the combined and expected positions) is computed
    once per process and kept (``_review_part``), and so are the trails (``_trails_kept``);
    names, owners, revenue, potential in the base currency and who may see what are read
    on every call.
    """
    if previous is False:
        previous = review_previous(review=review)
    base = _placements_filtered(review=review, user=user, filters=filters)
    accounts = list(base.values_list(*_ACCOUNT_FIELDS).order_by("account__name", "account_id"))
    if not accounts:
        return []
    ids = base.values("account_id")
    cuts = matrix_cuts(review=review)
    part = _review_part(review=review, previous=previous, cuts=cuts, ids=ids)

    # The revenue is the figures' (kam.economics.figures): invoiced, else entered.
    year = revenue_year(review=review)
    revenue = revenues_of_year(external_ids={a[0]: a[9] for a in accounts}, year=year)
    rates = exchange_rates_get(organisation=organisation_get())
    prefix, suffix = account_url_pattern()
    earlier = _trails_kept(review=review) if trails else {}
    owners: dict[Any, str] = {}

    rows: list[dict[str, Any]] = []
    for pk, name, owner_id, first, last, username, country, channel, currency, _ext in accounts:
        placed = part.get(pk)
        if placed is None:
            continue  # an open review's placements were computed again between the reads
        (
            box,
            attractiveness,
            strength,
            competitor_strength,
            relative_strength,
            axis,
            value,
            p_key,
            p_key_development,
            p_maintenance,
            p_opportunistic,
            p_box,
            uncertain,
            missing,
            disagreement,
            previous_box,
            prev_a,
            prev_x,
            moved,
            combined_value,
            potential_revenue,
            expected,
        ) = placed
        amount = revenue.get(pk)
        rate = rates.get(currency)
        revenue_base = (
            float(Decimal(str(amount)) * rate) if amount is not None and rate is not None else None
        )
        if owner_id in owners:
            owner = owners[owner_id]
        else:
            owner = owners[owner_id] = person_name(first, last, username)
        rows.append(
            {
                "id": pk,
                "name": name,
                "url": f"{prefix}{pk}{suffix}",
                "owner_id": owner_id,
                "owner": owner,
                "country": country,
                "channel": channel,
                "box": box,
                "attractiveness": attractiveness,
                "strength": strength,
                "competitor_strength": competitor_strength,
                "relative_strength": relative_strength,
                "strength_axis": axis,
                "strength_value": value,
                "p_key": p_key,
                "p_key_development": p_key_development,
                "p_maintenance": p_maintenance,
                "p_opportunistic": p_opportunistic,
                "p_box": p_box,
                "uncertain": uncertain,
                "missing": list(missing),
                "disagreement": list(disagreement),
                "revenue": revenue_base,
                "revenue_year": year,
                "previous_box": previous_box,
                "previous_attractiveness": prev_a,
                "previous_strength_value": prev_x,
                "moved": moved,
                "combined_value": combined_value,
                "potential": float(Decimal(str(potential_revenue)) * rate)
                if potential_revenue is not None and rate is not None
                else None,
                **expected,
                "trail": _row_trail(earlier[pk], axis=axis, box=box) if pk in earlier else [],
            }
        )
    return rows


_ACCOUNT_FIELDS = (
    "account_id",
    "account__name",
    "account__owner_id",
    "account__owner__first_name",
    "account__owner__last_name",
    "account__owner__username",
    "account__country",
    "account__channel",
    "account__currency",
    "account__external_id",
)

_PART_FIELDS = (
    "account_id",
    "attractiveness",
    "strength",
    "competitor_strength",
    "relative_strength",
    "strength_axis",
    "box",
    "p_key",
    "p_key_development",
    "p_maintenance",
    "p_opportunistic",
    "uncertain",
    "missing_text",
    "disagreement_text",
)

#: What the placements of a closed review give its matrix rows (``_review_part``), by
#: ``_review_part_key``: at most ``_REVIEW_PARTS_KEPT`` reviews, the last used kept.
_review_parts: OrderedDict[tuple[Any, ...], dict[int, tuple[Any, ...]]] = OrderedDict()
_review_parts_lock = threading.Lock()
_REVIEW_PARTS_KEPT = 4


def review_parts_forget() -> None:
    """Forget every kept review part and trail (tests; the keys alone keep them right)."""
    with _review_parts_lock:
        _review_parts.clear()
        _trails_by_reviews.clear()


def _review_part_key(
    *, review: Review, previous: Review | None, cuts: Mapping[str, float]
) -> tuple[Any, ...] | None:
    """What the part of a closed review depends on (two queries): the review, when its
    placements were computed and how many there are (the highest id too: placements are
    only ever deleted and created again), the previous review, the cut lines, and the
    review's outlooks (how many and when one last changed; saving one stamps it). None for
    an open review: its placements change while it is scored."""
    if review.status != ReviewStatus.CLOSED:
        return None
    placed = Placement.objects.filter(review=review).aggregate(n=Count("pk"), last=Max("pk"))
    outlooks = Outlook.objects.filter(review=review).aggregate(
        n=Count("pk"), last=Max("pk"), changed=Max("updated_at")
    )
    return (
        review.pk,
        review.computed_at,
        review.closed_at,
        placed["n"],
        placed["last"],
        previous.pk if previous is not None else None,
        previous.computed_at if previous is not None else None,
        tuple(sorted(cuts.items())),
        outlooks["n"],
        outlooks["last"],
        outlooks["changed"],
    )


def _review_part(
    *, review: Review, previous: Review | None, cuts: Mapping[str, float], ids: Any
) -> dict[int, tuple[Any, ...]]:
    """Account id to what its placement in ``review`` gives its matrix row (see
    ``_review_part_compute``): for a closed review every placement's, computed once and kept
    under ``_review_part_key``; for an open one those of ``ids`` (a query of account ids),
    computed on each call."""
    key = _review_part_key(review=review, previous=previous, cuts=cuts)
    if key is None:
        return _review_part_compute(review=review, previous=previous, cuts=cuts, ids=ids)
    with _review_parts_lock:
        part = _review_parts.get(key)
        if part is not None:
            _review_parts.move_to_end(key)
            return part
    part = _review_part_compute(review=review, previous=previous, cuts=cuts, ids=None)
    with _review_parts_lock:
        _review_parts[key] = part
        while len(_review_parts) > _REVIEW_PARTS_KEPT:
            _review_parts.popitem(last=False)
    return part


def _review_part_compute(
    *, review: Review, previous: Review | None, cuts: Mapping[str, float], ids: Any
) -> dict[int, tuple[Any, ...]]:
    """Account id to the placement's part of its matrix row (``ids``: those accounts only;
    None: every placement of ``review``), as the tuple ``matrix_rows`` unpacks: box,
    A, S_us, S_comp, RS, axis, strength value, the four probabilities and ``p_box``,
    uncertain, missing, disagreement (tuples), previous box, previous A and strength value,
    moved, combined value, the outlook's potential (account currency) and the expected
    position's keys (three queries)."""
    placements = Placement.objects.filter(review=review)
    if ids is not None:
        placements = placements.filter(account_id__in=ids)
    # Tuples, and the two JSON lists as their text (decoded below only when not empty):
    # at 10,000 accounts Django's dicts and JSON converters cost more than the query.
    rows = placements.annotate(
        missing_text=Cast("missing", TextField()),
        disagreement_text=Cast("disagreement", TextField()),
    ).values_list(*_PART_FIELDS)
    account_ids = placements.values("account_id")
    before: dict[int, tuple[Any, ...]] = {}
    if previous is not None:
        before = {
            p[0]: p
            for p in Placement.objects.filter(review=previous, account_id__in=account_ids)
            .exclude(box="")
            .values_list("account_id", "attractiveness", "strength", "relative_strength", "box")
        }
    outlooks = {
        o["account_id"]: o
        for o in Outlook.objects.filter(review=review, account_id__in=account_ids).values(
            "account_id",
            "potential_revenue",
            "expected_attractiveness",
            "expected_strength",
            "expected_competitor_strength",
        )
    }
    no_outlook = _outlook_row(None, axis="", competitor_strength=None, cuts=cuts, rate=None)
    del no_outlook["potential"]
    out: dict[int, tuple[Any, ...]] = {}
    for (
        pk,
        attractiveness,
        strength,
        competitor_strength,
        relative_strength,
        strength_axis,
        box,
        p_key,
        p_key_development,
        p_maintenance,
        p_opportunistic,
        uncertain,
        missing,
        disagreement,
    ) in rows:
        box = box or ""
        axis = (strength_axis or "") if box else ""
        value = (relative_strength if axis == "relative" else strength) if box else None
        old = before.get(pk)
        prev_a = prev_x = None
        moved = False
        if old is not None and box:
            prev_x = old[3] if axis == "relative" else old[2]
            if prev_x is not None:
                prev_a = old[1]
                moved = (
                    prev_a is not None
                    and value is not None
                    and (abs(prev_a - attractiveness) > 1e-6 or abs(prev_x - value) > 1e-6)
                )
        outlook = outlooks.get(pk)
        if outlook is not None:
            expected = _outlook_row(
                outlook, axis=axis, competitor_strength=competitor_strength, cuts=cuts, rate=None
            )
            del expected["potential"]
        else:
            expected = no_outlook
        out[pk] = (
            box,
            attractiveness,
            strength,
            competitor_strength,
            relative_strength,
            axis,
            value,
            p_key,
            p_key_development,
            p_maintenance,
            p_opportunistic,
            _BOX_PROBABILITY[box](p_key, p_key_development, p_maintenance, p_opportunistic)
            if box
            else None,
            bool(uncertain) and bool(box),
            tuple(_json_list(missing)),
            tuple(_json_list(disagreement)),
            old[4] if old is not None else None,
            prev_a,
            prev_x,
            moved,
            _combined(
                axis=axis,
                strength=strength,
                competitor_strength=competitor_strength,
                cuts=cuts,
            )
            if box
            else None,
            outlook["potential_revenue"] if outlook is not None else None,
            expected,
        )
    return out


#: The probability of a row's own box, from (p_key, p_key_development, p_maintenance,
#: p_opportunistic).
_BOX_PROBABILITY: dict[str, Any] = {
    "key": lambda k, d, m, o: k,
    "key_development": lambda k, d, m, o: d,
    "maintenance": lambda k, d, m, o: m,
    "opportunistic": lambda k, d, m, o: o,
}


def _json_list(text: str | None) -> list[Any]:
    """A JSON list read as text (``Cast(…, TextField())``): ``[]`` without decoding it."""
    if not text or text == "[]":
        return []
    value = json.loads(text)
    return list(value) if value else []


def _combined(
    *,
    axis: str,
    strength: float | None,
    competitor_strength: float | None,
    cuts: Mapping[str, float],
) -> float | None:
    """The combined-axis position of a placement (None when it cannot be drawn)."""
    if strength is None or axis not in ("relative", "absolute"):
        return None
    if axis == "relative" and not competitor_strength:
        return None
    return combined_position(
        relative=axis == "relative",
        strength=strength,
        competitor_strength=competitor_strength,
        cut_relative=cuts["relative"],
        cut_absolute=cuts["absolute"],
    )


def _outlook_row(
    outlook: Mapping[str, Any] | None,
    *,
    axis: str,
    competitor_strength: float | None,
    cuts: Mapping[str, float],
    rate: Decimal | None,
) -> dict[str, Any]:
    """The outlook keys of a matrix row (see ``matrix_rows``)."""
    out: dict[str, Any] = {
        "potential": None,
        "expected_attractiveness": None,
        "expected_strength_value": None,
        "expected_combined": None,
    }
    if outlook is None:
        return out
    if outlook["potential_revenue"] is not None and rate is not None:
        out["potential"] = float(Decimal(str(outlook["potential_revenue"])) * rate)
    a, s = outlook["expected_attractiveness"], outlook["expected_strength"]
    if a is None or s is None or not axis:
        return out
    s_us = float(s)
    s_comp = (
        float(outlook["expected_competitor_strength"])
        if outlook["expected_competitor_strength"] is not None
        else competitor_strength
    )
    if axis == "relative":
        if not s_comp:
            return out
        value: float = s_us / s_comp
    else:
        value = s_us
    out["expected_attractiveness"] = float(a)
    out["expected_strength_value"] = value
    out["expected_combined"] = _combined(
        axis=axis, strength=s_us, competitor_strength=s_comp, cuts=cuts
    )
    return out


def _row_trail(earlier: list[dict[str, Any]], *, axis: str, box: str) -> list[dict[str, Any]]:
    """A matrix row's ``trail`` from its account's entries of ``_trails`` (see
    ``matrix_rows``): ``x`` on the row's own axis; empty when the row is not placed."""
    if not box:
        return []
    return [
        {k: t[k] for k in ("review_id", "review", "date", "box", "attractiveness")}
        | {
            "x": strength_value(
                axis=axis, strength=t["strength"], relative_strength=t["relative_strength"]
            ),
            "c": t["c"],
        }
        for t in earlier
    ]


def trails_fill(rows: Sequence[dict[str, Any]], *, review: Review) -> None:
    """Set the ``trail`` of ``rows`` (of ``matrix_rows(review=review, trails=False)``) to
    what ``matrix_rows`` gives with trails (``_trails_kept``)."""
    placed = [r for r in rows if r["box"]]
    if not placed:
        return
    earlier = _trails_kept(review=review)
    for r in placed:
        r["trail"] = _row_trail(earlier.get(r["id"], []), axis=r["strength_axis"], box=r["box"])


def trails_exist(*, review: Review, user: User | AnonymousUser, filters: MatrixFilters) -> bool:
    """True when some row of ``matrix_rows`` (same arguments) has a ``trail``: a placed
    account of the picture was placed in a closed review before ``review`` (one query)."""
    placed = _placements_filtered(review=review, user=user, filters=filters).exclude(box="")
    return _earlier_placements(review=review, ids=placed.values("account_id")).exists()


def _earlier_placements(*, review: Review, ids: Any) -> Any:
    """The placements in the closed reviews before ``review`` of the accounts ``ids`` (a
    query of account ids; None: of every account)."""
    qs = Placement.objects.filter(
        review__status=ReviewStatus.CLOSED, review__review_date__lt=review.review_date
    )
    if ids is not None:
        qs = qs.filter(account_id__in=ids)
    return qs.exclude(review=review).exclude(box="")


#: Every account's trail (``_trails``) by the closed reviews it is made of (``_trails_kept``).
_trails_by_reviews: OrderedDict[tuple[Any, ...], dict[int, list[dict[str, Any]]]] = OrderedDict()


def _trails_kept(*, review: Review) -> dict[int, list[dict[str, Any]]]:
    """``_trails`` of every account for ``review``, computed once per process for the closed
    reviews before it and kept under what the trails are made of: those reviews (their ids,
    names, dates, when they were closed and their placements computed, their cut lines;
    placements of a closed review are never changed). One query when kept, two when not."""
    earlier = tuple(
        Review.objects.filter(status=ReviewStatus.CLOSED, review_date__lt=review.review_date)
        .exclude(pk=review.pk)
        .order_by("pk")
        .values_list(
            "pk",
            "name",
            "review_date",
            "closed_at",
            "computed_at",
            "scheme_version__strength_cut_relative",
            "scheme_version__strength_cut_absolute",
        )
    )
    if not earlier:
        return {}
    with _review_parts_lock:
        kept = _trails_by_reviews.get(earlier)
        if kept is not None:
            _trails_by_reviews.move_to_end(earlier)
            return kept
    kept = _trails(review=review, ids=None)
    with _review_parts_lock:
        _trails_by_reviews[earlier] = kept
        while len(_trails_by_reviews) > _REVIEW_PARTS_KEPT:
            _trails_by_reviews.popitem(last=False)
    return kept


def _trails(*, review: Review, ids: Any) -> dict[int, list[dict[str, Any]]]:
    """Each account's placements in the closed reviews before ``review``, oldest first, with
    the combined-axis position on that review's own cut lines (one query; ``ids``: a query
    of the accounts, None: every account)."""
    out: dict[int, list[dict[str, Any]]] = {}
    qs = (
        _earlier_placements(review=review, ids=ids)
        .values(
            "account_id",
            "review_id",
            "review__name",
            "review__review_date",
            "attractiveness",
            "strength",
            "competitor_strength",
            "relative_strength",
            "strength_axis",
            "box",
            "review__scheme_version__strength_cut_relative",
            "review__scheme_version__strength_cut_absolute",
        )
        .order_by("review__review_date", "review__closed_at", "review_id")
    )
    for t in qs:
        cuts = {
            "relative": float(t["review__scheme_version__strength_cut_relative"]),
            "absolute": float(t["review__scheme_version__strength_cut_absolute"]),
        }
        out.setdefault(t["account_id"], []).append(
            {
                "review_id": t["review_id"],
                "review": t["review__name"],
                "date": t["review__review_date"],
                "box": t["box"],
                "attractiveness": t["attractiveness"],
                "strength": t["strength"],
                "relative_strength": t["relative_strength"],
                "c": _combined(
                    axis=t["strength_axis"],
                    strength=t["strength"],
                    competitor_strength=t["competitor_strength"],
                    cuts=cuts,
                ),
            }
        )
    return out


def axis_counts(rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Placed accounts per strength axis, and the accounts not placed; ``combined`` is every
    placed account (the combined picture draws them all)."""
    counts = {"relative": 0, "absolute": 0, "unplaced": 0}
    for r in rows:
        counts[r["strength_axis"] if r["box"] else "unplaced"] += 1
    counts["combined"] = counts["relative"] + counts["absolute"]
    return counts


def axis_default(counts: Mapping[str, int]) -> str:
    """The combined picture when accounts sit on both axes (so none is left out), else the
    one axis they have (relative strength when there are none yet)."""
    if counts["relative"] and counts["absolute"]:
        return "combined"
    return "absolute" if counts["absolute"] else "relative"


def size_choose(requested: str | None) -> str:
    """What bubble area shows: the size asked for when known, else last year's revenue."""
    return requested if requested in SIZES else "revenue"


def axis_choose(requested: str | None, counts: Mapping[str, int]) -> str:
    """The axis asked for when it is a known one, else the default for these rows."""
    return requested if requested in AXES else axis_default(counts)


def matrix_stats(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts for the page's summary: per box, not placed, uncertain, flagged, all."""
    per_box = dict.fromkeys(BOX_ORDER, 0)
    unplaced = uncertain = flagged = 0
    for r in rows:
        if r["box"]:
            per_box[r["box"]] += 1
        else:
            unplaced += 1
        uncertain += bool(r["uncertain"])
        flagged += bool(r["disagreement"])
    return {
        "per_box": per_box,
        "unplaced": unplaced,
        "uncertain": uncertain,
        "flagged": flagged,
        "total": len(rows),
    }


SORTS: dict[str, Any] = {
    "name": lambda r: (r["name"] or "").casefold(),
    "owner": lambda r: (r["owner"] or "").casefold(),
    "box": lambda r: BOX_ORDER.index(r["box"]) if r["box"] else None,
    "attractiveness": lambda r: r["attractiveness"],
    "strength": lambda r: r["strength"],
    "rs": lambda r: r["relative_strength"],
    "revenue": lambda r: r["revenue"],
    "probability": lambda r: r["p_box"],
}


def matrix_sort(
    rows: Sequence[dict[str, Any]], sort: str | None
) -> tuple[list[dict[str, Any]], str]:
    """Rows sorted by ``sort`` (a key of ``SORTS``, "-" in front for descending).

    Empty values go last in both directions; ties keep name order. Returns the rows and
    the sort actually used ("name" when ``sort`` is unknown).
    """
    sort = sort or "name"
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        key, descending = "name", False
    getter = SORTS[key]
    present = [r for r in rows if getter(r) is not None]
    empty = [r for r in rows if getter(r) is None]
    present.sort(key=getter, reverse=descending)
    return present + empty, ("-" if descending else "") + key


def filter_choices(*, user: User | AnonymousUser) -> dict[str, list[tuple[str, str]]]:
    """Choices for the owner, country, channel and box filters among the accounts ``user`` sees."""
    # Three small DISTINCT queries: one over every (owner, country, channel) combination
    # returned thousands of rows at 10,000 accounts.
    visible = account_list_visible(user=user).order_by()
    owners = {
        row["owner_id"]: person_name(
            row["owner__first_name"], row["owner__last_name"], row["owner__username"]
        )
        for row in visible.filter(owner__isnull=False)
        .values("owner_id", "owner__first_name", "owner__last_name", "owner__username")
        .distinct()
    }
    countries = {c.upper() for c in visible.values_list("country", flat=True).distinct() if c}
    channels = {c for c in visible.values_list("channel", flat=True).distinct() if c}
    return {
        "owner": sorted(((str(k), v) for k, v in owners.items()), key=lambda kv: kv[1].casefold()),
        "country": [(c, c) for c in sorted(countries)],
        "channel": [(c, c) for c in sorted(channels, key=str.casefold)],
        "box": [(b.value, str(b.label)) for b in Box] + [(UNPLACED, _("Not placed"))],
    }


def criterion_names(*, review: Review) -> dict[str, str]:
    """Criterion key to name in the review's scheme version (to say what an account lacks)."""
    return dict(
        Criterion.objects.filter(version_id=review.scheme_version_id).values_list("key", "name")
    )


def matrix_cuts(*, review: Review) -> dict[str, float]:
    """The cut lines the review was classified with: attractiveness, relative and absolute."""
    v = review.scheme_version
    return {
        "attractiveness": float(v.attractiveness_cut),
        "relative": float(v.strength_cut_relative),
        "absolute": float(v.strength_cut_absolute),
    }


# --- Never too many key accounts -------------------------------------------------------


def capacity_check(*, review: Review) -> CapacityCheck:
    """The three "never too many key accounts" checks for ``review``, company-wide.

    A per-manager warning carries the ids of the accounts it counts (by name; key and key
    development accounts, or key only, as ``Organisation.manager_limit_counts`` says).
    Every placed account of the review counts, whoever asks (the counts are no secret; the
    matrix rows stay visibility-filtered). Policies, limits and the team's yearly hours come
    from the organisation (docs/method.md sections 1 and 2).
    """
    org = organisation_get()
    limits = capacity_limits_get(organisation=org)
    # only the boxes the checks count are read (key and key development for the hours and
    # the company limit, and those counted per manager): the other placements, most of a
    # large portfolio, change none of the three figures
    counted = {Box.KEY.value, Box.KEY_DEVELOPMENT.value, *limits.per_manager_boxes}
    rows = list(
        Placement.objects.filter(review=review, box__in=sorted(counted))
        .order_by("account__name", "account_id")
        .values_list("box", "account__owner_id", "account_id")
    )
    return check_key_account_capacity(
        boxes=[b for b, _o, _a in rows],
        owners=[o for _b, o, _a in rows],
        accounts=[a for _b, _o, a in rows],
        policies=box_policies_get(organisation=org),
        team_hours_per_year=team_capacity_hours(),
        limits=limits,
    )


@dataclass(frozen=True)
class WarningMessage:
    """A capacity warning with the sentence shown to people; ``manager`` is a display name."""

    code: str
    message: str
    observed: float
    limit: float
    manager_id: Hashable | None = None
    manager: str | None = None


def _hours(value: float) -> str:
    return number_format(round(value), force_grouping=True)


def manager_names(ids: Sequence[Hashable]) -> dict[Hashable, str]:
    """Display names of the given user ids (one query)."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    User = get_user_model()
    return {
        u["pk"]: person_name(u["first_name"], u["last_name"], u["username"])
        for u in User.objects.filter(pk__in=wanted).values(
            "pk", "first_name", "last_name", "username"
        )
    }


def warned_account_names(
    check: CapacityCheck, *, user: User | AnonymousUser | None = None
) -> dict[Hashable, str]:
    """Account id to name of the accounts the per-manager warnings count (one query).

    With ``user``, only the accounts that person may read are named (a key account manager
    is not told the names of another manager's accounts); without, all of them.
    """
    ids = {a for w in check.warnings if w.code == WarningCode.PER_MANAGER for a in w.accounts}
    if not ids:
        return {}
    qs = account_list_visible(user=user) if user is not None else Account.objects.all()
    return dict(qs.filter(pk__in=ids).values_list("pk", "name"))


def capacity_warning_messages(
    check: CapacityCheck,
    *,
    capacity_share: float = 1.0,
    account_names: Mapping[Hashable, str] | None = None,
) -> list[WarningMessage]:
    """The check's warnings as sentences a sales director understands (translated).

    ``capacity_share`` is the share of the team's hours key and key development accounts
    may take (``CapacityLimits.capacity_share``); below 1 the sentence says so. A
    per-manager warning names the manager, says which boxes count, and names the accounts
    counted that are in ``account_names`` (``warned_account_names``; left out: all), the
    others only by number.
    """
    names = manager_names([w.manager for w in check.warnings if w.code == WarningCode.PER_MANAGER])
    if account_names is None:
        account_names = warned_account_names(check)
    out: list[WarningMessage] = []
    for w in check.warnings:
        out.append(
            _warning_message(
                w,
                names=names,
                capacity_share=capacity_share,
                account_names=account_names,
                per_manager_boxes=check.per_manager_boxes,
            )
        )
    return out


#: At most this many accounts are named in a per-manager warning; the rest are counted.
NAMED_ACCOUNTS_MAX = 6


def _counted_accounts(w: CapacityWarning, account_names: Mapping[Hashable, str]) -> str:
    """ " Counted: A, B and 2 more." (empty without accounts): the first
    ``NAMED_ACCOUNTS_MAX`` the reader may open by name, the others by number."""
    if not w.accounts:
        return ""
    visible = [account_names[a] for a in w.accounts if a in account_names]
    named = visible[:NAMED_ACCOUNTS_MAX]
    extras = []
    if len(visible) > len(named):
        n = len(visible) - len(named)
        extras.append(ngettext("%(n)d more", "%(n)d more", n) % {"n": n})
    hidden = len(w.accounts) - len(visible)
    if hidden:
        extras.append(
            ngettext("%(n)d account you cannot open", "%(n)d accounts you cannot open", hidden)
            % {"n": hidden}
        )
    parts = ", ".join(named)
    if extras:
        more = ", ".join(extras)
        parts = _("%(named)s and %(more)s") % {"named": parts, "more": more} if named else more
    return " " + _("Counted: %(accounts)s.") % {"accounts": parts}


def _warning_message(
    w: CapacityWarning,
    *,
    names: Mapping[Hashable, str],
    capacity_share: float,
    account_names: Mapping[Hashable, str],
    per_manager_boxes: Sequence[str],
) -> WarningMessage:
    if w.code == WarningCode.CAPACITY:
        if capacity_share < 1:
            text = _(
                "Key and key development accounts need at least %(needed)s hours a year by your "
                "box policies; your limit gives them %(available)s (%(share)s%% of the team's "
                "hours)."
            ) % {
                "needed": _hours(w.observed),
                "available": _hours(w.limit),
                "share": number_format(round(capacity_share * 100)),
            }
        else:
            text = _(
                "Key and key development accounts need at least %(needed)s hours a year by your "
                "box policies; the team has %(available)s."
            ) % {"needed": _hours(w.observed), "available": _hours(w.limit)}
        return WarningMessage(str(w.code), text, w.observed, w.limit)
    if w.code == WarningCode.PER_MANAGER:
        name = names.get(w.manager, str(w.manager)) if w.manager is not None else ""
        count = round(w.observed)
        limit = round(w.limit)
        if Box.KEY_DEVELOPMENT.value in per_manager_boxes:
            text = ngettext(
                "%(name)s carries %(count)d key or key development account; a key account "
                "manager can serve at most %(limit)d.",
                "%(name)s carries %(count)d key and key development accounts; a key account "
                "manager can serve at most %(limit)d.",
                count,
            ) % {"name": name, "count": count, "limit": limit}
        else:
            text = ngettext(
                "%(name)s carries %(count)d key account; a key account manager can serve at "
                "most %(limit)d.",
                "%(name)s carries %(count)d key accounts; a key account manager can serve at "
                "most %(limit)d.",
                count,
            ) % {"name": name, "count": count, "limit": limit}
        text += _counted_accounts(w, account_names)
        return WarningMessage(str(w.code), text, w.observed, w.limit, w.manager, name)
    count = round(w.observed)
    text = ngettext(
        "The company has %(count)d key account; more than %(limit)d is too many to serve as "
        "key accounts.",
        "The company has %(count)d key accounts; more than %(limit)d is too many to serve as "
        "key accounts.",
        count,
    ) % {"count": count, "limit": round(w.limit)}
    return WarningMessage(str(w.code), text, w.observed, w.limit)


#: The per-manager capacity warnings a page or slide shows in full (the most loaded
#: managers); the others are counted in one sentence. A portfolio of thousands of accounts
#: can have hundreds of managers over the limit, which nobody reads one by one.
MANAGER_WARNINGS_SHOWN = 3


def capacity_summary(*, review: Review, user: User | AnonymousUser | None = None) -> dict[str, Any]:
    """The capacity check with its sentences and per-manager account counts.

    Keys: ``check`` (CapacityCheck), ``messages`` (list of WarningMessage, in the check's
    order), ``shown`` (the company-wide warnings, then the ``MANAGER_WARNINGS_SHOWN``
    most loaded managers'), ``rest`` (the other managers' warnings), ``more`` (how many)
    and ``more_text`` (the sentence that counts them; empty when none), and
    ``per_manager`` (username to ``{"manager", "key_accounts", "limit"}``; ``key_accounts``
    counts the boxes the organisation counts per manager, key and key development by
    default). With ``user``, the warnings name only the accounts that person may read.
    """
    org = organisation_get()
    check = capacity_check(review=review)
    limits = capacity_limits_get(organisation=org)
    messages = capacity_warning_messages(
        check,
        capacity_share=limits.capacity_share,
        account_names=warned_account_names(check, user=user),
    )
    User = get_user_model()
    ids = [i for i in check.key_accounts_per_manager if i is not None]
    per_manager: dict[str, dict[str, Any]] = {}
    for u in (
        User.objects.filter(pk__in=ids)
        .values("pk", "username", "first_name", "last_name")
        .order_by("username")
    ):
        per_manager[u["username"]] = {
            "manager": person_name(u["first_name"], u["last_name"], u["username"]),
            "key_accounts": check.key_accounts_per_manager[u["pk"]],
            "limit": limits.max_key_accounts_per_manager,
            "counted_boxes": list(check.per_manager_boxes),
        }
    company = [m for m in messages if m.code != WarningCode.PER_MANAGER]
    managers = [m for m in messages if m.code == WarningCode.PER_MANAGER]
    more = max(0, len(managers) - MANAGER_WARNINGS_SHOWN)
    return {
        "check": check,
        "messages": messages,
        "shown": company + managers[:MANAGER_WARNINGS_SHOWN],
        "rest": managers[MANAGER_WARNINGS_SHOWN:],
        "more": more,
        "more_text": ngettext(
            "%(n)s more key account manager carries more accounts than one can serve.",
            "%(n)s more key account managers carry more accounts than one can serve.",
            more,
        )
        % {"n": number_format(more, force_grouping=True)}
        if more
        else "",
        "per_manager": per_manager,
    }
