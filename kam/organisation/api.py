"""API of the organisation's policies: settings, box policies, team capacity, exchange rates.

Everyone signed in may read them (they explain the warnings on the matrix); only sales
directors and administrators may change them (403 for everyone else). Hourly costs are
pay data: only sales directors and administrators see them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, cast

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from kam.errors import ApplicationError, require
from kam.organisation.models import Organisation
from kam.organisation.selectors import (
    box_policy_rows_get,
    exchange_rates_get,
    organisation_get,
    policy_may_edit,
    team_capacity_hours,
    team_capacity_list,
)
from kam.organisation.services import (
    BoxPolicyInput,
    box_policies_update,
    exchange_rate_delete,
    exchange_rate_set,
    organisation_update,
)
from kam.web.concurrency import IF_MATCH, ConflictOut, conflict_shows, if_match_list, list_etag
from kam.web.requests import AuthenticatedHttpRequest

router = Router(tags=["organisation"])

#: The codes of ``Organisation.manager_limit_counts`` (``ManagerLimitCounts``)
LimitCounts = Literal["key_and_development", "key"]


class SettingsOut(Schema):
    """The organisation's limits and analysis settings; ``exchange_rates`` maps a currency
    to the value of one unit in ``base_currency`` (which maps to 1)."""

    name: str
    base_currency: str
    max_key_accounts: int
    max_key_accounts_per_manager: int
    manager_limit_counts: LimitCounts = Field(
        description=(
            "Which accounts count against max_key_accounts_per_manager: key and key "
            "development accounts, or key accounts only."
        )
    )
    capacity_warning_share: Decimal
    sensitivity_draws: int
    sensitivity_concentration: Decimal
    uncertainty_threshold: Decimal
    disagreement_points: Decimal
    discount_rate: Decimal
    exchange_rates: dict[str, Decimal]


class SettingsIn(Schema):
    """Fields to change; a field left out keeps its value."""

    name: str | None = None
    base_currency: str | None = None
    max_key_accounts: int | None = None
    max_key_accounts_per_manager: int | None = None
    manager_limit_counts: LimitCounts | None = None
    capacity_warning_share: Decimal | None = None
    sensitivity_draws: int | None = None
    sensitivity_concentration: Decimal | None = None
    uncertainty_threshold: Decimal | None = None
    disagreement_points: Decimal | None = None
    discount_rate: Decimal | None = None


class BoxPolicySchema(Schema):
    """Yearly hours per account of one box (minimum, maximum), its review cadence in months,
    service channel and visits per account per year."""

    box: str
    min_hours_per_year: int
    max_hours_per_year: int
    review_cadence_months: int
    service_channel: str | None = Field(
        None,
        description="field, inside_sales, key_account_team or web; left out: kept as it is.",
    )
    visits_per_year: int | None = Field(None, description="Left out: kept as it is.")
    version: int | None = Field(
        None,
        description=(
            "The policy's version (null: never saved). Send back what you loaded: a policy "
            "saved by someone since is refused (409, with both); nothing is saved."
        ),
    )


class PersonCapacityOut(Schema):
    """One person's yearly hours for accounts; ``hourly_cost`` (base currency) only for
    sales directors and administrators, ``null`` for everyone else."""

    user_id: int
    username: str
    name: str
    role: str
    function: str
    hours_per_year: int
    hourly_cost: Decimal | None


class TeamCapacityOut(Schema):
    """The team's yearly capacity: the total in hours and the people it is made of."""

    total_hours_per_year: float
    people: list[PersonCapacityOut]


class ExchangeRateIn(Schema):
    rate_to_base: Decimal


class ExchangeRateOut(Schema):
    currency: str
    rate_to_base: Decimal


def _require_editor(user: User) -> None:
    require(
        policy_may_edit(user=user),
        _("Only sales directors and administrators may change policies."),
    )


def _settings(org: Organisation) -> SettingsOut:
    return SettingsOut(
        name=org.name,
        base_currency=org.base_currency,
        max_key_accounts=org.max_key_accounts,
        max_key_accounts_per_manager=org.max_key_accounts_per_manager,
        # one of the model field's choices, the codes of the Literal
        manager_limit_counts=cast(LimitCounts, org.manager_limit_counts),
        capacity_warning_share=org.capacity_warning_share,
        sensitivity_draws=org.sensitivity_draws,
        sensitivity_concentration=org.sensitivity_concentration,
        uncertainty_threshold=org.uncertainty_threshold,
        disagreement_points=org.disagreement_points,
        discount_rate=org.discount_rate,
        exchange_rates=exchange_rates_get(organisation=org),
    )


