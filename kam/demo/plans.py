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

Numbers come only from ``numpy.random.default_rng([seed, STREAM])``.
"""

# ruff: noqa: E501 -- the demo plans are prose; their sentences read better unbroken.

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
from kam.organisation.models import Box
from kam.plans import services
from kam.plans.models import ActionStatus, Plan, PlanVersion
from kam.portfolio.models import Placement
from kam.portfolio.selectors import portfolio_review
from kam.relationships.models import Contact

STREAM = 5

# Three people at each customer, by country: (first, last, title).
CONTACTS = {
    "DE": [
        ("Anna", "Keller", "Supply chain director"),
        ("Thomas", "Brandt", "Category manager"),
        ("Julia", "Wagner", "Senior buyer"),
    ],
    "NL": [
        ("Eva", "Meijer", "Supply chain director"),
        ("Daan", "Kok", "Category manager"),
        ("Sophie", "Bos", "Senior buyer"),
    ],
    "BE": [
        ("Lies", "Peeters", "Supply chain director"),
        ("Jan", "Claes", "Category manager"),
        ("An", "Maes", "Senior buyer"),
    ],
    "GB": [
        ("Claire", "Hughes", "Supply chain director"),
        ("Oliver", "Grant", "Category manager"),
        ("Amy", "Walsh", "Senior buyer"),
    ],
    "FR": [
        ("Camille", "Moreau", "Supply chain director"),
        ("Julien", "Roux", "Category manager"),
        ("Léa", "Fournier", "Senior buyer"),
    ],
    "DK": [
        ("Mette", "Nielsen", "Supply chain director"),
        ("Lars", "Poulsen", "Category manager"),
        ("Sofie", "Holm", "Senior buyer"),
    ],
    "SE": [
        ("Karin", "Lund", "Supply chain director"),
        ("Erik", "Berg", "Category manager"),
        ("Maja", "Ek", "Senior buyer"),
    ],
    "PL": [
        ("Agnieszka", "Nowak", "Supply chain director"),
        ("Piotr", "Zieliński", "Category manager"),
        ("Marta", "Wójcik", "Senior buyer"),
    ],
}


# What the September business review changed, per channel (the draft's new summary line).
UPDATES = {
    "retail": "After the business review in September: the pilot works, out-of-stocks fell by a third; we now aim for a roll-out in every distribution centre before the end of the year.",
    "wholesale": "After the business review in September: the forecasting pilot cut their stock by six days; we now propose it for every product in our range.",
    "food_service": "After the business review in September: the pilot kitchens cut waste by 18 %; we now aim for portioned packs in every region before the end of the year.",
}


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
    """Section texts, objectives, value propositions, projects and resources for a channel."""
    name = account.name
    if kind == "food_service":
        return {
            "market": (
                "Contract catering for offices, hospitals and schools; volumes recovered after 2022, margins squeezed by labour costs. Kitchens cut preparation time wherever they can."
            ),
            "value_chain": (
                "We supply sauces, soups and ready-to-finish components to their central purchasing; their regional kitchens order weekly through their ordering platform. We sit between the raw-material suppliers and their kitchens: our products replace scratch cooking."
            ),
            "customer_strategy": (
                f"Fewer skilled cooks per site, standard menus across regions, a 20 % cut in food waste by {year + 2}, more plant-based dishes."
            ),
            "swot_strengths": (
                "National coverage; strong central purchasing; long contracts with hospitals."
            ),
            "swot_weaknesses": (
                "Staff turnover in the kitchens; menus differ per region; slow approval of new products."
            ),
            "swot_opportunities": (
                "Plant-based menus; tenders for school meals; waste targets that favour portioned products."
            ),
            "swot_threats": ("Price-driven tenders; a wholesaler offering a one-stop shop."),
            "purchasing_strategy": (
                "Central purchasing with two preferred suppliers per category, tenders every three years. They see us as a reliable supplier, not yet as a partner for menu development."
            ),
            "revised_target": "3.0",
            "summary": (
                f"{name} wants shorter preparation times and less food waste in its kitchens. Our portioned sauces and soup bases do both. For {year} we aim to become their menu-development partner: a joint plant-based menu line, portioned packs in all regions, and a waste dashboard per kitchen. We ask for R&D time for two menu days and a budget for kitchen trials."
            ),
            "objectives": [
                ("objective", ("Grow revenue in soups and sauces"), ("Net revenue"), "", "", True),
                (
                    "objective",
                    ("Portioned packs in every region"),
                    ("Regions using portioned packs"),
                    "2",
                    "6",
                    True,
                ),
                (
                    "objective",
                    ("Cut food waste in the kitchens using our products"),
                    ("Waste per 100 meals (kg)"),
                    "4.1",
                    "3.2",
                    True,
                ),
                (
                    "objective",
                    ("Gross margin back above 30 %"),
                    ("Gross margin"),
                    "27.5 %",
                    "30 %",
                    False,
                ),
                (
                    "opportunity",
                    ("School meals tender in two regions"),
                    ("Tender value per year"),
                    "",
                    "",
                    False,
                ),
            ],
            "vps": [
                (
                    ("Portioned sauce packs"),
                    ("Cooks weigh and prepare sauces by hand; 12 % is thrown away."),
                    ("Portioned packs per 10 servings, same recipes."),
                    ("Less waste, 15 minutes saved per service, constant quality."),
                    ("Regional kitchen managers, sustainability manager"),
                    0.04,
                    ("waste and labour saved"),
                    ("Sole supplier for sauces in all regions"),
                    True,
                ),
                (
                    ("Plant-based menu line"),
                    ("Guests ask for plant-based dishes; kitchens lack recipes."),
                    ("Six plant-based dishes built on our bases, with recipe cards."),
                    ("Higher guest satisfaction, menu score up."),
                    ("Menu development, marketing"),
                    0.02,
                    ("extra meals sold"),
                    ("Listing of the plant-based bases"),
                    False,
                ),
            ],
            "projects": [
                (
                    ("Waste dashboard per kitchen"),
                    ("Measure waste per kitchen and per dish"),
                    0.006,
                    0.02,
                    (
                        "Q1 choose 10 pilot kitchens\nQ2 dashboard live\nQ3 results at the review\nQ4 roll-out"
                    ),
                    ("Customer service, their sustainability manager"),
                ),
                (
                    ("Plant-based menu days"),
                    ("Two menu days with their chefs"),
                    0.004,
                    0.012,
                    ("Q2 first menu day\nQ3 second menu day\nQ4 three dishes on the menu"),
                    ("R&D, marketing, their menu team"),
                ),
            ],
        }
    if kind == "wholesale":
        return {
            "market": (
                "Cash-and-carry and delivered wholesale to independent restaurants and small retailers. The market consolidates; digital ordering grows fast."
            ),
            "value_chain": (
                "We deliver to their central warehouse; they sell to thousands of independent outlets. Our brand pulls demand in sauces; in soups they push their own label."
            ),
            "customer_strategy": (
                "Grow the delivered business and the web shop, fewer suppliers per category, more own label."
            ),
            "swot_strengths": (
                "Dense delivery network; strong web shop; good data on outlet demand."
            ),
            "swot_weaknesses": ("Long order lead times; fragmented promotions."),
            "swot_opportunities": (
                "Range for independent restaurants; data sharing for forecasting."
            ),
            "swot_threats": (
                "Own-label soups replacing brands; price pressure from discount wholesalers."
            ),
            "purchasing_strategy": (
                "Annual negotiations, two suppliers per category, bonuses tied to growth. They see us as leverage: a brand they need but can press on price."
            ),
            "revised_target": "50",
            "summary": (
                f"{name} is consolidating suppliers. We want to be the one they keep for sauces and soups: a shared forecast, a restaurant range for their web shop, and better service levels. We ask for a supply chain analyst for forecasting and a listing budget."
            ),
            "objectives": [
                ("objective", ("Grow revenue in sauces and soups"), ("Net revenue"), "", "", True),
                (
                    "objective",
                    ("Service level above 98.5 %"),
                    ("Order lines delivered in full and on time"),
                    "96.2 %",
                    "98.5 %",
                    True,
                ),
                (
                    "objective",
                    ("Restaurant range in the web shop"),
                    ("Products listed online"),
                    "12",
                    "40",
                    True,
                ),
                (
                    "objective",
                    ("Keep our soups listed against own label"),
                    ("Soup lines listed"),
                    "18",
                    "18",
                    False,
                ),
                (
                    "opportunity",
                    ("Own-label production of basic soups"),
                    ("Volume per year"),
                    "",
                    "",
                    False,
                ),
            ],
            "vps": [
                (
                    ("Shared forecast for sauces and soups"),
                    ("Their stock of our products is 28 days and out-of-stocks still reach 4 %."),
                    ("Weekly shared forecast from their outlet orders."),
                    ("Lower stock, fewer lost sales, less work for their planners."),
                    ("Supply chain director, category manager"),
                    0.03,
                    ("stock carrying cost and lost sales"),
                    ("Preferred-supplier status in sauces"),
                    True,
                ),
                (
                    ("Restaurant range online"),
                    ("Independent restaurants cannot find our food-service packs online."),
                    ("Content, images and bundles for 40 products."),
                    ("More online sales per outlet."),
                    ("E-commerce manager"),
                    0.015,
                    ("extra online sales"),
                    ("Listing of 28 more products"),
                    False,
                ),
            ],
            "projects": [
                (
                    ("Forecasting pilot"),
                    ("Shared weekly forecast for 60 products"),
                    0.004,
                    0.015,
                    ("Q1 data agreement\nQ2 first forecasts\nQ3 stock down 5 days\nQ4 roll-out"),
                    ("Supply chain, their planners"),
                ),
                (
                    ("Web-shop content"),
                    ("Product content and bundles for the web shop"),
                    0.002,
                    0.008,
                    ("Q2 content delivered\nQ3 bundles live\nQ4 results"),
                    ("Marketing, their e-commerce team"),
                ),
            ],
        }
    return {
        "market": (
            "Grocery retail under pressure from discounters; growth in chilled ready meals (+9 % a year) and in premium own label; promotions take 35 % of the category's sales."
        ),
        "value_chain": (
            "We deliver to their distribution centres, they replenish the stores. We are one of three brands in ambient soups and sauces and not yet present in chilled ready meals; our share of their category is below our share of the market."
        ),
        "customer_strategy": (
            "Win back shoppers from discounters with fresh and convenient food, fewer suppliers per category, lower stock in the distribution centres, sustainability targets for packaging."
        ),
        "swot_strengths": (
            "Strong store network; loyal shoppers; good data from the loyalty card."
        ),
        "swot_weaknesses": ("Out-of-stocks on promoted lines; slow new-product listing process."),
        "swot_opportunities": (
            "Chilled ready meals; vendor-managed inventory; shelf-ready packaging to cut store labour."
        ),
        "swot_threats": (
            "Discounters; own-label expansion into soups; a competitor offering lower prices for category captaincy."
        ),
        "purchasing_strategy": (
            "Category management with yearly range reviews; buyers rotate every two years; growth bonuses. They see us as a brand they need but not yet as a strategic supplier; the supply chain director is our strongest link."
        ),
        "revised_target": "97.5 %",
        "summary": (
            f"{name} wants fewer out-of-stocks and lower stock in its distribution centres, and is looking for growth in chilled ready meals. We can give both: vendor-managed inventory for soups and sauces, and our chilled range. For {year} we aim to grow revenue, get the chilled range listed and lift on-shelf availability above 97 %. We ask for 0.3 FTE of a supply chain analyst, a listing budget and two visits by our managing director."
        ),
        "objectives": [
            ("objective", ("Grow revenue in soups and sauces"), ("Net revenue"), "", "", True),
            (
                "objective",
                ("Chilled ready meals listed in 300 stores"),
                ("Stores listing the range"),
                "0",
                "300",
                True,
            ),
            (
                "objective",
                ("On-shelf availability above 97 %"),
                ("On-shelf availability in store audits"),
                "93.5 %",
                "97 %",
                True,
            ),
            ("objective", ("Gross margin back to 24 %"), ("Gross margin"), "22.1 %", "24 %", False),
            (
                "opportunity",
                ("Own-label soups tender this autumn"),
                ("Tender volume per year"),
                "",
                "",
                False,
            ),
        ],
        "vps": [
            (
                ("Vendor-managed inventory for soups and sauces"),
                (
                    "Out-of-stocks of 6.5 % on promoted lines while the distribution centres hold 21 days of stock."
                ),
                (
                    "We plan replenishment from their distribution-centre stock and store sales every day."
                ),
                ("Fewer lost sales, five fewer days of stock, less waste."),
                ("Supply chain director, category manager, stores"),
                0.05,
                ("lost sales recovered plus stock carrying cost"),
                ("Extra facings and the listing of the chilled range"),
                True,
            ),
            (
                ("Shared promotion calendar"),
                ("Promotions are planned late; we cannot produce ahead and shelves run empty."),
                ("A twelve-month promotion calendar agreed each quarter."),
                ("Promotion sales up, fewer emergency deliveries."),
                ("Category manager, promotions team"),
                0.02,
                ("promotion uplift and fewer emergency deliveries"),
                ("Fixed promotion slots for our brands"),
                False,
            ),
            (
                ("Lower-salt soups"),
                ("Their health targets ask for 20 % less salt in soups by next year."),
                ("Our reformulated recipes with 25 % less salt, same taste scores."),
                ("They meet their health target without losing sales."),
                ("Quality manager, category manager"),
                0.01,
                ("sales kept on reformulated lines"),
                ("Listing of the full lower-salt range"),
                True,
            ),
        ],
        "projects": [
            (
                ("Vendor-managed inventory pilot"),
                ("Replenish two distribution centres from shared data"),
                0.006,
                0.021,
                (
                    "Q1 data link live\nQ2 pilot in the first distribution centre\nQ3 second distribution centre\nQ4 review with their supply chain director"
                ),
                ("Supply chain, finance, their replenishment team"),
            ),
            (
                ("Chilled ready-meal launch"),
                ("List and launch six chilled ready meals"),
                0.009,
                0.024,
                (
                    "Q1 range review\nQ2 shelf-ready packs approved\nQ3 launch in 300 stores\nQ4 sales review"
                ),
                ("R&D, marketing, customer service"),
            ),
        ],
    }


def _actions(kind: str, today: dt.date, kam: str) -> list[dict[str, Any]]:
    """14 lines of the timetable (this year): (what, side, owner key, days from today, status, shared).

    Owner keys: usernames on our side, ``c0``/``c1``/``c2`` for the customer's three contacts.
    """
    d = ActionStatus
    rows = [
        (("Send the costed proposal for vendor-managed inventory"), kam, -260, d.DONE, True),
        (
            ("Set up the stock and sales data feed from their distribution centres"),
            "pieter",
            -210,
            d.DONE,
            True,
        ),
        (("Cost model for the service"), "ruben", -230, d.DONE, False),
        (("Shelf-ready packaging samples for the new range"), "noor", -40, d.IN_PROGRESS, True),
        (("Draft promotion calendar for the first quarter"), "emma", -12, d.OPEN, True),
        (("Fix invoice mismatches on promotional deals"), "lotte", -25, d.BLOCKED, True),
        (("Quarterly business review"), kam, 20, d.OPEN, True),
        (("Credit note for short deliveries in September"), "ruben", -5, d.OPEN, False),
        (("Share store-level sales data"), "c1", -250, d.DONE, True),
        (("Confirm the pilot sites"), "c0", -225, d.DONE, True),
        (("Approve the listing of the new range"), "c1", -20, d.IN_PROGRESS, True),
        (("Provide shelf space and planograms for the new range"), "c2", 14, d.OPEN, True),
        (("Sign the service agreement"), "c0", -8, d.OPEN, True),
        (("Sign off the joint promotion calendar"), "c1", 30, d.OPEN, True),
    ]
    if kind == "food_service":
        rows[1] = (
            ("Connect their ordering platform to our forecasting"),
            "pieter",
            -210,
            d.DONE,
            True,
        )
        rows[11] = (("Choose ten pilot kitchens"), "c2", 14, d.OPEN, True)
    return [
        {"what": w, "owner": o, "days": n, "status": s, "shared": sh} for w, o, n, s, sh in rows
    ]


def _last_year_actions(today: dt.date, kam: str) -> list[tuple[str, str, int, str, bool]]:
    d = ActionStatus
    return [
        (("Range review presentation"), kam, -560, d.DONE, True),
        (("Trial of lower-salt recipes in 20 stores"), "noor", -480, d.DONE, True),
        (("Agree the yearly promotion plan"), "c1", -520, d.DONE, True),
        (("Service-level report every month"), "lotte", -400, d.DONE, True),
        (
            ("Introduce our managing director to their supply chain director"),
            "maarten",
            -450,
            d.DONE,
            False,
        ),
        (("Provide stock data for the forecasting trial"), "c0", -380, d.DROPPED, True),
        (("Agree the data-sharing terms"), "c0", -365, d.IN_PROGRESS, True),
    ]


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
    director = people.get("maarten")
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
                "team_notes": (
                    f"{kam.get_full_name()} leads; supply chain and customer service meet their planners every month; our managing director meets theirs twice a year."
                ),
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
                "volume_unit": ("tonnes"),
                "margin_current_pct": Decimal("22.4"),
                "margin_target_pct": Decimal("23.5"),
                "investment": _round(rev_prev * 0.008),
                "expected_return": _round(rev_prev * 0.02),
                "category_spend": _round(rev_prev / (0.22 + 0.1 * float(rng.random()))),
                "resources_notes": (
                    "A supply chain analyst for the data link; R&D time for reformulation; two visits by our managing director."
                ),
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
                "title": ("Supply chain analyst, 0.3 FTE"),
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
        v_old = services.plan_approve(
            user=director, plan=old, note=("Approved at the January portfolio review.")
        )
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
                "resources_notes": (
                    "0.3 FTE of a supply chain analyst; a listing budget; R&D time for shelf-ready packs; two visits by our managing director."
                ),
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
                "title": ("Listing budget for the new range"),
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
        v_new = services.plan_approve(
            user=director, plan=new, note=("Approved with the key account plans of the year.")
        )
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
                "description": (
                    "Decide by October whether we bid; the margin must stay above 18 %."
                ),
            },
        )
        project = new.items.filter(kind="project").order_by("position").first()
        if project is not None:
            services.item_update(
                user=kam,
                item=project,
                data={
                    "milestones": project.milestones
                    + "\n"
                    + ("December: decision on the full roll-out")
                },
            )
        if index % 3 == 2:
            services.plan_submit(user=kam, plan=new)
        if first_link is None and index == 0:
            first_link = new
        written += 2

    if first_link is not None:
        person, email = first_link.actions.filter(
            owner_side="theirs", what=("Sign the service agreement")
        ).values_list("owner_contact_name", "owner_contact_email").first() or ("", "")
        if email:
            link, token = services.share_link_create(
                user=first_link.account.owner,
                plan=first_link,
                person_name=person,
                person_email=email,
                days_valid=60,
            )
            action = first_link.actions.get(what=("Sign the service agreement"))
            services.share_link_resolve(token=token, ip="192.0.2.14")
            services.share_access_log(link=link, kind="view", ip="192.0.2.14")
            services.share_action_update(
                link=link,
                action_uid=str(action.uid),
                status=ActionStatus.IN_PROGRESS,
                comment=("Our legal team is reviewing the agreement; I expect to sign next week."),
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
            "%(n)d account plans for %(a)d key accounts: last year's approved, this year's approved, in review or a new draft."
        )
        % {"n": written, "a": len(accounts)}
        + "\n"
    )
    return written


def _demo_signed_off_link(*, plan: Plan, stdout: TextIO) -> None:
    """A Dutch share link for the owner of "Sign the service agreement" on an approved plan:
    they sign off the approved version and comment on their action (docs/plans.md)."""
    action = plan.actions.filter(owner_side="theirs", what=("Sign the service agreement")).first()
    if action is None or not action.owner_contact_email:
        return
    link, token = services.share_link_create(
        user=plan.account.owner,
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
            person_role="Directeur supply chain",
            person_email=action.owner_contact_email,
            ip="192.0.2.31",
        )
    services.share_action_update(
        link=link,
        action_uid=str(action.uid),
        status=None,
        comment="Akkoord met het plan. De overeenkomst ligt bij onze juristen; ik teken haar deze maand.",
        ip="192.0.2.31",
    )
    stdout.write(
        _(
            "Share link in Dutch for %(name)s (%(account)s), plan signed off: /plans/shared/%(token)s/"
        )
        % {"name": link.person_name, "account": plan.account.name, "token": token}
        + "\n"
    )
