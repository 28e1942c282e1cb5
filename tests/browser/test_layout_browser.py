"""Every page fits a 1280 px wide screen, in English and in Dutch: no sideways scroll.

The pages come from the URL resolver, so a new page is covered as soon as it is added: each
route is either a page (filled in with an object of the demo portfolio) or named below as
not a page (files, fragments, JSON, POST-only actions). A route in neither list fails the
test, so whoever adds one decides which it is.

Wide content (the scoring grid, long tables) may scroll inside its own box; the document
itself may not be wider than the window. Full-page screenshots of every page go to
test-artifacts/layout/ for people to look at (JPEG: half the time of a PNG of the same page).

The same walk holds every page to kam's Content-Security-Policy (kam.settings, script-src
'self', no eval): the browser reports each violation (a `securitypolicyviolation` event,
and a console message), and there must be none; every chart must be drawn (under the policy
Vega runs its expression interpreter, not `new Function`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser

WIDTH = 1280
HEIGHT = 800
LANGUAGES = ("en", "nl")
# A page is settled once no request has been in flight for this long: what Playwright's
# "networkidle" waits for, but 500 ms of silence after each of ~75 pages per language is
# about 40 s of waiting. The page's own late requests (htmx's, the charts' data) start
# on DOMContentLoaded or from a response, so a short silence already follows the last one.
QUIET_S = 0.1

# Routes that are not pages a person reads: files, JSON, htmx fragments and POST actions.
NOT_PAGES = {
    "login",  # seen before logging in; a narrow form
    "logout",
    "oidc_authentication_init",  # a redirect to the OpenID provider (404 when off)
    "oidc_authentication_callback",  # where the provider returns: a redirect
    "set_language",
    "javascript-catalog",
    "vega_bundle",
    "accounts:import_template",
    "accounts:export",
    "portfolio:matrix_data",
    "portfolio:matrix_table",
    "portfolio:matrix_export",
    "portfolio:review_close",
    "portfolio:review_derive",
    "casefor:pdf",
    "allocation:run_start",
    "allocation:judgement_save",
    "allocation:judgement_sketch",
    "allocation:run_progress",
    "allocation:run_curve",
    "allocation:run_what_if",
    "activities:import_template",
    "activities:contact_picker",  # the htmx fragment of the activity form's contact list
    "activities:contact_new",  # POST only: a contact created from the activity form
    "relationships:action",
    "relationships:orgchart_file",
    "relationships:contact_export",
    "relationships:contact_erase",
    "reports:plan_export",
    "reports:portfolio_export",
    "reports:portfolio_deck_prepare",  # POST only: enqueues the deck as a job
    "jobs:download",  # a file download
    "plans:shared_action",
    "plans:shared_language",  # POST only: the customer's language switch on the shared page
    "plans:shared_sign_off",  # POST only: the customer's sign-off on the shared page
    "plans:action_track",
    "plans:transition",
    "plans:next",
    "economics:cost_add",
    "economics:cost_delete",
    "economics:investment_add",
    "economics:investment_delete",
    "economics:spend",
    "economics:import_progress",
    # the confirmation before removing a transaction source: administrators only (the demo
    # director is not one) and only with ?source=; its layout is tested in
    # tests/browser/test_source_remove_browser.py
    "economics:import_source_remove",
    "users:token_revoke",
    "notifications:review_remind",  # POST only: the review page's "remind raters" button
    "jobs:cancel",  # POST only
    "jobs:retry",  # POST only
    "history:export",  # a file download
    "history:object_export",  # a file download
    # the administrator's page of all history: the director walking these pages gets 404;
    # tests/browser/test_history_browser.py checks its layout as an administrator
    "history:all",
}

# Collects the page's Content-Security-Policy violations, from the first script on.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(
  `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`
));
"""

CHARTS_FAILED = """
() => [...document.querySelectorAll(
    '[data-chart][data-src], [data-chart]:not([data-chart=""])'
  )].filter(e => e.dataset.ready !== 'true').map(e => e.outerHTML.slice(0, 120))
"""

CHARTS_DRAWN = """
() => [...document.querySelectorAll(
    '[data-chart][data-src], [data-chart]:not([data-chart=""])'
  )].every(e => e.dataset.ready === 'true' || e.dataset.ready === 'error')
"""

# Which of the document's elements stick out on the right: for the failure message.
OVERFLOW = """
(width) => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && r.width > 0) {
      let inside = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX)) { inside = true; break; }
      }
      if (!inside) {
        const id = el.id ? '#' + el.id : '';
        const cls = el.className && typeof el.className === 'string'
          ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
        out.push(`${el.tagName.toLowerCase()}${id}${cls} right=${Math.round(r.right)}`);
      }
    }
  }
  return out.slice(0, 6);
}
"""


