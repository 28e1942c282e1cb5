"""``kam allocate``: a CSV of judgements in, hours and the certified gap out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kam.cli import main

HEADER = (
    "account,reference_hours,contribution_at_zero,contribution_at_reference,"
    "contribution_at_150pct,contribution_at_saturation,min_hours,max_hours\n"
)
# Acme: y1 = 40/90, e = 1.25, d = ln 2.5 / ln 1.5 (the worked example of the core tests)
ACCOUNTS = HEADER + (
    "Acme,100,10000,50000,70000,100000,20,\n"
    "Bolt,40,5000,20000,26000,40000,,80\n"
    "Crane,60,0,30000,45000,60000,,\n"
)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "accounts.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, ACCOUNTS)
    status = main(
        [
            "allocate",
            "--accounts",
            path,
            "--capacity-hours",
            "150",
            "--hour-cost",
            "50",
            "--format",
            "json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    assert set(out) >= {
        "hours",
        "objective",
        "upper_bound",
        "gap",
        "shadow_price",
        "baseline_objective",
    }
    hours = out["hours"]
    assert list(hours) == ["Acme", "Bolt", "Crane"]
    assert all(isinstance(h, int) for h in hours.values())
    assert sum(hours.values()) <= 150
    assert hours["Acme"] >= 20 and hours["Bolt"] <= 80
    assert out["upper_bound"] >= out["objective"]
    assert out["gap"] == pytest.approx(out["upper_bound"] - out["objective"], abs=1e-3)
    # today: 100 + 40 + 60 = 200 hours, scaled by 150/200 to 75, 30 and 45
    from kam.core.allocation.curves import calibrate

    curves = [
        calibrate(
            reference_hours=100,
            at_zero=10000,
            at_reference=50000,
            at_150pct=70000,
            at_saturation=100000,
        ),
        calibrate(
            reference_hours=40,
            at_zero=5000,
            at_reference=20000,
            at_150pct=26000,
            at_saturation=40000,
        ),
        calibrate(
            reference_hours=60, at_zero=0, at_reference=30000, at_150pct=45000, at_saturation=60000
        ),
    ]
    baseline = sum(
        k.contribution(h) - 50 * h for k, h in zip(curves, (75.0, 30.0, 45.0), strict=True)
    )
    assert out["baseline_objective"] == pytest.approx(baseline, abs=1e-3)
    assert out["objective"] >= out["baseline_objective"]


def test_table_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, ACCOUNTS)
    assert main(["allocate", "--accounts", path, "--capacity-hours", "150"]) == 0
    table = capsys.readouterr().out
    assert "Acme" in table and "upper bound" in table
    assert main(["allocate", "--accounts", path, "--capacity-hours", "150", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "account,hours,contribution,baseline_hours"
    assert len(lines) == 4


def test_bad_input_one_line_per_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        HEADER
        + "A,100,10,5,20,30,,\n"  # reference below zero effort
        + "B,x,1,2,3,4,,\n"  # not a number
        + "C,10,1,2,3,4,5,2\n"  # minimum above maximum
        + "D,10,1,2,5,4,,\n"  # +50 % above saturation
        + "A,10,1,2,3,4,,\n",  # the same account again
    )
    status = main(["allocate", "--accounts", path, "--capacity-hours", "10", "--format", "json"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines == [
        f"{path}: row 2, field contribution_at_reference: raise contribution_at_reference above "
        "contribution_at_zero: today's hours must bring more than no effort",
        f"{path}: row 3, field reference_hours: 'x' is not a number",
        f"{path}: row 4, field min_hours: the minimum is above the maximum (2)",
        f"{path}: row 5, field contribution_at_150pct: set contribution_at_150pct between "
        "contribution_at_reference and contribution_at_saturation (both excluded)",
        f"{path}: row 6, field account: the same account as row 2",
    ]


def test_missing_column_and_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "account,reference_hours\nA,10\n")
    assert main(["allocate", "--accounts", path, "--capacity-hours", "10"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: row 1, field contribution_at_zero: the column is missing" in err
    assert (
        main(["allocate", "--accounts", str(tmp_path / "none.csv"), "--capacity-hours", "10"]) == 2
    )
    assert "does not exist" in capsys.readouterr().err


# The optional fifth judgement (docs/allocation.md): c = 100 000, b = 1 100 000, d = 2, e = 1
# at 100 h puts -50 % at 300 000, today's at 600 000 and +50 % at 792 308.
HEADER_FIVE = HEADER.replace("contribution_at_zero,", "contribution_at_zero,contribution_at_50pct,")


def test_a_fifth_column_is_fitted_and_a_disagreeing_judgement_noted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        HEADER_FIVE
        + "On,100,100000,300000,600000,792308,1100000,,\n"  # on the curve
        + "Off,100,100000,500000,600000,792308,1100000,,\n"  # -50 % far off
        + "Four,100,100000,,600000,792308,1100000,,\n",  # the fifth left empty
    )
    status = main(["allocate", "--accounts", path, "--capacity-hours", "300", "--format", "json"])
    captured = capsys.readouterr()
    assert status == 0
    assert list(json.loads(captured.out)["hours"]) == ["On", "Off", "Four"]
    assert captured.err.splitlines() == [
        f"{path}: row 3, field contribution_at_50pct: disagrees with the other four "
        "judgements, which put it at about 300000"
    ]


def test_a_fifth_out_of_order_is_refused_naming_its_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, HEADER_FIVE + "A,100,100000,650000,600000,792308,1100000,,\n")
    status = main(["allocate", "--accounts", path, "--capacity-hours", "300"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.splitlines() == [
        f"{path}: row 2, field contribution_at_50pct: set contribution_at_50pct between "
        "contribution_at_zero and contribution_at_reference (both excluded), or leave it empty"
    ]
