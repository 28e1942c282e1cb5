"""The right conversation: activities tied to plan objectives, and the grid that reads them.

docs/method.md section 0 asks "are we having the right conversation?": activity topics
against plan objectives. An activity (``activities.Activity.objective``) names one
objective or value proposition of a plan of its account; its contacts hold buying roles in
the decision-making unit (section 3). ``conversation_grid`` (``kam.activities.conversations``,
which reads the activities) crosses the two for one plan: rows are the plan's objectives and
value propositions, columns the buying roles, each cell says how many conversations were
held, with whom and when last. An objective that has had
no conversation with a decider is flagged (docs/plans.md, "The right conversation").

How imports name an objective (docs/activities.md): by its **code**, the first six
characters of the item's id (``PlanItem.uid``), written ``#obj-3f2a9c`` in a calendar
event's summary or description and ``3f2a9c`` or ``#obj-3f2a9c`` in the activity file's
``objective`` column; the file also accepts the exact title. The uid is kept when a plan
is reopened or copied to the next period, so a code stays valid across versions and
periods, and it needs no new field a user must keep unique. A reference is looked up on
the account's plan whose period holds the activity's date, then on its current plan (the
latest one no next period's plan was made from).

This module reads only plans; the rules of writing are in ``kam.activities.services``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.plans.document import ConversationGridDoc
from kam.plans.models import ItemKind, Plan, PlanItem

#: The kinds of plan item an activity can be tied to.
OBJECTIVE_KINDS: tuple[str, ...] = (ItemKind.OBJECTIVE.value, ItemKind.VALUE_PROPOSITION.value)
#: How many characters of the item's uid its code has.
CODE_LENGTH = 6
#: The tag a calendar event carries: ``#obj-`` and a code (6 to 32 hexadecimal characters).
TAG_PREFIX = "#obj-"
TAG_PATTERN = re.compile(r"#obj-([0-9a-f]{6,32})(?![0-9a-z_-])", re.IGNORECASE)
#: The buying role whose absence an objective is flagged for.
DECIDER = "decider"
#: Cells met within this many days of the grid's date are "recent", within twice it "aging".
RECENT_DAYS = 90
#: How many names a cell of the page shows before "+n" (the rest are in its tooltip).
NAMES_SHOWN = 3


def objective_code(item: PlanItem) -> str:
    """The item's short code: the first six hexadecimal characters of its uid."""
    return item.uid.hex[:CODE_LENGTH]


def objective_tag(item: PlanItem) -> str:
    """The calendar tag naming the item, e.g. ``#obj-3f2a9c``."""
    return TAG_PREFIX + objective_code(item)


def tags_in(text: str) -> list[str]:
    """The codes tagged in ``text`` (lower case, each once, in order)."""
    out: list[str] = []
    for match in TAG_PATTERN.finditer(text or ""):
        code = match.group(1).lower()
        if code not in out:
            out.append(code)
    return out


def tags_strip(text: str) -> str:
    """``text`` without its ``#obj-`` tags, spaces collapsed (the topic an event gives)."""
    return " ".join(TAG_PATTERN.sub(" ", text or "").split())


