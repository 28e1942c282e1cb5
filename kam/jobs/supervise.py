"""One ``kam worker`` process beside ``kam serve`` and ``kam demo`` (docs/operations.md).

The worker starts with the web server and stops with it (Ctrl+C or SIGTERM of ``kam
serve``): it is asked to stop (finishing its job), then told again after
``KAM_WORKER_STOP_SECONDS`` (its job then fails as "the worker stopped" and can be
retried), then killed. A worker that dies while kam serves is reported and started
again, at most five times in ten minutes; after that it is reported and left stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from types import TracebackType

RESTARTS = 5
RESTART_WINDOW = 600.0


def _say(message: str) -> None:
    print(f"kam: {message}", file=sys.stderr, flush=True)


class WorkerSupervisor:
    """Context manager: a worker process while the block runs."""

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or [sys.executable, "-m", "kam.cli", "worker"]
        self.stop_seconds = float(os.environ.get("KAM_WORKER_STOP_SECONDS", "10"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.owner = os.getpid()
        self.restarts: list[float] = []
        self.watcher = threading.Thread(target=self._watch, name="kam-worker-watch", daemon=True)

    def _start(self) -> None:
        # its own session: Ctrl+C in the terminal reaches kam serve, which stops it in order
        self.proc = subprocess.Popen(self.command, start_new_session=True)

    def _watch(self) -> None:
        while not self.stopping.wait(1.0):
            proc = self.proc
            if proc is None or proc.poll() is None:
                continue
            if self.stopping.is_set():
                return
            now = time.monotonic()
            self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW]
            if len(self.restarts) >= RESTARTS:
                _say(
                    f"the background worker stopped (exit {proc.returncode}) {RESTARTS} times "
                    "in ten minutes; it is not started again: jobs wait until `kam worker` runs"
                )
                return
            self.restarts.append(now)
            _say(f"the background worker stopped (exit {proc.returncode}); starting it again")
            self._start()

    def __enter__(self) -> WorkerSupervisor:
        self._start()
        self.watcher.start()
        return self

    def stop(self) -> None:
        if os.getpid() != self.owner:  # a forked web worker leaving: not its worker
            return
        self.stopping.set()
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in (
            (signal.SIGTERM, self.stop_seconds),
            (signal.SIGTERM, 5.0),
            (signal.SIGKILL, 5.0),
        ):
            try:
                proc.send_signal(sig)
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                return

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
