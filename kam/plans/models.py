"""Key account plans (docs/method.md section 5): sections, items, actions, versions, sharing.

A ``Plan`` is the plan for one account and one period (usually a year). Its section texts
and profit plan live on the plan row; the repeating parts (objectives, value propositions,
projects, resources) are ``PlanItem`` rows and the implementation timetable is ``PlanAction``
rows. Which sections a plan has comes from the ``PlanTemplate`` of the account's box
(section 0, the rule of KAM) and can be tailored per plan.

Review: a plan is a draft, in review, or approved. Approval writes a ``PlanVersion`` with
the presented document (``snapshot``, see ``kam.plans.document``) and the raw content
(``content``) from which next period's plan is copied. Content is frozen outside draft;
the status of actions is tracking, not planning, and can be updated at any time.

Joint planning: sections and items are internal or shared; a ``ShareLink`` lets one named
person at the customer read the shared part, in the language chosen for the link, and
update the actions they own; every use of a link writes a ``ShareAccess`` row. Through the
link a named person at the customer signs off the current approved version
(``PlanSignOff``).

Money is ``Decimal`` in the account's currency; margins are percent.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.organisation.models import Box
from kam.web.history_records import KamHistoricalRecords

MONEY: dict[str, Any] = {"max_digits": 16, "decimal_places": 2, "null": True, "blank": True}


class Section(models.TextChoices):
    """The sections of Cheverton's plan template, in presentation order (section 5)."""

    TEAM = "team", _("Account team")
    SUMMARY = "summary", _("Executive summary")
    PROFIT_PLAN = "profit_plan", _("Profit plan")
    ANALYSIS = "analysis", _("Analysis")
    OBJECTIVES = "objectives", _("Opportunities and objectives")
    VALUE_PROPOSITIONS = "value_propositions", _("Value propositions")
    PROJECTS = "projects", _("Projects")
    RESOURCES = "resources", _("Resources")
    ACTIONS = "actions", _("Actions")


ALL_SECTIONS = [s.value for s in Section]

# Defaults per box (section 0: "the form of each key account application depends on the
# nature of the customer"). A maintenance account needs objectives and actions, not an
# analysis of the customer's value chain or joint projects.
DEFAULT_SECTIONS_BY_BOX: dict[str, list[str]] = {
    Box.KEY: ALL_SECTIONS,
    Box.KEY_DEVELOPMENT: ALL_SECTIONS,
    Box.MAINTENANCE: ["team", "summary", "profit_plan", "objectives", "actions"],
    Box.OPPORTUNISTIC: ["summary", "objectives", "actions"],
}
# What is shared with the customer by default (section 5, joint planning: shared
# objectives, value propositions and the joint action list; margins and politics stay in).
DEFAULT_SHARED_SECTIONS = ["objectives", "value_propositions", "projects", "actions"]


class PlanStatus(models.TextChoices):
    """Where a plan stands in its review."""

    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")


class PlanTemplate(models.Model):
    """The sections a plan for an account in one box has, and which of them are shared."""

    box = models.CharField(_("box"), max_length=20, choices=Box.choices, unique=True)
    sections = models.JSONField(_("sections"), default=list)
    shared_sections = models.JSONField(_("sections shared by default"), default=list)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("plan template")

    def __str__(self) -> str:
        return self.get_box_display()


