"""The key account plan as PDF and PowerPoint (docs/method.md section 5).

Both files are built from one ``PlanDocument`` (``kam.plans.selectors.plan_document``) in
the language asked for. Two audiences:

- ``internal``: the whole plan, with the account's place on the selection matrix (section
  1: its box, scores and move since the previous review, drawn by the matrix's own chart
  definition) and the profit plan;
- ``customer``: what the plan shares with the customer (joint planning), nothing else.
  Everything is read from the customer's document, which holds only shared sections and
  shared items, so internal text cannot reach the file; the matrix position (our
  classification of the customer) and the box are left out whatever is shared.

The PDF is A4 portrait: a first page with the summary, then every section. The deck is
16:9: title, summary, matrix position (internal), then every section the PDF carries, in
the same order and under the same titles (long tables and texts split over slides).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.plans.conversations import grid_display
from kam.plans.document import ActionDoc, ItemDoc, PlanDocument
from kam.plans.models import Plan, PlanStatus, PlanVersion
from kam.plans.selectors import plan_document
from kam.portfolio.matrix import MatrixFilters, matrix_rows
from kam.portfolio.selectors import portfolio_review, review_previous
from kam.reports.charts import chart_png, profit_chart
from kam.reports.formats import decimal, percent
from kam.reports.pdf import pdf_bytes, svg_data_uri
from kam.reports.portfolio_deck import box_label, deck_chart, review_label
from kam.reports.slides import (
    BOX_COLOURS,
    BRAND,
    CONTENT_BOTTOM,
    CONTENT_TOP,
    CONTENT_W,
    MARGIN,
    MUTED,
    Cell,
    Column,
    SlideDeck,
    text_lines,
)
from kam.web.formats import half_up

Audience = Literal["internal", "customer"]
AUDIENCES: tuple[str, ...] = ("internal", "customer")


@dataclass(frozen=True)
class Position:
    """Where the account sits on the selection matrix of the portfolio review (internal only)."""

    review_label: str
    previous_label: str
    box: str
    box_label: str
    previous_box_label: str
    attractiveness: float
    strength_text: str
    certainty: float | None
    uncertain: bool
    chart_spec: dict[str, Any]

    def facts(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the side of the chart."""
        out = [
            (_("Box"), self.box_label),
            (_("Attractiveness (A)"), decimal(self.attractiveness)),
            (_("Our strength"), self.strength_text),
            (_("Certainty of box"), percent(self.certainty)),
        ]
        if self.previous_label:
            out.append(
                (
                    _("Box in %(review)s") % {"review": self.previous_label},
                    self.previous_box_label or _("Not placed"),
                )
            )
        return out


@dataclass(frozen=True)
class PlanExport:
    """A plan document with what its exports add: the matrix position and the profit chart."""

    doc: PlanDocument
    position: Position | None
    profit_spec: dict[str, Any] | None
    # (name, when) of each person at the customer who signed off the exported version
    sign_offs: tuple[tuple[str, dt.datetime], ...] = ()

    @property
    def internal(self) -> bool:
        return self.doc.audience == "internal"

    @property
    def footer(self) -> str:
        audience = _("Internal") if self.internal else _("Shared with the customer")
        return _("%(account)s · Plan %(period)s · %(version)s · %(audience)s") % {
            "account": self.doc.account_name,
            "period": self.doc.period_label,
            "version": self.doc.version_label,
            "audience": audience,
        }

    @property
    def title(self) -> str:
        return _("Key account plan %(period)s") % {"period": self.doc.period_label}

    @property
    def audience_label(self) -> str:
        if self.internal:
            return _("Internal")
        return _("Shared with %(account)s") % {"account": self.doc.account_name}

    @property
    def status_line(self) -> str:
        doc = self.doc
        parts = [doc.version_label, doc.status_label or doc.status]
        if doc.approved_by and doc.approved_at:
            parts.append(
                _("approved by %(name)s on %(date)s")
                % {"name": doc.approved_by, "date": date_format(doc.approved_at, "DATE_FORMAT")}
            )
        for name, when in self.sign_offs:
            parts.append(
                _("signed off by %(name)s on %(date)s")
                % {"name": name, "date": date_format(timezone.localtime(when), "DATE_FORMAT")}
            )
        return " · ".join(p for p in parts if p)


