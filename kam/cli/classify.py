"""``kam classify``: place a portfolio in the four boxes from two files, without a database.

Reads a scoring scheme (TOML) and raters' scores (CSV, long format), and prints every
account's attractiveness, strength, box, missing criteria and rater disagreement, with box
probabilities when asked (docs/method.md section 1). The arithmetic is ``kam.core``'s, the
same as the web app's. docs/cli.md describes the files and shows an example.

Bad input is reported all at once, one line per problem on stderr naming the file, the row
(CSV records count from the header as row 1; scheme criteria count from 1 within their
table) and the field; the command then prints nothing on stdout and exits with status 2.

Messages are marked for translation with the project's catalogue (``kam/locale``), read
through ``kam.i18n`` so that the command needs no Django set-up; the language follows
``LANGUAGE``/``LC_ALL``/``LC_MESSAGES``/``LANG``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kam.cli.common import (
    BAD_INPUT,
    InputProblems,
    add_decimal_argument,
    file_text,
    read_file_numbers,
    whole_number,
)
from kam.core.cells import spreadsheet_row
from kam.core.scoring import BOXES, Criterion, Scheme
from kam.i18n import _
from kam.imports.numbers import Convention, NumberReading
from kam.imports.tables import csv_reader, csv_rows, header_name

if TYPE_CHECKING:  # kam.core.portfolio needs numpy: imported when the command runs
    from kam.core.portfolio import ScoreRow

DECIMALS = 4
COLUMNS = ("account", "criterion", "score", "competitor_score", "rater")
AXES = ("attractiveness", "strength")
AXIS_FIELDS = {
    "attractiveness": ("criteria", "cut"),
    "strength": ("criteria", "cut_relative", "cut_absolute"),
}
CRITERION_FIELDS = ("key", "name", "weight", "anchors")
ANCHOR_KEYS = ("2", "5", "8")
MAX_DRAWS = 100_000


@dataclass(frozen=True)
class AccountResult:
    """One output row: an account's numbers as ``kam.core`` computed them (None = not placed)."""

    account: str
    attractiveness: float | None
    strength: float | None
    competitor_strength: float | None
    relative_strength: float | None
    strength_axis: str | None
    box: str | None
    missing: list[str]
    disagreement: list[str]
    box_probabilities: dict[str, float] | None
    uncertain: bool | None


# --- the command line -----------------------------------------------------------------------


def _positive_int(text: str) -> int:
    value = whole_number(text)
    if not 1 <= value <= MAX_DRAWS:
        raise argparse.ArgumentTypeError(
            _("the number of draws must be from 1 to %(max)s") % {"max": MAX_DRAWS}
        )
    return value


def _seed(text: str) -> int:
    value = whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(_("the seed must be 0 or more"))
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kam classify`` (its help line is in ``kam.cli.COMMANDS``)."""
    parser.description = _(
        "Place every account of a scores file in the four boxes of the selection "
        "matrix, using the criteria and weights of a scheme file. No database needed."
    )
    parser.add_argument(
        "--scheme", required=True, metavar="SCHEME.toml", help=_("the scoring scheme (TOML)")
    )
    parser.add_argument(
        "--scores",
        required=True,
        metavar="SCORES.csv",
        help=_("scores, one row per account, criterion and rater (CSV)"),
    )
    parser.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help=_("output format (default: table)"),
    )
    parser.add_argument(
        "--sensitivity",
        type=_positive_int,
        metavar="DRAWS",
        help=_("also give each account's probability of each box, from this many draws"),
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=0,
        metavar="N",
        help=_("seed of the sensitivity draws; the same seed gives the same result"),
    )
    add_decimal_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``kam classify``; returns the exit status (0, or 2 for bad input)."""
    try:
        results = classify_files(
            Path(args.scheme),
            Path(args.scores),
            draws=args.sensitivity,
            seed=args.seed,
            scheme_label=args.scheme,
            scores_label=args.scores,
            decimal=args.decimal,
        )
    except InputProblems as problems:
        for line in problems.lines:
            print(line, file=sys.stderr)
        return BAD_INPUT
    with_probabilities = args.sensitivity is not None
    if args.format == "json":
        text = render_json(results, with_probabilities=with_probabilities)
    elif args.format == "csv":
        text = render_csv(results, with_probabilities=with_probabilities)
    else:
        text = render_table(results, with_probabilities=with_probabilities)
    sys.stdout.write(text)
    return 0


# --- reading the files ----------------------------------------------------------------------


