"""``kam classify``: the selection matrix from files, without a database (docs/cli.md)."""

from __future__ import annotations

import argparse
from typing import Any


def add_classify_parser(sub: Any) -> None:
    p = sub.add_parser("classify", help="classify accounts from scheme.toml and scores.csv")
    p.add_argument("--scheme", required=True)
    p.add_argument("--scores", required=True)


def run_classify(args: argparse.Namespace) -> int:
    return 2
