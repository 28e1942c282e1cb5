"""Time an account import of N rows (default 5,000): first as new accounts, then all changed.

Run: ``.venv/bin/python bench/account_import.py [N]``. It works in a temporary data
directory (SQLite) or on ``DATABASE_URL``; it prints seconds per import and the number of
history rows written (docs/operations.md, "Audit history").
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.factories
os.environ.setdefault("KAM_DATA_DIR", tempfile.mkdtemp(prefix="kam-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402


def main(n: int) -> None:
    call_command("migrate", verbosity=0)
    from kam.accounts.imports import account_import
    from kam.accounts.models import Account
    from kam.users.models import Role
    from tests.factories import make_user

    director = make_user(Role.SALES_DIRECTOR, username="bench-director")
    owner = make_user(Role.KEY_ACCOUNT_MANAGER, username="bench-kam")

    def content(suffix: str) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["external_id", "name", "owner", "country", "channel", "revenue_2025"])
        for i in range(n):
            writer.writerow(
                [
                    f"B-{i:06d}",
                    f"Account {i} {suffix}",
                    owner.username,
                    "NL",
                    "retail",
                    str(1000 + i),
                ]
            )
        return out.getvalue().encode()

    for label, suffix in (("create", "a"), ("update", "b"), ("unchanged", "b")):
        data = content(suffix)
        start = time.perf_counter()
        summary = account_import(user=director, content=data, filename=f"bench-{label}.csv")
        took = time.perf_counter() - start
        history = getattr(Account, "history", None)  # absent before kam kept history
        rows = history.count() if history is not None else "-"
        print(f"{label:9s} {n} rows: {took:6.2f} s  {summary}  history rows: {rows}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
