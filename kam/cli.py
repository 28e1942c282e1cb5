"""The ``kam`` command.

- ``kam serve``: run kam with gunicorn (a production WSGI server), after migrating and
  collecting static files, with one ``kam worker`` beside it;
- ``kam worker``: run the background jobs (docs/operations.md);
- ``kam demo [--no-serve]``: migrate, load the demo portfolio, print the demo logins, and
  serve unless told not to;
- ``kam manage …``: any Django management command (``migrate``, ``createsuperuser`` …);
- ``kam classify``: classify a portfolio from files, without a database (see docs/cli.md);
- ``kam allocate``: divide yearly hours over accounts, without a database (docs/allocation.md);
- ``kam calendar-import``: import an .ics calendar file as activities (docs/relationships.md).
- ``kam clv``: predicted purchases and value per account from transactions (docs/economics.md);
- ``kam facts``: every account's facts (revenue, growth, margin …) from invoice lines
  (docs/facts.md).
- ``kam backup PATH`` / ``kam restore PATH``: one archive of the database, the transaction
  store and the secret key, taken while kam runs; restored into an empty installation
  (docs/operations.md).

Every command starts with the umask 077 (kam's files are 0600, its directories 0700), and
those that use the database first check the data directory (``kam.datadir``): when it
cannot be created or written they say so and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def _data_dir_ready() -> None:
    """Check the data directory before Django reads the settings; on failure, print why
    and exit with status 2 (no traceback)."""
    from kam.datadir import DataDirError, data_dir, data_dir_ensure, tighten

    path = data_dir()
    try:
        data_dir_ensure(path)
    except DataDirError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None
    tighten(path)


def _django_setup() -> None:
    _data_dir_ready()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    import django

    django.setup()


def _manage(argv: Sequence[str]) -> int:
    _data_dir_ready()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kam manage", *argv])
    return 0


def _prepare() -> None:
    """Bring the database schema and static files up to date before serving."""
    _django_setup()
    from django.conf import settings
    from django.core.management import call_command

    print(f"kam's data directory: {settings.DATA_DIR}", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def _default_workers() -> int:
    """Worker processes when KAM_WORKERS is unset: gunicorn's advice (2 × cores + 1), at
    most 8 (each is a Django process of about 100 MB)."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


def gunicorn_argv(bind: str, workers: int, threads: int) -> list[str]:
    """The gunicorn command line of ``kam serve`` (docs/operations.md, Limits).

    Per-request time is limited by gunicorn's ``--timeout`` (``KAM_REQUEST_TIMEOUT``,
    default 120 s): the arbiter kills a worker whose request runs longer and starts a new
    one. That only works with the *sync* worker: a threaded (gthread) worker keeps
    notifying the arbiter from its main thread while a request thread runs for ever, so
    with threads the timeout never fires. So ``kam serve`` runs one request per process
    (``--threads 1``, the default) and gets its concurrency from processes; an operator
    who asks for threads gets them, without a per-request limit (said at start). The time
    budget of an import (``KAM_IMPORT_SECONDS``, 60 s) stays below the timeout, so a long
    import is refused with a message before its worker would be killed. ``--max-requests``
    with jitter recycles each worker after about a thousand requests (memory a library
    keeps is given back; not all workers at once); ``--graceful-timeout`` lets a worker
    finish its request on restart.
    """
    timeout = os.environ.get("KAM_REQUEST_TIMEOUT", "120")
    argv = [
        "gunicorn",
        "kam.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        # Share-link tokens never reach the access log (kam/web/serving.py).
        "--logger-class",
        "kam.web.serving.RedactingLogger",
        "--timeout",
        timeout,
        "--graceful-timeout",
        os.environ.get("KAM_GRACEFUL_TIMEOUT", "30"),
        "--max-requests",
        os.environ.get("KAM_MAX_REQUESTS", "1000"),
        "--max-requests-jitter",
        os.environ.get("KAM_MAX_REQUESTS_JITTER", "100"),
        # the request line and headers: gunicorn's own limits, said here so they are seen
        "--limit-request-line",
        "8190",
        "--limit-request-fields",
        "100",
    ]
    if threads > 1:
        argv += ["--worker-class", "gthread", "--threads", str(threads)]
    else:
        argv += ["--worker-class", "sync"]
    return argv


def _serve(bind: str, workers: int, threads: int) -> int:
    _prepare()
    from gunicorn.app.wsgiapp import WSGIApplication

    from kam.jobs.supervise import WorkerSupervisor

    sys.argv = gunicorn_argv(bind, workers, threads)
    if threads > 1:
        print(
            f"kam serve: {threads} threads per worker; gunicorn's --timeout does not stop a "
            "long request in a threaded worker (use --threads 1 for a per-request limit)",
            flush=True,
        )
    print(f"kam is serving at http://{bind}/ (Ctrl+C stops it)", flush=True)
    with WorkerSupervisor():  # the jobs' worker starts and stops with the web server
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
    serve.add_argument(
        "--workers", type=int, default=int(os.environ.get("KAM_WORKERS") or _default_workers())
    )
    # one request per process: gunicorn's --timeout then really stops a long request
    serve.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("KAM_THREADS", "1")),
        help="threads per worker (above 1, the per-request timeout no longer applies)",
    )

    demo = sub.add_parser("demo", help="load the demo portfolio, then serve")
    demo.add_argument("--no-serve", action="store_true", help="load the data and stop")
    demo.add_argument(
        "--reset", action="store_true", help="remove the demo's own data and load it afresh"
    )
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--accounts", type=int, default=250, help="number of customers")
    demo.add_argument("--bind", default=os.environ.get("KAM_BIND", "127.0.0.1:8000"))
    demo.add_argument("--workers", type=int, default=_default_workers())
    demo.add_argument("--threads", type=int, default=1)

    worker = sub.add_parser("worker", help="run the background jobs (imports, optimisations …)")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    worker.add_argument("--batch", action="store_true", help="stop when no job waits")

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
    from kam.backup import add_backup_parsers

    add_backup_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from kam.datadir import UMASK

    os.umask(UMASK)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "manage":
        return _manage(argv[1:])
    args = build_parser().parse_args(argv)
    from kam.imports.limits import ImportLimitError

    try:
        return _run(args)
    except ImportLimitError as exc:
        # a file beyond one of the import limits (kam.imports.limits): said, exit 2
        print(f"kam {args.command}: {exc.message}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "serve":
        return _serve(args.bind, args.workers, args.threads)
    if args.command == "demo":
        return _demo(args)
    if args.command == "worker":
        _django_setup()
        from kam.jobs.worker import run_worker

        return run_worker(interval=args.interval, batch=args.batch)
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
    if args.command in ("backup", "restore"):
        _django_setup()
        from kam.backup import run_backup, run_restore

        return run_backup(args) if args.command == "backup" else run_restore(args)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
