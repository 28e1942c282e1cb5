"""API endpoints of the activities app, mounted at /api/activities.

The same rules as the pages: reads start from the caller's visible accounts (an activity on
another manager's account answers 404, as if it did not exist); viewers write nothing; key
account managers and team members change the activities they logged or took part in.
Actual hours are person-hours (docs/method.md section 2).
"""

import datetime as dt
from typing import Any, Literal

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from pydantic import TypeAdapter, ValidationError

from kam.accounts.selectors import account_get_visible
from kam.activities.filters import ActivityFilters, activity_filter
from kam.activities.imports import ActivityImportUnmatched, activity_import
from kam.activities.models import Activity
from kam.activities.selectors import (
    HoursRow,
    activity_get_visible,
    activity_list_visible,
    actual_hours_by_account,
    actual_hours_by_box,
    actual_hours_by_person,
    period_start_default,
    review_for_hours,
    shares,
)
from kam.activities.services import (
    activity_create,
    activity_delete,
    activity_update,
    users_by_username,
)
from kam.errors import ApplicationError
from kam.imports.problems import ImportRefused
from kam.portfolio.models import Review
from kam.web.api_schemas import ErrorOut
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["activities"])


# --- schemas -------------------------------------------------------------------------------


class ActivityPersonOut(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.get_full_name() or obj.username)


class ActivityAccountRefOut(Schema):
    id: int
    external_id: str
    name: str


class ContactRefOut(Schema):
    """One of the customer's people on file (a contact of the account)."""

    id: int
    name: str = Field(description="The name, or 'Former contact #n' once erased.")

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.display_name)


class ActivityObjectiveOut(Schema):
    """The plan objective or value proposition an activity was about."""

    id: int
    kind: str = Field(description="objective or value_proposition.")
    title: str
    code: str = Field(description="The short code imports and calendar tags name it by.")
    plan_id: int

    @staticmethod
    def resolve_code(obj: Any) -> str:
        from kam.plans.conversations import objective_code

        return objective_code(obj)


class ActivityOut(Schema):
    """One activity; ``person_hours`` = duration × number of our participants, in hours."""

    id: int
    account: ActivityAccountRefOut
    date: dt.date
    duration_minutes: int = Field(description="Length for each participant, in minutes.")
    type: str
    topic: str
    notes: str
    participants: list[ActivityPersonOut]
    contacts: list[ContactRefOut] = Field(
        description="The customer's people who took part: contacts of the account."
    )
    contact_names: list[str] = Field(
        description=(
            "Names or e-mail addresses kept as typed that match no contact of the account "
            "(older or imported data, shown as 'not matched')."
        )
    )
    external_uid: str | None = Field(None, description="Id in the calendar or file it came from.")
    objective: ActivityObjectiveOut | None = Field(
        None, description="The plan objective or value proposition it was about, if any."
    )
    created_by: ActivityPersonOut | None
    person_hours: float

    @staticmethod
    def resolve_participants(obj: Activity) -> list[Any]:
        return list(obj.participants.all())

    @staticmethod
    def resolve_contacts(obj: Activity) -> list[Any]:
        return list(obj.contacts.all())

    @staticmethod
    def resolve_external_uid(obj: Activity) -> str | None:
        return obj.external_uid or None

    @staticmethod
    def resolve_person_hours(obj: Activity) -> float:
        return obj.duration_minutes * len(obj.participants.all()) / 60


class ActivityIn(Schema):
    account_id: int
    date: dt.date
    duration_minutes: int = Field(description="Length for each participant: 1 to 1440 minutes.")
    type: str = Field(description="visit, call, meeting, review, email or other.")
    participants: list[str] = Field(description="Usernames of our people who took part.")
    contacts: list[int] = Field(
        default_factory=list, description="Ids of the account's contacts who took part."
    )
    contact_names: list[str] = Field(
        default_factory=list,
        description=(
            "Names or e-mail addresses of the account's contacts, for compatibility: each "
            "must match exactly one contact (full name without regard to case or accents, or "
            "e-mail address), else 422 lists the names that match none."
        ),
    )
    topic: str = ""
    notes: str = ""
    external_uid: str = Field("", description="Optional; unique. A repeated uid answers 409.")
    objective_id: int | None = Field(
        None,
        description=(
            "An objective or value proposition of a plan of the account (plan items, "
            "GET /api/plans/{id}/items); 422 otherwise."
        ),
    )


