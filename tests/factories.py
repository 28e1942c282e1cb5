"""factory_boy factories for kam's models; tests build data through these or real services.

Each factory makes a row that passes ``full_clean()``, with related rows made by its
sub-factories, and ``.build()`` touches no database (tests/test_factories.py checks
both). Pass only what a test is about; the rest is a plain, valid default.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from kam.accounts.models import Account, AccountRevenue, AccountTeamMember
from kam.activities.models import Activity, ActivityParticipant
from kam.allocation.models import (
    AllocationLine,
    AllocationPersonLine,
    AllocationRun,
    PeriodBoxPolicy,
    PeriodCapacity,
    PeriodFunctionCapacity,
    PlanningPeriod,
    ResponseJudgement,
)
from kam.economics.models import (
    AccountFacts,
    CostKind,
    CostToServeItem,
    Investment,
    InvestmentKind,
    TransactionImport,
)
from kam.jobs.models import Job, JobWorker, PeriodicRun
from kam.notifications.models import CustomerUpdate, Kind, Preferences, Sent
from kam.organisation.models import Box, BoxPolicy, ExchangeRate, Organisation
from kam.plans.models import (
    ALL_SECTIONS,
    DEFAULT_SHARED_SECTIONS,
    ActionComment,
    ItemKind,
    Plan,
    PlanAction,
    PlanItem,
    PlanSignOff,
    PlanVersion,
    ShareLink,
)
from kam.portfolio.models import (
    Axis,
    Competitor,
    Criterion,
    Outlook,
    Placement,
    Rating,
    Review,
    SchemeVersion,
    ScoringScheme,
)
from kam.relationships.models import (
    AccountRelationship,
    Contact,
    ContactLink,
    ErasureRecord,
    FindingRecord,
)
from kam.users.models import Role

LAST_YEAR = dt.date.today().year - 1


# -- people -------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    """A user with password ``pw-for-tests-1``; saving it gives it a viewer's profile."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pw-for-tests-1")


def make_user(role: str = Role.VIEWER, **kwargs):  # type: ignore[no-untyped-def]
    """A saved user with a profile in ``role``; password ``pw-for-tests-1``."""
    user = UserFactory(**kwargs)
    user.profile.role = role
    user.profile.save()
    return user


class PreferencesFactory(factory.django.DjangoModelFactory):
    """A person's e-mail preferences: every kind on, the site's language."""

    class Meta:
        model = Preferences

    user = factory.SubFactory(UserFactory)


class SentFactory(factory.django.DjangoModelFactory):
    """One weekly digest e-mail sent."""

    class Meta:
        model = Sent

    user = factory.SubFactory(UserFactory)
    kind = Kind.DIGEST
    key = factory.Sequence(lambda n: f"2026-W{n % 52 + 1:02d}-{n}")
    to = factory.LazyAttribute(lambda o: f"{o.user.username}@example.com")


# -- the organisation ---------------------------------------------------------------------


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = "Supplier BV"


class BoxPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BoxPolicy

    organisation = factory.SubFactory(OrganisationFactory)
    box = Box.KEY
    min_hours_per_year = 200
    max_hours_per_year = 600
    review_cadence_months = 3


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeRate

    organisation = factory.SubFactory(OrganisationFactory)
    currency = "USD"
    rate_to_base = Decimal("0.900000")


# -- accounts -----------------------------------------------------------------------------


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Customer {n}")
    external_id = factory.Sequence(lambda n: f"C{n:05d}")
    country = "NL"
    channel = "retail"
    currency = "EUR"


class AccountTeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountTeamMember

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)


class AccountRevenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountRevenue

    account = factory.SubFactory(AccountFactory)
    year = LAST_YEAR
    amount = Decimal("100000.00")


# -- relationships (docs/method.md section 3) ---------------------------------------------


class ContactFactory(factory.django.DjangoModelFactory):
    """A person at the customer, numbered per account."""

    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.Faker("name")


class ContactLinkFactory(factory.django.DjangoModelFactory):
    """A link set by hand between one of our people and a contact."""

    class Meta:
        model = ContactLink

    contact = factory.SubFactory(ContactFactory)
    user = factory.SubFactory(UserFactory)
    strength = "medium"
    updated_by = factory.SelfAttribute("user")


class AccountRelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountRelationship

    account = factory.SubFactory(AccountFactory)
    inferred_stage = "basic"


class ErasureRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ErasureRecord

    account = factory.SubFactory(AccountFactory)
    contact_number = 1
    erased_by = factory.SubFactory(UserFactory)


class FindingRecordFactory(factory.django.DjangoModelFactory):
    """An open coverage finding (section 3)."""

    class Meta:
        model = FindingRecord

    account = factory.SubFactory(AccountFactory)
    kind = "single_threaded"
    opened_on = factory.LazyFunction(dt.date.today)


