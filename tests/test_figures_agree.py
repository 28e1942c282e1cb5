"""One figure, one value: for every key account of the demo, the revenue of the year, share of
wallet, planned growth, ROI, payback and box read the same on the plan page, the economics
page, the API, the plan's PDF and its PowerPoint (docs/economics.md, "One figure, one
definition").

The expectations are computed here from the raw data (the invoice lines in the store, the
available spend, the plan's entered amounts, the placements of the latest review), not through
``kam.economics.figures``. Numbers are read back from what a user sees, in English, with a
regex that tolerates thousands separators; each surface is compared at the precision it shows.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest
from django.test import Client
from pptx import Presentation
from pypdf import PdfReader

from kam.accounts.models import Account, AccountRevenue
from kam.activities.models import ActivityParticipant
from kam.demo import demo_load
from kam.economics.lines import store_get
from kam.plans.models import Plan
from kam.portfolio.models import Placement
from kam.portfolio.selectors import portfolio_review
from tests.factories import make_user

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.slow]  # loads the demo

TODAY = dt.date(2026, 11, 16)
NUMBER = r"([−+-]?\d[\d,]*(?:\.\d+)?)"


def number(text: str) -> float:
    """ "EUR 17,567,769" → 17567769; "−3.8" → −3.8 (English separators)."""
    match = re.search(NUMBER, text)
    assert match, f"no number in {text!r}"
    return float(match.group(1).replace(",", "").replace("−", "-"))


def rounded(value: float, places: int = 0) -> float:
    step = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP))


def flat(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def tile(html: str, figure: str) -> str:
    """The bold value of the stat tile ``data-figure=figure`` (plan and economics pages)."""
    match = re.search(rf'data-figure="{figure}"[^>]*>\s*<b[^>]*>(.*?)</b>', html, re.S)
    assert match, f"no {figure} tile"
    return flat(match.group(1))


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


def pptx_text(data: bytes) -> str:
    parts: list[str] = []
    for slide in Presentation(io.BytesIO(data)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts.extend(cell.text for row in shape.table.rows for cell in row.cells)
    return re.sub(r"\s+", " ", " ¶ ".join(parts))


def invoiced(year: int) -> dict[str, float]:
    """External id → Σ invoice lines dated in ``year``, straight from the store's files."""
    store = store_get()
    files = [str(f) for f in store.line_files()]
    con = duckdb.connect()
    try:
        first = con.execute(f"SELECT min(invoice_date) FROM read_parquet({files!r})").fetchone()
        assert first is not None and first[0] <= dt.date(year, 1, 1), "the demo covers the year"
        rows = con.execute(
            f"SELECT account_external_id, sum(amount) FROM read_parquet({files!r}) "
            f"WHERE year(invoice_date) = {year} GROUP BY 1"
        ).fetchall()
    finally:
        con.close()
    return {k: float(v) for k, v in rows}


