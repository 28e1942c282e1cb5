"""A copy of a freshly loaded demo, kept per test process, for tests that each need the demo.

Loading the demo costs 12–18 s of CPU (40–60 customers); restoring a copy of the SQLite test
database (SQLite's backup API) and of the files the load left in the invoice-line and
job-file stores takes a fraction of a second. Only for transactional tests on SQLite (the
database is emptied after each test, and the copy replaces all of it); on PostgreSQL the
callers load the demo each time.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

_STORES = ("KAM_TRANSACTIONS_ROOT", "KAM_JOB_FILES_ROOT")


class DemoCopy:
    """One demo state: ``keep`` it after a load, ``restore`` it into an emptied database."""

    def __init__(self) -> None:
        self._database: sqlite3.Connection | None = None
        self._files: Path | None = None
        self.result: Any = None  # what the load returned (logins, output)

    @property
    def kept(self) -> bool:
        return self._database is not None

    @staticmethod
    def usable() -> bool:
        from django.db import connection

        return connection.vendor == "sqlite"

    def keep(self, settings: Any, files: Path, result: Any) -> None:
        from django.db import connection

        connection.ensure_connection()
        database = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(database)
        for name in _STORES:
            shutil.copytree(getattr(settings, name), files / name)
        self._database, self._files, self.result = database, files, result

    def restore(self, settings: Any) -> Any:
        from django.db import connection

        assert self._database is not None and self._files is not None
        connection.ensure_connection()
        assert not connection.connection.in_transaction, "restored between tests only"
        self._database.backup(connection.connection)
        for name in _STORES:
            shutil.copytree(self._files / name, getattr(settings, name), dirs_exist_ok=True)
        return self.result
