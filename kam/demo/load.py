"""The demo portfolio: a fictional food manufacturer and its customers (seeded, reproducible).

Noordhoek Foods B.V. makes sauces, soups, ready meals and snacks in the Netherlands and
sells them to retail chains, wholesalers, food service companies and online shops in eight
countries. ``demo_load`` creates, in one transaction:

- the organisation: name, box policies, exchange rates to the base currency EUR;
- a team of thirteen people in several functions, with yearly hours for accounts and an
  hourly cost (docs/method.md sections 2 and 3), all sharing one demo password; above 250
  customers also generated sellers (key account managers, field and inside sales, who
  cannot log in) for the accounts beyond the named people's year (``_scale_team``);
- about 250 customers (``accounts``) with three calendar years of revenue in their own
  currency: a few very large retail groups whose country companies are accounts of their
  own (``parent``), and a long tail of regional retailers, wholesalers, caterers and
  online shops; each with an owner (key account manager) and an account team;
- a scoring scheme with five attractiveness criteria and five of the customers' buying
  criteria (anchors for 2, 5 and 8, weights of 100) and four competitors, plus a second
  version with adjusted weights (section 1);
- three closed portfolio reviews a year apart, the first two with version 1, the latest (the
  portfolio every page works with) with version 2; three raters score every account: the
  sales director, the account's key account manager and one colleague from its account
  team;
- a fourth review, dated six months after the latest and still open for scoring: the
  director and some managers have scored part of their accounts, so most accounts are not
  placed yet -- it shows in the matrix only as a preview and changes nothing elsewhere.

The scores are not random noise: each account has a latent "true" position on both axes
(correlated with its size and growth) from which the raters' scores are drawn with rater
bias and noise. A handful of accounts sit close to a cut line, raters disagree by more
than 3 points on a handful, the smallest opportunistic accounts have no competitor scores
(so their strength axis is absolute), and a few accounts in the latest review lack a score
and are not placed. Owners are assigned after the scores are known, so that exactly one
key account manager carries more than four key accounts and the per-manager warning of
section 1 shows.

Only ``numpy.random.default_rng(seed)`` draws numbers, so the same seed gives the same
data; dates are relative to today (revenue for the three calendar years before this one,
reviews on the first of this month and of the same month a year earlier; the open one six
months ahead).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TextIO

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kam.accounts.models import Account, AccountRevenue, AccountTeamMember, TeamRole
from kam.allocation.models import PeriodBoxPolicy
from kam.core import portfolio as core
from kam.core.scoring import BOXES, Scheme
from kam.core.scoring import Criterion as CoreCriterion
from kam.demo.activities import demo_activities, demo_objective_ties
from kam.demo.allocation import demo_allocation
from kam.demo.economics import demo_economics
from kam.demo.findings_history import demo_findings_history
from kam.demo.outlooks import demo_outlooks, earlier_scores
from kam.demo.plans import demo_plans
from kam.demo.relationships import demo_relationships
from kam.demo.start import demo_start
from kam.organisation.models import Box, ServiceChannel
from kam.organisation.selectors import organisation_get
from kam.organisation.services import (
    BoxPolicyInput,
    box_policies_update,
    exchange_rate_set,
    organisation_update,
)
from kam.portfolio.models import Axis, Review, SchemeVersion, ScoringScheme, ViewSource
from kam.portfolio.services import (
    CriterionInput,
    RatingInput,
    SchemeContent,
    ratings_save,
    review_close,
    review_compute,
    review_create,
    scheme_create,
    scheme_version_create,
)
from kam.relationships.models import AccountRelationship
from kam.users.models import Function, Role
from kam.users.services import user_create
from kam.web.errors import ApplicationError

DEMO_ORGANISATION = "Noordhoek Foods B.V."
DEMO_PASSWORD = "kam-demo-2026"
DEMO_SCHEME = "Noordhoek customer selection"
#: Every demo account's external id starts with this; it is how the demo recognises itself.
EXTERNAL_ID_PREFIX = "NHF-"
MIN_ACCOUNTS = 40


@dataclass(frozen=True)
class DemoLogins:
    """The one password of every demo login, and each login's username with its role."""

    password: str
    users: list[tuple[str, str]]


# --- the team -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    username: str
    first_name: str
    last_name: str
    role: str
    function: str
    hours_per_year: int
    hourly_cost_eur: int
    label: Promise


PEOPLE: tuple[_Person, ...] = (
    _Person(
        "maarten",
        "Maarten",
        "de Groot",
        Role.SALES_DIRECTOR,
        Function.MANAGEMENT,
        400,
        140,
        gettext_lazy("Sales director (sees and rates every account)"),
    ),
    _Person(
        "katrin",
        "Katrin",
        "Weber",
        Role.KEY_ACCOUNT_MANAGER,
        Function.SALES,
        1300,
        95,
        gettext_lazy("Key account manager, international customer groups"),
    ),
    _Person(
        "sanne",
        "Sanne",
        "Bakker",
        Role.KEY_ACCOUNT_MANAGER,
        Function.SALES,
        1300,
        90,
        gettext_lazy("Key account manager, Netherlands and Belgium"),
    ),
    _Person(
        "jonas",
        "Jonas",
        "Hoffmann",
        Role.KEY_ACCOUNT_MANAGER,
        Function.SALES,
        1300,
        90,
        gettext_lazy("Key account manager, Germany and Poland"),
    ),
    _Person(
        "james",
        "James",
        "Whitfield",
        Role.KEY_ACCOUNT_MANAGER,
        Function.SALES,
        1300,
        90,
        gettext_lazy("Key account manager, United Kingdom and France"),
    ),
    _Person(
        "freja",
        "Freja",
        "Lindqvist",
        Role.KEY_ACCOUNT_MANAGER,
        Function.SALES,
        1300,
        90,
        gettext_lazy("Key account manager, Nordics and online shops"),
    ),
    _Person(
        "pieter",
        "Pieter",
        "Jansen",
        Role.TEAM_MEMBER,
        Function.SUPPLY_CHAIN,
        500,
        85,
        gettext_lazy("Team member, supply chain"),
    ),
    _Person(
        "emma",
        "Emma",
        "de Vries",
        Role.TEAM_MEMBER,
        Function.MARKETING,
        400,
        90,
        gettext_lazy("Team member, trade marketing"),
    ),
    _Person(
        "ruben",
        "Ruben",
        "Smit",
        Role.TEAM_MEMBER,
        Function.FINANCE,
        250,
        95,
        gettext_lazy("Team member, finance"),
    ),
    _Person(
        "noor",
        "Noor",
        "Hendriks",
        Role.TEAM_MEMBER,
        Function.RND,
        300,
        100,
        gettext_lazy("Team member, R&D"),
    ),
    _Person(
        "lotte",
        "Lotte",
        "Visser",
        Role.TEAM_MEMBER,
        Function.CUSTOMER_SERVICE,
        1200,
        55,
        gettext_lazy("Team member, customer service"),
    ),
    _Person(
        "hans",
        "Hans",
        "Mulder",
        Role.VIEWER,
        Function.MANAGEMENT,
        0,
        0,
        gettext_lazy("Viewer (managing director, reads everything)"),
    ),
    _Person(
        "iris",
        "Iris",
        "Vermeulen",
        Role.ADMINISTRATOR,
        Function.OTHER,
        0,
        0,
        gettext_lazy("Administrator (users and settings)"),
    ),
)
DIRECTOR = "maarten"
GROUP_KAM = "katrin"
REGION_KAM = {
    "NL": "sanne",
    "BE": "sanne",
    "DE": "jonas",
    "PL": "jonas",
    "GB": "james",
    "FR": "james",
    "DK": "freja",
    "SE": "freja",
}
ONLINE_KAM = "freja"
KEY_ACCOUNTS_PER_MANAGER = 4  # the method's default limit (docs/method.md section 1)

#: The box policies: hours (min, max), review cadence, then the service channel and visits a
#: year: key accounts by their team every month, opportunistic ones by inside sales.
POLICIES = {
    Box.KEY: BoxPolicyInput(200, 500, 3, None, ServiceChannel.KEY_ACCOUNT_TEAM, 12),
    Box.KEY_DEVELOPMENT: BoxPolicyInput(100, 300, 3, None, ServiceChannel.KEY_ACCOUNT_TEAM, 8),
    Box.MAINTENANCE: BoxPolicyInput(24, 80, 6, None, ServiceChannel.FIELD, 4),
    Box.OPPORTUNISTIC: BoxPolicyInput(0, 16, 12, None, ServiceChannel.INSIDE_SALES, 1),
}
#: The demo's intended size: up to this many customers the thirteen people above serve them.
DEFAULT_ACCOUNTS = 250
#: Above it the team grows: no seller's own accounts ask more than this share of their
#: hours (the rest is the optimiser's room; the year plan caps sales at 95 %).
BOOK_SHARE = 0.8
#: Username prefix of the generated sellers of a large demo (none can log in).
STAFF_PREFIX = "nhf-"


