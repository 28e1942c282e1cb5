"""API endpoints of the plans app, mounted at /api/plans (docs/method.md section 5); in
kam/pages because they answer the account's figures (economics) and the conversation grid
(activities), apps above plans (docs/architecture.md, "The order of the packages").

The same rules as the pages: a plan is read through the caller's visible accounts (a plan
on another manager's account answers 404, as if it did not exist) and changed only when
its account is editable (403 when it is only readable); content changes only in a draft
(409); sales directors and administrators approve. A share link's token is returned once,
by the call that creates it; the API itself never accepts a share token (only personal
tokens and sessions), so a customer cannot reach internal items through it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from kam.accounts.selectors import account_get_visible
from kam.economics.api import FiguresOut
from kam.errors import ApplicationError
from kam.plans import services
from kam.plans.compare import plan_compare
from kam.plans.document import PlanDocument
from kam.plans.models import ITEM_FIELDS, Plan, PlanAction, PlanItem, ShareLink
from kam.plans.selectors import (
    action_get_trackable,
    overdue_groups,
    plan_document,
    plan_figures,
    plan_get_visible,
    plan_list_annotated,
    plan_may_edit,
    plan_versions,
    version_get,
)
from kam.users.selectors import user_list_active
from kam.web.api_schemas import ErrorOut
from kam.web.concurrency import (
    IF_MATCH,
    ConflictOut,
    conflict_shows,
    expected_version,
    schema_dump,
    set_etag,
)
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["plans"])


# --- schemas -------------------------------------------------------------------------------


class PlanOut(Schema):
    """A plan as the list shows it."""

    id: int
    account_id: int
    account_name: str
    period_label: str
    period_start: dt.date
    period_end: dt.date
    status: Literal["draft", "in_review", "approved"]
    version_number: int = Field(description="The number the next approval carries.")
    sections: list[str]
    shared_sections: list[str]
    previous_id: int | None
    updated_at: dt.datetime
    version: int = Field(
        description="Counts every save; send it back (If-Match or ``version``) to change it."
    )

    @staticmethod
    def resolve_account_name(obj: Any) -> str:
        return str(obj.account.name)


class PlanCreateIn(Schema):
    account_id: int
    period_label: str
    period_start: dt.date
    period_end: dt.date


class PlanPeriodIn(Schema):
    period_label: str
    period_start: dt.date
    period_end: dt.date


class PlanUpdateIn(Schema):
    """Section texts, profit plan numbers (money in the account's currency, margins in %),
    and the sections switched on and shared. Only the fields sent change."""

    sections: list[str] | None = None
    shared_sections: list[str] | None = None
    team_notes: str | None = None
    summary: str | None = None
    revenue_current: Decimal | None = None
    revenue_target: Decimal | None = None
    volume_current: Decimal | None = None
    volume_target: Decimal | None = None
    volume_unit: str | None = None
    margin_current_pct: Decimal | None = None
    margin_target_pct: Decimal | None = None
    investment: Decimal | None = None
    expected_return: Decimal | None = None
    profit_notes: str | None = None
    market: str | None = None
    value_chain: str | None = None
    customer_strategy: str | None = None
    swot_strengths: str | None = None
    swot_weaknesses: str | None = None
    swot_opportunities: str | None = None
    swot_threats: str | None = None
    purchasing_strategy: str | None = None
    category_spend: Decimal | None = None
    resources_notes: str | None = None
    version: int | None = Field(
        None,
        description=(
            "The version you loaded: the change is refused (409, with both) when someone "
            "saved since. The If-Match header does the same with 412 and wins when both are sent."
        ),
    )


class ItemOut(Schema):
    id: int
    uid: str
    kind: str
    title: str
    shared: bool
    fields: dict[str, Any] = Field(description="The columns of this kind of item.")
    version: int = Field(
        description="Counts every save; send it back (If-Match or ``version``) to change it."
    )

    @staticmethod
    def resolve_uid(obj: Any) -> str:
        return str(obj.uid)

    @staticmethod
    def resolve_fields(obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in ITEM_FIELDS[obj.kind]}


class ItemIn(Schema):
    """``kind`` on creation only; ``fields`` holds the columns of that kind (see ItemOut)."""

    kind: Literal["opportunity", "objective", "value_proposition", "project", "resource"] | None = (
        None
    )
    title: str | None = None
    shared: bool | None = None
    fields: dict[str, Any] = {}
    version: int | None = Field(
        None,
        description=(
            "The version you loaded: the change is refused (409, with both) when someone "
            "saved since. The If-Match header does the same with 412 and wins when both are sent."
        ),
    )


class ActionOut(Schema):
    id: int
    uid: str
    what: str
    owner_side: Literal["ours", "theirs"]
    owner_user_id: int | None
    owner_contact_id: int | None = Field(
        None, description="The customer's owner: a contact of the plan's account."
    )
    owner_name: str
    owner_contact_email: str
    due_date: dt.date | None
    status: str
    shared: bool
    objective_id: int | None
    version: int = Field(
        description="Counts every save; send it back (If-Match or ``version``) to change it."
    )

    @staticmethod
    def resolve_uid(obj: Any) -> str:
        return str(obj.uid)


class ActionIn(Schema):
    what: str | None = None
    owner_side: Literal["ours", "theirs"] | None = None
    owner_user_id: int | None = None
    owner_contact_id: int | None = Field(
        None, description="The customer's owner: the id of a contact of the plan's account."
    )
    owner_contact_name: str | None = Field(
        None,
        description=(
            "For compatibility: a name (or with owner_contact_email an address) matched to one "
            "contact of the account; 422 when it matches none."
        ),
    )
    owner_contact_email: str | None = None
    due_date: dt.date | None = None
    status: Literal["open", "in_progress", "blocked", "done", "dropped"] | None = None
    shared: bool | None = None
    objective_id: int | None = None
    version: int | None = Field(
        None,
        description=(
            "The version you loaded: the change is refused (409, with both) when someone "
            "saved since. The If-Match header does the same with 412 and wins when both are sent."
        ),
    )


class TrackIn(Schema):
    status: Literal["open", "in_progress", "blocked", "done", "dropped"] | None = None
    comment: str = ""
    visible_to_customer: bool = False


class PlanSignOffOut(Schema):
    """A named person at the customer who signed off a version through a share link."""

    person_name: str
    person_role: str
    person_email: str
    signed_at: dt.datetime
    share_link_id: int | None = Field(None, description="The link it was signed through.")

    @staticmethod
    def resolve_share_link_id(obj: Any) -> int | None:
        return obj.link_id  # type: ignore[no-any-return]


class PlanVersionOut(Schema):
    number: int
    approved_by: str
    approved_at: dt.datetime
    note: str
    sign_offs: list[PlanSignOffOut] = Field(
        default_factory=list, description="Who at the customer signed this version off, and when."
    )

    @staticmethod
    def resolve_sign_offs(obj: Any) -> list[Any]:
        return list(obj.sign_offs.all())

    @staticmethod
    def resolve_approved_by(obj: Any) -> str:
        return str(obj.approved_by_name)


class ApproveIn(Schema):
    note: str = ""


class ShareLinkOut(Schema):
    id: int
    person_name: str
    person_email: str
    language: str = Field(description="The language the shared page opens in (en, nl).")
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    active: bool

    @staticmethod
    def resolve_active(obj: Any) -> bool:
        return obj.revoked_at is None and obj.expires_at > timezone.now()


class ShareLinkCreatedOut(ShareLinkOut):
    token: str = Field(description="Shown only in this answer; kam stores its SHA-256 digest.")
    url: str


class ShareLinkIn(Schema):
    person_name: str
    person_email: str
    days_valid: int = services.SHARE_DEFAULT_DAYS
    language: str = Field(
        "",
        description="The language the shared page opens in (en, nl); the site's when empty. "
        "The person can switch it on the page.",
    )


class OverdueActionOut(Schema):
    id: int
    plan_id: int
    account_name: str
    what: str
    owner_name: str
    due_date: dt.date
    days_late: int
    status: str

    @staticmethod
    def resolve_account_name(obj: Any) -> str:
        return str(obj.plan.account.name)


class OverdueGroupOut(Schema):
    key: str
    label: str
    sublabel: str
    count: int
    actions: list[OverdueActionOut]


# --- helpers -------------------------------------------------------------------------------


def _plan(request: AuthenticatedHttpRequest, plan_id: int) -> Plan:
    return plan_get_visible(user=request.user, plan_id=plan_id)


def _item(plan: Plan, item_id: int) -> PlanItem:
    item = plan.items.filter(pk=item_id).first()
    if item is None:
        raise ApplicationError(_("There is no such item in this plan."), status=404)
    return item


def _action(plan: Plan, action_id: int) -> PlanAction:
    action = (
        plan.actions.select_related("plan", "owner_user", "owner_contact")
        .filter(pk=action_id)
        .first()
    )
    if action is None:
        raise ApplicationError(_("There is no such action in this plan."), status=404)
    return action


def _action_data(plan: Plan, sent: dict[str, Any]) -> dict[str, Any]:
    data = dict(sent)
    if "owner_user_id" in data:
        user_id = data.pop("owner_user_id")
        user = user_list_active(user_ids=[user_id]).first() if user_id else None
        if user_id and user is None:
            raise ApplicationError(_("There is no such person."), field="owner_user_id")
        data["owner_user"] = user
    if "owner_contact_id" in data:
        from kam.relationships.selectors import contact_get

        contact_id = data.pop("owner_contact_id")
        contact = contact_get(contact_id=contact_id) if contact_id else None
        if contact_id and (contact is None or contact.account_id != plan.account_id):
            raise ApplicationError(
                _("Choose one of %(account)s's contacts.") % {"account": plan.account.name},
                field="owner_contact_id",
            )
        data["owner_contact"] = contact
    if "objective_id" in data:
        objective_id = data.pop("objective_id")
        data["objective"] = _item(plan, objective_id) if objective_id else None
    return data


def _document_json(doc: PlanDocument) -> dict[str, Any]:
    return doc.to_snapshot()


# --- plans ---------------------------------------------------------------------------------


@router.get("/", response=list[PlanOut], summary="List plans")
@paginate(PageNumberPagination, page_size=100)
def list_plans(
    request: AuthenticatedHttpRequest,
    status: str | None = None,
    period: str | None = None,
    current: bool = False,
) -> Any:
    """Plans on the accounts the caller may read, 100 a page (``?page=``; ``count`` is of
    them all); ``current`` leaves out plans that a next period's plan was made from."""
    plans = plan_list_annotated(user=request.user)
    if status:
        plans = plans.filter(status=status)
    if period:
        plans = plans.filter(period_label=period)
    if current:
        plans = plans.filter(successors__isnull=True)
    return plans


@router.post(
    "/",
    response={201: PlanOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Create a plan",
)
def create_plan(request: AuthenticatedHttpRequest, payload: PlanCreateIn) -> Any:
    """A new draft for an account the caller may change, with the sections of its box."""
    account = account_get_visible(user=request.user, account_id=payload.account_id)
    plan = services.plan_create(
        user=request.user,
        account=account,
        period_label=payload.period_label,
        period_start=payload.period_start,
        period_end=payload.period_end,
    )
    return Status(201, plan)


@router.get(
    "/overdue",
    response=list[OverdueGroupOut],
    summary="Overdue actions per person, function or customer person",
)
def overdue(
    request: AuthenticatedHttpRequest, by: Literal["person", "function", "customer"] = "person"
) -> Any:
    """Unfinished actions past their due date in the current plans the caller may read."""
    return overdue_groups(user=request.user, by=by)


@router.get("/{plan_id}", response={200: PlanOut, 404: ErrorOut}, summary="A plan")
def get_plan(request: AuthenticatedHttpRequest, plan_id: int, response: HttpResponse) -> Any:
    """The plan with its ``version``; the ``ETag`` header is that version (for If-Match)."""
    plan = _plan(request, plan_id)
    set_etag(response, plan.version)
    return plan


@router.get(
    "/{plan_id}/figures",
    response={200: FiguresOut, 404: ErrorOut},
    summary="The plan's headline figures",
)
def get_plan_figures(request: AuthenticatedHttpRequest, plan_id: int) -> Any:
    """Revenue of the year before the plan, share of wallet, growth to the target, ROI,
    payback, box and hours, as the plan page and its exports show them (the same as
    ``/api/economics/accounts/{id}/figures?year=`` for the plan's year)."""
    return plan_figures(plan=_plan(request, plan_id)).as_dict()


@router.get(
    "/{plan_id}/document",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="The plan as presented (PlanDocument)",
)
def get_document(
    request: AuthenticatedHttpRequest,
    plan_id: int,
    audience: Literal["internal", "customer"] = "internal",
) -> Any:
    """The live plan as a ``PlanDocument`` (see kam.plans.document); ``audience=customer``
    gives exactly what a share link shows."""
    return _document_json(plan_document(plan=_plan(request, plan_id), audience=audience))


class ConversationRoleOut(Schema):
    """A column of the conversation grid: a buying role of the decision-making unit."""

    code: str
    label: str


class ConversationCellOut(Schema):
    """Conversations on one objective with contacts holding one role."""

    role: str
    count: int = Field(description="Activities tied to the objective with such a contact.")
    last_date: dt.date | None
    people: list[str] = Field(description="Those contacts, the most recently met first.")


class ConversationRowOut(Schema):
    """One objective or value proposition, its conversations and the decider flag."""

    ref: str = Field(description="The item's uid (kept across versions and periods).")
    code: str = Field(description="Its short code: '#obj-<code>' in a calendar event.")
    kind: str
    title: str
    shared: bool
    count: int = Field(description="Every activity tied to it.")
    last_date: dt.date | None
    cells: list[ConversationCellOut] = Field(description="One per role, in the roles' order.")
    no_decider: bool = Field(
        description="No activity tied to it with a contact holding the decider role."
    )


class ConversationGridOut(Schema):
    """The plan's objectives × buying roles (docs/plans.md, 'The right conversation')."""

    plan_id: int
    as_of: dt.date
    roles: list[ConversationRoleOut]
    rows: list[ConversationRowOut]
    deciders: int = Field(description="Contacts with the decider role still at the customer.")
    activities: int = Field(description="Activities on the account in the plan's period.")
    untied: int = Field(description="Of those, the ones tied to no objective.")


@router.get(
    "/{plan_id}/conversations",
    response={200: ConversationGridOut, 404: ErrorOut},
    summary="Conversations per objective and buying role",
)
def get_conversations(request: AuthenticatedHttpRequest, plan_id: int) -> Any:
    """Which conversations the plan's objectives and value propositions have had, per buying
    role of the contacts met: how many, with whom, when last; ``no_decider`` flags each
    objective that has had no conversation with a decider. The same grid as the plan page
    and the internal exports."""
    from kam.activities.conversations import conversation_grid

    plan = _plan(request, plan_id)
    grid = conversation_grid(plan=plan)
    return {
        "plan_id": plan.pk,
        "as_of": grid.as_of,
        "roles": [{"code": code, "label": label} for code, label in grid.roles],
        "rows": [dataclasses.asdict(row) for row in grid.rows],
        "deciders": grid.deciders,
        "activities": grid.activities,
        "untied": grid.untied,
    }


CONFLICTS = {409: ConflictOut, 412: ConflictOut}
CONFLICT_HELP = (
    " Send the version you loaded as If-Match (or ``version`` in the body): when someone "
    "saved since, nothing changes and the answer is 412 (If-Match) or 409 (body), with the "
    "current object and what you sent. 200 answers with the new version and ETag; a change "
    "that changes nothing keeps the version."
)


@router.patch(
    "/{plan_id}",
    response={200: PlanOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, **CONFLICTS},
    summary="Change a draft plan",
    openapi_extra=IF_MATCH,
    description="Only the fields sent change; 409 also when the plan is not a draft."
    + CONFLICT_HELP,
)
def update_plan(
    request: AuthenticatedHttpRequest, plan_id: int, payload: PlanUpdateIn, response: HttpResponse
) -> Any:
    plan = _plan(request, plan_id)
    data = payload.model_dump(exclude_unset=True)
    with conflict_shows(schema_dump(PlanOut)):
        expected, precondition = expected_version(
            request, body_version=data.pop("version", None), current=plan
        )
        plan = services.plan_update(
            user=request.user,
            plan=plan,
            data=data,
            expected_version=expected,
            precondition=precondition,
        )
    set_etag(response, plan.version)
    return plan


@router.post(
    "/{plan_id}/submit",
    response={200: PlanOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Send a draft for review",
)
def submit_plan(request: AuthenticatedHttpRequest, plan_id: int) -> Any:
    return services.plan_submit(user=request.user, plan=_plan(request, plan_id))


@router.post(
    "/{plan_id}/approve",
    response={200: PlanVersionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Approve a plan in review (directors, administrators)",
)
def approve_plan(request: AuthenticatedHttpRequest, plan_id: int, payload: ApproveIn) -> Any:
    return services.plan_approve(user=request.user, plan=_plan(request, plan_id), note=payload.note)


@router.post(
    "/{plan_id}/reopen",
    response={200: PlanOut, 403: ErrorOut, 404: ErrorOut},
    summary="Back to draft (the next version after an approval)",
)
def reopen_plan(request: AuthenticatedHttpRequest, plan_id: int) -> Any:
    return services.plan_reopen(user=request.user, plan=_plan(request, plan_id))


@router.post(
    "/{plan_id}/next-period",
    response={201: PlanOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Make next period's plan from the last approved version",
)
def next_period(request: AuthenticatedHttpRequest, plan_id: int, payload: PlanPeriodIn) -> Any:
    plan = services.plan_create_next_period(
        user=request.user, source=_plan(request, plan_id), **payload.model_dump()
    )
    return Status(201, plan)


# --- items and actions ---------------------------------------------------------------------


@router.get("/{plan_id}/items", response={200: list[ItemOut], 404: ErrorOut}, summary="Items")
def list_items(request: AuthenticatedHttpRequest, plan_id: int) -> Any:
    return list(_plan(request, plan_id).items.order_by("kind", "position", "pk"))


@router.post(
    "/{plan_id}/items",
    response={201: ItemOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Add an item",
)
def create_item(request: AuthenticatedHttpRequest, plan_id: int, payload: ItemIn) -> Any:
    if payload.kind is None:
        raise ApplicationError(_("Say which kind of item."), field="kind")
    data = {**payload.fields, "title": payload.title or ""}
    if payload.shared is not None:
        data["shared"] = payload.shared
    item = services.item_create(
        user=request.user, plan=_plan(request, plan_id), kind=payload.kind, data=data
    )
    return Status(201, item)


@router.get("/{plan_id}/items/{item_id}", response={200: ItemOut, 404: ErrorOut}, summary="An item")
def get_item(
    request: AuthenticatedHttpRequest, plan_id: int, item_id: int, response: HttpResponse
) -> Any:
    """The item with its ``version``; the ``ETag`` header is that version (for If-Match)."""
    item = _item(_plan(request, plan_id), item_id)
    set_etag(response, item.version)
    return item


@router.patch(
    "/{plan_id}/items/{item_id}",
    response={200: ItemOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, **CONFLICTS},
    summary="Change an item",
    openapi_extra=IF_MATCH,
    description="409 also when the plan is not a draft." + CONFLICT_HELP,
)
def update_item(
    request: AuthenticatedHttpRequest,
    plan_id: int,
    item_id: int,
    payload: ItemIn,
    response: HttpResponse,
) -> Any:
    item = _item(_plan(request, plan_id), item_id)
    data = dict(payload.fields)
    if payload.title is not None:
        data["title"] = payload.title
    if payload.shared is not None:
        data["shared"] = payload.shared
    with conflict_shows(schema_dump(ItemOut)):
        expected, precondition = expected_version(
            request, body_version=payload.version, current=item
        )
        item = services.item_update(
            user=request.user,
            item=item,
            data=data,
            expected_version=expected,
            precondition=precondition,
        )
    set_etag(response, item.version)
    return item


@router.delete(
    "/{plan_id}/items/{item_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Delete an item",
)
def delete_item(request: AuthenticatedHttpRequest, plan_id: int, item_id: int) -> Any:
    services.item_delete(user=request.user, item=_item(_plan(request, plan_id), item_id))
    return Status(204, None)


@router.get("/{plan_id}/actions", response={200: list[ActionOut], 404: ErrorOut}, summary="Actions")
def list_actions(request: AuthenticatedHttpRequest, plan_id: int) -> Any:
    plan = _plan(request, plan_id)
    return list(
        plan.actions.select_related("owner_user", "owner_contact").order_by(
            "due_date", "position", "pk"
        )
    )


@router.post(
    "/{plan_id}/actions",
    response={201: ActionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Add an action",
)
def create_action(request: AuthenticatedHttpRequest, plan_id: int, payload: ActionIn) -> Any:
    plan = _plan(request, plan_id)
    data = _action_data(plan, payload.model_dump(exclude_unset=True))
    return Status(201, services.action_create(user=request.user, plan=plan, data=data))


@router.get(
    "/{plan_id}/actions/{action_id}",
    response={200: ActionOut, 404: ErrorOut},
    summary="An action",
)
def get_action(
    request: AuthenticatedHttpRequest, plan_id: int, action_id: int, response: HttpResponse
) -> Any:
    """The action with its ``version``; the ``ETag`` header is that version (for If-Match)."""
    action = _action(_plan(request, plan_id), action_id)
    set_etag(response, action.version)
    return action


@router.patch(
    "/{plan_id}/actions/{action_id}",
    response={200: ActionOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, **CONFLICTS},
    summary="Change an action (draft only)",
    openapi_extra=IF_MATCH,
    description="409 also when the plan is not a draft. A status change (track, or the "
    "customer through a share link) counts the version up too." + CONFLICT_HELP,
)
def update_action(
    request: AuthenticatedHttpRequest,
    plan_id: int,
    action_id: int,
    payload: ActionIn,
    response: HttpResponse,
) -> Any:
    plan = _plan(request, plan_id)
    sent = payload.model_dump(exclude_unset=True)
    body_version = sent.pop("version", None)
    data = _action_data(plan, sent)
    action = _action(plan, action_id)
    with conflict_shows(schema_dump(ActionOut)):
        expected, precondition = expected_version(
            request, body_version=body_version, current=action
        )
        action = services.action_update(
            user=request.user,
            action=action,
            data=data,
            expected_version=expected,
            precondition=precondition,
        )
    set_etag(response, action.version)
    return action


@router.post(
    "/{plan_id}/actions/{action_id}/track",
    response={200: ActionOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Update an action's status or comment on it (any plan status)",
)
def track_action(
    request: AuthenticatedHttpRequest, plan_id: int, action_id: int, payload: TrackIn
) -> Any:
    """Editors of the plan and our own owner of the action (even on an account they do not
    serve: a commitment from another function)."""
    action = action_get_trackable(user=request.user, plan_id=plan_id, action_id=action_id)
    return services.action_track(
        user=request.user,
        action=action,
        status=payload.status,
        comment=payload.comment,
        visible_to_customer=payload.visible_to_customer,
    )


@router.delete(
    "/{plan_id}/actions/{action_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Delete an action",
)
def delete_action(request: AuthenticatedHttpRequest, plan_id: int, action_id: int) -> Any:
    plan = _plan(request, plan_id)
    services.action_delete(user=request.user, action=_action(plan, action_id))
    return Status(204, None)


# --- versions ------------------------------------------------------------------------------


@router.get(
    "/{plan_id}/versions", response={200: list[PlanVersionOut], 404: ErrorOut}, summary="Versions"
)
def list_versions(request: AuthenticatedHttpRequest, plan_id: int) -> Any:
    return list(plan_versions(plan=_plan(request, plan_id)))


@router.get(
    "/{plan_id}/versions/{number}",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="An approved version as presented (PlanDocument snapshot)",
)
def get_version(
    request: AuthenticatedHttpRequest,
    plan_id: int,
    number: int,
    audience: Literal["internal", "customer"] = "internal",
) -> Any:
    version = version_get(plan=_plan(request, plan_id), number=number)
    return _document_json(plan_document(version=version, audience=audience))


@router.get(
    "/{plan_id}/compare",
    response={200: dict[str, Any], 404: ErrorOut},
    summary="What changed between two versions",
)
def compare(
    request: AuthenticatedHttpRequest, plan_id: int, old: int, new: int | None = None
) -> Any:
    """Version ``old`` against version ``new`` (the live plan when ``new`` is left out):
    per section the changed fields (old, new, word diff) and added, removed and changed
    items."""
    plan = _plan(request, plan_id)
    old_doc = plan_document(version=version_get(plan=plan, number=old))
    new_doc = (
        plan_document(version=version_get(plan=plan, number=new))
        if new is not None
        else plan_document(plan=plan)
    )
    comparison = plan_compare(old=old_doc, new=new_doc)
    return {
        "counts": comparison.counts,
        "sections": [dataclasses.asdict(s) for s in comparison.sections],
    }


# --- share links ---------------------------------------------------------------------------


def _link(plan: Plan, link_id: int) -> ShareLink:
    link = plan.share_links.filter(pk=link_id).first()
    if link is None:
        raise ApplicationError(_("There is no such link."), status=404)
    return link


@router.get(
    "/{plan_id}/share-links",
    response={200: list[ShareLinkOut], 403: ErrorOut, 404: ErrorOut},
    summary="Share links of a plan",
)
def list_links(request: AuthenticatedHttpRequest, plan_id: int) -> Any:
    plan = _plan(request, plan_id)
    if not plan_may_edit(user=request.user, plan=plan):
        raise ApplicationError(_("You may read this plan but not change it."), status=403)
    return list(plan.share_links.order_by("-created_at"))


@router.post(
    "/{plan_id}/share-links",
    response={201: ShareLinkCreatedOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Create a share link (the token is returned only here)",
)
def create_link(request: AuthenticatedHttpRequest, plan_id: int, payload: ShareLinkIn) -> Any:
    link, token = services.share_link_create(
        user=request.user,
        plan=_plan(request, plan_id),
        person_name=payload.person_name,
        person_email=payload.person_email,
        days_valid=payload.days_valid,
        language=payload.language,
    )
    link.token = token  # type: ignore[attr-defined]
    link.url = request.build_absolute_uri(reverse("plans:shared", args=[token]))  # type: ignore[attr-defined]
    return Status(201, link)


@router.post(
    "/{plan_id}/share-links/{link_id}/revoke",
    response={200: ShareLinkOut, 403: ErrorOut, 404: ErrorOut},
    summary="Revoke a share link",
)
def revoke_link(request: AuthenticatedHttpRequest, plan_id: int, link_id: int) -> Any:
    link = _link(_plan(request, plan_id), link_id)
    return services.share_link_revoke(user=request.user, link=link)
