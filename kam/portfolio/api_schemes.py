"""API for scoring schemes: list, read with every version, create, and save a new version.

A scheme that breaks the method's rules (docs/method.md section 1) is refused with 422 and
``{detail, field, problems}``, one problem per line, each saying what to fix. Only sales
directors and administrators write (403 otherwise); everyone authenticated reads.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from kam.portfolio.models import SchemeVersion, ScoringScheme
from kam.portfolio.scheme_selectors import (
    scheme_get,
    scheme_list,
    scheme_version_get,
    scheme_versions_of,
)
from kam.portfolio.services import (
    CriterionInput,
    SchemeContent,
    scheme_content_of,
    scheme_create,
    scheme_version_create,
)
from kam.web.concurrency import IF_MATCH, ConflictOut, conflict_shows, expected_version, set_etag
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["schemes"])


class CriterionIn(Schema):
    """A criterion as sent: ``axis`` is ``attractiveness`` or ``strength``; weight of 100."""

    axis: str
    key: str
    name: str
    weight: int = Field(..., description="Whole number; the weights of an axis add up to 100.")
    anchor_2: str = ""
    anchor_5: str = ""
    anchor_8: str = ""
    fact: str = Field(
        "",
        description="Score this criterion from an account fact (revenue_12m, growth, "
        "gross_margin_pct, orders, recency_days, mean_days_late, share_of_wallet, "
        "predicted_future_value); empty for scores by raters.",
    )
    fact_rule: dict[str, object] = Field(
        default_factory=dict,
        description='With a fact: {"method": "thresholds", "cuts": [1-9 increasing numbers], '
        '"higher_is_better": true} or {"method": "percentiles", "higher_is_better": true}.',
    )


class SchemeContentIn(Schema):
    """The content of a version: criteria of both axes, competitors and cut lines."""

    criteria: list[CriterionIn]
    competitors: list[str] = []
    attractiveness_cut: Decimal = Decimal("5.00")
    strength_cut_relative: Decimal = Decimal("1.000")
    strength_cut_absolute: Decimal = Decimal("5.00")

    def to_content(self) -> SchemeContent:
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
                    c.fact_rule,
                )
                for c in self.criteria
            ],
            competitors=list(self.competitors),
            attractiveness_cut=self.attractiveness_cut,
            strength_cut_relative=self.strength_cut_relative,
            strength_cut_absolute=self.strength_cut_absolute,
        )


class SchemeIn(SchemeContentIn):
    """A new scheme: its name, description and the content of version 1."""

    name: str
    description: str = ""


class VersionIn(SchemeContentIn):
    """The next version of a scheme, with a note on what changed."""

    change_note: str = ""
    version: int | None = Field(
        None,
        description=(
            "The scheme's version you loaded: refused (409, with both) when someone saved a "
            "version since. The If-Match header does the same with 412 and wins."
        ),
    )


class SchemeContentOut(SchemeContentIn):
    """The latest version's content with the scheme's ``version`` (send it back)."""

    version: int = Field(description="The scheme's version; also the ETag.")


class CriterionOut(Schema):
    id: int
    axis: str
    key: str
    name: str
    weight: int
    anchor_2: str
    anchor_5: str
    anchor_8: str
    position: int
    fact: str
    fact_rule: dict[str, object]


class SchemeVersionOut(Schema):
    """One immutable version; cut lines on 0-10 (A, S_us) and as a ratio (RS)."""

    id: int
    number: int
    created_at: dt.datetime
    created_by: str | None
    change_note: str
    attractiveness_cut: Decimal
    strength_cut_relative: Decimal
    strength_cut_absolute: Decimal
    criteria: list[CriterionOut]
    competitors: list[str]
    reviews: list[int]


class SchemeSummaryOut(Schema):
    id: int
    name: str
    description: str
    latest_version: int | None
    criteria_count: int
    reviews: list[int]


class SchemeOut(Schema):
    """A scheme with all of its versions, newest first."""

    id: int
    name: str
    description: str
    version: int = Field(description="Counts every saved version; also the ETag.")
    versions: list[SchemeVersionOut]


def _version_out(version: SchemeVersion) -> SchemeVersionOut:
    who = version.created_by
    return SchemeVersionOut(
        id=version.pk,
        number=version.number,
        created_at=version.created_at,
        created_by=who.get_username() if who is not None else None,
        change_note=version.change_note,
        attractiveness_cut=version.attractiveness_cut,
        strength_cut_relative=version.strength_cut_relative,
        strength_cut_absolute=version.strength_cut_absolute,
        criteria=[
            CriterionOut.model_validate(c, from_attributes=True)
            for c in sorted(version.criteria.all(), key=lambda c: (c.axis, c.position))
        ],
        competitors=[c.name for c in version.competitors.all()],
        reviews=[r.pk for r in version.reviews.all()],
    )


def _scheme_out(scheme: ScoringScheme) -> SchemeOut:
    versions = scheme_versions_of(scheme=scheme)
    return SchemeOut(
        id=scheme.pk,
        name=scheme.name,
        description=scheme.description,
        version=scheme.version,
        versions=[_version_out(v) for v in versions],
    )


@router.get("", response=list[SchemeSummaryOut], summary="List scoring schemes")
def schemes_list(request: AuthenticatedHttpRequest) -> list[SchemeSummaryOut]:
    out = []
    for scheme in scheme_list():
        versions = list(scheme.versions.all())
        latest = versions[0] if versions else None
        out.append(
            SchemeSummaryOut(
                id=scheme.pk,
                name=scheme.name,
                description=scheme.description,
                latest_version=latest.number if latest else None,
                criteria_count=latest.criteria_count if latest else 0,  # type: ignore[attr-defined]
                reviews=[r.pk for v in versions for r in v.reviews.all()],
            )
        )
    return out


@router.get("/{scheme_id}", response=SchemeOut, summary="A scheme with every version")
def schemes_detail(
    request: AuthenticatedHttpRequest, scheme_id: int, response: HttpResponse
) -> SchemeOut:
    """With the scheme's ``version``; the ``ETag`` header is that version (for If-Match)."""
    scheme = scheme_get(scheme_id=scheme_id)
    set_etag(response, scheme.version)
    return _scheme_out(scheme)


