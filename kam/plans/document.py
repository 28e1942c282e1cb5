"""A key account plan as it is presented: plain frozen dataclasses, no Django models.

This is the contract between the plans app and everything that renders a plan (the plan
page, the version comparison, the PDF and PowerPoint exports in ``kam.reports``). A
``PlanDocument`` holds the text exactly as a reader sees it (labels already translated in
``language``), plus structured lists for the parts an export draws as tables or charts
(objectives, value propositions, projects, actions, the profit plan).

Two audiences (docs/method.md section 5, joint planning):

- ``"internal"``: everything in the plan;
- ``"customer"``: only sections marked shared, and in them only items marked shared. An
  internal section disappears completely (not even its title), as do internal items in a
  shared section and the profit plan unless its section is shared.

Approved versions store ``PlanDocument.to_snapshot()`` (JSON-safe) and rebuild it with
``PlanDocument.from_snapshot(data)``, so that old versions are compared and exported from
what was approved, not from today's rows. ``for_customer()`` filters a rebuilt snapshot in
the same way as a live plan.

Money is ``Decimal`` in ``PlanDocument.currency``; percentages are percent (12.5 = 12.5 %).

Build a document from the database with ``plan_document(plan=..., audience=...)`` or
``plan_document(version=..., audience=...)`` of ``kam.plans.selectors`` (a read: this
module holds the types only, so that the selectors import it and not the other way round).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

Audience = Literal["internal", "customer"]
OwnerSide = Literal["ours", "theirs"]

SNAPSHOT_FORMAT = 1

# The sections of the method's plan, in the order a plan presents them (docs/method.md
# section 5). Keys are stable: templates, sharing flags and snapshots refer to them.
SECTION_KEYS: tuple[str, ...] = (
    "team",
    "summary",
    "profit_plan",
    "analysis",
    "objectives",
    "value_propositions",
    "projects",
    "resources",
    "actions",
)


@dataclass(frozen=True)
class ItemDoc:
    """One item of a section (an objective, a value proposition, a project, an action ...).

    ``kind`` is the item type (``objective``, ``opportunity``, ``value_proposition``,
    ``project``, ``resource``, ``action``, ``team_member``); ``fields`` are (label, text)
    pairs in reading order, empty texts left out; ``ref`` is a stable id carried across
    versions and periods, which the version comparison matches items on.
    """

    kind: str
    title: str
    shared: bool
    fields: list[tuple[str, str]]
    ref: str = ""


@dataclass(frozen=True)
class SectionDoc:
    """One section of the plan with its own (label, text) fields and its items."""

    key: str
    title: str
    shared: bool
    fields: list[tuple[str, str]]
    items: list[ItemDoc]


@dataclass(frozen=True)
class ObjectiveDoc:
    """An opportunity or objective with its measure, baseline and target (section 5)."""

    ref: str
    kind: str  # "objective" or "opportunity"
    title: str
    measure: str
    baseline: str
    target: str
    due_date: dt.date | None
    shared: bool


@dataclass(frozen=True)
class ValuePropositionDoc:
    """A value proposition: problem, solution, impact, who benefits, measured value, reward.

    ``measured_value`` is money per year for the customer in the plan's currency (None when
    not quantified); ``confirmed`` says whether the customer has confirmed the value, and
    ``confirmed_by`` who at the customer did.
    """

    ref: str
    title: str
    problem: str
    solution: str
    customer_impact: str
    beneficiaries: str
    measured_value: Decimal | None
    measured_value_note: str
    our_reward: str
    confirmed: bool
    confirmed_by: str
    shared: bool


@dataclass(frozen=True)
class ProjectDoc:
    """A project: objective, investment and expected return (money), milestones, team."""

    ref: str
    title: str
    objective: str
    investment: Decimal | None
    expected_return: Decimal | None
    milestones: str
    team: str
    shared: bool


@dataclass(frozen=True)
class ActionDoc:
    """One line of the implementation timetable: what, who (our side or theirs), when, status.

    ``owner_side`` is ``"ours"`` for a commitment of our own people (``owner_function`` is
    their function's label) and ``"theirs"`` for a person at the customer. ``overdue`` is
    judged on the document's ``as_of`` date: due before it and not done or dropped.
    """

    ref: str
    what: str
    owner_name: str
    owner_side: OwnerSide
    owner_function: str
    due_date: dt.date | None
    status: str
    status_label: str
    overdue: bool
    shared: bool


@dataclass(frozen=True)
class ProfitPlanDoc:
    """Current and target revenue, volume and profitability; investment and expected return.

    Money in the document's currency, margins in percent, volume in ``volume_unit``.
    Return on investment = (expected return − investment) ÷ investment (section 5 and 6).
    """

    revenue_current: Decimal | None
    revenue_target: Decimal | None
    volume_current: Decimal | None
    volume_target: Decimal | None
    volume_unit: str
    margin_current_pct: Decimal | None
    margin_target_pct: Decimal | None
    investment: Decimal | None
    expected_return: Decimal | None

    @property
    def return_on_investment(self) -> Decimal | None:
        """(expected return − investment) ÷ investment, a ratio (0.5 = 50 %); None if unknown."""
        if self.investment is None or self.expected_return is None or self.investment == 0:
            return None
        return (self.expected_return - self.investment) / self.investment

    @property
    def revenue_growth(self) -> Decimal | None:
        """Target ÷ current revenue − 1, a ratio; None when either is unknown or current is 0."""
        if self.revenue_current in (None, 0) or self.revenue_target is None:
            return None
        assert self.revenue_current is not None
        return self.revenue_target / self.revenue_current - 1


@dataclass(frozen=True)
class ConversationCellDoc:
    """Conversations on one objective with the contacts holding one buying role.

    ``count`` is the number of activities tied to the objective in which at least one
    contact with ``role`` took part; ``last_date`` the latest of them; ``people`` the
    names of those contacts, the most recently met first.
    """

    role: str
    count: int = 0
    last_date: dt.date | None = None
    people: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ConversationRowDoc:
    """One objective or value proposition of the plan and the conversations held on it.

    ``code`` is the short code activity imports and calendars name it by (docs/plans.md,
    "The right conversation"); ``count`` and ``last_date`` cover every activity tied to
    it (with or without contacts on file); ``cells`` follow the grid's ``roles``;
    ``no_decider`` flags an objective with no conversation with a decider who is still
    at the customer.
    """

    ref: str
    code: str
    kind: str
    title: str
    shared: bool
    count: int
    last_date: dt.date | None
    cells: list[ConversationCellDoc]
    no_decider: bool


@dataclass(frozen=True)
class ConversationGridDoc:
    """The plan's objectives × the buying roles of the decision-making unit (section 0's
    third question, "are we having the right conversation?", and section 3).

    ``roles`` are (code, label) pairs, the grid's columns; ``deciders`` counts the
    account's contacts with the decider role still at the customer; ``activities`` the
    activities on the account in the plan's period up to ``as_of`` and ``untied`` those
    of them tied to no objective or value proposition.
    """

    roles: list[tuple[str, str]]
    rows: list[ConversationRowDoc]
    deciders: int = 0
    activities: int = 0
    untied: int = 0
    as_of: dt.date | None = None


@dataclass(frozen=True)
class PlanDocument:
    """A whole plan for one account and one period, as one audience sees it.

    ``status`` is the code (``draft``, ``in_review``, ``approved``) and ``status_label``
    its translated label; ``approved_by``/``approved_at`` are empty/None until a version is
    approved; ``account_box`` is the translated box label ("" when the account is not
    placed); ``as_of`` is the date the document was made (overdue flags refer to it).
    ``conversations`` is the grid of objectives × buying roles (internal only; None in the
    customer's document and in versions approved before the grid existed).
    """

    account_name: str
    account_box: str
    period_label: str
    version_label: str
    status: str
    approved_by: str
    approved_at: dt.datetime | None
    sections: list[SectionDoc]
    language: str = ""
    audience: Audience = "internal"
    status_label: str = ""
    organisation_name: str = ""
    currency: str = "EUR"
    as_of: dt.date | None = None
    objectives: list[ObjectiveDoc] = field(default_factory=list)
    value_propositions: list[ValuePropositionDoc] = field(default_factory=list)
    projects: list[ProjectDoc] = field(default_factory=list)
    actions: list[ActionDoc] = field(default_factory=list)
    profit_plan: ProfitPlanDoc | None = None
    conversations: ConversationGridDoc | None = None

    # -- the customer's view -------------------------------------------------------------

    def shared_section_keys(self) -> set[str]:
        return {s.key for s in self.sections if s.shared}

    def for_customer(self) -> PlanDocument:
        """The same plan with only shared sections and, in them, only shared items."""
        shared = self.shared_section_keys()
        sections = [
            dataclasses.replace(s, items=[i for i in s.items if i.shared])
            for s in self.sections
            if s.shared
        ]
        return dataclasses.replace(
            self,
            audience="customer",
            sections=sections,
            objectives=[o for o in self.objectives if o.shared and "objectives" in shared],
            value_propositions=[
                v for v in self.value_propositions if v.shared and "value_propositions" in shared
            ],
            projects=[p for p in self.projects if p.shared and "projects" in shared],
            actions=[a for a in self.actions if a.shared and "actions" in shared],
            profit_plan=self.profit_plan if "profit_plan" in shared else None,
            # Who we talk to and which decider we miss is our politics: never shared.
            conversations=None,
        )

    def section(self, key: str) -> SectionDoc | None:
        return next((s for s in self.sections if s.key == key), None)

    # -- snapshots -----------------------------------------------------------------------

    def to_snapshot(self) -> dict[str, Any]:
        """A JSON-safe dict (dates ISO, money as decimal strings) that ``from_snapshot`` reads."""
        data = _dump(self)
        assert isinstance(data, dict)
        data["format"] = SNAPSHOT_FORMAT
        return data

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> PlanDocument:
        """Rebuild a document from ``to_snapshot()`` output (unknown keys are ignored)."""
        doc = _load(cls, data)
        assert isinstance(doc, PlanDocument)
        return doc


# -- JSON conversion driven by the type hints --------------------------------------------


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_dump(v) for v in value]
    return value


def _load(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _load(args[0], value)
    if origin is Literal:
        return value
    if origin is list:
        (inner,) = typing.get_args(tp)
        return [_load(inner, v) for v in value or []]
    if origin is tuple:
        return tuple(_load(a, v) for a, v in zip(typing.get_args(tp), value, strict=True))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in value:
                kwargs[f.name] = _load(hints[f.name], value[f.name])
        return tp(**kwargs)
    if tp is Decimal:
        return None if value is None else Decimal(str(value))
    if tp is dt.datetime:
        return None if value is None else dt.datetime.fromisoformat(value)
    if tp is dt.date:
        return None if value is None else dt.date.fromisoformat(value)
    return value
