"""`kam backup` and `kam restore`, run as an operator runs them (docs/operations.md).

The round trip, on SQLite and on PostgreSQL: the demo portfolio is loaded into a data
directory of its own; while another process inserts activities in a loop, `kam backup`
takes the archive; `kam restore` brings it into an empty installation; then every table
has the row count the manifest recorded for the backup's snapshot, and the facts (the
AccountFacts rows, and the invoice lines of the transaction store) are equal. The
refusals: an archive path that exists, a non-empty installation, an archive changed after
it was made, an archive from a newer kam: each exits 2 with a message and no traceback.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

PG = "postgres://postgres@127.0.0.1:5432"

# Inserts activities one by one (each its own transaction) until the stop file appears;
# writes how many it has inserted to the count file after each.
WRITER = """
import os, sys, datetime
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
import django
django.setup()
from kam.accounts.models import Account
from kam.activities.models import Activity
stop, count_file = sys.argv[1], sys.argv[2]
account = Account.objects.order_by("pk").first()
n = 0
while not os.path.exists(stop):
    Activity.objects.create(
        account=account, date=datetime.date(2026, 11, 2), duration_minutes=30,
        topic=f"written during the backup {n}",
    )
    n += 1
    with open(count_file + ".tmp", "w") as f:
        f.write(str(n))
    os.replace(count_file + ".tmp", count_file)
"""


@dataclass
class Installation:
    data_dir: Path
    database_url: str | None

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "KAM_SECRET_KEY", "DJANGO_SETTINGS_MODULE")
        }
        env["KAM_DATA_DIR"] = str(self.data_dir)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def kam(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "kam.cli", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            # a loose umask in the caller: kam's own files must still be private
            preexec_fn=lambda: os.umask(0o022),
        )
        if check:
            assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    def counts(self) -> dict[str, int]:
        """Rows per table, read straight from the database (not through kam)."""
        if self.database_url is None:
            con = sqlite3.connect(self.data_dir / "kam.sqlite3")
            try:
                names = [
                    r[0]
                    for r in con.execute(
                        "SELECT name FROM sqlite_master WHERE type='table' "
                        "AND name NOT LIKE 'sqlite_%'"
                    )
                ]
                return {n: con.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}
            finally:
                con.close()
        import psycopg

        with psycopg.connect(self.database_url) as con:
            names = [
                r[0]
                for r in con.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            ]
            return {
                n: con.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0]  # type: ignore[index]
                for n in names
            }

    def rows(self, table: str) -> list[tuple[Any, ...]]:
        query = f'SELECT * FROM "{table}" ORDER BY id'
        if self.database_url is None:
            con = sqlite3.connect(self.data_dir / "kam.sqlite3")
            try:
                return [tuple(str(v) for v in r) for r in con.execute(query).fetchall()]
            finally:
                con.close()
        import psycopg

        with psycopg.connect(self.database_url) as con:
            return [tuple(str(v) for v in r) for r in con.execute(query).fetchall()]


def _store_facts(root: Path) -> list[tuple[Any, ...]]:
    """Revenue, cost and lines per account and year from the store's Parquet files."""
    import duckdb

    files = sorted((root / "lines").glob("*.parquet"))
    assert files, f"no invoice lines in {root}"
    glob = str(root / "lines" / "*.parquet")
    return duckdb.sql(
        "SELECT account_external_id, year(invoice_date) AS y, COUNT(*), SUM(amount), SUM(cost) "
        f"FROM read_parquet('{glob}') GROUP BY ALL ORDER BY ALL"
    ).fetchall()


def _manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return json.loads(member.read())  # type: ignore[no-any-return]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _backup_during_writes(source: Installation, archive: Path, tmp: Path) -> dict[str, int]:
    """Take the backup while a writer process inserts activities; the activity counts
    before the backup started and after it ended."""
    stop, count_file = tmp / "stop", tmp / "written"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(stop), str(count_file)],
        env=source.env(),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300  # guards against a hang only
        while not count_file.exists() or int(count_file.read_text() or 0) < 20:
            assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
            assert time.monotonic() < deadline, "the writer wrote nothing"
            time.sleep(0.1)
        before = source.counts()["activities_activity"]
        written_before = int(count_file.read_text())
        result = source.kam("backup", str(archive))
        written_after = int(count_file.read_text())
        after = source.counts()["activities_activity"]
    finally:
        stop.touch()
        writer.wait(timeout=120)
    assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
    assert written_after > written_before, "the writer kept writing during the backup"
    assert "The archive holds the secret key" in result.stdout
    return {"before": before, "after": after, "written": int(count_file.read_text())}


