"""The demo's start pages (docs/start.md): a last visit for the demo's key account manager
(sanne) and sales director (maarten), and a few things that happen after it, done through
the real services, so both start pages open with something true in every section.

After the visit is recorded:

- the champion of one of sanne's key accounts leaves (a new finding and an alert; the
  findings store of her key accounts is brought up to date at once);
- a person at the customer of one of sanne's plans sets an action in progress and comments
  through a share link (a customer update);
- a colleague on one of sanne's key account teams finishes an action of ours on that plan
  and logs a meeting on the account (a changed action and a new activity).

Everything is chosen by name and number, so the same demo gives the same story. Who and what
the customer and the colleague write are in ``story/start.toml``; those texts are translated
(their msgids are listed in ``kam.demo.msgids``).
"""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import AccountTeamMember
from kam.activities.models import ActivityType
from kam.demo.data import story
from kam.organisation.models import Box
from kam.pages.start import start_scope
from kam.plans.models import FINISHED_STATUSES, ActionStatus, OwnerSide, Plan, PlanAction
from kam.portfolio.selectors import boxes_of
from kam.relationships.findings_store import findings_refresh
from kam.relationships.models import Contact
from kam.users.models import StartVisit

_STORY = story("start")
MANAGER: str = _STORY["manager"]
DIRECTOR: str = _STORY["director"]
DEMO_IP = "192.0.2.27"


def demo_start(*, today: dt.date, stdout: TextIO) -> None:
    """Record the demo people's last visit to the start page, then a few events after it."""
    User = get_user_model()
    people = {u.username: u for u in User.objects.filter(username__in=[MANAGER, DIRECTOR])}
    manager = people.get(MANAGER)
    if manager is None:
        return
    visited = timezone.now()
    for person in people.values():
        StartVisit.objects.update_or_create(
            user=person, defaults={"since": visited, "last_seen_at": visited}
        )
    scope = start_scope(user=manager)
    boxes = boxes_of(account_ids=list(scope.values_list("pk", flat=True)))
    key_ids = sorted(pk for pk, box in boxes.items() if box == Box.KEY)
    told = []
    if _champion_leaves(manager=manager, account_ids=key_ids, today=today):
        told.append(_("a champion left"))
    if _customer_updates(manager=manager, account_ids=key_ids):
        told.append(_("a customer update"))
    if _colleague_acts(account_ids=key_ids, today=today):
        told.append(_("a colleague's action and meeting"))
    # the findings store now, not once the loader's transaction commits: the start pages
    # read new findings and lost champions from it
    findings_refresh(account_ids=key_ids, as_of=today)
    stdout.write(
        _("Start pages: last visit recorded for %(people)s; since then: %(events)s.")
        % {"people": ", ".join(sorted(people)), "events": ", ".join(told) or "–"}
        + "\n"
    )


def _champion_leaves(*, manager: object, account_ids: list[int], today: dt.date) -> bool:
    from kam.relationships.services import contact_update

    champion = (
        Contact.objects.filter(account_id__in=account_ids, attitude="champion", has_left=False)
        .order_by("account__name", "number")
        .first()
    )
    if champion is None:
        return False
    contact_update(user=manager, contact=champion, has_left=True, left_on=today)  # type: ignore[arg-type]
    return True


def _current_plan(account_ids: list[int]) -> Plan | None:
    return (
        Plan.objects.filter(
            account_id__in=account_ids,
            successors__isnull=True,
            actions__owner_side=OwnerSide.THEIRS,
        )
        .order_by("account__name", "-period_start", "pk")
        .distinct()
        .first()
    )


def _customer_updates(*, manager: object, account_ids: list[int]) -> bool:
    from kam.plans import services

    plan = _current_plan(account_ids)
    if plan is None:
        return False
    action = (
        plan.actions.filter(owner_side=OwnerSide.THEIRS)
        .exclude(owner_contact_email="")
        .exclude(status__in=list(FINISHED_STATUSES))
        .order_by("due_date", "position", "pk")
        .first()
    )
    if action is None:
        return False
    link, token = services.share_link_create(
        user=manager,  # type: ignore[arg-type]
        plan=plan,
        person_name=action.owner_contact_name,
        person_email=action.owner_contact_email,
        days_valid=60,
    )
    services.share_link_resolve(token=token, ip=DEMO_IP)
    services.share_action_update(
        link=link,
        action_uid=str(action.uid),
        status=ActionStatus.IN_PROGRESS,
        comment=_(_STORY["customer_comment"]),
        ip=DEMO_IP,
    )
    return True


def _colleague_acts(*, account_ids: list[int], today: dt.date) -> bool:
    from kam.activities.services import activity_create
    from kam.plans import services

    plan = _current_plan(account_ids)
    if plan is None:
        return False
    member = (
        AccountTeamMember.objects.filter(account=plan.account)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    if member is None:
        return False
    # an action of ours that a colleague owns, finished by that colleague
    action: PlanAction | None = (
        plan.actions.filter(owner_side=OwnerSide.OURS, owner_user__isnull=False)
        .exclude(owner_user_id=plan.account.owner_id)
        .exclude(status__in=list(FINISHED_STATUSES))
        .select_related("owner_user", "plan")
        .order_by("due_date", "position", "pk")
        .first()
    )
    if action is not None:
        action._history_user = action.owner_user  # type: ignore[attr-defined]
        services.action_track(
            user=action.owner_user,  # type: ignore[arg-type]
            action=action,
            status=ActionStatus.DONE,
            comment=_(_STORY["colleague_comment"]),
        )
    activity_create(
        user=member.user,
        account=plan.account,
        date=today,
        duration_minutes=60,
        type=ActivityType.MEETING,
        participants=[member.user],
        topic=_(_STORY["meeting_topic"]),
    )
    return True
