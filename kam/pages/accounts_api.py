"""API endpoints of the accounts app, mounted at /api/accounts. In kam/pages, above
kam.accounts, because accounts answer with their box and customer groups with their P&L
(docs/architecture.md, "The order of the packages").

The same rules as the pages: reads start from the caller's visible accounts (another
manager's account answers 404, as if it did not exist), writes need the account to be
editable (403 when it is only readable), import needs a sales director or administrator.
"""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from kam.accounts.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, account_export
from kam.accounts.filters import AccountFilters, account_filter
from kam.accounts.imports import account_import
from kam.accounts.models import Account, TeamRole
from kam.accounts.selectors import (
    account_children_visible,
    account_get_visible,
    account_list_visible,
    account_may_edit,
    account_team,
)
from kam.accounts.services import (
    account_create,
    account_revenue_set,
    account_team_set,
    account_update,
)
from kam.errors import ApplicationError
from kam.imports.problems import ImportRefused
from kam.pages.groups import GroupCompany, group_rollup_get, group_rollups
from kam.portfolio.selectors import account_list_annotated, account_placements_shown
from kam.users.selectors import user_get, users_by_username
from kam.web.api_schemas import ErrorOut
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["accounts"])


# --- schemas -------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.get_full_name() or obj.username)


class AccountRefOut(Schema):
    id: int
    external_id: str
    name: str


class AccountOut(Schema):
    """An account as the list shows it; ``box`` is its box in the portfolio (the latest
    closed review)."""

    id: int
    external_id: str
    name: str
    country: str
    channel: str
    currency: str
    active: bool
    parent_id: int | None
    owner: PersonOut | None
    box: str | None = Field(
        None, description="Box in the portfolio (the latest closed review); null when not placed."
    )
    revenue_last_year: Decimal | None = Field(
        None, description="Revenue of the last complete calendar year, in the account's currency."
    )

    @staticmethod
    def resolve_box(obj: Any) -> str | None:
        return getattr(obj, "box", "") or None


class TeamMemberOut(Schema):
    user: PersonOut
    team_role: Literal["core", "surround"]


class RevenueOut(Schema):
    year: int
    amount: Decimal = Field(description="In the account's currency.")


class PlacementOut(Schema):
    """The account's place in one review (docs/method.md section 1)."""

    review_id: int
    review_name: str
    review_date: dt.date
    attractiveness: float | None
    strength: float | None
    competitor_strength: float | None
    relative_strength: float | None
    box: str | None
    uncertain: bool
    probabilities: dict[str, float] | None
    missing: list[str]
    disagreement: list[str]


class AccountDetailOut(Schema):
    id: int
    external_id: str
    name: str
    country: str
    channel: str
    currency: str
    active: bool
    owner: PersonOut | None
    parent: AccountRefOut | None
    children: list[AccountRefOut]
    team: list[TeamMemberOut]
    revenues: list[RevenueOut]
    placements: list[PlacementOut]
    may_edit: bool


class AccountCreateIn(Schema):
    external_id: str
    name: str
    country: str = Field(description="ISO 3166-1 alpha-2, e.g. NL.")
    currency: str | None = Field(None, description="ISO 4217; the base currency when left out.")
    channel: str = ""
    parent_id: int | None = None
    owner_id: int | None = Field(None, description="A key account manager's user id.")
    active: bool = True


class AccountUpdateIn(Schema):
    """Only the fields sent are changed; ``null`` for parent_id or owner_id clears them."""

    external_id: str | None = None
    name: str | None = None
    country: str | None = None
    currency: str | None = None
    channel: str | None = None
    parent_id: int | None = None
    owner_id: int | None = None
    active: bool | None = None


class TeamIn(Schema):
    core: list[str] = Field(default_factory=list, description="Usernames of the core team.")
    surround: list[str] = Field(default_factory=list, description="Usernames of the surround team.")


class RevenueIn(Schema):
    year: int
    amount: Decimal | None = Field(description="In the account's currency; null removes the year.")


