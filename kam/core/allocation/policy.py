"""Time for every customer (docs/method.md section 2): the accounts without response
judgements get their box policy's hours, given by the people who may serve them, before
the optimiser divides what is left over the judged accounts (docs/allocation.md).

``assign_policy_hours`` is a greedy, deterministic assignment: accounts in the order
given (the caller puts key accounts first), each account's hours first from its owner,
then from the other eligible people with the most hours left, never beyond a person's
hours left nor their function's cap left. What cannot be given is the account's shortfall,
with the same reasons as the optimiser's (``ShortfallReason``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from kam.core.allocation.problems import ShortfallReason

#: The caller's keys of accounts and of people.
A = TypeVar("A", bound=Hashable)
P = TypeVar("P", bound=Hashable)


@dataclass(frozen=True)
class PolicyAccount(Generic[A, P]):
    """An account planned by its box policy: the hours it should get, its owner (served
    first) and the other people who may serve it."""

    key: A
    hours: float
    owner: P | None = None
    team: Sequence[P] = ()


@dataclass
class PolicyAssignment(Generic[A, P]):
    """Hours per account given, hours per (person, account), what is left per person and
    per capped function, and why an account got less than its hours."""

    hours: dict[A, float] = field(default_factory=dict)
    person_hours: dict[tuple[P, A], float] = field(default_factory=dict)
    person_left: dict[P, float] = field(default_factory=dict)
    function_left: dict[str, float] = field(default_factory=dict)
    shortfalls: dict[A, ShortfallReason] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """All hours given to policy accounts."""
        return float(sum(self.hours.values()))


def assign_policy_hours(
    accounts: Sequence[PolicyAccount[A, P]],
    *,
    capacity: Mapping[P, float],
    functions: Mapping[P, str],
    function_caps: Mapping[str, float] | None = None,
) -> PolicyAssignment[A, P]:
    """Give each account its hours from the people who may serve it (see the module).

    ``capacity``: hours per person (only these people serve); ``functions``: each
    person's function; ``function_caps``: the most hours of a function's people together.
    """
    caps = dict(function_caps or {})
    out: PolicyAssignment[A, P] = PolicyAssignment(
        person_left={p: float(h) for p, h in capacity.items()},
        function_left={f: float(h) for f, h in caps.items()},
    )

    def room(person: P) -> float:
        left = out.person_left[person]
        f = functions.get(person)
        if f in out.function_left:
            left = min(left, out.function_left[f])
        return max(left, 0.0)

    for account in accounts:
        wanted = float(account.hours)
        people: list[P] = []
        if account.owner is not None and account.owner in capacity:
            people.append(account.owner)
        others = [p for p in dict.fromkeys(account.team) if p in capacity and p not in people]
        # The others: the most hours left first, then by key so the order is fixed.
        others.sort(key=lambda p: (-room(p), str(p)))
        people.extend(others)
        given = 0.0
        for person in people:
            if given >= wanted:
                break
            h = min(wanted - given, room(person))
            if h <= 0:
                continue
            out.person_left[person] -= h
            f = functions.get(person)
            if f in out.function_left:
                out.function_left[f] -= h
            out.person_hours[(person, account.key)] = h
            given += h
        out.hours[account.key] = given
        if given < wanted - 1e-9:
            out.shortfalls[account.key] = (
                ShortfallReason.NO_ELIGIBLE_PERSON
                if not people
                else ShortfallReason.ELIGIBLE_CAPACITY
            )
    return out
