"""Demo data for the matrix as the method draws it (docs/scoring.md): an earlier review,
so that trails have three closed reviews, and three-year outlooks (potential and expected
position) for the demo's accounts. Deterministic: no random numbers, only the account's
place in the list and its scores, so the rest of the demo stays as it was. The growth by box
and the notes are in ``story/outlooks.toml``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TextIO

import numpy as np
from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from kam.demo.data import story
from kam.economics.figures import revenues_of_year_by_id
from kam.organisation.models import Box
from kam.portfolio.matrix import revenue_year
from kam.portfolio.models import Placement, Review
from kam.portfolio.services import outlook_save


def earlier_scores(previous: np.ndarray, latest: np.ndarray) -> np.ndarray:
    """Scores a year before ``previous``: the move from ``previous`` to ``latest`` run back
    once (``2·previous − latest``), kept within 1-10; 0 (no score) stays 0."""
    back = np.clip(2 * previous.astype(np.int64) - latest.astype(np.int64), 1, 10)
    back = np.where(latest > 0, back, previous)
    return np.where(previous > 0, back, 0).astype(previous.dtype)


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, -3))).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def _score(value: float) -> Decimal:
    return Decimal(str(min(10.0, max(1.0, value)))).quantize(Decimal("0.1"))


_STORY = story("outlooks")
# Growth of revenue to the three-year potential per box, stepped by the account's place.
_GROWTH: dict[str, tuple[float, float]] = {
    Box(box).value: (base, step) for box, (base, step) in _STORY["growth"].items()
}
_NOTES: dict[str, str] = {Box(box).value: note for box, note in _STORY["notes"].items()}


def demo_outlooks(*, review: Review, director: User, stdout: TextIO) -> int:
    """A three-year outlook for every placed account of ``review``: a revenue potential for
    all, an expected position for the key and key development accounts (where the plans
    should take them). Returns the number of expected positions written."""
    placements = list(
        Placement.objects.filter(review=review)
        .exclude(box="")
        .select_related("account")
        .order_by("account__name", "account_id")
    )
    revenue = revenues_of_year_by_id(
        external_ids={p.account_id: p.account.external_id for p in placements},
        year=revenue_year(review=review),
    )
    expected = 0
    for i, p in enumerate(placements):
        base, step = _GROWTH[p.box]
        found = revenue.get(p.account_id)
        data: dict[str, object] = {}
        if found is not None and found.amount > 0:
            data["potential_revenue"] = _money(found.amount * (base + step * (i % 5)))
        if (
            p.box in (Box.KEY.value, Box.KEY_DEVELOPMENT.value)
            and p.strength is not None
            and p.attractiveness is not None
        ):
            if p.box == Box.KEY_DEVELOPMENT.value:
                # Where the plan should take it: stronger with the customer, often across.
                s_us = p.strength + 1.2 + 0.4 * (i % 4)
                a = p.attractiveness + 0.3 * (i % 3)
            else:
                s_us = p.strength + 0.3 * (i % 3)
                a = p.attractiveness + 0.4 * ((i % 3) - 1)
            data["expected_attractiveness"] = _score(a)
            data["expected_strength"] = _score(s_us)
            if p.competitor_strength is not None and i % 6 == 0:
                # The strongest competitor invests too.
                data["expected_competitor_strength"] = _score(p.competitor_strength + 0.5)
            data["note"] = _NOTES[p.box]
            expected += 1
        if data:
            outlook_save(review=review, account=p.account, data=data, user=director)
    stdout.write(
        _("Three-year outlooks for review '%(name)s': %(n)d potentials, %(e)d expected positions.")
        % {
            "name": review.name,
            "n": sum(1 for p in placements if revenue.get(p.account_id)),
            "e": expected,
        }
        + "\n"
    )
    return expected
