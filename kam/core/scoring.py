"""Scoring schemes: criteria, weights, anchors and cut lines (docs/method.md section 1).

A scheme has two axes. *Customer attractiveness* uses 3-7 criteria the supplier picks;
*our strength* uses the customer's own buying criteria with the customer's weights. On
each axis the weights are whole numbers that sum to 100, so an axis score
``Σ wᵢ·sᵢ / 100`` of scores ``sᵢ`` in 1-10 is itself in 1-10.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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


def gettext_noop(message: str) -> str:
    """Marks a message for translation without translating it (kam.core has no Django).

    ``makemessages`` extracts these strings into kam's catalogue; the web app translates
    ``SchemeProblem.template`` and formats it with ``params``.
    """
    return message


AXIS_LABELS = {
    "attractiveness": gettext_noop("Attractiveness"),
    "strength": gettext_noop("Strength"),
}


@dataclass(frozen=True)
class SchemeProblem:
    """One rule a scheme breaks, located so that an editor or a file check can point at it.

    ``axis`` is ``"attractiveness"`` or ``"strength"``; ``key`` the criterion's key, or
    None for the axis as a whole; ``field`` one of ``criteria``, ``key``, ``weight``,
    ``anchors``, ``cut``, ``cut_relative``, ``cut_absolute``. ``template % params`` is the
    English message; a translated template takes the same ``params`` (where ``axis_label``
    is itself an English label from ``AXIS_LABELS`` to translate first).
    """

    axis: str
    key: str | None
    field: str
    template: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.template % dict(self.params)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of ``gettext`` (English with the identity)."""
        params = dict(self.params)
        if "axis_label" in params:
            params["axis_label"] = gettext(str(params["axis_label"]))
        return gettext(self.template) % params


@dataclass(frozen=True)
class Criterion:
    """One criterion: a stable ``key``, a display ``name``, a whole-number ``weight`` of 100.

    ``anchors`` maps 2, 5 and 8 to what that score means, so that raters score alike.
    """

    key: str
    name: str
    weight: int
    anchors: Mapping[int, str] = dataclasses.field(default_factory=dict)


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
                    gettext_noop(
                        "Attractiveness needs %(low)d to %(high)d criteria; it has %(n)d."
                    ),
                    {
                        "low": MIN_ATTRACTIVENESS_CRITERIA,
                        "high": MAX_ATTRACTIVENESS_CRITERIA,
                        "n": n_a,
                    },
                )
            )
        n_s = len(self.strength)
        if not 1 <= n_s <= MAX_STRENGTH_CRITERIA:
            out.append(
                SchemeProblem(
                    "strength",
                    None,
                    "criteria",
                    gettext_noop(
                        "Strength needs 1 to %(high)d of the customer's buying criteria; "
                        "it has %(n)d."
                    ),
                    {"high": MAX_STRENGTH_CRITERIA, "n": n_s},
                )
            )
        for axis, criteria in (
            ("attractiveness", self.attractiveness),
            ("strength", self.strength),
        ):
            label = AXIS_LABELS[axis]
            for c in criteria:
                if not c.key.strip():
                    out.append(
                        SchemeProblem(
                            axis,
                            c.key,
                            "key",
                            gettext_noop("%(axis_label)s: criterion '%(name)s' has no key."),
                            {"axis_label": label, "name": c.name},
                        )
                    )
                if isinstance(c.weight, bool) or not isinstance(c.weight, int):
                    out.append(
                        SchemeProblem(
                            axis,
                            c.key,
                            "weight",
                            gettext_noop(
                                "%(axis_label)s: the weight of '%(key)s' must be a whole number."
                            ),
                            {"axis_label": label, "key": c.key},
                        )
                    )
                elif c.weight < 1:
                    out.append(
                        SchemeProblem(
                            axis,
                            c.key,
                            "weight",
                            gettext_noop(
                                "%(axis_label)s: the weight of '%(key)s' must be at least 1."
                            ),
                            {"axis_label": label, "key": c.key},
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
                                gettext_noop(
                                    "%(axis_label)s: '%(key)s' needs anchors for the scores "
                                    "%(scores)s."
                                ),
                                {"axis_label": label, "key": c.key, "scores": scores},
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
                            gettext_noop(
                                "%(axis_label)s weights add up to %(total)d; they must add up "
                                "to %(target)d (remove %(diff)d)."
                            )
                            if total > WEIGHT_TOTAL
                            else gettext_noop(
                                "%(axis_label)s weights add up to %(total)d; they must add up "
                                "to %(target)d (add %(diff)d)."
                            ),
                            {
                                "axis_label": label,
                                "total": total,
                                "target": WEIGHT_TOTAL,
                                "diff": abs(total - WEIGHT_TOTAL),
                            },
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
                            gettext_noop(
                                "The key '%(key)s' is used twice; every criterion needs its "
                                "own key."
                            )
                            if uses[c.key] == 2
                            else gettext_noop(
                                "The key '%(key)s' is used %(n)d times; every criterion needs "
                                "its own key."
                            ),
                            {"key": c.key, "n": uses[c.key]},
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
                    gettext_noop("The attractiveness cut must lie between 0 and 10."),
                )
            )
        if not self.strength_cut_relative > 0:
            out.append(
                SchemeProblem(
                    "strength",
                    None,
                    "cut_relative",
                    gettext_noop("The relative strength cut must be above 0 (1.0 is parity)."),
                )
            )
        if not 0 < self.strength_cut_absolute < 10:
            out.append(
                SchemeProblem(
                    "strength",
                    None,
                    "cut_absolute",
                    gettext_noop("The absolute strength cut must lie between 0 and 10."),
                )
            )
        return out

    def validate(self, *, require_anchors: bool = False) -> Scheme:
        """Return the scheme itself, or raise SchemeError listing every problem."""
        problems = self.problems(require_anchors=require_anchors)
        if problems:
            raise SchemeError(problems)
        return self
