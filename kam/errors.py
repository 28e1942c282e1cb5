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


def require(allowed: bool, message: str, *, field: str | None = None) -> None:
    """Refuse with 403 and ``message`` unless ``allowed``.

    A service calls the ``<entity>_may_<verb>`` selector again before it writes and passes
    its answer here (docs/architecture.md, rule 3), so every refusal reads the same way.
    """
    if not allowed:
        raise ApplicationError(message, field=field, status=403)


def control_characters_refuse(value: str, *, field: str) -> str:
    """``value`` unchanged, or a refusal when it holds a control character.

    A name is one line of plain text; a control character in it breaks the files kam
    writes (XLSX, SVG and PNG charts) and the screens of others.
    """
    from django.utils.translation import gettext as _

    from kam.core.cells import has_control_character

    if has_control_character(value):
        code = next(c for c in value if has_control_character(c))
        raise ApplicationError(
            _("%(field)s: a control character (U+%(code)04X) is not allowed; use plain text.")
            % {"field": field, "code": ord(code)},
            field=field,
        )
    return value
