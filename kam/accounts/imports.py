"""Import of accounts from CSV or XLSX files (see docs/import.md).

One file is one transaction: every row is checked first, against the same field rules
as the edit page (``kam.accounts.services``), and if any row is wrong nothing is written
and the caller gets the full list of problems, each with its row (as the spreadsheet
numbers it: the header is row 1), its column and the reason (``kam.imports.problems``;
the file is read by ``kam.imports.readers``).

Rows match existing accounts on ``external_id``: a known id updates that account, an
unknown one creates it. A row may name as its group (``parent_external_id``) an account
that comes later in the same file; parents are resolved after all rows are read.

The whole import costs a fixed number of queries whatever the file's length: everything
it compares against is read up front, and writes go through ``bulk_create`` and
``bulk_update``. Export (``kam.accounts.exports``) writes the same columns, so exporting
and importing the file again changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from kam.accounts.models import Account, AccountRevenue, AccountTeamMember, TeamRole
from kam.accounts.selectors import account_may_import
from kam.accounts.services import (
    OWNER_ROLES,
    amount_clean,
    channel_clean,
    country_clean,
    currency_clean,
    external_id_clean,
    name_clean,
)
from kam.errors import ApplicationError, require
from kam.imports.limits import Deadline, upload_size_check, year_range
from kam.imports.numbers import Convention, read_numbers
from kam.imports.problems import ImportProblem, ImportRefused, ImportSummary
from kam.imports.readers import Table, read_table
from kam.organisation.selectors import organisation_get
from kam.web.history_records import bulk_history, history_actor, history_reason

#: The master-data columns, in the order export writes them.
BASE_COLUMNS: tuple[str, ...] = (
    "external_id",
    "name",
    "parent_external_id",
    "owner",
    "country",
    "channel",
    "currency",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("external_id", "name", "country")
#: Semicolon-separated usernames of the core and the surround team (docs/method.md section 3).
TEAM_COLUMNS: tuple[str, ...] = ("team", "surround_team")
REVENUE_COLUMN = re.compile(r"^revenue_(\d{4})$")
REVENUE_PREFIX = "revenue_"


# --- checking and writing ------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    external_id: str
    values: dict[str, Any] = field(default_factory=dict)  # model field -> value
    parent_external_id: str | None = None  # None: column absent or cell empty
    revenues: dict[int, Decimal] = field(default_factory=dict)
    team: dict[str, list[int]] = field(default_factory=dict)  # team role -> user ids


@dataclass
class _Existing:
    pk: int
    external_id: str
    name: str
    parent_id: int | None
    owner_id: int | None
    country: str
    channel: str
    currency: str


class _Import:
    """One import run: read everything it needs once, check every row, then write in bulk."""

    def __init__(self, table: Table, decimal: Convention | None = None) -> None:
        self.table = table
        self.decimal = decimal
        self.problems: list[ImportProblem] = []
        self.columns: dict[str, int] = {}
        self.revenue_columns: dict[int, str] = {}  # year -> column name

    def problem(self, row: int | None, column: str, reason: str) -> None:
        self.problems.append(ImportProblem(row, column, reason))

    def has(self, column: str) -> bool:
        return column in self.columns

    # header ------------------------------------------------------------------------------

    def check_header(self) -> None:
        header = [h.strip().lower() for h in self.table.header]
        known = set(BASE_COLUMNS) | set(TEAM_COLUMNS)
        for index, name in enumerate(header):
            if not name:
                if any(
                    index < len(cells) and cells[index].strip() for _n, cells in self.table.rows
                ):
                    self.problem(
                        1,
                        get_column_letter(index + 1),
                        _("this column has values but no name in the header row."),
                    )
                continue
            if name in self.columns:
                self.problem(1, name, _("the column appears twice."))
                continue
            match = REVENUE_COLUMN.match(name)
            if match:
                year = int(match.group(1))
                first, last = year_range()
                if not first <= year <= last:
                    self.problem(
                        1,
                        name,
                        _("%(year)d is not a year between %(first)d and %(last)d.")
                        % {"year": year, "first": first, "last": last},
                    )
                    continue
                self.revenue_columns[year] = name
            elif name not in known:
                self.problem(
                    1,
                    name,
                    _(
                        "unknown column; the columns are %(columns)s and revenue_<year> "
                        "(for example revenue_2025)."
                    )
                    % {"columns": ", ".join((*BASE_COLUMNS, *TEAM_COLUMNS))},
                )
                continue
            self.columns[name] = index
        for name in REQUIRED_COLUMNS:
            if name not in self.columns:
                self.problem(1, name, _("this column is required but missing."))

    # rows --------------------------------------------------------------------------------

    def load_reference(self) -> None:
        """Everything the rows are compared with, in a fixed number of queries."""
        self.base_currency = organisation_get().base_currency
        self.users: dict[str, tuple[int, bool, str | None]] = {}
        self.users_folded: dict[str, str | None] = {}
        for pk, username, is_active, role in get_user_model().objects.values_list(
            "pk", "username", "is_active", "profile__role"
        ):
            self.users[username] = (pk, is_active, role)
            folded = username.casefold()
            # A case-insensitive match is used only when it is unambiguous.
            self.users_folded[folded] = None if folded in self.users_folded else username
        self.existing: dict[str, _Existing] = {
            row[1]: _Existing(*row)
            for row in Account.objects.values_list(
                "pk",
                "external_id",
                "name",
                "parent_id",
                "owner_id",
                "country",
                "channel",
                "currency",
            )
        }
        self.external_id_by_pk = {e.pk: e.external_id for e in self.existing.values()}

    def user(self, username: str) -> tuple[int, bool, str | None] | None:
        if username in self.users:
            return self.users[username]
        exact = self.users_folded.get(username.casefold())
        return self.users[exact] if exact else None

    def cell(self, cells: list[str], column: str) -> str:
        index = self.columns[column]
        return cells[index].strip() if index < len(cells) else ""

    def clean(self, number: int, column: str, rule: Any, value: Any, **kwargs: Any) -> Any:
        try:
            return rule(value, **kwargs)
        except ApplicationError as exc:
            self.problem(number, column, exc.message)
            return None

    def read_revenues(self) -> dict[Any, Decimal]:
        """Every revenue cell's number, read together (``kam.imports.numbers``): the
        file's decimal convention is decided by all of them at once."""
        cells = []
        for number, row_cells in self.table.rows:
            for column in self.revenue_columns.values():
                index = self.columns[column]
                stored = self.table.numbers.get((number, index))
                value = stored if stored is not None else self.cell(row_cells, column)
                cells.append(((number, column), number, column, value))
        reading = read_numbers(cells, decimal=self.decimal)
        for problem in reading.problems:
            self.problem(problem.row, problem.column, problem.reason + ".")
        return reading.values

    def read_rows(self) -> list[_Row]:
        rows: list[_Row] = []
        first_seen: dict[str, int] = {}
        revenues = self.read_revenues()
        deadline = Deadline()
        for number, cells in self.table.rows:
            deadline.check()
            if not any(c.strip() for c in cells):
                continue  # blank lines between blocks of rows are common in spreadsheets
            width = len(self.table.header)
            if any(c.strip() for c in cells[width:]):
                self.problem(
                    number,
                    "",
                    _(
                        "the row has more values than the header has columns; is there a "
                        "comma in a value that is not in quotes (1,234.50 or a name)?"
                    ),
                )
            external_id = self.clean(
                number, "external_id", external_id_clean, self.cell(cells, "external_id")
            )
            if external_id is not None:
                if external_id in first_seen:
                    self.problem(
                        number,
                        "external_id",
                        _("'%(id)s' appears more than once in the file (first on row %(first)d).")
                        % {"id": external_id, "first": first_seen[external_id]},
                    )
                else:
                    first_seen[external_id] = number
            row = _Row(number=number, external_id=external_id or "")
            row.values["name"] = self.clean(number, "name", name_clean, self.cell(cells, "name"))
            row.values["country"] = self.clean(
                number, "country", country_clean, self.cell(cells, "country")
            )
            if self.has("channel"):
                row.values["channel"] = self.clean(
                    number, "channel", channel_clean, self.cell(cells, "channel")
                )
            if self.has("currency"):
                text = self.cell(cells, "currency")
                row.values["currency"] = (
                    self.clean(number, "currency", currency_clean, text)
                    if text
                    else self.base_currency
                )
            if self.has("owner"):
                row.values["owner_id"] = self.owner(number, self.cell(cells, "owner"))
            if self.has("parent_external_id"):
                row.parent_external_id = self.cell(cells, "parent_external_id") or None
            for year, column in self.revenue_columns.items():
                value = revenues.get((number, column))
                if value is not None:
                    amount = self.clean(number, column, amount_clean, value, field=column)
                    if amount is not None:
                        row.revenues[year] = amount
            self.read_team(row, cells)
            rows.append(row)
        return rows

    def owner(self, number: int, username: str) -> int | None:
        if not username:
            return None
        found = self.user(username)
        if found is None:
            self.problem(
                number, "owner", _("there is no user '%(username)s'.") % {"username": username}
            )
            return None
        pk, is_active, role = found
        if not is_active:
            self.problem(
                number, "owner", _("'%(username)s' is no longer active.") % {"username": username}
            )
        elif role not in OWNER_ROLES:
            self.problem(
                number,
                "owner",
                _(
                    "'%(username)s' cannot own accounts: the owner must be a key account manager, "
                    "sales director or administrator."
                )
                % {"username": username},
            )
        return pk

    def read_team(self, row: _Row, cells: list[str]) -> None:
        seen: dict[int, str] = {}
        for column, team_role in (("team", TeamRole.CORE), ("surround_team", TeamRole.SURROUND)):
            if not self.has(column):
                continue
            members: list[int] = []
            for username in (u.strip() for u in self.cell(cells, column).split(";")):
                if not username:
                    continue
                found = self.user(username)
                if found is None:
                    self.problem(
                        row.number,
                        column,
                        _("there is no user '%(username)s'.") % {"username": username},
                    )
                    continue
                pk, is_active, _role = found
                if not is_active:
                    self.problem(
                        row.number,
                        column,
                        _("'%(username)s' is no longer active.") % {"username": username},
                    )
                elif seen.get(pk, team_role) != team_role:
                    self.problem(
                        row.number,
                        column,
                        _("'%(username)s' is in both the core and the surround team; pick one.")
                        % {"username": username},
                    )
                elif pk not in seen:
                    seen[pk] = team_role
                    members.append(pk)
            row.team[team_role] = members

    def check_owner_not_in_team(self, rows: list[_Row]) -> None:
        for row in rows:
            if "owner_id" in row.values:
                owner_id = row.values["owner_id"]
            else:
                existing = self.existing.get(row.external_id)
                owner_id = existing.owner_id if existing else None
            if owner_id is None:
                continue
            for team_role, members in row.team.items():
                if owner_id in members:
                    column = "team" if team_role == TeamRole.CORE else "surround_team"
                    self.problem(
                        row.number,
                        column,
                        _(
                            "the owner leads the account team already; do not list them as a "
                            "member."
                        ),
                    )

    def check_parents(self, rows: list[_Row]) -> None:
        """Second pass: every group exists (in the file or in kam) and no group loops."""
        in_file = {row.external_id: row for row in rows if row.external_id}
        parent_of: dict[str, str | None] = {}
        for row in rows:
            parent = row.parent_external_id
            if parent is None or not row.external_id:
                continue
            if parent == row.external_id:
                self.problem(
                    row.number, "parent_external_id", _("an account cannot be its own group.")
                )
                row.parent_external_id = None
            elif parent not in in_file and parent not in self.existing:
                self.problem(
                    row.number,
                    "parent_external_id",
                    _("there is no account '%(id)s' in this file or in kam.") % {"id": parent},
                )
                row.parent_external_id = None
        has_parent_column = self.has("parent_external_id")

        def group_of(external_id: str) -> str | None:
            if external_id in parent_of:
                return parent_of[external_id]
            row = in_file.get(external_id)
            if row is not None and has_parent_column:
                result = row.parent_external_id
            else:
                existing = self.existing.get(external_id)
                result = (
                    self.external_id_by_pk.get(existing.parent_id)
                    if existing and existing.parent_id
                    else None
                )
            parent_of[external_id] = result
            return result

        acyclic: set[str] = set()
        for row in rows:
            path: list[str] = []
            on_path: set[str] = set()
            node: str | None = row.external_id or None
            while node is not None and node not in acyclic:
                if node in on_path:
                    loop = path[path.index(node) :]
                    if row.external_id in loop:
                        chain = " → ".join([*loop, node])
                        self.problem(
                            row.number,
                            "parent_external_id",
                            _(
                                "the groups would form a loop (%(chain)s); an account cannot be "
                                "in its own group."
                            )
                            % {"chain": chain},
                        )
                    break
                path.append(node)
                on_path.add(node)
                node = group_of(node)
            else:
                acyclic.update(path)

    # writing -----------------------------------------------------------------------------

    def write(self, rows: list[_Row]) -> ImportSummary:
        now = timezone.now()
        has_parent = self.has("parent_external_id")
        field_names = ["name", "country", "channel", "currency", "owner_id"]

        new_accounts: list[Account] = []
        changed_accounts: list[Account] = []
        changed_ids: set[str] = set()
        for row in rows:
            existing = self.existing.get(row.external_id)
            if existing is None:
                new_accounts.append(
                    Account(
                        external_id=row.external_id,
                        name=row.values["name"],
                        country=row.values["country"],
                        channel=row.values.get("channel", ""),
                        currency=row.values.get("currency", self.base_currency),
                        owner_id=row.values.get("owner_id"),
                        created_at=now,
                        updated_at=now,
                    )
                )
                continue
            current = {name: getattr(existing, name) for name in field_names}
            wanted = {**current, **{k: v for k, v in row.values.items() if k in current}}
            parent_changed = False
            if has_parent:
                parent = self.existing.get(row.parent_external_id or "")
                # A parent that is new in this file cannot be the current one.
                parent_changed = (row.parent_external_id is not None and parent is None) or (
                    parent.pk if parent else None
                ) != existing.parent_id
            if wanted != current or parent_changed:
                changed_ids.add(row.external_id)
                changed_accounts.append(
                    Account(
                        pk=existing.pk,
                        external_id=existing.external_id,
                        parent_id=existing.parent_id,
                        updated_at=now,
                        **wanted,
                    )
                )

        pk_by_external_id = {e.external_id: e.pk for e in self.existing.values()}
        parents = {row.external_id: row.parent_external_id for row in rows} if has_parent else {}
        self.create_accounts(new_accounts, parents, pk_by_external_id)

        if has_parent:
            for account in changed_accounts:
                ext = parents[account.external_id]
                account.parent_id = pk_by_external_id[ext] if ext else None
        _update_many(
            Account,
            ["name", "country", "channel", "currency", "owner_id", "parent_id", "updated_at"],
            [
                (
                    a.name,
                    a.country,
                    a.channel,
                    a.currency,
                    a.owner_id,
                    a.parent_id,
                    a.updated_at,
                    a.pk,
                )
                for a in changed_accounts
            ],
        )

        self.write_history(new_accounts, changed_accounts, pk_by_external_id)
        changed_ids |= self.write_revenues(rows, pk_by_external_id)
        changed_ids |= self.write_teams(rows, pk_by_external_id)

        created = len(new_accounts)
        updated = len(changed_ids - {a.external_id for a in new_accounts})
        return ImportSummary(
            created=created, updated=updated, unchanged=len(rows) - created - updated
        )

    def write_history(
        self,
        new_accounts: list[Account],
        changed_accounts: list[Account],
        pk_by_external_id: dict[str, int],
    ) -> None:
        """The audit history of the accounts the file created or changed, in bulk.

        The writes above bypass model signals (bulk insert, one ``executemany``), so the
        history rows are written here: the stored rows read back in chunks and inserted
        with one bulk insert per 1,000 (kam/web/history_records.py). An account changed
        for the first time since history was kept first gets its stored state before the
        import (``self.existing``), so the change shows its "before".
        """
        changed_pks = [a.pk for a in changed_accounts]
        pks = [pk_by_external_id[a.external_id] for a in new_accounts]
        with_history = set()
        for start in range(0, len(changed_pks), 500):
            with_history.update(
                Account.history.filter(id__in=changed_pks[start : start + 500])
                .values_list("id", flat=True)
                .distinct()
            )
        baseline_pks = [pk for pk in changed_pks if pk not in with_history]
        if baseline_pks:
            by_pk = {e.pk: e for e in self.existing.values()}
            before = [
                Account(
                    pk=pk,
                    external_id=by_pk[pk].external_id,
                    name=by_pk[pk].name,
                    parent_id=by_pk[pk].parent_id,
                    owner_id=by_pk[pk].owner_id,
                    country=by_pk[pk].country,
                    channel=by_pk[pk].channel,
                    currency=by_pk[pk].currency,
                )
                for pk in baseline_pks
            ]
            # the fields the import does not touch, as stored
            for start in range(0, len(before), 500):
                chunk = before[start : start + 500]
                stored = {
                    row["pk"]: row
                    for row in Account.objects.filter(pk__in=[a.pk for a in chunk]).values(
                        "pk", "owner_planned_hours", "email_domains", "active", "created_at"
                    )
                }
                for account in chunk:
                    row = stored[account.pk]
                    account.owner_planned_hours = row["owner_planned_hours"]
                    account.email_domains = row["email_domains"]
                    account.active = row["active"]
                    account.created_at = account.updated_at = row["created_at"]
                    account._history_date = row["created_at"]  # type: ignore[attr-defined]
                    account._history_user = None  # type: ignore[attr-defined]
            with history_reason(""):
                bulk_history(Account, before)
        changed_set = set(changed_pks)
        for start in range(0, len(pks) + len(changed_pks), 1000):
            wanted = (pks + changed_pks)[start : start + 1000]
            stored_accounts = list(Account.objects.filter(pk__in=wanted))
            created = [a for a in stored_accounts if a.pk not in changed_set]
            updated = [a for a in stored_accounts if a.pk in changed_set]
            bulk_history(Account, created)
            bulk_history(Account, updated, update=True)

    def create_accounts(
        self,
        new_accounts: list[Account],
        parents: dict[str, str | None],
        pk_by_external_id: dict[str, int],
    ) -> None:
        """Insert new accounts group before member, so every parent id is known at insert.

        Level 0 holds accounts without a group or whose group is already stored; each next
        level the members of the one before. Groups are a few levels deep, and loops were
        refused earlier, so this ends after a handful of bulk inserts.
        """
        pending = list(new_accounts)

        def ready(account: Account) -> bool:
            ext = parents.get(account.external_id)
            return not ext or ext in pk_by_external_id

        while pending:
            level = [a for a in pending if ready(a)]
            if not level:  # check_parents refuses loops, so this would be a bug
                raise RuntimeError("account groups form a loop")
            for account in level:
                ext = parents.get(account.external_id)
                account.parent_id = pk_by_external_id[ext] if ext else None
            Account.objects.bulk_create(level, batch_size=1000)
            missing = [a.external_id for a in level if a.pk is None]
            for a in level:
                if a.pk is not None:
                    pk_by_external_id[a.external_id] = a.pk
            for start in range(0, len(missing), 500):
                pk_by_external_id.update(
                    Account.objects.filter(
                        external_id__in=missing[start : start + 500]
                    ).values_list("external_id", "pk")
                )
            placed = {a.external_id for a in level}
            pending = [a for a in pending if a.external_id not in placed]

    def write_revenues(self, rows: list[_Row], pk_by_external_id: dict[str, int]) -> set[str]:
        """Create or change the yearly figures in the file; empty cells leave a year as it is."""
        if not self.revenue_columns:
            return set()
        stored = {
            (account_id, year): (pk, amount)
            for pk, account_id, year, amount in AccountRevenue.objects.filter(
                year__in=list(self.revenue_columns)
            ).values_list("pk", "account_id", "year", "amount")
        }
        changed: set[str] = set()
        to_create: list[AccountRevenue] = []
        to_update: list[AccountRevenue] = []
        for row in rows:
            account_id = pk_by_external_id[row.external_id]
            for year, amount in row.revenues.items():
                current = stored.get((account_id, year))
                if current is None:
                    to_create.append(
                        AccountRevenue(account_id=account_id, year=year, amount=amount)
                    )
                elif current[1] != amount:
                    to_update.append(AccountRevenue(pk=current[0], amount=amount))
                else:
                    continue
                changed.add(row.external_id)
        AccountRevenue.objects.bulk_create(to_create, batch_size=1000)
        _update_many(AccountRevenue, ["amount"], [(r.amount, r.pk) for r in to_update])
        return changed

    def write_teams(self, rows: list[_Row], pk_by_external_id: dict[str, int]) -> set[str]:
        """Make each listed circle of the team exactly as in the file (section 3)."""
        if not any(self.has(c) for c in TEAM_COLUMNS):
            return set()
        stored: dict[int, dict[int, tuple[int, str]]] = {}
        for pk, account_id, user_id, team_role in AccountTeamMember.objects.values_list(
            "pk", "account_id", "user_id", "team_role"
        ):
            stored.setdefault(account_id, {})[user_id] = (pk, team_role)
        changed: set[str] = set()
        to_delete: list[int] = []
        to_create: list[AccountTeamMember] = []
        to_update: list[AccountTeamMember] = []
        for row in rows:
            account_id = pk_by_external_id[row.external_id]
            current = stored.get(account_id, {})
            wanted: dict[int, str] = {}
            # A circle whose column is absent keeps its members.
            for user_id, (_pk, team_role) in current.items():
                if team_role not in row.team:
                    wanted[user_id] = team_role
            for team_role, members in row.team.items():
                for user_id in members:
                    wanted[user_id] = team_role
            before = len(to_delete) + len(to_create) + len(to_update)
            for user_id, (pk, team_role) in current.items():
                if user_id not in wanted:
                    to_delete.append(pk)
                elif wanted[user_id] != team_role:
                    to_update.append(AccountTeamMember(pk=pk, team_role=wanted[user_id]))
            for user_id, team_role in wanted.items():
                if user_id not in current:
                    to_create.append(
                        AccountTeamMember(
                            account_id=account_id, user_id=user_id, team_role=team_role
                        )
                    )
            if len(to_delete) + len(to_create) + len(to_update) != before:
                changed.add(row.external_id)
        for start in range(0, len(to_delete), 500):
            AccountTeamMember.objects.filter(pk__in=to_delete[start : start + 500]).delete()
        _update_many(AccountTeamMember, ["team_role"], [(m.team_role, m.pk) for m in to_update])
        AccountTeamMember.objects.bulk_create(to_create, batch_size=1000)
        # the audit history of the seats created and changed (deletes sent their signals)
        bulk_history(AccountTeamMember, to_create)
        updated_pks = [m.pk for m in to_update]
        for start in range(0, len(updated_pks), 1000):
            bulk_history(
                AccountTeamMember,
                AccountTeamMember.objects.filter(pk__in=updated_pks[start : start + 1000]),
                update=True,
            )
        return changed


