"""Alerts on the accounts that matter most, and the accounts that moved box (docs/start.md).

An alert is raised on a **key or key development account** (its box in the portfolio
review, kam.portfolio.selectors.portfolio_review) when

- it **dropped a box**: in the closed review before the portfolio review it was key or key
  development and now sits in a box further down the matrix's order (key, key development,
  maintenance, opportunistic); a key development account becoming key is no drop;
- it **lost its champion**: the relationship map has a ``champion_left`` finding (a contact
  recorded as champion who left within the last 365 days; kam.core.relationships.findings),
  read from the findings store (``relationships.FindingRecord``);
- its **contribution fell**: the contribution of the latest twelve months (revenue − cost of
  goods − cost to serve, the figure of the account's economics page, kam.economics.pnl)
  is below that of the twelve months before; both periods must be complete.

Kept apart from any page so that the start page and the alerts page raise the same alerts
from the same definitions; in kam/pages, above the apps it reads (the boxes, the findings
store, the stored P&L; docs/architecture.md, "The order of the packages"). What a box move
is, and what ``ReviewMove`` stores, is ``kam.portfolio.selectors.box_moves_compute``.
Everything here costs a fixed number of queries (and one DuckDB query for the
contributions), whatever the number of accounts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet

from kam.accounts.models import Account
from kam.core.relationships.vocabulary import FindingKind
from kam.organisation.models import Box
from kam.portfolio.models import Placement, Review, ReviewMove
from kam.portfolio.selectors import portfolio_review, review_previous

WATCHED_BOXES = (Box.KEY.value, Box.KEY_DEVELOPMENT.value)
BOX_RANK = {b: i for i, b in enumerate(Box.values)}


class AlertKind:
    """The three kinds of alert (values stored nowhere; used in pages and tests)."""

    BOX_DROP = "box_drop"
    CHAMPION_LOST = "champion_lost"
    CONTRIBUTION_FALL = "contribution_fall"


@dataclass(frozen=True)
class BoxMove:
    """An account whose box differs between the closed review before and the portfolio one."""

    account: Account
    before: str
    after: str

    @property
    def is_drop(self) -> bool:
        """Further down the matrix's order (key, key development, maintenance, opportunistic)."""
        return BOX_RANK.get(self.after, 99) > BOX_RANK.get(self.before, 99)


@dataclass(frozen=True)
class Alert:
    """One alert on one account; the fields a kind does not use stay empty."""

    kind: str
    account: Account
    box: str
    previous_box: str = ""
    contact_name: str = ""
    contribution: float | None = None
    previous_contribution: float | None = None
    currency: str = ""


@dataclass(frozen=True)
class ReviewPair:
    """The portfolio review and the closed review before it (either may be missing)."""

    latest: Review | None
    previous: Review | None


def review_pair() -> ReviewPair:
    """The last two closed reviews: the portfolio one and the one it replaced."""
    latest = portfolio_review()
    previous = review_previous(review=latest) if latest is not None else None
    return ReviewPair(latest, previous)


def _moves_stored(pair: ReviewPair) -> bool:
    """True when the moves stored for the portfolio review compare with its review before."""
    latest, previous = pair.latest, pair.previous
    return (
        latest is not None
        and previous is not None
        and latest.moves_stored_at is not None
        and latest.moves_previous_id == previous.pk
    )


def _moves_computed(accounts: QuerySet[Account], pair: ReviewPair) -> list[BoxMove]:
    """The moves computed from the placements (a review closed without storing them)."""
    assert pair.latest is not None and pair.previous is not None
    ids = accounts.values("pk")
    before = dict(
        Placement.objects.filter(review=pair.previous, account_id__in=ids)
        .exclude(box="")
        .values_list("account_id", "box")
    )
    moves = []
    for placement in (
        Placement.objects.filter(review=pair.latest, account_id__in=ids)
        .exclude(box="")
        .select_related("account")
        .order_by("account__name", "account_id")
    ):
        old = before.get(placement.account_id)
        if old and old != placement.box:
            moves.append(BoxMove(placement.account, old, placement.box))
    return moves


#: (before, after) of every drop of a watched box: key or key development to a lower box.
DROPS = [(b, a) for b in WATCHED_BOXES for a in Box.values if BOX_RANK[a] > BOX_RANK[b]]


@dataclass(frozen=True)
class Moves:
    """The box moves of some accounts between the last two closed reviews: how many, the
    first ones by account name, and every drop of a watched box (for the alerts)."""

    count: int
    listed: list[BoxMove]
    drops: list[BoxMove]


