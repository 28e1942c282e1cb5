"""The contact matrix (docs/method.md section 3): our person × their person, with a strength
derived from how often and how recently they met, and the meeting counts around it."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from kam.core.relationships.data import AccountMap, Link, Meeting
from kam.core.relationships.vocabulary import STRENGTH_ORDER, Strength

STRONG_PER_YEAR = 6.0
"""Meetings a year (in the window) from which a link is strong."""
MEDIUM_PER_YEAR = 3.0
"""Meetings a year from which a link is medium."""
WEAK_PER_YEAR = 1.0
"""Meetings a year from which a link is weak; any meeting in the window gives at least weak."""
DEFAULT_WINDOW_DAYS = 365


def strength_for_rate(meetings_per_year: float) -> Strength:
    """Strength from the meeting rate alone: strong ≥ 6 a year, medium ≥ 3, weak ≥ 1."""
    if meetings_per_year >= STRONG_PER_YEAR:
        return Strength.STRONG
    if meetings_per_year >= MEDIUM_PER_YEAR:
        return Strength.MEDIUM
    if meetings_per_year >= WEAK_PER_YEAR:
        return Strength.WEAK
    return Strength.NONE


_ONE_STEP_DOWN = {
    Strength.STRONG: Strength.MEDIUM,
    Strength.MEDIUM: Strength.WEAK,
    Strength.WEAK: Strength.WEAK,
    Strength.NONE: Strength.NONE,
}


def derive_links(
    meetings: Iterable[Meeting],
    *,
    as_of: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
    manual: Sequence[Link] = (),
) -> list[Link]:
    """The contact matrix from meetings (section 3: "derived from activities where possible").

    Every meeting links each of our participants with each of their contacts present.
    Meetings after ``as_of`` (planned ones) are ignored. The window is the ``window_days``
    days up to and including ``as_of``.

    Strength of a pair with meetings in the window:

    - rate = meetings in the window × 365 / ``window_days`` (meetings a year);
    - strong when rate ≥ 6, medium when ≥ 3, weak otherwise (any meeting in the window
      gives at least weak);
    - recency: when the pair's last meeting lies more than half the window before
      ``as_of``, the strength drops one step (strong → medium, medium → weak; weak stays).

    Manual links and activity:

    - a pair with a meeting in the window gets a derived link (``derived=True``); a manual
      link for that pair is replaced: measured activity wins over an estimate;
    - a manual link for a pair without a meeting in the window is kept as entered
      (``derived=False``), with ``last_met`` moved to the pair's last meeting if that is
      later; when several manual links name one pair, the last one counts;
    - a pair that met only before the window and has no manual link gets a derived link of
      strength none, so that its ``last_met`` stays known.

    The result is sorted by (ours, theirs).
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    start = as_of - timedelta(days=window_days - 1)
    half = as_of - timedelta(days=window_days // 2)
    in_window: dict[tuple[str, str], int] = defaultdict(int)
    last: dict[tuple[str, str], date] = {}
    for meeting in meetings:
        if meeting.day > as_of:
            continue
        for o in meeting.ours:
            for t in meeting.theirs:
                pair = (o, t)
                if meeting.day >= start:
                    in_window[pair] += 1
                if pair not in last or meeting.day > last[pair]:
                    last[pair] = meeting.day
    manual_by_pair = {(m.ours, m.theirs): m for m in manual}
    out: dict[tuple[str, str], Link] = {}
    for pair, last_day in last.items():
        count = in_window.get(pair, 0)
        if count:
            rate = count * 365.0 / window_days
            strength = max(strength_for_rate(rate), Strength.WEAK, key=STRENGTH_ORDER.__getitem__)
            if last_day < half:
                strength = _ONE_STEP_DOWN[strength]
            out[pair] = Link(pair[0], pair[1], strength, rate, last_day, True)
        elif pair in manual_by_pair:
            m = manual_by_pair[pair]
            keep = m.last_met if m.last_met is not None and m.last_met > last_day else last_day
            out[pair] = dataclasses.replace(m, last_met=keep, derived=False)
        else:
            out[pair] = Link(pair[0], pair[1], Strength.NONE, 0.0, last_day, True)
    for pair, m in manual_by_pair.items():
        if pair not in out:
            out[pair] = dataclasses.replace(m, derived=False)
    return [out[p] for p in sorted(out)]


HALF_YEAR_DAYS = 182
"""The half-year of falling contact (``AccountMap.meetings_last_half``), in days."""


def half_year_counts(days: Iterable[date], *, as_of: date) -> tuple[int, int]:
    """Meetings in the last half-year and in the half-year before it, for ``AccountMap``.

    The last half-year is the 182 days up to and including ``as_of``; the one before is
    the 182 days before that. Later (planned) and older days are not counted.
    """
    last = previous = 0
    for day in days:
        age = (as_of - day).days
        if 0 <= age < HALF_YEAR_DAYS:
            last += 1
        elif HALF_YEAR_DAYS <= age < 2 * HALF_YEAR_DAYS:
            previous += 1
    return last, previous


def contact_last_met(account_map: AccountMap) -> dict[str, date | None]:
    """The last meeting with each contact over all links (None: never met)."""
    result: dict[str, date | None] = {c.key: None for c in account_map.contacts}
    for link in account_map.links:
        if link.theirs in result and link.last_met is not None:
            seen = result[link.theirs]
            if seen is None or link.last_met > seen:
                result[link.theirs] = link.last_met
    return result


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's last day)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month0 = divmod(total, 12)
    month = month0 + 1
    last_day = 31 if month == 12 else (date(year, month + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))
