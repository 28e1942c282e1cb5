"""The migrated SQLite test database, built once and copied, instead of migrating per process.

Running every migration costs each test process 10–15 s of CPU (Django renders the project
state for each of them). On SQLite the result is kept as a template file in pytest's cache,
keyed by the content of every installed app's migration files and by the Django and SQLite
versions; a process whose key matches copies the template into its in-memory test database
with SQLite's backup API (a fraction of a second) instead of running ``migrate``. The first
process to need it builds it under a lock while the others wait, so `make test`'s workers
migrate once between them, and a later run not at all until a migration changes.

The copy is the database ``migrate`` left (the tables, the ``django_migrations`` rows, the
rows data migrations and ``post_migrate`` handlers wrote), so tests see the same database.
Other databases (PostgreSQL) migrate as before. ``KAM_TEST_DB_TEMPLATE=0`` turns it off.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

VERSION = "1"  # raise to invalidate every kept template


def enabled() -> bool:
    from django.db import connection

    return connection.vendor == "sqlite" and os.environ.get("KAM_TEST_DB_TEMPLATE", "1") != "0"


def _key() -> str:
    """What the migrated database depends on: every app's migration files, the versions."""
    import django
    from django.apps import apps

    digest = hashlib.sha256(f"{VERSION} {django.__version__} {sqlite3.sqlite_version}".encode())
    for app in sorted(apps.get_app_configs(), key=lambda a: a.label):
        folder = Path(app.path) / "migrations"
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            digest.update(f"{app.label}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def template_copy(folder: Path, target: Path) -> bool:
    """Copies the kept template in ``folder`` (if there is one for today's migrations) to the
    SQLite file ``target``, for a test whose subprocess would otherwise migrate a new file;
    False when there is none."""
    template = folder / f"migrated-{_key()}.sqlite3"
    with _locked(folder / "migrated.lock"):
        if not template.exists():
            return False
        with (
            contextlib.closing(sqlite3.connect(f"file:{template}?mode=ro", uri=True)) as source,
            contextlib.closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
    return True


@contextlib.contextmanager
def migrate_from_template(folder: Path) -> Iterator[None]:
    """Within this block, Django's test-database set-up restores ``migrate``'s result from
    the template in ``folder`` (building it with a real ``migrate`` when there is none)."""
    from django.core import management

    real = management.call_command
    template = folder / f"migrated-{_key()}.sqlite3"

    def call_command(name: Any, *args: Any, **options: Any) -> Any:
        if name != "migrate" or options.get("database", "default") != "default":
            return real(name, *args, **options)
        from django.db import connection

        with _locked(folder / "migrated.lock"):
            if not template.exists():
                result = real(name, *args, **options)
                partial = template.with_suffix(f".{os.getpid()}.tmp")
                connection.ensure_connection()
                with contextlib.closing(sqlite3.connect(partial)) as target:
                    connection.connection.backup(target)
                os.replace(partial, template)
                for old in folder.glob("migrated-*.sqlite3"):
                    if old != template:
                        old.unlink(missing_ok=True)  # a template of older migrations
                return result
        connection.ensure_connection()
        with contextlib.closing(sqlite3.connect(f"file:{template}?mode=ro", uri=True)) as source:
            source.backup(connection.connection)
        return None

    folder.mkdir(parents=True, exist_ok=True)
    with mock.patch.object(management, "call_command", call_command):
        yield
