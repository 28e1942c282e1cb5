"""The per-manager limit counts key and key development accounts, or key only, as the
organisation chooses (docs/method.md section 1: "one to four key accounts per key account
manager … checks the number of key (and key development) accounts"). Every place that warns
reads the one setting: the matrix page, its API, the portfolio deck."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from kam.organisation.models import ManagerLimitCounts
from kam.organisation.selectors import organisation_get
from kam.portfolio.matrix import capacity_summary
from kam.reports.portfolio_deck import review_deck
from tests.conftest import client_for
from tests.portfolio.test_matrix import matrix_portfolio

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/api/organisation/settings"


@pytest.fixture
def portfolio(director, kam_user, other_kam):  # type: ignore[no-untyped-def]
    """Anna (kam_user) owns Alpha (key), Beta (key development) and Epsilon (not placed);
    the other manager Gamma (maintenance) and Delta (opportunistic). The limit is one."""
    kam_user.first_name, kam_user.last_name = "Anna", "de Vries"
    kam_user.save()
    p = matrix_portfolio(director=director, owners=[kam_user, other_kam])
    org = organisation_get()
    org.max_key_accounts_per_manager = 1
    org.save()
    return p


def _per_manager(messages):  # type: ignore[no-untyped-def]
    return [m for m in messages if m.code == "per_manager"]


def test_the_default_counts_key_and_key_development_and_names_manager_and_accounts(
    portfolio, director, kam_user
):
    assert organisation_get().manager_limit_counts == ManagerLimitCounts.KEY_AND_DEVELOPMENT
    summary = capacity_summary(review=portfolio.review, user=director)
    (warning,) = _per_manager(summary["messages"])
    assert warning.message == (
        "Anna de Vries carries 2 key and key development accounts; a key account manager can "
        "serve at most 1. Counted: Alpha Retail, Beta Wholesale."
    )
    assert warning.manager_id == kam_user.pk
    assert summary["per_manager"][kam_user.username] == {
        "manager": "Anna de Vries",
        "key_accounts": 2,
        "limit": 1,
        "counted_boxes": ["key", "key_development"],
    }
    page = client_for(director).get(reverse("portfolio:matrix")).content.decode()
    assert "Counted: Alpha Retail, Beta Wholesale." in page
    deck = review_deck(review=portfolio.review, user=director)
    assert warning.message in deck.warnings


def test_key_only_leaves_a_manager_with_one_key_account_within_the_limit(
    portfolio, director, kam_user
):
    response = client_for(director).put(
        SETTINGS_URL, json.dumps({"manager_limit_counts": "key"}), content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["manager_limit_counts"] == "key"
    assert response.json()["max_key_accounts_per_manager"] == 1  # left out, kept
    summary = capacity_summary(review=portfolio.review, user=director)
    assert _per_manager(summary["messages"]) == []
    assert summary["per_manager"][kam_user.username]["key_accounts"] == 1
    assert summary["per_manager"][kam_user.username]["counted_boxes"] == ["key"]
    # and back: the warning returns with the same setting, from the API as well
    client_for(director).put(
        SETTINGS_URL,
        json.dumps({"manager_limit_counts": "key_and_development"}),
        content_type="application/json",
    )
    api = client_for(director).get("/api/portfolio/warnings").json()
    assert [w["code"] for w in api["warnings"]].count("per_manager") == 1
    assert api["per_manager"][kam_user.username]["key_accounts"] == 2


def test_the_settings_page_sets_which_accounts_count(portfolio, director):
    from tests.organisation.test_views import URL, org_post

    client = client_for(director)
    response = client.post(
        URL, org_post(max_key_accounts_per_manager=1, manager_limit_counts="key")
    )
    assert response.status_code == 302
    assert organisation_get().manager_limit_counts == "key"
    page = client.get(URL).content.decode()
    assert '<option value="key" selected>Key accounts only</option>' in page
    bad = client.post(URL, org_post(manager_limit_counts="everything"))
    assert bad.status_code == 200 and bad.context["org_form"].errors["manager_limit_counts"]
    assert organisation_get().manager_limit_counts == "key"


def test_an_unknown_choice_is_refused_by_the_api(director):
    response = client_for(director).put(
        SETTINGS_URL, json.dumps({"manager_limit_counts": "all"}), content_type="application/json"
    )
    assert response.status_code == 422
    assert organisation_get().manager_limit_counts == "key_and_development"


def test_another_manager_is_not_told_which_accounts_are_counted(portfolio, other_kam):
    """The count is company-wide, the names are not: Anna's accounts stay unnamed to a
    manager who may not open them."""
    api = client_for(other_kam).get("/api/portfolio/warnings").json()
    (warning,) = [w for w in api["warnings"] if w["code"] == "per_manager"]
    assert warning["message"].endswith("Counted: 2 accounts you cannot open.")
    assert "Alpha" not in warning["message"] and "Beta" not in warning["message"]


def test_the_warning_is_dutch_in_dutch(portfolio, director):
    from django.utils import translation

    with translation.override("nl"):
        summary = capacity_summary(review=portfolio.review, user=director)
    (warning,) = _per_manager(summary["messages"])
    assert warning.message == (
        "Anna de Vries heeft 2 key accounts en ontwikkelaccounts; een key accountmanager "
        "kan er hoogstens 1 bedienen. Geteld: Alpha Retail, Beta Wholesale."
    )


def test_a_long_list_names_six_accounts_and_counts_the_rest(kam_user):
    from kam.core.capacity import CapacityCheck, CapacityWarning, WarningCode
    from kam.portfolio.matrix import capacity_warning_messages

    kam_user.first_name, kam_user.last_name = "Anna", "de Vries"
    kam_user.save()
    ids = tuple(range(1, 10))
    check = CapacityCheck(
        key_accounts=5,
        key_development_accounts=4,
        hours_needed=0,
        hours_available=0,
        key_accounts_per_manager={kam_user.pk: 9},
        warnings=(CapacityWarning(WarningCode.PER_MANAGER, 9, 4, kam_user.pk, ids),),
    )
    names = {i: f"A{i}" for i in ids[:8]}  # the ninth the reader may not open
    (message,) = capacity_warning_messages(check, account_names=names)
    assert message.message == (
        "Anna de Vries carries 9 key and key development accounts; a key account manager can "
        "serve at most 4. Counted: A1, A2, A3, A4, A5, A6 and 2 more, 1 account you cannot open."
    )


@pytest.mark.parametrize("counts", [ManagerLimitCounts.KEY_AND_DEVELOPMENT, ManagerLimitCounts.KEY])
def test_the_check_reads_only_the_boxes_it_counts_and_equals_the_check_of_every_account(
    portfolio, counts
):  # type: ignore[no-untyped-def]
    """``capacity_check`` reads the key and key development placements only (a large
    portfolio is mostly maintenance and opportunistic); its figures are those of the core
    check fed every placed account of the review."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kam.core.capacity import check_key_account_capacity
    from kam.organisation.selectors import (
        box_policies_get,
        capacity_limits_get,
        team_capacity_hours,
    )
    from kam.portfolio.matrix import capacity_check
    from kam.portfolio.models import Placement

    org = organisation_get()
    org.manager_limit_counts = counts
    org.save()
    placed = list(
        Placement.objects.filter(review=portfolio.review)
        .exclude(box="")
        .order_by("account__name", "account_id")
        .values_list("box", "account__owner_id", "account_id")
    )
    assert {b for b, _o, _a in placed} >= {"maintenance", "opportunistic"}
    every = check_key_account_capacity(
        boxes=[b for b, _o, _a in placed],
        owners=[o for _b, o, _a in placed],
        accounts=[a for _b, _o, a in placed],
        policies=box_policies_get(organisation=org),
        team_hours_per_year=team_capacity_hours(),
        limits=capacity_limits_get(organisation=org),
    )
    with CaptureQueriesContext(connection) as queries:
        assert capacity_check(review=portfolio.review) == every
    read = next(q["sql"] for q in queries.captured_queries if "portfolio_placement" in q["sql"])
    assert "'maintenance'" not in read and "'opportunistic'" not in read
    assert "'key'" in read


