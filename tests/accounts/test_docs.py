"""docs/import.md and the import must not drift apart: its example imports as described."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kam.accounts.imports import BASE_COLUMNS, TEAM_COLUMNS, account_import
from kam.accounts.models import Account
from kam.imports.problems import ImportRefused
from kam.users.models import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

DOC = (Path(__file__).resolve().parents[2] / "docs" / "import.md").read_text(encoding="utf-8")


def test_every_column_is_documented():
    for column in (*BASE_COLUMNS, *TEAM_COLUMNS, "revenue_<year>"):
        assert f"| `{column}` |" in DOC, column


def test_documented_example_imports(director):
    for username in ("jvisser", "asmits"):
        make_user(Role.KEY_ACCOUNT_MANAGER, username=username)
    for username in ("pdekker", "mbakker", "lsmit"):
        make_user(Role.TEAM_MEMBER, username=username)
    example = re.search(r"```csv\n(.*?)```", DOC, re.S).group(1)
    summary = account_import(user=director, content=example.encode(), filename="example.csv")
    assert summary.created == 4
    assert Account.objects.get(external_id="BE-0001").parent.external_id == "G-0001"


def test_documented_report_lines_are_what_kam_says(director):
    make_user(Role.KEY_ACCOUNT_MANAGER, username="jvisser")
    content = (
        "external_id,name,parent_external_id,owner,country,revenue_2025\n"
        + "NL-0001,A,,,NL,\n" * 1
        + "".join(f"X-{i},Filler,,,NL,\n" for i in range(11))
        + "NL-0002,B,,,Holland,\n"
        + "NL-0001,C,,,NL,\n"
        + "NL-0003,D,,,NL,\n"
        + "NL-0004,E,,jvissr,NL,\n"
        + "NL-0005,F,G-0009,,NL,\n"
        + "NL-0006,G,,,NL,\n"
        + "NL-0007,H,,,NL,\n"
        + "NL-0008,I,,,NL,1.25 mln\n"
    ).encode()
    with pytest.raises(ImportRefused) as exc:
        account_import(user=director, content=content, filename="a.csv")
    table = re.search(r"\| Row \| Column \| Reason \|\n\|---\|---\|---\|\n(.*?)\n\n", DOC, re.S)
    documented = [
        tuple(cell.strip() for cell in line.strip("|").split("|"))
        for line in table.group(1).splitlines()
    ]
    actual = [(str(p.row), p.column, p.reason) for p in exc.value.report]
    assert actual == documented