def classify_files(
    scheme_path: Path,
    scores_path: Path,
    *,
    draws: int | None = None,
    seed: int = 0,
    scheme_label: str | None = None,
    scores_label: str | None = None,
    decimal: Convention | None = None,
) -> list[AccountResult]:
    """Read, check and classify; raises ``InputProblems`` listing every problem found.

    ``*_label`` is how messages name each file (default: the path as given); ``decimal``
    the scores file's decimal separator (None: told from the file, ``kam.imports.numbers``).
    """
    scheme_name = scheme_label or str(scheme_path)
    scores_name = scores_label or str(scores_path)
    problems: list[str] = []
    scheme_file = read_scheme(scheme_path, scheme_name, problems)
    rows = read_scores(scores_path, scores_name, scheme_file, problems, decimal=decimal)
    if problems or scheme_file.scheme is None:
        raise InputProblems(problems)
    return classify_rows(scheme_file.scheme, rows, draws=draws, seed=seed)


def _where(name: str, axis: str, index: int | None, field: str) -> str:
    """``scheme.toml: [strength] criterion 2, field weight`` (``index`` counts from 1)."""
    if index is None:
        return _("%(file)s: [%(axis)s], field %(field)s") % {
            "file": name,
            "axis": axis,
            "field": field,
        }
    return _("%(file)s: [%(axis)s] criterion %(index)s, field %(field)s") % {
        "file": name,
        "axis": axis,
        "index": index,
        "field": field,
    }


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _cut(
    table: dict[str, Any], field: str, default: float, where: str, problems: list[str]
) -> float:
    value = table.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append(f"{where}: " + _("%(value)r is not a number") % {"value": value})
        return default
    return float(value)


@dataclass(frozen=True)
class SchemeFile:
    """What a scheme file declares; ``scheme`` is None when it has any problem."""

    scheme: Scheme | None
    keys: frozenset[str]  # every criterion key the file declares, valid or not
    strength_keys: frozenset[str]
    readable: bool  # False when the file could not be read as TOML with both tables


def read_scheme(path: Path, name: str, problems: list[str]) -> SchemeFile:
    """The scheme in ``path``; every problem found is appended to ``problems``."""
    unreadable = SchemeFile(None, frozenset(), frozenset(), readable=False)
    text = file_text(path, name, problems)
    if text is None:
        return unreadable
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(_("%(file)s: not valid TOML: %(reason)s") % {"file": name, "reason": exc})
        return unreadable
    before = len(problems)
    for field in data:
        if field not in AXES:
            problems.append(
                _(
                    "%(file)s: [%(table)s]: unknown table; a scheme has [attractiveness] "
                    "and [strength]"
                )
                % {"file": name, "table": field}
            )
    criteria: dict[str, tuple[Criterion, ...]] = {axis: () for axis in AXES}
    declared: dict[str, set[str]] = {axis: set() for axis in AXES}
    positions: dict[tuple[str, str], list[int]] = {}
    cuts: dict[str, float] = {}
    incomplete: set[str] = set()  # axes with a criterion that could not be read
    readable = True
    for axis in AXES:
        table = data.get(axis)
        if not isinstance(table, dict):
            problems.append(
                _("%(file)s: the table [%(axis)s] is missing") % {"file": name, "axis": axis}
            )
            readable = False
            continue
        for field in table:
            if field not in AXIS_FIELDS[axis]:
                problems.append(
                    _where(name, axis, None, field)
                    + ": "
                    + _("unknown field; [%(axis)s] has %(fields)s")
                    % {"axis": axis, "fields": ", ".join(AXIS_FIELDS[axis])}
                )
        if axis == "attractiveness":
            cuts["cut"] = _cut(table, "cut", 5.0, _where(name, axis, None, "cut"), problems)
        else:
            for field, default in (("cut_relative", 1.0), ("cut_absolute", 5.0)):
                cuts[field] = _cut(table, field, default, _where(name, axis, None, field), problems)
        items = table.get("criteria")
        if not isinstance(items, list):
            problems.append(
                _where(name, axis, None, "criteria")
                + ": "
                + _("a list of criteria, each { key, name, weight }, is needed")
            )
            incomplete.add(axis)
            continue
        parsed: list[Criterion] = []
        for position, item in enumerate(items, start=1):
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                declared[axis].add(item["key"].strip())
            criterion = _criterion(item, name, axis, position, problems)
            if criterion is None:
                incomplete.add(axis)
            else:
                parsed.append(criterion)
                positions.setdefault((axis, criterion.key), []).append(position)
        criteria[axis] = tuple(parsed)
    scheme = Scheme(
        attractiveness=criteria["attractiveness"],
        strength=criteria["strength"],
        attractiveness_cut=cuts.get("cut", 5.0),
        strength_cut_relative=cuts.get("cut_relative", 1.0),
        strength_cut_absolute=cuts.get("cut_absolute", 5.0),
    )
    for p in scheme.problem_details():
        # counts and totals of an axis with an unreadable criterion would only mislead
        if p.axis in incomplete and p.key is None and p.field in ("criteria", "weight"):
            continue
        found = positions.get((p.axis, p.key), []) if p.key is not None else []
        # a key used more than once is reported where it comes last
        at = found[-1] if p.field == "key" and found else (found[0] if found else None)
        problems.append(f"{_where(name, p.axis, at, p.field)}: {p.translated(_)}")
    return SchemeFile(
        scheme if len(problems) == before else None,
        frozenset(declared["attractiveness"] | declared["strength"]),
        frozenset(declared["strength"]),
        readable=readable,
    )


