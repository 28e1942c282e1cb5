"""Import of activities from a CSV file, all or nothing (see docs/activities.md).

Columns (header names, any order; the first five are required)::

    date              YYYY-MM-DD
    account           the account's external id
    duration_minutes  whole minutes, 1-1440, for each participant
    type              visit, call, meeting, review, email or other
    participants      usernames of our people, separated by semicolons
    contacts          the customer's people (names or e-mail addresses), by semicolons
    topic             up to 200 characters
    notes             free text
    uid               optional id from the calendar or system the row came from
    objective         optional: the plan objective or value proposition it was about, by
                      its code (``3f2a9c`` or ``#obj-3f2a9c``) or its exact title

Every row is checked first, with the same rules as logging one activity by hand
(``kam.activities.services``); if any row is wrong nothing is written and the caller gets
every problem with its row (the header is row 1), column and reason. A row whose ``uid``
is already stored is skipped as unchanged, so importing the same file again adds nothing.

The names in ``contacts`` are matched to the account's contacts by the rule of
``kam.core.contact_match``. Names that match nobody refuse the file as a whole
(``ActivityImportUnmatched``, listing each name with its account and rows) until a
``mapping`` says for each what it is: an existing contact of the account (its id), a new
contact (``NEW``; created with the activities) or nothing to match (``IGNORE``; kept on the
activity as "not matched"). All or nothing stays: the contacts created and the activities
are written in one transaction.

The ``objective`` column names an objective or value proposition of the account's plan
whose period holds the row's date, else of its current plan (``kam.plans.conversations``,
``ObjectiveIndex``): by its code or by its title (case, accents and spaces aside). A name
that is no such item, or a title two items share, is a problem of that row and column.

The problem and summary types are those of every import (``kam.imports.problems``), so all
imports report alike. The whole import costs a fixed number of queries.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kam.accounts.selectors import account_list_visible
from kam.activities.models import Activity
from kam.activities.selectors import activity_may_log
from kam.activities.services import (
    activities_bulk_insert,
    activity_contact_create,
    contacts_clean,
    date_clean,
    duration_clean,
    topic_clean,
    type_clean,
    uid_clean,
)
from kam.core.contact_match import Candidate, match_names
from kam.errors import ApplicationError, require
from kam.imports.limits import Deadline, date_plausible, date_reason, upload_size_check
from kam.imports.numbers import Convention, NumberProblem, read_numbers
from kam.imports.problems import ImportProblem, ImportRefused, ImportSummary
from kam.imports.readers import csv_records

COLUMNS: tuple[str, ...] = (
    "date",
    "account",
    "duration_minutes",
    "type",
    "participants",
    "contacts",
    "topic",
    "notes",
    "uid",
    "objective",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("date", "account", "duration_minutes", "type", "participants")
T = TypeVar("T")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


#: Mapping choices for a name that matches no contact (besides a contact id).
NEW = "new"
IGNORE = "ignore"

#: (account id, name as in the file) -> NEW, IGNORE or a contact id
Mapping = dict[tuple[int, str], str | int]


class ActivityImportError(ImportRefused):
    """An activity file refused whole; ``report`` lists every problem (row, column, reason)."""


@dataclass
class UnmatchedName:
    """A name in the contacts column that matches no contact of the row's account."""

    account_id: int
    account: str  # external id
    account_name: str
    name: str
    rows: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "account": self.account,
            "account_name": self.account_name,
            "name": self.name,
            "rows": self.rows,
        }


class ActivityImportUnmatched(ApplicationError):
    """A file whose contacts column names people who match no contact; nothing was written.

    ``unmatched`` lists each name with its account and rows, to be mapped (``mapping`` of
    ``activity_import``) before the file is imported again.
    """

    def __init__(self, unmatched: list[UnmatchedName]) -> None:
        self.unmatched = unmatched
        super().__init__(
            _(
                "%(count)d name(s) in the contacts column match no contact of their account; "
                "map each to a contact, create it or ignore it. Nothing was imported."
            )
            % {"count": len(unmatched)},
            field="contacts",
            status=422,
            problems=[
                _("row %(rows)s: '%(name)s' matches no contact of %(account)s.")
                % {
                    "rows": ", ".join(str(r) for r in u.rows),
                    "name": u.name,
                    "account": u.account_name,
                }
                for u in unmatched
            ],
        )


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _delimiter(first_line: str) -> str:
    # Semicolons separate participants inside a cell, so only a header without commas and
    # with semicolons is read as semicolon-separated.
    return "\t" if "\t" in first_line else ("," if "," in first_line else ";")


