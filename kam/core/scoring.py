"""Scoring schemes: criteria, weights, anchors and cut lines (kam-method.md section 1).

A scheme has two axes. *Customer attractiveness* uses 3-7 criteria the supplier picks;
*our strength* uses the customer's own buying criteria with the customer's weights. On
each axis the weights are whole numbers that sum to 100, so an axis score
``Σ wᵢ·sᵢ / 100`` of scores ``sᵢ`` in 1-10 is itself in 1-10.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

MIN_ATTRACTIVENESS_CRITERIA = 3
MAX_ATTRACTIVENESS_CRITERIA = 7
MAX_STRENGTH_CRITERIA = 12
WEIGHT_TOTAL = 100
ANCHOR_SCORES = (2, 5, 8)


class Box(StrEnum):
    """The four boxes, in the order kam uses for arrays of probabilities."""

    KEY = "key"
    KEY_DEVELOPMENT = "key_development"
    MAINTENANCE = "maintenance"
    OPPORTUNISTIC = "opportunistic"


BOXES: tuple[Box, ...] = tuple(Box)


class SchemeError(ValueError):
    """A scheme that breaks the method's rules; ``problems`` says what to fix, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SchemeProblem:
    """One rule a scheme breaks, located so that an editor or a file check can point at it.

    ``axis`` is ``"attractiveness"`` or ``"strength"``; ``key`` the criterion's key, or
    None for the axis as a whole; ``field`` one of ``criteria``, ``key``, ``weight``,
    ``anchors``, ``cut``, ``cut_relative``, ``cut_absolute``; ``message`` says what to fix.
    """

    axis: str
    key: str | None
    field: str
    message: str


@dataclass(frozen=True)
class Criterion:
    """One criterion: a stable ``key``, a display ``name``, a whole-number ``weight`` of 100.

    ``anchors`` maps 2, 5 and 8 to what that score means, so that raters score alike.
    """

    key: str
    name: str
    weight: int
    anchors: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scheme:
    """Criteria of both axes and the cut lines that split each axis (defaults of the method).

    ``strength_cut_relative`` applies to ``S_us / S_comp``; ``strength_cut_absolute`` to
    ``S_us`` when competitor scores are incomplete. A point exactly on a line belongs to
    the upper box.
    """

    attractiveness: tuple[Criterion, ...]
    strength: tuple[Criterion, ...]
    attractiveness_cut: float = 5.0
    strength_cut_relative: float = 1.0
    strength_cut_absolute: float = 5.0

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """All criteria, attractiveness first, in the column order kam's arrays use."""
        return self.attractiveness + self.strength

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.criteria)

    def problems(self, *, require_anchors: bool = False) -> list[str]:
        """Every rule the scheme breaks, as sentences a user can act on; empty when valid."""
        return [p.message for p in self.problem_details(require_anchors=require_anchors)]

    def problem_details(self, *, require_anchors: bool = False) -> list[SchemeProblem]:
        """As ``problems``, with the axis, criterion and field each problem is about."""
        out: list[SchemeProblem] = []
        n_a = len(self.attractiveness)
        if not MIN_ATTRACTIVENESS_CRITERIA <= n_a <= MAX_ATTRACTIVENESS_CRITERIA:
            out.append(
                SchemeProblem(
                    "attractiveness",
                    None,
                    "criteria",
                    f"Attractiveness needs {MIN_ATTRACTIVENESS_CRITERIA} to "
                    f"{MAX_ATTRACTIVENESS_CRITERIA} criteria; it has {n_a}.",
                )
            )
        n_s = len(self.strength)
        if not 1 <= n_s <= MAX_STRENGTH_CRITERIA:
            out.append(
                SchemeProblem(
                    "strength",
                    None,
                    "criteria",
                    f"Strength needs 1 to {MAX_STRENGTH_CRITERIA} of the customer's buying "
                    f"criteria; it has {n_s}.",
                )
            )
        for axis, criteria in (
            ("attractiveness", self.attractiveness),
            ("strength", self.strength),
        ):
            label = axis.capitalize()
            for c in criteria:
                if not c.key.strip():
                    out.append(
                        SchemeProblem(
                            axis, c.key, "key", f"{label}: criterion '{c.name}' has no key."
                        )
                    )
                if isinstance(c.weight, bool) or not isinstance(c.weight, int):
                    out.append(
                        SchemeProblem(
                            axis,
                            c.key,
                            "weight",
                            f"{label}: the weight of '{c.key}' must be a whole number.",
                        )
                    )
                elif c.weight < 1:
                    out.append(
                        SchemeProblem(
                            axis,
                            c.key,
                            "weight",
                            f"{label}: the weight of '{c.key}' must be at least 1.",
                        )
                    )
                if require_anchors:
                    lacking = [s for s in ANCHOR_SCORES if not str(c.anchors.get(s, "")).strip()]
                    if lacking:
                        scores = ", ".join(str(s) for s in lacking)
                        out.append(
                            SchemeProblem(
                                axis,
                                c.key,
                                "anchors",
                                f"{label}: '{c.key}' needs anchors for the scores {scores}.",
                            )
                        )
            if criteria and all(
                isinstance(c.weight, int) and not isinstance(c.weight, bool) for c in criteria
            ):
                total = sum(c.weight for c in criteria)
                if total != WEIGHT_TOTAL:
                    out.append(
                        SchemeProblem(
                            axis,
                            None,
                            "weight",
                            f"{label} weights add up to {total}; they must add up to "
                            f"{WEIGHT_TOTAL} ({'remove' if total > WEIGHT_TOTAL else 'add'} "
                            f"{abs(total - WEIGHT_TOTAL)}).",
                        )
                    )
        seen: set[str] = set()
        reported: set[str] = set()
        uses = Counter(c.key for c in self.criteria)
        for axis, criteria in (
            ("attractiveness", self.attractiveness),
            ("strength", self.strength),
        ):
            for c in criteria:
                if c.key in seen and c.key not in reported:
                    out.append(
                        SchemeProblem(
                            axis,
                            c.key,
                            "key",
                            f"The key '{c.key}' is used "
                            f"{'twice' if uses[c.key] == 2 else f'{uses[c.key]} times'}; "
                            "every criterion needs its own key.",
                        )
                    )
                    reported.add(c.key)
                seen.add(c.key)
        if not 0 < self.attractiveness_cut < 10:
            out.append(
                SchemeProblem(
                    "attractiveness",
                    None,
                    "cut",
                    "The attractiveness cut must lie between 0 and 10.",
                )
            )
        if not self.strength_cut_relative > 0:
            out.append(
                SchemeProblem(
                    "strength",
                    None,
                    "cut_relative",
                    "The relative strength cut must be above 0 (1.0 is parity).",
                )
            )
        if not 0 < self.strength_cut_absolute < 10:
            out.append(
                SchemeProblem(
                    "strength",
                    None,
                    "cut_absolute",
                    "The absolute strength cut must lie between 0 and 10.",
                )
            )
        return out

    def validate(self, *, require_anchors: bool = False) -> Scheme:
        """Return the scheme itself, or raise SchemeError listing every problem."""
        problems = self.problems(require_anchors=require_anchors)
        if problems:
            raise SchemeError(problems)
        return self