class AccountImportSummaryOut(Schema):
    created: int
    updated: int
    unchanged: int


class AccountImportProblemOut(Schema):
    row: int | None = Field(description="Row in the file; the header is row 1.")
    column: str
    reason: str


class AccountImportFailedOut(ErrorOut):
    report: list[AccountImportProblemOut] = Field(
        default_factory=list, description="Each problem with its row and column."
    )


# --- helpers -------------------------------------------------------------------------------


def _detail(request: AuthenticatedHttpRequest, account: Account) -> dict[str, Any]:
    parent = None
    if account.parent_id is not None:
        parent = account_list_visible(user=request.user).filter(pk=account.parent_id).first()
    placements = []
    for p in account_placements_shown(account=account):
        probabilities = None
        if p.p_key is not None:
            probabilities = {
                "key": p.p_key,
                "key_development": p.p_key_development or 0.0,
                "maintenance": p.p_maintenance or 0.0,
                "opportunistic": p.p_opportunistic or 0.0,
            }
        placements.append(
            {
                "review_id": p.review_id,
                "review_name": p.review.name,
                "review_date": p.review.review_date,
                "attractiveness": p.attractiveness,
                "strength": p.strength,
                "competitor_strength": p.competitor_strength,
                "relative_strength": p.relative_strength,
                "box": p.box or None,
                "uncertain": p.uncertain,
                "probabilities": probabilities,
                "missing": list(p.missing or []),
                "disagreement": list(p.disagreement or []),
            }
        )
    return {
        "id": account.pk,
        "external_id": account.external_id,
        "name": account.name,
        "country": account.country,
        "channel": account.channel,
        "currency": account.currency,
        "active": account.active,
        "owner": account.owner,
        "parent": parent,
        "children": list(account_children_visible(user=request.user, account=account)),
        "team": list(account_team(account=account)),
        "revenues": list(account.revenues.order_by("year")),
        "placements": placements,
        "may_edit": account_may_edit(user=request.user, account=account),
    }


def _parent(request: AuthenticatedHttpRequest, parent_id: int | None) -> Account | None:
    if parent_id is None:
        return None
    parent = account_list_visible(user=request.user).filter(pk=parent_id).first()
    if parent is None:
        raise ApplicationError(
            _("There is no account with id %(id)d.") % {"id": parent_id}, field="parent_id"
        )
    return parent


def _user(user_id: int | None, *, field: str) -> Any:
    if user_id is None:
        return None
    user = user_get(user_id=user_id)
    if user is None:
        raise ApplicationError(_("There is no user with id %(id)d.") % {"id": user_id}, field=field)
    return user


def _users(usernames: list[str], *, field: str) -> list[Any]:
    found = users_by_username(usernames=usernames)
    unknown = [name for name in usernames if name not in found]
    if unknown:
        raise ApplicationError(
            _("There is no user '%(username)s'.") % {"username": unknown[0]},
            field=field,
            problems=[_("There is no user '%(username)s'.") % {"username": u} for u in unknown],
        )
    return [found[name] for name in usernames]


class GroupTotalsOut(Schema):
    """A customer group rolled up over the companies you may see (docs/economics.md,
    "Customer groups rolled up").

    Money in the organisation's base currency: ``revenue`` is last year's revenue as the
    account list shows it; ``pnl_revenue``, ``cost_to_serve`` and ``contribution`` are the
    economics pages' latest period (``period_start`` to ``period_end``)."""

    id: int
    name: str
    external_id: str
    companies: int
    revenue: Decimal | None
    revenue_unknown: int = Field(description="Companies without a known revenue or rate.")
    pnl_revenue: float | None
    cost_to_serve: float | None
    contribution: float | None
    contribution_share: float | None = Field(description="Contribution ÷ P&L revenue, 0–1.")
    boxes: dict[str, int] = Field(description="Companies per box; 'none' for not placed.")
    plans: dict[str, int] = Field(
        description="Companies per status of their latest plan; 'none' for no plan."
    )
    period_start: dt.date | None
    period_end: dt.date | None
    missing_rates: list[str]


