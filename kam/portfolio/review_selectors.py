"""Reads of portfolio reviews for the review pages, the scoring grid and the API.

What a sales director needs before the review meeting (docs/method.md section 1): how far
each rater has got, the criteria on which raters differ by more than the organisation's
disagreement points, the accounts that cannot be placed yet, and the accounts whose box is
uncertain. Placements are read as ``portfolio.services.review_compute`` stored them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Count,
    F,
    Prefetch,
    QuerySet,
    prefetch_related_objects,
)
from django.utils.translation import gettext as _

from kam.accounts.models import Account, AccountTeamMember
from kam.accounts.selectors import account_list_visible, user_role
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.portfolio.models import (
    Criterion,
    Placement,
    Rating,
    Review,
    ReviewStatus,
)
from kam.portfolio.selectors import placement_list, review_scope, reviews_newest_first
from kam.users.models import Role

RATER_ROLES = (
    Role.SALES_DIRECTOR,
    Role.KEY_ACCOUNT_MANAGER,
    Role.TEAM_MEMBER,
    Role.ADMINISTRATOR,
)
"""Roles that may score in a review; viewers only read."""


def rater_candidates() -> QuerySet[User]:
    """Active people who may be named as raters, by name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, profile__role__in=RATER_ROLES)
        .select_related("profile")
        .order_by("first_name", "last_name", "username")
    )


def review_list() -> QuerySet[Review]:
    """Every review, newest first, with its scheme version and raters."""
    return (
        reviews_newest_first()
        .select_related("scheme_version__scheme")
        .prefetch_related(
            Prefetch(
                "raters",
                queryset=get_user_model()
                .objects.select_related("profile")
                .order_by("first_name", "last_name", "username"),
            )
        )
    )


def review_get(*, review_id: int) -> Review:
    """One review with its scheme version, or a 404 ApplicationError.

    Reviews are portfolio-wide: every logged-in person may read one; what they see of its
    accounts is limited by ``account_list_visible``.
    """
    review = review_list().filter(pk=review_id).first()
    if review is None:
        raise ApplicationError(_("No such review."), status=404)
    return review


def review_is_rater(*, review: Review, user: User | AnonymousUser) -> bool:
    """True when ``user`` is one of the review's raters."""
    if not user.is_authenticated:
        return False
    return any(r.pk == user.pk for r in review.raters.all())


@dataclass(frozen=True)
class RaterProgress:
    """How much of their share one rater has scored: cells are accounts × criteria."""

    rater: User
    cells: int
    scored: int

    @property
    def percent(self) -> int:
        """Whole per cent of cells scored, 0-100."""
        if self.cells == 0:
            return 100 if self.scored else 0
        return min(100, round(100 * self.scored / self.cells))


