"""The one error type for a broken business rule (architecture.md, convention 2)."""

from __future__ import annotations


class ApplicationError(Exception):
    """A rule the user broke, with a message they can act on.

    ``field`` names the form field or column it concerns, when there is one; ``status``
    is the HTTP status the API answers with (400, 403, 404, 409 or 422).
    """

    def __init__(
        self, message: str, *, field: str | None = None, status: int = 422,
        problems: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
        self.problems = problems or [message]