class GroupCompanyOut(Schema):
    """One company of a group with the figures of its own pages (base currency)."""

    id: int
    external_id: str
    name: str
    country: str
    currency: str
    is_group: bool = Field(description="True for the group's own account.")
    owner: PersonOut | None
    box: str | None
    revenue: Decimal | None
    pnl_revenue: float | None
    cost_to_serve: float | None
    contribution: float | None
    contribution_share: float | None
    plan_id: int | None
    plan_period: str | None
    plan_status: str | None


class GroupDetailOut(Schema):
    """A group, its totals and its companies you may see."""

    group: GroupTotalsOut
    members: list[GroupCompanyOut]


def _group_company(c: GroupCompany) -> dict[str, Any]:
    a = c.account
    return {
        "id": a.pk,
        "external_id": a.external_id,
        "name": a.name,
        "country": a.country,
        "currency": a.currency,
        "is_group": c.is_group,
        "owner": a.owner,
        "box": c.box or None,
        "revenue": c.revenue,
        "pnl_revenue": c.pnl_revenue,
        "cost_to_serve": c.cost_to_serve,
        "contribution": c.contribution,
        "contribution_share": c.contribution_share,
        "plan_id": c.plan.pk if c.plan else None,
        "plan_period": c.plan.period_label if c.plan else None,
        "plan_status": c.plan.status if c.plan else None,
    }


# --- endpoints -----------------------------------------------------------------------------


@router.get("/", response=list[AccountOut], summary="List accounts")
@paginate(PageNumberPagination, page_size=50)
def list_accounts(request: AuthenticatedHttpRequest, filters: Query[AccountFilters]) -> Any:
    """The accounts you may read, filtered and sorted like the account list page."""
    return account_filter(queryset=account_list_annotated(user=request.user), filters=filters)


@router.get("/groups", response=list[GroupTotalsOut], summary="Customer groups, rolled up")
def list_groups(request: AuthenticatedHttpRequest, filters: Query[AccountFilters]) -> Any:
    """Every group you see a company of, with revenue, P&L, boxes and plans summed over the
    companies you may read; the account list's filters keep the groups with a matching
    company (the same selector as the account list page)."""
    return [g.as_dict() for g in group_rollups(user=request.user, filters=filters)]


@router.get(
    "/groups/{group_id}",
    response={200: GroupDetailOut, 404: ErrorOut},
    summary="A customer group and its companies",
)
def get_group(request: AuthenticatedHttpRequest, group_id: int) -> Any:
    """The group's totals and each company you may read with its box, revenue, P&L and
    latest plan (the same selector as the group page). 404 when it is no group or you see
    none of its companies."""
    rollup = group_rollup_get(user=request.user, group_id=group_id)
    return {
        "group": rollup.as_dict(),
        "members": [_group_company(c) for c in rollup.companies],
    }


