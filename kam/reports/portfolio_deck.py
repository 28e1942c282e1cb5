"""What the portfolio review deck shows a sales director (docs/method.md section 1).

``review_deck`` reads one review the way the matrix page does (``matrix_rows`` through the
caller's visibility, ``capacity_summary`` company-wide) and condenses it into plain
dataclasses: the boxes with their counts and revenue, the accounts that changed box since
the previous review, the key and key development accounts, the "never too many key
accounts" warnings, and the matrix chart built by ``kam.portfolio.charts.matrix_chart`` (the
same definition the page draws). The PDF and the PowerPoint render this one object, so both
say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.organisation.models import Box
from kam.organisation.selectors import organisation_get
from kam.portfolio import charts
from kam.portfolio.matrix import (
    BOX_ORDER,
    MatrixFilters,
    axis_choose,
    axis_counts,
    capacity_summary,
    matrix_cuts,
    matrix_rows,
    revenue_year,
)
from kam.portfolio.models import Review
from kam.portfolio.selectors import review_previous
from kam.portfolio.services import review_ensure_computed
from kam.portfolio.views_matrix import MatrixState, chart_notes
from kam.reports.formats import whole


def box_strategy(box: str) -> str:
    """What the method asks us to do with an account of ``box`` (section 1), translated."""
    return {
        "key": _("Invest for growth"),
        "key_development": _("Invest selectively to become their choice"),
        "maintenance": _("Maintain; serve efficiently"),
        "opportunistic": _("Manage for cash; respond when it pays"),
    }.get(box, "")


def box_label(box: str | None) -> str:
    """The translated name of ``box``; "Not placed" for an empty box, "" for None."""
    if box is None:
        return ""
    if not box:
        return _("Not placed")
    return str(Box(box).label)


def review_label(review: Review) -> str:
    """A review's name and date, as the matrix page writes it."""
    return _("%(name)s (%(date)s)") % {
        "name": review.name,
        "date": date_format(review.review_date, "DATE_FORMAT"),
    }


@dataclass(frozen=True)
class BoxLine:
    """One box of the review: how many accounts, their revenue (base currency) and its share."""

    box: str
    label: str
    strategy: str
    count: int
    revenue: float
    revenue_share: float  # 0-1 of the placed accounts' revenue
    previous_count: int | None  # in the previous review, among the same visible accounts


@dataclass(frozen=True)
class Move:
    """An account whose box changed since the previous review."""

    name: str
    owner: str
    from_box: str
    from_label: str
    to_box: str
    to_label: str
    revenue: float | None


@dataclass(frozen=True)
class KeyAccountLine:
    """A key or key development account, with where it stands and where it stood."""

    name: str
    owner: str
    box: str
    box_label: str
    attractiveness: float
    strength_text: str  # RS (ratio) or S_us (0-10), with its symbol
    revenue: float | None
    certainty: float | None  # probability of its own box, 0-1
    previous_label: str


#: A table of the deck lists at most this many accounts, the largest by revenue (moves and
#: key accounts are sorted so). At 10,000 accounts the full lists ran to hundreds of pages
#: that nobody reads in a review meeting and that took a minute to lay out; the counts,
#: totals and transitions still cover every account, and the matrix's CSV download lists
#: them all.
TABLE_ROWS_MAX = 100


def table_cut_note(*, listed: int, total: int) -> str:
    """The sentence under a table that lists ``listed`` of ``total`` accounts ("" when all)."""
    if total <= listed:
        return ""
    return _(
        "The %(listed)s largest by revenue of %(total)s are listed; the matrix's CSV download "
        "lists every account."
    ) % {"listed": whole(listed), "total": whole(total)}


