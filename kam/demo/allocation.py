"""The demo's year plan (docs/method.md section 2): a planning period for next year with the
team's capacities and the box policies copied in, the four judgements for every key and
key development account and a sample of maintenance accounts, a cap on the sales
function's hours (part of the key account managers' year goes to a tender team, so sales
gives accounts at most ``SALES_CAP_SHARE`` of its people's hours), and one finished run.
The run covers every active account: the opportunistic accounts and the maintenance
accounts without judgements get their box policy's hours (docs/allocation.md, "Time for
every customer"), the judged ones what the optimiser makes of the hours left.

The judgements follow each account's revenue: today's contribution is its gross margin
(a margin of 18-30 % of last year's revenue in EUR); with no effort a key account would
keep about half to three quarters of it, 50 % more hours would add 3-12 % and saturation
15-40 %; key development accounts, still to be won, respond more strongly (+15-30 % and
+50-100 %). Today's hours sit inside the box policy's range, larger accounts nearer its top.
Only ``numpy.random.default_rng(seed)`` draws numbers, so the same seed gives the same plan.

The ``FIVE_JUDGED`` largest key accounts also carry the fifth judgement, at half of today's
hours (docs/allocation.md): read off their four-point curve and rounded to thousands, so
that they agree, except the last one's, which its manager put far too close to today's
contribution; the judgements page names it beside its cell. No random number is drawn for
them, so the rest of the demo is as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TextIO

import numpy as np
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from kam.accounts.models import AccountRevenue
from kam.allocation.judgement_services import (
    CORE_FIELDS,
    HALF_FIELD,
    CheckedJudgement,
    JudgementInput,
    judgement_check,
)
from kam.allocation.models import AllocationRun, PlanningPeriod, ResponseJudgement, RunStatus
from kam.allocation.run_services import run_execute
from kam.allocation.services import (
    FunctionCapacityChange,
    function_capacities_update,
    period_create,
)
from kam.organisation.models import Box
from kam.organisation.selectors import exchange_rates_get, organisation_get
from kam.portfolio.models import Placement
from kam.portfolio.selectors import portfolio_review
from kam.users.models import Function, Role

#: The sales function's cap as a share of its people's hours (the rest goes to tenders).
SALES_CAP_SHARE = 0.95
#: Share of maintenance accounts whose manager has judged them in the demo.
MAINTENANCE_SAMPLE = 0.4
#: (effort at zero as a share of today's contribution, low-high) per box
KEEP_AT_ZERO = {
    Box.KEY: (0.5, 0.75),
    Box.KEY_DEVELOPMENT: (0.35, 0.6),
    Box.MAINTENANCE: (0.7, 0.9),
}
#: Key accounts (the largest) judged five times, the last of them inconsistently.
FIVE_JUDGED = 4


def _fifth_judgements(rows: list[tuple[Placement, float]]) -> dict[int, str]:
    """The accounts given a fifth judgement: a share of the way from no effort to today's
    contribution, keyed by account id (see the module docstring)."""
    keys = sorted((r for r in rows if r[0].box == Box.KEY), key=lambda r: (-r[1], r[0].account_id))[
        :FIVE_JUDGED
    ]
    return {p.account_id: ("off" if i == len(keys) - 1 else "on") for i, (p, _r) in enumerate(keys)}


def _half(checked: CheckedJudgement, *, off: bool) -> int:
    """The contribution at half of today's hours: on the four-point curve (rounded to
    thousands), or, ``off``, 95 % of the way from no effort to today's contribution, as if
    halving the hours cost next to nothing (the fit names it)."""
    zero = float(checked.contribution_at_zero)
    today_value = float(checked.contribution_at_reference)
    if off:
        return round(zero + 0.95 * (today_value - zero))
    on = float(checked.curve.contribution(float(checked.reference_hours) / 2))
    return min(max(int(round(on, -3)), round(zero) + 1), round(today_value) - 1)


def _say(stdout: TextIO, line: str) -> None:
    stdout.write(line + "\n")
    stdout.flush()


def demo_allocation(
    *, seed: int, stdout: TextIO, today: dt.date | None = None
) -> PlanningPeriod | None:
    """Create next year's planning period with judgements and one finished run (see the
    module docstring). Returns the period, or None when there is no review to plan from."""
    today = today or dt.date.today()
    rng = np.random.default_rng(seed + 3)
    review = portfolio_review()
    User = get_user_model()
    director = (
        User.objects.filter(profile__role=Role.SALES_DIRECTOR, is_active=True)
        .order_by("pk")
        .first()
    )
    if review is None or director is None:
        _say(stdout, _("No portfolio review or sales director: no year plan in the demo."))
        return None
    year = today.year + 1
    name = _("Plan %(year)d") % {"year": year}
    PlanningPeriod.objects.filter(name=name).delete()
    period = period_create(
        created_by=director, name=name, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31)
    )
    sales_hours = sum(
        c.hours_per_year for c in period.capacities.all() if c.function == Function.SALES
    )
    if sales_hours:
        cap = int(round(sales_hours * SALES_CAP_SHARE, -2))  # whole hundreds: 6,200 of 6,500
        function_capacities_update(
            user=director, period=period, changes=[FunctionCapacityChange(Function.SALES, cap)]
        )
    policies = {p.box: p for p in period.policies.all()}
    rates = exchange_rates_get(organisation=organisation_get())
    placements = list(
        Placement.objects.filter(review=review, account__active=True)
        .exclude(box="")
        .exclude(box=Box.OPPORTUNISTIC)
        .select_related("account")
        .order_by("account_id")
    )
    revenue = {
        r.account_id: r.amount
        for r in AccountRevenue.objects.filter(
            account_id__in=[p.account_id for p in placements], year=today.year - 1
        )
    }
    rows = []
    for p in placements:
        if p.box == Box.MAINTENANCE and rng.random() > MAINTENANCE_SAMPLE:
            continue
        amount = revenue.get(p.account_id)
        rate = rates.get(p.account.currency)
        if amount is None or rate is None or amount <= 0:
            continue
        rows.append((p, float(amount * rate)))
    if not rows:
        _say(stdout, _("No account with revenue to plan: no year plan in the demo."))
        return period
    biggest = max(r for _p, r in rows)
    fifth = _fifth_judgements(rows)
    judgements = []
    for p, revenue_eur in rows:
        policy = policies[p.box]
        size = (revenue_eur / biggest) ** 0.5  # 0-1, larger accounts nearer the policy's top
        lo, hi = policy.min_hours_per_year, policy.max_hours_per_year
        reference = round(lo + (hi - lo) * (0.15 + 0.6 * size) * rng.uniform(0.8, 1.2))
        reference = max(reference, 8)
        today_value = revenue_eur * rng.uniform(0.18, 0.30)
        keep_lo, keep_hi = KEEP_AT_ZERO[Box(p.box)]
        zero = today_value * rng.uniform(keep_lo, keep_hi)
        if p.box == Box.KEY_DEVELOPMENT:  # still to be won: more effort pays more
            more = today_value * (1 + rng.uniform(0.15, 0.30))
            saturation = more + today_value * rng.uniform(0.35, 0.7)
        else:
            more = today_value * (1 + rng.uniform(0.03, 0.12))
            saturation = more + today_value * rng.uniform(0.12, 0.28)
        data = JudgementInput(
            reference_hours=reference,
            contribution_at_zero=round(zero),
            contribution_at_reference=round(today_value),
            contribution_at_150pct=round(more),
            contribution_at_saturation=round(saturation),
        )
        checked = judgement_check(data)  # the demo's numbers always make a curve
        if p.account_id in fifth:
            half = _half(checked, off=fifth[p.account_id] == "off")
            checked = judgement_check(replace(data, contribution_at_50pct=half))
        owner = p.account.owner
        judgements.append(
            ResponseJudgement(
                period=period,
                account=p.account,
                entered_by=owner if owner is not None else director,
                min_hours=None,
                max_hours=None,
                **{name: getattr(checked, name) for name in [*CORE_FIELDS.values(), HALF_FIELD]},
            )
        )
    ResponseJudgement.objects.bulk_create(judgements)
    run = AllocationRun.objects.create(period=period, created_by=director)
    run_execute(run_id=run.pk)
    run.refresh_from_db()
    if run.status == RunStatus.DONE and run.summary["uplift"] < 0:
        _say(
            stdout,
            _(
                "Year plan %(name)s: %(n)d accounts judged and %(p)d at their box policy's "
                "hours (%(h)s h); the optimal plan brings EUR %(loss)s a year less than "
                "today's hours scaled down, because the policy minimums of the judged "
                "accounts (%(mins)s h) exceed the %(left)s h left for them: the run page "
                "explains it (gap %(gap)s)."
            )
            % {
                "name": name,
                "n": len(judgements),
                "p": run.summary.get("policy_accounts", 0),
                "h": f"{run.summary.get('policy_hours', 0):,.0f}",
                "loss": f"{-run.summary['uplift']:,.0f}",
                "mins": f"{run.summary['minimum_hours']:,.0f}",
                "left": f"{run.summary['optimiser_capacity_hours']:,.0f}",
                "gap": f"{run.summary['relative_gap']:.1e}",
            },
        )
    elif run.status == RunStatus.DONE:
        _say(
            stdout,
            _(
                "Year plan %(name)s: %(n)d accounts judged and %(p)d at their box policy's "
                "hours (%(h)s h); the optimal plan brings EUR %(uplift)s a year more than "
                "today's allocation (gap %(gap)s)."
            )
            % {
                "name": name,
                "n": len(judgements),
                "p": run.summary.get("policy_accounts", 0),
                "h": f"{run.summary.get('policy_hours', 0):,.0f}",
                "uplift": f"{run.summary['uplift']:,.0f}",
                "gap": f"{run.summary['relative_gap']:.1e}",
            },
        )
    else:
        _say(
            stdout,
            _("Year plan %(name)s: the run failed: %(error)s") % {"name": name, "error": run.error},
        )
    return period
