"""Relationship pages: the account's relationship page, its org chart, contacts (with GDPR
export and erasure), the calendar import and the portfolio's findings. In kam/pages, above
the apps they read: findings come from activities and plans, the calendar import creates
activities (docs/architecture.md, "The order of the packages").

Views parse the request, call a selector or a service, and render. Reads start from the
caller's visible accounts; a hidden account answers 404 exactly like a missing one.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import vl_convert
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.accounts.models import Account, TeamRole
from kam.accounts.selectors import (
    account_get_visible,
    account_list_editable,
    account_may_edit,
    team_candidates,
)
from kam.activities import contact_privacy
from kam.activities.calendar import (
    CalendarImportError,
    address_map,
    calendar_import_create,
    calendar_import_rerun,
)
from kam.activities.selectors import activity_may_log
from kam.core import relationships as core
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.plans.conversations import plan_current
from kam.relationships import services
from kam.relationships.forms import CalendarForm, ContactForm
from kam.relationships.models import CalendarImport, Contact
from kam.relationships.orgchart import org_chart_svg
from kam.relationships.selectors import (
    FINDING_SORTS,
    AccountData,
    account_data,
    calendar_import_get,
    calendar_import_list,
    ckey,
    contact_get,
    contact_get_visible,
    contact_list_kept,
    contact_list_without_email,
    erasure_list,
    finding_rows,
    findings_accounts,
    findings_counts,
    findings_open,
)
from kam.users.models import Function
from kam.web.choices import BuyingRole, CustomerView, Stage, Strength
from kam.web.forms import add_application_error
from kam.web.page_errors import forbidden, refusal_message
from kam.web.requests import AuthenticatedHttpRequest


def _kind_labels() -> dict[str, str]:
    from kam.relationships.findings_store import finding_kind_labels

    return finding_kind_labels()


def _visible_or_404(request: AuthenticatedHttpRequest, pk: int) -> Account:
    return account_get_visible(user=request.user, account_id=pk)


def _data_or_404(request: AuthenticatedHttpRequest, pk: int) -> AccountData:
    return account_data(user=request.user, account_id=pk)


def _contact_or_404(request: AuthenticatedHttpRequest, contact_id: int) -> Contact:
    return contact_get_visible(user=request.user, contact_id=contact_id)


def tr(message: core.Message) -> str:
    """A core message in the current language."""
    return message.translated(_)


# --- the account's relationship page -------------------------------------------------------------


def _stage_rows(d: AccountData) -> list[dict[str, Any]]:
    """The stage table of section 3 with each marker's evidence, stage by stage."""
    if d.stage is None:
        return []
    rows: list[dict[str, Any]] = []
    for stage in Stage:
        markers = [m for m in d.stage.markers if m.stage == stage.value]
        rows.append(
            {
                "stage": stage,
                "label": stage.label,
                "markers": [
                    {"label": _(m.label), "present": m.present, "evidence": tr(m.evidence)}
                    for m in markers
                ],
            }
        )
    return rows


