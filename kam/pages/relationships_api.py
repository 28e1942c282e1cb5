"""API endpoints of the relationships app, mounted at /api/relationships; in kam/pages, as
the relationship pages are, because the calendar import creates activities.

The same rules as the pages (docs/method.md sections 3 and 4): reads start from the caller's
visible accounts (another manager's account, or a contact on it, answers 404 as if it did
not exist); writes need an account the caller may change (``account_list_editable``):
viewers and team members get 403. Calendar import needs a role that may log activities.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import vl_convert
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from kam.accounts.models import TeamRole
from kam.accounts.selectors import account_get_visible
from kam.activities import contact_privacy
from kam.activities.calendar import CalendarImportError, calendar_import_create
from kam.core import relationships as core
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.relationships import services
from kam.relationships.models import AccountRelationship, Contact
from kam.relationships.orgchart import org_chart_svg
from kam.relationships.selectors import (
    FINDING_SORTS,
    AccountData,
    account_data,
    contact_get_visible,
    contact_list,
    finding_rows,
    findings_open,
)
from kam.web.api_schemas import ErrorOut
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["relationships"])


# --- schemas -------------------------------------------------------------------------------------


class ContactOut(Schema):
    """A contact at the customer; ``name`` is 'Former contact #n' once the data is erased."""

    id: int
    account_id: int
    number: int
    name: str
    title: str
    function: str
    seniority: int = Field(description="1 (board) to 5 (operational).")
    reports_to_id: int | None
    buying_roles: list[str]
    influence: int = Field(description="1 to 5.")
    attitude: str
    owner: str | None = Field(description="Username of the relationship owner on our side.")
    email: str
    phone: str
    notes: str
    has_left: bool
    left_on: dt.date | None
    lawful_basis: str
    erased: bool

    @staticmethod
    def resolve_name(obj: Contact) -> str:
        return obj.display_name

    @staticmethod
    def resolve_owner(obj: Contact) -> str | None:
        return obj.owner.get_username() if obj.owner_id and obj.owner else None

    @staticmethod
    def resolve_erased(obj: Contact) -> bool:
        return obj.erased_at is not None


class ContactIn(Schema):
    name: str
    title: str = ""
    function: str = "other"
    seniority: int = 3
    reports_to_id: int | None = None
    buying_roles: list[str] = []
    influence: int = 3
    attitude: str = "neutral"
    owner_id: int | None = None
    email: str = ""
    phone: str = ""
    notes: str = ""
    has_left: bool = False
    left_on: dt.date | None = None
    lawful_basis: str = "legitimate_interest"


class ContactPatch(Schema):
    """Only the fields sent are changed."""

    name: str | None = None
    title: str | None = None
    function: str | None = None
    seniority: int | None = None
    reports_to_id: int | None = None
    buying_roles: list[str] | None = None
    influence: int | None = None
    attitude: str | None = None
    owner_id: int | None = None
    email: str | None = None
    phone: str | None = None
    notes: str | None = None
    has_left: bool | None = None
    left_on: dt.date | None = None
    lawful_basis: str | None = None


class ErasureOut(Schema):
    contact_id: int
    contact_number: int
    erased_by: str | None
    erased_at: dt.datetime
    activities_kept: int


class MemberOut(Schema):
    user_id: int
    username: str
    name: str
    role: str = Field(description="key_account_manager, core or surround.")
    function: str
    planned_hours: int
    on_team: bool = Field(description="False: took part in activities but is not on the team.")
    senior: bool


class TeamOut(Schema):
    members: list[MemberOut]
    expected_functions: list[str]
    missing_functions: list[str]
    planned_hours: int


class TeamMemberIn(Schema):
    user_id: int
    team_role: str = TeamRole.CORE
    function: str = Field("", description="Empty: the person's own function.")
    planned_hours: int = 0


class LinkOut(Schema):
    """One cell of the contact matrix: our person × their person."""

    user_id: int
    contact_id: int
    strength: str
    meetings_per_year: float
    last_met: dt.date | None
    derived: bool = Field(description="True: from activities; False: entered by hand.")


class LinkIn(Schema):
    user_id: int
    contact_id: int
    strength: str = Field(description="none (removes the manual link), weak, medium, strong.")
    meetings_per_year: int = 0
    last_met: dt.date | None = None
    note: str = ""


class RelationshipFindingOut(Schema):
    account_id: int
    account_name: str
    box: str
    kind: str
    subject: str | None = Field(description="c<contact id>, a function key, or null.")
    severity: int = Field(description="3 serious, 2 warning, 1 note.")
    why: str
    resolve: str


class MarkerOut(Schema):
    stage: str
    name: str
    label: str
    present: bool
    evidence: str


class StageOut(Schema):
    inferred: str
    summary: str
    chosen: str
    reason: str
    chosen_by: str | None
    chosen_at: dt.datetime | None
    in_force: str
    markers: list[MarkerOut]
    joint_plan: bool
    joint_projects: int
    shared_systems: bool


class StageIn(Schema):
    stage: str = Field("", description="Empty: return to the inferred stage.")
    reason: str = ""


class MarkersIn(Schema):
    joint_plan: bool
    joint_projects: int = 0
    shared_systems: bool


class PositioningOut(Schema):
    box: str
    customer_view: str
    note: str
    warnings: list[str]


class PositioningIn(Schema):
    customer_view: str = Field(
        description="strategic, bottleneck, leverage, non_critical or empty."
    )
    note: str = ""


class DomainsIn(Schema):
    domains: list[str]


class UnmatchedOut(Schema):
    address: str
    name: str
    events: int
    account_id: int | None
    account_name: str


class CalendarOut(Schema):
    import_id: int
    period_start: dt.date
    period_end: dt.date
    occurrences: int
    created: int
    unchanged: int
    contacts_attached: int
    all_day: int
    cancelled: int
    internal: int
    not_held_yet: int
    capped: int
    accounts: dict[str, int]
    unmatched: list[UnmatchedOut]


class CalendarImportProblemOut(Schema):
    row: int | None
    column: str
    reason: str


class CalendarImportFailedOut(ErrorOut):
    report: list[CalendarImportProblemOut] = []


# --- helpers -------------------------------------------------------------------------------------


def _data(request: AuthenticatedHttpRequest, account_id: int) -> AccountData:
    return account_data(user=request.user, account_id=account_id)


def _contact(request: AuthenticatedHttpRequest, contact_id: int) -> Contact:
    return contact_get_visible(user=request.user, contact_id=contact_id)


def _contact_fields(payload: Schema, *, partial: bool) -> dict[str, Any]:
    data = payload.dict(exclude_unset=partial)
    if "reports_to_id" in data:
        data["reports_to"] = data.pop("reports_to_id")
    if "owner_id" in data:
        data["owner"] = data.pop("owner_id")
    return data


def _uid(key: str) -> int:
    return int(key[1:])


def _tr(message: core.Message) -> str:
    return message.translated(_)


def _finding_out(d: AccountData, f: core.Finding) -> dict[str, Any]:
    return {
        "account_id": d.account.pk,
        "account_name": d.account.name,
        "box": d.box,
        "kind": f.kind.value,
        "subject": f.subject,
        "severity": f.severity,
        "why": _tr(f.why),
        "resolve": _tr(f.resolve),
    }


# --- contacts ------------------------------------------------------------------------------------


@router.get(
    "/accounts/{account_id}/contacts",
    response={200: list[ContactOut], 404: ErrorOut},
    summary="Contacts of an account",
)
def list_contacts(request: AuthenticatedHttpRequest, account_id: int) -> Any:
    account = account_get_visible(user=request.user, account_id=account_id)
    return contact_list(account=account)


@router.post(
    "/accounts/{account_id}/contacts",
    response={201: ContactOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add a contact",
)
def create_contact(request: AuthenticatedHttpRequest, account_id: int, payload: ContactIn) -> Any:
    account = account_get_visible(user=request.user, account_id=account_id)
    contact = services.contact_create(
        user=request.user, account=account, **_contact_fields(payload, partial=False)
    )
    return Status(201, contact)


@router.get(
    "/contacts/{contact_id}", response={200: ContactOut, 404: ErrorOut}, summary="Contact detail"
)
def get_contact(request: AuthenticatedHttpRequest, contact_id: int) -> Any:
    return _contact(request, contact_id)


@router.patch(
    "/contacts/{contact_id}",
    response={200: ContactOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Change a contact",
)
def update_contact(
    request: AuthenticatedHttpRequest, contact_id: int, payload: ContactPatch
) -> Any:
    contact = _contact(request, contact_id)
    return services.contact_update(
        user=request.user, contact=contact, **_contact_fields(payload, partial=True)
    )


@router.delete(
    "/contacts/{contact_id}",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Delete a contact entered by mistake",
)
def delete_contact(request: AuthenticatedHttpRequest, contact_id: int) -> Any:
    """A contact who took part in activities cannot be deleted (409): erase their data instead."""
    services.contact_delete(user=request.user, contact=_contact(request, contact_id))
    return Status(204, None)


@router.get(
    "/contacts/{contact_id}/export",
    response={200: dict, 404: ErrorOut},
    summary="Export one person's data (GDPR)",
)
def export_contact(request: AuthenticatedHttpRequest, contact_id: int) -> Any:
    """Everything kam holds on the person, as JSON (GDPR article 15)."""
    return contact_privacy.contact_export(user=request.user, contact=_contact(request, contact_id))


@router.post(
    "/contacts/{contact_id}/erase",
    response={200: ErasureOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Erase one person's data (GDPR)",
)
def erase_contact(request: AuthenticatedHttpRequest, contact_id: int) -> Any:
    """Anonymise the person as 'Former contact #n'; activities stay; an audit row is written."""
    contact = _contact(request, contact_id)
    record = contact_privacy.contact_erase(user=request.user, contact=contact)
    return {
        "contact_id": contact.pk,
        "contact_number": record.contact_number,
        "erased_by": record.erased_by.get_username() if record.erased_by else None,
        "erased_at": record.erased_at,
        "activities_kept": record.activities_kept,
    }


@router.put(
    "/accounts/{account_id}/domains",
    response={200: DomainsIn, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="The customer's e-mail domains",
)
def set_domains(request: AuthenticatedHttpRequest, account_id: int, payload: DomainsIn) -> Any:
    account = account_get_visible(user=request.user, account_id=account_id)
    account = services.account_domains_set(
        user=request.user, account=account, domains=payload.domains
    )
    return {"domains": account.email_domains}


# --- team ----------------------------------------------------------------------------------------


def _team(d: AccountData) -> dict[str, Any]:
    present = {m.function for m in d.members if m.on_team}
    return {
        "members": [
            {
                "user_id": m.user.pk,
                "username": m.user.get_username(),
                "name": m.name,
                "role": str(m.role),
                "function": m.function,
                "planned_hours": m.planned_hours,
                "on_team": m.on_team,
                "senior": m.senior,
            }
            for m in d.members
        ],
        "expected_functions": d.expected_functions,
        "missing_functions": [f for f in d.expected_functions if f not in present],
        "planned_hours": sum(m.planned_hours for m in d.members if m.on_team),
    }


@router.get(
    "/accounts/{account_id}/team", response={200: TeamOut, 404: ErrorOut}, summary="Account team"
)
def get_team(request: AuthenticatedHttpRequest, account_id: int) -> Any:
    """Key account manager, core and surround team with functions and planned hours, against
    the functions the box policy expects (section 3)."""
    return _team(_data(request, account_id))


@router.put(
    "/accounts/{account_id}/team",
    response={200: TeamOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Put a person on the team, or change their seat",
)
def set_team_member(
    request: AuthenticatedHttpRequest, account_id: int, payload: TeamMemberIn
) -> Any:
    account = account_get_visible(user=request.user, account_id=account_id)
    services.team_member_set(
        user=request.user,
        account=account,
        person=payload.user_id,
        team_role=payload.team_role,
        function=payload.function,
        planned_hours=payload.planned_hours,
    )
    return _team(_data(request, account_id))


@router.delete(
    "/accounts/{account_id}/team/{user_id}",
    response={200: TeamOut, 403: ErrorOut, 404: ErrorOut},
    summary="Take a person off the team",
)
def remove_team_member(request: AuthenticatedHttpRequest, account_id: int, user_id: int) -> Any:
    account = account_get_visible(user=request.user, account_id=account_id)
    services.team_member_remove(user=request.user, account=account, person=user_id)
    return _team(_data(request, account_id))


# --- contact matrix and org chart ---------------------------------------------------------------


def _links(d: AccountData) -> list[dict[str, Any]]:
    return [
        {
            "user_id": _uid(lk.ours),
            "contact_id": _uid(lk.theirs),
            "strength": lk.strength.value,
            "meetings_per_year": round(lk.meetings_per_year, 2),
            "last_met": lk.last_met,
            "derived": lk.derived,
        }
        for lk in d.links
    ]


@router.get(
    "/accounts/{account_id}/links",
    response={200: list[LinkOut], 404: ErrorOut},
    summary="Contact matrix",
)
def get_links(request: AuthenticatedHttpRequest, account_id: int) -> Any:
    """Every link (our person × their person), derived from the activities of the last 365
    days, or entered by hand where no activity shows one (section 3)."""
    return _links(_data(request, account_id))


@router.put(
    "/accounts/{account_id}/links",
    response={200: list[LinkOut], 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Set a manual link",
)
def set_link(request: AuthenticatedHttpRequest, account_id: int, payload: LinkIn) -> Any:
    account = account_get_visible(user=request.user, account_id=account_id)
    contact = _contact(request, payload.contact_id)
    if contact.account_id != account.pk:
        raise ApplicationError(_("There is no such contact."), status=404, field="contact_id")
    services.link_set(
        user=request.user,
        contact=contact,
        person=payload.user_id,
        strength=payload.strength,
        meetings_per_year=payload.meetings_per_year,
        last_met=payload.last_met,
        note=payload.note,
    )
    return _links(_data(request, account_id))


@router.get(
    "/accounts/{account_id}/orgchart.svg",
    response={200: None, 404: ErrorOut},
    summary="Org chart (SVG)",
)
def orgchart_svg(request: AuthenticatedHttpRequest, account_id: int) -> Any:
    return HttpResponse(
        org_chart_svg(_data(request, account_id)), content_type="image/svg+xml; charset=utf-8"
    )


@router.get(
    "/accounts/{account_id}/orgchart.png",
    response={200: None, 404: ErrorOut},
    summary="Org chart (PNG)",
)
def orgchart_png(request: AuthenticatedHttpRequest, account_id: int) -> Any:
    svg = org_chart_svg(_data(request, account_id))
    return HttpResponse(vl_convert.svg_to_png(svg, scale=2), content_type="image/png")


# --- findings, stage, positioning -----------------------------------------------------------------


@router.get(
    "/accounts/{account_id}/findings",
    response={200: list[RelationshipFindingOut], 404: ErrorOut},
    summary="Findings of an account",
)
def account_findings(request: AuthenticatedHttpRequest, account_id: int) -> Any:
    d = _data(request, account_id)
    return [_finding_out(d, f) for f in d.findings]


#: The findings the portfolio endpoint answers at most per call (``limit``).
FINDINGS_LIMIT_MAX = 1000


class FindingFilters(Schema):
    kind: str = Field(
        "", description="uncovered_decider, bow_tie, champion_left, not_met, missing_function."
    )
    box: str = Field("", description="key, key_development, maintenance, opportunistic or none.")
    sort: str = Field("box", description="box, severity or account.")
    limit: int = Field(
        FINDINGS_LIMIT_MAX,
        description=f"How many findings to answer, 1 to {FINDINGS_LIMIT_MAX} (the default).",
    )
    offset: int = Field(0, description="How many findings to skip (0 and up).")


@router.get(
    "/findings",
    response={200: list[RelationshipFindingOut], 422: ErrorOut},
    summary="Findings across the portfolio",
)
def portfolio_findings(
    request: AuthenticatedHttpRequest, response: HttpResponse, filters: Query[FindingFilters]
) -> Any:
    """The findings on the accounts the caller may read, sorted by box (key first) then
    severity, or by severity or account; ``limit`` at a time from ``offset``. The header
    ``X-Total-Count`` says how many there are in all."""
    if filters.kind and filters.kind not in core.FindingKind._value2member_map_:
        raise ApplicationError(_("Unknown kind of finding."), field="kind")
    if filters.box and filters.box not in [*Box.values, "none"]:
        raise ApplicationError(_("Unknown box."), field="box")
    if filters.sort not in FINDING_SORTS:
        raise ApplicationError(_("Unknown order."), field="sort")
    if not 1 <= filters.limit <= FINDINGS_LIMIT_MAX:
        raise ApplicationError(
            _("The limit is 1 to %(max)d.") % {"max": FINDINGS_LIMIT_MAX}, field="limit"
        )
    if filters.offset < 0:
        raise ApplicationError(_("The offset is 0 or more."), field="offset")
    records = findings_open(
        user=request.user, kind=filters.kind, box=filters.box, sort=filters.sort
    )
    response["X-Total-Count"] = str(records.count())
    chunk = records.select_related("account")[filters.offset : filters.offset + filters.limit]
    return [
        {
            "account_id": r.account.pk,
            "account_name": r.account.name,
            "box": r.box,
            "kind": r.kind,
            "subject": r.subject or None,
            "severity": r.severity,
            "why": _tr(r.why) if r.why else "",
            "resolve": _tr(r.resolve) if r.resolve else "",
        }
        for r in finding_rows(chunk)
    ]


def _stage(d: AccountData, rel: AccountRelationship) -> dict[str, Any]:
    inference = d.stage
    assert inference is not None
    return {
        "inferred": inference.stage.value,
        "summary": _tr(inference.summary),
        "chosen": rel.chosen_stage if rel else "",
        "reason": rel.chosen_reason if rel else "",
        "chosen_by": rel.chosen_by.get_username() if rel and rel.chosen_by else None,
        "chosen_at": rel.chosen_at if rel else None,
        "in_force": (rel.chosen_stage if rel and rel.chosen_stage else inference.stage.value),
        "markers": [
            {
                "stage": m.stage.value,
                "name": m.name,
                "label": _(m.label),
                "present": m.present,
                "evidence": _tr(m.evidence),
            }
            for m in inference.markers
        ],
        "joint_plan": bool(rel and rel.joint_plan),
        "joint_projects": rel.joint_projects if rel else 0,
        "shared_systems": bool(rel and rel.shared_systems),
    }


def _stage_stored(request: AuthenticatedHttpRequest, account_id: int) -> dict[str, Any]:
    d = _data(request, account_id)
    assert d.stage is not None
    rel = services.stage_inferred_store(account=d.account, stage=d.stage.stage.value)
    return _stage(d, rel)


@router.get(
    "/accounts/{account_id}/stage",
    response={200: StageOut, 404: ErrorOut},
    summary="Relationship stage",
)
def get_stage(request: AuthenticatedHttpRequest, account_id: int) -> Any:
    """The inferred stage with the evidence for each marker, and the chosen one (section 3)."""
    return _stage_stored(request, account_id)


@router.put(
    "/accounts/{account_id}/stage",
    response={200: StageOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Choose the stage (override, with a reason)",
)
def set_stage(request: AuthenticatedHttpRequest, account_id: int, payload: StageIn) -> Any:
    account = account_get_visible(user=request.user, account_id=account_id)
    services.stage_override(
        user=request.user, account=account, stage=payload.stage, reason=payload.reason
    )
    return _stage_stored(request, account_id)


@router.put(
    "/accounts/{account_id}/stage/markers",
    response={200: StageOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Joint plan, joint projects, shared systems",
)
def set_markers(request: AuthenticatedHttpRequest, account_id: int, payload: MarkersIn) -> Any:
    account = account_get_visible(user=request.user, account_id=account_id)
    services.markers_set(
        user=request.user,
        account=account,
        joint_plan=payload.joint_plan,
        joint_projects=payload.joint_projects,
        shared_systems=payload.shared_systems,
    )
    return _stage_stored(request, account_id)


def _positioning(d: AccountData) -> dict[str, Any]:
    rel = d.relationship
    return {
        "box": d.box,
        "customer_view": rel.customer_view if rel else "",
        "note": rel.customer_view_note if rel else "",
        "warnings": [_tr(w) for w in d.warnings],
    }


@router.get(
    "/accounts/{account_id}/positioning",
    response={200: PositioningOut, 404: ErrorOut},
    summary="Supplier positioning",
)
def get_positioning(request: AuthenticatedHttpRequest, account_id: int) -> Any:
    """How the customer files us (Kraljic), with the mismatch warnings against our box
    (section 4)."""
    return _positioning(_data(request, account_id))


@router.put(
    "/accounts/{account_id}/positioning",
    response={200: PositioningOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Record how the customer files us",
)
def set_positioning(
    request: AuthenticatedHttpRequest, account_id: int, payload: PositioningIn
) -> Any:
    account = account_get_visible(user=request.user, account_id=account_id)
    services.positioning_set(
        user=request.user, account=account, view=payload.customer_view, note=payload.note
    )
    return _positioning(_data(request, account_id))


# --- calendar ------------------------------------------------------------------------------------


@router.post(
    "/calendar/import",
    response={200: CalendarOut, 403: ErrorOut, 413: ErrorOut, 422: CalendarImportFailedOut},
    summary="Import an iCalendar (.ics) file",
)
def import_calendar(
    request: AuthenticatedHttpRequest,
    file: File[UploadedFile],
    period_start: Form[dt.date | None] = None,
    period_end: Form[dt.date | None] = None,
) -> Any:
    """Meetings in the file become activities (multipart field ``file``; optional form
    fields ``period_start``/``period_end``, default the file's span up to today, at most a
    year). All or nothing; importing the same file again creates nothing. A refused file
    answers 422 with one entry per problem in ``report`` (the event, property and reason);
    a period longer than a year or ending after today answers 422 too."""
    try:
        record, summary = calendar_import_create(
            user=request.user,
            content=file.read(),
            filename=file.name or "calendar.ics",
            period_start=period_start,
            period_end=period_end,
        )
    except CalendarImportError as exc:
        return Status(
            422,
            {
                "detail": exc.message,
                "field": None,
                "problems": exc.problems,
                "report": [p.as_dict() for p in exc.report],
            },
        )
    return {"import_id": record.pk, **summary.as_dict()}
