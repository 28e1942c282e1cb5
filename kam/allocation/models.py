"""Planning a year of customer time (docs/method.md section 2): the period, its capacity and
box policies, the key account managers' response judgements, and optimisation runs.

Capacities and box policies are copied into the period when it is created, so that later
edits of a person's profile or of the organisation's policies do not rewrite an old plan.
Who may serve which account needs no table of its own: the account's owner and the people
on its account team (``accounts.AccountTeamMember``) are eligible, nobody else.

Money is ``Decimal`` in the organisation's base currency; hours are yearly hours.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account
from kam.organisation.models import Box, ServiceChannel
from kam.users.models import Function
from kam.web.history_records import KamHistoricalRecords

MONEY: dict[str, Any] = {"max_digits": 16, "decimal_places": 2}
HOURS: dict[str, Any] = {"max_digits": 10, "decimal_places": 1}


class PeriodStatus(models.TextChoices):
    """Where a planning period stands: being prepared, the plan in force, or history."""

    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class PlanningPeriod(models.Model):
    """A stretch of time (usually a year) whose customer hours are planned together."""

    name = models.CharField(_("name"), max_length=100)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    status = models.CharField(
        _("status"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("planning period")
        verbose_name_plural = _("planning periods")
        ordering = ["-start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="period_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.name


class PeriodCapacity(models.Model):
    """One person's hours for customers in the period, their function and hourly cost."""

    period = models.ForeignKey(PlanningPeriod, on_delete=models.CASCADE, related_name="capacities")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="period_capacities"
    )
    hours_per_year = models.PositiveIntegerField(_("hours per year for accounts"), default=0)
    function = models.CharField(
        _("function"), max_length=30, choices=Function.choices, default=Function.SALES
    )
    hourly_cost = models.DecimalField(
        _("hourly cost"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        verbose_name = _("capacity in a period")
        verbose_name_plural = _("capacities in a period")
        constraints = [
            models.UniqueConstraint(fields=["period", "user"], name="one_capacity_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.hours_per_year} h"


class PeriodBoxPolicy(models.Model):
    """Minimum and maximum yearly hours per account of one box, its service channel and
    visits per account, as planned for the period. An active account without a response
    judgement is planned at ``policy_hours`` (docs/allocation.md: time for every customer)."""

    period = models.ForeignKey(PlanningPeriod, on_delete=models.CASCADE, related_name="policies")
    box = models.CharField(_("box"), max_length=20, choices=Box.choices)
    min_hours_per_year = models.PositiveIntegerField(_("minimum hours per account per year"))
    max_hours_per_year = models.PositiveIntegerField(_("maximum hours per account per year"))
    service_channel = models.CharField(
        _("service channel"),
        max_length=20,
        choices=ServiceChannel.choices,
        default=ServiceChannel.FIELD,
    )
    visits_per_year = models.PositiveSmallIntegerField(_("visits per account per year"), default=0)
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
        verbose_name = _("box policy in a period")
        verbose_name_plural = _("box policies in a period")
        constraints = [
            models.UniqueConstraint(fields=["period", "box"], name="one_period_policy_per_box"),
            models.CheckConstraint(
                condition=models.Q(max_hours_per_year__gte=models.F("min_hours_per_year")),
                name="period_policy_max_not_below_min",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_box_display()}: {self.min_hours_per_year}-{self.max_hours_per_year} h"

    @property
    def policy_hours(self) -> int:
        """The yearly hours an account of this box without judgements is planned at: the
        middle of the policy's range, rounded down to whole hours (the flat per-box rule's
        figure; set minimum and maximum equal to plan an exact number)."""
        return (self.min_hours_per_year + self.max_hours_per_year) // 2


class PlannedBy(models.TextChoices):
    """How an account's hours in a run were decided: optimised on its response judgements,
    or its box policy's hours (no judgements)."""

    OPTIMISER = "optimiser", _("Optimised")
    POLICY = "policy", _("Box policy")


class ResponseJudgement(models.Model):
    """A key account manager's four judgements of how an account's yearly contribution
    (base currency) responds to yearly hours: at zero, at today's hours, at +50 %, at
    saturation (CALLPLAN, docs/method.md section 2); optionally a fifth, at half of today's
    hours, which CALLPLAN also asked for and which lets kam check that they agree
    (docs/allocation.md); optional hour bounds for the account."""

    period = models.ForeignKey(PlanningPeriod, on_delete=models.CASCADE, related_name="judgements")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="judgements")
    reference_hours = models.DecimalField(_("today's hours per year"), **HOURS)
    contribution_at_zero = models.DecimalField(_("contribution with no effort"), **MONEY)
    contribution_at_50pct = models.DecimalField(
        _("contribution at −50 % hours"), **MONEY, null=True, blank=True
    )
    contribution_at_reference = models.DecimalField(_("contribution at today's hours"), **MONEY)
    contribution_at_150pct = models.DecimalField(_("contribution at +50 % hours"), **MONEY)
    contribution_at_saturation = models.DecimalField(_("contribution at saturation"), **MONEY)
    min_hours = models.PositiveIntegerField(_("minimum hours (override)"), null=True, blank=True)
    max_hours = models.PositiveIntegerField(_("maximum hours (override)"), null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("response judgement")
        verbose_name_plural = _("response judgements")
        constraints = [
            models.UniqueConstraint(fields=["period", "account"], name="one_judgement_per_account")
        ]

    def __str__(self) -> str:
        return f"{self.account} ({self.period})"


class RunStatus(models.TextChoices):
    """Where an optimisation run stands."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class AllocationRun(models.Model):
    """One optimisation of a period's hours; ``summary`` holds the objective (base
    currency per year), its certified upper bound and gap, shadow prices (per hour) and
    the comparisons with today's allocation and the flat per-box rule."""

    period = models.ForeignKey(PlanningPeriod, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("allocation run")
        verbose_name_plural = _("allocation runs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.period} #{self.pk} ({self.status})"


class AllocationLine(models.Model):
    """The planned yearly hours of one account in a run, its expected contribution (base
    currency), today's hours, the bounds applied, and why it ends below its minimum.
    An account planned by its box policy (``planned_by``) has no curve: its contribution
    and today's hours are unknown (null)."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    box = models.CharField(_("box"), max_length=20, choices=Box.choices, blank=True)
    planned_by = models.CharField(
        _("planned by"), max_length=10, choices=PlannedBy.choices, default=PlannedBy.OPTIMISER
    )
    hours = models.DecimalField(_("planned hours"), **HOURS)
    contribution = models.DecimalField(_("expected contribution"), **MONEY, null=True)
    reference_hours = models.DecimalField(_("today's hours"), **HOURS, null=True)
    reference_contribution = models.DecimalField(
        _("contribution at today's hours"), **MONEY, null=True
    )
    min_hours = models.DecimalField(_("minimum hours"), **HOURS)
    max_hours = models.DecimalField(_("maximum hours"), **HOURS, null=True)
    below_minimum = models.TextField(_("below the minimum because"), blank=True)

    class Meta:
        verbose_name = _("planned hours of an account")
        verbose_name_plural = _("planned hours of accounts")
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="one_line_per_account")
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.hours} h"


class AllocationPersonLine(models.Model):
    """The yearly hours one person is planned to spend on one account in a run."""

    run = models.ForeignKey(AllocationRun, on_delete=models.CASCADE, related_name="person_lines")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    hours = models.DecimalField(_("planned hours"), **HOURS)

    class Meta:
        verbose_name = _("planned hours of a person on an account")
        verbose_name_plural = _("planned hours of people on accounts")
        indexes = [models.Index(fields=["run", "user"])]

    def __str__(self) -> str:
        return f"{self.user} on {self.account}: {self.hours} h"


class PeriodFunctionCapacity(models.Model):
    """The most hours one function may spend on customers in the period, over all its
    people together (docs/method.md section 2: capacity per function); no row, no cap."""

    period = models.ForeignKey(
        PlanningPeriod, on_delete=models.CASCADE, related_name="function_capacities"
    )
    function = models.CharField(_("function"), max_length=30, choices=Function.choices)
    hours_per_year = models.PositiveIntegerField(_("most hours per year for accounts"))

    class Meta:
        verbose_name = _("capacity of a function in a period")
        verbose_name_plural = _("capacities of functions in a period")
        constraints = [
            models.UniqueConstraint(fields=["period", "function"], name="one_capacity_per_function")
        ]

    def __str__(self) -> str:
        return f"{self.get_function_display()}: {self.hours_per_year} h"
