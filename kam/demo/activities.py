"""A year of demo activities for the demo portfolio (``kam.demo``), seeded and reproducible.

Each demo account gets visits, calls, meetings, business reviews and e-mails over the twelve
months before ``today``, by its key account manager and, more often on bigger boxes, a
colleague from its account team. The yearly person-hours follow the account's box in the
latest review (key accounts most, opportunistic accounts least, roughly within the demo's
box policies) with one realistic flaw: two key account managers spend far too much time on
their opportunistic accounts, so the actual-time page and the plan-against-actual variance
(docs/method.md section 2) have something to show.

Numbers come only from ``numpy.random.default_rng([seed, STREAM])``, a stream of its own, so
adding activities does not change any other part of the demo. The hours by box, the topics
and the names of the people met are in ``story/activities.toml``.
"""

from __future__ import annotations

import datetime as dt
from typing import TextIO

import numpy as np
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from kam.accounts.models import Account, AccountTeamMember
from kam.activities.models import Activity, ActivityParticipant, ActivityType
from kam.demo.data import story
from kam.organisation.models import Box
from kam.portfolio.models import Placement
from kam.portfolio.selectors import portfolio_review

STREAM = 3

_STORY = story("activities")
_BOXES = {Box(box) if box else "": b for box, b in _STORY["boxes"].items()}
_TYPES = {ActivityType(kind): t for kind, t in _STORY["types"].items()}

#: Typical yearly person-hours per account, by box in the latest review (unplaced: "").
HOURS_PER_YEAR: dict[str, float] = {box: b["hours_per_year"] for box, b in _BOXES.items()}
#: Key account managers who chase opportunistic accounts, and by how much (× the hours).
OPPORTUNISTIC_CHASERS: dict[str, float] = dict(_STORY["opportunistic_chasers"])
#: Chance that a colleague from the account team joins, by box.
TEAM_JOINS: dict[str, float] = {box: b["team_joins"] for box, b in _BOXES.items()}
#: Mix of activity types, by box: visit, call, meeting, review, email, other.
TYPES: tuple[str, ...] = tuple(_TYPES)
TYPE_MIX: dict[str, tuple[float, ...]] = {box: tuple(b["type_mix"]) for box, b in _BOXES.items()}
#: Duration in minutes (low, high; in steps of 15) by type.
DURATION: dict[str, tuple[int, int]] = {
    kind: (t["minutes"][0], t["minutes"][1]) for kind, t in _TYPES.items()
}
TOPICS: dict[str, tuple[str, ...]] = {kind: tuple(t["topics"]) for kind, t in _TYPES.items()}
FIRST_NAMES: tuple[str, ...] = tuple(_STORY["contacts"]["first_names"])
LAST_NAMES: tuple[str, ...] = tuple(_STORY["contacts"]["last_names"])
ROLES: tuple[str, ...] = tuple(_STORY["contacts"]["roles"])


def _box_of_accounts(account_ids: list[int]) -> dict[int, str]:
    """Each account's box in the portfolio review ("" when not placed in it)."""
    latest = portfolio_review()
    if latest is None:
        return {}
    return dict(
        Placement.objects.filter(review=latest, account_id__in=account_ids).values_list(
            "account_id", "box"
        )
    )


def _workday(day: dt.date) -> dt.date:
    """Saturday and Sunday move to the Friday before."""
    return day - dt.timedelta(days=max(0, day.weekday() - 4))


