"""PDF exports: WeasyPrint from a Django template, as the business case PDF does.

The same stylesheet as the pages (``kam/kam.css``: colours, fonts, badges, tables) plus
``reports/reports.css`` for paper (page size, running footer with page numbers). Charts go in
as SVG drawn by vl-convert from the same Vega-Lite definition as the page, embedded as data
URIs: the document refers to nothing outside itself, so WeasyPrint fetches nothing.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from kam.reports.charts import chart_svg

STYLESHEETS = ("kam/kam.css", "reports/reports.css")


_TEXT_OPACITY = re.compile(r'(<text\b[^>]*?)\sopacity="')


def svg_for_weasyprint(svg: str) -> str:
    """``svg`` with each text's ``opacity`` written as ``fill-opacity``: the same picture
    (Vega's text has a fill and no stroke), but WeasyPrint (up to at least v70) drops a text
    that has both ``opacity`` and ``text-anchor="end"``, such as the matrix's "Key" and
    "Maintenance" quadrant names."""
    return _TEXT_OPACITY.sub(r'\1 fill-opacity="', svg)


def svg_data_uri(spec: Mapping[str, Any]) -> str:
    """The chart ``spec`` drawn as SVG by vl-convert, as a data URI for an ``<img>``."""
    svg = svg_for_weasyprint(chart_svg(dict(spec)))
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def pdf_document(*, template: str, context: Mapping[str, Any]) -> Any:
    """The rendered WeasyPrint document of ``template`` (its ``pages`` tell how long it is)."""
    import weasyprint  # imported here: only the PDF exports need Pango

    sheets = []
    for path in STYLESHEETS:
        found = finders.find(path)
        assert isinstance(found, str), path
        sheets.append(weasyprint.CSS(filename=found))
    html = render_to_string(template, dict(context))
    return weasyprint.HTML(string=html).render(stylesheets=sheets)


def pdf_bytes(*, template: str, context: Mapping[str, Any]) -> bytes:
    """``template`` rendered with ``context`` as PDF bytes."""
    return bytes(pdf_document(template=template, context=context).write_pdf())
