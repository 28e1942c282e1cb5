"""Account import and export: good files, every kind of bad row, all or nothing, round trips."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from kam.accounts.exports import account_export, account_import_template
from kam.accounts.imports import account_import
from kam.accounts.models import Account, AccountRevenue, AccountTeamMember, TeamRole
from kam.errors import ApplicationError
from kam.imports.problems import ImportRefused
from kam.users.models import Role
from tests.factories import AccountFactory, AccountRevenueFactory, make_user

pytestmark = pytest.mark.django_db

HEADER = [
    "external_id",
    "name",
    "parent_external_id",
    "owner",
    "country",
    "channel",
    "currency",
    "revenue_2024",
    "revenue_2025",
    "team",
]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def problems_of(director, content: bytes, filename: str = "accounts.csv") -> list[str]:
    with pytest.raises(ImportRefused) as exc:
        account_import(user=director, content=content, filename=filename)
    assert exc.value.status == 422
    return [str(p) for p in exc.value.report]


GOOD_ROWS = [
    # The child comes before its group: parents are resolved after every row is read.
    ["NL-01", "Retail NL", "G-1", "kam1", "NL", "retail", "EUR", "1000.50", "1200", "member1"],
    ["DE-01", "Retail DE", "G-1", "kam1", "de", "retail", "EUR", "", "900", ""],
    ["G-1", "Retail Group", "", "", "NL", "retail", "EUR", "", "", ""],
]


def test_good_file_creates_accounts_with_group_owner_revenue_team(director, kam_user, member):
    summary = account_import(user=director, content=csv_bytes(GOOD_ROWS), filename="a.csv")
    assert (summary.created, summary.updated, summary.unchanged) == (3, 0, 0)
    group = Account.objects.get(external_id="G-1")
    nl = Account.objects.get(external_id="NL-01")
    de = Account.objects.get(external_id="DE-01")
    assert nl.parent == group and de.parent == group and group.parent is None
    assert nl.owner == kam_user and group.owner is None
    assert de.country == "DE"
    assert {r.year: r.amount for r in nl.revenues.all()} == {
        2024: Decimal("1000.50"),
        2025: Decimal("1200.00"),
    }
    assert {r.year for r in de.revenues.all()} == {2025}
    assert [(m.user, m.team_role) for m in nl.team.all()] == [(member, TeamRole.CORE)]


def test_same_file_twice_changes_nothing(director, kam_user, member):
    account_import(user=director, content=csv_bytes(GOOD_ROWS), filename="a.csv")
    summary = account_import(user=director, content=csv_bytes(GOOD_ROWS), filename="a.csv")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 3)


def test_existing_accounts_are_updated_by_external_id(director, kam_user, member):
    account_import(user=director, content=csv_bytes(GOOD_ROWS), filename="a.csv")
    rows = [list(r) for r in GOOD_ROWS]
    rows[0][1] = "Retail Netherlands"
    rows[1][8] = "950"
    rows[2][9] = ""
    summary = account_import(user=director, content=csv_bytes(rows), filename="a.csv")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 2, 1)
    assert Account.objects.get(external_id="NL-01").name == "Retail Netherlands"
    assert AccountRevenue.objects.get(account__external_id="DE-01", year=2025).amount == 950
    assert Account.objects.count() == 3


def test_empty_revenue_cell_leaves_stored_figure(director, kam_user, member):
    account_import(user=director, content=csv_bytes(GOOD_ROWS), filename="a.csv")
    rows = [list(r) for r in GOOD_ROWS]
    rows[0][7] = ""
    account_import(user=director, content=csv_bytes(rows), filename="a.csv")
    assert AccountRevenue.objects.get(account__external_id="NL-01", year=2024).amount == Decimal(
        "1000.50"
    )


def test_optional_columns_left_out_keep_values(director, kam_user):
    account = AccountFactory(external_id="C1", owner=kam_user, channel="online", currency="GBP")
    AccountRevenueFactory(account=account, year=2024, amount=Decimal("5"))
    content = csv_bytes([["C1", "New name", "NL"]], header=["external_id", "name", "country"])
    summary = account_import(user=director, content=content, filename="a.csv")
    assert summary.updated == 1
    account.refresh_from_db()
    assert (account.name, account.owner, account.channel, account.currency) == (
        "New name",
        kam_user,
        "online",
        "GBP",
    )
    assert account.revenues.count() == 1


def test_semicolon_separated_csv_with_bom(director, kam_user, member):
    content = b"\xef\xbb\xbf" + csv_bytes(GOOD_ROWS, delimiter=";")
    summary = account_import(user=director, content=content, filename="a.csv")
    assert summary.created == 3


def test_windows_1252_csv(director):
    content = "external_id,name,country\nC1,Caf\u00e9 M\u00fcller,DE\n".encode("cp1252")
    account_import(user=director, content=content, filename="a.csv")
    assert Account.objects.get(external_id="C1").name == "Caf\u00e9 M\u00fcller"


def test_xlsx_import_with_numbers_and_parent_later(director, kam_user, member):
    rows = [
        [1001, "Child", "G-1", "kam1", "NL", "retail", "EUR", 1000.5, 1200, "member1"],
        ["G-1", "Group", None, None, "NL", "retail", "EUR", None, None, None],
    ]
    summary = account_import(user=director, content=xlsx_bytes(rows), filename="a.xlsx")
    assert summary.created == 2
    child = Account.objects.get(external_id="1001")
    assert child.parent.external_id == "G-1"
    assert {r.year: r.amount for r in child.revenues.all()} == {
        2024: Decimal("1000.50"),
        2025: Decimal("1200.00"),
    }


def test_xlsx_report_uses_spreadsheet_row_numbers(director):
    rows = [
        ["C1", "Good", "", "", "NL", "", "EUR", "", "", ""],
        [None] * 10,  # a blank row still counts in the spreadsheet's numbering
        ["C2", "Bad", "", "", "Holland", "", "EUR", "", "", ""],
    ]
    problems = problems_of(director, xlsx_bytes(rows), "a.xlsx")
    assert problems == [
        "row 4, column country: 'Holland' is not a two-letter ISO country code "
        "(for example NL, DE, GB)."
    ]


# --- every kind of bad row -----------------------------------------------------------------


def row(**changes: str) -> list[str]:
    values = dict(
        zip(HEADER, ["C1", "Name", "", "", "NL", "retail", "EUR", "", "", ""], strict=True)
    )
    values.update(changes)
    return [values[h] for h in HEADER]


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (
            row(country="Holland"),
            "row 2, column country: 'Holland' is not a two-letter ISO country code",
        ),
        (
            row(currency="EURO"),
            "row 2, column currency: 'EURO' is not a three-letter ISO currency code",
        ),
        (row(owner="nobody"), "row 2, column owner: there is no user 'nobody'"),
        (row(owner="viewer1"), "row 2, column owner: 'viewer1' cannot own accounts"),
        (
            row(parent_external_id="G-404"),
            "row 2, column parent_external_id: there is no account 'G-404' in this file or in kam",
        ),
        (
            row(parent_external_id="C1"),
            "row 2, column parent_external_id: an account cannot be its own group",
        ),
        (row(revenue_2024="lots"), "row 2, column revenue_2024: 'lots' is not a number"),
        (row(revenue_2025="1.234,50 EUR"), "row 2, column revenue_2025: '1.234,50 EUR' is not a"),
        (row(revenue_2025="-10"), "row 2, column revenue_2025: Revenue cannot be negative"),
        (row(name=""), "row 2, column name: The name is empty"),
        (row(external_id=""), "row 2, column external_id: The external id is empty"),
        (row(team="ghost"), "row 2, column team: there is no user 'ghost'"),
        (
            row(owner="kam1", team="kam1"),
            "row 2, column team: the owner leads the account team already",
        ),
    ],
)
def test_bad_row_is_reported_with_row_column_reason(director, viewer, kam_user, bad, expected):
    problems = problems_of(director, csv_bytes([bad]))
    assert len(problems) == 1
    assert problems[0].startswith(expected)
    assert not Account.objects.exists()


def test_row_with_more_values_than_header(director):
    content = b"external_id,name,country,revenue_2025\nC1,One,NL,1,234.50\n"
    assert problems_of(director, content) == [
        "row 2: the row has more values than the header has columns; is there a comma in a "
        "value that is not in quotes (1,234.50 or a name)?"
    ]


def test_duplicate_external_id_in_file(director):
    problems = problems_of(director, csv_bytes([row(), row(name="Other"), row()]))
    assert problems == [
        "row 3, column external_id: 'C1' appears more than once in the file (first on row 2).",
        "row 4, column external_id: 'C1' appears more than once in the file (first on row 2).",
    ]


def test_cycle_within_file_is_reported_for_each_member(director):
    rows = [
        row(external_id="A", parent_external_id="B"),
        row(external_id="B", parent_external_id="C"),
        row(external_id="C", parent_external_id="A"),
        row(external_id="D", parent_external_id="A"),
    ]
    problems = problems_of(director, csv_bytes(rows))
    assert len(problems) == 3
    assert all("the groups would form a loop" in p for p in problems)
    assert [p.split(",")[0] for p in problems] == ["row 2", "row 3", "row 4"]


def test_cycle_through_stored_accounts(director):
    group = AccountFactory(external_id="G")
    AccountFactory(external_id="X", parent=group)
    # Making G a member of X would close the loop G -> X -> G.
    problems = problems_of(director, csv_bytes([row(external_id="G", parent_external_id="X")]))
    assert len(problems) == 1 and "G → X → G" in problems[0]


def test_missing_required_columns(director):
    content = csv_bytes([["C1", "Name"]], header=["external_id", "name"])
    assert problems_of(director, content) == [
        "row 1, column country: this column is required but missing."
    ]


def test_unknown_and_doubled_columns(director):
    content = csv_bytes(
        [["C1", "N", "NL", "1", "2"]],
        header=["external_id", "name", "country", "revenu_2024", "name"],
    )
    problems = problems_of(director, content)
    assert problems[0].startswith("row 1, column revenu_2024: unknown column")
    assert problems[1] == "row 1, column name: the column appears twice."


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"", "a.csv", "The file is empty."),
        (b"\n\n", "a.csv", "The file is empty."),
        (b"external_id,name,country\n", "a.csv", "The file has a header but no account rows"),
        (b"%PDF-1.4 ...", "a.pdf", "'a.pdf' is not a CSV or XLSX file"),
        (b"\xd0\xcf\x11\xe0", "old.xls", "'old.xls' is in the old Excel format (.xls)"),
        (b"external_id,name\n", "a.xlsx", "'a.xlsx' is not an XLSX workbook"),
        (b"PK\x03\x04 not really a zip", "a.xlsx", "The file cannot be read as an XLSX workbook"),
    ],
)
def test_file_level_problems(director, content, filename, expected):
    problems = problems_of(director, content, filename)
    assert len(problems) == 1 and problems[0].startswith(expected)


def test_workbook_uploaded_as_csv_is_refused(director):
    problems = problems_of(director, xlsx_bytes([row()]), "a.csv")
    assert "is not CSV text" in problems[0]


def test_all_or_nothing_after_failure(director, kam_user):
    existing = AccountFactory(external_id="C0", name="Before", owner=kam_user)
    AccountRevenueFactory(account=existing, year=2024, amount=Decimal("10"))
    before = (
        Account.objects.count(),
        AccountRevenue.objects.count(),
        AccountTeamMember.objects.count(),
    )
    rows = [
        row(external_id="C0", name="After", revenue_2024="99"),
        row(external_id="C1", revenue_2025="5"),
        row(external_id="C2", team="kam1"),
        row(external_id="C3", country="Holland"),  # the one bad row
    ]
    problems = problems_of(director, csv_bytes(rows))
    assert problems == [
        "row 5, column country: 'Holland' is not a two-letter ISO country code "
        "(for example NL, DE, GB)."
    ]
    after = (
        Account.objects.count(),
        AccountRevenue.objects.count(),
        AccountTeamMember.objects.count(),
    )
    assert after == before
    existing.refresh_from_db()
    assert existing.name == "Before"
    assert existing.revenues.get().amount == Decimal("10")


def test_all_problems_are_reported_in_row_order(director):
    rows = [
        row(external_id="C1", country="XX"),
        row(external_id="C2", owner="ghost", revenue_2024="x"),
    ]
    problems = problems_of(director, csv_bytes(rows))
    assert [p.split(":")[0] for p in problems] == [
        "row 2, column country",
        "row 3, column owner",
        "row 3, column revenue_2024",
    ]


@pytest.mark.parametrize("fixture", ["kam_user", "member", "viewer"])
def test_only_directors_and_admins_import(request, fixture):
    with pytest.raises(ApplicationError) as exc:
        account_import(
            user=request.getfixturevalue(fixture), content=csv_bytes([row()]), filename="a.csv"
        )
    assert exc.value.status == 403
    assert not Account.objects.exists()


def test_admin_imports(db):
    admin = make_user(Role.ADMINISTRATOR)
    assert account_import(user=admin, content=csv_bytes([row()]), filename="a.csv").created == 1


# --- export and round trip -----------------------------------------------------------------


def _snapshot() -> list[tuple]:
    accounts = [
        (
            a.external_id,
            a.name,
            a.parent.external_id if a.parent else None,
            a.owner.username if a.owner else None,
            a.country,
            a.channel,
            a.currency,
        )
        for a in Account.objects.select_related("parent", "owner").order_by("external_id")
    ]
    revenues = sorted(AccountRevenue.objects.values_list("account__external_id", "year", "amount"))
    team = sorted(
        AccountTeamMember.objects.values_list("account__external_id", "user__username", "team_role")
    )
    return [accounts, revenues, team]


@pytest.fixture
def portfolio(kam_user, member):
    group = AccountFactory(external_id="G-1", name="Group, with comma")
    a = AccountFactory(
        external_id="00123",
        name='=HYPERLINK("x")',
        parent=group,
        owner=kam_user,
        currency="GBP",
        channel="food service",
    )
    b = AccountFactory(external_id="B-2", name='Café "Quoted"', parent=group, channel="")
    AccountRevenueFactory(account=a, year=2024, amount=Decimal("1234567.89"))
    AccountRevenueFactory(account=a, year=2025, amount=Decimal("0.10"))
    AccountRevenueFactory(account=b, year=2023, amount=Decimal("99999999999.99"))
    AccountTeamMember.objects.create(account=a, user=member, team_role=TeamRole.SURROUND)
    extra = make_user(Role.TEAM_MEMBER, username="zoe")
    AccountTeamMember.objects.create(account=a, user=extra, team_role=TeamRole.CORE)
    return [group, a, b]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(director, portfolio, file_format):
    before = _snapshot()
    content = account_export(accounts=Account.objects.all(), file_format=file_format)
    summary = account_import(user=director, content=content, filename=f"export.{file_format}")
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 3)
    assert _snapshot() == before


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_into_empty_database_recreates_everything(director, portfolio, file_format):
    before = _snapshot()
    content = account_export(accounts=Account.objects.all(), file_format=file_format)
    AccountTeamMember.objects.all().delete()
    AccountRevenue.objects.all().delete()
    Account.objects.filter(parent__isnull=False).delete()
    Account.objects.all().delete()
    summary = account_import(user=director, content=content, filename=f"export.{file_format}")
    assert summary.created == 3
    assert _snapshot() == before


def test_export_columns_and_formula_guard(portfolio):
    text = account_export(accounts=Account.objects.all(), file_format="csv").decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text)))
    assert records[0] == [
        "external_id",
        "name",
        "parent_external_id",
        "owner",
        "country",
        "channel",
        "currency",
        "revenue_2023",
        "revenue_2024",
        "revenue_2025",
        "team",
        "surround_team",
    ]
    by_id = {r[0]: r for r in records[1:]}
    assert by_id["00123"][1] == '\'=HYPERLINK("x")'  # never run as a formula by a spreadsheet
    assert by_id["00123"][3:] == [
        "kam1",
        "NL",
        "food service",
        "GBP",
        "",
        "1234567.89",
        "0.10",
        "zoe",
        "member1",
    ]


def test_xlsx_export_keeps_text_as_text(portfolio):
    content = account_export(accounts=Account.objects.all(), file_format="xlsx")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    values = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["00123"][1] == '=HYPERLINK("x")'
    assert sheet.cell(row=2, column=1).data_type == "s"


def test_export_only_given_accounts(portfolio):
    text = account_export(
        accounts=Account.objects.filter(external_id="B-2"), file_format="csv"
    ).decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in records[1:]] == ["B-2"]
    assert "revenue_2024" not in records[0]


def test_template_imports_cleanly(director):
    summary = account_import(user=director, content=account_import_template(), filename="t.csv")
    assert summary.created == 2
    assert Account.objects.get(external_id="C-1001").parent.external_id == "G-1000"


def test_large_import_uses_bulk_writes(director, kam_user, django_assert_max_num_queries):
    rows = [
        [
            f"C{i:05d}",
            f"Customer {i}",
            f"C{i + 1:05d}" if (i + 1) % 10 else "",
            "kam1",
            "NL",
            "retail",
            "EUR",
            f"{i}.50",
            str(i * 2),
            "",
        ]
        for i in range(3000)
    ]
    content = csv_bytes(rows)
    # A fixed handful of reads plus batched writes (SQLite caps a batch at its variable
    # limit, about a hundred accounts): a query per row would need thousands.
    with django_assert_max_num_queries(150):
        summary = account_import(user=director, content=content, filename="big.csv")
    assert summary.created == 3000
    assert AccountRevenue.objects.count() == 6000
    assert Account.objects.get(external_id="C00001").parent.external_id == "C00002"
    rows[5][1] = "Renamed"
    with django_assert_max_num_queries(20):
        summary = account_import(user=director, content=csv_bytes(rows), filename="big.csv")
    assert (summary.updated, summary.unchanged) == (1, 2999)
