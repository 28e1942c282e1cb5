"""Portfolio review pages: list, create, the director's overview, the scoring grid, closing.

Implements docs/method.md section 1: several raters score every account on their own; the
account's score is their mean; a criterion on which they differ by more than 3 points is
flagged for discussion; accounts near a cut line are marked uncertain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST

from kam.accounts.models import Account
from kam.errors import ApplicationError
from kam.organisation.models import Box
from kam.organisation.selectors import organisation_get
from kam.portfolio.forms import ReviewForm
from kam.portfolio.models import (
    Axis,
    Competitor,
    Criterion,
    Rating,
    Review,
    ReviewStatus,
    ViewSource,
)
from kam.portfolio.review_selectors import (
    not_placed_rows,
    ratings_derived,
    ratings_of_rater,
    review_accounts_to_score,
    review_box_counts,
    review_disagreement_count,
    review_disagreements,
    review_entered_count,
    review_get,
    review_is_rater,
    review_not_placed,
    review_previous_boxes,
    review_progress_map,
    review_uncertain,
)
from kam.portfolio.review_selectors import review_list as review_list_query
from kam.portfolio.selectors import portfolio_review, review_previous
from kam.portfolio.services import (
    RatingInput,
    ratings_save,
    review_derive_scores,
    review_ensure_computed,
)
from kam.portfolio.services import review_cancel as review_cancel_service
from kam.portfolio.services import review_close as review_close_service
from kam.portfolio.services import review_create as review_create_service
from kam.users.selectors import user_may_manage_portfolio
from kam.web.forms import add_application_error
from kam.web.page_errors import refusal_message
from kam.web.requests import AuthenticatedHttpRequest

GRID_PAGE_SIZE = 50
NOT_PLACED_SHOWN = 200
#: The review page lists the criteria to discuss of this many accounts (by name) and this
#: many uncertain accounts; the counts above them cover all.
DISAGREEMENT_ACCOUNTS_SHOWN = 50
UNCERTAIN_SHOWN = 100
WHOLE = re.compile(r"^\s*\d{1,2}\s*$")


def _review_or_404(pk: int) -> Review:
    return review_get(review_id=pk)


@login_required
def review_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every review with its date, scheme version, status and each rater's progress."""
    page = Paginator(review_list_query(), 25).get_page(request.GET.get("page"))
    reviews = list(page.object_list)
    progress = review_progress_map(reviews=reviews)
    rows = [{"review": r, "progress": progress.get(r.pk, [])} for r in reviews]
    return render(
        request,
        "portfolio/review_list.html",
        {
            "rows": rows,
            "page_obj": page,
            "can_manage": user_may_manage_portfolio(user=request.user),
            "portfolio": portfolio_review(),
        },
    )


