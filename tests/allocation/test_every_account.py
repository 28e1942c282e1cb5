"""Time for every customer (docs/allocation.md): the year plan covers every active account.
Accounts with judgements are optimised; the others get their box policy's hours from their
owner or account team, and the optimiser gets the capacity that is left.

The hand-worked example: six accounts, three judged key accounts and three without
judgements (key development, maintenance, opportunistic), a team of 100 hours (kam1 50 h,
kam2 40 h, the director 10 h). Policies per account: key 10-40 h, key development 10-30 h
(planned at 20 h, the middle), maintenance 6-10 h (8 h), opportunistic 2-4 h (3 h). The
policy accounts take 20 h of kam1 (Customer 3) and 8 + 3 h of kam2 (Customers 4, 5): 31 h
in all, so the optimiser divides 69 h: kam1 30, kam2 29, the director 10.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam.accounts.models import AccountTeamMember
from kam.allocation.judgement_services import judgement_curve, judgement_save
from kam.allocation.models import AllocationLine, AllocationPersonLine, PlannedBy, RunStatus
from kam.allocation.run_services import run_execute, run_start
from kam.allocation.selectors import plan_hours, run_hours_by_box, run_hours_by_person
from kam.allocation.services import (
    CapacityChange,
    PolicyChange,
    capacities_update,
    period_create,
    policies_update,
)
from kam.core.allocation.curves import Curves, calibrate
from kam.core.allocation.policy import PolicyAccount, assign_policy_hours
from kam.core.allocation.problems import Person, ShortfallReason, TeamProblem
from kam.core.allocation.solve import allocate
from kam.errors import ApplicationError
from kam.organisation.selectors import organisation_get
from kam.portfolio.services import (
    CriterionInput,
    RatingInput,
    SchemeContent,
    ratings_save,
    review_close,
    review_compute,
    review_create,
    scheme_create,
)
from tests.allocation.conftest import judgement
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def six(director, kam_user, other_kam):  # type: ignore[no-untyped-def]
    """Six accounts placed by a closed review: Customers 0-2 key, 3 key development,
    4 maintenance, 5 opportunistic. Owners: 0, 1, 3 kam1; 2, 4, 5 kam2."""
    for user, hours in ((kam_user, 50), (other_kam, 40), (director, 10)):
        user.profile.hours_per_year = hours
        user.profile.hourly_cost = Decimal("60")
        user.profile.save()
    organisation_get()
    version = scheme_create(
        name="Model",
        content=SchemeContent(
            criteria=[
                CriterionInput("attractiveness", "size", "Size", 50, "low", "mid", "high"),
                CriterionInput("attractiveness", "growth", "Growth", 30, "low", "mid", "high"),
                CriterionInput("attractiveness", "margin", "Margin", 20, "low", "mid", "high"),
                CriterionInput("strength", "price", "Price", 100),
            ]
        ),
        created_by=director,
    )
    review = review_create(
        name="Review",
        review_date=dt.date(2026, 3, 1),
        scheme_version=version,
        raters=[director],
        created_by=director,
    )
    criteria = {c.key: c.pk for c in version.criteria.all()}
    profiles = [(8, 8), (7, 6), (9, 9), (8, 2), (2, 8), (2, 2)]
    owners = [kam_user, kam_user, other_kam, kam_user, other_kam, other_kam]
    rows, entries = [], []
    for n, ((att, strength), owner) in enumerate(zip(profiles, owners, strict=True)):
        account = AccountFactory(name=f"Customer {n}", owner=owner)
        rows.append(account)
        entries += [
            RatingInput(account.pk, criteria[k], att) for k in ("size", "growth", "margin")
        ] + [RatingInput(account.pk, criteria["price"], strength)]
    ratings_save(review=review, rater=director, entries=entries)
    review_compute(review=review)
    review_close(review=review, closed_by=director)
    period = period_create(
        created_by=director, name="Plan 2027", start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31)
    )
    policies_update(
        user=director,
        period=period,
        changes=[
            PolicyChange("key", 10, 40),
            PolicyChange("key_development", 10, 30),
            PolicyChange("maintenance", 6, 10),
            PolicyChange("opportunistic", 2, 4),
        ],
    )
    for account, numbers in zip(
        rows[:3],
        [
            (30, 20_000, 40_000, 45_000, 50_000),
            (25, 10_000, 18_000, 22_000, 26_000),
            (20, 15_000, 30_000, 34_000, 38_000),
        ],
        strict=True,
    ):
        judgement_save(user=director, period=period, account=account, data=judgement(*numbers))
    return {"period": period, "accounts": rows}


def _run(period, director):  # type: ignore[no-untyped-def]
    run = run_start(user=director, period=period)
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    return run


def test_the_boxes_are_as_the_example_says(six):
    boxes = {
        a.name: b
        for a, b in ((r, r.placements.order_by("-pk").first().box) for r in six["accounts"])
    }
    assert boxes == {
        "Customer 0": "key",
        "Customer 1": "key",
        "Customer 2": "key",
        "Customer 3": "key_development",
        "Customer 4": "maintenance",
        "Customer 5": "opportunistic",
    }


def test_the_capacity_check_counts_the_policy_hours_of_the_accounts_without_judgements(six):
    h = plan_hours(period=six["period"])
    assert h.capacity_hours == 100
    assert [(a.box, a.hours) for a in h.policy_accounts] == [
        ("key_development", 20),
        ("maintenance", 8),
        ("opportunistic", 3),
    ]
    assert h.policy_hours == 31
    assert h.left_for_optimiser == 69
    assert h.judged_accounts == 3
    assert h.judged_min_hours == 30  # three key accounts at 10 h each
    assert h.fits and h.refusal() == ""


def test_the_optimiser_gets_the_capacity_left_after_the_policy_hours(
    six, director, kam_user, other_kam
):
    run = _run(six["period"], director)
    s = run.summary
    assert s["capacity_hours"] == 100
    assert s["policy_hours"] == 31
    assert s["optimiser_capacity_hours"] == 69
    assert (s["accounts"], s["judged_accounts"], s["policy_accounts"]) == (6, 3, 3)

    policy = {
        line.account.name: line
        for line in AllocationLine.objects.filter(run=run, planned_by=PlannedBy.POLICY)
    }
    assert {n: float(line.hours) for n, line in policy.items()} == {
        "Customer 3": 20.0,
        "Customer 4": 8.0,
        "Customer 5": 3.0,
    }
    assert all(line.contribution is None for line in policy.values())
    people = {
        (p.user_id, p.account.name): float(p.hours)
        for p in AllocationPersonLine.objects.filter(run=run)
    }
    assert people[(kam_user.pk, "Customer 3")] == 20.0
    assert people[(other_kam.pk, "Customer 4")] == 8.0
    assert people[(other_kam.pk, "Customer 5")] == 3.0

    # The judged accounts are exactly what the optimiser makes of the hours left:
    # kam1 50 - 20 = 30, kam2 40 - 11 = 29, the director 10 (who may serve none of them).
    period = six["period"]
    judged = list(period.judgements.order_by("account_id"))
    accounts = [j.account_id for j in judged]
    eligible = np.array(
        [[a.owner_id == u.pk for a in six["accounts"][:3]] for u in (kam_user, other_kam, director)]
    )
    alone = allocate(
        TeamProblem(
            curves=Curves.of([judgement_curve(j) for j in judged]),
            people=[
                Person(kam_user.pk, 30.0, "sales", 60.0),
                Person(other_kam.pk, 29.0, "sales", 60.0),
                Person(director.pk, 10.0, "sales", 60.0),
            ],
            eligible=eligible,
            min_hours=np.array([10.0, 10.0, 10.0]),
            max_hours=np.array([40.0, 40.0, 40.0]),
            accounts=tuple(accounts),
        )
    )
    assert s["objective"] == pytest.approx(alone.objective, rel=1e-9)
    optimised = {
        line.account_id: float(line.hours)
        for line in AllocationLine.objects.filter(run=run, planned_by=PlannedBy.OPTIMISER)
    }
    assert [optimised[a] for a in accounts] == pytest.approx(list(alone.hours))
    kam1 = sum(h for (u, n), h in people.items() if u == kam_user.pk)
    kam2 = sum(h for (u, n), h in people.items() if u == other_kam.pk)
    assert kam1 <= 50 and kam2 <= 40


def test_totals_by_box_and_by_person_add_up_to_the_plan(six, director):
    run = _run(six["period"], director)
    boxes = {b["box"]: b for b in run_hours_by_box(run=run)}
    assert set(boxes) == {"key", "key_development", "maintenance", "opportunistic"}
    assert boxes["opportunistic"]["policy_hours"] == 3.0
    assert boxes["opportunistic"]["optimised_hours"] == 0.0
    assert boxes["opportunistic"]["service_channel"] == "inside_sales"
    assert boxes["key"]["policy_hours"] == 0.0
    total = run.summary["planned_hours"]
    assert sum(b["hours"] for b in boxes.values()) == pytest.approx(total)
    people = run_hours_by_person(run=run, user=director)
    assert sum(p["hours"] for p in people) == pytest.approx(total)
    assert sum(p["policy_hours"] for p in people) == pytest.approx(31.0)
    assert total <= 100
    functions = run.summary["functions"]
    assert sum(f["hours"] for f in functions) == pytest.approx(total, abs=0.2)


def test_the_what_if_keeps_the_policy_hours_and_covers_every_account(six, director):
    run = _run(six["period"], director)
    points = {round(p["capacity"]): p for p in run.summary["what_if"]}
    # 60 % of 100 h = 60 h: 31 h by policy, the optimiser 29 h; more capacity never hurts.
    assert 60 in points and 100 in points and 160 in points
    objectives = [points[c]["objective"] for c in sorted(points)]
    assert objectives == sorted(objectives)
    assert points[100]["objective"] == pytest.approx(run.summary["objective"])


def test_policy_hours_beyond_the_capacity_are_refused_with_the_reason(six, director):
    period = six["period"]
    policies_update(user=director, period=period, changes=[PolicyChange("opportunistic", 150, 150)])
    h = plan_hours(period=period)
    assert h.policy_hours == 20 + 8 + 150
    assert not h.fits
    with pytest.raises(ApplicationError) as err:
        run_start(user=director, period=period)
    assert err.value.status == 422
    assert "178" in err.value.message and "100" in err.value.message
    assert "accounts without judgements" in err.value.message


def test_an_owner_without_hours_hands_the_policy_hours_to_the_team(
    six, director, kam_user, other_kam
):
    period = six["period"]
    customer3 = six["accounts"][3]
    AccountTeamMember.objects.create(account=customer3, user=other_kam)
    capacities_update(
        user=director,
        period=period,
        changes=[CapacityChange(kam_user.pk, 5, "sales", Decimal("60"))],
    )
    run = _run(period, director)
    hours = {
        p.user_id: float(p.hours)
        for p in AllocationPersonLine.objects.filter(run=run, account=customer3)
    }
    assert hours == {kam_user.pk: 5.0, other_kam.pk: 15.0}


def test_an_account_nobody_may_serve_gets_its_shortfall_reason(six, director):
    period = six["period"]
    customer4 = six["accounts"][4]
    customer4.owner = None
    customer4.save()
    run = _run(period, director)
    line = AllocationLine.objects.get(run=run, account=customer4)
    assert line.hours == 0
    assert line.below_minimum == ShortfallReason.NO_ELIGIBLE_PERSON.value


# --- the property: whatever the team and the accounts -------------------------------------


@st.composite
def plans(draw):  # type: ignore[no-untyped-def]
    n_people = draw(st.integers(1, 4))
    capacity = draw(st.lists(st.integers(0, 200), min_size=n_people, max_size=n_people))
    n_policy = draw(st.integers(0, 6))
    policy = [
        PolicyAccount(
            key=f"p{i}",
            hours=float(draw(st.integers(0, 60))),
            owner=draw(st.sampled_from([None, *range(n_people)])),
            team=tuple(draw(st.lists(st.integers(0, n_people - 1), max_size=2))),
        )
        for i in range(n_policy)
    ]
    n_judged = draw(st.integers(1, 4))
    judged = []
    for _ in range(n_judged):
        ref = draw(st.integers(5, 80))
        zero = draw(st.integers(0, 1000))
        steps = draw(st.lists(st.integers(1, 1000), min_size=3, max_size=3))
        lo = draw(st.integers(0, 20))
        hi = lo + draw(st.integers(0, 80))
        judged.append((ref, zero, steps, lo, hi))
    cap = draw(st.one_of(st.none(), st.integers(0, 400)))
    return capacity, policy, judged, cap


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_every_account_gets_hours_within_its_bounds_and_the_total_within_capacity(plan):
    capacity, policy, judged, cap = plan
    people = list(range(len(capacity)))
    functions = {p: ("sales" if p % 2 == 0 else "service") for p in people}
    caps = {"sales": float(cap)} if cap is not None else {}
    given_ = assign_policy_hours(
        policy,
        capacity={p: float(c) for p, c in zip(people, capacity, strict=True)},
        functions=functions,
        function_caps=caps,
    )
    # Policy accounts: never more than their hours, never from anyone beyond their hours
    # or their function's cap, and a reason whenever one gets less.
    for a in policy:
        assert 0 <= given_.hours[a.key] <= a.hours + 1e-9
        if given_.hours[a.key] < a.hours - 1e-9:
            assert a.key in given_.shortfalls
        for p, k in given_.person_hours:
            if k == a.key:
                assert p == a.owner or p in a.team
    for p in people:
        used = sum(h for (q, _k), h in given_.person_hours.items() if q == p)
        assert used <= capacity[p] + 1e-9
        assert given_.person_left[p] == pytest.approx(capacity[p] - used)
    if cap is not None:
        sales = sum(h for (q, _k), h in given_.person_hours.items() if functions[q] == "sales")
        assert sales <= cap + 1e-9

    # The judged accounts: everyone may serve them, the optimiser gets what is left.
    curves = [
        calibrate(
            reference_hours=float(ref),
            at_zero=float(zero),
            at_reference=float(zero + steps[0]),
            at_150pct=float(zero + steps[0] + steps[1]),
            at_saturation=float(zero + sum(steps)),
        )
        for ref, zero, steps, _lo, _hi in judged
    ]
    lo = np.array([j[3] for j in judged], dtype=float)
    hi = np.array([j[4] for j in judged], dtype=float)
    left = {f: max(h, 0.0) for f, h in given_.function_left.items()}
    result = allocate(
        TeamProblem(
            curves=Curves.of(curves),
            people=[Person(p, max(given_.person_left[p], 0.0), functions[p], 1.0) for p in people],
            eligible=np.ones((len(people), len(judged)), dtype=bool),
            function_capacity=left or None,
            min_hours=lo,
            max_hours=hi,
        )
    )
    total = given_.total + float(np.sum(result.hours))
    assert total <= sum(capacity) + 1e-6
    assert np.all(result.hours <= hi + 1e-9)
    assert np.all(result.hours >= -1e-9)
    room = sum(min(max(given_.person_left[p], 0.0), left.get(functions[p], np.inf)) for p in people)
    if cap is None and float(lo.sum()) <= room:
        # Feasible: every judged account gets at least its minimum.
        assert np.all(result.hours >= lo - 1e-9)


# --- the API --------------------------------------------------------------------------------


def _api(client, method: str, url: str, body: object = None):  # type: ignore[no-untyped-def]
    import json

    if method == "get":
        return client.get("/api/allocation" + url)
    return getattr(client, method)(
        "/api/allocation" + url, json.dumps(body), content_type="application/json"
    )


def test_the_api_gives_the_capacity_check_policies_with_channels_and_hours_by_box(six, director):
    from tests.conftest import client_for

    client = client_for(director)
    period = six["period"]
    check = _api(client, "get", f"/periods/{period.pk}/capacity-check").json()
    assert (check["capacity_hours"], check["policy_hours"], check["left_for_optimiser"]) == (
        100,
        31,
        69,
    )
    assert check["fits"] is True and check["message"] == ""
    opp = next(b for b in check["by_box"] if b["box"] == "opportunistic")
    assert opp == {
        "box": "opportunistic",
        "accounts_without_judgements": 1,
        "hours_each": 3,
        "hours": 3,
        "service_channel": "inside_sales",
        "visits_per_year": 1,
    }

    policies = _api(client, "get", f"/periods/{period.pk}/policies").json()
    assert {p["box"]: p["policy_hours"] for p in policies}["maintenance"] == 8
    body = [
        dict(p, service_channel="web", visits_per_year=0) if p["box"] == "opportunistic" else p
        for p in policies
    ]
    answer = _api(client, "put", f"/periods/{period.pk}/policies", body)
    assert answer.status_code == 200, answer.content
    assert {p["box"]: p["service_channel"] for p in answer.json()}["opportunistic"] == "web"
    # Left out: kept as it is.
    kept = [
        {k: v for k, v in p.items() if k not in {"service_channel", "visits_per_year"}}
        for p in answer.json()
    ]
    answer = _api(client, "put", f"/periods/{period.pk}/policies", kept)
    assert {p["box"]: p["service_channel"] for p in answer.json()}["opportunistic"] == "web"
    bad = [dict(p, service_channel="pigeon") if p["box"] == "key" else p for p in answer.json()]
    refused = _api(client, "put", f"/periods/{period.pk}/policies", bad)
    assert refused.status_code == 422
    assert refused.json()["field"] == "key.service_channel"

    run = _run(period, director)
    boxes = _api(client, "get", f"/runs/{run.pk}/hours-by-box").json()
    by_box = {b["box"]: b for b in boxes}
    assert by_box["opportunistic"]["policy_hours"] == 3.0
    assert by_box["opportunistic"]["service_channel"] == "web"
    assert sum(b["hours"] for b in boxes) == pytest.approx(run.summary["planned_hours"])
    people = _api(client, "get", f"/runs/{run.pk}/hours-by-person").json()
    assert sum(p["policy_hours"] for p in people) == pytest.approx(31.0)
    lines = _api(client, "get", f"/runs/{run.pk}/lines").json()["items"]
    policy = [line for line in lines if line["planned_by"] == "policy"]
    assert len(policy) == 3 and all(line["contribution"] is None for line in policy)


def test_the_organisation_policies_carry_a_service_channel(director):
    from tests.conftest import client_for

    client = client_for(director)
    got = client.get("/api/organisation/box-policies").json()
    channels = {p["box"]: (p["service_channel"], p["visits_per_year"]) for p in got}
    assert channels["key"] == ("key_account_team", 12)
    assert channels["opportunistic"] == ("inside_sales", 1)
    body = [
        dict(p, service_channel="field", visits_per_year=2) if p["box"] == "maintenance" else p
        for p in got
    ]
    import json

    answer = client.put(
        "/api/organisation/box-policies", json.dumps(body), content_type="application/json"
    )
    assert answer.status_code == 200, answer.content
    saved = {p["box"]: p for p in answer.json()}
    assert (saved["maintenance"]["service_channel"], saved["maintenance"]["visits_per_year"]) == (
        "field",
        2,
    )
    # A new period copies them.
    period = period_create(
        created_by=director, name="P", start=dt.date(2028, 1, 1), end=dt.date(2028, 12, 31)
    )
    assert period.policies.get(box="maintenance").visits_per_year == 2
    assert period.policies.get(box="key").service_channel == "key_account_team"


def test_a_plan_at_least_as_good_as_today_s_allocation_needs_no_explanation(six, director, client):  # type: ignore[no-untyped-def]
    run = _run(six["period"], director)
    s = run.summary
    assert s["uplift"] >= -s["gap"]
    assert s["baseline_hours"] <= s["optimiser_capacity_hours"] + 1e-9
    client.force_login(director)
    page = client.get(f"/allocation/runs/{run.pk}/").content.decode()
    assert 'data-testid="negative-gain"' not in page


def test_a_plan_below_today_s_allocation_says_why_on_the_run_page(six, director, client):  # type: ignore[no-untyped-def]
    """The 250-account demo's figures: today's hours of the 77 judged accounts (12,360 h)
    are nearly twice the 6,430 h left for them, and their policy minimums (7,448 h) exceed
    those hours too, so the plan (which keeps a share of every minimum) brings EUR 282,824
    less than today's hours scaled down. The run page says so in both steps."""
    run = _run(six["period"], director)
    run.summary.update(
        uplift=-282_824.1,
        reference_hours=12_360.0,
        optimiser_capacity_hours=6_430.0,
        minimum_hours=7_448.0,
        baseline_hours=5_730.0,
    )
    run.save(update_fields=["summary"])
    client.force_login(director)
    page = client.get(f"/allocation/runs/{run.pk}/").content.decode()
    assert 'data-testid="negative-gain"' in page
    assert "add up to 12,360 h, but 6,430 h are left" in page
    assert "scaled down to 5,730 h" in page
    assert "add up to 7,448 h, more than the 6,430 h" in page
    run.summary.update(minimum_hours=1_000.0, reference_hours=5_000.0)
    run.save(update_fields=["summary"])
    page = client.get(f"/allocation/runs/{run.pk}/").content.decode()
    assert "leaves some accounts below their box policy" in page
    assert "are left for them" not in page
