"""Fixtures for the export tests: a portfolio with two reviews and a plan for its key account.

The plan is built through the plans services. Every internal text carries a marker that
starts with ``INTERNALMARK`` and every shared text one that starts with ``SHAREDMARK``, so a
test can prove that a customer export holds all shared text and none of the internal.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from pptx import Presentation
from pypdf import PdfReader

from kam.plans import services
from kam.plans.models import ActionStatus, Plan
from kam.relationships.models import Contact
from tests.factories import make_user
from tests.portfolio.test_matrix import matrix_portfolio

INTERNAL = "INTERNALMARK"
SHARED = "SHAREDMARK"
LONG_ACTIONS = 24


@pytest.fixture
def portfolio(director, kam_user, other_kam):  # type: ignore[no-untyped-def]
    """Alpha Retail (key, was key development) and Beta Wholesale belong to ``kam_user``;
    Gamma and Delta to ``other_kam``."""
    kam_user.first_name, kam_user.last_name = "Anna", "de Vries"
    kam_user.save()
    return matrix_portfolio(director=director, owners=[kam_user, other_kam])


def build_marked_plan(*, account, owner, actions: int = 6) -> Plan:  # type: ignore[no-untyped-def]
    """A plan for ``account`` with every section on, internal and shared text marked."""
    # The customer's owner of an action is one of the account's contacts.
    Contact.objects.get_or_create(
        account=account, number=1, defaults={"name": "Bram Smit", "email": "bram@alpha.example"}
    )
    plan = services.plan_create(
        user=owner,
        account=account,
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    services.plan_update(
        user=owner,
        plan=plan,
        data={
            "sections": [
                "team",
                "summary",
                "profit_plan",
                "analysis",
                "objectives",
                "value_propositions",
                "projects",
                "resources",
                "actions",
            ],
            "shared_sections": ["objectives", "value_propositions", "actions"],
            "summary": f"{INTERNAL}summary Grow chilled soups with vendor-managed inventory.",
            "team_notes": f"{INTERNAL}team Weekly call with the buyer.",
            "market": f"{INTERNAL}market Discounters grow faster than supermarkets.",
            "swot_weaknesses": f"{INTERNAL}swot Their buyer distrusts us.",
            "profit_notes": f"{INTERNAL}profit Margin rises with the new lines.",
            "resources_notes": f"{INTERNAL}resources One analyst for six months.",
            "revenue_current": "1200000",
            "revenue_target": "1600000",
            "margin_current_pct": "21.5",
            "margin_target_pct": "23",
            "investment": "80000",
            "expected_return": "200000",
        },
    )
    objective = services.item_create(
        user=owner,
        plan=plan,
        kind="objective",
        data={
            "title": f"{SHARED}objective Grow chilled soups",
            "measure": "Revenue in chilled soups",
            "baseline": "EUR 1.2 m",
            "target": "EUR 1.6 m",
            "due_date": dt.date(2026, 12, 31),
            "shared": True,
        },
    )
    services.item_create(
        user=owner,
        plan=plan,
        kind="objective",
        data={
            "title": f"{INTERNAL}objective Raise our net price",
            "measure": f"{INTERNAL}measure net price",
            "shared": False,
        },
    )
    services.item_create(
        user=owner,
        plan=plan,
        kind="value_proposition",
        data={
            "title": f"{SHARED}proposition Fewer empty shelves",
            "problem": "Soups are out of stock 6 % of the time.",
            "solution": "Vendor-managed inventory from our Tilburg plant.",
            "customer_impact": "More soup sales per store.",
            "beneficiaries": "Category manager, store managers",
            "measured_value": "240000",
            "measured_value_note": "4 % more soup sales",
            "confirmed": True,
            "confirmed_by": "Bram Smit",
            "shared": True,
        },
    )
    services.item_create(
        user=owner,
        plan=plan,
        kind="value_proposition",
        data={
            "title": f"{INTERNAL}proposition Exclusive recipe",
            "problem": f"{INTERNAL}problem They copy our recipes.",
            "shared": False,
        },
    )
    services.item_create(
        user=owner,
        plan=plan,
        kind="project",
        data={
            "title": f"{INTERNAL}project VMI pilot",
            "description": "Pilot in ten stores.",
            "shared": False,
        },
    )
    for i in range(actions):
        shared = i % 3 != 2
        marker = SHARED if shared else INTERNAL
        services.action_create(
            user=owner,
            plan=plan,
            data={
                "what": f"{marker}action{i:02d} "
                + (
                    "Send store sales data for the soup category every week" if i % 2 else "Cost it"
                ),
                "owner_side": "theirs" if i % 2 else "ours",
                "owner_contact_name": "Bram Smit" if i % 2 else "",
                "owner_contact_email": "bram@alpha.example" if i % 2 else "",
                "owner_user": None if i % 2 else owner,
                "due_date": dt.date(2026, 1, 1) + dt.timedelta(days=14 * i),
                "shared": shared,
                "status": ActionStatus.DONE if i == 0 else ActionStatus.OPEN,
                "objective": objective if i == 1 else None,
            },
        )
    plan.refresh_from_db()
    return plan


@pytest.fixture
def marked_plan(portfolio, kam_user):  # type: ignore[no-untyped-def]
    return build_marked_plan(account=portfolio.accounts["Alpha Retail"], owner=kam_user)


@pytest.fixture
def long_plan(portfolio, kam_user):  # type: ignore[no-untyped-def]
    return build_marked_plan(
        account=portfolio.accounts["Beta Wholesale"], owner=kam_user, actions=LONG_ACTIONS
    )


@pytest.fixture
def team_member_of_alpha(portfolio):  # type: ignore[no-untyped-def]
    from tests.factories import AccountTeamMemberFactory

    user = make_user("team_member", username="servant")
    AccountTeamMemberFactory(account=portfolio.accounts["Alpha Retail"], user=user)
    return user


# -- reading the files back -----------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """All text of a PDF, pages joined, plus its metadata."""
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    meta = " ".join(str(v) for v in (reader.metadata or {}).values())
    return text + "\n" + meta


def pdf_pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def pptx_texts(data: bytes) -> list[str]:
    """Per slide: every text in shapes and tables, picture descriptions and speaker notes."""
    prs = Presentation(io.BytesIO(data))
    out = []
    for slide in prs.slides:
        parts: list[str] = []
        for shape in slide.shapes:
            parts.append(shape.name)
            descr = shape._element.xpath("./*[1]/p:cNvPr/@descr")
            parts.extend(str(d) for d in descr)
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                for row in shape.table.rows:
                    parts.extend(cell.text for cell in row.cells)
        if slide.has_notes_slide:
            parts.append(slide.notes_slide.notes_text_frame.text)
        out.append("\n".join(parts))
    return out


def pptx_raw_text(data: bytes) -> str:
    """Every XML part of the package as text (slides, notes, properties, anything else)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "\n".join(
            z.read(name).decode("utf-8", "replace")
            for name in z.namelist()
            if name.endswith((".xml", ".rels"))
        )


def pdf_section_titles(data: bytes) -> list[str]:
    """The PDF's section headings as its outline (bookmarks) lists them: the second level,
    under the document's title."""
    reader = PdfReader(io.BytesIO(data))
    titles: list[str] = []

    def walk(entries: list, depth: int) -> None:  # type: ignore[type-arg]
        for entry in entries:
            if isinstance(entry, list):
                walk(entry, depth + 1)
            elif depth == 1:
                titles.append(str(entry.title).strip())

    walk(reader.outline, 0)
    return titles


def slide_titles(data: bytes) -> list[str]:
    """The heading of each slide (its first text box's first line)."""
    prs = Presentation(io.BytesIO(data))
    titles = []
    for slide in prs.slides:
        texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame and s.text_frame.text]
        titles.append(texts[0].split("\n")[0] if texts else "")
    return titles


def markers(text: str, prefix: str) -> set[str]:
    return set(re.findall(prefix + r"[a-z]+\d*", text))
