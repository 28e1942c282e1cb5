"""The right person: contacts, team, contact matrix, coverage and stage (docs/method.md 3, 4).

This module is pure (no Django). It turns what the key account manager records (the
customer's contacts, our account team, meetings) into:

- the **contact matrix** (``derive_links``): our person × their person with a strength
  derived from how often and how recently they met;
- **coverage findings** (``findings``): deciders and influencers without a medium or strong
  link, the bow-tie, a champion who left, contacts not met within the review cadence, and
  functions the box policy expects that our team lacks (section 3);
- the **relationship stage** (``infer_stage``): McDonald's five stages plus disintegrating,
  with every marker of the method's table and its evidence (section 3);
- **positioning warnings** (``positioning_warnings``): mismatches between our box and how
  the customer files us in Kraljic's matrix (section 4);
- an **org chart layout** (``org_chart_layout``, ``org_chart_edges``) of the reports-to forest.

User-facing text is returned as ``Message`` (an English ``gettext_noop`` template with its
parameters) so that the web app can show it in English or Dutch, as
``kam.core.scoring.SchemeProblem`` does.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from kam.core.scoring import Box, gettext_noop

# --- thresholds (section 3, contact matrix) --------------------------------------------

STRONG_PER_YEAR = 6.0
"""Meetings a year (in the window) from which a link is strong."""
MEDIUM_PER_YEAR = 3.0
"""Meetings a year from which a link is medium."""
WEAK_PER_YEAR = 1.0
"""Meetings a year from which a link is weak; any meeting in the window gives at least weak."""
DEFAULT_WINDOW_DAYS = 365
SENIOR_CONTACT_SENIORITY = 2
"""Contacts with seniority 1 (board) or 2 (senior management) are senior."""
HIGH_INFLUENCE = 4
"""Influence (1-5) from which a contact weighs heavily in the findings."""
CHAMPION_LEFT_DAYS = 365
"""A champion who left at most this many days before ``as_of`` (or on an unknown date) counts."""
SENIOR_LINK_LOST_DAYS = 365
"""A senior contact who left at most this many days ago counts as a lost senior link."""
NOT_MET_DUE_DAYS = 30
"""A not-met finding asks for a meeting within this many days of ``as_of``."""
FALLING_MIN_PREVIOUS = 4
"""Falling contact needs at least this many meetings in the previous half-year (fewer is noise)."""
DEFAULT_MAX_WIDTH = 12
"""Org chart: the widest row of sibling blocks (in node columns) before siblings wrap."""


class Strength(StrEnum):
    """Strength of one link in the contact matrix."""

    NONE = "none"
    WEAK = "weak"
    MEDIUM = "medium"
    STRONG = "strong"


STRENGTH_ORDER: dict[Strength, int] = {s: i for i, s in enumerate(Strength)}


class Attitude(StrEnum):
    """A contact's attitude to us."""

    CHAMPION = "champion"
    SUPPORTER = "supporter"
    NEUTRAL = "neutral"
    CRITIC = "critic"
    OPPONENT = "opponent"


class BuyingRole(StrEnum):
    """Roles in the decision-making unit (a contact may hold several)."""

    INITIATOR = "initiator"
    USER = "user"
    INFLUENCER = "influencer"
    DECIDER = "decider"
    BUYER = "buyer"
    GATEKEEPER = "gatekeeper"
    ECONOMIC_BUYER = "economic_buyer"
    TECHNICAL_BUYER = "technical_buyer"
    COACH = "coach"


DECIDING_ROLES = frozenset({BuyingRole.DECIDER, BuyingRole.ECONOMIC_BUYER})
"""Roles that decide: the economic buyer signs off the money, so kam treats them as a decider."""
COVERED_ROLES = DECIDING_ROLES | {BuyingRole.INFLUENCER}
"""Roles that need a medium or strong link (section 3, coverage findings)."""


class Stage(StrEnum):
    """McDonald's relationship stages plus disintegrating (section 3)."""

    EXPLORATORY = "exploratory"
    BASIC = "basic"
    COOPERATIVE = "cooperative"
    INTERDEPENDENT = "interdependent"
    INTEGRATED = "integrated"
    DISINTEGRATING = "disintegrating"


STAGE_RANK: dict[Stage, int] = {
    Stage.EXPLORATORY: 0,
    Stage.BASIC: 1,
    Stage.COOPERATIVE: 2,
    Stage.INTERDEPENDENT: 3,
    Stage.INTEGRATED: 4,
}
"""Order of the five growing stages; disintegrating has no rank."""


class CustomerView(StrEnum):
    """How the customer files us (Kraljic: profit impact × supply risk, section 4)."""

    STRATEGIC = "strategic"
    BOTTLENECK = "bottleneck"
    LEVERAGE = "leverage"
    NON_CRITICAL = "non_critical"


class TeamRole(StrEnum):
    """A member's role in our account team."""

    KEY_ACCOUNT_MANAGER = "key_account_manager"
    CORE = "core"
    SURROUND = "surround"


class FindingKind(StrEnum):
    """The coverage findings of section 3 (plus the missing function of the box policy)."""

    UNCOVERED_DECIDER = "uncovered_decider"
    BOW_TIE = "bow_tie"
    CHAMPION_LEFT = "champion_left"
    NOT_MET = "not_met"
    MISSING_FUNCTION = "missing_function"


# --- labels (English msgids; the web app translates them) -------------------------------

