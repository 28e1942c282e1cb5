"""The PDF helpers: charts go in as SVG that WeasyPrint draws in full."""

from __future__ import annotations

from kam.reports.pdf import svg_for_weasyprint


def test_text_opacity_becomes_fill_opacity_and_nothing_else_changes():
    svg = (
        '<g opacity="0.5"><text text-anchor="end" fill="#2a9d8f" opacity="0.45">Key</text>'
        '<rect opacity="0.8"/><text x="1">Plain</text></g>'
    )

    assert svg_for_weasyprint(svg) == (
        '<g opacity="0.5"><text text-anchor="end" fill="#2a9d8f" fill-opacity="0.45">Key</text>'
        '<rect opacity="0.8"/><text x="1">Plain</text></g>'
    )