class ActivityUpdateIn(Schema):
    """Only the fields sent are changed."""

    account_id: int | None = None
    date: dt.date | None = None
    duration_minutes: int | None = None
    type: str | None = None
    participants: list[str] | None = None
    contacts: list[int] | None = Field(
        None, description="Replaces the contacts: ids of the account's contacts."
    )
    contact_names: list[str] | None = Field(
        None, description="Names matched to contacts as on logging; 422 lists those matching none."
    )
    topic: str | None = None
    notes: str | None = None
    objective_id: int | None = Field(
        None, description="Ties the activity to this objective; null unties it."
    )


class ActivityImportSummaryOut(Schema):
    created: int
    unchanged: int = Field(description="Rows skipped because their uid was imported before.")


class ActivityImportProblemOut(Schema):
    row: int | None = Field(description="Row in the file; the header is row 1.")
    column: str
    reason: str


class UnmatchedNameOut(Schema):
    account_id: int
    account: str = Field(description="The account's external id.")
    account_name: str
    name: str = Field(description="The name as in the file.")
    rows: list[int]


class ActivityImportFailedOut(ErrorOut):
    report: list[ActivityImportProblemOut] = []
    unmatched: list[UnmatchedNameOut] = Field(
        default_factory=list,
        description=(
            "Names in the contacts column that match no contact of their account; send the "
            "file again with a mapping for each."
        ),
    )


class MappingIn(Schema):
    """What one unmatched name is: a contact id of the account, 'new' or 'ignore'."""

    account_id: int
    name: str
    to: int | Literal["new", "ignore"]


class HoursRowOut(Schema):
    """Person-hours for one account, person or box, and its share (0-1) of the total."""

    key: int | str = Field(description="Account id, user id, or box.")
    label: str
    detail: str = Field(description="External id of an account, username of a person.")
    hours: float
    share: float


class HoursOut(Schema):
    start: dt.date
    end: dt.date
    review_id: int | None = Field(None, description="The review whose boxes were used.")
    total_hours: float
    rows: list[HoursRowOut]


# --- helpers -------------------------------------------------------------------------------


def _period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    end = end or timezone.localdate()
    start = start or period_start_default(end)
    if start > end:
        raise ApplicationError(_("The start date is after the end date."), field="start")
    return start, end


def _hours(
    rows: list[HoursRow], start: dt.date, end: dt.date, review: Review | None = None
) -> dict[str, Any]:
    share = shares(rows)
    return {
        "start": start,
        "end": end,
        "review_id": review.pk if review else None,
        "total_hours": sum(r.minutes for r in rows) / 60,
        "rows": [
            {
                "key": r.key,
                "label": r.label,
                "detail": r.detail,
                "hours": r.hours,
                "share": share[r.key],
            }
            for r in rows
        ],
    }


def _account(request: AuthenticatedHttpRequest, account_id: int) -> Any:
    try:
        return account_get_visible(user=request.user, account_id=account_id)
    except ApplicationError as exc:
        raise ApplicationError(exc.message, field="account_id", status=404) from None


# --- endpoints -----------------------------------------------------------------------------


@router.get("/", response=list[ActivityOut], summary="List activities")
@paginate(PageNumberPagination, page_size=50)
def list_activities(request: AuthenticatedHttpRequest, filters: Query[ActivityFilters]) -> Any:
    """Activities on the accounts you may read, newest first, with the page's filters."""
    return activity_filter(queryset=activity_list_visible(user=request.user), filters=filters)


@router.get("/hours/accounts", response=HoursOut, summary="Actual hours per account")
def hours_by_account(
    request: AuthenticatedHttpRequest, start: dt.date | None = None, end: dt.date | None = None
) -> Any:
    """Person-hours per account you may read, most first (default: the last twelve months)."""
    start, end = _period(start, end)
    return _hours(actual_hours_by_account(start=start, end=end, user=request.user), start, end)


@router.get("/hours/people", response=HoursOut, summary="Actual hours per person")
def hours_by_person(
    request: AuthenticatedHttpRequest, start: dt.date | None = None, end: dt.date | None = None
) -> Any:
    """Person-hours per participant on the accounts you may read, most first."""
    start, end = _period(start, end)
    return _hours(actual_hours_by_person(start=start, end=end, user=request.user), start, end)


@router.get("/hours/boxes", response=HoursOut, summary="Actual hours per box")
def hours_by_box(
    request: AuthenticatedHttpRequest,
    start: dt.date | None = None,
    end: dt.date | None = None,
    review_id: int | None = None,
) -> Any:
    """Person-hours per box of a review (default: the portfolio review, the latest closed
    one); 'unplaced' for the rest."""
    start, end = _period(start, end)
    review = review_for_hours(review_id=review_id)
    rows = actual_hours_by_box(start=start, end=end, user=request.user, review=review)
    return _hours(rows, start, end, review)