@dataclass(frozen=True)
class ReviewDeck:
    """Everything the portfolio review deck shows, in the active language."""

    organisation: str
    review: Review
    review_label: str
    previous_label: str | None
    currency: str
    revenue_year: int
    boxes: list[BoxLine]
    total: int
    placed: int
    unplaced: int
    uncertain: int
    flagged: int
    total_revenue: float
    moves: list[Move]
    moved_within_box: int  # accounts that moved on the matrix but kept their box
    newly_placed: int  # placed now, not placed (or not there) in the previous review
    transitions: list[list[int]]  # [from box][to box] counts, BOX_ORDER on both axes
    key_accounts: list[KeyAccountLine]
    warnings: list[str]
    findings: list[str]  # uncertain and disagreeing accounts, in sentences
    capacity_line: str
    axis: str
    chart_spec: dict[str, Any]
    chart_notes: list[str]
    hidden_note: str

    @property
    def footer(self) -> str:
        return _("%(organisation)s · %(review)s") % {
            "organisation": self.organisation,
            "review": self.review_label,
        }

    @property
    def box_labels(self) -> list[str]:
        return [b.label for b in self.boxes]

    @property
    def moves_listed(self) -> list[Move]:
        """The moves the deck's table lists: the ``TABLE_ROWS_MAX`` largest by revenue."""
        return self.moves[:TABLE_ROWS_MAX]

    @property
    def key_accounts_listed(self) -> list[KeyAccountLine]:
        """The key and key development accounts the table lists: key accounts first, then
        the largest by revenue, at most ``TABLE_ROWS_MAX``."""
        return self.key_accounts[:TABLE_ROWS_MAX]

    @property
    def moves_note(self) -> str:
        return table_cut_note(listed=len(self.moves_listed), total=len(self.moves))

    @property
    def key_accounts_note(self) -> str:
        return table_cut_note(listed=len(self.key_accounts_listed), total=len(self.key_accounts))


def _strength_text(row: Mapping[str, Any]) -> str:
    if row["strength_axis"] == "relative" and row["relative_strength"] is not None:
        return f"RS {row['relative_strength']:.2f}"
    return f"S_us {row['strength']:.1f}" if row["strength"] is not None else "-"


def _hidden_note(axis: str, counts: Mapping[str, int]) -> str:
    if axis == "combined":
        return ""  # the combined picture draws every placed account
    other = "absolute" if axis == "relative" else "relative"
    n = counts[other]
    if not n:
        return ""
    if axis == "relative":
        return ngettext(
            "%(n)s placed account is not drawn: it lacks a competitor score, so it was "
            "placed on our own strength score S_us.",
            "%(n)s placed accounts are not drawn: they lack a competitor score, so they were "
            "placed on our own strength score S_us.",
            n,
        ) % {"n": n}
    return ngettext(
        "%(n)s placed account is not drawn: it was placed on relative strength.",
        "%(n)s placed accounts are not drawn: they were placed on relative strength.",
        n,
    ) % {"n": n}


def deck_chart(
    rows: Sequence[Mapping[str, Any]],
    *,
    review: Review,
    axis: str,
    currency: str,
) -> dict[str, Any]:
    """The Vega-Lite spec of the matrix for ``rows``: ``charts.matrix_chart``, untitled (the
    slide or page carries the title and the notes)."""
    year = revenue_year(review=review)
    chart = charts.matrix_chart(
        rows,
        axis=axis,
        cuts=matrix_cuts(review=review),
        size_by="revenue",
        size_title=_("Revenue %(year)s (%(currency)s)") % {"year": year, "currency": currency},
    )
    return charts.chart_spec(chart)


