"""What kam tells people by e-mail, what each person wants to hear, and what was sent.

- ``Preferences``: per person, each kind of e-mail on or off, and the language of the
  e-mails (the site's language when not chosen);
- ``Sent``: one row per e-mail sent, keyed so that a digest or a reminder is never sent
  twice for the same person and week or day (docs/notifications.md);
- ``CustomerUpdate``: a change a customer made to an action, or a sign-off of a plan
  version, through a share link, waiting to be told to the key account manager in one
  e-mail with the others of those minutes (and listed for them on their start page).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """The kinds of e-mail; each can be switched off on its own."""

    INVITATION = "invitation", _("Review invitations")
    REMINDER = "reminder", _("Scoring reminders")
    DIGEST = "digest", _("Weekly digest of actions")
    CUSTOMER_UPDATE = "customer_update", _("Customer updates of actions")


PREFERENCE_FIELDS = {
    Kind.INVITATION: "invitations",
    Kind.REMINDER: "reminders",
    Kind.DIGEST: "digest",
    Kind.CUSTOMER_UPDATE: "customer_updates",
}


class Preferences(models.Model):
    """Which e-mails a person receives; a person without a row receives every kind."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    language = models.CharField(
        _("language of the e-mails"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Empty: the language kam is set up in."),
    )
    invitations = models.BooleanField(
        _("review invitations"),
        default=True,
        help_text=_("When a portfolio review opens and you are one of its raters."),
    )
    reminders = models.BooleanField(
        _("scoring reminders"),
        default=True,
        help_text=_("While a review is open and your scores are not complete."),
    )
    digest = models.BooleanField(
        _("weekly digest"),
        default=True,
        help_text=_(
            "On Monday: your overdue actions and those due in the next 14 days, and the "
            "customer's on your accounts."
        ),
    )
    customer_updates = models.BooleanField(
        _("customer updates"),
        default=True,
        help_text=_(
            "When a customer changes or comments on an action of your account, or signs off "
            "a plan version, through a shared plan; several changes within minutes come in "
            "one e-mail."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)

    def wants(self, kind: str) -> bool:
        return bool(getattr(self, PREFERENCE_FIELDS[Kind(kind)]))


class Sent(models.Model):
    """One e-mail sent (or being sent): to whom, which kind, for what (``key``), when.

    ``key`` names what the e-mail was about: ``review:12`` for an invitation,
    ``review:12:2026-12-07`` for a reminder that day, ``2026-W50`` for a week's digest,
    ``updates:81`` for a batch of customer updates. The unique constraint is what keeps
    a periodic run from sending twice.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications_sent"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("about"), max_length=80)
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail sent")
        verbose_name_plural = _("e-mails sent")
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "key"], name="one_email_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} → {self.to}"


class CustomerUpdateKind(models.TextChoices):
    """What the customer did through a share link."""

    ACTION = "action", _("Updated an action")
    SIGN_OFF = "sign_off", _("Signed off a plan version")


class CustomerUpdate(models.Model):
    """A customer's change to an action, or sign-off of a plan version, through a share link.

    ``plan`` is set for both kinds (the plan of the action, or the plan signed off), so a
    list of updates per account needs no ``action``; ``action`` is empty for a sign-off and
    ``sign_off`` for an action update. ``sent_at`` is when the e-mail told it.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_updates"
    )
    kind = models.CharField(
        _("what"),
        max_length=10,
        choices=CustomerUpdateKind.choices,
        default=CustomerUpdateKind.ACTION,
    )
    plan = models.ForeignKey(
        "plans.Plan",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="customer_updates",
        verbose_name=_("account plan"),
    )
    action = models.ForeignKey(
        "plans.PlanAction",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="customer_updates",
    )
    sign_off = models.ForeignKey(
        "plans.PlanSignOff",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="customer_updates",
        verbose_name=_("sign-off"),
    )
    person_name = models.CharField(_("by"), max_length=200)
    status_from = models.CharField(_("status before"), max_length=12, blank=True)
    status_to = models.CharField(_("status after"), max_length=12, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("told"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer update")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["recipient", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.person_name}: {self.kind} {self.action_id or self.sign_off_id}"
