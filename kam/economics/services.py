"""Writes of the economics app (docs/method.md section 6): account facts, cost-to-serve items,
the investment ledger, available spend, and the transaction import that runs in the
background and recomputes the facts and the fact-bound scores of open reviews."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.accounts.selectors import account_editable_check
from kam.core.fact_scores import FACTS
from kam.economics.ledger_store import ledgers_dirty
from kam.economics.lines import line_totals_store, store_get
from kam.economics.models import (
    AccountFacts,
    BaselineMethod,
    CostKind,
    CostToServeItem,
    ImportStatus,
    Investment,
    InvestmentKind,
    TransactionImport,
)
from kam.economics.selectors import source_may_remove, transaction_may_import
from kam.errors import ApplicationError, require
from kam.facts.store import TransactionImportError, report_json
from kam.imports.limits import Deadline, date_check, sql_plausible_lines, upload_size_check
from kam.imports.numbers import Convention, read_numbers
from kam.imports.problems import ImportProblem, ImportRefused
from kam.imports.readers import csv_records
from kam.imports.sql import sql_string
from kam.jobs.models import Job
from kam.jobs.services import JobCancelled, JobTracker, job_busy, job_enqueue
from kam.organisation.selectors import exchange_rates_get, organisation_get

if TYPE_CHECKING:  # the facts' computation is imported when it runs
    from kam.facts.compute import AccountFacts as StoreFacts

log = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("999999999999.99")
#: Weeks of the predicted future value's horizon (one year).
PFV_HORIZON_WEEKS = 52


def account_facts_save(
    *, as_of: dt.date, rows: Iterable[tuple[int, Mapping[str, float | None]]]
) -> int:
    """Store facts per account at ``as_of`` (replacing that day's rows); returns the count.

    ``rows`` holds (account id, {fact name: value}); names outside the known facts are
    ignored, missing ones stored as null.
    """
    objects = [
        AccountFacts(
            account_id=account_id,
            as_of=as_of,
            **{name: (None if values.get(name) is None else float(values[name])) for name in FACTS},  # type: ignore[arg-type]
        )
        for account_id, values in rows
    ]
    with transaction.atomic():
        AccountFacts.objects.filter(
            as_of=as_of, account_id__in=[o.account_id for o in objects]
        ).delete()
        AccountFacts.objects.bulk_create(objects, batch_size=2000)
    return len(objects)


# --- permissions ----------------------------------------------------------------------------


def _import_check(user: User) -> None:
    require(
        transaction_may_import(user=user),
        _("Only sales directors and administrators import transactions."),
    )


# --- values ---------------------------------------------------------------------------------


def _amount(value: Any, *, field: str, positive: bool = False) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise ApplicationError(_("Give an amount as a number."), field=field) from None
    if not number.is_finite() or abs(number) > MAX_AMOUNT:
        raise ApplicationError(_("Give an amount as a number."), field=field)
    if positive and number <= 0:
        raise ApplicationError(_("The amount must be more than 0."), field=field)
    return number.quantize(Decimal("0.01"))


def _choice(value: Any, choices: Any, *, field: str) -> str:
    text = str(value or "").strip().lower()
    if text not in choices.values:
        raise ApplicationError(
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)},
            field=field,
        )
    return text


def _date(value: Any, *, field: str) -> dt.date:
    """A date of a cost item or investment: ISO text or a date, in the years every import
    accepts (``kam.imports.limits.date_check``)."""
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ApplicationError(_("Give a date as YYYY-MM-DD."), field=field) from None
    return date_check(day, field=field)


def _probability(value: Any) -> Decimal:
    try:
        p = Decimal(str(value))
    except (InvalidOperation, ValueError):
        p = Decimal(-1)
    if not p.is_finite() or not Decimal(0) <= p <= Decimal(1):
        raise ApplicationError(
            _("The probability must lie between 0 and 1 (0.8 = 80 %)."), field="probability"
        )
    return p.quantize(Decimal("0.01"))


def _text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ApplicationError(_("This field is required."), field=field)
    if len(text) > max_length:
        raise ApplicationError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return text


# --- cost-to-serve items --------------------------------------------------------------------


def cost_item_create(
    *,
    user: User,
    account: Account,
    date: dt.date | str,
    kind: str,
    amount: Decimal | float | str,
    note: str = "",
) -> CostToServeItem:
    """Record a cost of serving ``account`` (account currency), for users who may edit it."""
    account_editable_check(user=user, account=account)
    return CostToServeItem.objects.create(
        account=account,
        date=_date(date, field="date"),
        kind=_choice(kind, CostKind, field="kind"),
        amount=_amount(amount, field="amount"),
        note=_text(note, field="note", max_length=200),
        created_by=user if user.is_authenticated else None,
    )


def cost_item_update(*, user: User, item: CostToServeItem, **changes: Any) -> CostToServeItem:
    """Change an item's date, kind, amount or note (the others are kept)."""
    account_editable_check(user=user, account=item.account)
    if changes.get("date") is not None:
        item.date = _date(changes["date"], field="date")
    if changes.get("kind") is not None:
        item.kind = _choice(changes["kind"], CostKind, field="kind")
    if changes.get("amount") is not None:
        item.amount = _amount(changes["amount"], field="amount")
    if changes.get("note") is not None:
        item.note = _text(changes["note"], field="note", max_length=200)
    item.save()
    return item


def cost_item_delete(*, user: User, item: CostToServeItem) -> None:
    """Remove an item."""
    account_editable_check(user=user, account=item.account)
    item.delete()


@dataclass(frozen=True)
class CostImportSummary:
    """What a cost-to-serve import added: items per kind and the accounts they concern."""

    created: int
    accounts: int
    total: Decimal


COST_COLUMNS = ("account_external_id", "date", "kind", "amount", "note")
COST_REQUIRED = ("account_external_id", "date", "kind", "amount")


def _csv_rows(content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    header, rows = csv_records(content)
    return [h.strip().lower() for h in header], rows


def cost_items_import(
    *, user: User, content: bytes, filename: str = "", decimal: Convention | None = None
) -> CostImportSummary:
    """Import cost-to-serve items from CSV (columns ``account_external_id, date, kind, amount``
    and an optional ``note``), all or nothing: any bad row refuses the file with every
    problem named by row, column and reason. Accounts must exist and be editable by
    ``user``. Amounts are read by ``kam.imports.numbers`` (``decimal``: the convention the
    user gave, None to tell it from the file). A fixed number of queries, whatever the
    file's length."""
    upload_size_check(len(content), name=filename)
    header, rows = _csv_rows(content)
    problems: list[ImportProblem] = []
    missing = [c for c in COST_REQUIRED if c not in header]
    if not header or missing:
        problems.append(
            ImportProblem(
                1,
                "",
                _("Columns missing: %(columns)s.")
                % {"columns": ", ".join(missing or COST_REQUIRED)},
            )
        )
        raise ImportRefused(problems)
    position = {name: header.index(name) for name in COST_COLUMNS if name in header}
    editable = {
        a.external_id: a
        for a in Account.objects.filter(pk__in=_editable_ids(user)).only("pk", "external_id")
    }
    known = set(Account.objects.values_list("external_id", flat=True))
    amount_at = position["amount"]
    amounts = read_numbers(
        (
            (number, number, "amount", cells[amount_at] if amount_at < len(cells) else "")
            for number, cells in rows
            if any(c.strip() for c in cells)
        ),
        decimal=decimal,
    )
    bad_amount = {p.row: p.reason + "." for p in amounts.problems}
    items: list[CostToServeItem] = []
    deadline = Deadline()
    for number, cells in rows:
        deadline.check()
        if not any(c.strip() for c in cells):
            continue
        values = {
            name: (cells[i].strip() if i < len(cells) else "") for name, i in position.items()
        }
        row_ok = True
        external_id = values["account_external_id"]
        account = editable.get(external_id)
        if not external_id:
            problems.append(
                ImportProblem(number, "account_external_id", _("This field is required."))
            )
            row_ok = False
        elif account is None:
            reason = (
                _("You may not change this account.")
                if external_id in known
                else _("No account has the external id %(id)s.") % {"id": external_id}
            )
            problems.append(ImportProblem(number, "account_external_id", reason))
            row_ok = False
        parsed: dict[str, Any] = {}
        for name, check in (
            ("date", lambda v: _date(v, field="date")),
            ("kind", lambda v: _choice(v, CostKind, field="kind")),
            ("amount", lambda v, n=number: _read_amount(n, v, amounts.values, bad_amount)),
            ("note", lambda v: _text(v, field="note", max_length=200)),
        ):
            try:
                parsed[name] = check(values.get(name, ""))
            except ApplicationError as exc:
                problems.append(ImportProblem(number, name, exc.message))
                row_ok = False
        if row_ok and account is not None:
            items.append(
                CostToServeItem(
                    account=account,
                    created_by=user if user.is_authenticated else None,
                    **parsed,
                )
            )
    if problems:
        raise ImportRefused(problems)
    with transaction.atomic():
        CostToServeItem.objects.bulk_create(items, batch_size=2000)
        ledgers_dirty(account_ids={i.account_id for i in items})  # bulk_create sends no signal
    return CostImportSummary(
        created=len(items),
        accounts=len({i.account_id for i in items}),
        total=sum((i.amount for i in items), Decimal(0)),
    )


def _read_amount(
    number: int, text: str, values: dict[Any, Decimal], problems: dict[int | None, str]
) -> Decimal:
    """A row's amount as the file's number reading found it (``kam.imports.numbers``)."""
    if number in problems:
        raise ApplicationError(problems[number], field="amount")
    value = values.get(number)
    return _amount(text if value is None else value, field="amount")


def _editable_ids(user: User) -> Any:
    from kam.accounts.selectors import account_list_editable

    return account_list_editable(user=user).values("pk")


# --- investments ----------------------------------------------------------------------------


def _investment_values(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    checks = {
        "date": lambda v: _date(v, field="date"),
        "kind": lambda v: _choice(v, InvestmentKind, field="kind"),
        "amount": lambda v: _amount(v, field="amount", positive=True),
        "description": lambda v: _text(v, field="description", max_length=300, required=True),
        "plan_label": lambda v: _text(v, field="plan_label", max_length=200),
        "baseline_method": lambda v: _choice(v, BaselineMethod, field="baseline_method"),
        "baseline_amount": lambda v: (
            None if v in (None, "") else _amount(v, field="baseline_amount")
        ),
        "probability": _probability,
    }
    for name, check in checks.items():
        if name in data and (data[name] is not None or name == "baseline_amount"):
            out[name] = check(data[name])
        elif not partial and name in {"date", "kind", "amount", "description"}:
            raise ApplicationError(_("This field is required."), field=name)
    return out


def _baseline_check(investment: Investment) -> None:
    if investment.baseline_method == BaselineMethod.AMOUNT and investment.baseline_amount is None:
        raise ApplicationError(
            _("Give the contribution per year you expected without the investment."),
            field="baseline_amount",
        )


def investment_create(*, user: User, account: Account, **data: Any) -> Investment:
    """Add an investment to ``account``'s ledger (account currency): date, kind, amount,
    description, optional plan project label, baseline (trend by default, or an amount per
    year) and the probability (0-1) that the forecast comes true."""
    account_editable_check(user=user, account=account)
    values = _investment_values(data, partial=False)
    investment = Investment(
        account=account, created_by=user if user.is_authenticated else None, **values
    )
    _baseline_check(investment)
    investment.save()
    return investment


def investment_update(*, user: User, investment: Investment, **data: Any) -> Investment:
    """Change some fields of an investment; the others are kept."""
    account_editable_check(user=user, account=investment.account)
    for name, value in _investment_values(data, partial=True).items():
        setattr(investment, name, value)
    _baseline_check(investment)
    investment.save()
    return investment


def investment_delete(*, user: User, investment: Investment) -> None:
    """Remove an investment from the ledger."""
    account_editable_check(user=user, account=investment.account)
    investment.delete()


# --- available spend ------------------------------------------------------------------------


def available_spend_set(
    *, user: User, account: Account, amount: Decimal | float | str | None
) -> None:
    """Enter (or with ``None``/blank clear) an account's yearly available spend in our
    category, in its currency (for share of wallet)."""
    account_editable_check(user=user, account=account)
    if amount in (None, ""):
        value = None
    else:
        value = _amount(amount, field="available_spend")
        if value < 0:
            raise ApplicationError(_("The amount must be 0 or more."), field="available_spend")
    store_get().available_spend_set(values={account.external_id: value})


def _problems_of(report: Any) -> list[ImportProblem]:
    problems = [p.import_problem() for p in report.problems]
    rest = report.problems_total - len(report.problems)
    if rest > 0:
        problems.append(
            ImportProblem(None, "", _("%(n)d more problem(s) not shown.") % {"n": rest})
        )
    return problems


def available_spend_import(
    *, user: User, content: bytes, filename: str, decimal: Convention | None = None
) -> dict[str, int]:
    """Import ``account_external_id, available_spend`` (CSV or Parquet), all or nothing;
    every account must exist; amounts are read by ``kam.imports.numbers`` (``decimal``: the
    convention the user gave). Returns ``{"accounts": n}``."""
    _import_check(user)
    upload_size_check(len(content), name=filename)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / Path(filename or "spend.csv").name
        path.write_bytes(content)
        unknown = _unknown_accounts(path)
        if unknown:
            raise ImportRefused(
                [
                    ImportProblem(
                        row,
                        "account_external_id",
                        _("No account has the external id %(id)s.") % {"id": ext},
                    )
                    for row, ext in unknown
                ]
            )
        try:
            report = store_get().available_spend_import(
                path=path, filename=filename, decimal=decimal
            )
        except TransactionImportError as exc:
            raise ImportRefused(_problems_of(exc.report)) from None
    return {"accounts": report.rows_imported}


def _unknown_accounts(path: Path) -> list[tuple[int, str]]:
    """Rows whose account does not exist (row numbers as the spreadsheet counts them)."""
    from kam.facts.checking import connect, file_format

    fmt = file_format(path)
    con = connect()
    try:
        if fmt == "parquet":
            source = f"read_parquet({sql_string(str(path))})"
            first = 1
        else:
            source = f"read_csv({sql_string(str(path))}, all_varchar=true, header=true)"
            first = 2
        try:
            rows = con.execute(
                f"SELECT row_number() OVER () - 1 + {first}, "
                f"CAST(account_external_id AS VARCHAR) FROM {source}"
            ).fetchall()
        except Exception:  # a broken file: the store's own check reports it properly
            return []
    finally:
        con.close()
    known = set(Account.objects.values_list("external_id", flat=True))
    return [
        (int(n), str(ext).strip())
        for n, ext in rows
        if ext is not None and str(ext).strip() and str(ext).strip() not in known
    ][:100]


# --- transactions and facts -----------------------------------------------------------------


def _imports_dir() -> Path:
    path = store_get().root / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def transaction_import_start(
    *, user: User, content: bytes | File[bytes], filename: str, as_of: dt.date | None = None
) -> TransactionImport:
    """Keep the uploaded file and enqueue its import as a background job (``kam worker``
    runs it; docs/operations.md); the import's row shows its progress. Refused (409) while
    another import is queued or running.

    ``content``: the file's bytes, or the upload itself (a Django ``File``), which is
    copied to the import folder in chunks: a file of gigabytes never sits in memory whole
    (Django keeps an upload above ``FILE_UPLOAD_MAX_MEMORY_SIZE`` in a temporary file)."""
    _import_check(user)
    size = len(content) if isinstance(content, bytes) else int(content.size or 0)
    upload_size_check(size, name=filename, setting="KAM_MAX_LINES_UPLOAD_BYTES")
    name = Path(filename or "lines.csv").name
    if Path(name).suffix.lower() not in {".csv", ".parquet", ".pq", ".txt"}:
        raise ApplicationError(
            _("Upload a CSV or Parquet file of invoice lines."), field="file", status=422
        )
    # The file is copied before the transaction below: a copy of gigabytes must not hold
    # the database's write lock.
    folder = Path(tempfile.mkdtemp(dir=_imports_dir()))
    path = folder / name
    try:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            with path.open("wb") as out:
                for chunk in content.chunks():
                    out.write(chunk)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    # The check and the new job in one transaction: on SQLite (write lock taken at the
    # start) two uploads at the same moment cannot both pass it.
    try:
        with transaction.atomic():
            _store_busy_check(doing="import")
            _prune_failed_uploads()
            job = TransactionImport.objects.create(
                filename=name,
                path=str(path),
                as_of=as_of or timezone.localdate(),
                created_by=user if user.is_authenticated else None,
            )
            job_enqueue(kind=IMPORT_JOB, user=user, object_id=job.pk, label=name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # refused or failed: no upload kept
        raise
    job.refresh_from_db()
    return job


IMPORT_JOB = "transaction_import"
#: The upload of a failed import is kept this long, for a retry.
KEEP_FAILED_UPLOADS = dt.timedelta(days=7)


def _prune_failed_uploads() -> None:
    old = TransactionImport.objects.filter(
        status=ImportStatus.FAILED, finished_at__lt=timezone.now() - KEEP_FAILED_UPLOADS
    ).exclude(path="")
    for row in old:
        _remove_upload(row.path)
    old.update(path="")


def _remove_upload(path: str) -> None:
    """Remove an upload's own folder (never anything outside the uploads folder)."""
    if not path:
        return
    folder = Path(path).parent
    if folder.parent.resolve() == _imports_dir().resolve():
        shutil.rmtree(folder, ignore_errors=True)


def transaction_import_stopped(*, object_id: int, reason: str, cancelled: bool) -> None:
    """The job of an import stopped without finishing (its worker died, it crashed or was
    cancelled): the import is marked failed with ``reason``, the store's temporary files
    are removed, and the upload too when cancelled (a failed one is kept for a retry)."""
    TransactionImport.objects.filter(
        pk=object_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).update(status=ImportStatus.FAILED, error=reason, finished_at=timezone.now())
    if cancelled:
        row = TransactionImport.objects.filter(pk=object_id).first()
        if row is not None:
            _remove_upload(row.path)
    store_get().scratch_clear()


def transaction_import_retry(*, user: User, object_id: int) -> None:
    """Check that a failed import can run again (its upload is still kept, no other import
    is under way) and put it back in the queue."""
    _import_check(user)
    row = TransactionImport.objects.filter(pk=object_id).first()
    if row is None or not row.path or not Path(row.path).is_file():
        raise ApplicationError(
            _("The uploaded file of this import is no longer kept: upload it again."),
            status=409,
        )
    _store_busy_check(doing="import")
    TransactionImport.objects.filter(pk=object_id).update(
        status=ImportStatus.QUEUED,
        progress=0,
        phase="",
        error="",
        report={},
        summary={},
        finished_at=None,
    )


#: Each phase's share of the progress bar: (from %, to %).
PHASES = {
    "fingerprint": (0, 10),
    "reading": (10, 55),
    "checking": (55, 65),
    "writing": (65, 80),
    "facts": (80, 90),
    "prediction": (90, 99),
}


#: Phases in which a cancel stops the import: nothing has been written yet.
CANCELLABLE = {"fingerprint", "reading", "checking"}


class _Progress:
    """Writes the job's phase and progress at most every half second, only forward; stops
    the import at a requested cancel while nothing is written yet."""

    def __init__(self, job_id: int, tracker: JobTracker | None = None) -> None:
        self.job_id = job_id
        self.tracker = tracker
        self.last_pct = -1
        self.last_time = 0.0

    def __call__(self, phase: str, fraction: float) -> None:
        if self.tracker is not None and phase in CANCELLABLE:
            self.tracker.check()
        lo, hi = PHASES.get(phase, (0, 99))
        pct = lo + round((hi - lo) * min(max(fraction, 0.0), 1.0))
        now = time.monotonic()
        if pct <= self.last_pct or (now - self.last_time < 0.5 and pct < hi):
            return
        self.last_pct, self.last_time = pct, now
        TransactionImport.objects.filter(pk=self.job_id, progress__lt=pct).update(
            progress=pct, phase=phase
        )
        if self.tracker is not None:
            self.tracker.update(pct, phase)


def transaction_import_execute(*, job_id: int, tracker: JobTracker | None = None) -> None:
    """Import the job's file into the store (all or nothing), then compute the facts at the
    job's as-of date, store them per account and re-derive the fact-bound scores of open
    reviews. A refused file keeps its report (row, column, reason); nothing is written.
    ``tracker`` (the background job's) gets the progress; a cancel it reports stops the
    import before anything is written (``JobCancelled`` propagates). The upload is removed
    when the import ends, except after a failure (kept for a retry)."""
    job = TransactionImport.objects.get(pk=job_id)
    TransactionImport.objects.filter(pk=job_id).update(
        status=ImportStatus.RUNNING, progress=1, phase="fingerprint"
    )
    progress = _Progress(job_id, tracker)
    path = Path(job.path)
    keep_upload = False
    try:
        try:
            from kam.facts.compute import FactsAfterImport

            # the facts are computed in the import's connection once the file is stored
            store = store_get()
            after = FactsAfterImport(store, as_of=job.as_of, progress=progress)
            report = store.lines_import(
                path=path, filename=job.filename, progress=progress, on_stored=after
            )
        except TransactionImportError as exc:
            TransactionImport.objects.filter(pk=job_id).update(
                status=ImportStatus.REFUSED,
                report=report_json(exc.report),
                finished_at=timezone.now(),
            )
            return
        summary: dict[str, Any] = {"import": report_json(report)}
        summary.update(facts_compute(as_of=job.as_of, progress=progress, rows=after.rows))
        # the pages' totals per account and period, summed once for the new store
        line_totals_store(as_of=timezone.localdate())
        # and the account P&Ls stored (kam.economics.ledger_store), in a job of their own
        ledgers_dirty(account_ids=None)
        TransactionImport.objects.filter(pk=job_id).update(
            status=ImportStatus.DONE,
            progress=100,
            phase="",
            report=report_json(report),
            summary=summary,
            finished_at=timezone.now(),
        )
    except JobCancelled:
        raise
    except Exception as exc:  # the job must end, whatever went wrong; the reason is kept
        log.exception("transaction import %s failed", job_id)
        message = exc.message if isinstance(exc, ApplicationError) else str(exc) or repr(exc)
        TransactionImport.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, error=message, finished_at=timezone.now()
        )
        keep_upload = True
    finally:
        if not keep_upload:
            _remove_upload(str(path))


@dataclass(frozen=True)
class SourceRemoval:
    """What removing a transaction source did: its lines, its import records, the facts."""

    source: str
    lines: int
    imports: int
    facts: dict[str, Any]


REMOVE_JOB = "transaction_source_remove"


def _store_busy_check(*, doing: str) -> None:
    """Refuse (409) while an import or a removal of a source is queued or running: both
    write the store and recompute every account's facts. ``doing``: "import" or "remove"."""
    if job_busy(kind=IMPORT_JOB):
        raise ApplicationError(
            _("An import is under way; remove the source when it has finished.")
            if doing == "remove"
            else _("An import is already under way; wait for it to finish."),
            status=409,
        )
    if job_busy(kind=REMOVE_JOB):
        raise ApplicationError(
            _("A transaction source is being removed; wait for it to finish."), status=409
        )


def transaction_source_remove(*, user: User, source: str) -> Job:
    """Enqueue the removal of an imported transaction source as a background job
    (``transaction_source_remove_execute`` does it; docs/operations.md, "Removing an
    imported transaction source"). For a source imported by mistake, or one with wrong
    data (dates in year 0 from before dates were checked). Administrators only (403); an
    unknown source is 404; while an import or another removal is queued or running, 409
    (both write the same store and the same facts)."""
    require(
        source_may_remove(user=user), _("Only administrators remove imported transaction sources.")
    )
    if not any(s.name == source for s in store_get().sources()):
        raise ApplicationError(
            _("There is no transaction source '%(source)s'.") % {"source": source[:200]},
            field="source",
            status=404,
        )
    # The check and the new job in one transaction, as for an import.
    with transaction.atomic():
        _store_busy_check(doing="remove")
        job = job_enqueue(
            kind=REMOVE_JOB, user=user, object_id=None, label=source, arguments={"source": source}
        )
    job.refresh_from_db()
    return job


def transaction_source_remove_execute(
    *, source: str, tracker: JobTracker | None = None
) -> SourceRemoval:
    """Remove a transaction source: its invoice lines leave the Parquet store in one atomic
    step (``TransactionStore.source_detach``), then, in one database transaction, the
    import records (``TransactionImport``) that brought it go and every account's facts
    are computed again at each as-of date stored, and today.

    All or nothing under a kill: before the store step a cancel stops it with nothing
    changed; killed after it, the source is wholly gone and the facts of before are kept
    whole (their transaction never committed) until a retry, which finds the source gone
    and only recomputes the facts. So the source is always either fully present or fully
    removed, and the facts agree with the store once the job is done."""
    store = store_get()
    if tracker is not None:
        tracker.update(1, "store")
        tracker.check()  # the last point where a cancel stops it: nothing changed yet
    found = next((s for s in store.sources() if s.name == source), None)
    lines = found.lines if found is not None else 0
    if found is not None:
        store.source_detach(path=found.path)
    if tracker is not None:
        tracker.update(10, "facts")
    today = timezone.localdate()
    # every stored snapshot of the facts may have counted the removed lines: each as-of
    # date is computed again from what the store now holds (an account left without lines
    # keeps no facts); the scores of open reviews follow once, at the end
    days = sorted({*AccountFacts.objects.values_list("as_of", flat=True).distinct(), today})
    with transaction.atomic():
        records = [
            job.pk
            for job in TransactionImport.objects.filter(status=ImportStatus.DONE).only(
                "pk", "report"
            )
            if isinstance(job.report, dict) and job.report.get("source") == source
        ]
        TransactionImport.objects.filter(pk__in=records).delete()
        AccountFacts.objects.all().delete()
        for n, day in enumerate(days):
            if day != today:
                facts_compute(as_of=day, derive_scores=False)
            if tracker is not None:
                tracker.update(10 + round(85 * (n + 1) / len(days)), "facts")
        facts = facts_compute(as_of=today)
    line_totals_store(as_of=today, store=store)
    ledgers_dirty(account_ids=None)  # the stored P&Ls follow, in a job of their own
    store.detached_clear()
    return SourceRemoval(source=source, lines=lines, imports=len(records), facts=facts)


def transaction_source_remove_stopped(
    *, object_id: int | None, reason: str, cancelled: bool
) -> None:
    """The removal's job stopped without finishing: nothing of its own to mark (the job
    row says why); the store's detached files are removed (the source left the store, if
    it did, in one rename; a retry recomputes the facts)."""
    store_get().detached_clear()


def transaction_source_remove_retry(*, user: User, object_id: int | None) -> None:
    """A failed or cancelled removal may run again (administrators; no import or other
    removal under way). It needs no source still stored: when it is gone, the retry only
    recomputes the facts."""
    require(
        source_may_remove(user=user), _("Only administrators remove imported transaction sources.")
    )
    _store_busy_check(doing="remove")


def predicted_future_values(*, as_of: dt.date, annual_rate: float) -> dict[str, float]:
    """Each account's predicted revenue of the next 52 weeks, discounted at ``annual_rate``,
    from BG/NBD and Gamma-Gamma fitted on the store's lines up to ``as_of`` (docs/method.md
    section 6; ``kam.facts.clv`` summary, ``kam.core.clv`` models), in the account's
    currency. The models are fitted in the base currency (at the organisation's exchange
    rates; a currency without a rate counts as 1). Empty when the history cannot identify
    the models (too few customers or repeat purchases, or spend per order so spread out
    that the Gamma-Gamma mean is infinite)."""
    import numpy as np

    from kam.core.clv import ClvFitError, clv_fit, clv_predict
    from kam.facts.checking import connect
    from kam.facts.clv import summary_of_relation

    store = store_get()
    files = store.line_files()
    if not files:
        return {}
    # One model across accounts needs one currency: amounts in the base currency for the fit,
    # each account's value back in its own currency after (as the other facts are).
    org = organisation_get()
    rates = {c: float(r) for c, r in exchange_rates_get(organisation=org).items()}
    to_base = (
        "CASE currency "
        + " ".join(f"WHEN {sql_string(c)} THEN {r!r}" for c, r in rates.items())
        + " ELSE 1.0 END"
    )
    relation = (
        "SELECT account_external_id AS account, invoice_date AS day, "
        f"CAST(amount AS DOUBLE) * {to_base} AS amount FROM "
        + sql_plausible_lines(
            "read_parquet([" + ", ".join(sql_string(str(f)) for f in files) + "])"
        )
    )
    con = connect()
    try:
        currency_of = dict(
            con.execute(
                "SELECT account_external_id, any_value(currency) FROM read_parquet(["
                + ", ".join(sql_string(str(f)) for f in files)
                + "]) GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
    con = connect()
    try:
        summary, _later = summary_of_relation(relation, calibration_end=as_of, connection=con)
    finally:
        con.close()
    if len(summary.accounts) == 0:
        return {}
    try:
        model = clv_fit(summary)
        prediction = clv_predict(
            model.bgnbd,
            model.gamma_gamma,
            summary,
            horizon_weeks=PFV_HORIZON_WEEKS,
            annual_discount_rate=annual_rate,
        )
    except (ClvFitError, ValueError) as exc:
        log.warning("predicted future value left out: %s", exc)
        return {}
    return {
        a: float(v) / rates.get(currency_of.get(a, ""), 1.0)
        for a, v in zip(prediction.accounts, prediction.expected_value, strict=True)
        if np.isfinite(v)
    }


def facts_compute(
    *,
    as_of: dt.date,
    progress: Any = None,
    derive_scores: bool = True,
    rows: list[StoreFacts] | None = None,
) -> dict[str, Any]:
    """Compute every account's facts at ``as_of`` from the store (``kam.facts``), add the
    predicted future value, store them per account (matched on ``Account.external_id``) and
    re-derive the scores of open reviews whose scheme has fact-bound criteria.

    ``rows``: the store's facts at ``as_of`` when the caller has them already (the import
    job gets them from ``TransactionStore.lines_import``, computed from the rows it has
    just checked); otherwise they are computed from the store.

    Returns counts: ``facts`` (accounts stored), ``unmatched`` (external ids in the lines
    without an account), ``reviews`` (open reviews re-derived), ``scores`` (derived scores)."""
    from kam.facts.compute import store_facts
    from kam.portfolio.models import Review, ReviewStatus
    from kam.portfolio.services import review_derive_scores

    store = store_get()
    # kam.facts can predict too, but over the lines' mixed currencies and undiscounted; the
    # prediction here fits in the base currency and discounts at the organisation's rate.
    if rows is None:
        rows = store_facts(store, as_of=as_of, progress=progress, predict=False)
    org = organisation_get()
    if progress is not None:
        progress("prediction", 0.0)
    pfv = predicted_future_values(as_of=as_of, annual_rate=float(org.discount_rate))
    ids = dict(
        Account.objects.filter(external_id__in=[r.account_external_id for r in rows]).values_list(
            "external_id", "pk"
        )
    )
    to_save = []
    for r in rows:
        pk = ids.get(r.account_external_id)
        if pk is None:
            continue
        values = {name: getattr(r, name, None) for name in FACTS}
        values["predicted_future_value"] = pfv.get(r.account_external_id)
        to_save.append((pk, values))
    saved = account_facts_save(as_of=as_of, rows=to_save)
    reviews = scores = 0
    if derive_scores:
        open_reviews = (
            Review.objects.filter(status=ReviewStatus.OPEN, scheme_version__criteria__fact__gt="")
            .distinct()
            .select_related("scheme_version")
        )
        for review in open_reviews:
            # at the review's own date: facts after it do not count for it
            scores += review_derive_scores(review=review)
            reviews += 1
    if progress is not None:
        progress("prediction", 1.0)
    return {
        "facts": saved,
        "unmatched": len(rows) - saved,
        "reviews": reviews,
        "scores": scores,
        "as_of": as_of.isoformat(),
    }