def _criterion(
    item: object, name: str, axis: str, index: int, problems: list[str]
) -> Criterion | None:
    if not isinstance(item, dict):
        problems.append(
            _where(name, axis, index, "criteria")
            + ": "
            + _("each criterion is a table { key = ..., name = ..., weight = ... }")
        )
        return None
    ok = True
    for field in item:
        if field not in CRITERION_FIELDS:
            problems.append(
                _where(name, axis, index, field)
                + ": "
                + _("unknown field; a criterion has %(fields)s")
                % {"fields": ", ".join(CRITERION_FIELDS)}
            )
            ok = False
    key = item.get("key")
    if not isinstance(key, str) or not key.strip():
        problems.append(_where(name, axis, index, "key") + ": " + _("a non-empty key is needed"))
        ok = False
    label = item.get("name", key)
    if not isinstance(label, str):
        problems.append(_where(name, axis, index, "name") + ": " + _("the name must be text"))
        ok = False
    weight = _whole_number(item.get("weight"))
    if weight is None:
        problems.append(
            _where(name, axis, index, "weight")
            + ": "
            + _("%(value)r is not a whole number") % {"value": item.get("weight")}
        )
        ok = False
    anchors: dict[int, str] = {}
    raw_anchors = item.get("anchors", {})
    if not isinstance(raw_anchors, dict):
        problems.append(
            _where(name, axis, index, "anchors")
            + ": "
            + _('anchors are a table such as { 2 = "...", 5 = "...", 8 = "..." }')
        )
        ok = False
    else:
        for score, meaning in raw_anchors.items():
            if score not in ANCHOR_KEYS or not isinstance(meaning, str):
                problems.append(
                    _where(name, axis, index, "anchors")
                    + ": "
                    + _("anchors describe the scores 2, 5 and 8 in text; %(score)s is not one")
                    % {"score": score}
                )
                ok = False
            else:
                anchors[int(score)] = meaning
    if not ok or weight is None or not isinstance(key, str) or not isinstance(label, str):
        return None
    return Criterion(key=key.strip(), name=label, weight=weight, anchors=anchors)


def _score(numbers: NumberReading, row: int, field: str) -> float | None:
    """The cell's whole number from 1 to 10 ("7", "7.0" or "7,0"), or None."""
    value = numbers.values.get((row, field))
    if value is None or value != value.to_integral_value() or not 1 <= value <= 10:
        return None
    return float(value)


