"""Pages of the notifications app: my e-mail preferences, unsubscribing, remind raters."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kam.errors import ApplicationError
from kam.notifications import selectors, services
from kam.notifications.forms import PreferencesForm
from kam.notifications.models import PREFERENCE_FIELDS, Kind
from kam.portfolio.review_selectors import review_get
from kam.web.forms import add_application_error
from kam.web.page_errors import refusal_message
from kam.web.requests import AuthenticatedHttpRequest


@login_required
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Which e-mails I receive and in which language; my latest e-mails."""
    prefs = selectors.preferences_of(user=request.user)
    form = PreferencesForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        try:
            services.preferences_save(
                user=request.user,
                language=form.cleaned_data["language"],
                kinds={kind: form.cleaned_data[name] for kind, name in PREFERENCE_FIELDS.items()},
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Your e-mail preferences are saved."))
            return redirect(reverse("notifications:preferences"))
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "has_email": bool(request.user.email),
            "sent": selectors.sent_list(user=request.user),
        },
    )


@csrf_exempt  # the signed token is the authority; mail programs post here (RFC 8058)
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every e-mail: a button (GET) that switches that one kind off (POST).

    No login: the token is signed and names one person and one kind. A GET changes
    nothing, so a mail scanner that opens links does not unsubscribe anyone.
    """
    try:
        if request.method == "POST":
            user, kind = services.unsubscribe(token=token)
            done = True
        else:
            user, kind = services.unsubscribe_read(token=token)
            done = False
    except ApplicationError as exc:
        return render(
            request, "notifications/unsubscribe.html", {"error": exc.message}, status=exc.status
        )
    return render(
        request,
        "notifications/unsubscribe.html",
        {"kind_label": Kind(kind).label, "done": done, "email": user.email},
    )


@login_required
@require_POST
def review_remind(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The "remind raters" button of a review: today's reminder to the raters behind."""
    review = review_get(review_id=pk)
    try:
        n = services.reminders_request(review=review, user=request.user)
    except ApplicationError as exc:
        refusal_message(request, exc)
    else:
        if n:
            messages.success(
                request,
                ngettext(
                    "A reminder goes to %(n)d rater who has not finished scoring.",
                    "A reminder goes to %(n)d raters who have not finished scoring.",
                    n,
                )
                % {"n": n},
            )
        else:
            messages.info(
                request,
                _(
                    "Nobody to remind: every rater has finished, was reminded today, or "
                    "does not receive reminders."
                ),
            )
    return redirect(reverse("portfolio:review_detail", args=[pk]))
