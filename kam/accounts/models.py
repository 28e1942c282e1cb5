"""Customer organisations (accounts), their groups, teams and yearly revenue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.web.choices import TeamRole as TeamRole
from kam.web.history_records import KamHistoricalRecords


class Account(models.Model):
    """A customer organisation; ``parent`` links a country company to its group.

    Revenue is kept per year in the account's own ``currency`` (AccountRevenue).
    """

    name = models.CharField(_("name"), max_length=200)
    external_id = models.CharField(
        _("external id"),
        max_length=64,
        unique=True,
        help_text=_("The customer number in your ERP or CRM; imports match on it."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("group"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_accounts",
        verbose_name=_("key account manager"),
    )
    owner_planned_hours = models.PositiveIntegerField(
        _("key account manager's planned hours per year"), default=0
    )
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code, e.g. NL"))
    channel = models.CharField(
        _("industry / channel"),
        max_length=60,
        blank=True,
        help_text=_("For example retail, wholesale, food service, online."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    email_domains = models.JSONField(
        _("e-mail domains"),
        default=list,
        blank=True,
        help_text=_("The customer's e-mail domains (example.com); calendar imports match on them."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("account")
        ordering = ["name"]
        indexes = [models.Index(fields=["country"]), models.Index(fields=["channel"])]

    def __str__(self) -> str:
        return self.name


class AccountTeamMember(models.Model):
    """A person on our side who serves an account (besides its key account manager)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_teams"
    )
    team_role = models.CharField(
        _("team role"), max_length=10, choices=TeamRole.choices, default=TeamRole.CORE
    )
    function = models.CharField(
        _("function on this team"),
        max_length=30,
        blank=True,
        help_text=_("Empty: the person's own function."),
    )
    planned_hours = models.PositiveIntegerField(_("planned hours per year"), default=0)

    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("account team member")
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="one_team_seat_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.account}"


class AccountRevenue(models.Model):
    """Revenue with one account in one calendar year, in the account's currency."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="revenues")
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("revenue"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("yearly revenue")
        ordering = ["account", "year"]
        constraints = [
            models.UniqueConstraint(fields=["account", "year"], name="one_revenue_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.year}: {self.amount}"
