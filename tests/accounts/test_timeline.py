"""The account's history (kam/pages/timeline.py): a hand-built story, told back.

Vandenberg Retail, owned by kam1:

- three closed reviews a year apart (two raters, the director and kam1): key, key (the
  raters 3 points apart on available spend), then key development (dropped);
- its stage: inferred exploratory, chosen cooperative by kam1, then chosen basic (a fall);
- Eva, its decider, was not covered 30 days ago (a finding opened then) and has been met
  four times since (resolved today);
- the 2026 plan approved twice (versions 1 and 2, by the director);
- invoice lines in three 12-month years: contribution 400, 700, then 500 (a fall of 200).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kam.activities.models import Activity, ActivityParticipant
from kam.economics.lines import store_get
from kam.errors import ApplicationError
from kam.pages.timeline import account_timeline
from kam.plans import services as plans
from kam.portfolio.services import review_close, review_compute, review_create, scheme_create
from kam.relationships.findings_store import findings_refresh
from kam.relationships.models import AccountRelationship, FindingRecord
from kam.relationships.services import contact_create, stage_inferred_store, stage_override
from tests.conftest import client_for
from tests.economics.conftest import lines_csv
from tests.factories import AccountFactory
from tests.portfolio.test_matrix import PROFILES, scheme_content, score

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
KEY_APART = ((5, 8, 8), (8, 8), (4, 4))  # kam1 scores available spend 5, the director 8


@pytest.fixture
def story(director, kam_user, tmp_path):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=kam_user, name="Vandenberg Retail")
    # -- three closed reviews
    version = scheme_create(name="Food retail", content=scheme_content(), created_by=director)
    reviews = []
    for years_ago, mine in ((2, PROFILES["key"]), (1, KEY_APART), (0, PROFILES["key_development"])):
        review = review_create(
            name=f"Review {TODAY.year - years_ago}",
            review_date=TODAY.replace(day=1) - dt.timedelta(days=365 * years_ago),
            scheme_version=version,
            raters=[director, kam_user],
            created_by=director,
        )
        theirs = PROFILES["key_development"] if years_ago == 0 else PROFILES["key"]
        score(review, director, account, theirs)
        score(review, kam_user, account, mine)
        review_compute(review=review)
        review_close(review=review, closed_by=director)
        reviews.append(review)
    # -- the stage
    stage_inferred_store(account=account, stage="exploratory")
    stage_override(user=kam_user, account=account, stage="cooperative", reason="Joint forecast")
    stage_override(user=kam_user, account=account, stage="basic", reason="Forecasts stopped")
    # -- a decider not covered 30 days ago, met four times since
    eva = contact_create(
        user=kam_user,
        account=account,
        name="Eva Jansen",
        function="category",
        seniority=1,
        buying_roles=["decider"],
        influence=5,
        attitude="champion",
    )
    findings_refresh(account_ids=[account.pk], as_of=TODAY - dt.timedelta(days=30))
    for days_ago in (20, 15, 10, 5):
        a = Activity.objects.create(
            account=account,
            date=TODAY - dt.timedelta(days=days_ago),
            duration_minutes=60,
            type="meeting",
        )
        ActivityParticipant.objects.create(activity=a, user=kam_user)
        a.contacts.set([eva])
    findings_refresh(account_ids=[account.pk], as_of=TODAY)
    # -- two plan versions
    plan = plans.plan_create(
        user=kam_user,
        account=account,
        period_label="2026",
        period_start=dt.date(TODAY.year, 1, 1),
        period_end=dt.date(TODAY.year, 12, 31),
    )
    plans.plan_submit(user=kam_user, plan=plan)
    plans.plan_approve(user=director, plan=plan)
    plans.plan_reopen(user=kam_user, plan=plan)
    plans.plan_submit(user=kam_user, plan=plan)
    plans.plan_approve(user=director, plan=plan, note="Targets raised")
    # -- invoice lines: one per 12-month year, amount and cost of goods
    rows = [
        (account.external_id, f"I{days}", (TODAY - dt.timedelta(days=days)).isoformat(),
         amount, cost, None, None, "EUR")
        for days, amount, cost in ((800, 1000, 600), (400, 1500, 800), (10, 1400, 900))
    ]  # fmt: skip
    path = tmp_path / "lines.csv"
    path.write_bytes(lines_csv(rows))
    store_get().lines_import(path=path)
    return account, reviews, eva


def test_the_timeline_tells_the_story(story, kam_user):  # type: ignore[no-untyped-def]
    account, _reviews, eva = story
    t = account_timeline(user=kam_user, account_id=account.pk)

    # reviews, oldest first: boxes, scores, spread, the drop
    assert [r.box for r in t.reviews] == ["key", "key", "key_development"]
    assert [r.box_change for r in t.reviews] == ["", "same", "down"]
    assert [r.worse for r in t.reviews] == [False, False, True]
    # attractiveness: criteria 40/30/30 of the raters' mean; 2025: spend (8+5)/2 = 6.5
    # -> 0.4 × 6.5 + 0.3 × 8 + 0.3 × 8 = 7.4; the others 8
    assert [round(r.attractiveness, 2) for r in t.reviews] == [8.0, 7.4, 8.0]
    assert [round(r.strength, 2) for r in t.reviews] == [8.0, 8.0, 3.0]
    assert t.reviews[2].strength_change == -5.0
    assert [r.spread for r in t.reviews] == [0, 3, 0]
    assert t.reviews[1].spread_criterion == "Available spend"

    # the stage: exploratory, cooperative (chosen), basic (chosen, a fall)
    assert [(s.stage, s.chosen, s.worse) for s in t.stages] == [
        ("exploratory", False, False),
        ("cooperative", True, False),
        ("basic", True, True),
    ]
    assert t.stages[2].reason == "Forecasts stopped"
    assert t.stages[2].by == kam_user.get_full_name()

    # the decider's finding: opened 30 days ago, resolved today
    decider = [f for f in t.findings if f.kind == "uncovered_decider"]
    assert len(decider) == 1
    assert decider[0].subject == f"c{eva.pk}"
    assert decider[0].subject_name == "Eva Jansen"
    assert decider[0].opened_on == TODAY - dt.timedelta(days=30)
    assert decider[0].resolved_on == TODAY
    assert decider[0].worse and "Eva Jansen" in decider[0].why

    # plan versions, newest first, with who
    assert [(v.number, v.approved_by, v.note) for v in t.plan_versions] == [
        (2, director_name(story), "Targets raised"),
        (1, director_name(story), ""),
    ]

    # contribution by year, oldest first, with the change
    assert [y.contribution for y in t.years] == [400.0, 700.0, 500.0]
    assert [y.change for y in t.years] == [None, 300.0, -200.0]
    assert t.years[1].change_fraction == pytest.approx(0.75)
    assert [y.worse for y in t.years] == [False, False, True]

    # what is getting worse: the fall in contribution first, then the box and the stage;
    # the decider's finding is resolved, so it no longer counts
    kinds = [e.kind for e in t.worse]
    assert kinds[0] == "contribution"
    assert {"review", "stage"} <= set(kinds) and "finding_opened" not in kinds

    # the events newest first; the day's findings grouped
    assert [e.on for e in t.events] == sorted((e.on for e in t.events), reverse=True)
    resolved_today = [e for e in t.events if e.kind == "findings_resolved" and e.on == TODAY]
    assert any(f.kind == "uncovered_decider" for f in resolved_today[0].item)


def director_name(story) -> str:  # type: ignore[no-untyped-def]
    _account, reviews, _eva = story
    return str(reviews[0].created_by.get_full_name())


def test_another_managers_account_has_no_history_for_them(story, other_kam):  # type: ignore[no-untyped-def]
    account, _reviews, _eva = story
    with pytest.raises(ApplicationError) as exc:
        account_timeline(user=other_kam, account_id=account.pk)
    assert exc.value.status == 404
    response = client_for(other_kam).get(reverse("accounts:history", args=[account.pk]))
    assert response.status_code == 404
    api = client_for(other_kam).get(f"/api/accounts/{account.pk}/history")
    assert api.status_code == 404
    assert "detail" in api.json()


def test_the_api_answers_the_same_data_as_the_selector(story, kam_user):  # type: ignore[no-untyped-def]
    account, _reviews, _eva = story
    t = account_timeline(user=kam_user, account_id=account.pk)
    body = client_for(kam_user).get(f"/api/accounts/{account.pk}/history").json()
    assert body["account_id"] == account.pk
    assert [r["box"] for r in body["reviews"]] == [r.box for r in t.reviews]
    assert [r["spread"] for r in body["reviews"]] == [0, 3, 0]
    assert [s["stage"] for s in body["stages"]] == ["exploratory", "cooperative", "basic"]
    assert [y["change"] for y in body["years"]] == [None, 300.0, -200.0]
    assert [v["number"] for v in body["plan_versions"]] == [2, 1]
    decider = [f for f in body["findings"] if f["kind"] == "uncovered_decider"]
    assert decider[0]["resolved_on"] == TODAY.isoformat() and decider[0]["on_decider"]
    assert body["worse"][0]["kind"] == "contribution"


def test_the_page_shows_the_story_in_english_and_dutch(story, kam_user):  # type: ignore[no-untyped-def]
    account, _reviews, _eva = story
    client = client_for(kam_user)
    html = client.get(reverse("accounts:history", args=[account.pk])).content.decode()
    assert "Vandenberg Retail: the account's timeline" in html
    assert "Contribution fell by" in html and "Dropped from Key to Key development" in html
    assert 'data-chart="scores-spec"' in html  # three scored reviews: a chart
    assert "Plan 2026, version 2 approved" in html
    detail = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert reverse("accounts:history", args=[account.pk]) in detail
    client.cookies["django_language"] = "nl"
    html = client.get(
        reverse("accounts:history", args=[account.pk]), HTTP_ACCEPT_LANGUAGE="nl"
    ).content.decode()
    assert "de tijdlijn van het account" in html
    assert "Bijdrage daalde met" in html
    assert "−200" in html or "-200" in html


def test_the_store_equals_the_computed_findings_after_the_job(story, director, kam_user):  # type: ignore[no-untyped-def]
    from kam.accounts.models import Account
    from kam.jobs.models import Job, JobStatus
    from kam.relationships.findings_store import findings_refresh_enqueue
    from kam.relationships.selectors import load

    _story = story
    other = AccountFactory(owner=kam_user, name="Zeeland Foods")
    contact_create(user=kam_user, account=other, name="Piet", buying_roles=["decider"], influence=4)
    job = findings_refresh_enqueue(account_ids=None)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and Job.objects.filter(kind="findings_refresh").exists()
    computed = {
        (d.account.pk, str(f.kind), f.subject or "", f.severity)
        for d in load(Account.objects.filter(active=True))
        for f in d.findings
    }
    stored = set(
        FindingRecord.objects.filter(resolved_on__isnull=True).values_list(
            "account_id", "kind", "subject", "severity"
        )
    )
    assert computed and stored == computed
    # running it again changes nothing
    before = list(FindingRecord.objects.order_by("pk").values())
    findings_refresh()
    assert [{k: v for k, v in r.items() if k != "refreshed_at"} for r in before] == [
        {k: v for k, v in r.items() if k != "refreshed_at"}
        for r in FindingRecord.objects.order_by("pk").values()
    ]
    assert AccountRelationship.objects.get(account=other).inferred_stage  # stored by the job


def test_the_timeline_queries_do_not_grow_with_the_portfolio(story, kam_user):  # type: ignore[no-untyped-def]
    """One account's history reads that account's rows: as many queries with 3 other
    accounts (with findings) as with 9."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kam.relationships.models import Contact

    account, _reviews, _eva = story
    client = client_for(kam_user)
    url = reverse("accounts:history", args=[account.pk])

    def others(n: int, start: int) -> None:
        for i in range(start, start + n):
            other = AccountFactory(owner=kam_user, name=f"Other {i:02d}")
            Contact.objects.create(account=other, number=1, name=f"D{i}", buying_roles=["decider"])
        findings_refresh()

    def count() -> int:
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200
        return len(q.captured_queries)

    others(3, 0)
    client.get(url)
    few = count()
    others(6, 3)
    assert count() == few
