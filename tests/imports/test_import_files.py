"""The web imports read numbers alike: Dutch and German spreadsheet exports (semicolons,
decimal commas, numbers stored as text), English files and hostile ones. Every expected
value is worked out by hand in the comment beside it."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from kam.accounts.imports import account_import
from kam.accounts.models import AccountRevenue
from kam.activities.imports import activity_import
from kam.activities.models import Activity
from kam.economics.models import CostToServeItem
from kam.economics.services import available_spend_import, cost_items_import
from kam.facts.store import TransactionStore
from kam.imports.problems import ImportRefused
from tests.conftest import client_for
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def xlsx(rows: list[list[object]], formulas: bool = False) -> bytes:
    """A workbook as a Dutch or German Excel writes it when the cells are text."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def revenues() -> dict[tuple[str, int], Decimal]:
    return {
        (r.account.external_id, r.year): r.amount
        for r in AccountRevenue.objects.select_related("account")
    }


def test_dutch_semicolon_csv_with_ambiguous_and_deciding_values(director):
    # 1.250.000,50 can only be Dutch, so 1.250 in the same file is one thousand two hundred
    # and fifty (not 1.25, the silent misread of before)
    content = (
        "\ufeffexternal_id;name;country;revenue_2024;revenue_2025\r\n"
        "NL-1;Hoekstra;NL;1.250;1.250.000,50\r\n"
        "NL-2;Bakker;NL;2.500;\u00a0980\u00a0000,25\r\n"
    ).encode("utf-8")
    summary = account_import(user=director, content=content, filename="export.csv")
    assert summary.created == 2
    assert revenues() == {
        ("NL-1", 2024): Decimal("1250.00"),
        ("NL-1", 2025): Decimal("1250000.50"),
        ("NL-2", 2024): Decimal("2500.00"),
        ("NL-2", 2025): Decimal("980000.25"),
    }


def test_german_xlsx_with_numbers_stored_as_text(director):
    content = xlsx(
        [
            ["external_id", "name", "country", "revenue_2024", "revenue_2025"],
            ["DE-1", "Müller GmbH", "DE", "12.345,67", "99,5"],
            ["DE-2", "Schmidt AG", "DE", 4500.25, "1.000"],  # a number cell and text
        ]
    )
    account_import(user=director, content=content, filename="umsatz.xlsx")
    # the texts decide comma (12.345,67 and 99,5); the number cell is taken as it is
    assert revenues() == {
        ("DE-1", 2024): Decimal("12345.67"),
        ("DE-1", 2025): Decimal("99.50"),
        ("DE-2", 2024): Decimal("4500.25"),
        ("DE-2", 2025): Decimal("1000.00"),
    }


def test_english_file(director):
    content = (
        b'external_id,name,country,revenue_2025\nUK-1,Fresh,GB,"1,250,000.50"\nUK-2,B,GB,1.250\n'
    )
    account_import(user=director, content=content, filename="a.csv")
    # 1,250,000.50 decides point: 1.250 is one and a quarter
    assert revenues() == {("UK-1", 2025): Decimal("1250000.50"), ("UK-2", 2025): Decimal("1.25")}


def test_only_ambiguous_values_are_refused_unless_the_user_says(director):
    content = b"external_id;name;country;revenue_2025\nNL-1;A;NL;1.250\nNL-2;B;NL;2.500\n"
    with pytest.raises(ImportRefused) as refused:
        account_import(user=director, content=content, filename="a.csv")
    assert [(p.row, p.column) for p in refused.value.report] == [
        (2, "revenue_2025"),
        (3, "revenue_2025"),
    ]
    assert "reads as 1250 with a decimal comma and as 1.25" in refused.value.report[0].reason
    account_import(user=director, content=content, filename="a.csv", decimal="comma")
    assert revenues() == {("NL-1", 2025): Decimal("1250.00"), ("NL-2", 2025): Decimal("2500.00")}


def test_hostile_values_are_refused_each_with_row_and_column(director):
    content = (
        b"external_id;name;country;revenue_2024;revenue_2025\n"
        b"X-1;A;NL;1e400;12,5\n"  # far too large
        b"X-2;B;NL;NaN;1,25,000\n"  # not numbers; thousands in the wrong places
        b"X-3;C;NL;7.5;3,5\n"  # a decimal point among decimal commas
    )
    with pytest.raises(ImportRefused) as refused:
        account_import(user=director, content=content, filename="a.csv")
    found = [(p.row, p.column, p.reason.split(" ")[0]) for p in refused.value.report]
    assert found == [
        (2, "revenue_2024", "'1e400'"),
        (3, "revenue_2024", "'NaN'"),
        (3, "revenue_2025", "'1,25,000'"),
        (4, "revenue_2024", "'7.5'"),
    ]
    assert "too large" in refused.value.report[0].reason
    assert "decimal point" in refused.value.report[3].reason
    assert not AccountRevenue.objects.exists()