def _strength_text(row: dict[str, Any]) -> str:
    if row["strength_axis"] == "relative" and row["relative_strength"] is not None:
        return f"RS {decimal(row['relative_strength'], 2)}"
    return f"S_us {decimal(row['strength'])}" if row["strength"] is not None else "-"


def plan_position(*, plan: Plan, user: User | AnonymousUser) -> Position | None:
    """The account's place in the latest review, or None when it is not placed there.

    The chart is ``kam.portfolio.charts.matrix_chart`` with this one account: its bubble in
    its box and the arrow from where it stood in the previous review.
    """
    review = portfolio_review()
    if review is None:
        return None
    previous = review_previous(review=review)
    filters = (
        MatrixFilters(owner=plan.account.owner_id) if plan.account.owner_id else MatrixFilters()
    )
    rows = [
        r
        for r in matrix_rows(review=review, user=user, filters=filters, previous=previous)
        if r["id"] == plan.account_id and r["box"]
    ]
    if not rows:
        return None
    row = rows[0]
    from kam.organisation.selectors import organisation_get

    return Position(
        review_label=review_label(review),
        previous_label=review_label(previous) if previous is not None else "",
        box=row["box"],
        box_label=box_label(row["box"]),
        previous_box_label=box_label(row["previous_box"]) if row["previous_box"] else "",
        attractiveness=row["attractiveness"],
        strength_text=_strength_text(row),
        certainty=row["p_box"],
        uncertain=bool(row["uncertain"]),
        chart_spec=deck_chart(
            rows,
            review=review,
            axis=row["strength_axis"],
            currency=organisation_get().base_currency,
        ),
    )


def plan_export_build(
    *,
    plan: Plan,
    user: User | AnonymousUser,
    audience: Audience,
    version: PlanVersion | None = None,
) -> PlanExport:
    """The export of ``plan`` (or of its approved ``version``) for ``audience``, in the active
    language. The caller has checked that ``user`` may read the plan."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    if version is not None:
        doc = plan_document(version=version, audience=audience)
    else:
        doc = plan_document(plan=plan, audience=audience)
    internal = audience == "internal"
    position = plan_position(plan=plan, user=user) if internal else None
    profit = profit_chart(doc.profit_plan, currency=doc.currency) if doc.profit_plan else None
    # The customer's sign-offs of the version exported (the live plan is that version while
    # it stays approved).
    signed = version
    if signed is None and plan.status == PlanStatus.APPROVED:
        signed = plan.versions.order_by("-number").first()
    sign_offs = (
        tuple((s.person_name, s.signed_at) for s in signed.sign_offs.order_by("signed_at", "pk"))
        if signed is not None
        else ()
    )
    return PlanExport(doc=doc, position=position, profit_spec=profit, sign_offs=sign_offs)


# -- shared wording ------------------------------------------------------------------------


def _money(value: Decimal | None, currency: str) -> str:
    if value is None:
        return ""
    from kam.reports.formats import whole

    return f"{currency} {whole(float(value))}"


def _date(value: dt.date | None) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


def _short_date(value: dt.date | None) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else ""


def _percent(ratio: Decimal | float) -> str:
    """A ratio as a whole percentage rounded half up, as the plan page rounds it ("234%")."""
    return f"{half_up(float(ratio) * 100)}%"


def figures(export: PlanExport) -> list[tuple[str, str, str]]:
    """The profit plan's headline figures: (number, label, colour key) for tiles."""
    profit = export.doc.profit_plan
    if profit is None:
        return []
    currency = export.doc.currency
    out: list[tuple[str, str, str]] = []
    if profit.revenue_current is not None:
        out.append((_money(profit.revenue_current, currency), _("revenue now"), "opportunistic"))
    if profit.revenue_target is not None:
        growth = profit.revenue_growth
        label = _("revenue target")
        if growth is not None:
            label += f" ({'+' if growth >= 0 else ''}{_percent(growth)})"
        out.append((_money(profit.revenue_target, currency), label, ""))
    if profit.investment is not None:
        out.append((_money(profit.investment, currency), _("investment"), "key_development"))
    if profit.expected_return is not None:
        roi = profit.return_on_investment
        label = _("expected return")
        if roi is not None:
            label += " · " + _("ROI %(roi)s") % {"roi": _percent(roi)}
        out.append((_money(profit.expected_return, currency), label, "key"))
    return out


