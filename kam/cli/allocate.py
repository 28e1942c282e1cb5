"""``kam allocate``: divide a pool of yearly hours over accounts, without a database.

Reads one CSV file with each account's four judgements (docs/method.md section 2), an
optional fifth (``contribution_at_50pct``: with half of today's hours) and optional minimum
and maximum hours, calibrates each account's response curve and prints the
hours that maximise Σ r(hours) − hourly cost · hours within the capacity, with the certified
upper bound, the gap, whether the plan is exact, what one more hour adds (the plan solved
again with it), the Lagrangian price of an hour and the objective of today's allocation.
docs/allocation.md describes the file and the output.

With five judgements the curve is fitted by least squares (``kam.core.allocation.fit``); a
judgement that disagrees with the other four is noted on stderr (the row, the field and
where the other four put it), and the allocation still runs.

Bad input is reported all at once, one line per problem on stderr naming the file, the row
(the header is row 1) and the field; the command then prints nothing and exits with status 2.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kam.cli.common import (
    BAD_INPUT,
    InputProblems,
    add_decimal_argument,
    file_text,
    number,
    read_file_numbers,
)
from kam.core.cells import spreadsheet_row
from kam.i18n import _
from kam.imports.numbers import Convention
from kam.imports.tables import csv_reader, csv_rows, header_name

if TYPE_CHECKING:  # kam.core.allocation needs numpy: imported when the command runs
    import numpy as np

    from kam.core.allocation.curves import CalibrationError, ResponseCurve
    from kam.core.allocation.problems import AllocationResult

COLUMNS = (
    "account",
    "reference_hours",
    "contribution_at_zero",
    "contribution_at_reference",
    "contribution_at_150pct",
    "contribution_at_saturation",
    "min_hours",
    "max_hours",
)
#: An optional column: the fifth judgement, at half of today's hours (docs/allocation.md).
HALF_COLUMN = "contribution_at_50pct"
#: calibrate()'s argument for each judgement column
JUDGEMENTS = {
    "reference_hours": "reference_hours",
    "contribution_at_zero": "at_zero",
    "contribution_at_reference": "at_reference",
    "contribution_at_150pct": "at_150pct",
    "contribution_at_saturation": "at_saturation",
}
COLUMN_OF = {argument: column for column, argument in JUDGEMENTS.items()} | {
    "at_50pct": HALF_COLUMN
}
DECIMALS = 4


def _non_negative(text: str) -> float:
    value = number(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(_("'%(value)s' must be 0 or more") % {"value": text})
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kam allocate`` (its help line is in ``kam.cli.COMMANDS``)."""
    parser.description = _(
        "Divide a capacity of yearly hours over the accounts of a CSV file so that "
        "contribution minus the cost of the hours is highest. No database needed."
    )
    parser.add_argument(
        "--accounts",
        required=True,
        metavar="ACCOUNTS.csv",
        help=_("one row per account with its four judgements and optional bounds (CSV)"),
    )
    parser.add_argument(
        "--capacity-hours",
        required=True,
        type=_non_negative,
        metavar="H",
        help=_("yearly hours available in total"),
    )
    parser.add_argument(
        "--hour-cost",
        type=_non_negative,
        default=0.0,
        metavar="C",
        help=_("cost of one hour (default 0)"),
    )
    parser.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help=_("output format (default: table)"),
    )
    add_decimal_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``kam allocate``; returns the exit status (0, or 2 for bad input)."""
    from kam.core.allocation.curves import Curves
    from kam.core.allocation.problems import PoolProblem
    from kam.core.allocation.solve import allocate

    try:
        accounts, curves, lo, hi = read_accounts(
            Path(args.accounts), args.accounts, decimal=args.decimal
        )
    except InputProblems as problems:
        for line in problems.lines:
            print(line, file=sys.stderr)
        return BAD_INPUT
    problem = PoolProblem(
        curves=Curves.of(curves),
        capacity_hours=args.capacity_hours,
        hour_cost=args.hour_cost,
        min_hours=lo,
        max_hours=hi,
        accounts=accounts,
    )
    result = allocate(problem)
    if args.format == "json":
        text = render_json(result)
    elif args.format == "csv":
        text = render_csv(result)
    else:
        text = render_table(result)
    sys.stdout.write(text)
    return 0


def read_accounts(
    path: Path, name: str, *, decimal: Convention | None = None
) -> tuple[list[str], list[ResponseCurve], np.ndarray[Any, np.dtype[np.float64]], Any]:
    """Accounts, calibrated curves, minimum and maximum hours (NaN = none) from ``path``.

    Comma, semicolon and tab separated files are read; numbers are read by
    ``kam.imports.numbers`` (``decimal``: the separator the user gave, None: told from the
    file). Raises ``InputProblems`` with every problem found.
    """
    import numpy as np

    from kam.core.allocation.curves import CalibrationError
    from kam.core.allocation.fit import fit_judgements

    problems: list[str] = []
    text = file_text(path, name, problems)
    if text is None:
        raise InputProblems(problems)
    reader = csv_reader(text)
    try:
        header = [header_name(h) for h in next(reader)]
    except StopIteration:
        raise InputProblems(
            [
                _("%(file)s: row 1: the file is empty; the header is %(header)s")
                % {"file": name, "header": ",".join(COLUMNS)}
            ]
        ) from None
    except csv.Error as exc:
        raise InputProblems(
            [_("%(file)s: row 1: %(reason)s") % {"file": name, "reason": exc}]
        ) from None
    column = {h: i for i, h in enumerate(header) if h in COLUMNS or h == HALF_COLUMN}
    present = [*COLUMNS, *([HALF_COLUMN] if HALF_COLUMN in column else [])]
    lacking = [c for c in COLUMNS if c not in column]
    if lacking:
        raise InputProblems(
            [
                _(
                    "%(file)s: row 1, field %(field)s: the column is missing; "
                    "the header is %(header)s"
                )
                % {"file": name, "field": c, "header": ",".join(COLUMNS)}
                for c in lacking
            ]
        )
    accounts: list[str] = []
    curves: list[ResponseCurve] = []
    lows: list[float] = []
    highs: list[float] = []
    seen: dict[str, int] = {}
    notes: list[str] = []
    records = list(
        csv_rows(
            reader, name=name, header=header, column=column, columns=present, problems=problems
        )
    )
    reading, refused = read_file_numbers(records, present[1:], decimal=decimal)

    def _number(row: int, field: str) -> float | None:
        value = reading.values.get((row, field))
        return None if value is None else float(value)

    for row_number, cells in records:

        def bad(field: str, message: str, row: int = row_number) -> None:
            problems.append(
                _("%(file)s: row %(row)s, field %(field)s: %(message)s")
                % {"file": name, "row": row, "field": field, "message": message}
            )

        ok = True
        account = cells["account"]
        if not account:
            bad("account", _("the account is empty"))
            ok = False
        elif account in seen:
            bad("account", _("the same account as row %(row)s") % {"row": seen[account]})
            ok = False
        else:
            seen[account] = row_number
        numbers: dict[str, float] = {}
        for field in JUDGEMENTS:
            value = _number(row_number, field)
            if value is None:
                bad(
                    field,
                    refused.get((row_number, field))
                    or _("'%(value)s' is not a number") % {"value": cells[field]},
                )
                ok = False
            else:
                numbers[field] = value
        bounds: dict[str, float] = {}
        for field in ("min_hours", "max_hours"):
            if not cells[field]:
                bounds[field] = math.nan
                continue
            value = _number(row_number, field)
            if value is None or value < 0:
                bad(
                    field,
                    refused.get((row_number, field))
                    or _("'%(value)s' is not a number of hours (0 or more)")
                    % {"value": cells[field]},
                )
                ok = False
            else:
                bounds[field] = value
        low, high = bounds.get("min_hours", math.nan), bounds.get("max_hours", math.nan)
        if not math.isnan(low) and not math.isnan(high) and low > high:
            bad(
                "min_hours",
                _("the minimum is above the maximum (%(max)s)") % {"max": cells["max_hours"]},
            )
            ok = False
        half: float | None = None
        half_read = True
        if cells.get(HALF_COLUMN):
            half = _number(row_number, HALF_COLUMN)
            if half is None:
                half_read = False
                bad(
                    HALF_COLUMN,
                    refused.get((row_number, HALF_COLUMN))
                    or _("'%(value)s' is not a number") % {"value": cells[HALF_COLUMN]},
                )
                ok = False
        curve = None
        if len(numbers) == len(JUDGEMENTS) and half_read:
            try:
                fit = fit_judgements(
                    **{JUDGEMENTS[f]: v for f, v in numbers.items()}, at_50pct=half
                )
            except CalibrationError as error:
                bad(COLUMN_OF[error.field], calibration_message(error))
                ok = False
            else:
                curve = fit.curve
                if fit.inconsistent is not None and fit.suggested is not None:
                    notes.append(
                        _(
                            "%(file)s: row %(row)s, field %(field)s: disagrees with the other "
                            "four judgements, which put it at about %(value)s"
                        )
                        % {
                            "file": name,
                            "row": row_number,
                            "field": COLUMN_OF[fit.inconsistent],
                            "value": f"{fit.suggested:.0f}",
                        }
                    )
        if ok and curve is not None:
            accounts.append(account)
            curves.append(curve)
            lows.append(low)
            highs.append(high)
    if problems:
        raise InputProblems(problems)
    for note in notes:
        print(note, file=sys.stderr)
    if not accounts:
        raise InputProblems([_("%(file)s: no accounts") % {"file": name}])
    return accounts, curves, np.array(lows), np.array(highs)


def calibration_message(error: CalibrationError) -> str:
    """The calibration problem in the file's own column names, translated."""
    messages = {
        "reference_hours": _("today's hours must be more than 0"),
        "at_zero": _("the contribution with no effort must be a number"),
        "at_reference": _(
            "raise contribution_at_reference above contribution_at_zero: today's hours "
            "must bring more than no effort"
        ),
        "at_150pct": _(
            "set contribution_at_150pct between contribution_at_reference and "
            "contribution_at_saturation (both excluded)"
        ),
        "at_saturation": _("raise contribution_at_saturation above contribution_at_reference"),
        "at_50pct": _(
            "set contribution_at_50pct between contribution_at_zero and "
            "contribution_at_reference (both excluded), or leave it empty"
        ),
    }
    return messages.get(error.field, error.message)


