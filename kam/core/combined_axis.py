"""One strength axis for every account: its position against the cut line.

The method draws the strength axis as relative strength ``RS = S_us / S_comp`` (log scale,
cut at 1.0) when competitor scores exist and as ``S_us`` (0-10, cut at 5.0) when they do
not (docs/scoring.md, "The combined picture"). The two scales cannot share one axis as
they are; this module puts both on one: ``-1 .. 0 .. +1``, where 0 is the account's own cut
line and each side is stretched to the ends of the account's own scale:

- relative: ``log(RS / cut) / log(RS_MAX / cut)`` above the cut, ``log(RS / cut) /
  log(cut / RS_MIN)`` below it (RS runs from 1/10 to 10/1 with scores of 1-10);
- absolute: ``(S_us - cut) / (10 - cut)`` above the cut, ``(S_us - cut) / cut`` below it.

The side of the line is decided by the same comparison the boxes use
(``kam.core.portfolio``: ``S_us >= cut · S_comp - EPS`` or ``S_us >= cut - EPS``), so an
account's side on the combined axis is always its box's side. Distances compare within one
scale; across scales only the side and the order of magnitude do.
"""

from __future__ import annotations

import math

from kam.core.portfolio import EPS

#: The ends of relative strength with scores of 1-10: 1/10 and 10/1.
RS_MIN = 0.1
RS_MAX = 10.0
#: The ends of the absolute strength axis as the matrix draws it.
S_MIN = 0.0
S_MAX = 10.0


def is_strong(
    *,
    relative: bool,
    strength: float,
    competitor_strength: float | None,
    cut_relative: float,
    cut_absolute: float,
) -> bool:
    """True when the account lies on the strong side (or on) the strength cut line.

    The comparison is ``kam.core.portfolio._boxes``': without dividing, with ``EPS``.
    """
    if relative:
        if competitor_strength is None:
            raise ValueError("a relative-axis account needs S_comp")
        return strength >= cut_relative * competitor_strength - EPS
    return strength >= cut_absolute - EPS


def _stretch(offset: float, span_up: float, span_down: float) -> float:
    span = span_up if offset >= 0 else span_down
    if span <= 0:
        return 1.0 if offset >= 0 else -1.0
    return max(-1.0, min(1.0, offset / span))


def combined_position(
    *,
    relative: bool,
    strength: float,
    competitor_strength: float | None,
    cut_relative: float,
    cut_absolute: float,
) -> float:
    """The account's strength as a position from -1 (weakest) through 0 (its cut line) to
    +1 (strongest its scale allows); see the module docstring.

    ``strength`` is S_us (0-10); ``competitor_strength`` S_comp (0-10), needed when
    ``relative``. The result is >= 0 exactly when the account is on the strong side.
    """
    strong = is_strong(
        relative=relative,
        strength=strength,
        competitor_strength=competitor_strength,
        cut_relative=cut_relative,
        cut_absolute=cut_absolute,
    )
    if relative:
        assert competitor_strength is not None
        if strength <= 0 or competitor_strength <= 0:
            value = 1.0 if strength > 0 else -1.0
        else:
            offset = math.log(strength / competitor_strength) - math.log(cut_relative)
            value = _stretch(
                offset, math.log(RS_MAX / cut_relative), math.log(cut_relative / RS_MIN)
            )
    else:
        value = _stretch(strength - cut_absolute, S_MAX - cut_absolute, cut_absolute - S_MIN)
    # Within EPS of the line the side follows the boxes' comparison, not the rounding.
    if strong:
        return max(value, 0.0)
    return min(value, -1e-9)
