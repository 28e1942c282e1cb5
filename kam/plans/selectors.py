"""Reads of account plans, always through the caller's account visibility (section 5).

A plan is visible when its account is (``account_list_visible``) and editable when its
account is (``account_list_editable``); a plan on a hidden account answers 404, like a
plan that does not exist. Approval is for sales directors and administrators (see
``plan_may_approve``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, Func, Model, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kam.accounts.models import Account, TeamRole
from kam.accounts.selectors import (
    account_list_editable,
    account_list_visible,
)
from kam.errors import ApplicationError, require
from kam.organisation.models import Box
from kam.organisation.selectors import organisation_get
from kam.plans.document import (
    SECTION_KEYS,
    ActionDoc,
    Audience,
    ItemDoc,
    ObjectiveDoc,
    PlanDocument,
    ProfitPlanDoc,
    ProjectDoc,
    SectionDoc,
    ValuePropositionDoc,
)
from kam.plans.models import (
    DEFAULT_SECTIONS_BY_BOX,
    DEFAULT_SHARED_SECTIONS,
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
    Section,
    ShareAccess,
    ShareLink,
)
from kam.plans.sources import (
    account_figures,
    conversation_grid,
    planned_hours_by_person,
    revenues_of_year,
)
from kam.portfolio.models import Placement
from kam.portfolio.selectors import account_box as portfolio_account_box
from kam.portfolio.selectors import portfolio_review
from kam.relationships.sources import PlanMarkers
from kam.users.models import Function
from kam.users.selectors import user_may_manage_portfolio
from kam.web.formats import half_up

if TYPE_CHECKING:
    from kam.economics.figures import AccountFigures

# -- who may do what -------------------------------------------------------------------------

RowT = TypeVar("RowT", bound=Model)


def plan_list_visible(*, user: User | AnonymousUser) -> QuerySet[Plan]:
    """Plans on the accounts ``user`` may read, with their account and its owner."""
    return Plan.objects.filter(account__in=account_list_visible(user=user)).select_related(
        "account", "account__owner"
    )


def plan_get_visible(*, user: User | AnonymousUser, plan_id: int) -> Plan:
    """The plan ``plan_id`` if ``user`` may read its account; 404 otherwise (no probing)."""
    plan = plan_list_visible(user=user).filter(pk=plan_id).first()
    if plan is None:
        raise ApplicationError(_("There is no such plan."), status=404)
    return plan


def plan_may_edit(*, user: User | AnonymousUser, plan: Plan) -> bool:
    """Whether ``user`` may change the plan's content, sharing and links (account editable)."""
    return account_list_editable(user=user).filter(pk=plan.account_id).exists()


def plan_edit_check(*, user: User | AnonymousUser, plan: Plan) -> None:
    """403 when ``user`` reads the plan but may not change it."""
    require(plan_may_edit(user=user, plan=plan), _("You may read this plan but not change it."))


def plan_may_approve(*, user: User | AnonymousUser) -> bool:
    """Sales directors and administrators approve plans.

    The key account manager writes the plan and submits it; someone who answers for the
    whole portfolio approves it (four eyes: the plan asks for resources that other
    accounts then do not get, section 2). A director who writes a plan may approve it.
    """
    return user_may_manage_portfolio(user=user)


def template_may_manage(*, user: User | AnonymousUser) -> bool:
    """Directors and administrators set the plan templates per box."""
    return plan_may_approve(user=user)


def action_may_update_status(
    *,
    user: User | AnonymousUser,
    action: PlanAction,
    plan_editable: bool | None = None,
) -> bool:
    """Editors of the plan, and our own owner of the action (a commitment they track).

    ``plan_editable`` is ``plan_may_edit`` for the action's plan when the caller knows it
    already (a plan page asks for every action without a query per action).
    """
    if user.is_authenticated and action.owner_user_id == user.pk:
        return True
    if plan_editable is not None:
        return plan_editable
    return plan_may_edit(user=user, plan=action.plan)


