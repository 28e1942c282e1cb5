"""PowerPoint exports with python-pptx: a 16:9 deck in kam's colours.

``SlideDeck`` knows kam's slide shapes (a title slide, a content slide with a heading, a
table that splits over as many slides as it needs, a picture with alt text, speaker notes)
and adds the footer (document name) and page numbers to every slide but the title when the
deck is saved. Tables are split by an estimate of how many lines each row takes, so that no
table runs off its slide: a key account manager presents the file as it comes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches, Pt

FONT = "Calibri"
BRAND = RGBColor(0x1F, 0x3A, 0x5F)
INK = RGBColor(0x1D, 0x27, 0x33)
MUTED = RGBColor(0x5B, 0x67, 0x75)
LINE = RGBColor(0xDD, 0xE3, 0xEA)
HEAD_FILL = RGBColor(0xEE, 0xF2, 0xF7)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)
LIGHT = RGBColor(0xDB, 0xE6, 0xF3)
PALE = RGBColor(0x8A, 0xB6, 0xD6)
WARN = RGBColor(0x8A, 0x4B, 0x00)
WARN_BG = RGBColor(0xFF, 0xF4, 0xE5)
OK = RGBColor(0x1E, 0x7B, 0x4F)
BOX_COLOURS = {
    "key": RGBColor(0x2A, 0x9D, 0x8F),
    "key_development": RGBColor(0xE9, 0xA2, 0x3B),
    "maintenance": RGBColor(0x4F, 0x86, 0xC6),
    "opportunistic": RGBColor(0x9A, 0xA3, 0xAD),
}

SLIDE_W = 13.333  # inches, 16:9
SLIDE_H = 7.5
MARGIN = 0.6
CONTENT_TOP = 1.45
CONTENT_BOTTOM = 6.75
CONTENT_W = SLIDE_W - 2 * MARGIN


def _run(paragraph: Any, text: str, *, size: float, colour: RGBColor = INK, bold: bool = False):  # type: ignore[no-untyped-def]
    run = paragraph.add_run()
    run.text = text
    font = run.font
    font.name = FONT
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = colour
    return run


def text_lines(text: str, *, width_in: float, size_pt: float, char_em: float = 0.52) -> int:
    """How many lines ``text`` takes in a box ``width_in`` inches wide at ``size_pt``.

    An estimate: an average character of Calibri is about half the font size wide
    (``char_em``); a little generous so that a table estimated to fit does fit.
    """
    chars_per_line = max(1, int(width_in * 72 / (size_pt * char_em)))
    lines = 0
    for part in (text or "").split("\n"):
        lines += max(1, math.ceil(len(part) / chars_per_line))
    return lines


@dataclass(frozen=True)
class Column:
    """A table column: heading, width in inches, right-aligned when numeric."""

    title: str
    width: float
    numeric: bool = False


@dataclass(frozen=True)
class Cell:
    """A table cell with an optional box colour swatch (a coloured left bar)."""

    text: str
    box: str = ""
    bold: bool = False


class SlideDeck:
    """A 16:9 presentation in kam's colours; ``save()`` returns the .pptx bytes."""

    def __init__(self, *, footer: str, title: str, author: str = "", language: str = "en"):
        self.prs = Presentation()
        self.prs.slide_width = Inches(SLIDE_W)
        self.prs.slide_height = Inches(SLIDE_H)
        self.footer = footer
        props = self.prs.core_properties
        props.title = title
        props.author = author or "kam"
        props.language = language
        props.comments = ""
        props.subject = ""
        props.keywords = ""
        self._blank = self.prs.slide_layouts[6]
        self._numbered: list[Any] = []

    # --- slides -------------------------------------------------------------------------

    def title_slide(
        self,
        *,
        kicker: str,
        title: str,
        subtitle: str,
        lines: Sequence[str] = (),
        badge: str = "",
        badge_colour: RGBColor = BOX_COLOURS["key_development"],
    ) -> Any:
        """The opening slide: brand background, the document's name and what it covers."""
        slide = self.prs.slides.add_slide(self._blank)
        self._rect(slide, 0, 0, SLIDE_W, SLIDE_H, BRAND)
        # kam's mark: the four boxes of the matrix in their colours.
        for i, box in enumerate(("key_development", "key", "opportunistic", "maintenance")):
            self._rect(
                slide, MARGIN + (i % 2) * 0.34, 0.75 + (i // 2) * 0.34, 0.3, 0.3, BOX_COLOURS[box]
            )
        self._text(
            slide, MARGIN, 1.75, CONTENT_W, 0.45, kicker.upper(), size=14, colour=PALE, bold=True
        )
        self._text(
            slide,
            MARGIN,
            2.2,
            CONTENT_W,
            1.6,
            title,
            size=40,
            colour=WHITE,
            bold=True,
            anchor=MSO_ANCHOR.TOP,
        )
        self._text(slide, MARGIN, 3.85, CONTENT_W, 0.8, subtitle, size=22, colour=LIGHT)
        top = 4.85
        for line in lines:
            self._text(slide, MARGIN, top, CONTENT_W, 0.4, line, size=15, colour=LIGHT)
            top += 0.42
        if badge:
            width = min(CONTENT_W / 2, max(2.2, len(badge) * 0.125 + 0.4))
            box = self._rect(slide, SLIDE_W - MARGIN - width, 0.75, width, 0.45, badge_colour)
            tf = box.text_frame
            tf.margin_left = tf.margin_right = Inches(0.08)
            tf.word_wrap = False
            p = tf.paragraphs[0]
            p.alignment = PP_ALIGN.CENTER
            _run(
                p, badge.upper(), size=12, colour=INK if badge_colour != BRAND else WHITE, bold=True
            )
            tf.vertical_anchor = MSO_ANCHOR.MIDDLE
        return slide

    def content_slide(self, title: str, *, subtitle: str = "") -> Any:
        """A slide with kam's band on top and a heading; content goes between
        ``CONTENT_TOP`` and ``CONTENT_BOTTOM`` inches."""
        slide = self.prs.slides.add_slide(self._blank)
        self._rect(slide, 0, 0, SLIDE_W, 0.09, BRAND)
        size = 26.0
        # Bold type runs wider than the average: shrink a long heading to stay on one line.
        while size > 18 and text_lines(title, width_in=CONTENT_W * 0.86, size_pt=size) > 1:
            size -= 1
        self._text(
            slide,
            MARGIN,
            0.32,
            CONTENT_W,
            0.65,
            title,
            size=size,
            colour=BRAND,
            bold=True,
            anchor=MSO_ANCHOR.TOP,
        )
        if subtitle:
            self._text(slide, MARGIN, 0.92, CONTENT_W, 0.4, subtitle, size=13, colour=MUTED)
        self._numbered.append(slide)
        return slide

    def notes(self, slide: Any, text: str) -> None:
        """Speaker notes for ``slide``."""
        slide.notes_slide.notes_text_frame.text = text

    def picture(
        self,
        slide: Any,
        png: bytes,
        *,
        alt: str,
        left: float,
        top: float,
        width: float,
        height: float,
    ) -> Any:
        """``png`` fitted inside the box (inches), centred, with ``alt`` as its description."""
        from PIL import Image

        with Image.open(io.BytesIO(png)) as image:
            w_px, h_px = image.size
        scale = min(width / w_px, height / h_px)
        w, h = w_px * scale, h_px * scale
        pic = slide.shapes.add_picture(
            io.BytesIO(png),
            Inches(left + (width - w) / 2),
            Inches(top + (height - h) / 2),
            Inches(w),
            Inches(h),
        )
        pic._element.nvPicPr.cNvPr.set("descr", alt)
        pic.name = alt[:60]
        return pic

    def paragraphs(
        self,
        slide: Any,
        items: Sequence[str | tuple[str, str]],
        *,
        left: float,
        top: float,
        width: float,
        height: float,
        size: float = 15,
        bullet: bool = True,
        colour: RGBColor = INK,
    ) -> Any:
        """Paragraphs (``(bold lead, text)`` pairs or plain strings), bulleted by default."""
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        tf = box.text_frame
        tf.word_wrap = True
        tf.margin_left = tf.margin_right = Inches(0.05)
        first = True
        for item in items:
            p = tf.paragraphs[0] if first else tf.add_paragraph()
            first = False
            p.space_after = Pt(size * 0.55)
            prefix = "•  " if bullet else ""
            if isinstance(item, tuple):
                lead, text = item
                _run(p, prefix + lead, size=size, colour=BRAND, bold=True)
                if text:
                    _run(p, "  " + text, size=size, colour=colour)
            else:
                _run(p, prefix + item, size=size, colour=colour)
        return box

    def callouts(
        self,
        slide: Any,
        items: Sequence[str],
        *,
        left: float,
        top: float,
        width: float,
        size: float = 13,
        fill: RGBColor = WARN_BG,
        colour: RGBColor = WARN,
        bar: RGBColor = BOX_COLOURS["key_development"],
    ) -> float:
        """Warning boxes one under the other; returns the top of the space below them."""
        for item in items:
            lines = text_lines(item, width_in=width - 0.35, size_pt=size)
            height = lines * size * 1.25 / 72 + 0.2
            self._rect(slide, left, top, width, height, fill)
            self._rect(slide, left, top, 0.07, height, bar)
            self._text(
                slide,
                left + 0.17,
                top,
                width - 0.25,
                height,
                item,
                size=size,
                colour=colour,
                anchor=MSO_ANCHOR.MIDDLE,
            )
            top += height + 0.12
        return top

    def stat_tiles(
        self,
        slide: Any,
        tiles: Sequence[tuple[str, str, str]],
        *,
        left: float,
        top: float,
        width: float,
        height: float = 1.05,
    ) -> None:
        """Figures in a row: (number, label, box key or "") each."""
        gap = 0.18
        w = (width - gap * (len(tiles) - 1)) / max(1, len(tiles))
        for i, (number, label, box) in enumerate(tiles):
            x = left + i * (w + gap)
            outline = self._rect(slide, x, top, w, height, WHITE)
            outline.line.color.rgb = LINE
            outline.line.width = Pt(0.75)
            self._rect(slide, x, top, 0.08, height, BOX_COLOURS.get(box, BRAND))
            size = 26.0
            # Bold digits run wider than average text (more so in a substitute font):
            # shrink an amount until it stays on one line.
            while size > 12 and text_lines(number, width_in=w - 0.3, size_pt=size, char_em=0.7) > 1:
                size -= 1
            self._text(
                slide,
                x + 0.2,
                top + 0.06,
                w - 0.25,
                0.55,
                number,
                size=size,
                colour=BRAND,
                bold=True,
                anchor=MSO_ANCHOR.MIDDLE,
            )
            self._text(slide, x + 0.2, top + 0.6, w - 0.25, 0.4, label, size=11, colour=MUTED)

    def table_slides(
        self,
        title: str,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Cell | str]],
        *,
        subtitle: str = "",
        size: float = 12,
        notes: str = "",
        top: float = CONTENT_TOP,
        empty: str = "",
    ) -> list[Any]:
        """``rows`` as a table over as many slides as it needs; later slides say "(2/3)"."""
        pages = paginate(rows, columns, size=size, height=CONTENT_BOTTOM - top)
        slides = []
        for i, page in enumerate(pages):
            heading = title if len(pages) == 1 else f"{title} ({i + 1}/{len(pages)})"
            slide = self.content_slide(heading, subtitle=subtitle)
            if page:
                self.table(slide, columns, page, left=MARGIN, top=top, size=size)
            elif empty:
                self._text(slide, MARGIN, top, CONTENT_W, 0.5, empty, size=16, colour=MUTED)
            if notes:
                self.notes(slide, notes)
            slides.append(slide)
        return slides

    def table(
        self,
        slide: Any,
        columns: Sequence[Column],
        rows: Sequence[Sequence[Cell | str]],
        *,
        left: float,
        top: float,
        size: float = 12,
    ) -> Any:
        """A table with a shaded header, thin rules and box swatches; widths in inches."""
        height_in = row_height([c.title for c in columns], columns, size=size) + sum(
            row_height(r, columns, size=size) for r in rows
        )
        shape = slide.shapes.add_table(
            len(rows) + 1,
            len(columns),
            Inches(left),
            Inches(top),
            Inches(sum(c.width for c in columns)),
            Inches(height_in),
        )
        table = shape.table
        table.first_row = True
        table.horz_banding = False
        for i, column in enumerate(columns):
            table.columns[i].width = Inches(column.width)
        table.rows[0].height = Inches(row_height([c.title for c in columns], columns, size=size))
        for i, column in enumerate(columns):
            self._cell(
                table.cell(0, i), Cell(column.title, bold=True), column, size=size, header=True
            )
        for r, row in enumerate(rows, start=1):
            table.rows[r].height = Inches(row_height(row, columns, size=size))
            for i, column in enumerate(columns):
                value = row[i]
                cell = value if isinstance(value, Cell) else Cell(str(value))
                self._cell(table.cell(r, i), cell, column, size=size, header=False)
        return shape

    def save(self) -> bytes:
        """The .pptx bytes, with footer and "page / pages" on every numbered slide."""
        total = len(self.prs.slides)
        for index, slide in enumerate(self.prs.slides, start=1):
            if slide not in self._numbered:
                continue
            line = slide.shapes.add_connector(
                1, Inches(MARGIN), Inches(6.98), Inches(SLIDE_W - MARGIN), Inches(6.98)
            )
            line.line.color.rgb = LINE
            line.line.width = Pt(0.75)
            self._text(
                slide, MARGIN, 7.02, CONTENT_W - 1.2, 0.32, self.footer, size=10, colour=MUTED
            )
            self._text(
                slide,
                SLIDE_W - MARGIN - 1.2,
                7.02,
                1.2,
                0.32,
                f"{index} / {total}",
                size=10,
                colour=MUTED,
                align=PP_ALIGN.RIGHT,
            )
        out = io.BytesIO()
        self.prs.save(out)
        return out.getvalue()

    # --- shapes -------------------------------------------------------------------------

    def _rect(
        self, slide: Any, left: float, top: float, width: float, height: float, fill: RGBColor
    ) -> Any:
        shape = slide.shapes.add_shape(
            MSO_SHAPE.RECTANGLE, Inches(left), Inches(top), Inches(width), Inches(height)
        )
        shape.fill.solid()
        shape.fill.fore_color.rgb = fill
        shape.line.fill.background()
        shape.shadow.inherit = False
        return shape

    def _text(
        self,
        slide: Any,
        left: float,
        top: float,
        width: float,
        height: float,
        text: str,
        *,
        size: float,
        colour: RGBColor = INK,
        bold: bool = False,
        align: Any = PP_ALIGN.LEFT,
        anchor: Any = MSO_ANCHOR.TOP,
    ) -> Any:
        box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
        tf = box.text_frame
        tf.word_wrap = True
        tf.vertical_anchor = anchor
        tf.margin_left = tf.margin_right = Inches(0.02)
        tf.margin_top = tf.margin_bottom = Inches(0.02)
        for i, part in enumerate(text.split("\n")):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.alignment = align
            _run(p, part, size=size, colour=colour, bold=bold)
        return box

    def _cell(self, cell: Any, value: Cell, column: Column, *, size: float, header: bool) -> None:
        cell.fill.solid()
        cell.fill.fore_color.rgb = HEAD_FILL if header else WHITE
        cell.margin_left = Inches(0.08)
        cell.margin_right = Inches(0.08)
        cell.margin_top = Inches(0.04)
        cell.margin_bottom = Inches(0.04)
        cell.vertical_anchor = MSO_ANCHOR.BOTTOM if header else MSO_ANCHOR.TOP
        tf = cell.text_frame
        tf.word_wrap = True
        for i, part in enumerate((value.text or "").split("\n")):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.alignment = PP_ALIGN.RIGHT if column.numeric else PP_ALIGN.LEFT
            if i == 0 and value.box:
                _run(p, "■ ", size=size, colour=BOX_COLOURS.get(value.box, MUTED))
            _run(
                p,
                part,
                size=size,
                colour=INK if not header else BRAND,
                bold=value.bold or header,
            )


