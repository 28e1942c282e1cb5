"""Activity pages: the list (htmx filtering), log/edit/delete, import, and actual time.

Views parse the request, call one selector or service, and render. Every read starts from
the user's visible accounts; an activity on a hidden account answers 404.
"""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kam.accounts.selectors import account_list_visible
from kam.activities.filters import activity_filter, activity_filters_parse
from kam.activities.forms import ActivityForm, ImportForm, PeriodForm
from kam.activities.imports import (
    CSV_CONTENT_TYPE,
    IGNORE,
    NEW,
    ActivityImportUnmatched,
    activity_import,
    activity_import_template,
)
from kam.activities.models import Activity, ActivityType
from kam.activities.selectors import (
    UNPLACED,
    activity_count_in_period,
    activity_filter_accounts,
    activity_get_visible,
    activity_list_visible,
    activity_may_change,
    activity_may_log,
    activity_people_visible,
    actual_time_overview,
    contact_candidates,
    contact_list_of_accounts,
    contact_list_picked,
    contact_search,
    person_hours_of,
    shares,
)
from kam.activities.services import (
    activity_contact_create,
    activity_create,
    activity_delete,
    activity_update,
)
from kam.errors import ApplicationError
from kam.imports.problems import ImportRefused
from kam.portfolio.selectors import portfolio_review
from kam.web.forms import add_application_error
from kam.web.page_errors import forbidden
from kam.web.requests import AuthenticatedHttpRequest

PAGE_SIZE = 50
TOP_ACCOUNTS = 50


def _get_or_404(request: AuthenticatedHttpRequest, pk: int) -> Activity:
    return activity_get_visible(user=request.user, activity_id=pk)


def _apply_error(form: ActivityForm, exc: ApplicationError, *, new_contact: bool = False) -> None:
    fields: dict[str, str | None] = {"external_uid": None}
    if new_contact:
        fields.update(name="new_contact_name", title="new_contact_title", email="new_contact_email")
    add_application_error(form, exc, fields=fields)


# --- the contact picker -------------------------------------------------------------------------

#: How many contacts the picker lists at most besides those picked.
PICKER_LIMIT = 30


def _picker_context(
    request: AuthenticatedHttpRequest,
    *,
    account_id: int | None,
    picked_ids: list[int],
    query: str = "",
    keep_ids: set[int] | None = None,
) -> dict[str, Any]:
    """What the contact picker shows: the contacts picked (ticked) and the others to pick.

    Without a search every contact of the account is listed, so that the picker works
    as a plain list of tick boxes without JavaScript; a search lists the matches.
    """

    if account_id is not None and not (
        account_list_visible(user=request.user).filter(pk=account_id).exists()
    ):
        account_id = None
    picked: list[Any] = []
    options: list[Any] = []
    if account_id is not None:
        keep = keep_ids or set()
        rows = {
            c.pk: c
            for c in contact_list_picked(account_id=account_id, contact_ids=picked_ids)
            if c.erased_at is None or c.pk in keep
        }
        picked = [rows[pk] for pk in dict.fromkeys(picked_ids) if pk in rows]
        if query.strip():
            found = contact_search(
                user=request.user, account_id=account_id, query=query, limit=PICKER_LIMIT * 2
            )
        else:
            found = contact_candidates(account_id=account_id)
        options = [c for c in found if c.pk not in rows]
        if query.strip():
            options = options[:PICKER_LIMIT]
    return {
        "picker_account": account_id,
        "picked": picked,
        "options": options,
        "query": query,
    }


def _form_context(
    request: AuthenticatedHttpRequest, form: ActivityForm, activity: Activity | None
) -> dict[str, Any]:
    keep = set(activity.contacts.values_list("pk", flat=True)) if activity else set()
    context = _picker_context(
        request, account_id=form.account_id, picked_ids=form.contact_ids(), keep_ids=keep
    )
    context.update(
        form=form,
        activity=activity,
        show_names=bool(
            form.data.get("contact_names") if form.is_bound else form.initial.get("contact_names")
        ),
    )
    return context