@login_required
def review_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open a review: name, date, scheme version and raters (directors and administrators)."""
    if not user_may_manage_portfolio(user=request.user):
        raise PermissionDenied(_("Only a sales director or an administrator may open a review."))
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = review_create_service(
                name=form.cleaned_data["name"],
                review_date=form.cleaned_data["review_date"],
                scheme_version=form.cleaned_data["scheme_version"],
                raters=form.cleaned_data["raters"],
                created_by=request.user,
            )
        except ApplicationError as exc:
            add_application_error(form, exc, every_problem=True)
        else:
            messages.success(request, _("Review opened. Raters can now score their accounts."))
            return redirect(reverse("portfolio:review_detail", args=[review.pk]))
    return render(request, "portfolio/review_form.html", {"form": form})


@login_required
def review_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """What a director needs before the meeting: progress, disagreements, gaps, uncertainty."""
    review = _review_or_404(pk)
    review_ensure_computed(review=review)
    user = request.user
    can_manage = user_may_manage_portfolio(user=user)
    not_placed_qs = review_not_placed(review=review, user=user)
    not_placed_count = not_placed_qs.count()
    counts = review_box_counts(review=review, user=user)
    boxes = [{"box": b.value, "label": b.label, "count": counts.get(b.value, 0)} for b in Box]
    org = organisation_get()
    disagreements = review_disagreements(
        review=review, user=user, accounts=DISAGREEMENT_ACCOUNTS_SHOWN
    )
    disagreement_count = review_disagreement_count(review=review, user=user)
    uncertain_qs = review_uncertain(review=review, user=user)
    uncertain_count = uncertain_qs.count()
    return render(
        request,
        "portfolio/review_detail.html",
        {
            "review": review,
            "progress": review_progress_map(reviews=[review]).get(review.pk, []),
            "boxes": boxes,
            "placed": sum(b["count"] for b in boxes),
            "not_placed": not_placed_rows(
                review=review, placements=not_placed_qs[:NOT_PLACED_SHOWN]
            ),
            "not_placed_count": not_placed_count,
            "not_placed_hidden": max(0, not_placed_count - NOT_PLACED_SHOWN),
            "disagreements": disagreements,
            "disagreement_count": disagreement_count,
            "disagreements_hidden": disagreement_count - len(disagreements),
            # While scoring is open, raters must not see each other's scores (they score
            # on their own); directors see them to prepare the discussion.
            "show_scores": can_manage or review.status == ReviewStatus.CLOSED,
            "uncertain": list(uncertain_qs[:UNCERTAIN_SHOWN]),
            "uncertain_count": uncertain_count,
            "uncertain_hidden": max(0, uncertain_count - UNCERTAIN_SHOWN),
            "can_manage": can_manage,
            "is_rater": review_is_rater(review=review, user=user),
            "is_open": review.status == ReviewStatus.OPEN,
            "portfolio": portfolio_review(),
            "disagreement_points": f"{org.disagreement_points.normalize():f}",
            "certainty_percent": round(org.uncertainty_threshold * 100),
            "bound_criteria": [c for c in review.scheme_version.criteria.all() if c.fact],
        },
    )


@login_required
@require_POST
def review_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Close a review: scores freeze and the placements are computed one last time."""
    review = _review_or_404(pk)
    try:
        review_close_service(review=review, closed_by=request.user)
    except ApplicationError as exc:
        refusal_message(request, exc)
    else:
        messages.success(request, _("Review closed; its scores are now frozen."))
    return redirect(reverse("portfolio:review_detail", args=[review.pk]))


@login_required
def review_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Cancel an open review (directors): a confirmation page, then the POST cancels it.

    Anyone else gets 403; a closed or cancelled review answers with the review page and
    a message saying why nothing happened.
    """
    review = _review_or_404(pk)
    if not user_may_manage_portfolio(user=request.user):
        raise PermissionDenied(_("Only a sales director or an administrator may do this."))
    if review.status != ReviewStatus.OPEN:
        messages.error(
            request,
            _("A closed review cannot be cancelled: its boxes are a decision on record.")
            if review.status == ReviewStatus.CLOSED
            else _("This review is already cancelled."),
        )
        return redirect(reverse("portfolio:review_detail", args=[review.pk]))
    if request.method == "POST":
        try:
            review_cancel_service(review=review, cancelled_by=request.user)
        except ApplicationError as exc:
            refusal_message(request, exc)
        else:
            messages.success(
                request,
                _("Review %(name)s cancelled; the portfolio is unchanged.") % {"name": review.name},
            )
        return redirect(reverse("portfolio:review_detail", args=[review.pk]))
    return render(
        request,
        "portfolio/review_cancel.html",
        {
            "review": review,
            "portfolio": portfolio_review(),
            "scores": review_entered_count(review=review),
        },
    )


@login_required
@require_POST
def review_derive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Derive the fact-bound scores again from the accounts' latest facts (directors)."""
    review = _review_or_404(pk)
    if not user_may_manage_portfolio(user=request.user):
        raise PermissionDenied(_("Only a sales director or an administrator may do this."))
    try:
        n = review_derive_scores(review=review)
    except ApplicationError as exc:
        refusal_message(request, exc)
    else:
        messages.success(
            request,
            ngettext(
                "%(n)d score derived from the accounts' facts.",
                "%(n)d scores derived from the accounts' facts.",
                n,
            )
            % {"n": n},
        )
    return redirect(reverse("portfolio:review_detail", args=[review.pk]))


# --- the scoring grid ---------------------------------------------------------------------


@dataclass
class GridCell:
    """One account × criterion cell of the grid, holding the values as typed."""

    criterion: Criterion
    score: str = ""
    competitor_score: str = ""
    comment: str = ""
    errors: list[str] = field(default_factory=list)
    derived: str = ""  # the score kam derived from the account's facts, if any
    derived_note: str = ""

    @property
    def is_strength(self) -> bool:
        return self.criterion.axis == Axis.STRENGTH


