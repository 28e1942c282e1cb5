"""The return on the investment in accounts (docs/method.md section 6): account facts from
the invoice history, cost to serve, investments and their return."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account
from kam.web.history_records import KamHistoricalRecords


class AccountFacts(models.Model):
    """One account's facts at an as-of date, computed from its invoice lines (section 6).

    Amounts are in the account's currency as invoiced; ratios are plain ratios
    (``growth`` 0.12 = 12 %), except ``gross_margin_pct``, which is in percent. A fact is
    null when the history does not define it (``growth`` when the earlier year is 0).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="facts")
    as_of = models.DateField(_("as of"))
    revenue_12m = models.FloatField(_("revenue, last 12 months"), null=True)
    revenue_prev_12m = models.FloatField(_("revenue, the 12 months before"), null=True)
    growth = models.FloatField(_("growth"), null=True)
    gross_margin_pct = models.FloatField(_("gross margin, %"), null=True)
    orders = models.FloatField(_("orders, last 12 months"), null=True)
    recency_days = models.FloatField(_("days since the last purchase"), null=True)
    mean_days_late = models.FloatField(_("mean days paid late"), null=True)
    share_of_wallet = models.FloatField(_("share of wallet"), null=True)
    predicted_future_value = models.FloatField(_("predicted future value"), null=True)
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("account facts")
        verbose_name_plural = _("account facts")
        ordering = ["account", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["account", "as_of"], name="one_fact_row_per_day")
        ]
        indexes = [models.Index(fields=["as_of"])]

    def __str__(self) -> str:
        return f"{self.account} @ {self.as_of}"


class CostKind(models.TextChoices):
    """The kinds of cost to serve kam keeps besides team hours (section 6)."""

    LOGISTICS = "logistics", _("Logistics")
    SERVICE = "service", _("Service")
    REBATES = "rebates", _("Rebates")
    PAYMENT_TERMS = "payment_terms", _("Payment terms")
    OTHER = "other", _("Other")


MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}


class CostToServeItem(models.Model):
    """A cost of serving one account, dated (it counts in the period holding ``date``), in the
    account's currency: logistics, service, rebates, payment terms or other (section 6)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="cost_items")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=CostKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("cost-to-serve item")
        verbose_name_plural = _("cost-to-serve items")
        ordering = ["account", "-date", "-pk"]
        indexes = [models.Index(fields=["account", "date"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date} {self.kind} {self.amount}"


class InvestmentKind(models.TextChoices):
    """What was put into an account beyond normal service (section 6, investment ledger)."""

    PEOPLE = "people", _("Dedicated people")
    PROJECT = "project", _("Project")
    FUNDS = "funds", _("Funds (marketing, listing, promotion)")
    OTHER = "other", _("Other")


class BaselineMethod(models.TextChoices):
    """How the contribution expected without the investment is set."""

    TREND = "trend", _("Trend of the contribution before the investment")
    AMOUNT = "amount", _("An amount per year that I set")


class Investment(models.Model):
    """One dated investment in an account (the ledger of section 6), in the account's currency,
    with its baseline (trend or an amount per year) and the probability (0-1) that the
    forecast comes true. ``plan_label`` names the plan project it belongs to, as text."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="investments")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=InvestmentKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    description = models.CharField(_("description"), max_length=300)
    plan_label = models.CharField(_("plan project"), max_length=200, blank=True)
    baseline_method = models.CharField(
        _("baseline"), max_length=10, choices=BaselineMethod.choices, default=BaselineMethod.TREND
    )
    baseline_amount = models.DecimalField(
        _("baseline contribution per year"), **MONEY, null=True, blank=True
    )
    probability = models.DecimalField(
        _("probability the forecast comes true"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("1.00"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("investment")
        verbose_name_plural = _("investments")
        ordering = ["account", "-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date} {self.amount}"


class ImportStatus(models.TextChoices):
    """Where a transaction import stands."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")


class TransactionImport(models.Model):
    """One upload of invoice lines: its progress (0-100) while it runs in the background, the
    validation report of a refused file, and what the import and the facts did."""

    filename = models.CharField(_("file"), max_length=255)
    path = models.CharField(_("stored upload"), max_length=1000)
    as_of = models.DateField(_("facts as of"))
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    phase = models.CharField(_("phase"), max_length=20, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("transaction import")
        verbose_name_plural = _("transaction imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"


class LineTotalsStored(models.Model):
    """The invoice lines summed per account and period for one version of the transaction
    store (``fingerprint``: its line files, names, sizes and times) at one as-of date, so
    the pages do not read every line per request (``kam.economics.lines``). Written by the
    job that imports or removes lines and by the nightly task; a row of another store
    version is never read."""

    fingerprint = models.CharField(max_length=64)
    as_of = models.DateField()
    first_day = models.DateField(null=True)
    #: [[external id, period index, currency, revenue, cost of goods, paid amount,
    #:   paid amount × days], …]
    rows = models.JSONField(default=list)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint", "as_of"], name="one_line_totals_per_store_and_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.fingerprint[:8]} {self.as_of}"


class LedgerSnapshot(models.Model):
    """The account P&Ls stored at one as-of date (``LedgerStored``), for one version of the
    transaction store (``fingerprint``) and its first invoice day (the periods follow from
    both). Written by the ``ledger_refresh`` job and the nightly task
    (``kam.economics.ledger_store``); rows of another day or store version are never read."""

    as_of = models.DateField(unique=True)
    fingerprint = models.CharField(max_length=64)
    first_day = models.DateField(null=True)
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.as_of} {self.fingerprint[:8]}"


class LedgerStored(models.Model):
    """One account's P&L in one period (``period`` 0: the 12 months to ``as_of``, −1 the
    year before, …), exactly as ``kam.economics.pnl.ledgers_build`` computes it: the
    amounts in the account's currency, the team cost converted at ``rate_to_base``."""

    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField()
    period = models.SmallIntegerField()
    currency = models.CharField(max_length=3)
    rate_to_base = models.FloatField(null=True)
    revenue = models.FloatField()
    cost_of_goods = models.FloatField()
    payment_days = models.FloatField()
    team = models.FloatField()
    team_hours = models.FloatField()
    logistics = models.FloatField()
    service = models.FloatField()
    rebates = models.FloatField()
    payment_terms = models.FloatField()
    payment_financing = models.FloatField()
    other = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["as_of", "account", "period"], name="one_ledger_row_per_account_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.as_of} {self.period}"


class LedgerDirty(models.Model):
    """An input of the stored P&L changed: for ``account_id`` (None: every account) the
    stored rows are not read until the ``ledger_refresh`` job has stored them again; the
    job removes the marks it has handled (those up to the highest id it saw)."""

    account_id = models.IntegerField(null=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.account_id or 'all'} {self.created_at}"
