"""The operator commands: `kam serve` runs a real WSGI server, `kam manage` runs Django commands."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

SHARE_TOKEN = "sHaReToKeN-kept-out-of-the-log_0123456789ab"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["KAM_DATA_DIR"] = str(tmp_path)
    return env


def test_manage_runs_django_commands(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kam.cli", "manage", "migrate", "--plan"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "portfolio.0001_initial" in result.stdout


@pytest.mark.slow
def test_serve_answers_with_gunicorn(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kam.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = ""
        # Start-up migrates a new database first; on a loaded two-core CI machine that has
        # taken over two minutes. The deadline only guards against a hang, it measures nothing.
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as r:
                    body = r.read().decode()
                    server = r.headers.get("Server", "")
                break
            except OSError:
                time.sleep(0.5)
        assert "Log in to kam" in body, "kam serve did not answer on /login/"
        assert "gunicorn" in server.lower()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/kam/kam.css", timeout=5) as r:
            assert r.status == 200
        # the background worker runs beside gunicorn (its heartbeat row)
        deadline = time.monotonic() + 300
        while not _workers(tmp_path, "stopped_at IS NULL") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _workers(tmp_path, "stopped_at IS NULL") == 1
        # A share link's token must not reach the access log (nor Django's "Not Found").
        shared = f"http://127.0.0.1:{port}/plans/shared/{SHARE_TOKEN}/"
        request = urllib.request.Request(shared, headers={"Referer": shared})
        try:
            urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as refused:
            assert refused.code == 404
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=300)
    assert "kam is serving" in out
    assert "is running jobs" in out
    # SIGTERM stopped the worker with the server, in order
    assert _workers(tmp_path, "stopped_at IS NULL") == 0
    assert _workers(tmp_path, "stopped_at IS NOT NULL") == 1
    assert '"GET /login/ HTTP/1.1" 200' in out  # the access log is written ...
    assert '"GET /plans/shared/[redacted]/ HTTP/1.1" 404' in out  # ... with the token out
    assert SHARE_TOKEN not in out


def _workers(data: Path, condition: str) -> int:
    import sqlite3

    con = sqlite3.connect(data / "kam.sqlite3", timeout=30)
    try:
        return int(
            con.execute(f"SELECT count(*) FROM jobs_jobworker WHERE {condition}").fetchone()[0]
        )
    except sqlite3.OperationalError:  # not migrated yet
        return 0
    finally:
        con.close()


def test_serve_runs_sync_workers_whose_timeout_is_real(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """gunicorn's --timeout only ends a long request in a sync worker (a threaded worker
    keeps telling the arbiter it is alive): kam serve runs sync workers by default, recycles
    them, and takes the timeout from KAM_REQUEST_TIMEOUT."""
    from kam.cli import build_parser
    from kam.cli.serve import gunicorn_argv

    monkeypatch.setenv("KAM_REQUEST_TIMEOUT", "45")
    args = build_parser().parse_args(["serve"])
    argv = gunicorn_argv(args.bind, args.workers, args.threads)
    assert argv[argv.index("--worker-class") + 1] == "sync"
    assert "--threads" not in argv
    assert argv[argv.index("--timeout") + 1] == "45"
    assert int(argv[argv.index("--graceful-timeout") + 1]) > 0
    assert int(argv[argv.index("--max-requests") + 1]) > 0
    assert int(argv[argv.index("--max-requests-jitter") + 1]) > 0
    threaded = gunicorn_argv("127.0.0.1:1", 1, 4)
    assert threaded[threaded.index("--worker-class") + 1] == "gthread"


@pytest.mark.slow
def test_a_request_beyond_the_timeout_is_ended(tmp_path: Path) -> None:
    """The arguments of kam serve, with a WSGI app that never answers: the arbiter kills the
    worker (WORKER TIMEOUT) and the client gets no answer rather than waiting for ever."""
    import http.client

    from kam.cli.serve import gunicorn_argv

    (tmp_path / "never_answers.py").write_text(
        "import time\n\ndef app(environ, start_response):\n    time.sleep(3600)\n"
    )
    port = _free_port()
    argv = gunicorn_argv(f"127.0.0.1:{port}", 1, 1)
    argv[argv.index("kam.wsgi:application")] = "never_answers:app"
    env = _env(tmp_path)
    env["PYTHONPATH"] = str(tmp_path)
    argv[argv.index("--timeout") + 1] = "2"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from gunicorn.app.wsgiapp import run; run()", *argv[1:]],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        answered = None
        for _ in range(600):  # wait until it listens (a hang guard, not a measurement)
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
                conn.request("GET", "/")
                break
            except OSError:
                time.sleep(0.2)
        try:
            answered = conn.getresponse().status
        except (http.client.RemoteDisconnected, ConnectionError):
            answered = None
        assert answered in (None, 500, 502, 504)
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=300)
    assert "WORKER TIMEOUT" in out


def test_worker_recycling_is_configured_from_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """KAM_MAX_REQUESTS and KAM_MAX_REQUESTS_JITTER reach gunicorn (docs/operations.md)."""
    from kam.cli.serve import gunicorn_argv

    monkeypatch.setenv("KAM_MAX_REQUESTS", "250")
    monkeypatch.setenv("KAM_MAX_REQUESTS_JITTER", "25")
    argv = gunicorn_argv("127.0.0.1:1", 2, 1)
    assert argv[argv.index("--max-requests") + 1] == "250"
    assert argv[argv.index("--max-requests-jitter") + 1] == "25"


@pytest.mark.slow
def test_a_worker_is_replaced_after_its_requests(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """kam serve's arguments with KAM_MAX_REQUESTS=3 and a jitter of 1: one worker answers
    at most four requests, then a fresh process (whose memory starts anew) takes over."""
    import http.client

    from kam.cli.serve import gunicorn_argv

    (tmp_path / "pid_app.py").write_text(
        "import os\n\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [str(os.getpid()).encode()]\n"
    )
    monkeypatch.setenv("KAM_MAX_REQUESTS", "3")
    monkeypatch.setenv("KAM_MAX_REQUESTS_JITTER", "1")
    port = _free_port()
    argv = gunicorn_argv(f"127.0.0.1:{port}", 1, 1)
    env = _env(tmp_path)
    env["PYTHONPATH"] = str(tmp_path)
    argv[argv.index("kam.wsgi:application")] = "pid_app:app"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from gunicorn.app.wsgiapp import run; run()", *argv[1:]],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pids: list[str] = []
    try:
        deadline = time.monotonic() + 600  # a hang guard, not a measurement
        while len(pids) < 12 and time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", "/")
                pids.append(conn.getresponse().read().decode())
                conn.close()
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)  # not listening yet, or the worker is being replaced
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=300)
    assert len(pids) == 12, out
    assert len(set(pids)) >= 3, pids  # 12 requests, at most 4 per worker
    assert max(pids.count(p) for p in set(pids)) <= 4, pids
    assert "Autorestarting worker after current request" in out
