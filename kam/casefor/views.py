"""Pages of the business case (docs/method.md section 7): the questionnaire, the one-page
business case (HTML and PDF from the same template), and the list of assessments.

Everyone signed in reads; only sales directors and administrators record an assessment
(403 for everyone else).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kam.casefor.forms import AssessmentForm
from kam.casefor.models import Assessment
from kam.casefor.selectors import (
    assessment_changes,
    assessment_get,
    assessment_latest,
    assessment_list,
    assessment_may_create,
    assessment_previous,
    business_case_of,
)
from kam.casefor.services import assessment_create
from kam.casefor.wording import (
    OBSTACLES,
    REWARD_TITLES,
    SIDE_NAMES,
    STEPS,
    finding_text,
    headline,
    level_label,
    question_title,
    shown_question,
)
from kam.core.business_case import QUESTIONS, READINESS, REASONS, Side
from kam.errors import ApplicationError
from kam.organisation.selectors import organisation_get
from kam.web.forms import add_application_error
from kam.web.requests import AuthenticatedHttpRequest

# The one page shows the strongest rewards and the reasons that bring them most; the API
# returns them all.
SHOWN_REWARDS = 4
SHOWN_DRIVERS = 2


def case_context(assessment: Assessment) -> dict[str, Any]:
    """Everything the business case template shows, for the page and the PDF alike."""
    case = business_case_of(assessment=assessment)
    answers = {**assessment.answers, **assessment.readiness}
    previous = assessment_previous(assessment=assessment)
    changes = []
    score_moves: list[dict[str, Any]] = []
    if previous is not None:
        before = business_case_of(assessment=previous)
        changes = [
            {
                "title": question_title(c.key),
                "side": SIDE_NAMES[c.side],
                "before": c.before,
                "after": c.after,
                "delta": c.delta,
            }
            for c in assessment_changes(assessment=assessment, previous=previous)
        ]
        score_moves = [
            {"name": name, "before": round(b), "after": round(a), "delta": round(a) - round(b)}
            for name, b, a in (
                (SIDE_NAMES[Side.DEFENSIVE], before.defensive_pct, case.defensive_pct),
                (SIDE_NAMES[Side.AGGRESSIVE], before.aggressive_pct, case.aggressive_pct),
                (SIDE_NAMES[Side.READINESS], before.readiness_pct, case.readiness_pct),
            )
        ]
    return {
        "assessment": assessment,
        "organisation": assessment.organisation,
        "case": case,
        "headline": headline(case),
        "bars": [
            {"side": "defensive", "name": SIDE_NAMES[Side.DEFENSIVE], "pct": case.defensive_pct},
            {"side": "aggressive", "name": SIDE_NAMES[Side.AGGRESSIVE], "pct": case.aggressive_pct},
            {"side": "readiness", "name": SIDE_NAMES[Side.READINESS], "pct": case.readiness_pct},
        ],
        "top_reasons": [
            {
                "title": question_title(key),
                "side": SIDE_NAMES[QUESTIONS[key].side],
                "answer": answers[key],
                "label": level_label(key, answers[key]),
                "meaning": _(QUESTIONS[key].levels[answers[key]]),
            }
            for key in case.top_reasons
        ],
        "rewards": [
            {
                "title": _(REWARD_TITLES[r.key]),
                "pct": r.strength_pct,
                "drivers": [question_title(k) for k in r.drivers[:SHOWN_DRIVERS]],
            }
            for r in case.expected_rewards[:SHOWN_REWARDS]
        ],
        "obstacles": [finding_text(f, OBSTACLES) for f in case.obstacles],
        "steps": [finding_text(f, STEPS) for f in case.next_steps],
        "capacity": case.capacity,
        "all_answers": [
            {
                "name": SIDE_NAMES[side],
                "rows": [
                    {"title": question_title(q.key), "answer": answers[q.key]} for q in questions
                ],
            }
            for side, questions in (
                (Side.DEFENSIVE, REASONS[:5]),
                (Side.AGGRESSIVE, REASONS[5:]),
                (Side.READINESS, READINESS),
            )
        ],
        "previous": previous,
        "changes": changes,
        "score_moves": score_moves,
    }


def _render_case(request: AuthenticatedHttpRequest, assessment: Assessment | None) -> HttpResponse:
    context: dict[str, Any] = {
        "can_create": assessment_may_create(user=request.user),
        "organisation": organisation_get(),
    }
    if assessment is not None:
        context.update(case_context(assessment))
    return render(request, "casefor/case.html", context)


@login_required
def case_latest(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The business case of the latest assessment, or how to start when there is none."""
    return _render_case(request, assessment_latest())


