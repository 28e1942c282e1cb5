"""``kam facts``: the facts of every account from a file, and bad input named by row and column."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kam.cli import main
from tests.facts.golden import AS_OF, EXPECTED, assert_facts
from tests.facts.test_store import golden_csv, write


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["facts", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def _spend(tmp_path: Path) -> Path:
    return write(
        tmp_path / "spend.csv", "A,16000", "C,0", header="account_external_id,available_spend"
    )


def test_json_facts_of_every_account(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys,
        "--transactions",
        str(golden_csv(tmp_path / "lines.csv")),
        "--as-of",
        AS_OF.isoformat(),
        "--available-spend",
        str(_spend(tmp_path)),
        "--format",
        "json",
    )
    assert status == 0, err
    rows = json.loads(out)
    assert [r["account_external_id"] for r in rows] == ["A", "B", "C", "E"]
    assert_facts([*rows[:3], {**EXPECTED["E"], "account_external_id": "E"}])
    assert rows[3]["revenue_12m"] == 50.0  # E's line without cost is not in the CSV
    # full precision: A's growth is 4000 / 3000 − 1 to the last bit, not 0.3333
    assert rows[0]["growth"] == 4000 / 3000 - 1
    assert rows[0]["mean_days_late"] == 30000 / 3500
    # four accounts cannot identify the purchase model: the prediction is empty, and said so
    assert [r["predicted_future_value"] for r in rows] == [None] * 4
    assert "predicted_future_value is empty" in err


def test_no_predict_leaves_the_column_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(
        capsys,
        "--transactions",
        str(golden_csv(tmp_path / "lines.csv")),
        "--no-predict",
        "--format",
        "json",
    )
    assert status == 0 and err == ""
    assert "predicted_future_value" not in json.loads(out)[0]


def test_csv_is_the_default_with_empty_cells_for_undefined_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(
        capsys, "--transactions", str(golden_csv(tmp_path / "l.csv")), "--as-of", "2026-06-30"
    )
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[1]["account_external_id"] == "B"
    assert rows[1]["growth"] == "" and float(rows[1]["mean_days_late"]) == 25.0
    assert rows[0]["orders"] == "3"


def test_parquet_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_path = tmp_path / "facts.parquet"
    status, out, _ = run(
        capsys,
        "--transactions",
        str(golden_csv(tmp_path / "l.csv")),
        "--as-of",
        "2026-06-30",
        "--format",
        "parquet",
        "--output",
        str(out_path),
    )
    assert status == 0 and out == ""
    table = pq.read_table(out_path)
    assert table.column("revenue_12m").to_pylist() == [4000.0, 500.0, 0.0, 50.0]


def test_parquet_needs_an_output_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys, "--transactions", str(golden_csv(tmp_path / "l.csv")), "--format", "parquet"
    )
    assert status == 2 and out == "" and "--output" in err


def test_bad_rows_exit_2_one_line_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path / "bad.csv",
        "A,I1,2026-01-05,100,60,,,EUR",
        "B,I2,2026-01-05,12,x,,,EUR",
        "C,I3,yesterday,1,1,,,EUR",
    )
    status, out, err = run(capsys, "--transactions", str(path), "--as-of", "2026-06-30")
    assert status == 2 and out == ""
    assert err.splitlines() == [
        f"{path}: row 3, field cost: 'x' is not a number",
        f"{path}: row 4, field invoice_date: 'yesterday' is not a date (YYYY-MM-DD)",
    ]


def test_skip_bad_rows_reports_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "bad.csv", "A,I1,2026-01-05,100,60,,,EUR", "B,I2,2026-01-05,12,x,,,EUR")
    status, out, err = run(
        capsys,
        "--transactions",
        str(path),
        "--as-of",
        "2026-06-30",
        "--skip-bad-rows",
        "--no-predict",
    )
    assert status == 0
    assert [r["account_external_id"] for r in csv.DictReader(io.StringIO(out))] == ["A"]
    assert err.splitlines() == [
        f"{path}: row 3, field cost: 'x' is not a number",
        f"{path}: 1 of 2 rows left out",
    ]


def test_a_missing_column_and_a_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "short.csv", "A,2026-01-01", header="account,date")
    status, _, err = run(capsys, "--transactions", str(path))
    assert status == 2
    assert err.splitlines() == [f"{path}: row 1, field amount: the column is missing"]
    status, _, err = run(capsys, "--transactions", str(tmp_path / "nope.csv"))
    assert status == 2 and "no such file" in err


def test_bad_spend_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spend = write(tmp_path / "spend.csv", "A,lots", header="account_external_id,available_spend")
    status, out, err = run(
        capsys,
        "--transactions",
        str(golden_csv(tmp_path / "l.csv")),
        "--available-spend",
        str(spend),
    )
    assert status == 2 and out == ""
    assert err.splitlines() == [f"{spend}: row 2, field available_spend: 'lots' is not a number"]


def test_a_bad_as_of_date_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["facts", "--transactions", "x.csv", "--as-of", "30-06-2026"])
    assert exited.value.code == 2
    assert "is not a date" in capsys.readouterr().err


def test_progress_bar_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(
        capsys, "--transactions", str(golden_csv(tmp_path / "l.csv")), "--progress"
    )
    assert status == 0
    assert "reading" in err and "facts" in err and "100.0%" in err


NO_CURRENCY = ("A,2026-01-05,100", "A,2026-03-05,-40", "B,2025-02-01,70")


def _no_currency_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> list[dict[str, object]]:
    # the file of the issue that introduced kam facts: account,date,amount and nothing else
    path = write(tmp_path / "plain.csv", *NO_CURRENCY, header="account,date,amount")
    status, out, err = run(
        capsys,
        "--transactions",
        str(path),
        "--as-of",
        "2026-06-30",
        "--no-predict",
        "--format",
        "json",
        *extra,
    )
    assert status == 0, err
    assert err == ""
    return json.loads(out)  # type: ignore[no-any-return]


def test_a_file_without_currency_is_in_the_currency_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _no_currency_facts(tmp_path, capsys, "--currency", "usd")
    assert [(r["account_external_id"], r["currency"]) for r in rows] == [
        ("A", "USD"),
        ("B", "USD"),
    ]
    # A: 100 − 40 (a credit note: revenue, no order); B: 70 in the year before
    assert rows[0]["revenue_12m"] == 60.0 and rows[0]["orders"] == 1
    assert rows[1]["revenue_12m"] == 0.0 and rows[1]["revenue_prev_12m"] == 70.0


def test_a_file_without_currency_is_in_euro_outside_an_installation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # no database to read the organisation from (this test may not touch one)
    rows = _no_currency_facts(tmp_path, capsys)
    assert {r["currency"] for r in rows} == {"EUR"}


@pytest.mark.django_db
def test_a_file_without_currency_is_in_the_installations_base_currency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.organisation.models import Organisation

    Organisation.objects.create(base_currency="CHF")
    rows = _no_currency_facts(tmp_path, capsys)
    assert {r["currency"] for r in rows} == {"CHF"}


def test_a_currency_column_wins_over_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "lines.csv", "A,2026-01-05,100,GBP", header="account,date,amount,currency"
    )
    status, out, err = run(
        capsys,
        "--transactions",
        str(path),
        "--as-of",
        "2026-06-30",
        "--no-predict",
        "--format",
        "json",
        "--currency",
        "USD",
    )
    assert status == 0, err
    assert json.loads(out)[0]["currency"] == "GBP"


def test_a_bad_currency_option_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["facts", "--transactions", "x.csv", "--currency", "EURO"])
    assert exit_info.value.code == 2
    assert "'EURO' is not a currency code" in capsys.readouterr().err


def test_csv_output_quotes_account_ids_a_spreadsheet_would_run_as_formulas(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ["=HYPERLINK(1)", "+x", "@a", "-5", "plain, with comma", 'quote"d', "a-b"]
    path = tmp_path / "l.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["account_external_id", "invoice_id", "invoice_date", "amount", "cost", "currency"]
        )
        for i, account in enumerate(ids):
            writer.writerow([account, f"I{i}", "2026-05-10", "100", "40", "EUR"])
    status, out, err = run(
        capsys, "--transactions", str(path), "--as-of", "2026-06-30", "--no-predict"
    )
    assert status == 0, err
    written = [row["account_external_id"] for row in csv.DictReader(io.StringIO(out))]
    # a number written as text stays as it is; other text starting with = + - @ is quoted
    assert sorted(written) == sorted(
        ["'=HYPERLINK(1)", "'+x", "'@a", "-5", "plain, with comma", 'quote"d', "a-b"]
    )
    assert all(row["revenue_12m"] == "100.0" for row in csv.DictReader(io.StringIO(out)))


def test_the_predicted_future_value_is_the_libraries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kam.facts.compute import predicted_future_values
    from tests.facts.test_prediction import END, history

    history(tmp_path / "lines.parquet")
    expected = predicted_future_values(lines=tmp_path / "lines.parquet", as_of=END)
    table = pq.read_table(tmp_path / "lines.parquet").drop_columns(["cost"])  # no costs known
    pq.write_table(table, tmp_path / "no-cost.parquet")
    status, out, err = run(
        capsys,
        "--transactions",
        str(tmp_path / "no-cost.parquet"),
        "--as-of",
        END.isoformat(),
        "--format",
        "json",
    )
    assert status == 0, err
    rows = json.loads(out)
    assert len(rows) == 400 == len(expected)
    assert {r["account_external_id"]: r["predicted_future_value"] for r in rows} == expected
