"""Scores from facts: a criterion bound to an account fact gets its 1-10 score by a rule.

docs/method.md section 1 scores attractiveness on criteria such as size, growth, margin and
payment behaviour; where the company's own data measures a criterion (section 6: the facts
computed from the invoice history), the score need not be guessed. A rule turns a fact's
value into a whole score from 1 to 10 in one of two ways:

- **thresholds**: ``k`` increasing cut points (1 ≤ k ≤ 9) split the values into ``k + 1``
  bands; band ``b`` (the number of cut points at or below the value, 0…k) scores
  ``1 + round(9·b / k)``, so the lowest band scores 1 and the highest 10. With nine cut
  points every band is one score.
- **percentiles**: the accounts that have the fact are ranked and scored by decile:
  ``1 + floor(10 · (rank − 1) / n)`` for ranks 1…n, ties sharing the lowest rank of their
  group (so equal values always score the same).

``higher_is_better = False`` turns either rule round (for ``recency_days`` or
``mean_days_late``, a low value is good). An account without the fact gets no score (0 in
the arrays here) and is left to the raters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from kam.core.scoring import gettext_noop

#: the facts a criterion can be bound to, with their unit (docs/method.md section 6)
FACTS: dict[str, str] = {
    "revenue_12m": gettext_noop("Revenue, last 12 months"),
    "revenue_prev_12m": gettext_noop("Revenue, the 12 months before"),
    "growth": gettext_noop("Revenue growth (ratio)"),
    "gross_margin_pct": gettext_noop("Gross margin, %"),
    "orders": gettext_noop("Orders, last 12 months"),
    "recency_days": gettext_noop("Days since the last purchase"),
    "mean_days_late": gettext_noop("Mean days paid late"),
    "share_of_wallet": gettext_noop("Share of wallet (ratio)"),
    "predicted_future_value": gettext_noop("Predicted future value"),
}

#: facts where less is better; a new binding starts with this direction
LOWER_IS_BETTER = frozenset({"recency_days", "mean_days_late"})

MAX_CUTS = 9


class RuleMethod(StrEnum):
    """How a fact's value becomes a score."""

    THRESHOLDS = "thresholds"
    PERCENTILES = "percentiles"


@dataclass(frozen=True)
class FactRule:
    """A criterion's binding: which fact, how it is scored, and which way is better."""

    fact: str
    method: RuleMethod
    cuts: tuple[float, ...] = ()
    higher_is_better: bool = True

    def as_json(self) -> dict[str, object]:
        """The rule as stored with the criterion (the fact is stored beside it)."""
        return {
            "method": self.method.value,
            "cuts": list(self.cuts),
            "higher_is_better": self.higher_is_better,
        }

    @classmethod
    def from_json(cls, fact: str, data: Mapping[str, object]) -> FactRule:
        """Rebuild a stored rule; raises ``FactRuleError`` when it breaks the rules."""
        method = str(data.get("method", ""))
        raw_cuts = data.get("cuts", [])
        cuts_list = raw_cuts if isinstance(raw_cuts, list | tuple) else []
        problems: list[str] = []
        if method not in RuleMethod.__members__.values():
            problems.append(gettext_noop("Choose thresholds or percentiles."))
            method = RuleMethod.PERCENTILES.value
        cuts: list[float] = []
        for value in cuts_list:
            try:
                cuts.append(float(value))
            except (TypeError, ValueError):
                problems.append(gettext_noop("Every cut point must be a number."))
                break
        rule = cls(
            fact=fact,
            method=RuleMethod(method),
            cuts=tuple(cuts),
            higher_is_better=bool(data.get("higher_is_better", True)),
        )
        problems += rule_problems(rule)
        if problems:
            raise FactRuleError(problems)
        return rule


class FactRuleError(ValueError):
    """A rule that cannot score; ``problems`` are message templates (translate them)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def rule_problems(rule: FactRule) -> list[str]:
    """What is wrong with a rule, as translatable messages (empty when it can score)."""
    problems: list[str] = []
    if rule.fact not in FACTS:
        problems.append(gettext_noop("Choose one of the listed facts."))
    if rule.method is RuleMethod.THRESHOLDS:
        if not 1 <= len(rule.cuts) <= MAX_CUTS:
            problems.append(gettext_noop("Give from 1 to 9 cut points, lowest first."))
        elif any(not math.isfinite(c) for c in rule.cuts):
            problems.append(gettext_noop("Every cut point must be a number."))
        elif any(b <= a for a, b in zip(rule.cuts, rule.cuts[1:], strict=False)):
            problems.append(gettext_noop("The cut points must increase strictly, lowest first."))
    elif rule.cuts:
        problems.append(gettext_noop("Percentile bands take no cut points; clear them."))
    return problems


def scores_from_fact(
    values: Sequence[float] | NDArray[np.float64], rule: FactRule
) -> NDArray[np.int64]:
    """Whole scores 1-10 for each value by the rule; 0 where the value is missing (NaN).

    Percentile bands are taken over the accounts given, so pass every account in the
    review's scope at once.
    """
    problems = rule_problems(rule)
    if problems:
        raise FactRuleError(problems)
    x = np.asarray(values, dtype=np.float64)
    out = np.zeros(x.shape, dtype=np.int64)
    known = np.isfinite(x)
    if not known.any():
        return out
    v = x[known] if rule.higher_is_better else -x[known]
    if rule.method is RuleMethod.THRESHOLDS:
        cuts = np.asarray(rule.cuts, dtype=np.float64)
        if rule.higher_is_better:
            band = np.searchsorted(cuts, v, side="right")
        else:
            # lower is better: a value at or below the lowest cut is the best band
            band = len(cuts) - np.searchsorted(cuts, -v, side="left")
        k = len(cuts)
        out[known] = 1 + np.floor(9 * band / k + 0.5).astype(np.int64)
    else:
        n = v.size
        # rank = 1 + number of values strictly below (ties share the lowest rank)
        order = np.sort(v)
        rank = np.searchsorted(order, v, side="left") + 1
        out[known] = 1 + np.floor(10 * (rank - 1) / n).astype(np.int64)
    return out
