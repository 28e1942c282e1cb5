"""The decimal convention guessed from a file's first rows never changes what is read.

``stage`` reads a file once in the convention its first rows tell and counts the whole
file's numbers in the same pass; when the count disagrees with the guess it reads the file
again in the counted convention. Whatever the guess, the rows, values and messages are those
of the counted convention (docs/import.md, section Numbers).
"""

from __future__ import annotations

from datetime import date
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


#: Values of every sort around the numbers: blanks, spaces, non-breaking spaces, tabs,
#: dates that do not read or are implausible, currencies in lower case or not one at all,
#: numbers too large or in neither convention. The first line reads only with the
#: convention named by the test, the rest mostly with the other one.
MESSY = (
    "A;I1;2026-01-01;{first};1;;;EUR",
    "A;I2; 2026-01-02 ;{other};1;2026-02-01 ;;eur",
    "A;I3;\u00a02026-01-03;\u00a0{other};{big};;;EUR",
    "A;I4;\t2026-01-04;x;1;2026-02-31;;EU",
    "B;I5;0000-01-01;{other} ;\u2212{other};;2026-03-01;USD ",
    ";I6;;;;;;",
    "B;I7;2026-01-07;  ;1_000;;\u00a0;EUR",
    "B;I8;2026-01-08;1.250;{other};;;\u00a0EUR",
)


@pytest.mark.parametrize(
    ("first", "other", "big"),
    [("12.5", "12,5", "9.999.999.999.999.999,5"), ("12,5", "12.5", "9,999,999,999,999,999.5")],
)
def test_every_value_is_read_alike_whatever_the_guess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, other: str, big: str
) -> None:
    """Misled by the first line, the file is read again in the counted convention keeping
    the flags the count needs; guessing right, it is read once with one pattern per number:
    both give the same rows, values and problems."""
    path = tmp_path / "messy.csv"
    rows = [row.format(first=first, other=other, big=big) for row in MESSY]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    wrong = _check(path, 1, monkeypatch)
    right = _check(path, 10_000, monkeypatch)
    assert (wrong[5], right[5]) == (["reading", "reading"], ["reading"])
    assert wrong[:5] == right[:5]
    problems = wrong[0]
    written = "written_point" if first == "12.5" else "written_comma"
    assert problems == [
        (2, "amount", written, first),
        (4, "cost", "too_large", big),
        (5, "amount", "not_a_number", "x"),
        (5, "due_date", "not_a_date", "2026-02-31"),
        (5, "currency", "not_a_currency", "EU"),
        (6, "invoice_date", "implausible_date", "0000-01-01"),
        (7, "account_external_id", "empty", None),
        (7, "invoice_date", "empty", None),
        (7, "amount", "empty", None),
        (7, "cost", "empty", None),
        (7, "currency", "empty", None),
        (8, "amount", "empty", None),
        (8, "cost", "not_a_number", "1_000"),
    ]
    assert wrong[1] == (8, 6, 13)
    # spaces, tabs and non-breaking spaces around a value are not part of it
    staged = {row[0]: row for row in wrong[3]}
    assert staged[3] == (
        3, "A", "I2", date(2026, 1, 2), None, None, None, Decimal("12.5"), Decimal(1),
        date(2026, 2, 1), None, "EUR",
    )  # fmt: skip
    assert staged[4][3] == date(2026, 1, 3) and staged[4][7] == Decimal("12.5")