def action_get_trackable(*, user: User | AnonymousUser, plan_id: int, action_id: int) -> PlanAction:
    """The action ``action_id`` of plan ``plan_id`` for tracking its status; 404 otherwise.

    Our own owner of an action reads it even when the account is not theirs to read (a
    commitment from another function); everyone else reads the plan first.
    """
    related = ("plan", "owner_user", "owner_user__profile", "owner_contact")
    if user.is_authenticated:
        own = (
            PlanAction.objects.select_related(*related)
            .filter(pk=action_id, plan_id=plan_id, owner_user_id=user.pk)
            .first()
        )
        if own is not None:
            return own
    plan = plan_get_visible(user=user, plan_id=plan_id)
    action = plan.actions.select_related(*related).filter(pk=action_id).first()
    if action is None:
        raise ApplicationError(_("There is no such action in this plan."), status=404)
    return action


# -- templates ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRow:
    """The sections of plans for one box and the ones shared by default."""

    box: str
    label: str
    sections: list[str]
    shared_sections: list[str]


def template_list() -> list[TemplateRow]:
    """The template of every box, with the method's defaults where none is stored."""
    stored = {t.box: t for t in PlanTemplate.objects.all()}
    rows = []
    for box, label in Box.choices:
        tpl = stored.get(box)
        sections = list(tpl.sections if tpl else DEFAULT_SECTIONS_BY_BOX[box])
        shared = tpl.shared_sections if tpl else DEFAULT_SHARED_SECTIONS
        rows.append(
            TemplateRow(
                box=box,
                label=str(label),
                sections=sections,
                shared_sections=[s for s in shared if s in sections],
            )
        )
    return rows


def template_for_box(box: str) -> TemplateRow:
    """The template for ``box``; an unplaced account gets the key account template."""
    rows = {r.box: r for r in template_list()}
    return rows.get(box) or rows[Box.KEY]


def account_box(*, account: Account) -> str:
    """The account's box in the portfolio review, the latest closed one ("" when not placed)."""
    return portfolio_account_box(account=account)


def plan_figures(*, plan: Plan) -> AccountFigures:
    """The plan's headline figures (revenue of the year before, growth to the target, share of
    wallet, ROI, payback, box, hours), as every page and export shows them."""
    return account_figures(account=plan.account, year=plan.period_start.year, plan=plan)


def revenue_of_year(*, account: Account, year: int) -> Decimal | None:
    """The account's revenue in calendar ``year`` as the figures define it (invoiced, else
    entered), to two decimals; None when unknown."""
    found = revenues_of_year(accounts=[account], year=year).get(account.pk)
    return None if found is None else Decimal(str(round(found.amount, 2)))


# -- lists ----------------------------------------------------------------------------------


def _count_of(qs: QuerySet[Any]) -> Coalesce:
    """The number of rows of ``qs`` (correlated with ``OuterRef``) as a subquery."""
    return Coalesce(
        Subquery(qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1]),
        0,
    )


def plan_list_annotated(*, user: User | AnonymousUser) -> QuerySet[Plan]:
    """Visible plans with counts of open and overdue actions and the account's box in the
    portfolio review (the latest closed one), for the plans list (one query).

    The counts are subqueries, not a GROUP BY over the plans joined with their actions:
    with ``LIMIT`` (the list's page) the database counts the page's plans only, instead of
    grouping every plan with all its columns (some 0.2 s at 10,000 accounts)."""
    today = timezone.localdate()
    review = portfolio_review()
    box = Subquery(
        Placement.objects.filter(review=review, account=OuterRef("account_id")).values("box")[:1]
    )
    unfinished = PlanAction.objects.filter(plan=OuterRef("pk")).exclude(
        status__in=list(FINISHED_STATUSES)
    )
    return (
        plan_list_visible(user=user)
        .annotate(box=box)
        .annotate(
            open_actions=_count_of(unfinished),
            overdue_actions=_count_of(unfinished.filter(due_date__lt=today)),
            successor_count=_count_of(Plan.objects.filter(previous=OuterRef("pk"))),
        )
        .order_by("account__name", "-period_start")
    )