def empty_text(export: PlanExport) -> str:
    """What the file says when the plan holds nothing to show its audience yet."""
    if export.internal:
        return _("This plan has no content yet.")
    return _("Nothing in this plan is shared with the customer yet.")


def summary_text(doc: PlanDocument) -> str:
    """The executive summary as written (empty when the section is off or not shared)."""
    section = doc.section("summary")
    if section is None:
        return ""
    return "\n\n".join(text for _label, text in section.fields if text)


def action_counts(doc: PlanDocument) -> str:
    """One sentence on the action plan: how many, how many open, how many overdue."""
    total = len(doc.actions)
    finished = sum(1 for a in doc.actions if a.status in ("done", "dropped"))
    overdue = sum(1 for a in doc.actions if a.overdue)
    text = ngettext("%(n)s action", "%(n)s actions", total) % {"n": total}
    text += ", " + _("%(n)s still to do") % {"n": total - finished}
    if overdue:
        text += ", " + ngettext("%(n)s overdue", "%(n)s overdue", overdue) % {"n": overdue}
    return text


def action_owner(a: ActionDoc) -> str:
    side = _("our side") if a.owner_side == "ours" else _("customer")
    who = a.owner_name or "-"
    if a.owner_side == "ours" and a.owner_function:
        return f"{who} ({a.owner_function})"
    return f"{who} ({side})"


def _status_class(a: ActionDoc) -> str:
    if a.overdue:
        return "late"
    return "done" if a.status == "done" else ""


def _status_text(a: ActionDoc) -> str:
    label = a.status_label or a.status
    if not a.overdue:
        return label
    return _("%(status)s · overdue") % {"status": label}


def _vp_value(v: Any, currency: str) -> str:
    parts = []
    if v.measured_value is not None:
        parts.append(_("%(amount)s a year") % {"amount": _money(v.measured_value, currency)})
    if v.measured_value_note:
        parts.append(v.measured_value_note)
    return " · ".join(parts)


def _vp_confirmed(v: Any) -> str:
    if v.confirmed:
        return (
            _("Confirmed by %(name)s") % {"name": v.confirmed_by}
            if v.confirmed_by
            else _("Confirmed by the customer")
        )
    return _("Not yet confirmed by the customer")


# -- PDF -----------------------------------------------------------------------------------


def plan_pdf(export: PlanExport) -> bytes:
    """The plan as an A4 PDF: first page with the summary, then every section of the plan."""
    doc = export.doc
    currency = doc.currency
    context = {
        "x": export,
        "doc": doc,
        "figures": figures(export),
        "summary_text": summary_text(doc),
        "action_counts": action_counts(doc),
        "position_uri": svg_data_uri(export.position.chart_spec) if export.position else "",
        "profit_uri": svg_data_uri(export.profit_spec) if export.profit_spec else "",
        "objectives": [
            {
                "title": o.title,
                "kind": o.kind,
                "measure": o.measure,
                "baseline": o.baseline,
                "target": o.target,
                "due": _date(o.due_date),
                "shared": o.shared,
            }
            for o in doc.objectives
        ],
        "value_propositions": [
            {
                "title": v.title,
                "rows": [
                    (label, text)
                    for label, text in (
                        (_("The customer's problem"), v.problem),
                        (_("Our solution"), v.solution),
                        (_("Impact on their business"), v.customer_impact),
                        (_("Who benefits there"), v.beneficiaries),
                        (_("Measured value"), _vp_value(v, currency)),
                        (_("Our reward"), v.our_reward),
                    )
                    if text
                ],
                "confirmed": v.confirmed,
                "confirmed_text": _vp_confirmed(v),
                "shared": v.shared,
            }
            for v in doc.value_propositions
        ],
        "actions": [
            {
                "what": a.what,
                "owner": action_owner(a),
                "side": a.owner_side,
                "due": _short_date(a.due_date),
                "status": _status_text(a),
                "status_class": _status_class(a),
                "shared": a.shared,
            }
            for a in doc.actions
        ],
        "conversations": grid_display(doc.conversations),
        "generated": _date(doc.as_of),
        "empty": empty_text(export)
        if not any(s.fields or s.items for s in doc.sections) and not figures(export)
        else "",
        "sections": [
            {
                "doc": s,
                "table": items_table(s.items) if s.key in TABLE_SECTIONS and s.items else None,
            }
            for s in doc.sections
        ],
    }
    return pdf_bytes(template="reports/plan_pdf.html", context=context)


