"""The customer's people, our links to them, the relationship stage and how the customer files us.

docs/method.md section 3 (decision-making unit, contact matrix, stage) and section 4
(supplier positioning). The account team itself is ``accounts.AccountTeamMember``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.web.choices import Attitude, CustomerView, Stage, Strength
from kam.web.history_records import KamHistoricalRecords


class Seniority(models.IntegerChoices):
    """How senior a contact is: 1 (board) to 5 (operational); 1 and 2 count as senior."""

    BOARD = 1, _("Board / executive")
    SENIOR = 2, _("Senior management")
    MIDDLE = 3, _("Middle management")
    PROFESSIONAL = 4, _("Professional / team lead")
    OPERATIONAL = 5, _("Operational")


class ContactFunction(models.TextChoices):
    """The function a contact works in at the customer."""

    MANAGEMENT = "management", _("General management")
    PURCHASING = "purchasing", _("Purchasing")
    CATEGORY = "category", _("Category management")
    SUPPLY_CHAIN = "supply_chain", _("Supply chain")
    MARKETING = "marketing", _("Marketing")
    FINANCE = "finance", _("Finance")
    QUALITY = "quality", _("Quality")
    OPERATIONS = "operations", _("Operations")
    IT = "it", _("IT")
    OTHER = "other", _("Other")


class LawfulBasis(models.TextChoices):
    """Why we may keep a person's data (GDPR article 6)."""

    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")
    CONTRACT = "contract", _("Contract")
    CONSENT = "consent", _("Consent")


class Contact(models.Model):
    """A person at the customer: role in the decision-making unit, attitude, our owner."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="contacts"
    )
    number = models.PositiveIntegerField(
        _("number"),
        help_text=_("Numbered per account; an erased contact shows as 'Former contact #n'."),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    title = models.CharField(_("job title"), max_length=200, blank=True)
    function = models.CharField(
        _("function"), max_length=20, choices=ContactFunction.choices, default=ContactFunction.OTHER
    )
    seniority = models.PositiveSmallIntegerField(
        _("seniority"), choices=Seniority.choices, default=Seniority.MIDDLE
    )
    reports_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("reports to"),
    )
    buying_roles = models.JSONField(_("buying roles"), default=list, blank=True)
    influence = models.PositiveSmallIntegerField(
        _("influence (1–5)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    attitude = models.CharField(
        _("attitude to us"), max_length=10, choices=Attitude.choices, default=Attitude.NEUTRAL
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_contacts",
        verbose_name=_("relationship owner"),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    has_left = models.BooleanField(_("has left the company"), default=False)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    lawful_basis = models.CharField(
        _("lawful basis"),
        max_length=20,
        choices=LawfulBasis.choices,
        default=LawfulBasis.LEGITIMATE_INTEREST,
    )
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact")
        ordering = ["account", "name", "number"]
        constraints = [
            models.UniqueConstraint(fields=["account", "number"], name="one_contact_number"),
            models.CheckConstraint(
                condition=Q(influence__gte=1) & Q(influence__lte=5), name="contact_influence_1_5"
            ),
        ]
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name, or 'Former contact #n' once the person's data is erased."""
        if self.erased_at is not None:
            return str(_("Former contact #%(n)d") % {"n": self.number})
        return self.name


