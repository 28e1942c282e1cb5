"""Why KAM: the business case self-assessment (docs/method.md section 7, with section 1's
"never too many key accounts" and the box policies of section 2).

A sales director scores how strongly each of the method's ten reasons for key account
management applies to the company (five defensive, five aggressive) and how ready the
organisation is, each on 0-4. :func:`business_case` turns the answers and the team's
capacity into the one-page business case: which side dominates, the strongest reasons, the
rewards those reasons bring, the internal obstacles, how many key accounts the team can
carry, and the next steps.

Pure: no Django. Texts are English and marked with :func:`gettext_noop` so that
``makemessages`` extracts them; the web layer translates them. Findings and next steps are
codes with parameters, which the web layer words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

MIN_LEVEL = 0
MAX_LEVEL = 4
LEVELS: tuple[int, ...] = tuple(range(MIN_LEVEL, MAX_LEVEL + 1))

BALANCE_MARGIN_PCT = 10.0
"""Defensive and aggressive scores within this many percentage points are *balanced*."""

STRONG_CASE_PCT = 60.0
"""All ten reasons together at or above this share of the maximum make a *strong* case."""

WEAK_CASE_PCT = 35.0
"""Below this share the case is *weak*; in between it is *moderate*."""

READY_PCT = 60.0
"""Readiness at or above this share (and a sponsor) allows a roll-out instead of a pilot."""

OBSTACLE_LEVEL = 1
"""A readiness answer at or below this level is an obstacle."""

TOP_REASON_MIN_LEVEL = 2
"""A reason needs at least this level to count as a top reason or to drive a reward."""

TOP_REASONS = 3
PILOT_ACCOUNTS_LOW = 2
PILOT_ACCOUNTS_HIGH = 3


def gettext_noop(message: str) -> str:
    """Marks a message for translation without translating it (kam.core has no Django)."""
    return message


class Side(StrEnum):
    """Which group a question belongs to (section 7)."""

    DEFENSIVE = "defensive"
    AGGRESSIVE = "aggressive"
    READINESS = "readiness"


class Dominance(StrEnum):
    DEFENSIVE = "defensive"
    AGGRESSIVE = "aggressive"
    BALANCED = "balanced"


class Strength(StrEnum):
    STRONG = "strong"
    MODERATE = "moderate"
    WEAK = "weak"


class Binding(StrEnum):
    """Which limit sets the key-account capacity."""

    HOURS = "hours"
    MANAGERS = "managers"
    BOTH = "both"


@dataclass(frozen=True)
class Question:
    """One question of the self-assessment, answered 0-4.

    ``key`` is stable (stored answers refer to it); ``title`` is the statement scored;
    ``hint`` says what to look at; ``levels`` says what each answer 0..4 means.
    """

    key: str
    side: Side
    title: str
    hint: str
    levels: tuple[str, str, str, str, str]


@dataclass(frozen=True)
class Reward:
    """A reward of key account management (section 7) and the reasons that bring it."""

    key: str
    title: str
    reasons: tuple[str, ...]


_ = gettext_noop

REASONS: tuple[Question, ...] = (
    # ---- defensive: the customers are changing, and we must keep up
    Question(
        "customer_power",
        Side.DEFENSIVE,
        _("Our customers grow stronger and more professional"),
        _("Consolidation, professional buyers, their share of our revenue."),
        (
            _("Our customers are many and small; none can dictate terms."),
            _("A few customers have grown, but buying is still run by generalists."),
            _(
                "Our largest customers have professional buyers and press for better "
                "terms each year."
            ),
            _(
                "A handful of customers hold a large share of our revenue and use it in "
                "every negotiation."
            ),
            _(
                "Consolidation is under way now: losing one large customer would hurt "
                "this year's result."
            ),
        ),
    ),
    Question(
        "global_customers",
        Side.DEFENSIVE,
        _("Global and regional customers want one consistent approach and service"),
        _("Customers that buy from us in several countries, sites or business units."),
        (
            _("Our customers buy locally and are served locally."),
            _("Some customers buy in more than one region but do not coordinate it."),
            _("Several customers compare our prices and service between their sites."),
            _("Important customers ask for one contract, one price list and one contact."),
            _(
                "Customers already buy centrally across countries; suppliers without one "
                "face are dropped."
            ),
        ),
    ),
    Question(
        "complex_dmu",
        Side.DEFENSIVE,
        _("Their decision-making units grow more complex"),
        _("How many people at the customer take part in a buying decision."),
        (
            _("One buyer decides, and we know them well."),
            _("A buyer and a user decide together."),
            _(
                "Purchasing, technical and finance people all weigh in, and we do not "
                "know all of them."
            ),
            _("Decisions are taken by committees and senior managers we rarely meet."),
            _(
                "We lose or win business on decisions we did not see coming; our contacts "
                "are not the deciders."
            ),
        ),
    ),
    Question(
        "purchasing_practices",
        Side.DEFENSIVE,
        _("New purchasing practices"),
        _(
            "Supplier reduction, preferred supplier lists, tenders and e-auctions, "
            "category management, total cost of ownership."
        ),
        (
            _("Customers buy the way they always have."),
            _("Some customers run tenders for the categories we sell."),
            _("Customers are cutting their supplier base and rating suppliers formally."),
            _(
                "Our largest customers run category management and judge us on total "
                "cost, not price."
            ),
            _("We must earn preferred or key supplier status this year, or we are out."),
        ),
    ),
    Question(
        "own_complexity",
        Side.DEFENSIVE,
        _("Our own complexity"),
        _("Business units, product lines and channels that each touch the same customer."),
        (
            _("One team sells one product line to each customer."),
            _("Two units sometimes call on the same customer."),
            _(
                "Several of our units and functions deal with the same customers, each on "
                "their own."
            ),
            _("Customers complain that we speak with several voices."),
            _("Customers have to manage us: no one on our side sees the whole relationship."),
        ),
    ),
    # ---- aggressive: we want to grow, and to grow where it pays
    Question(
        "focus_resources",
        Side.AGGRESSIVE,
        _("Growing opportunities force us to set priorities on our resources"),
        _("More opportunities than people, time and budget to pursue them."),
        (
            _("We can serve every customer as well as we want to."),
            _("Now and then we turn down work for lack of people."),
            _("Our people spread their time thinly; the best customers get no more."),
            _(
                "We miss opportunities at attractive customers because time goes to "
                "whoever asks loudest."
            ),
            _(
                "We cannot grow without choosing which customers get our best people and "
                "which get less."
            ),
        ),
    ),
    Question(
        "relationships_win",
        Side.AGGRESSIVE,
        _("Products alone no longer win; relationships do"),
        _("Whether our products still set us apart from the competition."),
        (
            _("Our products are clearly better, and customers buy them for that."),
            _("Competitors are catching up on some product lines."),
            _("Products are comparable; service and people make the difference."),
            _("We win and lose on the strength of our relationships, not on the specification."),
            _(
                "Our products are interchangeable with the competition's; without closer "
                "relationships we compete on price alone."
            ),
        ),
    ),
    Question(
        "solutions",
        Side.AGGRESSIVE,
        _("We want to sell solutions, not products"),
        _("Services, combinations of products and know-how, outcomes the customer pays for."),
        (
            _("We sell products off a price list, and that suits us."),
            _("We add some services to our products."),
            _("We have solutions to offer, but customers buy them piece by piece."),
            _("Our growth plan depends on solutions that need the customer's processes and data."),
            _(
                "Our strategy is to be paid for outcomes; that needs deep work inside a "
                "few customers."
            ),
        ),
    ),
    Question(
        "shape_strategy",
        Side.AGGRESSIVE,
        _("We want to shape the customer's strategy through a customer-focused value proposition"),
        _("Influence on the customer's plans before they turn into a request for quotation."),
        (
            _("We respond to the customer's requests as they come."),
            _("We sometimes propose improvements to a customer."),
            _("With a few customers we take part in their planning."),
            _(
                "We want value propositions that measurably improve the customer's "
                "business, and the customer to confirm that value."
            ),
            _(
                "We want to be the customer's partner in setting its strategy in our "
                "field, with joint plans."
            ),
        ),
    ),
    Question(
        "abnormal_rewards",
        Side.AGGRESSIVE,
        _("Abnormal rewards for abnormal effort"),
        _("Customers where an exceptional investment could earn an exceptional return."),
        (
            _("No customer would pay back an effort beyond normal service."),
            _("A special effort might pay at one or two customers."),
            _("Several customers could give us a clearly larger share of wallet."),
            _("We can name customers where a dedicated team would earn far more than it costs."),
            _(
                "Our targets depend on a few customers returning much more than today, "
                "and we can say how."
            ),
        ),
    ),
)

READINESS: tuple[Question, ...] = (
    Question(
        "sponsorship",
        Side.READINESS,
        _("Executive sponsorship"),
        _("A member of the management team who owns key account management and its budget."),
        (
            _("No one in management has asked for key account management."),
            _("Management agrees in principle but commits no time or money."),
            _("A director supports it and has set aside some budget."),
            _("A named executive sponsors it and reviews progress every quarter."),
            _("The board owns it: each key account has a senior sponsor who meets the customer."),
        ),
    ),
    Question(
        "cross_functional",
        Side.READINESS,
        _("Cross-functional team availability"),
        _("Whether supply chain, finance, R&D and service will give people time for key accounts."),
        (
            _("Other functions see customers as sales's job."),
            _("Other functions help when asked, case by case."),
            _("Some functions will name people for key account teams."),
            _("Heads of function agree to name core team members with hours in their objectives."),
            _("Cross-functional account teams already work and are measured on the account."),
        ),
    ),
    Question(
        "profitability_data",
        Side.READINESS,
        _("Data on customer profitability"),
        _("Revenue, gross margin and cost to serve per customer."),
        (
            _("We know revenue per customer, nothing more."),
            _("We know gross margin per customer, roughly."),
            _("Gross margin per customer is reliable; cost to serve is not measured."),
            _("We can estimate cost to serve for our largest customers."),
            _("We have a profit and loss account per customer, cost to serve included."),
        ),
    ),
    Question(
        "planning_discipline",
        Side.READINESS,
        _("Planning discipline"),
        _("Written account plans, reviewed and followed up."),
        (
            _("We have no written customer plans."),
            _("Some account managers keep their own plans."),
            _("Plans exist for large customers but are not reviewed."),
            _("Plans follow one template and are reviewed once a year."),
            _(
                "Plans are reviewed each quarter, and their actions are followed up, "
                "those of other functions included."
            ),
        ),
    ),
    Question(
        "people",
        Side.READINESS,
        _("Key account managers with the skills"),
        _(
            "People who can lead a cross-functional team and talk strategy with senior "
            "managers at the customer."
        ),
        (
            _("Our salespeople sell products and are paid on volume."),
            _("One or two could grow into the role with training."),
            _("Several have the skills but lack the time or the mandate."),
            _("We have enough capable key account managers for a first wave."),
            _(
                "Experienced key account managers are in place, with a mandate and "
                "objectives that fit the role."
            ),
        ),
    ),
)

REWARDS: tuple[Reward, ...] = (
    Reward(
        "better_resources",
        _("Better use of resources"),
        ("focus_resources", "own_complexity", "abnormal_rewards"),
    ),
    Reward(
        "loyalty",
        _("Greater loyalty"),
        ("customer_power", "purchasing_practices", "relationships_win", "global_customers"),
    ),
    Reward(
        "new_capabilities",
        _("New capabilities"),
        ("solutions", "global_customers", "own_complexity"),
    ),
    Reward(
        "understanding",
        _("Deeper understanding of the customer's business"),
        ("complex_dmu", "shape_strategy", "solutions"),
    ),
    Reward(
        "value_propositions",
        _("Competitive advantage through new value propositions"),
        ("shape_strategy", "solutions", "relationships_win", "purchasing_practices"),
    ),
    Reward(
        "secured_future",
        _("A secured future through long-term investment in the important customers"),
        ("abnormal_rewards", "customer_power", "focus_resources"),
    ),
)

del _

LEVEL_LABELS: tuple[str, ...] = (
    gettext_noop("Does not apply"),
    gettext_noop("Applies a little"),
    gettext_noop("Applies"),
    gettext_noop("Applies strongly"),
    gettext_noop("Applies strongly and urgently"),
)
"""Short names of the answers 0-4 to a reason."""

READINESS_LABELS: tuple[str, ...] = (
    gettext_noop("Not in place"),
    gettext_noop("Barely"),
    gettext_noop("Partly"),
    gettext_noop("Largely"),
    gettext_noop("Fully in place"),
)
"""Short names of the answers 0-4 to a readiness question."""

QUESTIONS: dict[str, Question] = {q.key: q for q in REASONS + READINESS}


class AssessmentError(ValueError):
    """Answers that are missing, unknown or out of range; ``problems`` maps key to message."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def validate_answers(answers: Mapping[str, int], readiness: Mapping[str, int]) -> None:
    """Raise :class:`AssessmentError` unless every reason and every readiness question has
    exactly one whole answer 0-4 and no unknown key is given."""
    problems: dict[str, str] = {}
    for questions, given in ((REASONS, answers), (READINESS, readiness)):
        keys = {q.key for q in questions}
        for q in questions:
            value = given.get(q.key)
            if value is None:
                problems[q.key] = gettext_noop("Choose an answer from 0 to 4.")
            elif value not in LEVELS or isinstance(value, bool) or not isinstance(value, int):
                problems[q.key] = gettext_noop("An answer is a whole number from 0 to 4.")
        for key in given:
            if key not in keys:
                problems[key] = gettext_noop("This is not a question of the assessment.")
    if problems:
        raise AssessmentError(problems)