class Plan(models.Model):
    """The plan for one account and one period, with its section texts and profit plan."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="plans",
        verbose_name=_("account"),
    )
    period_label = models.CharField(
        _("period"), max_length=40, help_text=_("How the period is called, for example 2026.")
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    version_number = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("The number the next approval will carry.")
    )
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        verbose_name=_("created from"),
    )
    sections = models.JSONField(_("sections"), default=list)
    shared_sections = models.JSONField(_("shared sections"), default=list)

    # team
    team_notes = models.TextField(
        _("roles and how the team works"),
        blank=True,
        help_text=_("Who does what for this customer, who meets whom, how often."),
    )
    # executive summary
    summary = models.TextField(
        _("executive summary"),
        blank=True,
        help_text=_(
            "The opportunity and objectives, key people, the proposition, projects, "
            "resources asked and the timetable, on one page."
        ),
    )
    # profit plan
    revenue_current = models.DecimalField(_("current revenue"), **MONEY)
    revenue_target = models.DecimalField(_("target revenue"), **MONEY)
    volume_current = models.DecimalField(
        _("current volume"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    volume_target = models.DecimalField(
        _("target volume"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    volume_unit = models.CharField(_("volume unit"), max_length=30, blank=True)
    margin_current_pct = models.DecimalField(
        _("current gross margin (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    margin_target_pct = models.DecimalField(
        _("target gross margin (%)"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    investment = models.DecimalField(_("investment required"), **MONEY)
    expected_return = models.DecimalField(
        _("expected return"),
        **MONEY,
        help_text=_("Extra gross margin the investment brings in the period."),
    )
    profit_notes = models.TextField(_("notes on the profit plan"), blank=True)
    # analysis
    market = models.TextField(_("the customer's market"), blank=True)
    value_chain = models.TextField(
        _("their value chain and where we sit"),
        blank=True,
    )
    customer_strategy = models.TextField(_("their strategy"), blank=True)
    swot_strengths = models.TextField(_("their strengths"), blank=True)
    swot_weaknesses = models.TextField(_("their weaknesses"), blank=True)
    swot_opportunities = models.TextField(_("their opportunities"), blank=True)
    swot_threats = models.TextField(_("their threats"), blank=True)
    purchasing_strategy = models.TextField(
        _("their purchasing strategy and how they see us"), blank=True
    )
    category_spend = models.DecimalField(
        _("their total spend in our category"),
        **MONEY,
        help_text=_("Per year; share of wallet = our revenue ÷ this spend."),
    )
    # resources
    resources_notes = models.TextField(
        _("resources asked"),
        blank=True,
        help_text=_("People, time, budget, assets and management support the plan needs."),
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(
        _("saved version"),
        default=1,
        editable=False,
        help_text=_("Counts every save; a save made on an older version is refused."),
    )

    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("account plan")
        ordering = ["account__name", "-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "period_label"], name="one_plan_per_account_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="plan_period_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.period_label}"

    @property
    def share_of_wallet(self) -> float | None:
        """Our revenue ÷ their total available spend in our category (section 5), 0–1."""
        if self.revenue_current is None or not self.category_spend:
            return None
        return float(self.revenue_current / self.category_spend)


class ItemKind(models.TextChoices):
    """The repeating parts of a plan and the section each belongs to."""

    OPPORTUNITY = "opportunity", _("Opportunity")
    OBJECTIVE = "objective", _("Objective")
    VALUE_PROPOSITION = "value_proposition", _("Value proposition")
    PROJECT = "project", _("Project")
    RESOURCE = "resource", _("Resource")


ITEM_SECTION = {
    ItemKind.OPPORTUNITY: Section.OBJECTIVES,
    ItemKind.OBJECTIVE: Section.OBJECTIVES,
    ItemKind.VALUE_PROPOSITION: Section.VALUE_PROPOSITIONS,
    ItemKind.PROJECT: Section.PROJECTS,
    ItemKind.RESOURCE: Section.RESOURCES,
}

# The columns each kind uses, in reading order (forms, documents, comparison).
ITEM_FIELDS: dict[str, list[str]] = {
    ItemKind.OPPORTUNITY: ["description", "measure", "target", "due_date"],
    ItemKind.OBJECTIVE: ["description", "measure", "baseline", "target", "due_date"],
    ItemKind.VALUE_PROPOSITION: [
        "problem",
        "solution",
        "customer_impact",
        "beneficiaries",
        "measured_value",
        "measured_value_note",
        "our_reward",
        "confirmed",
        "confirmed_by",
    ],
    ItemKind.PROJECT: [
        "description",
        "investment",
        "expected_return",
        "milestones",
        "team",
        "due_date",
    ],
    ItemKind.RESOURCE: ["resource_type", "description", "hours", "investment"],
}


class ResourceType(models.TextChoices):
    """What a plan asks for (section 5, resources)."""

    PEOPLE = "people", _("People")
    TIME = "time", _("Time")
    BUDGET = "budget", _("Budget")
    ASSETS = "assets", _("Assets")
    MANAGEMENT = "management", _("Management support")


class PlanItem(models.Model):
    """An opportunity, objective, value proposition, project or resource in a plan.

    ``uid`` stays the same when the plan is copied to the next period, so that versions
    and periods can be compared item by item. ``measured_value``, ``investment`` and
    ``expected_return`` are money per period in the account's currency.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items")
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=ItemKind.choices)
    position = models.PositiveIntegerField(_("place in the list"), default=0)
    title = models.CharField(_("title"), max_length=200)
    shared = models.BooleanField(
        _("shared with the customer"),
        default=True,
        help_text=_("Shared items are visible to the customer's people through share links."),
    )
    description = models.TextField(_("description"), blank=True)
    # objectives
    measure = models.CharField(_("measure"), max_length=200, blank=True)
    baseline = models.CharField(_("baseline"), max_length=100, blank=True)
    target = models.CharField(_("target"), max_length=100, blank=True)
    due_date = models.DateField(_("target date"), null=True, blank=True)
    # value propositions
    problem = models.TextField(_("the customer's problem"), blank=True)
    solution = models.TextField(_("our solution"), blank=True)
    customer_impact = models.TextField(_("impact on the customer's business"), blank=True)
    beneficiaries = models.CharField(_("who benefits there"), max_length=200, blank=True)
    measured_value = models.DecimalField(
        _("measured value per year"),
        **MONEY,
        help_text=_("What the customer gains per year, in the account's currency."),
    )
    measured_value_note = models.CharField(
        _("how the value is measured"), max_length=300, blank=True
    )
    our_reward = models.CharField(_("our reward"), max_length=300, blank=True)
    confirmed = models.BooleanField(_("confirmed by the customer"), default=False)
    confirmed_by = models.CharField(_("confirmed by"), max_length=200, blank=True)
    # projects and resources
    investment = models.DecimalField(_("investment"), **MONEY)
    expected_return = models.DecimalField(_("expected return"), **MONEY)
    milestones = models.TextField(_("milestones"), blank=True, help_text=_("One per line."))
    team = models.CharField(_("team"), max_length=300, blank=True)
    resource_type = models.CharField(
        _("resource"), max_length=20, choices=ResourceType.choices, blank=True
    )
    hours = models.DecimalField(_("hours"), max_digits=10, decimal_places=1, null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(
        _("saved version"),
        default=1,
        editable=False,
        help_text=_("Counts every save; a save made on an older version is refused."),
    )

    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("plan item")
        ordering = ["plan", "kind", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "uid"], name="one_item_uid_per_plan")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def section(self) -> str:
        return str(ITEM_SECTION[ItemKind(self.kind)])