class Network:
    """The page's requests in flight, from its request events (handled while Playwright
    waits)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.inflight: set[Any] = set()
        self.last = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._ended)

    def _started(self, request: Any) -> None:
        self.inflight.add(request)
        self.last = time.monotonic()

    def _ended(self, request: Any) -> None:
        self.inflight.discard(request)
        self.last = time.monotonic()

    def wait_quiet(self) -> None:
        """Until no request has been in flight for ``QUIET_S`` (a hang fails after 60 s)."""
        deadline = time.monotonic() + 60
        while self.inflight or time.monotonic() - self.last < QUIET_S:
            assert time.monotonic() < deadline, f"requests never ended: {self.inflight}"
            self.page.wait_for_timeout(1000 * QUIET_S / 2)


def _routes() -> list[tuple[str, str]]:
    """(name, route) of every named route outside the admin and the API."""
    from django.urls import URLPattern, URLResolver, get_resolver

    out: list[tuple[str, str]] = []

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                route = prefix + str(p.pattern)
                if route.startswith(("admin/", "api/")):
                    continue
                walk(p.url_patterns, route, p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
                out.append((name, prefix + str(p.pattern)))

    walk(get_resolver().url_patterns, "", None)
    return out


def _page_kwargs(director: Any) -> dict[str, Callable[[], dict[str, Any] | None]]:
    """For each page with parameters: the demo object it shows (the busiest or longest one,
    where it matters for the width)."""
    from django.db.models import Count
    from django.db.models.functions import Length

    from kam.accounts.models import Account
    from kam.activities.models import Activity
    from kam.allocation.models import AllocationRun, PlanningPeriod
    from kam.casefor.models import Assessment
    from kam.economics.models import TransactionImport
    from kam.plans import services as plan_services
    from kam.plans.models import Plan, PlanAction, PlanItem
    from kam.portfolio.models import Review, ScoringScheme
    from kam.relationships.models import CalendarImport, Contact

    def account() -> int:
        a = Account.objects.annotate(n=Length("name")).order_by("-n", "pk").first()
        assert a is not None
        return a.pk

    def plan() -> Plan:
        p = Plan.objects.annotate(n=Count("items") + Count("actions")).order_by("-n", "pk").first()
        assert p is not None, "the demo has plans"
        return p

    def one(model: Any, **filters: Any) -> int | None:
        row = model.objects.filter(**filters).order_by("-pk").first()
        return row.pk if row is not None else None

    def review() -> int:
        r = Review.objects.order_by("-review_date", "-pk").first()
        assert r is not None
        return r.pk

    def shared() -> dict[str, Any]:
        p = plan()
        _link, token = plan_services.share_link_create(
            user=p.account.owner or director,
            plan=p,
            person_name="Bram Smit",
            person_email="bram@example.com",
        )
        return {"token": token}

    def unsubscribe() -> dict[str, Any]:
        from kam.notifications.services import unsubscribe_token

        return {"token": unsubscribe_token(user=director, kind="digest")}

    def deck() -> dict[str, Any]:
        # a done deck job of the director, its (tiny) file kept: the page offers the download
        from kam.jobs.models import Job
        from kam.jobs.services import job_file_save

        job = Job.objects.create(
            kind="portfolio_deck",
            task_path="kam.reports.tasks.portfolio_deck_task",
            label="Review of 2026-03-01, PDF, en",
            created_by=director,
            status="done",
            progress=100,
        )
        job_file_save(
            job_id=job.pk, content=b"%PDF-1.4", filename="deck.pdf", content_type="application/pdf"
        )
        return {"job_id": job.pk}

    def maybe(key: str, value: int | None) -> dict[str, Any] | None:
        return None if value is None else {key: value}

    return {
        "accounts:detail": lambda: {"pk": account()},
        "accounts:group": lambda: {
            "pk": Account.objects.filter(children__isnull=False).order_by("pk").first().pk  # type: ignore[union-attr]
        },
        "accounts:edit": lambda: {"pk": account()},
        "accounts:history": lambda: {"pk": account()},
        "portfolio:scheme_detail": lambda: {"pk": one(ScoringScheme)},
        "portfolio:scheme_edit": lambda: {"pk": one(ScoringScheme)},
        "portfolio:review_detail": lambda: {"pk": review()},
        "portfolio:review_score": lambda: {"pk": review()},
        "portfolio:review_cancel": lambda: {"pk": review()},
        "portfolio:outlook_edit": lambda: {
            "review_id": one(Review, status="closed"),
            "account_id": Account.objects.filter(outlooks__isnull=False)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first(),
        },
        "casefor:detail": lambda: maybe("assessment_id", one(Assessment)),
        "allocation:period": lambda: maybe("period_id", one(PlanningPeriod)),
        "allocation:judgements": lambda: maybe("period_id", one(PlanningPeriod)),
        "allocation:run": lambda: maybe("run_id", one(AllocationRun)),
        "activities:edit": lambda: maybe("pk", one(Activity)),
        "activities:delete": lambda: maybe("pk", one(Activity)),
        "relationships:account": lambda: {"pk": account()},
        "relationships:orgchart": lambda: {"pk": account()},
        "relationships:contact_new": lambda: {"pk": account()},
        "relationships:contact_edit": lambda: maybe("contact_id", one(Contact)),
        "relationships:calendar_detail": lambda: maybe("import_id", one(CalendarImport)),
        "plans:account": lambda: {"account_id": plan().account_id},
        "plans:shared": shared,
        "notifications:unsubscribe": unsubscribe,
        "plans:detail": lambda: {"pk": plan().pk},
        "plans:sections": lambda: {"pk": plan().pk},
        "plans:section": lambda: {"pk": plan().pk, "key": "analysis"},
        "plans:item_new": lambda: {"pk": plan().pk, "kind": "value_proposition"},
        "plans:item_edit": lambda: (
            {"pk": plan().pk, "item_id": i}
            if (i := one(PlanItem, plan=plan(), kind="value_proposition")) is not None
            else None
        ),
        "plans:action_new": lambda: {"pk": plan().pk},
        "plans:action_edit": lambda: (
            {"pk": plan().pk, "action_id": a}
            if (a := one(PlanAction, plan=plan())) is not None
            else None
        ),
        "plans:compare": lambda: {"pk": plan().pk},
        "plans:share": lambda: {"pk": plan().pk},
        "economics:account": lambda: {"account_id": account()},
        "economics:import_report": lambda: maybe("job_id", one(TransactionImport)),
        # a reset link that no longer works: the page says so and offers a new one
        "password_reset_confirm": lambda: {"uidb64": "MQ", "token": "used-token"},
        "history:object": lambda: {"kind": "plan", "pk": plan().pk},
        "reports:portfolio_deck": deck,
    }


def _page_urls(director: Any) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, path) of every page to load, and the names of routes no one has classified."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    user = get_user_model().objects.get(username=director.username)
    providers = _page_kwargs(user)
    pages: list[tuple[str, str]] = []
    unclassified: list[str] = []
    for name, route in _routes():
        if name in NOT_PAGES:
            continue
        if "<" not in route:
            pages.append((name, reverse(name)))
        elif name in providers:
            kwargs = providers[name]()
            if kwargs is not None:
                pages.append((name, reverse(name, kwargs=kwargs)))
        else:
            unclassified.append(name)
    return pages, unclassified


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_fits_1280_px_in_english_and_dutch(live_server, chromium, demo_director, lang):
    pages, unclassified = _page_urls(demo_director)
    assert not unclassified, f"new routes: add them to the pages or to NOT_PAGES: {unclassified}"
    names = {name for name, _path in pages}
    # The main pages are there (the demo has the objects they show).
    assert {
        "portfolio:matrix",
        "accounts:list",
        "accounts:detail",
        "accounts:history",
        "accounts:group",
        "portfolio:scheme_edit",
        "portfolio:review_list",
        "portfolio:review_detail",
        "portfolio:review_score",
        "allocation:periods",
        "allocation:period",
        "allocation:run",
        "activities:actual_time",
        "relationships:findings",
        "relationships:account",
        "plans:list",
        "plans:detail",
        "economics:portfolio",
        "economics:account",
        "casefor:case",
        "guide:method",
    } <= names

    shots = ARTIFACTS / "layout"
    shots.mkdir(parents=True, exist_ok=True)
    too_wide: list[str] = []
    violations: list[str] = []
    charts_failed: list[str] = []
    charts_drawn = 0
    context = chromium.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(60_000)
    network = Network(page)
    console: list[str] = []
    page.on(
        "console",
        lambda message, out=console: (
            out.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(page, live_server.url, demo_director)
    for name, path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, (name, path, lang)
        policy = response.header_value("content-security-policy") or ""
        assert "script-src 'self'" in policy and "unsafe-eval" not in policy, (name, policy)
        if name == "plans:shared":
            # The customer's page speaks the link's language, not the signed-in user's:
            # switch it the way the customer does (tests/plans/test_sign_off.py).
            page.click(f"[data-testid=share-language-{lang}]")
            page.wait_for_function(f"() => document.documentElement.lang === '{lang}'")
        network.wait_quiet()
        # Charts take their width once drawn: wait until every chart says it is done.
        page.wait_for_function(CHARTS_DRAWN)
        charts_failed += [f"{lang} {path}: {c}" for c in page.evaluate(CHARTS_FAILED)]
        charts_drawn += page.evaluate("document.querySelectorAll('[data-ready=\"true\"]').length")
        violations += [f"{lang} {path}: {v}" for v in page.evaluate("window.__cspViolations")]
        violations += [f"{lang} {path}: console: {m}" for m in console]
        console.clear()
        assert page.evaluate("document.documentElement.lang") == lang, (name, lang)
        width = page.evaluate("document.documentElement.scrollWidth")
        safe = name.replace(":", "-")
        page.screenshot(
            path=str(shots / f"{safe}-{lang}.jpg"), full_page=True, type="jpeg", quality=80
        )
        if width > WIDTH:
            culprits = page.evaluate(OVERFLOW, WIDTH)
            too_wide.append(f"{lang} {path} ({name}): {width} px; {culprits}")
    context.close()
    assert not too_wide, "pages wider than 1280 px:\n" + "\n".join(too_wide)
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
    assert not charts_failed, "charts not drawn:\n" + "\n".join(charts_failed)
    # The matrix, the economics pages and the allocation run draw charts in each language.
    assert charts_drawn >= 4, charts_drawn