def read_scores(
    path: Path,
    name: str,
    scheme: SchemeFile,
    problems: list[str],
    *,
    decimal: Convention | None = None,
) -> list[ScoreRow]:
    """The score rows of ``path``; every problem found is appended to ``problems``.

    Criteria are checked against the keys the scheme file declares (not when the scheme
    file could not be read at all). Columns beyond the five of the format are ignored.
    Comma, semicolon and tab separated files are read; scores are read by
    ``kam.imports.numbers``.
    """
    from kam.core.portfolio import ScoreRow

    text = file_text(path, name, problems)
    if text is None:
        return []
    reader = csv_reader(text)
    try:
        header = next(reader)
    except StopIteration:
        problems.append(
            _("%(file)s: row 1: the file is empty; the header is %(header)s")
            % {"file": name, "header": ",".join(COLUMNS)}
        )
        return []
    except csv.Error as exc:
        problems.append(_("%(file)s: row 1: %(reason)s") % {"file": name, "reason": exc})
        return []
    header = [header_name(h) for h in header]
    column = {h: i for i, h in enumerate(header) if h in COLUMNS}
    lacking = [c for c in COLUMNS if c not in column]
    for c in lacking:
        problems.append(
            _("%(file)s: row 1, field %(field)s: the column is missing; the header is %(header)s")
            % {"file": name, "field": c, "header": ",".join(COLUMNS)}
        )
    if lacking:
        return []
    strength_keys = scheme.strength_keys
    known = scheme.keys if scheme.readable else None
    rows: list[ScoreRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    records = list(
        csv_rows(
            reader, name=name, header=header, column=column, columns=COLUMNS, problems=problems
        )
    )
    numbers, refused = read_file_numbers(records, ("score", "competitor_score"), decimal=decimal)
    for row_number, cells in records:

        def bad(field: str, message: str, row: int = row_number) -> None:
            problems.append(
                _("%(file)s: row %(row)s, field %(field)s: %(message)s")
                % {"file": name, "row": row, "field": field, "message": message}
            )

        def not_a_score(
            field: str, row: int = row_number, values: Mapping[str, str] = cells
        ) -> None:
            bad(
                field,
                refused.get((row, field))
                or _("'%(value)s' is not a whole number from 1 to 10") % {"value": values[field]},
            )

        ok = True
        account, criterion, rater = cells["account"], cells["criterion"], cells["rater"]
        if not account:
            bad("account", _("the account is empty"))
            ok = False
        if not criterion:
            bad("criterion", _("the criterion is empty"))
            ok = False
        elif known is not None and criterion not in known:
            bad(
                "criterion",
                _("'%(value)s' is not a criterion of the scheme (%(keys)s)")
                % {"value": criterion, "keys": ", ".join(sorted(known))},
            )
            ok = False
        score = _score(numbers, row_number, "score")
        if score is None:
            not_a_score("score")
            ok = False
        competitor: float | None = None
        if cells["competitor_score"]:
            competitor = _score(numbers, row_number, "competitor_score")
            if competitor is None:
                not_a_score("competitor_score")
                ok = False
            elif known is not None and criterion in known and criterion not in strength_keys:
                bad(
                    "competitor_score",
                    _(
                        "'%(criterion)s' is an attractiveness criterion; competitor scores "
                        "belong to strength criteria"
                    )
                    % {"criterion": criterion},
                )
                ok = False
        identity = (account, criterion, rater)
        if account and criterion:
            if identity in seen:
                bad(
                    "rater",
                    _("the same account, criterion and rater as row %(row)s")
                    % {"row": seen[identity]},
                )
                ok = False
            else:
                seen[identity] = row_number
        if ok and score is not None:
            rows.append(ScoreRow(account, criterion, score, competitor, rater or None))
    return rows


# --- classifying ----------------------------------------------------------------------------


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def classify_rows(
    scheme: Scheme, rows: Sequence[ScoreRow], *, draws: int | None = None, seed: int = 0
) -> list[AccountResult]:
    """One result per account, in the order accounts first appear in ``rows``."""
    from kam.core.portfolio import (
        NOT_PLACED,
        classify,
        disagreement,
        score_table,
        sensitivity,
        uncertain,
    )

    table = score_table(scheme, rows)
    result = classify(scheme, table)
    flagged = disagreement(table)
    probabilities = None
    unsure = None
    if draws is not None and len(table.accounts):
        probabilities = sensitivity(
            scheme, table.scores, table.competitor_scores, draws=draws, seed=seed
        )
        unsure = uncertain(probabilities)
    keys = scheme.keys
    out = []
    for i, account in enumerate(table.accounts):
        placed = bool(result.box[i] != NOT_PLACED)
        box_probabilities = None
        if probabilities is not None and placed:
            box_probabilities = {
                b.value: float(p) for b, p in zip(BOXES, probabilities[i], strict=True)
            }
        out.append(
            AccountResult(
                account=str(account),
                attractiveness=_number(result.attractiveness[i]),
                strength=_number(result.strength[i]),
                competitor_strength=_number(result.competitor_strength[i]),
                relative_strength=_number(result.relative_strength[i]),
                strength_axis=(
                    ("relative" if result.relative[i] else "absolute") if placed else None
                ),
                box=BOXES[int(result.box[i])].value if placed else None,
                missing=[k for k, m in zip(keys, result.missing[i], strict=True) if m],
                disagreement=[k for k, f in zip(keys, flagged[i], strict=True) if f],
                box_probabilities=box_probabilities,
                uncertain=bool(unsure[i]) if unsure is not None and placed else None,
            )
        )
    return out


# --- output ---------------------------------------------------------------------------------


def _rounded(value: float | None, digits: int | None = DECIMALS) -> float | None:
    if value is None or digits is None:
        return value
    return round(value, digits)


def _record(
    r: AccountResult, *, with_probabilities: bool, digits: int | None = DECIMALS
) -> dict[str, Any]:
    """One account's fields; floats rounded to ``digits`` decimals (None: not rounded)."""
    record: dict[str, Any] = {
        "account": r.account,
        "attractiveness": _rounded(r.attractiveness, digits),
        "strength": _rounded(r.strength, digits),
        "competitor_strength": _rounded(r.competitor_strength, digits),
        "relative_strength": _rounded(r.relative_strength, digits),
        "strength_axis": r.strength_axis,
        "box": r.box,
        "missing": r.missing,
        "disagreement": r.disagreement,
    }
    if with_probabilities:
        record["box_probabilities"] = (
            None
            if r.box_probabilities is None
            else {b: _rounded(p, digits) for b, p in r.box_probabilities.items()}
        )
        record["uncertain"] = r.uncertain
    return record


def render_json(results: Sequence[AccountResult], *, with_probabilities: bool) -> str:
    """A JSON list with one object per account (null when absent). Floats are not rounded:
    each is written as its repr, the shortest text that reads back as the same float, so a
    program reading the JSON gets what kam computed (the table and CSV round for reading)."""
    records = [_record(r, with_probabilities=with_probabilities, digits=None) for r in results]
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def _csv_fields(with_probabilities: bool) -> list[str]:
    fields = [
        "account",
        "attractiveness",
        "strength",
        "competitor_strength",
        "relative_strength",
        "strength_axis",
        "box",
        "missing",
        "disagreement",
    ]
    if with_probabilities:
        fields += [f"p_{b.value}" for b in BOXES] + ["uncertain"]
    return fields


def render_csv(results: Sequence[AccountResult], *, with_probabilities: bool) -> str:
    """The JSON fields flat: lists joined with ``;``, probabilities as ``p_<box>``, empty = null."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_csv_fields(with_probabilities))
    for r in results:
        record = _record(r, with_probabilities=with_probabilities)
        record["missing"] = ";".join(r.missing)
        record["disagreement"] = ";".join(r.disagreement)
        if with_probabilities:
            for b in BOXES:
                probabilities = record["box_probabilities"]
                record[f"p_{b.value}"] = None if probabilities is None else probabilities[b.value]
            record["uncertain"] = None if r.uncertain is None else str(r.uncertain).lower()
        writer.writerow(
            spreadsheet_row(
                ["" if record[f] is None else record[f] for f in _csv_fields(with_probabilities)]
            )
        )
    return buffer.getvalue()


def _fmt(value: float | None, decimals: int = 2) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


def render_table(results: Sequence[AccountResult], *, with_probabilities: bool) -> str:
    """Aligned columns for people: axis scores to 2 decimals, probabilities in percent."""
    head = [
        _("account"),
        _("A"),
        _("S_us"),
        _("S_comp"),
        _("RS"),
        _("axis"),
        _("box"),
    ]
    if with_probabilities:
        head += [_("key %"), _("dev %"), _("maint %"), _("opp %"), _("uncertain")]
    head += [_("missing"), _("disagreement")]
    lines = [head]
    for r in results:
        line = [
            r.account,
            _fmt(r.attractiveness),
            _fmt(r.strength),
            _fmt(r.competitor_strength),
            _fmt(r.relative_strength, 3),
            r.strength_axis or "-",
            r.box or _("not placed"),
        ]
        if with_probabilities:
            if r.box_probabilities is None:
                line += ["-"] * 5
            else:
                line += [f"{100 * r.box_probabilities[b.value]:.1f}" for b in BOXES]
                line.append(_("yes") if r.uncertain else _("no"))
        line += [", ".join(r.missing) or "-", ", ".join(r.disagreement) or "-"]
        lines.append(line)
    numeric = {1, 2, 3, 4} | ({7, 8, 9, 10} if with_probabilities else set())
    widths = [max(len(row[j]) for row in lines) for j in range(len(head))]
    text = []
    for row in lines:
        cells = [
            cell.rjust(widths[j]) if j in numeric else cell.ljust(widths[j])
            for j, cell in enumerate(row)
        ]
        text.append("  ".join(cells).rstrip())
    return "\n".join(text) + "\n"
