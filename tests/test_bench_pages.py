"""bench/pages.py: the pages it measures exist, its load mix stays within them, its table
and percentiles say what they mean (the measuring itself needs two installations and runs
in `make bench`)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

PAGES_PY = Path(__file__).resolve().parents[1] / "bench" / "pages.py"


@pytest.fixture(scope="module")
def pages():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_pages", PAGES_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_pages"] = module
    spec.loader.exec_module(module)
    return module


def test_every_measured_page_is_a_route_of_kam(pages) -> None:  # type: ignore[no-untyped-def]
    for page in pages.PAGES:
        url = page.url.format(account=1, review=1)
        try:
            resolve(url)
        except Resolver404:
            pytest.fail(f"{page.name}: {url} is no longer a page of kam")


def test_the_load_mix_requests_only_measured_pages(pages) -> None:  # type: ignore[no-untyped-def]
    measured = {page.url for page in pages.PAGES if page.post is None}
    assert {url for _, url in pages.MIX} <= measured
    assert all(weight > 0 for weight, _ in pages.MIX)


def test_percentiles_are_nearest_rank(pages) -> None:  # type: ignore[no-untyped-def]
    result = pages.LoadResult("small", 250, 60.0, latencies=[float(i) for i in range(20, 0, -1)])
    # 20 latencies 1..20 s: 95 % of them (19) are at or below 19 s, half (10) at or below 10 s
    assert result.percentile(0.95) == 19.0
    assert result.percentile(0.5) == 10.0
    assert result.percentile(1.0) == 20.0
    single = pages.LoadResult("small", 250, 60.0, latencies=[0.3])
    assert single.percentile(0.95) == 0.3


def test_the_table_gives_the_ratio_and_marks_slow_and_failed_pages(pages, capsys) -> None:  # type: ignore[no-untyped-def]
    def run(accounts: int, rows: list[tuple[str, float, int, int]]) -> dict:  # type: ignore[type-arg]
        return {
            "ids": {"accounts": accounts, "account_name": "Acme"},
            "pages": [
                {
                    "page": name,
                    "role": "director",
                    "seconds": s,
                    "loads": 3,
                    "queries": q,
                    "bytes": 2048,
                    "status": status,
                }
                for name, s, q, status in rows
            ],
        }

    small = run(250, [("start page", 0.2, 12, 200), ("plans list", 0.1, 5, 200)])
    large = run(10_000, [("start page", 2.0, 12, 200), ("plans list", 0.15, 40, 500)])
    pages.print_table(small, large, 3, 30.0)
    out = capsys.readouterr().out
    start = next(line for line in out.splitlines() if line.startswith("start page"))
    plans = next(line for line in out.splitlines() if line.startswith("plans list"))
    assert start.split()[3:6] == ["0.200", "2.000", "10.0"]  # 2.0 / 0.2
    assert "SLOW" in start
    assert plans.split()[3:8] == ["0.100", "0.150", "1.5", "5", "40"]
    assert "SLOW" not in plans and "HTTP 500 @large" in plans
