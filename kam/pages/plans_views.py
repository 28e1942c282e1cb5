"""Plan pages: the list, a plan with its sections, editing, review, comparison, share links,
overdue commitments, templates per box, and the customer's page behind a share link.

In kam/pages because a plan's page shows the account's figures (economics) and links to log
a conversation on an objective (activities), apps above plans (docs/architecture.md, "The
order of the packages"). Views parse the request, call one selector or service, and render.
Every plan is read through the user's visible accounts; a plan on a hidden account answers
404.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import (
    get_supported_language_variant,
    parse_accept_lang_header,
)
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.accounts.selectors import account_get_visible, account_list_editable
from kam.activities.selectors import activity_may_log
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.organisation.selectors import organisation_get
from kam.plans import services
from kam.plans.compare import plan_compare
from kam.plans.document import PlanDocument
from kam.plans.forms import (
    SECTION_FIELDS,
    SECTION_ITEM_KINDS,
    ActionForm,
    ApproveForm,
    PeriodForm,
    PlanNewForm,
    SectionsForm,
    ShareLanguageForm,
    ShareLinkForm,
    SignOffForm,
    TrackForm,
    item_form_class,
    section_form_class,
    templates_from_post,
)
from kam.plans.models import (
    ActionStatus,
    ItemKind,
    OwnerSide,
    Plan,
    PlanAction,
    PlanItem,
    PlanStatus,
    Section,
    ShareAccessKind,
    ShareLink,
)
from kam.plans.selectors import (
    action_comments,
    action_get_trackable,
    action_may_update_status,
    overdue_groups,
    plan_actions,
    plan_document,
    plan_document_build,
    plan_figures,
    plan_get_visible,
    plan_items,
    plan_list_annotated,
    plan_list_visible,
    plan_may_approve,
    plan_may_edit,
    plan_row_as_stored,
    plan_versions,
    share_access_list,
    share_links,
    sign_offs_of_version,
    template_list,
    template_may_manage,
    version_get,
)
from kam.web import formats
from kam.web.concurrency import VersionConflict, conflict_response, fingerprint, parse_version
from kam.web.formats import half_up
from kam.web.forms import add_application_error
from kam.web.page_errors import forbidden, refusal_message
from kam.web.requests import AuthenticatedHttpRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# -- helpers --------------------------------------------------------------------------------

#: Plans a page of the plans list shows.
PLANS_PER_PAGE = 50


def _plan_or_404(request: AuthenticatedHttpRequest, pk: int) -> Plan:
    return plan_get_visible(user=request.user, plan_id=pk)


def _client_ip(request: HttpRequest) -> str | None:
    # Behind a proxy, settings decide whether X-Forwarded-For is trusted; REMOTE_ADDR is
    # what Django gives without that knowledge.
    return request.META.get("REMOTE_ADDR") or None


def _plan_url(plan: Plan, anchor: str = "") -> str:
    url = reverse("plans:detail", args=[plan.pk])
    return f"{url}#{anchor}" if anchor else url


def _edit_version(request: AuthenticatedHttpRequest, obj: Any) -> int | None:
    """The version an edit form carries: the one it was loaded with (kept when the form
    comes back with an error), so that a save over someone else's is refused."""
    if request.method == "POST":
        return parse_version(request.POST.get("version"))
    return int(obj.version) if obj is not None else None


def _edit_base(request: AuthenticatedHttpRequest, plan: Plan, names: list[str]) -> str:
    """The fingerprint of the fields a plan form shows, as loaded: a save over someone
    else's save of other sections of the plan is then no conflict."""
    if request.method == "POST":
        return (request.POST.get("base") or "")[:64]
    return fingerprint(plan, names)


def _conflict(
    request: AuthenticatedHttpRequest,
    exc: VersionConflict,
    plan: Plan,
    title: StrOrPromise,
    anchor: str,
) -> HttpResponse:
    """Both versions side by side (409): keep mine, or take theirs (the plan's section)."""
    from kam.plans.models import ResourceType

    return conflict_response(
        request,
        exc,
        title=title,
        back_url=_plan_url(plan, anchor),
        choices={
            "sections": dict(Section.choices),
            "shared_sections": dict(Section.choices),
            "resource_type": dict(ResourceType.choices),
        },
        extra={"crumbs": f"{plan.account.name} {plan.period_label}"},
    )


# -- list and creation ----------------------------------------------------------------------


