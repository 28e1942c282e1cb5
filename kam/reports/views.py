"""Downloads of the exports from the pages: the plan (PDF, PowerPoint; internal or for the
customer) and the portfolio review deck. Thin: parse the query, call ``files``, answer."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from kam.reports.files import ExportFile, plan_export_file, portfolio_export_file
from kam.web.errors import ApplicationError


def _int(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise ApplicationError("", status=404) from None


def _answer(file: ExportFile) -> HttpResponse:
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


def _failed(exc: ApplicationError) -> HttpResponse:
    if exc.status == 404:
        raise Http404(exc.message)
    return HttpResponseBadRequest(exc.message)


@login_required
@require_GET
def plan_export(request: HttpRequest, plan_id: int, fmt: str) -> HttpResponse:
    """A plan as ``pdf`` or ``pptx``; ``?audience=internal|customer&lang=en|nl&version=N``."""
    try:
        file = plan_export_file(
            user=request.user,
            plan_id=plan_id,
            fmt=fmt,
            audience=request.GET.get("audience") or "internal",
            lang=request.GET.get("lang") or get_language() or "en",
            version=_int(request.GET.get("version")),
        )
    except ApplicationError as exc:
        return _failed(exc)
    return _answer(file)


@login_required
@require_GET
def portfolio_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The portfolio review deck as ``pdf`` or ``pptx``; ``?review_id=N&lang=en|nl``."""
    try:
        file = portfolio_export_file(
            user=request.user,
            fmt=fmt,
            review_id=_int(request.GET.get("review_id")),
            lang=request.GET.get("lang") or get_language() or "en",
        )
    except ApplicationError as exc:
        return _failed(exc)
    return _answer(file)
