"""The frontend's rules (docs/architecture.md, "The rules"): no inline style where a class
says it, one chart embedder, one form template.

Each test reads kam's own files, so a template that brings a copy back fails here with
the file named."""

from __future__ import annotations

import re
from pathlib import Path

import kam

KAM = Path(kam.__file__).parent
TEMPLATES = sorted(KAM.rglob("templates/**/*.html"))
# An e-mail carries its styles inline: mail programs ignore a stylesheet.
PAGES = [path for path in TEMPLATES if "email" not in path.relative_to(KAM).parts]
# What is left is data: the business case's bars, whose width is the number they draw.
INLINE_STYLES_LEFT = 2
FORM_TEMPLATES = {KAM / "web/templates/web/forms/form.html"}
EMBEDDER = KAM / "web/static/web/charts.js"


def _name(path: Path) -> str:
    return str(path.relative_to(KAM))


def test_templates_are_found():
    assert len(PAGES) > 100
    assert len(PAGES) < len(TEMPLATES)  # the e-mails are kam templates too
    assert set(TEMPLATES) >= FORM_TEMPLATES


def test_no_inline_style_where_a_class_says_it():
    found = [
        f"{_name(path)}: {match}"
        for path in PAGES
        for match in re.findall(r'style="[^"]*"', path.read_text(encoding="utf-8"))
    ]
    assert len(found) <= INLINE_STYLES_LEFT, "\n".join(found)


def test_only_the_chart_embedder_calls_vega_embed():
    callers = [
        _name(path)
        for path in sorted(KAM.rglob("*"))
        if path.suffix in {".js", ".html"}
        and "vegaEmbed(" in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert callers == [_name(EMBEDDER)]


def test_only_the_form_template_loops_over_fields_to_label_them():
    """A template may loop over a form's fields to place them (a table row, a grid cell),
    but a field's label, help text and errors come from the form renderer
    (``{{ form }}``, ``{{ field.as_field_group }}``), not from a loop of its own."""
    loop = re.compile(r"\{% for field in [^%]*%\}(.*?)\{% endfor %\}", re.DOTALL)
    hand_written = [
        _name(path)
        for path in PAGES
        if path not in FORM_TEMPLATES
        and any("field.label" in body for body in loop.findall(path.read_text(encoding="utf-8")))
    ]
    assert hand_written == []
