"""One reader for the numbers in every file kam imports (docs/import.md, section Numbers).

A number written as text follows one of two conventions:

- ``point``: a decimal point, thousands grouped by commas or spaces: ``1,250,000.50``,
  ``1 250.5``, ``1250000.5`` (English);
- ``comma``: a decimal comma, thousands grouped by points or spaces: ``1.250.000,50``,
  ``1 250,5``, ``1250000,5`` (Dutch, German, most of Europe).

Both allow a leading sign and, without thousands separators, an exponent (``1,5E+6`` or
``1.5E+6``, as spreadsheets write very large or small values). A group of thousands has
exactly three digits and the first group does not start with 0, so ``1,25,000`` and
``0.250`` are never read as grouped. Non-breaking spaces count as spaces and the minus
sign ``−`` as ``-``.

The convention is decided for a file as a whole, never value by value:

1. when the user gives it (``--decimal comma|point`` on the command line, the decimal
   separator field of an import page), every value must follow it;
2. otherwise the values that can be read one way only decide: ``1.250.000,50`` and ``12,5``
   only with a decimal comma, ``1,250,000.50`` and ``12.5`` only with a decimal point. When
   the file has only one sort, that is its convention, and values that read either way
   (``1.250``) are read in it. When it has both sorts, the values of the smaller sort are
   refused as written in the other convention (an equal number of each: all are refused);
3. a file whose values all read either way gives no evidence: values that mean the same in
   both (``1250``, ``1 250``, ``12.345,67`` aside) are read, and values that mean different
   things (``1.250`` is 1250 or 1.25) are refused with both readings, asking the user to
   say which convention the file uses.

The user's interface language never decides: a Dutch user often receives English files, and
a guess would be a silent misread. Numbers a file stores as numbers (XLSX number cells,
Parquet numeric columns) are taken as they are; only text is read by these rules.

The same rules exist as Python (``read_numbers``, for the row-by-row imports) and as SQL for
DuckDB (``sql_reading`` and friends, for files of millions of invoice lines), built from the
same regular expressions, so that both read every text alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Literal

from kam.i18n import _
from kam.imports.sql import sql_string

Convention = Literal["comma", "point"]
CONVENTIONS: tuple[Convention, ...] = ("comma", "point")
#: A number at or beyond this size is refused: no amount, hour or score kam keeps is so large.
LARGEST = Decimal("1e15")

_SPACES = "\u00a0\u202f\u2009"  # no-break space, narrow no-break space, thin space
_MINUS = "\u2212"
_NORMALISE = str.maketrans({**{c: " " for c in _SPACES}, _MINUS: "-"})

_SIGN = r"[+-]?"
_EXPONENT = r"(?:[eE][+-]?\d+)?"
_LEAD = r"[1-9]\d{0,2}"
#: The shape of a number in each convention; the same text serves Python's ``re`` and
#: DuckDB's ``regexp_full_match`` (RE2).
PATTERNS: dict[Convention, str] = {
    "point": (
        _SIGN + r"(?:(?:\d+(?:\.\d+)?|\.\d+)" + _EXPONENT
        + r"|" + _LEAD + r"(?:,\d{3})+(?:\.\d+)?"
        + r"|" + _LEAD + r"(?: \d{3})+(?:\.\d+)?)"
    ),
    "comma": (
        _SIGN + r"(?:(?:\d+(?:,\d+)?|,\d+)" + _EXPONENT
        + r"|" + _LEAD + r"(?:\.\d{3})+(?:,\d+)?"
        + r"|" + _LEAD + r"(?: \d{3})+(?:,\d+)?)"
    ),
}  # fmt: skip
_COMPILED = {name: re.compile(pattern, re.ASCII) for name, pattern in PATTERNS.items()}
_OTHER: dict[Convention, Convention] = {"comma": "point", "point": "comma"}

#: Problem codes: the reasons are in ``number_reason``.
NUMBER_CODES = (
    "not_a_number",
    "too_large",
    "ambiguous",
    "mixed",
    "written_point",
    "written_comma",
    "not_comma",
    "not_point",
)


def normalised(text: str) -> str:
    """``text`` trimmed, with non-breaking spaces as spaces and ``−`` as ``-``."""
    return text.translate(_NORMALISE).strip()


def _plain(text: str, convention: Convention) -> str:
    if convention == "point":
        return text.replace(",", "").replace(" ", "")
    return text.replace(".", "").replace(" ", "").replace(",", ".")


def reading(text: str, convention: Convention) -> Decimal | None:
    """The value of ``text`` (already ``normalised``) in ``convention``; None when it is
    not a number written so. Does not check the size (see ``LARGEST``)."""
    if not _COMPILED[convention].fullmatch(text):
        return None
    try:
        return Decimal(_plain(text, convention))
    except InvalidOperation:  # pragma: no cover - the pattern admits only Decimal syntax
        return None


def number_text(value: Decimal, convention: Convention) -> str:
    """``value`` written in ``convention`` with thousands separators (for messages and tests)."""
    sign = "-" if value < 0 else ""
    whole, _dot, fraction = f"{abs(value):f}".partition(".")
    groups = f"{int(whole):,}"
    if convention == "comma":
        groups = groups.replace(",", ".")
        return sign + groups + ("," + fraction if fraction else "")
    return sign + groups + ("." + fraction if fraction else "")


def _shown(value: Decimal | None) -> str:
    return "?" if value is None else f"{value.normalize():f}"


def number_reason(code: str, value: str) -> str:
    """What is wrong with the text ``value``, for the problem ``code``, in the current
    language."""
    if code == "ambiguous":
        text = normalised(value)
        comma, point = reading(text, "comma"), reading(text, "point")
        return _(
            "'%(value)s' reads as %(comma)s with a decimal comma and as %(point)s with a "
            "decimal point, and no other number in the file tells which; say which the file "
            "uses (kam commands: --decimal comma or --decimal point; import pages: the "
            "decimal separator field)"
        ) % {
            "value": value,
            "comma": _shown(comma),
            "point": _shown(point),
        }
    reasons = {
        "not_a_number": _("'%(value)s' is not a number"),
        "too_large": _("'%(value)s' is too large a number"),
        "mixed": _(
            "'%(value)s': the file has as many numbers with a decimal comma as with a "
            "decimal point; a file must use one convention (say which with --decimal or the "
            "decimal separator field)"
        ),
        "written_point": _(
            "'%(value)s' is written with a decimal point, but the file's other numbers use "
            "a decimal comma (1.250,50); a file must use one convention"
        ),
        "written_comma": _(
            "'%(value)s' is written with a decimal comma, but the file's other numbers use "
            "a decimal point (1,250.50); a file must use one convention"
        ),
        "not_comma": _(
            "'%(value)s' is not a number written with a decimal comma (such as 1.250,50 or "
            "1250,5), the convention given for the file"
        ),
        "not_point": _(
            "'%(value)s' is not a number written with a decimal point (such as 1,250.50 or "
            "1250.5), the convention given for the file"
        ),
    }
    return reasons.get(code, code) % {"value": value}


@dataclass(frozen=True)
class NumberProblem:
    """A number that cannot be read: where (``row``, ``column``), the problem code (one of
    ``NUMBER_CODES``) and the cell's text."""

    row: int | None
    column: str
    code: str
    value: str

    @property
    def reason(self) -> str:
        return number_reason(self.code, self.value)


