"""A reader lent upwards (kam/slots.py): empty, it names the app that should fill it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ImproperlyConfigured

from kam.plans import sources as plan_sources
from kam.slots import Slot


def test_an_empty_slot_names_its_provider_and_a_filled_one_gives_its_reader() -> None:
    slot: Slot[Callable[[], int]] = Slot("the answer", provider="kam.economics")
    with pytest.raises(ImproperlyConfigured, match=r"the answer: kam\.economics fills"):
        slot.get()
    slot.fill(lambda: 42)
    assert slot.get()() == 42


def test_the_apps_fill_every_slot_when_ready() -> None:
    from kam.portfolio import sources as portfolio_sources
    from kam.relationships import sources as relationship_sources

    modules = (plan_sources, portfolio_sources, relationship_sources)
    slots = [v for m in modules for v in vars(m).values() if isinstance(v, Slot)]
    assert len(slots) == 8
    for slot in slots:
        assert callable(slot.get()), slot.what
