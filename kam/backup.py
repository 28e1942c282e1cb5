"""``kam backup PATH`` and ``kam restore PATH`` (docs/operations.md, "Backup and restore").

A backup is ONE gzip-compressed tar archive, made while kam runs::

    manifest.json              what the archive holds (below), written first
    database/kam.sqlite3       SQLite: a copy made with SQLite's online backup API, one
                               read snapshot (what is still in the write-ahead log is in it)
    database/kam.pgdump        PostgreSQL: ``pg_dump --format=custom`` of one snapshot
    transactions/...           the transaction store (invoice lines, available spend)
    secret_key                 the installation's secret key: the archive is a secret

The manifest names the kam version, the time, the database engine, the migrations applied
and the rows of every table *in the archived snapshot* (for PostgreSQL the counts are read
in the very snapshot ``pg_dump`` exports, ``pg_export_snapshot``), and every file with its
size and SHA-256. The Parquet files of the store are replaced atomically by imports, never
written in place: each is copied through a handle opened on the file as it is referenced,
so each is whole. The database is taken first, the store right after.

``kam restore`` checks the manifest and every checksum before it touches anything, refuses
an archive of another database engine or of a newer kam (migrations unknown here), and
refuses an installation that holds data (rows in any table besides those ``migrate`` fills,
or files in the transaction store) unless ``--force``, which replaces that data for good.
It then brings the database in (SQLite: copied with the backup API; PostgreSQL: the tables
are dropped and ``pg_restore`` loads the dump), checks the row counts against the
manifest, restores the store and the secret key, and runs ``migrate`` so an archive of an
older kam is brought up to date.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from kam.i18n import _

FORMAT = "kam-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/kam.sqlite3"
PG_MEMBER = "database/kam.pgdump"
STORE_PREFIX = "transactions/"
SECRET_MEMBER = "secret_key"
#: Tables ``migrate`` fills in a new installation: rows there do not make it "in use".
MIGRATE_TABLES = frozenset({"django_migrations", "django_content_type", "auth_permission"})


class BackupError(Exception):
    """A backup or restore refused or failed; the message says what and why."""


# --- shared -----------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _kam_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kam")
    except PackageNotFoundError:  # pragma: no cover - kam runs installed
        return "unknown"


def _engine() -> str:
    from django.db import connection

    if connection.vendor not in ("sqlite", "postgresql"):
        raise BackupError(
            _("kam backup knows SQLite and PostgreSQL, not %(vendor)s.")
            % {"vendor": connection.vendor}
        )
    return str(connection.vendor)


def _count_rows(cursor: Any, tables: list[str], quote: Any) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _migrations(cursor: Any, tables: list[str]) -> dict[str, list[str]]:
    if "django_migrations" not in tables:  # a database kam never migrated
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def _store_root() -> Path:
    from kam.economics.lines import store_get

    return store_get().root


def _store_files(root: Path) -> list[Path]:
    """The files of the transaction store that hold data (no scratch space, no temporary
    files of an import in progress), relative to ``root``."""
    found = []
    lines = root / "lines"
    if lines.is_dir():
        found += [p.relative_to(root) for p in lines.glob("*.parquet")]
    if (root / "available_spend.parquet").is_file():
        found.append(Path("available_spend.parquet"))
    return sorted(found)


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_params() -> tuple[str, dict[str, str]]:
    """(conninfo without the password, environment with PGPASSWORD) of the default
    database, for psycopg and the PostgreSQL client programs."""
    from django.db import connection
    from psycopg.conninfo import make_conninfo

    db = connection.settings_dict
    params = {
        "dbname": db.get("NAME") or "",
        "user": db.get("USER") or "",
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
    }
    for key, value in (db.get("OPTIONS") or {}).items():
        if key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"):
            params[key] = str(value)
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return make_conninfo(**{k: v for k, v in params.items() if v}), env


def _pg_run(program: str, args: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(
            [program, *args], env=env, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise BackupError(
            _(
                "%(program)s was not found on PATH: install the PostgreSQL client programs "
                "of the server's major version (e.g. the postgresql-client package)."
            )
            % {"program": program}
        ) from None
    if result.returncode != 0:
        detail = " ".join(result.stderr.strip().splitlines()[-3:]) or f"exit {result.returncode}"
        if "version mismatch" in detail:
            detail += " " + _(
                "(the client programs must be at least the server's version: install "
                "the matching postgresql-client)"
            )
        raise BackupError(
            _("%(program)s failed: %(detail)s") % {"program": program, "detail": detail}
        )


def _pg_tables(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'pg_toast') "
        "AND n.nspname NOT LIKE 'pg_temp%%' AND pg_catalog.pg_table_is_visible(c.oid)"
    )
    return [row[0] for row in cursor.fetchall()]


def _pg_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_snapshot(target: Path) -> tuple[dict[str, int], dict[str, list[str]], str]:
    """Dump the database to ``target``; (row counts, migrations, server version), all of
    one snapshot: counted in a repeatable-read transaction whose snapshot pg_dump uses."""
    import psycopg

    conninfo, env = _pg_params()
    with psycopg.connect(conninfo, password=env.get("PGPASSWORD")) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()  # type: ignore[misc]
            tables = _pg_tables(cursor)
            counts = _count_rows(cursor, tables, _pg_quote)
            migrations = _migrations(cursor, tables)
            _pg_run(
                "pg_dump",
                [
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    f"--dbname={conninfo}",
                ],
                env,
            )
        conn.rollback()
    return counts, migrations, str(server_version)


def _pg_drop_all() -> None:
    """Drop every table of the (empty, or --force) target database, so that pg_restore
    loads the archive's schema and nothing of a newer schema stays behind."""
    import psycopg

    conninfo, env = _pg_params()
    with psycopg.connect(conninfo, password=env.get("PGPASSWORD")) as conn:
        with conn.cursor() as cursor:
            for table in _pg_tables(cursor):
                cursor.execute(f"DROP TABLE IF EXISTS {_pg_quote(table)} CASCADE")
            cursor.execute(
                "SELECT c.relname FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND pg_catalog.pg_table_is_visible(c.oid) "
                "AND n.nspname NOT IN ('pg_catalog', 'pg_toast')"
            )
            for (sequence,) in cursor.fetchall():
                cursor.execute(f"DROP SEQUENCE IF EXISTS {_pg_quote(sequence)} CASCADE")
        conn.commit()


