"""Writes of the selection matrix: schemes and their versions, reviews, scores, placements.

Implements docs/method.md section 1. Only these functions write to the portfolio tables;
pages, the API, the demo and the tests all go through them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.accounts.models import Account
from kam.accounts.selectors import account_list_visible
from kam.core import portfolio as core
from kam.core.fact_scores import FACTS, FactRule, FactRuleError, scores_from_fact
from kam.core.scoring import BOXES, SchemeError
from kam.errors import ApplicationError, Problem, control_characters_refuse
from kam.organisation.selectors import organisation_get
from kam.portfolio import signals
from kam.portfolio.models import (
    Axis,
    Competitor,
    Criterion,
    Outlook,
    Placement,
    Rating,
    Review,
    ReviewStatus,
    SchemeVersion,
    ScoringScheme,
    ViewSource,
)
from kam.portfolio.selectors import review_scope, reviews_next, scheme_version_to_core
from kam.portfolio.sources import facts_latest
from kam.users.selectors import user_may_manage_portfolio
from kam.web.concurrency import claim_version, save_versioned, snapshot
from kam.web.history_records import bulk_history, history_reason

logger = logging.getLogger(__name__)


def _require_manager(user: User | None) -> None:
    if user is not None and not user_may_manage_portfolio(user=user):
        raise ApplicationError(
            _("Only a sales director or an administrator may do this."), status=403
        )


def _require_open(review: Review) -> None:
    if review.status == ReviewStatus.CANCELLED:
        raise ApplicationError(_("This review was cancelled; it takes no more scores."), status=409)
    if review.status != ReviewStatus.OPEN:
        raise ApplicationError(
            _("This review is closed; its scores can no longer change."), status=409
        )


@dataclass(frozen=True)
class CriterionInput:
    """A criterion as entered: axis, key, name, whole-number weight and anchors for 2, 5, 8.

    ``fact`` and ``fact_rule`` bind the criterion to an account fact (kam.core.fact_scores):
    its score is then derived from the fact, and raters only override it with a reason.
    """

    axis: str
    key: str
    name: str
    weight: int
    anchor_2: str = ""
    anchor_5: str = ""
    anchor_8: str = ""
    fact: str = ""
    fact_rule: Mapping[str, object] = field(default_factory=dict)

    def rule(self) -> FactRule | None:
        """The binding as a rule (None when unbound); raises FactRuleError when broken."""
        if not self.fact:
            return None
        return FactRule.from_json(self.fact, self.fact_rule)


@dataclass(frozen=True)
class SchemeContent:
    """Everything a scheme version holds; two equal contents are the same version."""

    criteria: Sequence[CriterionInput]
    competitors: Sequence[str] = field(default_factory=tuple)
    attractiveness_cut: Decimal = Decimal("5.00")
    strength_cut_relative: Decimal = Decimal("1.000")
    strength_cut_absolute: Decimal = Decimal("5.00")

    def normalised(self) -> tuple[object, ...]:
        """A comparable form: criteria per axis in their order, competitors as a set."""
        by_axis = sorted(self.criteria, key=lambda c: c.axis != Axis.ATTRACTIVENESS)
        return (
            tuple(
                (
                    c.axis,
                    c.key.strip(),
                    c.name.strip(),
                    c.weight,
                    c.anchor_2.strip(),
                    c.anchor_5.strip(),
                    c.anchor_8.strip(),
                    c.fact,
                    _rule_key(c),
                )
                for c in by_axis
            ),
            tuple(sorted({n.strip() for n in self.competitors if n.strip()})),
            Decimal(self.attractiveness_cut).quantize(Decimal("0.01")),
            Decimal(self.strength_cut_relative).quantize(Decimal("0.001")),
            Decimal(self.strength_cut_absolute).quantize(Decimal("0.01")),
        )


def _rule_key(c: CriterionInput) -> tuple[object, ...]:
    if not c.fact:
        return ()
    try:
        rule = c.rule()
    except FactRuleError:
        return ("invalid", repr(sorted(c.fact_rule.items())))
    assert rule is not None
    return (rule.method.value, rule.cuts, rule.higher_is_better)


def scheme_content_of(*, version: SchemeVersion) -> SchemeContent:
    """The content of a stored version, for editing it into the next version."""
    return SchemeContent(
        criteria=[
            CriterionInput(
                c.axis,
                c.key,
                c.name,
                c.weight,
                c.anchor_2,
                c.anchor_5,
                c.anchor_8,
                c.fact,
                dict(c.fact_rule or {}),
            )
            for c in version.criteria.order_by("axis", "position")
        ],
        competitors=[c.name for c in version.competitors.all()],
        attractiveness_cut=version.attractiveness_cut,
        strength_cut_relative=version.strength_cut_relative,
        strength_cut_absolute=version.strength_cut_absolute,
    )


def _scheme_problems(content: SchemeContent) -> list[Problem]:
    """The method's rules (kam.core) plus anchors for every attractiveness criterion."""
    from kam.core.scoring import Criterion as CoreCriterion
    from kam.core.scoring import Scheme

    problems: list[Problem] = []
    axes = {c.axis for c in content.criteria}
    if not axes <= {Axis.ATTRACTIVENESS, Axis.STRENGTH}:
        problems.append(
            Problem(_("Every criterion needs an axis: attractiveness or strength."), field="axis")
        )
    scheme = Scheme(
        attractiveness=tuple(
            CoreCriterion(c.key.strip(), c.name, c.weight)
            for c in content.criteria
            if c.axis == Axis.ATTRACTIVENESS
        ),
        strength=tuple(
            CoreCriterion(c.key.strip(), c.name, c.weight)
            for c in content.criteria
            if c.axis == Axis.STRENGTH
        ),
        attractiveness_cut=float(content.attractiveness_cut),
        strength_cut_relative=float(content.strength_cut_relative),
        strength_cut_absolute=float(content.strength_cut_absolute),
    )
    problems += [
        Problem(p.translated(_), axis=p.axis, key=p.key, field=p.field)
        for p in scheme.problem_details()
    ]
    for c in content.criteria:
        if not c.name.strip():
            problems.append(
                Problem(
                    _("Criterion '%(key)s' needs a name.") % {"key": c.key},
                    axis=c.axis,
                    key=c.key,
                    field="name",
                )
            )
        try:
            c.rule()
        except FactRuleError as exc:
            problems += [
                Problem(
                    _("Criterion '%(key)s', scored from a fact: %(problem)s")
                    % {"key": c.key, "problem": _(p)},
                    axis=c.axis,
                    key=c.key,
                    field="fact",
                )
                for p in exc.problems
            ]
        if (
            c.axis == Axis.ATTRACTIVENESS
            and not c.fact
            and not (c.anchor_2.strip() and c.anchor_5.strip() and c.anchor_8.strip())
        ):
            problems.append(
                Problem(
                    _(
                        "Attractiveness criterion '%(key)s' needs anchors: what a 2, a 5 and "
                        "an 8 mean, so that raters score alike (or score it from a fact)."
                    )
                    % {"key": c.key},
                    axis=c.axis,
                    key=c.key,
                    field="anchors",
                )
            )
    return problems