def plan_items(*, plan: Plan) -> list[PlanItem]:
    return list(plan.items.order_by("kind", "position", "pk"))


def plan_actions(*, plan: Plan) -> list[PlanAction]:
    return list(
        plan.actions.select_related(
            "owner_user", "owner_user__profile", "owner_contact", "objective"
        ).order_by("due_date", "position", "pk")
    )


def plan_versions(*, plan: Plan) -> QuerySet[PlanVersion]:
    """The plan's approved versions, newest first, each with its customer sign-offs."""
    return (
        plan.versions.select_related("approved_by")
        .prefetch_related(
            Prefetch("sign_offs", queryset=PlanSignOff.objects.order_by("signed_at", "pk"))
        )
        .order_by("-number")
    )


def sign_offs_of_version(*, version: PlanVersion) -> list[PlanSignOff]:
    """Who at the customer signed off ``version``, first signature first."""
    return list(version.sign_offs.order_by("signed_at", "pk"))


def version_get(*, plan: Plan, number: int) -> PlanVersion:
    version = plan.versions.filter(number=number).first()
    if version is None:
        raise ApplicationError(_("There is no such version of this plan."), status=404)
    return version


def plan_last_approved(*, account: Account) -> Plan | None:
    """The account's latest plan (by period) that has an approved version."""
    return (
        Plan.objects.filter(account=account, versions__isnull=False)
        .order_by("-period_start", "-pk")
        .distinct()
        .first()
    )


def share_links(*, plan: Plan) -> list[ShareLink]:
    return list(
        plan.share_links.select_related("created_by")
        .annotate(access_count=Count("accesses"))
        .order_by("-created_at")
    )


def action_comments(*, actions: list[PlanAction]) -> dict[int, list[ActionComment]]:
    """Comments per action id, oldest first (one query)."""
    out: dict[int, list[ActionComment]] = defaultdict(list)
    for c in ActionComment.objects.filter(action__in=[a.pk for a in actions]).order_by(
        "created_at", "pk"
    ):
        out[c.action_id].append(c)
    return out


# -- overdue commitments (section 0: our own organisation is the biggest obstacle) ----------


@dataclass
class OverdueGroup:
    """Overdue actions of one person (or one function), the oldest first."""

    key: str
    label: str
    sublabel: str
    actions: list[PlanAction] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.actions)

    @property
    def max_days_late(self) -> int:
        return max((a.days_late for a in self.actions), default=0)  # type: ignore[attr-defined]


def actions_overdue(
    *, user: User | AnonymousUser, today: dt.date | None = None
) -> QuerySet[PlanAction]:
    """Unfinished actions due before ``today`` in the current plans of visible accounts.

    A plan stops being current when the next period's plan is made from it (its open
    actions were carried over), so nothing is counted twice. A person also sees the
    actions they own on accounts they do not serve (a commitment from another function).
    """
    today = today or timezone.localdate()
    return (
        PlanAction.objects.filter(
            Q(plan__account__in=account_list_visible(user=user))
            | Q(owner_user_id=getattr(user, "pk", None)),
            plan__successors__isnull=True,
            due_date__lt=today,
        )
        .exclude(status__in=list(FINISHED_STATUSES))
        .select_related(
            "plan", "plan__account", "owner_user", "owner_user__profile", "owner_contact"
        )
        .order_by("due_date", "pk")
    )


