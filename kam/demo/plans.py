"""Demo account plans for the demo portfolio (``kam.demo``), seeded and reproducible.

Every key account of the latest review gets two plans (docs/method.md section 5):

- last year's plan, approved in January of last year, its actions nearly all done;
- this year's plan, made from last year's approved version (items keep their ids, open
  actions carried over), approved in January, then reopened after the summer business
  review: the current draft (version 2) changes targets, adds an objective and a project
  milestone, so the comparison has something to show.

Content follows the account's channel (retail, wholesale, food service): objectives with
measures and targets, value propositions with measured value (some confirmed by a named
person at the customer), projects with investment and return, resources, and 14 actions
with owners on both sides, some overdue. Sums scale with the account's revenue.

One active share link (for the supply chain director of the first key account) is made;
its address is printed once, like any new link. A second one, in Dutch, goes to the supply
chain director of the first Dutch or Belgian key account whose plan stayed as approved in
January: through it they signed off that version and commented on their action.

Numbers come only from ``numpy.random.default_rng([seed, STREAM])``; the texts, the
customer's people and the timetables are in ``story/plans.toml``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any, TextIO

import numpy as np
from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.demo.data import story
from kam.demo.team import DIRECTOR
from kam.organisation.models import Box
from kam.plans import services
from kam.plans.models import ActionStatus, Plan, PlanVersion
from kam.portfolio.models import Placement
from kam.portfolio.selectors import portfolio_review
from kam.relationships.models import Contact

STREAM = 5

_PLANS = story("plans")

#: Three people at each customer, by country: (first, last, title).
CONTACTS: dict[str, list[tuple[str, str, str]]] = {
    country: [(first, last, title) for first, last, title in people]
    for country, people in _PLANS["contacts"].items()
}
#: What the September business review changed, per kind of account (the draft's new summary
#: line).
UPDATES: dict[str, str] = {kind: k["update"] for kind, k in _PLANS["kinds"].items()}
#: The customer's action that the share links are about.
SHARED_ACTION: str = _PLANS["shared_action"]
#: The plan's sections, as the story file words them for each kind of account.
_SECTIONS = (
    "market",
    "value_chain",
    "customer_strategy",
    "swot_strengths",
    "swot_weaknesses",
    "swot_opportunities",
    "swot_threats",
    "purchasing_strategy",
    "revised_target",
    "summary",
)


def _owner_contact(account: Account, name: str, email: str) -> Contact:
    """The account's contact with ``email`` (else ``name``), added when the relationship demo
    did not write one: a plan action's customer owner is one of the account's contacts."""
    found = (
        Contact.objects.filter(account=account, email__iexact=email, erased_at=None).first()
        or Contact.objects.filter(account=account, name=name, erased_at=None).first()
    )
    if found is not None:
        return found
    last = Contact.objects.filter(account=account).aggregate(n=Max("number"))["n"] or 0
    return Contact.objects.create(account=account, number=last + 1, name=name, email=email)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())


def _kind(channel: str) -> str:
    channel = channel.lower()
    if "food service" in channel or "catering" in channel:
        return "food_service"
    if "wholesale" in channel:
        return "wholesale"
    return "retail"


def _round(value: float, to: int = 1000) -> Decimal:
    return Decimal(round(value / to) * to)


def _content(kind: str, account: Account, year: int) -> dict[str, Any]:
    """Section texts, objectives, value propositions, projects and resources for a channel
    (story/plans.toml, ``kinds``): objectives as (kind, title, measure, baseline, target,
    shared), value propositions as (title, problem, solution, impact, who, share of revenue,
    note, reward, confirmed), projects as (title, goal, investment and return as shares of
    revenue, milestones, team)."""
    k = _PLANS["kinds"][kind]
    words = {"name": account.name, "year": year, "year_after_next": year + 2}
    content: dict[str, Any] = {key: k[key].format(**words) for key in _SECTIONS}
    content["objectives"] = [tuple(o) for o in k["objectives"]]
    content["vps"] = [
        (
            v["title"],
            v["problem"],
            v["solution"],
            v["customer_impact"],
            v["beneficiaries"],
            v["value_share"],
            v["value_note"],
            v["our_reward"],
            v["confirmed"],
        )
        for v in k["vps"]
    ]
    content["projects"] = [
        (
            p["title"],
            p["description"],
            p["investment_share"],
            p["return_share"],
            p["milestones"],
            p["team"],
        )
        for p in k["projects"]
    ]
    return content


def _owner(key: str, kam: str) -> str:
    """An action's owner key: "kam" is the account's key account manager."""
    return kam if key == "kam" else key


def _actions(kind: str, today: dt.date, kam: str) -> list[dict[str, Any]]:
    """14 lines of the timetable (this year): what, owner key, days from today, status and
    shared, as dicts.

    Owner keys: usernames on our side, ``c0``/``c1``/``c2`` for the customer's three contacts.
    """
    rows = list(_PLANS["actions"])
    if kind == "food_service":
        for index, row in _PLANS["actions_food_service"].items():
            rows[int(index)] = row
    return [
        {"what": w, "owner": _owner(o, kam), "days": n, "status": ActionStatus(s), "shared": sh}
        for w, o, n, s, sh in rows
    ]


def _last_year_actions(today: dt.date, kam: str) -> list[tuple[str, str, int, str, bool]]:
    rows = _PLANS["actions_last_year"]
    return [(w, _owner(o, kam), n, ActionStatus(s), sh) for w, o, n, s, sh in rows]


def _set_approved_at(version: PlanVersion, when: dt.datetime) -> None:
    snapshot = dict(version.snapshot)
    snapshot["approved_at"] = when.isoformat()
    PlanVersion.objects.filter(pk=version.pk).update(approved_at=when, snapshot=snapshot)


def demo_plans(*, seed: int, today: dt.date, stdout: TextIO) -> int:
    """Write last year's and this year's plans for every key account (module docstring).

    Returns the number of plans written.
    """
    rng = np.random.default_rng([seed, STREAM])
    User = get_user_model()
    people = {u.username: u for u in User.objects.select_related("profile")}
    director = people.get(DIRECTOR)
    review = portfolio_review()
    if review is None or director is None:
        return 0
    account_ids = list(
        Placement.objects.filter(review=review, box=Box.KEY)
        .order_by("account__external_id")
        .values_list("account_id", flat=True)
    )
    accounts = list(
        Account.objects.filter(pk__in=account_ids, owner__isnull=False)
        .select_related("owner")
        .order_by("-revenues__amount")
        .distinct()
    )
    accounts = sorted({a.pk: a for a in accounts}.values(), key=lambda a: a.external_id)
    from kam.organisation.selectors import exchange_rates_get, organisation_get

    rates = exchange_rates_get(organisation=organisation_get())
    this_year, last_year = today.year, today.year - 1
    tz = timezone.get_current_timezone()
    written = 0
    first_link = None
    approved_plans: list[Plan] = []
    for index, account in enumerate(accounts):
        kam = account.owner
        assert kam is not None
        contacts = CONTACTS.get(account.country, CONTACTS["NL"])
        domain = f"{_slug(account.name)[:24]}.example"
        contact = [
            (f"{first} {last}", f"{_slug(first)}.{_slug(last)}@{domain}")
            for first, last, _title in contacts
        ]
        kind = _kind(account.channel)
        revenue_rows = dict(account.revenues.values_list("year", "amount"))
        rev_prev = float(
            revenue_rows.get(last_year - 1) or revenue_rows.get(last_year) or 1_000_000
        )
        rev_last = float(revenue_rows.get(last_year) or rev_prev)
        growth = 1.06 + 0.04 * float(rng.random())
        price_per_tonne = 3400 / float(rates.get(account.currency, Decimal(1)) or 1)

        def owner_fields(
            key: str,
            contact: list[tuple[str, str]] = contact,
            kam: Any = kam,
            account: Account = account,
        ) -> dict[str, Any]:
            if key.startswith("c"):
                name, email = contact[int(key[1])]
                return {
                    "owner_side": "theirs",
                    "owner_contact": _owner_contact(account, name, email),
                }
            user = people.get(key, kam)
            return {"owner_side": "ours", "owner_user": user}

        # -- last year's plan ------------------------------------------------------------------
        old = services.plan_create(
            user=kam,
            account=account,
            period_label=str(last_year),
            period_start=dt.date(last_year, 1, 1),
            period_end=dt.date(last_year, 12, 31),
        )
        content = _content(kind, account, last_year)
        services.plan_update(
            user=kam,
            plan=old,
            data={
                "summary": content["summary"],
                "team_notes": _PLANS["team_notes"].format(kam=kam.get_full_name()),
                "market": content["market"],
                "value_chain": content["value_chain"],
                "customer_strategy": content["customer_strategy"],
                "swot_strengths": content["swot_strengths"],
                "swot_weaknesses": content["swot_weaknesses"],
                "swot_opportunities": content["swot_opportunities"],
                "swot_threats": content["swot_threats"],
                "purchasing_strategy": content["purchasing_strategy"],
                "revenue_current": _round(rev_prev),
                "revenue_target": _round(rev_prev * 1.05),
                "volume_current": _round(rev_prev / price_per_tonne, 10),
                "volume_target": _round(rev_prev * 1.05 / price_per_tonne, 10),
                "volume_unit": _PLANS["volume_unit"],
                "margin_current_pct": Decimal("22.4"),
                "margin_target_pct": Decimal("23.5"),
                "investment": _round(rev_prev * 0.008),
                "expected_return": _round(rev_prev * 0.02),
                "category_spend": _round(rev_prev / (0.22 + 0.1 * float(rng.random()))),
                "resources_notes": _PLANS["resources_notes_last_year"],
            },
        )
        for ok, title, measure, baseline, target, shared in content["objectives"][:4]:
            data = {
                "title": title,
                "measure": measure,
                "baseline": baseline,
                "target": target,
                "shared": shared,
                "due_date": dt.date(last_year, 12, 31),
            }
            if title == content["objectives"][0][1]:
                data.update(
                    baseline=f"{account.currency} {rev_prev / 1e6:.1f} m",
                    target=f"{account.currency} {rev_prev * 1.05 / 1e6:.1f} m",
                )
            services.item_create(user=kam, plan=old, kind=ok, data=data)
        for title, problem, solution, impact, who, share, note, reward, confirmed in content["vps"]:
            services.item_create(
                user=kam,
                plan=old,
                kind="value_proposition",
                data={
                    "title": title,
                    "problem": problem,
                    "solution": solution,
                    "customer_impact": impact,
                    "beneficiaries": who,
                    "measured_value": _round(rev_prev * share * 0.8),
                    "measured_value_note": note,
                    "our_reward": reward,
                    "confirmed": confirmed,
                    "confirmed_by": f"{contact[0][0]} ({contacts[0][2].lower()})"
                    if confirmed
                    else "",
                    "shared": True,
                },
            )
        title, goal, inv, ret, milestones, team = content["projects"][0]
        services.item_create(
            user=kam,
            plan=old,
            kind="project",
            data={
                "title": title,
                "description": goal,
                "investment": _round(rev_prev * inv),
                "expected_return": _round(rev_prev * ret),
                "milestones": milestones,
                "team": team,
                "shared": True,
            },
        )
        services.item_create(
            user=kam,
            plan=old,
            kind="resource",
            data={
                "title": _PLANS["resource_last_year"],
                "resource_type": "people",
                "hours": Decimal(450),
                "shared": False,
            },
        )
        for what, owner, days, status, shared in _last_year_actions(today, kam.username):
            if index > 0:
                days += int(rng.integers(-30, 31))
                if status == ActionStatus.IN_PROGRESS and rng.random() < 0.6:
                    status = ActionStatus.DONE
            services.action_create(
                user=kam,
                plan=old,
                data={
                    "what": what,
                    "due_date": today + dt.timedelta(days=days),
                    "status": status,
                    "shared": shared,
                    **owner_fields(owner),
                },
            )
        services.plan_submit(user=kam, plan=old)
        v_old = services.plan_approve(user=director, plan=old, note=_PLANS["approved_last_year"])
        _set_approved_at(v_old, dt.datetime(last_year, 1, 22, 10, 30, tzinfo=tz))

        # -- this year's plan: made from last year's, approved in January, reopened ------------
        new = services.plan_create_next_period(
            user=kam,
            source=old,
            period_label=str(this_year),
            period_start=dt.date(this_year, 1, 1),
            period_end=dt.date(this_year, 12, 31),
        )
        content = _content(kind, account, this_year)
        services.plan_update(
            user=kam,
            plan=new,
            data={
                "summary": content["summary"],
                "revenue_current": _round(rev_last),
                "revenue_target": _round(rev_last * growth),
                "volume_current": _round(rev_last / price_per_tonne, 10),
                "volume_target": _round(rev_last * growth / price_per_tonne, 10),
                "margin_current_pct": Decimal("22.1"),
                "margin_target_pct": Decimal("24.0"),
                "investment": _round(rev_last * 0.015),
                "expected_return": _round(rev_last * 0.045),
                "resources_notes": _PLANS["resources_notes_this_year"],
            },
        )
        first_objective = new.items.get(kind="objective", title=content["objectives"][0][1])
        services.item_update(
            user=kam,
            item=first_objective,
            data={
                "baseline": f"{account.currency} {rev_last / 1e6:.1f} m",
                "target": f"{account.currency} {rev_last * growth / 1e6:.1f} m",
                "due_date": dt.date(this_year, 12, 31),
            },
        )
        for item in new.items.filter(kind__in=["objective", "value_proposition"]):
            if item.due_date and item.due_date.year == last_year:
                services.item_update(
                    user=kam, item=item, data={"due_date": dt.date(this_year, 12, 31)}
                )
        for item in new.items.filter(kind="value_proposition"):
            vp = next(v for v in content["vps"] if v[0] == item.title)
            services.item_update(
                user=kam,
                item=item,
                data={
                    "measured_value": _round(rev_last * vp[5]),
                    "confirmed": vp[8],
                    "confirmed_by": f"{contact[0][0]} ({contacts[0][2].lower()})" if vp[8] else "",
                },
            )
        title, goal, inv, ret, milestones, team = content["projects"][1]
        services.item_create(
            user=kam,
            plan=new,
            kind="project",
            data={
                "title": title,
                "description": goal,
                "investment": _round(rev_last * inv),
                "expected_return": _round(rev_last * ret),
                "milestones": milestones,
                "team": team,
                "shared": True,
            },
        )
        services.item_create(
            user=kam,
            plan=new,
            kind="resource",
            data={
                "title": _PLANS["resource_this_year"],
                "resource_type": "budget",
                "investment": _round(rev_last * 0.004),
                "shared": False,
            },
        )
        objectives = {i.title: i for i in new.items.filter(kind="objective")}
        growth_objective = objectives.get(content["objectives"][0][1])
        for row in _actions(kind, today, kam.username):
            if index > 0:
                # Accounts differ: dates move by up to three weeks, and a part of what is
                # late at the first account was done in time at the others.
                row["days"] += int(rng.integers(-21, 22))
                late = row["days"] < 0 and row["status"] != ActionStatus.DONE
                if late and rng.random() < 0.4:
                    row["status"] = ActionStatus.DONE
            services.action_create(
                user=kam,
                plan=new,
                data={
                    "what": row["what"],
                    "due_date": today + dt.timedelta(days=row["days"]),
                    "status": row["status"],
                    "shared": row["shared"],
                    "objective": growth_objective if row["days"] < -200 else None,
                    **owner_fields(row["owner"]),
                },
            )
        services.plan_submit(user=kam, plan=new)
        v_new = services.plan_approve(user=director, plan=new, note=_PLANS["approved_this_year"])
        _set_approved_at(v_new, dt.datetime(this_year, 1, 27, 14, 0, tzinfo=tz))
        if index % 3 == 1:
            # Some plans stay as approved in January.
            approved_plans.append(new)
            written += 2
            continue
        # After the summer business review: a new draft with sharper targets (a third of
        # them already sent back for review).
        services.plan_reopen(user=kam, plan=new)
        new.refresh_from_db()
        services.plan_update(
            user=kam,
            plan=new,
            data={
                "summary": content["summary"] + " " + UPDATES[kind],
                "revenue_target": _round(rev_last * (growth + 0.01)),
                "expected_return": _round(rev_last * 0.05),
            },
        )
        third = content["objectives"][2]
        obj3 = new.items.filter(kind="objective", title=third[1]).first()
        if obj3 is not None:
            services.item_update(user=kam, item=obj3, data={"target": content["revised_target"]})
        ok, title, measure, baseline, target, shared = content["objectives"][4]
        services.item_create(
            user=kam,
            plan=new,
            kind=ok,
            data={
                "title": title,
                "measure": measure,
                "shared": shared,
                "description": _PLANS["opportunity_description"],
            },
        )
        project = new.items.filter(kind="project").order_by("position").first()
        if project is not None:
            services.item_update(
                user=kam,
                item=project,
                data={"milestones": project.milestones + "\n" + _PLANS["added_milestone"]},
            )
        if index % 3 == 2:
            services.plan_submit(user=kam, plan=new)
        if first_link is None and index == 0:
            first_link = new
        written += 2

    if first_link is not None:
        person, email = first_link.actions.filter(
            owner_side="theirs", what=SHARED_ACTION
        ).values_list("owner_contact_name", "owner_contact_email").first() or ("", "")
        link_owner = first_link.account.owner
        if email and link_owner is not None:
            link, token = services.share_link_create(
                user=link_owner,
                plan=first_link,
                person_name=person,
                person_email=email,
                days_valid=60,
            )
            action = first_link.actions.get(what=SHARED_ACTION)
            services.share_link_resolve(token=token, ip="192.0.2.14")
            services.share_access_log(link=link, kind="view", ip="192.0.2.14")
            services.share_action_update(
                link=link,
                action_uid=str(action.uid),
                status=ActionStatus.IN_PROGRESS,
                comment=_PLANS["share_comment"],
                ip="192.0.2.14",
            )
            stdout.write(
                _("Share link for %(name)s (%(account)s): /plans/shared/%(token)s/")
                % {"name": person, "account": first_link.account.name, "token": token}
                + "\n"
            )
    dutch = next(
        (p for p in approved_plans if p.account.country in ("NL", "BE")),
        approved_plans[0] if approved_plans else None,
    )
    if dutch is not None:
        _demo_signed_off_link(plan=dutch, stdout=stdout)
    stdout.write(
        _(
            "%(n)d account plans for %(a)d key accounts: last year's approved, this year's "
            "approved, in review or a new draft."
        )
        % {"n": written, "a": len(accounts)}
        + "\n"
    )
    return written


def _demo_signed_off_link(*, plan: Plan, stdout: TextIO) -> None:
    """A Dutch share link for the owner of "Sign the service agreement" on an approved plan:
    they sign off the approved version and comment on their action (docs/plans.md)."""
    action = plan.actions.filter(owner_side="theirs", what=SHARED_ACTION).first()
    owner = plan.account.owner
    if action is None or not action.owner_contact_email or owner is None:
        return
    link, token = services.share_link_create(
        user=owner,
        plan=plan,
        person_name=action.owner_contact_name,
        person_email=action.owner_contact_email,
        days_valid=90,
        language="nl",
    )
    services.share_link_resolve(token=token, ip="192.0.2.31")
    services.share_access_log(link=link, kind="view", ip="192.0.2.31")
    version = services.share_sign_off_version(link=link)
    if version is not None:
        services.share_sign_off(
            link=link,
            version_number=version.number,
            person_name=action.owner_contact_name,
            person_role=_PLANS["sign_off_role"],
            person_email=action.owner_contact_email,
            ip="192.0.2.31",
        )
    services.share_action_update(
        link=link,
        action_uid=str(action.uid),
        status=None,
        comment=_PLANS["sign_off_comment"],
        ip="192.0.2.31",
    )
    stdout.write(
        _(
            "Share link in Dutch for %(name)s (%(account)s), plan signed off: "
            "/plans/shared/%(token)s/"
        )
        % {"name": link.person_name, "account": plan.account.name, "token": token}
        + "\n"
    )
