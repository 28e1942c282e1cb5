"""The start page costs the same number of queries at N and 3N accounts, for a key
account manager and a director, when the box moves come from the store written at close
(``ReviewMove``; tests/web/test_start.py counts the page on reviews without it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.portfolio.models import ReviewMove
from kam.portfolio.services import review_moves_store
from kam.relationships.findings_store import findings_refresh
from kam.users.models import StartVisit
from tests.conftest import client_for
from tests.web.test_start import _more_accounts, world  # noqa: F401 (world is a fixture)


@pytest.mark.parametrize("who", ["kam_user", "director"])
def test_the_start_page_reads_stored_moves_in_the_same_queries_at_3n_accounts(  # type: ignore[no-untyped-def]
    who,
    request,
    world,  # noqa: F811
):
    user = request.getfixturevalue(who)
    owner = request.getfixturevalue("kam_user")
    client = client_for(user)
    client.get(reverse("home"))  # the first visit creates the visit row

    def count() -> tuple[int, str]:
        review_moves_store(review=world.reviews[1])
        findings_refresh()
        StartVisit.objects.filter(user=user).update(
            last_seen_at=timezone.now() - dt.timedelta(days=90)
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("home"))
        assert response.status_code == 200
        return len(queries), response.content.decode()

    _more_accounts(owner, world.reviews, 4, 0)  # 8 accounts
    few, _html = count()
    _more_accounts(owner, world.reviews, 16, 10)  # 24 accounts
    many, html = count()
    assert many == few
    # the page does show the moves it read from the store: 22 moves (Alpha, Beta and the
    # 20 extra accounts, all key → maintenance), 12 listed for the director
    assert ReviewMove.objects.filter(review=world.reviews[1]).count() == 22
    assert "Extra 25" in html  # a drop alert on the last account added
    # the start page counts every alert (21 drops and Beta's lost champion) and lists the
    # first ten; the alerts page lists the drop of the last account added
    alerts_html = html[html.index('data-testid="start-alerts"') :].split("</section>")[0]
    assert '<span class="count">22</span>' in alerts_html and "All 22 alerts" in alerts_html
    assert alerts_html.count('data-testid="alert"') == 10
    assert "Extra 25" in client.get(reverse("alerts"), {"page": 1}).content.decode()
    if who == "director":
        assert html.count('data-testid="moved-account"') == 12
        assert "All 22 on the matrix" in html