def overdue_groups(
    *, user: User | AnonymousUser, by: str, today: dt.date | None = None
) -> list[OverdueGroup]:
    """Overdue actions grouped ``by`` "person" (our people), "function" (ours) or "customer".

    Groups are ordered by the number of overdue actions, then by name; each action gets
    ``days_late`` (whole days past its due date).
    """
    today = today or timezone.localdate()
    groups: dict[str, OverdueGroup] = {}
    function_labels = dict(Function.choices)
    for action in actions_overdue(user=user, today=today):
        assert action.due_date is not None
        action.days_late = (today - action.due_date).days  # type: ignore[attr-defined]
        if by == "customer":
            if action.owner_side != OwnerSide.THEIRS:
                continue
            who = action.owner_contact_email.lower() or action.owner_contact_name
            key = f"{action.plan.account_id}:{who}"
            label, sub = action.owner_contact_name or _("nobody named"), action.plan.account.name
        else:
            if action.owner_side != OwnerSide.OURS:
                continue
            owner = action.owner_user
            profile = getattr(owner, "profile", None) if owner else None
            function = profile.function if profile else ""
            if by == "function":
                key = function or "-"
                label = str(function_labels.get(function, _("No owner")))
                sub = ""
            else:
                key = str(owner.pk) if owner else "-"
                label = action.owner_name or _("No owner")
                sub = str(function_labels.get(function, ""))
        group = groups.setdefault(key, OverdueGroup(key=key, label=label, sublabel=sub))
        group.actions.append(action)
    return sorted(groups.values(), key=lambda g: (-g.count, g.label.lower()))


# -- the document of a live plan ------------------------------------------------------------


def _name(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def _money(value: Decimal | None, currency: str) -> str:
    if value is None:
        return ""
    return f"{currency} {number_format(value, 0, use_l10n=True, force_grouping=True)}"


def _number(value: Decimal | None, places: int = 0) -> str:
    if value is None:
        return ""
    return str(number_format(value, places, use_l10n=True, force_grouping=True))


def _pct(value: Decimal | float | None, places: int = 1) -> str:
    if value is None:
        return ""
    # Rounded half up first: number_format alone cuts the digits off (233.9 would show 233).
    return f"{number_format(half_up(value, places), places, use_l10n=True)} %"


def _date(value: dt.date | None) -> str:
    return date_format(value, "DATE_FORMAT") if value else ""


def _pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(str(label), str(text)) for label, text in pairs if text not in ("", None)]


def _field_label(name: str) -> str:
    return str(PlanItem._meta.get_field(name).verbose_name).capitalize()


def item_field_text(item: PlanItem, name: str, currency: str) -> str:
    """The text a reader sees for one column of an item."""
    value = getattr(item, name)
    if name in {"measured_value", "investment", "expected_return"}:
        return _money(value, currency)
    if name == "hours":
        return _number(value, 0) and f"{_number(value, 0)} h"
    if name == "confirmed":
        return str(_("yes") if value else _("no"))
    if name == "due_date":
        return _date(value)
    if name == "resource_type":
        return str(item.get_resource_type_display()) if value else ""
    return str(value or "")


def _planned_hours(*, plan: Plan) -> dict[int, Decimal]:
    """Planned hours per person on the account, from the latest finished allocation run of a
    planning period that overlaps the plan's period (section 2), or nothing."""
    return planned_hours_by_person(
        account_id=plan.account_id, start=plan.period_start, end=plan.period_end
    )


def _section_titles() -> dict[str, str]:
    return {key: str(label) for key, label in Section.choices}


