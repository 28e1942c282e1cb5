"""Reads for the e-mails: who wants what, who has not scored, which actions are due."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from kam.notifications.models import CustomerUpdate, Kind, Preferences, Sent
from kam.plans.models import FINISHED_STATUSES, OwnerSide, PlanAction
from kam.portfolio.models import Review, ReviewStatus
from kam.portfolio.review_selectors import RaterProgress, review_progress_map
from kam.portfolio.selectors import reviews_open
from kam.users.selectors import user_may_manage_portfolio

DIGEST_DAYS_AHEAD = 14


def preferences_of(*, user: User) -> Preferences:
    """The person's preferences; an unsaved row with the defaults when they never chose."""
    prefs = Preferences.objects.filter(user_id=user.pk).first()
    return prefs if prefs is not None else Preferences(user_id=user.pk)


def language_of(*, user: User) -> str:
    """The language the person's e-mails are written in."""
    return preferences_of(user=user).language or settings.LANGUAGE_CODE


def notification_may_receive(*, user: User, kind: str) -> bool:
    """An active person with an address who has not switched ``kind`` off."""
    return (
        bool(getattr(user, "email", ""))
        and bool(getattr(user, "is_active", False))
        and preferences_of(user=user).wants(kind)
    )


def already_sent(*, user: User, kind: str, key: str) -> bool:
    return Sent.objects.filter(user_id=user.pk, kind=kind, key=key).exists()


def sent_list(*, user: User, limit: int = 20) -> list[Sent]:
    """The person's latest e-mails, newest first (shown on the preferences page)."""
    return list(Sent.objects.filter(user_id=user.pk)[:limit])


def review_may_remind(*, review: Review, user: User) -> bool:
    """The review's owner (who opened it), a sales director or an administrator."""
    return user_may_manage_portfolio(user=user) or (
        review.created_by_id is not None and review.created_by_id == user.pk
    )


def raters_behind(*, review: Review) -> list[RaterProgress]:
    """The raters of an open review who have cells left to score."""
    if review.status != ReviewStatus.OPEN:
        return []
    progress = review_progress_map(reviews=[review]).get(review.pk, [])
    return [p for p in progress if p.cells > 0 and p.scored < p.cells]


def open_reviews() -> QuerySet[Review]:
    """The reviews whose raters may be reminded (kam.portfolio.selectors.reviews_open)."""
    return reviews_open()


@dataclass
class Digest:
    """One person's actions for the week: ours (owned by them) and the customer's."""

    overdue: list[PlanAction] = field(default_factory=list)
    coming: list[PlanAction] = field(default_factory=list)
    customer_overdue: list[PlanAction] = field(default_factory=list)
    customer_coming: list[PlanAction] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.coming or self.customer_overdue or self.customer_coming)


def digest_of(*, user: User, today: dt.date) -> Digest:
    """Unfinished actions of current plans, overdue or due within 14 days of ``today``.

    Ours: the actions the person owns. The customer's: actions owned at the customer on
    the accounts the person owns (the key account manager follows them up).
    """
    horizon = today + dt.timedelta(days=DIGEST_DAYS_AHEAD)
    actions = (
        PlanAction.objects.filter(
            Q(owner_side=OwnerSide.OURS, owner_user_id=user.pk)
            | Q(owner_side=OwnerSide.THEIRS, plan__account__owner_id=user.pk),
            plan__successors__isnull=True,
            due_date__isnull=False,
            due_date__lte=horizon,
        )
        .exclude(status__in=list(FINISHED_STATUSES))
        .select_related("plan", "plan__account", "owner_contact")
        .order_by("due_date", "plan__account__name", "pk")
    )
    digest = Digest()
    for action in actions:
        assert action.due_date is not None
        late = action.due_date < today
        action.days = abs((action.due_date - today).days)  # type: ignore[attr-defined]
        if action.owner_side == OwnerSide.OURS:
            (digest.overdue if late else digest.coming).append(action)
        else:
            (digest.customer_overdue if late else digest.customer_coming).append(action)
    return digest


def digest_recipients() -> QuerySet[User]:
    """Active people with an e-mail address, by primary key."""
    return get_user_model().objects.filter(is_active=True).exclude(email="").order_by("pk")


def pending_updates(*, recipient_id: int) -> QuerySet[CustomerUpdate]:
    return (
        CustomerUpdate.objects.filter(recipient_id=recipient_id, sent_at__isnull=True)
        .select_related(
            "action",
            "action__plan",
            "plan",
            "plan__account",
            "sign_off",
            "sign_off__version",
        )
        .order_by("created_at", "pk")
    )


KINDS = list(Kind)