def _round_trip(source: Installation, target: Installation, tmp: Path) -> dict[str, Any]:
    demo = source.kam("demo", "--accounts", "40", "--no-serve")
    assert f"kam's data directory: {source.data_dir}" in demo.stdout
    archive = tmp / "kam-backup.tar.gz"
    during = _backup_during_writes(source, archive, tmp)
    manifest = _manifest(archive)

    # The snapshot holds every activity committed before the backup began, and not the
    # ones written after it ended.
    archived = manifest["row_counts"]["activities_activity"]
    assert during["before"] <= archived <= during["after"], (during, archived)
    assert during["after"] > during["before"]
    assert manifest["database"]["engine"] == (
        "sqlite" if source.database_url is None else "postgresql"
    )
    assert manifest["migrations"]["activities"], manifest["migrations"]
    names = {f["path"] for f in manifest["files"]}
    assert "secret_key" in names and any(n.startswith("transactions/lines/") for n in names)

    restored = target.kam("restore", str(archive))
    assert "Restored" in restored.stdout
    counts = target.counts()
    assert counts == manifest["row_counts"]
    assert counts["accounts_account"] == 40 and counts["economics_accountfacts"] > 0
    # The facts: the AccountFacts rows and the store's invoice lines are equal.
    assert target.rows("economics_accountfacts") == source.rows("economics_accountfacts")
    assert _store_facts(target.data_dir / "transactions") == _store_facts(
        source.data_dir / "transactions"
    )
    assert (target.data_dir / "secret_key").read_text() == (
        source.data_dir / "secret_key"
    ).read_text()
    # A second restore into what is now a used installation is refused, and changes nothing.
    again = target.kam("restore", str(archive), check=False)
    assert again.returncode == 2, again.stderr
    assert "not empty" in again.stderr and "Traceback" not in again.stderr
    assert target.counts() == counts
    return {"archive": archive, "manifest": manifest, "during": during}