def demo_activities(
    *, seed: int, today: dt.date, stdout: TextIO, external_id_prefix: str = "NHF-"
) -> int:
    """Log a year of activities on the demo accounts (see the module docstring).

    Accounts whose external id starts with ``external_id_prefix`` are served; the twelve
    months before ``today`` are filled. Returns how many activities were written (they go
    in with ``bulk_create``; a few thousand for 250 accounts).
    """
    rng = np.random.default_rng([seed, STREAM])
    accounts = list(
        Account.objects.filter(external_id__startswith=external_id_prefix)
        .order_by("external_id")
        .values_list("pk", "owner_id")
    )
    if not accounts:
        return 0
    account_ids = [pk for pk, _owner in accounts]
    boxes = _box_of_accounts(account_ids)
    team: dict[int, list[int]] = {}
    for account_id, user_id in (
        AccountTeamMember.objects.filter(account_id__in=account_ids)
        .order_by("account_id", "user__username")
        .values_list("account_id", "user_id")
    ):
        team.setdefault(account_id, []).append(user_id)
    usernames = dict(get_user_model().objects.values_list("pk", "username"))

    activities: list[Activity] = []
    participants: list[list[int]] = []
    first_day = today - dt.timedelta(days=365)
    for account_id, owner_id in accounts:
        box = boxes.get(account_id, "")
        lead = owner_id or next(iter(team.get(account_id) or ()), None)
        if lead is None:
            continue
        target = HOURS_PER_YEAR[box] * float(np.exp(rng.normal(0.0, 0.35)))
        if box == Box.OPPORTUNISTIC:
            target *= OPPORTUNISTIC_CHASERS.get(usernames.get(owner_id, ""), 1.0)
        contacts = [
            f"{FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]} "
            f"{LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]} "
            f"({ROLES[int(rng.integers(len(ROLES)))]})"
            for _i in range(int(rng.integers(2, 5)))
        ]
        colleagues = [u for u in team.get(account_id, []) if u != lead]
        spent = 0.0
        while spent < target:
            kind = TYPES[int(rng.choice(len(TYPES), p=TYPE_MIX[box]))]
            low, high = DURATION[kind]
            minutes = 15 * int(rng.integers(low // 15, high // 15 + 1))
            people = [lead]
            if colleagues and rng.random() < TEAM_JOINS[box] and kind != ActivityType.EMAIL:
                people.append(colleagues[int(rng.integers(len(colleagues)))])
            day = _workday(first_day + dt.timedelta(days=int(rng.integers(3, 366))))
            met = contacts[: int(rng.integers(1, len(contacts) + 1))]
            topics = TOPICS[kind]
            activities.append(
                Activity(
                    account_id=account_id,
                    date=day,
                    duration_minutes=minutes,
                    type=kind,
                    topic=topics[int(rng.integers(len(topics)))],
                    contact_names=met[:1] if kind == ActivityType.EMAIL else met,
                    created_by_id=lead,
                )
            )
            participants.append(people)
            spent += minutes * len(people) / 60
    Activity.objects.bulk_create(activities, batch_size=2000)
    ActivityParticipant.objects.bulk_create(
        [
            ActivityParticipant(activity_id=a.pk, user_id=user_id)
            for a, people in zip(activities, participants, strict=True)
            for user_id in people
        ],
        batch_size=4000,
    )
    hours = sum(a.duration_minutes * len(p) for a, p in zip(activities, participants, strict=True))
    stdout.write(
        _("Activities: %(n)d over the last twelve months, %(hours)s person-hours.")
        % {"n": len(activities), "hours": f"{hours / 60:,.0f}"}
        + "\n"
    )
    return len(activities)


#: The stream of the objective ties (kept apart so that other parts of the demo stay as they are).
TIES_STREAM = 31
#: Chance that an activity without a decider is tied to an objective (with one: always).
TIE_WITHOUT_DECIDER = 0.45


def demo_objective_ties(*, seed: int, stdout: TextIO) -> int:
    """Tie the demo's activities to the objectives and value propositions of their plans.

    docs/method.md section 0, "are we having the right conversation?": each activity on an
    account with a plan (the key accounts) whose date falls in a plan's period is tied,
    to one of that plan's objectives or value propositions: every meeting with a decider,
    to the plan's objectives in turn; the others by chance (calls and e-mails half as
    often). One objective per plan, the plan's last one, is discussed only with people
    who are not deciders, so the conversation grid shows a true gap on every key
    account's plan (docs/plans.md, "The right conversation"); the single-threaded key
    accounts, where nobody meets a decider, show every objective flagged. Returns how
    many activities were tied.
    """
    from kam.plans.conversations import OBJECTIVE_KINDS
    from kam.plans.models import Plan, PlanItem
    from kam.relationships.models import Contact

    rng = np.random.default_rng([seed, TIES_STREAM])
    plans = list(Plan.objects.order_by("account_id", "period_start", "pk"))
    if not plans:
        return 0
    items: dict[int, list[int]] = {}
    for plan_id, item_id in (
        PlanItem.objects.filter(plan__in=plans, kind__in=OBJECTIVE_KINDS)
        .order_by("plan_id", "kind", "position", "pk")  # objectives first, then propositions
        .values_list("plan_id", "pk")
    ):
        items.setdefault(plan_id, []).append(item_id)
    objectives_last: dict[int, int] = {
        plan_id: pk
        for plan_id, pk in PlanItem.objects.filter(plan__in=plans, kind="objective")
        .order_by("plan_id", "position", "pk")
        .values_list("plan_id", "pk")
    }
    account_ids = sorted({p.account_id for p in plans})
    # Filtered in Python: JSON containment is not the same query on SQLite and PostgreSQL.
    deciders = {
        pk
        for pk, roles in Contact.objects.filter(account_id__in=account_ids).values_list(
            "pk", "buying_roles"
        )
        if "decider" in (roles or [])
    }
    met: dict[int, set[int]] = {}
    Through = Activity.contacts.through
    for activity_id, contact_id in Through.objects.filter(
        activity__account_id__in=account_ids
    ).values_list("activity_id", "contact_id"):
        met.setdefault(activity_id, set()).add(contact_id)
    by_account: dict[int, list[Plan]] = {}
    for each in plans:
        by_account.setdefault(each.account_id, []).append(each)
    tied: list[Activity] = []
    turn: dict[int, int] = {}  # per plan: the next objective a decider's conversation goes to
    for activity in Activity.objects.filter(account_id__in=account_ids).order_by("date", "pk"):
        plan = next(
            (
                p
                for p in by_account.get(activity.account_id, [])
                if p.period_start <= activity.date <= p.period_end and items.get(p.pk)
            ),
            None,
        )
        if plan is None:
            continue
        choices = items[plan.pk]
        if met.get(activity.pk, set()) & deciders:
            # Deciders are met seldom (the director's reviews): each such meeting is tied,
            # to the plan's objectives in turn, never to the one left without a decider.
            reached = [pk for pk in choices if pk != objectives_last.get(plan.pk)] or choices
            activity.objective_id = reached[turn.get(plan.pk, 0) % len(reached)]
            turn[plan.pk] = turn.get(plan.pk, 0) + 1
        else:
            chance = TIE_WITHOUT_DECIDER
            if activity.type in (ActivityType.CALL, ActivityType.EMAIL):
                chance /= 2
            if rng.random() >= chance:
                continue
            activity.objective_id = choices[int(rng.integers(len(choices)))]
        tied.append(activity)
    Activity.objects.bulk_update(tied, ["objective"], batch_size=1000)
    stdout.write(
        _("Conversations: %(n)d activities tied to plan objectives.") % {"n": len(tied)} + "\n"
    )
    return len(tied)
