"""People on our side: their role in kam, their function and yearly capacity, their API tokens."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history import register

from kam.web.choices import Function as Function
from kam.web.history_records import KamHistoricalRecords


class Role(models.TextChoices):
    """What a person may see and do in kam.

    - administrator: everything, including users and settings;
    - sales director: reads and edits every account, runs reviews and sets policies;
    - key account manager: reads and edits the accounts they own or are on the team of;
    - team member: reads the accounts they serve; writes only their own scores;
    - viewer: reads the portfolio (every account), writes nothing.
    """

    ADMINISTRATOR = "administrator", _("Administrator")
    SALES_DIRECTOR = "sales_director", _("Sales director")
    KEY_ACCOUNT_MANAGER = "key_account_manager", _("Key account manager")
    TEAM_MEMBER = "team_member", _("Team member")
    VIEWER = "viewer", _("Viewer")


class Profile(models.Model):
    """A person's role, function and yearly capacity in hours (section 2)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.VIEWER)
    function = models.CharField(
        _("function"), max_length=30, choices=Function.choices, default=Function.SALES
    )
    hours_per_year = models.PositiveIntegerField(
        _("hours per year for accounts"),
        default=0,
        help_text=_("Yearly hours this person can spend on customers; 0 when not in the team."),
    )
    hourly_cost = models.DecimalField(
        _("hourly cost"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )

    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("profile")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def sees_all_accounts(self) -> bool:
        return self.role in {Role.ADMINISTRATOR, Role.SALES_DIRECTOR, Role.VIEWER}


class ApiToken(models.Model):
    """A personal API token; only a SHA-256 digest is stored, the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


# Users themselves (active, staff, names, e-mail; never the password hash or the last
# login) keep history too: who made whom an administrator, who switched someone off.
register(
    User,
    app="kam.users",
    records_class=KamHistoricalRecords,
    excluded_fields=["password", "last_login"],
)


class StartVisit(models.Model):
    """When a person last opened their start page, so it can say what changed since.

    ``since`` is the moment the page compares against: the end of the previous working
    session (a visit more than ``SESSION_GAP`` after the one before starts a new session),
    so reloading the page does not wipe what it shows. New findings are those the findings
    store recorded after ``since`` (``relationships.FindingRecord.opened_at``). Not kept in
    history: it changes on every visit and records nobody's decision.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="start_visit"
    )
    since = models.DateTimeField(_("changes shown since"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last visit"))

    class Meta:
        verbose_name = _("start page visit")

    def __str__(self) -> str:
        return f"{self.user}: {self.last_seen_at:%Y-%m-%d %H:%M}"
