"""``kam clv``: predicted purchases and value per account from a transactions file.

Reads a CSV or Parquet file of transactions (``account,date,amount``, other columns
ignored), builds each account's purchase summary up to the calibration end with DuckDB,
fits the BG/NBD purchase model and the Gamma-Gamma spend model (docs/method.md section 6)
and prints, per account, the expected number of purchases in the horizon and their
discounted expected value. docs/economics.md describes the models, when they fit, the file
and the output.

Bad input is reported all at once, one line per problem on stderr naming the file, the row
and the field (a CSV's header is row 1); the command then prints nothing on stdout and exits
with status 2, as ``kam classify`` and ``kam allocate`` do. Data that cannot identify the
purchase model (for example: nobody bought twice) also exit with status 2 and say why. When
only the spend model cannot be fitted, the expected purchases are still printed, the value
is left empty (``null`` in JSON) and stderr says why, one line per reason.

JSON keeps every number at full precision (a float's shortest exact representation); the
table rounds for reading.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kam.cli.common import BAD_INPUT, add_decimal_argument, iso_date, number, whole_number
from kam.i18n import _
from kam.imports.numbers import Convention, read_numbers
from kam.imports.tables import csv_reader, header_name

if TYPE_CHECKING:  # kam.facts.clv needs DuckDB, numpy and scipy: imported when it runs
    from kam.facts.clv import ClvReport

MAX_HORIZON_WEEKS = 52 * 50


def _weeks(text: str) -> int:
    value = whole_number(text)
    if not 1 <= value <= MAX_HORIZON_WEEKS:
        raise argparse.ArgumentTypeError(
            _("the horizon must be from 1 to %(max)s weeks") % {"max": MAX_HORIZON_WEEKS}
        )
    return value


def _rate(text: str) -> float:
    value = number(text)
    if not math.isfinite(value) or not 0 <= value < 10:
        raise argparse.ArgumentTypeError(
            _("the discount rate is a yearly fraction from 0 to 10 (0.08 = 8 %)")
        )
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kam clv`` (its help line is in ``kam.cli.COMMANDS``)."""
    parser.description = _(
        "Fit the BG/NBD purchase model and the Gamma-Gamma spend model to the "
        "transactions up to the calibration end and predict each account's purchases "
        "and discounted value over the horizon. No database needed."
    )
    parser.add_argument(
        "--transactions",
        required=True,
        metavar="FILE",
        help=_("transactions with columns account,date,amount (CSV, or Parquet by extension)"),
    )
    parser.add_argument(
        "--calibration-end",
        required=True,
        type=iso_date,
        metavar="DATE",
        help=_("last day of the history the models learn from (YYYY-MM-DD)"),
    )
    parser.add_argument(
        "--horizon-weeks",
        required=True,
        type=_weeks,
        metavar="N",
        help=_("weeks after the calibration end to predict"),
    )
    parser.add_argument(
        "--discount-rate",
        type=_rate,
        default=0.0,
        metavar="R",
        help=_("yearly discount rate as a fraction, applied per week (default 0)"),
    )
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help=_("output format (default: table)"),
    )
    add_decimal_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``kam clv``; returns the exit status (0, or 2 for bad input)."""
    from kam.core.clv import ClvFitError
    from kam.facts.clv import TransactionProblems, clv_from_transactions

    try:
        with tempfile.TemporaryDirectory(prefix="kam-clv-") as scratch:
            source = normalised_transactions(
                Path(args.transactions), args.transactions, Path(scratch), decimal=args.decimal
            )
            report = clv_from_transactions(
                source,
                calibration_end=args.calibration_end,
                horizon_weeks=args.horizon_weeks,
                annual_discount_rate=args.discount_rate,
                name=args.transactions,
            )
    except TransactionProblems as problems:
        for line in problems.lines:
            print(line, file=sys.stderr)
        return BAD_INPUT
    except ClvFitError as error:
        print(
            _("%(file)s: the models cannot be fitted: %(reason)s")
            % {"file": args.transactions, "reason": _(error.message)},
            file=sys.stderr,
        )
        return BAD_INPUT
    for reason in report.value_missing:
        print(
            _("%(file)s: no expected value, the spend model cannot be fitted: %(reason)s")
            % {"file": args.transactions, "reason": _(reason)},
            file=sys.stderr,
        )
    text = render_json(report) if args.format == "json" else render_table(report)
    sys.stdout.write(text)
    return 0


def normalised_transactions(
    path: Path, name: str, scratch: Path, *, decimal: Convention | None = None
) -> Path:
    """The transactions file as the CLV check reads it: a CSV file in another delimiter
    (semicolon, tab), with stray CRs or spaces in its header, or with amounts written with
    a decimal comma or thousands separators is rewritten into ``scratch`` as a plain
    comma-separated file, amounts read by ``kam.imports.numbers`` and written as plain
    decimal numbers, every row on its own line number. Parquet files, and files that cannot
    be read as text (the check reports those), are returned as they are.

    Raises ``TransactionProblems`` for amounts that cannot be told apart (``1.250`` in a
    file with nothing else to go by) or that mix the two conventions.
    """
    from kam.facts.clv import TransactionProblems

    try:
        with path.open("rb") as handle:
            if handle.read(4) == b"PAR1":
                return path
        with path.open(encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return path
    try:
        records = list(csv_reader(text, rows=False))
    except csv.Error:  # the check reports it, with its row
        return path
    if not records:
        return path
    header = [header_name(h) for h in records[0]]
    if "amount" not in header:
        return path
    at = header.index("amount")
    numbers = read_numbers(
        ((n, n, "amount", cells[at]) for n, cells in enumerate(records[1:], start=2)
         if at < len(cells) and cells[at].strip(" \t")),
        decimal=decimal,
    )  # fmt: skip
    refused = [
        _("%(file)s: row %(row)s, field %(field)s: %(message)s")
        % {"file": name, "row": p.row, "field": "amount", "message": p.reason}
        for p in numbers.problems
        if p.code != "not_a_number"  # the check itself says so, with its other problems
    ]
    if refused:
        raise TransactionProblems(refused)
    target = scratch / "transactions.csv"
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for n, cells in enumerate(records[1:], start=2):
            value = numbers.values.get(n)
            if value is not None:
                cells = [*cells[:at], f"{value:f}", *cells[at + 1 :]]
            writer.writerow(cells)
    return target


def _number(value: float) -> float | None:
    """A float for JSON at full precision; None (null) when it is not finite."""
    number = float(value)
    return number if math.isfinite(number) else None


def render_json(report: ClvReport) -> str:
    """``{"bgnbd": {...}, "gamma_gamma": {...}, "value_missing": [...], "accounts": [...]}``
    (docs/economics.md), indented, with one account per line (a portfolio of 100,000
    accounts stays readable and is written by the fast C encoder). Numbers are not rounded:
    each float is written as its repr, the shortest text that reads back as the same float.
    Without a spend model ``gamma_gamma`` and each ``expected_value`` are null and
    ``value_missing`` lists why (empty otherwise)."""
    bg, gg, prediction = report.model.bgnbd, report.model.gamma_gamma, report.prediction
    head: dict[str, Any] = {
        "bgnbd": {
            "r": bg.r,
            "alpha": bg.alpha,
            "a": bg.a,
            "b": bg.b,
            "log_likelihood": _number(bg.log_likelihood),
        },
        "gamma_gamma": None if gg is None else {"p": gg.p, "q": gg.q, "gamma": gg.gamma},
        "value_missing": [_(reason) for reason in report.value_missing],
    }
    # one account per line; floats as JSON numbers (repr of a finite float is valid JSON)
    accounts = [
        f'{{"account": {json.dumps(account, ensure_ascii=False)}, '
        f'"expected_purchases": {json.dumps(_number(purchases))}, '
        f'"expected_value": {json.dumps(_number(value))}}}'
        for account, purchases, value in zip(
            prediction.accounts,
            prediction.expected_purchases.tolist(),
            prediction.expected_value.tolist(),
            strict=True,
        )
    ]
    lines = ["{"]
    for key, value in head.items():
        lines.append(f'  "{key}": {json.dumps(value, ensure_ascii=False, allow_nan=False)},')
    lines.append('  "accounts": [' + ("" if accounts else "]"))
    if accounts:
        lines.append(",\n".join(f"    {line}" for line in accounts))
        lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_table(report: ClvReport) -> str:
    """The fitted parameters, then aligned columns per account, highest value first."""
    bg, gg, prediction = report.model.bgnbd, report.model.gamma_gamma, report.prediction
    text = [
        _("BG/NBD (purchases): r %(r)s, alpha %(alpha)s, a %(a)s, b %(b)s, log-likelihood %(ll)s")
        % {
            "r": f"{bg.r:.4f}",
            "alpha": f"{bg.alpha:.4f}",
            "a": f"{bg.a:.4f}",
            "b": f"{bg.b:.4f}",
            "ll": f"{bg.log_likelihood:,.2f}",
        },
        (
            _("Gamma-Gamma (spend): p %(p)s, q %(q)s, gamma %(gamma)s")
            % {"p": f"{gg.p:.4f}", "q": f"{gg.q:.4f}", "gamma": f"{gg.gamma:.4f}"}
            if gg is not None
            else _("Gamma-Gamma (spend): not fitted, so no spend and no value")
        ),
        _(
            "%(accounts)s accounts, %(spenders)s with repeat purchases; horizon %(weeks)s "
            "weeks, discount rate %(rate)s a year"
        )
        % {
            "accounts": report.model.customers,
            "spenders": report.model.spend_customers,
            "weeks": prediction.horizon_weeks,
            "rate": f"{prediction.annual_discount_rate:.2%}",
        },
    ]
    if report.later_accounts:
        text.append(
            _("%(count)s accounts first bought after the calibration end and are left out")
            % {"count": report.later_accounts}
        )
    lines = [[_("account"), _("purchases"), _("P(alive)"), _("spend"), _("value")]]
    # highest value first; without a spend model, most purchases first
    rank = prediction.expected_value if gg is not None else prediction.expected_purchases
    order = sorted(range(len(prediction.accounts)), key=lambda i: (-rank[i], i))
    for i in order:
        lines.append(
            [
                prediction.accounts[i],
                f"{prediction.expected_purchases[i]:.2f}",
                f"{prediction.probability_alive[i]:.2f}",
                _money(prediction.expected_spend[i]),
                _money(prediction.expected_value[i]),
            ]
        )
    widths = [max(len(row[j]) for row in lines) for j in range(len(lines[0]))]
    text.append("")
    text += [
        "  ".join(
            cell.ljust(widths[j]) if j == 0 else cell.rjust(widths[j]) for j, cell in enumerate(row)
        ).rstrip()
        for row in lines
    ]
    return "\n".join(text) + "\n"


def _money(value: float) -> str:
    return f"{value:,.2f}" if math.isfinite(value) else "-"
