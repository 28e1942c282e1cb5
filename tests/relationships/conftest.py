"""An account with a small decision-making unit and a year of meetings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kam.accounts.models import TeamRole
from kam.relationships.findings_store import findings_refresh
from kam.relationships.services import contact_create
from kam.users.models import Function, Role
from tests.factories import (
    AccountFactory,
    AccountRevenueFactory,
    AccountTeamMemberFactory,
    ActivityFactory,
    make_user,
)


@pytest.fixture
def dmu(kam_user, member):  # type: ignore[no-untyped-def]
    """kam1 owns 'Vandenberg Retail'; member1 (supply chain) is on its core team.

    Contacts: Eva (commercial director, decider, champion), Bram (buyer, reports to Eva),
    Claire (supply chain manager, influencer). Meetings: kam1 met Bram 8 times in the last
    year, Eva once; member1 met Claire 4 times.
    """
    member.profile.function = Function.SUPPLY_CHAIN
    member.profile.save()
    account = AccountFactory(
        owner=kam_user, name="Vandenberg Retail", email_domains=["vandenberg.example"]
    )
    AccountTeamMemberFactory(
        account=account, user=member, team_role=TeamRole.CORE, planned_hours=60
    )
    today = dt.date.today()
    for year in (today.year - 1, today.year - 2):
        AccountRevenueFactory(account=account, year=year, amount=Decimal("1000000"))
    eva = contact_create(
        user=kam_user,
        account=account,
        name="Eva Jansen",
        title="Commercial Director",
        function="category",
        seniority=1,
        buying_roles=["decider"],
        influence=5,
        attitude="champion",
        email="eva@vandenberg.example",
    )
    bram = contact_create(
        user=kam_user,
        account=account,
        name="Bram de Vries",
        title="Buyer",
        function="purchasing",
        seniority=3,
        buying_roles=["buyer"],
        influence=3,
        reports_to=eva.pk,
        email="bram@vandenberg.example",
    )
    claire = contact_create(
        user=kam_user,
        account=account,
        name="Claire Bos",
        title="Supply Chain Manager",
        function="supply_chain",
        seniority=3,
        buying_roles=["influencer"],
        influence=3,
    )

    def meet(days_ago: int, user, *contacts):  # type: ignore[no-untyped-def]
        return ActivityFactory(
            account=account,
            date=today - dt.timedelta(days=days_ago),
            duration_minutes=60,
            type="meeting",
            contact_names=[c.name for c in contacts],
            participants=[user],
            contacts=contacts,
        )

    for i in range(8):
        meet(10 + 40 * i, kam_user, bram)
    meet(30, kam_user, eva)
    for i in range(4):
        meet(20 + 80 * i, member, claire)
    director = make_user(Role.SALES_DIRECTOR, username="dir")
    # what the findings_refresh job does once the transaction commits (tests roll back)
    findings_refresh()
    return {
        "account": account,
        "eva": eva,
        "bram": bram,
        "claire": claire,
        "kam": kam_user,
        "member": member,
        "director": director,
    }
