"""Importing invoice lines: checked in DuckDB, all or nothing, stored once, facts from the store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kam.facts.checking import _line_of
from kam.facts.compute import AccountFacts, FactsAfterImport, store_facts
from kam.facts.store import TransactionImportError, TransactionStore, default_root, report_json
from tests.facts.golden import AS_OF, EXPECTED, LINES, SPEND, assert_facts, lines_table

HEADER = "account_external_id,invoice_id,invoice_date,amount,cost,due_date,paid_date,currency"


def write(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def golden_csv(path: Path) -> Path:
    """The golden lines that a CSV can hold (E has a line without cost: left out here)."""
    rows = []
    for account, invoice, day, amount, cost, due, paid, currency in LINES:
        if cost is None:
            continue
        rows.append(
            ",".join(
                [account, invoice or "", day.isoformat(), amount, cost]
                + ["" if d is None else d.isoformat() for d in (due, paid)]
                + [currency]
            )
        )
    return write(path, *rows)


def refused(store: TransactionStore, path: Path, **kwargs: object) -> list[tuple]:
    before = [(f, f.stat().st_mtime_ns) for f in store.line_files()]
    with pytest.raises(TransactionImportError) as caught:
        store.lines_import(path=path, **kwargs)
    report = caught.value.report
    assert not report.imported
    assert [(f, f.stat().st_mtime_ns) for f in store.line_files()] == before  # nothing written
    return [(p.row, p.column, p.code) for p in report.problems]


def test_a_good_file_is_stored_and_gives_the_facts(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path / "store")
    phases: list[tuple[str, float]] = []
    report = store.lines_import(
        path=golden_csv(tmp_path / "lines.csv"), progress=lambda p, f: phases.append((p, f))
    )
    assert report.imported and report.rows_imported == len(LINES) - 1 and report.rows_bad == 0
    assert {p for p, _ in phases} == {"fingerprint", "reading", "checking", "writing"}
    assert all(0.0 <= f <= 1.0 for _, f in phases)
    store.available_spend_set(values={"A": 16000, "C": 0})
    facts = {f.account_external_id: f for f in store_facts(store, as_of=AS_OF)}
    assert set(facts) == {"A", "B", "C", "E"}
    assert facts["A"].revenue_12m == 4000.0 and facts["A"].share_of_wallet == 0.25
    assert (
        facts["B"].mean_days_late == 25.0 and facts["B"].orders == 2
    )  # the credit note is no order
    assert facts["C"].growth == -1.0 and facts["C"].share_of_wallet is None
    # E kept only its line with a cost: 50 revenue, margin 100 · 40 / 50
    assert facts["E"].revenue_12m == 50.0 and facts["E"].gross_margin_pct == 80.0


def test_a_parquet_file_gives_the_same_facts_as_the_ibis_table(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path / "store")
    pq.write_table(lines_table().drop_columns(["cost"]), tmp_path / "lines.parquet")
    report = store.lines_import(path=tmp_path / "lines.parquet")
    assert report.format == "parquet" and report.rows_imported == len(LINES)
    facts = store_facts(store, as_of=AS_OF)
    # no cost column: revenue and the rest as by hand, no margin anywhere
    assert [f.gross_margin_pct for f in facts] == [None, None, None, None]
    assert [f.revenue_12m for f in facts] == [4000.0, 500.0, 0.0, 150.0]


def test_the_import_gives_the_facts_the_store_gives_after_it(tmp_path: Path) -> None:
    """The web import's job takes the facts from the import (computed from the rows it has
    just checked and the other sources' files); they must be exactly the store's facts."""
    store = TransactionStore(tmp_path / "store")
    store.available_spend_set(values=SPEND)

    def imported(path: Path, **kwargs: object) -> list[AccountFacts]:
        phases: list[str] = []
        after = FactsAfterImport(store, as_of=AS_OF, progress=lambda p, f: phases.append(p))
        report = store.lines_import(path=path, on_stored=after, **kwargs)
        assert report.imported and after.rows is not None and "facts" in phases
        assert after.rows == store_facts(store, as_of=AS_OF, predict=False)
        return after.rows

    # the first source: nothing else in the store
    facts = imported(write(tmp_path / "erp.csv", "F,I1,2026-01-05,100,60,,,EUR"), source="erp")
    assert [(f.account_external_id, f.revenue_12m) for f in facts] == [("F", 100.0)]
    # a second source beside it, with a bad row left out
    lines = golden_csv(tmp_path / "golden.csv")
    with lines.open("a", encoding="utf-8") as handle:
        handle.write("G,I9,2026-02-30,5,1,,,EUR\n")
    facts = imported(lines, source="golden", skip_bad_rows=True)
    assert [f.account_external_id for f in facts] == ["A", "B", "C", "E", "F"]
    assert facts[0].share_of_wallet == 0.25
    # the first source replaced: its old lines no longer count
    facts = imported(
        write(tmp_path / "erp2.csv", "F,I1,2026-01-05,120,60,,,EUR", header=HEADER), source="erp"
    )
    assert [f.revenue_12m for f in facts if f.account_external_id == "F"] == [120.0]
    # a Parquet source of typed columns without a currency column, in the default currency
    money = pa.decimal128(18, 4)
    table = pa.table(
        {
            "account_external_id": ["F", "H"],
            "invoice_date": pa.array([date(2026, 3, 1), date(2025, 3, 1)], pa.date32()),
            "amount": pa.array([Decimal("7.25"), Decimal("-2")], money),
            "cost": pa.array([Decimal("1"), Decimal("0")], money),
        }
    )
    pq.write_table(table, tmp_path / "more.parquet")
    facts = imported(tmp_path / "more.parquet", source="more", default_currency="EUR")
    assert len(store.sources()) == 3
    assert [(f.account_external_id, f.revenue_12m) for f in facts[-2:]] == [
        ("F", 127.25),
        ("H", 0.0),
    ]


def test_every_bad_value_is_reported_with_its_row_and_column(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    path = write(
        tmp_path / "bad.csv",
        "A,I1,2026-01-05,100.50,60,2026-02-04,,EUR",  # row 2: good
        "B,I2,05/01/2026,12,x,2026-02-30,,EURO",  # row 3: four problems
        ",I3,2026-01-05,,1,,,EUR",  # row 4: no account, no amount
        "C,I4,2026-01-05,1,1,,,EUR,extra",  # row 5: one field too many
        "A,I5,2026-01-06,5,1,,,USD",  # row 6: A is in EUR
    )
    problems = refused(store, path)
    assert problems == [
        # in the columns' order (docs/facts.md)
        (3, "invoice_date", "not_a_date"),
        (3, "cost", "not_a_number"),
        (3, "due_date", "not_a_date"),
        (3, "currency", "not_a_currency"),
        (4, "account_external_id", "empty"),
        (4, "amount", "empty"),
        (5, None, "too_many_fields"),
        (6, "currency", "other_currency"),
    ]


def test_a_file_of_unsplittable_lines_lists_those_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kam.facts.checking as checking

    monkeypatch.setattr(checking, "MAX_REJECTS_MAPPED", 3)
    rows = [f"A,I{i},2026-01-01,1,1,,,EUR,extra" for i in range(5)]
    with pytest.raises(TransactionImportError) as caught:
        TransactionStore(tmp_path).lines_import(
            path=write(tmp_path / "bad.csv", *rows, "B,I9,nope,1,1,,,EUR")
        )
    report = caught.value.report
    assert report.rows_bad == 6 and report.problems_total == 6
    # past the cap the other rows' numbers cannot be told: only the first lines are listed
    assert [(p.row, p.code) for p in report.problems] == [
        (2, "too_many_fields"),
        (3, "too_many_fields"),
        (4, "too_many_fields"),
    ]


def test_reasons_name_the_value(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    path = write(tmp_path / "bad.csv", "A,I1,2026-01-05,ten,1,,,EUR")
    with pytest.raises(TransactionImportError) as caught:
        store.lines_import(path=path)
    assert caught.value.report.lines() == ["bad.csv: row 2, field amount: 'ten' is not a number"]
    assert report_json(caught.value.report)["problems"] == [
        {"row": 2, "column": "amount", "reason": "'ten' is not a number"}
    ]


def test_missing_columns_refuse_the_file_at_the_header(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    path = write(tmp_path / "bad.csv", "A,2026-01-01", header="account,invoice_date")
    assert refused(store, path) == [
        (1, "amount", "missing_column"),
        (1, "currency", "missing_column"),
    ]


def test_only_the_first_problems_are_listed_the_rest_counted(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    rows = [f"A{i},I{i},2026-01-01,not-a-number,1,,,EUR" for i in range(250)]
    with pytest.raises(TransactionImportError) as caught:
        store.lines_import(path=write(tmp_path / "bad.csv", *rows), max_problems=10)
    report = caught.value.report
    assert [p.row for p in report.problems] == list(range(2, 12))
    assert report.problems_total == 250 and report.rows_bad == 250
    assert report.lines()[-1] == "bad.csv: 240 more problem(s) not shown"


def test_skip_bad_rows_imports_the_good_ones(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    path = write(
        tmp_path / "mixed.csv",
        "A,I1,2026-01-05,100,60,,,EUR",
        "A,I2,2026-13-05,100,60,,,EUR",
        "B,I3,2026-01-05,7,1,,,EUR,x",
        "B,I4,2026-02-05,5,1,,,EUR",
    )
    report = store.lines_import(path=path, skip_bad_rows=True)
    assert report.imported and report.rows_read == 4 and report.rows_imported == 2
    assert [(p.row, p.code) for p in report.problems] == [(3, "not_a_date"), (4, "too_many_fields")]
    facts = store_facts(store, as_of=date(2026, 6, 30))
    assert [(f.account_external_id, f.revenue_12m) for f in facts] == [("A", 100.0), ("B", 5.0)]


def test_the_same_file_twice_is_stored_once(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    path = write(tmp_path / "jan.csv", "A,I1,2026-01-05,100,60,,,EUR")
    assert store.lines_import(path=path).imported
    copy = write(tmp_path / "copy-of-jan.csv", "A,I1,2026-01-05,100,60,,,EUR")
    again = store.lines_import(path=copy)
    assert not again.imported and again.duplicate_of == "jan.csv"
    assert len(store.sources()) == 1
    assert store_facts(store, as_of=date(2026, 6, 30))[0].revenue_12m == 100.0


def test_importing_under_the_same_source_replaces_its_lines(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    store.lines_import(path=write(tmp_path / "a.csv", "A,I1,2026-01-05,100,60,,,EUR"), source="erp")
    store.lines_import(path=write(tmp_path / "b.csv", "B,I2,2026-01-05,7,1,,,EUR"), source="web")
    report = store.lines_import(
        path=write(tmp_path / "a2.csv", "A,I1,2026-01-05,120,60,,,EUR"), source="erp"
    )
    assert report.replaced
    assert sorted(s.name for s in store.sources()) == ["erp", "web"]
    facts = store_facts(store, as_of=date(2026, 6, 30))
    assert [(f.account_external_id, f.revenue_12m) for f in facts] == [("A", 120.0), ("B", 7.0)]
    assert store.source_remove(name="web") and not store.source_remove(name="web")
    assert [f.account_external_id for f in store_facts(store, as_of=date(2026, 6, 30))] == ["A"]


def test_an_account_keeps_its_currency_across_sources(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    store.lines_import(path=write(tmp_path / "a.csv", "A,I1,2026-01-05,100,60,,,EUR"))
    problems = refused(store, write(tmp_path / "b.csv", "A,I2,2026-02-05,100,60,,,usd"))
    assert problems == [(2, "currency", "other_currency")]
    assert len(store.line_files()) == 1


def test_accounts_in_other_currencies_than_each_other_are_imported(tmp_path: Path) -> None:
    """One currency per account, not per file or store: a file of several currencies, and
    a file in one currency beside a store in another, are imported whole."""
    store = TransactionStore(tmp_path)
    store.lines_import(path=write(tmp_path / "x.csv", "X,I1,2026-01-05,100,60,,,USD"))
    report = store.lines_import(
        path=write(
            tmp_path / "ab.csv",
            "A,I2,2026-01-05,100,60,,,EUR",
            "B,I3,2026-01-05,7,1,,,GBP",
            "A,I4,2026-02-05,5,1,,,EUR",
        )
    )
    assert report.imported and report.rows_bad == 0
    report = store.lines_import(path=write(tmp_path / "c.csv", "C,I5,2026-01-05,9,1,,,EUR"))
    assert report.imported and report.rows_bad == 0
    facts = store_facts(store, as_of=date(2026, 6, 30), predict=False)
    assert [(f.account_external_id, f.currency) for f in facts] == [
        ("A", "EUR"),
        ("B", "GBP"),
        ("C", "EUR"),
        ("X", "USD"),
    ]
    # and within a file in two currencies, an account in both is still found
    problems = refused(
        store,
        write(tmp_path / "d.csv", "D,I6,2026-01-05,1,1,,,GBP", "D,I7,2026-01-06,1,1,,,USD"),
    )
    assert problems == [(3, "currency", "other_currency")]


def test_semicolons_aliases_and_extra_columns(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    path = tmp_path / "nl.csv"
    path.write_text(
        "\ufeffAccount;Date;Amount;Currency;Region\nA;2026-01-05;100.5;eur;Noord\n",
        encoding="utf-8",
    )
    report = store.lines_import(path=path)
    assert report.rows_imported == 1 and report.ignored_columns == ["Region"]
    facts = store_facts(store, as_of=date(2026, 6, 30))
    assert facts[0].currency == "EUR" and facts[0].revenue_12m == 100.5
    assert facts[0].gross_margin_pct is None and facts[0].mean_days_late is None


def test_parquet_rows_count_from_one(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    table = pa.table(
        {
            "account_external_id": ["A", "B"],
            "invoice_date": ["2026-01-01", "not a date"],
            "amount": [1.5, 2.0],
            "currency": ["EUR", "EUR"],
        }
    )
    pq.write_table(table, tmp_path / "lines.parquet")
    assert refused(store, tmp_path / "lines.parquet") == [(2, "invoice_date", "not_a_date")]


def test_an_unreadable_or_empty_file_is_refused(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    (tmp_path / "empty.csv").write_text(HEADER + "\n", encoding="utf-8")
    assert refused(store, tmp_path / "empty.csv") == [(None, None, "no_rows")]
    (tmp_path / "latin1.csv").write_bytes(HEADER.encode() + b"\nA\xe9,I,2026-01-01,1,1,,,EUR\n")
    assert refused(store, tmp_path / "latin1.csv") == [(2, None, "not_utf8")]


def test_available_spend_import_checks_and_merges(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    store.available_spend_set(values={"A": Decimal("100"), "B": 5})
    spend = write(
        tmp_path / "spend.csv", "A,200", "C,-1", "D,x", "A,300", header="account,available_spend"
    )
    with pytest.raises(TransactionImportError) as caught:
        store.available_spend_import(path=spend)
    assert [(p.row, p.column, p.code) for p in caught.value.report.problems] == [
        (3, "available_spend", "negative"),
        (4, "available_spend", "not_a_number"),
        (5, "account_external_id", "duplicate_account"),
    ]
    store.available_spend_import(
        path=write(tmp_path / "ok.csv", "A,200", "C,0", header="account,available_spend")
    )
    assert store.available_spend() == {"A": Decimal(200), "B": Decimal(5), "C": Decimal(0)}
    store.available_spend_set(values={"B": None})
    assert set(store.available_spend()) == {"A", "C"}


def test_default_root_is_under_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KAM_DATA_DIR", str(tmp_path))
    assert default_root() == tmp_path.resolve() / "transactions"
    assert TransactionStore().root == tmp_path.resolve() / "transactions"


@pytest.mark.parametrize(
    ("row", "rejected", "line"),
    [(2, [], 2), (2, [2], 3), (3, [2, 3], 5), (4, [2, 5], 6), (5, [7], 5)],
)
def test_rows_after_unsplittable_lines_keep_their_own_numbers(
    row: int, rejected: list[int], line: int
) -> None:
    assert _line_of(row, rejected) == line


def test_the_store_gives_the_hand_worked_facts(tmp_path: Path) -> None:
    store = TransactionStore(tmp_path)
    store.lines_import(path=golden_csv(tmp_path / "lines.csv"))
    store.available_spend_set(values=SPEND)
    rows = [f.__dict__ for f in store_facts(store, as_of=AS_OF) if f.account_external_id != "E"]
    # E lost its line without cost in the CSV: the others are exactly the golden ones
    assert_facts([*rows, {**EXPECTED["E"], "account_external_id": "E"}])