@dataclass
class NumberReading:
    """The numbers of a file: each cell's value by its key, the problems, and the file's
    convention (None when no value needed one, or it could not be told)."""

    values: dict[Hashable, Decimal] = field(default_factory=dict)
    problems: list[NumberProblem] = field(default_factory=list)
    convention: Convention | None = None


Cell = tuple[Hashable, int | None, str, object]


def decide(point_only: int, comma_only: int) -> Convention | None:
    """The file's convention from how many values read only with a decimal point and only
    with a decimal comma: the sort that is there (the larger one when both are), None when
    neither is or both are equally many."""
    if point_only > comma_only:
        return "point"
    if comma_only > point_only:
        return "comma"
    return None


def read_numbers(cells: Iterable[Cell], *, decimal: Convention | None = None) -> NumberReading:
    """Read the number cells of one file together, by the rules of the module docstring.

    ``cells`` are ``(key, row, column, value)``: ``key`` identifies the cell in the result,
    ``row`` and ``column`` name it in problems, ``value`` is its text (blank cells are left
    out of the result and are the caller's to judge) or a number the file stored as one.
    ``decimal`` is the convention the user gave, if any.
    """
    out = NumberReading()
    texts: list[tuple[Hashable, int | None, str, str, Decimal | None, Decimal | None]] = []
    point_only = comma_only = 0
    for key, row, column, value in cells:
        if isinstance(value, bool):
            out.problems.append(NumberProblem(row, column, "not_a_number", str(value)))
            continue
        if isinstance(value, int | float | Decimal):
            number = _stored(value)
            if number is None:
                out.problems.append(NumberProblem(row, column, "not_a_number", str(value)))
            elif abs(number) >= LARGEST:
                out.problems.append(NumberProblem(row, column, "too_large", str(value)))
            else:
                out.values[key] = number
            continue
        raw = "" if value is None else str(value)
        text = normalised(raw)
        if not text:
            continue
        point, comma = reading(text, "point"), reading(text, "comma")
        if point is not None and comma is None:
            point_only += 1
        elif comma is not None and point is None:
            comma_only += 1
        texts.append((key, row, column, raw.strip(), point, comma))
    out.convention = decimal or decide(point_only, comma_only)
    given = decimal is not None
    for key, row, column, raw, point, comma in texts:
        code, number = _judge(point, comma, out.convention, given=given)
        if code is None and number is not None and abs(number) >= LARGEST:
            code = "too_large"
        if code is not None:
            out.problems.append(NumberProblem(row, column, code, raw))
        elif number is not None:
            out.values[key] = number
    return out