# Sections whose items are short facts (people, resources): one table reads better than a
# block per item.
TABLE_SECTIONS = ("team", "resources")


def items_table(items: list[ItemDoc]) -> dict[str, Any]:
    """Items as a table: the title, then each field label that any item has, in order."""
    labels: list[str] = []
    for item in items:
        for label, _text in item.fields:
            if label not in labels:
                labels.append(label)
    return {
        "labels": labels,
        "rows": [
            {
                "title": item.title,
                "shared": item.shared,
                "cells": [dict(item.fields).get(label, "") for label in labels],
            }
            for item in items
        ],
    }


# -- PowerPoint ----------------------------------------------------------------------------


def _text_slides(
    deck: SlideDeck, title: str, text: str, *, size: float = 15, subtitle: str = ""
) -> list[Any]:
    """Long text over as many slides as it needs (by paragraphs)."""
    paragraphs = [p.strip() for p in text.split("\n") if p.strip()]
    pages: list[list[str]] = [[]]
    used = 0.0
    height = CONTENT_BOTTOM - CONTENT_TOP
    for p in paragraphs:
        h = (
            text_lines(p, width_in=CONTENT_W - 0.2, size_pt=size) * size * 1.25 / 72
            + size * 0.55 / 72
        )
        if pages[-1] and used + h > height:
            pages.append([])
            used = 0.0
        pages[-1].append(p)
        used += h
    slides = []
    for i, page in enumerate(pages):
        heading = title if len(pages) == 1 else f"{title} ({i + 1}/{len(pages)})"
        slide = deck.content_slide(heading, subtitle=subtitle)
        deck.paragraphs(
            slide,
            page,
            left=MARGIN,
            top=CONTENT_TOP,
            width=CONTENT_W,
            height=height,
            size=size,
            bullet=False,
        )
        slides.append(slide)
    return slides


def _pairs_slides(
    deck: SlideDeck, title: str, pairs: list[tuple[str, str]], *, size: float = 14
) -> list[Any]:
    """(label, text) fields over as many slides as they need, each label in bold before its
    text; a field is never split over two slides."""
    height = CONTENT_BOTTOM - CONTENT_TOP
    pages: list[list[tuple[str, str]]] = [[]]
    used = 0.0
    for label, text in pairs:
        h = (
            text_lines(f"{label}  {text}", width_in=CONTENT_W - 0.2, size_pt=size)
            * size
            * 1.25
            / 72
            + size * 0.55 / 72
        )
        if pages[-1] and used + h > height:
            pages.append([])
            used = 0.0
        pages[-1].append((label, text))
        used += h
    slides = []
    for i, page in enumerate(pages):
        heading = title if len(pages) == 1 else f"{title} ({i + 1}/{len(pages)})"
        slide = deck.content_slide(heading)
        deck.paragraphs(
            slide,
            list(page),
            left=MARGIN,
            top=CONTENT_TOP,
            width=CONTENT_W,
            height=height,
            size=size,
            bullet=False,
        )
        deck.notes(slide, "\n".join(f"{label}: {text}" for label, text in page))
        slides.append(slide)
    return slides


