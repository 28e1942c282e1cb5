"""Account pages: who sees and changes what, filters, sorting, htmx fragments, N+1 guard."""

from __future__ import annotations

import datetime as dt
import html
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from kam.accounts.models import Account, AccountRevenue, TeamRole
from kam.organisation.models import ExchangeRate
from kam.organisation.selectors import organisation_get
from kam.portfolio.models import Placement, Review, ReviewStatus
from kam.users.models import Role
from tests.conftest import client_for
from tests.factories import (
    AccountFactory,
    AccountRevenueFactory,
    AccountTeamMemberFactory,
    ReviewFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

LAST_YEAR = dt.date.today().year - 1


def make_review(name: str, day: dt.date) -> Review:
    # closed: only a closed review is the portfolio whose boxes pages show
    return ReviewFactory(
        name=name,
        review_date=day,
        scheme_version__scheme__name="Scheme",
        status=ReviewStatus.CLOSED,
    )


@pytest.fixture
def accounts(kam_user, other_kam, member):
    own = AccountFactory(name="Own Retail", external_id="OWN-1", owner=kam_user, country="NL")
    other = AccountFactory(
        name="Other Wholesale",
        external_id="OTH-1",
        owner=other_kam,
        country="DE",
        channel="wholesale",
    )
    served = AccountFactory(
        name="Served Online", external_id="SRV-1", owner=other_kam, country="BE", channel="online"
    )
    AccountTeamMemberFactory(account=served, user=member)
    return {"own": own, "other": other, "served": served}


# --- who reads what ------------------------------------------------------------------------


def names_on_list(client, **params) -> list[str]:
    response = client.get(reverse("accounts:list"), params)
    assert response.status_code == 200
    return [a.name for a in response.context["rows"]]


def test_kam_lists_only_own_accounts(kam_user, accounts):
    assert names_on_list(client_for(kam_user)) == ["Own Retail"]


def test_team_member_lists_served_accounts(member, accounts):
    assert names_on_list(client_for(member)) == ["Served Online"]


def test_viewer_and_director_list_all(viewer, director, accounts):
    expected = ["Other Wholesale", "Own Retail", "Served Online"]
    assert names_on_list(client_for(viewer)) == expected
    assert names_on_list(client_for(director)) == expected


def test_kam_cannot_open_other_managers_account_by_url(kam_user, accounts):
    client = client_for(kam_user)
    assert client.get(reverse("accounts:detail", args=[accounts["other"].pk])).status_code == 404
    assert client.get(reverse("accounts:edit", args=[accounts["other"].pk])).status_code == 404
    missing = Account.objects.order_by("-pk").first().pk + 100
    assert client.get(reverse("accounts:detail", args=[missing])).status_code == 404


def test_team_member_reads_served_account_but_cannot_edit(member, accounts):
    client = client_for(member)
    response = client.get(reverse("accounts:detail", args=[accounts["served"].pk]))
    assert response.status_code == 200
    assert b'data-testid="account-name"' in response.content
    assert reverse("accounts:edit", args=[accounts["served"].pk]).encode() not in response.content
    assert client.get(reverse("accounts:edit", args=[accounts["served"].pk])).status_code == 403


def test_viewer_reads_everything_writes_nothing(viewer, accounts):
    client = client_for(viewer)
    url = reverse("accounts:edit", args=[accounts["other"].pk])
    assert client.get(reverse("accounts:detail", args=[accounts["other"].pk])).status_code == 200
    response = client.post(
        url,
        {
            "section": "account",
            "name": "Changed",
            "external_id": "OTH-1",
            "country": "DE",
            "currency": "EUR",
        },
    )
    assert response.status_code == 403
    accounts["other"].refresh_from_db()
    assert accounts["other"].name == "Other Wholesale"
    assert client.get(reverse("accounts:new")).status_code == 403
    assert client.get(reverse("accounts:import")).status_code == 403


def test_anonymous_is_sent_to_login(client, accounts):
    response = client.get(reverse("accounts:detail", args=[accounts["own"].pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- list: filters, sorting, htmx, pagination ----------------------------------------------


def test_filters_by_text_country_channel_owner(director, other_kam, accounts):
    client = client_for(director)
    assert names_on_list(client, q="oth-") == ["Other Wholesale"]
    assert names_on_list(client, q="retail") == ["Own Retail"]
    assert names_on_list(client, country="BE") == ["Served Online"]
    assert names_on_list(client, channel="wholesale") == ["Other Wholesale"]
    assert names_on_list(client, owner=other_kam.pk) == ["Other Wholesale", "Served Online"]
    # A value that does not fit is ignored rather than breaking the page.
    assert len(names_on_list(client, owner="abc", box="purple")) == 3


def test_box_comes_from_latest_review(director, accounts):
    older = make_review("2024 review", dt.date(2024, 3, 1))
    latest = make_review("2025 review", dt.date(2025, 3, 1))
    Placement.objects.create(review=older, account=accounts["own"], box="opportunistic")
    Placement.objects.create(review=latest, account=accounts["own"], box="key")
    Placement.objects.create(review=older, account=accounts["other"], box="key")
    client = client_for(director)
    assert names_on_list(client, box="key") == ["Own Retail"]
    assert names_on_list(client, box="none") == ["Other Wholesale", "Served Online"]
    response = client.get(reverse("accounts:list"))
    assert b'class="badge box-key"' in response.content
    assert "2025 review" in response.content.decode()


def test_sort_by_revenue_uses_base_currency(director, accounts):
    org = organisation_get()
    ExchangeRate.objects.create(organisation=org, currency="GBP", rate_to_base=Decimal("2"))
    accounts["own"].currency = "GBP"
    accounts["own"].save()
    AccountRevenueFactory(account=accounts["own"], year=LAST_YEAR, amount=Decimal("600"))
    AccountRevenueFactory(account=accounts["other"], year=LAST_YEAR, amount=Decimal("1000"))
    client = client_for(director)
    # 600 GBP is worth 1200 EUR, more than 1000 EUR; no revenue sorts last either way.
    assert names_on_list(client, sort="-revenue") == [
        "Own Retail",
        "Other Wholesale",
        "Served Online",
    ]
    assert names_on_list(client, sort="revenue") == [
        "Other Wholesale",
        "Own Retail",
        "Served Online",
    ]
    assert names_on_list(client, sort="-name") == [
        "Served Online",
        "Own Retail",
        "Other Wholesale",
    ]
    assert names_on_list(client, sort="country") == [
        "Served Online",
        "Other Wholesale",
        "Own Retail",
    ]


def test_htmx_request_gets_only_the_table(director, accounts):
    client = client_for(director)
    response = client.get(
        reverse("accounts:list"), {"country": "NL"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="account-table">')
    assert "<html" not in page and "Own Retail" in page and "Other Wholesale" not in page
    full = client.get(reverse("accounts:list")).content.decode()
    assert "<html" in full and 'hx-get="/accounts/"' in full


def test_pagination_50_per_page(director):
    AccountFactory.create_batch(120)
    client = client_for(director)
    response = client.get(reverse("accounts:list"))
    assert len(response.context["rows"]) == 50
    assert response.context["page"].paginator.num_pages == 3
    response = client.get(reverse("accounts:list"), {"page": 3})
    assert len(response.context["rows"]) == 20


def test_list_query_count_does_not_grow_with_accounts(director, django_assert_max_num_queries):
    review = make_review("R", dt.date(2025, 1, 1))
    owners = [make_user(Role.KEY_ACCOUNT_MANAGER) for _ in range(5)]
    for i in range(60):
        account = AccountFactory(owner=owners[i % 5])
        AccountRevenueFactory(account=account, year=LAST_YEAR)
        Placement.objects.create(review=review, account=account, box="maintenance")
    client = client_for(director)
    client.get(reverse("accounts:list"))  # warm the session and organisation rows
    # one query of these finds the customer groups to roll up (none here; tests/accounts/
    # test_groups.py checks the count stays fixed as groups are added)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("accounts:list"), {"sort": "-revenue"})
    assert len(response.context["rows"]) == 50
    with django_assert_max_num_queries(11):
        client.get(reverse("accounts:list"), headers={"HX-Request": "true"})


# --- detail --------------------------------------------------------------------------------


def test_detail_shows_group_team_revenue_and_positions(director, kam_user, member, accounts):
    group = AccountFactory(name="Retail Group")
    own = accounts["own"]
    own.parent = group
    own.currency = "GBP"
    own.save()
    child = AccountFactory(name="Own Retail Store", parent=own)
    AccountTeamMemberFactory(account=own, user=member, team_role=TeamRole.SURROUND)
    ExchangeRate.objects.create(
        organisation=organisation_get(), currency="GBP", rate_to_base=Decimal("1.5")
    )
    AccountRevenueFactory(account=own, year=2024, amount=Decimal("1000"))
    review = make_review("Spring review", dt.date(2025, 4, 1))
    Placement.objects.create(
        review=review,
        account=own,
        attractiveness=6.25,
        strength=4.5,
        relative_strength=0.9,
        box="key_development",
        p_key=0.1,
        p_key_development=0.85,
        p_maintenance=0.05,
        p_opportunistic=0.0,
        missing=[],
        disagreement=["growth"],
    )
    other_review = make_review("Autumn review", dt.date(2025, 10, 1))
    Placement.objects.create(review=other_review, account=own, missing=["payment"])

    page = client_for(director).get(reverse("accounts:detail", args=[own.pk])).content.decode()
    assert 'data-testid="account-name">Own Retail<' in page
    assert reverse("accounts:detail", args=[group.pk]) in page
    assert reverse("accounts:detail", args=[child.pk]) in page
    assert "1,500.00" in page  # 1000 GBP at 1.5 in the base currency
    assert "Position in the portfolio" in page
    assert "Spring review" in page and "6.25" in page and "85%" in page
    assert "badge box-key_development" in page
    assert "growth" in page and "payment" in page
    assert member.username in page or member.get_full_name() in page


def test_kam_sees_group_name_but_no_link_to_hidden_group(kam_user, accounts):
    hidden_group = AccountFactory(name="Hidden Group")
    accounts["own"].parent = hidden_group
    accounts["own"].save()
    page = (
        client_for(kam_user)
        .get(reverse("accounts:detail", args=[accounts["own"].pk]))
        .content.decode()
    )
    assert "Hidden Group" in page
    assert reverse("accounts:detail", args=[hidden_group.pk]) not in page


# --- edit and create -----------------------------------------------------------------------


def form_data(account: Account, **changes: str) -> dict[str, str]:
    data = {
        "section": "account",
        "name": account.name,
        "external_id": account.external_id,
        "parent_external_id": "",
        "owner": str(account.owner_id or ""),
        "country": account.country,
        "channel": account.channel,
        "currency": account.currency,
        "active": "on",
    }
    data.update(changes)
    return data


def test_kam_edits_own_account(kam_user, accounts):
    client = client_for(kam_user)
    own = accounts["own"]
    assert client.get(reverse("accounts:detail", args=[own.pk])).context["may_edit"] is True
    response = client.post(
        reverse("accounts:edit", args=[own.pk]),
        form_data(own, name="Own Retail BV", channel="retail"),
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.name == "Own Retail BV"


def test_edit_shows_rule_errors_beside_field(kam_user, accounts):
    own = accounts["own"]
    response = client_for(kam_user).post(
        reverse("accounts:edit", args=[own.pk]), form_data(own, country="HL")
    )
    assert response.status_code == 200
    assert "'HL' is not a two-letter ISO country code" in html.unescape(response.content.decode())
    own.refresh_from_db()
    assert own.country == "NL"


def test_edit_parent_by_external_id_and_cycle_refused(director, accounts):
    client = client_for(director)
    own, other = accounts["own"], accounts["other"]
    client.post(reverse("accounts:edit", args=[own.pk]), form_data(own, parent_external_id="OTH-1"))
    own.refresh_from_db()
    assert own.parent == other
    response = client.post(
        reverse("accounts:edit", args=[other.pk]), form_data(other, parent_external_id="OWN-1")
    )
    assert "cannot be its parent" in response.content.decode()
    other.refresh_from_db()
    assert other.parent is None


def test_kam_cannot_change_owner_through_form(kam_user, other_kam, accounts):
    own = accounts["own"]
    client_for(kam_user).post(
        reverse("accounts:edit", args=[own.pk]), form_data(own, owner=str(other_kam.pk))
    )
    own.refresh_from_db()
    assert own.owner == kam_user  # the disabled field keeps its initial value


def test_team_and_revenue_forms(kam_user, member, accounts):
    own = accounts["own"]
    client = client_for(kam_user)
    url = reverse("accounts:edit", args=[own.pk])
    extra = make_user(Role.TEAM_MEMBER)
    response = client.post(
        url, {"section": "team", "team-core": [member.pk], "team-surround": [extra.pk]}
    )
    assert response.status_code == 302
    assert {(m.user_id, m.team_role) for m in own.team.all()} == {
        (member.pk, TeamRole.CORE),
        (extra.pk, TeamRole.SURROUND),
    }
    response = client.post(
        url, {"section": "revenue", "revenue-new_year": "2024", "revenue-new_amount": "1500.25"}
    )
    assert response.status_code == 302
    response = client.post(
        url,
        {
            "section": "revenue",
            "revenue-revenue_2024": "",
            "revenue-new_year": "2025",
            "revenue-new_amount": "10",
        },
    )
    assert list(AccountRevenue.objects.filter(account=own).values_list("year", "amount")) == [
        (2025, Decimal("10.00"))
    ]
    # Changing a year while the pre-filled "add a year" row stays without an amount.
    response = client.post(
        url,
        {
            "section": "revenue",
            "revenue-revenue_2025": "11",
            "revenue-new_year": "2026",
            "revenue-new_amount": "",
        },
    )
    assert response.status_code == 302
    assert AccountRevenue.objects.get(account=own).amount == Decimal("11.00")


def test_kam_creates_own_account_director_any(kam_user, other_kam, director):
    response = client_for(kam_user).post(
        reverse("accounts:new"),
        {
            "name": "New Co",
            "external_id": "NEW-1",
            "country": "fr",
            "currency": "EUR",
            "channel": "",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert Account.objects.get(external_id="NEW-1").owner == kam_user
    client_for(director).post(
        reverse("accounts:new"),
        {
            "name": "Other Co",
            "external_id": "NEW-2",
            "country": "FR",
            "currency": "EUR",
            "owner": str(other_kam.pk),
            "active": "on",
        },
    )
    assert Account.objects.get(external_id="NEW-2").owner == other_kam


# --- import and export pages ---------------------------------------------------------------


def upload(client, content: bytes, name: str = "accounts.csv"):
    return client.post(
        reverse("accounts:import"),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


def test_import_page_success_shows_summary(director):
    response = upload(client_for(director), b"external_id,name,country\nC1,One,NL\nC2,Two,DE\n")
    assert response.status_code == 200
    assert 'data-testid="import-summary"' in response.content.decode()
    assert response.context["summary"].created == 2


def test_import_page_failure_shows_report_and_imports_nothing(director):
    response = upload(
        client_for(director),
        b"external_id,name,country\nC1,One,NL\nC2,Two,Holland\nC3,Three,NL\n",
    )
    assert response.status_code == 422
    page = html.unescape(response.content.decode())
    assert "Nothing was imported" in page
    assert "row" in page and "'Holland' is not a two-letter ISO country code" in page
    assert [(p.row, p.column) for p in response.context["report"]] == [(3, "country")]
    assert Account.objects.count() == 0


@pytest.mark.parametrize("fixture", ["kam_user", "member", "viewer"])
def test_only_directors_see_and_use_import(request, fixture):
    client = client_for(request.getfixturevalue(fixture))
    list_html = client.get(reverse("accounts:list")).content.decode()
    assert reverse("accounts:import") not in list_html
    assert client.get(reverse("accounts:import")).status_code == 403
    assert upload(client, b"external_id,name,country\nC1,One,NL\n").status_code == 403
    assert Account.objects.count() == 0


def test_template_download(director):
    response = client_for(director).get(reverse("accounts:import_template"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").startswith(
        "external_id,name,parent_external_id,owner,country,channel,currency,"
    )


def test_export_follows_filters_and_visibility(kam_user, director, accounts):
    text = (
        client_for(kam_user)
        .get(reverse("accounts:export", args=["csv"]))
        .content.decode("utf-8-sig")
    )
    assert "OWN-1" in text and "OTH-1" not in text and "SRV-1" not in text
    response = client_for(director).get(
        reverse("accounts:export", args=["xlsx"]), {"country": "DE"}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].values)
    assert [r[0] for r in rows[1:]] == ["OTH-1"]
    assert client_for(director).get(reverse("accounts:export", args=["pdf"])).status_code == 404