@router.post(
    "/import",
    response={
        200: ActivityImportSummaryOut,
        403: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        422: ActivityImportFailedOut,
    },
    summary="Import activities from CSV",
)
def import_activities(
    request: AuthenticatedHttpRequest,
    file: File[UploadedFile],
    decimal: Form[Literal["comma", "point"] | None] = None,
    mapping: Form[str] = "",
) -> Any:
    """Import a CSV file (multipart field ``file``), all or nothing.

    422 with every problem (row, column, reason) when any row is wrong; nothing is written
    then. Rows whose uid was imported before are skipped (``unchanged``). Names in the
    contacts column are matched to the account's contacts (full name without regard to
    case or accents, or e-mail address); when some match none, 422 lists them in
    ``unmatched`` and the file is sent again with ``mapping``: a JSON list of
    ``{"account_id", "name", "to"}`` where ``to`` is a contact id of the account, ``"new"``
    (create the contact) or ``"ignore"`` (keep the name as not matched).
    """
    try:
        rules = TypeAdapter(list[MappingIn]).validate_json(mapping or "[]")
    except ValidationError as exc:
        raise ApplicationError(
            _("The mapping is a JSON list of {account_id, name, to}: %(error)s")
            % {"error": exc.errors()[0].get("msg", "")},
            field="mapping",
        ) from None
    try:
        summary = activity_import(
            user=request.user,
            content=file.read(),
            filename=file.name or "",
            mapping={(m.account_id, m.name): m.to for m in rules},
            decimal=decimal,
        )
    except ActivityImportUnmatched as exc:
        return Status(
            422,
            {
                "detail": exc.message,
                "field": exc.field,
                "problems": exc.problems,
                "report": [],
                "unmatched": [u.as_dict() for u in exc.unmatched],
            },
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
    return Status(200, {"created": summary.created, "unchanged": summary.unchanged})


@router.get("/{activity_id}", response={200: ActivityOut, 404: ErrorOut}, summary="Activity detail")
def get_activity(request: AuthenticatedHttpRequest, activity_id: int) -> Any:
    """One activity on an account you may read."""
    return activity_get_visible(user=request.user, activity_id=activity_id)


@router.post(
    "/",
    response={201: ActivityOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Log an activity",
)
def create_activity(request: AuthenticatedHttpRequest, payload: ActivityIn) -> Any:
    """Log an activity on an account you may read (viewers cannot)."""
    activity = activity_create(
        user=request.user,
        account=_account(request, payload.account_id),
        date=payload.date,
        duration_minutes=payload.duration_minutes,
        type=payload.type,
        participants=users_by_username(payload.participants),
        contacts=payload.contacts,
        contact_names=payload.contact_names,
        refuse_unmatched=True,
        topic=payload.topic,
        notes=payload.notes,
        external_uid=payload.external_uid,
        objective=payload.objective_id,
    )
    return Status(201, activity_get_visible(user=request.user, activity_id=activity.pk))


@router.patch(
    "/{activity_id}",
    response={200: ActivityOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Change an activity",
)
def update_activity(
    request: AuthenticatedHttpRequest, activity_id: int, payload: ActivityUpdateIn
) -> Any:
    """Change the fields sent (who logged it, its participants, directors, administrators)."""
    activity = activity_get_visible(user=request.user, activity_id=activity_id)
    sent = payload.model_dump(exclude_unset=True)
    for key, value in sent.items():
        if value is None and key != "objective_id":
            raise ApplicationError(_("%(field)s cannot be null.") % {"field": key}, field=key)
    changes: dict[str, Any] = {
        k: v for k, v in sent.items() if k not in {"account_id", "participants", "objective_id"}
    }
    if "objective_id" in sent:
        changes["objective"] = sent["objective_id"]
    if "account_id" in sent:
        changes["account"] = _account(request, sent["account_id"])
    if "participants" in sent:
        changes["participants"] = users_by_username(sent["participants"])
    activity_update(user=request.user, activity=activity, refuse_unmatched=True, **changes)
    return Status(200, activity_get_visible(user=request.user, activity_id=activity_id))


@router.delete(
    "/{activity_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Delete an activity",
)
def delete_activity(request: AuthenticatedHttpRequest, activity_id: int) -> Any:
    """Delete an activity (who logged it, its participants, directors, administrators)."""
    activity = activity_get_visible(user=request.user, activity_id=activity_id)
    activity_delete(user=request.user, activity=activity)
    return Status(204, None)