def _empty_slide(deck: SlideDeck, title: str, text: str) -> None:
    slide = deck.content_slide(title)
    deck.paragraphs(
        slide,
        [text],
        left=MARGIN,
        top=CONTENT_TOP,
        width=CONTENT_W,
        height=0.6,
        size=16,
        bullet=False,
        colour=MUTED,
    )


def _item_columns(table: dict[str, Any]) -> list[Column]:
    """Columns for ``items_table``: the title, then each field, as wide as its text needs
    (the longest texts get the most room, none narrower than 1.1 inches)."""
    names = ["", *table["labels"]]
    lengths = [max([len(r["title"]) for r in table["rows"]] + [12])]
    for i, label in enumerate(table["labels"]):
        texts = [r["cells"][i] for r in table["rows"]]
        lengths.append(max(len(label), min(120, max((len(t) for t in texts), default=0))))
    weights = [max(8, n) for n in lengths]
    total = sum(weights)
    minimum = 1.1
    widths = [max(minimum, CONTENT_W * w / total) for w in weights]
    # Give back what the minimum widths took from the widest columns.
    excess = sum(widths) - CONTENT_W
    if excess > 0:
        wide = [i for i, w in enumerate(widths) if w > minimum]
        room = sum(widths[i] - minimum for i in wide)
        for i in wide:
            widths[i] -= excess * (widths[i] - minimum) / room
    return [Column(name, round(w, 2)) for name, w in zip(names, widths, strict=True)]


def _section_slides(deck: SlideDeck, section: Any) -> None:
    """A section without its own slide design (team, analysis, projects, resources, the
    profit plan without figures): its fields, then its items as a table."""
    if section.fields:
        _pairs_slides(deck, section.title, list(section.fields))
    if section.items:
        table = items_table(section.items)
        columns = _item_columns(table)
        deck.table_slides(
            section.title,
            columns,
            [[Cell(r["title"], bold=True), *r["cells"]] for r in table["rows"]],
            size=12,
        )
    if not section.fields and not section.items:
        _empty_slide(deck, section.title, _("Nothing written yet."))


def _objective_slides(deck: SlideDeck, export: PlanExport, section: Any) -> None:
    doc = export.doc
    if not doc.objectives:
        _empty_slide(deck, section.title, _("No objectives yet."))
        return
    deck.table_slides(
        section.title,
        [
            Column(_("Objective"), 4.1),
            Column(_("Measure"), 2.6),
            Column(_("Baseline"), 2.0),
            Column(_("Target"), 1.8),
            Column(_("Target date"), 1.6),
        ],
        [
            [Cell(o.title, bold=True), o.measure, o.baseline, o.target, _short_date(o.due_date)]
            for o in doc.objectives
        ],
        size=13,
        notes="\n".join(
            f"{o.title}: {o.measure} {o.baseline} → {o.target}".strip() for o in doc.objectives
        ),
    )


def _proposition_slides(deck: SlideDeck, export: PlanExport, section: Any) -> None:
    doc = export.doc
    if not doc.value_propositions:
        _empty_slide(deck, section.title, _("No value propositions yet."))
        return
    deck.table_slides(
        section.title,
        [
            Column(_("Proposition"), 2.3),
            Column(_("The customer's problem"), 2.9),
            Column(_("Our solution"), 2.9),
            Column(_("Value for them"), 2.4),
            Column(_("Confirmed"), 1.6),
        ],
        [
            [
                Cell(v.title, bold=True),
                v.problem,
                v.solution,
                "\n".join(p for p in (v.customer_impact, _vp_value(v, doc.currency)) if p),
                (v.confirmed_by or _("yes")) if v.confirmed else _("not yet"),
            ]
            for v in doc.value_propositions
        ],
        size=12,
    )