def _title_key(text: str) -> str:
    """A title as compared: accents, case and runs of spaces do not count."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def objective_items(*, account_ids: Iterable[int]) -> QuerySet[PlanItem]:
    """The objectives and value propositions of every plan of the accounts, with their plan."""
    return (
        PlanItem.objects.filter(plan__account_id__in=list(account_ids), kind__in=OBJECTIVE_KINDS)
        .select_related("plan")
        .order_by("plan__account_id", "-plan__period_start", "kind", "position", "pk")
    )


def objective_choices(*, account_id: int | None, keep_id: int | None = None) -> list[PlanItem]:
    """What an activity on the account can be tied to: the objectives and value propositions
    of its current plans (those no next period's plan was made from), plus ``keep_id``, the
    item it is tied to already, wherever that is."""
    if account_id is None:
        return []
    items = list(
        objective_items(account_ids=[account_id]).filter(plan__successors__isnull=True).distinct()
    )
    if keep_id is not None and keep_id not in {i.pk for i in items}:
        kept = PlanItem.objects.filter(pk=keep_id).select_related("plan").first()
        if kept is not None:
            items.insert(0, kept)
    return items


def plan_current(*, account_id: int) -> Plan | None:
    """The account's current plan: the latest one no next period's plan was made from."""
    return (
        Plan.objects.filter(account_id=account_id, successors__isnull=True)
        .order_by("-period_start", "-pk")
        .first()
    )


@dataclass
class _AccountPlans:
    plans: list[Plan] = field(default_factory=list)
    items: dict[int, list[PlanItem]] = field(default_factory=lambda: defaultdict(list))


class ObjectiveIndex:
    """The objectives of some accounts' plans, read once, to resolve many references.

    ``resolve(account_id, date, reference)`` returns the item or raises ``LookupError``
    with a reason a user can act on. Two queries whatever the number of references.
    """

    def __init__(self, account_ids: Iterable[int]):
        ids = sorted(set(account_ids))
        self.accounts: dict[int, _AccountPlans] = defaultdict(_AccountPlans)
        superseded = set(
            Plan.objects.filter(account_id__in=ids, successors__isnull=False).values_list(
                "pk", flat=True
            )
        )
        self.superseded = superseded
        for plan in Plan.objects.filter(account_id__in=ids).order_by("-period_start", "-pk"):
            self.accounts[plan.account_id].plans.append(plan)
        for item in objective_items(account_ids=ids):
            self.accounts[item.plan.account_id].items[item.plan_id].append(item)

    def plans_for(self, account_id: int, date: dt.date) -> list[Plan]:
        """The plan whose period holds ``date``, then the current plan (when different)."""
        plans = self.accounts[account_id].plans
        out = [p for p in plans if p.period_start <= date <= p.period_end][:1]
        current = [p for p in plans if p.pk not in self.superseded][:1]
        return out + [p for p in current if p not in out]

    def resolve(self, account_id: int, date: dt.date, reference: str) -> PlanItem:
        text = " ".join((reference or "").split())
        plans = self.plans_for(account_id, date)
        if not plans:
            raise LookupError(_("the account has no plan, so no objective can be named."))
        code = text.lower()
        code = code[len(TAG_PREFIX) :] if code.startswith(TAG_PREFIX) else code.lstrip("#")
        is_code = re.fullmatch(r"[0-9a-f]{6,32}", code) is not None
        for plan in plans:
            items = self.accounts[account_id].items.get(plan.pk, [])
            found = [i for i in items if is_code and i.uid.hex.startswith(code)]
            if not found:
                key = _title_key(text)
                found = [i for i in items if _title_key(i.title) == key]
            if len(found) > 1:
                raise LookupError(
                    _("'%(ref)s' names %(n)d items of plan %(plan)s; use the code instead.")
                    % {"ref": text, "n": len(found), "plan": plan.period_label}
                )
            if found:
                return found[0]
        raise LookupError(
            _("'%(ref)s' is no objective or value proposition of plan %(plans)s.")
            % {"ref": text, "plans": " / ".join(p.period_label for p in plans)}
        )


# -- the grid --------------------------------------------------------------------------------


def recency(last: dt.date | None, as_of: dt.date | None) -> str:
    """``recent`` (within RECENT_DAYS of ``as_of``), ``aging`` (within twice that),
    ``stale`` (longer ago) or ``none``: the class a cell is drawn with, beside its date."""
    if last is None:
        return "none"
    days = ((as_of or timezone.localdate()) - last).days
    if days <= RECENT_DAYS:
        return "recent"
    if days <= 2 * RECENT_DAYS:
        return "aging"
    return "stale"


def grid_display(
    grid: ConversationGridDoc | None, *, links: dict[str, str] | None = None
) -> dict[str, Any] | None:
    """The grid as the plan page and the PDF draw it: every cell with its recency class
    (colour) beside its count and date (text), every row with its flag and code; ``links``
    maps an item's ref to the address where a conversation on it is logged. None when
    the plan has no objectives or value propositions (or the document has no grid)."""
    if grid is None or not grid.rows:
        return None
    kinds = dict(ItemKind.choices)
    rows = []
    for row in grid.rows:
        rows.append(
            {
                "row": row,
                "kind_label": str(kinds.get(row.kind, row.kind)),
                "tag": TAG_PREFIX + row.code,
                "state": recency(row.last_date, grid.as_of),
                "link": (links or {}).get(row.ref, ""),
                "cells": [
                    {
                        "cell": cell,
                        "label": label,
                        "state": recency(cell.last_date, grid.as_of),
                        "decider": cell.role == DECIDER,
                        "names": ", ".join(cell.people[:NAMES_SHOWN]),
                        "more": max(0, len(cell.people) - NAMES_SHOWN),
                        "all_names": ", ".join(cell.people),
                    }
                    for cell, (_code, label) in zip(row.cells, grid.roles, strict=True)
                ],
            }
        )
    return {
        "grid": grid,
        "rows": rows,
        "roles": [
            {"code": code, "label": label, "decider": code == DECIDER} for code, label in grid.roles
        ],
        "flagged": sum(1 for r in grid.rows if r.no_decider),
        "recent_days": RECENT_DAYS,
        "aging_days": 2 * RECENT_DAYS,
    }
