"""Every edit form, opened and saved unchanged, in English and in Dutch, changes nothing.

The test finds the forms by itself: it walks kam's URL patterns, fills each URL's
parameters with an object of the demo portfolio, logs in as the sales director (who sees
everything), opens the page and posts back every ``<form method="post">`` on it with the
values a browser would send (read from the rendered HTML: inputs, the selected options,
textareas, checked boxes). Then every row of every table must be as it was (automatic
timestamps aside), and the answer must not be the form again with an error. A new page
or form is covered without anyone remembering; a URL the test cannot fill fails and says
so. URLs and form targets left out are listed below, each with its reason.

This caught Dutch forms erasing dates: a ``<input type="date">`` takes only ISO, and the
Dutch format sent instead made the browser show (and post) an empty field.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import models, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

LANGUAGES = ["en", "nl"]

# URL names (namespace:name) the walk does not open, and why.
EXCLUDED_PAGES: dict[str, str] = {
    "login": "the login form logs in; the test is already logged in",
    "logout": "logs out",
    "password_reset_confirm": "a reset link's token is made for one user and works once",
    "oidc_authentication_init": "sends the browser to the OpenID provider (404 when off)",
    "oidc_authentication_callback": "where the OpenID provider returns (404 when off)",
    "set_language": "switches the language (the test sets it by cookie)",
    "javascript-catalog": "JavaScript, no form",
    "vega_bundle": "JavaScript, no form",
    "accounts:import_template": "a CSV download",
    "accounts:export": "a file download",
    "activities:import_template": "a CSV download",
    "allocation:run_curve": "JSON for a chart",
    "allocation:run_what_if": "JSON for a chart",
    "allocation:run_progress": "a progress fragment polled while a run works",
    "portfolio:matrix_data": "JSON for the matrix chart",
    "portfolio:matrix_export": "a file download",
    "relationships:orgchart_file": "a file download",
    "relationships:contact_export": "a JSON download of a contact's data",
    "casefor:pdf": "a PDF download",
    "reports:plan_export": "a file download",
    "reports:portfolio_export": "a file download",
    "reports:portfolio_deck_prepare": "POST only: enqueues the portfolio deck as a job",
    "jobs:download": "a file download (a job's file)",
    "economics:import_progress": "a progress fragment polled while an import works",
    "jobs:cancel": "POST only: cancels a background job",
    "jobs:retry": "POST only: retries a failed background job",
    "plans:shared": "the customer's page: its token is stored only as a digest",
    "plans:shared_action": "the customer's page: its token is stored only as a digest",
    "plans:shared_language": "POST only, behind a token (tests/plans/test_sign_off.py posts it)",
    "plans:shared_sign_off": "POST only, behind a token (tests/plans/test_sign_off.py posts it)",
    "plans:item_new": "a form for a new item: saving it adds a row by design",
    "notifications:unsubscribe": "a signed token from an e-mail; its button switches a kind off",
    "notifications:review_remind": "POST only: the remind-raters button of the review page",
    "history:export": "a file download",
    "history:object_export": "a file download",
}
# Namespaces left out entirely.
EXCLUDED_NAMESPACES: dict[str, str] = {
    "admin": "Django's own admin site",
}
# Route prefixes left out entirely (they have no namespace of their own).
EXCLUDED_PREFIXES: dict[str, str] = {
    "api/": "the JSON API has no HTML forms",
}

# Form targets (namespace:name of the form's action) that are not posted, and why:
# actions that delete, create, upload, or take a workflow step on purpose.
EXCLUDED_TARGETS: dict[str, str] = {
    "logout": "logs out",
    "password_reset": "sends a password reset e-mail (its address field starts empty)",
    "users:password_change": "changes the password (its fields start empty)",
    "set_language": "switches the language",
    "accounts:new": "creates an account",
    "accounts:import": "a file upload",
    "activities:new": "creates an activity",
    "activities:import": "a file upload",
    "activities:delete": "deletes an activity",
    "allocation:periods": "creates a planning period",
    "allocation:run_start": "starts an allocation run",
    "casefor:create": "records a new assessment",
    "economics:cost_add": "adds a cost item",
    "economics:cost_delete": "deletes a cost item",
    "economics:investment_add": "adds an investment",
    "economics:investment_delete": "deletes an investment",
    "economics:import": "a file upload",
    "economics:import_spend": "a file upload",
    "economics:import_costs": "a file upload",
    "economics:import_source_remove": "removes a transaction source (after asking)",
    "plans:new": "creates a plan",
    "plans:item_new": "adds a plan item",
    "plans:action_new": "adds an action",
    "plans:action_track": "a status step (start, done) on an action",
    "plans:transition": "a workflow step (submit, approve, ...) of a plan",
    "plans:next": "starts next year's plan",
    "plans:share": "creates or revokes a customer link",
    "plans:templates": (
        "saving the defaults unchanged stores them as one template row per box (the same "
        "content, but new rows)"
    ),
    "portfolio:scheme_create": "creates a scoring scheme",
    "portfolio:review_create": "opens a new review",
    "portfolio:review_close": "closes a review",
    "portfolio:review_cancel": "cancels a review in progress (its confirmation is the change)",
    "portfolio:review_derive": "derives a new scheme version",
    "relationships:action": "a step on the relationship (infer, choose, ...)",
    "relationships:contact_new": "adds a contact",
    "relationships:contact_erase": "erases a contact's personal data",
    "relationships:calendar": "a calendar file upload",
    "users:tokens": "creates an API token",
    "users:token_revoke": "revokes an API token",
    "notifications:review_remind": "e-mails a reminder to the raters who have not finished",
    "jobs:cancel": "cancels a background job",
    "jobs:retry": "runs a failed background job again",
    "reports:portfolio_deck_prepare": "enqueues a job that renders the portfolio deck",
}

# Forms that post to an edit page but do something else there, told apart by a field
# they send (name, value), and why they are not posted.
EXCLUDED_FORMS: dict[tuple[str, str], str] = {
    ("section", "rate_delete"): "removes an exchange rate",
    ("section", "rate"): "adds a currency's exchange rate (its fields start empty)",
}


# --- which object fills each URL parameter ---------------------------------------------


def _plan() -> Any:
    from kam.plans.models import Plan

    # a draft (only drafts change) whose actions and items carry dates: the fields that
    # were erased
    return (
        Plan.objects.filter(
            status="draft", actions__due_date__isnull=False, items__due_date__isnull=False
        )
        .order_by("pk")
        .first()
    )


def _portfolio_review() -> Any:
    from kam.portfolio.selectors import portfolio_review

    return portfolio_review()


def _deck_job() -> Any:
    """A queued portfolio-deck job of the demo director (its page polls while it waits)."""
    from django.contrib.auth import get_user_model

    from kam.demo.team import PEOPLE
    from kam.jobs.models import Job

    director = get_user_model().objects.get(username=PEOPLE[0].username)
    return Job.objects.create(
        kind="portfolio_deck",
        task_path="kam.reports.tasks.portfolio_deck_task",
        arguments={"fmt": "pdf", "review_id": None, "lang": "en"},
        label="Review deck",
        created_by=director,
    )


def _first(model_label: str, **filters: Any) -> Callable[[dict[str, Any]], Any]:
    def pick(kwargs: dict[str, Any]) -> Any:
        model = apps.get_model(model_label)
        dated = model.objects.filter(**filters).order_by("pk").first()
        return dated or model.objects.order_by("pk").first()

    return pick


def _of_plan(model_label: str) -> Callable[[dict[str, Any]], Any]:
    def pick(kwargs: dict[str, Any]) -> Any:
        model = apps.get_model(model_label)
        return (
            model.objects.filter(plan_id=kwargs["pk"], due_date__isnull=False)
            .order_by("pk")
            .first()
        )

    return pick


# (namespace, parameter) -> object; (url name, parameter) takes precedence.
PARAMETERS: dict[tuple[str, str], Callable[[dict[str, Any]], Any]] = {
    ("accounts:group", "pk"): _first("accounts.Account", children__isnull=False),
    ("accounts", "pk"): _first("accounts.Account", plans__isnull=False),
    # an activity tied to a plan objective, so the objective select is saved unchanged too
    ("activities", "pk"): _first("activities.Activity", objective__isnull=False),
    ("allocation", "period_id"): _first("allocation.PlanningPeriod"),
    ("allocation", "run_id"): _first("allocation.AllocationRun"),
    ("casefor", "assessment_id"): _first("casefor.Assessment"),
    ("economics", "account_id"): _first("accounts.Account", investments__isnull=False),
    ("economics", "job_id"): _first("economics.TransactionImport"),
    ("plans", "pk"): lambda kwargs: _plan(),
    ("plans", "account_id"): lambda kwargs: _plan().account,
    ("plans", "item_id"): _of_plan("plans.PlanItem"),
    ("plans", "action_id"): _of_plan("plans.PlanAction"),
    ("plans", "key"): lambda kwargs: "objectives",
    ("portfolio:scheme_detail", "pk"): _first("portfolio.ScoringScheme"),
    ("portfolio:scheme_edit", "pk"): _first("portfolio.ScoringScheme"),
    ("portfolio", "pk"): _first("portfolio.Review", status="open"),
    # the portfolio review and an account with a three-year outlook there (the demo's)
    ("portfolio:outlook_edit", "review_id"): lambda kwargs: _portfolio_review(),
    ("portfolio:outlook_edit", "account_id"): _first(
        "accounts.Account", outlooks__expected_strength__isnull=False
    ),
    ("relationships", "pk"): _first("accounts.Account", contacts__isnull=False),
    ("relationships", "contact_id"): _first("relationships.Contact", left_on__isnull=False),
    ("relationships", "import_id"): _first("relationships.CalendarImport"),
    ("reports:portfolio_deck", "job_id"): lambda kwargs: _deck_job(),
    ("history", "kind"): lambda kwargs: "account",
    ("history", "pk"): _first("accounts.Account", plans__isnull=False),
}


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, list[str]]]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            if p.namespace in EXCLUDED_NAMESPACES or any(
                route.startswith(x) for x in EXCLUDED_PREFIXES
            ):
                continue
            inner = f"{namespace}:{p.namespace}" if namespace and p.namespace else p.namespace
            yield from _walk(p.url_patterns, route, inner or namespace)
        elif isinstance(p, URLPattern) and p.name:
            name = f"{namespace}:{p.name}" if namespace else p.name
            yield name, route, list(p.pattern.converters)


PAGES = sorted(
    {(name, tuple(params)) for name, _route, params in _walk(get_resolver().url_patterns)}
)


def test_the_walk_finds_the_edit_forms_and_every_exclusion_is_a_real_url():
    names = {name for name, _params in PAGES}
    # the forms that lost their dates must be among the walked pages
    for expected in ["plans:action_edit", "plans:item_edit", "activities:edit", "accounts:edit"]:
        assert expected in names
    known = names | {"set_language"}
    stale = [n for n in [*EXCLUDED_PAGES, *EXCLUDED_TARGETS] if n not in known]
    assert not stale, f"excluded URL names that no longer exist: {stale}"


# --- what a browser sends ----------------------------------------------------------------


class _Forms(HTMLParser):
    """The post forms of a page, each as (action, [(name, value), ...]) like a browser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._form: list[tuple[str, str]] | None = None
        self._action = ""
        self._submitted = False
        self._select: tuple[str, bool] | None = None  # name, multiple
        self._options: list[tuple[str, bool]] = []
        self._option: tuple[str | None, bool] | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._text = ""
        # typed inputs (date, number, ...) whose value the browser would throw away
        self.unreadable: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "input" and a.get("value"):
            kind = a.get("type", "text").lower()
            if _sanitised(kind, a["value"]) != a["value"]:
                self.unreadable.append(f'{a.get("name")} type={kind} value="{a["value"]}"')
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form, self._action, self._submitted = [], a.get("action", ""), False
            return
        if self._form is None or "disabled" in a:
            if tag == "option" and self._select is not None:
                self._option = None
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.append((name, a.get("value", "on")))
            elif kind in ("submit", "image"):
                if not self._submitted:  # the first button: what Enter presses
                    self._form.append((name, a.get("value", "")))
                    self._submitted = True
            elif kind not in ("file", "reset", "button"):
                self._form.append((name, _sanitised(kind, a.get("value", ""))))
        elif tag == "input" and a.get("type", "").lower() in ("submit", "image"):
            self._submitted = True
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            if name and not self._submitted:
                self._form.append((name, a.get("value", "")))
            self._submitted = True
        elif tag == "select" and name:
            self._select, self._options = (name, "multiple" in a), []
        elif tag == "option" and self._select is not None:
            self._option = (a.get("value"), "selected" in a)
            self._option_text = ""
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None:
            value, selected = self._option
            self._options.append(
                (value if value is not None else self._option_text.strip(), selected)
            )
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, multiple = self._select
            chosen = [v for v, s in self._options if s]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]  # a browser sends the first option
            self._form.extend((name, v) for v in (chosen if multiple else chosen[-1:]))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            # a browser drops the one newline right after <textarea>
            text = self._text[1:] if self._text.startswith("\n") else self._text
            self._form.append((self._textarea, text.replace("\r\n", "\n").replace("\n", "\r\n")))
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.forms.append((self._action, self._form))
            self._form = None


