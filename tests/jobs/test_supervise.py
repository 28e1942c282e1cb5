"""`kam serve` keeps one worker beside gunicorn (kam.jobs.supervise): started with it,
started again when it dies (a few times), stopped with it."""

from __future__ import annotations

import os
import sys
import time

from kam.jobs import supervise
from kam.jobs.supervise import WorkerSupervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def _wait(check, limit: float = 60) -> None:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < limit, "waited too long"
        time.sleep(0.05)


def test_the_worker_starts_is_restarted_when_it_dies_and_stops_with_the_server(capfd):
    with WorkerSupervisor(SLEEPER) as keeper:
        first = keeper.proc
        assert first is not None and first.poll() is None
        first.kill()
        _wait(lambda: keeper.proc is not first and keeper.proc.poll() is None)
        second = keeper.proc
    assert second.poll() is not None  # stopped with the block
    assert "the background worker stopped (exit -9); starting it again" in capfd.readouterr().err


def test_a_worker_that_keeps_dying_is_reported_and_left_stopped(capfd, monkeypatch):
    monkeypatch.setattr(supervise, "RESTARTS", 2)
    with WorkerSupervisor([sys.executable, "-c", "raise SystemExit(3)"]) as keeper:
        _wait(lambda: not keeper.watcher.is_alive())
    err = capfd.readouterr().err
    assert err.count("starting it again") == 2
    assert "stopped (exit 3) 2 times in ten minutes; it is not started again" in err


def test_a_worker_that_ignores_the_first_stop_is_stopped_anyway(monkeypatch):
    monkeypatch.setenv("KAM_WORKER_STOP_SECONDS", "0.5")
    stubborn = [
        sys.executable,
        "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)",
    ]
    keeper = WorkerSupervisor(stubborn)
    with keeper:
        time.sleep(0.5)  # let it install its handler
    assert keeper.proc is not None and keeper.proc.returncode == -9


def test_a_forked_web_worker_leaving_does_not_stop_the_worker(monkeypatch):
    with WorkerSupervisor(SLEEPER) as keeper:
        monkeypatch.setattr(os, "getpid", lambda: keeper.owner + 1)
        keeper.stop()  # as in a gunicorn worker process forked inside the block
        assert keeper.proc is not None and keeper.proc.poll() is None
        monkeypatch.undo()