@dataclass(frozen=True)
class RankedReward:
    """A reward, its strength 0-100 (mean answer of its reasons as % of 4) and the reasons
    answered at least :data:`TOP_REASON_MIN_LEVEL` that drive it, strongest first."""

    key: str
    strength_pct: float
    drivers: tuple[str, ...]


@dataclass(frozen=True)
class Capacity:
    """How many key accounts the team can carry (sections 1 and 2).

    ``by_hours`` = ⌊(team hours × share − current key development accounts × their minimum
    hours) / key account minimum hours⌋, ``None`` when the key minimum is 0 (no hours
    limit); ``by_managers`` = managers × most key accounts per manager. The lower binds.
    """

    usable_hours: float
    hours_for_key_accounts: float
    by_hours: int | None
    by_managers: int
    key_accounts: int
    binding: Binding
    current_key_accounts: int | None
    shortfall: int


@dataclass(frozen=True)
class Finding:
    """An obstacle or a next step: a ``code`` the web layer words, with its ``params``."""

    code: str
    params: Mapping[str, int | float | str] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerChange:
    """A question whose answer moved between two assessments."""

    key: str
    side: Side
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class BusinessCase:
    """The one-page business case (section 7). Percentages are 0-100 of the maximum."""

    defensive_pct: float
    aggressive_pct: float
    overall_pct: float
    readiness_pct: float
    dominant: Dominance
    strength: Strength
    top_reasons: tuple[str, ...]
    rewards: tuple[RankedReward, ...]
    obstacles: tuple[Finding, ...]
    capacity: Capacity
    next_steps: tuple[Finding, ...]

    @property
    def expected_rewards(self) -> tuple[RankedReward, ...]:
        """The rewards at least one reason drives, strongest first."""
        return tuple(r for r in self.rewards if r.drivers)