def _psql(sql: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs ``sql`` on the server's ``postgres`` database."""
    result = subprocess.run(
        ["psql", f"{PG}/postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql],
        capture_output=True,
        text=True,
    )
    if check:
        assert result.returncode == 0, (sql, result.stderr)
    return result


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    """Two PostgreSQL databases of this branch's own (kam_ops_src, kam_ops_dst), new."""
    if shutil.which("pg_dump") is None or shutil.which("psql") is None:
        pytest.skip("the PostgreSQL client programs are not installed")
    names = ("kam_ops_src", "kam_ops_dst")

    def psql(sql: str) -> subprocess.CompletedProcess[str]:
        return _psql(sql, check=False)

    if psql("SELECT 1").returncode != 0:
        pytest.skip("no PostgreSQL server at 127.0.0.1:5432")
    for name in names:
        assert psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)").returncode == 0
        assert psql(f"CREATE DATABASE {name}").returncode == 0
    yield f"{PG}/{names[0]}", f"{PG}/{names[1]}"
    for name in names:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_sqlite_backup_during_writes_restores_equal(tmp_path: Path) -> None:
    source = Installation(tmp_path / "source", None)
    target = Installation(tmp_path / "target", None)
    result = _round_trip(source, target, tmp_path)
    print("sqlite round trip:", result["during"], sum(result["manifest"]["row_counts"].values()))

    # kam's files are private to its user whatever the caller's umask was.
    for installation in (source, target):
        assert _mode(installation.data_dir) == 0o700
        for name in ("kam.sqlite3", "secret_key"):
            assert _mode(installation.data_dir / name) == 0o600, name
        store = installation.data_dir / "transactions"
        assert _mode(store) == 0o700 and _mode(store / "lines") == 0o700
        for parquet in store.rglob("*.parquet"):
            assert _mode(parquet) == 0o600, parquet
    assert _mode(result["archive"]) == 0o600


def test_postgresql_backup_during_writes_restores_equal(
    tmp_path: Path, pg_databases: tuple[str, str]
) -> None:
    src_url, dst_url = pg_databases
    source = Installation(tmp_path / "source", src_url)
    target = Installation(tmp_path / "target", dst_url)
    # The target is a migrated, empty installation (as after a first `kam serve`): a copy
    # of the source's database once migrated (PostgreSQL's template), which `kam manage
    # migrate` finds up to date, instead of running every migration twice.
    source.kam("manage", "migrate", "--verbosity", "0")
    _psql(f"DROP DATABASE {dst_url.rsplit('/', 1)[1]}")
    _psql(f"CREATE DATABASE {dst_url.rsplit('/', 1)[1]} TEMPLATE {src_url.rsplit('/', 1)[1]}")
    plan = target.kam("manage", "migrate", "--verbosity", "1")
    assert "No migrations to apply" in plan.stdout, plan.stdout
    result = _round_trip(source, target, tmp_path)
    print(
        "postgresql round trip:", result["during"], sum(result["manifest"]["row_counts"].values())
    )


# --- refusals, on a small installation ----------------------------------------------------


@pytest.fixture(scope="module")
def small_built(
    request: pytest.FixtureRequest, django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """A migrated installation without data and its backup, made once per module; each test
    gets its own copy (``small``). Its database is the suite's migrated template
    (tests/db_template.py) when there is one: migrating in a new process costs ~20 s."""
    from tests import db_template

    root = tmp_path_factory.mktemp("small-built")
    source = Installation(root / "small", None)
    source.data_dir.mkdir(mode=0o700)
    if not (
        db_template.enabled()
        and db_template.template_copy(
            request.config.cache.mkdir("kam-test-db"), source.data_dir / "kam.sqlite3"
        )
    ):
        source.kam("manage", "migrate", "--verbosity", "0")
    (source.data_dir / "kam.sqlite3").chmod(0o600)  # as kam makes it
    assert "No migrations to apply" in source.kam("manage", "migrate", "--verbosity", "1").stdout
    archive = root / "small.tar.gz"
    source.kam("backup", str(archive))
    return source.data_dir, archive


@pytest.fixture
def small(small_built: tuple[Path, Path], tmp_path: Path) -> tuple[Installation, Path]:
    """A migrated installation without data, and its backup: this test's own copy, with the
    files' modes kept (kam checks that its files are private)."""
    data_dir, built_archive = small_built
    shutil.copytree(data_dir, tmp_path / "small", symlinks=True)
    archive = tmp_path / "small.tar.gz"
    shutil.copy2(built_archive, archive)
    return Installation(tmp_path / "small", None), archive


def _refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in result.stderr, (word, result.stderr)


def test_backup_refuses_to_overwrite_unless_forced(small: tuple[Installation, Path]) -> None:
    source, archive = small
    before = hashlib.sha256(archive.read_bytes()).hexdigest()
    _refused(source.kam("backup", str(archive), check=False), "exists", "--force")
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == before
    source.kam("backup", str(archive), "--force")
    assert _manifest(archive)["format"] == "kam-backup"


def _rewrite(archive: Path, target: Path, change: Any) -> None:
    """Copy the archive, letting ``change(name, data, manifest)`` alter members."""
    with tarfile.open(archive) as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]
    manifest = json.loads(members[0][1])
    out = [(name, change(name, data, manifest)) for name, data in members[1:]]
    with tarfile.open(target, "w:gz") as tar:
        for name, data in [("manifest.json", json.dumps(manifest).encode()), *out]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_restore_refuses_a_changed_archive(
    small: tuple[Installation, Path], tmp_path: Path
) -> None:
    _source, archive = small
    target = Installation(tmp_path / "empty", None)
    changed = tmp_path / "changed.tar.gz"
    _rewrite(archive, changed, lambda n, d, m: b"another key" if n == "secret_key" else d)
    _refused(target.kam("restore", str(changed), check=False), "checksum", "secret_key")
    assert (
        not (target.data_dir / "kam.sqlite3").exists()
        or target.counts().get("accounts_account", 0) == 0
    )
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not an archive at all")
    _refused(target.kam("restore", str(garbage), check=False), "not a kam backup")
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    _refused(target.kam("restore", str(cut), check=False))


def test_restore_refuses_an_archive_of_a_newer_kam(
    small: tuple[Installation, Path], tmp_path: Path
) -> None:
    _source, archive = small
    newer = tmp_path / "newer.tar.gz"

    def future(name: str, data: bytes, manifest: dict[str, Any]) -> bytes:
        manifest["migrations"]["accounts"].append("9999_from_the_future")
        return data

    _rewrite(archive, newer, future)
    target = Installation(tmp_path / "empty", None)
    _refused(target.kam("restore", str(newer), check=False), "newer kam", "9999_from_the_future")


def test_restore_into_a_used_installation_needs_force(small: tuple[Installation, Path]) -> None:
    # the migrated installation (this test's copy), used: someone has signed up
    used, archive = small
    con = sqlite3.connect(used.data_dir / "kam.sqlite3")
    con.execute(
        "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, "
        "email, is_staff, is_active, date_joined) "
        "VALUES ('x', 0, 'someone', '', '', '', 0, 1, '2026-01-01')"
    )
    con.commit()
    con.close()
    _refused(used.kam("restore", str(archive), check=False), "not empty", "auth_user", "--force")
    assert used.counts()["auth_user"] == 1
    used.kam("restore", str(archive), "--force")
    assert used.counts() == _manifest(archive)["row_counts"]


def test_restore_migrates_an_archive_of_an_older_kam(
    small: tuple[Installation, Path], tmp_path: Path
) -> None:
    """An archive made before kam's latest economics migration comes up to date."""
    older, _archive = small  # migrated (this test's copy), then taken back
    older.kam("manage", "migrate", "economics", "0001", "--verbosity", "0")
    archive = tmp_path / "older.tar.gz"
    older.kam("backup", str(archive))
    manifest = _manifest(archive)
    assert (
        "0002_investment_transactionimport_costtoserveitem"
        not in manifest["migrations"]["economics"]
    )
    target = Installation(tmp_path / "target", None)
    target.kam("restore", str(archive))
    counts = target.counts()
    assert "economics_investment" in counts  # the table of the newer migration exists
    plan = target.kam("manage", "migrate", "--plan")
    assert "No planned migration operations" in plan.stdout, plan.stdout


@pytest.fixture
def pg_empty() -> Iterator[str]:
    """An empty PostgreSQL database of this branch's own (kam_ops_tools)."""
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    sql = "DROP DATABASE IF EXISTS kam_ops_tools WITH (FORCE); CREATE DATABASE kam_ops_tools;"
    for statement in sql.split(";")[:2]:
        done = subprocess.run(
            ["psql", f"{PG}/postgres", "-qc", statement], capture_output=True, text=True
        )
        if done.returncode != 0:
            pytest.skip(f"no PostgreSQL server at 127.0.0.1:5432: {done.stderr}")
    yield f"{PG}/kam_ops_tools"
    subprocess.run(
        ["psql", f"{PG}/postgres", "-qc", "DROP DATABASE IF EXISTS kam_ops_tools WITH (FORCE)"],
        capture_output=True,
    )


def test_backup_says_when_pg_dump_is_missing_or_too_old(tmp_path: Path, pg_empty: str) -> None:
    installation = Installation(tmp_path / "pg", pg_empty)
    env = installation.env()
    archive = tmp_path / "pg.tar.gz"
    command = [sys.executable, "-m", "kam.cli", "backup", str(archive)]

    missing = subprocess.run(
        command, env={**env, "PATH": str(tmp_path / "empty")}, capture_output=True, text=True
    )
    _refused(missing, "pg_dump was not found on PATH", "postgresql-client")

    # A pg_dump older than the server answers as PostgreSQL's own does.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pg_dump").write_text(
        "#!/bin/sh\necho 'pg_dump: error: aborting because of server version mismatch' >&2\n"
        "echo 'pg_dump: detail: server version: 17.2; pg_dump version: 13.1' >&2\nexit 1\n"
    )
    (fake / "pg_dump").chmod(0o755)
    old = subprocess.run(command, env={**env, "PATH": str(fake)}, capture_output=True, text=True)
    _refused(old, "pg_dump failed", "server version mismatch", "postgresql-client")
    assert not archive.exists()


def test_an_unreachable_database_is_a_clear_failure(tmp_path: Path) -> None:
    nowhere = Installation(tmp_path / "nowhere", "postgres://postgres@127.0.0.1:1/kam_ops_none")
    archive = tmp_path / "x.tar.gz"
    _refused(nowhere.kam("backup", str(archive), check=False), "kam backup failed", "127.0.0.1")
    assert not archive.exists()
    no_dir = nowhere.kam("backup", str(tmp_path / "missing" / "x.tar.gz"), check=False)
    _refused(no_dir, "does not exist")
