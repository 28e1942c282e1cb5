"""The plans API: the same visibility as accounts, drafts only for content, tokens shown once."""

from __future__ import annotations

import pytest

from kam.plans.models import ShareLink
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_list_and_detail_follow_account_visibility(full_plan, kam_user, other_kam, director):
    listed = client_for(kam_user).get("/api/plans/").json()
    assert [p["id"] for p in listed["items"]] == [full_plan.pk]
    assert listed["count"] == 1
    assert client_for(other_kam).get("/api/plans/").json() == {"items": [], "count": 0}
    assert client_for(other_kam).get(f"/api/plans/{full_plan.pk}").status_code == 404
    assert client_for(other_kam).get(f"/api/plans/{full_plan.pk}/items").status_code == 404
    assert client_for(director).get(f"/api/plans/{full_plan.pk}").status_code == 200


def test_customer_document_has_no_internal_items(full_plan, kam_user):
    doc = client_for(kam_user).get(f"/api/plans/{full_plan.pk}/document?audience=customer").json()
    text = str(doc)
    assert "Grow chilled soups" in text
    assert "Raise our net price 4 %" not in text
    assert "Cost the VMI set-up" not in text
    assert doc["profit_plan"] is None


def test_create_plan_items_and_actions(account, kam_user):
    client = client_for(kam_user)
    response = client.post(
        "/api/plans/",
        {
            "account_id": account.pk,
            "period_label": "2026",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    plan_id = response.json()["id"]
    response = client.patch(
        f"/api/plans/{plan_id}",
        {"revenue_target": "1200000", "summary": "Grow."},
        content_type="application/json",
    )
    assert response.status_code == 200
    response = client.post(
        f"/api/plans/{plan_id}/items",
        {"kind": "value_proposition", "title": "Less waste", "fields": {"measured_value": "50000"}},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["fields"]["measured_value"] == "50000.00"
    response = client.post(
        f"/api/plans/{plan_id}/actions",
        {
            "what": "Call",
            "owner_side": "ours",
            "owner_user_id": kam_user.pk,
            "due_date": "2026-02-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    response = client.post(
        f"/api/plans/{plan_id}/items",
        {"kind": "objective", "title": "x", "fields": {"problem": "not an objective field"}},
        content_type="application/json",
    )
    assert response.status_code == 422


def test_viewer_cannot_write(full_plan, viewer):
    client = client_for(viewer)
    response = client.patch(
        f"/api/plans/{full_plan.pk}", {"summary": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert client.get(f"/api/plans/{full_plan.pk}/share-links").status_code == 403


def test_review_versions_and_compare(full_plan, kam_user, director):
    kam = client_for(kam_user)
    assert kam.post(f"/api/plans/{full_plan.pk}/submit").status_code == 200
    assert (
        kam.patch(
            f"/api/plans/{full_plan.pk}", {"summary": "x"}, content_type="application/json"
        ).status_code
        == 409
    )
    assert (
        kam.post(
            f"/api/plans/{full_plan.pk}/approve", {}, content_type="application/json"
        ).status_code
        == 403
    )
    response = client_for(director).post(
        f"/api/plans/{full_plan.pk}/approve", {"note": "ok"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["number"] == 1
    assert kam.post(f"/api/plans/{full_plan.pk}/reopen").json()["version_number"] == 2
    kam.patch(
        f"/api/plans/{full_plan.pk}",
        {"summary": "Now with ready meals."},
        content_type="application/json",
    )
    version = kam.get(f"/api/plans/{full_plan.pk}/versions/1").json()
    assert version["approved_by"] == director.get_full_name()
    comparison = kam.get(f"/api/plans/{full_plan.pk}/compare?old=1").json()
    summary = next(s for s in comparison["sections"] if s["key"] == "summary")
    assert summary["change"] == "changed"


def test_share_link_token_is_returned_once_and_revocable(full_plan, kam_user):
    client = client_for(kam_user)
    response = client.post(
        f"/api/plans/{full_plan.pk}/share-links",
        {"person_name": "Anna de Vries", "person_email": "anna@vandijk.example", "days_valid": 30},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token"] and body["url"].endswith(f"/plans/shared/{body['token']}/")
    listed = client.get(f"/api/plans/{full_plan.pk}/share-links").json()
    assert "token" not in listed[0]
    response = client.post(f"/api/plans/{full_plan.pk}/share-links/{body['id']}/revoke")
    assert response.status_code == 200 and response.json()["active"] is False
    assert ShareLink.objects.get(pk=body["id"]).revoked_at is not None


def test_overdue_endpoint(full_plan, director, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 3, 1))
    groups = client_for(director).get("/api/plans/overdue?by=function").json()
    assert {g["label"] for g in groups} == {"Finance"}
    assert groups[0]["actions"][0]["days_late"] == (dt.date(2026, 3, 1) - dt.date(2026, 1, 20)).days


def test_owner_tracks_own_action_through_the_api(full_plan, finance_person, member):
    action = full_plan.actions.get(what="Cost the VMI set-up")
    url = f"/api/plans/{full_plan.pk}/actions/{action.pk}/track"
    response = client_for(finance_person).post(
        url,
        {"status": "in_progress", "comment": "Asked for quotes"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    # someone who neither owns it nor reads the plan gets 404
    assert (
        client_for(member)
        .post(url, {"status": "done"}, content_type="application/json")
        .status_code
        == 404
    )
