"""Sentences of the year plan that depend on codes from ``kam.core.allocation``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kam.core.allocation import ShortfallReason


def shortfall_text(code: str) -> str:
    """Why an account ends below its policy minimum, for the results page and the API."""
    texts = {
        ShortfallReason.MINIMUMS_EXCEED_CAPACITY.value: _(
            "The minimums of all accounts together exceed the team's capacity, so every "
            "minimum was cut in proportion."
        ),
        ShortfallReason.NO_ELIGIBLE_PERSON.value: _(
            "Nobody with hours in this period may serve the account: give it an owner or an "
            "account team with capacity."
        ),
        ShortfallReason.ELIGIBLE_CAPACITY.value: _(
            "The people who may serve this account lack the hours for all their accounts' minimums."
        ),
    }
    return texts.get(code, code)