@login_required
@require_GET
def contact_picker(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The picker's list for an account: the ticked contacts kept, the others by search.

    htmx asks for it while the user types (``q``) and when the account changes (the
    whole picker, ``whole=1``).
    """
    raw = request.GET.get("account", "")
    context = _picker_context(
        request,
        account_id=int(raw) if raw.isdigit() else None,
        picked_ids=[int(v) for v in request.GET.getlist("contacts") if v.isdigit()],
        query=request.GET.get("contact_q", "")[:200],
    )
    if request.GET.get("whole"):
        # The account changed: its plan's objectives replace the select's too (out of band).
        context["objective_form"] = ActivityForm(
            initial={"account": context["picker_account"]}, user=request.user
        )
        return render(request, "activities/_contact_picker.html", context)
    return render(request, "activities/_contact_options.html", context)


@login_required
@require_POST
def contact_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a contact of the account on the spot; answers the picker's list with it ticked."""
    raw = request.POST.get("account", "")
    account = (
        account_list_visible(user=request.user).filter(pk=int(raw)).first()
        if raw.isdigit()
        else None
    )
    picked = [int(v) for v in request.POST.getlist("contacts") if v.isdigit()]
    values = {
        "name": request.POST.get("new_contact_name", ""),
        "title": request.POST.get("new_contact_title", ""),
        "email": request.POST.get("new_contact_email", ""),
    }
    error = ""
    status = 200
    if account is None:
        error, status = _("Choose the account first."), 422
    elif not activity_may_log(user=request.user):
        error, status = _("Viewers cannot log activities."), 403
    else:
        try:
            created = activity_contact_create(user=request.user, account=account, **values)
        except ApplicationError as exc:
            error, status = exc.message, exc.status
        else:
            picked.append(created.pk)
            values = {"name": "", "title": "", "email": ""}
    context = _picker_context(
        request,
        account_id=account.pk if account else None,
        picked_ids=picked,
        query=request.POST.get("contact_q", "")[:200],
    )
    context.update(new_contact=values, picker_error=error, oob=True)
    # htmx swaps only 2xx answers; the error shows in the list it replaces.
    return render(
        request,
        "activities/_contact_options.html",
        context,
        status=200 if request.htmx else status,
    )


def _save_contacts_first(request: AuthenticatedHttpRequest, form: ActivityForm) -> list[int]:
    """The contacts picked plus the one created on the spot (inside the caller's transaction)."""
    ids = form.contact_ids()
    new = form.new_contact()
    if new is not None:
        account = form.cleaned_data["account"]
        if not activity_may_log(user=request.user):
            raise ApplicationError(_("Viewers cannot log activities."), status=403)
        created = activity_contact_create(user=request.user, account=account, **new)
        ids.append(created.pk)
    return ids


def _refresh(request: AuthenticatedHttpRequest, activity: Activity | None) -> HttpResponse:
    """Without JavaScript: show the chosen account's contacts, keeping what was filled in."""
    initial: dict[str, Any] = {
        k: request.POST.get(k) for k in request.POST if k not in ("participants", "contacts")
    }
    initial["participants"] = request.POST.getlist("participants")
    initial["contacts"] = request.POST.getlist("contacts")
    form = ActivityForm(initial=initial, user=request.user)
    return render(request, "activities/activity_form.html", _form_context(request, form, activity))


@login_required
@require_GET
def activity_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Activities on the accounts the user may read, filtered, newest first, 50 to a page.

    An htmx request from the filter form or a page link gets only the table fragment.
    """
    filters = activity_filters_parse(request.GET)
    activities = activity_filter(queryset=activity_list_visible(user=request.user), filters=filters)
    page = Paginator(activities, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for activity in rows:
        people = list(activity.participants.all())
        activity.people = people  # type: ignore[attr-defined]
        activity.person_hours = activity.duration_minutes * len(people) / 60  # type: ignore[attr-defined]
        activity.may_change = activity_may_change(  # type: ignore[attr-defined]
            user=request.user, activity=activity, participant_ids={p.pk for p in people}
        )
    context: dict[str, Any] = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "person_hours": person_hours_of(activities=activities),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "activities/_activity_table.html", context)
    context.update(
        accounts=activity_filter_accounts(user=request.user),
        people=activity_people_visible(user=request.user),
        types=ActivityType.choices,
        may_log=activity_may_log(user=request.user),
    )
    return render(request, "activities/activity_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def activity_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Log an activity; ``?account=<id>`` chooses the account beforehand, ``&objective=<id>``
    the plan objective it was about (the conversation grid links here)."""
    if not activity_may_log(user=request.user):
        return forbidden(request, _("Viewers cannot log activities."))
    account_id = request.GET.get("account")
    initial = ActivityForm.initial_new(
        user=request.user,
        account_id=int(account_id) if account_id and account_id.isdigit() else None,
    )
    if request.GET.get("objective", "").isdigit():
        initial["objective"] = int(request.GET["objective"])
    if request.method == "POST" and "refresh" in request.POST:
        return _refresh(request, None)
    form = ActivityForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                contact_ids = _save_contacts_first(request, form)
                activity = activity_create(
                    user=request.user,
                    account=data["account"],
                    date=data["date"],
                    duration_minutes=data["duration_minutes"],
                    type=data["type"],
                    participants=list(data["participants"]),
                    contacts=contact_ids,
                    contact_names=form.unmatched_names(),
                    topic=data["topic"],
                    notes=data["notes"],
                    objective=data["objective"],
                )
        except ApplicationError as exc:
            _apply_error(form, exc, new_contact=form.new_contact() is not None)
        else:
            messages.success(
                request,
                _("Activity logged on %(account)s.") % {"account": activity.account.name},
            )
            if "another" in request.POST:
                return redirect(f"{request.path}?account={activity.account_id}")
            return redirect("activities:list")
    return render(request, "activities/activity_form.html", _form_context(request, form, None))


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change an activity (who logged it, its participants, directors and administrators)."""
    activity = _get_or_404(request, pk)
    if not activity_may_change(user=request.user, activity=activity):
        return forbidden(
            request,
            _(
                "Only the person who logged this activity, its participants or a sales "
                "director can change it."
            ),
        )
    if request.method == "POST" and "refresh" in request.POST:
        return _refresh(request, activity)
    form = ActivityForm(
        request.POST or None, initial=ActivityForm.initial_for(activity), user=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                contact_ids = _save_contacts_first(request, form)
                activity_update(
                    user=request.user,
                    activity=activity,
                    account=data["account"],
                    date=data["date"],
                    duration_minutes=data["duration_minutes"],
                    type=data["type"],
                    participants=list(data["participants"]),
                    contacts=contact_ids,
                    contact_names=form.unmatched_names(),
                    topic=data["topic"],
                    notes=data["notes"],
                    objective=data["objective"],
                )
        except ApplicationError as exc:
            _apply_error(form, exc, new_contact=form.new_contact() is not None)
        else:
            messages.success(request, _("Activity saved."))
            return redirect("activities:list")
    return render(request, "activities/activity_form.html", _form_context(request, form, activity))


@login_required
@require_http_methods(["GET", "POST"])
def activity_delete_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Ask before deleting an activity; the POST deletes it."""
    activity = _get_or_404(request, pk)
    if not activity_may_change(user=request.user, activity=activity):
        return forbidden(
            request,
            _(
                "Only the person who logged this activity, its participants or a sales "
                "director can change it."
            ),
        )
    if request.method == "POST":
        activity_delete(user=request.user, activity=activity)
        messages.success(request, _("Activity deleted."))
        return redirect("activities:list")
    return render(request, "activities/activity_delete.html", {"activity": activity})


@login_required
@require_http_methods(["GET", "POST"])
def activity_import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a CSV file; show every problem (nothing imported) or what was imported."""
    if not activity_may_log(user=request.user):
        return forbidden(request, _("Viewers cannot log activities."))
    if request.method == "POST" and request.POST.get("action") == "map":
        return _import_mapped(request)
    # kam.web.uploads.import_page's flow, plus the names to map (kept in the session).
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        context["filename"] = upload.name
        try:
            decimal = form.cleaned_data.get("decimal") or None
            summary = activity_import(
                user=request.user, content=content, filename=upload.name, decimal=decimal
            )
        except ActivityImportUnmatched as exc:
            pending = {"content": content, "name": upload.name, "decimal": decimal}
            context.update(_unmatched_context(request, exc, pending))
        except ImportRefused as exc:
            context.update(report=exc.report)
            status = 422
        except ApplicationError as exc:
            context.update(error=exc.message)
            status = exc.status
        else:
            context.update(summary=summary)
    return render(request, "activities/activity_import.html", context, status=status)


#: The session key of a file waiting for its names to be mapped.
PENDING_IMPORT = "activities.import.pending"


def _unmatched_context(
    request: AuthenticatedHttpRequest, exc: ActivityImportUnmatched, pending: dict[str, Any]
) -> dict[str, Any]:
    """Keep the file (in the session) and list its unmatched names with what each can be."""
    if pending:
        request.session[PENDING_IMPORT] = {
            "name": pending["name"],
            "content": base64.b64encode(pending["content"]).decode("ascii"),
            "decimal": pending.get("decimal"),
        }

    ids = {u.account_id for u in exc.unmatched}
    contacts: dict[int, list[Any]] = {}
    for c in contact_list_of_accounts(account_ids=ids):
        contacts.setdefault(c.account_id, []).append(c)
    return {
        "unmatched": [{"u": u, "contacts": contacts.get(u.account_id, [])} for u in exc.unmatched],
        "unmatched_message": exc.message,
        "choices": {"new": NEW, "ignore": IGNORE},
    }


def _import_mapped(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Import the kept file again with what the user said each unmatched name is."""
    pending = request.session.get(PENDING_IMPORT)
    form = ImportForm()
    if not pending:
        return render(
            request,
            "activities/activity_import.html",
            {"form": form, "error": _("Upload the file again; the one to map is gone.")},
            status=409,
        )
    mapping: dict[tuple[int, str], str | int] = {}
    missing: list[str] = []
    for key in request.POST:
        if not (key.startswith("u-") and key.endswith("-name")):
            continue
        prefix = key[: -len("-name")]
        name = request.POST.get(key, "")
        account = request.POST.get(f"{prefix}-account", "")
        choice = request.POST.get(f"{prefix}-to", "")
        if not account.isdigit():
            continue
        if choice in (NEW, IGNORE) or choice.isdigit():
            mapping[(int(account), name)] = int(choice) if choice.isdigit() else choice
        else:
            missing.append(name)
    content = base64.b64decode(pending["content"])
    context: dict[str, Any] = {"form": form, "filename": pending["name"]}
    status = 200
    try:
        summary = activity_import(
            user=request.user,
            content=content,
            filename=pending["name"],
            mapping=mapping,
            decimal=pending.get("decimal"),
        )
    except ActivityImportUnmatched as exc:
        context.update(_unmatched_context(request, exc, {}))
        if missing:
            context["unmatched_message"] = _("Choose what each name is: %(names)s.") % {
                "names": ", ".join(f"'{n}'" for n in missing)
            }
        status = 422
    except ImportRefused as exc:
        request.session.pop(PENDING_IMPORT, None)
        context.update(report=exc.report)
        status = 422
    except ApplicationError as exc:
        context.update(error=exc.message)
        status = exc.status
    else:
        request.session.pop(PENDING_IMPORT, None)
        context.update(summary=summary)
    return render(request, "activities/activity_import.html", context, status=status)


@login_required
@require_GET
def activity_import_template_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A CSV file with the import's columns and two example rows."""
    response = HttpResponse(activity_import_template(), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="kam-activities-template.csv"'
    return response


@login_required
@require_GET
def actual_time(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Where our hours went in a period: per box (with shares), per person, per account.

    Person-hours on the accounts the user may read; boxes as placed in the portfolio review
    (the latest closed one).
    """
    period = PeriodForm(request.GET or None)
    start, end = period.period()
    review = portfolio_review()
    boxes, accounts, people = actual_time_overview(
        start=start, end=end, user=request.user, review=review, limit=TOP_ACCOUNTS
    )
    box_shares = shares(boxes)
    total = accounts.total_minutes
    activity_count = activity_count_in_period(start=start, end=end, user=request.user)
    return render(
        request,
        "activities/actual_time.html",
        {
            "period": period,
            "start": start,
            "end": end,
            "review": review,
            # "Not placed" only shows when hours went there.
            "boxes": [
                {"row": row, "share": box_shares[row.key]}
                for row in boxes
                if row.minutes or row.key != UNPLACED
            ],
            "people": [{"row": r, "share": r.minutes / total if total else 0} for r in people],
            "accounts": [
                {"row": r, "share": r.minutes / total if total else 0} for r in accounts.top
            ],
            "rest": accounts,
            "rest_share": accounts.rest_minutes / total if total else 0,
            "total_hours": total / 60,
            "activity_count": activity_count or 0,
        },
    )