def _pct(total: float, questions: int) -> float:
    return 100.0 * total / (questions * MAX_LEVEL)


def side_score_pct(answers: Mapping[str, int], side: Side) -> float:
    """Sum of the answers of one side as a percentage of its maximum (5 × 4 = 20)."""
    questions = [q for q in QUESTIONS.values() if q.side is side]
    return _pct(sum(answers[q.key] for q in questions), len(questions))


def key_account_capacity(
    *,
    team_hours_per_year: float,
    capacity_share: float,
    key_min_hours_per_year: float,
    key_development_min_hours_per_year: float,
    managers: int,
    max_key_accounts_per_manager: int,
    current_key_accounts: int | None = None,
    current_key_development_accounts: int = 0,
) -> Capacity:
    """The key accounts the team can carry; see :class:`Capacity` for the formulas.

    Key development accounts need their policy minimum hours too (section 1 counts both
    against capacity), so their hours come off before key accounts are counted.
    """
    usable = max(0.0, team_hours_per_year * capacity_share)
    for_key = max(
        0.0, usable - current_key_development_accounts * key_development_min_hours_per_year
    )
    # A tiny epsilon keeps 600 / 200 from flooring to 2 through float error.
    by_hours = (
        math.floor(for_key / key_min_hours_per_year + 1e-9) if key_min_hours_per_year > 0 else None
    )
    by_managers = max(0, managers) * max(0, max_key_accounts_per_manager)
    if by_hours is None or by_managers < by_hours:
        binding, carried = Binding.MANAGERS, by_managers
    elif by_hours < by_managers:
        binding, carried = Binding.HOURS, by_hours
    else:
        binding, carried = Binding.BOTH, by_hours
    shortfall = max(0, current_key_accounts - carried) if current_key_accounts is not None else 0
    return Capacity(
        usable_hours=usable,
        hours_for_key_accounts=for_key,
        by_hours=by_hours,
        by_managers=by_managers,
        key_accounts=carried,
        binding=binding,
        current_key_accounts=current_key_accounts,
        shortfall=shortfall,
    )