@dataclass
class GridRow:
    """One account's row: its cells, whose view the strength scores are, strongest competitor."""

    account: Account
    cells: list[GridCell]
    view_source: str = ""
    competitor_id: str = ""
    previous_box: str = ""
    errors: list[str] = field(default_factory=list)
    saved: bool = False

    @property
    def previous_box_short(self) -> str:
        """A one- or two-letter badge for the box at the previous review."""
        short = {
            Box.KEY: pgettext("box abbreviation", "K"),
            Box.KEY_DEVELOPMENT: pgettext("box abbreviation", "KD"),
            Box.MAINTENANCE: pgettext("box abbreviation", "M"),
            Box.OPPORTUNISTIC: pgettext("box abbreviation", "O"),
        }
        return str(short.get(self.previous_box, ""))  # type: ignore[call-overload]

    @property
    def attractiveness_cells(self) -> list[GridCell]:
        return [c for c in self.cells if not c.is_strength]

    @property
    def strength_cells(self) -> list[GridCell]:
        return [c for c in self.cells if c.is_strength]

    @property
    def scored(self) -> int:
        return sum(1 for c in self.cells if c.score.strip() or c.derived)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(c.errors for c in self.cells)


@dataclass(frozen=True)
class GridSetup:
    """Everything about a review the grid needs besides the rows."""

    review: Review
    criteria: list[Criterion]
    competitors: list[Competitor]

    @property
    def attractiveness(self) -> list[Criterion]:
        return [c for c in self.criteria if c.axis == Axis.ATTRACTIVENESS]

    @property
    def strength(self) -> list[Criterion]:
        return [c for c in self.criteria if c.axis == Axis.STRENGTH]


def _grid_setup(review: Review) -> GridSetup:
    criteria = sorted(
        review.scheme_version.criteria.all(),
        key=lambda c: (c.axis != Axis.ATTRACTIVENESS, c.position),
    )
    return GridSetup(review, criteria, list(review.scheme_version.competitors.all()))


def _derived(setup: GridSetup, account_ids: list[int]) -> dict[tuple[int, int], Rating]:
    """The scores kam derived from facts for these accounts, by (account, criterion)."""
    if not any(c.fact for c in setup.criteria):
        return {}
    return {
        (r.account_id, r.criterion_id): r
        for r in ratings_derived(review=setup.review, account_ids=account_ids)
    }


def _mark_derived(rows: list[GridRow], derived: dict[tuple[int, int], Rating]) -> None:
    for row in rows:
        for cell in row.cells:
            r = derived.get((row.account.pk, cell.criterion.pk))
            if r is not None:
                cell.derived, cell.derived_note = str(r.score), r.comment


def _rows_from_db(
    setup: GridSetup, accounts: list[Account], rater: Any, previous: dict[int, str]
) -> list[GridRow]:
    ratings = ratings_of_rater(
        review=setup.review, rater=rater, account_ids=[a.pk for a in accounts]
    )
    stored = {(r.account_id, r.criterion_id): r for r in ratings}
    rows = []
    for account in accounts:
        cells = []
        view_source = competitor_id = ""
        for crit in setup.criteria:
            r = stored.get((account.pk, crit.pk))
            cells.append(
                GridCell(
                    crit,
                    score="" if r is None else str(r.score),
                    competitor_score=""
                    if r is None or r.competitor_score is None
                    else str(r.competitor_score),
                    comment="" if r is None else r.comment,
                )
            )
            if r is not None and crit.axis == Axis.STRENGTH:
                view_source = view_source or r.view_source
                competitor_id = competitor_id or (str(r.competitor_id) if r.competitor_id else "")
        rows.append(
            GridRow(account, cells, view_source, competitor_id, previous.get(account.pk, ""))
        )
    _mark_derived(rows, _derived(setup, [a.pk for a in accounts]))
    return rows


def _whole_score(text: str) -> int | None:
    return int(text) if WHOLE.match(text) and 1 <= int(text) <= 10 else None