def review_deck(*, review: Review, user: User | AnonymousUser) -> ReviewDeck:
    """The portfolio review deck of ``review`` for ``user``.

    Accounts are the ones ``user`` may read (``account_list_visible``); the capacity warnings
    count the whole company, as on the matrix page. Revenue is the last full year before the
    review, in the organisation's base currency.
    """
    review_ensure_computed(review=review)
    org = organisation_get()
    previous = review_previous(review=review)
    rows = matrix_rows(review=review, user=user, filters=MatrixFilters(), previous=previous)
    counts = axis_counts(rows)
    axis = axis_choose(None, counts)

    placed_rows = [r for r in rows if r["box"]]
    total_revenue = sum(r["revenue"] or 0.0 for r in placed_rows)
    per_box = {b: [r for r in placed_rows if r["box"] == b] for b in BOX_ORDER}
    previous_counts = {b: 0 for b in BOX_ORDER}
    for r in rows:
        if r["previous_box"] in previous_counts:
            previous_counts[r["previous_box"]] += 1
    boxes = []
    for b in BOX_ORDER:
        revenue = sum(r["revenue"] or 0.0 for r in per_box[b])
        boxes.append(
            BoxLine(
                box=b,
                label=box_label(b),
                strategy=box_strategy(b),
                count=len(per_box[b]),
                revenue=revenue,
                revenue_share=revenue / total_revenue if total_revenue else 0.0,
                previous_count=previous_counts[b] if previous is not None else None,
            )
        )

    transitions = [[0] * len(BOX_ORDER) for _b in BOX_ORDER]
    moves: list[Move] = []
    moved_within = newly = 0
    for r in placed_rows:
        before = r["previous_box"] or ""
        if before not in BOX_ORDER:
            newly += previous is not None
            continue
        transitions[BOX_ORDER.index(before)][BOX_ORDER.index(r["box"])] += 1
        if before != r["box"]:
            moves.append(
                Move(
                    name=r["name"],
                    owner=r["owner"],
                    from_box=before,
                    from_label=box_label(before),
                    to_box=r["box"],
                    to_label=box_label(r["box"]),
                    revenue=r["revenue"],
                )
            )
        elif r["moved"]:
            moved_within += 1
    moves.sort(key=lambda m: (-(m.revenue or 0.0), m.name.casefold()))

    key_accounts = [
        KeyAccountLine(
            name=r["name"],
            owner=r["owner"],
            box=r["box"],
            box_label=box_label(r["box"]),
            attractiveness=r["attractiveness"],
            strength_text=_strength_text(r),
            revenue=r["revenue"],
            certainty=r["p_box"],
            previous_label=box_label(r["previous_box"]) if previous is not None else "",
        )
        for r in placed_rows
        if r["box"] in ("key", "key_development")
    ]
    key_accounts.sort(key=lambda k: (k.box != "key", -(k.revenue or 0.0), k.name.casefold()))

    capacity = capacity_summary(review=review, user=user)
    check = capacity["check"]
    warnings = [w.message for w in capacity["shown"]]
    if capacity["more"]:
        warnings.append(capacity["more_text"])
    capacity_line = _(
        "Key and key development accounts need %(needed)s hours a year by the box policies; "
        "the team has %(available)s."
    ) % {
        "needed": whole(check.hours_needed),
        "available": whole(check.hours_available),
    }
    uncertain = sum(1 for r in placed_rows if r["uncertain"])
    flagged = sum(1 for r in rows if r["disagreement"])
    unplaced = len(rows) - len(placed_rows)
    findings = []
    if uncertain:
        findings.append(
            ngettext(
                "%(n)s account sits close to a cut line: its box is uncertain.",
                "%(n)s accounts sit close to a cut line: their box is uncertain.",
                uncertain,
            )
            % {"n": uncertain}
        )
    if flagged:
        findings.append(
            ngettext(
                "On %(n)s account the raters disagree by more than the allowed spread: "
                "discuss it before deciding.",
                "On %(n)s accounts the raters disagree by more than the allowed spread: "
                "discuss them before deciding.",
                flagged,
            )
            % {"n": flagged}
        )
    if unplaced:
        findings.append(
            ngettext(
                "%(n)s account is not placed because a criterion lacks a score.",
                "%(n)s accounts are not placed because a criterion lacks a score.",
                unplaced,
            )
            % {"n": unplaced}
        )

    state = MatrixState(MatrixFilters(), review, previous, rows, counts, axis)
    return ReviewDeck(
        organisation=org.name,
        review=review,
        review_label=review_label(review),
        previous_label=review_label(previous) if previous is not None else None,
        currency=org.base_currency,
        revenue_year=revenue_year(review=review),
        boxes=boxes,
        total=len(rows),
        placed=len(placed_rows),
        unplaced=unplaced,
        uncertain=uncertain,
        flagged=flagged,
        total_revenue=total_revenue,
        moves=moves,
        moved_within_box=moved_within,
        newly_placed=newly,
        transitions=transitions,
        key_accounts=key_accounts,
        warnings=warnings,
        findings=findings,
        capacity_line=capacity_line,
        axis=axis,
        chart_spec=deck_chart(rows, review=review, axis=axis, currency=org.base_currency)
        if counts[axis]
        else {},
        chart_notes=chart_notes(state, with_hidden=False) if counts[axis] else [],
        hidden_note=_hidden_note(axis, counts),
    )
