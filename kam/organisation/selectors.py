"""Reads of the organisation and its policies: box policies, team capacity and limits."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Q, QuerySet, Sum

from kam.core.capacity import BoxPolicy as CoreBoxPolicy
from kam.core.capacity import CapacityLimits
from kam.organisation.models import (
    DEFAULT_BOX_POLICIES,
    DEFAULT_BOX_SERVICE,
    Box,
    BoxPolicy,
    ManagerLimitCounts,
    Organisation,
)
from kam.users.models import Role
from kam.users.selectors import user_may_manage_portfolio

# Roles whose people appear in the team-capacity table even with 0 hours: they are the
# ones who serve accounts (section 3, the account team).
TEAM_ROLES = (Role.KEY_ACCOUNT_MANAGER, Role.TEAM_MEMBER, Role.SALES_DIRECTOR)


def organisation_get() -> Organisation:
    """The one organisation of this installation, created with the method's defaults at first."""
    org = Organisation.objects.order_by("pk").first()
    if org is not None:
        return org
    with transaction.atomic():
        org = Organisation.objects.create()
        BoxPolicy.objects.bulk_create(
            BoxPolicy(
                organisation=org,
                box=box,
                min_hours_per_year=lo,
                max_hours_per_year=hi,
                review_cadence_months=cadence,
                service_channel=DEFAULT_BOX_SERVICE[box][0],
                visits_per_year=DEFAULT_BOX_SERVICE[box][1],
            )
            for box, (lo, hi, cadence) in DEFAULT_BOX_POLICIES.items()
        )
    return org


def exchange_rates_get(*, organisation: Organisation) -> dict[str, Decimal]:
    """Currency code to value in base currency; the base currency itself is always 1."""
    rates = {r.currency: r.rate_to_base for r in organisation.exchange_rates.all()}
    rates[organisation.base_currency] = Decimal(1)
    return rates


def box_policy_rows_get(*, organisation: Organisation) -> list[BoxPolicy]:
    """The organisation's box policy rows in box order (key first); a missing box gets an
    unsaved row with the method's defaults (docs/method.md section 2)."""
    stored = {p.box: p for p in organisation.box_policies.all()}
    rows = []
    for box in Box:
        row = stored.get(box.value)
        if row is None:
            lo, hi, cadence = DEFAULT_BOX_POLICIES[box]
            row = BoxPolicy(
                organisation=organisation,
                box=box.value,
                min_hours_per_year=lo,
                max_hours_per_year=hi,
                review_cadence_months=cadence,
                service_channel=DEFAULT_BOX_SERVICE[box][0],
                visits_per_year=DEFAULT_BOX_SERVICE[box][1],
            )
        rows.append(row)
    return rows


def box_policies_get(*, organisation: Organisation) -> dict[str, CoreBoxPolicy]:
    """Box value (``"key"``, ``"key_development"``, ...) to its policy as ``kam.core`` takes it:
    minimum and maximum yearly hours per account, review cadence in months. All four boxes
    are present; a box without a stored policy has the method's defaults."""
    return {
        row.box: CoreBoxPolicy(
            min_hours_per_year=float(row.min_hours_per_year),
            max_hours_per_year=float(row.max_hours_per_year),
            review_cadence_months=int(row.review_cadence_months),
        )
        for row in box_policy_rows_get(organisation=organisation)
    }


def team_capacity_hours() -> float:
    """The team's yearly capacity in hours: the sum of every active person's
    ``Profile.hours_per_year`` (docs/method.md section 1, "never too many key accounts")."""
    User = get_user_model()
    total = User.objects.filter(is_active=True).aggregate(h=Sum("profile__hours_per_year"))["h"]
    return float(total or 0)


def team_capacity_list() -> QuerySet[User]:
    """The people whose hours make up the team's capacity, with their profiles.

    Every active key account manager, team member and sales director, plus any other
    active person with hours for accounts (so that the hours listed add up to
    ``team_capacity_hours()``). Ordered by name.
    """
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .filter(Q(profile__role__in=TEAM_ROLES) | Q(profile__hours_per_year__gt=0))
        .select_related("profile")
        .order_by("last_name", "first_name", "username")
    )


def capacity_limits_get(*, organisation: Organisation) -> CapacityLimits:
    """The three too-many-key-accounts thresholds as ``kam.core.capacity`` takes them:
    most key accounts for the company, most per key account manager (and which boxes count
    against it: ``Organisation.manager_limit_counts``), and the share of the team's yearly
    hours that key and key development accounts may need (1.0 = all)."""
    return CapacityLimits(
        max_key_accounts=int(organisation.max_key_accounts),
        max_key_accounts_per_manager=int(organisation.max_key_accounts_per_manager),
        capacity_share=float(organisation.capacity_warning_share),
        per_manager_boxes=ManagerLimitCounts.boxes(organisation.manager_limit_counts),
    )


def policy_may_edit(*, user: User | AnonymousUser) -> bool:
    """Whether ``user`` may change the organisation's policies (sales directors, administrators)."""
    return user_may_manage_portfolio(user=user)