def _version_write(
    *,
    scheme: ScoringScheme,
    number: int,
    content: SchemeContent,
    change_note: str,
    created_by: User | None,
) -> SchemeVersion:
    version = SchemeVersion.objects.create(
        scheme=scheme,
        number=number,
        change_note=change_note,
        created_by=created_by,
        attractiveness_cut=content.attractiveness_cut,
        strength_cut_relative=content.strength_cut_relative,
        strength_cut_absolute=content.strength_cut_absolute,
    )
    positions: dict[str, int] = {}
    rows = []
    for c in content.criteria:
        positions[c.axis] = positions.get(c.axis, 0) + 1
        rows.append(
            Criterion(
                version=version,
                axis=c.axis,
                key=c.key.strip(),
                name=c.name.strip(),
                weight=c.weight,
                anchor_2=c.anchor_2.strip(),
                anchor_5=c.anchor_5.strip(),
                anchor_8=c.anchor_8.strip(),
                position=positions[c.axis],
                fact=c.fact,
                fact_rule=rule.as_json() if (rule := c.rule()) else {},
            )
        )
    Criterion.objects.bulk_create(rows)
    bulk_history(Criterion, rows)
    Competitor.objects.bulk_create(
        Competitor(version=version, name=n)
        for n in sorted({n.strip() for n in content.competitors if n.strip()})
    )
    return version


