"""The portfolio review deck for a director (docs/method.md section 1): boxes with counts and
revenue, movement since the previous review, key accounts and warnings, as PDF and slides."""

from __future__ import annotations

import pytest
from django.utils import translation

from kam.organisation.selectors import organisation_get
from kam.reports.portfolio_deck import review_deck
from kam.reports.portfolio_export import movement_sentence, portfolio_pdf, portfolio_pptx
from tests.reports.conftest import pdf_pages, pdf_text, pptx_texts, slide_titles
from tests.reports.test_plan_exports import keep


@pytest.mark.django_db
def test_deck_counts_boxes_revenue_and_the_move_since_the_last_review(portfolio, director):
    deck = review_deck(review=portfolio.review, user=director)

    assert [(b.box, b.count) for b in deck.boxes] == [
        ("key", 1),
        ("key_development", 1),
        ("maintenance", 1),
        ("opportunistic", 1),
    ]
    # Revenue: Alpha 100,000 USD at 0.9 = 90,000 EUR; Beta 200,000; Gamma 300,000; Delta 400,000.
    assert [round(b.revenue) for b in deck.boxes] == [90_000, 200_000, 300_000, 400_000]
    assert deck.total_revenue == pytest.approx(990_000)
    assert deck.boxes[3].revenue_share == pytest.approx(400_000 / 990_000)
    # Alpha moved from key development to key; Gamma stayed where it was.
    assert [(m.name, m.from_box, m.to_box) for m in deck.moves] == [
        ("Alpha Retail", "key_development", "key")
    ]
    assert deck.transitions[1][0] == 1  # key development -> key
    assert deck.transitions[2][2] == 1  # maintenance stayed
    assert deck.newly_placed == 2  # Beta and Delta had no placement before
    assert [k.name for k in deck.key_accounts] == ["Alpha Retail", "Beta Wholesale"]
    assert deck.key_accounts[0].previous_label == "Key development"
    assert deck.unplaced == 1  # Epsilon lacks a growth score
    assert deck.chart_spec["datasets"]["accounts"]


@pytest.mark.django_db
def test_deck_warns_when_a_manager_carries_too_many_key_accounts(portfolio, director, kam_user):
    org = organisation_get()
    org.max_key_accounts_per_manager = 0
    org.save()

    deck = review_deck(review=portfolio.review, user=director)

    # Alpha (key) and Beta (key development) both count, by default (docs/method.md section 1)
    assert any(
        "Anna de Vries carries 2 key and key development accounts" in w
        and w.endswith("Counted: Alpha Retail, Beta Wholesale.")
        for w in deck.warnings
    )


@pytest.mark.django_db
def test_portfolio_pdf_and_pptx_hold_the_parts_a_director_reviews(portfolio, director):
    with translation.override("en"):
        deck = review_deck(review=portfolio.review, user=director)
        pdf = portfolio_pdf(deck)
        pptx = portfolio_pptx(deck)
    keep("portfolio-en.pdf", pdf)
    keep("portfolio-en.pptx", pptx)
    text = pdf_text(pdf)
    pages = pdf_pages(pdf)

    for part in (
        "Review 2026",
        "Boxes",
        "Can we serve them?",
        "The selection matrix",
        "Movement since Review 2025",
        "Key accounts and key development accounts",
        "Alpha Retail",
        "990,000",
        movement_sentence(deck),
        f"{pages} / {pages}",
    ):
        assert part in text, part
    titles = slide_titles(pptx)
    assert titles[1:] == [
        "Summary",
        "The selection matrix",
        "Movement since Review 2025 (1 Mar 2025)",
        "Accounts that changed box",
        "Key accounts and key development accounts",
    ]
    slides = pptx_texts(pptx)
    assert "Selection matrix with 4 accounts" in slides[2]  # the picture's description
    assert "Alpha Retail" in slides[4] and "Key development" in slides[4]
    assert f"{len(titles)} / {len(titles)}" in slides[-1]


@pytest.mark.django_db
def test_a_kam_deck_shows_only_their_own_accounts(portfolio, kam_user):
    deck = review_deck(review=portfolio.review, user=kam_user)

    names = {k.name for k in deck.key_accounts} | {m.name for m in deck.moves}
    assert names == {"Alpha Retail", "Beta Wholesale"}
    assert sum(b.count for b in deck.boxes) == 2
    text = pdf_text(portfolio_pdf(deck))
    assert "Gamma Foodservice" not in text and "Delta Online" not in text