# A browser keeps a typed input's value only when it has the input's own (ISO, dot-decimal)
# syntax; anything else it shows, and sends, as empty (HTML's value sanitisation).
_SYNTAX = {
    "date": re.compile(r"\d{4,}-\d{2}-\d{2}"),
    "month": re.compile(r"\d{4,}-\d{2}"),
    "week": re.compile(r"\d{4,}-W\d{2}"),
    "time": re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?"),
    "datetime-local": re.compile(r"\d{4,}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?"),
    "number": re.compile(r"-?(\d+|\d+\.\d+|\.\d+)([eE][-+]?\d+)?"),
}


def _sanitised(kind: str, value: str) -> str:
    syntax = _SYNTAX.get(kind)
    if syntax is None or syntax.fullmatch(value):
        return value
    return ""


def _post_data(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data


# --- what the database holds ---------------------------------------------------------------

IGNORED_MODELS = {"sessions.Session"}
IGNORED_FIELDS = {("auth.User", "last_login")}


def _dump() -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for model in apps.get_models():
        label = model._meta.label
        if label in IGNORED_MODELS:
            continue
        skip = {
            f.attname
            for f in model._meta.concrete_fields
            if getattr(f, "auto_now", False)
            or getattr(f, "auto_now_add", False)
            or (label, f.name) in IGNORED_FIELDS
        }
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
        rows[label] = list(model.objects.order_by("pk").values(*names))
    return rows


def _differences(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> list[str]:
    out: list[str] = []
    for label, old in before.items():
        new = after[label]
        if old == new:
            continue
        old_by_pk = {r["id"] if "id" in r else str(r): r for r in old}
        new_by_pk = {r["id"] if "id" in r else str(r): r for r in new}
        for pk in old_by_pk.keys() - new_by_pk.keys():
            out.append(f"{label} {pk} deleted")
        for pk in new_by_pk.keys() - old_by_pk.keys():
            out.append(f"{label} {pk} added: {new_by_pk[pk]}")
        for pk in old_by_pk.keys() & new_by_pk.keys():
            changed = {
                k: (old_by_pk[pk][k], new_by_pk[pk][k])
                for k in old_by_pk[pk]
                if old_by_pk[pk][k] != new_by_pk[pk][k]
            }
            if changed:
                out.append(f"{label} {pk} changed (before, after): {changed}")
    return out


# The module's tests share one demo load per process: with `--dist loadgroup` (`make test`)
# they all run in the same xdist worker, so the demo is loaded once, not once per worker.
pytestmark = pytest.mark.xdist_group("forms_roundtrip_demo")


# --- the demo, loaded once ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo portfolio, loaded once for this module and rolled back after it."""
    from kam.demo import demo_load

    root = str(tmp_path_factory.mktemp("roundtrip-transactions"))
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                KAM_TRANSACTIONS_ROOT=root,
            ):
                logins = demo_load(
                    seed=11, accounts=40, stdout=io.StringIO(), today=dt.date(2026, 12, 7)
                )
            yield {"director": logins.users[0][0], "transactions": root}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _kwargs(name: str, params: tuple[str, ...]) -> dict[str, Any] | str:
    """The URL's parameters, or why the page cannot be opened."""
    namespace = name.split(":")[0] if ":" in name else ""
    kwargs: dict[str, Any] = {}
    for param in params:
        pick = PARAMETERS.get((name, param)) or PARAMETERS.get((namespace, param))
        assert pick is not None, (
            f"{name}: no object for the URL parameter {param!r}: add it to PARAMETERS "
            "or the page to EXCLUDED_PAGES with a reason"
        )
        value = pick(kwargs)
        if value is None:
            return f"the demo has no object for {param!r}"
        kwargs[param] = value.pk if isinstance(value, models.Model) else value
    return kwargs


# How kam's templates mark a form shown again with an error (Django's errorlist,
# aria-invalid, kam's own "errors" lists, the scoring grid's and messages' classes).
ERROR_MARKS = re.compile(
    r'aria-invalid="true"|class="[^"]*\b(errorlist|errors|msg-error|has-errors|cell-error|'
    r"row-errors|row-invalid|bc-q-error)\b"
)


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "params"), PAGES, ids=[n for n, _p in PAGES])
def test_saving_a_form_unchanged_changes_nothing(demo, settings, db, language, name, params):  # type: ignore[no-untyped-def]
    if name in EXCLUDED_PAGES or name in EXCLUDED_TARGETS:
        # a page whose only purpose is an excluded action (or a POST-only endpoint)
        pytest.skip(EXCLUDED_PAGES.get(name) or EXCLUDED_TARGETS[name])
    settings.KAM_TRANSACTIONS_ROOT = demo["transactions"]
    kwargs = _kwargs(name, params)
    if isinstance(kwargs, str):
        pytest.skip(kwargs)
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=demo["director"]))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    url = reverse(name, kwargs=kwargs)
    page = client.get(url)
    assert page.status_code < 500, f"GET {url}: {page.status_code}"
    if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
        return  # an action endpoint (POST only) or a redirect: its forms live on other pages
    parser = _Forms()
    parser.feed(page.content.decode())
    assert not parser.unreadable, (
        f"{language} {url}: the browser shows these inputs empty: {parser.unreadable}"
    )
    posted = 0
    for action, fields in parser.forms:
        target = urlsplit(action).path or url
        if not target.startswith("/"):
            target = url.rsplit("/", 1)[0] + "/" + target
        match = resolve(target)
        if match.view_name in EXCLUDED_TARGETS or match.view_name in EXCLUDED_PAGES:
            continue
        if any(field in EXCLUDED_FORMS for field in fields):
            continue
        before = _dump()
        answer = client.post(target, _post_data(fields))
        after = _dump()
        where = f"{language} {url} -> POST {target}"
        assert answer.status_code < 400, f"{where}: {answer.status_code}"
        changed = _differences(before, after)
        assert not changed, f"{where} changed the database:\n" + "\n".join(changed[:20])
        if answer.status_code == 200:
            body = answer.content.decode()
            mark = ERROR_MARKS.search(body)
            assert mark is None, f"{where} answered the form again with an error: {mark[0]}"
        posted += 1