class OwnerSide(models.TextChoices):
    """Who owes an action: one of our people or a person at the customer."""

    OURS = "ours", _("Our side")
    THEIRS = "theirs", _("Customer")


class ActionStatus(models.TextChoices):
    """Progress of an action."""

    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    BLOCKED = "blocked", _("Blocked")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


FINISHED_STATUSES = {ActionStatus.DONE, ActionStatus.DROPPED}


class PlanAction(models.Model):
    """One line of the implementation timetable: what, who (ours or theirs), by when, status.

    On our side the owner is a user (their function makes the per-function lists); on the
    customer's side a contact of the plan's account (``owner_contact``). Its name and
    e-mail address are copied to ``owner_contact_name`` and ``owner_contact_email``: a share
    link for that address (case-insensitively) lets the person update the action, and a
    name typed before owners were contacts that matches no contact stays there, shown as
    "not matched".
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions")
    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    position = models.PositiveIntegerField(_("place in the list"), default=0)
    what = models.CharField(_("what"), max_length=300)
    owner_side = models.CharField(
        _("owner's side"), max_length=10, choices=OwnerSide.choices, default=OwnerSide.OURS
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_actions",
        verbose_name=_("owner (our side)"),
    )
    owner_contact = models.ForeignKey(
        "relationships.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plan_actions",
        verbose_name=_("owner at the customer"),
    )
    owner_contact_name = models.CharField(_("owner (customer)"), max_length=200, blank=True)
    owner_contact_email = models.EmailField(_("owner's e-mail (customer)"), blank=True)
    due_date = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    shared = models.BooleanField(_("shared with the customer"), default=True)
    objective = models.ForeignKey(
        PlanItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("for objective"),
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(
        _("saved version"),
        default=1,
        editable=False,
        help_text=_("Counts every save; a save made on an older version is refused."),
    )

    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("plan action")
        ordering = ["plan", "due_date", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "uid"], name="one_action_uid_per_plan")
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return self.what

    @property
    def owner_name(self) -> str:
        if self.owner_side == OwnerSide.OURS:
            if self.owner_user is None:
                return ""
            return str(self.owner_user.get_full_name() or self.owner_user.get_username())
        if self.owner_contact_id is not None and self.owner_contact is not None:
            return str(self.owner_contact.display_name)
        return self.owner_contact_name

    @property
    def owner_not_matched(self) -> bool:
        """The customer's owner is a name typed before owners were contacts, matching none."""
        return (
            self.owner_side == OwnerSide.THEIRS
            and self.owner_contact_id is None
            and bool(self.owner_contact_name)
        )

    def is_overdue(self, today: object) -> bool:
        """Due before ``today`` and neither done nor dropped."""
        return (
            self.due_date is not None
            and self.due_date < today  # type: ignore[operator]
            and self.status not in FINISHED_STATUSES
        )