@login_required
@require_GET
def account_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Contacts, account team, contact matrix, findings, stage and positioning of one account."""
    d = _data_or_404(request, pk)
    account = d.account
    if d.stage is not None:
        services.stage_inferred_store(account=account, stage=d.stage.stage.value)
        d.relationship = account.relationship
    rel = d.relationship
    may_edit = account_may_edit(user=request.user, account=account)
    present_functions = {m.function for m in d.members if m.on_team}
    function_labels = dict(Function.choices)
    contacts = [c for c in d.contacts if c.erased_at is None]
    kind_labels = _kind_labels()
    findings = [
        {
            "kind": f.kind.value,
            "kind_label": kind_labels[f.kind],
            "severity": f.severity,
            "why": tr(f.why),
            "resolve": tr(f.resolve),
        }
        for f in d.findings
    ]
    cells = {(lk.ours, lk.theirs): lk for lk in d.links}
    linked_people = {lk.ours for lk in d.links if core.STRENGTH_ORDER[lk.strength] >= 1}
    columns = [m for m in d.members if m.on_team or m.key in linked_people]
    last_met = core.contact_last_met(d.account_map) if d.account_map else {}
    uncovered = {f.subject for f in d.findings if f.kind == core.FindingKind.UNCOVERED_DECIDER}
    role_labels = dict(BuyingRole.choices)
    strength_labels = dict(Strength.choices)
    contact_rows = []
    for c in sorted(contacts, key=lambda c: (c.has_left, c.seniority, -c.influence, c.name)):
        row_cells: list[dict[str, Any] | None] = []
        for m in columns:
            lk = cells.get((m.key, ckey(c.pk)))
            if lk is None or (core.STRENGTH_ORDER[lk.strength] == 0 and lk.last_met is None):
                row_cells.append(None)
                continue
            row_cells.append(
                {
                    "strength": lk.strength.value,
                    "label": strength_labels[lk.strength.value],
                    "rate": lk.meetings_per_year,
                    "last_met": lk.last_met,
                    "manual": not lk.derived,
                    "who": m.name,
                }
            )
        contact_rows.append(
            {
                "contact": c,
                "last_met": last_met.get(ckey(c.pk)),
                "cells": row_cells,
                "roles": [role_labels.get(r, r) for r in c.buying_roles],
                "uncovered": ckey(c.pk) in uncovered,
                "dots": range(c.influence),
                "undots": range(5 - c.influence),
            }
        )
    stage_inferred = d.stage.stage.value if d.stage else ""
    context = {
        "account": account,
        "box": d.box,
        "box_label": dict(Box.choices).get(d.box, ""),
        "data": d,
        "rel": rel,
        "may_edit": may_edit,
        "findings": findings,
        "contact_rows": contact_rows,
        "left_count": sum(1 for c in contacts if c.has_left),
        "columns": columns,
        "covered": sum(
            1
            for c in contacts
            if not c.has_left
            and set(c.buying_roles) & {"decider", "economic_buyer", "influencer"}
            and ckey(c.pk) not in uncovered
        ),
        "to_cover": sum(
            1
            for c in contacts
            if not c.has_left and set(c.buying_roles) & {"decider", "economic_buyer", "influencer"}
        ),
        "strong_links": sum(1 for lk in d.links if core.STRENGTH_ORDER[lk.strength] >= 2),
        "last_meeting": max((m.day for m in d.meetings), default=None),
        "members": d.members,
        "expected": [
            {"value": f, "label": function_labels.get(f, f), "present": f in present_functions}
            for f in d.expected_functions
        ],
        "team_hours": sum(m.planned_hours for m in d.members if m.on_team),
        "stage_inferred": stage_inferred,
        "stage_inferred_label": dict(Stage.choices).get(stage_inferred, ""),
        "stage_summary": tr(d.stage.summary) if d.stage else "",
        "stage_rows": _stage_rows(d),
        "stage_choices": Stage.choices,
        "view_choices": CustomerView.choices,
        "warnings": [tr(w) for w in d.warnings],
        "strength_choices": [c for c in Strength.choices],
        "function_choices": Function.choices,
        "team_role_choices": TeamRole.choices,
        "candidates": list(team_candidates()) if may_edit else [],
        "erasures": erasure_list(account=account),
        "erased_count": sum(1 for c in d.contacts if c.erased_at is not None),
        "manual_links": sorted(d.manual, key=lambda m: m.contact.name),
        # The plan's conversation grid (objectives × these people's roles) is one click away.
        "conversation_plan": plan_current(account_id=account.pk),
    }
    return render(request, "relationships/account.html", context)


@login_required
@require_POST
def account_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    """The small forms of the relationship page: links, team, stage, positioning, domains."""
    account = _visible_or_404(request, pk)
    post = request.POST
    anchor = action
    try:
        if action == "link":
            contact = _contact_or_404(request, int(post.get("contact") or 0))
            if contact.account_id != account.pk:
                raise Http404
            last = post.get("last_met") or None
            services.link_set(
                user=request.user,
                contact=contact,
                person=post.get("user"),
                strength=post.get("strength", ""),
                meetings_per_year=int(post.get("meetings_per_year") or 0),
                last_met=dt.date.fromisoformat(last) if last else None,
                note=post.get("note", ""),
            )
            messages.success(request, _("Link saved."))
            anchor = "matrix"
        elif action == "team":
            services.team_member_set(
                user=request.user,
                account=account,
                person=post.get("user"),
                team_role=post.get("team_role", TeamRole.CORE),
                function=post.get("function", ""),
                planned_hours=post.get("planned_hours") or 0,
            )
            messages.success(request, _("Team saved."))
        elif action == "team_remove":
            services.team_member_remove(user=request.user, account=account, person=post.get("user"))
            messages.success(request, _("Taken off the team."))
            anchor = "team"
        elif action == "stage":
            services.stage_override(
                user=request.user,
                account=account,
                stage=post.get("stage", ""),
                reason=post.get("reason", ""),
            )
            messages.success(request, _("Stage saved."))
        elif action == "markers":
            services.markers_set(
                user=request.user,
                account=account,
                joint_plan=bool(post.get("joint_plan")),
                joint_projects=post.get("joint_projects") or 0,
                shared_systems=bool(post.get("shared_systems")),
            )
            messages.success(request, _("Stage markers saved."))
            anchor = "stage"
        elif action == "positioning":
            services.positioning_set(
                user=request.user,
                account=account,
                view=post.get("view", ""),
                note=post.get("note", ""),
            )
            messages.success(request, _("Positioning saved."))
        elif action == "domains":
            services.account_domains_set(
                user=request.user,
                account=account,
                domains=post.get("domains", "").replace(";", ",").replace(" ", ",").split(","),
            )
            messages.success(request, _("E-mail domains saved."))
            anchor = "contacts"
        else:
            raise Http404
    except ApplicationError as exc:
        refusal_message(request, exc)
    except ValueError:
        messages.error(request, _("Check the numbers and dates you entered."))
    return redirect(reverse("relationships:account", args=[account.pk]) + f"#{anchor}")


# --- org chart -----------------------------------------------------------------------------------


@login_required
@require_GET
def orgchart_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The customer's org chart with our links, as large as it needs to be."""
    d = _data_or_404(request, pk)
    return render(
        request,
        "relationships/orgchart.html",
        {"account": d.account, "svg": org_chart_svg(d), "count": len(d.contacts)},
    )


