"""What a relationship finding costs, so the start page can rank them (docs/start.md).

A coverage finding (kam.core.relationships.coverage.findings) says how serious it is for the
account it is on: ``severity`` 3 (serious), 2 (warning) or 1 (note). The same gap costs
more on an account the portfolio invests in: the selection matrix gives key accounts the
most time and the most at stake (docs/method.md section 1, docs/method.md). So the cost of a
finding is

    cost = box weight × severity

with box weights key 4, key development 3, maintenance 2, opportunistic 1 and an account
not placed in the portfolio review 1. A decider nobody knows on a key account (severity 3)
costs 12; a missing function on an opportunistic account (severity 2) costs 2.

Equal costs are ordered by the box (key first), then the severity, then the kind of finding
in the method's order, then the account's name: a stable, explainable order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from kam.core.relationships.vocabulary import FindingKind
from kam.core.scoring import Box

BOX_WEIGHT: dict[str, int] = {
    Box.KEY.value: 4,
    Box.KEY_DEVELOPMENT.value: 3,
    Box.MAINTENANCE.value: 2,
    Box.OPPORTUNISTIC.value: 1,
}
"""Weight of each box; an account without a box weighs ``UNPLACED_WEIGHT``."""

UNPLACED_WEIGHT = 1

_BOX_ORDER = {b: i for i, b in enumerate(BOX_WEIGHT)}
_KIND_ORDER = {k.value: i for i, k in enumerate(FindingKind)}


def box_weight(box: str | None) -> int:
    """The weight of ``box`` (a ``Box`` value); 1 for an account that is not placed."""
    return BOX_WEIGHT.get(box or "", UNPLACED_WEIGHT)


def finding_cost(*, box: str | None, severity: int) -> int:
    """Box weight × severity (1-3): 1 to 12, higher costs more. See the module docstring."""
    if severity < 1:
        raise ValueError("severity is 1 (note), 2 (warning) or 3 (serious)")
    return box_weight(box) * severity


@dataclass(frozen=True)
class CostedFinding:
    """The inputs of the ranking for one finding: its box, severity, kind and account name."""

    box: str | None
    severity: int
    kind: str
    account_name: str

    @property
    def cost(self) -> int:
        return finding_cost(box=self.box, severity=self.severity)


def rank_key(f: CostedFinding) -> tuple[int, int, int, int, str]:
    """The sort key: cost (high first), box, severity, kind, account name."""
    return (
        -f.cost,
        _BOX_ORDER.get(f.box or "", len(_BOX_ORDER)),
        -f.severity,
        _KIND_ORDER.get(f.kind, len(_KIND_ORDER)),
        f.account_name.casefold(),
    )


T = TypeVar("T")


def rank_findings(items: Iterable[T], *, costed: Sequence[CostedFinding]) -> list[T]:
    """``items`` ordered by what they cost, most first; ``costed[i]`` describes ``items[i]``."""
    rows = list(items)
    if len(rows) != len(costed):
        raise ValueError("one CostedFinding per item")
    order = sorted(range(len(rows)), key=lambda i: rank_key(costed[i]))
    return [rows[i] for i in order]