def _stored(value: int | float | Decimal) -> Decimal | None:
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    number = Decimal(value)
    return number if number.is_finite() else None


def _judge(
    point: Decimal | None, comma: Decimal | None, convention: Convention | None, *, given: bool
) -> tuple[str | None, Decimal | None]:
    """The problem code (None when fine) and value of one text with these readings."""
    if point is None and comma is None:
        return "not_a_number", None
    if convention is None:
        if point is None or comma is None:
            return "mixed", None
        if point != comma:
            return "ambiguous", None
        return None, point
    mine = point if convention == "point" else comma
    if mine is None:
        if given:
            return f"not_{convention}", None
        return f"written_{_OTHER[convention]}", None
    return None, mine


# --- the same rules in DuckDB's SQL ----------------------------------------------------------


def sql_normalised(text_sql: str) -> str:
    """SQL of ``normalised`` applied to the text expression ``text_sql`` (a column: it is
    named three times). ``translate`` costs more than the rest of the reading together, so
    only text with a character beyond ASCII (more bytes than characters) goes through it."""
    translated = (
        f"trim(translate({text_sql}, {sql_string(_SPACES + _MINUS)}, "
        f"{sql_string(' ' * len(_SPACES) + '-')}))"
    )
    return (
        f"CASE WHEN strlen({text_sql}) = length({text_sql}) THEN trim({text_sql}) "
        f"ELSE {translated} END"
    )


def sql_matches(normal_sql: str, convention: Convention) -> str:
    """SQL: whether the normalised text ``normal_sql`` is a number in ``convention``."""
    return f"regexp_full_match({normal_sql}, {sql_string(PATTERNS[convention])})"