STRENGTH_LABELS: dict[Strength, str] = {
    Strength.NONE: gettext_noop("none"),
    Strength.WEAK: gettext_noop("weak"),
    Strength.MEDIUM: gettext_noop("medium"),
    Strength.STRONG: gettext_noop("strong"),
}
STAGE_LABELS: dict[Stage, str] = {
    Stage.EXPLORATORY: gettext_noop("exploratory"),
    Stage.BASIC: gettext_noop("basic"),
    Stage.COOPERATIVE: gettext_noop("cooperative"),
    Stage.INTERDEPENDENT: gettext_noop("interdependent"),
    Stage.INTEGRATED: gettext_noop("integrated"),
    Stage.DISINTEGRATING: gettext_noop("disintegrating"),
}
CUSTOMER_VIEW_LABELS: dict[CustomerView, str] = {
    CustomerView.STRATEGIC: gettext_noop("strategic (key supplier)"),
    CustomerView.BOTTLENECK: gettext_noop("bottleneck (strategic security)"),
    CustomerView.LEVERAGE: gettext_noop("leverage (tactical profit)"),
    CustomerView.NON_CRITICAL: gettext_noop("non-critical (tactical make-easy)"),
}
BOX_LABELS: dict[str, str] = {
    Box.KEY: gettext_noop("key account"),
    Box.KEY_DEVELOPMENT: gettext_noop("key development account"),
    Box.MAINTENANCE: gettext_noop("maintenance account"),
    Box.OPPORTUNISTIC: gettext_noop("opportunistic account"),
}
FUNCTION_LABELS: dict[str, str] = {
    "sales": gettext_noop("Sales"),
    "marketing": gettext_noop("Marketing"),
    "supply_chain": gettext_noop("Supply chain"),
    "finance": gettext_noop("Finance"),
    "rnd": gettext_noop("R&D"),
    "customer_service": gettext_noop("Customer service"),
    "management": gettext_noop("Management"),
    "other": gettext_noop("Other"),
}
"""Labels of the function keys of ``kam.users.models.Function`` (the same msgids)."""
MARKER_LABELS: dict[str, str] = {
    "no_business": gettext_noop("no business yet"),
    "transactional": gettext_noop("transactional"),
    "few_links": gettext_noop("one or two links"),
    "bow_tie": gettext_noop("bow-tie: all through one pair"),
    "regular_business": gettext_noop("regular business"),
    "several_functions": gettext_noop("several functions involved"),
    "routed_through_pair": gettext_noop("still routed through one pair"),
    "no_joint_plan": gettext_noop("no joint plan"),
    "senior_link": gettext_noop("senior-to-senior link"),
    "diamond": gettext_noop("direct links between functions (diamond)"),
    "joint_plan": gettext_noop("a joint plan"),
    "cross_company_teams": gettext_noop("cross-company teams"),
    "joint_projects": gettext_noop("joint projects"),
    "shared_systems": gettext_noop("shared information or systems"),
    "falling_contact": gettext_noop("falling contact"),
    "lost_senior_link": gettext_noop("a lost senior link"),
    "from_higher_stage": gettext_noop("from a stage above basic"),
}


def function_label(function: str) -> str:
    """The English label of a function key (the key itself when kam does not know it)."""
    return FUNCTION_LABELS.get(function, function)