def box_moves_summary(
    *, accounts: QuerySet[Account], pair: ReviewPair | None = None, listed: int = 12
) -> Moves:
    """``Moves`` of ``accounts``: three queries on the moves stored at close, whatever the
    number of accounts and moves (the drops excepted, which are all listed)."""
    pair = pair if pair is not None else review_pair()
    if pair.latest is None or pair.previous is None:
        return Moves(0, [], [])
    if not _moves_stored(pair):
        moves = _moves_computed(accounts, pair)
        return Moves(len(moves), moves[:listed], [m for m in moves if (m.before, m.after) in DROPS])
    rows = ReviewMove.objects.filter(review=pair.latest, account_id__in=accounts.values("pk"))
    # the account fields the pages show of a move (its name and link), as the alerts read
    ordered = (
        rows.select_related("account")
        .only("before", "after", *ALERT_ACCOUNT_FIELDS)
        .order_by("account__name", "account_id")
    )
    drop = Q()
    for b, a in DROPS:
        drop |= Q(before=b, after=a)
    return Moves(
        rows.count(),
        [BoxMove(r.account, r.before, r.after) for r in ordered[:listed]],
        [BoxMove(r.account, r.before, r.after) for r in ordered.filter(drop)],
    )


def box_moves(*, accounts: QuerySet[Account], pair: ReviewPair | None = None) -> list[BoxMove]:
    """The accounts of ``accounts`` placed in both of the last two closed reviews whose box
    changed, by account name: read from the moves stored at close (one query), computed
    from the placements for a review closed without storing them (two queries)."""
    pair = pair if pair is not None else review_pair()
    if pair.latest is None or pair.previous is None:
        return []
    if not _moves_stored(pair):
        return _moves_computed(accounts, pair)
    return [
        BoxMove(r.account, r.before, r.after)
        for r in ReviewMove.objects.filter(review=pair.latest, account_id__in=accounts.values("pk"))
        .select_related("account")
        .order_by("account__name", "account_id")
    ]


def box_drop_alerts(moves: Iterable[BoxMove]) -> list[Alert]:
    """A drop of a key or key development account (in the earlier review) to a lower box."""
    return [
        Alert(AlertKind.BOX_DROP, m.account, m.after, previous_box=m.before)
        for m in moves
        if m.before in WATCHED_BOXES and m.is_drop
    ]


def champion_alerts(
    *,
    accounts: Sequence[Account],
    boxes: dict[int, str],
    account_query: QuerySet[Account] | None = None,
) -> list[Alert]:
    """Champions lost on key and key development accounts: the open ``champion_left``
    findings of the findings store (``relationships.FindingRecord``, kept equal to the
    computed findings); two queries whatever the number of accounts. ``account_query``,
    the query ``accounts`` were read from, is sent instead of their ids."""
    from kam.relationships.models import Contact, FindingRecord

    watched = {a.pk: a for a in accounts if boxes.get(a.pk) in WATCHED_BOXES}
    if not watched:
        return []
    ids: Any = list(watched) if account_query is None else account_query.values("pk")
    records = [
        r
        for r in FindingRecord.objects.filter(
            resolved_on__isnull=True, kind=FindingKind.CHAMPION_LEFT, account_id__in=ids
        )
        .only("account_id", "subject")
        .order_by("account_id", "subject")
        if r.account_id in watched
    ]
    contact_ids = [int(r.subject[1:]) for r in records if r.subject[1:].isdigit()]
    names = {
        c.pk: c.display_name
        for c in Contact.objects.filter(pk__in=contact_ids).only(
            "pk", "name", "number", "erased_at"
        )
    }
    return [
        Alert(
            AlertKind.CHAMPION_LOST,
            watched[r.account_id],
            boxes[r.account_id],
            contact_name=names.get(int(r.subject[1:]), "") if r.subject[1:].isdigit() else "",
        )
        for r in records
    ]


