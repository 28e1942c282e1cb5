"""The plan document contract: snapshots round-trip, the customer sees only what is shared."""

from __future__ import annotations

import json
from decimal import Decimal

from kam.plans.document import PlanDocument
from tests.plans.document_factory import example_document


def test_snapshot_round_trips_through_json() -> None:
    doc = example_document()
    data = json.loads(json.dumps(doc.to_snapshot()))
    assert PlanDocument.from_snapshot(data) == doc


def test_customer_view_drops_internal_sections_items_and_profit_plan() -> None:
    doc = example_document().for_customer()
    assert doc.audience == "customer"
    assert [s.key for s in doc.sections] == ["summary", "objectives", "actions"]
    titles = [i.title for s in doc.sections for i in s.items]
    assert "Raise our price 4 %" not in titles
    assert "Cost the VMI set-up" not in titles
    assert [o.ref for o in doc.objectives] == ["o1"]
    assert [a.ref for a in doc.actions] == ["a1"]
    assert doc.profit_plan is None
    assert "Sees us as leverage." not in json.dumps(doc.to_snapshot())


def test_return_on_investment() -> None:
    profit = example_document().profit_plan
    assert profit is not None
    # (150 000 - 60 000) / 60 000 = 1.5
    assert profit.return_on_investment == Decimal("1.5")
    assert profit.revenue_growth == Decimal("0.15")
