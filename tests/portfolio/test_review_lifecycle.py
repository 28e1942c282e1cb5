"""A review in progress changes nothing until it is closed.

The portfolio -- the boxes every part of kam uses -- is the latest CLOSED review
(``portfolio_review``). These tests open a new review on top of a closed one, score it so
that its boxes differ on purpose from the portfolio's, and check that every consumer still
reads the closed review; that the matrix previews the open review only when asked, marked
as a preview; that a director can cancel it (others cannot, nor a closed review); and that
closing it makes it the portfolio.

The setup (``tests.portfolio.test_matrix.matrix_portfolio``): two closed reviews, the
latest with Alpha key, Beta key development, Gamma maintenance, Delta opportunistic and
Epsilon not placed. The new review places Alpha opportunistic, Beta and Delta key, and
leaves Gamma and Epsilon unscored (not placed).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse

from kam.allocation.selectors import judgement_accounts, review_for_boxes
from kam.allocation.services import period_create
from kam.casefor.selectors import capacity_inputs_current
from kam.casefor.services import assessment_create
from kam.economics.selectors import boxes_latest
from kam.errors import ApplicationError
from kam.plans.selectors import account_box as plan_account_box
from kam.plans.selectors import template_for_box
from kam.plans.services import plan_create
from kam.portfolio.models import Placement, Rating, Review, ReviewStatus
from kam.portfolio.selectors import account_box, account_list_annotated, boxes_of, portfolio_review
from kam.portfolio.services import review_cancel, review_close, review_compute, review_create
from kam.users.models import Role
from tests.casefor.conftest import answers_at, readiness_at
from tests.conftest import client_for
from tests.factories import make_user
from tests.portfolio.test_matrix import PROFILES, Portfolio, matrix_portfolio, score

pytestmark = pytest.mark.django_db

NEW_DATE = dt.date(2026, 9, 1)

# Boxes of the closed (portfolio) review, as matrix_portfolio builds it.
CLOSED_BOXES = {
    "Alpha Retail": "key",
    "Beta Wholesale": "key_development",
    "Gamma Foodservice": "maintenance",
    "Delta Online": "opportunistic",
}
# Boxes the new review gives once scored (Gamma and Epsilon are left unscored).
NEW_BOXES = {
    "Alpha Retail": "opportunistic",
    "Beta Wholesale": "key",
    "Delta Online": "key",
}


@pytest.fixture
def world(director, kam_user, other_kam) -> tuple[Portfolio, Review]:  # type: ignore[no-untyped-def]
    portfolio = matrix_portfolio(director=director, owners=[kam_user, other_kam])
    assert portfolio.review.status == ReviewStatus.CLOSED
    new = review_create(
        name="Review autumn 2026",
        review_date=NEW_DATE,
        scheme_version=portfolio.review.scheme_version,
        raters=[director],
        created_by=director,
    )
    for name, box in NEW_BOXES.items():
        score(new, director, portfolio.accounts[name], PROFILES[box])
    review_compute(review=new)
    # the new review really does place accounts differently (else the tests prove nothing)
    new_boxes = dict(
        Placement.objects.filter(review=new).values_list("account__name", "box").order_by()
    )
    assert {k: new_boxes[k] for k in NEW_BOXES} == NEW_BOXES
    assert new_boxes["Gamma Foodservice"] == ""
    return portfolio, new


def _ids(portfolio: Portfolio) -> dict[str, int]:
    return {name: a.pk for name, a in portfolio.accounts.items()}


# -- opening a review changes nothing -----------------------------------------------------


def test_opening_a_review_leaves_the_portfolio_review_and_every_box_unchanged(world):  # type: ignore[no-untyped-def]
    portfolio, new = world
    assert portfolio_review() == portfolio.review
    ids = _ids(portfolio)
    assert boxes_of(account_ids=ids.values()) == {ids[n]: b for n, b in CLOSED_BOXES.items()}
    assert account_box(account=portfolio.accounts["Alpha Retail"]) == "key"
    assert account_box(account=portfolio.accounts["Epsilon Stores"]) == ""
    # asking for the open review explicitly gives its boxes
    assert account_box(account=portfolio.accounts["Alpha Retail"], review=new) == "opportunistic"


def test_matrix_default_is_the_portfolio_and_says_where_the_boxes_come_from(world, director):  # type: ignore[no-untyped-def]
    portfolio, _new = world
    client = client_for(director)
    html = client.get(reverse("portfolio:matrix")).content.decode()
    assert 'data-testid="matrix-preview"' not in html
    source = re.search(r'data-testid="boxes-source">(.*?)</p>', html, re.S)
    assert source is not None
    assert "Review 2026" in source.group(1) and "closed" in source.group(1)
    assert reverse("portfolio:review_detail", args=[portfolio.review.pk]) in source.group(1)
    api = client.get("/api/portfolio/matrix").json()
    assert api["review"]["id"] == portfolio.review.pk
    assert api["preview"] is False
    rows = {r["name"]: r["box"] for r in api["rows"]}
    assert {k: rows[k] for k in CLOSED_BOXES} == CLOSED_BOXES
    # 4 placed and only Epsilon not placed: not "every account not placed"
    assert sum(1 for b in rows.values() if not b) == 1


def test_account_list_and_account_page_show_the_closed_reviews_box(world, director):  # type: ignore[no-untyped-def]
    portfolio, _new = world
    boxes = dict(account_list_annotated(user=director).values_list("name", "box"))
    assert {k: boxes[k] for k in CLOSED_BOXES} == CLOSED_BOXES
    client = client_for(director)
    listing = client.get(reverse("accounts:list")).content.decode()
    assert 'data-testid="boxes-source"' in listing and "Review 2026" in listing
    alpha = portfolio.accounts["Alpha Retail"]
    page = client.get(reverse("accounts:detail", args=[alpha.pk])).content.decode()
    box_line = re.search(r'data-testid="portfolio-box">(.*?)</p>', page, re.S)
    assert box_line is not None and "box-key" in box_line.group(1)
    assert "in progress, not the portfolio" in page  # the open review's row in the history


def test_allocation_economics_plans_and_business_case_read_the_closed_review(world, director):  # type: ignore[no-untyped-def]
    portfolio, _new = world
    ids = _ids(portfolio)
    # allocation input
    assert review_for_boxes() == portfolio.review
    period = period_create(
        created_by=director, name="Plan 2027", start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31)
    )
    allocated = dict(judgement_accounts(user=director, period=period).values_list("name", "box"))
    assert {k: allocated[k] for k in CLOSED_BOXES} == CLOSED_BOXES
    # economics by box
    review, boxes = boxes_latest(account_ids=ids.values())
    assert review == portfolio.review
    assert boxes == {ids[n]: b for n, b in CLOSED_BOXES.items()}
    # plan template: Gamma is maintenance in the portfolio, unplaced in the open review
    gamma = portfolio.accounts["Gamma Foodservice"]
    assert plan_account_box(account=gamma) == "maintenance"
    maintenance, key = template_for_box("maintenance"), template_for_box("key")
    assert maintenance.sections != key.sections  # else the check below proves nothing
    plan = plan_create(
        user=director,
        account=gamma,
        period_label="2027",
        period_start=dt.date(2027, 1, 1),
        period_end=dt.date(2027, 12, 31),
    )
    assert plan.sections == maintenance.sections
    # business case: one key account in the portfolio (the open review would say two),
    # as read now and as recorded by an assessment made while the review is open
    assert capacity_inputs_current().current_key_accounts == 1
    assessment = assessment_create(
        created_by=director, answers=answers_at(3), readiness=readiness_at(3)
    )
    assert assessment.current_key_accounts == 1


def test_pages_with_boxes_name_the_review_they_come_from(world, director):  # type: ignore[no-untyped-def]
    portfolio, _new = world
    assessment_create(created_by=director, answers=answers_at(3), readiness=readiness_at(3))
    client = client_for(director)
    url = reverse("portfolio:review_detail", args=[portfolio.review.pk])
    for page in ("economics:portfolio", "plans:list", "casefor:case", "accounts:list"):
        html = client.get(reverse(page)).content.decode()
        source = re.search(r'data-testid="boxes-source">(.*?)</p>', html, re.S)
        assert source is not None, page
        assert "Review 2026" in source.group(1) and url in source.group(1), page


# -- preview ------------------------------------------------------------------------------


def test_matrix_previews_the_open_review_only_when_picked_and_says_so(world, director):  # type: ignore[no-untyped-def]
    portfolio, new = world
    client = client_for(director)
    html = client.get(reverse("portfolio:matrix"), {"review_id": new.pk}).content.decode()
    banner = re.search(r'data-testid="matrix-preview">(.*?)</div>', html, re.S)
    assert banner is not None
    assert "Preview of review Review autumn 2026 in progress" in banner.group(1)
    assert "not the portfolio" in banner.group(1)
    api = client.get("/api/portfolio/matrix", {"review_id": new.pk}).json()
    assert api["preview"] is True
    assert api["review"]["id"] == new.pk
    rows = {r["name"]: r["box"] for r in api["rows"]}
    assert {k: rows[k] for k in NEW_BOXES} == NEW_BOXES
    assert rows["Gamma Foodservice"] == ""
    # previewing changed nothing: the default is still the closed review
    assert client.get("/api/portfolio/matrix").json()["review"]["id"] == portfolio.review.pk
    # the chooser offers both and marks which is which
    chooser = re.search(r'<select name="review_id">(.*?)</select>', html, re.S)
    assert chooser is not None
    assert "in progress (preview)" in chooser.group(1) and "the portfolio" in chooser.group(1)


def test_warnings_api_defaults_to_the_portfolio_review(world, director):  # type: ignore[no-untyped-def]
    portfolio, new = world
    client = client_for(director)
    assert client.get("/api/portfolio/warnings").json()["review"]["id"] == portfolio.review.pk
    explicit = client.get("/api/portfolio/warnings", {"review_id": new.pk}).json()
    assert explicit["review"]["id"] == new.pk
    assert explicit["key_accounts"] == 2


# -- cancel -------------------------------------------------------------------------------


def test_director_cancels_an_open_review_through_the_confirmation_page(world, director):  # type: ignore[no-untyped-def]
    portfolio, new = world
    client = client_for(director)
    url = reverse("portfolio:review_cancel", args=[new.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert 'data-testid="review-cancel"' in confirm.content.decode()
    new.refresh_from_db()
    assert new.status == ReviewStatus.OPEN  # the GET only asks
    response = client.post(url)
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.status == ReviewStatus.CANCELLED
    assert new.cancelled_by == director and new.cancelled_at is not None
    # decided: the scores and placements of a cancelled review are deleted
    assert not Rating.objects.filter(review=new).exists()
    assert not Placement.objects.filter(review=new).exists()
    assert portfolio_review() == portfolio.review
    detail = client.get(reverse("portfolio:review_detail", args=[new.pk])).content.decode()
    assert 'data-testid="review-cancelled"' in detail
    # a cancelled review cannot be previewed, closed or scored
    assert client.get(reverse("portfolio:matrix"), {"review_id": new.pk}).status_code == 409
    with pytest.raises(ApplicationError) as exc:
        review_close(review=new, closed_by=director)
    assert exc.value.status == 409


def test_administrator_may_cancel_by_api_and_it_is_idempotent(world):  # type: ignore[no-untyped-def]
    portfolio, new = world
    admin = make_user(Role.ADMINISTRATOR, username="admin1")
    client = client_for(admin)
    response = client.post(f"/api/reviews/{new.pk}/cancel")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == ReviewStatus.CANCELLED
    assert body["cancelled_by"] == admin.pk and body["cancelled_at"]
    assert body["is_portfolio"] is False
    assert client.post(f"/api/reviews/{new.pk}/cancel").status_code == 200
    reviews = {r["id"]: r for r in client.get("/api/reviews").json()}
    assert reviews[portfolio.review.pk]["is_portfolio"] is True
    assert portfolio_review() == portfolio.review


def test_a_manager_may_not_cancel(world, kam_user):  # type: ignore[no-untyped-def]
    _portfolio, new = world
    client = client_for(kam_user)
    assert client.get(reverse("portfolio:review_cancel", args=[new.pk])).status_code == 403
    assert client.post(reverse("portfolio:review_cancel", args=[new.pk])).status_code == 403
    assert client.post(f"/api/reviews/{new.pk}/cancel").status_code == 403
    assert client.post("/api/reviews/99999/cancel").status_code == 404
    new.refresh_from_db()
    assert new.status == ReviewStatus.OPEN
    assert Rating.objects.filter(review=new).exists()


def test_a_closed_review_cannot_be_cancelled(world, director):  # type: ignore[no-untyped-def]
    portfolio, _new = world
    closed = portfolio.review
    client = client_for(director)
    response = client.post(f"/api/reviews/{closed.pk}/cancel")
    assert response.status_code == 409
    assert "closed review cannot be cancelled" in response.json()["detail"]
    page = client.post(reverse("portfolio:review_cancel", args=[closed.pk]), follow=True)
    assert "closed review cannot be cancelled" in page.content.decode()
    closed.refresh_from_db()
    assert closed.status == ReviewStatus.CLOSED
    assert Placement.objects.filter(review=closed).exclude(box="").count() == 4
    with pytest.raises(ApplicationError) as exc:
        review_cancel(review=closed, cancelled_by=director)
    assert exc.value.status == 409


# -- close --------------------------------------------------------------------------------


def test_closing_the_review_makes_it_the_portfolio_everywhere(world, director):  # type: ignore[no-untyped-def]
    portfolio, new = world
    review_close(review=new, closed_by=director)
    new.refresh_from_db()
    assert new.closed_by == director and new.closed_at is not None
    assert portfolio_review() == new
    ids = _ids(portfolio)
    assert boxes_of(account_ids=ids.values()) == {ids[n]: b for n, b in NEW_BOXES.items()}
    assert review_for_boxes() == new
    assert boxes_latest(account_ids=ids.values())[0] == new
    assert plan_account_box(account=portfolio.accounts["Gamma Foodservice"]) == ""
    assert capacity_inputs_current().current_key_accounts == 2
    api = client_for(director).get("/api/portfolio/matrix").json()
    assert api["review"]["id"] == new.pk and api["preview"] is False
    # the arrows now compare with the review it replaced
    assert api["previous_review"]["id"] == portfolio.review.pk


# -- one definition -----------------------------------------------------------------------

KAM = Path(__file__).resolve().parents[2] / "kam"
SELECTOR = KAM / "portfolio" / "selectors.py"


def test_no_code_outside_the_selector_picks_a_review_by_date():
    """ "The portfolio" is defined once: nothing else orders reviews by date to pick one."""
    patterns = [
        re.compile(r"""order_by\(\s*["']-review_date"""),
        re.compile(r"""order_by\(\s*["']review_date"""),
        re.compile(r"\breview_latest\w*\("),
        re.compile(r"Review\.objects\.(latest|earliest)\("),
        re.compile(r"""latest\(\s*["']review_date"""),
    ]
    offenders = []
    for path in KAM.rglob("*.py"):
        if path == SELECTOR or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(KAM.parent)}:{line}: {match.group(0)}")
    assert offenders == [], "pick the review with kam.portfolio.selectors.portfolio_review()"
