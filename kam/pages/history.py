"""Reading the audit history: who changed what, when, before and after (docs/history.md).

One selector for every page: :func:`history_scope` says which history rows belong to an
object's page ("account", "plan", "scheme", "review", "policies", "period", "user") and
refuses, with 404, an object the user may not see (the same selectors as the object's own
page); :func:`history_page` gives one page of :class:`Entry`, newest first, each with the
changed fields' labels and their values before and after, written the user's way
(``kam.web.formats``). :func:`history_export` writes the same as CSV or XLSX, per object or,
for administrators, everything in a date range. The history itself is written by
django-simple-history (kam/web/history_records.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.cells import spreadsheet_row
from kam.errors import ApplicationError
from kam.pages.selectors import history_may_see_all
from kam.web import formats
from kam.web.history_records import compared_fields

PER_PAGE = 20
KINDS: dict[str, Any] = {
    "account": gettext_lazy("account"),
    "plan": gettext_lazy("account plan"),
    "scheme": gettext_lazy("scoring scheme"),
    "review": gettext_lazy("portfolio review"),
    "policies": gettext_lazy("box policies"),
    "period": gettext_lazy("planning period"),
    "user": gettext_lazy("user"),
}

# Every audited model (app label, model name), for the administrator's export.
AUDITED = [
    ("accounts", "Account"),
    ("accounts", "AccountTeamMember"),
    ("portfolio", "ScoringScheme"),
    ("portfolio", "SchemeVersion"),
    ("portfolio", "Criterion"),
    ("portfolio", "Review"),
    ("portfolio", "Rating"),
    ("organisation", "BoxPolicy"),
    ("allocation", "PeriodBoxPolicy"),
    ("plans", "Plan"),
    ("plans", "PlanItem"),
    ("plans", "PlanAction"),
    ("plans", "ShareLink"),
    ("plans", "PlanSignOff"),
    ("economics", "Investment"),
    ("relationships", "AccountRelationship"),
    ("users", "Profile"),
    ("auth", "User"),
]

ACTIONS = {
    "+": gettext_lazy("created"),
    "~": gettext_lazy("changed"),
    "-": gettext_lazy("deleted"),
}


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass
class Entry:
    """One history row: what happened to one object, by whom, when, and which fields."""

    when: dt.datetime
    who: str
    action: str
    what: str
    object_id: Any
    object_label: str
    reason: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class HistoryScope:
    """The history rows of one object's page."""

    kind: str
    pk: int
    title: str
    querysets: list[QuerySet[Any]]


@dataclass
class HistoryPage:
    entries: list[Entry]
    number: int
    num_pages: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


# --- who may see what ---------------------------------------------------------------------


def _role(user: User | AnonymousUser) -> str | None:
    from kam.accounts.selectors import user_role

    return user_role(user)


def _history(app_label: str, model_name: str) -> Any:
    return apps.get_model(app_label, model_name).history


def _not_found() -> ApplicationError:
    return ApplicationError(_("There is no such object."), status=404)