def _action_slides(deck: SlideDeck, export: PlanExport, section: Any) -> None:
    doc = export.doc
    if not doc.actions:
        _empty_slide(deck, section.title, _("No actions yet."))
        return
    deck.table_slides(
        section.title,
        [
            Column(_("What"), 5.3),
            Column(_("Who"), 3.3),
            Column(_("Due"), 1.5),
            Column(_("Status"), 2.0),
        ],
        [
            [
                a.what,
                action_owner(a),
                _short_date(a.due_date),
                Cell(_status_text(a), bold=a.overdue),
            ]
            for a in doc.actions
        ],
        subtitle=action_counts(doc),
        size=13,
    )


def _profit_slide(deck: SlideDeck, export: PlanExport, section: Any) -> None:
    assert export.profit_spec is not None
    slide = deck.content_slide(section.title)
    png = chart_png(export.profit_spec, scale=2.0)
    deck.picture(
        slide,
        png,
        alt=_("Profit plan: revenue now and target, investment and expected return"),
        left=MARGIN,
        top=CONTENT_TOP,
        width=7.6,
        height=5.1,
    )
    deck.paragraphs(
        slide,
        list(section.fields),
        left=MARGIN + 8.0,
        top=CONTENT_TOP,
        width=CONTENT_W - 8.0,
        height=5.2,
        size=13,
        bullet=False,
        colour=MUTED,
    )


def _conversation_slides(deck: SlideDeck, export: PlanExport) -> None:
    """The conversation grid (internal): objectives × buying roles, count, last date, names."""
    shown = grid_display(export.doc.conversations)
    if shown is None:
        return
    roles = shown["roles"]
    role_w = max(1.0, (CONTENT_W - 3.2 - 1.3) / max(len(roles), 1))

    def cell_text(count: int, last: dt.date | None, names: str = "", more: int = 0) -> str:
        if not count:
            return "–"
        who = names + (f" +{more}" if more else "")
        return "\n".join(p for p in (f"{count}× {_short_date(last)}", who) if p)

    deck.table_slides(
        _("The right conversation"),
        [
            Column(_("Objective"), 3.2),
            Column(_("All conversations"), 1.3),
            *[Column(r["label"], role_w) for r in roles],
        ],
        [
            [
                Cell(
                    r["row"].title
                    + ("\n" + _("No conversation with a decider") if r["row"].no_decider else ""),
                    bold=True,
                ),
                cell_text(r["row"].count, r["row"].last_date),
                *[
                    cell_text(c["cell"].count, c["cell"].last_date, c["names"], c["more"])
                    for c in r["cells"]
                ],
            ]
            for r in shown["rows"]
        ],
        subtitle=ngettext(
            "%(n)s of %(total)s objectives has had no conversation with a decider.",
            "%(n)s of %(total)s objectives have had no conversation with a decider.",
            shown["flagged"],
        )
        % {"n": shown["flagged"], "total": len(shown["rows"])},
        size=10,
    )