def plan_document_build(*, plan: Plan, today: dt.date | None = None) -> PlanDocument:
    """The internal ``PlanDocument`` of a live plan (``kam.plans.document``), in the active
    language. Reads the plan, its items and actions, the account team, the box in the latest
    review and planned hours from the latest allocation run."""
    today = today or timezone.localdate()
    account = plan.account
    currency = account.currency
    figures = plan_figures(plan=plan)
    box = figures.box
    shared = set(plan.shared_sections)
    enabled = [k for k in SECTION_KEYS if k in set(plan.sections)]
    titles = _section_titles()
    items = plan_items(plan=plan)
    actions = plan_actions(plan=plan)
    last_version = plan.versions.select_related("approved_by").order_by("-number").first()
    approved = plan.status == PlanStatus.APPROVED and last_version is not None

    def item_doc(item: PlanItem) -> ItemDoc:
        return ItemDoc(
            kind=item.kind,
            title=item.title,
            shared=item.shared,
            fields=_pairs(
                [
                    (_field_label(n), item_field_text(item, n, currency))
                    for n in ITEM_FIELDS[item.kind]
                ]
            ),
            ref=str(item.uid),
        )

    def action_fields(a: PlanAction) -> list[tuple[str, str]]:
        side = str(a.get_owner_side_display())
        return _pairs(
            [
                (_("Who"), f"{a.owner_name} ({side})" if a.owner_name else side),
                (_("Due"), _date(a.due_date)),
                (_("Status"), str(a.get_status_display())),
                (_("For objective"), a.objective.title if a.objective else ""),
            ]
        )

    sections: list[SectionDoc] = []
    for key in enabled:
        fields: list[tuple[str, str]] = []
        section_items: list[ItemDoc] = []
        if key == Section.TEAM:
            hours = _planned_hours(plan=plan)
            fields = _pairs(
                [
                    (_("Key account manager"), _name(account.owner)),
                    (_("Roles and how the team works"), plan.team_notes),
                ]
            )
            members = account.team.select_related("user", "user__profile").order_by(
                "team_role", "user__last_name", "user__first_name"
            )
            people = []
            if account.owner is not None:
                people.append((account.owner, _("Key account manager")))
            people += [
                (
                    m.user,
                    _("Core team") if m.team_role == TeamRole.CORE else _("Surround team"),
                )
                for m in members
                if m.user_id != account.owner_id
            ]
            for person, role in people:
                profile = getattr(person, "profile", None)
                planned = hours.get(person.pk)
                section_items.append(
                    ItemDoc(
                        kind="team_member",
                        title=_name(person),
                        shared=key in shared,
                        fields=_pairs(
                            [
                                (_("Team role"), str(role)),
                                (
                                    _("Function"),
                                    str(profile.get_function_display()) if profile else "",
                                ),
                                (
                                    _("Planned hours"),
                                    f"{_number(planned)} h" if planned is not None else "",
                                ),
                            ]
                        ),
                        ref=f"user-{person.pk}",
                    )
                )
        elif key == Section.SUMMARY:
            fields = _pairs([(_("Executive summary"), plan.summary)])
        elif key == Section.PROFIT_PLAN:
            profit = _profit_doc(plan, figures)
            growth = figures.growth

            def span(a: str, b: str) -> str:
                return f"{a or '—'} → {b or '—'}" if (a or b) else ""

            fields = _pairs(
                [
                    (
                        _("Revenue (current → target)"),
                        span(
                            _money(profit.revenue_current, currency),
                            _money(profit.revenue_target, currency),
                        )
                        + (
                            f" ({'+' if growth >= 0 else ''}{_pct(figures.growth_pct)})"
                            if growth is not None
                            else ""
                        ),
                    ),
                    (
                        _("Volume (current → target)"),
                        span(_number(plan.volume_current), _number(plan.volume_target))
                        + (
                            f" {plan.volume_unit}"
                            if plan.volume_unit and (plan.volume_current or plan.volume_target)
                            else ""
                        ),
                    ),
                    (
                        _("Gross margin (current → target)"),
                        span(_pct(plan.margin_current_pct), _pct(plan.margin_target_pct)),
                    ),
                    (_("Investment required"), _money(plan.investment, currency)),
                    (_("Expected return"), _money(plan.expected_return, currency)),
                    (_("Return on investment"), _pct(figures.roi_pct, 0)),
                    (
                        _("Payback"),
                        _("%(years)s years")
                        % {"years": _number(half_up(figures.payback_years, 1), 1)}
                        if figures.payback_years is not None
                        else "",
                    ),
                    (_("Notes"), plan.profit_notes),
                ]
            )
        elif key == Section.ANALYSIS:
            wallet = figures.share_of_wallet
            spend = figures.available_spend
            fields = _pairs(
                [
                    (_("The customer's market"), plan.market),
                    (_("Their value chain and where we sit"), plan.value_chain),
                    (_("Their strategy"), plan.customer_strategy),
                    (_("Strengths"), plan.swot_strengths),
                    (_("Weaknesses"), plan.swot_weaknesses),
                    (_("Opportunities"), plan.swot_opportunities),
                    (_("Threats"), plan.swot_threats),
                    (_("Their purchasing strategy and how they see us"), plan.purchasing_strategy),
                    (
                        _("Their total spend in our category"),
                        _money(Decimal(str(spend)) if spend is not None else None, currency),
                    ),
                    (
                        _("Share of wallet"),
                        _pct(wallet * 100, 0)
                        + " "
                        + _("of the revenue of %(year)s") % {"year": figures.base_year}
                        if wallet is not None
                        else "",
                    ),
                ]
            )
        elif key == Section.RESOURCES:
            fields = _pairs([(_("Resources asked"), plan.resources_notes)])
            section_items = [item_doc(i) for i in items if i.kind == ItemKind.RESOURCE]
        elif key == Section.OBJECTIVES:
            section_items = [
                item_doc(i) for i in items if i.kind in (ItemKind.OPPORTUNITY, ItemKind.OBJECTIVE)
            ]
        elif key == Section.VALUE_PROPOSITIONS:
            section_items = [item_doc(i) for i in items if i.kind == ItemKind.VALUE_PROPOSITION]
        elif key == Section.PROJECTS:
            section_items = [item_doc(i) for i in items if i.kind == ItemKind.PROJECT]
        elif key == Section.ACTIONS:
            section_items = [
                ItemDoc(
                    kind="action",
                    title=a.what,
                    shared=a.shared,
                    fields=action_fields(a),
                    ref=str(a.uid),
                )
                for a in actions
            ]
        sections.append(
            SectionDoc(
                key=key,
                title=titles[key],
                shared=key in shared,
                fields=fields,
                items=section_items,
            )
        )

    on = set(enabled)
    function_labels = dict(Function.choices)
    return PlanDocument(
        account_name=account.name,
        account_box=str(dict(Box.choices).get(box, "")) if box else "",
        period_label=plan.period_label,
        version_label=_("Version %(number)d") % {"number": plan.version_number},
        status=plan.status,
        status_label=str(plan.get_status_display()),
        approved_by=last_version.approved_by_name if approved and last_version else "",
        approved_at=last_version.approved_at if approved and last_version else None,
        language=get_language() or settings.LANGUAGE_CODE,
        audience="internal",
        organisation_name=organisation_get().name,
        currency=currency,
        as_of=today,
        sections=sections,
        objectives=[
            ObjectiveDoc(
                ref=str(i.uid),
                kind=i.kind,
                title=i.title,
                measure=i.measure,
                baseline=i.baseline,
                target=i.target,
                due_date=i.due_date,
                shared=i.shared,
            )
            for i in items
            if i.kind in (ItemKind.OPPORTUNITY, ItemKind.OBJECTIVE) and "objectives" in on
        ],
        value_propositions=[
            ValuePropositionDoc(
                ref=str(i.uid),
                title=i.title,
                problem=i.problem,
                solution=i.solution,
                customer_impact=i.customer_impact,
                beneficiaries=i.beneficiaries,
                measured_value=i.measured_value,
                measured_value_note=i.measured_value_note,
                our_reward=i.our_reward,
                confirmed=i.confirmed,
                confirmed_by=i.confirmed_by,
                shared=i.shared,
            )
            for i in items
            if i.kind == ItemKind.VALUE_PROPOSITION and "value_propositions" in on
        ],
        projects=[
            ProjectDoc(
                ref=str(i.uid),
                title=i.title,
                objective=i.description,
                investment=i.investment,
                expected_return=i.expected_return,
                milestones=i.milestones,
                team=i.team,
                shared=i.shared,
            )
            for i in items
            if i.kind == ItemKind.PROJECT and "projects" in on
        ],
        actions=[
            ActionDoc(
                ref=str(a.uid),
                what=a.what,
                owner_name=a.owner_name,
                owner_side="ours" if a.owner_side == OwnerSide.OURS else "theirs",
                owner_function=(
                    str(function_labels.get(a.owner_user.profile.function, ""))
                    if a.owner_side == OwnerSide.OURS
                    and a.owner_user is not None
                    and getattr(a.owner_user, "profile", None) is not None
                    else ""
                ),
                due_date=a.due_date,
                status=a.status,
                status_label=str(a.get_status_display()),
                overdue=a.is_overdue(today),
                shared=a.shared,
            )
            for a in actions
            if "actions" in on
        ],
        profit_plan=_profit_doc(plan, figures) if "profit_plan" in on else None,
        conversations=conversation_grid(plan=plan, today=today),
    )


