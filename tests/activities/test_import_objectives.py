"""The activity file's ``objective`` column: an objective or value proposition of the row's
account's plan, named by its code or its exact title; a wrong name refuses the file with its
row and column (all or nothing)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kam.activities.imports import ActivityImportError, activity_import
from kam.activities.models import Activity
from kam.plans import services
from kam.plans.conversations import objective_code
from kam.relationships.services import contact_create

pytestmark = pytest.mark.django_db

FILE = Path(__file__).parent / "data" / "activities-with-objectives.csv"
HEADER = "date,account,duration_minutes,type,participants,contacts,topic,notes,uid,objective"


@pytest.fixture
def plan_items(kam_user, accounts):  # type: ignore[no-untyped-def]
    """OWN-1's 2026 plan: two objectives, a value proposition and a project."""
    own = accounts["own"]
    contact_create(user=kam_user, account=own, name="Anna de Wit")
    plan = services.plan_create(
        user=kam_user,
        account=own,
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )

    def item(kind: str, title: str):  # type: ignore[no-untyped-def]
        return services.item_create(user=kam_user, plan=plan, kind=kind, data={"title": title})

    return {
        "soups": item("objective", "Grow chilled soups"),
        "price": item("objective", "Raise our net price"),
        "shelves": item("value_proposition", "Fewer empty shelves"),
        "pilot": item("project", "VMI pilot"),
    }


def test_a_file_with_an_objective_column_ties_each_row(kam_user, plan_items):  # type: ignore[no-untyped-def]
    summary = activity_import(user=kam_user, content=FILE.read_bytes(), filename=FILE.name)
    assert summary.created == 4
    tied = dict(Activity.objects.values_list("external_uid", "objective__title"))
    assert tied == {
        "obj-1": "Grow chilled soups",
        "obj-2": "Raise our net price",  # the title without regard to case
        "obj-3": "Fewer empty shelves",
        "obj-4": None,  # an empty cell ties nothing
    }


def test_the_code_names_an_objective_with_or_without_the_tag(kam_user, plan_items):  # type: ignore[no-untyped-def]
    code = objective_code(plan_items["price"])
    content = (
        f"{HEADER}\n"
        f"2026-05-06,OWN-1,60,visit,kam1,,,,c-1,{code}\n"
        f"2026-05-07,OWN-1,60,visit,kam1,,,,c-2,#obj-{code.upper()}\n"
    ).encode()
    assert activity_import(user=kam_user, content=content, filename="a.csv").created == 2
    assert {a.objective for a in Activity.objects.all()} == {plan_items["price"]}


def test_a_wrong_reference_refuses_the_file_naming_row_and_column(kam_user, plan_items):  # type: ignore[no-untyped-def]
    content = FILE.read_bytes() + (
        b"2026-05-06,OWN-1,60,visit,kam1,,,,bad-1,Win the tender\n"
        b"2026-05-07,OWN-1,60,visit,kam1,,,,bad-2,VMI pilot\n"
        b"2026-05-08,SRV-1,60,visit,kam1,,,,bad-3,Grow chilled soups\n"
    )
    with pytest.raises(ActivityImportError) as exc:
        activity_import(user=kam_user, content=content, filename="a.csv")
    report = [(p.row, p.column, p.reason) for p in exc.value.report]
    # kam1 cannot read SRV-1, so row 8 fails on its account and its objective is not looked up.
    assert [(row, column) for row, column, _r in report] == [
        (6, "objective"),
        (7, "objective"),
        (8, "account"),
    ]
    assert "'Win the tender' is no objective or value proposition of plan 2026" in report[0][2]
    assert "'VMI pilot' is no objective" in report[1][2]  # a project is not one
    assert Activity.objects.count() == 0  # all or nothing


def test_an_account_without_a_plan_is_told_so(director, accounts):  # type: ignore[no-untyped-def]
    content = f"{HEADER}\n2026-05-08,SRV-1,60,visit,member1,,,,,Grow chilled soups\n".encode()
    with pytest.raises(ActivityImportError) as exc:
        activity_import(user=director, content=content, filename="a.csv")
    [problem] = exc.value.report
    assert (problem.row, problem.column) == (2, "objective")
    assert "has no plan" in problem.reason