def review_progress_map(
    *, reviews: Sequence[Review], raters: Collection[int] | None = None
) -> dict[int, list[RaterProgress]]:
    """Progress of every rater of every review in ``reviews`` (raters prefetched), or of
    the raters among ``raters`` (user ids) only: the start page asks for the person's own,
    and then neither the other raters' scores nor their accounts are counted.

    A rater's cells are the review's accounts that the rater may read, times the number of
    criteria that are not scored from facts (kam derives those; a rater only overrides).
    The accounts are counted in the database: the number of queries grows with neither the
    accounts, the raters nor the reviews (the raters who read only the accounts they own or
    serve are counted together in one query).
    """
    reviews = list(reviews)
    if not reviews:
        return {}
    # each rater's role decides whose accounts they read: one query for all the profiles
    prefetch_related_objects(reviews, "raters__profile")
    n_criteria = dict(
        Criterion.objects.filter(version_id__in={r.scheme_version_id for r in reviews}, fact="")
        .order_by()
        .values_list("version_id")
        .annotate(n=Count("pk"))
    )
    open_ids = [r.pk for r in reviews if not _is_frozen(r)]
    frozen_ids = [r.pk for r in reviews if _is_frozen(r)]

    def scope_counts(visible: QuerySet[Any] | None) -> tuple[int, dict[int, int]]:
        """Active accounts (for open reviews) and placed accounts per frozen review,
        among ``visible`` (None: every account), counted in the database."""
        active = Account.objects.filter(active=True)
        placed = Placement.objects.filter(review_id__in=frozen_ids)
        if visible is not None:
            active = active.filter(pk__in=visible)
            placed = placed.filter(account_id__in=visible)
        n_active = active.count() if open_ids else 0
        per_review: dict[int, int] = {}
        if frozen_ids:
            per_review = dict(placed.order_by().values_list("review_id").annotate(n=Count("pk")))
        return n_active, per_review

    scored: dict[tuple[int, int], int] = {}
    if open_ids:
        ratings = Rating.objects.filter(
            review_id__in=open_ids, account__active=True, derived=False, criterion__fact=""
        )
        if raters is not None:
            ratings = ratings.filter(rater_id__in=list(raters))
        rows = ratings.values_list("review_id", "rater_id").annotate(n=Count("pk"))
        scored.update({(a, b): n for a, b, n in rows})
    if frozen_ids:
        # stored when the review closed (its scores and placements no longer change)
        stored = {r.pk: r.scored_by_rater for r in reviews if r.pk in frozen_ids}
        for review_id, per_rater in stored.items():
            if per_rater is not None:
                scored.update({(review_id, int(k)): n for k, n in per_rater.items()})
        scored.update(frozen_scored_counts(review_ids=[r for r, v in stored.items() if v is None]))

    everyone = scope_counts(None)
    counted = _limited_scope_counts(
        raters={
            rater.pk
            for review in reviews
            for rater in review.raters.all()
            if user_role(rater) in (Role.KEY_ACCOUNT_MANAGER, Role.TEAM_MEMBER)
            and (raters is None or rater.pk in raters)
        },
        count_active=bool(open_ids),
        frozen_ids=frozen_ids,
    )

    def counts_of(rater: User) -> tuple[int, dict[int, int]]:
        profile = getattr(rater, "profile", None)
        if profile is not None and profile.sees_all_accounts:
            return everyone
        # a manager or team member: the accounts they own or serve; anyone else: none
        return counted.get(rater.pk, (0, {}))

    out: dict[int, list[RaterProgress]] = {}
    for review in reviews:
        per_rater = []
        for rater in review.raters.all():
            if raters is not None and rater.pk not in raters:
                continue
            n_active, per_review = counts_of(rater)
            accounts = per_review.get(review.pk, 0) if _is_frozen(review) else n_active
            per_rater.append(
                RaterProgress(
                    rater=rater,
                    cells=accounts * n_criteria.get(review.scheme_version_id, 0),
                    scored=scored.get((review.pk, rater.pk), 0),
                )
            )
        out[review.pk] = per_rater
    return out


def frozen_scored_counts(*, review_ids: Iterable[int]) -> dict[tuple[int, int], int]:
    """The scores each rater gave in closed reviews, on their placed accounts and the
    criteria not scored from facts: {(review id, rater id): n}. Stored on the review when
    it closes (``Review.scored_by_rater``, ``services.review_close``)."""
    review_ids = list(review_ids)
    if not review_ids:
        return {}
    rows = (
        Rating.objects.filter(
            review_id__in=review_ids,
            account__placements__review_id=F("review_id"),
            derived=False,
            criterion__fact="",
        )
        .values_list("review_id", "rater_id")
        .annotate(n=Count("pk"))
    )
    return {(a, b): n for a, b, n in rows}


def _limited_scope_counts(
    *, raters: set[int], count_active: bool, frozen_ids: list[int]
) -> dict[int, tuple[int, dict[int, int]]]:
    """For each rater of ``raters`` (managers and team members, who read the accounts they
    own or serve, ``account_list_visible``): the active accounts they read (when
    ``count_active``) and their placed accounts per frozen review. Two grouped queries per
    figure for all of them, whatever the number of raters and accounts."""
    if not raters:
        return {}

    def per_user(owned: QuerySet[Any], owner: str, served: QuerySet[Any]) -> dict[int, int]:
        """Owned plus served (not also owned, so nothing counts twice), per user."""
        out: dict[int, int] = defaultdict(int)
        for uid, n in owned.order_by().values_list(owner).annotate(n=Count("pk")):
            out[uid] += n
        served = served.filter(user_id__in=raters).exclude(account__owner_id=F("user_id"))
        for uid, n in served.order_by().values_list("user_id").annotate(n=Count("pk")):
            out[uid] += n
        return out

    active: dict[int, int] = {}
    if count_active:
        active = per_user(
            Account.objects.filter(active=True, owner_id__in=raters),
            "owner_id",
            AccountTeamMember.objects.filter(account__active=True),
        )
    placed = {
        review_id: per_user(
            Placement.objects.filter(review_id=review_id, account__owner_id__in=raters),
            "account__owner_id",
            AccountTeamMember.objects.filter(account__placements__review_id=review_id),
        )
        for review_id in frozen_ids
    }
    return {
        uid: (active.get(uid, 0), {r: placed[r].get(uid, 0) for r in frozen_ids}) for uid in raters
    }


