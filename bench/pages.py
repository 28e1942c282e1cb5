"""Benchmark: kam's pages at two sizes, and a load test of eight users.

Issue 16: a page at 10,000 accounts should take about as long as the same page at 250.
For each page and API endpoint below this prints the median time of N loads at the small
and at the large installation, the ratio large/small, the database queries of one load at
both sizes and the bytes sent; pages above 1 s at either size are marked ``SLOW``.
With ``--load`` it then serves each installation with ``kam serve`` (gunicorn, as in
production) and lets eight signed-in users click through a mix of pages and API calls for
a minute: requests per second, p50 and p95 at both sizes and the p95 ratio (the goal: 1).

    .venv/bin/python bench/pages.py --load                 # 250 against 10,000 accounts
    .venv/bin/python bench/pages.py --quick --load         # what `make bench` runs
    .venv/bin/python bench/pages.py --load \\
        --small-db postgres://postgres@127.0.0.1:5432/kam_250 --small-dir /work/data250 \\
        --large-db postgres://postgres@127.0.0.1:5432/kam_10k --large-dir /work/data10k

The installations: ``--small-db/--small-dir`` and ``--large-db/--large-dir`` (or the
environment variables KAM_BENCH_SMALL_DATABASE_URL, KAM_BENCH_SMALL_DATA_DIR and the same
with LARGE), each a DATABASE_URL (empty: the SQLite file in the data directory) and a
KAM_DATA_DIR. Left out, the demo portfolio is built once with ``kam demo --no-serve
--accounts N`` on SQLite into the cache directory (KAM_BENCH_CACHE, default
~/.cache/kam-bench): 250 accounts and 10,000 (about 25 minutes on two cores); ``--quick``
takes 1,000 accounts as the large one when the 10,000 are not in the cache yet, and says so.

The installations given are never changed: each run measures a copy (a PostgreSQL
database made with CREATE DATABASE … TEMPLATE, dropped at the end; the data directory,
with its SQLite file, copied to a temporary directory) on which it applies this code's
migrations, because loading a page writes (sessions, the deck's job), and then runs the
jobs the migrations queued (``kam worker --batch``).

Each installation is measured in a process of its own (Django reads its settings once),
``bench/pages.py --child``, which prints its measurements as one line of JSON. The users
are the demo's sales director and key account manager (``--director``, ``--manager``,
``--password`` for another installation); a page whose work depends on who asks is
measured for both.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KAM = str(Path(sys.executable).with_name("kam"))
SLOW_SECONDS = 1.0
DEMO_PASSWORD = "kam-demo-2026"


@dataclass(frozen=True)
class Page:
    """One page or endpoint: its name, its URL (``{account}``, ``{review}`` filled in), the
    roles it is measured for, and for a job the POST that enqueues it."""

    name: str
    url: str
    roles: tuple[str, ...] = ("director", "manager")
    post: dict[str, str] | None = None
    max_loads: int | None = None


PAGES: tuple[Page, ...] = (
    Page("start page", "/"),
    Page("alerts page", "/alerts/"),
    Page("accounts list", "/accounts/"),
    Page("account page", "/accounts/{account}/", ("director",)),
    Page("account history", "/accounts/{account}/history/", ("director",)),
    Page("relationship account page", "/relationships/account/{account}/", ("director",)),
    Page("relationships findings", "/relationships/"),
    Page("API relationships findings", "/api/relationships/findings"),
    Page("economics (boxes compared)", "/economics/"),
    Page("API economics boxes", "/api/economics/boxes"),
    Page("review page", "/portfolio/reviews/{review}/", ("director",)),
    Page("actual time", "/activities/actual-time/"),
    Page("matrix page", "/portfolio/"),
    Page("matrix data JSON", "/portfolio/matrix/data.json"),
    Page("plans list", "/plans/"),
    Page("API accounts list", "/api/accounts/"),
    Page(
        "portfolio deck PDF (job)",
        "/reports/portfolio/deck.pdf",
        ("director",),
        post={"review_id": "{review}", "lang": "en"},
        max_loads=2,
    ),
    Page(
        "portfolio deck PowerPoint (job)",
        "/reports/portfolio/deck.pptx",
        ("director",),
        post={"review_id": "{review}", "lang": "en"},
        max_loads=2,
    ),
)

# The load test's mix: (weight, URL; ``{account}`` is one of the accounts the user may read).
# The weights guess a working day: mostly the start page, lists and an account's pages; the
# heavy portfolio pages a few times; no deck (a job, not a request).
MIX: tuple[tuple[int, str], ...] = (
    (15, "/"),
    (10, "/accounts/"),
    (20, "/accounts/{account}/"),
    (10, "/relationships/account/{account}/"),
    (5, "/accounts/{account}/history/"),
    (5, "/relationships/"),
    (3, "/api/relationships/findings"),
    (4, "/economics/"),
    (3, "/api/economics/boxes"),
    (4, "/portfolio/reviews/{review}/"),
    (5, "/activities/actual-time/"),
    (5, "/portfolio/"),
    (5, "/portfolio/matrix/data.json"),
    (5, "/plans/"),
    (1, "/api/accounts/"),
)


# --- the child: one installation, in-process with Django's test client ----------------------


def _ids(director: object, manager: object) -> dict[str, object]:
    """The objects the per-object pages show, found the same way at every size: the
    manager's first own account (else the first she may read), the latest review, and 50
    accounts spread over those each user may read (for the load test)."""
    from kam.accounts.models import Account
    from kam.accounts.selectors import account_list_visible
    from kam.portfolio.models import Review

    mine = account_list_visible(user=manager).order_by("pk")
    key = mine.filter(owner=manager).order_by("pk").first() or mine.first()
    if key is None:
        key = Account.objects.order_by("pk").first()
    if key is None:
        raise SystemExit("bench/pages.py: the installation has no accounts")
    review = Review.objects.order_by("-review_date", "-pk").first()
    if review is None:
        raise SystemExit("bench/pages.py: the installation has no portfolio review")

    def spread(qs: object) -> list[int]:
        pks = list(qs.order_by("pk").values_list("pk", flat=True))  # type: ignore[attr-defined]
        return pks[:: max(1, len(pks) // 50)][:50]

    return {
        "account": key.pk,
        "account_name": key.name,
        "review": review.pk,
        "accounts": Account.objects.count(),
        "visible": {
            "director": spread(account_list_visible(user=director)),
            "manager": spread(mine),
        },
    }


def _counter(count: list[int]) -> object:
    """A database execute wrapper that counts the statements of one load."""

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        count[0] += 1
        return execute(sql, params, many, context)

    return wrapper


def _body(response: object) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(response.content)  # type: ignore[attr-defined]


def child(loads: int, budget: float, director_name: str, manager_name: str, measure: bool) -> int:
    """Measure every page of PAGES on the installation of DATABASE_URL/KAM_DATA_DIR and
    print one JSON line: the ids used and per page and role the median seconds of up to
    ``loads`` loads (fewer once they took ``budget`` seconds, at least one) after a warm
    one, the queries and bytes of the last load and its status."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    # the deck's job runs inside the request, so its time is the request's
    os.environ["KAM_TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    import logging

    import django

    django.setup()
    # WeasyPrint's notes on CSS it skips (the deck) are not measurements
    for noisy in ("weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host "testserver" is allowed
    users = get_user_model().objects
    try:
        people = {
            "director": users.get(username=director_name),
            "manager": users.get(username=manager_name),
        }
    except users.model.DoesNotExist:
        raise SystemExit(
            f"bench/pages.py: no user {director_name!r} or {manager_name!r} in the installation"
        ) from None
    ids = _ids(people["director"], people["manager"])
    out: dict[str, object] = {"ids": ids, "pages": []}
    if not measure:
        print(json.dumps(out))
        return 0
    clients = {}
    for role, user in people.items():
        clients[role] = Client(HTTP_ACCEPT_ENCODING="gzip")
        clients[role].force_login(user)
    rows = []
    for page in PAGES:
        url = page.url.format(**ids)
        data = {k: v.format(**ids) for k, v in page.post.items()} if page.post else None
        for role in page.roles:
            client = clients[role]

            def load(client: Client = client, url: str = url, data: object = data) -> object:
                if data is None:
                    return client.get(url)
                return client.post(url, data)

            load()  # warm: the first load fills caches a real server has filled long ago
            times: list[float] = []
            while len(times) < min(loads, page.max_loads or loads) and (
                not times or sum(times) < budget
            ):
                queries = [0]
                with connection.execute_wrapper(_counter(queries)):
                    start = time.perf_counter()
                    response = load()
                    body = _body(response)
                    times.append(time.perf_counter() - start)
            rows.append(
                {
                    "page": page.name,
                    "role": role,
                    "url": url,
                    "seconds": statistics.median(times),
                    "loads": len(times),
                    "queries": queries[0],
                    "bytes": len(body),
                    "status": response.status_code,  # type: ignore[attr-defined]
                }
            )
            print(
                f"  {page.name} as {role}: {statistics.median(times):.3f} s "
                f"({len(times)} loads), {queries[0]} queries",
                file=sys.stderr,
                flush=True,
            )
    out["pages"] = rows
    print(json.dumps(out))
    return 0


# --- installations: found, built or copied ---------------------------------------------------


@dataclass
class Installation:
    """A DATABASE_URL ("" for SQLite in the data directory) and a KAM_DATA_DIR."""

    label: str
    database_url: str
    data_dir: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env["KAM_DATA_DIR"] = str(self.data_dir)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env["PYTHONPATH"] = str(ROOT)
        return env


def _cache_dir() -> Path:
    return Path(os.environ.get("KAM_BENCH_CACHE") or Path.home() / ".cache" / "kam-bench")


def demo_cached(accounts: int) -> Path | None:
    """The data directory of the cached demo of ``accounts`` accounts, if it is complete."""
    path = _cache_dir() / f"demo-{accounts}"
    return path if (path / ".complete").is_file() else None


def demo_build(accounts: int) -> Path:
    """Build the demo portfolio of ``accounts`` accounts on SQLite into the cache (into a
    temporary directory first, so that an interrupted build is never taken for a cache)."""
    found = demo_cached(accounts)
    if found:
        return found
    target = _cache_dir() / f"demo-{accounts}"
    building = target.with_name(target.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    building.mkdir(parents=True)
    print(f"Building the demo of {accounts:,} accounts into {target} (once) …", flush=True)
    start = time.perf_counter()
    env = Installation("", "", building).env()
    subprocess.run(
        [KAM, "demo", "--no-serve", "--accounts", str(accounts)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    building.rename(target)
    (target / ".complete").write_text(f"{time.perf_counter() - start:.0f} s\n")
    print(f"  built in {time.perf_counter() - start:,.0f} s", flush=True)
    return target


def _pg_admin(database_url: str) -> tuple[object, str]:
    """A connection to the server's ``postgres`` database (autocommit) and the database
    name of ``database_url``."""
    import psycopg

    parts = urllib.parse.urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True), name


@contextlib.contextmanager
def copied(source: Installation, wait_minutes: float = 10.0) -> Iterator[Installation]:
    """A throw-away copy of ``source`` with this code's migrations applied: its data
    directory copied to a temporary one, its PostgreSQL database copied as a template
    (retried while another session holds the source); both removed afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix=f"kam-bench-{source.label}-"))
    data = scratch / "data"
    shutil.copytree(source.data_dir, data, ignore=shutil.ignore_patterns("*-journal", "*.lock"))
    database_url = ""
    admin = None
    copy_name = ""
    try:
        if source.database_url:
            if not source.database_url.startswith(("postgres://", "postgresql://")):
                raise SystemExit(f"bench/pages.py: cannot copy {source.database_url}")
            admin, name = _pg_admin(source.database_url)
            copy_name = f"{name}_bench_{os.getpid()}"
            attempts = max(1, int(wait_minutes * 30))  # every 2 s
            for attempt in range(attempts):
                try:
                    admin.execute(f'CREATE DATABASE "{copy_name}" TEMPLATE "{name}"')  # type: ignore[attr-defined]
                    break
                except Exception as exc:  # the source is in use: wait for it
                    if "being accessed" not in str(exc) or attempt == attempts - 1:
                        raise
                    if attempt == 0:
                        print(f"  {name} is in use; waiting to copy it …", flush=True)
                    time.sleep(2)
            parts = urllib.parse.urlsplit(source.database_url)
            database_url = urllib.parse.urlunsplit(parts._replace(path=f"/{copy_name}"))
        copy = Installation(source.label, database_url, data)
        subprocess.run(
            [KAM, "manage", "migrate", "--verbosity", "0"],
            env=copy.env(),
            check=True,
        )
        # the jobs an upgrade queues (stored figures brought up to date) run first, as
        # the worker of a running installation would have run them
        subprocess.run([KAM, "worker", "--batch"], env=copy.env(), check=True)
        yield copy
    finally:
        try:
            if admin is not None and copy_name:
                _drop(source.database_url, copy_name, admin)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _drop(database_url: str, name: str, admin: object) -> None:
    """Drop the copy ``name``; on a new connection when a signal closed ``admin``."""
    import psycopg

    sql = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    try:
        admin.execute(sql)  # type: ignore[attr-defined]
    except psycopg.OperationalError:
        admin, _ = _pg_admin(database_url)
        admin.execute(sql)  # type: ignore[attr-defined]
    finally:
        admin.close()  # type: ignore[attr-defined]


def run_child(inst: Installation, args: argparse.Namespace, measure: bool) -> dict:
    argv = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "--loads",
        str(args.loads),
        "--budget",
        str(args.budget),
        "--director",
        args.director,
        "--manager",
        args.manager,
    ]
    if not measure:
        argv.append("--ids-only")
    done = subprocess.run(argv, env=inst.env(), check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- the table -------------------------------------------------------------------------------


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:,.0f} kB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MB"


def print_table(small: dict, large: dict, loads: int, budget: float) -> None:
    ns, nl = small["ids"]["accounts"], large["ids"]["accounts"]
    print(
        f"\nPages with Django's test client, {ns:,} against {nl:,} accounts: median seconds of "
        f"{loads} loads after a warm one (decks 2; fewer once a page took {budget:g} s: column "
        f"n, small/large), queries and bytes (gzip where kam compresses) of one load. Account "
        f"pages: {small['ids']['account_name']!r} (small), {large['ids']['account_name']!r} "
        f"(large)."
    )
    head = (
        f"{'page':<32} {'as':<8} {'s @' + format(ns, ','):>9} {'s @' + format(nl, ','):>10} "
        f"{'ratio':>6} {'q small':>7} {'q large':>7} {'bytes large':>11} {'n':>5}  note"
    )
    print(head)
    print("-" * len(head))
    by_key = {(r["page"], r["role"]): r for r in small["pages"]}
    for r in large["pages"]:
        s = by_key[(r["page"], r["role"])]
        notes = []
        if max(r["seconds"], s["seconds"]) > SLOW_SECONDS:
            notes.append("SLOW")
        for size, row in (("small", s), ("large", r)):
            if row["status"] not in (200, 302):
                notes.append(f"HTTP {row['status']} @{size}")
        print(
            f"{r['page']:<32} {r['role']:<8} {s['seconds']:>9.3f} {r['seconds']:>10.3f} "
            f"{r['seconds'] / s['seconds']:>6.1f} {s['queries']:>7} {r['queries']:>7} "
            f"{_size(r['bytes']):>11} {str(s['loads']) + '/' + str(r['loads']):>5}  "
            f"{' '.join(notes)}"
        )
    print(f"SLOW: above {SLOW_SECONDS:g} s at either size. {_uptime()} after the pages.")


# --- the load test: kam serve and eight users over HTTP --------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class User:
    """One signed-in browser: its own connection and cookies (session and CSRF)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Accept-Encoding": "gzip", "Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                # gunicorn's sync worker closes the connection after each answer
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                if attempt == 1:
                    raise
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, data

    def sign_in(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/login/")
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or found is None:
            raise SystemExit(f"bench/pages.py: the sign-in page answered {status}")
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": found.group(1).decode(),
                "username": username,
                "password": password,
            }
        )
        status, _ = self.request("POST", "/login/", body)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"bench/pages.py: {username} could not sign in (HTTP {status})")


@dataclass
class LoadResult:
    label: str
    accounts: int
    seconds: float
    load_before: str = ""
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def percentile(self, q: float) -> float:
        """The nearest-rank percentile: the smallest latency with at least ``q`` of all at
        or below it."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@contextlib.contextmanager
def serving(inst: Installation, workers: int) -> Iterator[int]:
    """``kam serve`` on a free port (its own process group, ended with it)."""
    port = _free_port()
    env = inst.env()
    env["KAM_LOG_LEVEL"] = "ERROR"
    log = open(inst.data_dir.parent / "serve.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [KAM, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for _ in range(600):  # until it listens (a start guard of two minutes)
            if proc.poll() is not None:
                raise SystemExit(
                    "bench/pages.py: kam serve stopped:\n"
                    + (inst.data_dir.parent / "serve.log").read_text()[-2000:]
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def load_test(inst: Installation, ids: dict, args: argparse.Namespace) -> LoadResult:
    """``args.users`` users (half director, half manager) for ``args.seconds`` seconds."""
    weights = [w for w, _ in MIX]
    result = LoadResult(inst.label, ids["accounts"], args.seconds)
    lock = threading.Lock()
    with serving(inst, args.workers) as port:
        users = []
        for i in range(args.users):
            role = "director" if i % 2 == 0 else "manager"
            user = User(port)
            user.sign_in(args.director if role == "director" else args.manager, args.password)
            users.append((role, user))
        # one warm round: every worker imports its libraries before the clock starts
        for _, url in MIX:
            users[0][1].request("GET", url.format(account=ids["account"], review=ids["review"]))
        result.load_before = _uptime()
        deadline = time.perf_counter() + args.seconds

        def click(n: int, role: str, user: User) -> None:
            rng = random.Random(n)
            mine = ids["visible"][role] or [ids["account"]]
            while time.perf_counter() < deadline:
                url = rng.choices(MIX, weights)[0][1]
                url = url.format(account=rng.choice(mine), review=ids["review"])
                start = time.perf_counter()
                try:
                    status, _ = user.request("GET", url)
                except (OSError, http.client.HTTPException) as exc:
                    status = type(exc).__name__  # type: ignore[assignment]
                took = time.perf_counter() - start
                with lock:
                    result.latencies.append(took)
                    if status != 200:
                        key = f"{status} {re.sub(r'/[0-9]+/', '/N/', url)}"
                        result.errors[key] = result.errors.get(key, 0) + 1

        threads = [
            threading.Thread(target=click, args=(n, role, user))
            for n, (role, user) in enumerate(users)
        ]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        result.seconds = time.perf_counter() - start
    return result


def print_load(small: LoadResult, large: LoadResult, args: argparse.Namespace) -> None:
    print(
        f"\nLoad test: {args.users} signed-in users for {args.seconds:g} s each size, "
        f"kam serve with {args.workers} sync workers"
    )
    head = (
        f"{'accounts':>9} {'requests':>9} {'req/s':>7} {'p50 s':>7} {'p95 s':>7} {'errors':>7}"
        "  machine before"
    )
    print(head)
    print("-" * len(head))
    for r in (small, large):
        print(
            f"{r.accounts:>9,} {len(r.latencies):>9} {len(r.latencies) / r.seconds:>7.2f} "
            f"{r.percentile(0.5):>7.3f} {r.percentile(0.95):>7.3f} {sum(r.errors.values()):>7}"
            f"  {r.load_before}"
        )
    ratio = large.percentile(0.95) / small.percentile(0.95)
    print(f"p95 ratio {large.accounts:,}/{small.accounts:,}: {ratio:.1f} (goal: 1)")
    for r in (small, large):
        for what, n in sorted(r.errors.items()):
            print(f"  @{r.accounts:,}: {n} × {what}")


def _uptime() -> str:
    try:
        return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "load average unknown"


# --- main ------------------------------------------------------------------------------------


def _installation(label: str, db: str | None, directory: str | None) -> Installation | None:
    prefix = f"KAM_BENCH_{label.upper()}_"
    db = db if db is not None else os.environ.get(prefix + "DATABASE_URL", "")
    directory = directory or os.environ.get(prefix + "DATA_DIR", "")
    if not directory:
        if db:
            raise SystemExit(f"bench/pages.py: --{label}-db needs --{label}-dir (KAM_DATA_DIR)")
        return None
    if not Path(directory).is_dir():
        raise SystemExit(f"bench/pages.py: {directory} ({label}) is not a directory")
    return Installation(label, db, Path(directory))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 loads; load test of 15 s")
    parser.add_argument("--loads", type=int, help="loads per page (default 7, quick 3)")
    parser.add_argument(
        "--budget",
        type=float,
        default=30.0,
        help="seconds of timed loads per page before it stops at fewer loads (default 30)",
    )
    parser.add_argument("--load", action="store_true", help="also run the load test")
    parser.add_argument("--no-pages", action="store_true", help="only the load test")
    parser.add_argument("--seconds", type=float, help="load test seconds (default 60, quick 15)")
    parser.add_argument("--users", type=int, default=8, help="load test users (default 8)")
    parser.add_argument("--workers", type=int, default=min(2 * (os.cpu_count() or 1) + 1, 8))
    parser.add_argument(
        "--wait-minutes",
        type=float,
        default=10.0,
        help="how long to wait for a PostgreSQL source another session holds (default 10)",
    )
    parser.add_argument("--small-db")
    parser.add_argument("--small-dir")
    parser.add_argument("--large-db")
    parser.add_argument("--large-dir")
    parser.add_argument("--large-accounts", type=int, help="the cached demo's size (10000)")
    parser.add_argument("--director", default="maarten")
    parser.add_argument("--manager", default="sanne")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ids-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.loads = args.loads or (3 if args.quick else 7)
    args.seconds = args.seconds or (15.0 if args.quick else 60.0)
    if args.child:
        return child(
            args.loads, args.budget, args.director, args.manager, measure=not args.ids_only
        )

    # stopped with SIGTERM, it still drops its copies and stops its server (the finally blocks)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    small = _installation("small", args.small_db, args.small_dir)
    large = _installation("large", args.large_db, args.large_dir)
    if small is None:
        small = Installation("small", "", demo_build(250))
    if large is None:
        n = args.large_accounts or 10_000
        if args.quick and not args.large_accounts and demo_cached(n) is None:
            n = 1_000
            print(
                "The 10,000-account demo is not in the cache: this quick run takes 1,000 "
                "accounts as the large installation (`bench/pages.py` builds the 10,000 once).",
                flush=True,
            )
        large = Installation("large", "", demo_build(n))
    print(f"kam pages at two sizes; {_uptime()}, {os.cpu_count()} cores", flush=True)
    results: dict[str, dict] = {}
    loads: dict[str, LoadResult] = {}
    for inst in (small, large):
        with copied(inst, args.wait_minutes) as copy:
            print(f"Measuring the {inst.label} installation …", flush=True)
            results[inst.label] = run_child(copy, args, measure=not args.no_pages)
            if args.load:
                print(f"Load test on the {inst.label} installation …", flush=True)
                loads[inst.label] = done = load_test(copy, results[inst.label]["ids"], args)
                print(
                    f"  {len(done.latencies)} requests in {done.seconds:.0f} s, "
                    f"p50 {done.percentile(0.5):.3f} s, p95 {done.percentile(0.95):.3f} s",
                    flush=True,
                )
    if not args.no_pages:
        print_table(results["small"], results["large"], args.loads, args.budget)
    if args.load:
        print_load(loads["small"], loads["large"], args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