class ContactLink(models.Model):
    """A link between one of our people and a contact set by hand (where no activities show it)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="manual_links")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_links"
    )
    strength = models.CharField(_("strength"), max_length=10, choices=Strength.choices)
    meetings_per_year = models.PositiveSmallIntegerField(_("meetings per year"), default=0)
    last_met = models.DateField(_("last met"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("manual link")
        constraints = [
            models.UniqueConstraint(fields=["contact", "user"], name="one_manual_link_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.contact}: {self.strength}"


class AccountRelationship(models.Model):
    """Per account: the inferred and the chosen stage, and how the customer files us."""

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="relationship"
    )
    inferred_stage = models.CharField(
        _("inferred stage"), max_length=20, choices=Stage.choices, blank=True
    )
    inferred_at = models.DateTimeField(_("inferred"), null=True, blank=True)
    chosen_stage = models.CharField(
        _("chosen stage"), max_length=20, choices=Stage.choices, blank=True
    )
    chosen_reason = models.TextField(_("reason"), blank=True)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    chosen_at = models.DateTimeField(_("chosen"), null=True, blank=True)
    joint_plan = models.BooleanField(
        _("joint plan agreed"),
        default=False,
        help_text=_("A plan written and agreed with the customer (a marker of interdependence)."),
    )
    joint_projects = models.PositiveSmallIntegerField(_("joint projects running"), default=0)
    shared_systems = models.BooleanField(
        _("shared information or systems"),
        default=False,
        help_text=_("For example shared forecasts, EDI, vendor-managed inventory."),
    )
    customer_view = models.CharField(
        _("how the customer files us"), max_length=20, choices=CustomerView.choices, blank=True
    )
    customer_view_note = models.TextField(_("evidence"), blank=True)
    customer_view_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    customer_view_at = models.DateTimeField(null=True, blank=True)

    # the stage over time (the account history reads it; kam/timeline)
    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("account relationship")

    def __str__(self) -> str:
        return f"{self.account}: {self.chosen_stage or self.inferred_stage}"

    @property
    def stage(self) -> str:
        """The stage in force: the chosen one when set, else the inferred one."""
        return self.chosen_stage or self.inferred_stage


class ErasureRecord(models.Model):
    """Who erased which (numbered) contact of which account, and when: no personal data."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="erasures"
    )
    contact_number = models.PositiveIntegerField(_("contact number"))
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    erased_at = models.DateTimeField(_("erased"), auto_now_add=True)
    activities_kept = models.PositiveIntegerField(_("activities kept"), default=0)

    class Meta:
        verbose_name = _("erasure record")
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"{self.account} #{self.contact_number} {self.erased_at:%Y-%m-%d}"


class CalendarImport(models.Model):
    """One uploaded .ics file, kept so that it can be run again after mapping addresses."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_imports"
    )
    filename = models.CharField(_("file"), max_length=255)
    content = models.TextField()
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    created_at = models.DateTimeField(auto_now_add=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("calendar import")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


class FindingRecord(models.Model):
    """One coverage finding of an account with the day kam first found it and the day it
    stopped finding it (section 3; docs/relationships.md, "Findings over time").

    Findings are computed (``kam.core.relationships.coverage.findings``); this store keeps their
    dates. A finding is known by ``kind`` and ``subject`` (the contact key ``c<id>``, the
    function key, or "" for a bow-tie). ``resolved_at`` is empty while it is still found;
    when the same finding comes back, a new row opens. The open rows equal the computed
    findings after each refresh (``relationships.findings_store.findings_refresh``).
    ``severity``, ``why`` and ``resolve`` are those of the latest refresh that found it
    (in English, with their parameters, translated when shown). ``opened_at`` is the moment
    the record was written, so the start page knows which findings are new since a visit.
    The portfolio's findings (page, API, start page) are read from the open rows.

    ``box`` is the account's box in the portfolio review ("" when not placed) and ``cost``
    what the finding costs there (``kam.core.finding_cost``: box weight × severity), stored
    so that the start page ranks the open findings along an index instead of computing
    every cost per request. Both follow the box on open rows: written by the refresh and
    rewritten when the portfolio review changes (``findings_store.findings_boxes_store``);
    a resolved row keeps those of the day it was resolved (docs/start.md).
    """

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="finding_records"
    )
    kind = models.CharField(_("kind"), max_length=30)
    subject = models.CharField(_("subject"), max_length=60, blank=True)
    severity = models.PositiveSmallIntegerField(_("severity"), default=1)
    why = models.JSONField(_("why"), default=dict, blank=True)
    resolve = models.JSONField(_("what would resolve it"), default=dict, blank=True)
    opened_on = models.DateField(_("opened"))
    opened_at = models.DateTimeField(_("recorded"), default=timezone.now, db_index=True)
    resolved_on = models.DateField(_("resolved"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("last checked"), auto_now=True)
    box = models.CharField(_("box"), max_length=20, blank=True)
    cost = models.PositiveSmallIntegerField(_("cost"), default=1)

    class Meta:
        verbose_name = _("finding record")
        ordering = ["account", "-opened_on", "kind", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind", "subject"],
                condition=Q(resolved_on__isnull=True),
                name="one_open_finding_per_subject",
            )
        ]
        indexes = [
            models.Index(fields=["account", "resolved_on"]),
            # the start page's ranking: the open findings, most costly first
            models.Index(
                fields=["-cost"],
                condition=Q(resolved_on__isnull=True),
                name="finding_open_by_cost",
            ),
        ]

    def __str__(self) -> str:
        state = f"resolved {self.resolved_on}" if self.resolved_on else "open"
        return f"{self.account_id} {self.kind} {self.subject or '-'} ({state})"
