"""The accounts API: permission rules, token auth, filters, writes, import and export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kam.accounts.models import Account, AccountRevenue, TeamRole
from kam.users.tokens import api_token_create, api_token_revoke
from tests.conftest import client_for
from tests.factories import AccountFactory, AccountRevenueFactory, AccountTeamMemberFactory

pytestmark = pytest.mark.django_db

BASE = "/api/accounts/"


@pytest.fixture
def accounts(kam_user, other_kam, member):
    own = AccountFactory(name="Own", external_id="OWN-1", owner=kam_user, country="NL")
    other = AccountFactory(name="Other", external_id="OTH-1", owner=other_kam, country="DE")
    served = AccountFactory(name="Served", external_id="SRV-1", owner=other_kam, country="BE")
    AccountTeamMemberFactory(account=served, user=member)
    return {"own": own, "other": other, "served": served}


def token_client(user) -> tuple[Client, object]:
    row, plain = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {plain}"}), row


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["external_id"] for item in response.json()["items"]]


# --- authentication ------------------------------------------------------------------------


def test_token_auth_works_and_revoked_token_gets_401(kam_user, accounts):
    client, row = token_client(kam_user)
    assert ids(client.get(BASE)) == ["OWN-1"]
    api_token_revoke(token=row)
    assert client.get(BASE).status_code == 401
    assert Client(headers={"Authorization": "Bearer kam_not-a-token"}).get(BASE).status_code == 401
    assert Client().get(BASE).status_code == 401


def test_session_auth_works(director, accounts):
    assert len(ids(client_for(director).get(BASE))) == 3


# --- reading -------------------------------------------------------------------------------


def test_kam_gets_404_for_other_managers_account(kam_user, accounts):
    client, _ = token_client(kam_user)
    assert client.get(f"{BASE}{accounts['own'].pk}").status_code == 200
    response = client.get(f"{BASE}{accounts['other'].pk}")
    assert response.status_code == 404
    missing = client.get(f"{BASE}{accounts['other'].pk + 1000}")
    # A hidden account answers exactly like one that does not exist.
    assert missing.status_code == 404 and missing.json() == response.json()


def test_team_member_reads_served_account(member, accounts):
    client, _ = token_client(member)
    assert ids(client.get(BASE)) == ["SRV-1"]
    detail = client.get(f"{BASE}{accounts['served'].pk}").json()
    assert detail["name"] == "Served" and detail["may_edit"] is False
    assert client.get(f"{BASE}{accounts['own'].pk}").status_code == 404


def test_viewer_reads_all(viewer, accounts):
    client, _ = token_client(viewer)
    assert sorted(ids(client.get(BASE))) == ["OTH-1", "OWN-1", "SRV-1"]
    assert client.get(f"{BASE}{accounts['other'].pk}").status_code == 200


def test_list_filters_sort_and_pagination(director, other_kam, accounts):
    client, _ = token_client(director)
    assert ids(client.get(BASE, {"country": "DE"})) == ["OTH-1"]
    assert ids(client.get(BASE, {"q": "srv"})) == ["SRV-1"]
    assert ids(client.get(BASE, {"owner": other_kam.pk, "sort": "-name"})) == ["SRV-1", "OTH-1"]
    assert client.get(BASE, {"sort": "sideways"}).status_code == 422
    AccountFactory.create_batch(60)
    page = client.get(BASE, {"page": 2}).json()
    assert page["count"] == 63 and len(page["items"]) == 13


def test_detail_has_team_revenue_and_group(director, member, accounts):
    own = accounts["own"]
    child = AccountFactory(parent=own)
    AccountRevenueFactory(account=own, year=2024, amount=Decimal("12.50"))
    client, _ = token_client(director)
    body = client.get(f"{BASE}{own.pk}").json()
    assert body["children"] == [
        {"id": child.pk, "external_id": child.external_id, "name": child.name}
    ]
    assert body["revenues"] == [{"year": 2024, "amount": "12.50"}]
    assert body["owner"]["username"] == "kam1"
    assert body["placements"] == [] and body["may_edit"] is True


# --- writing -------------------------------------------------------------------------------


def test_kam_patches_own_account_and_gets_404_for_others(kam_user, accounts):
    client, _ = token_client(kam_user)
    response = client.patch(
        f"{BASE}{accounts['own'].pk}", {"channel": "online"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["channel"] == "online"
    response = client.patch(
        f"{BASE}{accounts['other'].pk}", {"name": "Mine now"}, content_type="application/json"
    )
    assert response.status_code == 404
    accounts["other"].refresh_from_db()
    assert accounts["other"].name == "Other"


def test_kam_on_team_may_write_served_account(kam_user, accounts):
    # A key account manager changes the accounts they serve; a team member only reads them.
    served = accounts["served"]
    client, _ = token_client(kam_user)
    AccountTeamMemberFactory(account=served, user=kam_user)
    assert (
        client.patch(
            f"{BASE}{served.pk}", {"name": "X"}, content_type="application/json"
        ).status_code
        == 200
    )
    served.refresh_from_db()
    assert served.name == "X"


def test_viewer_and_member_cannot_write(viewer, member, accounts):
    for user in (viewer, member):
        client, _ = token_client(user)
        target = accounts["served"]
        assert (
            client.patch(
                f"{BASE}{target.pk}", {"name": "X"}, content_type="application/json"
            ).status_code
            == 403
        )
        assert (
            client.put(
                f"{BASE}{target.pk}/revenue",
                [{"year": 2024, "amount": "1"}],
                content_type="application/json",
            ).status_code
            == 403
        )
        assert (
            client.post(
                BASE,
                {"external_id": "N", "name": "N", "country": "NL"},
                content_type="application/json",
            ).status_code
            == 403
        )
    accounts["served"].refresh_from_db()
    assert accounts["served"].name == "Served"
    assert not AccountRevenue.objects.exists()


def test_patch_validation_errors(director, accounts):
    client, _ = token_client(director)
    response = client.patch(
        f"{BASE}{accounts['own'].pk}", {"country": "Holland"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "country"
    response = client.patch(
        f"{BASE}{accounts['own'].pk}", {"external_id": "OTH-1"}, content_type="application/json"
    )
    assert response.status_code == 409
    response = client.patch(
        f"{BASE}{accounts['own'].pk}",
        {"parent_id": accounts["own"].pk},
        content_type="application/json",
    )
    assert response.status_code == 422


def test_kam_cannot_change_owner_director_can(kam_user, other_kam, director, accounts):
    own = accounts["own"]
    client, _ = token_client(kam_user)
    response = client.patch(
        f"{BASE}{own.pk}", {"owner_id": other_kam.pk}, content_type="application/json"
    )
    assert response.status_code == 403
    client, _ = token_client(director)
    response = client.patch(
        f"{BASE}{own.pk}", {"owner_id": other_kam.pk}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["owner"]["username"] == "kam2"


def test_create_account(kam_user, director, accounts):
    client, _ = token_client(kam_user)
    response = client.post(
        BASE,
        {"external_id": "NEW-1", "name": "New", "country": "fr", "parent_id": accounts["own"].pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["country"] == "FR" and body["owner"]["username"] == "kam1"
    # A parent the caller cannot see is reported like a missing one.
    response = client.post(
        BASE,
        {"external_id": "NEW-2", "name": "New", "country": "FR", "parent_id": accounts["other"].pk},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["field"] == "parent_id"


def test_team_and_revenue_endpoints(kam_user, member, accounts):
    own = accounts["own"]
    client, _ = token_client(kam_user)
    response = client.put(
        f"{BASE}{own.pk}/team",
        {"core": ["member1"], "surround": []},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == [
        {
            "user": {"id": member.pk, "username": "member1", "name": member.get_full_name()},
            "team_role": "core",
        }
    ]
    assert own.team.get().team_role == TeamRole.CORE
    response = client.put(
        f"{BASE}{own.pk}/team", {"core": ["ghost"]}, content_type="application/json"
    )
    assert response.status_code == 422
    response = client.put(
        f"{BASE}{own.pk}/revenue",
        [{"year": 2024, "amount": "100.5"}, {"year": 2025, "amount": 7}],
        content_type="application/json",
    )
    assert response.json() == [{"year": 2024, "amount": "100.50"}, {"year": 2025, "amount": "7.00"}]
    response = client.put(
        f"{BASE}{own.pk}/revenue", [{"year": 2024, "amount": None}], content_type="application/json"
    )
    assert response.json() == [{"year": 2025, "amount": "7.00"}]


# --- import and export ---------------------------------------------------------------------


def test_import_good_file(director):
    client, _ = token_client(director)
    content = b"external_id,name,country,revenue_2025\nC1,One,NL,10\nC2,Two,DE,\n"
    response = client.post(f"{BASE}import", {"file": SimpleUploadedFile("a.csv", content)})
    assert response.status_code == 200
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}


def test_import_bad_file_422_with_problems_and_nothing_written(director):
    client, _ = token_client(director)
    content = b"external_id,name,country\nC1,One,NL\nC2,Two,Holland\n"
    response = client.post(f"{BASE}import", {"file": SimpleUploadedFile("a.csv", content)})
    assert response.status_code == 422
    body = response.json()
    assert body["report"] == [
        {
            "row": 3,
            "column": "country",
            "reason": "'Holland' is not a two-letter ISO country code (for example NL, DE, GB).",
        }
    ]
    assert body["problems"][0].startswith("row 3, column country: 'Holland'")
    assert "nothing was imported" in body["detail"]
    assert Account.objects.count() == 0


def test_import_forbidden_for_kam(kam_user):
    client, _ = token_client(kam_user)
    response = client.post(
        f"{BASE}import",
        {"file": SimpleUploadedFile("a.csv", b"external_id,name,country\nC1,One,NL\n")},
    )
    assert response.status_code == 403
    assert Account.objects.count() == 0


def test_export_csv_visible_only_and_round_trip(kam_user, director, accounts):
    client, _ = token_client(kam_user)
    response = client.get(f"{BASE}export", {"format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["OWN-1"]
    director_client, _ = token_client(director)
    exported = director_client.get(f"{BASE}export", {"format": "xlsx"})
    assert exported["Content-Type"].startswith("application/vnd.openxmlformats")
    response = director_client.post(
        f"{BASE}import", {"file": SimpleUploadedFile("export.xlsx", exported.content)}
    )
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 3}


def test_openapi_documents_account_endpoints(director):
    schema = client_for(director).get("/api/openapi.json").json()
    paths = schema["paths"]
    assert {
        "/api/accounts/",
        "/api/accounts/{account_id}",
        "/api/accounts/import",
        "/api/accounts/export",
        "/api/accounts/{account_id}/team",
        "/api/accounts/{account_id}/revenue",
    } <= set(paths)