def history_scope(*, user: User | AnonymousUser, kind: str, pk: int) -> HistoryScope:
    """The history of object ``pk`` of ``kind`` that ``user`` may see; 404 when they may not.

    Visibility is the object page's own: an account or plan the user may not read, a
    period without a kam role, policies for those who may not set them, users and roles
    for anyone but an administrator all answer "no such object".
    """
    from kam.accounts.selectors import account_get_visible, account_list_visible

    if not user.is_authenticated or kind not in KINDS:
        raise _not_found()
    if kind == "account":
        account = account_get_visible(user=user, account_id=pk)
        return HistoryScope(
            kind,
            pk,
            str(account),
            [
                _history("accounts", "Account").filter(id=pk),
                _history("accounts", "AccountTeamMember").filter(account_id=pk),
                _history("economics", "Investment").filter(account_id=pk),
                _history("relationships", "AccountRelationship").filter(account_id=pk),
            ],
        )
    if kind == "plan":
        from kam.plans.selectors import plan_get_visible

        plan = plan_get_visible(user=user, plan_id=pk)
        return HistoryScope(
            kind,
            pk,
            str(plan),
            [
                _history("plans", "Plan").filter(id=pk),
                _history("plans", "PlanItem").filter(plan_id=pk),
                _history("plans", "PlanAction").filter(plan_id=pk),
                _history("plans", "ShareLink").filter(plan_id=pk),
                _history("plans", "PlanSignOff").filter(plan_id=pk),
            ],
        )
    if kind == "scheme":
        from kam.portfolio.models import SchemeVersion
        from kam.portfolio.scheme_selectors import scheme_get

        if _role(user) is None:
            raise _not_found()
        scheme = scheme_get(scheme_id=pk)
        versions = list(SchemeVersion.objects.filter(scheme_id=pk).values_list("pk", flat=True))
        return HistoryScope(
            kind,
            pk,
            str(scheme),
            [
                _history("portfolio", "ScoringScheme").filter(id=pk),
                _history("portfolio", "SchemeVersion").filter(scheme_id=pk),
                _history("portfolio", "Criterion").filter(version_id__in=versions),
            ],
        )
    if kind == "review":
        from kam.portfolio.review_selectors import review_get

        if _role(user) is None:
            raise _not_found()
        review = review_get(review_id=pk)
        ratings = _history("portfolio", "Rating").filter(review_id=pk)
        if not (getattr(user, "profile", None) and user.profile.sees_all_accounts):
            ratings = ratings.filter(account_id__in=account_list_visible(user=user).values("pk"))
        return HistoryScope(
            kind, pk, str(review), [_history("portfolio", "Review").filter(id=pk), ratings]
        )
    if kind == "policies":
        from kam.organisation.selectors import organisation_get, policy_may_edit

        organisation = organisation_get()
        if not policy_may_edit(user=user) or organisation.pk != pk:
            raise _not_found()
        return HistoryScope(
            kind,
            pk,
            str(_("Policies")),
            [_history("organisation", "BoxPolicy").filter(organisation_id=pk)],
        )
    if kind == "period":
        from kam.allocation.selectors import period_get

        period = period_get(user=user, period_id=pk)
        return HistoryScope(
            kind,
            pk,
            str(period),
            [_history("allocation", "PeriodBoxPolicy").filter(period_id=pk)],
        )
    # kind == "user"
    from django.contrib.auth import get_user_model

    if not history_may_see_all(user=user):
        raise _not_found()
    person = get_user_model().objects.filter(pk=pk).first()
    if person is None:
        raise _not_found()
    return HistoryScope(
        kind,
        pk,
        person.get_full_name() or person.get_username(),
        [
            _history("auth", "User").filter(id=pk),
            _history("users", "Profile").filter(user_id=pk),
        ],
    )


# --- entries -------------------------------------------------------------------------------


