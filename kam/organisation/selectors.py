"""Reads of the organisation and its policies."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from kam.organisation.models import DEFAULT_BOX_POLICIES, BoxPolicy, Organisation


def organisation_get() -> Organisation:
    """The one organisation of this installation, created with the method's defaults on first use."""
    org = Organisation.objects.order_by("pk").first()
    if org is not None:
        return org
    with transaction.atomic():
        org = Organisation.objects.create()
        BoxPolicy.objects.bulk_create(
            BoxPolicy(
                organisation=org, box=box, min_hours_per_year=lo, max_hours_per_year=hi,
                review_cadence_months=cadence,
            )
            for box, (lo, hi, cadence) in DEFAULT_BOX_POLICIES.items()
        )
    return org


def exchange_rates_get(*, organisation: Organisation) -> dict[str, Decimal]:
    """Currency code to value in base currency; the base currency itself is always 1."""
    rates = {r.currency: r.rate_to_base for r in organisation.exchange_rates.all()}
    rates[organisation.base_currency] = Decimal(1)
    return rates