@dataclass(frozen=True)
class Message:
    """One user-facing sentence: ``template % params`` in English.

    ``labels`` names the parameters whose values are themselves English labels (a
    strength, a stage, a box, a function) to translate before formatting, as
    ``SchemeProblem.translated`` does for ``axis_label``.
    """

    template: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)
    labels: frozenset[str] = frozenset()

    @property
    def message(self) -> str:
        """The English text."""
        return self.template % dict(self.params)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of ``gettext`` (English with the identity)."""
        params = dict(self.params)
        for name in self.labels:
            if name in params:
                params[name] = gettext(str(params[name]))
        return gettext(self.template) % params

    def __str__(self) -> str:
        return self.message


def _msg(template: str, labels: Iterable[str] = (), **params: object) -> Message:
    return Message(template, params, frozenset(labels))


# --- the data -----------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Finding:
    """One coverage finding: what is wrong (``why``) and what would resolve it (``resolve``).

    ``subject`` is the key of the contact (uncovered_decider, champion_left, not_met), the
    function key (missing_function), or None (bow_tie). ``severity`` is 3 (serious),
    2 (warning) or 1 (note). ``people`` holds the keys of every contact and team member
    the messages name.
    """

    kind: FindingKind
    subject: str | None
    severity: int
    why: Message
    resolve: Message
    people: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Marker:
    """One marker of the stage table, whether it is present, and the evidence."""

    stage: Stage
    name: str
    present: bool
    evidence: Message

    @property
    def label(self) -> str:
        """The English label of the marker (translate it with gettext)."""
        return MARKER_LABELS[self.name]


@dataclass(frozen=True)
class StageInference:
    """The inferred stage, every marker of the table, and the rule that decided.

    ``structural`` is the highest growing stage reached (before the disintegrating check);
    ``summary`` says in one sentence why ``stage`` was chosen.
    """

    stage: Stage
    markers: list[Marker]
    structural: Stage = Stage.EXPLORATORY
    summary: Message = dataclasses.field(default_factory=lambda: Message(""))

    def marker(self, name: str) -> Marker:
        """The first marker called ``name``."""
        for m in self.markers:
            if m.name == name:
                return m
        raise KeyError(name)


# --- contact matrix -----------------------------------------------------------------------


def strength_for_rate(meetings_per_year: float) -> Strength:
    """Strength from the meeting rate alone: strong ≥ 6 a year, medium ≥ 3, weak ≥ 1."""
    if meetings_per_year >= STRONG_PER_YEAR:
        return Strength.STRONG
    if meetings_per_year >= MEDIUM_PER_YEAR:
        return Strength.MEDIUM
    if meetings_per_year >= WEAK_PER_YEAR:
        return Strength.WEAK
    return Strength.NONE


_ONE_STEP_DOWN = {
    Strength.STRONG: Strength.MEDIUM,
    Strength.MEDIUM: Strength.WEAK,
    Strength.WEAK: Strength.WEAK,
    Strength.NONE: Strength.NONE,
}


def derive_links(
    meetings: Iterable[Meeting],
    *,
    as_of: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    manual: Sequence[Link] = (),
) -> list[Link]:
    """The contact matrix from meetings (section 3: "derived from activities where possible").

    Every meeting links each of our participants with each of their contacts present.
    Meetings after ``as_of`` (planned ones) are ignored. The window is the ``window_days``
    days up to and including ``as_of``.

    Strength of a pair with meetings in the window:

    - rate = meetings in the window × 365 / ``window_days`` (meetings a year);
    - strong when rate ≥ 6, medium when ≥ 3, weak otherwise (any meeting in the window
      gives at least weak);
    - recency: when the pair's last meeting lies more than half the window before
      ``as_of``, the strength drops one step (strong → medium, medium → weak; weak stays).

    Manual links and activity:

    - a pair with a meeting in the window gets a derived link (``derived=True``); a manual
      link for that pair is replaced: measured activity wins over an estimate;
    - a manual link for a pair without a meeting in the window is kept as entered
      (``derived=False``), with ``last_met`` moved to the pair's last meeting if that is
      later; when several manual links name one pair, the last one counts;
    - a pair that met only before the window and has no manual link gets a derived link of
      strength none, so that its ``last_met`` stays known.

    The result is sorted by (ours, theirs).
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    start = as_of - timedelta(days=window_days - 1)
    half = as_of - timedelta(days=window_days // 2)
    in_window: dict[tuple[str, str], int] = defaultdict(int)
    last: dict[tuple[str, str], date] = {}
    for meeting in meetings:
        if meeting.day > as_of:
            continue
        for o in meeting.ours:
            for t in meeting.theirs:
                pair = (o, t)
                if meeting.day >= start:
                    in_window[pair] += 1
                if pair not in last or meeting.day > last[pair]:
                    last[pair] = meeting.day
    manual_by_pair = {(m.ours, m.theirs): m for m in manual}
    out: dict[tuple[str, str], Link] = {}
    for pair, last_day in last.items():
        count = in_window.get(pair, 0)
        if count:
            rate = count * 365.0 / window_days
            strength = max(strength_for_rate(rate), Strength.WEAK, key=STRENGTH_ORDER.__getitem__)
            if last_day < half:
                strength = _ONE_STEP_DOWN[strength]
            out[pair] = Link(pair[0], pair[1], strength, rate, last_day, True)
        elif pair in manual_by_pair:
            m = manual_by_pair[pair]
            keep = m.last_met if m.last_met is not None and m.last_met > last_day else last_day
            out[pair] = dataclasses.replace(m, last_met=keep, derived=False)
        else:
            out[pair] = Link(pair[0], pair[1], Strength.NONE, 0.0, last_day, True)
    for pair, m in manual_by_pair.items():
        if pair not in out:
            out[pair] = dataclasses.replace(m, derived=False)
    return [out[p] for p in sorted(out)]


HALF_YEAR_DAYS = 182
"""The half-year of falling contact (``AccountMap.meetings_last_half``), in days."""


def half_year_counts(days: Iterable[date], *, as_of: date) -> tuple[int, int]:
    """Meetings in the last half-year and in the half-year before it, for ``AccountMap``.

    The last half-year is the 182 days up to and including ``as_of``; the one before is
    the 182 days before that. Later (planned) and older days are not counted.
    """
    last = previous = 0
    for day in days:
        age = (as_of - day).days
        if 0 <= age < HALF_YEAR_DAYS:
            last += 1
        elif HALF_YEAR_DAYS <= age < 2 * HALF_YEAR_DAYS:
            previous += 1
    return last, previous


def contact_last_met(account_map: AccountMap) -> dict[str, date | None]:
    """The last meeting with each contact over all links (None: never met)."""
    result: dict[str, date | None] = {c.key: None for c in account_map.contacts}
    for link in account_map.links:
        if link.theirs in result and link.last_met is not None:
            seen = result[link.theirs]
            if seen is None or link.last_met > seen:
                result[link.theirs] = link.last_met
    return result


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month0 = divmod(total, 12)
    month = month0 + 1
    last_day = 31 if month == 12 else (date(year, month + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


# --- the map, seen as a graph ---------------------------------------------------------------


@dataclass(frozen=True)
class _View:
    """The map's people and its active links, restricted to people in the map."""

    contacts: dict[str, Contact]
    current: dict[str, Contact]
    team: dict[str, TeamMember]
    links: list[Link]
    active: list[Link]
    kam: TeamMember | None


def _view(account_map: AccountMap) -> _View:
    contacts = {c.key: c for c in account_map.contacts}
    current = {k: c for k, c in contacts.items() if not c.left}
    team = {m.key: m for m in account_map.team}
    links = [lk for lk in account_map.links if lk.ours in team and lk.theirs in contacts]
    active = [lk for lk in links if lk.theirs in current and STRENGTH_ORDER[lk.strength] >= 1]
    kam = next(
        (m for m in account_map.team if m.role is TeamRole.KEY_ACCOUNT_MANAGER),
        None,
    )
    return _View(contacts, current, team, links, active, kam)


def _rank(link: Link) -> tuple[int, float, date]:
    return (STRENGTH_ORDER[link.strength], link.meetings_per_year, link.last_met or date.min)


def bow_tie_pair(links: Sequence[Link]) -> tuple[str, str] | None:
    """The pair (ours, theirs) every link runs through, or None (section 3, the bow-tie).

    The two people of the pair are linked with each other (the knot of the bow-tie), and
    every other link has ``ours`` equal to the pair's first person or ``theirs`` equal to
    its second: links from our other functions to their buyer, or from our account manager
    to their other people, still run through the pair; two separate threads (A–B and C–D)
    are no bow-tie. Only the given links count (pass the active ones). With several such
    pairs, the one with the strongest link wins, then by keys. None when there are no
    links.
    """
    best: tuple[tuple[int, float, date], tuple[str, str]] | None = None
    for knot in links:
        o, t = knot.ours, knot.theirs
        if all(lk.ours == o or lk.theirs == t for lk in links):
            score = _rank(knot)
            if best is None or score > best[0] or (score == best[0] and (o, t) < best[1]):
                best = (score, (o, t))
    return best[1] if best else None


def _strongest_member_for(view: _View, contact_key: str) -> TeamMember | None:
    links = [lk for lk in view.links if lk.theirs == contact_key]
    if links:
        return view.team[max(links, key=lambda lk: (_rank(lk), lk.ours)).ours]
    return None


def _suggest_member(view: _View, contact: Contact) -> TeamMember | None:
    """Who should own the relationship: the strongest existing link, else a senior member
    for a senior contact, else the key account manager, else anyone in the team."""
    owner = _strongest_member_for(view, contact.key)
    if owner is not None:
        return owner
    if contact.seniority <= SENIOR_CONTACT_SENIORITY:
        senior = sorted((m for m in view.team.values() if m.senior), key=lambda m: m.key)
        if senior:
            return senior[0]
    if view.kam is not None:
        return view.kam
    members = sorted(view.team.values(), key=lambda m: m.key)
    return members[0] if members else None


# --- findings -------------------------------------------------------------------------------


def findings(account_map: AccountMap) -> list[Finding]:
    """Coverage findings for one account (docs/method.md section 3), most severe first.

    - ``uncovered_decider``: a current decider, economic buyer or influencer with no medium
      or strong link to anyone in our team. Severity 3 for a decider (or economic buyer) or
      influence ≥ 4, else 2.
    - ``bow_tie``: at least one active (weak or stronger) link, and every active link runs
      through one pair of people (``bow_tie_pair``). Severity 3 for a key account, 2 for a
      key development account, 1 otherwise (a bow-tie can suit maintenance).
    - ``champion_left``: a champion who left within the last 365 days (or on an unknown
      date). Severity 3 when no current champion remains, else 2.
    - ``not_met``: a current contact whose last meeting (over all links) lies before
      ``as_of`` minus the review cadence in months; a contact never met counts. Severity 1,
      plus 1 for a decider/influencer or influence ≥ 4, plus 1 when never met (at most 3);
      it asks for a meeting within 30 days, with the suggested owner.
    - ``missing_function``: a function the box policy expects with nobody in our team.
      Severity 2.

    Only links between people in the map count; messages name only people in the map.
    """
    view = _view(account_map)
    out: list[Finding] = []
    out.extend(_uncovered(view))
    bow = _bow_tie(view, account_map.box)
    if bow is not None:
        out.append(bow)
    out.extend(_champions_left(view, account_map.as_of))
    out.extend(_not_met(view, account_map))
    out.extend(_missing_functions(view, account_map))
    order = {k: i for i, k in enumerate(FindingKind)}
    out.sort(key=lambda f: (-f.severity, order[f.kind], f.subject or ""))
    return out


def _member_keys(member: TeamMember | None) -> frozenset[str]:
    return frozenset({member.key}) if member is not None else frozenset()


def _uncovered(view: _View) -> list[Finding]:
    out: list[Finding] = []
    covered = {lk.theirs for lk in view.active if STRENGTH_ORDER[lk.strength] >= 2}
    for c in sorted(view.current.values(), key=lambda c: c.key):
        if not (c.buying_roles & COVERED_ROLES) or c.key in covered:
            continue
        decides = bool(c.buying_roles & DECIDING_ROLES)
        severity = 3 if decides or c.influence >= HIGH_INFLUENCE else 2
        best = max((lk for lk in view.links if lk.theirs == c.key), key=_rank, default=None)
        closest = best is not None and STRENGTH_ORDER[best.strength] >= 1
        if decides and closest:
            why_template = gettext_noop(
                "%(name)s decides in the buying process (influence %(influence)d), but "
                "nobody in our team has a medium or strong relationship with them; the "
                "closest is %(member)s (%(strength)s)."
            )
        elif decides:
            why_template = gettext_noop(
                "%(name)s decides in the buying process (influence %(influence)d), but "
                "nobody in our team has a medium or strong relationship with them."
            )
        elif closest:
            why_template = gettext_noop(
                "%(name)s influences the buying decision (influence %(influence)d), but "
                "nobody in our team has a medium or strong relationship with them; the "
                "closest is %(member)s (%(strength)s)."
            )
        else:
            why_template = gettext_noop(
                "%(name)s influences the buying decision (influence %(influence)d), but "
                "nobody in our team has a medium or strong relationship with them."
            )
        people = {c.key}
        if best is not None and closest:
            member = view.team[best.ours]
            why = _msg(
                why_template,
                ("strength",),
                name=c.name,
                influence=c.influence,
                member=member.name,
                strength=STRENGTH_LABELS[best.strength],
            )
            people.add(member.key)
        else:
            why = _msg(why_template, name=c.name, influence=c.influence)
        suggested = _suggest_member(view, c)
        if suggested is not None:
            resolve = _msg(
                gettext_noop(
                    "Have %(member)s meet %(name)s at least three times a year (a medium "
                    "link), or bring in a team member who matches their seniority."
                ),
                member=suggested.name,
                name=c.name,
            )
            people.add(suggested.key)
        else:
            resolve = _msg(
                gettext_noop(
                    "Add a team member who can meet %(name)s at least three times a year."
                ),
                name=c.name,
            )
        out.append(
            Finding(FindingKind.UNCOVERED_DECIDER, c.key, severity, why, resolve, frozenset(people))
        )
    return out


def _bow_tie(view: _View, box: str) -> Finding | None:
    pair = bow_tie_pair(view.active)
    if pair is None:
        return None
    o, t = pair
    ours, theirs = view.team[o], view.contacts[t]
    severity = {str(Box.KEY): 3, str(Box.KEY_DEVELOPMENT): 2}.get(str(box), 1)
    why = _msg(
        gettext_noop(
            "Every relationship with this account runs through %(ours)s and %(theirs)s: "
            "if either of them leaves, nothing else holds the account."
        ),
        ours=ours.name,
        theirs=theirs.name,
    )
    people = {o, t}
    linked = {(lk.ours, lk.theirs) for lk in view.active}
    other_members = sorted(
        (m for m in view.team.values() if m.key != o),
        key=lambda m: (m.role is not TeamRole.CORE, not m.senior, m.key),
    )
    other_contacts = sorted(
        (c for c in view.current.values() if c.key != t),
        key=lambda c: (-c.influence, c.seniority, c.key),
    )
    suggestion = next(
        ((m, c) for c in other_contacts for m in other_members if (m.key, c.key) not in linked),
        None,
    )
    if suggestion is not None:
        m, c = suggestion
        resolve = _msg(
            gettext_noop(
                "Build direct links between other functions, for example %(member)s "
                "(%(function)s) with %(contact)s (%(their_function)s)."
            ),
            ("function",),
            member=m.name,
            function=function_label(m.function),
            contact=c.name,
            their_function=c.function,
        )
        people |= {m.key, c.key}
    else:
        resolve = _msg(
            gettext_noop(
                "Add people on both sides: team members from other functions and the "
                "contacts they should meet, so that more than one pair carries the account."
            )
        )
    return Finding(FindingKind.BOW_TIE, None, severity, why, resolve, frozenset(people))


def _left_recently(contact: Contact, as_of: date, days: int) -> bool:
    if not contact.left:
        return False
    if contact.left_on is None:
        return True
    return contact.left_on <= as_of and (as_of - contact.left_on).days <= days


def _champions_left(view: _View, as_of: date) -> list[Finding]:
    out: list[Finding] = []
    remaining = [c for c in view.current.values() if c.attitude is Attitude.CHAMPION]
    for c in sorted(view.contacts.values(), key=lambda c: c.key):
        if c.attitude is not Attitude.CHAMPION or not _left_recently(c, as_of, CHAMPION_LEFT_DAYS):
            continue
        if c.left_on is not None:
            why = _msg(
                gettext_noop("%(name)s, a champion of ours, left the customer on %(date)s."),
                name=c.name,
                date=c.left_on.isoformat(),
            )
        else:
            why = _msg(
                gettext_noop("%(name)s, a champion of ours, left the customer."), name=c.name
            )
        people = {c.key}
        candidates = sorted(
            (
                x
                for x in view.current.values()
                if x.attitude in (Attitude.SUPPORTER, Attitude.CHAMPION)
            ),
            key=lambda x: (
                x.attitude is not Attitude.SUPPORTER,
                x.reports_to != c.key and c.reports_to != x.key,
                -x.influence,
                x.key,
            ),
        )
        supporters = [x for x in candidates if x.attitude is Attitude.SUPPORTER]
        if supporters:
            s = supporters[0]
            resolve = _msg(
                gettext_noop(
                    "Find a new champion: %(candidate)s already supports us; invest in that "
                    "relationship and ask who now holds %(name)s's responsibilities."
                ),
                candidate=s.name,
                name=c.name,
            )
            people.add(s.key)
        elif c.reports_to is not None and c.reports_to in view.current:
            boss = view.current[c.reports_to]
            resolve = _msg(
                gettext_noop(
                    "Find a new champion: ask %(manager)s who now holds %(name)s's "
                    "responsibilities, and meet that person soon."
                ),
                manager=boss.name,
                name=c.name,
            )
            people.add(boss.key)
        else:
            resolve = _msg(
                gettext_noop(
                    "Find a new champion: learn who now holds %(name)s's responsibilities, "
                    "record them as a contact and meet them soon."
                ),
                name=c.name,
            )
        severity = 2 if remaining else 3
        out.append(
            Finding(FindingKind.CHAMPION_LEFT, c.key, severity, why, resolve, frozenset(people))
        )
    return out


def _not_met(view: _View, account_map: AccountMap) -> list[Finding]:
    out: list[Finding] = []
    cutoff = months_before(account_map.as_of, account_map.review_cadence_months)
    last = contact_last_met(account_map)
    due = account_map.as_of + timedelta(days=NOT_MET_DUE_DAYS)
    for c in sorted(view.current.values(), key=lambda c: c.key):
        seen = last.get(c.key)
        if seen is not None and seen >= cutoff:
            continue
        weighty = bool(c.buying_roles & COVERED_ROLES) or c.influence >= HIGH_INFLUENCE
        severity = min(3, 1 + int(weighty) + int(seen is None))
        if seen is None:
            why = _msg(gettext_noop("%(name)s has never been met."), name=c.name)
        else:
            why = _msg(
                gettext_noop(
                    "%(name)s was last met on %(date)s, longer ago than this account's "
                    "review cadence of %(months)d months."
                ),
                name=c.name,
                date=seen.isoformat(),
                months=account_map.review_cadence_months,
            )
        people = {c.key}
        member = _suggest_member(view, c)
        if member is not None:
            resolve = _msg(
                gettext_noop("Plan a meeting of %(member)s with %(name)s before %(due)s."),
                member=member.name,
                name=c.name,
                due=due.isoformat(),
            )
            people.add(member.key)
        else:
            resolve = _msg(
                gettext_noop("Plan a meeting with %(name)s before %(due)s."),
                name=c.name,
                due=due.isoformat(),
            )
        out.append(Finding(FindingKind.NOT_MET, c.key, severity, why, resolve, frozenset(people)))
    return out


def _missing_functions(view: _View, account_map: AccountMap) -> list[Finding]:
    out: list[Finding] = []
    present = {m.function for m in view.team.values()}
    box_label = BOX_LABELS.get(account_map.box, account_map.box)
    for f in sorted(account_map.expected_functions - present):
        why = _msg(
            gettext_noop(
                "The policy for a %(box)s expects %(function)s in the account team; nobody "
                "in the team works in %(function)s."
            ),
            ("box", "function"),
            box=box_label,
            function=function_label(f),
        )
        resolve = _msg(
            gettext_noop("Add a colleague from %(function)s to the account team."),
            ("function",),
            function=function_label(f),
        )
        out.append(Finding(FindingKind.MISSING_FUNCTION, f, 2, why, resolve))
    return out


# --- relationship stage ----------------------------------------------------------------------


def _functions_involved(view: _View, links: Sequence[Link]) -> tuple[set[str], set[str]]:
    ours = {view.team[lk.ours].function for lk in links}
    theirs = {view.contacts[lk.theirs].function for lk in links}
    return ours, theirs


def _senior_links(view: _View) -> list[Link]:
    return [
        lk
        for lk in view.links
        if view.team[lk.ours].senior
        and view.contacts[lk.theirs].seniority <= SENIOR_CONTACT_SENIORITY
    ]


def _lost_senior_link(view: _View, as_of: date) -> tuple[Link, bool] | None:
    """A senior link lost: (the link, True when the contact left / False when not met)."""
    lost: list[tuple[Link, bool]] = []
    for lk in _senior_links(view):
        contact = view.contacts[lk.theirs]
        had = lk.last_met is not None or STRENGTH_ORDER[lk.strength] >= 2
        if _left_recently(contact, as_of, SENIOR_LINK_LOST_DAYS) and had:
            lost.append((lk, True))
        elif not contact.left and lk.strength is Strength.NONE and lk.last_met is not None:
            lost.append((lk, False))
    if not lost:
        return None
    return max(lost, key=lambda x: (x[1], _rank(x[0]), x[0].ours, x[0].theirs))


def infer_stage(account_map: AccountMap) -> StageInference:
    """The relationship stage with the evidence (docs/method.md section 3, stage table).

    Markers (each is reported, present or not):

    - exploratory: ``no_business`` (``has_business`` is false);
    - basic: ``transactional`` (business, not regular), ``few_links`` (one or two active
      links, i.e. weak or stronger with current contacts), ``bow_tie`` (every active link
      runs through one pair);
    - cooperative: ``regular_business``, ``several_functions`` (the people on active links
      cover at least two functions on our side or on theirs), ``routed_through_pair``
      (the bow-tie still holds), ``no_joint_plan``;
    - interdependent: ``senior_link`` (a medium or strong link between a senior team member
      and a contact of seniority 1-2), ``diamond`` (at least three medium or strong links
      not involving the key account manager, across at least two of our functions and two
      of theirs, and no bow-tie), ``joint_plan``;
    - integrated: ``cross_company_teams`` (at least three strong links across at least
      three of our functions and three of theirs), ``joint_projects`` (at least one),
      ``shared_systems``;
    - disintegrating: ``falling_contact`` (meetings in the last half-year fewer than half
      of those in the half-year before, which had at least 4), ``lost_senior_link`` (a
      contact of seniority 1-2 with a link to a senior team member left in the last 365
      days, or that senior pair met before but not in the last window: strength none),
      ``from_higher_stage`` (the structural stage or the previous stage is above basic,
      or the previous stage was disintegrating).

    Decision rule:

    1. Structural stage: exploratory without business; basic with business; cooperative
       with regular business and several functions; interdependent when cooperative and at
       least two of its three markers (senior link, diamond, joint plan) are present;
       integrated when interdependent and at least two of its three markers (cross-company
       teams, joint projects, shared systems) are present.
    2. Disintegrating when (falling contact or a lost senior link) and from a higher stage;
       otherwise the structural stage.
    """
    view = _view(account_map)
    as_of = account_map.as_of
    markers: list[Marker] = []

    def add(stage: Stage, name: str, present: bool, evidence: Message) -> bool:
        markers.append(Marker(stage, name, present, evidence))
        return present

    # exploratory
    no_business = add(
        Stage.EXPLORATORY,
        "no_business",
        not account_map.has_business,
        _msg(gettext_noop("No business with this customer yet."))
        if not account_map.has_business
        else _msg(gettext_noop("There is business with this customer.")),
    )
    # basic
    if not account_map.has_business:
        trans_ev = _msg(gettext_noop("No business yet."))
    elif account_map.regular_business:
        trans_ev = _msg(gettext_noop("Business is regular, not only transactional."))
    else:
        trans_ev = _msg(gettext_noop("Business, but not regular: transactional."))
    add(
        Stage.BASIC,
        "transactional",
        account_map.has_business and not account_map.regular_business,
        trans_ev,
    )
    n_active = len(view.active)
    add(
        Stage.BASIC,
        "few_links",
        1 <= n_active <= 2,
        _msg(gettext_noop("Active links: %(n)d (basic has one or two)."), n=n_active),
    )
    pair = bow_tie_pair(view.active)
    if pair is not None:
        bow_ev = _msg(
            gettext_noop("Every active link runs through %(ours)s and %(theirs)s."),
            ours=view.team[pair[0]].name,
            theirs=view.contacts[pair[1]].name,
        )
    elif not view.active:
        bow_ev = _msg(gettext_noop("There are no active links."))
    else:
        bow_ev = _msg(gettext_noop("No single pair of people carries every active link."))
    add(Stage.BASIC, "bow_tie", pair is not None, bow_ev)
    # cooperative
    regular = add(
        Stage.COOPERATIVE,
        "regular_business",
        account_map.regular_business,
        _msg(gettext_noop("Regular business."))
        if account_map.regular_business
        else _msg(gettext_noop("No regular business.")),
    )
    f_ours, f_theirs = _functions_involved(view, view.active)
    several = add(
        Stage.COOPERATIVE,
        "several_functions",
        len(f_ours) >= 2 or len(f_theirs) >= 2,
        _msg(
            gettext_noop(
                "Functions on active links: %(ours)d on our side, %(theirs)d on theirs "
                "(several means at least two on one side)."
            ),
            ours=len(f_ours),
            theirs=len(f_theirs),
        ),
    )
    add(Stage.COOPERATIVE, "routed_through_pair", pair is not None, bow_ev)
    plan_yes = _msg(gettext_noop("A joint plan exists."))
    plan_no = _msg(gettext_noop("No joint plan."))
    add(
        Stage.COOPERATIVE,
        "no_joint_plan",
        not account_map.has_joint_plan,
        plan_no if not account_map.has_joint_plan else plan_yes,
    )
    # interdependent
    senior = [
        lk for lk in _senior_links(view) if lk in view.active and STRENGTH_ORDER[lk.strength] >= 2
    ]
    if senior:
        best = max(senior, key=lambda lk: (_rank(lk), lk.ours, lk.theirs))
        senior_ev = _msg(
            gettext_noop("Senior-to-senior link: %(ours)s with %(theirs)s (%(strength)s)."),
            ("strength",),
            ours=view.team[best.ours].name,
            theirs=view.contacts[best.theirs].name,
            strength=STRENGTH_LABELS[best.strength],
        )
    else:
        senior_ev = _msg(
            gettext_noop(
                "No medium or strong link between a senior member of our team and a "
                "contact of seniority 1 or 2."
            )
        )
    i_senior = add(Stage.INTERDEPENDENT, "senior_link", bool(senior), senior_ev)
    kam_key = view.kam.key if view.kam is not None else None
    direct = [lk for lk in view.active if STRENGTH_ORDER[lk.strength] >= 2 and lk.ours != kam_key]
    d_ours, d_theirs = _functions_involved(view, direct)
    is_diamond = pair is None and len(direct) >= 3 and len(d_ours) >= 2 and len(d_theirs) >= 2
    i_diamond = add(
        Stage.INTERDEPENDENT,
        "diamond",
        is_diamond,
        _msg(
            gettext_noop(
                "Medium or strong links not through the key account manager: %(links)d, "
                "across %(ours)d of our functions and %(theirs)d of theirs (a diamond "
                "needs at least 3, 2 and 2, and no bow-tie)."
            ),
            links=len(direct),
            ours=len(d_ours),
            theirs=len(d_theirs),
        ),
    )
    i_plan = add(
        Stage.INTERDEPENDENT,
        "joint_plan",
        account_map.has_joint_plan,
        plan_yes if account_map.has_joint_plan else plan_no,
    )
    # integrated
    strong = [lk for lk in view.active if lk.strength is Strength.STRONG]
    s_ours, s_theirs = _functions_involved(view, strong)
    g_teams = add(
        Stage.INTEGRATED,
        "cross_company_teams",
        len(strong) >= 3 and len(s_ours) >= 3 and len(s_theirs) >= 3,
        _msg(
            gettext_noop(
                "Strong links: %(links)d, across %(ours)d of our functions and %(theirs)d "
                "of theirs (cross-company teams need at least 3, 3 and 3)."
            ),
            links=len(strong),
            ours=len(s_ours),
            theirs=len(s_theirs),
        ),
    )
    g_projects = add(
        Stage.INTEGRATED,
        "joint_projects",
        account_map.joint_projects >= 1,
        _msg(gettext_noop("Joint projects: %(n)d."), n=account_map.joint_projects),
    )
    g_systems = add(
        Stage.INTEGRATED,
        "shared_systems",
        account_map.shared_systems,
        _msg(gettext_noop("Information or systems are shared."))
        if account_map.shared_systems
        else _msg(gettext_noop("No shared information or systems.")),
    )

    # structural stage
    if no_business:
        structural = Stage.EXPLORATORY
    elif not (regular and several):
        structural = Stage.BASIC
    elif i_senior + i_diamond + i_plan < 2:
        structural = Stage.COOPERATIVE
    elif g_teams + g_projects + g_systems < 2:
        structural = Stage.INTERDEPENDENT
    else:
        structural = Stage.INTEGRATED

    # disintegrating
    last_half, previous_half = account_map.meetings_last_half, account_map.meetings_previous_half
    falling = previous_half >= FALLING_MIN_PREVIOUS and 2 * last_half < previous_half
    add(
        Stage.DISINTEGRATING,
        "falling_contact",
        falling,
        _msg(
            gettext_noop(
                "Meetings in the last half-year: %(last)d; in the half-year before: "
                "%(previous)d (falling means fewer than half, from at least %(minimum)d)."
            ),
            last=last_half,
            previous=previous_half,
            minimum=FALLING_MIN_PREVIOUS,
        ),
    )
    lost = _lost_senior_link(view, as_of)
    if lost is None:
        lost_ev = _msg(gettext_noop("No senior link lost."))
    elif lost[1]:
        lk = lost[0]
        contact = view.contacts[lk.theirs]
        lost_ev = _msg(
            gettext_noop(
                "%(theirs)s (seniority %(seniority)d) left the customer; %(ours)s had a link "
                "with them."
            ),
            theirs=contact.name,
            seniority=contact.seniority,
            ours=view.team[lk.ours].name,
        )
    else:
        lk = lost[0]
        lost_ev = _msg(
            gettext_noop(
                "%(ours)s and %(theirs)s (seniority %(seniority)d) have not met in the "
                "window; they last met on %(date)s."
            ),
            ours=view.team[lk.ours].name,
            theirs=view.contacts[lk.theirs].name,
            seniority=view.contacts[lk.theirs].seniority,
            date=(lk.last_met or as_of).isoformat(),
        )
    add(Stage.DISINTEGRATING, "lost_senior_link", lost is not None, lost_ev)
    previous = account_map.previous_stage
    was_higher_before = previous is Stage.DISINTEGRATING or (
        previous is not None and STAGE_RANK[previous] > STAGE_RANK[Stage.BASIC]
    )
    higher = STAGE_RANK[structural] > STAGE_RANK[Stage.BASIC] or was_higher_before
    if STAGE_RANK[structural] > STAGE_RANK[Stage.BASIC]:
        higher_ev = _msg(
            gettext_noop("The relationship is %(stage)s by its structure, above basic."),
            ("stage",),
            stage=STAGE_LABELS[structural],
        )
    elif previous is not None and was_higher_before:
        higher_ev = _msg(
            gettext_noop("At the last review the relationship was %(stage)s."),
            ("stage",),
            stage=STAGE_LABELS[previous],
        )
    else:
        higher_ev = _msg(gettext_noop("The relationship has not been above basic."))
    add(Stage.DISINTEGRATING, "from_higher_stage", higher, higher_ev)

    if (falling or lost is not None) and higher:
        stage = Stage.DISINTEGRATING
        if falling and lost is not None:
            summary = _msg(
                gettext_noop(
                    "Disintegrating: contact is falling and a senior link was lost, from a "
                    "stage above basic."
                )
            )
        elif falling:
            summary = _msg(
                gettext_noop("Disintegrating: contact is falling, from a stage above basic.")
            )
        else:
            summary = _msg(
                gettext_noop("Disintegrating: a senior link was lost, from a stage above basic.")
            )
    else:
        stage = structural
        summary = {
            Stage.EXPLORATORY: _msg(gettext_noop("Exploratory: no business yet.")),
            Stage.BASIC: _msg(
                gettext_noop(
                    "Basic: there is business, but not regular business with several "
                    "functions involved."
                )
            ),
            Stage.COOPERATIVE: _msg(
                gettext_noop(
                    "Cooperative: regular business with several functions involved, but "
                    "fewer than two of senior link, diamond and joint plan."
                )
            ),
            Stage.INTERDEPENDENT: _msg(
                gettext_noop(
                    "Interdependent: at least two of senior link, diamond and joint plan, "
                    "but fewer than two of cross-company teams, joint projects and shared "
                    "systems."
                )
            ),
            Stage.INTEGRATED: _msg(
                gettext_noop(
                    "Integrated: interdependent, with at least two of cross-company teams, "
                    "joint projects and shared systems."
                )
            ),
        }[structural]
    return StageInference(stage, markers, structural, summary)


# --- supplier positioning -----------------------------------------------------------------


def positioning_warnings(*, box: str, customer_view: CustomerView | None) -> list[Message]:
    """Mismatches between our box and how the customer files us (docs/method.md section 4).

    - a key account where the customer files us as leverage or non-critical: price
      pressure, and an investment that may not be returned;
    - a customer that wants closeness (files us as strategic or bottleneck) while we do not
      invest (a maintenance or opportunistic account): conflict.

    No warning when the view is not recorded or both sides' needs match.
    """
    if customer_view is None:
        return []
    out: list[Message] = []
    labels = ("view", "box")
    view_label = CUSTOMER_VIEW_LABELS[customer_view]
    box_label = BOX_LABELS.get(box, box)
    if box == Box.KEY and customer_view in (CustomerView.LEVERAGE, CustomerView.NON_CRITICAL):
        out.append(
            _msg(
                gettext_noop(
                    "We treat this customer as a %(box)s, but they file us as %(view)s: "
                    "expect price pressure, and our investment may not be returned."
                ),
                labels,
                box=box_label,
                view=view_label,
            )
        )
    if box in (Box.MAINTENANCE, Box.OPPORTUNISTIC) and customer_view in (
        CustomerView.STRATEGIC,
        CustomerView.BOTTLENECK,
    ):
        out.append(
            _msg(
                gettext_noop(
                    "The customer files us as %(view)s and wants closeness, but as a "
                    "%(box)s we do not invest in it: expect conflict. Explain the service "
                    "they will get, or review the account's box."
                ),
                labels,
                box=box_label,
                view=view_label,
            )
        )
    return out


# --- org chart layout -----------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A contact's place in the org chart.

    ``x`` is the centre column and ``y`` the centre row, in units of one node pitch: draw a
    box narrower and lower than one unit centred on (x, y) (for example 160 × 48 px with
    a pitch of 180 × 80 px). Two nodes in one row are at least one unit apart.
    ``depth`` is the distance from the root of the node's tree; ``parent`` the key of
    the manager it is drawn under (None for a root).
    """

    key: str
    x: float
    y: float
    depth: int
    parent: str | None


@dataclass(frozen=True)
class Edge:
    """A reports-to connector: an orthogonal polyline from the manager's centre to the
    report's centre, through the gap half a row above the report (never through a box)."""

    parent: str
    child: str
    points: tuple[tuple[float, float], ...]


@dataclass
class _Block:
    width: int
    height: int
    items: list[tuple[str, float, int]]  # key, centre x, row


def _parents(contacts: Sequence[Contact]) -> dict[str, str | None]:
    """Manager of each contact, with missing managers and cycles cut (see org_chart_layout)."""
    by_key = {c.key: c for c in contacts}
    parent: dict[str, str | None] = {}
    for c in contacts:
        p = c.reports_to
        parent[c.key] = p if p is not None and p in by_key and p != c.key else None
    # cut cycles: in each cycle, the most senior contact (then the smallest key) becomes a root
    state: dict[str, int] = {}
    for start in sorted(parent):
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node, 0) == 0:
            state[node] = 1
            path.append(node)
            node = parent[node]
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node) :]
            cut = min(cycle, key=lambda k: (by_key[k].seniority, k))
            parent[cut] = None
        for k in path:
            state[k] = 2
    return parent


