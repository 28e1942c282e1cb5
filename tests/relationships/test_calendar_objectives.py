"""Calendar events name the plan objective they are about with a tag ``#obj-<code>`` in the
summary or description; a tag that names nothing refuses the file, naming the event."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.activities.calendar import CalendarImportError, calendar_run
from kam.activities.models import Activity
from kam.plans import services
from kam.plans.conversations import objective_code
from tests.relationships.test_calendar import NOW, ics, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def event(uid: str, summary: str, day: str, *, description: str = "") -> str:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SUMMARY:{summary}",
        f"DTSTART:{day}T090000Z",
        f"DTEND:{day}T100000Z",
        "ORGANIZER:mailto:kam1@supplier.example",
        "ATTENDEE;CN=Anna de Wit:mailto:anna@vandenberg.example",
    ]
    if description:
        lines.append(f"DESCRIPTION:{description}")
    return "\r\n".join([*lines, "END:VEVENT"])


@pytest.fixture
def objectives(world):  # type: ignore[no-untyped-def]  # noqa: F811
    plan = services.plan_create(
        user=world["kam"],
        account=world["account"],
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )

    def item(kind: str, title: str):  # type: ignore[no-untyped-def]
        return services.item_create(user=world["kam"], plan=plan, kind=kind, data={"title": title})

    return {
        "soups": item("objective", "Grow chilled soups"),
        "vp": item("value_proposition", "VMI"),
    }


def test_a_tag_in_the_summary_or_description_ties_the_meeting(world, objectives):  # type: ignore[no-untyped-def]  # noqa: F811
    soups, vp = objectives["soups"], objectives["vp"]
    content = ics(
        event("e-1", f"Soup review #obj-{objective_code(soups)}", "20260203"),
        event("e-2", "VMI follow-up", "20260210", description=f"Agenda\\n#OBJ-{vp.uid.hex[:8]}"),
        event("e-3", "Catch-up", "20260217"),
    )
    summary = calendar_run(user=world["kam"], content=content, now=NOW)
    assert summary.created == 3
    got = {a.external_uid: (a.topic, a.objective) for a in Activity.objects.all()}
    assert got == {
        "ics:e-1": ("Soup review", soups),  # the tag is left out of the topic
        "ics:e-2": ("VMI follow-up", vp),
        "ics:e-3": ("Catch-up", None),
    }


def test_a_rerun_ties_a_meeting_tagged_since(world, objectives):  # type: ignore[no-untyped-def]  # noqa: F811
    calendar_run(user=world["kam"], content=ics(event("e-1", "Soup review", "20260203")), now=NOW)
    assert Activity.objects.get().objective is None
    tagged = ics(
        event("e-1", f"Soup review #obj-{objective_code(objectives['soups'])}", "20260203")
    )
    summary = calendar_run(user=world["kam"], content=tagged, now=NOW)
    assert (summary.created, summary.unchanged, summary.objectives_tied) == (0, 1, 1)
    assert Activity.objects.get().objective == objectives["soups"]


def test_an_unknown_tag_refuses_the_file_naming_the_event(world, objectives):  # type: ignore[no-untyped-def]  # noqa: F811
    code = objective_code(objectives["soups"])
    content = ics(
        event("e-1", f"Soup review #obj-{code}", "20260203"),
        event("e-2", "Price talk #obj-000000", "20260210"),
        event("e-3", f"Two things #obj-{code}", "20260217", description="#obj-abcdef"),
    )
    with pytest.raises(CalendarImportError) as exc:
        calendar_run(user=world["kam"], content=content, now=NOW)
    report = sorted((p.column, p.reason) for p in exc.value.report)
    assert len(report) == 2
    (field_1, reason_1), (field_2, reason_2) = report
    assert field_1 == "DESCRIPTION" and "event 3" in reason_1 and '"Two things' in reason_1
    assert "names 2 objectives" in reason_1
    assert field_2 == "SUMMARY" and "event 2" in reason_2 and "UID e-2" in reason_2
    assert "'000000' is no objective or value proposition of plan 2026" in reason_2
    assert Activity.objects.count() == 0  # all or nothing
