"""What the key account manager records about one account (docs/method.md section 3): the
customer's contacts, our account team, meetings, the links of the contact matrix, and the
``AccountMap`` the findings and the stage look at."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from kam.core.relationships.vocabulary import Attitude, BuyingRole, Stage, Strength, TeamRole


@dataclass(frozen=True)
class Contact:
    """A person at the customer (section 3).

    ``seniority`` is 1 (board) … 5 (operational); ``influence`` 1-5; ``reports_to`` the key
    of their manager among the contacts (None when unknown or at the top); ``left`` and
    ``left_on`` record that the person has left the customer.
    """

    key: str
    name: str
    function: str
    seniority: int
    reports_to: str | None
    buying_roles: frozenset[BuyingRole]
    influence: int
    attitude: Attitude
    left: bool = False
    left_on: date | None = None


@dataclass(frozen=True)
class TeamMember:
    """A person in our account team: ``function`` is a key such as ``supply_chain``."""

    key: str
    name: str
    function: str
    role: TeamRole
    senior: bool = False


@dataclass(frozen=True)
class Meeting:
    """One activity: the keys of our participants and of their contacts who took part."""

    day: date
    ours: frozenset[str]
    theirs: frozenset[str]


@dataclass(frozen=True)
class Link:
    """One cell of the contact matrix: our person × their person.

    ``meetings_per_year`` is the meeting rate in the window of ``derive_links``;
    ``last_met`` the last meeting on or before the reference date (None: never met);
    ``derived`` True when the strength comes from meetings, False when entered by hand.
    """

    ours: str
    theirs: str
    strength: Strength
    meetings_per_year: float
    last_met: date | None
    derived: bool


@dataclass(frozen=True)
class AccountMap:
    """Everything the findings and the stage look at, for one account on ``as_of``.

    ``box`` is a ``kam.core.scoring.Box`` value; ``review_cadence_months`` the cadence of
    that box's policy; ``expected_functions`` the function keys the policy wants in the
    team. ``has_business``: any business at all; ``regular_business``: repeat business,
    not one-off transactions. ``meetings_last_half`` and ``meetings_previous_half`` count
    the account's meetings in the 182 days up to ``as_of`` and the 182 days before.
    ``previous_stage`` is the stage recorded at the last review (None: none recorded).
    """

    as_of: date
    box: str
    review_cadence_months: int
    contacts: Sequence[Contact]
    team: Sequence[TeamMember]
    links: Sequence[Link]
    expected_functions: frozenset[str]
    has_business: bool
    regular_business: bool
    has_joint_plan: bool
    joint_projects: int
    shared_systems: bool
    meetings_last_half: int
    meetings_previous_half: int
    previous_stage: Stage | None
