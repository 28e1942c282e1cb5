"""Reads of the relationship pages, always through the caller's visible accounts.

The Django rows are turned into ``kam.core.relationships`` inputs here (one ``AccountMap``
per account) and the pure functions do the method's work (docs/method.md sections 3 and 4):
``derive_links`` for the contact matrix, ``findings``, ``infer_stage`` and
``positioning_warnings``. Loading is batched: the maps of one account or of the whole
visible portfolio cost the same fixed number of queries.

Keys: our people are ``u<user id>``, the customer's ``c<contact id>``.

Choices made here (docs/relationships.md):

- the team is the key account manager, the core and the surround team, plus anybody of
  ours who took part in the account's activities (they are linked to its people, so their
  links count); a member is senior when they are a sales director or administrator or work
  in management;
- meetings are the account's activities (any type but e-mail) with their participants and
  the contacts attached; the matrix window is the 365 days up to today;
- business: revenue above zero in any of the last three calendar years; regular business:
  in at least two of them;
- the previous stage (for "disintegrating") is the stage stored for the account (chosen,
  else the last inferred one).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account, AccountRevenue, AccountTeamMember, TeamRole
from kam.accounts.selectors import (
    account_get_visible,
    account_list_visible,
)
from kam.core import relationships as core
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.organisation.selectors import box_policy_rows_get, organisation_get
from kam.portfolio.selectors import boxes_of
from kam.relationships.models import (
    AccountRelationship,
    CalendarImport,
    Contact,
    ContactFunction,
    ContactLink,
    ErasureRecord,
    FindingRecord,
)
from kam.relationships.sources import meetings_read, plan_markers_read
from kam.users.selectors import user_may_manage_portfolio

WINDOW_DAYS = core.DEFAULT_WINDOW_DAYS
#: How far back activities are read: the matrix window plus the half-year before it, so
#: that "falling contact" and last meetings before the window are known.
LOOKBACK_DAYS = 2 * 365
BOX_ORDER = {b: i for i, b in enumerate([*Box.values, ""])}


def ukey(pk: int) -> str:
    return f"u{pk}"


def ckey(pk: int) -> str:
    return f"c{pk}"


def person_name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


@dataclass
class Member:
    """One of our people around an account, as the pages show them."""

    user: Any
    role: str  # core.TeamRole value
    function: str  # kam.users Function value
    planned_hours: int
    on_team: bool
    senior: bool

    @property
    def key(self) -> str:
        return ukey(self.user.pk)

    @property
    def name(self) -> str:
        return person_name(self.user)


@dataclass
class AccountData:
    """Everything kam holds on one account's relationships, loaded in bulk."""

    account: Account
    box: str = ""
    cadence_months: int = 12
    expected_functions: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    meetings: list[core.Meeting] = field(default_factory=list)
    manual: list[ContactLink] = field(default_factory=list)
    revenue_years: set[int] = field(default_factory=set)
    relationship: AccountRelationship | None = None
    #: the current period's plan is open to the customer (a share link that still works)
    plan_shared: bool = False
    #: projects of the current period's plan shared with the customer
    plan_projects: int = 0
    as_of: dt.date = field(default_factory=timezone.localdate)
    activity_count: int = 0

    # filled by ``analyse``
    account_map: core.AccountMap | None = None
    links: list[core.Link] = field(default_factory=list)
    findings: list[core.Finding] = field(default_factory=list)
    stage: core.StageInference | None = None
    warnings: list[core.Message] = field(default_factory=list)

    def contact(self, key: str) -> Contact | None:
        return self._contacts.get(key) if hasattr(self, "_contacts") else None


def _senior(user: Any, function: str) -> bool:
    return user_may_manage_portfolio(user=user) or function == "management"


def _function_of(user: Any) -> str:
    profile = getattr(user, "profile", None)
    return profile.function if profile is not None else "other"


