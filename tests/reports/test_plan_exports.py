"""The key account plan as PDF and PowerPoint (docs/method.md section 5): contents, audiences,
languages, slides that fit. Files are read back with pypdf and python-pptx."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.utils import translation
from pptx import Presentation
from pptx.util import Emu

from kam.reports.plan_export import plan_export_build, plan_pdf, plan_pptx
from kam.reports.slides import CONTENT_BOTTOM, SLIDE_H, SLIDE_W
from tests.reports.conftest import (
    INTERNAL,
    LONG_ACTIONS,
    SHARED,
    markers,
    pdf_pages,
    pdf_section_titles,
    pdf_text,
    pptx_raw_text,
    pptx_texts,
    slide_titles,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"


def export(plan, user, *, audience: str = "internal", lang: str = "en"):  # type: ignore[no-untyped-def]
    with translation.override(lang):
        x = plan_export_build(plan=plan, user=user, audience=audience)  # type: ignore[arg-type]
        return x, plan_pdf(x), plan_pptx(x)


def keep(name: str, data: bytes) -> None:
    """Write a file for people to look at (test-artifacts/ is not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)


@pytest.mark.django_db
def test_internal_plan_pdf_holds_every_section_the_position_and_page_numbers(marked_plan, kam_user):
    x, pdf, _pptx = export(marked_plan, kam_user)
    keep("plan-internal-en.pdf", pdf)
    text = pdf_text(pdf)

    assert text.startswith("%PDF") is False  # extracted text, not bytes
    assert "Alpha Retail" in text
    for heading in (
        "Executive summary",
        "Position on the selection matrix",
        "Profit plan",
        "Analysis",
        "Opportunities and objectives",
        "Value propositions",
        "Actions",
    ):
        assert heading in text, heading
    # All internal and shared text is there.
    assert {
        f"{INTERNAL}summary",
        f"{INTERNAL}market",
        f"{INTERNAL}objective",
        f"{INTERNAL}proposition",
        f"{INTERNAL}action02",
    } <= markers(text, INTERNAL)
    assert {f"{SHARED}objective", f"{SHARED}proposition", f"{SHARED}action01"} <= markers(
        text, SHARED
    )
    # The account's box, its move and the footer with account, period, version, audience.
    assert "Key development" in text  # the box in the previous review
    pages = pdf_pages(pdf)
    assert f"1 / {pages}" in text and f"{pages} / {pages}" in text
    assert "Alpha Retail · Plan 2026 · Version 1 · Internal" in text
    # Profit plan figures, formatted.
    assert "USD 1,600,000" in text  # Alpha Retail buys in US dollars
    assert "ROI 150%" in text
    assert x.position is not None and x.position.box == "key"


@pytest.mark.django_db
def test_internal_deck_has_the_slides_a_kam_presents(marked_plan, kam_user):
    _x, _pdf, pptx = export(marked_plan, kam_user)
    keep("plan-internal-en.pptx", pptx)
    titles = slide_titles(pptx)

    assert titles[0] == "KEY ACCOUNT PLAN"  # the kicker on the title slide
    assert _deck_sections(pptx) == [
        "Summary",
        "Position on the selection matrix",
        "Account team",
        "Profit plan",
        "Analysis",
        "Opportunities and objectives",
        "Value propositions",
        "Projects",
        "Resources",
        "Actions",
        "The right conversation",  # the conversation grid, internal only
    ]
    prs = Presentation(io.BytesIO(pptx))
    assert prs.slide_width == Emu(int(SLIDE_W * 914400))
    texts = pptx_texts(pptx)
    assert "Alpha Retail" in texts[0]
    # The matrix and the profit plan are pictures with a description.
    assert "Selection matrix: Alpha Retail in Key" in texts[2]
    assert "Profit plan: revenue now and target" in texts[titles.index("Profit plan")]
    # Footer and page numbers on every slide but the title.
    total = len(titles)
    for number, text in enumerate(texts[1:], start=2):
        assert f"{number} / {total}" in text
        assert "Alpha Retail · Plan 2026 · Version 1 · Internal" in text


