"""Every kam command that reads files refuses bad input alike: exit status 2, one line per
problem on stderr naming the file, and never a Python traceback. Semicolon files with
decimal commas are read by every command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kam.cli import main
from tests.test_cli_classify import SCHEME


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def refused(capsys: pytest.CaptureFixture[str], status: int, filename: str) -> list[str]:
    """The stderr lines of a refusal, after checking what every refusal has in common."""
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert lines and all(line.startswith(filename) for line in lines), lines
    return lines


def test_classify_semicolon_file_with_decimal_commas(tmp_path, capsys):
    scheme = write(tmp_path, "scheme.toml", SCHEME)
    # a Dutch spreadsheet: semicolons, "7,0"; a stray CR inside the header line
    scores = write(
        tmp_path,
        "scores.csv",
        "account;criterion\r;score;competitor_score;rater\n"
        "acme;spend;8,0;;ann\nacme;growth;6;;ann\nacme;payment;4;;ann\n"
        "acme;quality;7;5,0;ann\nacme;price;4;6;ann\n",
    )
    assert main(["classify", "--scheme", scheme, "--scores", scores, "--format", "json"]) == 0
    (acme,) = json.loads(capsys.readouterr().out)
    # weights 50/30/20: A = (50·8 + 30·6 + 20·4)/100 = 6.6
    assert acme["account"] == "acme"
    assert acme["attractiveness"] == pytest.approx(6.6)


def test_classify_refusal(tmp_path, capsys):
    scheme = write(tmp_path, "scheme.toml", SCHEME)
    # 7.5 has a decimal point where the file's other numbers (8,0 6,0) have a comma; 11 is out
    scores = write(
        tmp_path,
        "scores.csv",
        "account;criterion;score;competitor_score;rater\n"
        "acme;spend;8,0;;ann\nacme;payment;6,0;;ann\nacme;growth;7.5;;ann\n"
        "acme;quality;11;;ann\n",
    )
    lines = refused(capsys, main(["classify", "--scheme", scheme, "--scores", scores]), scores)
    assert len(lines) == 2
    assert "row 4, field score" in lines[0] and "decimal point" in lines[0]
    assert "row 5, field score" in lines[1]


HEADER = (
    "account;reference_hours;contribution_at_zero;contribution_at_reference;"
    "contribution_at_150pct;contribution_at_saturation;min_hours;max_hours\n"
)


def test_allocate_semicolon_file_with_thousands_dots(tmp_path, capsys):
    accounts = write(
        tmp_path,
        "accounts.csv",
        HEADER + "Acme;100;10.000;50.000;70.000;100.000,00;20;\n"
        "Bolt;40;5.000;20.000;26.000;40.000,00;;80\n",
    )
    status = main(
        ["allocate", "--accounts", accounts, "--capacity-hours", "100", "--format", "json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    assert list(out["hours"]) == ["Acme", "Bolt"]


def test_allocate_refusal(tmp_path, capsys):
    # only values that read either way: 10.000 could be ten thousand or ten
    accounts = write(
        tmp_path,
        "accounts.csv",
        HEADER + "Acme;100;10.000;50.000;70.000;100.000;;\nBolt;x;5000;20000;26000;40000;;\n",
    )
    status = main(["allocate", "--accounts", accounts, "--capacity-hours", "100"])
    lines = refused(capsys, status, accounts)
    # row 2: four ambiguous judgements; row 3: 'x' is not a number
    assert len(lines) == 5
    assert sum("reads as" in line for line in lines) == 4
    assert "row 3, field reference_hours: 'x' is not a number" in lines[4]
    # said by the user, the same file is read
    status = main(
        ["allocate", "--accounts", accounts, "--capacity-hours", "100", "--decimal", "comma"]
    )
    lines = refused(capsys, status, accounts)
    assert len(lines) == 1 and "row 3" in lines[0]


def test_clv_refusal(tmp_path, capsys):
    path = write(
        tmp_path,
        "tx.csv",
        "account;date;amount\nA;2024-01-01;1.250\nA;2024-02-01;2.500\nB;2024-01-01;oops\n",
    )
    status = main(
        ["clv", "--transactions", path, "--calibration-end", "2024-06-30", "--horizon-weeks", "4"]
    )
    lines = refused(capsys, status, path)
    assert len(lines) == 2
    assert "row 2, field amount" in lines[0] and "row 3, field amount" in lines[1]


def test_clv_reads_a_semicolon_file_with_decimal_commas_as_its_english_twin(tmp_path, capsys):
    from kam.cli.clv import normalised_transactions

    dutch = write(
        tmp_path,
        "nl.csv",
        "account ;date;amount\r\nA;2024-01-05;1.250,50\r\nA;2024-02-05;-20\r\n\r\n"
        "B;2024-01-01;3,5\r\n",
    )
    plain = normalised_transactions(Path(dutch), "nl.csv", tmp_path)
    assert plain.read_text(encoding="utf-8") == (
        "account,date,amount\nA,2024-01-05,1250.50\nA,2024-02-05,-20\n\nB,2024-01-01,3.5\n"
    )


FACTS_HEADER = "account_external_id;invoice_date;amount;cost;currency\n"


def test_facts_semicolon_file_with_decimal_commas(tmp_path, capsys):
    path = write(
        tmp_path,
        "lines.csv",
        FACTS_HEADER + "A;2026-01-10;1.250;1.000;EUR\nA;2026-02-10;2.500,50;1.200;EUR\n",
    )
    status = main(["facts", "--transactions", path, "--as-of", "2026-06-30", "--no-predict",
                   "--format", "json"])  # fmt: skip
    (account,) = json.loads(capsys.readouterr().out)
    assert status == 0
    # 2.500,50 decides the file: revenue 1250 + 2500.50 = 3750.50, cost 1000 + 1200 = 2200,
    # gross margin (3750.50 - 2200) / 3750.50 = 41.34 %
    assert account["revenue_12m"] == pytest.approx(3750.50)
    assert account["gross_margin_pct"] == pytest.approx(100 * 1550.50 / 3750.50)


def test_facts_refusal(tmp_path, capsys):
    path = write(
        tmp_path,
        "lines.csv",
        FACTS_HEADER + "A;2026-01-10;1.250;1.000;EUR\nA;2026-02-10;2.500;x;EUR\n",
    )
    status = main(["facts", "--transactions", path, "--as-of", "2026-06-30", "--no-predict"])
    lines = refused(capsys, status, path)
    assert len(lines) == 4  # three ambiguous values and one that is no number
    assert "row 3, field cost: 'x' is not a number" in lines[3]


def test_facts_stray_cr_in_header(tmp_path, capsys):
    path = tmp_path / "lines.csv"
    path.write_bytes(
        b"account_external_id,invoice_date\r,amount,cost,currency\nA,2026-01-10,5,1,EUR\n"
    )
    status = main(["facts", "--transactions", str(path), "--no-predict"])
    lines = refused(capsys, status, str(path))
    assert len(lines) == 1 and "carriage return" in lines[0]


def test_facts_spend_file_refusal(tmp_path, capsys):
    lines_path = write(tmp_path, "lines.csv", FACTS_HEADER + "A;2026-01-10;1250,5;1000;EUR\n")
    spend = write(tmp_path, "spend.csv", "account_external_id;available_spend\nA;-5.000,50\n")
    status = main(["facts", "--transactions", lines_path, "--available-spend", spend,
                   "--no-predict"])  # fmt: skip
    lines = refused(capsys, status, spend)
    assert len(lines) == 1 and "below 0" in lines[0]


@pytest.mark.django_db
def test_calendar_import_refusal(tmp_path, capsys, kam_user):
    path = tmp_path / "bad.ics"
    path.write_bytes(b"not a calendar")
    status = main(["calendar-import", str(path), "--user", kam_user.username])
    lines = refused(capsys, status, str(path))
    assert len(lines) >= 1