# --- SQLite -------------------------------------------------------------------------------


def _sqlite_path() -> Path:
    from django.db import connection

    return Path(str(connection.settings_dict["NAME"]))


def _sqlite_tables(con: sqlite3.Connection) -> list[str]:
    rows = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return [row[0] for row in rows]


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_snapshot(target: Path) -> tuple[dict[str, int], dict[str, list[str]], str]:
    """Copy the live database to ``target`` with the online backup API in one step (one
    read snapshot, the write-ahead log included; writers go on meanwhile)."""
    source = sqlite3.connect(_sqlite_path(), timeout=60)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        cursor = copy.cursor()
        tables = _sqlite_tables(copy)
        counts = _count_rows(cursor, tables, _sqlite_quote)
        migrations = _migrations(cursor, tables)
    finally:
        copy.close()
        source.close()
    return counts, migrations, sqlite3.sqlite_version


# --- backup -------------------------------------------------------------------------------


def _copy_open(source: Path, target: Path) -> bool:
    """Copy through a handle opened first (an atomic replace of ``source`` meanwhile
    leaves this copy whole); False when the file was removed before it could be opened."""
    try:
        handle = source.open("rb")
    except FileNotFoundError:
        return False
    with handle, target.open("wb") as out:
        shutil.copyfileobj(handle, out, 1 << 20)
    return True


def backup_create(*, path: Path, force: bool = False) -> dict[str, Any]:
    """Write the archive of this installation to ``path``; returns its manifest."""
    from django.conf import settings

    path = Path(path).absolute()
    if path.exists() and not force:
        raise BackupError(
            _("%(path)s exists: choose another name, or add --force to replace it.")
            % {"path": path}
        )
    if path.is_dir():
        raise BackupError(_("%(path)s is a directory, not a file name.") % {"path": path})
    if not path.parent.is_dir():
        raise BackupError(_("The directory %(path)s does not exist.") % {"path": path.parent})
    engine = _engine()
    work = Path(tempfile.mkdtemp(prefix=".kam-backup-", dir=path.parent))
    try:
        members: list[tuple[str, Path]] = []
        if engine == "sqlite":
            db_file = work / "kam.sqlite3"
            counts, migrations, db_version = _sqlite_snapshot(db_file)
            members.append((SQLITE_MEMBER, db_file))
        else:
            db_file = work / "kam.pgdump"
            counts, migrations, db_version = _pg_snapshot(db_file)
            members.append((PG_MEMBER, db_file))
        root = _store_root()
        (work / "store").mkdir()
        for relative in _store_files(root):
            copy = work / "store" / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            if _copy_open(root / relative, copy):
                members.append((STORE_PREFIX + relative.as_posix(), copy))
        secret = work / "secret_key"
        secret.write_text(str(settings.SECRET_KEY))
        members.append((SECRET_MEMBER, secret))
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kam_version": _kam_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": {"engine": engine, "version": db_version},
            "migrations": migrations,
            "row_counts": counts,
            "files": [
                {"path": name, "size": file.stat().st_size, "sha256": _sha256(file)}
                for name, file in members
            ],
        }
        partial = work / "archive.tar.gz"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(body), 0o600, int(datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(body))
            for name, file in members:
                info = tar.gettarinfo(str(file), arcname=name)
                info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                with file.open("rb") as handle:
                    tar.addfile(info, handle)
        os.replace(partial, path)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- restore ------------------------------------------------------------------------------


