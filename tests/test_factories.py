"""Every factory of tests/factories.py makes a row kam itself would accept (the model's
validation: fields, choices, uniqueness and constraints), and building one unsaved makes no
query, so a test that only needs an object in memory costs no database work."""

from __future__ import annotations

import inspect

import factory
import pytest

from tests import factories

FACTORIES = sorted(
    (
        cls
        for cls in vars(factories).values()
        if inspect.isclass(cls)
        and issubclass(cls, factory.django.DjangoModelFactory)
        and cls.__module__ == factories.__name__
    ),
    key=lambda cls: cls.__name__,
)


def test_the_main_models_have_factories() -> None:
    models = {cls._meta.model.__name__ for cls in FACTORIES}
    assert {
        "Account",
        "AccountTeamMember",
        "Contact",
        "ContactLink",
        "Criterion",
        "Review",
        "Rating",
        "Placement",
        "Activity",
        "Plan",
        "PlanItem",
        "PlanAction",
        "PlanningPeriod",
        "AllocationLine",
        "AccountRevenue",
        "CostToServeItem",
        "Investment",
        "Preferences",
        "CustomerUpdate",
        "Job",
    } <= models


@pytest.mark.django_db
@pytest.mark.parametrize("model_factory", FACTORIES, ids=lambda cls: cls.__name__)
def test_a_created_row_passes_the_models_validation(model_factory) -> None:  # type: ignore[no-untyped-def]
    first = model_factory.create()
    second = model_factory.create()  # a second one does not collide with the first
    first.full_clean()
    second.full_clean()
    assert first.pk is not None and second.pk != first.pk


@pytest.mark.django_db
@pytest.mark.parametrize("model_factory", FACTORIES, ids=lambda cls: cls.__name__)
def test_a_built_row_makes_no_query(model_factory, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        row = model_factory.build()
    assert row.pk is None
