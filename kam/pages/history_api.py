"""The audit history in the API: an object's changes, and all changes for administrators.

``GET /api/history/{kind}/{pk}`` answers 404 for an object the caller may not see (the
same rule as its page); ``GET /api/history/`` and ``GET /api/history/export.{format}``
are for administrators (404 for everyone else). See docs/history.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kam.errors import ApplicationError
from kam.pages.history import (
    EXPORT_FORMATS,
    HistoryPage,
    history_all_scope,
    history_export,
    history_page,
    history_range,
    history_scope,
)
from kam.web.api_schemas import ErrorOut
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["history"])

API_PER_PAGE = 100


class HistoryChangeOut(Schema):
    field: str
    before: str
    after: str


class HistoryEntryOut(Schema):
    when: dt.datetime
    who: str
    action: str
    what: str
    object_id: int
    object_label: str
    reason: str
    changes: list[HistoryChangeOut]


class HistoryPageOut(Schema):
    count: int
    page: int
    num_pages: int
    items: list[HistoryEntryOut]


def _out(page: HistoryPage) -> HistoryPageOut:
    return HistoryPageOut(
        count=page.count,
        page=page.number,
        num_pages=page.num_pages,
        items=[
            HistoryEntryOut(
                when=e.when,
                who=e.who,
                action=e.action,
                what=e.what,
                object_id=int(e.object_id),
                object_label=e.object_label,
                reason=e.reason,
                changes=[
                    HistoryChangeOut(field=c.label, before=c.before, after=c.after)
                    for c in e.changes
                ],
            )
            for e in page.entries
        ],
    )


def _range_check(since: dt.date | None, until: dt.date | None) -> None:
    if since and until and since > until:
        raise ApplicationError(_("From must not be after Until."), field="since", status=422)


@router.get(
    "/",
    response={200: HistoryPageOut, 404: ErrorOut, 422: ErrorOut},
    summary="All changes in a date range (administrators)",
)
def history_all(
    request: AuthenticatedHttpRequest,
    since: dt.date | None = None,
    until: dt.date | None = None,
    page: int = 1,
) -> Any:
    scope = history_all_scope(user=request.user)
    _range_check(since, until)
    return _out(
        history_page(
            scope=history_range(scope=scope, since=since, until=until),
            page=min(max(page, 1), 10**6),
            per_page=API_PER_PAGE,
        )
    )


@router.get(
    "/export.{file_format}",
    response={200: None, 404: ErrorOut, 422: ErrorOut},
    summary="All changes in a date range as CSV or XLSX (administrators)",
)
def history_all_export(
    request: AuthenticatedHttpRequest,
    file_format: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Any:
    scope = history_all_scope(user=request.user)
    _range_check(since, until)
    if file_format not in EXPORT_FORMATS:
        raise ApplicationError(_("Choose CSV or XLSX."), status=404)
    content = history_export(scope=scope, file_format=file_format, since=since, until=until)
    types = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    response = HttpResponse(content, content_type=types[file_format])
    response["Content-Disposition"] = f'attachment; filename="history.{file_format}"'
    return response


@router.get(
    "/{kind}/{pk}",
    response={200: HistoryPageOut, 404: ErrorOut},
    summary="The changes of one object, newest first",
    description="`kind` is account, plan, scheme, review, policies, period or user; 404 for "
    "an object the caller may not see.",
)
def history_object(request: AuthenticatedHttpRequest, kind: str, pk: int, page: int = 1) -> Any:
    scope = history_scope(user=request.user, kind=kind, pk=pk)
    return _out(history_page(scope=scope, page=min(max(page, 1), 10**6), per_page=API_PER_PAGE))
