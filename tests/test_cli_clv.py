"""``kam clv``: a transactions file in, fitted models and each account's predicted purchases
and value out (docs/economics.md)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

from kam.cli import main
from kam.facts.clv import (
    clv_from_lines,
    clv_from_transactions,
    purchase_summary,
    transaction_problems,
)
from tests.core.test_clv import lifetimes_dataset

SMALL = (
    "account,date,amount,invoice\n"
    "A,2024-01-05,100,1\n"
    "A,2024-01-05,50,2\n"  # same day: one purchase of 150
    "A,2024-01-09 10:00:00,50,3\n"  # the time is ignored
    "B,2024-02-01,10,4\n"
    "B,2024-03-01,-20,5\n"  # a credit note: no purchase, no spend
    "C,2024-01-01,5,6\n"
    "C,2024-01-20,8,7\n"
    "C,2024-04-20,3,8\n"
    "\n"
    "D,2024-05-01,30,9\n"
    "C,2024-07-15,99,10\n"  # after the calibration end: ignored
    "E,2024-09-01,30,11\n"  # first bought after the calibration end: left out
)


def write(tmp_path: Path, text: str, name: str = "transactions.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_summary_of_a_small_file_by_hand(tmp_path: Path) -> None:
    # calibration end 2024-06-30:
    # A: days 01-05 (150), 01-09 (50): x = 1, t_x = 4/7, T = 177/7, repeat spend 50
    # B: day 02-01 and a credit note on 03-01 (−20), which is no purchase: x = 0, t_x = 0,
    #    T = 150/7 (2024 is a leap year: 29 + 121 days)
    # C: days 01-01, 01-20 (8), 04-20 (3): x = 2, t_x = 110/7, T = 181/7, mean spend 5.5
    # D: day 05-01: x = 0, t_x = 0, T = 60/7
    checked = transaction_problems(Path(write(tmp_path, SMALL)))
    summary, later = purchase_summary(checked, calibration_end=dt.date(2024, 6, 30))
    assert summary.accounts == ("A", "B", "C", "D")
    assert later == 1
    assert list(summary.frequency) == [1, 0, 2, 0]
    assert summary.recency_weeks == pytest.approx([4 / 7, 0, 110 / 7, 0])
    assert summary.age_weeks == pytest.approx([177 / 7, 150 / 7, 181 / 7, 60 / 7])
    assert list(summary.spend_count) == [1, 0, 2, 0]
    assert summary.mean_spend == pytest.approx([50, 0, 5.5, 0])


def simulate(path: Path, *, customers: int, seed: int) -> tuple[dt.date, int]:
    """Transactions drawn from the BG/NBD and Gamma-Gamma processes themselves (r = 0.5,
    α = 6, a = 0.8, b = 3; p = 5, q = 4, γ = 20): first purchases in the first 12 weeks of
    2023, 78 weeks in all. Returns the calibration end (week 52) and the repeat purchase days
    the calibration cohort made in the 26 weeks after it."""
    rng = np.random.default_rng(seed)
    start, end = dt.date(2023, 1, 1), dt.date(2023, 1, 1) + dt.timedelta(weeks=52)
    holdout: set[tuple[int, dt.date]] = set()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account", "date", "amount"])
        for customer in range(customers):
            rate = rng.gamma(0.5, 1 / 6)
            dropout = rng.beta(0.8, 3)
            nu = rng.gamma(4, 1 / 20)
            week, first = rng.uniform(0, 12), True
            while week < 78:
                day = start + dt.timedelta(days=int(week * 7))
                writer.writerow(
                    [f"c{customer:04d}", day.isoformat(), f"{rng.gamma(5, 1 / nu):.2f}"]
                )
                if day > end:
                    holdout.add((customer, day))
                # the drop-out chance follows every repeat purchase, not the first one
                if not first and rng.uniform() < dropout:
                    break
                first = False
                week += rng.exponential(1 / rate)
    return end, len(holdout)


def run_json(path: str, end: str, weeks: int, capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    status = main(
        [
            "clv",
            "--transactions",
            path,
            "--calibration-end",
            end,
            "--horizon-weeks",
            str(weeks),
            "--format",
            "json",
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return json.loads(captured.out)  # type: ignore[no-any-return]


def test_end_to_end_on_simulated_transactions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "simulated.csv"
    end, actual = simulate(path, customers=1500, seed=7)
    out = run_json(str(path), end.isoformat(), 26, capsys)
    assert list(out) == ["bgnbd", "gamma_gamma", "value_missing", "accounts"]
    assert out["value_missing"] == []
    assert list(out["bgnbd"]) == ["r", "alpha", "a", "b", "log_likelihood"]
    assert list(out["gamma_gamma"]) == ["p", "q", "gamma"]
    assert all(
        list(a) == ["account", "expected_purchases", "expected_value"] for a in out["accounts"]
    )
    assert len(out["accounts"]) == 1500
    # the model knows nothing of the 26 weeks after the calibration end, yet its forecast of
    # the cohort's purchases in them lands within 5 % of what the simulation drew (seed 7:
    # 1,153 predicted, 1,159 drawn)
    predicted = sum(a["expected_purchases"] for a in out["accounts"])
    assert predicted == pytest.approx(actual, rel=0.05)
    # and the parameters come back near those simulated (r 0.48, α 5.5, a 0.71, b 2.6)
    bg = out["bgnbd"]
    assert 0.4 < bg["r"] < 0.6 and 4 < bg["alpha"] < 8
    assert 0.5 < bg["a"] < 1.1 and 2 < bg["b"] < 4.5
    assert all(a["expected_purchases"] >= 0 and a["expected_value"] >= 0 for a in out["accounts"])


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CDNOW_sample.txt in kam's format: account,date,quantity,amount."""
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account", "date", "quantity", "amount"])
        for line in lifetimes_dataset("CDNOW_sample.txt").read_text().splitlines():
            _master, customer, day, quantity, amount = line.split()
            writer.writerow([customer, f"{day[:4]}-{day[4:6]}-{day[6:]}", quantity, amount])
    return path


