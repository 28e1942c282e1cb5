"""Demo relationships for the demo portfolio (``kam.demo``), seeded and reproducible.

Key accounts get 8 to 60 contacts (the largest key account exactly 60) with realistic
titles, functions, reporting lines, buying roles and attitudes; key development accounts
get a handful. The contacts are attached to the demo's existing activities (our people
meet the customer's people of matching functions, the key account manager mostly the
buyers), so the contact matrix is derived, not typed. On top: account teams with planned
hours, the functions each box expects, a few manual links where no activity shows one
(the sales director with the customers' board), how some customers file us (one of them a
mismatch), joint plans and one stage override with its reason (docs/method.md sections 3
and 4). A few key accounts are left single-threaded (a bow-tie), so the findings have
something true to say.

Numbers come only from ``numpy.random.default_rng([seed, STREAM])``; the positions, names and
notes are in ``story/relationships.toml``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account, AccountTeamMember, TeamRole
from kam.activities.models import Activity, ActivityParticipant, ActivityType
from kam.demo.data import story
from kam.demo.team import DIRECTOR
from kam.organisation.models import Box, BoxPolicy
from kam.portfolio.models import Placement
from kam.portfolio.selectors import portfolio_review
from kam.relationships.models import AccountRelationship, Contact, ContactLink
from kam.web.choices import CustomerView, Stage, Strength

STREAM = 7
_STORY = story("relationships")
_Position = tuple[str, str, int, tuple[str, ...], int, int | None]


def _position(row: list[Any], parent: int | None) -> _Position:
    title, function, seniority, roles, influence = row[:5]
    return (title, function, seniority, tuple(roles), influence, parent)


#: (title, function, seniority 1-5, buying roles, influence, parent index or None)
POSITIONS: list[_Position] = [
    _position(row, row[5] if len(row) > 5 else None) for row in _STORY["positions"]
]
REGIONS: tuple[str, ...] = tuple(_STORY["regions"])
#: The regional positions, in turn: (title pattern, …, parent index or "previous")
REGIONAL_POSITIONS: list[list[Any]] = _STORY["regional_positions"]
FIRST: tuple[str, ...] = tuple(_STORY["first_names"])
LAST: tuple[str, ...] = tuple(_STORY["last_names"])
ATTITUDES: tuple[str, ...] = tuple(_STORY["attitudes"])
ATTITUDE_P: tuple[float, ...] = tuple(_STORY["attitude_chances"])
#: Which of their functions each of our functions meets most.
AFFINITY: dict[str, tuple[str, ...]] = {
    ours: tuple(theirs) for ours, theirs in _STORY["affinity"].items()
}
EXPECTED_FUNCTIONS: dict[str, list[str]] = {
    Box(box): list(functions) for box, functions in _STORY["expected_functions"].items()
}
PLANNED_HOURS: dict[str, tuple[int, int]] = {
    TeamRole(role): (lo, hi) for role, (lo, hi) in _STORY["planned_hours"].items()
}
OWNER_HOURS: dict[str, tuple[int, int]] = {
    Box(box): (lo, hi) for box, (lo, hi) in _STORY["owner_hours"].items()
}
NOTES: dict[str, str] = _STORY["notes"]
DIRECTOR_LINK: dict[str, str] = _STORY["director_link"]


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _positions(n: int) -> list[_Position]:
    """The first ``n`` positions: the hand-written ones, then regional and category staff."""
    out = list(POSITIONS[:n])
    i = 0
    while len(out) < n:
        region = REGIONS[i % len(REGIONS)]
        row = REGIONAL_POSITIONS[i % len(REGIONAL_POSITIONS)]
        parent = len(out) - 1 if row[5] == "previous" else row[5]
        out.append(_position([row[0].format(region), *row[1:5]], parent))
        i += 1
    return out


def _key_boxes(prefix: str) -> dict[int, str]:
    latest = portfolio_review()
    if latest is None:
        return {}
    return dict(
        Placement.objects.filter(
            review=latest,
            account__external_id__startswith=prefix,
            box__in=[Box.KEY, Box.KEY_DEVELOPMENT],
        ).values_list("account_id", "box")
    )


def demo_relationships(
    *, seed: int, today: dt.date, stdout: TextIO, external_id_prefix: str = "NHF-"
) -> int:
    """Write the demo relationships (see the module docstring); returns the contacts written."""
    rng = np.random.default_rng([seed, STREAM])
    User = get_user_model()
    people = {u.username: u for u in User.objects.select_related("profile")}
    director = people.get(DIRECTOR)
    for policy in BoxPolicy.objects.all():
        policy.expected_functions = EXPECTED_FUNCTIONS.get(policy.box, [])
        policy.save(update_fields=["expected_functions"])
    boxes = _key_boxes(external_id_prefix)
    if not boxes:
        return 0
    accounts = list(
        Account.objects.filter(pk__in=list(boxes))
        .annotate(n_acts=Count("activities"))
        .order_by("-n_acts", "external_id")
    )
    key_ids = [a.pk for a in accounts if boxes[a.pk] == Box.KEY]
    biggest = key_ids[0] if key_ids else None
    # A few key accounts stay single-threaded: only the manager and one buyer meet.
    bow_ties = set(key_ids[3::5])
    contacts_written = 0
    all_contacts: list[Contact] = []
    links: list[ContactLink] = []
    through_rows: list[tuple[int, int]] = []
    renamed: list[Activity] = []
    added_participants: list[ActivityParticipant] = []
    team_rows = defaultdict(list)
    for m in AccountTeamMember.objects.filter(account__in=accounts).select_related("user__profile"):
        team_rows[m.account_id].append(m)
    for account in accounts:
        box = boxes[account.pk]
        if box == Box.KEY:
            n = 60 if account.pk == biggest else int(rng.integers(8, 37))
        else:
            n = int(rng.integers(4, 9))
        domain = f"{_slug(account.name)[:40]}.example"
        account.email_domains = [domain]
        lo, hi = OWNER_HOURS[box]
        account.owner_planned_hours = int(rng.integers(lo // 10, hi // 10 + 1)) * 10
        account.save(update_fields=["email_domains", "owner_planned_hours"])
        for m in team_rows[account.pk]:
            lo, hi = PLANNED_HOURS.get(m.team_role, (8, 24))
            m.planned_hours = int(rng.integers(lo // 4, hi // 4 + 1)) * 4
            m.save(update_fields=["planned_hours"])
        positions = _positions(n)
        used: set[str] = set()
        rows: list[Contact] = []
        for number, (title, function, seniority, roles, influence, _parent) in enumerate(
            positions, 1
        ):
            while True:
                name = (
                    f"{FIRST[int(rng.integers(len(FIRST)))]} {LAST[int(rng.integers(len(LAST)))]}"
                )
                if name not in used:
                    used.add(name)
                    break
            attitude = ATTITUDES[int(rng.choice(len(ATTITUDES), p=ATTITUDE_P))]
            first, last = name.split(" ", 1)
            rows.append(
                Contact(
                    account=account,
                    number=number,
                    name=name,
                    title=title,
                    function=function,
                    seniority=seniority,
                    buying_roles=list(roles),
                    influence=influence,
                    attitude=attitude,
                    email=f"{_slug(first)}.{_slug(last).replace('-', '')}@{domain}",
                    owner=account.owner,
                )
            )
        # One champion left recently at a third of the key accounts.
        if box == Box.KEY and rng.random() < 0.35 and len(rows) > 6:
            gone = rows[int(rng.integers(5, len(rows)))]
            gone.attitude = "champion"
            gone.has_left = True
            gone.left_on = today - dt.timedelta(days=int(rng.integers(20, 200)))
        Contact.objects.bulk_create(rows)
        for row, position in zip(rows, positions, strict=True):
            parent = position[5]
            if parent is not None and parent < len(rows):
                row.reports_to = rows[parent]
        Contact.objects.bulk_update(rows, ["reports_to"])
        contacts_written += len(rows)
        all_contacts.extend(rows)
        # Attach contacts to the account's activities, by function affinity.
        current = [c for c in rows if not c.has_left]
        by_function: dict[str, list[Contact]] = defaultdict(list)
        for c in current:
            by_function[c.function].append(c)
        buyer = next((c for c in rows if "buyer" in c.buying_roles and c.seniority >= 3), rows[0])
        acts = list(
            Activity.objects.filter(account=account)
            .exclude(type=ActivityType.EMAIL)
            .order_by("date", "pk")
        )
        part: dict[int, list[int]] = defaultdict(list)
        for a_id, u_id in ActivityParticipant.objects.filter(activity__in=acts).values_list(
            "activity_id", "user_id"
        ):
            part[a_id].append(u_id)
        functions = {
            u.pk: getattr(u.profile, "function", "other")
            for u in people.values()
            if hasattr(u, "profile")
        }
        for a in acts:
            met: list[Contact] = []
            if account.pk in bow_ties:
                met = [buyer]
            else:
                for u_id in part.get(a.pk, []):
                    pool = [
                        c
                        for f in AFFINITY.get(functions.get(u_id, "other"), ())
                        for c in by_function.get(f, [])
                    ]
                    pool = [c for c in pool if c.seniority >= 2] or pool
                    if not pool:
                        continue
                    weights = np.array([1.0 / c.seniority**1.3 * (c.influence + 1) for c in pool])
                    k = min(len(pool), int(rng.integers(1, 3)))
                    for i in rng.choice(
                        len(pool), size=k, replace=False, p=weights / weights.sum()
                    ):
                        if pool[int(i)] not in met:
                            met.append(pool[int(i)])
                if buyer not in met and rng.random() < 0.5:
                    met.append(buyer)
            if a.date >= (buyer.left_on or dt.date.max):
                met = [c for c in met if c is not buyer]
            for c in met:
                through_rows.append((a.pk, c.pk))
            if met:
                # The people are attached as contacts; names are kept only when not matched.
                a.contact_names = []
                renamed.append(a)
        # The sales director meets the board at a few reviews of the richer key accounts.
        if director is not None and box == Box.KEY and account.pk not in bow_ties:
            board = [c for c in current if c.seniority == 1][:3]
            reviews = [a for a in acts if a.type in (ActivityType.REVIEW, ActivityType.VISIT)][-3:]
            for a in reviews:
                if director.pk not in part.get(a.pk, []):
                    added_participants.append(ActivityParticipant(activity=a, user=director))
                for c in board[:2]:
                    if (a.pk, c.pk) not in through_rows:
                        through_rows.append((a.pk, c.pk))
            # and keeps a weak line to the CFO by phone, which no activity shows
            cfo = next((c for c in current if c.title == DIRECTOR_LINK["title"]), None)
            if cfo is not None:
                links.append(
                    ContactLink(
                        contact=cfo,
                        user=director,
                        strength=Strength.WEAK,
                        meetings_per_year=2,
                        last_met=today - dt.timedelta(days=int(rng.integers(30, 150))),
                        note=DIRECTOR_LINK["note"],
                        updated_by=director,
                    )
                )
        if box == Box.KEY and account.pk not in bow_ties and director is not None:
            AccountTeamMember.objects.get_or_create(
                account=account,
                user=director,
                defaults={"team_role": TeamRole.SURROUND, "planned_hours": 16},
            )
    Activity.objects.bulk_update(renamed, ["contact_names"], batch_size=1000)
    Through = Activity.contacts.through
    Through.objects.bulk_create(
        [Through(activity_id=a, contact_id=c) for a, c in dict.fromkeys(through_rows)],
        batch_size=4000,
        ignore_conflicts=True,
    )
    ActivityParticipant.objects.bulk_create(added_participants, ignore_conflicts=True)
    ContactLink.objects.bulk_create(links)
    _positioning(accounts, boxes, key_ids, rng, today)
    stdout.write(
        _("Relationships: %(n)d contacts on %(a)d key and key development accounts.")
        % {"n": contacts_written, "a": len(accounts)}
        + "\n"
    )
    return contacts_written


def _positioning(
    accounts: Sequence[Account],
    boxes: dict[int, str],
    key_ids: list[int],
    rng: np.random.Generator,
    today: dt.date,
) -> None:
    """How some customers file us, joint plans, and one stage chosen by hand with its reason."""
    now = timezone.now()
    rels = []
    for i, account in enumerate(accounts):
        box = boxes[account.pk]
        rel = AccountRelationship(account=account)
        if box == Box.KEY and i % 2 == 0:
            rel.joint_plan = True
        if account.pk in key_ids[:2]:
            rel.joint_projects = 2
            rel.shared_systems = True
        if i % 3 == 0:
            if box == Box.KEY:
                view = CustomerView.STRATEGIC if i % 6 == 0 else CustomerView.BOTTLENECK
            else:
                view = CustomerView.LEVERAGE
            rel.customer_view = view
            rel.customer_view_note = NOTES["customer_view"]
            rel.customer_view_by = account.owner
            rel.customer_view_at = now
        rels.append(rel)
    if len(key_ids) > 1:
        mismatch = next(r for r in rels if r.account_id == key_ids[1])
        mismatch.customer_view = CustomerView.LEVERAGE
        mismatch.customer_view_note = NOTES["mismatch"]
        mismatch.customer_view_by = mismatch.account.owner
        mismatch.customer_view_at = now
    if key_ids:
        chosen = next(r for r in rels if r.account_id == key_ids[0])
        chosen.chosen_stage = Stage.INTERDEPENDENT
        chosen.chosen_reason = NOTES["chosen_stage"]
        chosen.chosen_by = chosen.account.owner
        chosen.chosen_at = now
    AccountRelationship.objects.bulk_create(rels)