def _row_from_post(
    setup: GridSetup, account: Account, data: Any, previous: dict[int, str]
) -> tuple[GridRow, list[RatingInput]]:
    """Read one account's inputs; problems go on the cells, entries only when none."""
    a = account.pk
    row = GridRow(
        account,
        [],
        data.get(f"v-{a}", "").strip(),
        data.get(f"x-{a}", "").strip(),
        previous.get(a, ""),
    )
    competitor_ids = {str(c.pk) for c in setup.competitors}
    if row.view_source not in {"", *ViewSource.values}:
        row.errors.append(_("Whose view must be the customer's or our estimate."))
    if row.competitor_id and row.competitor_id not in competitor_ids:
        row.errors.append(_("That competitor is not in this review's scheme."))
    entries = []
    for crit in setup.criteria:
        key = f"{a}-{crit.pk}"
        cell = GridCell(
            crit,
            score=data.get(f"s-{key}", "").strip(),
            competitor_score=data.get(f"k-{key}", "").strip() if crit.axis == Axis.STRENGTH else "",
            comment=data.get(f"c-{key}", "").strip(),
        )
        row.cells.append(cell)
        score = _whole_score(cell.score) if cell.score else None
        comp = _whole_score(cell.competitor_score) if cell.competitor_score else None
        if cell.score and score is None:
            cell.errors.append(
                _("%(account)s, %(criterion)s: '%(value)s' is not a whole number from 1 to 10.")
                % {"account": account.name, "criterion": crit.name, "value": cell.score}
            )
        if cell.competitor_score and comp is None:
            cell.errors.append(
                _(
                    "%(account)s, %(criterion)s, strongest competitor: '%(value)s' is not a whole "
                    "number from 1 to 10."
                )
                % {"account": account.name, "criterion": crit.name, "value": cell.competitor_score}
            )
        if not cell.score and (cell.competitor_score or cell.comment):
            cell.errors.append(
                _(
                    "%(account)s, %(criterion)s: give our score too, or clear the competitor's "
                    "score and the comment."
                )
                % {"account": account.name, "criterion": crit.name}
            )
        if len(cell.comment) > 500:
            cell.errors.append(
                _("%(account)s, %(criterion)s: the comment is longer than 500 characters.")
                % {"account": account.name, "criterion": crit.name}
            )
        strength = crit.axis == Axis.STRENGTH and score is not None
        entries.append(
            RatingInput(
                account_id=a,
                criterion_id=crit.pk,
                score=score,
                competitor_score=comp if strength else None,
                competitor_id=int(row.competitor_id)
                if strength and row.competitor_id in competitor_ids
                else None,
                view_source=row.view_source if strength else "",
                comment=cell.comment if score is not None else "",
            )
        )
    return row, entries


def _grid_accounts(
    request: AuthenticatedHttpRequest, review: Review, n_criteria: int
) -> QuerySet[Account]:
    qs = review_accounts_to_score(review=review, rater=request.user)
    owner = request.GET.get("owner", "")
    if owner.isdigit():
        qs = qs.filter(owner_id=int(owner))
    box = request.GET.get("box", "")
    if box in Box.values:
        previous = review_previous(review=review)
        qs = qs.filter(placements__review=previous, placements__box=box) if previous else qs.none()
    query = request.GET.get("q", "").strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(external_id__icontains=query))
    if request.GET.get("todo") == "1":
        qs = qs.annotate(
            mine=Count(
                "ratings",
                filter=Q(
                    ratings__review=review,
                    ratings__rater=request.user,
                    ratings__criterion__fact="",
                ),
            )
        ).filter(mine__lt=n_criteria)
    return qs


def _owner_choices(review: Review, user: Any) -> list[tuple[int, str]]:
    owners = (
        review_accounts_to_score(review=review, rater=user)
        .exclude(owner=None)
        .order_by()
        .values_list("owner_id", "owner__first_name", "owner__last_name", "owner__username")
        .distinct()
    )
    return sorted(
        {(pk, f"{first} {last}".strip() or username) for pk, first, last, username in owners},
        key=lambda o: o[1].lower(),
    )


def _filter_query(request: AuthenticatedHttpRequest) -> str:
    keep = {k: request.GET[k] for k in ("owner", "box", "q", "todo", "page") if request.GET.get(k)}
    return urlencode(keep)


