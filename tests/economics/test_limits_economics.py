"""Invoice lines with impossible dates (issue 13): refused on import with row and field, in
CSV and Parquet; economics pages keep working over lines stored before the rule existed; and
an administrator can remove a source."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from django.urls import reverse

from kam.economics.lines import store_get
from kam.economics.models import ImportStatus, TransactionImport
from kam.economics.services import transaction_import_start, transaction_source_remove
from kam.errors import ApplicationError
from kam.jobs.models import Job, JobStatus
from kam.users.models import Role
from tests.conftest import client_for
from tests.economics.conftest import lines_csv
from tests.factories import AccountFactory, make_user

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)
GOOD = [
    ("A1", "i1", "2026-01-10", "150", "90", "2026-02-10", "2026-02-12", "EUR"),
    ("A1", "i2", "2026-03-10", "100", "60", "2026-04-10", "2026-04-10", "EUR"),
]


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return make_user(Role.ADMINISTRATOR, username="admin1")


@pytest.mark.parametrize("day", ["0000-01-01", "9999-12-31", "-2026-01-01", "1899-12-31"])
def test_a_csv_with_an_impossible_date_is_refused_naming_row_and_field(director, day):  # type: ignore[no-untyped-def]
    rows = [*GOOD, ("A1", "i3", day, "10", "5", None, None, "EUR")]
    job = transaction_import_start(
        user=director, content=lines_csv(rows), filename="erp.csv", as_of=AS_OF
    )
    assert job.status == ImportStatus.REFUSED
    problems = job.report["problems"]
    assert len(problems) == 1
    text = str(problems[0])
    assert "4" in text and "invoice_date" in text
    assert store_get().sources() == []


def _parquet(tmp_path, day_sql: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "lines.parquet"
    duckdb.connect().execute(
        "COPY (SELECT 'A1' AS account_external_id, 'i1' AS invoice_id, "
        f"{day_sql} AS invoice_date, 150.0 AS amount, 'EUR' AS currency "
        "UNION ALL SELECT 'A1', 'i2', DATE '2026-02-01', 20.0, 'EUR') "
        f"TO '{path}' (FORMAT parquet)"
    )
    return path


@pytest.mark.parametrize(
    "day_sql",
    ["DATE '0000-01-01'", "DATE '9999-12-31'", "CAST('-2026-01-01' AS DATE)"],
    ids=["year-0", "year-9999", "year-minus-2026"],
)
def test_a_parquet_file_with_an_impossible_date_is_refused(director, tmp_path, day_sql):  # type: ignore[no-untyped-def]
    path = _parquet(tmp_path, day_sql)
    job = transaction_import_start(
        user=director, content=path.read_bytes(), filename="erp.parquet", as_of=AS_OF
    )
    assert job.status == ImportStatus.REFUSED, job.error
    assert "invoice_date" in str(job.report["problems"][0])
    assert "1900" in str(job.report["problems"][0]) or job.report["problems"][0]["code"]
    assert store_get().sources() == []


def _stored_before_the_rule(director, tmp_path, settings):  # type: ignore[no-untyped-def]
    """Lines with a year-0 and a year-9999 date, imported as an older kam did (no check)."""
    settings.KAM_IMPORT_FIRST_YEAR, settings.KAM_IMPORT_LAST_YEAR = -5000, 10000
    path = _parquet(tmp_path, "DATE '0000-01-01'")
    store_get().lines_import(path=path, filename="old.parquet")
    rows = [("A1", "x1", "9999-12-31", "10", "5", None, None, "EUR")]
    (tmp_path / "later.csv").write_bytes(lines_csv(rows))
    store_get().lines_import(path=tmp_path / "later.csv", filename="later.csv")
    settings.KAM_IMPORT_FIRST_YEAR, settings.KAM_IMPORT_LAST_YEAR = 1900, 2100


def test_economics_pages_and_endpoints_hold_over_impossible_stored_dates(  # type: ignore[no-untyped-def]
    director, kam_user, tmp_path, settings
):
    account = AccountFactory(external_id="A1", owner=kam_user)
    _stored_before_the_rule(director, tmp_path, settings)
    client = client_for(director)
    for url in (
        reverse("economics:portfolio"),
        reverse("economics:account", args=[account.pk]),
        reverse("economics:import"),
        f"/api/economics/accounts/{account.pk}/pnl",
        f"/api/economics/accounts/{account.pk}/figures",
        "/api/economics/boxes",
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)


def test_an_administrator_removes_a_source_and_the_facts_follow(  # type: ignore[no-untyped-def]
    admin, director, kam_user
):
    from kam.economics.models import AccountFacts

    AccountFactory(external_id="A1", owner=kam_user)
    job = transaction_import_start(
        user=director, content=lines_csv(GOOD), filename="erp.csv", as_of=dt.date.today()
    )
    assert job.status == ImportStatus.DONE, job.error
    assert [s.name for s in store_get().sources()] == ["erp.csv"]
    assert AccountFacts.objects.filter(revenue_12m=250).exists()

    with pytest.raises(ApplicationError) as refused:
        transaction_source_remove(user=director, source="erp.csv")
    assert refused.value.status == 403
    with pytest.raises(ApplicationError) as unknown:
        transaction_source_remove(user=admin, source="nothing.csv")
    assert unknown.value.status == 404

    removal = transaction_source_remove(user=admin, source="erp.csv")
    assert removal.status == JobStatus.DONE, removal.error  # the inline backend ran it
    assert store_get().sources() == [] and store_get().line_files() == []
    assert not TransactionImport.objects.filter(pk=job.pk).exists()
    # the only source gone: no account has facts left, at any date
    assert not AccountFacts.objects.exists()


def test_the_imports_page_asks_before_removing(admin, director, kam_user):  # type: ignore[no-untyped-def]
    AccountFactory(external_id="A1", owner=kam_user)
    transaction_import_start(user=director, content=lines_csv(GOOD), filename="erp.csv")
    client = client_for(admin)
    page = client.get(reverse("economics:import")).content.decode()
    assert 'data-testid="source-remove"' in page
    assert (
        'data-testid="source-remove"'
        not in client_for(director).get(reverse("economics:import")).content.decode()
    )
    url = reverse("economics:import_source_remove") + "?source=erp.csv"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Remove the source" in confirm.content.decode()
    assert store_get().sources()  # asking removed nothing
    response = client.post(url, {"source": "erp.csv"})
    assert response.status_code == 302
    job = Job.objects.get(kind="transaction_source_remove")
    assert response["Location"] == reverse("jobs:list") + f"#job-{job.pk}"
    assert job.status == JobStatus.DONE and job.created_by == admin
    assert store_get().sources() == []
    assert client_for(director).post(url, {"source": "erp.csv"}).status_code == 403


def test_the_api_removes_a_source(admin, director, kam_user):  # type: ignore[no-untyped-def]
    AccountFactory(external_id="A1", owner=kam_user)
    transaction_import_start(user=director, content=lines_csv(GOOD), filename="erp.csv")
    assert client_for(director).delete("/api/economics/sources/erp.csv").status_code == 403
    response = client_for(admin).delete("/api/economics/sources/erp.csv")
    assert response.status_code == 202
    body = response.json()
    assert body["kind"] == "transaction_source_remove" and body["label"] == "erp.csv"
    assert body["status"] == "done"  # the inline backend ran it
    assert body["links"]["job"] == f"/api/jobs/{body['id']}"
    assert client_for(admin).get(body["links"]["job"]).json()["status"] == "done"
    assert client_for(admin).delete("/api/economics/sources/erp.csv").status_code == 404


def test_a_source_with_impossible_dates_can_be_removed(admin, director, tmp_path, settings):  # type: ignore[no-untyped-def]
    _stored_before_the_rule(director, tmp_path, settings)
    names = {s.name for s in store_get().sources()}
    assert names == {"old.parquet", "later.csv"}
    for name in names:
        transaction_source_remove(user=admin, source=name)
    assert store_get().line_files() == []


def test_a_file_of_lines_with_too_many_columns_is_refused(director, settings):  # type: ignore[no-untyped-def]
    settings.KAM_IMPORT_MAX_COLUMNS = 10
    extra = [f"extra{n}" for n in range(20)]
    header = ["account_external_id", "invoice_date", "amount", "currency", *extra]
    rows = [["A1", "2026-01-10", "150", "EUR", *[""] * 20]]
    job = transaction_import_start(
        user=director, content=lines_csv(rows, header=header), filename="wide.csv"
    )
    assert job.status == ImportStatus.REFUSED
    assert "KAM_IMPORT_MAX_COLUMNS" in str(job.report)
    assert store_get().sources() == []
