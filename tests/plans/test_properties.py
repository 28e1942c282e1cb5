"""Invariants of the comparison and of the customer's view, for any input (hypothesis)."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from kam.plans.compare import plan_compare, text_diff
from kam.plans.document import SECTION_KEYS, ItemDoc, PlanDocument, SectionDoc
from tests.plans.document_factory import example_document

words = st.lists(
    st.sampled_from(["soup", "sauce", "97 %", "EUR", "1.6", "m", "\n", "the", "DC"]), max_size=25
)


@given(words, words)
def test_text_diff_rebuilds_old_and_new(a, b):
    old, new = " ".join(a), " ".join(b)
    segments = text_diff(old, new)
    assert "".join(s.text for s in segments if s.op != "insert") == old
    assert "".join(s.text for s in segments if s.op != "delete") == new


items = st.builds(
    ItemDoc,
    kind=st.sampled_from(["objective", "project", "action"]),
    title=st.text(min_size=1, max_size=12),
    shared=st.booleans(),
    fields=st.lists(st.tuples(st.sampled_from(["Target", "Due"]), st.text(max_size=8)), max_size=2),
    ref=st.uuids().map(str),
)
sections = st.lists(
    st.builds(
        SectionDoc,
        key=st.sampled_from(SECTION_KEYS),
        title=st.text(min_size=1, max_size=10),
        shared=st.booleans(),
        fields=st.lists(
            st.tuples(st.text(min_size=1, max_size=6), st.text(max_size=8)), max_size=2
        ),
        items=st.lists(items, max_size=4),
    ),
    max_size=5,
    unique_by=lambda s: s.key,
)


@given(sections)
def test_customer_view_keeps_only_shared_and_is_idempotent(secs):
    doc = dataclasses.replace(example_document(), sections=secs)
    view = doc.for_customer()
    assert all(s.shared for s in view.sections)
    assert all(i.shared for s in view.sections for i in s.items)
    assert view.for_customer() == view
    assert PlanDocument.from_snapshot(view.to_snapshot()) == view


@given(sections)
def test_a_document_compared_with_itself_has_no_changes(secs):
    doc = dataclasses.replace(example_document(), sections=secs)
    comparison = plan_compare(old=doc, new=doc)
    assert comparison.counts == {"added": 0, "removed": 0, "changed": 0}