@pytest.mark.django_db
def test_dutch_portfolio_deck_has_dutch_headings(portfolio, director):
    with translation.override("nl"):
        deck = review_deck(review=portfolio.review, user=director)
        pdf = portfolio_pdf(deck)
        pptx = portfolio_pptx(deck)
    keep("portfolio-nl.pdf", pdf)
    keep("portfolio-nl.pptx", pptx)
    text = pdf_text(pdf)

    for dutch in ("Kwadranten", "Kunnen we ze bedienen?", "Ontwikkelaccount", "Eigenaar"):
        assert dutch in text, dutch
    assert "Can we serve them?" not in text
    assert "Samenvatting" in slide_titles(pptx)


def _long_deck(portfolio, director, *, moves: int, keys: int):  # type: ignore[no-untyped-def]
    """The fixture's deck with ``moves`` accounts that changed box and ``keys`` key accounts
    (names "Moved 01" ..., "Keyacct 01" ...), as a large portfolio has."""
    import dataclasses

    from kam.reports.portfolio_deck import KeyAccountLine, Move

    deck = review_deck(review=portfolio.review, user=director)
    return dataclasses.replace(
        deck,
        moves=[
            Move(
                name=f"Moved {i:02d}",
                owner="Anna de Vries",
                from_box="key_development",
                from_label="Key development",
                to_box="key",
                to_label="Key",
                revenue=1000.0 * (moves - i),
            )
            for i in range(1, moves + 1)
        ],
        key_accounts=[
            KeyAccountLine(
                name=f"Keyacct {i:02d}",
                owner="Anna de Vries",
                box="key",
                box_label="Key",
                attractiveness=7.5,
                strength_text="RS 1.20",
                revenue=2000.0 * (keys - i),
                certainty=0.9,
                previous_label="Key",
            )
            for i in range(1, keys + 1)
        ],
    )


def _rows_per_page(pdf: bytes, prefix: str) -> list[int]:
    """How many table rows named ``prefix`` NN each page holds (pages without any left out)."""
    import io
    import re

    from pypdf import PdfReader

    counts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        n = len(set(re.findall(rf"{prefix} (\d\d)", page.extract_text() or "")))
        if n:
            counts.append(n)
    return counts


@pytest.mark.django_db
@pytest.mark.parametrize(("moves", "keys"), [(45, 37), (19, 21), (3, 2)])
def test_review_deck_pages_are_filled_and_only_a_tables_last_page_may_be_short(
    portfolio, director, moves, keys
):
    with translation.override("en"):
        deck = _long_deck(portfolio, director, moves=moves, keys=keys)
        pdf = portfolio_pdf(deck)
        pptx = portfolio_pptx(deck)
    keep(f"portfolio-long-{moves}-{keys}.pdf", pdf)
    keep(f"portfolio-long-{moves}-{keys}.pptx", pptx)

    for prefix, total in (("Moved", moves), ("Keyacct", keys)):
        in_pdf = _rows_per_page(pdf, prefix)
        in_deck = [
            len(set(__import__("re").findall(rf"{prefix} (\d\d)", text)))
            for text in pptx_texts(pptx)
        ]
        in_deck = [n for n in in_deck if n]
        for where, pages in (("pdf", in_pdf), ("pptx", in_deck)):
            # Every row once, on as few pages as fit ~15-20 rows each.
            assert sum(pages) == total, (where, prefix, pages)
            assert len(pages) <= max(1, -(-total // 12)), (where, prefix, pages)
            # No page holds only a few rows unless it is the table's last.
            assert all(n >= 8 for n in pages[:-1]), (where, prefix, pages)
            if total >= 12:
                assert min(pages) >= 8, (where, prefix, pages)


@pytest.mark.django_db
def test_a_large_deck_lists_the_largest_accounts_and_says_how_many_it_leaves_out(
    portfolio, director, monkeypatch
):
    import re

    from kam.reports import portfolio_deck

    monkeypatch.setattr(portfolio_deck, "TABLE_ROWS_MAX", 10)
    with translation.override("en"):
        deck = _long_deck(portfolio, director, moves=25, keys=14)
        pdf = portfolio_pdf(deck)
        pptx = portfolio_pptx(deck)
    # The figures still count every account.
    assert len(deck.moves) == 25 and len(deck.key_accounts) == 14
    text = pdf_text(pdf)
    slides = " ".join(pptx_texts(pptx))
    for where, found in (("pdf", text), ("pptx", slides)):
        flat = re.sub(r"\s+", " ", found)
        # The largest by revenue (Moved 01 and Keyacct 01 are the largest), no more.
        assert set(re.findall(r"Moved (\d\d)", flat)) == {f"{i:02d}" for i in range(1, 11)}, where
        assert set(re.findall(r"Keyacct (\d\d)", flat)) == {f"{i:02d}" for i in range(1, 11)}, where
        assert "The 10 largest by revenue of 25 are listed" in flat, where
        assert "The 10 largest by revenue of 14 are listed" in flat, where
