"""Running the account facts on DuckDB in-process: the default engine of kam.

``facts_table`` runs ``kam.facts.definitions.account_facts`` over Parquet files of lines
(the store's, or any) on DuckDB and returns an Arrow table, one row per account;
``facts_rows`` gives the same rows as ``AccountFacts`` dataclasses; ``facts_query`` gives the
query on a DuckDB connection of the caller's (``kam facts`` writes its output from it with
DuckDB alone). The definitions run as the SQL Ibis compiles them to, checked in as
``kam.facts.compiled`` (a test keeps both equal), so this module imports neither Ibis nor
Arrow. DuckDB streams the files: memory stays bounded by ``memory_limit`` (spilling to a
temporary directory when needed), not by the number of lines.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kam.facts.checking import Progress, connect, polling
from kam.facts.definitions import FACT_COLUMNS, YEAR_MONTHS, months_before
from kam.facts.store import TransactionStore
from kam.imports.limits import first_last_day, sql_plausible_lines
from kam.imports.sql import sql_string

if TYPE_CHECKING:  # Arrow is imported by the functions that return Arrow tables
    import pyarrow as pa

#: Weeks ahead that ``predicted_future_value`` covers by default: one year.
PREDICTION_WEEKS = 52
#: The columns of ``facts_table`` with the prediction.
ALL_COLUMNS: tuple[str, ...] = (*FACT_COLUMNS, "predicted_future_value")


@dataclass(frozen=True)
class AccountFacts:
    """The facts of one account at an as-of date (definitions in ``kam.facts.definitions``).

    Money is in the account's ``currency``; ``growth`` and ``share_of_wallet`` are
    fractions (0.1 = 10 %); ``gross_margin_pct`` is a percentage; days are whole days
    except ``mean_days_late`` (an amount-weighted mean). ``None`` = not defined.
    """

    account_external_id: str
    currency: str
    revenue_12m: float
    revenue_prev_12m: float
    growth: float | None
    gross_margin_pct: float | None
    orders: int
    recency_days: int | None
    mean_days_late: float | None
    available_spend: float | None
    share_of_wallet: float | None
    predicted_future_value: float | None = None


def _paths(lines: TransactionStore | str | Path | Sequence[str | Path]) -> list[str]:
    if isinstance(lines, TransactionStore):
        return [str(p) for p in lines.line_files()]
    if isinstance(lines, str | Path):
        return [str(lines)]
    return [str(p) for p in lines]


def _sql_date(day: date) -> str:
    return f"MAKE_DATE({day.year}, {day.month}, {day.day})"


def facts_sql(as_of: date) -> str:
    """The facts at ``as_of`` as DuckDB SQL over the tables or views ``kam_lines`` and
    ``kam_available_spend``: ``kam.facts.compiled.FACTS_SQL`` with its dates filled in."""
    from kam.facts.compiled import FACTS_SQL

    dates = {
        "$two_years_ago": months_before(as_of, 2 * YEAR_MONTHS),
        "$year_ago": months_before(as_of, YEAR_MONTHS),
        "$as_of": as_of,
    }
    sql = FACTS_SQL
    for name, day in dates.items():
        sql = sql.replace(name, _sql_date(day))
    return sql


#: A query with the facts' columns and no rows (the facts of a store without lines).
EMPTY_FACTS_SQL = (
    "SELECT CAST(NULL AS VARCHAR) AS account_external_id, CAST(NULL AS VARCHAR) AS currency, "
    "CAST(NULL AS DOUBLE) AS revenue_12m, CAST(NULL AS DOUBLE) AS revenue_prev_12m, "
    "CAST(NULL AS DOUBLE) AS growth, CAST(NULL AS DOUBLE) AS gross_margin_pct, "
    "CAST(NULL AS BIGINT) AS orders, CAST(NULL AS BIGINT) AS recency_days, "
    "CAST(NULL AS DOUBLE) AS mean_days_late, CAST(NULL AS DOUBLE) AS available_spend, "
    "CAST(NULL AS DOUBLE) AS share_of_wallet WHERE false"
)


def facts_query(
    con: Any,
    *,
    paths: Sequence[str],
    as_of: date,
    available_spend: TransactionStore | Mapping[str, Decimal | float] | None = None,
    accounts: Iterable[str] | None = None,
) -> str:
    """The facts' SQL on the DuckDB connection ``con``, after creating on it the views
    ``kam_lines`` (the lines of ``paths``, Parquet, dated in the plausible years, of
    ``accounts`` only when given) and ``kam_available_spend`` (empty without a spend)."""
    files = "[" + ", ".join(sql_string(p) for p in paths) + "]"
    return facts_query_over(
        con,
        lines_sql=f"SELECT * FROM read_parquet({files})",
        as_of=as_of,
        available_spend=available_spend,
        accounts=accounts,
    )


def facts_query_over(
    con: Any,
    *,
    lines_sql: str,
    as_of: date,
    available_spend: TransactionStore | Mapping[str, Decimal | float] | None = None,
    accounts: Iterable[str] | None = None,
) -> str:
    """``facts_query`` over the lines of the query ``lines_sql`` on ``con`` (the store's
    columns), such as the checked rows of an import not stored (``kam facts``)."""
    # lines stored before dates were checked (year 0, 9999) are left out
    first, last = first_last_day()
    where = f"invoice_date BETWEEN {_sql_date(first)} AND {_sql_date(last)}"
    if accounts is not None:
        import numpy as np

        wanted = sorted({str(a) for a in accounts})
        con.register("kam_wanted", {"account_external_id": np.array(wanted, dtype=object)})
        where += " AND account_external_id IN (SELECT account_external_id FROM kam_wanted)"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW kam_lines AS SELECT * FROM ({lines_sql}) WHERE {where}"
    )
    if isinstance(available_spend, TransactionStore) and available_spend.spend_path.exists():
        con.execute(
            "CREATE OR REPLACE TEMP VIEW kam_available_spend AS SELECT * FROM "
            f"read_parquet({sql_string(str(available_spend.spend_path))})"
        )
    elif isinstance(available_spend, Mapping) and available_spend:
        import numpy as np

        con.register(
            "kam_spend_given",
            {
                "account_external_id": np.array([str(a) for a in available_spend], dtype=object),
                "available_spend": np.array(
                    [float(v) for v in available_spend.values()], dtype=np.float64
                ),
            },
        )
        con.execute(
            "CREATE OR REPLACE TEMP VIEW kam_available_spend AS "
            "SELECT account_external_id, available_spend FROM kam_spend_given"
        )
    else:
        con.execute(
            "CREATE OR REPLACE TEMP VIEW kam_available_spend AS SELECT "
            "CAST(NULL AS VARCHAR) AS account_external_id, "
            "CAST(NULL AS DOUBLE) AS available_spend WHERE false"
        )
    return facts_sql(as_of)


def empty_facts() -> pa.Table:
    """A facts table with no rows (the schema of ``facts_table``)."""
    import pyarrow as pa

    schema = pa.schema(
        [
            ("account_external_id", pa.string()),
            ("currency", pa.string()),
            ("revenue_12m", pa.float64()),
            ("revenue_prev_12m", pa.float64()),
            ("growth", pa.float64()),
            ("gross_margin_pct", pa.float64()),
            ("orders", pa.int64()),
            ("recency_days", pa.int64()),
            ("mean_days_late", pa.float64()),
            ("available_spend", pa.float64()),
            ("share_of_wallet", pa.float64()),
            ("predicted_future_value", pa.float64()),
        ]
    )
    return schema.empty_table()


def facts_table(
    *,
    lines: TransactionStore | str | Path | Sequence[str | Path],
    as_of: date,
    available_spend: TransactionStore | Mapping[str, Decimal | float] | None = None,
    accounts: Iterable[str] | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
    predict: bool = False,
    prediction_weeks: int = PREDICTION_WEEKS,
    annual_discount_rate: float = 0.0,
) -> pa.Table:
    """The facts of every account (or of ``accounts`` only) at ``as_of``, as Arrow.

    ``lines``: a store, or Parquet file(s)/glob(s) with the store's columns.
    ``available_spend``: a store (its available-spend table) or a mapping account → spend.
    ``progress(phase, fraction)`` is called with the phase ``facts`` (and ``prediction``).
    With ``predict``, the column ``predicted_future_value`` is added (see
    ``predict_future_values``; null where the models cannot be fitted).
    """
    import pyarrow as pa

    paths = _paths(lines)
    if not paths:
        return empty_facts() if predict else empty_facts().drop_columns(["predicted_future_value"])
    con = connect(threads=threads, memory_limit=memory_limit)
    try:
        if temp_directory:
            con.execute(f"SET temp_directory = {sql_string(temp_directory)}")
        sql = facts_query(
            con, paths=paths, as_of=as_of, available_spend=available_spend, accounts=accounts
        )
        result: pa.Table = polling(
            con, lambda: con.sql(sql).to_arrow_table(), phase="facts", progress=progress
        )
        schema = empty_facts().schema
        result = result.select(list(FACT_COLUMNS)).cast(
            pa.schema([schema.field(name) for name in FACT_COLUMNS])
        )
    finally:
        con.close()
    if not predict:
        return result
    if progress is not None:
        progress("prediction", 0.0)
    values = predict_future_values(
        lines=paths,
        as_of=as_of,
        horizon_weeks=prediction_weeks,
        annual_discount_rate=annual_discount_rate,
    ).values
    if progress is not None:
        progress("prediction", 1.0)
    column = [values.get(a) for a in result.column("account_external_id").to_pylist()]
    return result.append_column("predicted_future_value", pa.array(column, pa.float64()))


@dataclass(frozen=True)
class FutureValues:
    """The predicted future values and why some are missing.

    ``values``: account → value, in the account's own currency, for the accounts that have
    one. ``spend_models``: how the spend model was fitted, one entry per model: a currency
    (fitted on that currency's accounts alone) or ``"base"`` (on amounts converted at the
    exchange rates given). ``missing``: (currency or None for every account, reason) per
    model that could not be fitted; the reason is English, marked for translation."""

    values: dict[str, float]
    spend_models: tuple[str, ...] = ()
    missing: tuple[tuple[str | None, str], ...] = ()


def predict_future_values(
    *,
    lines: TransactionStore | str | Path | Sequence[str | Path],
    as_of: date,
    horizon_weeks: int = PREDICTION_WEEKS,
    annual_discount_rate: float = 0.0,
    rates: Mapping[str, float] | None = None,
) -> FutureValues:
    """Each account's predicted future value: the revenue expected over the
    ``horizon_weeks`` after ``as_of`` (docs/method.md section 6), discounted at
    ``annual_discount_rate``, in the account's own currency.

    The purchase model (BG/NBD) is fitted once on every account's purchase history up to
    ``as_of``: it counts purchase days and does not look at amounts (all lines of an account
    on one day are one purchase, a day of credits only is none; see
    ``kam.facts.clv.summary_sql``). Accounts whose first purchase is after ``as_of`` are left
    out. The spend model (Gamma-Gamma) compares amounts, so it is fitted **per currency**, on
    the accounts of that currency alone: 100 yen and 100 euro are not the same spend. With
    ``rates`` (currency → value of one unit in the base currency, as the organisation keeps
    them), the amounts of the currencies with a rate are converted to the base currency and
    share one spend model, and each value is converted back; a currency without a rate gets
    its own. When the purchase model cannot be fitted no account has a value; when a spend
    model cannot, the accounts of its currency have none; ``missing`` says why."""
    # the models need SciPy, which the facts alone do not (``kam facts --no-predict``)
    import numpy as np

    from kam.core.clv import ClvFitError, PurchaseSummary, bgnbd_fit, clv_predict, spend_fit
    from kam.facts.clv import summary_of_relation

    paths = _paths(lines)
    if not paths:
        return FutureValues({})
    files = "[" + ", ".join(sql_string(p) for p in paths) + "]"
    converted = {c: float(r) for c, r in (rates or {}).items() if float(r) > 0}
    factor = (
        "CASE currency "
        + " ".join(f"WHEN {sql_string(c)} THEN {r!r}" for c, r in converted.items())
        + " ELSE 1.0 END"
        if converted
        else "1.0"
    )
    relation = (
        "SELECT account_external_id AS account, invoice_date AS day, "
        f"CAST(amount AS DOUBLE) * {factor} AS amount "
        f"FROM {sql_plausible_lines(f'read_parquet({files})')}"
    )
    con = connect()
    try:
        try:
            summary, _later = summary_of_relation(relation, calibration_end=as_of, connection=con)
        except ClvFitError as exc:
            return FutureValues({}, missing=((None, exc.message),))
        currency_of: dict[str, str] = dict(
            con.execute(
                "SELECT account_external_id, any_value(currency) "
                f"FROM read_parquet({files}) GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
    if len(summary.accounts) == 0:
        return FutureValues({})
    try:
        bgnbd = bgnbd_fit(
            frequency=summary.frequency,
            recency_weeks=summary.recency_weeks,
            age_weeks=summary.age_weeks,
        )
    except ClvFitError as exc:
        return FutureValues({}, missing=((None, exc.message),))
    # one spend model per currency, or one for the currencies with an exchange rate
    groups: dict[str, list[int]] = {}
    for i, account in enumerate(summary.accounts):
        currency = currency_of.get(account, "")
        groups.setdefault("base" if currency in converted else currency, []).append(i)
    values: dict[str, float] = {}
    models: list[str] = []
    missing: list[tuple[str | None, str]] = []
    for group in sorted(groups):
        rows = np.asarray(groups[group], dtype=np.intp)
        part = PurchaseSummary.of(
            accounts=[summary.accounts[i] for i in rows],
            frequency=summary.frequency[rows],
            recency_weeks=summary.recency_weeks[rows],
            age_weeks=summary.age_weeks[rows],
            spend_count=summary.spend_count[rows],
            mean_spend=summary.mean_spend[rows],
        )
        try:
            spend = spend_fit(part)
        except ClvFitError as exc:
            missing.append((group, exc.message))
            continue
        models.append(group)
        prediction = clv_predict(
            bgnbd,
            spend,
            part,
            horizon_weeks=horizon_weeks,
            annual_discount_rate=annual_discount_rate,
        )
        for account, value in zip(prediction.accounts, prediction.expected_value, strict=True):
            if math.isfinite(float(value)):
                rate = converted.get(currency_of.get(account, ""), 1.0)
                values[account] = float(value) / rate
    return FutureValues(values, tuple(models), tuple(missing))


def predicted_future_values(
    *,
    lines: TransactionStore | str | Path | Sequence[str | Path],
    as_of: date,
    horizon_weeks: int = PREDICTION_WEEKS,
    annual_discount_rate: float = 0.0,
    rates: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Account → predicted future value (``predict_future_values``, whose docstring says how
    the models are fitted). Raises ``kam.core.clv.ClvFitError`` when the history cannot
    identify the purchase model (too few accounts or repeat purchases); accounts of a
    currency whose spend model cannot be fitted are left out."""
    from kam.core.clv import ClvFitError

    result = predict_future_values(
        lines=lines,
        as_of=as_of,
        horizon_weeks=horizon_weeks,
        annual_discount_rate=annual_discount_rate,
        rates=rates,
    )
    for currency, reason in result.missing:
        if currency is None:
            raise ClvFitError(reason)
    return result.values


