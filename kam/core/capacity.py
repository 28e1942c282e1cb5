"""Never too many key accounts (kam-method.md section 1, with the box policies of section 2).

Three checks, each with a configurable limit:

1. the minimum yearly hours that the box policies promise to key and key development
   accounts, against the team's yearly capacity (times an allowed share);
2. key accounts per key account manager (default at most 4);
3. key accounts for the whole company (default at most 50; 15-35 is common).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from kam.core.scoring import Box


@dataclass(frozen=True)
class BoxPolicy:
    """Yearly hours an account of a box gets at least and at most, and its review cadence."""

    min_hours_per_year: float
    max_hours_per_year: float
    review_cadence_months: int = 12


@dataclass(frozen=True)
class CapacityLimits:
    """The thresholds of the three checks."""

    max_key_accounts: int = 50
    max_key_accounts_per_manager: int = 4
    capacity_share: float = 1.0


class WarningCode(StrEnum):
    CAPACITY = "capacity"
    PER_MANAGER = "per_manager"
    COMPANY = "company"


@dataclass(frozen=True)
class CapacityWarning:
    """One broken limit: what was found (``observed``) against the ``limit``.

    ``manager`` names the key account manager for ``per_manager`` warnings.
    """

    code: WarningCode
    observed: float
    limit: float
    manager: Hashable | None = None


@dataclass(frozen=True)
class CapacityCheck:
    """The numbers behind the checks, and the warnings they raise."""

    key_accounts: int
    key_development_accounts: int
    hours_needed: float
    hours_available: float
    key_accounts_per_manager: Mapping[Hashable, int]
    warnings: tuple[CapacityWarning, ...]


def check_key_account_capacity(
    *,
    boxes: Sequence[str | None],
    owners: Sequence[Hashable | None],
    policies: Mapping[str, BoxPolicy],
    team_hours_per_year: float,
    limits: CapacityLimits = CapacityLimits(),
) -> CapacityCheck:
    """Check a portfolio (one box and one owner per account) against the three limits.

    ``hours_needed`` is the policy minimum of each key and key development account, summed;
    ``hours_available`` is the team's yearly capacity times ``limits.capacity_share``.
    Accounts without a box or without an owner count where they can.
    """
    if len(boxes) != len(owners):
        raise ValueError("boxes and owners must have one entry per account")
    counts = Counter(b for b in boxes if b is not None)
    n_key = counts[Box.KEY.value]
    n_dev = counts[Box.KEY_DEVELOPMENT.value]
    needed = 0.0
    for box in (Box.KEY, Box.KEY_DEVELOPMENT):
        policy = policies.get(box.value)
        if policy is not None:
            needed += counts[box.value] * policy.min_hours_per_year
    available = team_hours_per_year * limits.capacity_share
    per_manager = Counter(
        owner
        for box, owner in zip(boxes, owners, strict=True)
        if box == Box.KEY.value and owner is not None
    )
    warnings: list[CapacityWarning] = []
    if needed > available:
        warnings.append(CapacityWarning(WarningCode.CAPACITY, needed, available))
    for manager, count in sorted(per_manager.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        if count > limits.max_key_accounts_per_manager:
            warnings.append(
                CapacityWarning(
                    WarningCode.PER_MANAGER, count, limits.max_key_accounts_per_manager, manager
                )
            )
    if n_key > limits.max_key_accounts:
        warnings.append(CapacityWarning(WarningCode.COMPANY, n_key, limits.max_key_accounts))
    return CapacityCheck(
        key_accounts=n_key,
        key_development_accounts=n_dev,
        hours_needed=needed,
        hours_available=available,
        key_accounts_per_manager=dict(per_manager),
        warnings=tuple(warnings),
    )
