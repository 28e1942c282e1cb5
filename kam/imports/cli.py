"""The command-line option every ``kam`` command that reads numbers from files shares."""

from __future__ import annotations

import argparse

from kam.i18n import _
from kam.imports.numbers import CONVENTIONS


def add_decimal_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--decimal comma|point``: the decimal separator of the numbers in the input
    files (default: told from each file; see docs/import.md, Numbers)."""
    parser.add_argument(
        "--decimal",
        choices=CONVENTIONS,
        default=None,
        help=_(
            "the input files' decimal separator: comma (1.250,50) or point (1,250.50); "
            "default: told from each file as a whole"
        ),
    )
