"""Reads of activities and of actual hours, always through the caller's account visibility.

Actual hours (docs/method.md section 2, "Planned against actual") are person-hours: every
participant on our side counts the activity's full duration, so a two-person one-hour visit
is two hours of our time on the account. The sums run in the database over
``ActivityParticipant`` rows; each ``actual_hours_by_*`` selector is one aggregate query.

Periods are inclusive calendar dates: ``start`` and ``end`` both count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import CharField, Exists, FilteredRelation, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.accounts.models import Account
from kam.accounts.selectors import account_list_visible, user_role
from kam.activities.models import (
    Activity,
    ActivityParticipant,
    ActivityType,
    HoursDirty,
    HoursSnapshot,
    HoursStored,
)
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.portfolio.models import Review
from kam.portfolio.selectors import portfolio_review
from kam.relationships.sources import MeetingRow
from kam.users.models import Role
from kam.users.selectors import user_may_manage_portfolio

#: The key of hours on accounts without a placement in the review.
UNPLACED = "unplaced"
#: Box shares further apart than this (0-1) give a variance sentence.
VARIANCE_THRESHOLD = 0.05

#: The boxes in the order pages list them, unplaced last.
BOX_ORDER: tuple[str, ...] = (*Box.values, UNPLACED)

_BOX_ACCOUNTS = {
    Box.KEY: gettext_lazy("key accounts"),
    Box.KEY_DEVELOPMENT: gettext_lazy("key development accounts"),
    Box.MAINTENANCE: gettext_lazy("maintenance accounts"),
    Box.OPPORTUNISTIC: gettext_lazy("opportunistic accounts"),
    UNPLACED: gettext_lazy("accounts without a box"),
}


def box_label(box: str) -> str:
    """The display name of a box key, 'Not placed' for ``UNPLACED``."""
    if box == UNPLACED:
        return _("Not placed")
    return str(dict(Box.choices).get(box, box))


# --- activities -------------------------------------------------------------------------------


def activity_list_visible(*, user: User) -> QuerySet[Activity]:
    """Activities on the accounts ``user`` may read, newest first, with account and creator."""
    return (
        Activity.objects.filter(account__in=account_list_visible(user=user).values("pk"))
        .select_related("account", "created_by", "objective")
        .prefetch_related("participants", "contacts")
        .order_by("-date", "-pk")
    )


def activity_count_in_period(*, start: dt.date, end: dt.date, user: User) -> int:
    """How many activities on the accounts ``user`` may read fall from ``start`` to ``end``
    (inclusive). One query: for a reader of every account a count over the date index, with
    no semi-join of 150,000 activities on 10,000 accounts."""
    visible = account_list_visible(user=user)
    qs = Activity.objects.filter(date__gte=start, date__lte=end)
    if visible.query.has_filters():
        qs = qs.filter(account__in=visible.values("pk"))
    return qs.order_by().count()


def activity_get_visible(*, user: User, activity_id: int) -> Activity:
    """The activity ``activity_id`` if ``user`` may read its account; 404 otherwise."""
    activity = activity_list_visible(user=user).filter(pk=activity_id).first()
    if activity is None:
        raise ApplicationError(_("There is no such activity."), status=404)
    return activity


def activity_may_log(*, user: User) -> bool:
    """Whether ``user`` may log activities at all (everyone but viewers)."""
    return user_role(user) in {
        Role.ADMINISTRATOR,
        Role.SALES_DIRECTOR,
        Role.KEY_ACCOUNT_MANAGER,
        Role.TEAM_MEMBER,
    }


def activity_may_change(
    *, user: User, activity: Activity, participant_ids: Collection[int] | None = None
) -> bool:
    """Whether ``user`` may edit or delete ``activity`` (which they can already read).

    Directors and administrators change any activity; key account managers and team
    members those they logged or took part in; viewers none. ``participant_ids`` are the
    activity's participants when the caller has read them already (a list asks for every
    row without a query per row); without them one query asks.
    """
    if user_may_manage_portfolio(user=user):
        return True
    if user_role(user) in {Role.KEY_ACCOUNT_MANAGER, Role.TEAM_MEMBER}:
        if activity.created_by_id == user.pk:
            return True
        if participant_ids is not None:
            return user.pk in participant_ids
        return ActivityParticipant.objects.filter(activity=activity, user_id=user.pk).exists()
    return False


def participant_candidates() -> QuerySet[Any]:
    """Our active people who can take part in an activity, by name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, profile__isnull=False)
        .order_by("last_name", "first_name", "username")
    )


