"""Why a file could not be read, said the same way by every reader (docs/import.md)."""

from __future__ import annotations

from kam.i18n import _


def file_error(exc: OSError | UnicodeDecodeError, name: str) -> str:
    """The reason ``exc`` stopped reading the file called ``name``, for the person who gave it."""
    if isinstance(exc, UnicodeDecodeError):
        return _("%(file)s: the file is not UTF-8 text") % {"file": name}
    if isinstance(exc, FileNotFoundError):
        return _("%(file)s: the file does not exist") % {"file": name}
    if isinstance(exc, IsADirectoryError):
        return _("%(file)s: this is a folder, not a file") % {"file": name}
    return _("%(file)s: the file cannot be read (%(reason)s)") % {
        "file": name,
        "reason": exc.strerror or exc,
    }
