"""A pytest plugin (``-p tests.cpu_profile``) that records the CPU time each test phase costs.

Wall time on a shared machine says more about the neighbours than about a test; CPU time
(this process and its threads, such as the live server, plus the children it waited for, such
as a benchmark's subprocess) does not. Each phase (setup, call, teardown) is written as a line
``cpu_s<TAB>wall_s<TAB>phase<TAB>node id`` to the file named by ``KAM_TEST_CPU_LOG``
(default ``test-artifacts/cpu-<worker>.tsv``, ``{worker}`` in the name is replaced), line by
line as phases end; ``sort -rn`` it to see where the time goes.
Chromium's own processes are not waited for, so a browser test's page rendering is not counted.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from typing import TextIO

import pytest

_FILE: list[TextIO] = []  # the open log, once the session knows its worker


def _write(line: str) -> None:
    if _FILE:
        _FILE[0].write(line + "\n")
        _FILE[0].flush()


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _measure(item: pytest.Item, phase: str):  # type: ignore[no-untyped-def]
    cpu, wall = _cpu(), time.perf_counter()
    yield
    _write(f"{_cpu() - cpu:.3f}\t{time.perf_counter() - wall:.3f}\t{phase}\t{item.nodeid}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):  # type: ignore[no-untyped-def]
    yield from _measure(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    yield from _measure(item, "call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item):  # type: ignore[no-untyped-def]
    yield from _measure(item, "teardown")


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session: pytest.Session):  # type: ignore[no-untyped-def]
    cpu, wall = _cpu(), time.perf_counter()
    yield
    _write(f"{_cpu() - cpu:.3f}\t{time.perf_counter() - wall:.3f}\tcollect\t(session)")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Open the log (lines are written as tests end, so a long run can be read midway)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    default = Path(session.config.rootpath) / "test-artifacts" / f"cpu-{worker}.tsv"
    path = Path(os.environ.get("KAM_TEST_CPU_LOG", str(default)).replace("{worker}", worker))
    path.parent.mkdir(parents=True, exist_ok=True)
    _FILE.append(path.open("w"))
    # Interpreter start-up and plugin imports, before the session starts.
    _write(f"{_cpu():.3f}\t0\tstart-up\t(session)")


def pytest_sessionfinish(session: pytest.Session) -> None:
    _write(f"{_cpu():.3f}\t0\tprocess-total\t(session)")
    if _FILE:
        _FILE.pop().close()
