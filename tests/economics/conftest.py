"""A transaction store of its own per test, imports run inline, and invoice-line files."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import pytest

LINE_HEADER = (
    "account_external_id",
    "invoice_id",
    "invoice_date",
    "amount",
    "cost",
    "due_date",
    "paid_date",
    "currency",
)


@pytest.fixture(autouse=True)
def store_root(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.KAM_TRANSACTIONS_ROOT = str(tmp_path / "transactions")
    return tmp_path / "transactions"


def lines_csv(rows: Iterable[Sequence[object]], header: Sequence[str] = LINE_HEADER) -> bytes:
    """CSV bytes of invoice lines (None → empty cell)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode()


def import_lines(tmp_path, rows: Iterable[Sequence[object]], name: str = "lines.csv") -> None:  # type: ignore[no-untyped-def]
    """Import invoice lines into the test's store, as the import page does."""
    from kam.economics.lines import store_get

    path = tmp_path / name
    path.write_bytes(lines_csv(rows))
    store_get().lines_import(path=path)