def plan_pptx(export: PlanExport) -> bytes:
    """The plan as a 16:9 deck: title, summary, matrix position (internal), then every
    section the PDF holds for the audience, in the PDF's order and under its titles."""
    doc = export.doc
    deck = SlideDeck(
        footer=export.footer,
        title=f"{doc.account_name} · {export.title}",
        author=doc.organisation_name,
        language=doc.language or "en",
    )
    lines = [export.status_line]
    if doc.organisation_name:
        lines.append(doc.organisation_name)
    deck.title_slide(
        kicker=_("Key account plan"),
        title=doc.account_name,
        subtitle=export.title,
        lines=lines,
        badge=export.audience_label,
        badge_colour=BOX_COLOURS["key_development" if export.internal else "key"],
    )

    # Summary: figures on top, the executive summary, objectives and actions in brief.
    slide = deck.content_slide(_("Summary"), subtitle=export.status_line)
    top = CONTENT_TOP
    tiles = figures(export)
    if tiles:
        deck.stat_tiles(slide, tiles, left=MARGIN, top=top, width=CONTENT_W, height=1.0)
        top += 1.25
    text = summary_text(doc)
    left_w = CONTENT_W * 0.58
    right_left = MARGIN + left_w + 0.4
    right_w = CONTENT_W - left_w - 0.4
    avail = CONTENT_BOTTOM - top
    size = 14.0
    while (
        size > 10
        and text
        and (text_lines(text, width_in=left_w - 0.1, size_pt=size) * size * 1.3 / 72 > avail - 0.45)
    ):
        size -= 1
    fits = (
        not text
        or text_lines(text, width_in=left_w - 0.1, size_pt=size) * size * 1.3 / 72 <= avail - 0.45
    )
    if text:
        deck.paragraphs(
            slide,
            [_("Executive summary")],
            left=MARGIN,
            top=top,
            width=left_w,
            height=0.4,
            size=15,
            bullet=False,
            colour=BRAND,
        )
        shown = text if fits else _("The executive summary follows on the next slide.")
        deck.paragraphs(
            slide,
            [p for p in shown.split("\n") if p.strip()],
            left=MARGIN,
            top=top + 0.45,
            width=left_w,
            height=avail - 0.45,
            size=size,
            bullet=False,
        )
    brief: list[str | tuple[str, str]] = []
    if doc.objectives:
        brief.append(
            (
                ngettext("%(n)s objective", "%(n)s objectives", len(doc.objectives))
                % {"n": len(doc.objectives)},
                "",
            )
        )
        brief += [o.title for o in doc.objectives[:4]]
    if doc.value_propositions:
        brief.append(
            (
                ngettext(
                    "%(n)s value proposition",
                    "%(n)s value propositions",
                    len(doc.value_propositions),
                )
                % {"n": len(doc.value_propositions)},
                "",
            )
        )
    if doc.actions:
        brief.append((action_counts(doc), ""))
    if brief:
        box_left = right_left if text else MARGIN
        box_w = right_w if text else CONTENT_W
        deck.paragraphs(slide, brief, left=box_left, top=top, width=box_w, height=avail, size=13)
    elif not text and not tiles:
        deck.paragraphs(
            slide,
            [empty_text(export)],
            left=MARGIN,
            top=top,
            width=CONTENT_W,
            height=0.6,
            size=16,
            bullet=False,
            colour=MUTED,
        )
    deck.notes(slide, "\n".join(p for p in (text, action_counts(doc) if doc.actions else "") if p))
    if text and not fits:
        _text_slides(deck, _("Executive summary"), text)

    # Where the account sits on the matrix: internal only.
    if export.position is not None:
        pos = export.position
        slide = deck.content_slide(
            _("Position on the selection matrix"),
            subtitle=_("%(review)s: %(box)s") % {"review": pos.review_label, "box": pos.box_label},
        )
        png = chart_png(pos.chart_spec, scale=2.0)
        alt = _("Selection matrix: %(account)s in %(box)s") % {
            "account": doc.account_name,
            "box": pos.box_label,
        }
        deck.picture(slide, png, alt=alt, left=MARGIN, top=CONTENT_TOP, width=8.3, height=5.2)
        deck.paragraphs(
            slide,
            list(pos.facts()),
            left=MARGIN + 8.6,
            top=CONTENT_TOP + 0.2,
            width=CONTENT_W - 8.6,
            height=4.8,
            size=14,
            bullet=False,
        )
        swatch = deck._rect(
            slide, MARGIN + 8.6, CONTENT_TOP, CONTENT_W - 8.6, 0.06, BOX_COLOURS.get(pos.box, BRAND)
        )
        swatch.name = "box colour"
        deck.notes(slide, "\n".join(f"{label}: {value}" for label, value in pos.facts()))

    # Every section the PDF carries, in the same order and under the same titles.
    for section in doc.sections:
        if section.key == "summary":
            continue
        if section.key == "objectives":
            _objective_slides(deck, export, section)
        elif section.key == "value_propositions":
            _proposition_slides(deck, export, section)
        elif section.key == "actions":
            _action_slides(deck, export, section)
        elif section.key == "profit_plan" and export.profit_spec is not None:
            _profit_slide(deck, export, section)
        else:
            _section_slides(deck, section)
    _conversation_slides(deck, export)
    return deck.save()