def account_load(box: str) -> int:
    """The yearly hours an account of ``box`` asks of its owner when the demo sizes its
    team: the policy's minimum for the boxes the year plan judges (key and key development:
    the optimiser gives them at least that), the policy's hours (the middle of its range,
    ``PeriodBoxPolicy.policy_hours``) for the others, which the plan gives them unjudged;
    nothing for an account not placed."""
    p = POLICIES.get(Box(box)) if box else None
    if p is None:
        return 0
    if box in (Box.KEY, Box.KEY_DEVELOPMENT):
        return p.min_hours_per_year
    return PeriodBoxPolicy(
        min_hours_per_year=p.min_hours_per_year, max_hours_per_year=p.max_hours_per_year
    ).policy_hours


@dataclass(frozen=True)
class _Seller:
    """A kind of generated seller: who they are, their yearly customer hours and cost."""

    kind: str
    function: str
    hours_per_year: int
    hourly_cost_eur: int
    label: Promise


#: Who takes the accounts beyond the named people's books, by box.
SELLERS = {
    "kam": _Seller(
        "kam",
        Function.SALES,
        1300,
        90,
        gettext_lazy("Key account manager, key and key development accounts"),
    ),
    "field": _Seller(
        "field", Function.SALES, 1100, 70, gettext_lazy("Field sales, maintenance accounts")
    ),
    "inside": _Seller(
        "inside",
        Function.SALES,
        1400,
        50,
        gettext_lazy("Inside sales, opportunistic accounts (phone and video)"),
    ),
}
SELLER_FOR_BOX = {
    Box.KEY: "kam",
    Box.KEY_DEVELOPMENT: "kam",
    Box.MAINTENANCE: "field",
    Box.OPPORTUNISTIC: "inside",
    "": "inside",
}
_FIRST = (
    "Anna", "Bram", "Chloé", "Daan", "Eva", "Finn", "Greta", "Hugo", "Ines", "Jeroen",
    "Klara", "Lars", "Mila", "Niels", "Olga", "Paul", "Rosa", "Sem", "Tess", "Viktor",
)  # fmt: skip
_LAST = (
    "Bos", "Claes", "Dekker", "Engel", "Fischer", "Graaf", "Haas", "Jensen", "Kowalski",
    "Laurent", "Meijer", "Nowak", "Peeters", "Richter", "Schmidt", "Tanguy", "Wouters",
)  # fmt: skip


