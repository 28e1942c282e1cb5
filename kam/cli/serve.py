"""``kam serve``: run kam with gunicorn (a production WSGI server), after migrating and
collecting static files, with one ``kam worker`` beside it (docs/operations.md)."""

from __future__ import annotations

import argparse
import os
import sys

from kam.cli.common import django_setup


def default_workers() -> int:
    """Worker processes when KAM_WORKERS is unset: gunicorn's advice (2 × cores + 1), at
    most 8 (each is a Django process of about 100 MB)."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bind", default=os.environ.get("KAM_BIND", "127.0.0.1:8000"))
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("KAM_WORKERS") or default_workers())
    )
    # one request per process: gunicorn's --timeout then really stops a long request
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("KAM_THREADS", "1")),
        help="threads per worker (above 1, the per-request timeout no longer applies)",
    )


def run(args: argparse.Namespace) -> int:
    return serve(args.bind, args.workers, args.threads)


def prepare() -> None:
    """Bring the database schema and static files up to date before serving."""
    django_setup()
    from django.conf import settings
    from django.core.management import call_command

    print(f"kam's data directory: {settings.DATA_DIR}", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


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


def serve(bind: str, workers: int, threads: int) -> int:
    """Prepare, then serve with gunicorn and one background worker until stopped."""
    prepare()
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
