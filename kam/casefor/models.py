"""The business case self-assessment, saved per organisation with a date (docs/method.md
section 7), so that a later assessment can be compared with an earlier one.

The answers live in two JSON objects keyed by the stable question keys of
``kam.core.business_case`` (reasons and readiness); the service validates them (every
question answered, 0-4). The team's capacity figures are copied in at the time of the
assessment, so an old business case keeps the numbers the board saw.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.organisation.models import Organisation


class Assessment(models.Model):
    """One self-assessment: answers 0-4 per reason and readiness question, and the capacity
    inputs (hours per year, account counts) as they were on ``assessed_on``."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="assessments"
    )
    assessed_on = models.DateField(_("date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    notes = models.TextField(_("notes"), blank=True)
    answers = models.JSONField(_("answers to the reasons"), default=dict)
    readiness = models.JSONField(_("answers on readiness"), default=dict)
    # Capacity inputs at the time of the assessment (sections 1 and 2).
    team_hours_per_year = models.PositiveIntegerField(_("team hours per year"))
    capacity_share = models.DecimalField(
        _("share of team hours for key accounts"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
    )
    key_min_hours_per_year = models.PositiveIntegerField(_("minimum hours per key account"))
    key_development_min_hours_per_year = models.PositiveIntegerField(
        _("minimum hours per key development account")
    )
    managers = models.PositiveIntegerField(_("key account managers"))
    max_key_accounts_per_manager = models.PositiveIntegerField(
        _("most key accounts per key account manager")
    )
    current_key_accounts = models.PositiveIntegerField(
        _("key accounts in the latest review"), null=True, blank=True
    )
    current_key_development_accounts = models.PositiveIntegerField(
        _("key development accounts in the latest review"), default=0
    )

    class Meta:
        verbose_name = _("business case assessment")
        verbose_name_plural = _("business case assessments")
        ordering = ["-assessed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.organisation} {self.assessed_on:%Y-%m-%d}"
