"""Removing a transaction source runs as a background job (issue 13, item 1): one removal
or import at a time (409), all or nothing under a cancel or a kill (the source wholly there
or wholly gone, the facts whole and recomputed by a retry), and the facts after a removal
are those of a store that never had the source."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kam.economics.lines import store_get
from kam.economics.models import AccountFacts, ImportStatus, TransactionImport
from kam.economics.services import (
    facts_compute,
    transaction_import_start,
    transaction_source_remove,
)
from kam.errors import ApplicationError
from kam.jobs.models import Job, JobStatus
from kam.jobs.services import job_cancel, job_retry
from kam.users.models import Role
from tests.conftest import client_for
from tests.economics.conftest import lines_csv
from tests.factories import AccountFactory, make_user
from tests.jobs.conftest import DB_BACKEND, run_queued_jobs

pytestmark = pytest.mark.django_db

PAST = dt.date(2026, 6, 30)
KEPT = [
    ("A1", "i1", "2026-01-10", "150", "90", "2026-02-10", "2026-02-12", "EUR"),
    ("A1", "i2", "2026-03-10", "100", "60", "2026-04-10", "2026-04-10", "EUR"),
    ("A2", "i3", "2026-02-01", "300", "200", "2026-03-01", "2026-03-05", "EUR"),
]
REMOVED = [
    ("A1", "x1", "2026-05-10", "1000", "100", "2026-06-10", "2026-06-10", "EUR"),
    ("A3", "x2", "2026-04-01", "70", "20", "2026-05-01", "2026-05-01", "EUR"),
]


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return make_user(Role.ADMINISTRATOR, username="admin1")


@pytest.fixture
def db_tasks(settings):  # type: ignore[no-untyped-def]
    """Jobs wait on the database backend until ``run_queued_jobs`` (tests/jobs)."""
    settings.TASKS = DB_BACKEND


@pytest.fixture
def accounts(kam_user):  # type: ignore[no-untyped-def]
    return [AccountFactory(external_id=e, owner=kam_user) for e in ("A1", "A2", "A3")]


def _import(user, rows, name, as_of=None):  # type: ignore[no-untyped-def]
    job = transaction_import_start(
        user=user, content=lines_csv(rows), filename=name, as_of=as_of or timezone.localdate()
    )
    assert job.status == ImportStatus.DONE, job.error
    return job


def _facts() -> set[tuple[object, ...]]:
    return {
        (
            f.account.external_id,
            f.as_of,
            f.revenue_12m,
            f.revenue_prev_12m,
            f.growth,
            f.gross_margin_pct,
            f.orders,
            f.recency_days,
            f.mean_days_late,
            f.share_of_wallet,
            f.predicted_future_value,
        )
        for f in AccountFacts.objects.select_related("account")
    }


def _store_with_both(director) -> set[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    _import(director, KEPT, "erp.csv", as_of=PAST)
    _import(director, REMOVED, "mistake.csv")
    assert {s.name for s in store_get().sources()} == {"erp.csv", "mistake.csv"}
    return _facts()


def _facts_of_a_store_without_the_source(director, settings, tmp_path):  # type: ignore[no-untyped-def]
    """The facts at the same dates of a store that only ever had erp.csv."""
    days = sorted(AccountFacts.objects.values_list("as_of", flat=True).distinct())
    AccountFacts.objects.all().delete()
    settings.KAM_TRANSACTIONS_ROOT = str(tmp_path / "never-had-it")
    _import(director, KEPT, "erp.csv", as_of=PAST)
    for day in days:
        facts_compute(as_of=day)
    return _facts()


def test_facts_after_a_removal_equal_those_of_a_store_that_never_had_the_source(  # type: ignore[no-untyped-def]
    admin, director, accounts, settings, tmp_path
):
    before = _store_with_both(director)
    job = transaction_source_remove(user=admin, source="mistake.csv")
    assert job.status == JobStatus.DONE, job.error
    assert job.kind == "transaction_source_remove" and job.label == "mistake.csv"
    assert [s.name for s in store_get().sources()] == ["erp.csv"]
    assert not list(store_get().detached_dir.glob("*"))  # the removed file is deleted too
    assert not TransactionImport.objects.filter(filename="mistake.csv").exists()
    after = _facts()
    assert after != before
    assert {f[0] for f in after} == {"A1", "A2"}  # A3 had only the removed lines
    assert after == _facts_of_a_store_without_the_source(director, settings, tmp_path)


def test_a_second_removal_or_an_import_while_a_removal_waits_is_409(  # type: ignore[no-untyped-def]
    admin, director, accounts, db_tasks
):
    _store_with_both_on_the_db_backend(director)
    first = transaction_source_remove(user=admin, source="mistake.csv")
    assert first.status == JobStatus.QUEUED
    with pytest.raises(ApplicationError) as second:
        transaction_source_remove(user=admin, source="erp.csv")
    assert second.value.status == 409 and "being removed" in second.value.message
    with pytest.raises(ApplicationError) as upload:
        transaction_import_start(user=director, content=lines_csv(KEPT[:1]), filename="new.csv")
    assert upload.value.status == 409 and "being removed" in upload.value.message
    # the API answers the same, with the shared error schema
    response = client_for(admin).delete("/api/economics/sources/erp.csv")
    assert response.status_code == 409 and "being removed" in response.json()["detail"]
    Job.objects.filter(pk=first.pk).update(status=JobStatus.RUNNING)  # while it runs too
    with pytest.raises(ApplicationError) as running:
        transaction_source_remove(user=admin, source="erp.csv")
    assert running.value.status == 409
    Job.objects.filter(pk=first.pk).update(status=JobStatus.QUEUED)
    run_queued_jobs()
    first.refresh_from_db()
    assert first.status == JobStatus.DONE, first.error
    assert [s.name for s in store_get().sources()] == ["erp.csv"]
    # once it has ended, imports and removals are allowed again
    assert (
        transaction_import_start(
            user=director, content=lines_csv(KEPT[:1]), filename="new.csv"
        ).status
        == ImportStatus.QUEUED
    )


def _store_with_both_on_the_db_backend(director):  # type: ignore[no-untyped-def]
    for rows, name, as_of in ((KEPT, "erp.csv", PAST), (REMOVED, "mistake.csv", None)):
        transaction_import_start(
            user=director,
            content=lines_csv(rows),
            filename=name,
            as_of=as_of or timezone.localdate(),
        )
        run_queued_jobs()
    assert {s.name for s in store_get().sources()} == {"erp.csv", "mistake.csv"}


def test_a_removal_while_an_import_waits_is_409_and_the_import_runs(  # type: ignore[no-untyped-def]
    admin, director, accounts, db_tasks
):
    _store_with_both_on_the_db_backend(director)
    waiting = transaction_import_start(
        user=director, content=lines_csv(KEPT[:1]), filename="new.csv"
    )
    assert waiting.status == ImportStatus.QUEUED
    with pytest.raises(ApplicationError) as refused:
        transaction_source_remove(user=admin, source="mistake.csv")
    assert refused.value.status == 409 and "import is under way" in refused.value.message
    assert not Job.objects.filter(kind="transaction_source_remove").exists()
    assert client_for(admin).delete("/api/economics/sources/mistake.csv").status_code == 409
    run_queued_jobs()
    assert {s.name for s in store_get().sources()} == {"erp.csv", "mistake.csv", "new.csv"}


def test_a_cancelled_removal_leaves_the_source_and_the_facts_whole(  # type: ignore[no-untyped-def]
    admin, director, accounts, db_tasks
):
    _store_with_both_on_the_db_backend(director)
    before = _facts()
    queued = transaction_source_remove(user=admin, source="mistake.csv")
    assert job_cancel(user=admin, job=queued).status == JobStatus.CANCELLED
    run_queued_jobs()
    # cancelled while it ran, at its first progress point (before the store is touched)
    running = job_retry(user=admin, job=Job.objects.get(pk=queued.pk))
    Job.objects.filter(pk=running.pk).update(cancel_requested=True)
    run_queued_jobs()
    running.refresh_from_db()
    assert running.status == JobStatus.CANCELLED, running.error
    assert {s.name for s in store_get().sources()} == {"erp.csv", "mistake.csv"}
    assert _facts() == before
    # and a retry removes it
    done = job_retry(user=admin, job=running)
    run_queued_jobs()
    done.refresh_from_db()
    assert done.status == JobStatus.DONE and done.attempts >= 2
    assert [s.name for s in store_get().sources()] == ["erp.csv"]


def test_a_removal_killed_after_the_store_step_keeps_whole_facts_and_a_retry_finishes(  # type: ignore[no-untyped-def]
    admin, director, accounts, settings, tmp_path, monkeypatch
):
    before = _store_with_both(director)
    imports_before = TransactionImport.objects.count()
    calls = []

    def killed(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)
        if len(calls) == 2:  # halfway through the as-of dates
            raise RuntimeError("worker killed")
        return facts_compute(**kwargs)

    monkeypatch.setattr("kam.economics.services.facts_compute", killed)
    job = transaction_source_remove(user=admin, source="mistake.csv")
    assert job.status == JobStatus.FAILED
    assert "worker killed" in job.error and "retry" in job.error
    # the source is wholly gone (one rename), nothing of it left in the store's folders
    assert [s.name for s in store_get().sources()] == ["erp.csv"]
    assert not list(store_get().detached_dir.glob("*"))
    # the facts and import records of before are whole: their transaction never committed
    assert _facts() == before
    assert TransactionImport.objects.count() == imports_before
    # a worker that died leaves the job failed the same way; a retry recomputes the facts
    monkeypatch.undo()
    with pytest.raises(ApplicationError) as director_retry:
        job_retry(user=director, job=job)
    assert director_retry.value.status == 403
    retried = job_retry(user=admin, job=job)
    assert retried.status == JobStatus.DONE, retried.error
    assert not TransactionImport.objects.filter(filename="mistake.csv").exists()
    assert _facts() == _facts_of_a_store_without_the_source(director, settings, tmp_path)


def test_only_administrators_remove_or_retry_a_removal(  # type: ignore[no-untyped-def]
    admin, director, accounts
):
    _import(director, KEPT, "erp.csv")
    with pytest.raises(ApplicationError) as refused:
        transaction_source_remove(user=director, source="erp.csv")
    assert refused.value.status == 403
    assert client_for(director).delete("/api/economics/sources/erp.csv").status_code == 403
    response = client_for(admin).delete("/api/economics/sources/nothing.csv")
    assert response.status_code == 404 and "nothing.csv" in response.json()["detail"]
    assert not Job.objects.filter(kind="transaction_source_remove").exists()