def _seller(kind: str, i: int, n: int) -> _Person:
    """The ``i``-th generated seller of ``kind`` (from 1), the ``n``-th of all (from 0):
    the names run through every first and last name before one repeats with a number."""
    s = SELLERS[kind]
    combos = len(_FIRST) * len(_LAST)
    last = _LAST[(n // len(_FIRST)) % len(_LAST)]
    return _Person(
        f"{STAFF_PREFIX}{kind}-{i:03d}",
        _FIRST[n % len(_FIRST)],
        last if n < combos else f"{last} {n // combos + 1}",
        Role.KEY_ACCOUNT_MANAGER,
        s.function,
        s.hours_per_year,
        s.hourly_cost_eur,
        s.label,
    )


def _scale_team(accounts: list[_Account], boxes: list[str]) -> tuple[_Person, ...]:
    """The sellers a portfolio larger than ``DEFAULT_ACCOUNTS`` needs, and their accounts.

    Up to that size nothing changes. Above it each named key account manager keeps the
    accounts of their book, in box order (key first) and by revenue, while their loads
    (``account_load``) fit in ``BOOK_SHARE`` of their hours; every other account goes to a
    generated seller of its box's kind (``SELLER_FOR_BOX``): key account managers, field
    sales for maintenance accounts, inside sales for the opportunistic ones, each filled
    the same way, by country then revenue, so that each has a territory. So no owner's
    accounts ask more than ``BOOK_SHARE`` of their hours, and the box policies' hours fit
    the team however large the portfolio (tests/test_demo_team.py)."""
    if len(accounts) <= DEFAULT_ACCOUNTS:
        return ()
    hours = {p.username: p.hours_per_year for p in PEOPLE}
    rank = {b.value: i for i, b in enumerate(BOXES)}

    def order(i: int) -> tuple:
        a = accounts[i]
        return (rank.get(boxes[i], len(rank)), a.country, -a.revenue_eur[max(a.revenue_eur)], i)

    booked: Counter[str] = Counter()
    overflow: dict[str, list[int]] = {kind: [] for kind in SELLERS}
    for i in sorted(range(len(accounts)), key=order):
        owner, load = accounts[i].owner, account_load(boxes[i])
        if booked[owner] + load <= BOOK_SHARE * hours[owner]:
            booked[owner] += load
        else:
            overflow[SELLER_FOR_BOX[boxes[i]]].append(i)
    staff: list[_Person] = []
    for kind, seller in SELLERS.items():
        book = BOOK_SHARE * seller.hours_per_year
        person: _Person | None = None
        load_now, count = 0.0, 0
        for i in overflow[kind]:
            load = account_load(boxes[i])
            if person is None or load_now + load > book:
                count += 1
                person = _seller(kind, count, len(staff))
                staff.append(person)
                load_now = 0.0
            load_now += load
            accounts[i].owner = person.username
    return tuple(staff)


def _logins() -> DemoLogins:
    return DemoLogins(password=DEMO_PASSWORD, users=[(p.username, str(p.label)) for p in PEOPLE])


# --- the market ---------------------------------------------------------------------------

RATE_TO_EUR = {
    "GBP": Decimal("1.170000"),
    "PLN": Decimal("0.232000"),
    "DKK": Decimal("0.134000"),
    "SEK": Decimal("0.088000"),
}
CURRENCY = {"GB": "GBP", "PL": "PLN", "DK": "DKK", "SE": "SEK"}
COUNTRY_WEIGHTS = {
    "NL": 0.30,
    "BE": 0.15,
    "DE": 0.20,
    "FR": 0.10,
    "GB": 0.10,
    "PL": 0.06,
    "DK": 0.05,
    "SE": 0.04,
}
COUNTRY_LOCAL = {
    "NL": "Nederland",
    "BE": "België",
    "DE": "Deutschland",
    "FR": "France",
    "GB": "UK",
    "PL": "Polska",
    "DK": "Danmark",
    "SE": "Sverige",
}
RETAIL, WHOLESALE, FOOD_SERVICE, ONLINE = "Retail", "Wholesale", "Food service", "Online"
CHANNEL_WEIGHTS = {RETAIL: 0.35, WHOLESALE: 0.20, FOOD_SERVICE: 0.30, ONLINE: 0.15}
#: Typical yearly revenue (EUR) of a tail account per channel, and its growth (a year).
CHANNEL_REVENUE = {RETAIL: 260_000, WHOLESALE: 380_000, FOOD_SERVICE: 150_000, ONLINE: 160_000}
CHANNEL_GROWTH = {RETAIL: 0.02, WHOLESALE: -0.01, FOOD_SERVICE: 0.04, ONLINE: 0.12}

#: Customer groups: group name, brand of its country companies, home country, channel,
#: typical yearly revenue of the group's home business (EUR).
GROUPS: tuple[tuple[str, str, str, str, int], ...] = (
    ("Altmark Retail Group", "Altmark Retail", "DE", RETAIL, 16_000_000),
    ("Van Loon Retail Groep", "Van Loon Retail", "NL", RETAIL, 12_000_000),
    ("Britwell Stores Group", "Britwell Stores", "GB", RETAIL, 9_000_000),
    ("Groupe Maison Duret", "Maison Duret", "FR", RETAIL, 8_000_000),
    ("Hanse Großmarkt Gruppe", "Hanse Großmarkt", "DE", WHOLESALE, 6_000_000),
    ("Nordhavn Dagligvarer Gruppen", "Nordhavn Dagligvarer", "DK", RETAIL, 5_000_000),
    ("Eurocuisine Restauration", "Eurocuisine", "FR", FOOD_SERVICE, 4_000_000),
    ("Polmark Handel Grupa", "Polmark Handel", "PL", RETAIL, 3_500_000),
)

STEMS = {
    "NL": (
        "Kooiman",
        "Hollander",
        "Brinkman",
        "Verbeek",
        "Zuidwijk",
        "De Korenbloem",
        "Noorderzon",
        "Waterland",
        "De Gouden Schoof",
        "Schermer",
        "Tulpstad",
        "IJsselvliet",
        "Lindeboom",
        "Dorpsplein",
        "Kempenaar",
        "Polderweg",
        "De Zeeuwse Hoeve",
        "Maasoever",
        "Eemland",
        "Vechtdal",
        "Duinrand",
        "Veenhof",
        "Het Hooghe Land",
        "Wielewaal",
        "Slotplein",
        "Kromme Rijn",
    ),
    "BE": (
        "Vandenberghe",
        "Lemaire",
        "Ardenne",
        "Dewulf",
        "Brugse Poort",
        "Scheldeland",
        "Mosan",
        "Leieland",
        "Kempenland",
        "Zoniën",
        "Van Acker",
        "Claeys",
        "Dujardin",
        "Hautfays",
        "Goossens",
        "Verhaegen",
        "Meetjesland",
        "Condroz",
        "Haspengouw",
        "Famenne",
    ),
    "DE": (
        "Hofmeister",
        "Brandauer",
        "Kessler",
        "Lindenhof",
        "Rheinau",
        "Sonnenfeld",
        "Wiesengrund",
        "Kranich",
        "Eichwald",
        "Mainufer",
        "Elbtal",
        "Falkenberg",
        "Heidekamp",
        "Isartal",
        "Jägerhof",
        "Kornblume",
        "Lerchenfeld",
        "Nordheide",
        "Oberland",
        "Seeblick",
        "Talhof",
        "Weserland",
        "Auenwald",
        "Buchenau",
    ),
    "FR": (
        "Beaulieu",
        "Duval",
        "Provençal",
        "Val de Loire",
        "Bocage",
        "Garrigue",
        "Fontaine",
        "Chantemerle",
        "Bellevue",
        "Saint-Aubin",
        "Mirabelle",
        "Côte d'Opale",
        "Lavande",
        "Vercors",
        "Morvan",
        "Sologne",
        "Quercy",
        "Armor",
    ),
    "GB": (
        "Ashworth",
        "Bramley",
        "Calder",
        "Dunmore",
        "Eastleigh",
        "Glenmoor",
        "Hartley",
        "Kingsmead",
        "Linfield",
        "Northgate",
        "Oakridge",
        "Pennington",
        "Redbrook",
        "Stanbridge",
        "Thornbury",
        "Wexcombe",
        "Whitcliffe",
        "Harwood",
        "Ellesmere",
        "Fairhaven",
    ),
    "PL": (
        "Wisła",
        "Mazowsze",
        "Zielony Koszyk",
        "Bałtyk",
        "Podhale",
        "Warta",
        "Lipowy",
        "Kaszuby",
        "Sokół",
        "Jantar",
        "Polana",
        "Dąbrowa",
        "Złoty Kłos",
        "Roztocze",
    ),
    "DK": (
        "Bøgely",
        "Fjordmark",
        "Havdal",
        "Lindholm",
        "Mølleå",
        "Nørreby",
        "Skovgaard",
        "Søndergaard",
        "Vesterhav",
        "Kildeholm",
        "Engblomme",
        "Egeskov",
    ),
    "SE": (
        "Björkdal",
        "Ekholm",
        "Fjällby",
        "Granlund",
        "Hedvik",
        "Lövsta",
        "Norrbacka",
        "Sjöberg",
        "Tallåsen",
        "Vikbo",
        "Ängsö",
        "Grönvik",
    ),
}
PATTERNS = {
    "NL": {
        RETAIL: ("{} Supermarkten", "Buurtsuper {}", "{} Versmarkt"),
        WHOLESALE: ("Groothandel {}", "{} Foodgroothandel"),
        FOOD_SERVICE: ("{} Catering", "Horecagroep {}", "Zorgcatering {}"),
        ONLINE: ("{} Online", "{} Boodschappenbox"),
    },
    "BE": {
        RETAIL: ("{} Alimentation", "Supermarché {}", "{} Buurtwinkels"),
        WHOLESALE: ("{} Distribution", "Groothandel {}"),
        FOOD_SERVICE: ("Traiteur {}", "{} Catering"),
        ONLINE: ("{} e-Shop", "{} Online"),
    },
    "DE": {
        RETAIL: ("{} Markt", "{} Frischemarkt", "{} Lebensmittel"),
        WHOLESALE: ("{} Großhandel", "{} Fachgroßhandel"),
        FOOD_SERVICE: ("{} Gastro Service", "{} Gemeinschaftsverpflegung"),
        ONLINE: ("{} Lieferdienst", "{} Online"),
    },
    "FR": {
        RETAIL: ("Supermarchés {}", "Épicerie {}", "{} Proximité"),
        WHOLESALE: ("{} Distribution", "Grossiste {}"),
        FOOD_SERVICE: ("Restauration {}", "{} Traiteur"),
        ONLINE: ("{} Livraison", "{} en ligne"),
    },
    "GB": {
        RETAIL: ("{} Stores", "{} Food Hall", "{} Convenience"),
        WHOLESALE: ("{} Wholesale", "{} Cash & Carry"),
        FOOD_SERVICE: ("{} Catering", "{} Contract Catering", "{} Hospitality"),
        ONLINE: ("{} Online Grocer", "{} Direct"),
    },
    "PL": {
        RETAIL: ("Sklepy {}", "Delikatesy {}", "Market {}"),
        WHOLESALE: ("Hurtownia {}", "{} Dystrybucja"),
        FOOD_SERVICE: ("{} Catering", "Gastronomia {}"),
        ONLINE: ("{} Sklep Internetowy", "{} Online"),
    },
    "DK": {
        RETAIL: ("{} Købmand", "{} Dagligvarer"),
        WHOLESALE: ("{} Engros", "{} Grossisten"),
        FOOD_SERVICE: ("{} Storkøkken", "{} Catering"),
        ONLINE: ("{} Måltidskasse", "{} Online"),
    },
    "SE": {
        RETAIL: ("{} Livs", "{} Handel"),
        WHOLESALE: ("{} Grossist", "{} Partihandel"),
        FOOD_SERVICE: ("{} Måltidsservice", "{} Storkök"),
        ONLINE: ("{} Matkasse", "{} Online"),
    },
}
BRANCH_SUFFIXES = ("Noord", "Zuid", "Oost", "West", "Centrum", "II", "III")


# --- the scoring scheme (docs/method.md section 1) -----------------------------------------


@dataclass(frozen=True)
class _CriterionSpec:
    axis: str
    key: str
    name: str
    weight_v1: int
    weight_v2: int
    anchor_2: str
    anchor_5: str
    anchor_8: str


CRITERIA: tuple[_CriterionSpec, ...] = (
    _CriterionSpec(
        Axis.ATTRACTIVENESS,
        "spend",
        "Available spend in our categories",
        30,
        25,
        "Under €0.5 million a year in our categories, little room to grow into",
        "€2-5 million a year in our categories, some categories still open to us",
        "Over €15 million a year, and room for new categories and own-label work",
    ),
    _CriterionSpec(
        Axis.ATTRACTIVENESS,
        "growth",
        "Growth of their business in our categories",
        20,
        25,
        "Shrinking: closing outlets or losing share",
        "Growing with the market, about 2-3 % a year",
        "Growing over 8 % a year, or opening new channels or countries",
    ),
    _CriterionSpec(
        Axis.ATTRACTIVENESS,
        "profitability",
        "Profitability for us",
        20,
        20,
        "Gross margin under 15 % after rebates, listing fees and promotions we fund",
        "Gross margin around our average of 25 %",
        "Gross margin over 35 %, few promotions funded by us, efficient drops",
    ),
    _CriterionSpec(
        Axis.ATTRACTIVENESS,
        "payment",
        "Payment discipline",
        10,
        10,
        "Pays 45 days or more late; frequent deductions and disputes",
        "Pays within terms after a reminder now and then",
        "Always pays on time, no unauthorised deductions",
    ),
    _CriterionSpec(
        Axis.ATTRACTIVENESS,
        "partnership",
        "Openness to partnership and strategic fit",
        20,
        20,
        "Buys on price through tenders; no access beyond the buyer",
        "Shares forecasts and plans some joint promotions",
        "Joint business plan, shares sell-out data, wants to co-develop products",
    ),
    _CriterionSpec(
        Axis.STRENGTH,
        "quality",
        "Product quality and consistency",
        25,
        25,
        "Complaints or quality holds in the last year",
        "Meets the specification; occasional complaints",
        "Best in class in their quality audits; no complaints",
    ),
    _CriterionSpec(
        Axis.STRENGTH,
        "price",
        "Price and commercial terms",
        30,
        25,
        "Clearly more expensive than the alternatives they consider",
        "In line with the market",
        "Best value in the category for them, terms that fit their model",
    ),
    _CriterionSpec(
        Axis.STRENGTH,
        "delivery",
        "Delivery reliability (on time, in full)",
        20,
        25,
        "Below 90 % on time in full",
        "About 95 % on time in full",
        "Over 98.5 % on time in full, flexible on rush orders",
    ),
    _CriterionSpec(
        Axis.STRENGTH,
        "innovation",
        "Innovation and range development",
        15,
        15,
        "No new products for them in two years",
        "One or two launches a year that they list",
        "We bring category insight and launches that grow their category",
    ),
    _CriterionSpec(
        Axis.STRENGTH,
        "service",
        "Service and responsiveness",
        10,
        10,
        "Slow answers, escalations needed",
        "Answers within a day; issues get solved",
        "A named team that solves problems before they notice them",
    ),
)
N_ATTRACTIVENESS = sum(1 for c in CRITERIA if c.axis == Axis.ATTRACTIVENESS)
COMPETITORS = ("Rijnvallei Foods", "Bergmann Feinkost GmbH", "Nordsø Foods A/S", "Private label")
V2_NOTE = (
    "Growth weighted up (the board's plan favours growing customers); delivery weighted up "
    "because customers now weigh reliability more than price after last year's shortages."
)

#: Our typical profile against the competitors on the strength criteria (score points):
#: strong on quality and innovation, weaker on price; private label wins on price.
OUR_PROFILE = np.array([0.8, -0.9, 0.2, 0.6, 0.0])
COMPETITOR_PROFILE = {
    "Private label": np.array([-0.6, 1.4, 0.1, -1.0, -0.3]),
    "Rijnvallei Foods": np.array([0.2, 0.3, 0.0, 0.2, 0.2]),
    "Bergmann Feinkost GmbH": np.array([0.6, -0.3, -0.2, 0.5, 0.0]),
    "Nordsø Foods A/S": np.array([0.0, 0.5, 0.4, -0.3, 0.1]),
}
# Rater slots: 0 = the sales director, 1 = the account's key account manager, 2 = the
# colleague from the account team. Key account managers see their customers a little
# rosier than the director does (bias in score points on each axis, and on competitors).
SLOTS = 3
BIAS_ATTRACTIVENESS = np.array([-0.15, 0.20, 0.0])
BIAS_STRENGTH = np.array([-0.10, 0.35, -0.05])
BIAS_COMPETITOR = np.array([0.0, -0.20, 0.0])
RATER_NOISE = 0.55

#: What a key account manager writes when their score is far from the director's:
#: criterion key -> (why I score it higher, why I score it lower).
COMMENTS = {
    "spend": (
        "They are moving their whole private-label soup range out for tender; that is "
        "spend we do not see today.",
        "Most of their spend goes to ambient lines we do not make.",
    ),
    "growth": (
        "Sell-out data shows their stores growing twice as fast as the market.",
        "Their growth comes from discount formats where we are hardly listed.",
    ),
    "profitability": (
        "After the new logistics deal our cost to serve them halved.",
        "Rebates and promotion funding eat most of the margin; finance should check.",
    ),
    "payment": (
        "The late payments were one IT migration; they have paid on time since March.",
        "They have paid late since their merger; finance should confirm before we invest.",
    ),
    "partnership": (
        "Their new category manager wants a joint business plan for next year.",
        "They are moving to a single-supplier tender; I expect a pure price negotiation.",
    ),
    "quality": (
        "Their last supplier audit rated us best in class.",
        "Two quality holds this spring; the buyer still mentions them in every meeting.",
    ),
    "price": (
        "The buyer told me we are now the best value in the category for them.",
        "Private label undercuts us by 20 % on the core lines.",
    ),
    "delivery": (
        "The buyer told me they rate us far better since the new distribution centre opened.",
        "Three short deliveries before Christmas; they remember those.",
    ),
    "innovation": (
        "They asked us to co-develop a plant-based range; this is bigger than it looks.",
        "They have not listed any of our launches in two years.",
    ),
    "service": (
        "Customer service solved their EDI problem in a day; the buyer called to say so.",
        "Questions wait days for an answer; the buyer has escalated twice.",
    ),
}


# --- the plan: everything decided before anything is written ------------------------------


@dataclass
class _Account:
    external_id: str
    name: str
    country: str
    channel: str
    currency: str
    group: int | None  # index into GROUPS
    parent: int | None  # index of the parent account
    revenue_eur: dict[int, float]
    growth: float
    competitor: str | None = None  # strongest competitor; None when not scored against one
    owner: str = ""
    third_rater: str = ""
    team: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Ratings:
    """One review's scores, (slot, account, criterion) arrays of whole numbers, 0 = none."""

    score: np.ndarray
    competitor: np.ndarray
    comments: dict[tuple[int, int, int], str]
    view_source: list[str]


@dataclass
class _Plan:
    accounts: list[_Account]
    previous: _Ratings
    latest: _Ratings
    boxes_previous: list[str]
    boxes_latest: list[str]
    #: the sellers generated for a portfolio larger than ``DEFAULT_ACCOUNTS`` (``_scale_team``)
    staff: tuple[_Person, ...] = ()


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - x.mean()) / (sd if sd > 0 else 1.0)


def _plan_accounts(rng: np.random.Generator, n: int, years: Sequence[int]) -> list[_Account]:
    """Groups with their country companies first, then a long tail; revenue in EUR a year."""
    accounts: list[_Account] = []
    used: set[str] = set()
    n_groups = min(len(GROUPS), max(2, round(n / 45)))
    countries = list(COUNTRY_WEIGHTS)

    def revenue(last_eur: float, growth: float, first_year: int) -> dict[int, float]:
        out: dict[int, float] = {}
        for k, year in enumerate(reversed(years)):  # last year first
            if year < first_year:
                break
            wobble = float(np.exp(rng.normal(0.0, 0.04)))
            out[year] = last_eur / (1.0 + growth) ** k * wobble
        return out

    for g in range(n_groups):
        if len(accounts) >= 0.3 * n:
            break
        group_name, brand, home, channel, size = GROUPS[g]
        growth = float(rng.normal(CHANNEL_GROWTH[channel] + 0.01, 0.04))
        parent = len(accounts)
        used.add(group_name)
        accounts.append(
            _Account(
                external_id="",
                name=group_name,
                country=home,
                channel=channel,
                currency=CURRENCY.get(home, "EUR"),
                group=g,
                parent=None,
                revenue_eur=revenue(size * float(np.exp(rng.normal(0, 0.25))), growth, 0),
                growth=growth,
            )
        )
        others = [c for c in countries if c != home]
        n_children = int(rng.integers(2, 5))
        for c in sorted(rng.choice(len(others), size=n_children, replace=False)):
            country = others[int(c)]
            child_growth = float(rng.normal(growth, 0.04))
            name = f"{brand} {COUNTRY_LOCAL[country]}"
            used.add(name)
            accounts.append(
                _Account(
                    external_id="",
                    name=name,
                    country=country,
                    channel=channel,
                    currency=CURRENCY.get(country, "EUR"),
                    group=g,
                    parent=parent,
                    revenue_eur=revenue(
                        size * 0.3 * float(np.exp(np.clip(rng.normal(0, 0.4), -1.5, 0.9))),
                        child_growth,
                        0,
                    ),
                    growth=child_growth,
                )
            )

    channels = list(CHANNEL_WEIGHTS)
    p_country = np.array([COUNTRY_WEIGHTS[c] for c in countries])
    p_channel = np.array([CHANNEL_WEIGHTS[c] for c in channels])
    while len(accounts) < n:
        country = countries[int(rng.choice(len(countries), p=p_country / p_country.sum()))]
        channel = channels[int(rng.choice(len(channels), p=p_channel / p_channel.sum()))]
        stems, patterns = STEMS[country], PATTERNS[country][channel]
        name = ""
        for _attempt in range(40):
            candidate = patterns[int(rng.integers(len(patterns)))].format(
                stems[int(rng.integers(len(stems)))]
            )
            if candidate not in used:
                name = candidate
                break
        if not name:  # a large demo has used up the plain names: add a branch
            for suffix in BRANCH_SUFFIXES:
                candidate = f"{candidate} {suffix}"
                if candidate not in used:
                    name = candidate
                    break
        if not name:
            continue
        used.add(name)
        growth = float(rng.normal(CHANNEL_GROWTH[channel], 0.07))
        last = CHANNEL_REVENUE[channel] * float(np.exp(rng.normal(0.0, 1.1)))
        last = max(last, 6_000.0)
        # A few customers are new: no revenue in the first year, or in the first two.
        u = float(rng.random())
        first_year = years[2] if u < 0.03 else years[1] if u < 0.09 else years[0]
        if first_year != years[0]:
            growth = abs(growth) + 0.15
        accounts.append(
            _Account(
                external_id="",
                name=name,
                country=country,
                channel=channel,
                currency=CURRENCY.get(country, "EUR"),
                group=None,
                parent=None,
                revenue_eur=revenue(last, growth, first_year),
                growth=growth,
            )
        )
    # Number them by size, as an ERP would have them from an old migration: groups first.
    for i, account in enumerate(accounts, start=1):
        account.external_id = f"{EXTERNAL_ID_PREFIX}{i:05d}"
    return accounts


@dataclass
class _Latent:
    """True positions: attractiveness (0-10), our strength and the competitor's (1-10)."""

    attractiveness: np.ndarray
    strength: np.ndarray
    competitor: np.ndarray  # NaN where the account is scored on the absolute axis
    att_profile: np.ndarray  # (n, criteria) deviations per attractiveness criterion
    our_profile: np.ndarray
    comp_profile: np.ndarray


def _apart(distance: np.ndarray, gap: float = 0.45) -> np.ndarray:
    """Move signed distances from a cut line away from it by ``gap`` score points."""
    return distance + gap * np.sign(distance)


def _plan_latent(
    rng: np.random.Generator, accounts: list[_Account], last_year: int
) -> tuple[_Latent, _Latent]:
    """The latent position of every account at the latest review, and a year earlier.

    Attractiveness follows size and growth; the share of attractive accounts and of strong
    ones within each half is set so that the box mix looks like a real portfolio (about 8 %
    key, 13 % key development, 28 % maintenance, the rest opportunistic).
    """
    n = len(accounts)
    log_revenue = np.log([a.revenue_eur[last_year] for a in accounts])
    growth = np.array([a.growth for a in accounts])
    zr, zg = _standardise(log_revenue), _standardise(np.clip(growth, -0.2, 0.4))
    channel_bonus = np.array(
        [{FOOD_SERVICE: 0.25, WHOLESALE: -0.2, ONLINE: 0.1}.get(a.channel, 0.0) for a in accounts]
    )
    z_a = 0.7 * zr + 0.3 * zg + 0.4 * rng.normal(size=n) + channel_bonus
    cut_a = np.quantile(z_a, 1.0 - 0.2)
    # Most customers are clearly on one side of a line; the few close to it are placed
    # there on purpose below. ``_apart`` keeps the latent positions off the lines.
    attractiveness = np.clip(5.0 + _apart(2.2 * (z_a - cut_a) / z_a.std()), 1.6, 9.4)

    z_s = 0.55 * zr + 0.75 * rng.normal(size=n)
    strength_dev = np.zeros(n)
    attractive = attractiveness >= 5.0
    # At least seven key accounts even in a small demo, so that one manager can carry
    # more than four of them.
    key_share = min(0.9, max(0.38, 7.0 / max(1, int(attractive.sum()))))
    for mask, strong_share in ((attractive, key_share), (~attractive, 0.34)):
        if mask.sum() == 0:
            continue
        cut_s = np.quantile(z_s[mask], 1.0 - strong_share)
        strength_dev[mask] = _apart(2.2 * (z_s[mask] - cut_s) / z_s.std())

    # A handful sit right on a cut line, where a single point changes their box (not the
    # group headquarters, whose place the demo's story depends on).
    singles = [i for i, a in enumerate(accounts) if a.group is None]
    near = rng.choice(singles, size=max(3, n // 50), replace=False)
    for k, i in enumerate(near):
        if k % 2 == 0:
            attractiveness[i] = 5.0 + rng.uniform(-0.2, 0.2)
        else:
            strength_dev[i] = rng.uniform(-0.15, 0.15)

    # The smallest opportunistic customers are not scored against a competitor: nobody
    # asked them, so their strength axis is our own score (absolute).
    small_tail = [i for i in np.argsort(log_revenue)[: int(0.45 * n)] if accounts[i].group is None]
    absolute = set(
        int(i)
        for i in rng.choice(small_tail, size=min(len(small_tail), round(0.12 * n)), replace=False)
    )
    names = list(COMPETITOR_PROFILE)
    for i, a in enumerate(accounts):
        if i in absolute:
            continue
        if a.channel == RETAIL and rng.random() < 0.65:
            a.competitor = "Private label"
        else:
            a.competitor = names[int(rng.integers(len(names) - 1))]
    competitor_level = rng.uniform(5.0, 7.2, size=n)
    is_absolute = np.array([i in absolute for i in range(n)])

    def strength_at(dev: np.ndarray, level: np.ndarray) -> np.ndarray:
        return np.where(
            is_absolute,
            np.clip(5.0 + dev, 1.5, 9.5),
            np.clip(level + 1.2 * dev, 1.5, 9.8),
        )

    strength = strength_at(strength_dev, competitor_level)
    competitor = np.where(is_absolute, np.nan, competitor_level)

    k_att = N_ATTRACTIVENESS
    k_str = len(CRITERIA) - k_att
    att_profile = rng.normal(0.0, 0.9, size=(n, k_att))
    att_profile[:, 0] += 0.8 * zr
    att_profile[:, 1] += 0.9 * zg
    is_group = np.array([a.group is not None for a in accounts])
    att_profile[:, 2] += np.where(is_group, -0.6, 0.0) + 0.6 * (channel_bonus > 0.2)
    att_profile[:, 3] += np.where(is_group, 0.6, 0.0)
    our_profile = OUR_PROFILE + rng.normal(0.0, 0.6, size=(n, k_str))
    comp_profile = np.array(
        [COMPETITOR_PROFILE[a.competitor or "Rijnvallei Foods"] for a in accounts]
    ) + rng.normal(0.0, 0.5, size=(n, k_str))
    latest = _Latent(attractiveness, strength, competitor, att_profile, our_profile, comp_profile)

    # A year earlier: most accounts a little elsewhere; about one in five, from within
    # two points of a line, stood on its other side (they changed box since).
    drift_a = rng.normal(0.0, 0.2, size=n)
    drift_s = rng.normal(0.0, 0.2, size=n)
    distance_a = attractiveness - 5.0
    movers_a = (rng.random(n) < 0.12) & (np.abs(distance_a) < 2.0)
    movers_s = (rng.random(n) < 0.10) & (np.abs(strength_dev) < 2.0)
    crossed_a = -np.sign(distance_a) * rng.uniform(0.4, 1.4, size=n)
    crossed_s = -np.sign(strength_dev) * rng.uniform(0.4, 1.2, size=n)
    competitor_before = competitor_level + rng.normal(0.0, 0.2, size=n)
    previous = _Latent(
        attractiveness=np.clip(5.0 + np.where(movers_a, crossed_a, distance_a - drift_a), 1.3, 9.6),
        strength=strength_at(
            np.where(movers_s, crossed_s, strength_dev - drift_s), competitor_before
        ),
        competitor=np.where(is_absolute, np.nan, competitor_before),
        att_profile=att_profile + rng.normal(0.0, 0.35, size=(n, k_att)),
        our_profile=our_profile + rng.normal(0.0, 0.3, size=(n, k_str)),
        comp_profile=comp_profile + rng.normal(0.0, 0.3, size=(n, k_str)),
    )
    return previous, latest


def _centred(profile: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Deviations per criterion whose weighted mean is 0, so the axis score stays the latent."""
    return profile - (profile @ weights / weights.sum())[:, None]


def _plan_ratings(
    rng: np.random.Generator,
    accounts: list[_Account],
    latent: _Latent,
    *,
    weights: np.ndarray,
    disagreements: int,
    missing: int,
    big: np.ndarray,
) -> _Ratings:
    """Three raters' whole-number scores drawn around the latent position."""
    n = len(accounts)
    k_att = N_ATTRACTIVENESS
    wa, ws = weights[:k_att], weights[k_att:]
    true_att = latent.attractiveness[:, None] + _centred(latent.att_profile, wa)
    true_us = latent.strength[:, None] + _centred(latent.our_profile, ws)
    true_comp = latent.competitor[:, None] + _centred(latent.comp_profile, ws)
    true = np.concatenate([true_att, true_us], axis=1)
    bias = np.concatenate(
        [
            np.repeat(BIAS_ATTRACTIVENESS[:, None], k_att, axis=1),
            np.repeat(BIAS_STRENGTH[:, None], len(ws), axis=1),
        ],
        axis=1,
    )  # (slot, criterion)
    rater_mood = rng.normal(0.0, 0.2, size=(SLOTS, n, 1))
    noise = rng.normal(0.0, RATER_NOISE, size=(SLOTS, n, len(weights)))
    score = np.clip(np.rint(true[None] + bias[:, None, :] + rater_mood + noise), 1, 10)
    comp_noise = rng.normal(0.0, 0.5, size=(SLOTS, n, len(ws)))
    comp = np.clip(np.rint(true_comp[None] + BIAS_COMPETITOR[:, None, None] + comp_noise), 1, 10)
    competitor = np.zeros_like(score)
    competitor[:, :, k_att:] = np.nan_to_num(comp, nan=0.0)
    score = score.astype(np.int64)
    competitor = competitor.astype(np.int64)

    comments: dict[tuple[int, int, int], str] = {}
    chosen = rng.choice(n, size=min(n, disagreements + missing), replace=False)
    # Raters who disagree by 4 points or more on one criterion: flagged for discussion.
    for i in chosen[:disagreements]:
        j = int(rng.integers(len(weights)))
        base = int(score[0, i, j])
        if base <= 5:
            score[1, i, j] = min(10, base + 4)
            comments[(1, int(i), j)] = COMMENTS[CRITERIA[j].key][0]
        else:
            score[1, i, j] = max(1, base - 4)
            comments[(1, int(i), j)] = COMMENTS[CRITERIA[j].key][1]
        score[2, i, j] = min(10, max(1, base + int(rng.integers(-1, 2))))
    # Nobody scored a criterion for these accounts yet: they are listed as not placed.
    for i in chosen[disagreements:]:
        j = int(rng.choice([2, 3, 4]))  # profitability, payment, partnership
        score[:, i, j] = 0
    view_source = [
        ViewSource.CUSTOMER
        if big[i] and a.competitor and rng.random() < 0.6
        else ViewSource.ESTIMATE
        for i, a in enumerate(accounts)
    ]
    return _Ratings(score=score, competitor=competitor, comments=comments, view_source=view_source)


def _core_scheme(version: int) -> Scheme:
    def crit(c: _CriterionSpec) -> CoreCriterion:
        return CoreCriterion(c.key, c.name, c.weight_v1 if version == 1 else c.weight_v2)

    return Scheme(
        attractiveness=tuple(crit(c) for c in CRITERIA if c.axis == Axis.ATTRACTIVENESS),
        strength=tuple(crit(c) for c in CRITERIA if c.axis == Axis.STRENGTH),
    )


def _classify(ratings: _Ratings, version: int) -> list[str]:
    """Boxes exactly as ``review_compute`` will place them ("" = not placed)."""
    _slots, n, k = ratings.score.shape
    s, i, j = np.nonzero(ratings.score)
    comp = ratings.competitor[s, i, j].astype(np.float64)
    comp[comp == 0] = np.nan
    table = core.score_table_from_arrays(
        list(range(n)), k, i, j, ratings.score[s, i, j].astype(np.float64), comp
    )
    result = core.classify(_core_scheme(version), table)
    return ["" if b == core.NOT_PLACED else BOXES[int(b)].value for b in result.box]


def _assign_owners(accounts: list[_Account], boxes: list[str]) -> None:
    """Regional owners; the group KAM takes the group headquarters and any key account
    beyond a regional manager's fourth.

    So the group KAM carries more than four key accounts (the per-manager warning of
    section 1 shows) and every other KAM four at most.
    """
    for a in accounts:
        if a.group is not None and a.parent is None:
            a.owner = GROUP_KAM
        elif a.channel == ONLINE:
            a.owner = ONLINE_KAM
        else:
            a.owner = REGION_KAM[a.country]
    key = sorted(
        (i for i, b in enumerate(boxes) if b == Box.KEY),
        key=lambda i: -accounts[i].revenue_eur[max(accounts[i].revenue_eur)],
    )
    carried: Counter[str] = Counter()
    for i in key:
        owner = accounts[i].owner
        if owner != GROUP_KAM and carried[owner] >= KEY_ACCOUNTS_PER_MANAGER:
            accounts[i].owner = GROUP_KAM
        carried[accounts[i].owner] += 1
    for i in key:  # small demos: hand her the largest until she carries one too many
        if carried[GROUP_KAM] > KEY_ACCOUNTS_PER_MANAGER:
            break
        if accounts[i].owner != GROUP_KAM:
            carried[accounts[i].owner] -= 1
            accounts[i].owner = GROUP_KAM
            carried[GROUP_KAM] += 1


def _assign_teams(accounts: list[_Account], boxes: list[str]) -> None:
    """The colleague who rates the account, and the wider team that the box calls for."""
    for a, box in zip(accounts, boxes, strict=True):
        if box in (Box.KEY, Box.KEY_DEVELOPMENT):
            rater = {FOOD_SERVICE: "noor", ONLINE: "emma"}.get(a.channel, "pieter")
        elif box == Box.MAINTENANCE and a.channel == WHOLESALE:
            rater = "ruben"
        else:
            rater = "lotte"
        a.third_rater = rater
        team = [(rater, TeamRole.CORE)]
        if box == Box.KEY:
            team += [(u, TeamRole.CORE) for u in ("pieter", "emma", "noor", "lotte")]
            team += [("ruben", TeamRole.SURROUND)]
        elif box == Box.KEY_DEVELOPMENT:
            team += [(u, TeamRole.CORE) for u in ("pieter", "emma")]
            team += [("lotte", TeamRole.SURROUND)]
        elif box == Box.MAINTENANCE:
            team += [("lotte", TeamRole.SURROUND)]
        seats: dict[str, str] = {}
        for username, role in team:  # one seat per person; the first role listed wins
            seats.setdefault(username, role)
        a.team = list(seats.items())


def _plan(seed: int, n: int, today: dt.date) -> _Plan:
    rng = np.random.default_rng(seed)
    years = [today.year - 3, today.year - 2, today.year - 1]
    accounts = _plan_accounts(rng, n, years)
    previous_latent, latest_latent = _plan_latent(rng, accounts, years[-1])
    revenue_last = np.array([a.revenue_eur[years[-1]] for a in accounts])
    big = revenue_last >= np.quantile(revenue_last, 0.8)
    w1 = np.array([c.weight_v1 for c in CRITERIA], dtype=np.float64)
    w2 = np.array([c.weight_v2 for c in CRITERIA], dtype=np.float64)
    previous = _plan_ratings(
        rng,
        accounts,
        previous_latent,
        weights=w1,
        disagreements=max(2, n // 50),
        missing=0,
        big=big,
    )
    latest = _plan_ratings(
        rng,
        accounts,
        latest_latent,
        weights=w2,
        disagreements=max(3, n // 35),
        missing=max(2, n // 80),
        big=big,
    )
    boxes_previous = _classify(previous, 1)
    boxes_latest = _classify(latest, 2)
    team_boxes = [
        b or p or Box.OPPORTUNISTIC for b, p in zip(boxes_latest, boxes_previous, strict=True)
    ]
    _assign_owners(accounts, boxes_latest)
    staff = _scale_team(accounts, boxes_latest)
    _assign_teams(accounts, team_boxes)
    return _Plan(accounts, previous, latest, boxes_previous, boxes_latest, staff)


# --- writing it -----------------------------------------------------------------------------


def _say(stdout: TextIO, line: str) -> None:
    stdout.write(line + "\n")
    stdout.flush()


def _demo_accounts() -> int:
    return Account.objects.filter(external_id__startswith=EXTERNAL_ID_PREFIX).count()


def _wipe(stdout: TextIO) -> None:
    """Remove the demo's reviews, scheme, accounts and people (nothing else)."""
    User = get_user_model()
    demo = Account.objects.filter(external_id__startswith=EXTERNAL_ID_PREFIX)
    Review.objects.filter(scheme_version__scheme__name=DEMO_SCHEME).delete()
    ScoringScheme.objects.filter(name=DEMO_SCHEME).delete()
    # the stage's history outlives its rows; a new account may get a removed one's id
    AccountRelationship.history.filter(account_id__in=demo.values("pk")).delete()
    demo.filter(parent__isnull=False).delete()
    demo.delete()
    User.objects.filter(username__in=[p.username for p in PEOPLE]).delete()
    User.objects.filter(username__startswith=STAFF_PREFIX).delete()
    _say(stdout, _("Removed the earlier demo data."))


def _write_organisation(stdout: TextIO) -> None:
    org = organisation_get()
    organisation_update(organisation=org, name=DEMO_ORGANISATION, base_currency="EUR")
    box_policies_update(
        organisation=org,
        policies=POLICIES,
    )
    for currency, rate in RATE_TO_EUR.items():
        exchange_rate_set(organisation=org, currency=currency, rate_to_base=rate)
    _say(
        stdout,
        _("Organisation %(name)s: box policies and %(n)d exchange rates to EUR.")
        % {"name": DEMO_ORGANISATION, "n": len(RATE_TO_EUR)},
    )


def _write_people(stdout: TextIO, staff: Sequence[_Person] = ()) -> dict[str, AbstractUser]:
    """The demo team, by username, each with role, function, yearly hours and hourly cost;
    with the generated sellers of a large demo (``staff``), who cannot log in."""
    people: dict[str, AbstractUser] = {}
    for p in (*PEOPLE, *staff):
        people[p.username] = user_create(
            username=p.username,
            password=DEMO_PASSWORD if p in PEOPLE else None,
            first_name=p.first_name,
            last_name=p.last_name,
            email=f"{p.username}@noordhoek-foods.example",
            role=p.role,
            function=p.function,
            hours_per_year=p.hours_per_year,
            hourly_cost=Decimal(p.hourly_cost_eur),
        )
    # Read them back: the user that user_create returns may carry the profile that the
    # post_save signal made (role viewer) in its cache rather than the one it then saved.
    User = get_user_model()
    people = {
        u.username: u
        for u in User.objects.filter(username__in=list(people)).select_related("profile")
    }
    _say(
        stdout,
        _("Team: %(n)d people, %(hours)s hours a year for customers.")
        % {"n": len(people), "hours": f"{sum(p.hours_per_year for p in (*PEOPLE, *staff)):,}"},
    )
    return people


def _write_accounts(stdout: TextIO, plan: _Plan, people: dict[str, AbstractUser]) -> list[int]:
    """Accounts, their revenue and teams; returns the database id of each planned account."""
    rows = [
        Account(
            name=a.name,
            external_id=a.external_id,
            owner=people[a.owner],
            country=a.country,
            channel=a.channel,
            currency=a.currency,
        )
        for a in plan.accounts
    ]
    Account.objects.bulk_create(
        [r for r, a in zip(rows, plan.accounts, strict=True) if a.parent is None]
    )
    ids = dict(
        Account.objects.filter(external_id__startswith=EXTERNAL_ID_PREFIX).values_list(
            "external_id", "pk"
        )
    )
    children = []
    for row, a in zip(rows, plan.accounts, strict=True):
        if a.parent is not None:
            row.parent_id = ids[plan.accounts[a.parent].external_id]
            children.append(row)
    Account.objects.bulk_create(children)
    ids = dict(
        Account.objects.filter(external_id__startswith=EXTERNAL_ID_PREFIX).values_list(
            "external_id", "pk"
        )
    )
    pks = [ids[a.external_id] for a in plan.accounts]
    revenues = []
    for pk, a in zip(pks, plan.accounts, strict=True):
        rate = RATE_TO_EUR.get(a.currency, Decimal(1))
        for year, eur in sorted(a.revenue_eur.items()):
            local = (Decimal(round(eur)) / rate).quantize(Decimal("1"))
            revenues.append(AccountRevenue(account_id=pk, year=year, amount=local))
    AccountRevenue.objects.bulk_create(revenues, batch_size=2000)
    team = [
        AccountTeamMember(account_id=pk, user=people[u], team_role=role)
        for pk, a in zip(pks, plan.accounts, strict=True)
        for u, role in a.team
    ]
    AccountTeamMember.objects.bulk_create(team, batch_size=2000)
    countries = len({a.country for a in plan.accounts})
    groups = sum(1 for a in plan.accounts if a.group is not None and a.parent is None)
    _say(
        stdout,
        _(
            "Accounts: %(n)d in %(countries)d countries (%(groups)d groups with their "
            "country companies), %(revenues)d yearly revenues, %(team)d team seats."
        )
        % {
            "n": len(pks),
            "countries": countries,
            "groups": groups,
            "revenues": len(revenues),
            "team": len(team),
        },
    )
    return pks


def _criterion_inputs(version: int) -> list[CriterionInput]:
    return [
        CriterionInput(
            c.axis,
            c.key,
            c.name,
            c.weight_v1 if version == 1 else c.weight_v2,
            c.anchor_2,
            c.anchor_5,
            c.anchor_8,
        )
        for c in CRITERIA
    ]


def _write_review(
    *,
    plan: _Plan,
    ratings: _Ratings,
    pks: list[int],
    people: dict[str, AbstractUser],
    version_pk: int,
    criterion_pks: list[int],
    competitor_pks: dict[str, int],
    name: str,
    review_date: dt.date,
) -> Review:
    from kam.portfolio.models import SchemeVersion

    director = people[DIRECTOR]
    raters_of = [(DIRECTOR, a.owner, a.third_rater) for a in plan.accounts]
    rater_names = sorted({u for trio in raters_of for u in trio})
    review = review_create(
        name=name,
        review_date=review_date,
        scheme_version=SchemeVersion.objects.get(pk=version_pk),
        raters=[people[u] for u in rater_names],
        created_by=director,
    )
    entries: dict[str, list[RatingInput]] = {u: [] for u in rater_names}
    k_att = N_ATTRACTIVENESS
    for i, (pk, a) in enumerate(zip(pks, plan.accounts, strict=True)):
        for slot, username in enumerate(raters_of[i]):
            for j, criterion_pk in enumerate(criterion_pks):
                score = int(ratings.score[slot, i, j])
                if score == 0:
                    continue
                comp = int(ratings.competitor[slot, i, j])
                strength = j >= k_att
                entries[username].append(
                    RatingInput(
                        account_id=pk,
                        criterion_id=criterion_pk,
                        score=score,
                        competitor_score=comp if strength and comp else None,
                        competitor_id=(
                            competitor_pks[a.competitor]
                            if strength and comp and a.competitor
                            else None
                        ),
                        view_source=ratings.view_source[i] if strength else "",
                        comment=ratings.comments.get((slot, i, j), ""),
                    )
                )
    for username in rater_names:
        ratings_save(review=review, rater=people[username], entries=entries[username])
    review_compute(review=review)
    return review


def _write_open_review(
    *,
    plan: _Plan,
    pks: list[int],
    people: dict[str, AbstractUser],
    version: SchemeVersion,
    review_date: dt.date,
) -> Review:
    """The next review, open and partly scored: the director has scored two accounts in
    five, each account's manager one in five, nobody else anything yet. The scores are the
    latest review's, as a rater who starts from last time's view would give."""
    director = people[DIRECTOR]
    raters_of = [(DIRECTOR, a.owner, a.third_rater) for a in plan.accounts]
    rater_names = sorted({u for trio in raters_of for u in trio})
    review = review_create(
        name=f"Portfolio review {review_date:%B %Y}",
        review_date=review_date,
        scheme_version=version,
        raters=[people[u] for u in rater_names],
        created_by=director,
    )
    by_key = {c.key: c.pk for c in version.criteria.all()}
    criterion_pks = [by_key[c.key] for c in CRITERIA]
    competitors = {c.name: c.pk for c in version.competitors.all()}
    ratings = plan.latest
    entries: dict[str, list[RatingInput]] = {u: [] for u in rater_names}
    k_att = N_ATTRACTIVENESS
    for i, (pk, a) in enumerate(zip(pks, plan.accounts, strict=True)):
        for slot, username in enumerate(raters_of[i]):
            if not ((slot == 0 and i % 5 < 2) or (slot == 1 and i % 5 == 0)):
                continue
            for j, criterion_pk in enumerate(criterion_pks):
                score = int(ratings.score[slot, i, j])
                if score == 0:
                    continue
                comp = int(ratings.competitor[slot, i, j])
                strength = j >= k_att
                entries[username].append(
                    RatingInput(
                        account_id=pk,
                        criterion_id=criterion_pk,
                        score=score,
                        competitor_score=comp if strength and comp else None,
                        competitor_id=(
                            competitors[a.competitor]
                            if strength and comp and a.competitor
                            else None
                        ),
                        view_source=ratings.view_source[i] if strength else "",
                    )
                )
    for username in rater_names:
        if entries[username]:
            ratings_save(review=review, rater=people[username], entries=entries[username])
    review_compute(review=review)
    return review


def _write_scheme_and_reviews(
    stdout: TextIO,
    plan: _Plan,
    pks: list[int],
    people: dict[str, AbstractUser],
    today: dt.date,
    seed: int,
) -> tuple[Review, Review]:
    director = people[DIRECTOR]
    v1 = scheme_create(
        name=DEMO_SCHEME,
        content=SchemeContent(criteria=_criterion_inputs(1), competitors=COMPETITORS),
        description="Which customers deserve our key account effort: five criteria of how "
        "attractive a customer is to us, and the customers' own five buying criteria.",
        created_by=director,
    )
    v2 = scheme_version_create(
        scheme=v1.scheme,
        content=SchemeContent(criteria=_criterion_inputs(2), competitors=COMPETITORS),
        change_note=V2_NOTE,
        created_by=director,
    )
    _say(
        stdout,
        _(
            "Scoring scheme '%(name)s': %(criteria)d criteria, %(competitors)d "
            "competitors, versions 1 and 2."
        )
        % {"name": DEMO_SCHEME, "criteria": len(CRITERIA), "competitors": len(COMPETITORS)},
    )

    latest_date = today.replace(day=1)
    previous_date = latest_date.replace(year=latest_date.year - 1)
    # A third, earlier review (scheme version 1) so that the matrix has trails over more
    # than two reviews; its scores run the last year's move back once (kam.portfolio.demo).
    earliest_date = latest_date.replace(year=latest_date.year - 2)
    earliest = _Ratings(
        score=earlier_scores(plan.previous.score, plan.latest.score),
        competitor=earlier_scores(plan.previous.competitor, plan.latest.competitor),
        comments={},
        view_source=plan.previous.view_source,
    )
    reviews = []
    for version, ratings, date in (
        (v1, earliest, earliest_date),
        (v1, plan.previous, previous_date),
        (v2, plan.latest, latest_date),
    ):
        criteria = {c.key: c.pk for c in version.criteria.all()}
        competitors = {c.name: c.pk for c in version.competitors.all()}
        review = _write_review(
            plan=plan,
            ratings=ratings,
            pks=pks,
            people=people,
            version_pk=version.pk,
            criterion_pks=[criteria[c.key] for c in CRITERIA],
            competitor_pks=competitors,
            name=f"Portfolio review {date:%B %Y}",
            review_date=date,
        )
        n_ratings = int((ratings.score > 0).sum())
        _say(
            stdout,
            _("Review '%(name)s': %(ratings)d scores by %(raters)d raters.")
            % {"name": review.name, "ratings": n_ratings, "raters": review.raters.count()},
        )
        reviews.append(review)
    for review in reviews:
        review_close(review=review, closed_by=director)
    demo_outlooks(review=reviews[-1], director=director, stdout=stdout)
    open_date = _months_later(latest_date, 6)
    upcoming = _write_open_review(
        plan=plan, pks=pks, people=people, version=v2, review_date=open_date
    )
    _say(
        stdout,
        _(
            "Review '%(name)s' is open for scoring (%(n)d scores so far); the portfolio "
            "stays '%(current)s' until it is closed."
        )
        % {
            "name": upcoming.name,
            "n": upcoming.ratings.filter(derived=False).count(),
            "current": reviews[-1].name,
        },
    )
    return reviews[-2], reviews[-1]


def _months_later(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _summary(stdout: TextIO, plan: _Plan) -> None:
    counts = Counter(plan.boxes_latest)
    labels = dict(Box.choices)
    parts = ", ".join(f"{counts.get(b.value, 0)} {str(labels[b.value]).lower()}" for b in BOXES)
    moved = sum(
        1 for p, b in zip(plan.boxes_previous, plan.boxes_latest, strict=True) if p and b and p != b
    )
    _say(
        stdout,
        _(
            "The portfolio: %(boxes)s, %(missing)d not placed; %(moved)d accounts "
            "changed box since the previous review."
        )
        % {"boxes": parts, "missing": counts.get("", 0), "moved": moved},
    )
    per_owner = Counter(
        a.owner for a, b in zip(plan.accounts, plan.boxes_latest, strict=True) if b == Box.KEY
    )
    busiest, carried = per_owner.most_common(1)[0] if per_owner else ("", 0)
    if carried > KEY_ACCOUNTS_PER_MANAGER:
        _say(
            stdout,
            _("%(who)s carries %(n)d key accounts: the matrix page warns about it.")
            % {
                "who": next(
                    f"{p.first_name} {p.last_name}"
                    for p in (*PEOPLE, *plan.staff)
                    if p.username == busiest
                ),
                "n": carried,
            },
        )
    # The per-manager limit counts key development accounts too by default (section 1).
    with_development = Counter(
        a.owner
        for a, b in zip(plan.accounts, plan.boxes_latest, strict=True)
        if b in (Box.KEY, Box.KEY_DEVELOPMENT)
    )
    over = sum(1 for n in with_development.values() if n > KEY_ACCOUNTS_PER_MANAGER)
    if over:
        _say(
            stdout,
            ngettext(
                "Counting key development accounts too (the default), %(n)d manager carries "
                "more than %(limit)d.",
                "Counting key development accounts too (the default), %(n)d managers carry "
                "more than %(limit)d.",
                over,
            )
            % {"n": over, "limit": KEY_ACCOUNTS_PER_MANAGER},
        )


def demo_load(
    *,
    seed: int,
    accounts: int,
    stdout: TextIO,
    reset: bool = False,
    today: dt.date | None = None,
) -> DemoLogins:
    """Load the demo portfolio of Noordhoek Foods B.V. (see the module docstring).

    ``accounts`` customers (at least 40; 250 is the intended size), generated from
    ``seed``: the same seed gives the same data. When the demo is already loaded nothing
    changes, unless ``reset`` is true, which first removes the demo's own data (its
    accounts, people, scheme and reviews) and loads it again. The demo refuses to load
    into a database that holds accounts of its own. ``today`` fixes the dates (revenue
    years and review dates); it defaults to today. Returns the logins to print.
    """
    if accounts < MIN_ACCOUNTS:
        raise ApplicationError(
            _("The demo needs at least %(n)d accounts.") % {"n": MIN_ACCOUNTS},
            field="accounts",
        )
    today = today or dt.date.today()
    present = _demo_accounts()
    if present and not reset:
        _say(
            stdout,
            _(
                "The demo portfolio is already loaded (%(n)d accounts); nothing was "
                "changed. To load it afresh, start from an empty database or reset the demo."
            )
            % {"n": present},
        )
        return _logins()
    others = Account.objects.exclude(external_id__startswith=EXTERNAL_ID_PREFIX).count()
    if others:
        _say(
            stdout,
            _(
                "This database holds %(n)d accounts of its own; the demo loads only "
                "into a database without them. Nothing was changed."
            )
            % {"n": others},
        )
        return DemoLogins(password=DEMO_PASSWORD, users=[])
    User = get_user_model()
    taken = list(
        User.objects.filter(username__in=[p.username for p in PEOPLE]).values_list(
            "username", flat=True
        )
    )
    if taken and not reset:
        _say(
            stdout,
            _(
                "The demo's usernames are taken (%(names)s); nothing was changed. "
                "Reset the demo to replace these people."
            )
            % {"names": ", ".join(sorted(taken))},
        )
        return DemoLogins(password=DEMO_PASSWORD, users=[])

    _say(
        stdout,
        _("Loading the demo portfolio of %(name)s (seed %(seed)d, %(n)d customers) …")
        % {"name": DEMO_ORGANISATION, "seed": seed, "n": accounts},
    )
    plan = _plan(seed, accounts, today)
    with transaction.atomic():
        if present or taken or ScoringScheme.objects.filter(name=DEMO_SCHEME).exists():
            _wipe(stdout)
        _write_organisation(stdout)
        people = _write_people(stdout, plan.staff)
        pks = _write_accounts(stdout, plan, people)
        _write_scheme_and_reviews(stdout, plan, pks, people, today, seed)
        demo_activities(
            seed=seed, today=today, stdout=stdout, external_id_prefix=EXTERNAL_ID_PREFIX
        )
        demo_relationships(
            seed=seed, today=today, stdout=stdout, external_id_prefix=EXTERNAL_ID_PREFIX
        )
        # The year plan after the account teams are complete (the relationships add
        # surround-team members): who may serve whom is part of the problem it solves.
        demo_allocation(seed=seed, today=today, stdout=stdout)
        demo_plans(seed=seed, today=today, stdout=stdout)
        demo_objective_ties(seed=seed, stdout=stdout)
        demo_economics(seed=seed, today=today, stdout=stdout)
        demo_findings_history(today=today, stdout=stdout)
        demo_start(today=today, stdout=stdout)
    # The pages read the invoice lines' sums and the account P&Ls stored for today
    # (kam.economics.lines, kam.economics.ledger_store): store them once now.
    from django.utils import timezone

    from kam.economics.ledger_store import ledgers_store
    from kam.economics.lines import line_totals_store

    line_totals_store(as_of=timezone.localdate())
    ledgers_store(as_of=timezone.localdate())
    _summary(stdout, plan)
    return _logins()
