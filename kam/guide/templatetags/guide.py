"""``{% guidance "topic" %}``: the method behind a page, in a sentence and a "learn more" panel.

Load with ``{% load guide %}``. The text comes from ``guide/<lang>/<topic>.html`` in the
active language (English when that language has no file; the tests fail in that case).
"""

from __future__ import annotations

from typing import Any

from django import template

from kam.guide.topics import guidance_render

register = template.Library()


@register.inclusion_tag("guide/_guidance.html", takes_context=True)
def guidance(context: template.Context, topic: str) -> dict[str, Any]:
    """The lead of ``topic`` with a collapsed panel holding its body and links to the method."""
    return {"guidance": guidance_render(topic=topic, context=context)}