def assert_cdnow_parameters(out: dict) -> None:  # type: ignore[type-arg]
    # Fader, Hardie & Lee (2005) and Fader & Hardie (2013); see tests/core/test_clv.py
    bg, gg = out["bgnbd"], out["gamma_gamma"]
    assert [round(bg[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert round(bg["log_likelihood"], 1) == -9582.4
    assert [round(gg[k], 2) for k in ("p", "q", "gamma")] == [6.25, 3.74, 15.44]
    assert len(out["accounts"]) == 2357


def test_cdnow_end_to_end_csv_and_parquet(
    cdnow_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from_csv = run_json(str(cdnow_csv), "1997-09-30", 39, capsys)
    assert_cdnow_parameters(from_csv)
    parquet = tmp_path / "cdnow.parquet"
    duckdb.execute(
        f"COPY (SELECT account, CAST(date AS DATE) AS date, CAST(amount AS DOUBLE) AS amount "
        f"FROM read_csv('{cdnow_csv}', header = true, all_varchar = true)) TO '{parquet}'"
    )
    from_parquet = run_json(str(parquet), "1997-09-30", 39, capsys)
    # the same to the last digits (DuckDB may add a day's amounts in another order)
    assert_cdnow_parameters(from_parquet)
    for a, b in zip(from_parquet["accounts"], from_csv["accounts"], strict=True):
        assert a["account"] == b["account"]
        assert a["expected_purchases"] == pytest.approx(b["expected_purchases"], abs=2e-4)
        assert a["expected_value"] == pytest.approx(b["expected_value"], rel=1e-5, abs=2e-4)


def test_table_output(cdnow_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "clv",
            "--transactions",
            str(cdnow_csv),
            "--calibration-end",
            "1997-09-30",
            "--horizon-weeks",
            "52",
            "--discount-rate",
            "0.1",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("BG/NBD (purchases): r 0.2426, alpha 4.4136")
    assert "2357 accounts, 946 with repeat purchases" in lines[2]
    assert "10.00%" in lines[2]
    header = lines[4].split()
    assert header == ["account", "purchases", "P(alive)", "spend", "value"]
    values = [float(line.split()[-1].replace(",", "")) for line in lines[5:]]
    assert len(values) == 2357
    assert values == sorted(values, reverse=True)


def test_bad_rows_one_line_per_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        "account,date,amount\n"
        "A,2024-01-05,100\n"
        ",2024-02-01,10\n"
        "B,2024-13-01,abc\n"
        "C,01/02/2024,nan\n"
        "D,2024-01-01\n",
    )
    status = main(
        ["clv", "--transactions", path, "--calibration-end", "2024-06-30", "--horizon-weeks", "4"]
    )
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"{path}: row 3, field account: the account is empty",
        f"{path}: row 4, field date: '2024-13-01' is not a date (YYYY-MM-DD)",
        f"{path}: row 4, field amount: 'abc' is not a number",
        f"{path}: row 5, field date: '01/02/2024' is not a date (YYYY-MM-DD)",
        f"{path}: row 5, field amount: 'nan' is not a number",
        f"{path}: row 6: 2 fields, the header has 3",
    ]


def test_bad_parquet_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.parquet"
    duckdb.execute(
        "COPY (SELECT * FROM (VALUES ('A', '2024-01-05', '10'), ('', '2024-01-06', '5'), "
        f"('B', 'soon', '5')) AS t(account, date, amount)) TO '{path}'"
    )
    status = main(
        [
            "clv",
            "--transactions",
            str(path),
            "--calibration-end",
            "2024-06-30",
            "--horizon-weeks",
            "4",
        ]
    )
    assert status == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{path}: row 2, field account: the account is empty",
        f"{path}: row 3, field date: 'soon' is not a date (YYYY-MM-DD)",
    ]


def test_missing_column_file_and_fit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--calibration-end", "2024-06-30", "--horizon-weeks", "4"]
    path = write(tmp_path, "customer,date,amount\nA,2024-01-05,100\n")
    assert main(["clv", "--transactions", path, *args]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{path}: row 1, field account: the column is missing; the file needs account,date,amount"
    ]
    missing = str(tmp_path / "nope.csv")
    assert main(["clv", "--transactions", missing, *args]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{missing}: the file does not exist"]
    empty = write(tmp_path, "", "empty.csv")
    assert main(["clv", "--transactions", empty, *args]) == 2
    assert "row 1: the file is empty" in capsys.readouterr().err
    # nobody bought twice: the purchase model cannot be fitted, and the command says so
    once = write(tmp_path, "account,date,amount\nA,2024-01-05,1\nB,2024-02-05,2\n", "once.csv")
    assert main(["clv", "--transactions", once, *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{once}: the models cannot be fitted: ")
    assert "bought twice" in err


def test_purchases_without_the_spend_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # every line is worth 10 (a day of two lines 20): the purchase model fits, the spend
    # model cannot (its parameters run off); the purchases are given, the value is not, and
    # stderr says why
    path = tmp_path / "simulated.csv"
    end, _actual = simulate(path, customers=600, seed=3)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    flat = tmp_path / "flat.csv"
    with flat.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([rows[0], *([a, d, "10"] for a, d, _v in rows[1:])])
    args = ["clv", "--transactions", str(flat), "--calibration-end", end.isoformat()]
    status = main([*args, "--horizon-weeks", "26", "--format", "json"])
    captured = capsys.readouterr()
    assert status == 0
    reason = (
        "the spend model is not identified by these data (a parameter runs off to 0 or "
        "infinity); it needs more customers with repeat purchases"
    )
    assert captured.err.splitlines() == [
        f"{flat}: no expected value, the spend model cannot be fitted: {reason}"
    ]
    out = json.loads(captured.out)
    assert out["gamma_gamma"] is None
    assert out["value_missing"] == [reason]
    assert len(out["accounts"]) == 600
    assert all(a["expected_value"] is None for a in out["accounts"])
    # the purchases are those of the same file with a spend model (amounts do not enter)
    with_spend = run_json(str(path), end.isoformat(), 26, capsys)
    assert [a["expected_purchases"] for a in out["accounts"]] == [
        a["expected_purchases"] for a in with_spend["accounts"]
    ]
    assert all(a["expected_purchases"] >= 0 for a in out["accounts"])
    # the table shows the purchases and a dash for spend and value
    assert main([*args, "--horizon-weeks", "26"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[1] == "Gamma-Gamma (spend): not fitted, so no spend and no value"
    assert all(line.split()[-2:] == ["-", "-"] for line in table[5:])


def test_json_keeps_full_precision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "simulated.csv"
    end, _actual = simulate(path, customers=300, seed=5)
    out = run_json(str(path), end.isoformat(), 26, capsys)
    report = clv_from_transactions(path, calibration_end=end, horizon_weeks=26)
    assert out["bgnbd"]["r"] == report.model.bgnbd.r
    assert out["gamma_gamma"]["gamma"] == report.model.gamma_gamma.gamma  # type: ignore[union-attr]
    assert [a["expected_value"] for a in out["accounts"]] == [
        float(v) for v in report.prediction.expected_value
    ]
    # not rounded to 4 decimals: some value has more
    assert any(round(a["expected_value"], 4) != a["expected_value"] for a in out["accounts"])


def test_arguments_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "clv",
                "--transactions",
                "x.csv",
                "--calibration-end",
                "2024-02-30",
                "--horizon-weeks",
                "4",
            ]
        )
    assert exit_info.value.code == 2
    assert "'2024-02-30' is not a date" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(
            [
                "clv",
                "--transactions",
                "x.csv",
                "--calibration-end",
                "2024-02-01",
                "--horizon-weeks",
                "0",
            ]
        )
    assert "the horizon must be from 1" in capsys.readouterr().err


def test_clv_from_store_lines(cdnow_csv: Path, tmp_path: Path) -> None:
    # invoice lines as the transaction store keeps them: Parquet, account_external_id,
    # invoice_date, a decimal amount, a currency; two files read through one glob
    for half, condition in (("a", "< '0500'"), ("b", ">= '0500'")):
        duckdb.execute(
            "COPY (SELECT account AS account_external_id, CAST(date AS DATE) AS invoice_date, "
            "CAST(amount AS DECIMAL(18, 2)) AS amount, 'USD' AS currency "
            f"FROM read_csv('{cdnow_csv}', header = true, all_varchar = true) "
            f"WHERE account {condition}) TO '{tmp_path / f'lines-{half}.parquet'}'"
        )
    report = clv_from_lines(
        str(tmp_path / "*.parquet"), calibration_end=dt.date(1997, 9, 30), horizon_weeks=39
    )
    bg, gg = report.model.bgnbd, report.model.gamma_gamma
    assert [round(v, 3) for v in (bg.r, bg.alpha, bg.a, bg.b)] == [0.243, 4.414, 0.793, 2.426]
    assert [round(v, 2) for v in (gg.p, gg.q, gg.gamma)] == [6.25, 3.74, 15.44]
    assert report.summary.accounts[0] == "0001"
    assert report.prediction.expected_purchases[0] == pytest.approx(1.226, abs=5e-4)


TRICKY_DATES = [
    "2024-01-05",
    "2024-01-05T10:00",
    "2024-01-05 10:00:00",
    "2024-1-05",
    "2024-02-30",
    "0000-01-01",
    "05-01-2024",
    "2024-01-05x",
    "",
    "２０２４-01-05",
]
TRICKY_AMOUNTS = [
    "12",
    "-12.50",
    "+3",
    ".5",
    "1.",
    "1e3",
    "1E+05",
    "1_000",
    "1,5",
    "0x10",
    "inf",
    "nan",
    "1e999",
    "",
    "12 EUR",
    "١٢",
]


@pytest.mark.parametrize("date", TRICKY_DATES)
@pytest.mark.parametrize("amount", TRICKY_AMOUNTS)
def test_duckdb_and_the_row_check_agree_on_every_cell(
    tmp_path: Path, date: str, amount: str
) -> None:
    # good files take DuckDB's fast check, bad ones the row-by-row check that names the row:
    # both must accept exactly the same cells, or a file could pass one and fail the other
    from kam.facts.clv import _all_valid_in_duckdb, _cell_problem

    path = tmp_path / "one.csv"
    path.write_text(f'account,date,amount\n A ,"{date} ","\t{amount}"\n', encoding="utf-8")
    by_rows = _cell_problem("date", date) is None and _cell_problem("amount", amount) is None
    assert _all_valid_in_duckdb(path, {"account": 0, "date": 1, "amount": 2}, 3) == by_rows


def test_fast_path_reads_padded_cells_and_extra_fields(tmp_path: Path) -> None:
    # no blank row, so DuckDB's check accepts the file at once; blanks around cells and extra
    # fields are read as the row check would
    text = (
        "account , date,amount,note\n"
        " A ,2024-01-05 , 100 ,x,extra\n"
        "A,\t2024-01-09,50,\n"
        "B,2024-02-01,1e1,y\n"
        "B,2024-02-02,5,y\n"
    )
    checked = transaction_problems(Path(write(tmp_path, text)))
    summary, _later = purchase_summary(checked, calibration_end=dt.date(2024, 3, 1))
    assert summary.accounts == ("A", "B")
    assert list(summary.frequency) == [1, 1]
    assert summary.mean_spend == pytest.approx([50, 5])
    assert summary.age_weeks == pytest.approx([56 / 7, 29 / 7])


def test_duckdb_summary_of_cdnow_equals_the_published_conventions(cdnow_csv: Path) -> None:
    # the DuckDB summary against the plain-Python one of tests/core/test_clv.py, which is
    # itself checked customer by customer against Hardie's published summary
    from tests.core.test_clv import cdnow_summary

    expected = cdnow_summary()
    summary, later = purchase_summary(
        transaction_problems(cdnow_csv), calibration_end=dt.date(1997, 9, 30)
    )
    assert later == 0
    assert summary.accounts == expected.accounts
    for field in ("frequency", "recency_weeks", "age_weeks", "spend_count", "mean_spend"):
        assert getattr(summary, field) == pytest.approx(getattr(expected, field), rel=1e-12)