# --- output ---------------------------------------------------------------------------------


def _round(value: float) -> float:
    return round(float(value), DECIMALS)


def _hours(value: float) -> int | float:
    return round(value) if float(value).is_integer() else _round(value)


def render_json(result: AllocationResult) -> str:
    """The object of docs/allocation.md: hours, objective, upper_bound, gap, … ."""
    record: dict[str, Any] = {
        "hours": {str(a): _hours(h) for a, h in zip(result.accounts, result.hours, strict=True)},
        "objective": _round(result.objective),
        "upper_bound": _round(result.upper_bound),
        "gap": _round(result.gap),
        "relative_gap": result.relative_gap,
        "exact": result.exact,
        "hour_value": _round(result.hour_value if result.hour_value is not None else 0.0),
        "shadow_price": _round(result.shadow_price),
        "baseline_objective": _round(result.baseline_objective),
        "below_minimum": [
            {
                "account": str(s.account),
                "min_hours": s.min_hours,
                "hours": s.hours,
                "reason": s.reason.value,
            }
            for s in result.shortfalls
        ],
    }
    return json.dumps(record, indent=2, ensure_ascii=False) + "\n"


def render_csv(result: AllocationResult) -> str:
    """One row per account: account, hours, contribution, baseline_hours."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["account", "hours", "contribution", "baseline_hours"])
    for a, h, r, b in zip(
        result.accounts, result.hours, result.contributions, result.baseline_hours, strict=True
    ):
        writer.writerow(spreadsheet_row([a, _hours(h), _round(r), _round(b)]))
    return buffer.getvalue()


def render_table(result: AllocationResult) -> str:
    """Aligned columns per account, then the totals people look for."""
    lines = [[_("account"), _("hours"), _("contribution"), _("today")]]
    for a, h, r, b in zip(
        result.accounts, result.hours, result.contributions, result.baseline_hours, strict=True
    ):
        lines.append([str(a), f"{h:g}", f"{r:,.2f}", f"{b:,.1f}"])
    widths = [max(len(row[j]) for row in lines) for j in range(4)]
    text = [
        "  ".join(
            cell.ljust(widths[j]) if j == 0 else cell.rjust(widths[j]) for j, cell in enumerate(row)
        ).rstrip()
        for row in lines
    ]
    text += [
        "",
        _("objective (contribution − cost of hours): %(v)s") % {"v": f"{result.objective:,.2f}"},
        _("upper bound: %(v)s  gap: %(gap)s (%(rel).2e relative)")
        % {
            "v": f"{result.upper_bound:,.2f}",
            "gap": f"{result.gap:,.4f}",
            "rel": result.relative_gap,
        },
        _("exact: the best plan there is")
        if result.exact
        else _("not proven exact: within the gap above of the best plan"),
        _("one more hour adds: %(v)s (solved again with it)")
        % {"v": f"{(result.hour_value or 0.0):,.2f}"},
        _("Lagrangian price of an hour (behind the bound, not what an hour adds): %(v)s")
        % {"v": f"{result.shadow_price:,.2f}"},
        _("today's allocation: %(v)s (uplift %(up)s)")
        % {"v": f"{result.baseline_objective:,.2f}", "up": f"{result.uplift:,.2f}"},
    ]
    for s in result.shortfalls:
        text.append(
            _("%(account)s gets %(hours)s hours, below its minimum of %(min)s: %(reason)s")
            % {
                "account": s.account,
                "hours": f"{s.hours:g}",
                "min": f"{s.min_hours:g}",
                "reason": s.reason.value,
            }
        )
    return "\n".join(text) + "\n"
