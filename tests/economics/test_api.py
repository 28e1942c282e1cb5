"""The economics API keeps the pages' rules: another manager's account answers 404, a viewer
reads but never writes, and the numbers are the ledger's."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from kam.economics.models import CostToServeItem, Investment
from tests.conftest import client_for
from tests.economics.conftest import import_lines
from tests.factories import AccountFactory

API = "/api/economics"


@pytest.fixture
def mine(tmp_path, kam_user):  # type: ignore[no-untyped-def]
    account = AccountFactory(external_id="M1", owner=kam_user)
    import_lines(
        tmp_path,
        [
            ("M1", "a", "2025-01-10", "1000", "600", None, None, "EUR"),
            ("M1", "b", "2026-01-10", "1500", "800", None, None, "EUR"),
        ],
    )
    return account


def _post(client, url, body):  # type: ignore[no-untyped-def]
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_a_kam_cannot_see_another_kams_account_economics(mine, other_kam):
    client = client_for(other_kam)
    for path in ("pnl", "facts", "costs", "investments"):
        assert client.get(f"{API}/accounts/{mine.pk}/{path}").status_code == 404
    item = CostToServeItem.objects.create(
        account=mine, date=dt.date(2026, 1, 1), kind="service", amount=Decimal(5)
    )
    inv = Investment.objects.create(
        account=mine, date=dt.date(2025, 6, 1), kind="other", amount=10, description="x"
    )
    assert client.get(f"{API}/investments/{inv.pk}").status_code == 404
    assert client.delete(f"{API}/costs/{item.pk}").status_code == 404
    assert client.delete(f"{API}/investments/{inv.pk}").status_code == 404
    assert CostToServeItem.objects.filter(pk=item.pk).exists()


@pytest.mark.django_db
def test_a_viewer_reads_but_cannot_write(mine, viewer):
    client = client_for(viewer)
    assert client.get(f"{API}/accounts/{mine.pk}/pnl?as_of=2026-06-30").status_code == 200
    response = _post(
        client,
        f"{API}/accounts/{mine.pk}/costs",
        {"date": "2026-01-01", "kind": "service", "amount": "5"},
    )
    assert response.status_code == 403
    response = _post(
        client,
        f"{API}/accounts/{mine.pk}/investments",
        {"date": "2026-01-01", "kind": "project", "amount": "5", "description": "x"},
    )
    assert response.status_code == 403
    assert not CostToServeItem.objects.exists() and not Investment.objects.exists()


@pytest.mark.django_db
def test_the_owner_keeps_the_ledger_and_reads_the_return(mine, kam_user):
    client = client_for(kam_user)
    pnl = client.get(f"{API}/accounts/{mine.pk}/pnl?as_of=2026-06-30").json()
    assert [p["contribution"] for p in pnl["periods"]] == pytest.approx([400, 700])
    created = _post(
        client,
        f"{API}/accounts/{mine.pk}/costs",
        {"date": "2026-02-01", "kind": "logistics", "amount": "50", "note": "Freight"},
    )
    assert created.status_code == 201
    item_id = created.json()["id"]
    changed = client.patch(
        f"{API}/costs/{item_id}", data=json.dumps({"amount": "70"}), content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["amount"] == "70.00"
    bad = _post(
        client,
        f"{API}/accounts/{mine.pk}/costs",
        {"date": "2026-02-01", "kind": "marketing", "amount": "50"},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "kind"
    inv = _post(
        client,
        f"{API}/accounts/{mine.pk}/investments",
        {
            "date": "2026-01-01",
            "kind": "project",
            "amount": "100",
            "description": "Joint plan",
            "probability": "0.8",
        },
    )
    assert inv.status_code == 201
    read = client.get(f"{API}/investments/{inv.json()['id']}?as_of=2026-06-30").json()
    # before: 400; after: 700 − 70 = 630 -> incremental 230, ROI (230 − 100) / 100
    assert read["result"]["incremental"] == pytest.approx([230])
    assert read["result"]["roi"] == pytest.approx(1.3)
    listed = client.get(f"{API}/accounts/{mine.pk}/investments?as_of=2026-06-30").json()
    assert [i["id"] for i in listed] == [read["id"]]
    assert client.delete(f"{API}/investments/{read['id']}").status_code == 204
    assert client.delete(f"{API}/costs/{item_id}").status_code == 204


@pytest.mark.django_db
def test_boxes_compare_only_the_accounts_the_caller_sees(mine, kam_user, other_kam, director):
    AccountFactory(external_id="O1", owner=other_kam)
    mine_only = client_for(kam_user).get(f"{API}/boxes?as_of=2026-06-30").json()
    everyone = client_for(director).get(f"{API}/boxes?as_of=2026-06-30").json()
    assert [b["box"] for b in everyone["boxes"]] == [
        "key",
        "key_development",
        "maintenance",
        "opportunistic",
    ]
    assert mine_only["currency"] == "EUR" and mine_only["answer"]
    assert mine_only["end"] == "2026-06-30"


@pytest.mark.django_db
def test_the_discount_rate_is_an_organisation_setting_in_the_api(director, kam_user):
    body = json.dumps({"discount_rate": "0.06"})
    url = "/api/organisation/settings"
    assert client_for(director).get(url).json()["discount_rate"] == "0.0800"
    assert (
        client_for(kam_user).put(url, data=body, content_type="application/json").status_code == 403
    )
    response = client_for(director).put(url, data=body, content_type="application/json")
    assert response.status_code == 200 and response.json()["discount_rate"] == "0.0600"