@router.get(
    "/{scheme_id}/versions/{number}", response=SchemeVersionOut, summary="One version of a scheme"
)
def schemes_version(
    request: AuthenticatedHttpRequest, scheme_id: int, number: int
) -> SchemeVersionOut:
    return _version_out(scheme_version_get(scheme=scheme_get(scheme_id=scheme_id), number=number))


@router.post(
    "",
    response={201: SchemeOut},
    summary="Create a scheme (version 1)",
    description="422 with `problems` when the scheme breaks the method's rules; 409 when the "
    "name is taken; 403 unless the caller is a sales director or administrator.",
)
def schemes_create(request: AuthenticatedHttpRequest, payload: SchemeIn) -> Status[SchemeOut]:
    version = scheme_create(
        name=payload.name,
        description=payload.description,
        content=payload.to_content(),
        created_by=request.user,
    )
    return Status(201, _scheme_out(version.scheme))


CONFLICT_HELP = (
    " Send the scheme's version you loaded as If-Match (or ``version`` in the body): when "
    "someone saved a version since, nothing is saved and the answer is 412 (If-Match) or 409 "
    "(body) with the current content and what you sent. The ETag of the answer is the "
    "scheme's version now."
)


def _content_out(scheme: ScoringScheme) -> SchemeContentOut:
    content = scheme_content_of(version=scheme_version_get(scheme=scheme))
    return SchemeContentOut(
        criteria=[CriterionIn(**c.__dict__) for c in content.criteria],
        competitors=sorted(content.competitors),
        attractiveness_cut=content.attractiveness_cut,
        strength_cut_relative=content.strength_cut_relative,
        strength_cut_absolute=content.strength_cut_absolute,
        version=scheme.version,
    )


def _new_version(
    request: AuthenticatedHttpRequest, scheme_id: int, payload: VersionIn, response: HttpResponse
) -> SchemeVersionOut:
    scheme = scheme_get(scheme_id=scheme_id)
    with conflict_shows(lambda current: _content_out(current).model_dump(mode="json")):
        expected, precondition = expected_version(
            request, body_version=payload.version, current=scheme
        )
        version = scheme_version_create(
            scheme=scheme,
            content=payload.to_content(),
            change_note=payload.change_note,
            created_by=request.user,
            expected_version=expected,
            precondition=precondition,
        )
    scheme.refresh_from_db(fields=["version"])
    set_etag(response, scheme.version)
    return _version_out(scheme_version_get(scheme=scheme, number=version.number))


@router.post(
    "/{scheme_id}/versions",
    response={200: SchemeVersionOut, 201: SchemeVersionOut, 409: ConflictOut, 412: ConflictOut},
    summary="Save the next version of a scheme",
    openapi_extra=IF_MATCH,
    description="201 with the new version; 200 with the latest version when nothing changed. "
    "Reviews keep the version they were scored with." + CONFLICT_HELP,
)
def schemes_version_create(
    request: AuthenticatedHttpRequest, scheme_id: int, payload: VersionIn, response: HttpResponse
) -> Status[SchemeVersionOut]:
    before = scheme_version_get(scheme=scheme_get(scheme_id=scheme_id)).number
    out = _new_version(request, scheme_id, payload, response)
    return Status(201 if out.number != before else 200, out)


@router.put(
    "/{scheme_id}",
    response={200: SchemeVersionOut, 409: ConflictOut, 412: ConflictOut},
    summary="Change a scheme (saves its next version)",
    openapi_extra=IF_MATCH,
    description="The same as POST /schemes/{id}/versions; answers with the version now latest."
    + CONFLICT_HELP,
)
def schemes_update(
    request: AuthenticatedHttpRequest, scheme_id: int, payload: VersionIn, response: HttpResponse
) -> SchemeVersionOut:
    return _new_version(request, scheme_id, payload, response)


@router.get(
    "/{scheme_id}/content",
    response=SchemeContentOut,
    summary="The latest version's content, ready to edit and PUT back",
    description="With the scheme's ``version``, also as the ETag: send it back as If-Match.",
)
def schemes_content(
    request: AuthenticatedHttpRequest, scheme_id: int, response: HttpResponse
) -> SchemeContentOut:
    scheme = scheme_get(scheme_id=scheme_id)
    set_etag(response, scheme.version)
    return _content_out(scheme)