def _shape_bottoms(pptx: bytes) -> list[tuple[int, str, float]]:
    prs = Presentation(io.BytesIO(pptx))
    out = []
    for i, slide in enumerate(prs.slides):
        for shape in slide.shapes:
            bottom = (shape.top + shape.height) / 914400
            out.append((i, shape.name, bottom))
    return out


@pytest.mark.django_db
def test_a_long_action_plan_splits_over_slides_that_each_fit(long_plan, kam_user):
    _x, pdf, pptx = export(long_plan, kam_user)
    keep("plan-long-en.pptx", pptx)
    keep("plan-long-en.pdf", pdf)
    titles = slide_titles(pptx)
    action_slides = [t for t in titles if t.startswith("Actions")]

    assert len(action_slides) >= 2
    assert action_slides[0] == f"Actions (1/{len(action_slides)})"
    # Every action is on some slide, once.
    texts = "\n".join(pptx_texts(pptx))
    found = re.findall(r"(?:INTERNALMARK|SHAREDMARK)action(\d\d)", texts)
    assert sorted(set(found)) == [f"{i:02d}" for i in range(LONG_ACTIONS)]
    # Nothing runs below the content area (tables by their own estimate) or off the slide.
    prs = Presentation(io.BytesIO(pptx))
    for slide in prs.slides:
        for shape in slide.shapes:
            assert shape.left + shape.width <= Emu(int(SLIDE_W * 914400)) + 10
            assert shape.top + shape.height <= Emu(int(SLIDE_H * 914400)) + 10
            if shape.has_table:
                assert (shape.top + shape.height) / 914400 <= CONTENT_BOTTOM + 0.01


@pytest.mark.django_db
def test_customer_exports_hold_no_internal_text(marked_plan, kam_user):
    x, pdf, pptx = export(marked_plan, kam_user, audience="customer")
    keep("plan-customer-en.pdf", pdf)
    keep("plan-customer-en.pptx", pptx)
    text = pdf_text(pdf)
    slides = "\n".join(pptx_texts(pptx))
    raw = pptx_raw_text(pptx)

    for where in (text, slides, raw):
        assert INTERNAL not in where
        # No matrix position, box or profit plan: our classification stays in.
        assert "Position on the selection matrix" not in where
        assert "Selection matrix" not in where
        assert "Profit plan" not in where
    assert "Key development" not in text
    assert "Box" not in text
    # And all of the shared text is there.
    expected = {f"{SHARED}objective", f"{SHARED}proposition"} | {
        f"{SHARED}action{i:02d}" for i in range(6) if i % 3 != 2
    }
    assert markers(text, SHARED) == expected
    assert markers(slides, SHARED) == expected
    assert "shared with alpha retail" in text.lower()
    assert "Alpha Retail · Plan 2026 · Version 1 · Shared with the customer" in slides
    assert x.position is None


@pytest.mark.django_db
def test_dutch_plan_export_speaks_dutch(marked_plan, kam_user):
    _x, pdf, pptx = export(marked_plan, kam_user, lang="nl")
    keep("plan-internal-nl.pdf", pdf)
    keep("plan-internal-nl.pptx", pptx)
    text = pdf_text(pdf)
    titles = slide_titles(pptx)

    assert "Samenvatting" in titles
    assert "Summary" not in titles
    # Dates and numbers in Dutch: "31 dec 2026", "1.600.000".
    assert "31 dec 2026" in text
    assert "1.600.000" in text
    assert "December" not in text


@pytest.mark.django_db
def test_an_approved_version_exports_from_its_snapshot(marked_plan, kam_user, director):
    from kam.plans import services

    services.plan_submit(user=kam_user, plan=marked_plan)
    version = services.plan_approve(user=director, plan=marked_plan)
    services.plan_reopen(user=kam_user, plan=marked_plan)
    services.plan_update(user=kam_user, plan=marked_plan, data={"summary": "Rewritten later."})

    with translation.override("en"):
        x = plan_export_build(plan=marked_plan, user=kam_user, audience="internal", version=version)
        text = pdf_text(plan_pdf(x))
    assert f"{INTERNAL}summary" in text
    assert "Rewritten later." not in text
    assert "approved by" in text