def _update_many(model: type[Model], fields: list[str], rows: list[tuple[Any, ...]]) -> None:
    """``UPDATE model SET fields WHERE pk`` for many rows as one ``executemany``.

    ``fields`` are the attribute names of concrete fields (``owner_id``, not ``owner``).
    Each tuple holds the new values in ``fields`` order, then the primary key. Django's
    ``bulk_update`` builds a CASE expression per field and row, which takes tens of
    seconds for ten thousand accounts; a prepared statement run for every row takes well
    under one, on SQLite and PostgreSQL alike.
    """
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    by_attname = {f.attname: f for f in meta.concrete_fields}
    model_fields = [by_attname[name] for name in fields]
    # A concrete field always has its column; django-stubs types ``column`` of every field
    # as ``str | None``.
    assignments = ", ".join(f"{quote(cast(str, f.column))} = %s" for f in model_fields)
    pk_column = quote(cast(str, meta.pk.column))
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {pk_column} = %s"
    params = [
        [
            *(
                f.get_db_prep_save(v, connection)
                for f, v in zip(model_fields, row[:-1], strict=True)
            ),
            row[-1],
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def account_import(
    *, user: User, content: bytes, filename: str, decimal: Convention | None = None
) -> ImportSummary:
    """Import accounts from a CSV or XLSX file, all or nothing (see the module docstring).

    Revenue figures written as text are read by ``kam.imports.numbers``: ``decimal``
    (``"comma"`` or ``"point"``) is the convention the user gave, None to tell it from the
    file. Only sales directors and administrators may import. Raises ``ImportRefused``
    (status 422) with every problem when the file cannot be imported as a whole.
    """
    require(
        account_may_import(user=user),
        _("Only a sales director or administrator can import accounts."),
    )
    upload_size_check(len(content), name=filename)
    table = read_table(
        content,
        filename,
        other_format=_(
            "'%(name)s' is not a CSV or XLSX file; kam imports accounts from .csv and .xlsx files."
        ),
    )
    if not table.header or not any(h.strip() for h in table.header):
        raise ImportRefused([ImportProblem(None, "", _("The file is empty."))])
    run = _Import(table, decimal)
    run.check_header()
    if run.problems:
        raise ImportRefused(run.problems)
    if not any(any(c.strip() for c in cells) for _n, cells in table.rows):
        raise ImportRefused(
            [ImportProblem(None, "", _("The file has a header but no account rows below it."))]
        )
    try:
        with transaction.atomic():
            run.load_reference()
            rows = run.read_rows()
            run.check_parents(rows)
            run.check_owner_not_in_team(rows)
            if run.problems:
                run.problems.sort(
                    key=lambda p: (
                        p.row or 0,
                        list(run.columns).index(p.column) if p.column in run.columns else 0,
                    )
                )
                raise ImportRefused(run.problems)
            with (
                history_reason(_("Import of %(file)s") % {"file": filename}),
                history_actor(user),
            ):
                return run.write(rows)
    except IntegrityError:
        raise ApplicationError(
            _(
                "Accounts changed while the file was being imported; nothing was imported. "
                "Please upload the file again."
            ),
            status=409,
        ) from None