def sql_reading(
    normal_sql: str, convention: Convention, sql_type: str, *, matches: str | None = None
) -> str:
    """SQL of ``reading`` as ``sql_type``: NULL when not a number in ``convention`` or too
    large for the type; ``sql_limited`` then applies ``LARGEST``. ``matches``: SQL of
    ``sql_matches`` when the query has it already (a column), so that the pattern is not
    run twice."""
    if convention == "point":
        plain = f"replace(replace({normal_sql}, ',', ''), ' ', '')"
    else:
        plain = f"replace(replace(replace({normal_sql}, '.', ''), ' ', ''), ',', '.')"
    matched = matches or sql_matches(normal_sql, convention)
    if convention == "point":
        # A point number without separators is its own plain form, and DuckDB casts none
        # with a comma or space: the text is cast first, the separators removed only for
        # the few that fail (removing them from every value costs more than the reading).
        return (
            f"CASE WHEN {matched} THEN coalesce(TRY_CAST({normal_sql} AS {sql_type}), "
            f"TRY_CAST({plain} AS {sql_type})) END"
        )
    return f"CASE WHEN {matched} THEN TRY_CAST({plain} AS {sql_type}) END"


def sql_limited(value: str, sql_type: str) -> str:
    """SQL: the number ``value`` (a column), NULL when it is at least ``LARGEST`` (or not
    finite)."""
    limit = f"abs({value}) < {LARGEST:f}"
    if sql_type == "DOUBLE":
        limit = f"isfinite({value}) AND {limit}"
    return f"CASE WHEN {limit} THEN {value} END"


def sql_counts(point_ok: str, comma_ok: str) -> tuple[str, str]:
    """SQL aggregates: how many values read only with a decimal point, and only with a
    decimal comma (for ``decide``); ``point_ok``/``comma_ok`` are ``sql_matches`` columns."""
    return (
        f"count(*) FILTER (WHERE {point_ok} AND NOT {comma_ok})",
        f"count(*) FILTER (WHERE {comma_ok} AND NOT {point_ok})",
    )


@dataclass(frozen=True)
class SqlNumber:
    """A text column read as numbers in SQL, in three steps of a query: ``flags`` (alias →
    SQL over the normalised text), then ``readings`` (alias → SQL over the text and the
    flags), then ``typed`` (the value) and ``checks`` (``(condition, code)`` for each
    problem a value can have; they assume the text is not NULL), over all of those."""

    flags: dict[str, str]
    readings: dict[str, str]
    typed: str
    checks: list[tuple[str, str]]


def sql_number(
    normal: str, convention: Convention | None, *, given: bool, sql_type: str, name: str
) -> SqlNumber:
    """The text column ``normal`` (already ``sql_normalised``) read as numbers in the file's
    ``convention`` (None: undecided, see the module docstring); ``name`` makes the aliases
    of its helper columns unique. Each pattern runs once per value."""
    point_ok, comma_ok = f"mp_{name}", f"mc_{name}"
    flags = {point_ok: sql_matches(normal, "point"), comma_ok: sql_matches(normal, "comma")}
    neither = f"NOT {point_ok} AND NOT {comma_ok}"
    if convention is None:
        raw_point, raw_comma = f"rp_{name}", f"rc_{name}"
        readings = {
            raw_point: sql_reading(normal, "point", sql_type, matches=point_ok),
            raw_comma: sql_reading(normal, "comma", sql_type, matches=comma_ok),
        }
        point, comma = sql_limited(raw_point, sql_type), sql_limited(raw_comma, sql_type)
        typed = f"CASE WHEN {point} = {comma} THEN {point} END"
        return SqlNumber(flags, readings, typed, [
            (neither, "not_a_number"),
            (f"({point_ok} <> {comma_ok})", "mixed"),
            (f"({point_ok} AND {comma_ok} AND {point} <> {comma})", "ambiguous"),
            (f"({point_ok} AND {comma_ok} AND {typed} IS NULL "
             f"AND coalesce({point} = {comma}, true))", "too_large"),
        ])  # fmt: skip
    mine = point_ok if convention == "point" else comma_ok
    other = comma_ok if convention == "point" else point_ok
    readings = {f"v_{name}": sql_reading(normal, convention, sql_type, matches=mine)}
    typed = sql_limited(f"v_{name}", sql_type)
    wrong = f"not_{convention}" if given else f"written_{_OTHER[convention]}"
    return SqlNumber(flags, readings, typed, [
        (neither, "not_a_number"),
        (f"(NOT {mine} AND {other})", wrong),
        (f"({mine} AND {typed} IS NULL)", "too_large"),
    ])  # fmt: skip