@pytest.mark.django_db
@pytest.mark.parametrize("audience", ["internal", "customer"])
def test_a_new_empty_plan_exports_and_says_so(portfolio, kam_user, audience):
    from kam.plans import services

    plan = services.plan_create(
        user=kam_user,
        account=portfolio.accounts["Beta Wholesale"],
        period_label="2027",
        period_start=dt.date(2027, 1, 1),
        period_end=dt.date(2027, 12, 31),
    )

    _x, pdf, pptx = export(plan, kam_user, audience=audience)

    if audience == "customer":
        sentence = "Nothing in this plan is shared with the customer yet."
        assert sentence in pdf_text(pdf)
        assert sentence in pptx_texts(pptx)[1]
    assert slide_titles(pptx)[1] == "Summary"


def _deck_sections(pptx: bytes) -> list[str]:
    """The deck's section titles in order: slide headings after the title slide, without
    "(2/3)" continuation marks, each once."""
    out: list[str] = []
    for title in slide_titles(pptx)[1:]:
        title = re.sub(r" \(\d+/\d+\)$", "", title)
        if not out or out[-1] != title:
            out.append(title)
    return out


def _share_projects_and_resources(plan, owner) -> None:  # type: ignore[no-untyped-def]
    """Share the projects and resources sections, with one shared item in each."""
    from kam.plans import services

    services.plan_update(
        user=owner,
        plan=plan,
        data={
            "shared_sections": [
                "objectives",
                "value_propositions",
                "projects",
                "resources",
                "actions",
            ],
            "resources_notes": f"{SHARED}resourcesnotes One analyst for six months.",
        },
    )
    services.item_create(
        user=owner,
        plan=plan,
        kind="project",
        data={
            "title": f"{SHARED}project Shelf sensors",
            "description": "Sensors on the soup shelves of twenty stores.",
            "milestones": "Pilot in March, roll-out in September",
            "shared": True,
        },
    )
    services.item_create(
        user=owner,
        plan=plan,
        kind="resource",
        data={"title": f"{SHARED}resource Data analyst", "hours": "400", "shared": True},
    )
    plan.refresh_from_db()


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("audience", ["internal", "customer"])
def test_the_deck_carries_every_section_the_pdf_carries(marked_plan, kam_user, audience, lang):
    _share_projects_and_resources(marked_plan, kam_user)
    _x, pdf, pptx = export(marked_plan, kam_user, audience=audience, lang=lang)
    keep(f"plan-{audience}-{lang}-sections.pdf", pdf)
    keep(f"plan-{audience}-{lang}-sections.pptx", pptx)
    with translation.override(lang):
        summary = str(translation.gettext("Summary"))
        executive = str(translation.gettext("Executive summary"))
        shared = str(translation.gettext("shared"))
        internal = str(translation.gettext("internal"))

    # The PDF's headings carry a "shared"/"internal" tag in the internal copy.
    in_pdf = [re.sub(rf"\s*({shared}|{internal})$", "", t) for t in pdf_section_titles(pdf)]
    in_deck = _deck_sections(pptx)

    if audience == "internal":
        # The PDF's first page holds the executive summary; the deck its summary slide.
        assert in_pdf[0] == executive
        in_pdf = in_pdf[1:]
        # The position, the plan's sections but the summary, and the conversation grid.
        assert len(in_pdf) == 1 + 8 + 1
    else:
        # Only what is shared, with the projects and resources the customer PDF shows.
        assert executive not in in_pdf
        assert len(in_pdf) == 5
    assert in_deck[0] == summary
    assert in_deck[1:] == in_pdf
    slides = "\n".join(pptx_texts(pptx))
    for marker in (f"{SHARED}project", f"{SHARED}resource"):
        assert marker in pdf_text(pdf)
        assert marker in slides
    if audience == "customer":
        assert INTERNAL not in slides