def load(accounts: QuerySet[Account], *, as_of: dt.date | None = None) -> list[AccountData]:
    """The relationship data of ``accounts`` (a queryset), in a fixed number of queries."""
    as_of = as_of or timezone.localdate()
    rows = list(accounts.select_related("owner", "owner__profile").order_by("name", "pk"))
    data = {a.pk: AccountData(account=a, as_of=as_of) for a in rows}
    if not data:
        return []
    ids = accounts.values("pk")
    for account_id, box in boxes_of(account_ids=data).items():
        data[account_id].box = box
    policies = {p.box: p for p in box_policy_rows_get(organisation=organisation_get())}
    for d in data.values():
        policy = policies.get(d.box)
        if policy is not None:
            d.cadence_months = policy.review_cadence_months
            d.expected_functions = list(policy.expected_functions or [])
    for c in (
        Contact.objects.filter(account_id__in=ids)
        .select_related("owner")
        .order_by("account_id", "number")
    ):
        data[c.account_id].contacts.append(c)
    members: dict[int, dict[int, Member]] = defaultdict(dict)
    for d in data.values():
        owner = d.account.owner
        if owner is not None:
            members[d.account.pk][owner.pk] = Member(
                owner,
                core.TeamRole.KEY_ACCOUNT_MANAGER,
                _function_of(owner),
                d.account.owner_planned_hours,
                True,
                _senior(owner, _function_of(owner)),
            )
    for m in AccountTeamMember.objects.filter(account_id__in=ids).select_related(
        "user", "user__profile"
    ):
        if m.user_id in members[m.account_id]:
            continue
        function = m.function or _function_of(m.user)
        members[m.account_id][m.user_id] = Member(
            m.user,
            core.TeamRole.CORE if m.team_role == TeamRole.CORE else core.TeamRole.SURROUND,
            function,
            m.planned_hours,
            True,
            _senior(m.user, function),
        )
    start = as_of - dt.timedelta(days=LOOKBACK_DAYS)
    meetings = meetings_read(accounts=accounts, start=start, end=as_of)
    outsiders: set[int] = set()
    for meeting in meetings:
        d = data[meeting.account_id]
        d.activity_count += 1
        for user_id in meeting.users:
            if user_id not in members[meeting.account_id]:
                outsiders.add(user_id)
        d.meetings.append(
            core.Meeting(
                day=meeting.day,
                ours=frozenset(ukey(u) for u in meeting.users),
                theirs=frozenset(ckey(c) for c in meeting.contacts),
            )
        )
    for link in ContactLink.objects.filter(contact__account_id__in=ids).select_related("contact"):
        data[link.contact.account_id].manual.append(link)
        if link.user_id not in members[link.contact.account_id]:
            outsiders.add(link.user_id)
    if outsiders:
        from django.contrib.auth import get_user_model

        users = {
            u.pk: u
            for u in get_user_model().objects.filter(pk__in=outsiders).select_related("profile")
        }
        pairs = [
            (meeting.account_id, user_id) for meeting in meetings for user_id in meeting.users
        ] + [(d.account.pk, m.user_id) for d in data.values() for m in d.manual]
        for account_id, user_id in pairs:
            if user_id not in members[account_id] and user_id in users:
                u = users[user_id]
                members[account_id][user_id] = Member(
                    u,
                    core.TeamRole.SURROUND,
                    _function_of(u),
                    0,
                    False,
                    _senior(u, _function_of(u)),
                )
    for account_id, by_user in members.items():
        order = {
            core.TeamRole.KEY_ACCOUNT_MANAGER: 0,
            core.TeamRole.CORE: 1,
            core.TeamRole.SURROUND: 2,
        }
        data[account_id].members = sorted(
            by_user.values(), key=lambda m: (not m.on_team, order[m.role], m.name)
        )
    last_year = as_of.year - 1
    for account_id, year in AccountRevenue.objects.filter(
        account_id__in=ids, year__gte=last_year - 2, year__lte=last_year, amount__gt=0
    ).values_list("account_id", "year"):
        data[account_id].revenue_years.add(year)
    for rel in AccountRelationship.objects.filter(account_id__in=ids):
        data[rel.account_id].relationship = rel
    markers = plan_markers_read(accounts=accounts, as_of=as_of)
    for account_id in markers.shared:
        data[account_id].plan_shared = True
    for account_id, n in markers.projects.items():
        data[account_id].plan_projects = n
    out = [data[a.pk] for a in rows]
    for d in out:
        analyse(d)
    return out


