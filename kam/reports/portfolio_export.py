"""The portfolio review deck for a sales director, as PDF and PowerPoint (docs/method.md §1).

Both files hold the same parts, built from one ``ReviewDeck``: a summary (accounts per
box with revenue and share, the capacity warnings, what to discuss), the selection matrix
(drawn by ``kam.portfolio.charts.matrix_chart``: SVG in the PDF, PNG on the slide), the
movement since the previous review (a from/to table and the accounts that changed box),
and the key and key development accounts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.reports.charts import chart_png
from kam.reports.formats import decimal, money, percent, whole
from kam.reports.pdf import pdf_bytes, svg_data_uri
from kam.reports.portfolio_deck import ReviewDeck
from kam.reports.slides import (
    BRAND,
    CONTENT_TOP,
    CONTENT_W,
    MARGIN,
    MUTED,
    Cell,
    Column,
    SlideDeck,
)

T = TypeVar("T")


def movement_sentence(deck: ReviewDeck) -> str:
    """How many accounts changed box, moved within their box, or were placed for the first time."""
    parts = [
        ngettext(
            "%(n)s account changed box",
            "%(n)s accounts changed box",
            len(deck.moves),
        )
        % {"n": len(deck.moves)},
        ngettext(
            "%(n)s moved within its box",
            "%(n)s moved within their box",
            deck.moved_within_box,
        )
        % {"n": deck.moved_within_box},
        ngettext(
            "%(n)s is placed for the first time",
            "%(n)s are placed for the first time",
            deck.newly_placed,
        )
        % {"n": deck.newly_placed},
    ]
    return "; ".join(parts) + "."


def _transition_rows(deck: ReviewDeck) -> list[dict[str, Any]]:
    return [
        {
            "box": line.box,
            "label": line.label,
            "cells": [{"n": n, "diag": i == j} for j, n in enumerate(deck.transitions[i])],
        }
        for i, line in enumerate(deck.boxes)
    ]


# Rows of a one-line table on an A4 landscape page: a whole page under its heading, and what
# is left of the movement page under the from/to table.
PDF_ROWS_PER_PAGE = 20
PDF_ROWS_AFTER_TRANSITIONS = 12
# A table does not start with fewer rows than this at the foot of a page.
MIN_ROWS = 4


def table_pages(rows: Sequence[T], *, first: int, per_page: int) -> list[list[T]]:
    """``rows`` split into pages: at most ``first`` on the page the table starts on, at most
    ``per_page`` on each page after it, and as evenly as that allows, so that no page holds
    a handful of rows (a starting page with room for fewer than ``MIN_ROWS`` is skipped:
    the first part is then empty and the table starts on the next page)."""
    rows = list(rows)
    if len(rows) <= first:
        return [rows]
    if first < MIN_ROWS:
        return [[], *table_pages(rows, first=per_page, per_page=per_page)]
    count = 1 + math.ceil((len(rows) - first) / per_page)
    head = min(first, math.ceil(len(rows) / count))
    rest = rows[head:]
    pages, left = [rows[:head]], count - 1
    while rest:
        size = math.ceil(len(rest) / left)
        pages.append(rest[:size])
        rest, left = rest[size:], left - 1
    return pages


def _parts(title: str, pages: list[list[Any]]) -> list[dict[str, Any]]:
    """Pages of a table for the template: its heading ("Title (2/3)" when it spans pages),
    its rows, and whether it starts a new page."""
    shown = [p for p in pages if p]
    starts_later = bool(pages) and not pages[0]
    return [
        {
            "title": title if len(shown) == 1 else f"{title} ({n}/{len(shown)})",
            "rows": rows,
            "new_page": n > 1 or starts_later,
        }
        for n, rows in enumerate(shown, start=1)
    ]


def portfolio_pdf(deck: ReviewDeck) -> bytes:
    """The deck as an A4 landscape PDF: summary, matrix, movement, key accounts."""
    context: dict[str, Any] = {
        "deck": deck,
        "summary": {
            "placed": whole(deck.placed),
            "unplaced": whole(deck.unplaced),
            "revenue": whole(deck.total_revenue),
            "moves": whole(len(deck.moves)),
        },
        "boxes": [
            {
                "box": b.box,
                "label": b.label,
                "strategy": b.strategy,
                "count": whole(b.count),
                "previous_count": b.previous_count,
                "revenue": whole(b.revenue),
                "share": percent(b.revenue_share),
            }
            for b in deck.boxes
        ],
        "chart_uri": svg_data_uri(deck.chart_spec) if deck.chart_spec else "",
        "movement_sentence": movement_sentence(deck),
        "transitions": _transition_rows(deck),
        "moves": [
            {
                "name": m.name,
                "owner": m.owner,
                "from_box": m.from_box,
                "from_label": m.from_label,
                "to_box": m.to_box,
                "to_label": m.to_label,
                "revenue": whole(m.revenue),
            }
            for m in deck.moves_listed
        ],
        "key_accounts": [
            {
                "name": k.name,
                "owner": k.owner,
                "box": k.box,
                "box_label": k.box_label,
                "attractiveness": decimal(k.attractiveness),
                "strength": k.strength_text,
                "certainty": percent(k.certainty),
                "revenue": whole(k.revenue),
                "previous_label": k.previous_label,
            }
            for k in deck.key_accounts_listed
        ],
    }
    context["move_pages"] = _parts(
        _("Accounts that changed box"),
        table_pages(context["moves"], first=PDF_ROWS_AFTER_TRANSITIONS, per_page=PDF_ROWS_PER_PAGE),
    )
    context["key_pages"] = _parts(
        _("Key accounts and key development accounts"),
        table_pages(context["key_accounts"], first=PDF_ROWS_PER_PAGE, per_page=PDF_ROWS_PER_PAGE),
    )
    return pdf_bytes(template="reports/portfolio_pdf.html", context=context)


def portfolio_pptx(deck: ReviewDeck) -> bytes:
    """The deck as a 16:9 PowerPoint: title, summary, matrix, movement, key accounts."""
    slides = SlideDeck(
        footer=deck.footer,
        title=_("Portfolio review %(review)s") % {"review": deck.review_label},
        author=deck.organisation,
    )
    sub = (
        _("Compared with %(previous)s.") % {"previous": deck.previous_label}
        if deck.previous_label
        else _("The first review: there is no earlier review to compare with.")
    )
    slides.title_slide(
        kicker=_("Portfolio review") + " · " + deck.organisation,
        title=deck.review_label,
        subtitle=sub,
        lines=[
            ngettext("%(n)s account placed", "%(n)s accounts placed", deck.placed)
            % {"n": whole(deck.placed)},
            _("Revenue: %(year)s, in %(currency)s.")
            % {"year": deck.revenue_year, "currency": deck.currency},
        ],
    )

    # Summary: tiles per box, the box table, and whether we can serve them.
    slide = slides.content_slide(_("Summary"), subtitle=sub)
    tiles = [(whole(deck.placed), _("accounts placed"), "")]
    tiles += [(whole(b.count), b.label, b.box) for b in deck.boxes]
    tiles.append((whole(len(deck.moves)), _("changed box"), ""))
    slides.stat_tiles(slide, tiles, left=MARGIN, top=CONTENT_TOP, width=CONTENT_W)
    columns = [
        Column(_("Box"), 2.1),
        Column(_("What we do"), 2.8),
        Column(_("Accounts"), 1.25, numeric=True),
        Column(_("Revenue (%(currency)s)") % {"currency": deck.currency}, 1.5, numeric=True),
        Column(_("Share"), 0.85, numeric=True),
    ]
    rows: list[list[Cell | str]] = [
        [
            Cell(b.label, box=b.box),
            b.strategy,
            whole(b.count),
            whole(b.revenue),
            percent(b.revenue_share),
        ]
        for b in deck.boxes
    ]
    rows.append(
        [
            Cell(_("All placed accounts"), bold=True),
            "",
            Cell(whole(deck.placed), bold=True),
            Cell(whole(deck.total_revenue), bold=True),
            Cell("100%", bold=True),
        ]
    )
    slides.table(slide, columns, rows, left=MARGIN, top=2.85, size=13)
    side_left = MARGIN + sum(c.width for c in columns) + 0.4
    side_width = MARGIN + CONTENT_W - side_left
    slides.paragraphs(
        slide,
        [_("Can we serve them?")],
        left=side_left,
        top=2.8,
        width=side_width,
        height=0.4,
        size=16,
        bullet=False,
        colour=BRAND,
    )
    top = 3.25
    if deck.warnings:
        top = slides.callouts(slide, deck.warnings, left=side_left, top=top, width=side_width)
    else:
        slides.paragraphs(
            slide,
            [deck.capacity_line],
            left=side_left,
            top=top,
            width=side_width,
            height=0.9,
            size=13,
            bullet=False,
        )
        top += 0.95
    if deck.findings:
        slides.paragraphs(
            slide,
            deck.findings,
            left=side_left,
            top=top + 0.05,
            width=side_width,
            height=max(0.5, 6.7 - top),
            size=12,
        )
    slides.notes(slide, " ".join([deck.capacity_line, *deck.findings]))

    # The matrix, from the same chart definition as the page.
    slide = slides.content_slide(
        _("The selection matrix"),
        subtitle=" ".join(deck.chart_notes[:1]),
    )
    if deck.chart_spec:
        png = chart_png(deck.chart_spec, scale=2.0)
        alt = ngettext(
            "Selection matrix with %(n)s account",
            "Selection matrix with %(n)s accounts",
            deck.placed,
        ) % {"n": deck.placed}
        slides.picture(
            slide, png, alt=alt, left=MARGIN, top=CONTENT_TOP, width=CONTENT_W, height=5.0
        )
        notes = " ".join([*deck.chart_notes, deck.hidden_note]).strip()
        slides.paragraphs(
            slide,
            [" ".join([*deck.chart_notes[1:], deck.hidden_note]).strip()],
            left=MARGIN,
            top=6.5,
            width=CONTENT_W,
            height=0.4,
            size=10,
            bullet=False,
            colour=MUTED,
        )
        slides.notes(slide, notes)
    else:
        slides.paragraphs(
            slide,
            [_("No account is placed yet.")],
            left=MARGIN,
            top=CONTENT_TOP,
            width=CONTENT_W,
            height=0.5,
            bullet=False,
        )

    # Movement since the previous review.
    if deck.previous_label:
        title = _("Movement since %(previous)s") % {"previous": deck.previous_label}
        slide = slides.content_slide(title, subtitle=movement_sentence(deck))
        box_columns = [Column(_("From ↓ / to →"), 2.4)] + [
            Column(label, 1.55, numeric=True) for label in deck.box_labels
        ]
        t_rows: list[list[Cell | str]] = [
            [Cell(line.label, box=line.box)] + [whole(n) for n in deck.transitions[i]]
            for i, line in enumerate(deck.boxes)
        ]
        slides.table(slide, box_columns, t_rows, left=MARGIN, top=CONTENT_TOP, size=13)
        slides.notes(slide, movement_sentence(deck))
        move_columns = [
            Column(_("Account"), 3.6),
            Column(_("Owner"), 2.6),
            Column(_("From"), 2.1),
            Column(_("To"), 2.1),
            Column(_("Revenue (%(currency)s)") % {"currency": deck.currency}, 1.7, numeric=True),
        ]
        move_rows: list[list[Cell | str]] = [
            [
                m.name,
                m.owner,
                Cell(m.from_label, box=m.from_box),
                Cell(m.to_label, box=m.to_box),
                whole(m.revenue),
            ]
            for m in deck.moves_listed
        ]
        slides.table_slides(
            _("Accounts that changed box"),
            move_columns,
            move_rows,
            subtitle=" · ".join(part for part in (title, deck.moves_note) if part),
            empty=_("No account changed box."),
        )

    key_columns = [
        Column(_("Account"), 2.9),
        Column(_("Owner"), 2.0),
        Column(_("Box"), 2.0),
        Column(_("Attractiveness (A)"), 1.55, numeric=True),
        Column(_("Strength"), 1.1, numeric=True),
        Column(_("Certainty of box"), 1.25, numeric=True),
        Column(_("Revenue (%(currency)s)") % {"currency": deck.currency}, 1.3, numeric=True),
    ]
    key_rows: list[list[Cell | str]] = [
        [
            k.name,
            k.owner,
            Cell(k.box_label, box=k.box),
            decimal(k.attractiveness),
            k.strength_text,
            percent(k.certainty),
            whole(k.revenue),
        ]
        for k in deck.key_accounts_listed
    ]
    slides.table_slides(
        _("Key accounts and key development accounts"),
        key_columns,
        key_rows,
        subtitle=money(sum(k.revenue or 0.0 for k in deck.key_accounts), deck.currency)
        + " · "
        + ngettext("%(n)s account", "%(n)s accounts", len(deck.key_accounts))
        % {"n": len(deck.key_accounts)}
        + (" · " + deck.key_accounts_note if deck.key_accounts_note else ""),
        empty=_("No account is a key or key development account in this review."),
    )
    return slides.save()