def scheme_create(
    *,
    name: str,
    content: SchemeContent,
    description: str = "",
    created_by: User | None = None,
) -> SchemeVersion:
    """Create a scheme and its version 1; refuses a scheme that breaks the method's rules."""
    _require_manager(created_by)
    name = control_characters_refuse(name.strip(), field="name")
    if not name:
        raise ApplicationError(_("The scheme needs a name."), field="name")
    if ScoringScheme.objects.filter(name=name).exists():
        raise ApplicationError(
            _("A scheme called '%(name)s' exists already.") % {"name": name},
            field="name",
            status=409,
        )
    problems = _scheme_problems(content)
    if problems:
        raise ApplicationError(problems[0].message, located=problems)
    with transaction.atomic():
        scheme = ScoringScheme.objects.create(name=name, description=description)
        return _version_write(
            scheme=scheme,
            number=1,
            content=content,
            change_note=_("First version"),
            created_by=created_by,
        )


def scheme_content_summary(content: SchemeContent) -> dict[str, str]:
    """A scheme's content as label → text, one line per criterion and cut line, to show two
    contents side by side (the conflict page, ``kam.web.concurrency``)."""
    axes = dict(Axis.choices)
    out: dict[str, str] = {}
    for c in content.criteria:
        pairs = (("2", c.anchor_2), ("5", c.anchor_5), ("8", c.anchor_8))
        anchors = "; ".join(f"{n}: {a.strip()}" for n, a in pairs)
        text = _("%(name)s, weight %(weight)d") % {"name": c.name.strip(), "weight": c.weight}
        if c.fact:
            text += " · " + _("scored from fact %(fact)s") % {"fact": c.fact}
        elif any(a.strip() for a in (c.anchor_2, c.anchor_5, c.anchor_8)):
            text += " · " + anchors
        out[f"{axes.get(c.axis, c.axis)}: {c.key.strip()}"] = text
    out[_("Competitors")] = ", ".join(sorted({n.strip() for n in content.competitors if n.strip()}))
    out[_("Attractiveness cut")] = str(Decimal(content.attractiveness_cut).normalize())
    out[_("Relative strength cut")] = str(Decimal(content.strength_cut_relative).normalize())
    out[_("Absolute strength cut")] = str(Decimal(content.strength_cut_absolute).normalize())
    return out


def scheme_version_create(
    *,
    scheme: ScoringScheme,
    content: SchemeContent,
    change_note: str = "",
    created_by: User | None = None,
    expected_version: int | None = None,
    precondition: bool = False,
) -> SchemeVersion:
    """Save a changed scheme as its next version; reviews keep the version they were scored with.

    Saving content equal to the latest version creates nothing and returns that version.
    ``expected_version`` is the scheme's ``version`` the change was made on (what the edit
    form or ``If-Match`` carries): when someone saved a version since, nothing is written
    and ``kam.web.concurrency.VersionConflict`` shows both (412 if ``precondition``).
    """
    _require_manager(created_by)
    problems = _scheme_problems(content)
    if problems:
        raise ApplicationError(problems[0].message, located=problems)
    with transaction.atomic():
        latest = (
            SchemeVersion.objects.select_for_update()
            .filter(scheme=scheme)
            .order_by("-number")
            .first()
        )
        if latest is not None and scheme_content_of(version=latest).normalised() == (
            content.normalised()
        ):
            return latest

        def theirs(current: ScoringScheme) -> dict[str, str]:
            newest = current.versions.order_by("-number").first()
            return scheme_content_summary(scheme_content_of(version=newest)) if newest else {}

        scheme.version = claim_version(
            ScoringScheme,
            pk=scheme.pk,
            expected=expected_version,
            yours=scheme_content_summary(content),
            precondition=precondition,
            theirs=theirs,
        )
        return _version_write(
            scheme=scheme,
            number=(latest.number + 1) if latest else 1,
            content=content,
            change_note=change_note,
            created_by=created_by,
        )