def _profit_doc(plan: Plan, figures: AccountFigures) -> ProfitPlanDoc:
    """The profit plan: the current revenue is the figures' (the year before the plan's)."""
    return ProfitPlanDoc(
        revenue_current=(
            Decimal(str(round(figures.revenue, 2))) if figures.revenue is not None else None
        ),
        revenue_target=plan.revenue_target,
        volume_current=plan.volume_current,
        volume_target=plan.volume_target,
        volume_unit=plan.volume_unit,
        margin_current_pct=plan.margin_current_pct,
        margin_target_pct=plan.margin_target_pct,
        investment=plan.investment,
        expected_return=plan.expected_return,
    )


def action_status_choices() -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in ActionStatus.choices]


def plan_document(
    *,
    plan: Plan | None = None,
    version: PlanVersion | None = None,
    audience: Audience = "internal",
) -> PlanDocument:
    """The document of a live ``plan`` or of an approved ``version`` for ``audience``.

    Exactly one of ``plan`` and ``version`` is given. A version is rebuilt from its stored
    snapshot; a live plan is read from the database (the current draft or review state).
    """
    if (plan is None) == (version is None):
        raise ValueError("Give exactly one of plan and version.")
    if version is not None:
        doc = PlanDocument.from_snapshot(version.snapshot)
    else:
        assert plan is not None
        doc = plan_document_build(plan=plan)
    return doc.for_customer() if audience == "customer" else doc


