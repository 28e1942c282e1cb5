"""Reads of schemes, reviews and placements (the selection matrix, kam-method.md section 1)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from kam.accounts.models import Account
from kam.accounts.selectors import account_list_visible
from kam.core.scoring import Criterion as CoreCriterion
from kam.core.scoring import Scheme
from kam.portfolio.models import Axis, Placement, Review, SchemeVersion


def scheme_version_to_core(*, version: SchemeVersion) -> Scheme:
    """The plain ``kam.core`` scheme of a stored version (criteria in their display order)."""
    att: list[CoreCriterion] = []
    strength: list[CoreCriterion] = []
    for c in version.criteria.all():
        core = CoreCriterion(
            key=c.key,
            name=c.name,
            weight=c.weight,
            anchors={2: c.anchor_2, 5: c.anchor_5, 8: c.anchor_8},
        )
        (att if c.axis == Axis.ATTRACTIVENESS else strength).append(core)
    return Scheme(
        attractiveness=tuple(att),
        strength=tuple(strength),
        attractiveness_cut=float(version.attractiveness_cut),
        strength_cut_relative=float(version.strength_cut_relative),
        strength_cut_absolute=float(version.strength_cut_absolute),
    )


def review_latest() -> Review | None:
    """The most recent review by date (ties: the later created)."""
    return (
        Review.objects.select_related("scheme_version__scheme")
        .order_by("-review_date", "-pk")
        .first()
    )


def review_previous(*, review: Review) -> Review | None:
    """The review before ``review`` in time, whose placements give the arrows on the matrix."""
    return (
        Review.objects.filter(review_date__lt=review.review_date)
        .order_by("-review_date", "-pk")
        .first()
    )


def review_scope(*, review: Review) -> QuerySet[Account]:
    """The accounts a review covers: active accounts while open; the placed ones once closed."""
    if review.status == "closed" and review.computed_at is not None:
        return Account.objects.filter(placements__review=review)
    return Account.objects.filter(active=True)


def placement_list(
    *, review: Review, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[Placement]:
    """The placements of ``review`` for the accounts ``user`` may read, with account and owner."""
    visible = account_list_visible(user=user).values("pk")
    return (
        Placement.objects.filter(review=review, account_id__in=visible)
        .select_related("account", "account__owner")
        .order_by("account__name")
    )


def account_placements(*, account: Account) -> QuerySet[Placement]:
    """An account's placement in every review, newest first (its history on the matrix)."""
    return (
        Placement.objects.filter(account=account)
        .select_related("review", "review__scheme_version__scheme")
        .order_by("-review__review_date", "-review__pk")
    )


def boxes_of(*, account_ids: Iterable[int]) -> dict[int, str]:
    """Each account's box in the portfolio (today: the latest review; accounts not placed
    there are left out). The one place that says which review "the portfolio" is."""
    review = review_latest()
    if review is None:
        return {}
    rows = Placement.objects.filter(review=review, account_id__in=list(account_ids)).values_list(
        "account_id", "box"
    )
    return {pk: box for pk, box in rows if box}


def account_box(*, account: Account) -> str:
    """The account's box in the portfolio ("" when not placed), as ``boxes_of``."""
    return boxes_of(account_ids=[account.pk]).get(account.pk, "")
