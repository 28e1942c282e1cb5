"""Real worker processes on a file SQLite database (docs/operations.md, "Background jobs").

`kam worker` runs an import big enough to take seconds; it is killed with SIGKILL in the
middle; a new worker notices, marks the job failed with the reason and removes the
import's temporary files; nothing of the import was written; a retry imports every line.
And two processes writing at once both succeed: SQLite waits instead of "database is
locked". Timings are printed (run with -s to see them)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LINES = 1_000_000
ACCOUNTS = 50


#: The PostgreSQL database of this test (its own; created afresh, dropped after).
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "kam_jobs"
DATABASES: dict[Path, str] = {}  # data directory -> DATABASE_URL, when on PostgreSQL


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KAM_TASKS_BACKEND")}
    env["KAM_DATA_DIR"] = str(data)
    env["PYTHONPATH"] = str(ROOT)
    if data in DATABASES:
        env["DATABASE_URL"] = DATABASES[data]
    return env


@pytest.fixture(scope="module")
def migrated_sqlite(
    request: pytest.FixtureRequest, django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A SQLite database as `kam manage migrate` leaves it, made once for the module; tests
    copy it (``_migrated``). It is the suite's migrated template (tests/db_template.py) when
    there is one, else a migration in a new process (10-20 CPU seconds)."""
    from tests import db_template

    data = tmp_path_factory.mktemp("migrated")
    if db_template.enabled() and db_template.template_copy(
        request.config.cache.mkdir("kam-test-db"), data / "kam.sqlite3"
    ):
        return data / "kam.sqlite3"
    _kam(data, "manage", "migrate", "--verbosity", "0")
    return data / "kam.sqlite3"