def row_height(row: Sequence[Cell | str], columns: Sequence[Column], *, size: float) -> float:
    """Estimated height of a table row in inches: its tallest cell plus cell margins."""
    lines = 1
    for value, column in zip(row, columns, strict=True):
        text = value.text if isinstance(value, Cell) else str(value)
        if isinstance(value, Cell) and value.box:
            text = "■ " + text
        lines = max(lines, text_lines(text, width_in=column.width - 0.16, size_pt=size))
    return lines * size * 1.2 / 72 + 0.1


def paginate(
    rows: Sequence[Sequence[Cell | str]],
    columns: Sequence[Column],
    *,
    size: float,
    height: float,
) -> list[list[Sequence[Cell | str]]]:
    """``rows`` split into pages whose estimated table height (header included) fits in
    ``height`` inches. Always at least one page (possibly empty)."""
    header = row_height([c.title for c in columns], columns, size=size)
    heights = [row_height(row, columns, size=size) for row in rows]

    def split(limit: float) -> list[list[Sequence[Cell | str]]]:
        pages: list[list[Sequence[Cell | str]]] = [[]]
        used = header
        for row, h in zip(rows, heights, strict=True):
            if pages[-1] and used + h > limit:
                pages.append([])
                used = header
            pages[-1].append(row)
            used += h
        return pages

    pages = split(height)
    if len(pages) > 1:
        # Even pages rather than full ones and a last slide with two rows: lower the limit
        # while the number of slides stays the same.
        total = header * len(pages) + sum(heights)
        limit = max(total / len(pages), max(heights) + header)
        while limit < height:
            even = split(limit)
            if len(even) == len(pages):
                return even
            limit += 0.1
    return pages
