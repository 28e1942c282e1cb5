"""Benchmark: the account facts on DuckDB (kam's engine) against plain pandas.

Generates a synthetic invoice table (100,000 accounts; 10 million and 50 million lines by
default) once, with DuckDB itself, as Parquet with the store's columns in a cache directory
(``$KAM_BENCH_CACHE``, default ``/tmp/kam-bench-facts``), then times the same facts two ways,
each in a child process of its own so that its peak memory can be read:

- **duckdb**: ``kam.facts.compute.facts_table`` (the SQL compiled from the Ibis
  definitions, on DuckDB) with ``threads`` and ``memory_limit`` set;
- **pandas**: a plain pandas implementation of the same definitions (read the Parquet
  file, group by account).

For each size it prints the seconds of each side (the computation only, measured inside
the child, after its imports), their ratio, each child's peak resident memory (from
``os.wait4``'s rusage), and whether both gave the same facts (same accounts, same counts,
money and ratios to 1e-9 relative).

Then, **end to end**, on the same lines written as a CSV file (what a user hands in), the
wall time of a whole process from start to exit, each against **plain DuckDB SQL** (a
Python process that imports only DuckDB, reads the same CSV file with ``read_csv`` and
computes the same facts in one query, written as CSV):

- ``kam facts --transactions FILE.csv --no-predict`` (every value checked, the CSV output
  written; the prediction is left out because plain SQL has no model to fit);
- the web import's work on the file: ``TransactionStore.lines_import`` with
  ``FactsAfterImport`` (what the import job runs): the file checked and stored, and the
  store's facts without prediction, which ``facts_compute`` then stores per account.

It prints each time, its ratio to the plain SQL, and whether ``kam facts`` gave the same
facts as the plain SQL.

    .venv/bin/python bench/facts.py                  # 10M and 50M lines
    .venv/bin/python bench/facts.py --sizes 10000000 # one size
    .venv/bin/python bench/facts.py --quick          # a smoke run on 20,000 lines
    .venv/bin/python bench/facts.py --pandas-max 10000000  # pandas only up to 10M lines
    .venv/bin/python bench/facts.py --sizes 1000000 --no-end-to-end  # computation only
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AS_OF = date(2026, 6, 30)
FACTS = (
    "account_external_id",
    "currency",
    "revenue_12m",
    "revenue_prev_12m",
    "growth",
    "gross_margin_pct",
    "orders",
    "recency_days",
    "mean_days_late",
)


def generate(path: Path, *, lines: int, accounts: int) -> None:
    """Write ``lines`` synthetic invoice lines over ``accounts`` accounts to ``path``.

    Four lines an invoice; invoices spread over the three years before ``AS_OF`` and a
    little after it; one invoice in ten without an id; one line in fifty a credit; due 30
    days after the invoice, paid from 5 days early to 15 late, one in twenty unpaid.
    Deterministic arithmetic on the line number, so every run writes the same file.
    """
    import duckdb

    con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
    tmp = path.with_suffix(".tmp")
    con.execute(
        f"""
        COPY (
          WITH l AS (SELECT i, i // 4 AS inv FROM range({lines}) t(i)),
          v AS (
            SELECT i, inv,
              'ACC' || lpad(CAST((inv * 2654435761) % {accounts} AS VARCHAR), 6, '0')
                AS account_external_id,
              CASE WHEN inv % 10 = 0 THEN NULL ELSE 'INV' || CAST(inv AS VARCHAR) END
                AS invoice_id,
              DATE '{AS_OF.isoformat()}' - CAST((inv * 7919) % 1125 AS INTEGER) + 15
                AS invoice_date,
              CAST(((i * 37) % 100000) / 100.0 + 1 AS DECIMAL(18,4))
                * CASE WHEN i % 50 = 0 THEN -1 ELSE 1 END AS amount
            FROM l)
          SELECT account_external_id, invoice_id, invoice_date,
            CAST(NULL AS VARCHAR) AS product, CAST(NULL AS VARCHAR) AS category,
            CAST(1 + i % 5 AS DOUBLE) AS quantity, amount,
            CAST(amount * (0.5 + (i % 30) / 100.0) AS DECIMAL(18,4)) AS cost,
            invoice_date + 30 AS due_date,
            CASE WHEN inv % 20 = 0 THEN NULL
                 ELSE invoice_date + 30 + CAST(inv % 21 AS INTEGER) - 5 END AS paid_date,
            'EUR' AS currency
          FROM v)
        TO '{tmp}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)
        """
    )
    con.close()
    os.replace(tmp, path)


# --- the two sides, each run in a child process ---------------------------------------------


def run_duckdb(path: Path, out: Path, threads: int, memory_limit: str) -> float:
    from kam.facts.compute import facts_table

    with tempfile.TemporaryDirectory() as spill:
        start = time.perf_counter()
        table = facts_table(
            lines=path,
            as_of=AS_OF,
            threads=threads,
            memory_limit=memory_limit,
            temp_directory=spill,
        )
        seconds = time.perf_counter() - start
    import pyarrow.parquet as pq

    pq.write_table(table.select(list(FACTS)), out)
    return seconds


def run_import(path: Path, threads: int, memory_limit: str) -> float:
    """Import the file into a throw-away store (every value checked, then stored)."""
    from kam.facts.store import TransactionStore

    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        report = TransactionStore(root).lines_import(
            path=path, threads=threads, memory_limit=memory_limit
        )
        seconds = time.perf_counter() - start
    assert report.imported and report.rows_bad == 0
    return seconds


def run_pandas(path: Path, out: Path) -> float:
    """The same definitions (``kam.facts.definitions``) in plain pandas."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    start = time.perf_counter()
    table = pq.read_table(
        path,
        columns=[
            "account_external_id",
            "invoice_id",
            "invoice_date",
            "amount",
            "cost",
            "due_date",
            "paid_date",
            "currency",
        ],
    )
    for name in ("amount", "cost"):
        table = table.set_column(
            table.schema.get_field_index(name), name, table.column(name).cast(pa.float64())
        )
    df = table.to_pandas()
    del table
    d = pd.Timestamp(AS_OF)
    year_ago = pd.Timestamp(AS_OF - timedelta(days=365))
    two_years_ago = pd.Timestamp(AS_OF - timedelta(days=730))
    for name in ("invoice_date", "due_date", "paid_date"):
        df[name] = pd.to_datetime(df[name])
    df = df[df["invoice_date"] <= d]
    account = df["account_external_id"]
    in_year = df["invoice_date"] > year_ago
    in_prev = (df["invoice_date"] > two_years_ago) & ~in_year
    groups = account.groupby(account, sort=True)
    result = pd.DataFrame(index=groups.size().index)
    result["currency"] = df["currency"].groupby(account).max()
    revenue = df["amount"].where(in_year, 0.0).groupby(account).sum()
    previous = df["amount"].where(in_prev, 0.0).groupby(account).sum()
    cost = df["cost"].where(in_year, 0.0).groupby(account).sum()
    result["revenue_12m"] = revenue
    result["revenue_prev_12m"] = previous
    result["growth"] = np.where(previous != 0, revenue / previous.where(previous != 0) - 1, np.nan)
    lines_12m = in_year.groupby(account).sum()
    costless = (in_year & df["cost"].isna()).groupby(account).sum()
    known = (revenue != 0) & (costless == 0) & (lines_12m > 0)
    result["gross_margin_pct"] = np.where(
        known, 100.0 * (revenue - cost) / revenue.where(revenue != 0), np.nan
    )
    year = df[in_year]
    with_id = year[year["invoice_id"].notna()]
    without_id = year[year["invoice_id"].isna()]
    orders = with_id.groupby("account_external_id")["invoice_id"].nunique().reindex(
        result.index, fill_value=0
    ) + without_id.groupby("account_external_id")["invoice_date"].nunique().reindex(
        result.index, fill_value=0
    )
    result["orders"] = orders.astype("int64")
    last = df[df["amount"] > 0].groupby("account_external_id")["invoice_date"].max()
    result["recency_days"] = (d - last.reindex(result.index)).dt.days.astype("Int64")
    due = df[
        df["due_date"].notna()
        & (df["due_date"] > year_ago)
        & (df["due_date"] <= d)
        & (df["amount"] > 0)
    ]
    settled = due["paid_date"].fillna(d).clip(upper=d)
    late = (settled - due["due_date"]).dt.days.clip(lower=0).astype("float64")
    weighted = (late * due["amount"]).groupby(due["account_external_id"]).sum()
    weight = due["amount"].groupby(due["account_external_id"]).sum()
    result["mean_days_late"] = (weighted / weight.where(weight > 0)).reindex(result.index)
    seconds = time.perf_counter() - start
    result.index.name = "account_external_id"
    pq.write_table(
        pa.Table.from_pandas(result.reset_index()[list(FACTS)], preserve_index=False), out
    )
    return seconds


def plain_sql(source: str, *, as_of: date, year_ago: date, two_years_ago: date) -> str:
    """The facts of ``kam.facts.definitions`` (without available spend) in plain DuckDB SQL
    over ``source`` (``read_csv(...)`` or ``read_parquet(...)``), ordered by account."""
    d, y, y2 = (f"DATE '{x.isoformat()}'" for x in (as_of, year_ago, two_years_ago))
    due = f"due_date > {y} AND due_date <= {d} AND amount > 0"
    return f"""
    WITH t AS (SELECT * FROM {source} WHERE invoice_date <= {d}),
    a AS (
      SELECT account_external_id, max(currency) AS currency,
        coalesce(sum(amount) FILTER (WHERE invoice_date > {y}), 0)::DOUBLE AS rev,
        coalesce(sum(amount) FILTER (WHERE invoice_date > {y2} AND invoice_date <= {y}), 0)
          ::DOUBLE AS prev,
        sum(cost) FILTER (WHERE invoice_date > {y})::DOUBLE AS cost,
        count(*) FILTER (WHERE invoice_date > {y}) AS n12,
        count(*) FILTER (WHERE invoice_date > {y} AND cost IS NULL) AS costless,
        max(invoice_date) FILTER (WHERE amount >= 0) AS last,
        sum(greatest(date_diff('day', due_date, least(coalesce(paid_date, {d}), {d})), 0)
          * amount::DOUBLE) FILTER (WHERE {due}) AS late_weighted,
        sum(amount::DOUBLE) FILTER (WHERE {due}) AS late_weight
      FROM t GROUP BY 1),
    o AS (
      SELECT account_external_id, count(*) AS orders FROM (
        SELECT DISTINCT account_external_id, invoice_id,
          CASE WHEN invoice_id IS NULL THEN invoice_date END
        FROM t WHERE invoice_date > {y} AND amount >= 0) GROUP BY 1)
    SELECT a.account_external_id, currency, rev AS revenue_12m, prev AS revenue_prev_12m,
      CASE WHEN prev <> 0 THEN rev / prev - 1 END AS growth,
      CASE WHEN rev <> 0 AND costless = 0 AND n12 > 0 THEN 100 * (rev - cost) / rev END
        AS gross_margin_pct,
      coalesce(orders, 0) AS orders, date_diff('day', last, {d}) AS recency_days,
      CASE WHEN late_weight > 0 THEN late_weighted / late_weight END AS mean_days_late
    FROM a LEFT JOIN o USING (account_external_id) ORDER BY 1
    """


def run_sql(path: Path, out: Path, threads: int, memory_limit: str, windows: str) -> float:
    """Plain DuckDB SQL: read the file and compute the facts in one query, written as CSV."""
    import duckdb

    year_ago, two_years_ago = (date.fromisoformat(w) for w in windows.split(","))
    source = f"read_parquet('{path}')" if path.suffix == ".parquet" else f"read_csv('{path}')"
    con = duckdb.connect(config={"threads": threads, "memory_limit": memory_limit})
    start = time.perf_counter()
    sql = plain_sql(source, as_of=AS_OF, year_ago=year_ago, two_years_ago=two_years_ago)
    con.execute(f"COPY ({sql}) TO '{out}' (HEADER)")
    return time.perf_counter() - start


def run_web(path: Path, threads: int, memory_limit: str) -> float:
    """The web import's work on the file, as its job runs it: import into a store and the
    store's facts after it (``lines_import`` with ``FactsAfterImport``)."""
    from kam.facts.compute import FactsAfterImport
    from kam.facts.store import TransactionStore

    with tempfile.TemporaryDirectory() as root:
        start = time.perf_counter()
        store = TransactionStore(root)
        after = FactsAfterImport(store, as_of=AS_OF)
        report = store.lines_import(
            path=path, threads=threads, memory_limit=memory_limit, on_stored=after
        )
        rows = after.rows
        seconds = time.perf_counter() - start
    assert report.imported and report.rows_bad == 0 and rows
    return seconds


def wall(command: list[str]) -> tuple[float, float]:
    """The wall time of a whole process, from its start to its exit (imports included), and
    the CPU time it used (user and system, all its threads; less moved by other load)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[1:3]} failed with status {status}")
    return seconds, usage.ru_utime + usage.ru_stime


def same_csv_facts(a: Path, b: Path) -> tuple[bool, str]:
    """``same_facts`` for two CSV files of facts."""
    import duckdb
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as scratch:
        converted = []
        for name, path in (("a", a), ("b", b)):
            target = Path(scratch) / f"{name}.parquet"
            table = duckdb.sql(
                f"SELECT {', '.join(FACTS)} FROM read_csv('{path}') ORDER BY account_external_id"
            ).to_arrow_table()
            pq.write_table(table, target)
            converted.append(target)
        return same_facts(*converted)


def csv_of(parquet: Path) -> Path:
    """The lines of ``parquet`` as a CSV file beside it (written once)."""
    text = parquet.with_suffix(".csv")
    if not text.exists():
        import duckdb

        con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
        con.execute(f"COPY (SELECT * FROM read_parquet('{parquet}')) TO '{text}.tmp' (HEADER)")
        con.close()
        os.replace(f"{text}.tmp", text)
    return text


def end_to_end(path: Path, threads: int, memory_limit: str, repeat: int) -> None:
    """Time ``kam facts`` and the web import's work against plain SQL on the CSV of
    ``path``; the median of ``repeat`` runs of each, run in turns."""
    from statistics import median

    from kam.facts.definitions import YEAR_MONTHS, months_before

    text = csv_of(path)
    windows = (
        f"{months_before(AS_OF, YEAR_MONTHS).isoformat()},"
        f"{months_before(AS_OF, 2 * YEAR_MONTHS).isoformat()}"
    )
    kam = str(Path(sys.executable).with_name("kam"))
    with tempfile.TemporaryDirectory() as scratch:
        sql_out, kam_out = Path(scratch) / "sql.csv", Path(scratch) / "kam.csv"
        base = [sys.executable, __file__, "--threads", str(threads)]
        base += ["--memory-limit", memory_limit, "--file", str(text)]
        sql_cmd = [*base, "--child", "sql", "--out", str(sql_out), "--windows", windows]
        web_cmd = [*base, "--child", "web", "--out", str(kam_out)]
        kam_cmd = [kam, "facts", "--transactions", str(text), "--as-of", AS_OF.isoformat()]
        kam_cmd += ["--no-predict", "--memory-limit", memory_limit, "--output", str(kam_out)]
        times: dict[str, list[tuple[float, float]]] = {"sql": [], "kam": [], "web": []}
        for _ in range(repeat):
            times["sql"].append(wall(sql_cmd))
            times["kam"].append(wall(kam_cmd))
            same, detail = same_csv_facts(kam_out, sql_out)
            times["web"].append(wall(web_cmd))
    sql_s, kam_s, web_s = (median(t[0] for t in times[k]) for k in ("sql", "kam", "web"))
    sql_c, kam_c, web_c = (median(t[1] for t in times[k]) for k in ("sql", "kam", "web"))
    lines = int(path.stem.split("-")[1])
    print(
        f"{lines:>12,} {'wall':>5} {sql_s:>11.2f} {kam_s:>12.2f} {kam_s / sql_s:>6.2f} "
        f"{web_s:>12.2f} {web_s / sql_s:>6.2f}  {'yes' if same else 'NO'} ({detail})\n"
        f"{'':>12} {'cpu':>5} {sql_c:>11.2f} {kam_c:>12.2f} {kam_c / sql_c:>6.2f} "
        f"{web_c:>12.2f} {web_c / sql_c:>6.2f}",
        flush=True,
    )


# --- the parent: generate, run the children, compare ----------------------------------------


def child(side: str, path: Path, out: Path, threads: int, memory_limit: str) -> tuple[float, int]:
    """Run one side in a child process; its seconds and peak resident memory (bytes)."""
    command = [
        sys.executable,
        __file__,
        "--child",
        side,
        "--file",
        str(path),
        "--out",
        str(out),
        "--threads",
        str(threads),
        "--memory-limit",
        memory_limit,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"the {side} child failed with status {process.returncode}")
    return float(output.strip().splitlines()[-1]), usage.ru_maxrss * 1024


def same_facts(a: Path, b: Path) -> tuple[bool, str]:
    """Whether two fact files agree: same accounts, counts equal, numbers to 1e-9."""
    import pyarrow.parquet as pq

    left = pq.read_table(a).to_pylist()
    right = pq.read_table(b).to_pylist()
    if len(left) != len(right):
        return False, f"{len(left)} against {len(right)} accounts"
    for x, y in zip(left, right, strict=True):
        for key in FACTS:
            u, v = x[key], y[key]
            u = None if isinstance(u, float) and math.isnan(u) else u
            v = None if isinstance(v, float) and math.isnan(v) else v
            if isinstance(u, float) and isinstance(v, float):
                if not math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-6):
                    return False, f"{x['account_external_id']} {key}: {u} against {v}"
            elif u != v:
                return False, f"{x['account_external_id']} {key}: {u} against {v}"
    return True, f"{len(left)} accounts"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000_000, 50_000_000])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="20,000 lines, 1,000 accounts")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default="600MB", help="DuckDB's memory limit")
    parser.add_argument(
        "--pandas-max", type=int, default=None, help="run pandas only up to this many lines"
    )
    parser.add_argument("--cache", default=os.environ.get("KAM_BENCH_CACHE"))
    parser.add_argument(
        "--import",
        dest="imports",
        action="store_true",
        help="also time importing each file (Parquet, and the same lines as CSV)",
    )
    parser.add_argument(
        "--end-to-end",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time kam facts and the web import on the CSV against plain DuckDB SQL",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="end-to-end runs of each side (the median)"
    )
    parser.add_argument(
        "--child", choices=("duckdb", "pandas", "import", "sql", "web"), help=argparse.SUPPRESS
    )
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--windows", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        if args.child == "duckdb":
            seconds = run_duckdb(Path(args.file), Path(args.out), args.threads, args.memory_limit)
        elif args.child == "import":
            seconds = run_import(Path(args.file), args.threads, args.memory_limit)
        elif args.child == "sql":
            seconds = run_sql(
                Path(args.file), Path(args.out), args.threads, args.memory_limit, args.windows
            )
        elif args.child == "web":
            seconds = run_web(Path(args.file), args.threads, args.memory_limit)
        else:
            seconds = run_pandas(Path(args.file), Path(args.out))
        print(f"{seconds:.6f}")
        return 0

    sizes, accounts = (args.sizes, args.accounts) if not args.quick else ([20_000], 1_000)
    cache = Path(args.cache or Path(tempfile.gettempdir()) / "kam-bench-facts")
    cache.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(
        f"facts at {AS_OF} on {os.cpu_count()} cores, DuckDB threads={args.threads} "
        f"memory_limit={args.memory_limit}; load average at start "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    header = (
        f"{'lines':>12} {'accounts':>9} {'duckdb s':>9} {'pandas s':>9} {'ratio':>6} "
        f"{'duckdb MB':>10} {'pandas MB':>10}  same facts"
    )
    print(header)
    for n in sizes:
        path = cache / f"lines-{n}-{accounts}.parquet"
        if not path.exists():
            start = time.perf_counter()
            generate(path, lines=n, accounts=accounts)
            print(
                f"  (generated {n:,} lines in {time.perf_counter() - start:.1f} s, "
                f"{path.stat().st_size / 1e6:.0f} MB)",
                flush=True,
            )
        with tempfile.TemporaryDirectory() as scratch:
            duck_out = Path(scratch) / "duckdb.parquet"
            pandas_out = Path(scratch) / "pandas.parquet"
            duck_s, duck_rss = child("duckdb", path, duck_out, args.threads, args.memory_limit)
            if args.pandas_max is not None and n > args.pandas_max:
                print(
                    f"{n:>12,} {accounts:>9,} {duck_s:>9.2f} {'-':>9} {'-':>6} "
                    f"{duck_rss / 1e6:>10.0f} {'-':>10}  pandas not run (over --pandas-max)",
                    flush=True,
                )
                continue
            pandas_s, pandas_rss = child("pandas", path, pandas_out, args.threads, "")
            same, detail = same_facts(duck_out, pandas_out)
            print(
                f"{n:>12,} {accounts:>9,} {duck_s:>9.2f} {pandas_s:>9.2f} "
                f"{pandas_s / duck_s:>6.1f} {duck_rss / 1e6:>10.0f} {pandas_rss / 1e6:>10.0f}  "
                f"{'yes' if same else 'NO'} ({detail})",
                flush=True,
            )
    if args.end_to_end:
        print(
            "end to end on the same lines as CSV, whole processes (median of "
            f"{args.repeat}), against plain DuckDB SQL reading the CSV:"
        )
        print(
            f"{'lines':>12} {'':>5} {'plain SQL s':>11} {'kam facts s':>12} {'ratio':>6} "
            f"{'web import s':>12} {'ratio':>6}  same facts (kam facts, plain SQL)"
        )
        for n in sizes:
            end_to_end(
                cache / f"lines-{n}-{accounts}.parquet",
                args.threads,
                args.memory_limit,
                args.repeat,
            )
    if args.imports:
        print(f"{'import of':>12} {'format':>9} {'seconds':>9} {'peak MB':>10}")
        for n in sizes:
            parquet = cache / f"lines-{n}-{accounts}.parquet"
            text = csv_of(parquet)
            for fmt, path in (("parquet", parquet), ("csv", text)):
                seconds, rss = child("import", path, path, args.threads, args.memory_limit)
                print(f"{n:>12,} {fmt:>9} {seconds:>9.2f} {rss / 1e6:>10.0f}", flush=True)
    load = os.getloadavg()
    print(f"load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