def plan_row_as_stored(row: RowT) -> RowT:
    """``row`` read again from the database: a model form that validated has already
    changed the instance in memory, and the service compares against what is stored."""
    return type(row)._default_manager.get(pk=row.pk)


def share_access_list(*, plan: Plan, limit: int = 50) -> list[ShareAccess]:
    """The latest visits through the plan's share links, newest first."""
    return list(
        ShareAccess.objects.filter(link__plan=plan)
        .select_related("link", "action")
        .order_by("-at", "-pk")[:limit]
    )


def plan_markers(*, accounts: QuerySet[Account], as_of: dt.date) -> PlanMarkers:
    """The plan markers of the relationship stage (method section 3): a joint plan is a plan
    of the current period that the customer can open through a working share link; joint
    projects are that period's projects shared with the customer. What the relationship
    analysis reads (``kam.relationships.sources``)."""
    current = Plan.objects.filter(
        account_id__in=accounts.values("pk"), period_start__lte=as_of, period_end__gte=as_of
    )
    markers = PlanMarkers()
    markers.shared.update(
        current.filter(
            share_links__revoked_at__isnull=True, share_links__expires_at__gt=timezone.now()
        ).values_list("account_id", flat=True)
    )
    for account_id, n in (
        PlanItem.objects.filter(plan__in=current, kind=ItemKind.PROJECT, shared=True)
        .order_by()
        .values_list("plan__account_id")
        .annotate(n=Count("pk"))
    ):
        markers.projects[account_id] = max(markers.projects.get(account_id, 0), int(n))
    return markers
