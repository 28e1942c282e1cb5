"""The alerts page at /alerts/ (docs/start.md): every alert on the key and key development
accounts a person reads, the most important first, a page at a time; the start page shows
the first of the same list and the same count."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.pages.alerts import AlertKind, alert_order
from kam.pages.start import SHOWN_ALERTS, start_alerts
from kam.portfolio.models import Placement
from kam.portfolio.services import review_moves_store
from kam.relationships.findings_store import findings_refresh
from kam.relationships.models import Contact
from tests.conftest import client_for
from tests.web import test_start
from tests.web.test_start import _account_with_plan, _more_accounts, _section

world = test_start.world  # the fixture: two closed reviews and four accounts

TODAY = timezone.localdate()


def _alerts(html: str) -> list[tuple[str, str]]:
    """(kind, account name) of every alert listed in ``html``, in the order shown."""
    pattern = r'data-kind="(\w+)" data-testid="alert">.*?<a href="[^"]*">([^<]*)</a>'
    return re.findall(pattern, html, re.S)


def _count(html: str) -> int:
    """The count in the start page's alerts heading."""
    heading = _section(html, "start-alerts").split("</h2>")[0]
    found = re.search(r'<span class="count">([\d,.]+)</span>', heading)
    assert found is not None
    return int(re.sub(r"[,.]", "", found.group(1)))


def _drop_elsewhere(world, other_kam) -> None:  # type: ignore[no-untyped-def]
    """Another manager's key account dropped to maintenance: a director's alert only."""
    _account_with_plan(other_kam, "Omega Other", "key", "maintenance", world.reviews)
    # Delta (other_kam's key account) lost its champion too
    Contact.objects.create(
        account=world.delta,
        number=1,
        name="Dora Champion",
        attitude="champion",
        has_left=True,
        left_on=TODAY - dt.timedelta(days=5),
    )
    findings_refresh()


def test_the_alerts_page_lists_the_start_pages_alerts_in_order_with_the_same_count(  # type: ignore[no-untyped-def]
    director,
    kam_user,
    other_kam,
    world,
):
    _drop_elsewhere(world, other_kam)
    _more_accounts(kam_user, world.reviews, 12, 0)  # 12 more key → maintenance drops
    findings_refresh()
    client = client_for(director)
    start = client.get(reverse("home")).content.decode()
    page = client.get(reverse("alerts"))
    assert page.status_code == 200
    html = page.content.decode()

    listed = _alerts(html)
    # every drop first (Alpha, Omega and the 12 extra), by name; then the lost champions
    # of the key accounts Beta (moved up to key) and Delta, by name
    assert len(listed) == 16
    drops = [name for kind, name in listed if kind == AlertKind.BOX_DROP]
    assert drops == sorted(drops) and len(drops) == 14
    assert listed[:14] == [(AlertKind.BOX_DROP, name) for name in drops]
    assert listed[14:] == [
        (AlertKind.CHAMPION_LOST, "Beta Retail"),
        (AlertKind.CHAMPION_LOST, "Delta Other"),
    ]
    assert "16 alerts" in _section(html, "alerts-total")

    # the start page: the same count, the first SHOWN_ALERTS of the same list, a link here
    assert _count(start) == 16
    assert _alerts(_section(start, "start-alerts")) == listed[:SHOWN_ALERTS]
    link = _section(start, "start-alerts")
    assert f'href="{reverse("alerts")}"' in link and "All 16 alerts" in link

    # the list is in the defined order (one selector feeds both pages)
    every = start_alerts(user=director, as_of=TODAY)
    assert every == sorted(every, key=alert_order)
    assert [(a.kind, a.account.name) for a in every] == listed


def test_the_alerts_page_goes_page_by_page_in_the_same_order(  # type: ignore[no-untyped-def]
    director,
    kam_user,
    world,
    monkeypatch,
):
    _more_accounts(kam_user, world.reviews, 6, 0)
    findings_refresh()
    monkeypatch.setattr("kam.pages.views.ALERTS_PER_PAGE", 3)
    client = client_for(director)
    every = [(a.kind, a.account.name) for a in start_alerts(user=director, as_of=TODAY)]
    assert len(every) == 8  # Alpha's and 6 extra drops, Beta's lost champion
    seen = []
    for number in (1, 2, 3):
        html = client.get(reverse("alerts"), {"page": number}).content.decode()
        assert f"Page {number} of 3" in html
        seen.extend(_alerts(html))
    assert seen == every
    last = client.get(reverse("alerts"), {"page": 3}).content.decode()
    assert 'rel="next"' not in last and 'href="?page=2"' in last
    # a page past the end or not a number shows the last or the first page, never an error
    assert _alerts(client.get(reverse("alerts"), {"page": 99}).content.decode()) == every[6:]
    assert _alerts(client.get(reverse("alerts"), {"page": "x"}).content.decode()) == every[:3]