@dataclass(frozen=True)
class SqlRawNumber:
    """A text column read as numbers in a known convention in SQL, straight from the file's
    raw text, in three steps of a query: ``fast`` (SQL over the raw text: whether it is a
    number in the convention with nothing to normalise), then ``reading`` (over the raw
    text and ``fast``: the value before ``sql_limited``), then ``code`` (over all of those
    and the limited value: the problem code, NULL when the value is fine) and ``text`` (the
    normalised text a problem shows)."""

    fast: str
    reading: str
    code: str
    text: str


def sql_spaced(convention: Convention) -> str:
    """The pattern of ``convention`` with spaces around it: a text matching it is ASCII
    (RE2's ``\\d`` is), so ``sql_normalised`` would only trim it, and its trimmed text
    matches the convention's pattern (which neither starts nor ends with a space)."""
    return r" *(?:" + PATTERNS[convention] + r") *"


def sql_raw_number(
    raw: str,
    convention: Convention,
    *,
    given: bool,
    sql_type: str,
    fast: str,
    reading: str,
    typed: str,
    required: bool,
) -> SqlRawNumber:
    """The raw text column ``raw`` read as numbers in the file's ``convention`` (given by
    the user, or told by the file): the same values and problem codes as ``sql_number``
    over ``sql_normalised(raw)`` (tests/imports/test_numbers.py compares them), with one
    pattern per value instead of two.

    A value whose raw text matches ``sql_spaced`` (nearly every value of a file) is read
    with one pattern and a cast; only the others are normalised and tried against both
    conventions (DuckDB evaluates a CASE branch only for the rows that take it). ``fast``,
    ``reading`` and ``typed`` are the names the caller gives the first two steps' columns
    and the limited value (``sql_limited`` over ``reading``); ``required``: a blank is a
    problem (``empty``). Without the other convention's pattern on every value the file's
    convention is not counted here: ``kam.facts.checking.stage`` tells it from the problems
    (see there)."""
    other = _OTHER[convention]
    normal = f"NULLIF({sql_normalised(raw)}, '')"
    if convention == "point":
        # as ``sql_reading``: cast as written, the separators removed only when that fails;
        # removing every space also removes the ones around the text
        plain = f"replace(replace({raw}, ',', ''), ' ', '')"
        quick = f"coalesce(TRY_CAST({raw} AS {sql_type}), TRY_CAST({plain} AS {sql_type}))"
    else:
        plain = f"replace(replace(replace({raw}, '.', ''), ' ', ''), ',', '.')"
        quick = f"TRY_CAST({plain} AS {sql_type})"
    slow = sql_reading(normal, convention, sql_type)
    wrong = f"not_{convention}" if given else f"written_{other}"
    empty = "'empty'" if required else "NULL"
    too_large = f"CASE WHEN {typed} IS NULL THEN 'too_large' END"
    return SqlRawNumber(
        fast=f"regexp_full_match({raw}, {sql_string(sql_spaced(convention))})",
        reading=f"CASE WHEN {fast} THEN {quick} ELSE {slow} END",
        code=(
            f"CASE WHEN {fast} THEN {too_large} "
            f"WHEN {normal} IS NULL THEN {empty} "
            f"WHEN {sql_matches(normal, convention)} THEN {too_large} "
            f"WHEN {sql_matches(normal, other)} THEN '{wrong}' "
            "ELSE 'not_a_number' END"
        ),
        text=f"CASE WHEN {fast} THEN trim({raw}) ELSE {normal} END",
    )
