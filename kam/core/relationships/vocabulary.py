"""The vocabulary of relationships (docs/method.md sections 3 and 4): the codes kam stores
for link strengths, attitudes, buying roles, stages, how the customer files us and team
roles, and their English labels.

The codes are defined here once; the Django choices of the models are built from these
enums and labels (``kam.web.choices``), so a page shows the same label as a sentence of
``kam.core`` (a label starts with a capital where it stands alone, ``capfirst``). Labels
are English msgids marked with ``gettext_noop``: the web app translates them.
"""

from __future__ import annotations

from enum import StrEnum

from kam.core.scoring import Box, gettext_noop


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


class Function(StrEnum):
    """The function a person on our side works in; account teams are cross-functional."""

    SALES = "sales"
    MARKETING = "marketing"
    SUPPLY_CHAIN = "supply_chain"
    FINANCE = "finance"
    RND = "rnd"
    CUSTOMER_SERVICE = "customer_service"
    MANAGEMENT = "management"
    OTHER = "other"


class FindingKind(StrEnum):
    """The coverage findings of section 3 (plus the missing function of the box policy)."""

    UNCOVERED_DECIDER = "uncovered_decider"
    BOW_TIE = "bow_tie"
    CHAMPION_LEFT = "champion_left"
    NOT_MET = "not_met"
    MISSING_FUNCTION = "missing_function"


# --- labels (English msgids; the web app translates them) -------------------------------
# One casing: a label is written as it reads inside a sentence ("the closest is Anna
# (medium)"); where it stands alone (a choice, a column) the web app starts it with a
# capital (``kam.web.choices``).

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
ATTITUDE_LABELS: dict[Attitude, str] = {
    Attitude.CHAMPION: gettext_noop("champion"),
    Attitude.SUPPORTER: gettext_noop("supporter"),
    Attitude.NEUTRAL: gettext_noop("neutral"),
    Attitude.CRITIC: gettext_noop("critic"),
    Attitude.OPPONENT: gettext_noop("opponent"),
}
BUYING_ROLE_LABELS: dict[BuyingRole, str] = {
    BuyingRole.INITIATOR: gettext_noop("initiator"),
    BuyingRole.USER: gettext_noop("user"),
    BuyingRole.INFLUENCER: gettext_noop("influencer"),
    BuyingRole.DECIDER: gettext_noop("decider"),
    BuyingRole.BUYER: gettext_noop("buyer"),
    BuyingRole.GATEKEEPER: gettext_noop("gatekeeper"),
    BuyingRole.ECONOMIC_BUYER: gettext_noop("economic buyer"),
    BuyingRole.TECHNICAL_BUYER: gettext_noop("technical buyer"),
    BuyingRole.COACH: gettext_noop("coach"),
}
TEAM_ROLE_LABELS: dict[TeamRole, str] = {
    TeamRole.KEY_ACCOUNT_MANAGER: gettext_noop("key account manager"),
    TeamRole.CORE: gettext_noop("core team"),
    TeamRole.SURROUND: gettext_noop("surround team"),
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
FUNCTION_LABELS: dict[Function, str] = {
    Function.SALES: gettext_noop("Sales"),
    Function.MARKETING: gettext_noop("Marketing"),
    Function.SUPPLY_CHAIN: gettext_noop("Supply chain"),
    Function.FINANCE: gettext_noop("Finance"),
    Function.RND: gettext_noop("R&D"),
    Function.CUSTOMER_SERVICE: gettext_noop("Customer service"),
    Function.MANAGEMENT: gettext_noop("Management"),
    Function.OTHER: gettext_noop("Other"),
}
"""Labels of our functions (``kam.users.models.Function`` is built from them): the names of
departments, so they keep their capital inside a sentence too."""
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
    try:
        return FUNCTION_LABELS[Function(function)]
    except ValueError:
        return function
