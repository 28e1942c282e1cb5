"""``{% history_section "account" account.pk %}``: an object's latest changes on its page.

The object's page has already checked that the user may see the object; the section asks
the same selector again (kam/pages/history.py), so it never shows what the page would not.
"""

from __future__ import annotations

from typing import Any

from django import template

from kam.errors import ApplicationError
from kam.pages.history import history_page, history_scope
from kam.pages.selectors import history_may_see_all

register = template.Library()

SECTION_ROWS = 5


@register.inclusion_tag("web/_history_section.html", takes_context=True)
def history_section(context: dict[str, Any], kind: str, pk: int) -> dict[str, Any]:
    request = context["request"]
    try:
        scope = history_scope(user=request.user, kind=kind, pk=pk)
    except ApplicationError:
        return {"page": None, "kind": kind, "pk": pk}
    page = history_page(scope=scope, page=1, per_page=SECTION_ROWS)
    return {
        "page": page,
        "kind": kind,
        "pk": pk,
        "request": request,
        "may_see_all": history_may_see_all(user=request.user),
    }
