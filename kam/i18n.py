"""Translation of messages that kam shows in and outside Django (kam.facts, the file commands).

Inside the web app (Django configured) a message follows the request's language through
Django's ``gettext``; in ``kam facts`` and notebooks, where Django is not set up, it is
read from the same catalogue (``kam/locale``) with the standard ``gettext`` module, in the
language of ``LANGUAGE``/``LC_ALL``/``LC_MESSAGES``/``LANG`` (as ``kam classify`` does).
Messages are translated when they are shown, not when a problem is found, so a report
made in one language can be shown in another.
"""

from __future__ import annotations

import gettext as _gettext
import sys
from pathlib import Path
from typing import Any

_catalogue = _gettext.translation(
    "django", localedir=str(Path(__file__).resolve().parent / "locale"), fallback=True
)


def django_settings() -> Any | None:
    """Django's settings when they are configured in this process, else None.

    Django is not imported to find out: settings can only be configured once
    ``django.conf`` has been imported, so a process that never imported it (``kam
    classify``, ``kam allocate``, ``kam --help``) does not pay for importing it."""
    settings = getattr(sys.modules.get("django.conf"), "settings", None)
    return settings if settings is not None and settings.configured else None


def _(message: str) -> str:
    """``message`` in the current language (Django's when configured, else the locale's)."""
    if django_settings() is not None:
        from django.utils.translation import gettext

        return str(gettext(message))
    return _catalogue.gettext(message)


def gettext_noop(message: str) -> str:
    """``message`` as it is: marks a message for the catalogue where it is defined (a help
    line in a table), to be translated with ``_`` where it is shown."""
    return message
