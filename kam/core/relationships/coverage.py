"""Coverage findings for one account (docs/method.md section 3): deciders and influencers
without a medium or strong link, the bow-tie, a champion who left, contacts not met within
the review cadence, and functions the box policy expects that our team lacks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from kam.core.relationships.data import AccountMap, TeamMember
from kam.core.relationships.graph import (
    View,
    account_view,
    bow_tie_pair,
    left_recently,
    link_rank,
    suggest_member,
)
from kam.core.relationships.links import contact_last_met, months_before
from kam.core.relationships.messages import Message, msg
from kam.core.relationships.vocabulary import (
    BOX_LABELS,
    COVERED_ROLES,
    DECIDING_ROLES,
    STRENGTH_LABELS,
    STRENGTH_ORDER,
    Attitude,
    FindingKind,
    TeamRole,
    function_label,
)
from kam.core.scoring import Box, gettext_noop

HIGH_INFLUENCE = 4
"""Influence (1-5) from which a contact weighs heavily in the findings."""
CHAMPION_LEFT_DAYS = 365
"""A champion who left at most this many days before ``as_of`` (or on an unknown date) counts."""

NOT_MET_DUE_DAYS = 30
"""A not-met finding asks for a meeting within this many days of ``as_of``."""


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
    view = account_view(account_map)
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


def _uncovered(view: View) -> list[Finding]:
    out: list[Finding] = []
    covered = {lk.theirs for lk in view.active if STRENGTH_ORDER[lk.strength] >= 2}
    for c in sorted(view.current.values(), key=lambda c: c.key):
        if not (c.buying_roles & COVERED_ROLES) or c.key in covered:
            continue
        decides = bool(c.buying_roles & DECIDING_ROLES)
        severity = 3 if decides or c.influence >= HIGH_INFLUENCE else 2
        best = max((lk for lk in view.links if lk.theirs == c.key), key=link_rank, default=None)
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
            why = msg(
                why_template,
                ("strength",),
                name=c.name,
                influence=c.influence,
                member=member.name,
                strength=STRENGTH_LABELS[best.strength],
            )
            people.add(member.key)
        else:
            why = msg(why_template, name=c.name, influence=c.influence)
        suggested = suggest_member(view, c)
        if suggested is not None:
            resolve = msg(
                gettext_noop(
                    "Have %(member)s meet %(name)s at least three times a year (a medium "
                    "link), or bring in a team member who matches their seniority."
                ),
                member=suggested.name,
                name=c.name,
            )
            people.add(suggested.key)
        else:
            resolve = msg(
                gettext_noop(
                    "Add a team member who can meet %(name)s at least three times a year."
                ),
                name=c.name,
            )
        out.append(
            Finding(FindingKind.UNCOVERED_DECIDER, c.key, severity, why, resolve, frozenset(people))
        )
    return out


def _bow_tie(view: View, box: str) -> Finding | None:
    pair = bow_tie_pair(view.active)
    if pair is None:
        return None
    o, t = pair
    ours, theirs = view.team[o], view.contacts[t]
    severity = {str(Box.KEY): 3, str(Box.KEY_DEVELOPMENT): 2}.get(str(box), 1)
    why = msg(
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
        resolve = msg(
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
        resolve = msg(
            gettext_noop(
                "Add people on both sides: team members from other functions and the "
                "contacts they should meet, so that more than one pair carries the account."
            )
        )
    return Finding(FindingKind.BOW_TIE, None, severity, why, resolve, frozenset(people))


def _champions_left(view: View, as_of: date) -> list[Finding]:
    out: list[Finding] = []
    remaining = [c for c in view.current.values() if c.attitude is Attitude.CHAMPION]
    for c in sorted(view.contacts.values(), key=lambda c: c.key):
        if c.attitude is not Attitude.CHAMPION or not left_recently(c, as_of, CHAMPION_LEFT_DAYS):
            continue
        if c.left_on is not None:
            why = msg(
                gettext_noop("%(name)s, a champion of ours, left the customer on %(date)s."),
                name=c.name,
                date=c.left_on.isoformat(),
            )
        else:
            why = msg(gettext_noop("%(name)s, a champion of ours, left the customer."), name=c.name)
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
            resolve = msg(
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
            resolve = msg(
                gettext_noop(
                    "Find a new champion: ask %(manager)s who now holds %(name)s's "
                    "responsibilities, and meet that person soon."
                ),
                manager=boss.name,
                name=c.name,
            )
            people.add(boss.key)
        else:
            resolve = msg(
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


def _not_met(view: View, account_map: AccountMap) -> list[Finding]:
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
            why = msg(gettext_noop("%(name)s has never been met."), name=c.name)
        else:
            why = msg(
                gettext_noop(
                    "%(name)s was last met on %(date)s, longer ago than this account's "
                    "review cadence of %(months)d months."
                ),
                name=c.name,
                date=seen.isoformat(),
                months=account_map.review_cadence_months,
            )
        people = {c.key}
        member = suggest_member(view, c)
        if member is not None:
            resolve = msg(
                gettext_noop("Plan a meeting of %(member)s with %(name)s before %(due)s."),
                member=member.name,
                name=c.name,
                due=due.isoformat(),
            )
            people.add(member.key)
        else:
            resolve = msg(
                gettext_noop("Plan a meeting with %(name)s before %(due)s."),
                name=c.name,
                due=due.isoformat(),
            )
        out.append(Finding(FindingKind.NOT_MET, c.key, severity, why, resolve, frozenset(people)))
    return out


def _missing_functions(view: View, account_map: AccountMap) -> list[Finding]:
    out: list[Finding] = []
    present = {m.function for m in view.team.values()}
    box_label = BOX_LABELS.get(account_map.box, account_map.box)
    for f in sorted(account_map.expected_functions - present):
        why = msg(
            gettext_noop(
                "The policy for a %(box)s expects %(function)s in the account team; nobody "
                "in the team works in %(function)s."
            ),
            ("box", "function"),
            box=box_label,
            function=function_label(f),
        )
        resolve = msg(
            gettext_noop("Add a colleague from %(function)s to the account team."),
            ("function",),
            function=function_label(f),
        )
        out.append(Finding(FindingKind.MISSING_FUNCTION, f, 2, why, resolve))
    return out