def _migrated(data: Path, template: Path) -> None:
    """A migrated installation in ``data``: a copy of the module's migrated database (SQLite's
    backup API, so what is still in the write-ahead log is copied too)."""
    source, target = sqlite3.connect(template), sqlite3.connect(data / "kam.sqlite3")
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def data(request, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The data directory of a new, migrated installation: on a SQLite file, or on
    PostgreSQL."""
    data = tmp_path / "data"
    data.mkdir()
    if request.param == "sqlite":
        _migrated(data, request.getfixturevalue("migrated_sqlite"))
        yield data
        return
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError:
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    admin.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {PG_NAME}")
    DATABASES[data] = f"{PG_SERVER}/{PG_NAME}"
    try:
        _kam(data, "manage", "migrate", "--verbosity", "0")
        yield data
    finally:
        DATABASES.pop(data, None)
        admin.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        admin.close()


def _kam(data: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "kam.cli", *args],
        env=_env(data),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _shell(data: Path, code: str) -> str:
    return _kam(data, "manage", "shell", "-c", code)


def _worker(data: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kam.cli", "worker", "--interval", "0.2"],
        env=_env(data),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _query(data: Path, sql: str) -> list[tuple[Any, ...]]:
    if data in DATABASES:
        import psycopg

        with psycopg.connect(DATABASES[data], autocommit=True) as pg:
            return pg.execute(sql).fetchall()  # type: ignore[arg-type]
    con = sqlite3.connect(data / "kam.sqlite3", timeout=30)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _wait(what: str, check: Callable[[], bool], limit: float = 900) -> float:
    """Seconds until ``check()`` holds (the limit only guards against a hang)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < limit, f"waited too long for {what}"
        time.sleep(0.1)
    return time.monotonic() - start


def _big_file(path: Path) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(
        "COPY (SELECT 'K' || lpad(CAST(i % " + str(ACCOUNTS) + " AS VARCHAR), 3, '0') "
        "AS account_external_id, 'inv' || i AS invoice_id, "
        "DATE '2024-07-01' + CAST(i % 700 AS INTEGER) AS invoice_date, "
        "CAST(100 + i % 997 AS VARCHAR) AS amount, CAST(60 + i % 500 AS VARCHAR) AS cost, "
        "NULL AS due_date, NULL AS paid_date, 'EUR' AS currency "
        f"FROM range({LINES}) t(i)) TO '{path}' (HEADER, DELIMITER ',')"
    )
    con.close()


SETUP = """
import datetime as dt
from pathlib import Path
from kam.accounts.models import Account
from kam.economics.services import transaction_import_start
from kam.users.models import Role
from tests.factories import make_user
director = make_user(Role.SALES_DIRECTOR, username="director")
for n in range({accounts}):
    Account.objects.create(name=f"Customer {{n}}", external_id=f"K{{n:03d}}", country="NL",
                           channel="retail", currency="EUR")
row = transaction_import_start(user=director, content=Path({file!r}).read_bytes(),
                               filename="big.csv", as_of=dt.date(2026, 6, 30))
print("import", row.pk, row.status)
"""

RETRY = """
from django.contrib.auth.models import User
from kam.jobs.models import Job
from kam.jobs.services import job_retry
director = User.objects.get(username="director")
job = job_retry(user=director, job=Job.objects.get(kind="transaction_import"))
print("retried", job.pk, job.status)
"""


def test_a_worker_killed_during_an_import_fails_it_cleanly_and_a_retry_completes(
    tmp_path: Path, data: Path
) -> None:
    big = tmp_path / "big.csv"
    timings: dict[str, float] = {}
    start = time.monotonic()
    _big_file(big)
    timings["write the file"] = time.monotonic() - start
    out = _shell(data, SETUP.format(accounts=ACCOUNTS, file=str(big)))
    assert "queued" in out  # the request only enqueued
    store = data / "transactions"

    def status() -> tuple[str, int, str]:
        rows = _query(data, "SELECT status, progress, phase FROM economics_transactionimport")
        return rows[0]

    def job() -> tuple[str, str, int]:
        return _query(
            data, "SELECT status, error, attempts FROM jobs_job WHERE kind = 'transaction_import'"
        )[0]

    first = _worker(data)
    try:
        timings["worker start to import running"] = _wait(
            "the import to run", lambda: status()[0] == "running"
        )
        # kill it in the middle: checking every value, the staging file being written
        _wait("the import to be well under way", lambda: status()[1] >= 15)
        assert status()[0] == "running", "the import ended before it could be killed"
        assert any((store / ".staging").iterdir())  # it has temporary files now
        killed_at = status()
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert job()[0] == "running"  # nobody has noticed yet

    second = _worker(data)
    try:
        timings["new worker notices the dead one"] = _wait(
            "the job to be failed", lambda: job()[0] == "failed"
        )  # (from the new worker's start: its Django start-up is most of it)
        state, error, attempts = job()
        assert error == f"The worker stopped (its process {first.pid} ended).", error
        assert status()[0] == "failed"
        assert _query(data, "SELECT error FROM economics_transactionimport")[0][0] == error
        assert not any((store / ".staging").iterdir())  # its temporary files are gone
        lines = store / "lines"
        assert not list(lines.glob("*.parquet")) and not list(lines.glob(".*.tmp"))
        assert _query(data, "SELECT count(*) FROM economics_accountfacts") == [(0,)]
        # the upload itself is kept, for the retry
        path = Path(_query(data, "SELECT path FROM economics_transactionimport")[0][0])
        assert path.is_file()

        assert "retried" in _shell(data, RETRY)
        timings["retry: the whole import and the facts"] = _wait(
            "the retry to finish", lambda: job()[0] in ("done", "failed")
        )
        state, error, attempts = job()
        assert state == "done", error
        assert attempts == 2
        done, report, summary = _query(
            data, "SELECT status, report, summary FROM economics_transactionimport"
        )[0]
        assert done == "done"
        assert _json(report)["rows_imported"] == LINES
        assert _json(summary)["facts"] == ACCOUNTS
        assert len(list(lines.glob("*.parquet"))) == 1
        assert not path.exists()  # the upload goes once the import is done
    finally:
        second.send_signal(signal.SIGTERM)
        output, _ = second.communicate(timeout=60)
    assert second.returncode == 0, output
    assert _query(data, "SELECT count(*) FROM jobs_jobworker WHERE stopped_at IS NULL") == [(0,)]
    print(
        f"\nkilled at {killed_at[1]} % ({killed_at[2]}); {LINES:,} lines, {big.stat().st_size:,} B"
    )
    print(f"database: {'PostgreSQL' if data in DATABASES else 'SQLite'}")
    for name, seconds in timings.items():
        print(f"  {name}: {seconds:.1f} s")


WRITER = """
import time
from pathlib import Path
from django.db import transaction
from django.utils import timezone
from kam.jobs.models import JobWorker
# both writers begin at the same moment: once each has started Django and said so
ready = Path({ready!r})
(ready / "{name}").touch()
while len(list(ready.iterdir())) < 2:
    time.sleep(0.001)
for n in range({n}):
    with transaction.atomic():
        # read, then write in the same transaction: without the write lock taken at BEGIN
        # (transaction_mode IMMEDIATE) two such writers fail with "database is locked"
        JobWorker.objects.filter(hostname="{name}").count()
        JobWorker.objects.create(worker_id="{name}-" + str(n), hostname="{name}", pid=n,
                                 heartbeat_at=timezone.now())
        time.sleep(0.002)
print("wrote", {n})
"""


def test_two_processes_writing_at_once_both_succeed_on_sqlite(
    tmp_path: Path, migrated_sqlite: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _migrated(data, migrated_sqlite)
    ready = tmp_path / "ready"  # each writer leaves a file here once Django has started
    ready.mkdir()
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kam.cli",
                "manage",
                "shell",
                "-c",
                WRITER.format(n=300, name=name, ready=str(ready)),
            ],
            env=_env(data),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for proc in writers:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
        assert "database is locked" not in err
        assert "wrote 300" in out
    assert _query(data, "SELECT count(*) FROM jobs_jobworker") == [(600,)]
