"""Form widgets shared by every app.

One rule for dates: a browser's ``<input type="date">`` shows the date in the user's own
way but only accepts and sends ISO (``YYYY-MM-DD``). Django's plain ``DateInput`` renders
the value in the active language's first input format (``07-12-2026`` in Dutch), which
the browser rejects and shows as an empty field, so saving an unchanged form erased the
date. :class:`IsoDateInput` always renders ISO; Django's date fields always accept ISO
back, in every language. ``tests/web/test_date_widgets.py`` walks every form of kam and
fails if a date field uses another widget.
"""

from __future__ import annotations

from typing import Any

from django import forms

ISO_DATE = "%Y-%m-%d"


class IsoDateInput(forms.DateInput):
    """``<input type="date">`` whose value is ISO in every language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        # no format argument: a date input takes nothing but ISO
        attrs = {k: v for k, v in (attrs or {}).items() if k != "type"}
        super().__init__(attrs=attrs, format=ISO_DATE)