def contribution_alerts(
    *,
    accounts: Sequence[Account],
    boxes: dict[int, str],
    as_of: dt.date,
    account_query: QuerySet[Account] | None = None,
) -> list[Alert]:
    """Key and key development accounts whose latest twelve months' contribution is below
    the twelve months before (both complete), in the organisation's base currency. The two
    periods' figures are read from the stored P&L without building a ledger per account
    (``ledgers_recent_read``, the figures of ``ledgers_read``); ``account_query``, the
    query ``accounts`` were read from, is sent instead of their ids."""
    from kam.economics.ledger_store import ledgers_recent_read
    from kam.organisation.selectors import organisation_get

    watched = [a for a in accounts if boxes.get(a.pk) in WATCHED_BOXES]
    if not watched:
        return []
    currency = organisation_get().base_currency
    ids = [a.pk for a in watched]
    recent = ledgers_recent_read(
        account_query=account_query
        if account_query is not None
        else Account.objects.filter(pk__in=ids),
        account_ids=ids,
        as_of=as_of,
        last=2,
    )
    if len(recent.periods) < 2:
        return []
    if not (recent.periods[-1].complete and recent.periods[-2].complete):
        return []
    out = []
    for account in watched:
        figures = recent.figures.get(account.pk)
        if figures is None or len(figures) < 2:
            continue
        latest, before = figures[-1], figures[-2]
        if latest.contribution < before.contribution:
            out.append(
                Alert(
                    AlertKind.CONTRIBUTION_FALL,
                    account,
                    boxes[account.pk],
                    contribution=latest.to_base(latest.contribution),
                    previous_contribution=before.to_base(before.contribution),
                    currency=currency,
                )
            )
    return out


def alerts_for(
    *,
    accounts: Sequence[Account],
    boxes: dict[int, str],
    moves: Iterable[BoxMove],
    as_of: dt.date,
    account_query: QuerySet[Account] | None = None,
) -> list[Alert]:
    """Every alert: box drops of ``moves`` (the moves of the accounts one reads,
    ``box_moves_summary``), lost champions and falling contributions of the key and key
    development accounts among ``accounts`` (by ``boxes``), in ``alert_order``.
    ``account_query``: the query ``accounts`` were read from (sent instead of their ids)."""
    alerts = [
        *box_drop_alerts(moves),
        *champion_alerts(accounts=accounts, boxes=boxes, account_query=account_query),
        *contribution_alerts(
            accounts=accounts, boxes=boxes, as_of=as_of, account_query=account_query
        ),
    ]
    alerts.sort(key=alert_order)
    return alerts


def alert_order(alert: Alert) -> tuple[int, str, int]:
    """The order alerts are read in, the most important first: every box drop, then the
    key accounts' alerts, then the key development accounts'; within each by account name,
    then kind (box drop, lost champion, falling contribution)."""
    return (
        BOX_RANK.get(alert.box, 9) if alert.kind != AlertKind.BOX_DROP else -1,
        alert.account.name,
        ALERT_KINDS.index(alert.kind),
    )


#: The kinds in the order they are listed for one account.
ALERT_KINDS = (AlertKind.BOX_DROP, AlertKind.CHAMPION_LOST, AlertKind.CONTRIBUTION_FALL)
#: The account fields an alert shows and the contribution alerts read.
ALERT_ACCOUNT_FIELDS = (
    "account__id",
    "account__name",
    "account__external_id",
    "account__currency",
)


def alerts_of(
    *,
    accounts: QuerySet[Account],
    as_of: dt.date,
    pair: ReviewPair | None = None,
    drops: Iterable[BoxMove] | None = None,
) -> list[Alert]:
    """Every alert on ``accounts`` (a queryset: the accounts a person reads), in
    ``alert_order``: the one list the start page counts and shows the first of, and the
    alerts page pages through. The key and key development accounts are those of the
    portfolio review (``pair.latest``); ``drops``, when the caller has read them already
    (``box_moves_summary(...).drops`` of the same accounts and pair), saves reading them
    again. A fixed number of queries whatever the number of accounts."""
    pair = pair if pair is not None else review_pair()
    if pair.latest is None:
        return []
    placed = Placement.objects.filter(
        review=pair.latest, account__in=accounts, box__in=WATCHED_BOXES
    )
    # the accounts with their box, one instance each (no placement built per account)
    watched = list(
        Account.objects.filter(
            pk__in=accounts.values("pk"),
            placements__review=pair.latest,
            placements__box__in=WATCHED_BOXES,
        )
        .annotate(watched_box=F("placements__box"))
        .only(*(f.removeprefix("account__") for f in ALERT_ACCOUNT_FIELDS))
        .order_by("name", "pk")
    )
    if drops is None:
        drops = box_moves_summary(accounts=accounts, pair=pair, listed=0).drops
    return alerts_for(
        accounts=watched,
        boxes={a.pk: a.watched_box for a in watched},
        moves=drops,
        as_of=as_of,
        # the watched accounts as a subquery: no list of thousands of ids to send
        account_query=Account.objects.filter(pk__in=placed.values("account_id")),
    )