def _is_frozen(review: Review) -> bool:
    # Mirrors selectors.review_scope: a closed, computed review covers its placed accounts.
    return review.status == ReviewStatus.CLOSED and review.computed_at is not None


@dataclass(frozen=True)
class RaterScore:
    """One rater's score on a flagged criterion, with the competitor score and comment."""

    rater: User | None  # None: derived from the account's facts
    score: int
    competitor_score: int | None
    view_source: str
    comment: str


@dataclass(frozen=True)
class Disagreement:
    """A criterion of one account on which raters differ by more than the allowed points."""

    account: Account
    criterion: Criterion
    scores: list[RaterScore]

    @property
    def spread(self) -> int:
        """Highest minus lowest score, in points."""
        return score_spread(self.scores)


def score_spread(scores: Iterable[RaterScore]) -> int:
    """The raters' spread on one criterion: highest minus lowest score, in points (0 for
    one score or none). The review page's and the account history's one definition."""
    values = [s.score for s in scores]
    return max(values) - min(values) if values else 0


def scores_by_cell(ratings: Iterable[Rating]) -> dict[tuple[int, int, int], list[RaterScore]]:
    """Every rater's score per (review, account, criterion), as the raters gave them: a
    score derived from the facts counts only where nobody overrode it."""
    ratings = list(ratings)
    overridden = {(r.review_id, r.account_id, r.criterion_id) for r in ratings if not r.derived}
    out: dict[tuple[int, int, int], list[RaterScore]] = defaultdict(list)
    for r in ratings:
        cell = (r.review_id, r.account_id, r.criterion_id)
        if r.derived and cell in overridden:
            continue
        out[cell].append(RaterScore(r.rater, r.score, r.competitor_score, r.view_source, r.comment))
    return out


