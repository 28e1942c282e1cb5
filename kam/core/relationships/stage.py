"""The relationship stage (docs/method.md section 3, stage table): McDonald's five stages
plus disintegrating, with every marker of the method's table and its evidence.

``infer_stage`` reads the markers stage by stage (one step each), takes the structural
stage from them, then checks for disintegration and says in one sentence why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from kam.core.relationships.data import AccountMap, Link
from kam.core.relationships.graph import (
    SENIOR_CONTACT_SENIORITY,
    View,
    account_view,
    bow_tie_pair,
    left_recently,
    link_rank,
)
from kam.core.relationships.messages import Message, msg
from kam.core.relationships.vocabulary import (
    MARKER_LABELS,
    STAGE_LABELS,
    STAGE_RANK,
    STRENGTH_LABELS,
    STRENGTH_ORDER,
    Stage,
    Strength,
)
from kam.core.scoring import gettext_noop

SENIOR_LINK_LOST_DAYS = 365
"""A senior contact who left at most this many days ago counts as a lost senior link."""
FALLING_MIN_PREVIOUS = 4
"""Falling contact needs at least this many meetings in the previous half-year (fewer is noise)."""


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


def _functions_involved(view: View, links: Sequence[Link]) -> tuple[set[str], set[str]]:
    ours = {view.team[lk.ours].function for lk in links}
    theirs = {view.contacts[lk.theirs].function for lk in links}
    return ours, theirs


def _senior_links(view: View) -> list[Link]:
    return [
        lk
        for lk in view.links
        if view.team[lk.ours].senior
        and view.contacts[lk.theirs].seniority <= SENIOR_CONTACT_SENIORITY
    ]


def _lost_senior_link(view: View, as_of: date) -> tuple[Link, bool] | None:
    """A senior link lost: (the link, True when the contact left / False when not met)."""
    lost: list[tuple[Link, bool]] = []
    for lk in _senior_links(view):
        contact = view.contacts[lk.theirs]
        had = lk.last_met is not None or STRENGTH_ORDER[lk.strength] >= 2
        if left_recently(contact, as_of, SENIOR_LINK_LOST_DAYS) and had:
            lost.append((lk, True))
        elif not contact.left and lk.strength is Strength.NONE and lk.last_met is not None:
            lost.append((lk, False))
    if not lost:
        return None
    return max(lost, key=lambda x: (x[1], link_rank(x[0]), x[0].ours, x[0].theirs))


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
    view = account_view(account_map)
    pair = bow_tie_pair(view.active)
    markers = [
        *_exploratory_markers(account_map),
        *_basic_markers(account_map, view, pair),
        *_cooperative_markers(account_map, view, pair),
        *_interdependent_markers(account_map, view, pair),
        *_integrated_markers(account_map, view),
    ]
    structural = _structural_stage(markers)
    markers += _disintegrating_markers(account_map, view, structural)
    stage, summary = _decision(
        structural,
        falling=_present(markers, "falling_contact"),
        lost=_present(markers, "lost_senior_link"),
        higher=_present(markers, "from_higher_stage"),
    )
    return StageInference(stage, markers, structural, summary)


def _present(markers: Sequence[Marker], name: str) -> bool:
    """Whether the marker called ``name`` is present."""
    return next(m.present for m in markers if m.name == name)


def _exploratory_markers(account_map: AccountMap) -> list[Marker]:
    """Exploratory: ``no_business``."""
    return [
        Marker(
            Stage.EXPLORATORY,
            "no_business",
            not account_map.has_business,
            msg(gettext_noop("No business with this customer yet."))
            if not account_map.has_business
            else msg(gettext_noop("There is business with this customer.")),
        )
    ]


def _bow_tie_evidence(view: View, pair: tuple[str, str] | None) -> Message:
    """The evidence of the bow-tie (basic) and of ``routed_through_pair`` (cooperative)."""
    if pair is not None:
        return msg(
            gettext_noop("Every active link runs through %(ours)s and %(theirs)s."),
            ours=view.team[pair[0]].name,
            theirs=view.contacts[pair[1]].name,
        )
    if not view.active:
        return msg(gettext_noop("There are no active links."))
    return msg(gettext_noop("No single pair of people carries every active link."))


def _basic_markers(
    account_map: AccountMap, view: View, pair: tuple[str, str] | None
) -> list[Marker]:
    """Basic: ``transactional``, ``few_links``, ``bow_tie``."""
    if not account_map.has_business:
        trans_ev = msg(gettext_noop("No business yet."))
    elif account_map.regular_business:
        trans_ev = msg(gettext_noop("Business is regular, not only transactional."))
    else:
        trans_ev = msg(gettext_noop("Business, but not regular: transactional."))
    n_active = len(view.active)
    return [
        Marker(
            Stage.BASIC,
            "transactional",
            account_map.has_business and not account_map.regular_business,
            trans_ev,
        ),
        Marker(
            Stage.BASIC,
            "few_links",
            1 <= n_active <= 2,
            msg(gettext_noop("Active links: %(n)d (basic has one or two)."), n=n_active),
        ),
        Marker(Stage.BASIC, "bow_tie", pair is not None, _bow_tie_evidence(view, pair)),
    ]


def _plan_evidence(has_joint_plan: bool) -> Message:
    """The evidence of ``no_joint_plan`` (cooperative) and ``joint_plan`` (interdependent)."""
    if has_joint_plan:
        return msg(gettext_noop("A joint plan exists."))
    return msg(gettext_noop("No joint plan."))


def _cooperative_markers(
    account_map: AccountMap, view: View, pair: tuple[str, str] | None
) -> list[Marker]:
    """Cooperative: ``regular_business``, ``several_functions``, ``routed_through_pair``,
    ``no_joint_plan``."""
    f_ours, f_theirs = _functions_involved(view, view.active)
    return [
        Marker(
            Stage.COOPERATIVE,
            "regular_business",
            account_map.regular_business,
            msg(gettext_noop("Regular business."))
            if account_map.regular_business
            else msg(gettext_noop("No regular business.")),
        ),
        Marker(
            Stage.COOPERATIVE,
            "several_functions",
            len(f_ours) >= 2 or len(f_theirs) >= 2,
            msg(
                gettext_noop(
                    "Functions on active links: %(ours)d on our side, %(theirs)d on theirs "
                    "(several means at least two on one side)."
                ),
                ours=len(f_ours),
                theirs=len(f_theirs),
            ),
        ),
        Marker(
            Stage.COOPERATIVE,
            "routed_through_pair",
            pair is not None,
            _bow_tie_evidence(view, pair),
        ),
        Marker(
            Stage.COOPERATIVE,
            "no_joint_plan",
            not account_map.has_joint_plan,
            _plan_evidence(account_map.has_joint_plan),
        ),
    ]


def _interdependent_markers(
    account_map: AccountMap, view: View, pair: tuple[str, str] | None
) -> list[Marker]:
    """Interdependent: ``senior_link``, ``diamond``, ``joint_plan``."""
    senior = [
        lk for lk in _senior_links(view) if lk in view.active and STRENGTH_ORDER[lk.strength] >= 2
    ]
    if senior:
        best = max(senior, key=lambda lk: (link_rank(lk), lk.ours, lk.theirs))
        senior_ev = msg(
            gettext_noop("Senior-to-senior link: %(ours)s with %(theirs)s (%(strength)s)."),
            ("strength",),
            ours=view.team[best.ours].name,
            theirs=view.contacts[best.theirs].name,
            strength=STRENGTH_LABELS[best.strength],
        )
    else:
        senior_ev = msg(
            gettext_noop(
                "No medium or strong link between a senior member of our team and a "
                "contact of seniority 1 or 2."
            )
        )
    kam_key = view.kam.key if view.kam is not None else None
    direct = [lk for lk in view.active if STRENGTH_ORDER[lk.strength] >= 2 and lk.ours != kam_key]
    d_ours, d_theirs = _functions_involved(view, direct)
    is_diamond = pair is None and len(direct) >= 3 and len(d_ours) >= 2 and len(d_theirs) >= 2
    return [
        Marker(Stage.INTERDEPENDENT, "senior_link", bool(senior), senior_ev),
        Marker(
            Stage.INTERDEPENDENT,
            "diamond",
            is_diamond,
            msg(
                gettext_noop(
                    "Medium or strong links not through the key account manager: %(links)d, "
                    "across %(ours)d of our functions and %(theirs)d of theirs (a diamond "
                    "needs at least 3, 2 and 2, and no bow-tie)."
                ),
                links=len(direct),
                ours=len(d_ours),
                theirs=len(d_theirs),
            ),
        ),
        Marker(
            Stage.INTERDEPENDENT,
            "joint_plan",
            account_map.has_joint_plan,
            _plan_evidence(account_map.has_joint_plan),
        ),
    ]


def _integrated_markers(account_map: AccountMap, view: View) -> list[Marker]:
    """Integrated: ``cross_company_teams``, ``joint_projects``, ``shared_systems``."""
    strong = [lk for lk in view.active if lk.strength is Strength.STRONG]
    s_ours, s_theirs = _functions_involved(view, strong)
    return [
        Marker(
            Stage.INTEGRATED,
            "cross_company_teams",
            len(strong) >= 3 and len(s_ours) >= 3 and len(s_theirs) >= 3,
            msg(
                gettext_noop(
                    "Strong links: %(links)d, across %(ours)d of our functions and %(theirs)d "
                    "of theirs (cross-company teams need at least 3, 3 and 3)."
                ),
                links=len(strong),
                ours=len(s_ours),
                theirs=len(s_theirs),
            ),
        ),
        Marker(
            Stage.INTEGRATED,
            "joint_projects",
            account_map.joint_projects >= 1,
            msg(gettext_noop("Joint projects: %(n)d."), n=account_map.joint_projects),
        ),
        Marker(
            Stage.INTEGRATED,
            "shared_systems",
            account_map.shared_systems,
            msg(gettext_noop("Information or systems are shared."))
            if account_map.shared_systems
            else msg(gettext_noop("No shared information or systems.")),
        ),
    ]


def _structural_stage(markers: Sequence[Marker]) -> Stage:
    """Step 1 of the decision rule: the highest growing stage the markers reach."""

    def count(stage: Stage) -> int:
        return sum(m.present for m in markers if m.stage is stage)

    if _present(markers, "no_business"):
        return Stage.EXPLORATORY
    if not (_present(markers, "regular_business") and _present(markers, "several_functions")):
        return Stage.BASIC
    if count(Stage.INTERDEPENDENT) < 2:
        return Stage.COOPERATIVE
    if count(Stage.INTEGRATED) < 2:
        return Stage.INTERDEPENDENT
    return Stage.INTEGRATED


def _disintegrating_markers(account_map: AccountMap, view: View, structural: Stage) -> list[Marker]:
    """Disintegrating: ``falling_contact``, ``lost_senior_link``, ``from_higher_stage``."""
    return [
        _falling_contact(account_map),
        _lost_senior_link_marker(view, account_map.as_of),
        _from_higher_stage(account_map, structural),
    ]


def _falling_contact(account_map: AccountMap) -> Marker:
    last_half, previous_half = account_map.meetings_last_half, account_map.meetings_previous_half
    falling = previous_half >= FALLING_MIN_PREVIOUS and 2 * last_half < previous_half
    return Marker(
        Stage.DISINTEGRATING,
        "falling_contact",
        falling,
        msg(
            gettext_noop(
                "Meetings in the last half-year: %(last)d; in the half-year before: "
                "%(previous)d (falling means fewer than half, from at least %(minimum)d)."
            ),
            last=last_half,
            previous=previous_half,
            minimum=FALLING_MIN_PREVIOUS,
        ),
    )


def _lost_senior_link_marker(view: View, as_of: date) -> Marker:
    lost = _lost_senior_link(view, as_of)
    if lost is None:
        lost_ev = msg(gettext_noop("No senior link lost."))
    elif lost[1]:
        lk = lost[0]
        contact = view.contacts[lk.theirs]
        lost_ev = msg(
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
        lost_ev = msg(
            gettext_noop(
                "%(ours)s and %(theirs)s (seniority %(seniority)d) have not met in the "
                "window; they last met on %(date)s."
            ),
            ours=view.team[lk.ours].name,
            theirs=view.contacts[lk.theirs].name,
            seniority=view.contacts[lk.theirs].seniority,
            date=(lk.last_met or as_of).isoformat(),
        )
    return Marker(Stage.DISINTEGRATING, "lost_senior_link", lost is not None, lost_ev)


def _from_higher_stage(account_map: AccountMap, structural: Stage) -> Marker:
    previous = account_map.previous_stage
    was_higher_before = previous is Stage.DISINTEGRATING or (
        previous is not None and STAGE_RANK[previous] > STAGE_RANK[Stage.BASIC]
    )
    higher = STAGE_RANK[structural] > STAGE_RANK[Stage.BASIC] or was_higher_before
    if STAGE_RANK[structural] > STAGE_RANK[Stage.BASIC]:
        higher_ev = msg(
            gettext_noop("The relationship is %(stage)s by its structure, above basic."),
            ("stage",),
            stage=STAGE_LABELS[structural],
        )
    elif previous is not None and was_higher_before:
        higher_ev = msg(
            gettext_noop("At the last review the relationship was %(stage)s."),
            ("stage",),
            stage=STAGE_LABELS[previous],
        )
    else:
        higher_ev = msg(gettext_noop("The relationship has not been above basic."))
    return Marker(Stage.DISINTEGRATING, "from_higher_stage", higher, higher_ev)


def _decision(
    structural: Stage, *, falling: bool, lost: bool, higher: bool
) -> tuple[Stage, Message]:
    """Step 2 of the decision rule: disintegrating or the structural stage, and why."""
    if (falling or lost) and higher:
        if falling and lost:
            summary = msg(
                gettext_noop(
                    "Disintegrating: contact is falling and a senior link was lost, from a "
                    "stage above basic."
                )
            )
        elif falling:
            summary = msg(
                gettext_noop("Disintegrating: contact is falling, from a stage above basic.")
            )
        else:
            summary = msg(
                gettext_noop("Disintegrating: a senior link was lost, from a stage above basic.")
            )
        return Stage.DISINTEGRATING, summary
    summary = {
        Stage.EXPLORATORY: msg(gettext_noop("Exploratory: no business yet.")),
        Stage.BASIC: msg(
            gettext_noop(
                "Basic: there is business, but not regular business with several "
                "functions involved."
            )
        ),
        Stage.COOPERATIVE: msg(
            gettext_noop(
                "Cooperative: regular business with several functions involved, but "
                "fewer than two of senior link, diamond and joint plan."
            )
        ),
        Stage.INTERDEPENDENT: msg(
            gettext_noop(
                "Interdependent: at least two of senior link, diamond and joint plan, "
                "but fewer than two of cross-company teams, joint projects and shared "
                "systems."
            )
        ),
        Stage.INTEGRATED: msg(
            gettext_noop(
                "Integrated: interdependent, with at least two of cross-company teams, "
                "joint projects and shared systems."
            )
        ),
    }[structural]
    return structural, summary
