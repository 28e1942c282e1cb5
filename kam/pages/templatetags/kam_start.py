"""Template filters of the start page (docs/start.md)."""

from __future__ import annotations

from typing import Any

from django import template

from kam.organisation.models import Box

register = template.Library()


@register.filter
def box_label(value: Any) -> str:
    """The translated name of a box value ("Key development"); "" when not a box."""
    return str(dict(Box.choices).get(value, ""))
