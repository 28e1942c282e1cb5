"""``kam demo [--no-serve]``: migrate, load the demo portfolio, print the demo logins, and
serve unless told not to."""

from __future__ import annotations

import argparse
import os
import sys

from kam.cli.serve import default_workers, prepare, serve


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-serve", action="store_true", help="load the data and stop")
    parser.add_argument(
        "--reset", action="store_true", help="remove the demo's own data and load it afresh"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--accounts", type=int, default=250, help="number of customers")
    parser.add_argument("--bind", default=os.environ.get("KAM_BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--threads", type=int, default=1)


def run(args: argparse.Namespace) -> int:
    prepare()
    from kam.demo import demo_load

    logins = demo_load(seed=args.seed, accounts=args.accounts, stdout=sys.stdout, reset=args.reset)
    print(f"\nDemo logins (password for all: {logins.password})")
    for username, role in logins.users:
        print(f"  {username:<12} {role}")
    if args.no_serve:
        return 0
    return serve(args.bind, args.workers, args.threads)
