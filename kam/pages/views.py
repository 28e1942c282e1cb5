"""Site-wide views: the start page and its alerts page (docs/start.md), the Vega bundle kam
serves itself (no CDN), and the audit history pages and exports (docs/history.md)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kam.pages.history import (
    EXPORT_FORMATS,
    KINDS,
    HistoryScope,
    history_all_scope,
    history_export,
    history_page,
    history_range,
    history_scope,
)
from kam.users.selectors import user_may_manage_portfolio
from kam.web.requests import AuthenticatedHttpRequest


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The start page: what needs the person today (kam.pages.start). Opening it records the
    visit, so the next one can say what changed since."""
    from django.utils import timezone

    from kam.pages.relationships_views import _kind_labels, tr
    from kam.pages.start import start_page
    from kam.users.services import start_visit_record

    user = request.user
    director = user_may_manage_portfolio(user=user)
    now = timezone.now()
    today = timezone.localdate()
    visit = start_visit_record(user=user, now=now)
    page = start_page(
        user=user,
        director=director,
        now=now,
        today=today,
        since=visit.since,
    )
    labels = _kind_labels()
    for r in [*page.findings, *page.changes.new_findings]:
        r.kind_label = labels.get(r.kind, r.kind)  # type: ignore[attr-defined]
        r.why = tr(r.message) if r.message else ""  # type: ignore[attr-defined]
    return render(request, "web/start.html", {"page": page})


#: Alerts per page of the alerts page.
ALERTS_PER_PAGE = 50


def alert_kind_labels() -> dict[str, str]:
    """The alert kinds (kam.pages.alerts.AlertKind) as the alerts page names them."""
    from kam.pages.alerts import AlertKind

    return {
        AlertKind.BOX_DROP: _("Dropped a box"),
        AlertKind.CHAMPION_LOST: _("Lost its champion"),
        AlertKind.CONTRIBUTION_FALL: _("Contribution fell"),
    }


@login_required
@require_GET
def alerts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every alert on the key and key development accounts the person reads, the most
    important first, a page at a time and filterable by kind: the list the start page
    counts and shows the first of (kam.pages.start.start_alerts, docs/start.md)."""
    from collections import Counter

    from django.core.paginator import Paginator
    from django.utils import timezone

    from kam.pages.start import start_alerts

    labels = alert_kind_labels()
    kind = request.GET.get("kind", "")
    if kind not in labels:
        kind = ""
    every = start_alerts(user=request.user, as_of=timezone.localdate())
    per_kind = Counter(a.kind for a in every)
    shown = [a for a in every if a.kind == kind] if kind else every
    page = Paginator(shown, ALERTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/alerts.html",
        {
            "page": page,
            "total": len(every),
            "shown_count": len(shown),
            "kind": kind,
            "kinds": [(k, label, per_kind.get(k, 0)) for k, label in labels.items()],
            "query": f"kind={kind}&" if kind else "",
        },
    )


@functools.cache
def _vega_bundle() -> tuple[bytes, str]:
    """Vega, Vega-Lite and vega-embed as one script, from the copy vl-convert-python ships."""
    import vl_convert

    # vl-convert's stub makes the optional snippet required
    body = vl_convert.javascript_bundle().encode()  # type: ignore[call-arg]
    return body, hashlib.sha256(body).hexdigest()[:16]


@require_GET
def vega_bundle(request: HttpRequest) -> HttpResponse:
    body, etag = _vega_bundle()
    if request.headers.get("If-None-Match") == f'"{etag}"':
        return HttpResponseNotModified()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- audit history (kam/pages/history.py, docs/history.md) -----------------------------------


def _history_dates(
    request: AuthenticatedHttpRequest,
) -> tuple[dt.date | None, dt.date | None, list[str]]:
    """The ``since`` and ``until`` days of the query string, and what was wrong with them."""
    problems: list[str] = []
    days: list[dt.date | None] = []
    for name, label in (("since", _("From")), ("until", _("Until"))):
        raw = (request.GET.get(name) or "").strip()
        day = None
        if raw:
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError:
                problems.append(
                    _("%(field)s: %(value)s is not a date (YYYY-MM-DD).")
                    % {"field": label, "value": raw[:40]}
                )
        days.append(day)
    since, until = days
    if since and until and since > until:
        problems.append(_("From must not be after Until."))
    return since, until, problems


def _page_number(request: AuthenticatedHttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 9 else 1


def _history_scope_or_404(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HistoryScope:
    return history_scope(user=request.user, kind=kind, pk=pk)


def _download(content: bytes, file_format: str, name: str) -> HttpResponse:
    types = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    response = HttpResponse(content, content_type=types[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


@login_required
@require_GET
def history_object(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """Every change of one object (and its parts), newest first, paginated."""
    scope = _history_scope_or_404(request, kind, pk)
    page = history_page(scope=scope, page=_page_number(request))
    return render(
        request,
        "web/history.html",
        {"scope": scope, "page": page, "kind_label": KINDS[kind], "back": _object_url(kind, pk)},
    )


@login_required
@require_GET
def history_object_export(
    request: AuthenticatedHttpRequest, kind: str, pk: int, file_format: str
) -> HttpResponse:
    """The history of one object as CSV or XLSX."""
    scope = _history_scope_or_404(request, kind, pk)
    if file_format not in EXPORT_FORMATS:
        raise Http404(_("Choose CSV or XLSX."))
    content = history_export(scope=scope, file_format=file_format)
    return _download(content, file_format, f"history-{kind}-{pk}")


@login_required
@require_GET
def history_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The administrator's view of all history in a date range, with its export."""
    scope = history_all_scope(user=request.user)
    since, until, problems = _history_dates(request)
    page = None
    if not problems:
        page = history_page(
            scope=history_range(scope=scope, since=since, until=until),
            page=_page_number(request),
        )
    return render(
        request,
        "web/history_all.html",
        {"page": page, "since": since, "until": until, "problems": problems},
    )


@login_required
@require_GET
def history_all_export(request: AuthenticatedHttpRequest, file_format: str) -> HttpResponse:
    """All history in the date range as CSV or XLSX (administrators)."""
    scope = history_all_scope(user=request.user)
    if file_format not in EXPORT_FORMATS:
        raise Http404(_("Choose CSV or XLSX."))
    since, until, problems = _history_dates(request)
    if problems:
        return HttpResponse("\n".join(problems), status=400, content_type="text/plain")
    content = history_export(scope=scope, file_format=file_format, since=since, until=until)
    name = "history" + (f"-{since}" if since else "") + (f"-{until}" if until else "")
    return _download(content, file_format, name)


def _object_url(kind: str, pk: int) -> str:
    """The object's own page, to go back to."""
    names = {
        "account": ("accounts:detail", [pk]),
        "plan": ("plans:detail", [pk]),
        "scheme": ("portfolio:scheme_detail", [pk]),
        "review": ("portfolio:review_detail", [pk]),
        "policies": ("organisation:settings", []),
        "period": ("allocation:period", [pk]),
        "user": ("admin:auth_user_change", [pk]),
    }
    name, args = names[kind]
    return reverse(name, args=args)