def test_every_key_account_shows_the_same_figures_on_every_page_file_and_api(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_load(seed=11, accounts=60, stdout=io.StringIO(), today=TODAY)
    review = portfolio_review()  # the key accounts of the portfolio
    assert review is not None
    key_ids = list(
        Placement.objects.filter(review=review, box="key").values_list("account_id", flat=True)
    )
    assert len(key_ids) >= 3
    director = make_user(role="sales_director", username="figures-director")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(director)
    spend = store_get().available_spend()
    problems: list[str] = []
    with_plan = 0
    invoiced_in: dict[int, dict[str, float]] = {}  # year → invoiced per external id

    def same(account: Account, what: str, where: str, shown: float, expected: float) -> None:
        if shown != expected:
            problems.append(f"{account.name}: {what} on {where} is {shown}, expected {expected}")

    for account in Account.objects.filter(pk__in=key_ids).order_by("name"):
        plan = Plan.objects.filter(account=account).order_by("-period_start", "-pk").first()
        year = plan.period_start.year if plan is not None else TODAY.year
        if year - 1 not in invoiced_in:  # the store does not change during the test
            invoiced_in[year - 1] = invoiced(year - 1)
        lines = invoiced_in[year - 1]
        revenue = lines.get(account.external_id)
        if revenue is None:
            entered = AccountRevenue.objects.filter(account=account, year=year - 1).first()
            revenue = float(entered.amount) if entered else None
        assert revenue is not None, account.name
        available = spend.get(account.external_id)
        if available is None and plan is not None and plan.category_spend:
            available = plan.category_spend
        wallet = revenue / float(available) if available else None
        api = client.get(f"/api/economics/accounts/{account.pk}/figures?year={year}").json()
        econ = client.get(
            f"/economics/accounts/{account.pk}/?year={year}&as_of={TODAY.isoformat()}"
        ).content.decode()

        same(account, "revenue", "API", rounded(api["revenue"]), rounded(revenue))
        same(account, "revenue", "economics", number(tile(econ, "revenue")), rounded(revenue))
        assert api["box"] == "key", account.name
        if wallet is not None:
            pct = rounded(100 * wallet)
            same(account, "share of wallet", "API", rounded(100 * api["share_of_wallet"]), pct)
            same(
                account, "share of wallet", "economics", number(tile(econ, "share_of_wallet")), pct
            )
        start, end = (
            (plan.period_start, plan.period_end)
            if plan is not None
            else (dt.date(year, 1, 1), dt.date(year, 12, 31))
        )
        minutes = sum(
            ActivityParticipant.objects.filter(
                activity__account=account, activity__date__range=(start, end)
            ).values_list("activity__duration_minutes", flat=True)
        )
        hours = rounded(minutes / 60)
        same(account, "hours logged", "economics", number(tile(econ, "hours")), hours)
        same(account, "hours logged", "API", rounded(api["hours_actual"]), hours)
        if plan is None:
            continue
        with_plan += 1
        if client.get(f"/api/plans/{plan.pk}/figures").json() != api:
            problems.append(f"{account.name}: the plan's API figures differ from the account's")
        html = client.get(f"/plans/{plan.pk}/").content.decode()
        pdf = pdf_text(client.get(f"/reports/plans/{plan.pk}/export.pdf?lang=en").content)
        deck = pptx_text(client.get(f"/reports/plans/{plan.pk}/export.pptx?lang=en").content)

        whole = rounded(revenue)
        same(account, "revenue", "plan page", number(tile(html, "revenue")), whole)
        for where, text in (("PDF", pdf), ("PowerPoint", deck)):
            match = re.search(r"[A-Z]{3} " + NUMBER + r" (?:¶ )?revenue now", text)
            assert match, f"{account.name}: no revenue on the {where}"
            same(account, "revenue", where, number(match.group(1)), whole)
            assert "Key" in text, f"{account.name}: box missing from the {where}"
        if wallet is not None:
            pct = rounded(100 * wallet)
            same(
                account, "share of wallet", "plan page", number(tile(html, "share_of_wallet")), pct
            )
            match = re.search(r"Share of wallet " + NUMBER + " %", pdf)
            assert match, f"{account.name}: no share of wallet in the PDF"
            same(account, "share of wallet", "PDF", number(match.group(1)), pct)
        if plan.revenue_target is not None:
            growth = 100 * (float(plan.revenue_target) / revenue - 1)
            same(account, "growth", "plan page", number(tile(html, "growth")), rounded(growth, 1))
            same(account, "growth", "economics", number(tile(econ, "growth")), rounded(growth, 1))
            same(account, "growth", "API", rounded(100 * api["growth"], 1), rounded(growth, 1))
            for where, text in (("PDF", pdf), ("PowerPoint", deck)):
                match = re.search(r"revenue target \(" + NUMBER + "%\\)", text)
                assert match, f"{account.name}: no growth in the {where}"
                same(account, "growth", where, number(match.group(1)), rounded(growth))
        if plan.investment and plan.expected_return is not None:
            roi = 100 * float((plan.expected_return - plan.investment) / plan.investment)
            same(account, "ROI", "plan page", number(tile(html, "roi")), rounded(roi))
            same(account, "ROI", "economics", number(tile(econ, "roi")), rounded(roi))
            same(account, "ROI", "API", rounded(100 * api["roi"]), rounded(roi))
            for where, text in (("PDF", pdf), ("PowerPoint", deck)):
                shown = {number(m) for m in re.findall(r"ROI " + NUMBER + "%", text)}
                shown |= {number(m) for m in re.findall(r"Return on investment " + NUMBER, text)}
                assert shown, f"{account.name}: no ROI in the {where}"
                for value in shown:
                    same(account, "ROI", where, value, rounded(roi))
            if plan.expected_return > 0:
                payback = float(plan.investment / plan.expected_return)  # a one-year plan
                for where, text in (("PDF", pdf), ("PowerPoint", deck)):
                    match = re.search(r"Payback " + NUMBER + " years", text)
                    assert match, f"{account.name}: no payback in the {where}"
                    same(account, "payback", where, number(match.group(1)), rounded(payback, 1))
                same(
                    account, "payback", "API", rounded(api["payback_years"], 1), rounded(payback, 1)
                )

    assert with_plan >= 3, "the demo gives most key accounts a plan"
    assert problems == []
