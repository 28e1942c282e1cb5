"""The invoice-line check's problems, shown on an import page, say what ``kam facts`` says."""

from __future__ import annotations

from kam.facts.checking import CodedProblem
from kam.imports.problems import ImportProblem


def test_a_cell_problem_keeps_its_row_column_and_wording() -> None:
    coded = CodedProblem(7, "amount", "not_a_number", "12 EUR")
    shown = coded.import_problem()
    assert shown == ImportProblem(7, "amount", "'12 EUR' is not a number")
    assert str(shown) == "row 7, column amount: '12 EUR' is not a number"
    assert coded.line("bad.csv") == "bad.csv: row 7, field amount: '12 EUR' is not a number"


def test_a_file_problem_has_no_column_and_reads_as_its_reason() -> None:
    shown = CodedProblem(None, None, "no_rows").import_problem()
    assert shown.column == ""
    assert str(shown) == "the file has no rows"
    assert shown.as_dict() == {"row": None, "column": "", "reason": "the file has no rows"}
