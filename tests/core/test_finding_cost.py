"""The ranking of findings by what they cost (docs/start.md): box weight × severity."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kam.core.finding_cost import CostedFinding, finding_cost, rank_findings
from kam.core.relationships.vocabulary import FindingKind

BOXES = ["key", "key_development", "maintenance", "opportunistic", ""]
KINDS = [k.value for k in FindingKind]


def test_hand_worked_costs() -> None:
    # A decider nobody knows on a key account: weight 4 × severity 3.
    assert finding_cost(box="key", severity=3) == 12
    # A missing function (severity 2) on an opportunistic account: 1 × 2.
    assert finding_cost(box="opportunistic", severity=2) == 2
    assert finding_cost(box="key_development", severity=2) == 6
    assert finding_cost(box="maintenance", severity=1) == 2
    # Not placed weighs like opportunistic.
    assert finding_cost(box="", severity=3) == 3
    assert finding_cost(box=None, severity=1) == 1


def test_refuses_a_severity_below_one() -> None:
    with pytest.raises(ValueError):
        finding_cost(box="key", severity=0)


def test_decider_on_key_account_ranks_before_missing_function_on_opportunistic() -> None:
    missing = CostedFinding("opportunistic", 2, "missing_function", "Aardvark BV")
    decider = CostedFinding("key", 3, "uncovered_decider", "Zeta NV")
    assert rank_findings(["missing", "decider"], costed=[missing, decider]) == [
        "decider",
        "missing",
    ]


def test_ties_go_to_the_bigger_box_then_severity_then_kind_then_name() -> None:
    # Both cost 6: key development × 2 and maintenance × 3; the better box first.
    a = CostedFinding("maintenance", 3, "uncovered_decider", "A")
    b = CostedFinding("key_development", 2, "bow_tie", "B")
    assert rank_findings(["a", "b"], costed=[a, b]) == ["b", "a"]
    # Same box and severity: the method's order of kinds, then the name.
    c = CostedFinding("key", 2, "not_met", "A")
    d = CostedFinding("key", 2, "uncovered_decider", "Z")
    e = CostedFinding("key", 2, "uncovered_decider", "B")
    assert rank_findings(["c", "d", "e"], costed=[c, d, e]) == ["e", "d", "c"]


def test_one_costed_finding_per_item() -> None:
    with pytest.raises(ValueError):
        rank_findings([1, 2], costed=[CostedFinding("key", 1, "bow_tie", "A")])


@given(
    severity=st.integers(1, 3),
    kind=st.sampled_from(KINDS),
    other=st.sampled_from(BOXES[1:]),
    name_key=st.text(max_size=5),
    name_other=st.text(max_size=5),
)
def test_same_finding_on_a_key_account_never_ranks_below_it_elsewhere(
    severity: int, kind: str, other: str, name_key: str, name_other: str
) -> None:
    on_key = CostedFinding("key", severity, kind, name_key)
    elsewhere = CostedFinding(other, severity, kind, name_other)
    assert rank_findings(["key", "other"], costed=[on_key, elsewhere])[0] == "key"
    assert rank_findings(["other", "key"], costed=[elsewhere, on_key])[0] == "key"


@given(
    box=st.sampled_from(BOXES),
    low=st.integers(1, 3),
    high=st.integers(1, 3),
)
def test_a_more_serious_finding_never_costs_less_on_the_same_box(
    box: str, low: int, high: int
) -> None:
    low, high = min(low, high), max(low, high)
    assert finding_cost(box=box, severity=high) >= finding_cost(box=box, severity=low)


@given(st.lists(st.tuples(st.sampled_from(BOXES), st.integers(1, 3), st.sampled_from(KINDS))))
def test_ranking_is_by_cost_descending(rows: list[tuple[str, int, str]]) -> None:
    costed = [CostedFinding(b, s, k, str(i)) for i, (b, s, k) in enumerate(rows)]
    ranked = rank_findings(costed, costed=costed)
    costs = [c.cost for c in ranked]
    assert costs == sorted(costs, reverse=True)
    assert sorted(ranked, key=lambda c: c.account_name) == sorted(
        costed, key=lambda c: c.account_name
    )