def _safe_member_name(name: str) -> bool:
    pure = PurePosixPath(name)
    return bool(name) and not pure.is_absolute() and ".." not in pure.parts and "\\" not in name


@contextlib.contextmanager
def _unpacked(path: Path, work: Path) -> Iterator[dict[str, Any]]:
    """Read the archive into ``work``, checking the manifest and every file's checksum;
    yields the manifest (its files are under ``work/files``)."""
    try:
        tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        raise BackupError(_("%(path)s does not exist.") % {"path": path}) from None
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(
            _("%(path)s is not a kam backup (%(reason)s).") % {"path": path, "reason": exc}
        ) from None
    with tar:
        try:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise BackupError(
                    _("%(path)s is not a kam backup: it does not start with manifest.json.")
                    % {"path": path}
                )
            handle = tar.extractfile(first)
            assert handle is not None
            try:
                manifest = json.loads(handle.read(1 << 24))
            except ValueError:
                raise BackupError(
                    _("%(path)s: manifest.json is not valid JSON.") % {"path": path}
                ) from None
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise BackupError(_("%(path)s is not a kam backup.") % {"path": path})
            if manifest.get("format_version") != FORMAT_VERSION:
                raise BackupError(
                    _("%(path)s has backup format %(version)s; this kam reads format %(ours)s.")
                    % {
                        "path": path,
                        "version": manifest.get("format_version"),
                        "ours": FORMAT_VERSION,
                    }
                )
            expected = {f["path"]: f for f in manifest.get("files", [])}
            seen: set[str] = set()
            for member in tar:
                if member is first or member.offset == first.offset:
                    continue
                name = member.name
                if name not in expected or not member.isfile() or not _safe_member_name(name):
                    raise BackupError(
                        _(
                            "%(path)s: the archive holds %(member)s, which its manifest does "
                            "not list; it was changed after it was made."
                        )
                        % {"path": path, "member": name}
                    )
                if name in seen:
                    raise BackupError(
                        _("%(path)s: %(member)s appears twice.") % {"path": path, "member": name}
                    )
                seen.add(name)
                target = work / "files" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := source.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != expected[name]["sha256"]:
                    raise BackupError(
                        _(
                            "%(path)s: the checksum of %(member)s does not match the manifest; "
                            "the archive is damaged or was changed."
                        )
                        % {"path": path, "member": name}
                    )
            missing = sorted(set(expected) - seen)
            if missing:
                raise BackupError(
                    _("%(path)s is incomplete: %(members)s missing.")
                    % {"path": path, "members": ", ".join(missing)}
                )
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise BackupError(
                _("%(path)s cannot be read to the end (%(reason)s): it is damaged or cut off.")
                % {"path": path, "reason": exc}
            ) from None
    yield manifest


def _check_migrations_known(manifest: dict[str, Any]) -> None:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(connection, ignore_no_migrations=True).disk_migrations)
    unknown = [
        f"{app}.{name}"
        for app, names in manifest.get("migrations", {}).items()
        for name in names
        if (app, name) not in known
    ]
    if unknown:
        raise BackupError(
            _(
                "This archive comes from a newer kam (%(version)s): this kam does not know "
                "the migrations %(migrations)s. Install that kam version or newer, then restore."
            )
            % {"version": manifest.get("kam_version"), "migrations": ", ".join(unknown[:5])}
        )


