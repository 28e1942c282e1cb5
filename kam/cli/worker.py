"""``kam worker``: run the background jobs (docs/operations.md, Background jobs)."""

from __future__ import annotations

import argparse

from kam.cli.common import django_setup


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    parser.add_argument("--batch", action="store_true", help="stop when no job waits")


def run(args: argparse.Namespace) -> int:
    django_setup()
    from kam.jobs.worker import run_worker

    return run_worker(interval=args.interval, batch=args.batch)
