"""A small hand-built ``PlanDocument`` for tests of anything that renders a plan (exports too).

``example_document()`` has one internal section (analysis), one internal item inside a shared
section, both owner sides in the actions, money and dates, so that a renderer's test sees
every shape the contract allows without a database.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kam.plans.document import (
    ActionDoc,
    ItemDoc,
    ObjectiveDoc,
    PlanDocument,
    ProfitPlanDoc,
    ProjectDoc,
    SectionDoc,
    ValuePropositionDoc,
)


def example_document() -> PlanDocument:
    """An approved internal plan for "Example Retail" in 2026 (see the module docstring)."""
    objective = ObjectiveDoc(
        ref="o1",
        kind="objective",
        title="Grow chilled soups",
        measure="Revenue in chilled soups",
        baseline="EUR 1.2 m",
        target="EUR 1.6 m",
        due_date=dt.date(2026, 12, 31),
        shared=True,
    )
    secret_objective = ObjectiveDoc(
        ref="o2",
        kind="objective",
        title="Raise our price 4 %",
        measure="Net price",
        baseline="",
        target="+4 %",
        due_date=None,
        shared=False,
    )
    proposition = ValuePropositionDoc(
        ref="v1",
        title="Fewer empty shelves",
        problem="Out of stock in soups 6 %",
        solution="Vendor-managed inventory",
        customer_impact="More sales per store",
        beneficiaries="Category manager, stores",
        measured_value=Decimal("240000.00"),
        measured_value_note="4 % more soup sales",
        our_reward="Listing of two new lines",
        confirmed=True,
        confirmed_by="Anna de Vries (category manager)",
        shared=True,
    )
    project = ProjectDoc(
        ref="p1",
        title="VMI pilot",
        objective="Out of stock below 2 %",
        investment=Decimal("40000.00"),
        expected_return=Decimal("120000.00"),
        milestones="Q1 data link; Q2 pilot in 20 stores",
        team="Supply chain, IT",
        shared=True,
    )
    actions = [
        ActionDoc(
            ref="a1",
            what="Send store-level sales data",
            owner_name="Anna de Vries",
            owner_side="theirs",
            owner_function="",
            due_date=dt.date(2026, 2, 1),
            status="open",
            status_label="Open",
            overdue=True,
            shared=True,
        ),
        ActionDoc(
            ref="a2",
            what="Cost the VMI set-up",
            owner_name="Piet Bakker",
            owner_side="ours",
            owner_function="Finance",
            due_date=dt.date(2026, 3, 1),
            status="in_progress",
            status_label="In progress",
            overdue=False,
            shared=False,
        ),
    ]
    sections = [
        SectionDoc(
            key="summary",
            title="Executive summary",
            shared=True,
            fields=[("Opportunity and objectives", "Grow soups with VMI.")],
            items=[],
        ),
        SectionDoc(
            key="analysis",
            title="Analysis",
            shared=False,
            fields=[("Their purchasing strategy", "Sees us as leverage.")],
            items=[],
        ),
        SectionDoc(
            key="objectives",
            title="Opportunities and objectives",
            shared=True,
            fields=[],
            items=[
                ItemDoc("objective", o.title, o.shared, [("Target", o.target)], o.ref)
                for o in (objective, secret_objective)
            ],
        ),
        SectionDoc(
            key="actions",
            title="Actions",
            shared=True,
            fields=[],
            items=[
                ItemDoc("action", a.what, a.shared, [("Who", a.owner_name)], a.ref) for a in actions
            ],
        ),
    ]
    return PlanDocument(
        account_name="Example Retail",
        account_box="Key",
        period_label="2026",
        version_label="Version 2",
        status="approved",
        status_label="Approved",
        approved_by="Maarten Jansen",
        approved_at=dt.datetime(2026, 1, 15, 10, 30, tzinfo=dt.UTC),
        language="en",
        organisation_name="Example Foods",
        currency="EUR",
        as_of=dt.date(2026, 2, 10),
        sections=sections,
        objectives=[objective, secret_objective],
        value_propositions=[proposition],
        projects=[project],
        actions=actions,
        profit_plan=ProfitPlanDoc(
            revenue_current=Decimal("4000000.00"),
            revenue_target=Decimal("4600000.00"),
            volume_current=Decimal("1800"),
            volume_target=Decimal("2050"),
            volume_unit="tonnes",
            margin_current_pct=Decimal("21.5"),
            margin_target_pct=Decimal("23.0"),
            investment=Decimal("60000.00"),
            expected_return=Decimal("150000.00"),
        ),
    )
