"""The economics app's background jobs: a transaction import and the removal of a
transaction source (kam.jobs, docs/operations.md)."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from django_tasks import task

from kam.jobs.models import Job
from kam.jobs.services import JobFailed, JobTracker, job_run

log = logging.getLogger(__name__)


def _import(job: Job, tracker: JobTracker) -> None:
    from kam.economics.models import ImportStatus, TransactionImport
    from kam.economics.services import transaction_import_execute

    assert job.object_id is not None
    transaction_import_execute(job_id=job.object_id, tracker=tracker)
    row = TransactionImport.objects.get(pk=job.object_id)
    if row.status == ImportStatus.FAILED:
        raise JobFailed(row.error)
    if row.status == ImportStatus.REFUSED:
        raise JobFailed(
            _("The file was refused: nothing was imported (the import's report lists why).")
        )


@task()
def transaction_import_task(*, job_id: int) -> dict[str, str]:
    """Import an uploaded invoice-line file, then compute the facts."""
    return job_run(job_id, _import)


def _remove_source(job: Job, tracker: JobTracker) -> None:
    from kam.economics.lines import store_get
    from kam.economics.services import transaction_source_remove_execute
    from kam.jobs.services import JobCancelled

    source = str(job.arguments.get("source", ""))
    try:
        transaction_source_remove_execute(source=source, tracker=tracker)
    except JobCancelled:
        raise
    except Exception as exc:  # the job ends failed with the reason; a retry finishes it
        log.exception("removal of the transaction source %r failed", source)
        store_get().detached_clear()
        raise JobFailed(
            _("The removal stopped (%(reason)s); retry it to finish.")
            % {"reason": str(exc) or repr(exc)}
        ) from None


@task()
def transaction_source_remove_task(*, job_id: int) -> dict[str, str]:
    """Remove an imported transaction source from the store, then recompute the facts."""
    return job_run(job_id, _remove_source)


@task()
def line_totals_refresh() -> int:
    """Sum the invoice lines per account and period at today's date once, so the economics
    pages of the day read the sums instead of every line (the imports and removals of lines
    do the same when they end; the nightly ``ledger_refresh_all`` does it first). Kept for
    installations whose KAM_PERIODIC_TASKS still name it. The number of rows stored."""
    from django.utils import timezone

    from kam.economics.lines import line_totals_store

    return line_totals_store(as_of=timezone.localdate())


def _ledger_refresh(job: Job, tracker: JobTracker) -> None:
    from kam.economics.ledger_store import ledgers_store

    def progress(percent: int) -> None:
        tracker.check()
        tracker.update(percent)

    ledgers_store(progress=progress)


@task()
def ledger_refresh_task(*, job_id: int) -> dict[str, str]:
    """Store again the account P&L of the accounts whose inputs changed (all of them when
    nothing is stored for today) (kam/economics/ledger_store.py)."""
    return job_run(job_id, _ledger_refresh)


@task()
def ledger_refresh_all() -> int:
    """Periodic (at 00:00, as the day begins): sum the invoice lines and store every
    account's P&L at today's date (the periods move with it). The number of accounts
    stored."""
    from django.utils import timezone

    from kam.economics.ledger_store import ledgers_store
    from kam.economics.lines import line_totals_store

    today = timezone.localdate()
    line_totals_store(as_of=today)
    return ledgers_store(as_of=today)
