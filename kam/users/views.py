"""Pages about the signed-in person: personal API tokens, password change and reset."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kam.errors import ApplicationError
from kam.users.selectors import api_token_get, api_token_list
from kam.users.services import login_lockout_clear
from kam.users.throttle import password_reset_allowed
from kam.users.tokens import TOKEN_NAME_MAX_LENGTH, api_token_create, api_token_revoke
from kam.web.forms import add_application_error
from kam.web.requests import AuthenticatedHttpRequest


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=TOKEN_NAME_MAX_LENGTH,
        help_text=gettext_lazy("Where you will use it, for example “monthly report script”."),
    )


def _api_base(request: AuthenticatedHttpRequest) -> str:
    return request.build_absolute_uri(reverse("api:api-root")).rstrip("/")


@login_required
def tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List my tokens; POST creates one and shows its plain value on this response only."""
    created = None
    plain = None
    if request.method == "POST":
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            try:
                created, plain = api_token_create(user=request.user, name=form.cleaned_data["name"])
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                form = TokenCreateForm()
    else:
        form = TokenCreateForm()
    # The plain token is rendered into this one response and never stored: no redirect,
    # no session, so reloading the page cannot show it again.
    return render(
        request,
        "users/tokens.html",
        {
            "form": form,
            "tokens": api_token_list(user=request.user),
            "created": created,
            "plain_token": plain,
            "api_base": _api_base(request),
        },
    )


@login_required
@require_POST
def token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of my tokens; htmx gets the updated table row, a plain form a redirect."""
    token = api_token_get(user=request.user, token_id=token_id)
    api_token_revoke(token=token)
    if request.htmx:
        return render(request, "users/_token_row.html", {"token": token})
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("users:tokens")


# --- password change and reset (Django's views, kam's templates) ---------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change my password; the session stays signed in, other sessions end."""

    template_name = "users/password_change.html"

    def get_success_url(self) -> str:
        return reverse("users:password_change")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


def _base_url(request: HttpRequest) -> str:
    """Scheme and host for links in e-mails: ``KAM_BASE_URL``, else this request's host."""
    if settings.KAM_BASE_URL:
        parts = urlsplit(settings.KAM_BASE_URL)
        return f"{parts.scheme}://{parts.netloc}"
    return request.build_absolute_uri("/").rstrip("/")


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail; the answer is the same whether the address is known."""

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def form_valid(self, form: Any) -> HttpResponse:
        if not password_reset_allowed(email=form.cleaned_data["email"], request=self.request):
            # the same answer as always: nobody learns whether the address is known
            return redirect(self.get_success_url())
        self.extra_email_context = {"base_url": _base_url(self.request)}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a new password from the e-mailed link; a lockout of that user name ends."""

    template_name = "registration/password_reset_confirm.html"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        assert self.user is not None  # the link's user, or the view would not show the form
        login_lockout_clear(username=self.user.get_username())
        return response


class LoginView(auth_views.LoginView):
    """The login page; it offers single sign-on when OpenID Connect is configured."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from kam.users.oidc import oidc_enabled, provider_name

        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = oidc_enabled()
        context["oidc_provider_name"] = provider_name()
        return context