@login_required
@require_GET
def orgchart_file(request: AuthenticatedHttpRequest, pk: int, file_format: str) -> HttpResponse:
    """The org chart as an SVG or PNG file."""
    d = _data_or_404(request, pk)
    svg = org_chart_svg(d)
    name = f"orgchart-{slugify(d.account.name) or d.account.pk}"
    if file_format == "svg":
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    elif file_format == "png":
        response = HttpResponse(vl_convert.svg_to_png(svg, scale=2), content_type="image/png")
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


# --- contacts ------------------------------------------------------------------------------------


def _contact_form(account: Account, contact: Contact | None, data: Any = None) -> ContactForm:
    others = contact_list_kept(account=account, exclude=contact)
    owners = [(u.pk, u.get_full_name() or u.username) for u in team_candidates()]
    initial: dict[str, Any] = {}
    if contact is not None:
        initial = {
            f: getattr(contact, f)
            for f in (
                "name",
                "title",
                "function",
                "seniority",
                "buying_roles",
                "influence",
                "attitude",
                "email",
                "phone",
                "has_left",
                "left_on",
                "lawful_basis",
                "notes",
            )
        }
        initial["reports_to"] = contact.reports_to_id
        initial["owner"] = contact.owner_id
    return ContactForm(
        data,
        initial=initial,
        reports_to_choices=[(c.pk, f"{c.name} — {c.title}" if c.title else c.name) for c in others],
        owner_choices=owners,
    )


