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
from pathlib import Path

_catalogue = _gettext.translation(
    "django", localedir=str(Path(__file__).resolve().parent / "locale"), fallback=True
)


def _(message: str) -> str:
    """``message`` in the current language (Django's when configured, else the locale's)."""
    try:
        from django.conf import settings

        if settings.configured:
            from django.utils.translation import gettext

            return str(gettext(message))
    except ImportError:  # pragma: no cover - Django is a dependency of kam
        pass
    return _catalogue.gettext(message)
