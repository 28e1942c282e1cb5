"""The decimal convention guessed from a file's first rows never changes what is read.

``stage`` reads a file once in the convention its first rows tell and counts the whole
file's numbers in the same pass; when the count disagrees with the guess it reads the file
again in the counted convention. Whatever the guess, the rows, values and messages are those
of the counted convention (docs/import.md, section Numbers).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import kam.facts.checking as checking
from kam.facts.checking import connect
from kam.facts.store import check_lines_file

HEADER = "account_external_id;invoice_id;invoice_date;amount;cost;due_date;paid_date;currency"

#: Mostly decimal commas, but the first line reads only with a decimal point.
COMMA_FILE = (
    "A;I1;2026-01-01;12.5;1;;;EUR",
    "A;I2;2026-01-02;12,5;1;;;EUR",
    "A;I3;2026-01-03;1.250,50;1;;;EUR",
    "A;I4;2026-01-04;1.250;1;;;EUR",
    "A;I5;2026-01-05;7;1;;;EUR;extra",
    "B;I6;nope;3,5;1;;;EUR",
    "B;I7;2026-01-07;2,25;0,5;;;EUR",
)
#: No number tells the convention: 1.250 is refused as ambiguous, 1250 read.
UNDECIDED_FILE = (
    "A;I1;2026-01-01;1250;1;;;EUR",
    "A;I2;2026-01-02;1.250;1;;;EUR",
)

#: the reading pass itself (wrapped below to count the passes)
RUN = checking.run_with_progress


def _check(path: Path, guess_rows: int, monkeypatch: pytest.MonkeyPatch) -> tuple:
    monkeypatch.setattr(checking, "GUESS_ROWS", guess_rows)
    passes: list[str] = []

    def counted(con, sql, **kwargs):  # type: ignore[no-untyped-def]
        passes.append(kwargs["phase"])
        return RUN(con, sql, **kwargs)

    monkeypatch.setattr(checking, "run_with_progress", counted)
    con = connect()
    try:
        check, keep = check_lines_file(path, con=con)
        columns = [row[0] for row in con.execute("DESCRIBE kam_staged").fetchall()]
        staged = con.execute("SELECT * EXCLUDE (problems) FROM kam_staged ORDER BY _row").fetchall()
        kept = con.execute(
            f"SELECT invoice_id, amount FROM ({keep}) ORDER BY invoice_id"
        ).fetchall()
    finally:
        con.close()
    problems = [(p.row, p.column, p.code, p.value) for p in check.problems]
    counts = (check.rows_read, check.rows_bad, check.problems_total)
    return problems, counts, columns, staged, kept, passes


def test_a_wrong_guess_reads_the_file_again_in_the_counted_convention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "comma.csv"
    path.write_text("\n".join([HEADER, *COMMA_FILE]) + "\n", encoding="utf-8")
    wrong = _check(path, 1, monkeypatch)  # the first line alone says: decimal point
    right = _check(path, 10_000, monkeypatch)  # the whole file says: decimal comma
    problems, counts, columns, _staged, kept, passes = wrong
    assert passes == ["reading", "reading"]
    assert right[5] == ["reading"]
    assert problems == [
        (2, "amount", "written_point", "12.5"),
        (6, None, "too_many_fields", problems[1][3]),
        (7, "invoice_date", "not_a_date", "nope"),
    ]
    assert counts == (7, 3, 3)  # the ragged line is counted once, not once per read
    assert not any(c.startswith(("mp_", "mc_")) for c in columns)
    assert kept == [
        ("I2", Decimal("12.5")),
        ("I3", Decimal("1250.5")),
        ("I4", Decimal("1250")),
        ("I7", Decimal("2.25")),
    ]
    assert wrong[:5] == right[:5]


def test_a_file_without_a_convention_is_read_alike_whatever_the_guess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "undecided.csv"
    path.write_text("\n".join([HEADER, *UNDECIDED_FILE]) + "\n", encoding="utf-8")
    # with no rows to guess from the guess is "no convention"; then it is right at once
    none_read = _check(path, 0, monkeypatch)
    assert none_read[5] == ["reading"]
    assert none_read[0] == [(3, "amount", "ambiguous", "1.250")]
    assert none_read[4] == [("I1", Decimal("1250"))]
    assert _check(path, 10_000, monkeypatch)[:5] == none_read[:5]


def test_a_point_file_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "point.csv"
    path.write_text(
        "\n".join([HEADER, "A;I1;2026-01-01;1,250.5;1;;;EUR", "A;I2;2026-01-02;1.250;1;;;EUR"])
        + "\n",
        encoding="utf-8",
    )
    problems, counts, _columns, _staged, kept, passes = _check(path, 10_000, monkeypatch)
    assert passes == ["reading"]
    assert problems == [] and counts == (2, 0, 0)
    assert kept == [("I1", Decimal("1250.5")), ("I2", Decimal("1.25"))]


def test_a_parquet_file_of_text_numbers_is_read_alike_whatever_the_guess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = tmp_path / "comma.csv"
    rows = [row for row in COMMA_FILE if not row.endswith(";extra")]
    text.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    path = tmp_path / "comma.parquet"
    con = connect()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{text}', all_varchar = true, delim = ';')) "
        f"TO '{path}' (FORMAT parquet)"
    )
    con.close()
    wrong = _check(path, 1, monkeypatch)
    right = _check(path, 10_000, monkeypatch)
    assert (wrong[5], right[5]) == (["reading", "reading"], ["reading"])
    assert wrong[0] == [
        (1, "amount", "written_point", "12.5"),
        (5, "invoice_date", "not_a_date", "nope"),  # Parquet rows count from 1
    ]
    assert wrong[:5] == right[:5]