@login_required
def review_score(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The scoring grid: one rater scores their own accounts (50 a page), keyboard first.

    GET shows the grid; POST saves the whole page (all or nothing); an htmx POST with
    ``row`` saves one account's row and answers with that row. Other raters' scores are
    never shown here: raters score on their own.
    """
    review = _review_or_404(pk)
    if not review_is_rater(review=review, user=request.user):
        raise PermissionDenied(_("You are not a rater in this review."))
    setup = _grid_setup(review)
    is_open = review.status == ReviewStatus.OPEN
    status = 200
    problems: list[str] = []

    if request.method == "POST":
        if not is_open:
            messages.error(request, _("This review is closed; its scores can no longer change."))
            status = 409
        else:
            row_id = request.POST.get("row", "")
            ids = [row_id] if row_id else request.POST.getlist("accounts")
            wanted = [int(i) for i in ids if i.isdigit()]
            allowed = {
                a.pk: a
                for a in review_accounts_to_score(
                    review=review,
                    rater=request.user,
                ).filter(pk__in=wanted)
            }
            missing = [i for i in wanted if i not in allowed]
            if missing:
                raise Http404(_("No such account for you in this review."))
            accounts = [allowed[i] for i in wanted]
            previous = review_previous_boxes(review=review, account_ids=wanted)
            rows: list[GridRow] = []
            entries: list[RatingInput] = []
            for account in accounts:
                row, row_entries = _row_from_post(setup, account, request.POST, previous)
                rows.append(row)
                entries += row_entries
            _mark_derived(rows, _derived(setup, wanted))
            problems = [e for r in rows for e in r.errors + [x for c in r.cells for x in c.errors]]
            if not problems:
                try:
                    saved = ratings_save(review=review, rater=request.user, entries=entries)
                except ApplicationError as exc:
                    problems = exc.problems
                    status = exc.status if exc.status in (403, 409) else 200
                else:
                    if request.htmx and row_id:
                        for row in rows:
                            row.saved = True
                        return render(
                            request,
                            "portfolio/_grid_row.html",
                            {
                                "row": rows[0],
                                "setup": setup,
                                "is_open": True,
                                "view_choices": ViewSource.choices,
                            },
                        )
                    messages.success(
                        request,
                        _("Saved: %(created)d new, %(updated)d changed, %(deleted)d cleared.")
                        % {
                            "created": saved.created,
                            "updated": saved.updated,
                            "deleted": saved.deleted,
                        },
                    )
                    url = reverse("portfolio:review_score", args=[review.pk])
                    query = _filter_query(request)
                    return redirect(f"{url}?{query}" if query else url)
            if request.htmx and row_id:
                rows[0].errors += [
                    p
                    for p in problems
                    if p not in rows[0].errors and not any(p in c.errors for c in rows[0].cells)
                ]
                return render(
                    request,
                    "portfolio/_grid_row.html",
                    {
                        "row": rows[0],
                        "setup": setup,
                        "is_open": True,
                        "view_choices": ViewSource.choices,
                    },
                    status=200 if status == 200 else status,
                )
            return _render_grid(request, review, setup, is_open, rows, problems, status)
    return _render_grid(request, review, setup, is_open, None, problems, status)


def _render_grid(
    request: AuthenticatedHttpRequest,
    review: Review,
    setup: GridSetup,
    is_open: bool,
    posted_rows: list[GridRow] | None,
    problems: list[str],
    status: int,
) -> HttpResponse:
    qs = _grid_accounts(request, review, sum(1 for c in setup.criteria if not c.fact))
    page = Paginator(qs, GRID_PAGE_SIZE).get_page(request.GET.get("page"))
    if posted_rows is not None:
        rows = posted_rows
    else:
        accounts = list(page.object_list)
        previous = review_previous_boxes(review=review, account_ids=[a.pk for a in accounts])
        rows = _rows_from_db(setup, accounts, request.user, previous)
    return render(
        request,
        "portfolio/review_score.html",
        {
            "review": review,
            "setup": setup,
            "rows": rows,
            "page_obj": page,
            "problems": problems,
            "is_open": is_open,
            "view_choices": ViewSource.choices,
            "owners": _owner_choices(review, request.user),
            "boxes": Box.choices,
            "has_previous_review": review_previous(review=review) is not None,
            "filters": {k: request.GET.get(k, "") for k in ("owner", "box", "q", "todo")},
            "filter_query": _filter_query(request),
        },
        status=status,
    )