@login_required
@require_GET
def plan_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Plans on the accounts the user may read, with open and overdue actions."""
    plans = plan_list_annotated(user=request.user)
    status = request.GET.get("status", "")
    period = request.GET.get("period", "")
    current_only = request.GET.get("all") != "1"
    if status in PlanStatus.values:
        plans = plans.filter(status=status)
    if period:
        plans = plans.filter(period_label=period)
    if current_only:
        plans = plans.filter(successors__isnull=True)
    # 50 a page (a fixed number of queries whatever the portfolio); the count is of them all
    page = Paginator(plans, PLANS_PER_PAGE).get_page(request.GET.get("page"))
    labels = plan_list_visible(user=request.user).values_list("period_label", flat=True)
    periods = sorted(set(labels.order_by().distinct()), reverse=True)
    return render(
        request,
        "plans/plan_list.html",
        {
            "plans": page.object_list,
            "page": page,
            "statuses": PlanStatus.choices,
            "boxes": Box.choices,
            "status": status,
            "period": period,
            "periods": periods,
            "current_only": current_only,
            "may_create": account_list_editable(user=request.user).exists(),
            "may_templates": template_may_manage(user=request.user),
            "waiting": (
                plan_list_visible(user=request.user).filter(status=PlanStatus.IN_REVIEW).count()
                if plan_may_approve(user=request.user)
                else 0
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a plan for an account the user may change; ``?account=<id>`` picks it."""
    accounts = account_list_editable(user=request.user).order_by("name")
    if not accounts.exists():
        return forbidden(request, _("You cannot write plans: you change no accounts."))
    initial = PeriodForm.initial_for_year(timezone.localdate().year)
    if (request.GET.get("account") or "").isdigit():
        initial["account"] = int(request.GET["account"])
    form = PlanNewForm(request.POST or None, initial=initial, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(
                user=request.user,
                account=form.cleaned_data["account"],
                period_label=form.cleaned_data["period_label"],
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Plan created with the sections of the account's box."))
            return redirect(_plan_url(plan))
    return render(request, "plans/plan_new.html", {"form": form})


# -- the plan page --------------------------------------------------------------------------


def _stats(plan: Plan, items: list[PlanItem], actions: list[PlanAction]) -> dict[str, Any]:
    today = timezone.localdate()
    confirmed = [
        i.measured_value
        for i in items
        if i.kind == ItemKind.VALUE_PROPOSITION and i.confirmed and i.measured_value
    ]
    unconfirmed = [
        i.measured_value
        for i in items
        if i.kind == ItemKind.VALUE_PROPOSITION and not i.confirmed and i.measured_value
    ]
    figures = plan_figures(plan=plan)
    return {
        "figures": figures,
        "revenue": half_up(figures.revenue),
        "growth_pct": figures.growth_pct,
        "roi_pct": figures.roi_pct,
        "payback_years": half_up(figures.payback_years, 1),
        "value_confirmed": sum(confirmed) if confirmed else None,
        "value_unconfirmed": sum(unconfirmed) if unconfirmed else None,
        "open_actions": sum(1 for a in actions if a.status not in ("done", "dropped")),
        "overdue_actions": sum(1 for a in actions if a.is_overdue(today)),
        "wallet_pct": (
            half_up(figures.share_of_wallet * 100) if figures.share_of_wallet is not None else None
        ),
    }


@login_required
@require_GET
def plan_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The whole plan, section by section, with what the user may do on it.

    ``?view=customer`` shows exactly what a share link shows (the customer's view).
    """
    plan = _plan_or_404(request, pk)
    may_edit = plan_may_edit(user=request.user, plan=plan)
    doc = plan_document_build(plan=plan)
    if request.GET.get("view") == "customer":
        customer_doc = doc.for_customer()
        return render(
            request,
            "plans/plan_customer_preview.html",
            {
                "plan": plan,
                "doc": customer_doc,
                "rows": _customer_action_rows(plan=plan, doc=customer_doc, owned=set()),
            },
        )
    items = plan_items(plan=plan)
    actions = plan_actions(plan=plan)
    comments = action_comments(actions=actions)
    today = timezone.localdate()
    for a in actions:
        a.overdue = a.is_overdue(today)  # type: ignore[attr-defined]
        a.comment_list = comments.get(a.pk, [])  # type: ignore[attr-defined]
        a.may_track = action_may_update_status(  # type: ignore[attr-defined]
            user=request.user, action=a, plan_editable=may_edit
        )
    draft = plan.status == PlanStatus.DRAFT
    sections = []
    for s in doc.sections:
        sections.append(
            {
                "doc": s,
                "key": s.key,
                "editable_fields": may_edit and draft and s.key in SECTION_FIELDS,
                "kinds": SECTION_ITEM_KINDS.get(s.key, []),
                "items": [i for i in items if i.section == s.key],
            }
        )
    versions = list(plan_versions(plan=plan))
    team = doc.section("team")
    columns = {"role": _("Team role"), "function": _("Function"), "hours": _("Planned hours")}
    team_rows = [
        {"name": m.title, **{k: dict(m.fields).get(label, "") for k, label in columns.items()}}
        for m in (team.items if team else [])
    ]
    stats = _stats(plan, items, actions)
    context = {
        "team_rows": team_rows,
        "team_hours": any(r["hours"] for r in team_rows),
        "plan": plan,
        "doc": doc,
        "sections": sections,
        "actions": actions,
        "versions": versions,
        "may_edit": may_edit,
        "may_change_content": may_edit and draft,
        "may_approve": plan_may_approve(user=request.user),
        "stats": stats,
        "status_choices": ActionStatus.choices,
        "kind_labels": dict(ItemKind.choices),
        "successor": plan.successors.first(),
        "link_count": plan.share_links.filter(
            revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).count(),
        "approve_form": ApproveForm(),
        "currency": plan.account.currency,
        "box_code": stats["figures"].box,
        "relationship": _relationship_summary(request, plan),
        "conversations": _conversations(request, plan, doc, items),
        "may_log": activity_may_log(user=request.user),
    }
    return render(request, "plans/plan_detail.html", context)


def _conversations(
    request: AuthenticatedHttpRequest, plan: Plan, doc: PlanDocument, items: list[Any]
) -> dict[str, Any] | None:
    """The conversation grid of the plan's document, each row linking to logging a
    conversation on its objective (for those who may log activities)."""
    from kam.plans.conversations import grid_display

    links: dict[str, str] = {}
    if activity_may_log(user=request.user):
        new = reverse("activities:new")
        links = {str(i.uid): f"{new}?account={plan.account_id}&objective={i.pk}" for i in items}
    return grid_display(doc.conversations, links=links)


def _relationship_summary(request: AuthenticatedHttpRequest, plan: Plan) -> dict[str, object]:
    """The account's relationship in one line for the plan's team section (issue 4's
    stage, findings and positioning, method sections 3 and 4)."""
    from kam.core import relationships as rel_core
    from kam.relationships.selectors import account_data

    data = account_data(user=request.user, account_id=plan.account_id)
    rel = data.relationship
    chosen = rel.chosen_stage if rel is not None and rel.chosen_stage else ""
    stage = chosen or (data.stage.stage.value if data.stage is not None else "")
    view = rel.customer_view if rel is not None and rel.customer_view else ""
    return {
        "stage": _(rel_core.STAGE_LABELS[rel_core.Stage(stage)]) if stage else "",
        "chosen": bool(chosen),
        "findings": len(data.findings),
        "serious": sum(1 for f in data.findings if f.severity >= 3),
        "view": _(rel_core.CUSTOMER_VIEW_LABELS[rel_core.CustomerView(view)]) if view else "",
    }


@login_required
@require_http_methods(["GET", "POST"])
def section_edit(request: AuthenticatedHttpRequest, pk: int, key: str) -> HttpResponse:
    """Edit the plan's own fields of one section (texts, profit plan numbers)."""
    plan = _plan_or_404(request, pk)
    if key not in SECTION_FIELDS:
        raise Http404
    if not plan_may_edit(user=request.user, plan=plan):
        return forbidden(request, _("You may read this plan but not change it."))
    form = section_form_class(key)(request.POST or None, instance=plan)
    version = _edit_version(request, plan)
    base = _edit_base(request, plan, SECTION_FIELDS[key])
    title = dict(Section.choices)[key]
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(
                user=request.user,
                plan=plan_row_as_stored(plan),
                data={n: form.cleaned_data[n] for n in SECTION_FIELDS[key]},
                expected_version=version,
                base=base,
            )
        except VersionConflict as exc:
            return _conflict(request, exc, plan, title, key)
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_plan_url(plan, key))
    return render(
        request,
        "plans/edit_form.html",
        {
            "plan": plan,
            "form": form,
            "title": title,
            "back": key,
            "edit_version": version,
            "edit_base": base,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def sections_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Tailor this plan: which sections it has and which the customer sees."""
    plan = _plan_or_404(request, pk)
    if not plan_may_edit(user=request.user, plan=plan):
        return forbidden(request, _("You may read this plan but not change it."))
    form = SectionsForm(
        request.POST or None,
        initial={"sections": plan.sections, "shared_sections": plan.shared_sections},
    )
    version = _edit_version(request, plan)
    base = _edit_base(request, plan, ["sections", "shared_sections"])
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(
                user=request.user,
                plan=plan,
                data=form.cleaned_data,
                expected_version=version,
                base=base,
            )
        except VersionConflict as exc:
            return _conflict(request, exc, plan, _("Sections of this plan"), "")
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Sections saved."))
            return redirect(_plan_url(plan))
    data = form.data if form.is_bound else form.initial
    getter = data.getlist if hasattr(data, "getlist") else data.get
    return render(
        request,
        "plans/sections_edit.html",
        {
            "plan": plan,
            "form": form,
            "choices": Section.choices,
            "chosen": set(getter("sections") or []),
            "shared": set(getter("shared_sections") or []),
            "edit_version": version,
            "edit_base": base,
        },
    )


# -- items ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(
    request: AuthenticatedHttpRequest, pk: int, kind: str = "", item_id: int | None = None
) -> HttpResponse:
    """Add (``kind``) or edit (``item_id``) an objective, value proposition, project, resource."""
    plan = _plan_or_404(request, pk)
    item = None
    if item_id is not None:
        item = plan.items.filter(pk=item_id).first()
        if item is None:
            raise Http404
        kind = item.kind
    if kind not in ItemKind.values:
        raise Http404
    if not plan_may_edit(user=request.user, plan=plan):
        return forbidden(request, _("You may read this plan but not change it."))
    form_class = item_form_class(kind)
    initial = {"shared": kind != ItemKind.RESOURCE}
    form = form_class(request.POST or None, instance=item, initial=initial)
    section = str(PlanItem(kind=kind).section)
    if request.method == "POST" and "delete" in request.POST and item is not None:
        try:
            services.item_delete(user=request.user, item=item)
        except ApplicationError as exc:
            refusal_message(request, exc)
        else:
            messages.success(request, _("Deleted."))
        return redirect(_plan_url(plan, section))
    version = _edit_version(request, item)
    if request.method == "POST" and form.is_valid():
        data = {n: form.cleaned_data[n] for n in form.fields}
        try:
            if item is None:
                services.item_create(user=request.user, plan=plan, kind=kind, data=data)
            else:
                services.item_update(
                    user=request.user,
                    item=plan_row_as_stored(item),
                    data=data,
                    expected_version=version,
                )
        except VersionConflict as exc:
            assert item is not None
            return _conflict(
                request, exc, plan, _("Edit: %(what)s") % {"what": item.title}, section
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_plan_url(plan, section))
    label = dict(ItemKind.choices)[kind]
    return render(
        request,
        "plans/edit_form.html",
        {
            "plan": plan,
            "form": form,
            "title": (_("Edit: %(what)s") % {"what": item.title}) if item else label,
            "back": section,
            "deletable": item is not None and plan.status == PlanStatus.DRAFT,
            "edit_version": version,
        },
    )


# -- actions --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def action_edit(
    request: AuthenticatedHttpRequest, pk: int, action_id: int | None = None
) -> HttpResponse:
    """Add or edit a line of the timetable (draft only; status can be tracked any time)."""
    plan = _plan_or_404(request, pk)
    action = None
    if action_id is not None:
        action = plan.actions.filter(pk=action_id).first()
        if action is None:
            raise Http404
    if not plan_may_edit(user=request.user, plan=plan):
        return forbidden(request, _("You may read this plan but not change it."))
    form = ActionForm(request.POST or None, instance=action, plan=plan)
    if request.method == "POST" and "delete" in request.POST and action is not None:
        try:
            services.action_delete(user=request.user, action=action)
        except ApplicationError as exc:
            refusal_message(request, exc)
        else:
            messages.success(request, _("Deleted."))
        return redirect(_plan_url(plan, "actions"))
    version = _edit_version(request, action)
    if request.method == "POST" and form.is_valid():
        data = {n: form.cleaned_data[n] for n in form.fields}
        try:
            if action is None:
                services.action_create(user=request.user, plan=plan, data=data)
            else:
                services.action_update(
                    user=request.user,
                    action=plan_row_as_stored(action),
                    data=data,
                    expected_version=version,
                )
        except VersionConflict as exc:
            return _conflict(request, exc, plan, _("Edit action"), "actions")
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(_plan_url(plan, "actions"))
    return render(
        request,
        "plans/edit_form.html",
        {
            "plan": plan,
            "form": form,
            "title": _("Edit action") if action else _("New action"),
            "back": "actions",
            "deletable": action is not None and plan.status == PlanStatus.DRAFT,
            "action_form": True,
            "edit_version": version,
        },
    )


@login_required
@require_POST
def action_track(request: AuthenticatedHttpRequest, pk: int, action_id: int) -> HttpResponse:
    """Update an action's status and/or add a comment.

    Our own owner of an action may do this even when the account is not theirs to read
    (a commitment from another function); everyone else reads the plan first.
    """
    try:
        action = action_get_trackable(user=request.user, plan_id=pk, action_id=action_id)
    except ApplicationError:
        raise Http404 from None
    plan = action.plan
    form = TrackForm(request.POST)
    if form.is_valid():
        try:
            services.action_track(
                user=request.user,
                action=action,
                status=form.cleaned_data["status"],
                comment=form.cleaned_data["comment"],
                visible_to_customer=form.cleaned_data["visible_to_customer"],
            )
        except ApplicationError as exc:
            refusal_message(request, exc)
    else:
        messages.error(request, _("Choose a status."))
    next_url = request.POST.get("next") or ""
    if next_url.startswith("/") and not next_url.startswith("//"):
        return redirect(next_url)
    if not plan_list_visible(user=request.user).filter(pk=pk).exists():
        return redirect(reverse("plans:overdue") + "?by=person")
    return redirect(_plan_url(plan, f"action-{action.pk}"))


# -- review ---------------------------------------------------------------------------------


@login_required
@require_POST
def plan_transition(request: AuthenticatedHttpRequest, pk: int, step: str) -> HttpResponse:
    """Submit for review, approve, or reopen as a draft."""
    plan = _plan_or_404(request, pk)
    try:
        if step == "submit":
            services.plan_submit(user=request.user, plan=plan)
            messages.success(request, _("Sent for review. Its content is frozen until approved."))
        elif step == "approve":
            form = ApproveForm(request.POST)
            note = form.cleaned_data["note"] if form.is_valid() else ""
            version = services.plan_approve(user=request.user, plan=plan, note=note)
            messages.success(
                request, _("Version %(n)d approved and frozen.") % {"n": version.number}
            )
        elif step == "reopen":
            services.plan_reopen(user=request.user, plan=plan)
            messages.success(request, _("The plan is a draft again."))
        else:
            raise Http404
    except ApplicationError as exc:
        refusal_message(request, exc)
    return redirect(_plan_url(plan))


@login_required
@require_http_methods(["GET", "POST"])
def plan_next(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Make next period's plan from this plan's last approved version."""
    plan = _plan_or_404(request, pk)
    if not plan_may_edit(user=request.user, plan=plan):
        return forbidden(request, _("You may read this plan but not change it."))
    year = plan.period_end.year + 1
    initial = {
        "period_label": str(year) if plan.period_label.isdigit() else "",
        "period_start": plan.period_end + dt.timedelta(days=1),
        "period_end": plan.period_end.replace(year=plan.period_end.year + 1),
    }
    form = PeriodForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.plan_create_next_period(
                user=request.user, source=plan, **form.cleaned_data
            )
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(
                request,
                _("Plan for %(period)s made from version %(n)d of %(old)s.")
                % {
                    "period": new.period_label,
                    "n": plan.versions.order_by("-number").first().number,  # type: ignore[union-attr]
                    "old": plan.period_label,
                },
            )
            return redirect(_plan_url(new))
    return render(
        request,
        "plans/edit_form.html",
        {
            "plan": plan,
            "form": form,
            "title": _("Plan for the next period"),
            "lead": _(
                "Copies the last approved version: section texts, objectives, value "
                "propositions, projects and resources, and the actions not yet done (with their "
                "owners and due dates). Value propositions need the customer's confirmation "
                "again; targets are set anew."
            ),
            "submit_label": _("Make the plan"),
        },
    )


def _document_for(plan: Plan, ref: str) -> tuple[PlanDocument, str]:
    """``current`` (the live plan) or ``v<number>`` (an approved version) of ``plan``, or
    ``p<plan id>:v<number>`` for the previous period's plan."""
    if ref.startswith("p") and ":" in ref and plan.previous_id:
        plan_part, _sep, ref = ref.partition(":")
        if plan_part != f"p{plan.previous_id}":
            raise Http404
        assert plan.previous is not None
        source = plan.previous
    else:
        source = plan
    if ref in ("", "current"):
        if source != plan:
            raise Http404
        return plan_document_build(plan=plan), _("Current (%(status)s)") % {
            "status": plan.get_status_display().lower()
        }
    if ref.startswith("v") and ref[1:].isdigit():
        version = version_get(plan=source, number=int(ref[1:]))
        label = _("%(period)s version %(n)d, approved %(date)s") % {
            "period": source.period_label,
            "n": version.number,
            "date": formats.date(timezone.localtime(version.approved_at)),
        }
        return plan_document(version=version), label
    raise Http404


@login_required
@require_GET
def plan_compare_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Two versions side by side: what was added, removed and changed, with word diffs."""
    plan = _plan_or_404(request, pk)
    versions = list(plan_versions(plan=plan))
    choices: list[tuple[str, str]] = [
        ("current", _("Current (%(status)s)") % {"status": plan.get_status_display().lower()})
    ]
    choices += [(f"v{v.number}", _("Version %(n)d") % {"n": v.number}) for v in versions]
    if plan.previous_id:
        assert plan.previous is not None
        choices += [
            (
                f"p{plan.previous_id}:v{v.number}",
                f"{plan.previous.period_label} · " + _("Version %(n)d") % {"n": v.number},
            )
            for v in plan_versions(plan=plan.previous)
        ]
    default_old = choices[1][0] if len(choices) > 1 else "current"
    old_ref = request.GET.get("old", default_old)
    new_ref = request.GET.get("new", "current")
    old_doc, old_label = _document_for(plan, old_ref)
    new_doc, new_label = _document_for(plan, new_ref)
    comparison = plan_compare(old=old_doc, new=new_doc)
    only_changes = request.GET.get("all") != "1"
    return render(
        request,
        "plans/plan_compare.html",
        {
            "plan": plan,
            "comparison": comparison,
            "old_label": old_label,
            "new_label": new_label,
            "old_ref": old_ref,
            "new_ref": new_ref,
            "choices": choices,
            "only_changes": only_changes,
        },
    )


# -- share links ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def share_manage(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Create and revoke share links; the new link's address is shown once."""
    plan = _plan_or_404(request, pk)
    may_edit = plan_may_edit(user=request.user, plan=plan)
    form = ShareLinkForm(request.POST or None)
    new_url = None
    if request.method == "POST":
        if not may_edit:
            return forbidden(request, _("You may read this plan but not change it."))
        if "revoke" in request.POST:
            link = plan.share_links.filter(pk=request.POST["revoke"]).first()
            if link is None:
                raise Http404
            services.share_link_revoke(user=request.user, link=link)
            messages.success(request, _("Link revoked: it no longer opens the plan."))
            return redirect("plans:share", pk=plan.pk)
        if form.is_valid():
            try:
                _link, token = services.share_link_create(
                    user=request.user, plan=plan, **form.cleaned_data
                )
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                new_url = request.build_absolute_uri(reverse("plans:shared", args=[token]))
                form = ShareLinkForm()
    links = share_links(plan=plan)
    now = timezone.now()
    for link in links:
        link.state = (  # type: ignore[attr-defined]
            "revoked" if link.revoked_at else ("expired" if link.expires_at <= now else "active")
        )
    accesses = share_access_list(plan=plan)
    owners = sorted(
        {
            (a.owner_contact_name, a.owner_contact_email)
            for a in plan.actions.filter(owner_side=OwnerSide.THEIRS).exclude(
                owner_contact_email=""
            )
        }
    )
    return render(
        request,
        "plans/share_manage.html",
        {
            "plan": plan,
            "form": form,
            "links": links,
            "new_url": new_url,
            "accesses": accesses,
            "may_edit": may_edit,
            "owners": owners,
            "shared_sections": [
                label
                for key, label in Section.choices
                if key in plan.shared_sections and key in plan.sections
            ],
        },
    )


def _customer_action_rows(
    *, plan: Plan, doc: PlanDocument, owned: set[str]
) -> list[dict[str, Any]]:
    """The customer's action lines with the comments they may read, in the document's order."""
    by_uid = {str(a.uid): a for a in plan.actions.filter(shared=True)}
    comments = action_comments(actions=list(by_uid.values()))
    return [
        {
            "doc": a,
            "owned": a.ref in owned,
            "comments": [c for c in comments.get(by_uid[a.ref].pk, []) if c.visible_to_customer],
        }
        for a in doc.actions
        if a.ref in by_uid
    ]


# The customer's choice of language on shared pages: {link id: code, "_last": code} in their
# session. Shared pages never follow the signed-in user's language (kam's own cookie).
SHARE_LANGUAGES_SESSION_KEY = "kam_share_languages"


def _share_language(request: HttpRequest, link: ShareLink | None = None) -> str:
    """The language of a shared page: the customer's choice for this link, else the link's
    language. Without a link (an unusable one): the last choice on a shared page, else the
    browser's Accept-Language, else the site's language."""
    known = dict(settings.LANGUAGES)
    chosen = request.session.get(SHARE_LANGUAGES_SESSION_KEY) or {}
    if link is not None:
        code = chosen.get(str(link.pk), "")
        return code if code in known else (link.language or settings.LANGUAGE_CODE)
    if chosen.get("_last") in known:
        return str(chosen["_last"])
    for code, _quality in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def _share_invalid(request: HttpRequest, link: ShareLink | None = None) -> HttpResponse:
    """The one answer for every unusable link: it reveals nothing about why."""
    language = _share_language(request, link)
    with translation.override(language):
        response = render(
            request,
            "plans/share_invalid.html",
            {"organisation": organisation_get().name},
            status=404,
        )
    return _share_headers(response, language)


def _share_throttled(request: HttpRequest) -> HttpResponse:
    """Too many unusable links from this address: 429 until the window ends."""
    language = _share_language(request)
    with translation.override(language):
        response = render(
            request,
            "plans/share_invalid.html",
            {"organisation": organisation_get().name, "throttled": True},
            status=429,
        )
    response["Retry-After"] = str(services.SHARE_GUESS_WINDOW)
    return _share_headers(response, language)


def _share_headers(response: HttpResponse, language: str = "") -> HttpResponse:
    # The token is in the address: keep it out of other sites' referrers, caches and search
    # engines ("same-origin", not "no-referrer": with no referrer at all browsers send
    # "Origin: null" on the update form, which CSRF protection rightly refuses).
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    if language:
        response["Content-Language"] = language
    return response


def _share_link_or_refusal(
    request: HttpRequest, token: str
) -> tuple[ShareLink | None, HttpResponse | None]:
    """The live link for ``token``, or the refusal page (throttled, or not valid)."""
    ip = _client_ip(request)
    if services.share_guesses_exceeded(ip=ip):
        return None, _share_throttled(request)
    link = services.share_link_resolve(token=token, ip=ip)
    if link is None:
        return None, _share_invalid(request)
    return link, None


def _shared_page(
    request: HttpRequest,
    link: ShareLink,
    token: str,
    *,
    sign_off_form: SignOffForm | None = None,
    sign_off_error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The customer's page, in the active language (the caller chose it)."""
    plan = link.plan
    doc = plan_document_build(plan=plan).for_customer()
    owned = {str(a.uid) for a in services.share_owned_actions(link=link)}
    rows = _customer_action_rows(plan=plan, doc=doc, owned=owned)
    current = services.share_sign_off_version(link=link)
    latest = current or plan.versions.order_by("-number").first()
    signed = sign_offs_of_version(version=latest) if latest is not None else []
    mine = next((s for s in signed if current is not None and s.link_id == link.pk), None)
    if current is not None and mine is None and sign_off_form is None:
        sign_off_form = SignOffForm(
            initial={
                "version": current.number,
                "person_name": link.person_name,
                "person_email": link.person_email,
            }
        )
    language = translation.get_language()
    response = render(
        request,
        "plans/shared_plan.html",
        {
            "link": link,
            "doc": doc,
            "rows": rows,
            "owned_count": len(owned),
            "status_choices": ActionStatus.choices,
            "organisation": organisation_get().name,
            "token": token,
            "share_languages": [
                (code, translation.get_language_info(code)["name_local"])
                for code, _name in settings.LANGUAGES
            ],
            "share_language": language,
            "current_version": current,
            "latest_version": latest,
            "sign_offs": signed,
            "my_sign_off": mine,
            "sign_off_form": sign_off_form if current is not None and mine is None else None,
            "sign_off_error": sign_off_error,
        },
        status=status,
    )
    return _share_headers(response, language)


@never_cache
@require_http_methods(["GET", "POST"])
def shared_plan(request: HttpRequest, token: str, action_uid: str = "") -> HttpResponse:
    """The customer's page behind a share link (no login): the shared part of the plan, and
    a status/comment form on each action the person owns, in the link's language or the one
    the person chose. Every use is logged."""
    link, refusal = _share_link_or_refusal(request, token)
    if link is None:
        return refusal  # type: ignore[return-value]
    ip = _client_ip(request)
    with translation.override(_share_language(request, link)):
        if request.method == "POST":
            form = TrackForm(request.POST)
            if not form.is_valid():
                services.share_access_log(
                    link=link, kind=ShareAccessKind.REFUSED, ip=ip, detail="form"
                )
                return _share_invalid(request, link)
            try:
                action = services.share_action_update(
                    link=link,
                    action_uid=action_uid,
                    status=form.cleaned_data["status"],
                    comment=form.cleaned_data["comment"],
                    ip=ip,
                )
            except ApplicationError:
                return _share_invalid(request, link)
            messages.success(request, _("Thank you, your update is saved."))
            response = redirect(reverse("plans:shared", args=[token]) + f"#action-{action.uid}")
            return _share_headers(response)
        services.share_access_log(link=link, kind=ShareAccessKind.VIEW, ip=ip)
        return _shared_page(request, link, token)


@never_cache
@require_POST
def shared_language(request: HttpRequest, token: str) -> HttpResponse:
    """The customer switches the shared page's language; kept in their session, per link."""
    link, refusal = _share_link_or_refusal(request, token)
    if link is None:
        return refusal  # type: ignore[return-value]
    form = ShareLanguageForm(request.POST)
    if form.is_valid():
        chosen = dict(request.session.get(SHARE_LANGUAGES_SESSION_KEY) or {})
        chosen[str(link.pk)] = chosen["_last"] = form.cleaned_data["language"]
        request.session[SHARE_LANGUAGES_SESSION_KEY] = chosen
    return _share_headers(redirect(reverse("plans:shared", args=[token])))


@never_cache
@require_POST
def shared_sign_off(request: HttpRequest, token: str) -> HttpResponse:
    """A named person at the customer signs off the plan's current version (no login)."""
    link, refusal = _share_link_or_refusal(request, token)
    if link is None:
        return refusal  # type: ignore[return-value]
    with translation.override(_share_language(request, link)):
        form = SignOffForm(request.POST)
        if not form.is_valid():
            return _shared_page(request, link, token, sign_off_form=form, status=422)
        data = form.cleaned_data
        try:
            sign_off, new = services.share_sign_off(
                link=link,
                version_number=data["version"],
                person_name=data["person_name"],
                person_role=data["person_role"],
                person_email=data["person_email"],
                ip=_client_ip(request),
            )
        except ApplicationError as exc:
            if exc.field in ("person_name", "person_role", "person_email"):
                form.add_error(exc.field, exc.message)
                return _shared_page(request, link, token, sign_off_form=form, status=exc.status)
            current = services.share_sign_off_version(link=link)
            fresh = (
                SignOffForm(initial={**data, "version": current.number})
                if current is not None
                else None
            )
            return _shared_page(
                request,
                link,
                token,
                sign_off_form=fresh,
                sign_off_error=exc.message,
                status=exc.status,
            )
        values = {
            "n": sign_off.version.number,
            "date": formats.date(timezone.localtime(sign_off.signed_at)),
            "name": sign_off.person_name,
        }
        if new:
            messages.success(
                request,
                _("Thank you, %(name)s: version %(n)d of the plan is signed off.") % values,
            )
        else:
            messages.info(
                request,
                _(
                    "Version %(n)d was already signed off through this link by %(name)s on "
                    "%(date)s; nothing changed."
                )
                % values,
            )
        return _share_headers(redirect(reverse("plans:shared", args=[token]) + "#sign-off"))


# -- overdue commitments and templates ------------------------------------------------------


@login_required
@require_GET
def overdue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Overdue actions per person or per function on our side, or per customer person."""
    by = request.GET.get("by", "person")
    if by not in ("person", "function", "customer"):
        by = "person"
    groups = overdue_groups(user=request.user, by=by)
    total = sum(g.count for g in groups)
    return render(
        request,
        "plans/overdue.html",
        {
            "groups": groups,
            "by": by,
            "total": total,
            "today": timezone.localdate(),
            "status_choices": ActionStatus.choices,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def templates_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Which sections plans have per box, and which are shared by default (directors)."""
    may = template_may_manage(user=request.user)
    error = None
    if request.method == "POST":
        if not may:
            return forbidden(
                request, _("Only sales directors and administrators set plan templates.")
            )
        try:
            services.templates_save(user=request.user, rows=templates_from_post(request.POST))
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("Templates saved. New plans use them; existing plans keep their sections."),
            )
            return redirect("plans:templates")
    return render(
        request,
        "plans/templates.html",
        {"rows": template_list(), "sections": Section.choices, "may": may, "error": error},
    )


@login_required
@require_GET
def account_plans(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    """The plans of one account (linked from the account page)."""
    account = account_get_visible(user=request.user, account_id=account_id)
    latest = (
        plan_list_annotated(user=request.user)
        .filter(account=account)
        .order_by("-period_start")
        .first()
    )
    if latest is not None:
        return redirect(_plan_url(latest))
    if account_list_editable(user=request.user).filter(pk=account.pk).exists():
        return redirect(reverse("plans:new") + f"?account={account.pk}")
    messages.info(request, _("%(account)s has no plan yet.") % {"account": account.name})
    return redirect("plans:list")
