"""The demo portfolio: a fictional food manufacturer and its customers (seeded, reproducible).

Noordhoek Foods B.V. makes sauces, soups, ready meals and snacks in the Netherlands and
sells them to retail chains, wholesalers, food service companies and online shops in eight
countries. The story -- names, companies, people, texts and scores -- is in the data files of
``kam/demo/story/``; the code that draws and writes it is in this package, one module per
subject (``team``, ``market``, ``scores``, then ``outlooks``, ``activities``,
``relationships``, ``allocation``, ``plans``, ``economics``, ``findings_history`` and
``start``). ``demo_load`` creates, in one transaction:

- the organisation: name, box policies, exchange rates to the base currency EUR;
- a team of thirteen people in several functions, with yearly hours for accounts and an
  hourly cost (docs/method.md sections 2 and 3), all sharing one demo password; above 250
  customers also generated sellers (key account managers, field and inside sales, who
  cannot log in) for the accounts beyond the named people's year (``kam.demo.team._scale_team``);
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
from dataclasses import dataclass
from decimal import Decimal
from typing import TextIO

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.accounts.models import Account, AccountRevenue, AccountTeamMember
from kam.core.scoring import BOXES
from kam.demo.activities import demo_activities, demo_objective_ties
from kam.demo.allocation import demo_allocation
from kam.demo.data import story
from kam.demo.economics import demo_economics
from kam.demo.findings_history import demo_findings_history
from kam.demo.market import EXTERNAL_ID_PREFIX, RATE_TO_EUR, _Account, _plan_accounts
from kam.demo.outlooks import demo_outlooks, earlier_scores
from kam.demo.plans import demo_plans
from kam.demo.relationships import demo_relationships
from kam.demo.scores import (
    COMPETITORS,
    CRITERIA,
    DEMO_SCHEME,
    N_ATTRACTIVENESS,
    REVIEW_NAME,
    SCHEME_DESCRIPTION,
    V2_NOTE,
    _classify,
    _plan_latent,
    _plan_ratings,
    _Ratings,
)
from kam.demo.start import demo_start
from kam.demo.team import (
    DIRECTOR,
    KEY_ACCOUNTS_PER_MANAGER,
    PEOPLE,
    POLICIES,
    STAFF_PREFIX,
    _assign_owners,
    _assign_teams,
    _Person,
    _scale_team,
)
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.organisation.selectors import organisation_get
from kam.organisation.services import (
    box_policies_update,
    exchange_rate_set,
    organisation_update,
)
from kam.portfolio.models import Review, SchemeVersion, ScoringScheme
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
from kam.users.services import user_create

DEMO_ORGANISATION: str = story("organisation")["name"]
DEMO_PASSWORD = "kam-demo-2026"
#: Every demo person's e-mail address is at this domain.
EMAIL_DOMAIN: str = story("organisation")["email_domain"]
MIN_ACCOUNTS = 40


@dataclass(frozen=True)
class DemoLogins:
    """The one password of every demo login, and each login's username with its role."""

    password: str
    users: list[tuple[str, str]]


def _logins() -> DemoLogins:
    return DemoLogins(password=DEMO_PASSWORD, users=[(p.username, str(p.label)) for p in PEOPLE])


@dataclass
class _Plan:
    accounts: list[_Account]
    previous: _Ratings
    latest: _Ratings
    boxes_previous: list[str]
    boxes_latest: list[str]
    #: the sellers generated for a portfolio larger than ``DEFAULT_ACCOUNTS`` (``_scale_team``)
    staff: tuple[_Person, ...] = ()


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


def _write_people(stdout: TextIO, staff: Sequence[_Person] = ()) -> dict[str, User]:
    """The demo team, by username, each with role, function, yearly hours and hourly cost;
    with the generated sellers of a large demo (``staff``), who cannot log in."""
    people: dict[str, User] = {}
    for p in (*PEOPLE, *staff):
        people[p.username] = user_create(
            username=p.username,
            password=DEMO_PASSWORD if p in PEOPLE else None,
            first_name=p.first_name,
            last_name=p.last_name,
            email=f"{p.username}@{EMAIL_DOMAIN}",
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


def _write_accounts(stdout: TextIO, plan: _Plan, people: dict[str, User]) -> list[int]:
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
    people: dict[str, User],
    version_pk: int,
    criterion_pks: list[int],
    competitor_pks: dict[str, int],
    name: str,
    review_date: dt.date,
) -> Review:
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
    people: dict[str, User],
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
        name=REVIEW_NAME.format(date=review_date),
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
    people: dict[str, User],
    today: dt.date,
    seed: int,
) -> tuple[Review, Review]:
    director = people[DIRECTOR]
    v1 = scheme_create(
        name=DEMO_SCHEME,
        content=SchemeContent(criteria=_criterion_inputs(1), competitors=COMPETITORS),
        description=SCHEME_DESCRIPTION,
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
            name=REVIEW_NAME.format(date=date),
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
    # The pages read the invoice lines' sums, the account P&Ls and the actual-time sums
    # stored for today (kam.economics.lines, kam.economics.ledger_store,
    # kam.activities.hours_store): store them once now.
    from django.utils import timezone

    from kam.activities.hours_store import hours_store
    from kam.economics.ledger_store import ledgers_store
    from kam.economics.lines import line_totals_store

    line_totals_store(as_of=timezone.localdate())
    ledgers_store(as_of=timezone.localdate())
    hours_store(as_of=timezone.localdate())
    _summary(stdout, plan)
    return _logins()
