"""Reads of scoring schemes for the scheme pages and the API (docs/method.md section 1).

A scheme's content lives in immutable versions; these reads list schemes with their latest
version, fetch one version with its criteria, and say what changed between two versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import gettext as _

from kam.errors import ApplicationError
from kam.portfolio.models import Axis, Criterion, SchemeVersion, ScoringScheme
from kam.portfolio.selectors import reviews_newest_first


def scheme_list() -> QuerySet[ScoringScheme]:
    """Every scheme with its versions (newest first), their criteria counts and reviews.

    Three queries whatever the number of schemes: schemes, versions (annotated with the
    number of criteria), reviews.
    """
    versions = (
        SchemeVersion.objects.annotate(criteria_count=Count("criteria"))
        .select_related("created_by")
        .prefetch_related(Prefetch("reviews", queryset=reviews_newest_first()))
        .order_by("-number")
    )
    return ScoringScheme.objects.prefetch_related(Prefetch("versions", queryset=versions)).order_by(
        "name"
    )


def scheme_get(*, scheme_id: int) -> ScoringScheme:
    """One scheme, or a 404 ApplicationError."""
    scheme = ScoringScheme.objects.filter(pk=scheme_id).first()
    if scheme is None:
        raise ApplicationError(_("No such scoring scheme."), status=404)
    return scheme


def scheme_version_get(*, scheme: ScoringScheme, number: int | None = None) -> SchemeVersion:
    """Version ``number`` of ``scheme`` (the latest when None), with criteria and competitors."""
    qs = (
        SchemeVersion.objects.filter(scheme=scheme)
        .select_related("scheme", "created_by")
        .prefetch_related(
            Prefetch("criteria", queryset=Criterion.objects.order_by("axis", "position")),
            "competitors",
            Prefetch("reviews", queryset=reviews_newest_first()),
        )
        .order_by("-number")
    )
    version = qs.filter(number=number).first() if number is not None else qs.first()
    if version is None:
        raise ApplicationError(_("No such version of this scheme."), status=404)
    return version


def scheme_version_previous(*, version: SchemeVersion) -> SchemeVersion | None:
    """The version just before ``version`` of the same scheme, with its content prefetched."""
    number = (
        SchemeVersion.objects.filter(scheme_id=version.scheme_id, number__lt=version.number)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    if number is None:
        return None
    return scheme_version_get(scheme=version.scheme, number=number)


def criteria_by_axis(*, version: SchemeVersion) -> dict[str, list[Criterion]]:
    """The version's criteria split by axis, attractiveness first, each in display order."""
    out: dict[str, list[Criterion]] = {Axis.ATTRACTIVENESS: [], Axis.STRENGTH: []}
    for c in sorted(version.criteria.all(), key=lambda c: (c.axis, c.position)):
        out.setdefault(c.axis, []).append(c)
    return out


@dataclass(frozen=True)
class FieldChange:
    """One changed property of a criterion kept between two versions."""

    label: str
    old: str
    new: str


@dataclass(frozen=True)
class CriterionChange:
    """A criterion present in both versions (same key) whose name, weight or anchors changed."""

    key: str
    name: str
    axis: str
    changes: list[FieldChange]


@dataclass
class VersionDiff:
    """What changed from ``previous`` to a version: criteria, competitors and cut lines."""

    added: list[Criterion] = field(default_factory=list)
    removed: list[Criterion] = field(default_factory=list)
    changed: list[CriterionChange] = field(default_factory=list)
    competitors_added: list[str] = field(default_factory=list)
    competitors_removed: list[str] = field(default_factory=list)
    cuts: list[FieldChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.competitors_added
            or self.competitors_removed
            or self.cuts
        )


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


def scheme_version_diff(*, version: SchemeVersion, previous: SchemeVersion) -> VersionDiff:
    """What changed from ``previous`` to ``version``; criteria are matched by key."""
    diff = VersionDiff()
    old = {c.key: c for c in previous.criteria.all()}
    new = {c.key: c for c in version.criteria.all()}
    diff.added = [c for k, c in new.items() if k not in old]
    diff.removed = [c for k, c in old.items() if k not in new]
    labels = [
        ("axis", _("axis")),
        ("name", _("name")),
        ("weight", _("weight")),
        ("anchor_2", _("a 2 means")),
        ("anchor_5", _("a 5 means")),
        ("anchor_8", _("an 8 means")),
        ("binding_label", _("scored from")),
    ]
    for key, c in new.items():
        before = old.get(key)
        if before is None:
            continue
        changes = [
            FieldChange(label, str(getattr(before, attr)), str(getattr(c, attr)))
            for attr, label in labels
            if getattr(before, attr) != getattr(c, attr)
        ]
        if changes:
            diff.changed.append(CriterionChange(key, c.name, c.axis, changes))
    old_comp = {c.name for c in previous.competitors.all()}
    new_comp = {c.name for c in version.competitors.all()}
    diff.competitors_added = sorted(new_comp - old_comp)
    diff.competitors_removed = sorted(old_comp - new_comp)
    for attr, label in (
        ("attractiveness_cut", _("attractiveness cut")),
        ("strength_cut_relative", _("relative strength cut")),
        ("strength_cut_absolute", _("absolute strength cut")),
    ):
        a, b = getattr(previous, attr), getattr(version, attr)
        if a != b:
            diff.cuts.append(FieldChange(label, _num(a), _num(b)))
    return diff


def scheme_version_find(*, version_id: int) -> SchemeVersion | None:
    """The scheme version ``version_id``, or None."""
    return SchemeVersion.objects.filter(pk=version_id).first()


def scheme_versions_of(*, scheme: ScoringScheme) -> QuerySet[SchemeVersion]:
    """The scheme's versions, newest first, with their criteria, competitors and reviews."""
    return (
        SchemeVersion.objects.filter(scheme=scheme)
        .select_related("created_by")
        .prefetch_related("criteria", "competitors", "reviews")
        .order_by("-number")
    )