def _rank_rewards(answers: Mapping[str, int]) -> tuple[RankedReward, ...]:
    order = {q.key: i for i, q in enumerate(REASONS)}
    ranked = []
    for reward in REWARDS:
        values = [answers[k] for k in reward.reasons]
        drivers = sorted(
            (k for k in reward.reasons if answers[k] >= TOP_REASON_MIN_LEVEL),
            key=lambda k: (-answers[k], order[k]),
        )
        ranked.append(RankedReward(reward.key, _pct(sum(values), len(values)), tuple(drivers)))
    # Stable sort: equal strengths keep the method's order of rewards.
    return tuple(sorted(ranked, key=lambda r: -r.strength_pct))


def business_case(
    answers: Mapping[str, int],
    readiness: Mapping[str, int],
    *,
    team_hours_per_year: float,
    key_min_hours_per_year: float,
    key_development_min_hours_per_year: float,
    managers: int,
    max_key_accounts_per_manager: int,
    capacity_share: float,
    current_key_accounts: int | None = None,
    current_key_development_accounts: int = 0,
) -> BusinessCase:
    """Turn the self-assessment and the team's capacity into the business case (section 7).

    ``answers`` maps each reason key to 0-4, ``readiness`` each readiness key to 0-4.
    Hours are per year; ``capacity_share`` is the share of team hours that key and key
    development accounts may take (1.0 = all). ``current_key_accounts`` is ``None`` when
    no review has placed the portfolio yet.

    Rules, in the order the next steps are listed:

    - the *side* that dominates is the one more than :data:`BALANCE_MARGIN_PCT` points
      ahead; the case is *strong* from :data:`STRONG_CASE_PCT`, *weak* below
      :data:`WEAK_CASE_PCT` of all ten reasons together;
    - weak case: do not roll out; look after the few customers who demand it, reassess;
    - readiness below :data:`READY_PCT` or no sponsor (sponsorship ≤ 1): a pilot of two or
      three key accounts with a named executive sponsor; otherwise a roll-out up to capacity;
    - each readiness answer ≤ :data:`OBSTACLE_LEVEL` is an obstacle with its own step;
    - more key accounts than capacity: cut the list (or add capacity);
    - the binding constraint names the lever: managers or hours;
    - no review yet: classify the portfolio; then lead with the dominant side.
    """
    validate_answers(answers, readiness)
    defensive = side_score_pct(answers, Side.DEFENSIVE)
    aggressive = side_score_pct(answers, Side.AGGRESSIVE)
    overall = _pct(sum(answers[q.key] for q in REASONS), len(REASONS))
    ready = side_score_pct(readiness, Side.READINESS)

    if abs(defensive - aggressive) <= BALANCE_MARGIN_PCT:
        dominant = Dominance.BALANCED
    elif defensive > aggressive:
        dominant = Dominance.DEFENSIVE
    else:
        dominant = Dominance.AGGRESSIVE
    if overall >= STRONG_CASE_PCT:
        strength = Strength.STRONG
    elif overall >= WEAK_CASE_PCT:
        strength = Strength.MODERATE
    else:
        strength = Strength.WEAK

    top = tuple(
        q.key
        for q in sorted(REASONS, key=lambda q: -answers[q.key])
        if answers[q.key] >= TOP_REASON_MIN_LEVEL
    )[:TOP_REASONS]

    capacity = key_account_capacity(
        team_hours_per_year=team_hours_per_year,
        capacity_share=capacity_share,
        key_min_hours_per_year=key_min_hours_per_year,
        key_development_min_hours_per_year=key_development_min_hours_per_year,
        managers=managers,
        max_key_accounts_per_manager=max_key_accounts_per_manager,
        current_key_accounts=current_key_accounts,
        current_key_development_accounts=current_key_development_accounts,
    )

    obstacles = [
        Finding(q.key, {"answer": readiness[q.key]})
        for q in READINESS
        if readiness[q.key] <= OBSTACLE_LEVEL
    ]
    if capacity.key_accounts == 0:
        obstacles.append(
            Finding("no_capacity", {"hours": round(capacity.usable_hours), "managers": managers})
        )
    if capacity.shortfall:
        obstacles.append(
            Finding(
                "capacity_shortfall",
                {
                    "current": capacity.current_key_accounts or 0,
                    "capacity": capacity.key_accounts,
                    "excess": capacity.shortfall,
                },
            )
        )

    steps: list[Finding] = []
    low_readiness = ready < READY_PCT or readiness["sponsorship"] <= OBSTACLE_LEVEL
    if strength is Strength.WEAK:
        steps.append(Finding("no_rollout", {"overall": round(overall)}))
    elif low_readiness:
        steps.append(Finding("pilot", {"low": PILOT_ACCOUNTS_LOW, "high": PILOT_ACCOUNTS_HIGH}))
    else:
        steps.append(Finding("roll_out", {"capacity": capacity.key_accounts}))
    step_for = {
        "sponsorship": "name_sponsor",
        "cross_functional": "form_core_teams",
        "profitability_data": "build_account_pl",
        "planning_discipline": "plan_discipline",
        "people": "develop_managers",
    }
    steps += [Finding(step_for[q.key]) for q in READINESS if readiness[q.key] <= OBSTACLE_LEVEL]
    if capacity.shortfall:
        steps.append(
            Finding(
                "cut_key_accounts",
                {
                    "current": capacity.current_key_accounts or 0,
                    "capacity": capacity.key_accounts,
                    "excess": capacity.shortfall,
                },
            )
        )
    if capacity.binding is Binding.MANAGERS and (
        capacity.by_hours is None or capacity.by_hours > capacity.by_managers
    ):
        steps.append(
            Finding(
                "add_managers",
                {
                    "by_hours": capacity.by_hours if capacity.by_hours is not None else -1,
                    "by_managers": capacity.by_managers,
                    "managers": managers,
                },
            )
        )
    elif capacity.binding is Binding.HOURS:
        steps.append(
            Finding(
                "free_hours",
                {"by_hours": capacity.by_hours or 0, "by_managers": capacity.by_managers},
            )
        )
    if current_key_accounts is None:
        steps.append(Finding("classify_portfolio"))
    if strength is not Strength.WEAK:
        lead = {
            Dominance.DEFENSIVE: "lead_defensive",
            Dominance.AGGRESSIVE: "lead_aggressive",
            Dominance.BALANCED: "lead_balanced",
        }[dominant]
        steps.append(Finding(lead))

    return BusinessCase(
        defensive_pct=defensive,
        aggressive_pct=aggressive,
        overall_pct=overall,
        readiness_pct=ready,
        dominant=dominant,
        strength=strength,
        top_reasons=top,
        rewards=_rank_rewards(answers),
        obstacles=tuple(obstacles),
        capacity=capacity,
        next_steps=tuple(steps),
    )


def answer_changes(before: Mapping[str, int], after: Mapping[str, int]) -> tuple[AnswerChange, ...]:
    """The questions (reasons and readiness, in the assessment's order) whose answer moved
    from ``before`` to ``after``; a question missing from either side is skipped."""
    return tuple(
        AnswerChange(q.key, q.side, before[q.key], after[q.key])
        for q in REASONS + READINESS
        if q.key in before and q.key in after and before[q.key] != after[q.key]
    )