def _order(contacts: Mapping[str, Contact], keys: Iterable[str]) -> list[str]:
    return sorted(keys, key=lambda k: (contacts[k].seniority, contacts[k].name.casefold(), k))


def _pack(blocks: Sequence[_Block], max_width: int) -> list[list[_Block]]:
    bands: list[list[_Block]] = []
    width = 0
    for b in blocks:
        if bands and width + b.width <= max_width:
            bands[-1].append(b)
            width += b.width
        else:
            bands.append([b])
            width = b.width
    return bands


def _grid(keys: Sequence[str], columns: int) -> _Block:
    # as few rows as the width allows, filled evenly (13 in rows of at most 6: 5, 5, 3)
    rows = math.ceil(len(keys) / max(1, columns))
    cols = max(1, math.ceil(len(keys) / rows)) if rows else 1
    items = [(k, i % cols + 0.5, i // cols) for i, k in enumerate(keys)]
    return _Block(cols, math.ceil(len(keys) / cols), items)


def _place(dst: list[tuple[str, float, int]], block: _Block, dx: float, dy: int) -> None:
    dst.extend((k, x + dx, y + dy) for k, x, y in block.items)


def _block(
    key: str,
    children: Mapping[str, list[str]],
    contacts: Mapping[str, Contact],
    max_width: int,
) -> _Block:
    kids = children.get(key, [])
    if not kids:
        return _Block(1, 1, [(key, 0.5, 0)])
    blocks = [_block(k, children, contacts, max_width) for k in kids]
    total = sum(b.width for b in blocks)
    if total <= max_width:
        # classic tidy tree: children side by side, the manager centred above them
        items: list[tuple[str, float, int]] = []
        x = 0
        centres: list[float] = []
        for b in blocks:
            centres.append(b.items[0][1] + x)
            _place(items, b, x, 1)
            x += b.width
        centre = (centres[0] + centres[-1]) / 2
        return _Block(total, 1 + max(b.height for b in blocks), [(key, centre, 0), *items])
    # wrapped: the manager at the top left, a free lane below it, the reports indented by
    # one column: the reports without reports in rows, then bands of the larger blocks
    # (the larger blocks are laid out again for the narrower space, so that the block stays
    # within max_width columns)
    inner = max(1, max_width - 1)
    leaves = [k for k in kids if not children.get(k)]
    subs = [_block(k, children, contacts, max(2, inner)) for k in kids if children.get(k)]
    items = [(key, 0.5, 0)]
    row = 1
    width = 1
    if leaves:
        grid = _grid(leaves, inner)
        _place(items, grid, 1, row)
        row += grid.height
        width = max(width, 1 + grid.width)
    for band in _pack(subs, inner):
        x = 1
        for b in band:
            _place(items, b, x, row)
            x += b.width
        row += max(b.height for b in band)
        width = max(width, x)
    return _Block(width, row, items)


def org_chart_layout(
    contacts: Sequence[Contact], *, max_width: int = DEFAULT_MAX_WIDTH
) -> list[Node]:
    """A compact tidy-tree layout of the reports-to forest (for the contact map, section 3).

    - A contact whose manager is missing (not among ``contacts``) or is themself is a root.
      In a reports-to cycle the most senior contact (lowest seniority number, then the
      smallest key) becomes a root, so every contact appears exactly once.
    - Reports are ordered by seniority, then name. A manager whose reports fit in
      ``max_width`` columns sits centred above them (the classic tidy tree). Otherwise the
      manager sits at the top left with its reports indented by one column: reports
      without reports of their own wrapped in even rows of at most ``max_width - 1``, then the
      larger sub-trees in bands of at most ``max_width - 1`` columns.
    - Trees are placed in bands of at most ``max_width`` columns; contacts without manager
      or reports follow in rows of ``max_width``. The chart is at most ``max_width``
      columns wide unless wrapped managers nest more than ``max_width - 3`` levels deep.

    No two nodes overlap: nodes in one row are at least one unit apart. Use
    ``org_chart_edges`` for connectors that pass through no box.
    """
    if max_width < 2:
        raise ValueError("max_width must be at least 2")
    by_key: dict[str, Contact] = {}
    for c in contacts:
        by_key.setdefault(c.key, c)
    parent = _parents(list(by_key.values()))
    children: dict[str, list[str]] = defaultdict(list)
    for k, p in parent.items():
        if p is not None:
            children[p].append(k)
    for p in list(children):
        children[p] = _order(by_key, children[p])
    roots = _order(by_key, (k for k, p in parent.items() if p is None))
    trees = [r for r in roots if children.get(r)]
    loners = [r for r in roots if not children.get(r)]
    placed: list[tuple[str, float, int]] = []
    row = 0
    for band in _pack([_block(r, children, by_key, max_width) for r in trees], max_width):
        x = 0
        for b in band:
            _place(placed, b, x, row)
            x += b.width
        row += max(b.height for b in band)
    if loners:
        _place(placed, _grid(loners, max_width), 0, row)
    depth: dict[str, int] = {}

    def depth_of(k: str) -> int:
        if k not in depth:
            p = parent[k]
            depth[k] = 0 if p is None else depth_of(p) + 1
        return depth[k]

    return [Node(k, x, float(y), depth_of(k), parent[k]) for k, x, y in placed]


def org_chart_edges(nodes: Sequence[Node]) -> list[Edge]:
    """Connectors for ``org_chart_layout``: down from the manager's centre to half a row
    above the report, across to the report's column, and down to the report's centre.

    Draw them before the boxes (they start and end at box centres). They run through the
    free gaps of the layout: the column below a wrapped manager and the gap between rows.
    """
    at = {n.key: n for n in nodes}
    out: list[Edge] = []
    for n in nodes:
        if n.parent is None or n.parent not in at:
            continue
        p = at[n.parent]
        bus = n.y - 0.5
        out.append(Edge(p.key, n.key, ((p.x, p.y), (p.x, bus), (n.x, bus), (n.x, n.y))))
    return out