def review_create(
    *,
    name: str,
    review_date: dt.date,
    scheme_version: SchemeVersion,
    raters: Iterable[User],
    created_by: User | None = None,
) -> Review:
    """Open a dated portfolio review with one scheme version and its raters."""
    _require_manager(created_by)
    if not control_characters_refuse(name.strip(), field="name"):
        raise ApplicationError(_("The review needs a name."), field="name")
    raters = list(raters)
    if not raters:
        raise ApplicationError(
            _("Name at least one rater; several raters scoring on their own is better."),
            field="raters",
        )
    try:
        scheme_version_to_core(version=scheme_version).validate()
    except SchemeError as exc:
        raise ApplicationError(exc.problems[0], problems=exc.problems) from exc
    with transaction.atomic():
        review = Review.objects.create(
            name=name.strip(),
            review_date=review_date,
            scheme_version=scheme_version,
            created_by=created_by,
        )
        review.raters.set(raters)
        review_derive_scores(review=review)
        # kam.notifications invites the raters, by e-mail after the commit
        signals.review_opened.send(sender=Review, review=review, raters=raters)
    return review


@history_reason(gettext_lazy("Scores derived from the accounts' facts"))
def review_derive_scores(*, review: Review, as_of: dt.date | None = None) -> int:
    """Derive the scores of fact-bound criteria from the accounts' facts; returns the count.

    For every criterion of the review's scheme version that is bound to a fact, each
    account in scope gets a derived rating from its latest facts at or before ``as_of``
    (the review date by default), by the criterion's rule (kam.core.fact_scores).
    Percentile bands are taken over the accounts in scope. Earlier derived ratings are
    replaced; raters' own scores (overrides) are kept. Accounts without the fact get no
    derived score and are left to the raters.
    """
    _require_open(review)
    bound = [c for c in review.scheme_version.criteria.all() if c.fact]
    account_ids = list(review_scope(review=review).order_by("pk").values_list("pk", flat=True))
    facts = facts_latest(account_ids=account_ids, as_of=as_of or review.review_date)
    rows: list[Rating] = []
    for crit in bound:
        rule = FactRule.from_json(crit.fact, crit.fact_rule)
        values = np.array(
            [
                np.nan if (v := facts.get(pk, {}).get(crit.fact)) is None else v
                for pk in account_ids
            ],
            dtype=np.float64,
        )
        scores = scores_from_fact(values, rule)
        label = _(FACTS[crit.fact])
        rows += [
            Rating(
                review=review,
                account_id=pk,
                rater=None,
                derived=True,
                criterion=crit,
                score=int(score),
                comment=_("Derived from %(fact)s = %(value)s")
                % {"fact": label, "value": f"{value:,.4g}"},
            )
            for pk, score, value in zip(account_ids, scores, values, strict=True)
            if score > 0
        ]
    with transaction.atomic():
        Rating.objects.filter(review=review, derived=True).delete()
        Rating.objects.bulk_create(rows, batch_size=2000)
        bulk_history(Rating, rows)
        Review.objects.filter(pk=review.pk).update(ratings_changed_at=timezone.now())
    return len(rows)


@dataclass(frozen=True)
class RatingInput:
    """One score as entered in the grid or the API; ``score=None`` clears the rater's score."""

    account_id: int
    criterion_id: int
    score: int | None
    competitor_score: int | None = None
    competitor_id: int | None = None
    view_source: str = ""
    comment: str = ""


@dataclass(frozen=True)
class RatingsSaved:
    created: int
    updated: int
    deleted: int


