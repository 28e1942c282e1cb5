"""The one error type for a broken business rule (architecture.md, convention 2)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem with where it belongs: an ``axis``, a criterion ``key``, a ``field``.

    Forms use the location to show the message beside the input it concerns; any part
    may be None when the problem is about the whole thing.
    """

    message: str
    axis: str | None = None
    key: str | None = None
    field: str | None = None


class ApplicationError(Exception):
    """A rule the user broke, with a message they can act on.

    ``field`` names the form field or column it concerns, when there is one; ``status``
    is the HTTP status the API answers with (400, 403, 404, 409 or 422).
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        status: int = 422,
        problems: list[str] | None = None,
        located: list[Problem] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
        self.located = located or []
        self.problems = problems or [p.message for p in self.located] or [message]
