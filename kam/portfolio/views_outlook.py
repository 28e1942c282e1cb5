"""The three-year outlook of one account at one review: its revenue potential and where we
expect it in three years (docs/scoring.md, "Potential and the expected position").

The matrix sizes bubbles by the potential and draws an arrow to the expected position; the
page that records both is here. Whoever may change the account may record its outlook.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kam.accounts.selectors import account_get_editable
from kam.errors import ApplicationError
from kam.portfolio.forms import OutlookForm
from kam.portfolio.models import Outlook, ReviewStatus
from kam.portfolio.review_selectors import review_get
from kam.portfolio.selectors import outlook_of, placement_of
from kam.portfolio.services import OUTLOOK_FIELDS, outlook_save
from kam.web.concurrency import VersionConflict, conflict_response, parse_version
from kam.web.forms import add_application_error
from kam.web.requests import AuthenticatedHttpRequest


@login_required
@require_http_methods(["GET", "POST"])
def outlook_edit(
    request: AuthenticatedHttpRequest, review_id: int, account_id: int
) -> HttpResponse:
    """Show and record ``account_id``'s three-year outlook at review ``review_id``."""
    review = review_get(review_id=review_id)
    account = account_get_editable(user=request.user, account_id=account_id)
    if review.status == ReviewStatus.CANCELLED:
        raise Http404(_("This review was cancelled; it takes no outlook."))
    outlook = outlook_of(review=review, account=account)
    instance = outlook or Outlook(review=review, account=account)
    placement = placement_of(review=review, account=account)
    back = f"{reverse('portfolio:matrix')}?review_id={review.pk}"
    form = OutlookForm(request.POST if request.method == "POST" else None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            outlook_save(
                review=review,
                account=account,
                data={name: form.cleaned_data[name] for name in OUTLOOK_FIELDS},
                user=request.user,
                expected_version=parse_version(request.POST.get("version")),
            )
        except VersionConflict as exc:
            return conflict_response(
                request,
                exc,
                title=_("Three-year outlook of %(name)s") % {"name": account.name},
                back_url=request.path,
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(
                request, _("The three-year outlook of %(name)s is saved.") % {"name": account.name}
            )
            return redirect(back)
    return render(
        request,
        "portfolio/outlook_form.html",
        {
            "form": form,
            "review": review,
            "account": account,
            "outlook": outlook,
            "placement": placement,
            "back": back,
        },
    )