@router.get(
    "/export",
    summary="Export accounts",
    response={200: None},
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, in the import's columns.",
                "content": {CSV_CONTENT_TYPE: {}, XLSX_CONTENT_TYPE: {}},
            }
        }
    },
)
def export_accounts(
    request: AuthenticatedHttpRequest,
    filters: Query[AccountFilters],
    format: Literal["csv", "xlsx"] = "csv",
) -> HttpResponse:
    """The accounts you may read (with the list's filters) as CSV or XLSX; import takes it back."""
    accounts = account_filter(queryset=account_list_annotated(user=request.user), filters=filters)
    content = account_export(accounts=accounts, file_format=format)
    response = HttpResponse(
        content, content_type=XLSX_CONTENT_TYPE if format == "xlsx" else CSV_CONTENT_TYPE
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="kam-accounts-{stamp}.{format}"'
    return response


@router.post(
    "/import",
    response={
        200: AccountImportSummaryOut,
        403: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        422: AccountImportFailedOut,
    },
    summary="Import accounts from CSV or XLSX",
)
def import_accounts(
    request: AuthenticatedHttpRequest,
    file: File[UploadedFile],
    decimal: Form[Literal["comma", "point"] | None] = None,
) -> Any:
    """Import a CSV or XLSX file (multipart field ``file``), all or nothing.

    ``decimal`` (optional form field, ``comma`` or ``point``): the file's decimal
    separator; without it kam tells it from the file (docs/import.md, Numbers).

    Sales directors and administrators only. 422 with every problem (row, column,
    reason) when any row is wrong; nothing is written then.
    """
    try:
        summary = account_import(
            user=request.user, content=file.read(), filename=file.name or "", decimal=decimal
        )
    except ImportRefused as exc:
        return Status(
            422,
            {
                "detail": exc.message,
                "field": None,
                "problems": exc.problems,
                "report": [p.as_dict() for p in exc.report],
            },
        )
    return Status(200, summary)


@router.get("/{account_id}", response=AccountDetailOut, summary="Account detail")
def get_account(request: AuthenticatedHttpRequest, account_id: int) -> Any:
    """One account with its group, team, revenue and its place in every review."""
    account = account_get_visible(user=request.user, account_id=account_id)
    return _detail(request, account)


@router.post(
    "/",
    response={201: AccountDetailOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Create an account",
)
def create_account(request: AuthenticatedHttpRequest, payload: AccountCreateIn) -> Any:
    """Create an account; a key account manager creates accounts they own themselves."""
    account = account_create(
        user=request.user,
        external_id=payload.external_id,
        name=payload.name,
        country=payload.country,
        currency=payload.currency,
        channel=payload.channel,
        parent=_parent(request, payload.parent_id),
        owner=_user(payload.owner_id, field="owner_id"),
        active=payload.active,
    )
    account = account_get_visible(user=request.user, account_id=account.pk)
    return Status(201, _detail(request, account))


@router.patch(
    "/{account_id}",
    response={200: AccountDetailOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Change an account",
)
def update_account(
    request: AuthenticatedHttpRequest, account_id: int, payload: AccountUpdateIn
) -> Any:
    """Change the fields sent; only directors and administrators may change the owner."""
    account = account_get_visible(user=request.user, account_id=account_id)
    sent = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for key in ("external_id", "name", "country", "currency", "channel", "active"):
        if key in sent:
            if sent[key] is None:
                raise ApplicationError(_("%(field)s cannot be null.") % {"field": key}, field=key)
            changes[key] = sent[key]
    if "parent_id" in sent:
        changes["parent"] = _parent(request, sent["parent_id"])
    if "owner_id" in sent:
        changes["owner"] = _user(sent["owner_id"], field="owner_id")
    account_update(user=request.user, account=account, **changes)
    account = account_get_visible(user=request.user, account_id=account_id)
    return Status(200, _detail(request, account))


@router.put(
    "/{account_id}/team",
    response={200: list[TeamMemberOut], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Set the account team",
)
def set_team(request: AuthenticatedHttpRequest, account_id: int, payload: TeamIn) -> Any:
    """Make the core and surround team exactly the people listed (by username)."""
    account = account_get_visible(user=request.user, account_id=account_id)
    team = account_team_set(
        user=request.user,
        account=account,
        core=_users(payload.core, field="core"),
        surround=_users(payload.surround, field="surround"),
    )
    order = {TeamRole.CORE: 0, TeamRole.SURROUND: 1}
    return Status(200, sorted(team, key=lambda m: (order[m.team_role], m.user.username)))


@router.put(
    "/{account_id}/revenue",
    response={200: list[RevenueOut], 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Set yearly revenue",
)
def set_revenue(
    request: AuthenticatedHttpRequest, account_id: int, payload: list[RevenueIn]
) -> Any:
    """Set revenue for the years sent (null removes a year); other years stay as they are."""
    account = account_get_visible(user=request.user, account_id=account_id)
    revenues = account_revenue_set(
        user=request.user,
        account=account,
        revenues={item.year: item.amount for item in payload},
    )
    return Status(200, revenues)