def _core_contact(c: Contact) -> core.Contact:
    label = (
        str(ContactFunction(c.function).label)
        if c.function in ContactFunction.values
        else c.function
    )
    return core.Contact(
        key=ckey(c.pk),
        name=c.display_name,
        function=label,
        seniority=int(c.seniority),
        reports_to=ckey(c.reports_to_id) if c.reports_to_id else None,
        buying_roles=frozenset(core.BuyingRole(r) for r in c.buying_roles or []),
        influence=int(c.influence),
        attitude=core.Attitude(c.attitude),
        left=bool(c.has_left or c.erased_at),
        left_on=c.left_on,
    )


def analyse(d: AccountData) -> AccountData:
    """Build the account's ``AccountMap`` and run the method's functions on it."""
    as_of = d.as_of
    manual = [
        core.Link(
            ours=ukey(m.user_id),
            theirs=ckey(m.contact_id),
            strength=core.Strength(m.strength),
            meetings_per_year=float(m.meetings_per_year),
            last_met=m.last_met,
            derived=False,
        )
        for m in d.manual
    ]
    d.links = core.derive_links(d.meetings, as_of=as_of, window_days=WINDOW_DAYS, manual=manual)
    last_half, previous_half = core.half_year_counts((m.day for m in d.meetings), as_of=as_of)
    rel = d.relationship
    previous = core.Stage(rel.stage) if rel is not None and rel.stage else None
    d._contacts = {ckey(c.pk): c for c in d.contacts}  # type: ignore[attr-defined]
    d.account_map = core.AccountMap(
        as_of=as_of,
        box=d.box,
        review_cadence_months=d.cadence_months,
        contacts=[_core_contact(c) for c in d.contacts],
        team=[
            core.TeamMember(
                key=m.key,
                name=m.name,
                function=m.function,
                role=core.TeamRole(m.role),
                senior=m.senior,
            )
            for m in d.members
        ],
        links=d.links,
        expected_functions=frozenset(d.expected_functions),
        has_business=bool(d.revenue_years),
        regular_business=len(d.revenue_years) >= 2,
        # recorded by hand (plans kept outside kam) or found in kam's plans
        has_joint_plan=bool(rel and rel.joint_plan) or d.plan_shared,
        joint_projects=max(int(rel.joint_projects) if rel else 0, d.plan_projects),
        shared_systems=bool(rel and rel.shared_systems),
        meetings_last_half=last_half,
        meetings_previous_half=previous_half,
        previous_stage=previous,
    )
    d.findings = core.findings(d.account_map)
    d.stage = core.infer_stage(d.account_map)
    view = rel.customer_view if rel is not None and rel.customer_view else None
    d.warnings = core.positioning_warnings(
        box=d.box, customer_view=core.CustomerView(view) if view else None
    )
    return d


def account_data(*, user: User, account_id: int, as_of: dt.date | None = None) -> AccountData:
    """One visible account's relationship data (404 when hidden)."""
    account = account_get_visible(user=user, account_id=account_id)
    return load(Account.objects.filter(pk=account.pk), as_of=as_of)[0]


def contact_list_visible(*, user: User) -> QuerySet[Contact]:
    """The contacts of the accounts ``user`` may read."""
    return Contact.objects.filter(account__in=account_list_visible(user=user).values("pk"))