def _none_if_nan(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def rows_of(table: pa.Table) -> list[AccountFacts]:
    """A facts table's rows as ``AccountFacts``."""
    return [
        AccountFacts(**{k: _none_if_nan(v) for k, v in row.items()}) for row in table.to_pylist()
    ]


def facts_rows(
    *,
    lines: TransactionStore | str | Path | Sequence[str | Path],
    as_of: date,
    available_spend: TransactionStore | Mapping[str, Decimal | float] | None = None,
    accounts: Iterable[str] | None = None,
    progress: Progress | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
    predict: bool = False,
    prediction_weeks: int = PREDICTION_WEEKS,
    annual_discount_rate: float = 0.0,
) -> list[AccountFacts]:
    """``facts_table(...)``'s rows as ``AccountFacts``, ordered by account; fetched from
    DuckDB as Python values (no Arrow: the web import's job needs none)."""
    paths = _paths(lines)
    if not paths:
        return []
    con = connect(threads=threads, memory_limit=memory_limit)
    try:
        if temp_directory:
            con.execute(f"SET temp_directory = {sql_string(temp_directory)}")
        sql = facts_query(
            con, paths=paths, as_of=as_of, available_spend=available_spend, accounts=accounts
        )
        rows = _fetched(con, sql, progress)
    finally:
        con.close()
    values: dict[str, float] = {}
    if predict:
        if progress is not None:
            progress("prediction", 0.0)
        values = predict_future_values(
            lines=paths,
            as_of=as_of,
            horizon_weeks=prediction_weeks,
            annual_discount_rate=annual_discount_rate,
        ).values
        if progress is not None:
            progress("prediction", 1.0)
    if not predict:
        return [AccountFacts(*row) for row in rows]
    # each row holds every field but the prediction, in order
    return [
        AccountFacts(*row, predicted_future_value=values.get(row[0]))  # type: ignore[misc]
        for row in rows
    ]


def _fetched(con: Any, sql: str, progress: Progress | None) -> list[tuple[Any, ...]]:
    """The rows of the facts' query ``sql`` on ``con``, ordered by account, as Python
    values: a NaN becomes None in SQL rather than value by value in Python (100,000
    accounts are 1.1 million values)."""
    # the compiled query selects ``FACT_COLUMNS`` in that order (test_compiled.py)
    doubles = [
        name
        for name, kind, *_rest in con.execute(f"DESCRIBE {sql}").fetchall()
        if str(kind).upper() in ("DOUBLE", "FLOAT")
    ]
    without_nan = ", ".join(f"CASE WHEN isnan({n}) THEN NULL ELSE {n} END AS {n}" for n in doubles)
    if doubles:
        sql = f"SELECT * REPLACE ({without_nan}) FROM ({sql}) ORDER BY account_external_id"
    rows: list[tuple[Any, ...]] = polling(
        con, lambda: con.execute(sql).fetchall(), phase="facts", progress=progress
    )
    return rows


def facts_rows_over(
    con: Any,
    *,
    lines_sql: str,
    as_of: date,
    available_spend: TransactionStore | Mapping[str, Decimal | float] | None = None,
    progress: Progress | None = None,
) -> list[AccountFacts]:
    """``facts_rows`` (without prediction) over the lines of the query ``lines_sql`` on the
    caller's DuckDB connection ``con``."""
    sql = facts_query_over(con, lines_sql=lines_sql, as_of=as_of, available_spend=available_spend)
    return [AccountFacts(*row) for row in _fetched(con, sql, progress)]


class FactsAfterImport:
    """``TransactionStore.lines_import``'s ``on_stored``: the store's facts at ``as_of``
    once the file is stored, without prediction, in ``rows`` (None until then: a file
    already stored, or refused). They are ``store_facts(store, as_of=as_of,
    predict=False)``, computed in the import's connection from the rows it has just
    checked and the other sources' files, so the import job does not read back the file
    just written in a second connection."""

    def __init__(
        self, store: TransactionStore, *, as_of: date, progress: Progress | None = None
    ) -> None:
        self.store, self.as_of, self.progress = store, as_of, progress
        self.rows: list[AccountFacts] | None = None

    def __call__(self, con: Any, lines_sql: str) -> None:
        self.rows = facts_rows_over(
            con,
            lines_sql=lines_sql,
            as_of=self.as_of,
            available_spend=self.store,
            progress=self.progress,
        )


def store_facts(
    store: TransactionStore,
    *,
    as_of: date,
    accounts: Iterable[str] | None = None,
    progress: Progress | None = None,
    predict: bool = True,
) -> list[AccountFacts]:
    """The facts of the store's accounts at ``as_of``, with its available spend and, with
    ``predict``, the predicted future value of the next ``PREDICTION_WEEKS`` weeks."""
    return facts_rows(
        lines=store,
        as_of=as_of,
        available_spend=store,
        accounts=accounts,
        progress=progress,
        predict=predict,
    )
