"""Scoring schemes, portfolio reviews, raters' scores and the resulting placements.

Implements the selection matrix of docs/method.md section 1.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account
from kam.organisation.models import Box
from kam.web.history_records import KamHistoricalRecords


class Axis(models.TextChoices):
    """The two axes of the selection matrix."""

    ATTRACTIVENESS = "attractiveness", _("Customer attractiveness")
    STRENGTH = "strength", _("Our strength")


class ScoringScheme(models.Model):
    """A named scoring scheme; its content lives in immutable versions."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(
        _("saved version"),
        default=1,
        editable=False,
        help_text=_(
            "Counts every saved change of the scheme; a change made from an older one is "
            "refused (no lost updates)."
        ),
    )

    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("scoring scheme")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def latest_version(self) -> SchemeVersion | None:
        return self.versions.order_by("-number").first()


class SchemeVersion(models.Model):
    """One immutable version of a scheme: criteria, weights, anchors, competitors and cut lines.

    Changing anything makes a new version; reviews point at the version they were scored
    with, so old reviews keep their meaning.
    """

    scheme = models.ForeignKey(ScoringScheme, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    attractiveness_cut = models.DecimalField(
        _("attractiveness cut"), max_digits=5, decimal_places=2, default=Decimal("5.00")
    )
    strength_cut_relative = models.DecimalField(
        _("relative strength cut"), max_digits=6, decimal_places=3, default=Decimal("1.000")
    )
    strength_cut_absolute = models.DecimalField(
        _("absolute strength cut"), max_digits=5, decimal_places=2, default=Decimal("5.00")
    )

    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("scheme version")
        ordering = ["scheme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="unique_scheme_version")
        ]

    def __str__(self) -> str:
        return f"{self.scheme} v{self.number}"


class Criterion(models.Model):
    """One criterion of a scheme version, on one axis, with its weight (of 100) and anchors."""

    version = models.ForeignKey(SchemeVersion, on_delete=models.CASCADE, related_name="criteria")
    axis = models.CharField(_("axis"), max_length=20, choices=Axis.choices)
    key = models.SlugField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    weight = models.PositiveSmallIntegerField(
        _("weight"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    anchor_2 = models.CharField(_("a 2 means"), max_length=300, blank=True)
    anchor_5 = models.CharField(_("a 5 means"), max_length=300, blank=True)
    anchor_8 = models.CharField(_("an 8 means"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    fact = models.CharField(
        _("scored from fact"),
        max_length=40,
        blank=True,
        help_text=_("When set, kam derives the score from this account fact by the rule."),
    )
    fact_rule = models.JSONField(
        _("rule"),
        default=dict,
        blank=True,
        help_text=_("kam.core.fact_scores.FactRule as JSON: method, cuts, higher_is_better."),
    )

    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["version", "axis", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_criterion_key")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"

    @property
    def fact_label(self) -> str:
        """The bound fact's name in the reader's language ('' when raters score it)."""
        from kam.core.fact_scores import FACTS

        return gettext(FACTS[self.fact]) if self.fact in FACTS else self.fact

    @property
    def rule_label(self) -> str:
        """The rule in words: 'by decile, higher is better' or 'cut points 10; 20; 30, …'."""
        if not self.fact:
            return ""
        rule = self.fact_rule or {}
        direction = (
            gettext("higher is better")
            if rule.get("higher_is_better", True)
            else gettext("lower is better")
        )
        if rule.get("method") == "thresholds":
            cuts = "; ".join(f"{float(x):g}" for x in rule.get("cuts", []))
            return gettext("cut points %(cuts)s, %(direction)s") % {
                "cuts": cuts,
                "direction": direction,
            }
        return gettext("by decile, %(direction)s") % {"direction": direction}

    @property
    def binding_label(self) -> str:
        """How the score is found, for version comparisons."""
        if not self.fact:
            return gettext("raters")
        return f"{self.fact_label} ({self.rule_label})"


class Competitor(models.Model):
    """A competitor named in a scheme version; strength scores may say which one was strongest."""

    version = models.ForeignKey(SchemeVersion, on_delete=models.CASCADE, related_name="competitors")
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("competitor")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="unique_competitor")
        ]

    def __str__(self) -> str:
        return self.name


class ReviewStatus(models.TextChoices):
    """Where a review stands. Only a closed review is ever "the portfolio"; an open one is
    work in progress; a cancelled one was opened by mistake and counts nowhere."""

    OPEN = "open", _("Open for scoring")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Review(models.Model):
    """A dated portfolio review, scored with one scheme version by several raters."""

    name = models.CharField(_("name"), max_length=200)
    review_date = models.DateField(_("review date"))
    scheme_version = models.ForeignKey(
        SchemeVersion,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("scheme version"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    raters = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="reviews_to_rate",
        blank=True,
        verbose_name=_("raters"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ratings_changed_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )

    # the box moves stored at close (``ReviewMove``) compare with this closed review; they
    # are current while it is still the closed review before this one (docs/start.md)
    moves_previous = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moves_stored_at = models.DateTimeField(null=True, blank=True)
    # the scores each rater gave, counted when the review closed ({rater id: n}, the
    # progress of a closed review; review_selectors.frozen_scored_counts); null before
    scored_by_rater = models.JSONField(null=True, blank=True)

    history = KamHistoricalRecords(
        excluded_fields=[
            "ratings_changed_at",
            "computed_at",
            "moves_previous",
            "moves_stored_at",
            "scored_by_rater",
        ]
    )

    class Meta:
        verbose_name = _("portfolio review")
        ordering = ["-review_date", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.review_date})"

    @property
    def is_open(self) -> bool:
        return self.status == ReviewStatus.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == ReviewStatus.CLOSED

    @property
    def is_cancelled(self) -> bool:
        return self.status == ReviewStatus.CANCELLED

    @property
    def closed_on(self) -> dt.date | None:
        """The day the review was closed (its review date for reviews closed before kam
        recorded the moment); None while it is not closed."""
        if self.status != ReviewStatus.CLOSED:
            return None
        if self.closed_at is not None:
            return timezone.localdate(self.closed_at)
        return self.review_date

    @property
    def is_stale(self) -> bool:
        """True when scores changed after the placements were last computed."""
        if self.computed_at is None:
            return True
        return self.ratings_changed_at is not None and self.ratings_changed_at > self.computed_at


class ViewSource(models.TextChoices):
    """Whether a strength score is the customer's stated view or our own estimate (section 1)."""

    CUSTOMER = "customer", _("Customer's stated view")
    ESTIMATE = "estimate", _("Our estimate")


class Rating(models.Model):
    """One rater's score (1-10) for one account on one criterion in one review.

    A *derived* rating has no rater: kam computed it from an account fact for a criterion
    bound to that fact. A rater's own score on such a criterion overrides it, with a reason
    in the comment; the review then uses the raters' scores instead of the derived one.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="ratings")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="ratings",
        null=True,
        blank=True,
    )
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="ratings")
    derived = models.BooleanField(_("derived from a fact"), default=False)
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    competitor_score = models.PositiveSmallIntegerField(
        _("strongest competitor's score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    competitor = models.ForeignKey(
        Competitor,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("strongest competitor"),
    )
    view_source = models.CharField(
        _("whose view"), max_length=10, choices=ViewSource.choices, blank=True
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("rating")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "account", "rater", "criterion"], name="one_score_per_rater"
            ),
            models.UniqueConstraint(
                fields=["review", "account", "criterion"],
                condition=models.Q(rater__isnull=True),
                name="one_derived_score",
            ),
            models.CheckConstraint(
                condition=models.Q(rater__isnull=True, derived=True)
                | models.Q(rater__isnull=False, derived=False),
                name="derived_iff_no_rater",
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=10), name="score_1_to_10"
            ),
            models.CheckConstraint(
                condition=models.Q(competitor_score__isnull=True)
                | models.Q(competitor_score__gte=1, competitor_score__lte=10),
                name="competitor_score_1_to_10",
            ),
        ]
        indexes = [
            models.Index(fields=["review", "account"]),
            # one rater's scores in a review: their progress on the start page
            models.Index(fields=["review", "rater"]),
        ]

    def __str__(self) -> str:
        return f"{self.account} / {self.criterion.key}: {self.score}"


class Placement(models.Model):
    """Where one account lands in one review: the computed result of its raters' scores.

    Scores are 0-10 weighted means (docs/method.md section 1); ``box`` is empty when a
    criterion lacks a score (listed in ``missing``). Recomputed by
    ``portfolio.services.review_compute``; never edited by hand.
    """

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="placements")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="placements")
    attractiveness = models.FloatField(null=True)
    strength = models.FloatField(null=True, help_text="S_us, 0-10")
    competitor_strength = models.FloatField(null=True, help_text="S_comp, 0-10")
    relative_strength = models.FloatField(null=True, help_text="S_us / S_comp")
    strength_axis = models.CharField(max_length=10, blank=True)
    box = models.CharField(max_length=20, choices=Box.choices, blank=True)
    missing = models.JSONField(default=list, blank=True)
    disagreement = models.JSONField(default=list, blank=True)
    p_key = models.FloatField(null=True)
    p_key_development = models.FloatField(null=True)
    p_maintenance = models.FloatField(null=True)
    p_opportunistic = models.FloatField(null=True)
    uncertain = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("placement")
        constraints = [
            models.UniqueConstraint(fields=["review", "account"], name="one_placement_per_review")
        ]
        indexes = [models.Index(fields=["review", "box"])]

    def __str__(self) -> str:
        return f"{self.account} in {self.review}: {self.box or '-'}"


class ReviewMove(models.Model):
    """An account whose box in a closed review differs from its box in the closed review
    before it (``previous``); both placed. Written when the review closes
    (``portfolio.services.review_moves_store``), equal to ``alerts.box_moves_compute``;
    read through ``alerts.box_moves``."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="moves")
    previous = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    before = models.CharField(max_length=20, choices=Box.choices)
    after = models.CharField(max_length=20, choices=Box.choices)

    class Meta:
        verbose_name = _("box move")
        constraints = [
            models.UniqueConstraint(fields=["review", "account"], name="one_move_per_review")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} in {self.review_id}: {self.before} -> {self.after}"


SCORE_RANGE = [MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("10"))]


class Outlook(models.Model):
    """Where an account should be in three years, as judged at one review (docs/scoring.md,
    "Potential and the expected position"): its yearly revenue potential then (in the
    account's currency; sizes bubbles "by potential") and the expected attractiveness and
    strength (1-10, as scores are; the head of the account's arrow on the matrix).
    ``expected_competitor_strength`` (S_comp) is optional: left empty, today's S_comp
    stands."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="outlooks")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="outlooks")
    potential_revenue = models.DecimalField(
        _("revenue potential in three years"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The yearly revenue we could reach with this customer in three years."),
    )
    expected_attractiveness = models.DecimalField(
        _("expected attractiveness (A) in three years"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SCORE_RANGE,
    )
    expected_strength = models.DecimalField(
        _("expected strength (S_us) in three years"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SCORE_RANGE,
    )
    expected_competitor_strength = models.DecimalField(
        _("expected strongest competitor (S_comp) in three years"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=SCORE_RANGE,
        help_text=_("Leave empty to keep today's score of the strongest competitor."),
    )
    note = models.CharField(_("why we expect this"), max_length=500, blank=True)
    version = models.PositiveIntegerField(_("saved version"), default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = KamHistoricalRecords()

    class Meta:
        verbose_name = _("three-year outlook")
        constraints = [
            models.UniqueConstraint(fields=["review", "account"], name="one_outlook_per_review")
        ]

    def __str__(self) -> str:
        return f"{self.account} in {self.review}: outlook"

    @property
    def has_expected_position(self) -> bool:
        """Both expected scores are given: the arrow has a head."""
        return self.expected_attractiveness is not None and self.expected_strength is not None