class _Formatter:
    """Field values the user's way; related objects looked up once per page."""

    def __init__(self) -> None:
        self._related: dict[tuple[type[models.Model], Any], str] = {}
        self._users: dict[Any, str] = {}

    def user(self, user_id: Any) -> str:
        if user_id is None:
            return str(_("system"))
        if user_id not in self._users:
            from django.contrib.auth import get_user_model

            person = get_user_model().objects.filter(pk=user_id).first()
            self._users[user_id] = (
                (person.get_full_name() or person.get_username()) if person else f"#{user_id}"
            )
        return self._users[user_id]

    def related(self, model: type[models.Model], pk: Any) -> str:
        from django.contrib.auth import get_user_model

        if model is get_user_model():
            return self.user(pk)
        key = (model, pk)
        if key not in self._related:
            obj = model._default_manager.filter(pk=pk).first()
            self._related[key] = str(obj) if obj is not None else f"#{pk}"
        return self._related[key]

    def value(self, f: models.Field[Any, Any], value: Any) -> str:
        if value is None or value == "" or value == [] or value == {}:
            return formats.DASH
        if f.choices:
            return str(dict(f.flatchoices).get(value, value))
        if isinstance(f, models.ForeignKey):
            return self.related(f.related_model, value)
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        if isinstance(value, Decimal | float):
            digits = getattr(f, "decimal_places", None)
            return formats.number(value, digits if digits is not None else 2)
        if isinstance(value, dt.datetime):
            local = timezone.localtime(value)
            return f"{formats.date(local)} {local:%H:%M}"
        if isinstance(value, dt.date):
            return formats.date(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return ", ".join(value)
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return str(value)


def _label(record: Any) -> str:
    try:
        return str(record.history_object)
    except Exception:  # a __str__ reaching a deleted related row
        return f"#{record.id}"


def _field_label(f: models.Field[Any, Any]) -> str:
    # verbose names made by Django from the field's name ("user") are plain strings
    return str(capfirst(_(str(f.verbose_name))))


def _entry(record: Any, previous: Any, fmt: _Formatter) -> Entry:
    model = record.instance_type
    fields = compared_fields(model)
    changes: list[Change] = []
    if record.history_type != "-":
        for f in fields:
            if f.primary_key or isinstance(f, models.UUIDField):
                continue  # ids say nothing to a person
            after = getattr(record, f.attname)
            before = getattr(previous, f.attname) if previous is not None else None
            if previous is None and record.history_type == "~":
                changes.append(Change(_field_label(f), "?", fmt.value(f, after)))
            elif previous is None:
                if after not in (None, "", [], {}):
                    changes.append(Change(_field_label(f), formats.DASH, fmt.value(f, after)))
            elif before != after:
                changes.append(Change(_field_label(f), fmt.value(f, before), fmt.value(f, after)))
    return Entry(
        when=record.history_date,
        who=fmt.user(record.history_user_id),
        action=str(ACTIONS.get(record.history_type, record.history_type)),
        what=str(capfirst(model._meta.verbose_name)),
        object_id=record.id,
        object_label=_label(record),
        reason=record.history_change_reason or "",
        changes=changes,
    )


def _newest_first(querysets: list[QuerySet[Any]], limit: int) -> list[Any]:
    streams = [qs.order_by("-history_date", "-history_id")[:limit] for qs in querysets]
    merged = heapq.merge(*streams, key=lambda r: r.history_date, reverse=True)
    return [r for _i, r in zip(range(limit), merged, strict=False)]


def history_page(*, scope: HistoryScope, page: int = 1, per_page: int = PER_PAGE) -> HistoryPage:
    """Page ``page`` of the scope's history, newest first (a page out of range: the last)."""
    count = sum(qs.count() for qs in scope.querysets)
    num_pages = max(1, -(-count // per_page))
    page = min(max(1, page), num_pages)
    records = _newest_first(scope.querysets, page * per_page)[(page - 1) * per_page :]
    fmt = _Formatter()
    entries = [_entry(r, r.prev_record, fmt) for r in records]
    return HistoryPage(entries=entries, number=page, num_pages=num_pages, count=count)


def _entries_in_order(
    querysets: Iterable[QuerySet[Any]], since: Any, until: Any
) -> Iterator[Entry]:
    """Every entry of ``querysets`` dated in [since, until), with its "before", oldest first
    per model; one pass over each model's history (no query per row)."""
    fmt = _Formatter()
    for qs in querysets:
        previous: dict[Any, Any] = {}
        rows = qs.order_by("id", "history_date", "history_id")
        if until is not None:
            rows = rows.filter(history_date__lt=until)
        for record in rows.iterator(chunk_size=2000):
            if since is None or record.history_date >= since:
                yield _entry(record, previous.get(record.id), fmt)
            previous[record.id] = record


def history_all_scope(*, user: User | AnonymousUser) -> HistoryScope:
    """Every audited model's history; administrators only (404 for others)."""
    if not history_may_see_all(user=user):
        raise _not_found()
    return HistoryScope(
        "all",
        0,
        str(_("All history")),
        [_history(app, name).all() for app, name in AUDITED],
    )


def history_range(
    *, scope: HistoryScope, since: dt.date | None, until: dt.date | None
) -> HistoryScope:
    """The scope limited to the days from ``since`` to ``until`` (both included)."""

    def start(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time()))

    querysets = scope.querysets
    if since is not None:
        querysets = [qs.filter(history_date__gte=start(since)) for qs in querysets]
    if until is not None:
        end = start(until + dt.timedelta(days=1))
        querysets = [qs.filter(history_date__lt=end) for qs in querysets]
    return HistoryScope(scope.kind, scope.pk, scope.title, querysets)


# --- export --------------------------------------------------------------------------------

EXPORT_FORMATS = ("csv", "xlsx")


def _export_header() -> list[str]:
    return [
        str(_("When")),
        str(_("Who")),
        str(_("What")),
        str(_("Id")),
        str(_("Object")),
        str(_("Action")),
        str(_("Field")),
        str(_("Before")),
        str(_("After")),
        str(_("Reason")),
    ]


def history_rows(entries: Iterable[Entry]) -> Iterator[list[Any]]:
    """One row per changed field (one row for an entry without fields), oldest first."""
    for e in entries:
        when = timezone.localtime(e.when).strftime("%Y-%m-%d %H:%M:%S")
        head = [when, e.who, e.what, e.object_id, e.object_label, e.action]
        if not e.changes:
            yield [*head, "", "", "", e.reason]
        for c in e.changes:
            yield [*head, c.label, c.before, c.after, e.reason]


def history_export(
    *,
    scope: HistoryScope,
    file_format: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> bytes:
    """The scope's history (in the date range, when given) as CSV or XLSX, oldest first.

    Every change keeps its "before" even when the change before it lies outside the
    range. Text cells that a spreadsheet would run as a formula are written with a
    leading apostrophe, as the account exports do.
    """
    if file_format not in EXPORT_FORMATS:
        raise ApplicationError(
            _("Choose CSV or XLSX for the export, not %(format)s.") % {"format": file_format},
            status=404,
        )

    def start(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time()))

    entries = sorted(
        _entries_in_order(
            scope.querysets,
            start(since) if since else None,
            start(until + dt.timedelta(days=1)) if until else None,
        ),
        key=lambda e: e.when,
    )
    header = _export_header()
    rows = history_rows(entries)
    if file_format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow(spreadsheet_row(row))
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("History"))[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(spreadsheet_row(row))
    out_bytes = io.BytesIO()
    workbook.save(out_bytes)
    return out_bytes.getvalue()