def activity_people_visible(*, user: User) -> QuerySet[Any]:
    """The people who took part in an activity on an account ``user`` may read (for filters)."""
    visible = account_list_visible(user=user).values("pk")
    return (
        get_user_model()
        .objects.filter(
            pk__in=ActivityParticipant.objects.filter(activity__account__in=visible).values(
                "user_id"
            )
        )
        .order_by("last_name", "first_name", "username")
    )


def period_start_default(end: dt.date) -> dt.date:
    """The first day of the twelve months that end on ``end`` (the pages' default period)."""
    try:
        return end.replace(year=end.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February
        return end.replace(year=end.year - 1, day=28) + dt.timedelta(days=1)


# --- actual hours -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursRow:
    """Person-minutes summed for one account, person or box; ``hours`` = minutes / 60."""

    key: int | str
    label: str
    minutes: int
    detail: str = ""

    @property
    def hours(self) -> float:
        return self.minutes / 60


def _participations(
    *, user: User, start: dt.date, end: dt.date, dates_as_subquery: bool = False
) -> QuerySet[ActivityParticipant]:
    visible = account_list_visible(user=user)
    if dates_as_subquery and not visible.query.has_filters():
        # the same participations, the period's activities chosen in a subquery: SQLite then
        # reads every activity of the period in id order instead of in date-index order (2-3x
        # faster at 10,000 accounts for the sum per person). Only for a user who reads every
        # account: with few visible accounts the join on the accounts is quicker.
        in_period = Activity.objects.filter(date__gte=start, date__lte=end).values("pk")
        return ActivityParticipant.objects.filter(activity_id__in=in_period)
    qs = ActivityParticipant.objects.filter(activity__date__gte=start, activity__date__lte=end)
    if visible.query.has_filters():
        qs = qs.filter(activity__account__in=visible.values("pk"))
    # else the user reads every account: no semi-join of every participation on the accounts
    return qs


def _hours_by_account(qs: QuerySet[ActivityParticipant]) -> QuerySet[Any]:
    return (
        qs.values(
            "activity__account_id", "activity__account__name", "activity__account__external_id"
        )
        .annotate(minutes=Sum("activity__duration_minutes"))
        .order_by("-minutes", "activity__account__name", "activity__account_id")
    )


def actual_hours_by_account(*, start: dt.date, end: dt.date, user: User) -> list[HoursRow]:
    """Person-hours per visible account from ``start`` to ``end`` (inclusive), most first.

    ``key`` is the account id, ``label`` its name, ``detail`` its external id. Accounts
    without activities in the period are left out. One query.
    """
    rows = _hours_by_account(_participations(user=user, start=start, end=end))
    return [
        HoursRow(
            key=r["activity__account_id"],
            label=r["activity__account__name"],
            minutes=int(r["minutes"]),
            detail=r["activity__account__external_id"],
        )
        for r in rows
    ]


def actual_hours_by_person(*, start: dt.date, end: dt.date, user: User) -> list[HoursRow]:
    """Person-hours per participant on the accounts ``user`` may read, most first.

    ``key`` is the user id, ``label`` the full name (or username), ``detail`` the username.
    One query.
    """
    rows = (
        _participations(user=user, start=start, end=end, dates_as_subquery=True)
        .values("user_id", "user__first_name", "user__last_name", "user__username")
        .annotate(minutes=Sum("activity__duration_minutes"))
        .order_by("-minutes", "user__username")
    )
    return [
        HoursRow(
            key=r["user_id"],
            label=f"{r['user__first_name']} {r['user__last_name']}".strip() or r["user__username"],
            minutes=int(r["minutes"]),
            detail=r["user__username"],
        )
        for r in rows
    ]


def _minutes_by_account(
    qs: QuerySet[ActivityParticipant], *, review: Review | None, by_person: bool = False
) -> list[tuple[Any, ...]]:
    """(account id, box of ``review``, person-minutes) of every account with hours among the
    participations ``qs``: one scan of the participations, summed by the database, whose
    rows the hours per box and the accounts with the most hours are both summed from.
    ``by_person``: (account id, box, participant's user id, person-minutes), so the hours
    per person come from the same scan.

    Accounts without a placement in ``review``, or with an empty box, count as
    ``UNPLACED``; with no review every account is unplaced."""
    if review is not None:
        # a LEFT JOIN on the review's placement of each activity's account (hash-joined by
        # the database, not a subquery per participation); no placement or an empty box:
        # unplaced
        qs = qs.annotate(
            placement=FilteredRelation(
                "activity__account__placements",
                condition=Q(activity__account__placements__review=review),
            )
        )
        box: Any = Coalesce(NullIf("placement__box", Value("")), Value(UNPLACED))
    else:
        box = Value(UNPLACED, output_field=CharField())
    keys = (
        ("activity__account_id", "box", "user_id") if by_person else ("activity__account_id", "box")
    )
    return [
        (*r[:-1], int(r[-1] or 0))
        for r in qs.annotate(box=box)
        .values(*keys)
        .annotate(minutes=Sum("activity__duration_minutes"))
        .order_by()
        .values_list(*keys, "minutes")
    ]


def minutes_by_account_and_person(*, start: dt.date, end: dt.date) -> list[tuple[int, int, int]]:
    """(account id, user id, person-minutes) of every account and participant with hours
    from ``start`` to ``end``, whoever may read them: what ``kam.activities.hours_store``
    stores, summed by the same query as the actual-time page's. One query."""
    qs = ActivityParticipant.objects.filter(activity__date__gte=start, activity__date__lte=end)
    return [
        (account, person, minutes)
        for account, _box, person, minutes in _minutes_by_account(qs, review=None, by_person=True)
    ]


def _by_box(rows: list[tuple[int, str, int]]) -> list[HoursRow]:
    sums: dict[str, int] = {}
    for _account, box, minutes in rows:
        sums[box] = sums.get(box, 0) + minutes
    return [HoursRow(key=b, label=box_label(b), minutes=sums.get(b, 0)) for b in BOX_ORDER]


def actual_hours_by_box(
    *, start: dt.date, end: dt.date, user: User, review: Review | None
) -> list[HoursRow]:
    """Person-hours per box of ``review`` (its Placement rows), in box order, unplaced last.

    Accounts without a placement in ``review``, or with an empty box, count as
    ``UNPLACED``; with no review every hour is unplaced. Every box appears, with 0 minutes
    when no hours went there. One query, whatever the number of accounts and activities.
    """
    qs = _participations(user=user, start=start, end=end)
    return _by_box(_minutes_by_account(qs, review=review))


def shares(rows: list[HoursRow]) -> dict[Any, float]:
    """Each row's share (0-1) of the rows' total minutes; all 0 when the total is 0."""
    total = sum(r.minutes for r in rows)
    return {r.key: (r.minutes / total if total else 0.0) for r in rows}


def actual_share_by_box(
    *, start: dt.date, end: dt.date, user: User, review: Review | None
) -> dict[str, float]:
    """Box → share (0-1) of the visible person-hours in the period: the input of
    ``variance_sentences``. One query."""
    return shares(actual_hours_by_box(start=start, end=end, user=user, review=review))


@dataclass(frozen=True)
class AccountHours:
    """The accounts with the most hours, and the rest summed (for the actual-time page)."""

    top: list[HoursRow]
    rest_accounts: int
    rest_minutes: int
    total_minutes: int

    @property
    def rest_hours(self) -> float:
        return self.rest_minutes / 60


def _top_accounts(rows: list[tuple[int, str, int]], *, limit: int) -> AccountHours:
    total = sum(minutes for _a, _b, minutes in rows)
    per_account: dict[int, int] = {}
    for account, _box, minutes in rows:
        per_account[account] = per_account.get(account, 0) + minutes
    ranked = sorted(per_account.values(), reverse=True)
    top: list[HoursRow] = []
    if ranked and limit > 0:
        # the accounts at or above the limit-th most minutes (ties included), named in one
        # query; ties are ordered by name as the list of every account orders them
        floor = ranked[min(limit, len(ranked)) - 1]
        wanted = [a for a, m in per_account.items() if m >= floor]
        names = Account.objects.filter(pk__in=wanted).values_list("pk", "name", "external_id")
        top = sorted(
            (
                HoursRow(key=pk, label=name, minutes=per_account[pk], detail=external_id)
                for pk, name, external_id in names
            ),
            key=lambda r: (-r.minutes, r.label, r.key),
        )[:limit]
    return AccountHours(
        top=top,
        rest_accounts=len(per_account) - len(top),
        rest_minutes=total - sum(r.minutes for r in top),
        total_minutes=total,
    )


def actual_hours_top_accounts(
    *, start: dt.date, end: dt.date, user: User, limit: int = 50
) -> AccountHours:
    """The ``limit`` accounts with the most person-hours and the others summed (two
    queries: the minutes of every account summed by the database, and the names of the
    top ones)."""
    rows = _minutes_by_account(_participations(user=user, start=start, end=end), review=None)
    return _top_accounts(rows, limit=limit)


def actual_time_overview(
    *, start: dt.date, end: dt.date, user: User, review: Review | None, limit: int = 50
) -> tuple[list[HoursRow], AccountHours, list[HoursRow]]:
    """``actual_hours_by_box``, ``actual_hours_top_accounts`` and ``actual_hours_by_person``
    of the same period, summed from one scan of the participations (the actual-time page
    shows all three; at 10,000 accounts a scan reads some 150,000 activities of a year).

    For a reader of every account and the default period (the twelve months up to today)
    the sums per account and per person are read from the store instead
    (``kam.activities.hours_store``) when it holds today's and no activity changed since:
    the same figures, some 10,000 rows read instead of 200,000 participations summed. A
    fixed number of queries either way."""
    visible = account_list_visible(user=user)
    stored = None
    if not visible.query.has_filters():
        stored = _stored_minutes(start=start, end=end, review=review)
    if stored is not None:
        per_account, per_person = stored
    else:
        qs = _participations(user=user, start=start, end=end)
        rows = _minutes_by_account(qs, review=review, by_person=True)
        per_account = [(account, box, minutes) for account, box, _person, minutes in rows]
        per_person = {}
        for _account, _box, person, minutes in rows:
            per_person[person] = per_person.get(person, 0) + minutes
    return _by_box(per_account), _top_accounts(per_account, limit=limit), _by_person(per_person)


def _stored_minutes(
    *, start: dt.date, end: dt.date, review: Review | None
) -> tuple[list[tuple[int, str, int]], dict[int, int]] | None:
    """The stored (account id, box of ``review``, person-minutes) of every account with
    hours and the person-minutes per person of the period, or None when the store cannot
    give them: another period than the twelve months up to today, nothing stored for
    today, or an activity changed since it was stored (a ``HoursDirty`` mark). Two queries
    (one when nothing usable is stored)."""
    today = timezone.localdate()
    if end != today or start != period_start_default(today):
        return None
    snapshot = (
        HoursSnapshot.objects.filter(as_of=today, start=start)
        .filter(~Exists(HoursDirty.objects.all()))
        .values_list("pk", flat=True)
        .first()
    )
    if snapshot is None:
        return None
    qs = HoursStored.objects.filter(snapshot_id=snapshot)
    if review is not None:
        qs = qs.annotate(
            placement=FilteredRelation(
                "account__placements", condition=Q(account__placements__review=review)
            )
        )
        box: Any = Coalesce(NullIf("placement__box", Value("")), Value(UNPLACED))
    else:
        box = Value(UNPLACED, output_field=CharField())
    per_account: list[tuple[int, str, int]] = []
    per_person: dict[int, int] = {}
    for account, user, minutes, in_box in (
        qs.annotate(box=box).order_by().values_list("account_id", "user_id", "minutes", "box")
    ):
        if account is not None:
            per_account.append((account, in_box, minutes))
        else:
            per_person[user] = minutes
    return per_account, per_person


def _by_person(minutes: Mapping[int, int]) -> list[HoursRow]:
    """Person-minutes per person as rows, most first and then by username (as
    ``actual_hours_by_person``); the names in one query."""
    people = (
        get_user_model()
        .objects.filter(pk__in=list(minutes))
        .values_list("pk", "first_name", "last_name", "username")
    )
    return sorted(
        (
            HoursRow(
                key=pk,
                label=f"{first} {last}".strip() or username,
                minutes=minutes[pk],
                detail=username,
            )
            for pk, first, last, username in people
        ),
        key=lambda r: (-r.minutes, r.detail),
    )


def variance_sentences(
    actual_share_by_box: Mapping[str, float],
    planned_share_by_box: Mapping[str, float],
    *,
    threshold: float = VARIANCE_THRESHOLD,
) -> list[str]:
    """Sentences for the boxes whose actual share of hours differs from the plan's.

    Both arguments map a box (``Box`` value or ``UNPLACED``) to a share of hours, 0-1; a
    box missing from one side counts as 0 there. A box is reported when the two shares
    differ by more than ``threshold`` (default 5 percentage points), largest difference
    first, for example "31 % of hours went to opportunistic accounts; the plan gives them
    10 %." (docs/method.md section 2). Percentages are rounded to whole points.
    """
    rows = []
    boxes = dict.fromkeys([*BOX_ORDER, *sorted({*actual_share_by_box, *planned_share_by_box})])
    for box in boxes:
        actual = float(actual_share_by_box.get(box, 0.0))
        planned = float(planned_share_by_box.get(box, 0.0))
        if abs(actual - planned) > threshold:
            rows.append((box, actual, planned))
    rows.sort(key=lambda r: -abs(r[1] - r[2]))
    return [
        _("%(actual)d %% of hours went to %(accounts)s; the plan gives them %(planned)d %%.")
        % {
            "actual": round(actual * 100),
            "accounts": _BOX_ACCOUNTS.get(box, box),
            "planned": round(planned * 100),
        }
        for box, actual, planned in rows
    ]


def activity_filter_accounts(*, user: User) -> QuerySet[Account]:
    """The visible accounts that have at least one activity, by name (for the list filter)."""
    return (
        account_list_visible(user=user)
        .filter(Q(pk__in=Activity.objects.values("account_id")))
        .order_by("name")
        .only("pk", "name", "external_id")
    )


# --- the customer's people on an activity ----------------------------------------------------


def contact_candidates(*, account_id: int) -> list[Any]:
    """The account's contacts an activity can name (not erased), by name."""
    from kam.relationships.models import Contact

    return list(
        Contact.objects.filter(account_id=account_id, erased_at=None).order_by("name", "number")
    )


def contact_search(*, user: User, account_id: int, query: str = "", limit: int = 20) -> list[Any]:
    """The contacts of a readable account whose name, title or e-mail holds ``query``.

    The comparison ignores case and accents (``kam.core.contact_match.name_key``); an
    account the user cannot read gives no contacts.
    """
    from kam.core.contact_match import name_key

    if not account_list_visible(user=user).filter(pk=account_id).exists():
        return []
    wanted = name_key(query)
    out = [
        c
        for c in contact_candidates(account_id=account_id)
        if not wanted or wanted in name_key(f"{c.name} {c.title} {c.email}")
    ]
    return out[:limit]


def contact_list_picked(*, account_id: int, contact_ids: Iterable[int]) -> list[Any]:
    """The contacts among ``contact_ids`` that are the account's (erased ones included)."""
    from kam.relationships.models import Contact

    return list(Contact.objects.filter(pk__in=list(contact_ids), account_id=account_id))


def contact_list_of_accounts(*, account_ids: Iterable[int]) -> list[Any]:
    """The kept contacts of these accounts, by name."""
    from kam.relationships.models import Contact

    return list(
        Contact.objects.filter(account_id__in=list(account_ids), erased_at=None).order_by("name")
    )


def person_hours_of(*, activities: QuerySet[Activity]) -> float:
    """Person-hours of ``activities``: each activity's duration times its participants."""
    minutes = ActivityParticipant.objects.filter(
        activity__in=activities.order_by().values("pk")
    ).aggregate(minutes=Sum("activity__duration_minutes"))["minutes"]
    return (minutes or 0) / 60


def review_for_hours(*, review_id: int | None) -> Review | None:
    """The review whose boxes hours are shown by: ``review_id``, or the portfolio review
    (the latest closed one) when None; 404 for an unknown ``review_id``."""
    if review_id is None:
        return portfolio_review()
    review = Review.objects.filter(pk=review_id).first()
    if review is None:
        raise ApplicationError(_("There is no such review."), field="review_id", status=404)
    return review


def meetings_of_accounts(
    *, accounts: QuerySet[Account], start: dt.date, end: dt.date
) -> list[MeetingRow]:
    """The meetings (activities other than e-mails) of ``accounts`` dated ``start`` to
    ``end``, with the users and contacts who took part: what the relationship analysis
    reads (``kam.relationships.sources``). Three queries."""
    acts = Activity.objects.filter(
        account_id__in=accounts.values("pk"), date__gte=start, date__lte=end
    ).exclude(type=ActivityType.EMAIL)
    rows = list(acts.values_list("pk", "account_id", "date"))
    ours: dict[int, set[int]] = defaultdict(set)
    for activity_id, user_id in ActivityParticipant.objects.filter(activity__in=acts).values_list(
        "activity_id", "user_id"
    ):
        ours[activity_id].add(user_id)
    theirs: dict[int, set[int]] = defaultdict(set)
    for activity_id, contact_id in Activity.contacts.through.objects.filter(
        activity__in=acts
    ).values_list("activity_id", "contact_id"):
        theirs[activity_id].add(contact_id)
    return [
        MeetingRow(
            activity_id=pk,
            account_id=account_id,
            day=day,
            users=frozenset(ours.get(pk, set())),
            contacts=frozenset(theirs.get(pk, set())),
        )
        for pk, account_id, day in rows
    ]
