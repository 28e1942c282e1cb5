"""The demo team (docs/method.md sections 2 and 3): the thirteen named people of
``story/team.toml``, with their role, function, yearly hours for accounts and hourly cost;
above ``DEFAULT_ACCOUNTS`` customers also generated sellers (key account managers, field and
inside sales, who cannot log in) for the accounts beyond the named people's year
(``_scale_team``); and who owns and serves each account (``_assign_owners``,
``_assign_teams``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from kam.accounts.models import TeamRole
from kam.allocation.models import PeriodBoxPolicy
from kam.core.scoring import BOXES
from kam.demo.data import story
from kam.demo.market import ONLINE, WHOLESALE
from kam.organisation.models import Box, ServiceChannel
from kam.organisation.services import BoxPolicyInput
from kam.users.models import Function, Role

if TYPE_CHECKING:
    from kam.demo.market import _Account

_TEAM = story("team")


@dataclass(frozen=True)
class _Person:
    username: str
    first_name: str
    last_name: str
    role: str
    function: str
    hours_per_year: int
    hourly_cost_eur: int
    label: Promise


#: The named people; each label is translated where it is shown (kam.demo.msgids).
PEOPLE: tuple[_Person, ...] = tuple(
    _Person(
        p["username"],
        p["first_name"],
        p["last_name"],
        Role(p["role"]),
        Function(p["function"]),
        p["hours_per_year"],
        p["hourly_cost_eur"],
        gettext_lazy(p["label"]),
    )
    for p in _TEAM["people"]
)
DIRECTOR: str = _TEAM["director"]
GROUP_KAM: str = _TEAM["group_kam"]
REGION_KAM: dict[str, str] = dict(_TEAM["region_kam"])
ONLINE_KAM: str = _TEAM["online_kam"]
KEY_ACCOUNTS_PER_MANAGER = 4  # the method's default limit (docs/method.md section 1)

#: The box policies: hours (min, max), review cadence, then the service channel and visits a
#: year (story/organisation.toml).
POLICIES: dict[str, BoxPolicyInput] = {
    Box(box): BoxPolicyInput(
        p["min_hours_per_year"],
        p["max_hours_per_year"],
        p["review_cadence_months"],
        None,
        ServiceChannel(p["service_channel"]),
        p["visits_per_year"],
    )
    for box, p in story("organisation")["policies"].items()
}
#: The demo's intended size: up to this many customers the thirteen people above serve them.
DEFAULT_ACCOUNTS = 250
#: Above it the team grows: no seller's own accounts ask more than this share of their
#: hours (the rest is the optimiser's room; the year plan caps sales at 95 %).
BOOK_SHARE = 0.8
#: Username prefix of the generated sellers of a large demo (none can log in).
STAFF_PREFIX = "nhf-"


def account_load(box: str) -> int:
    """The yearly hours an account of ``box`` asks of its owner when the demo sizes its
    team: the policy's minimum for the boxes the year plan judges (key and key development:
    the optimiser gives them at least that), the policy's hours (the middle of its range,
    ``PeriodBoxPolicy.policy_hours``) for the others, which the plan gives them unjudged;
    nothing for an account not placed."""
    p = POLICIES.get(Box(box)) if box else None
    if p is None:
        return 0
    if box in (Box.KEY, Box.KEY_DEVELOPMENT):
        return p.min_hours_per_year
    return PeriodBoxPolicy(
        min_hours_per_year=p.min_hours_per_year, max_hours_per_year=p.max_hours_per_year
    ).policy_hours


@dataclass(frozen=True)
class _Seller:
    """A kind of generated seller: who they are, their yearly customer hours and cost."""

    kind: str
    function: str
    hours_per_year: int
    hourly_cost_eur: int
    label: Promise


#: Who takes the accounts beyond the named people's books, by box.
SELLERS = {
    kind: _Seller(
        kind,
        Function(s["function"]),
        s["hours_per_year"],
        s["hourly_cost_eur"],
        gettext_lazy(s["label"]),
    )
    for kind, s in _TEAM["sellers"].items()
}
SELLER_FOR_BOX = {
    Box.KEY: "kam",
    Box.KEY_DEVELOPMENT: "kam",
    Box.MAINTENANCE: "field",
    Box.OPPORTUNISTIC: "inside",
    "": "inside",
}
_FIRST: tuple[str, ...] = tuple(_TEAM["seller_names"]["first"])
_LAST: tuple[str, ...] = tuple(_TEAM["seller_names"]["last"])


def _seller(kind: str, i: int, n: int) -> _Person:
    """The ``i``-th generated seller of ``kind`` (from 1), the ``n``-th of all (from 0):
    the names run through every first and last name before one repeats with a number."""
    s = SELLERS[kind]
    combos = len(_FIRST) * len(_LAST)
    last = _LAST[(n // len(_FIRST)) % len(_LAST)]
    return _Person(
        f"{STAFF_PREFIX}{kind}-{i:03d}",
        _FIRST[n % len(_FIRST)],
        last if n < combos else f"{last} {n // combos + 1}",
        Role.KEY_ACCOUNT_MANAGER,
        s.function,
        s.hours_per_year,
        s.hourly_cost_eur,
        s.label,
    )


def _scale_team(accounts: list[_Account], boxes: list[str]) -> tuple[_Person, ...]:
    """The sellers a portfolio larger than ``DEFAULT_ACCOUNTS`` needs, and their accounts.

    Up to that size nothing changes. Above it each named key account manager keeps the
    accounts of their book, in box order (key first) and by revenue, while their loads
    (``account_load``) fit in ``BOOK_SHARE`` of their hours; every other account goes to a
    generated seller of its box's kind (``SELLER_FOR_BOX``): key account managers, field
    sales for maintenance accounts, inside sales for the opportunistic ones, each filled
    the same way, by country then revenue, so that each has a territory. So no owner's
    accounts ask more than ``BOOK_SHARE`` of their hours, and the box policies' hours fit
    the team however large the portfolio (tests/test_demo_team.py)."""
    if len(accounts) <= DEFAULT_ACCOUNTS:
        return ()
    hours = {p.username: p.hours_per_year for p in PEOPLE}
    rank = {b.value: i for i, b in enumerate(BOXES)}

    def order(i: int) -> tuple[int, str, float, int]:
        a = accounts[i]
        return (rank.get(boxes[i], len(rank)), a.country, -a.revenue_eur[max(a.revenue_eur)], i)

    booked: Counter[str] = Counter()
    overflow: dict[str, list[int]] = {kind: [] for kind in SELLERS}
    for i in sorted(range(len(accounts)), key=order):
        owner, load = accounts[i].owner, account_load(boxes[i])
        if booked[owner] + load <= BOOK_SHARE * hours[owner]:
            booked[owner] += load
        else:
            overflow[SELLER_FOR_BOX[boxes[i]]].append(i)
    staff: list[_Person] = []
    for kind, seller in SELLERS.items():
        book = BOOK_SHARE * seller.hours_per_year
        person: _Person | None = None
        load_now, count = 0.0, 0
        for i in overflow[kind]:
            load = account_load(boxes[i])
            if person is None or load_now + load > book:
                count += 1
                person = _seller(kind, count, len(staff))
                staff.append(person)
                load_now = 0.0
            load_now += load
            accounts[i].owner = person.username
    return tuple(staff)


def _assign_owners(accounts: list[_Account], boxes: list[str]) -> None:
    """Regional owners; the group KAM takes the group headquarters and any key account
    beyond a regional manager's fourth.

    So the group KAM carries more than four key accounts (the per-manager warning of
    section 1 shows) and every other KAM four at most.
    """
    for a in accounts:
        if a.group is not None and a.parent is None:
            a.owner = GROUP_KAM
        elif a.channel == ONLINE:
            a.owner = ONLINE_KAM
        else:
            a.owner = REGION_KAM[a.country]
    key = sorted(
        (i for i, b in enumerate(boxes) if b == Box.KEY),
        key=lambda i: -accounts[i].revenue_eur[max(accounts[i].revenue_eur)],
    )
    carried: Counter[str] = Counter()
    for i in key:
        owner = accounts[i].owner
        if owner != GROUP_KAM and carried[owner] >= KEY_ACCOUNTS_PER_MANAGER:
            accounts[i].owner = GROUP_KAM
        carried[accounts[i].owner] += 1
    for i in key:  # small demos: hand her the largest until she carries one too many
        if carried[GROUP_KAM] > KEY_ACCOUNTS_PER_MANAGER:
            break
        if accounts[i].owner != GROUP_KAM:
            carried[accounts[i].owner] -= 1
            accounts[i].owner = GROUP_KAM
            carried[GROUP_KAM] += 1


_TEAMS = _TEAM["account_teams"]


def _assign_teams(accounts: list[_Account], boxes: list[str]) -> None:
    """The colleague who rates the account, and the wider team that the box calls for
    (story/team.toml, ``account_teams``)."""
    for a, box in zip(accounts, boxes, strict=True):
        if box in (Box.KEY, Box.KEY_DEVELOPMENT):
            rater = _TEAMS["key_rater_by_channel"].get(a.channel, _TEAMS["key_rater"])
        elif box == Box.MAINTENANCE and a.channel == WHOLESALE:
            rater = _TEAMS["wholesale_maintenance_rater"]
        else:
            rater = _TEAMS["rater"]
        a.third_rater = rater
        team = [(rater, TeamRole.CORE)]
        members = _TEAMS["by_box"].get(box)
        if members is not None:
            team += [(u, TeamRole.CORE) for u in members["core"]]
            team += [(u, TeamRole.SURROUND) for u in members["surround"]]
        seats: dict[str, str] = {}
        for username, role in team:  # one seat per person; the first role listed wins
            seats.setdefault(username, role)
        a.team = list(seats.items())