def test_xlsx_formula_without_a_stored_value_is_refused(director):
    content = xlsx(
        [
            ["external_id", "name", "country", "revenue_2025"],
            ["F-1", "Formula BV", "NL", "=1000*2"],  # openpyxl stores no computed value
        ]
    )
    with pytest.raises(ImportRefused) as refused:
        account_import(user=director, content=content, filename="a.xlsx")
    (problem,) = refused.value.report
    assert (problem.row, problem.column) == (2, "D")
    assert "=1000*2" in problem.reason
    assert not AccountRevenue.objects.exists()


def test_account_import_page_takes_the_decimal_separator(director):
    upload = SimpleUploadedFile(
        "a.csv", b"external_id;name;country;revenue_2025\nNL-1;A;NL;1.250\n"
    )
    response = client_for(director).post(
        reverse("accounts:import"), {"file": upload, "decimal": "comma"}
    )
    assert response.status_code == 200
    assert revenues() == {("NL-1", 2025): Decimal("1250.00")}


def test_activities_durations_with_decimal_commas(kam_user):
    AccountFactory(external_id="C-1", owner=kam_user)
    content = (
        b"date;account;duration_minutes;type;participants\n"
        b"2026-01-12;C-1;90,0;visit;kam1\n"  # 90,0 and 30,0 have a decimal comma
        b"2026-01-12;C-1;30,0;call;kam1\n"
        b"2026-01-13;C-1;1.5;call;kam1\n"  # so 1.5 is written the other way: refused
    )
    with pytest.raises(ImportRefused) as refused:
        activity_import(user=kam_user, content=content, filename="a.csv")
    assert [(p.row, p.column) for p in refused.value.report] == [(4, "duration_minutes")]
    content = content.replace(b"1.5;", b"45;")
    activity_import(user=kam_user, content=content, filename="a.csv")
    assert sorted(Activity.objects.values_list("duration_minutes", flat=True)) == [30, 45, 90]


def test_cost_items_in_a_german_file(kam_user):
    AccountFactory(external_id="MINE", owner=kam_user)
    content = (
        b"account_external_id;date;kind;amount;note\n"
        b"MINE;2026-01-31;logistics;1.234,50;Fracht\n"
        b"MINE;2026-02-28;rebates;80;\n"
    )
    summary = cost_items_import(user=kam_user, content=content)
    # 1.234,50 + 80 = 1314.50
    assert summary.total == Decimal("1314.50")
    assert sorted(CostToServeItem.objects.values_list("amount", flat=True)) == [
        Decimal("80.00"),
        Decimal("1234.50"),
    ]


def test_available_spend_with_decimal_commas(director):
    AccountFactory(external_id="A-1")
    AccountFactory(external_id="A-2")
    content = b"account_external_id;available_spend\nA-1;2.000.000,00\nA-2;750.000\n"
    assert available_spend_import(user=director, content=content, filename="s.csv") == {
        "accounts": 2
    }
    from kam.economics.lines import store_get

    # 2.000.000,00 decides comma: 750.000 is seven hundred and fifty thousand
    assert store_get().available_spend() == {
        "A-1": Decimal("2000000.0000"),
        "A-2": Decimal("750000.0000"),
    }


def test_invoice_lines_text_amounts_in_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "lines.parquet"
    table = pa.table(
        {
            "account_external_id": ["A", "A"],
            "invoice_date": ["2026-01-10", "2026-02-10"],
            "amount": ["1.250", "2.500,50"],  # text in a Parquet file: read by the rules
            "cost": [1000.0, 1200.0],  # numbers: taken as they are
            "currency": ["EUR", "EUR"],
        }
    )
    pq.write_table(table, path)
    store = TransactionStore(tmp_path / "store")
    report = store.lines_import(path=path)
    assert report.imported
    import duckdb

    amounts = duckdb.sql(f"SELECT sum(amount) FROM '{store.lines_glob}'").fetchall()[0][0]
    assert amounts == Decimal("3750.5000")


def test_account_import_api_takes_the_decimal_separator(director):
    from tests.accounts.test_api import token_client

    client, _ = token_client(director)
    content = b"external_id;name;country;revenue_2025\nNL-1;A;NL;1.250\n"
    response = client.post("/api/accounts/import", {"file": SimpleUploadedFile("a.csv", content)})
    assert response.status_code == 422
    assert response.json()["report"][0]["column"] == "revenue_2025"
    response = client.post(
        "/api/accounts/import",
        {"file": SimpleUploadedFile("a.csv", content), "decimal": "comma"},
    )
    assert response.status_code == 200
    assert revenues() == {("NL-1", 2025): Decimal("1250.00")}
    response = client.post(
        "/api/accounts/import",
        {"file": SimpleUploadedFile("a.csv", content), "decimal": "dot"},
    )
    assert response.status_code == 422  # not a convention kam knows: refused, not a 500