# -- scoring and the portfolio (docs/method.md section 1) ---------------------------------


class ScoringSchemeFactory(factory.django.DjangoModelFactory):
    """A scheme; one of the same name is reused (``scheme_version__scheme__name="Scheme"``
    gives several reviews one scheme version)."""

    class Meta:
        model = ScoringScheme
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Scheme {n}")


class SchemeVersionFactory(factory.django.DjangoModelFactory):
    """Version 1 of a new scheme (of the scheme's existing version 1 when it has one)."""

    class Meta:
        model = SchemeVersion
        django_get_or_create = ("scheme", "number")

    scheme = factory.SubFactory(ScoringSchemeFactory)
    number = 1


class CriterionFactory(factory.django.DjangoModelFactory):
    """An attractiveness criterion weighing 50 of 100."""

    class Meta:
        model = Criterion

    version = factory.SubFactory(SchemeVersionFactory)
    axis = Axis.ATTRACTIVENESS
    key = factory.Sequence(lambda n: f"criterion-{n}")
    name = factory.Sequence(lambda n: f"Criterion {n}")
    weight = 50


class CompetitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competitor

    version = factory.SubFactory(SchemeVersionFactory)
    name = factory.Sequence(lambda n: f"Competitor {n}")


class ReviewFactory(factory.django.DjangoModelFactory):
    """An open review scored with a new scheme version; ``raters=[...]`` adds raters."""

    class Meta:
        model = Review
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Review {n}")
    review_date = factory.LazyFunction(dt.date.today)
    scheme_version = factory.SubFactory(SchemeVersionFactory)

    @factory.post_generation
    def raters(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.raters.add(*extracted)


class RatingFactory(factory.django.DjangoModelFactory):
    """A rater's 6 for an account on a criterion of the review's own scheme version."""

    class Meta:
        model = Rating

    review = factory.SubFactory(ReviewFactory)
    account = factory.SubFactory(AccountFactory)
    rater = factory.SubFactory(UserFactory)
    criterion = factory.SubFactory(
        CriterionFactory, version=factory.SelfAttribute("..review.scheme_version")
    )
    score = 6


# A placement's scores and probabilities as its box implies them, the strongest competitor
# at 5 (an empty box: a criterion lacks a score, so nothing is computed).
PLACED = {
    Box.KEY: (7.0, 7.0, "p_key"),
    Box.KEY_DEVELOPMENT: (7.0, 3.0, "p_key_development"),
    Box.MAINTENANCE: (3.0, 7.0, "p_maintenance"),
    Box.OPPORTUNISTIC: (3.0, 3.0, "p_opportunistic"),
}
COMPETITOR_STRENGTH = 5.0


def _placed(box: str, what: str) -> float | str | None:
    if box not in PLACED:
        return "" if what == "strength_axis" else None
    attractiveness, strength, certain = PLACED[Box(box)]
    return {
        "attractiveness": attractiveness,
        "strength": strength,
        "competitor_strength": COMPETITOR_STRENGTH,
        "relative_strength": strength / COMPETITOR_STRENGTH,
        "strength_axis": "relative",
    }.get(what, 1.0 if what == certain else 0.0)


def _as_placed(what: str) -> factory.LazyAttribute:
    return factory.LazyAttribute(lambda o: _placed(o.box, what))


class PlacementFactory(factory.django.DjangoModelFactory):
    """An account placed in a review, in the key box unless ``box`` says otherwise, with
    the scores and the certainty that box implies."""

    class Meta:
        model = Placement

    review = factory.SubFactory(ReviewFactory)
    account = factory.SubFactory(AccountFactory)
    box = Box.KEY
    attractiveness = _as_placed("attractiveness")
    strength = _as_placed("strength")
    competitor_strength = _as_placed("competitor_strength")
    relative_strength = _as_placed("relative_strength")
    strength_axis = _as_placed("strength_axis")
    p_key = _as_placed("p_key")
    p_key_development = _as_placed("p_key_development")
    p_maintenance = _as_placed("p_maintenance")
    p_opportunistic = _as_placed("p_opportunistic")


class OutlookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outlook

    review = factory.SubFactory(ReviewFactory)
    account = factory.SubFactory(AccountFactory)
    potential_revenue = Decimal("150000.00")
    expected_attractiveness = Decimal("7.50")
    expected_strength = Decimal("6.00")


# -- activities ---------------------------------------------------------------------------


class ActivityFactory(factory.django.DjangoModelFactory):
    """An hour's meeting yesterday; ``participants=[...]`` adds our people to it and
    ``contacts=[...]`` their people on file."""

    class Meta:
        model = Activity
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    date = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=1))
    duration_minutes = 60

    @factory.post_generation
    def participants(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            for user in extracted:
                ActivityParticipant.objects.create(activity=self, user=user)

    @factory.post_generation
    def contacts(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.contacts.set(extracted)


class ActivityParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityParticipant

    activity = factory.SubFactory(ActivityFactory)
    user = factory.SubFactory(UserFactory)


# -- plans (docs/method.md section 5) -----------------------------------------------------


class PlanFactory(factory.django.DjangoModelFactory):
    """A draft plan for next calendar year with every section, the usual ones shared."""

    class Meta:
        model = Plan

    account = factory.SubFactory(AccountFactory)
    period_label = factory.LazyAttribute(lambda o: str(o.period_start.year))
    period_start = dt.date(LAST_YEAR + 2, 1, 1)
    period_end = dt.date(LAST_YEAR + 2, 12, 31)
    sections = factory.LazyFunction(lambda: list(ALL_SECTIONS))
    shared_sections = factory.LazyFunction(lambda: list(DEFAULT_SHARED_SECTIONS))
    created_by = factory.SubFactory(UserFactory)


class PlanItemFactory(factory.django.DjangoModelFactory):
    """An objective of a plan; ``kind=ItemKind.VALUE_PROPOSITION`` etc. for the others."""

    class Meta:
        model = PlanItem

    plan = factory.SubFactory(PlanFactory)
    kind = ItemKind.OBJECTIVE
    title = factory.Sequence(lambda n: f"Objective {n}")


class PlanActionFactory(factory.django.DjangoModelFactory):
    """An open action on our side, owned by one of our people."""

    class Meta:
        model = PlanAction

    plan = factory.SubFactory(PlanFactory)
    what = factory.Sequence(lambda n: f"Action {n}")
    owner_user = factory.SubFactory(UserFactory)


class ActionCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionComment

    action = factory.SubFactory(PlanActionFactory)
    text = "Started."
    author_user = factory.SubFactory(UserFactory)
    author_name = factory.LazyAttribute(lambda o: o.author_user.get_full_name())


class PlanVersionFactory(factory.django.DjangoModelFactory):
    """Version 1 of a plan, approved now (its document and content as stored at approval)."""

    class Meta:
        model = PlanVersion

    plan = factory.SubFactory(PlanFactory)
    number = 1
    snapshot = factory.LazyFunction(lambda: {"sections": []})
    content = factory.LazyFunction(lambda: {"items": [], "actions": []})
    approved_by = factory.SubFactory(UserFactory)
    approved_by_name = factory.LazyAttribute(lambda o: o.approved_by.get_full_name())
    approved_at = factory.LazyFunction(timezone.now)


class ShareLinkFactory(factory.django.DjangoModelFactory):
    """A link valid for 30 days; its token is not known (tests that open a link make it
    through ``plans.services``)."""

    class Meta:
        model = ShareLink

    plan = factory.SubFactory(PlanFactory)
    person_name = factory.Faker("name")
    person_email = factory.Sequence(lambda n: f"buyer{n}@customer.example")
    lookup = factory.Sequence(lambda n: f"{n:012x}")
    digest = factory.Sequence(lambda n: f"{n:064x}")
    created_by = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=30))


