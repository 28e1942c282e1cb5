"""One error policy for pages (docs/architecture.md, rule 4): a broken rule a page view
does not show beside a form field answers its status and its message from one template,
as a whole page or, for htmx, as a fragment the target shows; the API keeps its JSON."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path

from kam import urls as kam_urls
from kam.errors import ApplicationError, Problem
from kam.web.forms import add_application_error
from kam.web.page_errors import refusal_message
from tests.conftest import client_for

MESSAGE = "Only the owner may change this <plan>."


def _raises(request: HttpRequest, status: int) -> HttpResponse:
    raise ApplicationError(MESSAGE, status=status, field="name")


def _denies(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("Only a sales director may do this.")


def _refuses(request: HttpRequest, status: int) -> HttpResponse:
    try:
        _raises(request, status)
    except ApplicationError as exc:
        refusal_message(request, exc)
    return redirect("home")


urlpatterns = [
    path("test-error/<int:status>/", _raises),
    path("test-refusal/<int:status>/", _refuses),
    path("test-denied/", _denies),
    *kam_urls.urlpatterns,
]
handler403 = kam_urls.handler403
handler404 = kam_urls.handler404

HEADINGS = {403: "Not allowed", 404: "Not found", 409: "Not possible now", 422: "Not possible"}


@pytest.fixture
def error_urls(settings):  # type: ignore[no-untyped-def]
    settings.ROOT_URLCONF = __name__


@pytest.mark.parametrize("status", [403, 404, 409, 422])
def test_a_page_answers_the_status_and_the_message_from_the_one_template(
    error_urls, kam_user, status
):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).get(f"/test-error/{status}/")
    assert response.status_code == status
    assert [t.name for t in response.templates][:2] == ["web/error.html", "base.html"]
    html = response.content.decode()
    assert "Only the owner may change this &lt;plan&gt;." in html  # escaped, shown once
    assert html.count("Only the owner may change this") == 1
    assert f"<h1>{HEADINGS[status]}</h1>" in html


@pytest.mark.parametrize("status", [403, 404, 409, 422])
def test_htmx_gets_the_fragment_marked_for_swapping(error_urls, kam_user, status):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).get(f"/test-error/{status}/", headers={"HX-Request": "true"})
    assert response.status_code == status
    assert [t.name for t in response.templates] == ["web/_error.html"]
    html = response.content.decode()
    assert "<html" not in html
    assert 'role="alert"' in html and "Only the owner may change this &lt;plan&gt;." in html
    assert response["Kam-Error"] == str(status)


def test_a_boosted_htmx_request_gets_the_whole_page(error_urls, kam_user):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).get(
        "/test-error/409/", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert response.status_code == 409
    assert "web/error.html" in [t.name for t in response.templates]


def test_a_refused_button_redirects_with_the_message_unless_forbidden_or_missing(
    error_urls, kam_user
):  # type: ignore[no-untyped-def]
    client = client_for(kam_user)
    refused = client.post("/test-refusal/409/", follow=True)
    assert refused.redirect_chain[0][1] == 302
    assert [str(m) for m in refused.context["messages"]] == [MESSAGE]
    for status in (403, 404):
        page = client.post(f"/test-refusal/{status}/")
        assert page.status_code == status
        assert "web/error.html" in [t.name for t in page.templates]


def test_a_real_page_lets_its_404_reach_the_one_page(kam_user):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).get("/plans/987654/")
    assert response.status_code == 404
    assert "web/error.html" in [t.name for t in response.templates]
    assert "There is no such plan." in response.content.decode()


def test_django_404_and_403_use_the_same_template(error_urls, kam_user):  # type: ignore[no-untyped-def]
    missing = client_for(kam_user).get("/no-such-page/")
    assert missing.status_code == 404
    assert "web/error.html" in [t.name for t in missing.templates]
    assert "does not exist, or you may not see it" in missing.content.decode()
    assert "Resolver404" not in missing.content.decode()
    denied = client_for(kam_user).get("/test-denied/")
    assert denied.status_code == 403
    assert "web/error.html" in [t.name for t in denied.templates]
    assert "Only a sales director may do this." in denied.content.decode()


def test_the_api_still_answers_json(kam_user):  # type: ignore[no-untyped-def]
    response = client_for(kam_user).get("/api/plans/987654")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"] == "There is no such plan."
    assert "Kam-Error" not in response


class _NameForm(forms.Form):
    name = forms.CharField(required=False)
    parent_external_id = forms.CharField(required=False)


def test_a_form_shows_the_error_beside_its_field_and_the_rest_on_top() -> None:
    form = _NameForm({})
    assert form.is_valid()
    add_application_error(form, ApplicationError("Taken.", field="name"))
    add_application_error(
        form,
        ApplicationError("No such group.", field="parent"),
        fields={"parent": "parent_external_id"},
    )
    add_application_error(form, ApplicationError("Not now.", field="elsewhere"))
    located = [Problem("Too long.", field="name"), Problem("Closed.")]
    add_application_error(form, ApplicationError("Two problems.", located=located))
    assert form.errors["name"] == ["Taken.", "Too long."]
    assert form.errors["parent_external_id"] == ["No such group."]
    assert form.non_field_errors() == ["Not now.", "Closed."]


def test_every_problem_when_asked() -> None:
    form = _NameForm({})
    assert form.is_valid()
    error = ApplicationError("First.", field="name", problems=["First.", "Second."])
    add_application_error(form, error, every_problem=True)
    assert form.errors["name"] == ["First.", "Second."]
