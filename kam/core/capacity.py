"""Never too many key accounts (docs/method.md section 1, with the box policies of section 2).

Three checks, each with a configurable limit:

1. the minimum yearly hours that the box policies promise to key and key development
   accounts, against the team's yearly capacity (times an allowed share);
2. key and key development accounts per key account manager (default at most 4; which
   boxes count is configurable, key only or key and key development, the default: the
   method's "one to four key accounts per key account manager" checks "the number of key
   (and key development) accounts");
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


#: The boxes counted against the per-manager limit by default: key and key development.
PER_MANAGER_BOXES_DEFAULT: tuple[str, ...] = (Box.KEY.value, Box.KEY_DEVELOPMENT.value)


@dataclass(frozen=True)
class CapacityLimits:
    """The thresholds of the three checks; ``per_manager_boxes`` are the boxes (values) whose
    accounts count against ``max_key_accounts_per_manager``."""

    max_key_accounts: int = 50
    max_key_accounts_per_manager: int = 4
    capacity_share: float = 1.0
    per_manager_boxes: tuple[str, ...] = PER_MANAGER_BOXES_DEFAULT


class WarningCode(StrEnum):
    CAPACITY = "capacity"
    PER_MANAGER = "per_manager"
    COMPANY = "company"


@dataclass(frozen=True)
class CapacityWarning:
    """One broken limit: what was found (``observed``) against the ``limit``.

    ``manager`` names the key account manager for ``per_manager`` warnings, and ``accounts``
    the accounts counted against that manager (as given to the check, in input order).
    """

    code: WarningCode
    observed: float
    limit: float
    manager: Hashable | None = None
    accounts: tuple[Hashable, ...] = ()


@dataclass(frozen=True)
class CapacityCheck:
    """The numbers behind the checks, and the warnings they raise.

    ``key_accounts_per_manager`` counts, per owner, the accounts in ``per_manager_boxes``
    (key and key development by default; the name is kept from when only key accounts
    counted).
    """

    key_accounts: int
    key_development_accounts: int
    hours_needed: float
    hours_available: float
    key_accounts_per_manager: Mapping[Hashable, int]
    warnings: tuple[CapacityWarning, ...]
    per_manager_boxes: tuple[str, ...] = PER_MANAGER_BOXES_DEFAULT


def check_key_account_capacity(
    *,
    boxes: Sequence[str | None],
    owners: Sequence[Hashable | None],
    policies: Mapping[str, BoxPolicy],
    team_hours_per_year: float,
    limits: CapacityLimits = CapacityLimits(),
    accounts: Sequence[Hashable] | None = None,
) -> CapacityCheck:
    """Check a portfolio (one box and one owner per account) against the three limits.

    ``hours_needed`` is the policy minimum of each key and key development account, summed;
    ``hours_available`` is the team's yearly capacity times ``limits.capacity_share``.
    Per manager, the accounts whose box is in ``limits.per_manager_boxes`` count; a
    ``per_manager`` warning carries those accounts (``accounts``: one id or name per
    account, optional). Accounts without a box or without an owner count where they can.
    """
    if len(boxes) != len(owners):
        raise ValueError("boxes and owners must have one entry per account")
    if accounts is not None and len(accounts) != len(boxes):
        raise ValueError("accounts must have one entry per account")
    counts = Counter(b for b in boxes if b is not None)
    n_key = counts[Box.KEY.value]
    n_dev = counts[Box.KEY_DEVELOPMENT.value]
    needed = 0.0
    for box in (Box.KEY, Box.KEY_DEVELOPMENT):
        policy = policies.get(box.value)
        if policy is not None:
            needed += counts[box.value] * policy.min_hours_per_year
    available = team_hours_per_year * limits.capacity_share
    counted = set(limits.per_manager_boxes)
    carried: dict[Hashable, list[Hashable]] = {}
    per_manager: Counter[Hashable] = Counter()
    for i, (account_box, owner) in enumerate(zip(boxes, owners, strict=True)):
        if account_box in counted and owner is not None:
            per_manager[owner] += 1
            if accounts is not None:
                carried.setdefault(owner, []).append(accounts[i])
    warnings: list[CapacityWarning] = []
    if needed > available:
        warnings.append(CapacityWarning(WarningCode.CAPACITY, needed, available))
    for manager, count in sorted(per_manager.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        if count > limits.max_key_accounts_per_manager:
            warnings.append(
                CapacityWarning(
                    WarningCode.PER_MANAGER,
                    count,
                    limits.max_key_accounts_per_manager,
                    manager,
                    tuple(carried.get(manager, ())),
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
        per_manager_boxes=tuple(b for b in limits.per_manager_boxes),
    )