class PlanSignOffFactory(factory.django.DjangoModelFactory):
    """A customer's sign-off of a plan's approved version through a share link."""

    class Meta:
        model = PlanSignOff

    version = factory.SubFactory(PlanVersionFactory)
    plan = factory.SelfAttribute("version.plan")
    link = factory.SubFactory(ShareLinkFactory, plan=factory.SelfAttribute("..plan"))
    person_name = factory.SelfAttribute("link.person_name")
    signed_at = factory.LazyFunction(timezone.now)


class CustomerUpdateFactory(factory.django.DjangoModelFactory):
    """A customer's update of an action, waiting to be told to its account's manager."""

    class Meta:
        model = CustomerUpdate

    recipient = factory.SubFactory(UserFactory)
    action = factory.SubFactory(PlanActionFactory)
    plan = factory.SelfAttribute("action.plan")
    person_name = factory.Faker("name")
    status_from = "open"
    status_to = "done"


# -- allocation (docs/method.md section 2) ------------------------------------------------


class PlanningPeriodFactory(factory.django.DjangoModelFactory):
    """A draft planning period for next calendar year."""

    class Meta:
        model = PlanningPeriod

    name = factory.LazyAttribute(lambda o: str(o.start.year))
    start = dt.date(LAST_YEAR + 2, 1, 1)
    end = dt.date(LAST_YEAR + 2, 12, 31)
    created_by = factory.SubFactory(UserFactory)


class PeriodCapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PeriodCapacity

    period = factory.SubFactory(PlanningPeriodFactory)
    user = factory.SubFactory(UserFactory)
    hours_per_year = 800
    hourly_cost = Decimal("60.00")


class PeriodBoxPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PeriodBoxPolicy

    period = factory.SubFactory(PlanningPeriodFactory)
    box = Box.KEY
    min_hours_per_year = 200
    max_hours_per_year = 600


class PeriodFunctionCapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PeriodFunctionCapacity

    period = factory.SubFactory(PlanningPeriodFactory)
    function = "sales"
    hours_per_year = 2000


class ResponseJudgementFactory(factory.django.DjangoModelFactory):
    """A concave response (docs/method.md section 2): more hours, less extra contribution."""

    class Meta:
        model = ResponseJudgement

    period = factory.SubFactory(PlanningPeriodFactory)
    account = factory.SubFactory(AccountFactory)
    reference_hours = Decimal("100.0")
    contribution_at_zero = Decimal("20000.00")
    contribution_at_reference = Decimal("50000.00")
    contribution_at_150pct = Decimal("60000.00")
    contribution_at_saturation = Decimal("65000.00")
    entered_by = factory.SubFactory(UserFactory)


class AllocationRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllocationRun

    period = factory.SubFactory(PlanningPeriodFactory)
    created_by = factory.SubFactory(UserFactory)


class AllocationLineFactory(factory.django.DjangoModelFactory):
    """An account's 120 optimised hours in a run, with its curve's figures."""

    class Meta:
        model = AllocationLine

    run = factory.SubFactory(AllocationRunFactory)
    account = factory.SubFactory(AccountFactory)
    box = Box.KEY
    hours = Decimal("120.0")
    contribution = Decimal("52000.00")
    reference_hours = Decimal("100.0")
    reference_contribution = Decimal("50000.00")
    min_hours = Decimal("0.0")
    max_hours = Decimal("600.0")


class AllocationPersonLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllocationPersonLine

    run = factory.SubFactory(AllocationRunFactory)
    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(AccountFactory)
    hours = Decimal("40.0")


# -- economics (docs/method.md section 6) -------------------------------------------------


class AccountFactsFactory(factory.django.DjangoModelFactory):
    """An account's facts as of today, every one defined."""

    class Meta:
        model = AccountFacts

    account = factory.SubFactory(AccountFactory)
    as_of = factory.LazyFunction(dt.date.today)
    revenue_12m = 120000.0
    revenue_prev_12m = 100000.0
    growth = 0.2
    gross_margin_pct = 30.0
    orders = 24.0
    recency_days = 10.0
    mean_days_late = 2.0
    share_of_wallet = 0.4
    predicted_future_value = 250000.0


class CostToServeItemFactory(factory.django.DjangoModelFactory):
    """A logistics cost of 1,000 in the account's currency, last year."""

    class Meta:
        model = CostToServeItem

    account = factory.SubFactory(AccountFactory)
    date = dt.date(LAST_YEAR, 6, 30)
    kind = CostKind.LOGISTICS
    amount = Decimal("1000.00")


class InvestmentFactory(factory.django.DjangoModelFactory):
    """A project of 10,000 last year, its baseline the trend before it."""

    class Meta:
        model = Investment

    account = factory.SubFactory(AccountFactory)
    date = dt.date(LAST_YEAR, 3, 1)
    kind = InvestmentKind.PROJECT
    amount = Decimal("10000.00")
    description = "Joint forecasting project"


class TransactionImportFactory(factory.django.DjangoModelFactory):
    """A queued upload of invoice lines (the file itself is not written)."""

    class Meta:
        model = TransactionImport

    filename = "lines.csv"
    path = factory.Sequence(lambda n: f"uploads/{n}/lines.csv")
    as_of = factory.LazyFunction(dt.date.today)
    created_by = factory.SubFactory(UserFactory)


# -- background jobs ----------------------------------------------------------------------


class JobFactory(factory.django.DjangoModelFactory):
    """A queued portfolio deck job (a registered task)."""

    class Meta:
        model = Job

    kind = "portfolio_deck"
    task_path = "kam.reports.tasks.portfolio_deck_task"
    label = factory.Sequence(lambda n: f"Job {n}")


class JobWorkerFactory(factory.django.DjangoModelFactory):
    """A worker whose heartbeat is now."""

    class Meta:
        model = JobWorker

    worker_id = factory.Sequence(lambda n: f"worker-{n}")
    hostname = "localhost"
    pid = factory.Sequence(lambda n: 1000 + n)
    heartbeat_at = factory.LazyFunction(timezone.now)


class PeriodicRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PeriodicRun

    task_path = "kam.reports.tasks.portfolio_deck_task"
    slot = factory.Sequence(
        lambda n: timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=n)
    )
    job = factory.SubFactory(JobFactory, task_path=factory.SelfAttribute("..task_path"))
