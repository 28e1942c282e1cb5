"""Scoring scheme pages: list, one version with what changed, create and edit (a new version).

Everyone logged in reads schemes; only sales directors and administrators create or change
them (docs/method.md section 1: the supplier picks the criteria and their weights).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kam.errors import ApplicationError
from kam.portfolio import scheme_selectors, services
from kam.portfolio.forms import SchemeForm
from kam.portfolio.models import Axis
from kam.portfolio.scheme_selectors import (
    criteria_by_axis,
    scheme_get,
    scheme_version_diff,
    scheme_version_get,
    scheme_version_previous,
)
from kam.users.selectors import user_may_manage_portfolio
from kam.web.concurrency import VersionConflict, conflict_response, parse_version
from kam.web.requests import AuthenticatedHttpRequest


def _require_manager(request: AuthenticatedHttpRequest) -> None:
    if not user_may_manage_portfolio(user=request.user):
        raise PermissionDenied(_("Only a sales director or an administrator may change schemes."))


def _scheme_or_404(pk: int):  # type: ignore[no-untyped-def]
    return scheme_get(scheme_id=pk)


@login_required
def scheme_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every scheme with its latest version, number of criteria and the reviews using it."""
    rows = []
    for scheme in scheme_selectors.scheme_list():
        versions = list(scheme.versions.all())
        latest = versions[0] if versions else None
        reviews = [r for v in versions for r in v.reviews.all()]
        rows.append({"scheme": scheme, "latest": latest, "versions": versions, "reviews": reviews})
    return render(request, "portfolio/scheme_list.html", {"rows": rows})


@login_required
def scheme_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One version (``?version=N``, the latest by default) and what changed since the one before."""
    scheme = _scheme_or_404(pk)
    number = request.GET.get("version")
    version = scheme_version_get(
        scheme=scheme, number=int(number) if number and number.isdigit() else None
    )
    previous = scheme_version_previous(version=version)
    axes = criteria_by_axis(version=version)
    all_versions = list(scheme.versions.order_by("-number").select_related("created_by"))
    return render(
        request,
        "portfolio/scheme_detail.html",
        {
            "scheme": scheme,
            "version": version,
            "versions": all_versions,
            "is_latest": all_versions and all_versions[0].pk == version.pk,
            "attractiveness": axes[Axis.ATTRACTIVENESS],
            "strength": axes[Axis.STRENGTH],
            "competitors": list(version.competitors.all()),
            "previous": previous,
            "diff": scheme_version_diff(version=version, previous=previous) if previous else None,
            "reviews": list(version.reviews.all()),
        },
    )


@login_required
def scheme_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new scheme and its version 1; refused with every problem listed, input kept."""
    _require_manager(request)
    if request.method == "POST":
        form = SchemeForm(request.POST, creating=True)
        if form.is_valid():
            try:
                version = services.scheme_create(
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    content=form.content(),
                    created_by=request.user,
                )
            except ApplicationError as exc:
                form.add_problems(exc.problems, field_name=exc.field, located=exc.located)
            else:
                messages.success(request, _("Scheme created as version 1."))
                return redirect(reverse("portfolio:scheme_detail", args=[version.scheme_id]))
    else:
        form = SchemeForm(creating=True)
    return render(request, "portfolio/scheme_form.html", {"form": form, "scheme": None})


@login_required
def scheme_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a scheme: saving makes its next version; reviews keep the version they used."""
    _require_manager(request)
    scheme = _scheme_or_404(pk)
    latest = scheme_version_get(scheme=scheme)
    edit_version = (
        parse_version(request.POST.get("version")) if request.method == "POST" else scheme.version
    )
    if request.method == "POST":
        form = SchemeForm(request.POST, creating=False)
        if form.is_valid():
            try:
                version = services.scheme_version_create(
                    scheme=scheme,
                    content=form.content(),
                    change_note=form.cleaned_data["change_note"],
                    created_by=request.user,
                    expected_version=edit_version,
                )
            except VersionConflict as exc:
                newest = scheme_version_get(scheme=exc.current)  # type: ignore[arg-type]
                who = newest.created_by
                return conflict_response(
                    request,
                    exc,
                    title=_("Change %(name)s") % {"name": scheme.name},
                    back_url=reverse("portfolio:scheme_detail", args=[scheme.pk]),
                    who={
                        "name": (who.get_full_name() or who.get_username()) if who else "",
                        "when": newest.created_at,
                        "version": newest.number,
                    },
                )
            except ApplicationError as exc:
                form.add_problems(exc.problems, field_name=exc.field, located=exc.located)
            else:
                if version.pk == latest.pk:
                    messages.info(request, _("Nothing changed, so no new version was made."))
                else:
                    messages.success(
                        request,
                        _(
                            "Saved as version %(number)d. Reviews keep the version they were "
                            "scored with."
                        )
                        % {"number": version.number},
                    )
                return redirect(reverse("portfolio:scheme_detail", args=[scheme.pk]))
    else:
        form = SchemeForm(creating=False, content=services.scheme_content_of(version=latest))
    return render(
        request,
        "portfolio/scheme_form.html",
        {"form": form, "scheme": scheme, "latest": latest, "edit_version": edit_version},
    )
