"""The words of the business case page: the questions and the findings of
``kam.core.business_case`` in the reader's language (docs/method.md section 7).

``kam.core`` returns codes with parameters; this module turns each into one translated
sentence, so that the page, the PDF and the API say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kam.core.business_case import (
    LEVEL_LABELS,
    QUESTIONS,
    READINESS_LABELS,
    REWARDS,
    BusinessCase,
    Dominance,
    Finding,
    Question,
    Side,
    Strength,
)

OBSTACLES = {
    "sponsorship": gettext_lazy(
        "No executive sponsor: without one, other functions will not keep their commitments "
        "to key accounts."
    ),
    "cross_functional": gettext_lazy(
        "Other functions have no time for key account teams: key account management would "
        "stay a sales project."
    ),
    "profitability_data": gettext_lazy(
        "No data on customer profitability: you cannot yet show that key accounts earn a "
        "special return."
    ),
    "planning_discipline": gettext_lazy(
        "Little planning discipline: account plans would be written once and not followed up."
    ),
    "people": gettext_lazy(
        "Too few key account managers with the skills: the role asks for more than selling."
    ),
    "no_capacity": gettext_lazy(
        "No capacity for key accounts: kam records %(hours)d usable team hours a year and "
        "%(managers)d key account managers. Enter them on the policies page."
    ),
    "capacity_shortfall": gettext_lazy(
        "Too many key accounts: the portfolio has %(current)d, the team can carry %(capacity)d."
    ),
}

STEPS = {
    "no_rollout": gettext_lazy(
        "Do not reorganise around key accounts yet: the ten reasons score %(overall)d%% of "
        "the maximum. Serve the few customers who demand it well, and repeat this assessment "
        "in a year."
    ),
    "pilot": gettext_lazy(
        "Start with a pilot of two or three key accounts, each with a named executive "
        "sponsor, and widen it once the pilot accounts show a return."
    ),
    "roll_out": gettext_lazy(
        "Roll key account management out to at most %(capacity)d key accounts, chosen on the "
        "selection matrix, in one or two waves."
    ),
    "name_sponsor": gettext_lazy(
        "Name an executive sponsor for each key account before you start: the sponsor meets "
        "the customer's senior management and clears the way in our own functions."
    ),
    "form_core_teams": gettext_lazy(
        "Agree with the heads of supply chain, finance and service who joins each key "
        "account's core team, and put those hours in their objectives."
    ),
    "build_account_pl": gettext_lazy(
        "Build an account P&L (revenue, gross margin, cost to serve) for the candidate key "
        "accounts before you scale, so that the return can be measured."
    ),
    "plan_discipline": gettext_lazy(
        "Write one key account plan per pilot account and review it every quarter before "
        "the template goes to every key account."
    ),
    "develop_managers": gettext_lazy(
        "Select key account managers for their ability to lead a team and to talk strategy, "
        "and train them: a strong salesperson is not automatically a key account manager."
    ),
    "cut_key_accounts": gettext_lazy(
        "Cut the list: the portfolio has %(current)d key accounts and the team can carry "
        "%(capacity)d. Move %(excess)d to key development or maintenance, or add capacity, "
        "before promising key account service."
    ),
    "add_managers": gettext_lazy(
        "Key account managers are the limit: the team's hours would carry %(by_hours)d key "
        "accounts, but %(managers)d key account managers carry %(by_managers)d. Appoint or "
        "develop more key account managers."
    ),
    "add_managers_no_hours": gettext_lazy(
        "Key account managers are the limit: %(managers)d key account managers carry "
        "%(by_managers)d key accounts. Appoint or develop more to go further."
    ),
    "free_hours": gettext_lazy(
        "Team hours are the limit: they carry %(by_hours)d key accounts, while the key "
        "account managers could take %(by_managers)d. Free hours by serving maintenance and "
        "opportunistic accounts through cheaper channels, or add people."
    ),
    "classify_portfolio": gettext_lazy(
        "Run a portfolio review to see which customers are key accounts today; the "
        "business case then checks them against what the team can carry."
    ),
    "lead_defensive": gettext_lazy(
        "Lead with defence: first secure the key accounts you could lose, by covering their "
        "decision-making unit and giving them one consistent face."
    ),
    "lead_aggressive": gettext_lazy(
        "Lead with growth: choose the accounts with the largest opportunity and build value "
        "propositions whose value the customer confirms."
    ),
    "lead_balanced": gettext_lazy(
        "Defence and growth weigh alike: protect the key accounts at risk, and pick one or "
        "two accounts to grow with new value propositions."
    ),
}

SIDE_NAMES = {
    Side.DEFENSIVE: gettext_lazy("Defensive reasons"),
    Side.AGGRESSIVE: gettext_lazy("Aggressive reasons"),
    Side.READINESS: gettext_lazy("Readiness"),
}


def finding_text(finding: Finding, table: Mapping[str, object]) -> str:
    """One obstacle or next step as a translated sentence."""
    code = finding.code
    if code == "add_managers" and int(finding.params.get("by_hours", 0)) < 0:
        code = "add_managers_no_hours"
    return str(table[code]) % dict(finding.params)


@dataclass(frozen=True)
class ShownQuestion:
    """A question in the reader's language, with its five levels (number, label, meaning)."""

    key: str
    side: Side
    title: str
    hint: str
    levels: list[tuple[int, str, str]]


def shown_question(question: Question) -> ShownQuestion:
    labels = READINESS_LABELS if question.side is Side.READINESS else LEVEL_LABELS
    return ShownQuestion(
        key=question.key,
        side=question.side,
        title=_(question.title),
        hint=_(question.hint),
        levels=[(i, _(labels[i]), _(text)) for i, text in enumerate(question.levels)],
    )


def question_title(key: str) -> str:
    return _(QUESTIONS[key].title)


def level_label(key: str, level: int) -> str:
    labels = READINESS_LABELS if QUESTIONS[key].side is Side.READINESS else LEVEL_LABELS
    return _(labels[level])


REWARD_TITLES = {r.key: r.title for r in REWARDS}


def headline(case: BusinessCase) -> list[str]:
    """Two or three sentences a director can read out to the board."""
    numbers = {
        "overall": round(case.overall_pct),
        "defensive": round(case.defensive_pct),
        "aggressive": round(case.aggressive_pct),
    }
    strength = {
        Strength.STRONG: _(
            "The case for key account management is strong: the ten reasons score "
            "%(overall)d%% of the maximum."
        ),
        Strength.MODERATE: _(
            "The case for key account management is moderate: the ten reasons score "
            "%(overall)d%% of the maximum."
        ),
        Strength.WEAK: _(
            "The case for key account management is weak: the ten reasons score "
            "%(overall)d%% of the maximum."
        ),
    }[case.strength]
    side = {
        Dominance.DEFENSIVE: _(
            "Defensive reasons dominate (%(defensive)d%% against %(aggressive)d%%): we need "
            "it to keep the customers we have."
        ),
        Dominance.AGGRESSIVE: _(
            "Aggressive reasons dominate (%(aggressive)d%% against %(defensive)d%%): it is "
            "our way to grow."
        ),
        Dominance.BALANCED: _(
            "Defensive and aggressive reasons weigh about the same (%(defensive)d%% and "
            "%(aggressive)d%%): we need it to keep customers and to grow."
        ),
    }[case.dominant]
    n = case.capacity.key_accounts
    carry = ngettext(
        "The current team can carry %(n)d key account.",
        "The current team can carry %(n)d key accounts.",
        n,
    ) % {"n": n}
    return [strength % numbers, side % numbers, carry]