def contact_get_visible(*, user: User, contact_id: int) -> Contact:
    """One contact of a visible account; 404 otherwise (hidden and missing answer alike)."""
    contact = (
        contact_list_visible(user=user)
        .select_related("account", "owner", "reports_to")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise ApplicationError(_("There is no such contact."), status=404)
    return contact


# --- the contact matrix as rows and columns ------------------------------------------------------


@dataclass
class MatrixCell:
    strength: str
    meetings_per_year: float
    last_met: dt.date | None
    derived: bool


def matrix(d: AccountData) -> dict[str, Any]:
    """Our people (rows) × their current people (columns) with the link in each cell."""
    cells = {(lk.ours, lk.theirs): lk for lk in d.links}
    contacts = [c for c in d.contacts if c.erased_at is None]
    contacts.sort(key=lambda c: (c.has_left, c.seniority, -c.influence, c.name))
    rows = []
    for m in d.members:
        row = []
        for c in contacts:
            lk = cells.get((m.key, ckey(c.pk)))
            row.append(lk)
        if m.on_team or any(row):
            rows.append({"member": m, "cells": row})
    last_met = core.contact_last_met(d.account_map) if d.account_map else {}
    return {
        "contacts": contacts,
        "rows": rows,
        "last_met": {c.pk: last_met.get(ckey(c.pk)) for c in contacts},
    }


# --- the portfolio's findings --------------------------------------------------------------------

#: The orders the findings page and API offer; each ends in the same tie-breakers (the
#: account, the kind in the method's order, the subject), so a page is always the same.
FINDING_SORTS = ("box", "severity", "account")


@dataclass
class FindingRow:
    """One open finding as the portfolio's lists show it (the findings page and API, the
    start page): the account, its box in the portfolio review, the stored finding."""

    account: Account
    box: str
    kind: str
    subject: str
    severity: int
    why: core.Message | None
    resolve: core.Message | None
    cost: int
    opened_at: dt.datetime | None = None


def _rank(field_name: str, order: dict[str, int], missing: int) -> Case:
    return Case(
        *[When(**{field_name: value}, then=Value(i)) for value, i in order.items()],
        default=Value(missing),
        output_field=IntegerField(),
    )


def findings_open(
    *, user: User, kind: str = "", box: str = "", sort: str = "box"
) -> QuerySet[FindingRecord]:
    """The open findings on the active accounts ``user`` may read, from the findings store
    (``FindingRecord``, kept equal to the computed findings by ``findings_refresh``), as
    one query: with the stored ``box`` (the box in the portfolio review, "" when not
    placed) and ``cost`` (``kam.core.finding_cost``), both
    kept equal to the portfolio review's by ``findings_boxes_store``, and the ranks it
    sorts by.

    ``kind`` and ``box`` filter ('none' for accounts not placed); ``sort`` is ``box`` (key
    accounts first, then severity, then account name), ``severity`` (most serious first,
    then box, then account name), ``account`` (name, then most serious first) or ``cost``
    (the start page's ranking, ``finding_cost.rank_key``; the index on the open findings'
    cost serves it). Ties: the account, the kind in the method's order, the subject.
    """
    from kam.relationships.models import FindingRecord

    scope = account_list_visible(user=user).filter(active=True)
    profile = getattr(user, "profile", None)
    if sort == "cost" and profile is not None and profile.sees_all_accounts:
        # the whole portfolio as a correlated EXISTS: SQLite walks the index on the open
        # findings' cost, most costly first, and stops at the LIMIT (no sort of them all)
        visible: Any = Exists(scope.filter(pk=OuterRef("account_id")))
    else:  # a person's own accounts: their findings along the index on the account
        visible = Q(account__in=scope.values("pk"))
    qs = FindingRecord.objects.filter(visible, resolved_on__isnull=True).annotate(
        box_rank=_rank("box", BOX_ORDER, len(BOX_ORDER)),
        kind_rank=_rank(
            "kind", {k.value: i for i, k in enumerate(core.FindingKind)}, len(core.FindingKind)
        ),
    )
    if kind:
        qs = qs.filter(kind=kind)
    if box:
        qs = qs.filter(box="" if box == "none" else box)
    ties = ["account__pk", "kind_rank", "subject"]
    if sort == "severity":
        order = ["-severity", "box_rank", "account__name", *ties]
    elif sort == "account":
        order = ["account__name", "-severity", *ties]
    elif sort == "cost":
        # finding_cost.rank_key: cost, box, severity, kind, then the account's name
        order = ["-cost", "box_rank", "-severity", "kind_rank", Lower("account__name"), *ties]
    else:
        order = ["box_rank", "-severity", "account__name", *ties]
    return qs.order_by(*order)


def why_from_json(data: dict[str, Any]) -> core.Message | None:
    """The stored ``why`` (or ``resolve``) as a ``Message`` (None for an empty one)."""
    if not data or "template" not in data:
        return None
    return core.Message(
        str(data["template"]), dict(data.get("params") or {}), frozenset(data.get("labels") or [])
    )


def finding_rows(records: Iterable[FindingRecord]) -> list[FindingRow]:
    """The records of ``findings_open`` (with their account loaded) as rows to show."""
    return [
        FindingRow(
            account=r.account,
            box=r.box,
            kind=r.kind,
            subject=r.subject,
            severity=r.severity,
            why=why_from_json(r.why),
            resolve=why_from_json(r.resolve),
            cost=r.cost,
            opened_at=r.opened_at,
        )
        for r in records
    ]


def findings_counts(records: QuerySet[FindingRecord]) -> dict[tuple[str, str], int]:
    """How many of ``records`` (a ``findings_open`` queryset) there are per (box, kind):
    one aggregate query."""
    grouped = records.order_by().values("box", "kind").annotate(n=Count("pk"))
    return {(g["box"], g["kind"]): g["n"] for g in grouped}


def findings_accounts(records: QuerySet[FindingRecord]) -> int:
    """On how many accounts ``records`` (a ``findings_open`` queryset) are: one query."""
    return records.order_by().aggregate(n=Count("account", distinct=True))["n"] or 0


def contact_get(*, contact_id: int, account: Account | None = None) -> Contact | None:
    """The contact ``contact_id`` (of ``account`` when given), or None."""
    contacts = Contact.objects.filter(pk=contact_id)
    if account is not None:
        contacts = contacts.filter(account=account)
    return contacts.first()


def contact_list(*, account: Account) -> QuerySet[Contact]:
    """All the account's contacts, erased ones included, by number, with their owner."""
    return Contact.objects.filter(account=account).select_related("owner").order_by("number")


def contact_list_kept(*, account: Account, exclude: Contact | None = None) -> QuerySet[Contact]:
    """The account's contacts that are not erased, by name, ``exclude`` left out."""
    contacts = Contact.objects.filter(account=account, erased_at=None).order_by("name")
    return contacts.exclude(pk=exclude.pk) if exclude is not None else contacts


def contact_list_without_email(*, account_ids: Iterable[int]) -> QuerySet[Contact]:
    """The kept contacts of these accounts that have no e-mail address yet, by name."""
    return Contact.objects.filter(
        account_id__in=list(account_ids), erased_at=None, email=""
    ).order_by("name")


def erasure_list(*, account: Account, limit: int = 10) -> list[ErasureRecord]:
    """The account's latest erasures of personal data, with who erased."""
    return list(ErasureRecord.objects.filter(account=account).select_related("erased_by")[:limit])


def calendar_import_list(*, user: User | AnonymousUser, limit: int = 8) -> list[CalendarImport]:
    """The calendar files ``user`` uploaded, newest first."""
    return list(CalendarImport.objects.filter(uploaded_by_id=user.pk)[:limit])


def calendar_import_get(*, user: User | AnonymousUser, import_id: int) -> CalendarImport | None:
    """One of the calendar files ``user`` uploaded, or None (nobody else's)."""
    return CalendarImport.objects.filter(pk=import_id, uploaded_by_id=user.pk).first()