def test_the_alerts_page_filters_by_kind_and_keeps_the_filter_across_pages(  # type: ignore[no-untyped-def]
    director,
    kam_user,
    world,
    monkeypatch,
):
    _more_accounts(kam_user, world.reviews, 4, 0)
    findings_refresh()
    monkeypatch.setattr("kam.pages.views.ALERTS_PER_PAGE", 2)
    client = client_for(director)
    html = client.get(reverse("alerts"), {"kind": AlertKind.BOX_DROP}).content.decode()
    listed = _alerts(html)
    assert listed == [(AlertKind.BOX_DROP, "Alpha Foods"), (AlertKind.BOX_DROP, "Extra 00")]
    assert "5 of 6 alerts" in html
    assert f'href="?kind={AlertKind.BOX_DROP}&amp;page=2"' in html
    champions = client.get(reverse("alerts"), {"kind": AlertKind.CHAMPION_LOST}).content.decode()
    assert _alerts(champions) == [(AlertKind.CHAMPION_LOST, "Beta Retail")]
    # an unknown kind shows every alert
    assert len(_alerts(client.get(reverse("alerts"), {"kind": "x"}).content.decode())) == 2
    assert "6 alerts" in client.get(reverse("alerts"), {"kind": "x"}).content.decode()


def test_a_manager_sees_only_the_alerts_on_the_accounts_they_read(  # type: ignore[no-untyped-def]
    kam_user,
    other_kam,
    director,
    world,
):
    _drop_elsewhere(world, other_kam)
    mine = client_for(kam_user).get(reverse("alerts")).content.decode()
    assert {name for _kind, name in _alerts(mine)} == {"Alpha Foods", "Beta Retail"}
    assert "Omega Other" not in mine and "Delta Other" not in mine
    theirs = client_for(other_kam).get(reverse("alerts")).content.decode()
    assert {name for _kind, name in _alerts(theirs)} == {"Omega Other", "Delta Other"}
    everything = client_for(director).get(reverse("alerts")).content.decode()
    assert {name for _kind, name in _alerts(everything)} == {
        "Alpha Foods",
        "Beta Retail",
        "Omega Other",
        "Delta Other",
    }
    # the start page counts the same alerts as the page
    assert _count(client_for(kam_user).get(reverse("home")).content.decode()) == 2


def test_the_alerts_page_needs_a_sign_in(client, world):  # type: ignore[no-untyped-def]
    response = client.get(reverse("alerts"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_an_inactive_account_raises_no_alert(kam_user, world):  # type: ignore[no-untyped-def]
    world.alpha.active = False
    world.alpha.save()
    html = client_for(kam_user).get(reverse("alerts")).content.decode()
    assert "Alpha Foods" not in html and "Beta Retail" in html


def test_the_alerts_page_in_dutch(kam_user, world):  # type: ignore[no-untyped-def]
    client = client_for(kam_user)
    client.cookies["django_language"] = "nl"
    html = client.get(reverse("alerts")).content.decode()
    assert "Signalen bij key accounts en ontwikkelaccounts" in html
    assert "Kwadrant gezakt" in html
    assert "zakte in de laatste beoordeling van Key account naar" in html
    assert "2 signalen" in html


def test_with_no_closed_review_there_is_no_alert(kam_user):  # type: ignore[no-untyped-def]
    html = client_for(kam_user).get(reverse("alerts")).content.decode()
    assert _alerts(html) == []
    assert "No key or key development account dropped a box" in html


@pytest.mark.parametrize("who", ["kam_user", "director"])
def test_the_alerts_page_costs_the_same_queries_at_3n_accounts(  # type: ignore[no-untyped-def]
    who,
    request,
    world,
):
    user = request.getfixturevalue(who)
    owner = request.getfixturevalue("kam_user")
    client = client_for(user)

    def count() -> int:
        review_moves_store(review=world.reviews[1])
        findings_refresh()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("alerts"))
        assert response.status_code == 200
        return len(queries)

    _more_accounts(owner, world.reviews, 4, 0)  # 8 accounts
    few = count()
    _more_accounts(owner, world.reviews, 16, 10)  # 24 accounts
    many = count()
    assert many == few
    assert Placement.objects.filter(review=world.reviews[1]).count() == 24