def account_spreads(*, account_id: int, review_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """The raters' spread (``score_spread``) on each criterion of one account in each review:
    {review id: {criterion id: points}}."""
    ratings = (
        Rating.objects.filter(account_id=account_id, review_id__in=list(review_ids))
        .select_related("rater")
        .order_by("rater__first_name", "rater__last_name", "rater__username")
    )
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for (review_id, _account, criterion_id), scores in scores_by_cell(ratings).items():
        out[review_id][criterion_id] = score_spread(scores)
    return dict(out)


def review_disagreement_count(*, review: Review, user: User | AnonymousUser) -> int:
    """How many criteria are flagged on the accounts ``user`` may read (the flags only, no
    scores read)."""
    flags = (
        placement_list(review=review, user=user)
        .exclude(disagreement=[])
        .order_by()
        .values_list("disagreement", flat=True)
    )
    return sum(len(f) for f in flags if f)


def review_disagreements(
    *, review: Review, user: User | AnonymousUser, accounts: int | None = None
) -> list[Disagreement]:
    """Flagged criteria of the accounts ``user`` may read, each with every rater's score;
    of the first ``accounts`` flagged accounts by name when given (a page reads the scores
    of those only)."""
    flagged = placement_list(review=review, user=user).exclude(disagreement=[])
    if accounts is not None:
        flagged = flagged[:accounts]
    placements = [p for p in flagged if p.disagreement]
    if not placements:
        return []
    criteria = {c.key: c for c in review.scheme_version.criteria.all()}
    ratings = (
        Rating.objects.filter(review=review, account_id__in=[p.account_id for p in placements])
        .select_related("rater")
        .order_by("rater__first_name", "rater__last_name", "rater__username")
    )
    by_cell = scores_by_cell(ratings)
    out = []
    for p in placements:
        for key in p.disagreement:
            crit = criteria.get(key)
            if crit is not None:
                out.append(
                    Disagreement(
                        p.account, crit, by_cell.get((review.pk, p.account_id, crit.pk), [])
                    )
                )
    return out


@dataclass(frozen=True)
class NotPlaced:
    """An account without a box, with the criteria nobody has scored yet."""

    account: Account
    missing: list[Criterion]


def review_not_placed(*, review: Review, user: User | AnonymousUser) -> QuerySet[Placement]:
    """Placements without a box (a criterion lacks a score), for the accounts ``user`` reads."""
    return placement_list(review=review, user=user).filter(box="")


def not_placed_rows(*, review: Review, placements: Iterable[Placement]) -> list[NotPlaced]:
    """The missing criteria keys of ``placements`` turned into the criteria themselves."""
    criteria = {c.key: c for c in review.scheme_version.criteria.all()}
    return [
        NotPlaced(p.account, [criteria[k] for k in p.missing if k in criteria]) for p in placements
    ]


def review_uncertain(*, review: Review, user: User | AnonymousUser) -> QuerySet[Placement]:
    """Placed accounts whose most likely box stays below the certainty threshold (80 %)."""
    return placement_list(review=review, user=user).filter(uncertain=True).exclude(box="")


def review_box_counts(*, review: Review, user: User | AnonymousUser) -> dict[str, int]:
    """Number of accounts per box (and ``""`` for not placed) among those ``user`` reads."""
    counts = {b.value: 0 for b in Box}
    counts[""] = 0
    rows = (
        placement_list(review=review, user=user)
        .order_by()
        .values_list("box")
        .annotate(n=Count("pk"))
    )
    for box, n in rows:
        counts[box] = n
    return counts


def review_accounts_to_score(*, review: Review, rater: User) -> QuerySet[Account]:
    """The accounts ``rater`` scores in ``review``: those in its scope the rater may read."""
    return (
        account_list_visible(user=rater)
        .filter(pk__in=review_scope(review=review).values("pk"))
        .select_related("owner")
        .order_by("name", "pk")
    )


def review_previous_boxes(*, review: Review, account_ids: Iterable[int]) -> dict[int, str]:
    """Box of each account at the review before ``review`` (empty when there was none).

    The grid filters by this box rather than by the current one, because the current box is
    made of the other raters' scores, which a rater must not see while scoring.
    """
    from kam.portfolio.selectors import review_previous

    previous = review_previous(review=review)
    if previous is None:
        return {}
    return dict(
        Placement.objects.filter(review=previous, account_id__in=list(account_ids)).values_list(
            "account_id", "box"
        )
    )


def ratings_of(
    *, review: Review, viewer: User, rater_id: int | None, all_raters: bool = False
) -> QuerySet[Rating]:
    """Scores in ``review`` for the accounts ``viewer`` may read.

    Without ``all_raters`` only one rater's scores (``rater_id``, the viewer by default).
    """
    qs = Rating.objects.filter(
        review=review, account_id__in=account_list_visible(user=viewer).values("pk")
    ).select_related("criterion", "rater")
    if not all_raters:
        qs = qs.filter(rater_id=rater_id if rater_id is not None else viewer.pk)
    return qs.order_by("account_id", "rater_id", "criterion__axis", "criterion__position")


def review_entered_count(*, review: Review) -> int:
    """How many scores people entered in ``review`` (scores derived from facts left out)."""
    return Rating.objects.filter(review=review, derived=False).count()


def ratings_derived(*, review: Review, account_ids: Iterable[int]) -> QuerySet[Rating]:
    """The scores kam derived from facts in ``review`` for these accounts."""
    return Rating.objects.filter(review=review, derived=True, account_id__in=list(account_ids))


def ratings_of_rater(*, review: Review, rater: Any, account_ids: Iterable[int]) -> QuerySet[Rating]:
    """One rater's scores in ``review`` for these accounts."""
    return Rating.objects.filter(review=review, rater=rater, account_id__in=list(account_ids))
