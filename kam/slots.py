"""A reader that a higher app lends to a lower one (docs/architecture.md, "The order of the
packages").

A lower app that must show what a higher app computes does not import it: it declares a
``Slot`` for the reader, the higher app fills the slot in its ``AppConfig.ready``, and the
lower app calls ``slot.get()``. An empty slot is a set-up error named after its provider,
not a ``None`` called later.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured

R = TypeVar("R")


class Slot(Generic[R]):
    """One reader of type ``R`` (a Protocol), filled once the apps are ready."""

    def __init__(self, what: str, *, provider: str) -> None:
        self.what = what
        self.provider = provider
        self._reader: R | None = None

    def fill(self, reader: R) -> None:
        """Called by the providing app when the apps are ready."""
        self._reader = reader

    def get(self) -> R:
        """The reader, or ImproperlyConfigured when its provider has not filled the slot."""
        if self._reader is None:
            raise ImproperlyConfigured(
                f"{self.what}: {self.provider} fills this slot in its AppConfig.ready"
            )
        return self._reader