def ratings_save(*, review: Review, rater: User, entries: Sequence[RatingInput]) -> RatingsSaved:
    """Save one rater's own scores in an open review (all or nothing).

    Each rater scores on their own (section 1); nobody writes another rater's scores.
    Scores are whole numbers 1-10; competitor scores and whose view it is belong to strength
    criteria only.
    """
    _require_open(review)
    if not review.raters.filter(pk=rater.pk).exists():
        raise ApplicationError(_("You are not a rater in this review."), status=403)
    criteria = {c.pk: c for c in review.scheme_version.criteria.all()}
    competitors = set(review.scheme_version.competitors.values_list("pk", flat=True))
    account_ids = {e.account_id for e in entries}
    visible = set(
        account_list_visible(user=rater).filter(pk__in=account_ids).values_list("pk", flat=True)
    )
    problems: list[str] = []
    seen: set[tuple[int, int]] = set()
    for n, e in enumerate(entries, start=1):
        where = _("entry %(n)d (account %(account)s)") % {"n": n, "account": e.account_id}
        crit = criteria.get(e.criterion_id)
        if (e.account_id, e.criterion_id) in seen:
            problems.append(
                _("%(where)s: this account and criterion appear twice; give one score.")
                % {"where": where}
            )
            continue
        seen.add((e.account_id, e.criterion_id))
        if e.account_id not in visible:
            problems.append(_("%(where)s: no such account for you.") % {"where": where})
            continue
        if crit is None:
            problems.append(
                _("%(where)s: criterion %(id)s is not in this review's scheme.")
                % {"where": where, "id": e.criterion_id}
            )
            continue
        for label, value in (("score", e.score), ("competitor_score", e.competitor_score)):
            if value is not None and (
                isinstance(value, bool) or not 1 <= int(value) <= 10 or int(value) != value
            ):
                problems.append(
                    _(
                        "%(where)s, %(field)s on %(criterion)s: %(value)s is not a whole number "
                        "from 1 to 10."
                    )
                    % {"where": where, "field": label, "criterion": crit.key, "value": value}
                )
        if crit.axis == Axis.ATTRACTIVENESS and (
            e.competitor_score is not None or e.competitor_id or e.view_source
        ):
            problems.append(
                _(
                    "%(where)s: %(criterion)s is an attractiveness criterion; competitor scores "
                    "and whose view it is belong to strength criteria."
                )
                % {"where": where, "criterion": crit.key}
            )
        if crit.fact and e.score is not None and not e.comment.strip():
            problems.append(
                _(
                    "%(where)s: %(criterion)s is scored from the account's facts; give a reason "
                    "in the comment to override it."
                )
                % {"where": where, "criterion": crit.key}
            )
        if e.view_source and e.view_source not in ViewSource.values:
            problems.append(
                _("%(where)s: whose view must be 'customer' or 'estimate'.") % {"where": where}
            )
        if e.competitor_id is not None and e.competitor_id not in competitors:
            problems.append(
                _("%(where)s: competitor %(id)s is not in this review's scheme.")
                % {"where": where, "id": e.competitor_id}
            )
    if problems:
        raise ApplicationError(problems[0], problems=problems)

    existing = {
        (r.account_id, r.criterion_id): r
        for r in Rating.objects.filter(review=review, rater=rater, account_id__in=account_ids)
    }
    to_create: list[Rating] = []
    to_update: list[Rating] = []
    to_delete: list[int] = []
    for e in entries:
        row = existing.get((e.account_id, e.criterion_id))
        if e.score is None:
            if row is not None:
                to_delete.append(row.pk)
            continue
        values = {
            "score": int(e.score),
            "competitor_score": None if e.competitor_score is None else int(e.competitor_score),
            "competitor_id": e.competitor_id,
            "view_source": e.view_source,
            "comment": e.comment.strip(),
        }
        if row is None:
            to_create.append(
                Rating(
                    review=review,
                    rater=rater,
                    account_id=e.account_id,
                    criterion_id=e.criterion_id,
                    **values,
                )
            )
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            to_update.append(row)
    with transaction.atomic():
        Rating.objects.bulk_create(to_create)
        Rating.objects.bulk_update(
            to_update, ["score", "competitor_score", "competitor_id", "view_source", "comment"]
        )
        # bulk writes send no signals: their audit history is written here
        bulk_history(Rating, to_create)
        bulk_history(Rating, to_update, update=True)
        Rating.objects.filter(pk__in=to_delete).delete()
        if to_create or to_update or to_delete:
            Review.objects.filter(pk=review.pk).update(ratings_changed_at=timezone.now())
    return RatingsSaved(len(to_create), len(to_update), len(to_delete))