def _contact_data(form: ContactForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["reports_to"] = data.get("reports_to") or None
    data["owner"] = data.get("owner") or None
    return data


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    account = _visible_or_404(request, pk)
    if not account_may_edit(user=request.user, account=account):
        return forbidden(request, _("You may read this account but not change it."))
    form = _contact_form(account, None, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(
                user=request.user, account=account, **_contact_data(form)
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Contact %(name)s added.") % {"name": contact.name})
            return redirect(reverse("relationships:account", args=[account.pk]) + "#contacts")
    return render(
        request,
        "relationships/contact_form.html",
        {"form": form, "account": account, "contact": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    contact = _contact_or_404(request, contact_id)
    account = contact.account
    if not account_may_edit(user=request.user, account=account):
        return forbidden(request, _("You may read this account but not change it."))
    if contact.erased_at is not None:
        raise Http404
    form = _contact_form(account, contact, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(user=request.user, contact=contact, **_contact_data(form))
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Contact %(name)s saved.") % {"name": contact.name})
            return redirect(reverse("relationships:account", args=[account.pk]) + "#contacts")
    return render(
        request,
        "relationships/contact_form.html",
        {"form": form, "account": account, "contact": contact},
    )


@login_required
@require_GET
def contact_export(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    """Everything kam holds on one person, as a JSON file (GDPR article 15)."""
    contact = _contact_or_404(request, contact_id)
    payload = contact_privacy.contact_export(user=request.user, contact=contact)
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="contact-{contact.account_id}-{contact.number}.json"'
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def contact_erase(request: AuthenticatedHttpRequest, contact_id: int) -> HttpResponse:
    """Confirm, then erase one person's data (GDPR article 17)."""
    contact = _contact_or_404(request, contact_id)
    if not account_may_edit(user=request.user, account=contact.account):
        return forbidden(request, _("You may read this account but not change it."))
    if request.method == "POST":
        try:
            contact_privacy.contact_erase(user=request.user, contact=contact)
        except ApplicationError as exc:
            refusal_message(request, exc)
        else:
            messages.success(
                request,
                _("The person's data is erased; they show as Former contact #%(n)d.")
                % {"n": contact.number},
            )
        return redirect(reverse("relationships:account", args=[contact.account_id]) + "#contacts")
    return render(
        request,
        "relationships/contact_erase.html",
        {"contact": contact, "account": contact.account, "activities": contact.activities.count()},
    )


# --- calendar import -----------------------------------------------------------------------------


def _calendar_context(
    request: AuthenticatedHttpRequest, record: CalendarImport | None
) -> dict[str, Any]:
    editable = list(
        account_list_editable(user=request.user).order_by("name").values_list("pk", "name")
    )
    unmatched = (record.summary or {}).get("unmatched", []) if record else []
    by_account: dict[int, list[tuple[int, str]]] = {}
    ids = {u["account_id"] for u in unmatched if u.get("account_id")}
    for c in contact_list_without_email(account_ids=ids):
        by_account.setdefault(c.account_id, []).append(
            (c.pk, f"{c.name} — {c.title}" if c.title else c.name)
        )
    for u in unmatched:
        u["contacts"] = by_account.get(u.get("account_id") or 0, [])
    return {
        "record": record,
        "summary": record.summary if record else None,
        "unmatched": unmatched,
        "editable": editable,
    }


@login_required
@require_http_methods(["GET", "POST"])
def calendar_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload an .ics file; its meetings become activities (see kam.activities.calendar)."""
    if not activity_may_log(user=request.user):
        return forbidden(request, _("Viewers cannot import calendars."))
    form = CalendarForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {
        "form": form,
        "recent": calendar_import_list(user=request.user),
    }
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record, _summary = calendar_import_create(
                user=request.user,
                content=upload.read(),
                filename=upload.name,
                period_start=form.cleaned_data.get("period_start"),
                period_end=form.cleaned_data.get("period_end"),
            )
        except CalendarImportError as exc:
            context.update(report=exc.report, filename=upload.name)
            status = 422
        except ApplicationError as exc:
            add_application_error(form, exc)
            status = exc.status
        else:
            return redirect("relationships:calendar_detail", record.pk)
    return render(request, "relationships/calendar.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_detail(request: AuthenticatedHttpRequest, import_id: int) -> HttpResponse:
    """What an import did, the addresses to map, and running the file again."""
    record = calendar_import_get(user=request.user, import_id=import_id)
    if record is None:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "rerun":
                calendar_import_rerun(user=request.user, record=record)
                messages.success(request, _("The file was run again."))
            elif action in ("new_contact", "contact", "domain"):
                account = (
                    account_list_editable(user=request.user)
                    .filter(pk=int(request.POST.get("account") or 0))
                    .first()
                )
                if account is None:
                    raise ApplicationError(_("Pick an account you may change."), field="account")
                contact = None
                if action == "contact":
                    contact = contact_get(
                        contact_id=int(request.POST.get("contact") or 0), account=account
                    )
                    if contact is None:
                        raise ApplicationError(
                            _("Pick one of the account's contacts."), field="contact"
                        )
                done = address_map(
                    user=request.user,
                    address=request.POST.get("address", ""),
                    account=account,
                    contact=contact,
                    name=request.POST.get("name", ""),
                    as_domain=action == "domain",
                )
                messages.success(
                    request, done + " " + _("Run the file again to bring its meetings in.")
                )
            else:
                raise Http404
        except CalendarImportError as exc:
            messages.error(request, "; ".join(str(p) for p in exc.report))
        except ApplicationError as exc:
            refusal_message(request, exc)
        return redirect("relationships:calendar_detail", record.pk)
    return render(request, "relationships/calendar_detail.html", _calendar_context(request, record))


# --- the portfolio's findings --------------------------------------------------------------------


@login_required
@require_GET
def findings_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every coverage finding on the visible accounts, by box (or severity), filterable by
    kind: read from the findings store, one page at a time, counted by aggregate queries."""
    kind = request.GET.get("kind", "")
    box = request.GET.get("box", "")
    sort = request.GET.get("sort", "box")
    if kind not in core.FindingKind._value2member_map_:
        kind = ""
    if box not in [*Box.values, "none"]:
        box = ""
    if sort not in FINDING_SORTS:
        sort = "box"
    records = findings_open(user=request.user, box=box, sort=sort)
    counts = findings_counts(records)
    kind_labels = _kind_labels()
    box_labels = dict(Box.choices)
    shown = records.filter(kind=kind) if kind else records
    page = Paginator(shown.select_related("account"), 50).get_page(request.GET.get("page"))
    rows = [
        {
            "account": r.account,
            "box": r.box,
            "box_label": box_labels.get(r.box, ""),
            "kind": r.kind,
            "kind_label": kind_labels.get(r.kind, r.kind),
            "severity": r.severity,
            "why": tr(r.why) if r.why else "",
            "resolve": tr(r.resolve) if r.resolve else "",
        }
        for r in finding_rows(page.object_list)
    ]
    summary = []
    for b in [*Box.values, ""]:
        per_kind = [counts.get((b, k), 0) for k in kind_labels]
        if any(per_kind):
            summary.append(
                {
                    "box": b or "none",
                    "label": box_labels.get(b, _("Not placed")),
                    "counts": list(zip(kind_labels, per_kind, strict=True)),
                }
            )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "relationships/findings.html",
        {
            "rows": rows,
            "page": page,
            "total": page.paginator.count,
            "query": query.urlencode(),
            "summary": summary,
            "kind_heads": list(kind_labels.values()),
            "kind": kind,
            "box": box,
            "sort": sort,
            "kinds": [
                (k.value, label, sum(n for (_b, k2), n in counts.items() if k2 == k))
                for k, label in kind_labels.items()
            ],
            "boxes": [*Box.choices, ("none", _("Not placed"))],
            "accounts": findings_accounts(shown),
            "may_import": activity_may_log(user=request.user),
        },
    )