def _box_policies(org: Organisation) -> list[BoxPolicySchema]:
    return [
        BoxPolicySchema(
            box=row.box,
            min_hours_per_year=row.min_hours_per_year,
            max_hours_per_year=row.max_hours_per_year,
            review_cadence_months=row.review_cadence_months,
            service_channel=row.service_channel,
            visits_per_year=row.visits_per_year,
            version=row.version if row.pk else None,
        )
        for row in box_policy_rows_get(organisation=org)
    ]


def _box_policies_etag(response: HttpResponse, org: Organisation) -> None:
    rows = box_policy_rows_get(organisation=org)
    response["ETag"] = list_etag(row.version if row.pk else 0 for row in rows)


@router.get("/settings", response=SettingsOut, summary="Limits and analysis settings")
def settings_get(request: AuthenticatedHttpRequest) -> SettingsOut:
    return _settings(organisation_get())


@router.put("/settings", response=SettingsOut, summary="Change limits and analysis settings")
def settings_put(request: AuthenticatedHttpRequest, payload: SettingsIn) -> SettingsOut:
    _require_editor(request.user)
    org = organisation_get()
    organisation_update(organisation=org, **payload.model_dump())
    return _settings(org)


@router.get("/box-policies", response=list[BoxPolicySchema], summary="Box policies")
def box_policies_list(
    request: AuthenticatedHttpRequest, response: HttpResponse
) -> list[BoxPolicySchema]:
    """Every box's policy with its ``version``; the ``ETag`` holds the versions of all four
    (box order: key, key development, maintenance, opportunistic) for If-Match."""
    org = organisation_get()
    _box_policies_etag(response, org)
    return _box_policies(org)


@router.put(
    "/box-policies",
    response={200: list[BoxPolicySchema], 409: ConflictOut, 412: ConflictOut},
    summary="Change box policies (all or none)",
    openapi_extra=IF_MATCH,
    description="Send the ETag of GET /box-policies as If-Match (or each policy's "
    "``version``): when someone saved one of them since, nothing is saved and the answer is "
    "412 (If-Match) or 409 (body version) with the current policies and what you sent.",
)
def box_policies_put(
    request: AuthenticatedHttpRequest, payload: list[BoxPolicySchema], response: HttpResponse
) -> list[BoxPolicySchema]:
    _require_editor(request.user)
    boxes = [p.box for p in payload]
    if len(set(boxes)) != len(boxes):
        raise ApplicationError(_("Each box may appear only once."), field="box")
    org = organisation_get()
    order = [row.box for row in box_policy_rows_get(organisation=org)]
    matched = if_match_list(request, len(order))
    expected = dict(zip(order, matched, strict=True)) if matched is not None else None
    with conflict_shows(lambda _current: [p.model_dump() for p in _box_policies(org)]):
        box_policies_update(
            organisation=org,
            policies={
                p.box: BoxPolicyInput(
                    min_hours_per_year=p.min_hours_per_year,
                    max_hours_per_year=p.max_hours_per_year,
                    review_cadence_months=p.review_cadence_months,
                    service_channel=p.service_channel,
                    visits_per_year=p.visits_per_year,
                    version=expected.get(p.box) if expected is not None else p.version,
                )
                for p in payload
            },
            user=request.user,
            precondition=expected is not None,
        )
    _box_policies_etag(response, org)
    return _box_policies(org)


@router.get("/team-capacity", response=TeamCapacityOut, summary="The team's yearly capacity")
def team_capacity_get(request: AuthenticatedHttpRequest) -> TeamCapacityOut:
    show_cost = policy_may_edit(user=request.user)
    return TeamCapacityOut(
        total_hours_per_year=team_capacity_hours(),
        people=[
            PersonCapacityOut(
                user_id=u.pk,
                username=u.get_username(),
                name=u.get_full_name() or u.get_username(),
                role=u.profile.role,
                function=u.profile.function,
                hours_per_year=u.profile.hours_per_year,
                hourly_cost=u.profile.hourly_cost if show_cost else None,
            )
            for u in team_capacity_list()
        ],
    )


@router.put("/exchange-rates/{currency}", response=ExchangeRateOut, summary="Set one exchange rate")
def exchange_rate_put(
    request: AuthenticatedHttpRequest, currency: str, payload: ExchangeRateIn
) -> ExchangeRateOut:
    _require_editor(request.user)
    row = exchange_rate_set(
        organisation=organisation_get(), currency=currency, rate_to_base=payload.rate_to_base
    )
    return ExchangeRateOut(currency=row.currency, rate_to_base=row.rate_to_base)


@router.delete(
    "/exchange-rates/{currency}", response={204: None}, summary="Remove an exchange rate"
)
def exchange_rate_remove(request: AuthenticatedHttpRequest, currency: str) -> Status[None]:
    _require_editor(request.user)
    exchange_rate_delete(organisation=organisation_get(), currency=currency)
    return Status(204, None)
