"""Writes of account plans (docs/method.md section 5): content, review, periods, share links.

Rules:

- content (section texts, items, the timetable's lines) changes only while the plan is a
  draft; submitting freezes it for review, approving freezes a version, reopening makes
  the next version's draft;
- the status of an action and comments on it are tracking, not planning: they change at
  any time, by the plan's editors, by our own owner of the action, or (through a share
  link) by the customer person who owns it;
- sales directors and administrators approve (``selectors.plan_may_approve``);
- a share link token is ``secrets.token_urlsafe(32)``; only its SHA-256 digest is stored;
- through a link, a named person at the customer signs off the plan's current approved
  version (``share_sign_off``): once per version and link; an older version, or a plan
  being revised, is refused (409).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.accounts.models import Account
from kam.accounts.selectors import account_editable_check
from kam.core.contact_match import Candidate, match_names
from kam.errors import ApplicationError, require
from kam.plans import signals
from kam.plans.document import PlanDocument
from kam.plans.models import (
    ALL_SECTIONS,
    FINISHED_STATUSES,
    ITEM_FIELDS,
    ActionComment,
    ActionStatus,
    ItemKind,
    OwnerSide,
    Plan,
    PlanAction,
    PlanItem,
    PlanSignOff,
    PlanStatus,
    PlanTemplate,
    PlanVersion,
    ResourceType,
    ShareAccess,
    ShareAccessKind,
    ShareLink,
)
from kam.plans.selectors import (
    account_box,
    action_may_update_status,
    plan_document_build,
    plan_edit_check,
    plan_may_approve,
    plan_may_edit,
    revenue_of_year,
    template_for_box,
    template_may_manage,
)
from kam.web.concurrency import bump, save_versioned, snapshot
from kam.web.history_records import history_reason
from kam.web.ratelimit import attempt_count, attempts

logger = logging.getLogger(__name__)


# Plan fields a person writes (the section texts and the profit plan).
PLAN_TEXT_FIELDS = [
    "team_notes",
    "summary",
    "profit_notes",
    "market",
    "value_chain",
    "customer_strategy",
    "swot_strengths",
    "swot_weaknesses",
    "swot_opportunities",
    "swot_threats",
    "purchasing_strategy",
    "resources_notes",
    "volume_unit",
]
PLAN_NUMBER_FIELDS = [
    "revenue_current",
    "revenue_target",
    "volume_current",
    "volume_target",
    "margin_current_pct",
    "margin_target_pct",
    "investment",
    "expected_return",
    "category_spend",
]
PLAN_CONTENT_FIELDS = [*PLAN_TEXT_FIELDS, *PLAN_NUMBER_FIELDS, "sections", "shared_sections"]
ITEM_NUMBER_FIELDS = {"measured_value", "investment", "expected_return", "hours"}
ACTION_CONTENT_FIELDS = [
    "what",
    "owner_side",
    "owner_user",
    "owner_contact",
    "owner_contact_name",
    "owner_contact_email",
    "due_date",
    "shared",
    "objective",
]

SHARE_DEFAULT_DAYS = 90
SHARE_MAX_DAYS = 366
SHARE_LOOKUP_LENGTH = 10


# -- small checks ---------------------------------------------------------------------------


def _check_draft(plan: Plan) -> None:
    if plan.status != PlanStatus.DRAFT:
        raise ApplicationError(
            _("This plan is %(status)s: reopen it as a draft to change its content.")
            % {"status": plan.get_status_display().lower()},
            status=409,
        )


def _decimal(name: str, value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).replace(" ", ""))
    except InvalidOperation:
        raise ApplicationError(_("Enter a number."), field=name) from None
    if not number.is_finite():
        raise ApplicationError(_("Enter a number."), field=name)
    if name.startswith("margin_") and not (Decimal(-100) <= number <= Decimal(100)):
        raise ApplicationError(_("A margin is a percentage between -100 and 100."), field=name)
    if not name.startswith("margin_") and number < 0:
        raise ApplicationError(_("Enter zero or more."), field=name)
    return number.quantize(Decimal("0.01"))


def _sections_clean(values: Any, field: str) -> list[str]:
    values = list(values or [])
    unknown = [v for v in values if v not in ALL_SECTIONS]
    if unknown:
        raise ApplicationError(
            _("Unknown section: %(name)s.") % {"name": ", ".join(map(str, unknown))}, field=field
        )
    return [k for k in ALL_SECTIONS if k in set(values)]


def _period_clean(label: str, start: dt.date, end: dt.date) -> str:
    label = (label or "").strip()
    if not label:
        raise ApplicationError(_("Name the period, for example 2026."), field="period_label")
    if len(label) > 40:
        raise ApplicationError(_("Keep the period's name to 40 characters."), field="period_label")
    if end <= start:
        raise ApplicationError(_("The period must end after it starts."), field="period_end")
    return label


# -- templates ------------------------------------------------------------------------------


@transaction.atomic
def templates_save(*, user: User, rows: dict[str, tuple[list[str], list[str]]]) -> None:
    """Store the sections and default shared sections per box (directors and administrators).

    ``rows`` maps a box to (sections, shared sections); a shared section must be in the
    template. Existing plans keep their own sections.
    """
    require(
        template_may_manage(user=user),
        _("Only sales directors and administrators set plan templates."),
    )
    for box, (sections, shared) in rows.items():
        sections = _sections_clean(sections, f"{box}-sections")
        shared = [s for s in _sections_clean(shared, f"{box}-shared") if s in sections]
        if not sections:
            raise ApplicationError(_("A plan needs at least one section."), field=f"{box}-sections")
        PlanTemplate.objects.update_or_create(
            box=box,
            defaults={"sections": sections, "shared_sections": shared, "updated_by": user},
        )


# -- plans ----------------------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *,
    user: User,
    account: Account,
    period_label: str,
    period_start: dt.date,
    period_end: dt.date,
) -> Plan:
    """A new draft plan for ``account``, with the sections of its box's template.

    Current revenue is the account's revenue of the year before the period starts, when
    known (the profit plan's starting point).
    """
    account_editable_check(user=user, account=account)
    label = _period_clean(period_label, period_start, period_end)
    if Plan.objects.filter(account=account, period_label=label).exists():
        raise ApplicationError(
            _("This account already has a plan for %(period)s.") % {"period": label},
            field="period_label",
            status=409,
        )
    template = template_for_box(account_box(account=account))
    return Plan.objects.create(
        account=account,
        period_label=label,
        period_start=period_start,
        period_end=period_end,
        sections=template.sections,
        shared_sections=template.shared_sections,
        revenue_current=revenue_of_year(account=account, year=period_start.year - 1),
        created_by=user if user.is_authenticated else None,
    )


@transaction.atomic
def plan_update(
    *,
    user: User,
    plan: Plan,
    data: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
    base: str | None = None,
) -> Plan:
    """Change section texts, profit plan numbers, and which sections are on and shared.

    Keys not in ``data`` are left alone. Only a draft changes. ``expected_version`` is the
    version the change was made on: when someone saved since, nothing is written and
    ``kam.web.concurrency.VersionConflict`` says so (412 if ``precondition``, else 409).
    Saving what is already there writes nothing and keeps the version. ``base``: the
    fingerprint of the sent fields as the form showed them; when only other fields (another
    section) were saved since, the change is no conflict (``kam.web.concurrency``).
    """
    plan_edit_check(user=user, plan=plan)
    _check_draft(plan)
    names = [n for n in data if n in PLAN_CONTENT_FIELDS]
    if "sections" in data and "shared_sections" not in names:
        names.append("shared_sections")
    before = snapshot(plan, names)
    changed = []
    for name, value in data.items():
        if name in PLAN_TEXT_FIELDS:
            value = (value or "").strip()
            if name == "volume_unit" and len(value) > 30:
                raise ApplicationError(_("Keep the unit to 30 characters."), field=name)
        elif name in PLAN_NUMBER_FIELDS:
            value = _decimal(name, value)
        elif name in {"sections", "shared_sections"}:
            value = _sections_clean(value, name)
        else:
            raise ApplicationError(_("Unknown field: %(name)s.") % {"name": name}, field=name)
        setattr(plan, name, value)
        changed.append(name)
    if not plan.sections:
        raise ApplicationError(_("A plan needs at least one section."), field="sections")
    plan.shared_sections = [s for s in plan.shared_sections if s in plan.sections]
    if changed:
        save_versioned(
            plan,
            before=before,
            expected=expected_version,
            user=user,
            precondition=precondition,
            base=base,
        )
    return plan


# -- items ----------------------------------------------------------------------------------


def _item_apply(item: PlanItem, data: dict[str, Any]) -> None:
    allowed = {"title", "shared", *ITEM_FIELDS[item.kind]}
    for name, value in data.items():
        if name not in allowed:
            raise ApplicationError(
                _("A %(kind)s has no field %(name)s.")
                % {"kind": item.get_kind_display().lower(), "name": name},
                field=name,
            )
        if name in ITEM_NUMBER_FIELDS:
            value = _decimal(name, value)
        elif name in {"shared", "confirmed"}:
            value = bool(value)
        elif name == "due_date":
            value = value or None
        elif name == "resource_type":
            if value and value not in ResourceType.values:
                raise ApplicationError(_("Choose a kind of resource."), field=name)
            value = value or ""
        else:
            value = (value or "").strip()
            max_length = PlanItem._meta.get_field(name).max_length
            if max_length and len(value) > max_length:
                raise ApplicationError(
                    _("Keep this to %(n)d characters.") % {"n": max_length}, field=name
                )
        setattr(item, name, value)
    if not item.title:
        raise ApplicationError(_("Give it a title."), field="title")
    if item.kind == ItemKind.VALUE_PROPOSITION and item.confirmed and not item.confirmed_by:
        raise ApplicationError(
            _("Say who at the customer confirmed the value."), field="confirmed_by"
        )


@transaction.atomic
def item_create(*, user: User, plan: Plan, kind: str, data: dict[str, Any]) -> PlanItem:
    """Add an objective, opportunity, value proposition, project or resource to a draft."""
    plan_edit_check(user=user, plan=plan)
    _check_draft(plan)
    if kind not in ItemKind.values:
        raise ApplicationError(_("Unknown kind of item."), field="kind")
    last = plan.items.filter(kind=kind).aggregate(m=Max("position"))["m"]
    item = PlanItem(
        plan=plan,
        kind=kind,
        position=(last or 0) + 1,
        updated_by=user if user.is_authenticated else None,
    )
    _item_apply(item, data)
    item.save()
    return item


@transaction.atomic
def item_update(
    *,
    user: User,
    item: PlanItem,
    data: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> PlanItem:
    """Change an item of a draft; ``expected_version`` as in :func:`plan_update`."""
    plan_edit_check(user=user, plan=item.plan)
    _check_draft(item.plan)
    allowed = {"title", "shared", *ITEM_FIELDS[item.kind]}
    before = snapshot(item, [n for n in data if n in allowed])
    _item_apply(item, data)
    save_versioned(
        item, before=before, expected=expected_version, user=user, precondition=precondition
    )
    return item


@transaction.atomic
def item_delete(*, user: User, item: PlanItem) -> None:
    plan_edit_check(user=user, plan=item.plan)
    _check_draft(item.plan)
    item.delete()


# -- actions --------------------------------------------------------------------------------


def _owner_contact_check(action: PlanAction, contact: Any) -> None:
    """The customer's owner must be a contact of the plan's account (not erased, unless it
    is the owner already)."""
    if contact is None:
        return
    if contact.account_id != action.plan.account_id or (
        contact.erased_at is not None and contact.pk != action.owner_contact_id
    ):
        raise ApplicationError(
            _("Choose one of %(account)s's contacts.") % {"account": action.plan.account.name},
            field="owner_contact",
        )


def _owner_contact_match(action: PlanAction, name: str) -> Any:
    """The one contact of the plan's account that ``name`` (or an address) matches, else a
    refusal naming it (``kam.core.contact_match``'s rule)."""
    from kam.relationships.models import Contact

    people = list(Contact.objects.filter(account_id=action.plan.account_id, erased_at=None))
    found = match_names([name], [Candidate(c.pk, c.name, c.email) for c in people]).ids
    if not found:
        raise ApplicationError(
            _("No contact of %(account)s matches '%(name)s'; add them as a contact first.")
            % {"account": action.plan.account.name, "name": name},
            field="owner_contact",
        )
    return next(c for c in people if c.pk == found[0])


def _action_apply(action: PlanAction, data: dict[str, Any]) -> None:
    typed_before = (action.owner_contact_name, action.owner_contact_email)
    for name, value in data.items():
        if name not in ACTION_CONTENT_FIELDS:
            raise ApplicationError(
                _("An action has no field %(name)s.") % {"name": name}, field=name
            )
        if name == "owner_side" and value not in OwnerSide.values:
            raise ApplicationError(_("Choose our side or the customer."), field=name)
        if name in {"what", "owner_contact_name"}:
            value = (value or "").strip()
        if name == "owner_contact_email":
            value = (value or "").strip().lower()
            if value:
                try:
                    validate_email(value)
                except ValidationError:
                    raise ApplicationError(_("Enter a valid e-mail address."), field=name) from None
        if name == "due_date":
            value = value or None
        if name == "shared":
            value = bool(value)
        if name == "objective" and value is not None and value.plan_id != action.plan_id:
            raise ApplicationError(_("That objective is in another plan."), field=name)
        if name == "owner_contact":
            _owner_contact_check(action, value)
        setattr(action, name, value)
    if not action.what:
        raise ApplicationError(_("Say what is to be done."), field="what")
    if len(action.what) > 300:
        raise ApplicationError(_("Keep this to %(n)d characters.") % {"n": 300}, field="what")
    if action.owner_side == OwnerSide.OURS:
        action.owner_contact = None
        action.owner_contact_name = ""
        action.owner_contact_email = ""
        if action.owner_user is None:
            raise ApplicationError(_("Choose who on our side owns it."), field="owner_user")
        return
    action.owner_user = None
    typed = (action.owner_contact_name, action.owner_contact_email)
    if "owner_contact" not in data and typed != typed_before and any(typed):
        # A name or address sent (the API, older clients): it must match one contact.
        action.owner_contact = _owner_contact_match(
            action, action.owner_contact_name or action.owner_contact_email
        )
    contact = action.owner_contact
    if contact is not None:
        # The copy lets share links match the address and keeps the name in versions.
        action.owner_contact_name = contact.display_name
        action.owner_contact_email = (contact.email or action.owner_contact_email).lower()
    elif not action.owner_contact_name or typed != typed_before:
        # Only a name typed before owners were contacts may stay unmatched.
        raise ApplicationError(
            _("Choose the person at the customer who owns it from the account's contacts."),
            field="owner_contact",
        )


@transaction.atomic
def action_create(*, user: User, plan: Plan, data: dict[str, Any]) -> PlanAction:
    """Add a line to a draft plan's timetable (what, who on which side, by when)."""
    plan_edit_check(user=user, plan=plan)
    _check_draft(plan)
    last = plan.actions.aggregate(m=Max("position"))["m"]
    action = PlanAction(
        plan=plan,
        position=(last or 0) + 1,
        updated_by=user if user.is_authenticated else None,
    )
    status = data.pop("status", None)
    _action_apply(action, data)
    if status:
        _status_apply(action, status)
    action.save()
    return action


@transaction.atomic
def action_update(
    *,
    user: User,
    action: PlanAction,
    data: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> PlanAction:
    """Change what an action is, who owns it or when it is due (draft only);
    ``expected_version`` as in :func:`plan_update`."""
    plan_edit_check(user=user, plan=action.plan)
    _check_draft(action.plan)
    status = data.pop("status", None)
    before = snapshot(
        action,
        [
            *ACTION_CONTENT_FIELDS,
            *(["status", "completed_at"] if status else []),
        ],
    )
    _action_apply(action, data)
    if status:
        _status_apply(action, status)
    save_versioned(
        action, before=before, expected=expected_version, user=user, precondition=precondition
    )
    return action


@transaction.atomic
def action_delete(*, user: User, action: PlanAction) -> None:
    plan_edit_check(user=user, plan=action.plan)
    _check_draft(action.plan)
    action.delete()


def _status_apply(action: PlanAction, status: str) -> None:
    if status not in ActionStatus.values:
        raise ApplicationError(_("Choose a status."), field="status")
    if status in FINISHED_STATUSES and action.status not in FINISHED_STATUSES:
        action.completed_at = timezone.now()
    elif status not in FINISHED_STATUSES:
        action.completed_at = None
    action.status = status


def _comment_clean(text: str) -> str:
    text = (text or "").strip()
    if len(text) > 2000:
        raise ApplicationError(_("Keep a comment to 2000 characters."), field="comment")
    return text


@transaction.atomic
def action_track(
    *,
    user: User,
    action: PlanAction,
    status: str | None = None,
    comment: str = "",
    visible_to_customer: bool = False,
) -> PlanAction:
    """Update an action's status and/or comment on it, in any plan status.

    Allowed for the plan's editors and for our own owner of the action.
    """
    require(
        action_may_update_status(user=user, action=action),
        _("Only the owner or the account team updates this."),
    )
    text = _comment_clean(comment)
    if status and status != action.status:
        _status_apply(action, status)
        bump(action)  # an edit form loaded before this cannot put the old status back
        action.save(update_fields=["status", "completed_at", "updated_at", "version"])
    if text:
        ActionComment.objects.create(
            action=action,
            text=text,
            author_user=user,
            author_name=str(user.get_full_name() or user.get_username()),
            visible_to_customer=visible_to_customer and action.shared,
        )
    return action


# -- review ---------------------------------------------------------------------------------


def plan_content_dump(plan: Plan) -> dict[str, Any]:
    """The plan's own fields, items and actions as JSON (what next period's plan copies)."""

    def value(v: Any) -> Any:
        if isinstance(v, Decimal):
            return str(v)
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, uuid.UUID):
            return str(v)
        return v

    item_names = sorted({n for names in ITEM_FIELDS.values() for n in names})
    return {
        "plan": {n: value(getattr(plan, n)) for n in PLAN_CONTENT_FIELDS},
        "items": [
            {
                "uid": str(i.uid),
                "kind": i.kind,
                "position": i.position,
                "title": i.title,
                "shared": i.shared,
                **{n: value(getattr(i, n)) for n in item_names},
            }
            for i in plan.items.order_by("kind", "position", "pk")
        ],
        "actions": [
            {
                "uid": str(a.uid),
                "position": a.position,
                "what": a.what,
                "owner_side": a.owner_side,
                "owner_user_id": a.owner_user_id,
                "owner_contact_id": a.owner_contact_id,
                "owner_contact_name": a.owner_contact_name,
                "owner_contact_email": a.owner_contact_email,
                "due_date": value(a.due_date),
                "status": a.status,
                "shared": a.shared,
                "objective_uid": str(a.objective.uid) if a.objective else None,
            }
            for a in plan.actions.select_related("objective").order_by("position", "pk")
        ],
    }


@transaction.atomic
@history_reason(gettext_lazy("Plan submitted for review"))
def plan_submit(*, user: User, plan: Plan) -> Plan:
    """Send a draft for review; its content is frozen until approved or reopened."""
    plan_edit_check(user=user, plan=plan)
    _check_draft(plan)
    plan.status = PlanStatus.IN_REVIEW
    bump(plan)  # a section form loaded on the draft is refused, not saved into review
    plan.save(update_fields=["status", "updated_at", "version"])
    return plan


@transaction.atomic
@history_reason(gettext_lazy("Plan approved"))
def plan_approve(*, user: User, plan: Plan, note: str = "") -> PlanVersion:
    """Approve a plan in review: freeze version ``plan.version_number`` with who and when.

    The version stores the internal document (``snapshot``) and the raw content.
    """
    require(
        plan_may_approve(user=user), _("Only a sales director or an administrator approves plans.")
    )
    locked = (
        Plan.objects.select_for_update(of=("self",))
        .select_related("account", "account__owner")
        .get(pk=plan.pk)
    )
    if locked.status != PlanStatus.IN_REVIEW:
        raise ApplicationError(_("Only a plan in review can be approved."), status=409)
    locked.status = plan.status = PlanStatus.APPROVED
    bump(locked)
    locked.save(update_fields=["status", "updated_at", "version"])
    plan = locked
    now = timezone.now()
    name = str(user.get_full_name() or user.get_username())
    doc = plan_document_build(plan=plan)
    snapshot = PlanDocument(
        **{
            **{f: getattr(doc, f) for f in doc.__dataclass_fields__},
            "approved_by": name,
            "approved_at": now,
        }
    ).to_snapshot()
    return PlanVersion.objects.create(
        plan=plan,
        number=plan.version_number,
        snapshot=snapshot,
        content=plan_content_dump(plan),
        approved_by=user,
        approved_by_name=name,
        approved_at=now,
        note=(note or "").strip(),
    )


@transaction.atomic
@history_reason(gettext_lazy("Plan reopened"))
def plan_reopen(*, user: User, plan: Plan) -> Plan:
    """Back to draft: from review (sent back, same version) or from approved (next version)."""
    current = Plan.objects.select_for_update().values("status", "version_number").get(pk=plan.pk)
    plan.status, plan.version_number = current["status"], current["version_number"]
    if plan.status == PlanStatus.DRAFT:
        return plan
    if plan.status == PlanStatus.IN_REVIEW:
        require(
            plan_may_approve(user=user) or plan_may_edit(user=user, plan=plan),
            _("You may read this plan but not change it."),
        )
    else:
        plan_edit_check(user=user, plan=plan)
        plan.version_number += 1
    plan.status = PlanStatus.DRAFT
    bump(plan)
    plan.save(update_fields=["status", "version_number", "updated_at", "version"])
    return plan


@transaction.atomic
@history_reason(gettext_lazy("Copied from the previous period's plan"))
def plan_create_next_period(
    *,
    user: User,
    source: Plan,
    period_label: str,
    period_start: dt.date,
    period_end: dt.date,
) -> Plan:
    """Next period's draft, copied from the last approved version of ``source``.

    Copied: sections and sharing, section texts, the profit plan (target and current
    revenue are reset: current revenue becomes the account's revenue of the year before
    the new period, when known; targets, investment and return are left for the new
    plan), every item with its ``uid`` (so periods compare item by item), and unfinished
    actions with their owner, status and due date (still owed, so an old due date stays
    visibly overdue). Done and dropped actions stay in the old plan. Value propositions
    lose their confirmation: the customer confirms the value again for the new period.
    The source plan stops being current (its actions leave the overdue lists).
    """
    account = source.account
    account_editable_check(user=user, account=account)
    version = source.versions.order_by("-number").first()
    if version is None:
        raise ApplicationError(
            _("Approve this plan first: next period's plan is made from an approved version."),
            status=409,
        )
    if source.successors.exists():
        raise ApplicationError(_("Next period's plan was already made from this plan."), status=409)
    plan = plan_create(
        user=user,
        account=account,
        period_label=period_label,
        period_start=period_start,
        period_end=period_end,
    )
    content = version.content
    fields = content["plan"]
    for name in PLAN_TEXT_FIELDS:
        setattr(plan, name, fields.get(name, ""))
    for name in ("volume_current", "margin_current_pct", "category_spend"):
        setattr(plan, name, _decimal(name, fields.get(name)))
    # Last period's targets are this period's starting point where nothing measured exists.
    if plan.volume_current is None:
        plan.volume_current = _decimal("volume_current", fields.get("volume_target"))
    plan.sections = _sections_clean(fields.get("sections"), "sections")
    plan.shared_sections = _sections_clean(fields.get("shared_sections"), "shared_sections")
    plan.previous = source
    plan.save()
    by_uid: dict[str, PlanItem] = {}
    for row in content["items"]:
        item = PlanItem(plan=plan, uid=uuid.UUID(row["uid"]), kind=row["kind"])
        for name, value in row.items():
            if name in {"uid", "kind"}:
                continue
            if name in ITEM_NUMBER_FIELDS:
                value = None if value is None else Decimal(value)
            elif name == "due_date":
                value = dt.date.fromisoformat(value) if value else None
            setattr(item, name, value)
        if item.kind == ItemKind.VALUE_PROPOSITION:
            item.confirmed = False
            item.confirmed_by = ""
        item.save()
        by_uid[row["uid"]] = item
    from kam.relationships.models import Contact

    owners = set(
        Contact.objects.filter(account_id=plan.account_id, erased_at=None).values_list(
            "pk", flat=True
        )
    )
    for row in content["actions"]:
        if row["status"] in FINISHED_STATUSES:
            continue
        PlanAction.objects.create(
            plan=plan,
            uid=uuid.UUID(row["uid"]),
            position=row["position"],
            what=row["what"],
            owner_side=row["owner_side"],
            owner_user_id=row["owner_user_id"],
            owner_contact_id=(
                row.get("owner_contact_id") if row.get("owner_contact_id") in owners else None
            ),
            owner_contact_name=row["owner_contact_name"],
            owner_contact_email=row["owner_contact_email"],
            due_date=dt.date.fromisoformat(row["due_date"]) if row["due_date"] else None,
            status=row["status"],
            shared=row["shared"],
            objective=by_uid.get(row["objective_uid"] or ""),
        )
    return plan


# -- share links ----------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def share_link_create(
    *,
    user: User,
    plan: Plan,
    person_name: str,
    person_email: str,
    days_valid: int = SHARE_DEFAULT_DAYS,
    language: str = "",
) -> tuple[ShareLink, str]:
    """A link for one named person at the customer; returns the row and the token (shown once).

    ``language`` is the language the shared page opens in (the site's when empty); the
    person can switch it on the page.

    The token is ``secrets.token_urlsafe(32)`` (256 bits); the row keeps its SHA-256 digest
    and its first characters (to find the row before comparing digests in constant time).
    """
    plan_edit_check(user=user, plan=plan)
    name = (person_name or "").strip()
    email = (person_email or "").strip().lower()
    if not name:
        raise ApplicationError(_("Name the person the link is for."), field="person_name")
    if len(name) > 200:
        raise ApplicationError(
            _("Keep this to %(n)d characters.") % {"n": 200}, field="person_name"
        )
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(_("Enter a valid e-mail address."), field="person_email") from None
    if not 1 <= int(days_valid) <= SHARE_MAX_DAYS:
        raise ApplicationError(
            _("A link is valid for 1 to %(n)d days.") % {"n": SHARE_MAX_DAYS}, field="days_valid"
        )
    language = language or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        raise ApplicationError(
            _("Unknown language %(code)s.") % {"code": language}, field="language"
        )
    for _attempt in range(3):
        token = secrets.token_urlsafe(32)
        try:
            with transaction.atomic():
                link = ShareLink.objects.create(
                    plan=plan,
                    person_name=name,
                    person_email=email,
                    language=language,
                    lookup=token[:SHARE_LOOKUP_LENGTH],
                    digest=_digest(token),
                    created_by=user if user.is_authenticated else None,
                    expires_at=timezone.now() + dt.timedelta(days=int(days_valid)),
                )
        except IntegrityError:  # pragma: no cover - a 256-bit collision
            continue
        return link, token
    raise ApplicationError(_("Could not make a link; try again."), status=500)  # pragma: no cover


@transaction.atomic
@history_reason(gettext_lazy("Share link revoked"))
def share_link_revoke(*, user: User, link: ShareLink) -> ShareLink:
    """Revoke a link now; it never opens the plan again. Revoking twice is a no-op."""
    plan_edit_check(user=user, plan=link.plan)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def share_access_log(
    *,
    link: ShareLink | None,
    kind: str,
    ip: str | None,
    action: PlanAction | None = None,
    detail: str = "",
) -> None:
    ShareAccess.objects.create(link=link, kind=kind, ip=ip, action=action, detail=detail[:300])


# Share-link guessing: after this many unusable tokens from one address within the window,
# that address gets 429 until the window ends (cache-based; see docs/operations.md).
SHARE_GUESS_LIMIT = 20
SHARE_GUESS_WINDOW = 600  # seconds


def _share_guess_key(ip: str | None) -> str:
    return f"kam:share-guesses:{ip or 'unknown'}"


def share_guess_count(*, ip: str | None) -> int:
    """Count one unusable token from ``ip``; the window starts at the first one."""
    return attempt_count(_share_guess_key(ip), window=SHARE_GUESS_WINDOW)


def share_guesses_exceeded(*, ip: str | None) -> bool:
    """Whether ``ip`` has used up its unusable tokens for the current window."""
    return attempts(_share_guess_key(ip)) >= SHARE_GUESS_LIMIT


def share_link_resolve(*, token: str, ip: str | None) -> ShareLink | None:
    """The live link for ``token`` (not expired, not revoked), or None.

    Every failure (unknown, tampered, expired, revoked) gives the same None; the digest
    is compared in constant time. An expired or revoked link records the refused attempt on
    the link; an unknown token writes nothing (it is only logged). Every failure counts
    towards the address's limit (``share_guesses_exceeded``).
    """
    token = token or ""
    digest = _digest(token)
    candidates = (
        list(
            ShareLink.objects.select_related("plan", "plan__account").filter(
                lookup=token[:SHARE_LOOKUP_LENGTH]
            )
        )
        if len(token) >= SHARE_LOOKUP_LENGTH
        else []
    )
    link = None
    for candidate in candidates:
        if hmac.compare_digest(candidate.digest, digest):
            link = candidate
    now = timezone.now()
    if link is None or link.revoked_at is not None or link.expires_at <= now:
        share_guess_count(ip=ip)
        if link is None:
            # A guess writes nothing (guessing must not fill the database); the log says it.
            logger.warning("share link refused: unknown token from %s", ip or "?")
            return None
        reason = "revoked" if link.revoked_at else "expired"
        share_access_log(link=link, kind=ShareAccessKind.REFUSED, ip=ip, detail=reason)
        return None
    ShareLink.objects.filter(pk=link.pk).update(last_used_at=now)
    link.last_used_at = now
    return link


def share_owned_actions(*, link: ShareLink) -> list[PlanAction]:
    """The shared actions of the link's plan owned by the link's person (matched on e-mail)."""
    if "actions" not in link.plan.shared_sections:
        return []
    return list(
        link.plan.actions.filter(
            owner_side=OwnerSide.THEIRS,
            shared=True,
            owner_contact_email__iexact=link.person_email,
        ).order_by("due_date", "position", "pk")
    )


@transaction.atomic
def share_action_update(
    *,
    link: ShareLink,
    action_uid: str,
    status: str | None,
    comment: str,
    ip: str | None,
) -> PlanAction:
    """The customer person updates the status of, or comments on, an action they own.

    Anything else (another plan's action, an internal one, someone else's) answers 404
    like an action that does not exist. Each change writes a ``ShareAccess`` row.
    """
    try:
        uid = uuid.UUID(str(action_uid))
    except ValueError:
        uid = None
    action = next((a for a in share_owned_actions(link=link) if a.uid == uid), None)
    if action is None:
        share_access_log(link=link, kind=ShareAccessKind.REFUSED, ip=ip, detail="action")
        raise ApplicationError(_("There is no such action."), status=404)
    text = _comment_clean(comment)
    status_before = action.status
    if status and status != action.status:
        old = action.get_status_display()
        _status_apply(action, status)
        bump(action)
        with history_reason(
            _in_site_language(
                gettext_lazy("Updated by %(name)s through a share link"), name=link.person_name
            )
        ):
            action.save(update_fields=["status", "completed_at", "updated_at", "version"])
        share_access_log(
            link=link,
            kind=ShareAccessKind.STATUS,
            ip=ip,
            action=action,
            detail=f"{old} → {action.get_status_display()}",
        )
    if text:
        ActionComment.objects.create(
            action=action,
            text=text,
            share_link=link,
            author_name=link.person_name,
            visible_to_customer=True,
        )
        share_access_log(
            link=link, kind=ShareAccessKind.COMMENT, ip=ip, action=action, detail=text[:300]
        )
    changed = action.status != status_before
    signals.customer_action_updated.send(  # kam.notifications tells the manager, batched
        sender=PlanAction,
        link=link,
        action=action,
        status_from=status_before if changed else "",
        status_to=action.status if changed else "",
        comment=text,
    )
    return action


def _in_site_language(message: Any, **values: str) -> str:
    """``message`` in the site's language: the audit history is read by us, whichever
    language the customer chose on the shared page."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % values


# -- sign-off by the customer ---------------------------------------------------------------

# Sign-off attempts through one link: after this many within the window, 429 until it ends
# (the same fixed-window counter as share-link guessing, kam.web.ratelimit).
SIGN_OFF_LIMIT = 10
SIGN_OFF_WINDOW = 3600  # seconds


def _sign_off_key(link: ShareLink) -> str:
    return f"kam:share-sign-off:{link.pk}"


def share_sign_off_version(*, link: ShareLink) -> PlanVersion | None:
    """The version the link's person may sign off: the plan's latest approved version,
    while the plan is approved (a plan being revised shows a draft, not that version)."""
    plan = link.plan
    if plan.status != PlanStatus.APPROVED:
        return None
    return plan.versions.order_by("-number").first()


def share_sign_off(
    *,
    link: ShareLink,
    version_number: int | None,
    person_name: str,
    person_role: str = "",
    person_email: str = "",
    ip: str | None = None,
) -> tuple[PlanSignOff, bool]:
    """A named person at the customer signs off the plan's current version through ``link``.

    Returns the sign-off and whether it is new: signing the same version again through the
    same link changes nothing and returns the first sign-off. Refused (409) when
    ``version_number`` is not the current approved version or the plan is being revised;
    (429) after ``SIGN_OFF_LIMIT`` attempts through the link within ``SIGN_OFF_WINDOW``.
    The key account manager is told (kam.notifications, as a job after commit).
    """
    if attempt_count(_sign_off_key(link), window=SIGN_OFF_WINDOW) > SIGN_OFF_LIMIT:
        raise ApplicationError(
            _("Too many sign-off attempts through this link. Please try again in an hour."),
            status=429,
        )
    plan = link.plan
    current = share_sign_off_version(link=link)
    if current is None:
        latest = plan.versions.order_by("-number").first()
        if latest is None:
            message = _("This plan has no approved version yet; it can be signed off once it has.")
        else:
            message = _(
                "This plan is being revised after version %(n)d. The new version can be "
                "signed off once it is approved."
            ) % {"n": latest.number}
        share_access_log(link=link, kind=ShareAccessKind.REFUSED, ip=ip, detail="sign-off")
        raise ApplicationError(message, status=409)
    if version_number != current.number:
        share_access_log(link=link, kind=ShareAccessKind.REFUSED, ip=ip, detail="sign-off")
        raise ApplicationError(
            _(
                "Version %(old)s is not the current version of this plan; version %(n)d is. "
                "Read it and sign that one off."
            )
            % {"old": version_number if version_number is not None else "?", "n": current.number},
            status=409,
            field="version",
        )
    name = (person_name or "").strip()
    role = (person_role or "").strip()
    email = (person_email or "").strip().lower()
    if not name:
        raise ApplicationError(_("Enter your name."), field="person_name", status=422)
    for field_name, value in (("person_name", name), ("person_role", role)):
        if len(value) > 200:
            raise ApplicationError(
                _("Keep this to %(n)d characters.") % {"n": 200}, field=field_name, status=422
            )
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ApplicationError(
                _("Enter a valid e-mail address."), field="person_email", status=422
            ) from None
    existing = PlanSignOff.objects.filter(version=current, link=link).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            with history_reason(
                _in_site_language(
                    gettext_lazy("Version %(n)s signed off by %(name)s through a share link"),
                    n=str(current.number),
                    name=name,
                )
            ):
                sign_off = PlanSignOff.objects.create(
                    plan=plan,
                    version=current,
                    link=link,
                    person_name=name,
                    person_role=role,
                    person_email=email,
                    signed_at=timezone.now(),
                    ip=ip,
                )
            share_access_log(
                link=link,
                kind=ShareAccessKind.SIGN_OFF,
                ip=ip,
                detail=f"v{current.number} · {name}" + (f", {role}" if role else ""),
            )
            signals.customer_signed_off.send(sender=PlanSignOff, sign_off=sign_off)
    except IntegrityError:  # the same person clicked twice at once: the first one counts
        return PlanSignOff.objects.get(version=current, link=link), False
    return sign_off, True