class ActionComment(models.Model):
    """A comment on an action, by one of our people or by a customer person through a link."""

    action = models.ForeignKey(PlanAction, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField(_("comment"))
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    share_link = models.ForeignKey(
        "ShareLink", on_delete=models.SET_NULL, null=True, blank=True, related_name="comments"
    )
    author_name = models.CharField(_("written by"), max_length=200)
    visible_to_customer = models.BooleanField(_("visible to the customer"), default=False)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("action comment")
        ordering = ["action", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:40]}"


class PlanVersion(models.Model):
    """An approved version of a plan, frozen: the presented document and the raw content.

    ``snapshot`` is ``PlanDocument.to_snapshot()`` of the internal document at approval;
    ``content`` the plan's fields, items and actions, from which next period's plan is made.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField()
    content = models.JSONField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_by_name = models.CharField(_("approved by"), max_length=200)
    approved_at = models.DateTimeField(_("approved"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("plan version")
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="one_plan_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class ShareLink(models.Model):
    """A link for one named person at the customer to one plan: hashed, expiring, revocable.

    Only the SHA-256 ``digest`` of the token is stored (like ``users.ApiToken``);
    ``lookup`` is its first characters, to find the row before a constant-time compare.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="share_links")
    person_name = models.CharField(_("name"), max_length=200)
    person_email = models.EmailField(_("e-mail"))
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language the shared page opens in; the person can switch it there."),
    )
    lookup = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    history = KamHistoricalRecords(excluded_fields=["lookup", "digest", "last_used_at"])

    class Meta:
        verbose_name = _("share link")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.person_name} – {self.plan}"


class ShareAccessKind(models.TextChoices):
    """What happened through a share link."""

    VIEW = "view", _("Viewed the plan")
    STATUS = "status", _("Changed an action's status")
    COMMENT = "comment", _("Commented on an action")
    SIGN_OFF = "sign_off", _("Signed off the plan")
    REFUSED = "refused", _("Refused")


class ShareAccess(models.Model):
    """One use of a share link (or a refused attempt, with no link): when, from where, what."""

    link = models.ForeignKey(
        ShareLink, on_delete=models.CASCADE, null=True, blank=True, related_name="accesses"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    kind = models.CharField(_("what"), max_length=10, choices=ShareAccessKind.choices)
    action = models.ForeignKey(
        PlanAction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("share link access")
        verbose_name_plural = _("share link accesses")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


class PlanSignOff(models.Model):
    """A named person at the customer signing off an approved version through a share link.

    The customer's agreement to the joint plan (docs/plans.md, "Sign-off by the customer"):
    who (name, optionally role and e-mail address, as they typed them), which version, when,
    and through which link. One sign-off per version and link; signing again changes nothing.
    """

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="sign_offs", verbose_name=_("account plan")
    )
    version = models.ForeignKey(
        PlanVersion,
        on_delete=models.CASCADE,
        related_name="sign_offs",
        verbose_name=_("version"),
    )
    link = models.ForeignKey(
        ShareLink,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sign_offs",
        verbose_name=_("share link"),
    )
    person_name = models.CharField(_("name"), max_length=200)
    person_role = models.CharField(_("role"), max_length=200, blank=True)
    person_email = models.EmailField(_("e-mail"), blank=True)
    signed_at = models.DateTimeField(_("signed off"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    history = KamHistoricalRecords(excluded_fields=["ip"])

    class Meta:
        verbose_name = _("customer sign-off")
        verbose_name_plural = _("customer sign-offs")
        ordering = ["version", "signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "link"], name="one_sign_off_per_version_link"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_name} – {self.version}"
