"""Account services: field rules, group cycles, owners, teams, revenue and who may write."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kam.accounts.models import Account, AccountRevenue, TeamRole
from kam.accounts.services import (
    account_create,
    account_revenue_set,
    account_team_set,
    account_update,
)
from kam.errors import ApplicationError
from kam.users.models import Role
from tests.factories import AccountFactory, AccountTeamMemberFactory, make_user

pytestmark = pytest.mark.django_db


def test_director_creates_account_with_clean_codes(director, kam_user):
    account = account_create(
        user=director,
        external_id=" C-1 ",
        name="  Jumbo  ",
        country="nl",
        currency="eur",
        channel="retail",
        owner=kam_user,
    )
    account.refresh_from_db()
    assert (account.external_id, account.name, account.country, account.currency) == (
        "C-1",
        "Jumbo",
        "NL",
        "EUR",
    )
    assert account.owner == kam_user


def test_currency_defaults_to_base_currency(director):
    account = account_create(user=director, external_id="C-1", name="A", country="DE")
    assert account.currency == "EUR"


@pytest.mark.parametrize("country", ["Holland", "N", "XX", "", "NLD"])
def test_country_must_be_iso_alpha2(director, country):
    with pytest.raises(ApplicationError) as exc:
        account_create(user=director, external_id="C-1", name="A", country=country)
    assert exc.value.field == "country"
    assert "two-letter ISO country code" in exc.value.message
    assert not Account.objects.exists()


@pytest.mark.parametrize("currency", ["EURO", "eu", "ABC", "€"])
def test_currency_must_be_iso_4217(director, currency):
    with pytest.raises(ApplicationError) as exc:
        account_create(user=director, external_id="C-1", name="A", country="NL", currency=currency)
    assert exc.value.field == "currency"


def test_duplicate_external_id_is_refused(director):
    account_create(user=director, external_id="C-1", name="A", country="NL")
    with pytest.raises(ApplicationError) as exc:
        account_create(user=director, external_id="C-1", name="B", country="NL")
    assert exc.value.status == 409
    assert Account.objects.count() == 1


@pytest.mark.parametrize("role", [Role.TEAM_MEMBER, Role.VIEWER])
def test_owner_must_be_manager_role(director, role):
    person = make_user(role)
    with pytest.raises(ApplicationError) as exc:
        account_create(user=director, external_id="C-1", name="A", country="NL", owner=person)
    assert exc.value.field == "owner"


@pytest.mark.parametrize(
    "role", [Role.KEY_ACCOUNT_MANAGER, Role.SALES_DIRECTOR, Role.ADMINISTRATOR]
)
def test_owner_may_be_kam_director_or_admin(director, role):
    person = make_user(role)
    account = account_create(user=director, external_id="C-1", name="A", country="NL", owner=person)
    assert account.owner == person


def test_kam_creates_only_own_accounts(kam_user, other_kam):
    account = account_create(user=kam_user, external_id="C-1", name="A", country="NL")
    assert account.owner == kam_user
    with pytest.raises(ApplicationError) as exc:
        account_create(user=kam_user, external_id="C-2", name="B", country="NL", owner=other_kam)
    assert exc.value.status == 403


@pytest.mark.parametrize("fixture", ["member", "viewer"])
def test_member_and_viewer_cannot_create(request, fixture):
    with pytest.raises(ApplicationError) as exc:
        account_create(
            user=request.getfixturevalue(fixture), external_id="C-1", name="A", country="NL"
        )
    assert exc.value.status == 403


def test_parent_cannot_be_itself(director):
    account = AccountFactory()
    with pytest.raises(ApplicationError) as exc:
        account_update(user=director, account=account, parent=account)
    assert exc.value.field == "parent"


def test_parent_cannot_create_cycle(director):
    group = AccountFactory()
    country = AccountFactory(parent=group)
    store = AccountFactory(parent=country)
    with pytest.raises(ApplicationError) as exc:
        account_update(user=director, account=group, parent=store)
    assert exc.value.field == "parent"
    group.refresh_from_db()
    assert group.parent is None


def test_parent_change_within_tree_is_allowed(director):
    group = AccountFactory()
    a = AccountFactory(parent=group)
    b = AccountFactory(parent=group)
    account_update(user=director, account=b, parent=a)
    b.refresh_from_db()
    assert b.parent == a


def test_kam_updates_own_account_but_not_others(kam_user, other_kam):
    own = AccountFactory(owner=kam_user)
    other = AccountFactory(owner=other_kam)
    account_update(user=kam_user, account=own, name="Renamed", channel="online")
    own.refresh_from_db()
    assert (own.name, own.channel) == ("Renamed", "online")
    with pytest.raises(ApplicationError) as exc:
        account_update(user=kam_user, account=other, name="Hijack")
    assert exc.value.status == 404
    other.refresh_from_db()
    assert other.name != "Hijack"


def test_kam_cannot_hand_account_to_someone_else(kam_user, other_kam, director):
    own = AccountFactory(owner=kam_user)
    with pytest.raises(ApplicationError) as exc:
        account_update(user=kam_user, account=own, owner=other_kam)
    assert exc.value.status == 403
    account_update(user=director, account=own, owner=other_kam)
    own.refresh_from_db()
    assert own.owner == other_kam


def test_viewer_reads_but_may_not_write(viewer):
    account = AccountFactory()
    with pytest.raises(ApplicationError) as exc:
        account_update(user=viewer, account=account, name="X")
    assert exc.value.status == 403


def test_team_member_may_not_write_served_account(member):
    account = AccountFactory()
    AccountTeamMemberFactory(account=account, user=member)
    with pytest.raises(ApplicationError) as exc:
        account_revenue_set(user=member, account=account, revenues={2024: Decimal("1")})
    assert exc.value.status == 403


def test_team_set_replaces_team(director, kam_user, member):
    account = AccountFactory(owner=kam_user)
    extra = make_user(Role.TEAM_MEMBER)
    account_team_set(user=director, account=account, core=[member, extra])
    team = account_team_set(user=director, account=account, core=[member], surround=[extra])
    assert {(m.user, m.team_role) for m in team} == {
        (member, TeamRole.CORE),
        (extra, TeamRole.SURROUND),
    }
    account_team_set(user=director, account=account, core=[], surround=[])
    assert not account.team.exists()


def test_team_rejects_owner_and_double_seat(director, kam_user, member):
    account = AccountFactory(owner=kam_user)
    with pytest.raises(ApplicationError):
        account_team_set(user=director, account=account, core=[kam_user])
    with pytest.raises(ApplicationError):
        account_team_set(user=director, account=account, core=[member], surround=[member])
    assert not account.team.exists()


def test_kam_on_team_may_edit_served_account(kam_user, other_kam, member):
    account = AccountFactory(owner=other_kam)
    AccountTeamMemberFactory(account=account, user=kam_user)
    team = account_team_set(user=kam_user, account=account, core=[kam_user, member])
    assert {m.user for m in team} == {kam_user, member}


def test_revenue_set_merges_years_and_none_removes(director):
    account = AccountFactory()
    account_revenue_set(
        user=director, account=account, revenues={2024: "1000", 2025: Decimal("2000.5")}
    )
    rows = account_revenue_set(user=director, account=account, revenues={2024: None, 2026: 3})
    assert [(r.year, r.amount) for r in rows] == [
        (2025, Decimal("2000.50")),
        (2026, Decimal("3.00")),
    ]


@pytest.mark.parametrize(
    ("year", "amount"), [(2025, "abc"), (2025, "-5"), (1800, "5"), (2025, "1,234.50")]
)
def test_revenue_set_refuses_bad_values(director, year, amount):
    account = AccountFactory()
    with pytest.raises(ApplicationError):
        account_revenue_set(user=director, account=account, revenues={year: amount})
    assert not AccountRevenue.objects.exists()