def review_compute(*, review: Review) -> int:
    """Recompute every placement of a review from its ratings; returns the number of accounts.

    Scores are averaged over raters, placed in a box (kam.core.portfolio.classify), and
    given box probabilities by the sensitivity analysis with the organisation's settings
    (seeded by the review, so the same scores give the same probabilities).
    """
    org = organisation_get()
    scheme = scheme_version_to_core(version=review.scheme_version)
    criteria = sorted(
        review.scheme_version.criteria.all(),
        key=lambda c: (c.axis != Axis.ATTRACTIVENESS, c.position),
    )
    column = {c.pk: j for j, c in enumerate(criteria)}
    keys = [c.key for c in criteria]
    account_ids = list(review_scope(review=review).order_by("pk").values_list("pk", flat=True))
    row_of = {pk: i for i, pk in enumerate(account_ids)}
    all_ratings = list(
        Rating.objects.filter(review=review, account_id__in=account_ids).values_list(
            "account_id", "criterion_id", "score", "competitor_score", "derived"
        )
    )
    # a rater's own score on a fact-bound criterion overrides the derived one
    overridden = {(r[0], r[1]) for r in all_ratings if not r[4]}
    ratings = [r for r in all_ratings if not (r[4] and (r[0], r[1]) in overridden)]
    acc = np.fromiter((row_of[r[0]] for r in ratings), dtype=np.int64, count=len(ratings))
    col = np.fromiter((column[r[1]] for r in ratings), dtype=np.int64, count=len(ratings))
    val = np.fromiter((r[2] for r in ratings), dtype=np.float64, count=len(ratings))
    comp = np.fromiter(
        (np.nan if r[3] is None else r[3] for r in ratings), dtype=np.float64, count=len(ratings)
    )
    table = core.score_table_from_arrays(account_ids, len(keys), acc, col, val, comp)
    result = core.classify(scheme, table)
    flagged = core.disagreement(table, points=float(org.disagreement_points))
    probabilities = core.sensitivity(
        scheme,
        table.scores,
        table.competitor_scores,
        draws=org.sensitivity_draws,
        seed=review.pk,
        concentration=float(org.sensitivity_concentration),
    )
    unsure = core.uncertain(probabilities, threshold=float(org.uncertainty_threshold))

    def num(x: float) -> float | None:
        return None if np.isnan(x) else float(x)

    placements = []
    for i, pk in enumerate(account_ids):
        box_code = int(result.box[i])
        placed = box_code != core.NOT_PLACED
        p = probabilities[i]
        placements.append(
            Placement(
                review=review,
                account_id=pk,
                attractiveness=num(result.attractiveness[i]),
                strength=num(result.strength[i]),
                competitor_strength=num(result.competitor_strength[i]),
                relative_strength=num(result.relative_strength[i]),
                strength_axis=("relative" if result.relative[i] else "absolute") if placed else "",
                box=BOXES[box_code].value if placed else "",
                missing=[keys[j] for j in np.flatnonzero(result.missing[i])],
                disagreement=[keys[j] for j in np.flatnonzero(flagged[i])],
                p_key=num(p[0]),
                p_key_development=num(p[1]),
                p_maintenance=num(p[2]),
                p_opportunistic=num(p[3]),
                uncertain=bool(unsure[i]),
            )
        )
    with transaction.atomic():
        Placement.objects.filter(review=review).delete()
        Placement.objects.bulk_create(placements, batch_size=2000)
        now = timezone.now()
        Review.objects.filter(pk=review.pk).update(computed_at=now)
        review.computed_at = now
    return len(placements)


