"""API of the exports, mounted at /api/reports: the plan and the portfolio review deck as
PDF or PowerPoint files.

Same visibility as the accounts: a plan on an account the caller may not read answers 404,
exactly like one that does not exist. The language is ``lang`` (default English).
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpResponse
from ninja import Router, Status

from kam.jobs.api import JobOut
from kam.reports.files import ExportFile, plan_export_file, portfolio_export_file
from kam.reports.services import portfolio_deck_enqueue
from kam.web.api_schemas import ErrorOut
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["exports"])

Format = Literal["pdf", "pptx"]
Language = Literal["en", "nl"]


def _answer(file: ExportFile) -> HttpResponse:
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


@router.get(
    "/plans/{plan_id}/export/{fmt}",
    response={400: ErrorOut, 404: ErrorOut},
    summary="A key account plan as PDF or PowerPoint",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file (application/pdf, or the PowerPoint media type).",
                "content": {
                    "application/pdf": {},
                    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {},
                },
            }
        }
    },
)
def plan_export(
    request: AuthenticatedHttpRequest,
    plan_id: int,
    fmt: Format,
    audience: Literal["internal", "customer"] = "internal",
    lang: Language = "en",
    version: int | None = None,
) -> HttpResponse:
    """The plan (or its approved ``version``) for ``audience``: ``internal`` holds
    everything, ``customer`` only the shared sections and items (docs/exports.md)."""
    return _answer(
        plan_export_file(
            user=request.user,
            plan_id=plan_id,
            fmt=fmt,
            audience=audience,
            lang=lang,
            version=version,
        )
    )


@router.get(
    "/portfolio/export/{fmt}",
    response={400: ErrorOut, 404: ErrorOut},
    summary="The portfolio review deck as PDF or PowerPoint, now (deprecated for large portfolios)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file (application/pdf, or the PowerPoint media type).",
                "content": {
                    "application/pdf": {},
                    "application/vnd.openxmlformats-officedocument.presentationml.presentation": {},
                },
            }
        }
    },
)
def portfolio_export(
    request: AuthenticatedHttpRequest,
    fmt: Format,
    review_id: int | None = None,
    lang: Language = "en",
) -> HttpResponse:
    """The review ``review_id`` (default the latest): boxes, matrix, movement, key accounts
    and warnings, over the accounts the caller may read, rendered within the request.

    Deprecated for large portfolios: at 10,000 accounts rendering takes 25-70 s, beyond a
    request's timeout; POST to the same path to prepare it as a background job."""
    return _answer(
        portfolio_export_file(
            user=request.user,
            fmt=fmt,
            review_id=review_id,
            lang=lang,
        )
    )


@router.post(
    "/portfolio/export/{fmt}",
    response={202: JobOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut},
    summary="Prepare the portfolio review deck as a background job",
)
def portfolio_export_enqueue(
    request: AuthenticatedHttpRequest,
    fmt: Format,
    review_id: int | None = None,
    lang: Language = "en",
) -> Any:
    """Enqueue the deck of review ``review_id`` (default the latest) and answer 202 with
    the job. Poll ``GET /api/jobs/{id}`` (its ``url``) until ``status`` is ``done``, then
    fetch ``download_url``; the file is kept for 7 days, for the caller only (and directors
    and administrators). 404 for an unknown review, before any job is made."""
    job = portfolio_deck_enqueue(user=request.user, fmt=fmt, review_id=review_id, lang=lang)
    return Status(202, job)
