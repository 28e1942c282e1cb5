"""The grid of the right conversation: a plan's objectives × buying roles, read from the
activities tied to them (docs/method.md section 0, docs/plans.md "The right conversation";
the codes and the page's drawing of the grid are in ``kam.plans.conversations``). Plans
read it through ``kam.plans.sources``, where ``ActivitiesConfig.ready`` registers it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kam.activities.models import Activity
from kam.plans.conversations import DECIDER, OBJECTIVE_KINDS, objective_code
from kam.plans.document import ConversationCellDoc, ConversationGridDoc, ConversationRowDoc
from kam.plans.models import Plan, PlanItem
from kam.relationships.models import Contact
from kam.web.choices import BuyingRole


def _role_order() -> list[tuple[str, str]]:
    # The decider first: the grid's question is whether each objective reached one.
    roles = [(str(r.value), str(r.label)) for r in BuyingRole]
    roles.sort(key=lambda r: r[0] != DECIDER)
    return roles


def conversation_grid(*, plan: Plan, today: dt.date | None = None) -> ConversationGridDoc:
    """Objectives and value propositions of ``plan`` × buying roles: who was met on each,
    how often and when last; each objective without a conversation with a decider flagged.

    Columns are the decider and every other buying role held by a contact of the account
    or by someone met on an objective, in the order of ``BuyingRole``. A contact's roles
    are those on file now; a contact who has left the customer still shows in the cells
    (marked) but does not count as the objective's decider. Activities dated after
    ``today`` (planned ones) are left out. The caller has checked that the user may read
    the plan. Four queries.
    """
    today = today or timezone.localdate()
    items = list(
        PlanItem.objects.filter(plan=plan, kind__in=OBJECTIVE_KINDS).order_by(
            "kind", "position", "pk"
        )
    )
    contacts = {
        c.pk: c
        for c in Contact.objects.filter(account_id=plan.account_id).only(
            "pk", "name", "number", "buying_roles", "has_left", "erased_at"
        )
    }
    tied = list(
        Activity.objects.filter(objective__in=items, date__lte=today)
        .order_by("-date", "-pk")
        .values_list("pk", "objective_id", "date")
    )
    met: dict[int, list[int]] = defaultdict(list)
    Through = Activity.contacts.through
    for activity_id, contact_id in Through.objects.filter(
        activity_id__in=[pk for pk, _o, _d in tied]
    ).values_list("activity_id", "contact_id"):
        met[activity_id].append(contact_id)

    def roles_of(contact: Contact) -> list[str]:
        return [str(r) for r in (contact.buying_roles or [])]

    held = {r for c in contacts.values() if c.erased_at is None for r in roles_of(c)}
    held.add(DECIDER)
    labels = dict(_role_order())
    order = [code for code, _label in _role_order()]
    roles = [(code, labels[code]) for code in order if code in held]
    role_codes = [code for code, _label in roles]

    rows: list[ConversationRowDoc] = []
    for item in items:
        mine = [(pk, date) for pk, objective_id, date in tied if objective_id == item.pk]
        cells: dict[str, dict[str, Any]] = {
            code: {"count": 0, "last": None, "people": []} for code in role_codes
        }
        reached_decider = False
        for activity_id, date in mine:  # newest first
            seen_roles: set[str] = set()
            for contact_id in met.get(activity_id, []):
                contact = contacts.get(contact_id)
                if contact is None:
                    continue
                name = str(contact.display_name)
                if contact.has_left:
                    name = _("%(name)s (left)") % {"name": name}
                for role in roles_of(contact):
                    if role not in cells:  # a role only a since-erased contact held
                        continue
                    if role == DECIDER and not contact.has_left:
                        reached_decider = True
                    cell = cells[role]
                    if role not in seen_roles:
                        seen_roles.add(role)
                        cell["count"] += 1
                        cell["last"] = cell["last"] or date
                    if name not in cell["people"]:
                        cell["people"].append(name)
        rows.append(
            ConversationRowDoc(
                ref=str(item.uid),
                code=objective_code(item),
                kind=item.kind,
                title=item.title,
                shared=item.shared,
                count=len(mine),
                last_date=mine[0][1] if mine else None,
                cells=[
                    ConversationCellDoc(
                        role=code,
                        count=cells[code]["count"],
                        last_date=cells[code]["last"],
                        people=cells[code]["people"],
                    )
                    for code in role_codes
                ],
                no_decider=not reached_decider,
            )
        )
    period_end = min(plan.period_end, today)
    in_period = Activity.objects.filter(
        account_id=plan.account_id, date__gte=plan.period_start, date__lte=period_end
    )
    activities = in_period.count()
    untied = in_period.filter(objective__isnull=True).count() if activities else 0
    deciders = sum(
        1
        for c in contacts.values()
        if c.erased_at is None and not c.has_left and DECIDER in roles_of(c)
    )
    return ConversationGridDoc(
        roles=roles,
        rows=rows,
        deciders=deciders,
        activities=activities,
        untied=untied,
        as_of=today,
    )
