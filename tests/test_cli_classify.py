"""``kam classify``: files in, the four boxes out, every input problem reported at once."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kam.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"

SCHEME = """
[attractiveness]
criteria = [
  { key = "spend", name = "Spend", weight = 50 },
  { key = "growth", name = "Growth", weight = 30 },
  { key = "payment", name = "Payment", weight = 20 },
]
[strength]
criteria = [
  { key = "quality", name = "Quality", weight = 60 },
  { key = "price", name = "Price", weight = 40 },
]
"""

# acme: spend (8+6)/2 = 7, growth 6, payment 4 -> A = (350 + 180 + 80)/100 = 6.1
#       S_us = (60·7 + 40·4)/100 = 5.8; S_comp = (60·5 + 40·6)/100 = 5.4 -> RS 1.0741, key
# bolt: A = (50·5 + 30·4 + 20·6.5)... whole scores only: spend 4, growth 6, payment 6
#       -> A = (200 + 180 + 120)/100 = 5.0 on the line; S_us = 5.0 absolute, on the line -> key
# cora: growth missing -> not placed; spend raters 2 and 6 differ by 4 -> flagged
SCORES = """account,criterion,score,competitor_score,rater
acme,spend,8,,ann
acme,spend,6,,bob
acme,growth,6,,ann
acme,payment,4,,ann
acme,quality,7,5,ann
acme,price,4,6,ann
bolt,spend,4,,ann
bolt,growth,6,,ann
bolt,payment,6,,ann
bolt,quality,5,,ann
bolt,price,5,,ann
cora,spend,2,,ann
cora,spend,6,,bob
cora,payment,5,,ann
cora,quality,5,,ann
cora,price,5,,ann
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    scheme = tmp_path / "scheme.toml"
    scores = tmp_path / "scores.csv"
    scheme.write_text(SCHEME)
    scores.write_text(SCORES)
    return scheme, scores


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["classify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_hand_checked(files: tuple[Path, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    scheme, scores = files
    code, out, err = run(
        capsys, "--scheme", str(scheme), "--scores", str(scores), "--format", "json"
    )
    assert code == 0 and err == ""
    acme, bolt, cora = json.loads(out)
    # JSON keeps full precision: relative strength 5.8 / 5.4 = 1.074074…, not 1.0741
    assert acme == {
        "account": "acme",
        "attractiveness": pytest.approx(6.1, rel=1e-12),
        "strength": pytest.approx(5.8, rel=1e-12),
        "competitor_strength": pytest.approx(5.4, rel=1e-12),
        "relative_strength": pytest.approx(5.8 / 5.4, rel=1e-12),
        "strength_axis": "relative",
        "box": "key",
        "missing": [],
        "disagreement": [],
    }
    assert round(acme["relative_strength"], 4) != acme["relative_strength"]
    assert (bolt["attractiveness"], bolt["strength"], bolt["strength_axis"], bolt["box"]) == (
        5.0,
        5.0,
        "absolute",
        "key",
    )
    assert bolt["competitor_strength"] is None and bolt["relative_strength"] is None
    assert cora["box"] is None
    assert cora["missing"] == ["growth"]
    assert cora["disagreement"] == ["spend"]


def test_sensitivity_adds_box_probabilities(files: tuple[Path, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    scheme, scores = files
    args = ["--scheme", str(scheme), "--scores", str(scores), "--format", "json"]
    code, out, _ = run(capsys, *args, "--sensitivity", "400", "--seed", "3")
    assert code == 0
    acme, bolt, cora = json.loads(out)
    assert set(acme["box_probabilities"]) == {
        "key",
        "key_development",
        "maintenance",
        "opportunistic",
    }
    assert sum(acme["box_probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    # bolt sits on both lines: far from certain
    assert bolt["uncertain"] is True
    assert cora["box_probabilities"] is None
    _, again, _ = run(capsys, *args, "--sensitivity", "400", "--seed", "3")
    assert again == out


def test_csv_and_table_formats(files: tuple[Path, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    scheme, scores = files
    code, out, _ = run(capsys, "--scheme", str(scheme), "--scores", str(scores), "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["attractiveness"] == "6.1" and rows[0]["box"] == "key"
    assert rows[2]["box"] == "" and rows[2]["missing"] == "growth"
    code, out, _ = run(capsys, "--scheme", str(scheme), "--scores", str(scores))
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["account", "A", "S_us"]
    assert lines[1].split()[:7] == ["acme", "6.10", "5.80", "5.40", "1.074", "relative", "key"]
    assert "not placed" in lines[3]


def test_every_problem_is_reported_with_file_row_and_field(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    scheme = tmp_path / "scheme.toml"
    scheme.write_text(SCHEME.replace("weight = 20", "weight = 10"))
    scores = tmp_path / "scores.csv"
    scores.write_text(
        "account,criterion,score,competitor_score,rater\n"
        "acme,spend,8,,ann\n"
        "acme,spend,7,,ann\n"
        "acme,sales,5,,ann\n"
        "acme,growth,eleven,,ann\n"
        "acme,quality,5,0,ann\n"
        "acme,payment,5,4,ann\n"
        "acme,price,11,,ann\n"
    )
    code, out, err = run(capsys, "--scheme", str(scheme), "--scores", str(scores))
    assert code == 2
    assert out == ""
    s, c = str(scheme), str(scores)
    assert err.splitlines() == [
        f"{s}: [attractiveness], field weight: Attractiveness weights add up to 90; "
        "they must add up to 100 (add 10).",
        f"{c}: row 3, field rater: the same account, criterion and rater as row 2",
        f"{c}: row 4, field criterion: 'sales' is not a criterion of the scheme "
        "(growth, payment, price, quality, spend)",
        f"{c}: row 5, field score: 'eleven' is not a whole number from 1 to 10",
        f"{c}: row 6, field competitor_score: '0' is not a whole number from 1 to 10",
        f"{c}: row 7, field competitor_score: 'payment' is an attractiveness criterion; "
        "competitor scores belong to strength criteria",
        f"{c}: row 8, field score: '11' is not a whole number from 1 to 10",
    ]


def test_scheme_shape_problems(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    scheme = tmp_path / "scheme.toml"
    scheme.write_text(
        SCHEME.replace(
            '{ key = "growth", name = "Growth", weight = 30 }', '{ key = "spend", weight = 30.5 }'
        )
        + "cut_relative = 'high'\n"
    )
    scores = tmp_path / "scores.csv"
    scores.write_text("account,criterion,score\nacme,spend,5\n")
    code, out, err = run(capsys, "--scheme", str(scheme), "--scores", str(scores))
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert (
        f"{scheme}: [attractiveness] criterion 2, field weight: 30.5 is not a whole number" in lines
    )
    assert f"{scheme}: [strength], field cut_relative: 'high' is not a number" in lines
    assert any("row 1, field competitor_score: the column is missing" in line for line in lines)
    assert any("row 1, field rater: the column is missing" in line for line in lines)


def test_missing_files_and_invalid_toml(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(
        capsys, "--scheme", str(tmp_path / "none.toml"), "--scores", str(tmp_path / "none.csv")
    )
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"{tmp_path / 'none.toml'}: the file does not exist",
        f"{tmp_path / 'none.csv'}: the file does not exist",
    ]
    broken = tmp_path / "broken.toml"
    broken.write_text("[attractiveness\n")
    code, _, err = run(capsys, "--scheme", str(broken), "--scores", str(tmp_path / "none.csv"))
    assert code == 2
    assert err.splitlines()[0].startswith(f"{broken}: not valid TOML:")


def test_the_documented_example_runs(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        capsys,
        "--scheme",
        str(EXAMPLES / "scheme.toml"),
        "--scores",
        str(EXAMPLES / "scores.csv"),
        "--format",
        "json",
    )
    assert code == 0
    by_name = {r["account"]: r for r in json.loads(out)}
    # Hanse Retail: A = (35·8.5 + 25·6.5 + 25·4.5 + 15·9)/100 = 7.075
    assert by_name["Hanse Retail"]["attractiveness"] == 7.075
    assert by_name["Hanse Retail"]["box"] == "key"
    assert by_name["Bakkerij de Vries"]["missing"] == ["payment"]
    docs = (EXAMPLES.parent / "cli.md").read_text(encoding="utf-8")
    example = ["--scheme", str(EXAMPLES / "scheme.toml"), "--scores", str(EXAMPLES / "scores.csv")]
    for extra in ([], ["--sensitivity", "1000", "--seed", "7"]):
        code, printed, _ = run(capsys, *example, *extra)
        assert code == 0
        assert printed in docs, "docs/cli.md must show the example's real output"


def test_a_real_subprocess(tmp_path: Path, files: tuple[Path, Path]) -> None:
    scheme, scores = files
    env = {**os.environ, "LANGUAGE": "en"}  # messages in English whatever the machine's locale
    shutil.copy(scheme, tmp_path / "s.toml")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kam.cli",
            "classify",
            "--scheme",
            "s.toml",
            "--scores",
            str(scores),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert [r["box"] for r in json.loads(result.stdout)] == ["key", "key", None]
    bad = subprocess.run(
        [sys.executable, "-m", "kam.cli", "classify", "--scheme", "s.toml", "--scores", "nope.csv"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr == "nope.csv: the file does not exist\n"
