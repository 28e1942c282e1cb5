"""factory_boy factories for kam's models; tests build data through these or real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from kam.accounts.models import Account, AccountRevenue, AccountTeamMember
from kam.users.models import Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")


def make_user(role: str = Role.VIEWER, **kwargs):  # type: ignore[no-untyped-def]
    """A saved user with a profile in ``role``; password ``pw-for-tests-1``."""
    user = UserFactory(**kwargs)
    user.save()
    user.profile.role = role
    user.profile.save()
    return user


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Customer {n}")
    external_id = factory.Sequence(lambda n: f"C{n:05d}")
    country = "NL"
    channel = "retail"
    currency = "EUR"


class AccountTeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountTeamMember

    account = factory.SubFactory(AccountFactory)
    user = factory.LazyFunction(make_user)


class AccountRevenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountRevenue

    account = factory.SubFactory(AccountFactory)
    year = dt.date.today().year - 1
    amount = Decimal("100000.00")
