"""kam.imports.numbers: one reading of numbers for every import, in Python and in DuckDB.

Expected values are worked out by hand from the text (the comments say how).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.imports.numbers import (
    LARGEST,
    _judge,
    decide,
    normalised,
    number_text,
    read_numbers,
    reading,
    sql_limited,
    sql_normalised,
    sql_number,
    sql_raw_number,
)
from kam.imports.tables import csv_reader, delimiter_of, header_name, without_stray_cr

DATA = Path(__file__).parent / "data"


def read(texts, decimal=None):
    """read_numbers over one column of texts, rows numbered from 2 as in a spreadsheet."""
    result = read_numbers(
        [(row, row, "amount", text) for row, text in enumerate(texts, start=2)], decimal=decimal
    )
    return result


@pytest.mark.parametrize(
    ("text", "point", "comma"),
    [
        ("1250", Decimal("1250"), Decimal("1250")),  # no separator: the same either way
        ("1.250", Decimal("1.25"), Decimal("1250")),  # the ambiguous one
        ("1,250", Decimal("1250"), Decimal("1.25")),
        ("1.250.000,50", None, Decimal("1250000.50")),  # two points: only thousands
        ("1,250,000.50", Decimal("1250000.50"), None),
        ("1 250,5", None, Decimal("1250.5")),  # space thousands, comma decimals
        ("1 250.5", Decimal("1250.5"), None),
        ("1\u00a0250,5", None, Decimal("1250.5")),  # a no-break space, as Excel writes
        ("1 250", Decimal("1250"), Decimal("1250")),
        ("12,5", None, Decimal("12.5")),  # two digits after: never thousands
        ("0.250", Decimal("0.25"), None),  # a group of thousands never starts with 0
        ("-1.250,5", None, Decimal("-1250.5")),
        ("\u22123,5", None, Decimal("-3.5")),  # the minus sign
        ("1,5E+6", None, Decimal("1500000")),
        ("1.5e-3", Decimal("0.0015"), None),
        (",5", None, Decimal("0.5")),
        # thousands separators in the wrong places: no number at all
        ("1,25,000", None, None),
        ("12.34.5", None, None),
        ("1.250 000", None, None),
        ("1.250,000.5", None, None),
        ("NaN", None, None),
        ("inf", None, None),
        ("€ 12", None, None),
        ("", None, None),
    ],
)
def test_reading_in_each_convention(text, point, comma):
    clean = normalised(text)
    assert reading(clean, "point") == point
    assert reading(clean, "comma") == comma


def test_a_file_of_only_ambiguous_values_is_refused_with_row_column_and_both_readings():
    result = read(["1.250", "2.500", "300"])
    assert result.values == {4: Decimal("300")}  # 300 means the same either way
    assert [(p.row, p.column, p.code) for p in result.problems] == [
        (2, "amount", "ambiguous"),
        (3, "amount", "ambiguous"),
    ]
    reason = result.problems[0].reason
    assert "'1.250'" in reason and "1250" in reason and "1.25" in reason
    assert "--decimal" in reason


def test_one_value_that_reads_one_way_decides_the_whole_file():
    # 2.500,50 has a decimal comma, so 1.250 is one thousand two hundred and fifty
    result = read(["1.250", "2.500,50"])
    assert result.convention == "comma"
    assert result.values == {2: Decimal("1250"), 3: Decimal("2500.50")}
    assert result.problems == []
    # and the other way round
    result = read(["1.250", "1,000.5"])
    assert result.convention == "point"
    assert result.values == {2: Decimal("1.25"), 3: Decimal("1000.5")}


def test_the_user_gives_the_convention():
    assert read(["1.250", "2.500"], decimal="comma").values == {
        2: Decimal("1250"),
        3: Decimal("2500"),
    }
    assert read(["1.250", "2.500"], decimal="point").values == {
        2: Decimal("1.25"),
        3: Decimal("2.5"),
    }
    refused = read(["1,5", "2.5"], decimal="point")
    assert refused.values == {3: Decimal("2.5")}
    assert [(p.row, p.code) for p in refused.problems] == [(2, "not_point")]
    assert "decimal point" in refused.problems[0].reason


def test_mixed_conventions_in_one_column_refuse_the_smaller_sort():
    # two with a decimal comma, one with a decimal point: the point is the odd one out
    result = read(["12,5", "145,00", "5.25"])
    assert result.convention == "comma"
    assert result.values == {2: Decimal("12.5"), 3: Decimal("145.00")}
    assert [(p.row, p.code, p.value) for p in result.problems] == [(4, "written_point", "5.25")]
    # as many of each: neither can be trusted
    tie = read(["1,5", "2.5"])
    assert tie.convention is None
    assert [p.code for p in tie.problems] == ["mixed", "mixed"]
    assert tie.values == {}


def test_hostile_values():
    result = read(["1e400", "NaN", "1,25,000", "-0", "  7  "])
    by_row = {p.row: p.code for p in result.problems}
    assert by_row == {2: "too_large", 3: "not_a_number", 4: "not_a_number"}
    assert result.values == {5: Decimal("-0"), 6: Decimal("7")}


def test_numbers_stored_as_numbers_are_taken_as_they_are():
    # an XLSX number cell holds 1250.5 whatever the file's text cells say
    result = read_numbers(
        [(1, 2, "a", 1250.5), (2, 3, "a", "1.250"), (3, 4, "a", 7), (4, 5, "a", float("nan"))]
    )
    assert result.values[1] == Decimal("1250.5")
    assert result.values[3] == Decimal("7")
    # the stored number is no evidence: 1.250 stays ambiguous
    assert [(p.row, p.code) for p in result.problems] == [(5, "not_a_number"), (3, "ambiguous")]


def test_decide():
    assert decide(0, 0) is None
    assert decide(3, 0) == "point"
    assert decide(1, 2) == "comma"
    assert decide(2, 2) is None


# --- real files, written by someone else (tests/imports/data/SOURCES.md) -----------------


def columns_of(path: Path) -> dict[str, list[str]]:
    text = path.read_text(encoding="utf-8")
    first, _newline, rest = text.partition("\n")
    if not any(d in first for d in ",;\t"):  # one column: every line is one value
        return {first: rest.splitlines()}
    records = list(csv_reader(text))
    header = [header_name(h) for h in records[0]]
    return {name: [r[i] for r in records[1:]] for i, name in enumerate(header)}


def test_duckdb_decimal_separators_file():
    columns = columns_of(DATA / "duckdb_decimal_separators.csv")
    expected = [Decimal(x) for x in ("1.1", "0.25", "15300", "15300", "-15300")]
    commas = read(columns["commas"])
    assert commas.convention == "comma"
    assert list(commas.values.values()) == expected
    periods = read(columns["periods"])
    assert periods.convention == "point"
    assert list(periods.values.values()) == expected
    # the two columns together are one file that uses both conventions: refused
    both = read(columns["commas"] + columns["periods"])
    assert both.convention is None
    assert len(both.problems) == 10


def test_duckdb_thousands_file():
    money = read(columns_of(DATA / "duckdb_thousands_multi_column.csv")["money"])
    assert money.convention == "point"
    assert list(money.values.values()) == [
        Decimal("100000.00"),
        Decimal("300000.20"),
        Decimal("300000000.40"),
        Decimal("50"),
        Decimal("9999999999.20"),
    ]


def test_duckdb_mixed_format_file():
    # 12,5 and 145,00 have a decimal comma, 5.25 a decimal point (row 4)
    foo = read(columns_of(DATA / "duckdb_mixed_format_fail.csv")["foo"])
    assert [(p.row, p.code) for p in foo.problems] == [(4, "written_point")]


# --- the same rules in DuckDB ---------------------------------------------------------------

TEXTS = [
    "1250",
    "1.250",
    "1,250",
    "1.250.000,50",
    "1,250,000.50",
    "1 250,5",
    "1\u00a0250.5",
    "12,5",
    "0.250",
    "-1.250,5",
    "\u22123,5",
    "1,5E+6",
    "1e400",
    "NaN",
    "1,25,000",
    "  7 ",
    "1 250",
    "1 250.5",
    "-1,250",
    "12,345.5",
    "1,250,000",
    "+1.5e3",
    ".5",
    "5.",
]


@pytest.mark.parametrize("sql_type", ["DECIMAL(18,4)", "DOUBLE"])
@pytest.mark.parametrize("convention", ["comma", "point", None])
def test_sql_reads_every_text_as_python_does(convention, sql_type):
    con = duckdb.connect()
    con.execute("CREATE TABLE t (r INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(TEXTS, start=2)))
    number = sql_number("n", convention, given=True, sql_type=sql_type, name="x")
    flags = ", ".join(f"{sql} AS {alias}" for alias, sql in number.flags.items())
    readings = ", ".join(f"{sql} AS {alias}" for alias, sql in number.readings.items())
    codes = ", ".join(f"CASE WHEN {cond} THEN '{code}' END" for cond, code in number.checks)
    rows = con.execute(
        f"SELECT r, {number.typed}, list_filter([{codes}], lambda c: c IS NOT NULL) "
        f"FROM (SELECT *, {readings} FROM (SELECT *, {flags} "
        f"FROM (SELECT r, {sql_normalised('x')} AS n FROM t))) ORDER BY r"
    ).fetchall()
    for row, value, codes_found in rows:
        text = normalised(TEXTS[row - 2])
        code, expected = _judge(
            reading(text, "point"), reading(text, "comma"), convention, given=True
        )
        if code is None and expected is not None and abs(expected) >= LARGEST:
            code, expected = "too_large", None
        assert codes_found == ([code] if code else []), (row, text)
        if sql_type == "DOUBLE" and expected is not None:
            expected = float(expected)
        assert value == expected, (row, text)


#: Texts as a file holds them, before trimming: spaces around, other blanks, non-ASCII.
RAW_TEXTS = [
    *TEXTS,
    None,
    "",
    "   ",
    " 1,250.5 ",
    "  -3,5",
    "\t7",
    "7\n",
    "\u00a012.5",
    "12,5\u00a0",
    "\u2212 1.250",
    "1_000",
    "inf",
    "-nan",
    "1.e5",
    "1e5 ",
    "0x10",
    " .5",
    "99999999999999999999.5",
    "999999999999999,5",
    "1 250 000",
    "+,5",
]


@pytest.mark.parametrize("sql_type", ["DECIMAL(18,4)", "DOUBLE"])
@pytest.mark.parametrize("given_convention", [True, False])
@pytest.mark.parametrize("convention", ["comma", "point"])
@pytest.mark.parametrize("required", [True, False])
def test_sql_from_the_raw_text_reads_as_from_the_normalised_text(
    convention, given_convention, sql_type, required
):
    """``sql_raw_number`` (one pattern per value, on the file's raw text) gives every value
    and problem code that ``sql_number`` gives over ``sql_normalised`` text."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t (r INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(RAW_TEXTS)))
    number = sql_number("n", convention, given=given_convention, sql_type=sql_type, name="x")
    flags = ", ".join(f"{sql} AS {alias}" for alias, sql in number.flags.items())
    readings = ", ".join(f"{sql} AS {alias}" for alias, sql in number.readings.items())
    checks = [(f"n IS NOT NULL AND {cond}", f"'{code}'") for cond, code in number.checks]
    if required:
        checks.insert(0, ("n IS NULL", "'empty'"))
    codes = ", ".join(f"CASE WHEN {cond} THEN {code} END" for cond, code in checks)
    normalised_rows = con.execute(
        f"SELECT r, {number.typed}, list_filter([{codes}], lambda c: c IS NOT NULL), n "
        f"FROM (SELECT *, {readings} FROM (SELECT *, {flags} "
        f"FROM (SELECT r, NULLIF({sql_normalised('x')}, '') AS n FROM t))) ORDER BY r"
    ).fetchall()
    raw = sql_raw_number(
        "x",
        convention,
        given=given_convention,
        sql_type=sql_type,
        fast="f",
        reading="v",
        typed="y",
        required=required,
    )
    raw_rows = con.execute(
        f"SELECT r, y, list_filter([k], lambda c: c IS NOT NULL), "
        f"CASE WHEN k IS NOT NULL AND k <> 'empty' THEN {raw.text} END "
        f"FROM (SELECT *, {raw.code} AS k FROM (SELECT *, {sql_limited('v', sql_type)} AS y "
        f"FROM (SELECT *, {raw.reading} AS v FROM (SELECT *, {raw.fast} AS f FROM t)))) "
        "ORDER BY r"
    ).fetchall()
    assert len(raw_rows) == len(RAW_TEXTS)
    for (r, value, found, text), (_r, expected, wanted, normal) in zip(
        raw_rows, normalised_rows, strict=True
    ):
        assert (value, found) == (expected, wanted), RAW_TEXTS[r]
        # a problem shows the normalised text
        assert text == (normal if wanted and wanted != ["empty"] else None), RAW_TEXTS[r]


# --- round trip -----------------------------------------------------------------------------

amounts = st.decimals(
    min_value=Decimal("-999999999999.99"),
    max_value=Decimal("999999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(amounts, min_size=1, max_size=20),
    convention=st.sampled_from(["comma", "point"]),
)
def test_formatting_in_either_convention_and_reading_back_gives_the_same_value(values, convention):
    texts = [number_text(v, convention) for v in values]
    result = read(texts, decimal=convention)
    assert result.problems == []
    assert [result.values[row] for row in range(2, 2 + len(values))] == values


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(amounts, min_size=1, max_size=20),
    convention=st.sampled_from(["comma", "point"]),
)
def test_without_a_convention_a_value_is_read_right_or_refused_never_misread(values, convention):
    texts = [number_text(v, convention) for v in values]
    result = read(texts)
    for row, value in enumerate(values, start=2):
        if row in result.values:
            assert result.values[row] == value


# --- delimited text ------------------------------------------------------------------------


def test_delimiter_and_header_cleaning():
    assert delimiter_of("a;b;c") == ";"
    assert delimiter_of("a\tb") == "\t"
    assert delimiter_of("a,b;c,d") == ","
    assert delimiter_of("single") == ","
    assert header_name("\ufeff amount\r ") == "amount"
    assert without_stray_cr("a,b\r,c\r\n1,2,3\r\n") == "a,b,c\r\n1,2,3\r\n"
    assert without_stray_cr("a\rb\rc") == "a\rb\rc"  # a file of CR-ended lines stays
    assert list(csv_reader("x;y\r;z\n1;2;3\n")) == [["x", "y", "z"], ["1", "2", "3"]]