def _table(content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and numbered rows of CSV text (UTF-8 or Windows-1252; comma, semicolon or tab)."""
    return csv_records(content, error=ActivityImportError, delimiter_of=_delimiter)


@dataclass
class _Row:
    number: int
    values: dict[str, Any] = field(default_factory=dict)
    participant_ids: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    new_contacts: list[str] = field(default_factory=list)


class _Import:
    """One run: read the references once, check every row, then write in bulk."""

    def __init__(
        self,
        *,
        user: User,
        header: list[str],
        rows: list[tuple[int, list[str]]],
        decimal: Convention | None = None,
        mapping: Mapping | None = None,
    ):
        self.user = user
        self.decimal = decimal
        self.mapping = dict(mapping or {})
        self.unmatched: dict[tuple[int, str], UnmatchedName] = {}
        self.header = [h.strip().lower() for h in header]
        self.rows = rows
        self.columns: dict[str, int] = {}
        self.problems: list[ImportProblem] = []

    def problem(self, row: int | None, column: str, reason: str) -> None:
        self.problems.append(ImportProblem(row, column, reason))

    def check_header(self) -> None:
        for index, name in enumerate(self.header):
            if not name:
                continue
            if name in self.columns:
                self.problem(1, name, _("the column appears twice."))
            elif name not in COLUMNS:
                self.problem(
                    1,
                    name,
                    _("unknown column; the columns are %(columns)s.")
                    % {"columns": ", ".join(COLUMNS)},
                )
            else:
                self.columns[name] = index
        for name in REQUIRED_COLUMNS:
            if name not in self.columns:
                self.problem(1, name, _("this column is required but missing."))

    def cell(self, cells: list[str], column: str) -> str:
        index = self.columns.get(column)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def load_reference(self) -> None:
        """Visible accounts, users and stored uids: three queries whatever the file's length."""
        self.accounts = dict(account_list_visible(user=self.user).values_list("external_id", "pk"))
        wanted = {self.accounts.get(self.cell(cells, "account")) for _n, cells in self.rows}
        self.candidates: dict[int, list[Candidate]] = {}
        self.account_names: dict[int, tuple[str, str]] = {}
        if "contacts" in self.columns:
            from kam.accounts.models import Account
            from kam.relationships.models import Contact

            ids = sorted(pk for pk in wanted if pk is not None)
            for pk, account_id, name, email in Contact.objects.filter(
                account_id__in=ids, erased_at=None
            ).values_list("pk", "account_id", "name", "email"):
                self.candidates.setdefault(account_id, []).append(Candidate(pk, name, email))
            self.account_names = {
                pk: (external_id, name)
                for pk, external_id, name in Account.objects.filter(pk__in=ids).values_list(
                    "pk", "external_id", "name"
                )
            }
        self.users: dict[str, tuple[int, bool]] = {
            username: (pk, active)
            for pk, username, active in get_user_model()
            .objects.filter(profile__isnull=False)
            .values_list("pk", "username", "is_active")
        }
        self.objectives: Any = None
        if "objective" in self.columns:
            from kam.plans.conversations import ObjectiveIndex

            self.objectives = ObjectiveIndex(pk for pk in wanted if pk is not None)
        uids = {self.cell(cells, "uid") for _n, cells in self.rows} - {""}
        self.stored_uids: set[str] = set()
        uid_list = sorted(uids)
        for start in range(0, len(uid_list), 500):
            self.stored_uids.update(
                Activity.objects.filter(external_uid__in=uid_list[start : start + 500]).values_list(
                    "external_uid", flat=True
                )
            )

    def clean(self, number: int, column: str, rule: Callable[[Any], T], value: Any) -> T | None:
        try:
            return rule(value)
        except ApplicationError as exc:
            self.problem(number, column, exc.message)
            return None

    def read_rows(self) -> tuple[list[_Row], int]:
        """The rows to write, and how many were skipped because their uid is stored."""
        out: list[_Row] = []
        skipped = 0
        first_seen: dict[str, int] = {}
        width = len(self.header)
        durations = read_numbers(
            (
                (number, number, "duration_minutes", self.cell(cells, "duration_minutes"))
                for number, cells in self.rows
            ),
            decimal=self.decimal,
        )
        bad_duration = {p.row: p for p in durations.problems}
        deadline = Deadline()
        for number, cells in self.rows:
            deadline.check()
            if not any(c.strip() for c in cells):
                continue
            if any(c.strip() for c in cells[width:]):
                self.problem(
                    number,
                    "",
                    _(
                        "the row has more values than the header has columns; is there a "
                        "comma in a value that is not in quotes?"
                    ),
                )
            uid = self.clean(number, "uid", uid_clean, self.cell(cells, "uid")) or ""
            if uid:
                if uid in first_seen:
                    self.problem(
                        number,
                        "uid",
                        _("'%(uid)s' appears more than once in the file (first on row %(first)d).")
                        % {"uid": uid, "first": first_seen[uid]},
                    )
                    continue
                first_seen[uid] = number
                if uid in self.stored_uids:
                    skipped += 1
                    continue
            row = _Row(number)
            row.values["external_uid"] = uid
            row.values["date"] = self.read_date(number, self.cell(cells, "date"))
            row.values["account_id"] = self.read_account(number, self.cell(cells, "account"))
            row.values["duration_minutes"] = self.duration(
                number, self.cell(cells, "duration_minutes"), durations.values, bad_duration
            )
            row.values["type"] = self.clean(number, "type", type_clean, self.cell(cells, "type"))
            row.participant_ids = self.read_participants(number, self.cell(cells, "participants"))
            row.names = (
                self.clean(number, "contacts", contacts_clean, _split(self.cell(cells, "contacts")))
                or []
            )
            row.values["contact_names"] = []
            if row.values["account_id"] is not None:
                self.read_contacts(row)
            row.values["topic"] = self.clean(
                number, "topic", topic_clean, self.cell(cells, "topic")
            )
            row.values["notes"] = self.cell(cells, "notes")
            row.values["objective_id"] = self.read_objective(
                number, row.values, self.cell(cells, "objective")
            )
            out.append(row)
        return out, skipped

    def duration(
        self,
        number: int,
        text: str,
        values: dict[Any, Decimal],
        problems: dict[int | None, NumberProblem],
    ) -> int | None:
        """The row's minutes, read as a number of the file (``kam.imports.numbers``)."""
        if number in problems:
            self.problem(number, "duration_minutes", problems[number].reason + ".")
            return None
        value = values.get(number)
        if value is not None and value == value.to_integral_value():
            return self.clean(number, "duration_minutes", duration_clean, int(value))
        return self.clean(number, "duration_minutes", duration_clean, text)

    def read_contacts(self, row: _Row) -> None:
        """Match the row's names; the unmatched go by the mapping, or are listed to map."""
        account_id = row.values["account_id"]
        people = self.candidates.get(account_id, [])
        match = match_names(row.names, people)
        row.contact_ids = match.ids
        for name in match.unmatched:
            choice = self.mapping.get((account_id, name))
            if choice is None:
                external_id, account_name = self.account_names.get(account_id, ("", ""))
                self.unmatched.setdefault(
                    (account_id, name),
                    UnmatchedName(account_id, external_id, account_name, name),
                ).rows.append(row.number)
            elif choice == IGNORE:
                row.values["contact_names"].append(name)
            elif choice == NEW:
                row.new_contacts.append(name)
            elif str(choice).isdigit() and int(choice) in {c.id for c in people}:
                if int(choice) not in row.contact_ids:
                    row.contact_ids.append(int(choice))
            else:
                self.problem(
                    row.number,
                    "contacts",
                    _("'%(name)s' is mapped to a contact that is not one of the account's.")
                    % {"name": name},
                )

    def create_contacts(self, rows: list[_Row]) -> None:
        """The contacts the mapping asks to create, once per account and name."""
        from kam.accounts.models import Account

        made: dict[tuple[int, str], int] = {}
        accounts = {a.pk: a for a in Account.objects.filter(pk__in=self.account_names)}
        for row in rows:
            for name in row.new_contacts:
                key = (row.values["account_id"], name)
                if key not in made:
                    account = accounts[key[0]]
                    if "@" in name:
                        label = name.split("@", 1)[0].replace(".", " ").title()
                        values = {"name": label, "email": name}
                    else:
                        values = {"name": name}
                    try:
                        made[key] = activity_contact_create(
                            user=self.user, account=account, **values
                        ).pk
                    except ApplicationError as exc:
                        raise ActivityImportError(
                            [
                                ImportProblem(
                                    row.number,
                                    "contacts",
                                    _("'%(name)s' cannot be added to %(account)s: %(reason)s")
                                    % {
                                        "name": name,
                                        "account": account.name,
                                        "reason": exc.message,
                                    },
                                )
                            ]
                        ) from None
                if made[key] not in row.contact_ids:
                    row.contact_ids.append(made[key])

    def read_objective(self, number: int, values: dict[str, Any], text: str) -> int | None:
        """The id of the objective the row names (None when the cell is empty)."""
        if not text or self.objectives is None:
            return None
        if values.get("account_id") is None or values.get("date") is None:
            return None  # the account or date is wrong already, and reported
        try:
            return int(self.objectives.resolve(values["account_id"], values["date"], text).pk)
        except LookupError as exc:
            self.problem(number, "objective", str(exc))
            return None

    def read_date(self, number: int, text: str) -> dt.date | None:
        if not text:
            self.problem(number, "date", _("the date is missing."))
            return None
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            self.problem(
                number,
                "date",
                _("'%(value)s' is not a date in the form YYYY-MM-DD.") % {"value": text},
            )
            return None
        if not date_plausible(value):  # the same years in every import (kam.imports.limits)
            self.problem(number, "date", date_reason(text))
            return None
        return self.clean(number, "date", date_clean, value)

    def read_account(self, number: int, external_id: str) -> int | None:
        if not external_id:
            self.problem(number, "account", _("the account's external id is missing."))
            return None
        pk = self.accounts.get(external_id)
        if pk is None:
            # Accounts the importer cannot read are reported exactly like missing ones.
            self.problem(
                number,
                "account",
                _("There is no account with external id '%(id)s'.") % {"id": external_id},
            )
        return pk

    def read_participants(self, number: int, text: str) -> list[int]:
        names = _split(text)
        if not names:
            self.problem(
                number, "participants", _("Name at least one of our people who took part.")
            )
            return []
        ids: list[int] = []
        for name in names:
            found = self.users.get(name)
            if found is None:
                self.problem(
                    number,
                    "participants",
                    _("There is no user '%(username)s'.") % {"username": name},
                )
            elif not found[1]:
                self.problem(
                    number,
                    "participants",
                    _("%(name)s is no longer active and cannot take part.") % {"name": name},
                )
            elif found[0] not in ids:
                ids.append(found[0])
        return ids

    def write(self, rows: list[_Row]) -> int:
        creator = self.user if self.user.is_authenticated else None
        activities = [Activity(created_by=creator, **row.values) for row in rows]
        activities_bulk_insert(
            activities=activities,
            participant_ids=[row.participant_ids for row in rows],
            contact_ids=[row.contact_ids for row in rows],
        )
        return len(activities)


def activity_import(
    *,
    user: User,
    content: bytes,
    filename: str = "",
    decimal: Convention | None = None,
    mapping: Mapping | None = None,
) -> ImportSummary:
    """Import activities from CSV ``content``, all or nothing (see the module docstring).

    ``duration_minutes`` is read by ``kam.imports.numbers`` (``decimal``: the convention the
    user gave, None to tell it from the file).

    Everyone who may log activities may import them, on the accounts they may read.
    Returns how many were created and how many rows were skipped as already imported
    (``unchanged``); ``updated`` is always 0. Raises ``ActivityImportError`` (422) with
    every problem when the file cannot be imported as a whole, and
    ``ActivityImportUnmatched`` (422) when names in the contacts column match no contact
    and ``mapping`` does not say what they are.
    """
    require(activity_may_log(user=user), _("Viewers cannot log activities."))
    upload_size_check(len(content), name=filename)
    if content[:4] == b"PK\x03\x04":
        raise ActivityImportError(
            [
                ImportProblem(
                    None,
                    "",
                    _("'%(name)s' is a spreadsheet workbook; save it as CSV and upload that.")
                    % {"name": filename or "?"},
                )
            ]
        )
    header, rows = _table(content)
    if not any(h.strip() for h in header):
        raise ActivityImportError([ImportProblem(None, "", _("The file is empty."))])
    run = _Import(user=user, header=header, rows=rows, decimal=decimal, mapping=mapping)
    run.check_header()
    if run.problems:
        raise ActivityImportError(run.problems)
    if not any(any(c.strip() for c in cells) for _n, cells in rows):
        raise ActivityImportError(
            [ImportProblem(None, "", _("The file has a header but no activity rows below it."))]
        )
    order = {name: i for i, name in enumerate(COLUMNS)}
    try:
        with transaction.atomic():
            run.load_reference()
            to_write, skipped = run.read_rows()
            if run.problems:
                run.problems.sort(key=lambda p: (p.row or 0, order.get(p.column, -1)))
                raise ActivityImportError(run.problems)
            if run.unmatched:
                raise ActivityImportUnmatched(list(run.unmatched.values()))
            run.create_contacts(to_write)
            created = run.write(to_write)
    except IntegrityError:
        raise ApplicationError(
            _(
                "Activities with the same uid were stored while the file was being imported; "
                "nothing was imported. Please upload the file again."
            ),
            status=409,
        ) from None
    return ImportSummary(created=created, updated=0, unchanged=skipped)


def activity_import_template() -> bytes:
    """A CSV file with the import's columns and two example rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerow(
        [
            "2026-03-12",
            "C-1001",
            "120",
            "visit",
            "sanne; pieter",
            "Anna de Wit; j.bos@example.com",
            "Quarterly business review",
            "Agreed a joint promotion plan for the summer.",
            "crm-48211",
            "Grow chilled soups",
        ]
    )
    writer.writerow(
        ["2026-03-14", "C-1001", "30", "call", "sanne", "Anna de Wit", "Follow-up", "", "", ""]
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
