"""The account map seen as a graph (docs/method.md section 3): its people and active links,
the bow-tie, and who in our team should own a relationship; shared by the coverage
findings and the stage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from kam.core.relationships.data import AccountMap, Contact, Link, TeamMember
from kam.core.relationships.vocabulary import STRENGTH_ORDER, TeamRole

SENIOR_CONTACT_SENIORITY = 2
"""Contacts with seniority 1 (board) or 2 (senior management) are senior."""


@dataclass(frozen=True)
class View:
    """The map's people and its active links, restricted to people in the map."""

    contacts: dict[str, Contact]
    current: dict[str, Contact]
    team: dict[str, TeamMember]
    links: list[Link]
    active: list[Link]
    kam: TeamMember | None


def account_view(account_map: AccountMap) -> View:
    """The map's people by key, its links between people in the map, the active ones (weak
    or stronger, with a current contact) and our key account manager."""
    contacts = {c.key: c for c in account_map.contacts}
    current = {k: c for k, c in contacts.items() if not c.left}
    team = {m.key: m for m in account_map.team}
    links = [lk for lk in account_map.links if lk.ours in team and lk.theirs in contacts]
    active = [lk for lk in links if lk.theirs in current and STRENGTH_ORDER[lk.strength] >= 1]
    kam = next(
        (m for m in account_map.team if m.role is TeamRole.KEY_ACCOUNT_MANAGER),
        None,
    )
    return View(contacts, current, team, links, active, kam)


def link_rank(link: Link) -> tuple[int, float, date]:
    """How a link ranks against others: strength, then meeting rate, then last meeting."""
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
            score = link_rank(knot)
            if best is None or score > best[0] or (score == best[0] and (o, t) < best[1]):
                best = (score, (o, t))
    return best[1] if best else None


def _strongest_member_for(view: View, contact_key: str) -> TeamMember | None:
    links = [lk for lk in view.links if lk.theirs == contact_key]
    if links:
        return view.team[max(links, key=lambda lk: (link_rank(lk), lk.ours)).ours]
    return None


def suggest_member(view: View, contact: Contact) -> TeamMember | None:
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


def left_recently(contact: Contact, as_of: date, days: int) -> bool:
    """Whether the contact left at most ``days`` days before ``as_of`` (or on an unknown day)."""
    if not contact.left:
        return False
    if contact.left_on is None:
        return True
    return contact.left_on <= as_of and (as_of - contact.left_on).days <= days
