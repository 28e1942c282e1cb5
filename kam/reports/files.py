"""One place that turns an export request into a file, for the pages and the API alike.

Visibility is the accounts' (``account_list_visible``): a plan is read through
``kam.plans.selectors.plan_get_visible`` (404 when its account is hidden, so ids cannot be
probed); the portfolio deck shows only the accounts the caller may read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kam.errors import ApplicationError
from kam.plans.selectors import plan_get_visible, version_get
from kam.portfolio.matrix import MatrixFilters, matrix_review_get
from kam.reports.plan_export import AUDIENCES, plan_export_build, plan_pdf, plan_pptx
from kam.reports.portfolio_deck import review_deck
from kam.reports.portfolio_export import portfolio_pdf, portfolio_pptx

FORMATS = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


@dataclass(frozen=True)
class ExportFile:
    """The bytes of an export, its file name and its media type."""

    content: bytes
    filename: str
    content_type: str


def languages() -> list[str]:
    """The language codes kam speaks (``settings.LANGUAGES``)."""
    return [code for code, _name in settings.LANGUAGES]


def check_format(fmt: str, lang: str) -> None:
    if fmt not in FORMATS:
        raise ApplicationError(
            _("Exports come as pdf or pptx, not %(fmt)s.") % {"fmt": fmt}, field="fmt", status=404
        )
    if lang not in languages():
        raise ApplicationError(
            _("Choose a language kam speaks: %(codes)s.") % {"codes": ", ".join(languages())},
            field="lang",
            status=400,
        )


def plan_export_file(
    *,
    user: User | AnonymousUser,
    plan_id: int,
    fmt: str,
    audience: str = "internal",
    lang: str = "en",
    version: int | None = None,
) -> ExportFile:
    """The plan ``plan_id`` (or its approved ``version``) as ``fmt`` for ``audience``.

    404 when ``user`` may not read the plan's account or the version does not exist; 400 for
    an unknown audience or language.
    """
    check_format(fmt, lang)
    if audience not in AUDIENCES:
        raise ApplicationError(
            _("The audience is internal or customer."), field="audience", status=400
        )
    plan = plan_get_visible(user=user, plan_id=plan_id)
    found = version_get(plan=plan, number=version) if version is not None else None
    with translation.override(lang):
        export = plan_export_build(
            plan=plan,
            user=user,
            audience=audience,  # type: ignore[arg-type]
            version=found,
        )
        content = plan_pdf(export) if fmt == "pdf" else plan_pptx(export)
    stem = slugify(
        f"{plan.account.name} plan {plan.period_label}"
        + (f" v{found.number}" if found is not None else "")
        + f" {audience} {lang}"
    )
    return ExportFile(content, f"{stem}.{fmt}", FORMATS[fmt])


def portfolio_export_file(
    *,
    user: User | AnonymousUser,
    fmt: str,
    review_id: int | None = None,
    lang: str = "en",
) -> ExportFile:
    """The portfolio review deck of review ``review_id`` (default the latest) as ``fmt``.

    Everyone signed in may export it; it shows the accounts they may read. 404 when there is
    no such review (or no review at all).
    """
    check_format(fmt, lang)
    review = matrix_review_get(filters=MatrixFilters(review_id=review_id))
    if review is None:
        raise ApplicationError(_("There is no portfolio review yet."), status=404)
    with translation.override(lang):
        deck = review_deck(review=review, user=user)
        content = portfolio_pdf(deck) if fmt == "pdf" else portfolio_pptx(deck)
    stem = slugify(f"portfolio review {review.review_date.isoformat()} {lang}")
    return ExportFile(content, f"{stem}.{fmt}", FORMATS[fmt])
