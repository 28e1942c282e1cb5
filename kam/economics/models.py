"""The return on the investment in accounts (kam-method.md section 6): account facts from
the invoice history, cost to serve, investments and their return."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account


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
