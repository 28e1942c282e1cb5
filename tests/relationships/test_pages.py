"""The relationship pages through the test client: visibility, forms, GDPR, calendar flow."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.activities.models import Activity
from kam.organisation.models import BoxPolicy
from kam.relationships.models import AccountRelationship, CalendarImport, Contact
from tests.conftest import client_for
from tests.relationships.test_calendar import OUTLOOK_WEEKLY, ics

pytestmark = pytest.mark.django_db


def url(name: str, *args: object) -> str:
    from django.urls import reverse

    return reverse(f"relationships:{name}", args=args)


def test_owner_sees_the_page_and_other_kam_gets_404(dmu, other_kam):  # type: ignore[no-untyped-def]
    page = client_for(dmu["kam"]).get(url("account", dmu["account"].pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Eva Jansen" in html and "Add contact" in html and "Evidence for each marker" in html
    for name in ("account", "orgchart"):
        assert client_for(other_kam).get(url(name, dmu["account"].pk)).status_code == 404
    assert client_for(other_kam).get(url("contact_export", dmu["eva"].pk)).status_code == 404
    assert (
        client_for(dmu["kam"])
        .get(f"/accounts/{dmu['account'].pk}/")
        .content.decode()
        .count(url("account", dmu["account"].pk))
        == 1
    )


def test_viewer_reads_without_edit_controls_and_cannot_post(dmu, viewer):  # type: ignore[no-untyped-def]
    client = client_for(viewer)
    html = client.get(url("account", dmu["account"].pk)).content.decode()
    assert "Eva Jansen" in html and "Add contact" not in html and "Erase" not in html
    client.post(url("action", dmu["account"].pk, "positioning"), {"view": "leverage"})
    assert not AccountRelationship.objects.filter(customer_view="leverage").exists()
    assert client.get(url("contact_new", dmu["account"].pk)).status_code == 403
    assert client.get(url("calendar")).status_code == 403


def test_contact_form_creates_and_reports_beside_the_field(dmu):  # type: ignore[no-untyped-def]
    client = client_for(dmu["kam"])
    data = {
        "name": "Daan Smit",
        "title": "CFO",
        "function": "finance",
        "seniority": "1",
        "reports_to": str(dmu["eva"].pk),
        "buying_roles": ["economic_buyer", "decider"],
        "influence": "4",
        "attitude": "critic",
        "owner": "",
        "email": "EVA@vandenberg.example",
        "lawful_basis": "legitimate_interest",
    }
    page = client.post(url("contact_new", dmu["account"].pk), data)
    assert page.status_code == 200 and "has the e-mail address" in page.content.decode()
    data["email"] = "daan@vandenberg.example"
    assert client.post(url("contact_new", dmu["account"].pk), data).status_code == 302
    daan = Contact.objects.get(name="Daan Smit")
    assert daan.buying_roles == ["decider", "economic_buyer"] and daan.reports_to == dmu["eva"]


def test_erase_page_then_former_contact(dmu):  # type: ignore[no-untyped-def]
    client = client_for(dmu["kam"])
    assert "cannot be undone" in client.get(url("contact_erase", dmu["eva"].pk)).content.decode()
    exported = client.get(url("contact_export", dmu["eva"].pk))
    assert (
        exported["Content-Type"].startswith("application/json")
        and b"Eva Jansen" in exported.content
    )
    client.post(url("contact_erase", dmu["eva"].pk))
    html = client.get(url("account", dmu["account"].pk)).content.decode()
    assert "Eva Jansen" not in html and "Former contact #1 erased by kam1" in html
    activity = Activity.objects.get(contacts=dmu["eva"])
    assert activity.contact_names == ["Former contact #1"]


def test_org_chart_files(dmu):  # type: ignore[no-untyped-def]
    client = client_for(dmu["kam"])
    svg = client.get(url("orgchart_file", dmu["account"].pk, "svg"))
    assert (
        svg["Content-Type"].startswith("image/svg+xml") and svg.content.count(b'class="node"') == 3
    )
    png = client.get(url("orgchart_file", dmu["account"].pk, "png"))
    assert png.content[:4] == b"\x89PNG"


def test_calendar_upload_map_and_rerun(dmu):  # type: ignore[no-untyped-def]
    dmu["kam"].email = "kam1@supplier.example"
    dmu["kam"].save()
    client = client_for(dmu["kam"])
    content = ics(
        OUTLOOK_WEEKLY.replace("anna@vandenberg.example", "eva@vandenberg.example").replace(
            "ANNA@VANDENBERG.EXAMPLE", "EVA@VANDENBERG.EXAMPLE"
        )
    )
    response = client.post(
        url("calendar"),
        {
            "file": SimpleUploadedFile("outlook.ics", content),
            "period_start": "2026-01-01",
            "period_end": "2026-03-01",
        },
    )
    record = CalendarImport.objects.get()
    assert response.status_code == 302 and record.summary["created"] == 4
    html = client.get(url("calendar_detail", record.pk)).content.decode()
    assert "piet@vandenberg.example" in html
    client.post(
        url("calendar_detail", record.pk),
        {
            "action": "new_contact",
            "address": "piet@vandenberg.example",
            "account": dmu["account"].pk,
            "name": "Piet Bos",
        },
    )
    assert Contact.objects.filter(name="Piet Bos", email="piet@vandenberg.example").exists()
    client.post(url("calendar_detail", record.pk), {"action": "rerun"})
    record.refresh_from_db()
    assert (
        record.summary["created"],
        record.summary["contacts_attached"],
        record.summary["unmatched"],
    ) == (0, 3, [])
    refused = client.post(
        url("calendar"),
        {
            "file": SimpleUploadedFile(
                "bad.ics",
                b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            )
        },
    )
    assert refused.status_code == 422 and "nothing was written" in refused.content.decode()


def test_findings_page_filters(dmu):  # type: ignore[no-untyped-def]
    client = client_for(dmu["director"])
    html = client.get(url("findings"), {"kind": "uncovered_decider"}).content.decode()
    assert "Eva Jansen decides" in html
    assert "Claire" not in html.split("findings-table")[1] or "influences" in html
    assert (
        client.get(url("findings"), {"kind": "bogus", "box": "bogus", "sort": "bogus"}).status_code
        == 200
    )


def test_policies_page_saves_expected_functions(director):  # type: ignore[no-untyped-def]
    client = client_for(director)
    client.get("/policies/")
    response = client.post(
        "/policies/",
        {
            "section": "functions",
            "functions-key": ["sales", "finance"],
            "functions-maintenance": ["customer_service"],
        },
    )
    assert response.status_code == 302
    assert BoxPolicy.objects.get(box="key").expected_functions == ["sales", "finance"]
    assert BoxPolicy.objects.get(box="maintenance").expected_functions == ["customer_service"]
    assert BoxPolicy.objects.get(box="opportunistic").expected_functions == []
