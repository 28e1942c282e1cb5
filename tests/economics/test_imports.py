"""Imports of the economics app: invoice lines (all or nothing, in the background, then facts
and the fact-bound scores of open reviews), cost-to-serve items and available spend, each
refused whole with the rows that are wrong."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kam.economics.lines import store_get
from kam.economics.models import AccountFacts, CostToServeItem, ImportStatus, TransactionImport
from kam.economics.services import (
    available_spend_import,
    cost_items_import,
    transaction_import_start,
)
from kam.errors import ApplicationError
from kam.imports.problems import ImportRefused
from kam.portfolio.models import Rating
from kam.portfolio.services import review_create, scheme_create
from tests.conftest import client_for
from tests.economics.conftest import lines_csv
from tests.factories import AccountFactory
from tests.portfolio.test_fact_bound import bound_content

GOOD = [
    ("A1", "i1", "2026-01-10", "150", "90", "2026-02-10", "2026-02-12", "EUR"),
    ("A1", "i2", "2026-03-10", "100", "60", "2026-04-10", "2026-04-10", "EUR"),
    ("A2", "j1", "2026-02-01", "40", "30", None, None, "EUR"),
    ("ZZ", "k1", "2026-02-01", "10", "5", None, None, "EUR"),  # no such account in kam
]


@pytest.mark.django_db
def test_a_good_file_is_imported_and_facts_and_fact_bound_scores_follow(director, kam_user):
    a1 = AccountFactory(external_id="A1", owner=kam_user)
    a2 = AccountFactory(external_id="A2", owner=kam_user)
    version = scheme_create(name="Facts", content=bound_content(), created_by=director)
    review = review_create(
        name="Summer",
        review_date=dt.date(2026, 7, 1),
        scheme_version=version,
        raters=[kam_user],
        created_by=director,
    )
    assert not Rating.objects.filter(review=review, derived=True).exists()

    job = transaction_import_start(
        user=director, content=lines_csv(GOOD), filename="erp.csv", as_of=dt.date(2026, 6, 30)
    )
    assert job.status == ImportStatus.DONE, job.error
    assert job.progress == 100
    assert job.report["rows_imported"] == 4
    assert job.summary["facts"] == 2 and job.summary["unmatched"] == 1
    facts = {f.account_id: f for f in AccountFacts.objects.filter(as_of=dt.date(2026, 6, 30))}
    assert facts[a1.pk].revenue_12m == pytest.approx(250)
    assert facts[a1.pk].gross_margin_pct == pytest.approx(40.0)
    assert facts[a2.pk].revenue_12m == pytest.approx(40)
    # RULE cuts 100/200/300: 250 is band 2 of 3 -> 7; 40 is band 0 -> 1
    derived = {r.account_id: r.score for r in Rating.objects.filter(review=review, derived=True)}
    assert derived == {a1.pk: 7, a2.pk: 1}
    assert job.summary["reviews"] == 1


@pytest.mark.django_db
def test_a_file_with_bad_rows_is_refused_whole_with_row_column_and_reason(director):
    AccountFactory(external_id="A1")
    bad = [
        GOOD[0],
        ("A1", "i2", "2026-13-10", "100", "60", None, None, "EUR"),
        ("A1", "i3", "2026-03-10", "ten", "60", None, None, "EUR"),
    ]
    job = transaction_import_start(user=director, content=lines_csv(bad), filename="bad.csv")
    assert job.status == ImportStatus.REFUSED
    places = {(p["row"], p["column"]) for p in job.report["problems"]}
    assert places == {(3, "invoice_date"), (4, "amount")}
    assert all(p["reason"] for p in job.report["problems"])
    assert store_get().line_files() == []
    assert not AccountFacts.objects.exists()
    # the report page names them too
    response = client_for(director).get(reverse("economics:import_report", args=[job.pk]))
    assert response.status_code == 200
    assert b"invoice_date" in response.content and b"Nothing was imported" in response.content


@pytest.mark.django_db
def test_only_directors_and_administrators_import_transactions(kam_user, viewer):
    for user in (kam_user, viewer):
        with pytest.raises(ApplicationError) as exc:
            transaction_import_start(user=user, content=lines_csv(GOOD), filename="x.csv")
        assert exc.value.status == 403
        assert client_for(user).get(reverse("economics:import")).status_code == 403
    assert not TransactionImport.objects.exists()


@pytest.mark.django_db
def test_the_upload_page_starts_the_import_and_shows_its_row(director):
    from django.core.files.uploadedfile import SimpleUploadedFile

    AccountFactory(external_id="A1")
    client = client_for(director)
    upload = SimpleUploadedFile("erp.csv", lines_csv(GOOD[:2]), content_type="text/csv")
    response = client.post(reverse("economics:import"), {"file": upload, "as_of": "2026-06-30"})
    assert response.status_code == 302
    job = TransactionImport.objects.get()
    assert job.status == ImportStatus.DONE
    page = client.get(reverse("economics:import"))
    assert f'id="job-{job.pk}"'.encode() in page.content
    row = client.get(reverse("economics:import_progress", args=[job.pk]))
    assert b"hx-get" not in row.content  # finished: no more polling


@pytest.mark.django_db
def test_a_running_import_row_polls_its_progress(director):
    job = TransactionImport.objects.create(
        filename="big.csv",
        path="/nowhere",
        as_of=dt.date(2026, 6, 30),
        progress=42,
        status=ImportStatus.RUNNING,
    )
    row = client_for(director).get(reverse("economics:import_progress", args=[job.pk]))
    assert b'hx-trigger="every 1s"' in row.content
    assert b'max="100" value="42"' in row.content


COSTS_HEADER = ("account_external_id", "date", "kind", "amount", "note")


@pytest.mark.django_db
def test_cost_items_import_names_each_bad_row_and_writes_nothing(kam_user, other_kam):
    AccountFactory(external_id="MINE", owner=kam_user)
    AccountFactory(external_id="THEIRS", owner=other_kam)
    content = lines_csv(
        [
            ("MINE", "2026-01-31", "logistics", "120.50", "Freight"),
            ("MINE", "31-01-2026", "logistics", "10", ""),
            ("MINE", "2026-01-31", "marketing", "10", ""),
            ("MINE", "2026-01-31", "service", "lots", ""),
            ("THEIRS", "2026-01-31", "service", "5", ""),
            ("NOBODY", "2026-01-31", "service", "5", ""),
        ],
        header=COSTS_HEADER,
    )
    with pytest.raises(ImportRefused) as exc:
        cost_items_import(user=kam_user, content=content)
    places = [(p.row, p.column) for p in exc.value.report]
    assert places == [
        (3, "date"),
        (4, "kind"),
        (5, "amount"),
        (6, "account_external_id"),
        (7, "account_external_id"),
    ]
    assert "may not change" in exc.value.report[3].reason
    assert "NOBODY" in exc.value.report[4].reason
    assert not CostToServeItem.objects.exists()


@pytest.mark.django_db
def test_cost_items_import_adds_every_row(kam_user):
    account = AccountFactory(external_id="MINE", owner=kam_user)
    content = lines_csv(
        [
            ("MINE", "2026-01-31", "logistics", "120.50", "Freight"),
            ("MINE", "2026-02-28", "Rebates", "80", ""),
        ],
        header=COSTS_HEADER,
    )
    summary = cost_items_import(user=kam_user, content=content)
    assert (summary.created, summary.accounts, summary.total) == (2, 1, Decimal("200.50"))
    assert sorted(account.cost_items.values_list("kind", flat=True)) == ["logistics", "rebates"]


@pytest.mark.django_db
def test_cost_items_import_page_shows_the_report(kam_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.csv", b"account_external_id,date\nX,2026-01-01\n")
    response = client_for(kam_user).post(reverse("economics:import_costs"), {"file": upload})
    assert response.status_code == 422
    assert b"Columns missing" in response.content


@pytest.mark.django_db
def test_available_spend_import_refuses_unknown_accounts_and_bad_values(director):
    AccountFactory(external_id="A1")
    with pytest.raises(ImportRefused) as exc:
        available_spend_import(
            user=director,
            content=b"account_external_id,available_spend\nA1,1000\nGHOST,5\n",
            filename="spend.csv",
        )
    assert [(p.row, p.column) for p in exc.value.report] == [(3, "account_external_id")]
    with pytest.raises(ImportRefused) as exc:
        available_spend_import(
            user=director,
            content=b"account_external_id,available_spend\nA1,-5\n",
            filename="spend.csv",
        )
    assert exc.value.report[0].row == 2 and exc.value.report[0].column == "available_spend"
    assert store_get().available_spend() == {}
    assert available_spend_import(
        user=director,
        content=b"account_external_id,available_spend\nA1,1000\n",
        filename="spend.csv",
    ) == {"accounts": 1}
    assert store_get().available_spend() == {"A1": Decimal("1000")}


@pytest.mark.django_db
def test_a_large_upload_streams_to_disk_and_is_imported_whole(director, monkeypatch):
    """A lines file larger than FILE_UPLOAD_MAX_MEMORY_SIZE reaches the view as a temporary
    file, is copied to the import folder in chunks (never read whole into memory) and its
    every line is imported."""
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

    from kam.economics import views

    a1 = AccountFactory(external_id="A1")
    a2 = AccountFactory(external_id="A2")
    # 100,000 lines: A1 sells 1.25 a line, A2 2; an invoice is four lines
    rows = [
        (
            "A1" if n % 2 else "A2",
            f"i{n // 4}",
            "2026-01-10",
            "1.25" if n % 2 else "2",
            "0.5",
            None,
            None,
            "EUR",
        )
        for n in range(100_000)
    ]
    content = lines_csv(rows)
    assert len(content) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE

    received: list[object] = []
    whole_reads: list[int] = []
    start = views.transaction_import_start

    class Watched:
        """The upload's file, noting any read of the whole rest of it."""

        def __init__(self, file):  # type: ignore[no-untyped-def]
            self.file = file

        def read(self, size=-1):  # type: ignore[no-untyped-def]
            if size is None or size < 0:
                whole_reads.append(1)
            return self.file.read(size)

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(self.file, name)

    def spy(**kwargs):  # type: ignore[no-untyped-def]
        upload = kwargs["content"]
        received.append(upload)
        upload.file = Watched(upload.file)
        return start(**kwargs)

    monkeypatch.setattr(views, "transaction_import_start", spy)
    upload = SimpleUploadedFile("big.csv", content, content_type="text/csv")
    response = client_for(director).post(
        reverse("economics:import"), {"file": upload, "as_of": "2026-06-30"}
    )
    assert response.status_code == 302
    assert len(received) == 1 and isinstance(received[0], TemporaryUploadedFile)
    assert whole_reads == []
    job = TransactionImport.objects.get()
    assert job.status == ImportStatus.DONE, job.error
    assert job.report["rows_read"] == 100_000 and job.report["rows_imported"] == 100_000
    facts = {f.account_id: f for f in AccountFacts.objects.filter(as_of=dt.date(2026, 6, 30))}
    assert facts[a1.pk].revenue_12m == pytest.approx(50_000 * 1.25)
    assert facts[a2.pk].revenue_12m == pytest.approx(50_000 * 2)
    # invoice n // 4 holds lines of both accounts (n alternates): 25,000 invoices each
    assert facts[a1.pk].orders == 25_000 and facts[a2.pk].orders == 25_000


@pytest.mark.django_db
def test_a_refused_upload_keeps_no_copy(director):
    """An upload refused when its job would start (another import under way) leaves no
    file behind in the import folder."""
    from kam.economics.services import _imports_dir

    first = transaction_import_start(user=director, content=lines_csv(GOOD), filename="a.csv")
    assert first.status == ImportStatus.DONE
    before = set(_imports_dir().iterdir())
    TransactionImport.objects.filter(pk=first.pk).update(status=ImportStatus.QUEUED)
    from kam.jobs.models import Job, JobStatus

    Job.objects.update(status=JobStatus.QUEUED)
    with pytest.raises(ApplicationError):
        transaction_import_start(user=director, content=lines_csv(GOOD), filename="b.csv")
    assert set(_imports_dir().iterdir()) == before