def installation_in_use() -> list[str]:
    """What makes this installation not empty: each table with rows (besides the ones
    ``migrate`` fills) as "table (n rows)", and the transaction store's files."""
    from django.db import connection

    found = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in sorted(set(tables) - MIGRATE_TABLES):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            rows = int(cursor.fetchone()[0])
            if rows:
                found.append(_("%(table)s (%(rows)s rows)") % {"table": table, "rows": rows})
    files = _store_files(_store_root())
    if files:
        found.append(_("the transaction store (%(count)s files)") % {"count": len(files)})
    return found


def _current_counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return _count_rows(cursor, tables, connection.ops.quote_name)


def restore(*, path: Path, force: bool = False, stdout: Any = None) -> dict[str, Any]:
    """Bring the archive at ``path`` into this installation; returns its manifest."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    out = stdout or sys.stdout
    path = Path(path).absolute()
    engine = _engine()
    data_dir = Path(settings.DATA_DIR)
    work = Path(tempfile.mkdtemp(prefix=".kam-restore-", dir=data_dir))
    try:
        with _unpacked(path, work) as manifest:
            files = work / "files"
            archived = manifest["database"]["engine"]
            if archived != engine:
                raise BackupError(
                    _(
                        "The archive holds a %(archived)s database; this installation uses "
                        "%(engine)s. Restore it into a %(archived)s installation (DATABASE_URL)."
                    )
                    % {"archived": archived, "engine": engine}
                )
            _check_migrations_known(manifest)
            in_use = installation_in_use()
            if in_use and not force:
                raise BackupError(
                    _(
                        "This installation is not empty: %(what)s. kam restore only fills an "
                        "empty installation; --force replaces its data for good."
                    )
                    % {"what": "; ".join(in_use[:8])}
                )
            connections.close_all()
            if engine == "sqlite":
                source = sqlite3.connect(files / SQLITE_MEMBER)
                target = sqlite3.connect(_sqlite_path(), timeout=60)
                try:
                    source.backup(target)
                finally:
                    target.close()
                    source.close()
            else:
                _pg_drop_all()
                conninfo, env = _pg_params()
                _pg_run(
                    "pg_restore",
                    [
                        "--no-owner",
                        "--no-privileges",
                        "--exit-on-error",
                        "--single-transaction",
                        f"--dbname={conninfo}",
                        str(files / PG_MEMBER),
                    ],
                    env,
                )
            counts = _current_counts()
            wrong = {
                t: (n, counts.get(t))
                for t, n in manifest["row_counts"].items()
                if counts.get(t) != n
            }
            if wrong:
                raise BackupError(
                    _("The restored database differs from the manifest: %(tables)s.")
                    % {
                        "tables": ", ".join(
                            f"{t} {got} ≠ {want}" for t, (want, got) in sorted(wrong.items())
                        )
                    }
                )
            root = _store_root()
            for relative in _store_files(root):
                (root / relative).unlink()
            restored_store = files / STORE_PREFIX.rstrip("/")
            if restored_store.is_dir():
                for source_file in sorted(restored_store.rglob("*")):
                    if source_file.is_file():
                        target_file = root / source_file.relative_to(restored_store)
                        target_file.parent.mkdir(parents=True, exist_ok=True)
                        shutil.move(source_file, target_file)
            secret = (files / SECRET_MEMBER).read_text().strip()
            if os.environ.get("KAM_SECRET_KEY"):
                if os.environ["KAM_SECRET_KEY"] != secret:
                    print(
                        _(
                            "Note: KAM_SECRET_KEY is set and differs from the archived key; "
                            "kam keeps using KAM_SECRET_KEY, so sessions and signed links of "
                            "the old installation no longer work. The archived key is in "
                            "the archive's secret_key."
                        ),
                        file=out,
                    )
            else:
                key_file = data_dir / "secret_key"
                partial = work / "secret_key.new"
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as handle:
                    handle.write(secret)
                os.replace(partial, key_file)
            call_command("migrate", interactive=False, verbosity=0)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- what the commands print -----------------------------------------------------------


def manifest_summary(manifest: dict[str, Any]) -> str:
    """One line on what an archive holds, as ``kam backup`` and ``kam restore`` print it."""
    counts = manifest["row_counts"]
    store = [f for f in manifest["files"] if f["path"].startswith(STORE_PREFIX)]
    return _(
        "%(engine)s database: %(rows)s rows in %(tables)s tables; transaction store: "
        "%(files)s files; kam %(version)s, %(created)s"
    ) % {
        "engine": manifest["database"]["engine"],
        "rows": sum(counts.values()),
        "tables": len(counts),
        "files": len(store),
        "version": manifest["kam_version"],
        "created": manifest["created_at"],
    }
