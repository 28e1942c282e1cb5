"""The relationships API: per-account visibility, write rights, GDPR, calendar import."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kam.relationships.findings_store import findings_refresh
from kam.relationships.models import Contact, ErasureRecord
from kam.users.tokens import api_token_create
from tests.relationships.test_calendar import GOOGLE_UTC, ics

pytestmark = pytest.mark.django_db
BASE = "/api/relationships/"


def token_client(user) -> Client:  # type: ignore[no-untyped-def]
    _row, plain = api_token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {plain}"})


def send(client, method, url, data):  # type: ignore[no-untyped-def]
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


def test_a_kam_cannot_see_another_kams_contacts(dmu, other_kam):  # type: ignore[no-untyped-def]
    client = token_client(other_kam)
    account = dmu["account"].pk
    for url in (
        f"accounts/{account}/contacts",
        f"accounts/{account}/team",
        f"accounts/{account}/links",
        f"accounts/{account}/findings",
        f"accounts/{account}/stage",
        f"accounts/{account}/positioning",
        f"accounts/{account}/orgchart.svg",
        f"contacts/{dmu['eva'].pk}",
        f"contacts/{dmu['eva'].pk}/export",
    ):
        assert client.get(BASE + url).status_code == 404, url
    assert client.post(BASE + f"contacts/{dmu['eva'].pk}/erase").status_code == 404
    assert (
        send(client, "post", BASE + f"accounts/{account}/contacts", {"name": "Spy"}).status_code
        == 404
    )
    assert client.get(BASE + "findings").json() == []


def test_owner_reads_and_writes(dmu):  # type: ignore[no-untyped-def]
    client = token_client(dmu["kam"])
    account = dmu["account"].pk
    contacts = client.get(BASE + f"accounts/{account}/contacts").json()
    assert [c["name"] for c in contacts] == ["Eva Jansen", "Bram de Vries", "Claire Bos"]
    created = send(
        client,
        "post",
        BASE + f"accounts/{account}/contacts",
        {
            "name": "Daan Smit",
            "title": "CFO",
            "function": "finance",
            "seniority": 1,
            "buying_roles": ["economic_buyer"],
            "influence": 4,
            "reports_to_id": dmu["eva"].pk,
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"] == 4 and body["reports_to_id"] == dmu["eva"].pk
    changed = send(client, "patch", BASE + f"contacts/{body['id']}", {"attitude": "critic"}).json()
    assert changed["attitude"] == "critic" and changed["title"] == "CFO"
    bad = send(client, "patch", BASE + f"contacts/{body['id']}", {"influence": 9})
    assert bad.status_code == 422 and bad.json()["field"] == "influence"
    assert client.delete(BASE + f"contacts/{body['id']}").status_code == 204
    links = client.get(BASE + f"accounts/{account}/links").json()
    assert {
        (lk["contact_id"], lk["strength"]) for lk in links if lk["user_id"] == dmu["kam"].pk
    } == {
        (dmu["bram"].pk, "strong"),
        (dmu["eva"].pk, "weak"),
    }
    links = send(
        client,
        "put",
        BASE + f"accounts/{account}/links",
        {
            "user_id": dmu["kam"].pk,
            "contact_id": dmu["claire"].pk,
            "strength": "medium",
            "meetings_per_year": 3,
        },
    ).json()
    assert any(lk["contact_id"] == dmu["claire"].pk and not lk["derived"] for lk in links)
    team = send(
        client,
        "put",
        BASE + f"accounts/{account}/team",
        {"user_id": dmu["director"].pk, "team_role": "surround", "planned_hours": 12},
    ).json()
    assert {m["username"]: m["planned_hours"] for m in team["members"]}["dir"] == 12
    stage = send(
        client,
        "put",
        BASE + f"accounts/{account}/stage",
        {"stage": "cooperative", "reason": "Weekly S&OP call"},
    ).json()
    assert (
        stage["chosen"] == "cooperative"
        and stage["in_force"] == "cooperative"
        and stage["inferred"]
    )
    assert stage["chosen_by"] == "kam1" and stage["markers"]
    pos = send(
        client,
        "put",
        BASE + f"accounts/{account}/positioning",
        {"customer_view": "bottleneck", "note": "sole source"},
    ).json()
    assert pos["customer_view"] == "bottleneck"
    assert client.get(BASE + f"accounts/{account}/orgchart.svg").content.startswith(b"<svg")
    png = client.get(BASE + f"accounts/{account}/orgchart.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    findings = client.get(BASE + f"accounts/{account}/findings").json()
    assert any(
        f["kind"] == "uncovered_decider" and f["subject"] == f"c{dmu['eva'].pk}" for f in findings
    )


def test_viewer_and_member_read_but_cannot_write(dmu, viewer):  # type: ignore[no-untyped-def]
    account = dmu["account"].pk
    for user in (viewer, dmu["member"]):
        client = token_client(user)
        assert client.get(BASE + f"accounts/{account}/contacts").status_code == 200
        assert (
            send(client, "post", BASE + f"accounts/{account}/contacts", {"name": "X"}).status_code
            == 403
        )
        assert (
            send(client, "patch", BASE + f"contacts/{dmu['eva'].pk}", {"title": "X"}).status_code
            == 403
        )
        assert client.post(BASE + f"contacts/{dmu['eva'].pk}/erase").status_code == 403
        assert (
            send(
                client, "put", BASE + f"accounts/{account}/stage", {"stage": "basic", "reason": "x"}
            ).status_code
            == 403
        )
        assert (
            send(
                client,
                "put",
                BASE + f"accounts/{account}/positioning",
                {"customer_view": "leverage"},
            ).status_code
            == 403
        )
        assert (
            send(client, "put", BASE + f"accounts/{account}/team", {"user_id": user.pk}).status_code
            == 403
        )
        assert (
            send(
                client,
                "put",
                BASE + f"accounts/{account}/links",
                {"user_id": user.pk, "contact_id": dmu["eva"].pk, "strength": "weak"},
            ).status_code
            == 403
        )
    assert Contact.objects.count() == 3


def test_gdpr_export_and_erase_through_the_api(dmu):  # type: ignore[no-untyped-def]
    client = token_client(dmu["kam"])
    exported = client.get(BASE + f"contacts/{dmu['eva'].pk}/export").json()
    assert exported["contact"]["email"] == "eva@vandenberg.example"
    erased = client.post(BASE + f"contacts/{dmu['eva'].pk}/erase").json()
    assert (
        erased["contact_number"] == 1
        and erased["erased_by"] == "kam1"
        and erased["activities_kept"] == 1
    )
    assert client.get(BASE + f"contacts/{dmu['eva'].pk}").json()["name"] == "Former contact #1"
    assert client.post(BASE + f"contacts/{dmu['eva'].pk}/erase").status_code == 409
    assert ErasureRecord.objects.count() == 1


def test_calendar_import_endpoint(dmu, viewer):  # type: ignore[no-untyped-def]
    dmu["member"].email = "member1@supplier.example"
    dmu["member"].save()
    content = ics(GOOGLE_UTC.replace("Anna@Vandenberg.example", "eva@vandenberg.example"))
    upload = SimpleUploadedFile("cal.ics", content, content_type="text/calendar")
    client = token_client(dmu["kam"])
    body = client.post(
        BASE + "calendar/import",
        {"file": upload, "period_start": "2026-01-01", "period_end": "2026-03-01"},
    ).json()
    assert body["created"] == 1, body
    again = client.post(
        BASE + "calendar/import",
        {
            "file": SimpleUploadedFile("cal.ics", content),
            "period_start": "2026-01-01",
            "period_end": "2026-03-01",
        },
    ).json()
    assert (again["created"], again["unchanged"]) == (0, 1)
    refused = client.post(BASE + "calendar/import", {"file": SimpleUploadedFile("x.ics", b"nope")})
    assert refused.status_code == 422 and refused.json()["report"]
    assert (
        token_client(viewer)
        .post(BASE + "calendar/import", {"file": SimpleUploadedFile("cal.ics", content)})
        .status_code
        == 403
    )


def test_portfolio_findings_cost_a_fixed_number_of_queries(dmu, kam_user):  # type: ignore[no-untyped-def]
    from tests.factories import AccountFactory

    client = token_client(dmu["director"])
    client.get(BASE + "findings")  # warm caches (organisation row)
    with CaptureQueriesContext(connection) as one:
        first = client.get(BASE + "findings").json()
    for i in range(5):
        account = AccountFactory(owner=kam_user)
        Contact.objects.create(account=account, number=1, name=f"P{i}", buying_roles=["decider"])
    findings_refresh()
    with CaptureQueriesContext(connection) as six:
        more = client.get(BASE + "findings").json()
    assert len(more) > len(first)
    assert len(six.captured_queries) == len(one.captured_queries)
    kinds = {f["kind"] for f in client.get(BASE + "findings", {"kind": "uncovered_decider"}).json()}
    assert kinds == {"uncovered_decider"}
    assert client.get(BASE + "findings", {"kind": "nonsense"}).status_code == 422


def test_findings_page_query_count_is_fixed(dmu, kam_user, django_assert_num_queries):  # type: ignore[no-untyped-def]
    """The portfolio's findings page reads the findings store: the same number of queries
    for one account as for six (session, user and profile included)."""
    from tests.conftest import client_for
    from tests.factories import AccountFactory

    client = client_for(dmu["director"])
    client.get("/relationships/")  # the organisation row and its policies exist from now on
    with CaptureQueriesContext(connection) as baseline:
        assert client.get("/relationships/").status_code == 200
    for i in range(5):
        account = AccountFactory(owner=kam_user)
        Contact.objects.create(account=account, number=1, name=f"P{i}", buying_roles=["decider"])
    findings_refresh()
    with django_assert_num_queries(len(baseline.captured_queries)):
        page = client.get("/relationships/")
    assert page.content.decode().count("decides in the buying process") >= 6
    assert len(baseline.captured_queries) <= 20, len(baseline.captured_queries)
