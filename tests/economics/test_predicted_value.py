"""Predicted future value in the facts: BG/NBD and Gamma-Gamma fitted on all accounts' lines
in the base currency, each account's value given back in its own currency."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from kam.economics.models import AccountFacts
from kam.economics.services import facts_compute
from kam.organisation.selectors import organisation_get
from kam.organisation.services import exchange_rate_set
from tests.economics.conftest import import_lines
from tests.factories import AccountFactory

AS_OF = dt.date(2026, 6, 30)


def _history(rng: np.random.Generator, n: int) -> list[tuple[str, list[tuple[dt.date, float]]]]:
    """n customers buying at their own rate, some of them gone after a while."""
    start = AS_OF - dt.timedelta(days=730)
    out = []
    for i in range(n):
        rate = rng.gamma(2.0, 0.05)  # purchases per day
        life = 730 if rng.random() < 0.7 else int(rng.integers(60, 600))
        spend = float(rng.gamma(6.0, 40.0))
        days = sorted({int(d) for d in rng.uniform(0, life, rng.poisson(rate * life) + 1)})
        out.append(
            (
                f"C{i:03d}",
                [
                    (start + dt.timedelta(days=d), round(spend * rng.gamma(8, 1 / 8), 2))
                    for d in days
                ],
            )
        )
    return out


@pytest.mark.django_db
def test_predicted_future_value_is_stored_in_each_accounts_currency(tmp_path):
    rng = np.random.default_rng(7)
    history = _history(rng, 120)
    exchange_rate_set(organisation=organisation_get(), currency="SEK", rate_to_base=Decimal("0.1"))
    rows = []
    for external_id, purchases in history:
        AccountFactory(external_id=external_id)
        rows += [
            (external_id, None, day, amount, round(amount * 0.7, 2), None, None, "EUR")
            for day, amount in purchases
        ]
    # a twin of C000 in Swedish kronor: the same purchases, ten times the number
    twin = AccountFactory(external_id="TWIN", currency="SEK")
    rows += [
        ("TWIN", None, day, round(amount * 10, 2), round(amount * 7, 2), None, None, "SEK")
        for day, amount in history[0][1]
    ]
    import_lines(tmp_path, rows)
    facts_compute(as_of=AS_OF, derive_scores=False)
    values = dict(
        AccountFacts.objects.filter(as_of=AS_OF).values_list(
            "account__external_id", "predicted_future_value"
        )
    )
    assert all(v is not None and v >= 0 for v in values.values())
    # the twin is the same customer in base currency, so its value is C000's in kronor
    assert values["TWIN"] == pytest.approx(10 * values["C000"], rel=1e-6)
    assert twin.currency == "SEK"