def review_ensure_computed(*, review: Review) -> Review:
    """Recompute a review's placements when its scores changed since the last computation.

    A cancelled review keeps no placements and is never recomputed."""
    if review.status != ReviewStatus.CANCELLED and review.is_stale:
        review_compute(review=review)
    return review


def review_scored_store(*, review: Review) -> None:
    """Store the scores each rater gave in the closed ``review`` (its progress, which no
    longer changes): ``Review.scored_by_rater``, equal to ``frozen_scored_counts``."""
    from kam.portfolio.review_selectors import frozen_scored_counts

    counts = frozen_scored_counts(review_ids=[review.pk])
    review.scored_by_rater = {str(rater): n for (_r, rater), n in counts.items()}
    Review.objects.filter(pk=review.pk).update(scored_by_rater=review.scored_by_rater)


def review_moves_store(*, review: Review) -> int:
    """Store the box moves of a closed ``review`` since the closed review before it
    (``ReviewMove``, read by ``kam.pages.alerts.box_moves``; equal to ``box_moves_compute``).
    Returns the number of moves."""
    from kam.portfolio.models import ReviewMove
    from kam.portfolio.selectors import box_moves_compute, review_previous

    previous = review_previous(review=review)
    rows = box_moves_compute(review=review, previous=previous) if previous is not None else []
    now = timezone.now()
    with transaction.atomic():
        ReviewMove.objects.filter(review=review).delete()
        ReviewMove.objects.bulk_create(
            [
                ReviewMove(review=review, previous=previous, account_id=pk, before=b, after=a)
                for pk, b, a in rows
            ],
            batch_size=2000,
        )
        Review.objects.filter(pk=review.pk).update(moves_previous=previous, moves_stored_at=now)
    review.moves_previous = previous
    review.moves_stored_at = now
    return len(rows)


@history_reason(gettext_lazy("Review closed"))
def review_close(*, review: Review, closed_by: User | None = None) -> Review:
    """Close a review: its scores freeze and its placements are computed one last time.

    From then on it is the portfolio (``selectors.portfolio_review``) unless a closed review
    with a later date exists. Closing a closed review changes nothing; a cancelled review
    cannot be closed (409).
    """
    _require_manager(closed_by)
    if review.status == ReviewStatus.CLOSED:
        return review
    if review.status == ReviewStatus.CANCELLED:
        raise ApplicationError(_("This review was cancelled; it cannot be closed."), status=409)
    with transaction.atomic():
        review_compute(review=review)
        review.status = ReviewStatus.CLOSED
        review.closed_at = timezone.now()
        review.closed_by = closed_by
        review.save(update_fields=["status", "closed_at", "closed_by"])
        review_scored_store(review=review)
        review_moves_store(review=review)
        # a review closed after a later-dated one becomes the review before that one
        for other in reviews_next(review=review):
            review_moves_store(review=other)
    logger.info(
        "Portfolio review %s (%s) closed by %s",
        review.pk,
        review.name,
        getattr(closed_by, "username", "kam"),
    )
    return review


@history_reason(gettext_lazy("Review cancelled"))
def review_cancel(*, review: Review, cancelled_by: User | None = None) -> Review:
    """Cancel an open review (opened by mistake, or abandoned); the portfolio never changes.

    Only a sales director or an administrator may (403). A closed review is the record of a
    decision and cannot be cancelled (409); cancelling a cancelled review changes nothing.

    The review itself stays, marked cancelled with who and when (and a log line), so the
    review list keeps an honest history. Its scores and placements are DELETED: they were
    never a result, nothing may count them, and an account's history of boxes must not show
    them.
    """
    _require_manager(cancelled_by)
    if review.status == ReviewStatus.CANCELLED:
        return review
    if review.status == ReviewStatus.CLOSED:
        raise ApplicationError(
            _("A closed review cannot be cancelled: its boxes are a decision on record."),
            status=409,
        )
    with transaction.atomic():
        n_ratings = Rating.objects.filter(review=review).count()
        Rating.objects.filter(review=review).delete()
        Placement.objects.filter(review=review).delete()
        review.status = ReviewStatus.CANCELLED
        review.cancelled_at = timezone.now()
        review.cancelled_by = cancelled_by
        review.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    logger.info(
        "Portfolio review %s (%s) cancelled by %s; %d scores deleted",
        review.pk,
        review.name,
        getattr(cancelled_by, "username", "kam"),
        n_ratings,
    )
    return review