@login_required
def case_detail(request: AuthenticatedHttpRequest, assessment_id: int) -> HttpResponse:
    """The business case of one assessment."""
    assessment = assessment_get(assessment_id=assessment_id)
    if assessment is None:
        raise Http404(_("No such assessment."))
    return _render_case(request, assessment)


@login_required
def case_pdf(request: AuthenticatedHttpRequest, assessment_id: int) -> HttpResponse:
    """The business case as a one-page A4 PDF, from the page's own template."""
    assessment = assessment_get(assessment_id=assessment_id)
    if assessment is None:
        raise Http404(_("No such assessment."))
    pdf = case_pdf_bytes(request, assessment)
    name = slugify(f"business-case-{assessment.organisation.name}-{assessment.assessed_on}")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


def case_pdf_document(request: HttpRequest, assessment: Assessment) -> Any:
    """The rendered WeasyPrint document (its ``pages`` tell how long it is)."""
    import weasyprint  # imported here: only the PDF export needs Pango

    context = case_context(assessment)
    sheets = [
        weasyprint.CSS(filename=finders.find(path))
        for path in ("kam/kam.css", "casefor/casefor.css")
    ]
    document = None
    # A case with many obstacles and steps gets a smaller type rather than a second page.
    for compact in (False, True):
        html = render_to_string(
            "casefor/case_pdf.html", {**context, "compact": compact}, request=request
        )
        # No base URL: the document refers to nothing outside itself, so nothing is fetched.
        document = weasyprint.HTML(string=html).render(stylesheets=sheets)
        if len(document.pages) == 1:
            break
    return document


def case_pdf_bytes(request: HttpRequest, assessment: Assessment) -> bytes:
    return bytes(case_pdf_document(request, assessment).write_pdf())


@login_required
def assessment_list_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every assessment with its scores, newest first."""
    rows = []
    for assessment in assessment_list():
        case = business_case_of(assessment=assessment)
        rows.append({"assessment": assessment, "case": case})
    return render(
        request,
        "casefor/assessment_list.html",
        {"rows": rows, "can_create": assessment_may_create(user=request.user)},
    )


def _groups(form: AssessmentForm) -> list[dict[str, Any]]:
    groups = []
    intros = {
        Side.DEFENSIVE: _(
            "How strongly do changes at our customers force us to manage them differently?"
        ),
        Side.AGGRESSIVE: _("How much would we gain by investing in a few customers?"),
        Side.READINESS: _("Is our own organisation ready to deliver key account management?"),
    }
    for side, prefix, questions in (
        (Side.DEFENSIVE, "reason", REASONS[:5]),
        (Side.AGGRESSIVE, "reason", REASONS[5:]),
        (Side.READINESS, "ready", READINESS),
    ):
        items = []
        for q in questions:
            bound = form[f"{prefix}__{q.key}"]
            value = bound.value()
            items.append(
                {
                    "q": shown_question(q),
                    "name": bound.html_name,
                    "id": f"q-{q.key}",
                    "value": str(value) if value not in (None, "") else "",
                    "errors": bound.errors,
                }
            )
        groups.append(
            {"side": side.value, "name": SIDE_NAMES[side], "intro": intros[side], "items": items}
        )
    return groups


@login_required
def assessment_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The questionnaire: ten reasons and the readiness questions on one page."""
    if not assessment_may_create(user=request.user):
        raise PermissionDenied(
            _("Only sales directors and administrators may record a business case assessment.")
        )
    latest = assessment_latest()
    if request.method == "POST":
        form = AssessmentForm(request.POST)
        if form.is_valid():
            try:
                assessment = assessment_create(
                    created_by=request.user,
                    answers=form.answers(),
                    readiness=form.readiness(),
                    assessed_on=form.cleaned_data["assessed_on"],
                    notes=form.cleaned_data["notes"],
                )
            except ApplicationError as exc:
                add_application_error(
                    form, exc, fields={key: form.field_name(key) for key in QUESTIONS}
                )
            else:
                messages.success(request, _("Assessment saved. This is your business case."))
                return redirect("casefor:detail", assessment_id=assessment.pk)
    else:
        initial: dict[str, Any] = {}
        if latest is not None:
            initial.update({f"reason__{k}": v for k, v in latest.answers.items()})
            initial.update({f"ready__{k}": v for k, v in latest.readiness.items()})
        form = AssessmentForm(initial=initial)
    groups = _groups(form)
    return render(
        request,
        "casefor/assessment_form.html",
        {
            "form": form,
            "groups": groups,
            "latest": latest,
            "error_count": sum(1 for g in groups for i in g["items"] if i["errors"]),
        },
    )
