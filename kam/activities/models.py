"""Activities with customers (visits, calls, meetings …) and the time our people spent on them.

Actual hours on an account are counted per person (docs/method.md section 2, "Planned
against actual"): a one-hour visit by two of our people is two hours of our time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

#: The longest activity one person can log: a full day (minutes).
MAX_DURATION_MINUTES = 24 * 60


class ActivityType(models.TextChoices):
    """What kind of contact an activity was."""

    VISIT = "visit", _("Visit")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    REVIEW = "review", _("Business review")
    EMAIL = "email", _("E-mail")
    OTHER = "other", _("Other")


class Activity(models.Model):
    """One contact with a customer: date, duration in minutes, our participants, their contacts.

    ``duration_minutes`` is the length of the activity (1 to 1440); every participant on our
    side spends that time, so the activity counts ``duration × participants`` person-minutes.
    The customer's people are ``contacts`` (the decision-making unit's contacts, which the
    contact matrix counts); ``contact_names`` keeps the names or e-mail addresses that match
    no contact (``kam.core.contact_match``), shown as "not matched" until someone maps them.
    ``external_uid`` is the calendar's or the file's id; when set it is unique, so that
    importing the same file or calendar again adds nothing. ``objective`` is the plan
    objective or value proposition the conversation was about (docs/method.md section 0,
    "are we having the right conversation?"; docs/activities.md): an item of a plan of the
    same account, counted in that plan's conversation grid (``kam.plans.conversations``).
    """

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="activities",
        verbose_name=_("account"),
    )
    date = models.DateField(_("date"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"))
    type = models.CharField(
        _("type"), max_length=10, choices=ActivityType.choices, default=ActivityType.MEETING
    )
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ActivityParticipant",
        related_name="activities",
        verbose_name=_("our participants"),
    )
    contact_names = models.JSONField(
        _("their contacts, not matched"),
        default=list,
        blank=True,
        help_text=_(
            "Names or e-mail addresses as typed that match no contact of the account; "
            "they do not count in the contact matrix."
        ),
    )
    contacts = models.ManyToManyField(
        "relationships.Contact",
        blank=True,
        related_name="activities",
        verbose_name=_("their contacts (people on file)"),
    )
    objective = models.ForeignKey(
        "plans.PlanItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        limit_choices_to={"kind__in": ["objective", "value_proposition"]},
        verbose_name=_("objective or value proposition"),
        help_text=_("What on the account's plan the conversation was about."),
    )
    external_uid = models.CharField(
        _("external id"),
        max_length=255,
        blank=True,
        default="",
        help_text=_("The id in the calendar or file it came from; importing it again skips it."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logged by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["account", "date"]),
            models.Index(fields=["date"]),
            # the start page's "since your last visit": the newest first from a moment on
            # (the whole portfolio), and per account from a moment on (a person's accounts)
            models.Index(fields=["created_at"]),
            models.Index(fields=["account", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1)
                & Q(duration_minutes__lte=MAX_DURATION_MINUTES),
                name="activity_duration_1_to_1440_minutes",
            ),
            models.UniqueConstraint(
                fields=["external_uid"],
                condition=~Q(external_uid=""),
                name="activity_external_uid_unique_when_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_type_display()} {self.account_id}"

    @property
    def hours(self) -> float:
        """The activity's length in hours (for one participant)."""
        return self.duration_minutes / 60


class ActivityParticipant(models.Model):
    """One of our people who took part in an activity; each spent its full duration."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="activity_participations",
    )

    class Meta:
        verbose_name = _("activity participant")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "user"], name="one_participation_per_person"
            )
        ]
        indexes = [models.Index(fields=["user", "activity"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.activity_id}"


class HoursSnapshot(models.Model):
    """The actual-time page's sums of its default period, the twelve months up to and
    including ``as_of`` (from ``start``), stored by ``kam.activities.hours_store``: the
    person-minutes per account and per person (``HoursStored``). Rows of another day are
    never read; while a ``HoursDirty`` mark exists none are read."""

    as_of = models.DateField(unique=True)
    start = models.DateField()
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.start} – {self.as_of}"


class HoursStored(models.Model):
    """The person-minutes of a snapshot's period on one account (``user`` empty) or of one
    person on every account (``account`` empty); accounts and people without hours have
    no row."""

    snapshot = models.ForeignKey(HoursSnapshot, on_delete=models.CASCADE, related_name="rows")
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, null=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    minutes = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(account__isnull=False, user__isnull=True)
                | Q(account__isnull=True, user__isnull=False),
                name="hours_stored_account_or_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id or self.user_id}: {self.minutes}"


class HoursDirty(models.Model):
    """An activity or a participation changed after the snapshot was stored: the pages
    compute the hours until the ``hours_refresh`` job has stored them again (it removes the
    marks up to the highest id it saw when it started)."""

    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.created_at)
