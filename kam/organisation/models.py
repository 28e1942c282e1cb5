"""The supplier organisation that runs kam, and the policies it sets for itself.

One kam installation serves one supplier. Every threshold the method calls configurable
(docs/method.md sections 1 and 2) lives here, with the method's defaults.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.web.history_records import KamHistoricalRecords


class Box(models.TextChoices):
    """The four boxes of the selection matrix (docs/method.md section 1)."""

    KEY = "key", _("Key")
    KEY_DEVELOPMENT = "key_development", _("Key development")
    MAINTENANCE = "maintenance", _("Maintenance")
    OPPORTUNISTIC = "opportunistic", _("Opportunistic")


class ServiceChannel(models.TextChoices):
    """How the accounts of a box are served (docs/method.md section 2: the box policy's
    service channel): visited in the field, by inside sales (phone, video), by a key
    account team, or through the web shop and self-service."""

    FIELD = "field", _("Field sales")
    INSIDE_SALES = "inside_sales", _("Inside sales")
    KEY_ACCOUNT_TEAM = "key_account_team", _("Key account team")
    WEB = "web", _("Web and self-service")


class ManagerLimitCounts(models.TextChoices):
    """Which accounts count against the most key accounts per key account manager
    (docs/method.md section 1: "one to four key accounts per key account manager"; kam checks
    "the number of key (and key development) accounts")."""

    KEY_AND_DEVELOPMENT = "key_and_development", _("Key and key development accounts")
    KEY = "key", _("Key accounts only")

    @classmethod
    def boxes(cls, value: str) -> tuple[str, ...]:
        """The box values that count under ``value``."""
        if value == cls.KEY:
            return (Box.KEY.value,)
        return (Box.KEY.value, Box.KEY_DEVELOPMENT.value)


class Organisation(models.Model):
    """The supplier itself: name, base currency, too-many-key-accounts limits, sensitivity settings.

    Cut lines belong to the scoring scheme version (portfolio.SchemeVersion), so that an
    old review keeps the lines it was classified with.
    """

    name = models.CharField(_("name"), max_length=200, default="My company")
    base_currency = models.CharField(_("base currency"), max_length=3, default="EUR")
    max_key_accounts = models.PositiveIntegerField(
        _("most key accounts for the company"), default=50
    )
    max_key_accounts_per_manager = models.PositiveIntegerField(
        _("most key accounts per key account manager"), default=4
    )
    manager_limit_counts = models.CharField(
        _("accounts counted per key account manager"),
        max_length=20,
        choices=ManagerLimitCounts.choices,
        default=ManagerLimitCounts.KEY_AND_DEVELOPMENT,
        help_text=_(
            "Which accounts count against the most key accounts per key account manager: a "
            "key development account takes almost as much time as a key account."
        ),
    )
    capacity_warning_share = models.DecimalField(
        _("share of team capacity that key and key development accounts may need"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        help_text=_("1.00 warns when their minimum hours exceed the whole team's capacity."),
    )
    sensitivity_draws = models.PositiveIntegerField(_("sensitivity draws"), default=1000)
    sensitivity_concentration = models.DecimalField(
        _("weight concentration for sensitivity"),
        max_digits=8,
        decimal_places=1,
        default=Decimal("100.0"),
        help_text=_("Higher keeps drawn weights closer to the chosen weights."),
    )
    uncertainty_threshold = models.DecimalField(
        _("certainty needed for a box"), max_digits=4, decimal_places=2, default=Decimal("0.80")
    )
    disagreement_points = models.DecimalField(
        _("rater spread that flags a criterion"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("3.0"),
    )

    discount_rate = models.DecimalField(
        _("discount rate per year"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.0800"),
        help_text=_(
            "The yearly rate at which future contribution is discounted and payment terms "
            "are financed (0.08 = 8 %)."
        ),
    )

    class Meta:
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name


class BoxPolicy(models.Model):
    """How much time an account of one box gets, and how often it is reviewed (section 2)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="box_policies"
    )
    box = models.CharField(_("box"), max_length=20, choices=Box.choices)
    min_hours_per_year = models.PositiveIntegerField(_("minimum hours per account per year"))
    max_hours_per_year = models.PositiveIntegerField(_("maximum hours per account per year"))
    review_cadence_months = models.PositiveSmallIntegerField(_("review every (months)"))
    service_channel = models.CharField(
        _("service channel"),
        max_length=20,
        choices=ServiceChannel.choices,
        default=ServiceChannel.FIELD,
    )
    visits_per_year = models.PositiveSmallIntegerField(
        _("visits per account per year"),
        default=0,
        help_text=_("Meetings (in person or online) an account of this box gets a year."),
    )
    expected_functions = models.JSONField(
        _("functions expected on the account team"),
        default=list,
        blank=True,
        help_text=_("Our functions (sales, supply chain …) an account of this box should have."),
    )
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
        verbose_name = _("box policy")
        verbose_name_plural = _("box policies")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "box"], name="one_policy_per_box"),
            models.CheckConstraint(
                condition=models.Q(max_hours_per_year__gte=models.F("min_hours_per_year")),
                name="policy_max_not_below_min",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_box_display()}: {self.min_hours_per_year}-{self.max_hours_per_year} h"


class ExchangeRate(models.Model):
    """Value of one unit of a currency in the base currency, for sizing and totals."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="exchange_rates"
    )
    currency = models.CharField(_("currency"), max_length=3)
    rate_to_base = models.DecimalField(_("value in base currency"), max_digits=14, decimal_places=6)

    class Meta:
        verbose_name = _("exchange rate")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "currency"], name="one_rate_per_currency"
            )
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate_to_base}"


DEFAULT_BOX_POLICIES = {
    # box: (min hours, max hours, review cadence in months) -- docs/method.md section 2
    Box.KEY: (200, 600, 3),
    Box.KEY_DEVELOPMENT: (120, 400, 3),
    Box.MAINTENANCE: (30, 120, 6),
    Box.OPPORTUNISTIC: (0, 30, 12),
}

DEFAULT_BOX_SERVICE = {
    # box: (service channel, visits per account per year) -- docs/method.md section 2
    Box.KEY: (ServiceChannel.KEY_ACCOUNT_TEAM, 12),
    Box.KEY_DEVELOPMENT: (ServiceChannel.KEY_ACCOUNT_TEAM, 8),
    Box.MAINTENANCE: (ServiceChannel.FIELD, 4),
    Box.OPPORTUNISTIC: (ServiceChannel.INSIDE_SALES, 1),
}