# --- Three-year outlook -----------------------------------------------------------------------

OUTLOOK_FIELDS = (
    "potential_revenue",
    "expected_attractiveness",
    "expected_strength",
    "expected_competitor_strength",
    "note",
)
_OUTLOOK_SCORES = ("expected_attractiveness", "expected_strength", "expected_competitor_strength")


def _outlook_check(values: Mapping[str, object]) -> None:
    potential = values.get("potential_revenue")
    if potential is not None and Decimal(str(potential)) < 0:
        raise ApplicationError(
            _("The revenue potential cannot be negative."), field="potential_revenue"
        )
    for name in _OUTLOOK_SCORES:
        value = values.get(name)
        if value is not None and not Decimal("1") <= Decimal(str(value)) <= Decimal("10"):
            raise ApplicationError(
                _("Scores run from 1 to 10, as in the review."), field=name, status=422
            )
    a, s = values.get("expected_attractiveness"), values.get("expected_strength")
    if (a is None) != (s is None):
        raise ApplicationError(
            _(
                "Give both the expected attractiveness and our expected strength, or neither: "
                "the arrow needs both to know where it points."
            ),
            field="expected_strength" if s is None else "expected_attractiveness",
            status=422,
        )
    if values.get("expected_competitor_strength") is not None and s is None:
        raise ApplicationError(
            _("The competitor's expected strength needs our expected strength beside it."),
            field="expected_strength",
            status=422,
        )


def outlook_save(
    *,
    review: Review,
    account: Account,
    data: Mapping[str, object],
    user: User | None = None,
    expected_version: int | None = None,
    precondition: bool = False,
) -> Outlook:
    """Record (or change) ``account``'s three-year outlook at ``review``.

    ``data`` holds some of ``OUTLOOK_FIELDS`` (Decimals, None to clear; ``note`` text);
    keys not given stay as they are. Who may: whoever may change the account (the caller
    checks, ``account_get_editable``). A cancelled review takes no outlook (409). Saving
    the same values again writes nothing and keeps the version; ``expected_version`` guards
    against lost updates (kam.web.concurrency).
    """
    if review.status == ReviewStatus.CANCELLED:
        raise ApplicationError(
            _("This review was cancelled; it takes no outlook."), field="review_id", status=409
        )
    unknown = set(data) - set(OUTLOOK_FIELDS)
    if unknown:
        raise ApplicationError(
            _("Unknown field: %(name)s.") % {"name": sorted(unknown)[0]}, status=400
        )
    outlook = Outlook.objects.filter(review=review, account=account).first()
    current = {
        name: getattr(outlook, name) if outlook is not None else (None if name != "note" else "")
        for name in OUTLOOK_FIELDS
    }
    values = {**current, **data}
    for name in OUTLOOK_FIELDS:
        if name != "note" and values[name] is not None:
            values[name] = Decimal(str(values[name]))
    note = str(values["note"] or "").strip()
    values["note"] = note
    control_characters_refuse(note, field="note")
    _outlook_check(values)
    by = user if user is not None and getattr(user, "is_authenticated", False) else None
    if outlook is None:
        if all(values[n] in (None, "") for n in OUTLOOK_FIELDS):
            return Outlook(review=review, account=account)
        return Outlook.objects.create(review=review, account=account, updated_by=by, **values)
    before = snapshot(outlook, list(OUTLOOK_FIELDS))
    for name, value in values.items():
        setattr(outlook, name, value)
    save_versioned(
        outlook, before=before, expected=expected_version, user=by, precondition=precondition
    )
    return outlook
