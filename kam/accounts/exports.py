"""Export of accounts as CSV or XLSX files, in the columns of the import (see docs/import.md).

Export writes the columns the account import reads (``kam.accounts.imports``), so exporting
and importing the file again changes nothing. Text that a spreadsheet program would run as a
formula is written with a quote before it (``kam.core.cells``), which the import takes off.
The import's template, a CSV file with two example rows, is written here too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from kam.accounts.imports import BASE_COLUMNS, REVENUE_PREFIX, TEAM_COLUMNS
from kam.accounts.models import Account, AccountRevenue, AccountTeamMember, TeamRole
from kam.core.cells import spreadsheet_row, xml_safe

FileFormat = Literal["csv", "xlsx"]

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def account_export_table(*, accounts: QuerySet[Account]) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of an export of ``accounts`` in their order (four queries).

    Revenue columns cover every year any of the accounts has a figure for; amounts are
    ``Decimal`` in the account's currency, empty where the year is unknown.
    """
    rows = list(
        accounts.values_list(
            "pk",
            "external_id",
            "name",
            "parent__external_id",
            "owner__username",
            "country",
            "channel",
            "currency",
        )
    )
    ids = accounts.order_by().values("pk")
    revenues: dict[int, dict[int, Decimal]] = {}
    for account_id, year, amount in AccountRevenue.objects.filter(account__in=ids).values_list(
        "account_id", "year", "amount"
    ):
        revenues.setdefault(account_id, {})[year] = amount
    teams: dict[int, dict[str, list[str]]] = {}
    for account_id, username, team_role in (
        AccountTeamMember.objects.filter(account__in=ids)
        .order_by("user__username")
        .values_list("account_id", "user__username", "team_role")
    ):
        teams.setdefault(account_id, {}).setdefault(team_role, []).append(username)
    years = sorted({year for by_year in revenues.values() for year in by_year})
    header = [*BASE_COLUMNS, *(f"{REVENUE_PREFIX}{y}" for y in years), *TEAM_COLUMNS]
    table: list[list[Any]] = []
    for pk, *base in rows:
        by_year = revenues.get(pk, {})
        team = teams.get(pk, {})
        table.append(
            [
                *(v or "" for v in base),
                *(by_year.get(y, "") for y in years),
                "; ".join(team.get(TeamRole.CORE, [])),
                "; ".join(team.get(TeamRole.SURROUND, [])),
            ]
        )
    return header, table


def _csv_bytes(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        # Text that would run as a formula gets a quote; import takes it off
        # (kam.imports.readers.unquote).
        writer.writerow(spreadsheet_row(row))
    # The byte-order mark makes spreadsheet programs read the file as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx_bytes(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("Accounts"))[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                value = xml_safe(value)  # openpyxl refuses control characters
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            elif isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def account_export(*, accounts: QuerySet[Account], file_format: FileFormat) -> bytes:
    """``accounts`` as a CSV (UTF-8) or XLSX file in the import's columns."""
    header, rows = account_export_table(accounts=accounts)
    if file_format == "xlsx":
        return _xlsx_bytes(header, rows)
    return _csv_bytes(header, rows)


def account_import_template() -> bytes:
    """A CSV file with the import's columns and two example rows (a group and a member)."""
    year = timezone.localdate().year
    years = [year - 2, year - 1, year]
    header = [*BASE_COLUMNS, *(f"{REVENUE_PREFIX}{y}" for y in years), *TEAM_COLUMNS]
    rows = [
        ["G-1000", "Example Retail Group", "", "", "NL", "retail", "EUR", "", "", "", "", ""],
        [
            "C-1001",
            "Example Retail Netherlands",
            "G-1000",
            "",
            "NL",
            "retail",
            "EUR",
            "1250000.00",
            "1310000.00",
            "",
            "",
            "",
        ],
    ]
    return _csv_bytes(header, rows)
