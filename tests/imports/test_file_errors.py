"""Why a file could not be read: each reason named with the file (kam.imports.files)."""

from __future__ import annotations

from pathlib import Path

from kam.cli.common import file_text
from kam.facts.clv import _csv_records
from kam.imports.files import file_error


def _problems_of_text(path: Path) -> list[str]:
    problems: list[str] = []
    assert file_text(path, "in.csv", problems) is None
    return problems


def _problems_of_records(path: Path) -> list[str]:
    problems: list[str] = []
    assert list(_csv_records(path, "in.csv", problems)) == []
    return problems


def test_each_reader_names_the_file_and_the_reason(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("naam\nCaf\xe9 Noord\n".encode("latin-1"))
    cases = {
        tmp_path / "missing.csv": "in.csv: the file does not exist",
        tmp_path: "in.csv: this is a folder, not a file",
        latin: "in.csv: the file is not UTF-8 text",
    }
    for path, reason in cases.items():
        assert _problems_of_text(path) == [reason], path
        assert _problems_of_records(path) == [reason], path


def test_any_other_reading_error_gives_the_system_reason() -> None:
    exc = PermissionError(13, "Permission denied")
    assert file_error(exc, "in.csv") == "in.csv: the file cannot be read (Permission denied)"
