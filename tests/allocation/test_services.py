"""Services of the year plan: periods copy their inputs, judgements calibrate, runs respect
capacity and bounds and store their certified gap, and only the right people act."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam.allocation.judgement_services import judgement_save
from kam.allocation.models import (
    AllocationLine,
    AllocationPersonLine,
    PeriodStatus,
    ResponseJudgement,
    RunStatus,
)
from kam.allocation.run_services import run_start
from kam.allocation.services import (
    CapacityChange,
    FunctionCapacityChange,
    PolicyChange,
    capacities_update,
    function_capacities_update,
    period_create,
    period_update,
    policies_update,
)
from kam.errors import ApplicationError
from kam.organisation.models import BoxPolicy
from tests.allocation.conftest import JUDGEMENTS, judgement

pytestmark = pytest.mark.django_db


def test_a_period_copies_capacities_and_policies_and_keeps_them(period, kam_user, director):
    caps = {c.user_id: c for c in period.capacities.all()}
    assert caps[kam_user.pk].hours_per_year == 600
    assert caps[kam_user.pk].hourly_cost == Decimal("60.00")
    assert caps[director.pk].hours_per_year == 200
    key = period.policies.get(box="key")
    assert (key.min_hours_per_year, key.max_hours_per_year) == (200, 600)
    # Later edits of the organisation and the profile do not rewrite the plan.
    BoxPolicy.objects.filter(box="key").update(min_hours_per_year=10)
    kam_user.profile.hours_per_year = 5
    kam_user.profile.save()
    assert period.policies.get(box="key").min_hours_per_year == 200
    assert period.capacities.get(user=kam_user).hours_per_year == 600


def test_only_planners_create_periods(kam_user, viewer):
    for user in (kam_user, viewer):
        with pytest.raises(ApplicationError) as err:
            period_create(
                created_by=user, name="P", start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31)
            )
        assert err.value.status == 403


def test_a_period_must_end_after_it_starts(director):
    with pytest.raises(ApplicationError) as err:
        period_create(
            created_by=director, name="P", start=dt.date(2027, 1, 1), end=dt.date(2026, 12, 31)
        )
    assert err.value.field == "end"


def test_capacity_and_policy_edits_name_their_field(period, director, kam_user):
    capacities_update(
        user=director,
        period=period,
        changes=[CapacityChange(kam_user.pk, 700, "sales", Decimal("65"))],
    )
    assert period.capacities.get(user=kam_user).hours_per_year == 700
    with pytest.raises(ApplicationError) as err:
        capacities_update(
            user=director,
            period=period,
            changes=[CapacityChange(kam_user.pk, 9000, "sales", Decimal("65"))],
        )
    assert err.value.field == f"{kam_user.pk}.hours_per_year"
    with pytest.raises(ApplicationError) as err:
        policies_update(user=director, period=period, changes=[PolicyChange("key", 300, 100)])
    assert err.value.field == "key.max_hours_per_year"
    with pytest.raises(ApplicationError) as err:
        policies_update(user=kam_user, period=period, changes=[PolicyChange("key", 1, 2)])
    assert err.value.status == 403


@pytest.mark.parametrize(
    ("numbers", "field"),
    [
        # +50 % not between today and saturation
        ((300, 200_000, 400_000, 550_000, 500_000), "contribution_at_150pct"),
        ((300, 200_000, 400_000, 400_000, 500_000), "contribution_at_150pct"),
        # no effort worth more than today's effort
        ((300, 450_000, 400_000, 450_000, 500_000), "contribution_at_zero"),
        # no hours today: no reference to scale by
        ((0, 200_000, 400_000, 450_000, 500_000), "reference_hours"),
    ],
)
def test_an_inconsistent_judgement_is_refused_naming_the_number(
    judged, director, accounts, numbers, field
):
    before = ResponseJudgement.objects.get(period=judged, account=accounts[0])
    with pytest.raises(ApplicationError) as err:
        judgement_save(user=director, period=judged, account=accounts[0], data=judgement(*numbers))
    assert err.value.field in {field, "contribution_at_reference", "contribution_at_saturation"}
    if field == "reference_hours":
        assert err.value.field == "reference_hours"
    assert err.value.status == 422
    assert err.value.message
    after = ResponseJudgement.objects.get(period=judged, account=accounts[0])
    assert after.contribution_at_150pct == before.contribution_at_150pct


def test_a_judgement_with_min_above_max_names_max(period, director, accounts):
    with pytest.raises(ApplicationError) as err:
        judgement_save(
            user=director,
            period=period,
            account=accounts[0],
            data=judgement(*JUDGEMENTS[0], min_hours=300, max_hours=200),
        )
    assert err.value.field == "max_hours"


def test_key_account_managers_judge_only_their_accounts(period, kam_user, member, accounts):
    saved = judgement_save(
        user=kam_user, period=period, account=accounts[0], data=judgement(*JUDGEMENTS[0])
    )
    assert saved.entered_by == kam_user
    with pytest.raises(ApplicationError) as err:  # Customer 2 belongs to kam2 only
        judgement_save(
            user=kam_user, period=period, account=accounts[2], data=judgement(*JUDGEMENTS[2])
        )
    assert err.value.status == 404
    with pytest.raises(ApplicationError) as err:
        judgement_save(
            user=member, period=period, account=accounts[0], data=judgement(*JUDGEMENTS[0])
        )
    assert err.value.status == 403


def test_a_closed_period_does_not_change(judged, director, accounts):
    period_update(user=director, period=judged, status=PeriodStatus.CLOSED)
    with pytest.raises(ApplicationError) as err:
        judgement_save(
            user=director, period=judged, account=accounts[0], data=judgement(*JUDGEMENTS[0])
        )
    assert err.value.status == 409
    with pytest.raises(ApplicationError) as err:
        run_start(user=director, period=judged)
    assert err.value.status == 409


def test_activating_a_period_closes_the_active_one(judged, director):
    period_update(user=director, period=judged, status=PeriodStatus.ACTIVE)
    other = period_create(
        created_by=director, name="Plan 2028", start=dt.date(2028, 1, 1), end=dt.date(2028, 12, 31)
    )
    period_update(user=director, period=other, status=PeriodStatus.ACTIVE)
    judged.refresh_from_db()
    assert judged.status == PeriodStatus.CLOSED


def test_a_run_keeps_hours_within_capacity_and_bounds_and_stores_its_gap(judged, director):
    run = run_start(user=director, period=judged)
    assert run.status == RunStatus.DONE, run.error
    assert run.progress == 100
    lines = list(AllocationLine.objects.filter(run=run).select_related("account"))
    assert len(lines) == 5
    for line in lines:
        if not line.below_minimum:
            assert line.hours >= line.min_hours
        if line.max_hours is not None:
            assert line.hours <= line.max_hours
        assert line.hours == line.hours.to_integral_value()  # whole hours
    # Per person: within their capacity, and only on accounts they may serve.
    caps = {c.user_id: c.hours_per_year for c in judged.capacities.all()}
    per_person: dict[int, Decimal] = {}
    for pl in AllocationPersonLine.objects.filter(run=run).select_related("account"):
        per_person[pl.user_id] = per_person.get(pl.user_id, Decimal(0)) + pl.hours
        served = {pl.account.owner_id} | set(pl.account.team.values_list("user_id", flat=True))
        assert pl.user_id in served
    for user_id, hours in per_person.items():
        assert hours <= caps[user_id]
    assert sum(line.hours for line in lines) <= sum(caps.values())
    s = run.summary
    assert s["upper_bound"] >= s["objective"] - 1e-6
    assert s["gap"] == pytest.approx(s["upper_bound"] - s["objective"], abs=1e-6)
    assert s["gap"] >= 0
    assert s["relative_gap"] <= 1e-6
    assert s["objective"] >= s["baseline_objective"] - 1e-6
    assert len(s["what_if"]) == 11
    objectives = [p["objective"] for p in s["what_if"]]
    assert objectives == sorted(objectives)  # more capacity never lowers the best plan
    today = s["what_if"][4]  # at 100 %: the plan itself, not solved twice
    assert (today["capacity"], today["objective"]) == (s["capacity_hours"], s["objective"])
    assert s["shadow_price"] >= 0


def test_policy_minimums_bind_unless_the_account_overrides_them(judged, director, accounts):
    judgement_save(
        user=director,
        period=judged,
        account=accounts[4],
        data=judgement(*JUDGEMENTS[4], min_hours=50, max_hours=55),
    )
    run = run_start(user=director, period=judged)
    line = AllocationLine.objects.get(run=run, account=accounts[4])
    assert (line.min_hours, line.max_hours) == (Decimal(50), Decimal(55))
    assert Decimal(50) <= line.hours <= Decimal(55)
    key = AllocationLine.objects.get(run=run, account=accounts[1])
    assert key.box == "key"
    assert (key.min_hours, key.max_hours) == (Decimal(200), Decimal(600))


def test_an_account_nobody_may_serve_ends_below_its_minimum_with_the_reason(
    judged, director, accounts, kam_user
):
    accounts[3].owner = director  # the director has hours; make an account only they serve
    accounts[3].save()
    capacities_update(
        user=director,
        period=judged,
        changes=[CapacityChange(director.pk, 0, "management", Decimal("90"))],
    )
    run = run_start(user=director, period=judged)
    line = AllocationLine.objects.get(run=run, account=accounts[3])
    assert line.hours == 0
    assert line.below_minimum == "no_eligible_person"
    assert run.summary["below_minimum"] >= 1


def test_only_planners_start_runs_and_only_with_judgements(period, judged, kam_user, director):
    with pytest.raises(ApplicationError) as err:
        run_start(user=kam_user, period=judged)
    assert err.value.status == 403
    empty = period_create(
        created_by=director, name="Empty", start=dt.date(2028, 1, 1), end=dt.date(2028, 12, 31)
    )
    with pytest.raises(ApplicationError) as err:
        run_start(user=director, period=empty)
    assert err.value.status == 422


def test_a_run_without_capacity_fails_with_the_reason(judged, director, kam_user, other_kam):
    capacities_update(
        user=director,
        period=judged,
        changes=[
            CapacityChange(u.pk, 0, "sales", Decimal("60")) for u in (kam_user, other_kam, director)
        ],
    )
    run = run_start(user=director, period=judged)
    assert run.status == RunStatus.FAILED
    assert "capacit" in run.error


def test_a_run_waits_in_the_queue_until_a_worker_runs_it(settings, judged, director):
    from kam.jobs.models import Job
    from tests.jobs.conftest import run_queued_jobs

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    run = run_start(user=director, period=judged)
    assert run.status == RunStatus.QUEUED  # the page answers at once
    job = Job.objects.get(kind="allocation_run", object_id=run.pk)
    assert job.status == "queued" and job.created_by == director
    with pytest.raises(ApplicationError) as busy:
        run_start(user=director, period=judged)
    assert busy.value.status == 409
    run_queued_jobs()
    run.refresh_from_db()
    job.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert run.progress == 100 and run.finished_at is not None
    assert job.status == "done" and job.progress == 100
    assert AllocationLine.objects.filter(run=run).count() == 5


def test_a_running_optimisation_cancelled_stores_no_plan(settings, judged, director):
    from kam.jobs.models import Job
    from kam.jobs.services import job_cancel
    from tests.jobs.conftest import run_queued_jobs

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    run = run_start(user=director, period=judged)
    job = Job.objects.get(kind="allocation_run", object_id=run.pk)
    Job.objects.filter(pk=job.pk).update(status="running")  # as a worker runs it
    job_cancel(user=director, job=job)
    Job.objects.filter(pk=job.pk).update(status="queued")  # so the test's worker picks it up
    run_queued_jobs()
    job.refresh_from_db()
    run.refresh_from_db()
    assert job.status == "cancelled", job.error
    assert run.status == RunStatus.FAILED and "Cancelled" in run.error
    assert not AllocationLine.objects.filter(run=run).exists()


# --- capacity per function (docs/method.md section 2) ----------------------------------------


def _function_hours(run, function: str) -> Decimal:  # type: ignore[no-untyped-def]
    functions = dict(run.period.capacities.values_list("user_id", "function"))
    return sum(
        (pl.hours for pl in run.person_lines.all() if functions[pl.user_id] == function),
        Decimal(0),
    )


def test_a_run_respects_a_cap_per_function_and_reports_its_shadow_price(
    judged, director, kam_user, other_kam
):
    capacities_update(
        user=director,
        period=judged,
        changes=[
            CapacityChange(kam_user.pk, 600, "sales", Decimal("60")),
            CapacityChange(other_kam.pk, 600, "sales", Decimal("60")),
            CapacityChange(director.pk, 200, "management", Decimal("90")),
        ],
    )
    free = run_start(user=director, period=judged)
    assert free.status == RunStatus.DONE, free.error
    sales_free = _function_hours(free, "sales")
    assert sales_free > 700  # without a cap the managers give more than the cap below
    by_function = {f["function"]: f for f in free.summary["functions"]}
    assert by_function["sales"]["cap"] is None and by_function["sales"]["shadow_price"] is None
    assert by_function["sales"]["people_hours"] == 1200

    function_capacities_update(
        user=director, period=judged, changes=[FunctionCapacityChange("sales", 700)]
    )
    capped = run_start(user=director, period=judged)
    assert capped.status == RunStatus.DONE, capped.error
    assert _function_hours(capped, "sales") <= 700
    s = capped.summary
    sales = {f["function"]: f for f in s["functions"]}["sales"]
    assert sales["cap"] == 700
    assert sales["hours"] == pytest.approx(float(_function_hours(capped, "sales")), abs=0.5)
    # The cap binds: one more hour of it is worth something, and the plan is worth less.
    assert s["function_shadow_prices"]["sales"] > 0
    assert sales["shadow_price"] == s["function_shadow_prices"]["sales"]
    assert sales["hour_value"] > 0
    assert s["objective"] < free.summary["objective"]
    assert s["upper_bound"] >= s["objective"] - 1e-6
    management = {f["function"]: f for f in s["functions"]}["management"]
    assert management["cap"] is None and management["shadow_price"] is None
    assert management["hour_value"] is None


def test_the_value_of_one_more_cap_hour_is_what_the_plan_gains_with_it(judged, director):
    # What the run reports for one more hour of a binding cap is what the plan really
    # gains when the cap is one hour higher: run again at 701 h and compare (both plans
    # exact). The Lagrangian price of the cap is kept under its own name and is not that.
    function_capacities_update(
        user=director, period=judged, changes=[FunctionCapacityChange("sales", 700)]
    )
    at_700 = run_start(user=director, period=judged).summary
    function_capacities_update(
        user=director, period=judged, changes=[FunctionCapacityChange("sales", 701)]
    )
    at_701 = run_start(user=director, period=judged).summary
    assert at_700["exact"] and at_701["exact"]
    gained = at_701["objective"] - at_700["objective"]
    assert gained > 0
    assert at_700["function_hour_values"]["sales"] == pytest.approx(gained, abs=1e-6)
    sales = {f["function"]: f for f in at_700["functions"]}["sales"]
    assert sales["hour_value"] == at_700["function_hour_values"]["sales"]
    assert sales["shadow_price"] == at_700["function_shadow_prices"]["sales"]


def test_function_caps_are_set_removed_and_checked(period, director, kam_user):
    saved = function_capacities_update(
        user=director,
        period=period,
        changes=[
            FunctionCapacityChange("supply_chain", 1200),
            FunctionCapacityChange("sales", 900),
        ],
    )
    assert {(f.function, f.hours_per_year) for f in saved} == {
        ("supply_chain", 1200),
        ("sales", 900),
    }
    function_capacities_update(
        user=director, period=period, changes=[FunctionCapacityChange("sales", None)]
    )
    assert dict(period.function_capacities.values_list("function", "hours_per_year")) == {
        "supply_chain": 1200
    }
    with pytest.raises(ApplicationError) as err:
        function_capacities_update(
            user=director, period=period, changes=[FunctionCapacityChange("sales", -1)]
        )
    assert err.value.field == "sales.hours_per_year"
    with pytest.raises(ApplicationError) as err:
        function_capacities_update(
            user=director, period=period, changes=[FunctionCapacityChange("astrology", 5)]
        )
    assert err.value.field == "function"
    with pytest.raises(ApplicationError) as err:  # all or none: the first change is undone
        function_capacities_update(
            user=director,
            period=period,
            changes=[
                FunctionCapacityChange("finance", 100),
                FunctionCapacityChange("sales", 2_000_000),
            ],
        )
    assert err.value.field == "sales.hours_per_year"
    assert not period.function_capacities.filter(function="finance").exists()
    with pytest.raises(ApplicationError) as err:
        function_capacities_update(
            user=kam_user, period=period, changes=[FunctionCapacityChange("sales", 5)]
        )
    assert err.value.status == 403
