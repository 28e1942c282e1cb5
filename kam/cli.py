"""The ``kam`` command.

- ``kam serve``: run kam with gunicorn (a production WSGI server), after migrating and
  collecting static files;
- ``kam demo [--no-serve]``: migrate, load the demo portfolio, print the demo logins, and
  serve unless told not to;
- ``kam manage …``: any Django management command (``migrate``, ``createsuperuser`` …);
- ``kam classify``: classify a portfolio from files, without a database (see docs/cli.md);
- ``kam allocate``: divide yearly hours over accounts, without a database (docs/allocation.md);
- ``kam calendar-import``: import an .ics calendar file as activities (docs/relationships.md).
- ``kam clv``: predicted purchases and value per account from transactions (docs/economics.md);
- ``kam facts``: every account's facts (revenue, growth, margin …) from invoice lines
  (docs/facts.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    import django

    django.setup()


def _manage(argv: Sequence[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kam manage", *argv])
    return 0


def _prepare() -> None:
    """Bring the database schema and static files up to date before serving."""
    _django_setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def _serve(bind: str, workers: int, threads: int) -> int:
    _prepare()
    from gunicorn.app.wsgiapp import WSGIApplication

    sys.argv = [
        "gunicorn",
        "kam.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--access-logfile",
        "-",
        # Share-link tokens never reach the access log (kam/web/serving.py).
        "--logger-class",
        "kam.web.serving.RedactingLogger",
        "--timeout",
        "120",
    ]
    print(f"kam is serving at http://{bind}/ (Ctrl+C stops it)", flush=True)
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
    return 0


def _demo(args: argparse.Namespace) -> int:
    _prepare()
    from kam.demo import demo_load

    logins = demo_load(seed=args.seed, accounts=args.accounts, stdout=sys.stdout, reset=args.reset)
    print(f"\nDemo logins (password for all: {logins.password})")
    for username, role in logins.users:
        print(f"  {username:<12} {role}")
    if args.no_serve:
        return 0
    return _serve(args.bind, args.workers, args.threads)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kam", description="Key account management.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve kam with gunicorn")
    serve.add_argument("--bind", default=os.environ.get("KAM_BIND", "127.0.0.1:8000"))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("KAM_WORKERS", "2")))
    serve.add_argument("--threads", type=int, default=int(os.environ.get("KAM_THREADS", "4")))

    demo = sub.add_parser("demo", help="load the demo portfolio, then serve")
    demo.add_argument("--no-serve", action="store_true", help="load the data and stop")
    demo.add_argument(
        "--reset", action="store_true", help="remove the demo's own data and load it afresh"
    )
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--accounts", type=int, default=250, help="number of customers")
    demo.add_argument("--bind", default=os.environ.get("KAM_BIND", "127.0.0.1:8000"))
    demo.add_argument("--workers", type=int, default=2)
    demo.add_argument("--threads", type=int, default=4)

    sub.add_parser("manage", help="run a Django management command", add_help=False)

    from kam.classify_cli import add_classify_parser

    add_classify_parser(sub)

    from kam.allocate_cli import add_allocate_parser

    add_allocate_parser(sub)

    from kam.relationships.cli import add_calendar_parser

    add_calendar_parser(sub)
    from kam.clv_cli import add_clv_parser

    add_clv_parser(sub)
    from kam.facts_cli import add_facts_parser

    add_facts_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "manage":
        return _manage(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args.bind, args.workers, args.threads)
    if args.command == "demo":
        return _demo(args)
    if args.command == "classify":
        from kam.classify_cli import run_classify

        return run_classify(args)
    if args.command == "allocate":
        from kam.allocate_cli import run_allocate

        return run_allocate(args)
    if args.command == "calendar-import":
        from kam.relationships.cli import run_calendar

        return run_calendar(args)
    if args.command == "clv":
        from kam.clv_cli import run_clv

        return run_clv(args)
    if args.command == "facts":
        from kam.facts_cli import run_facts

        return run_facts(args)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