def test_managers_beyond_the_shown_ones_are_counted_in_one_sentence(
    portfolio, director, monkeypatch
):
    """At 10,000 accounts hundreds of managers can be over the limit: the start page, the
    matrix and the deck show the most loaded few and count the others, the matrix listing
    them behind a disclosure; the API keeps every warning."""
    from kam.portfolio import matrix

    full = capacity_summary(review=portfolio.review, user=director)
    (warning,) = _per_manager(full["messages"])
    assert full["shown"] == full["messages"] and full["more"] == 0 and full["more_text"] == ""

    monkeypatch.setattr(matrix, "MANAGER_WARNINGS_SHOWN", 0)
    summary = capacity_summary(review=portfolio.review, user=director)
    assert _per_manager(summary["shown"]) == []
    assert summary["rest"] == [warning]
    assert summary["more"] == 1
    assert summary["more_text"] == (
        "1 more key account manager carries more accounts than one can serve."
    )
    page = client_for(director).get(reverse("portfolio:matrix")).content.decode()
    assert 'data-testid="capacity-more"' in page
    assert page.index(summary["more_text"]) < page.index("Counted: Alpha Retail, Beta Wholesale.")
    start = client_for(director).get("/").content.decode()
    assert summary["more_text"] in start
    assert "Counted: Alpha Retail" not in start
    deck = review_deck(review=portfolio.review, user=director)
    assert summary["more_text"] in deck.warnings and warning.message not in deck.warnings
    api = client_for(director).get("/api/portfolio/warnings")
    assert api.status_code == 200
    assert "Counted: Alpha Retail, Beta Wholesale." in json.dumps(api.json())
