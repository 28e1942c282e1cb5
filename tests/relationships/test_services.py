"""Contacts, links, team, stage and positioning services, and the maps built for kam.core."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.activities import contact_privacy
from kam.activities.models import Activity
from kam.core import relationships as core
from kam.errors import ApplicationError
from kam.organisation.models import BoxPolicy
from kam.organisation.selectors import organisation_get
from kam.relationships import services
from kam.relationships.models import ContactLink, ErasureRecord
from kam.relationships.selectors import account_data, ckey, ukey
from tests.factories import PlacementFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def test_links_are_derived_from_activities(dmu):  # type: ignore[no-untyped-def]
    d = account_data(user=dmu["kam"], account_id=dmu["account"].pk)
    links = {(lk.ours, lk.theirs): lk for lk in d.links}
    # 8 meetings in 365 days: 8 a year, strong; last one 10 days ago.
    bram = links[(ukey(dmu["kam"].pk), ckey(dmu["bram"].pk))]
    assert bram.strength == core.Strength.STRONG
    assert bram.meetings_per_year == pytest.approx(8.0)
    assert bram.last_met == dt.date.today() - dt.timedelta(days=10)
    # one meeting: weak
    assert links[(ukey(dmu["kam"].pk), ckey(dmu["eva"].pk))].strength == core.Strength.WEAK
    # 4 a year: medium
    assert links[(ukey(dmu["member"].pk), ckey(dmu["claire"].pk))].strength == core.Strength.MEDIUM


def test_findings_name_the_uncovered_decider(dmu):  # type: ignore[no-untyped-def]
    d = account_data(user=dmu["kam"], account_id=dmu["account"].pk)
    kinds = {(f.kind, f.subject) for f in d.findings}
    assert (core.FindingKind.UNCOVERED_DECIDER, ckey(dmu["eva"].pk)) in kinds
    assert (core.FindingKind.UNCOVERED_DECIDER, ckey(dmu["claire"].pk)) not in kinds


def test_a_manual_link_covers_the_decider(dmu):  # type: ignore[no-untyped-def]
    services.link_set(
        user=dmu["kam"],
        contact=dmu["eva"],
        person=dmu["director"],
        strength="strong",
        meetings_per_year=6,
    )
    d = account_data(user=dmu["kam"], account_id=dmu["account"].pk)
    manual = [lk for lk in d.links if not lk.derived]
    assert [(lk.ours, lk.strength) for lk in manual] == [
        (ukey(dmu["director"].pk), core.Strength.STRONG)
    ]
    assert core.FindingKind.UNCOVERED_DECIDER not in {
        f.kind for f in d.findings if f.subject == ckey(dmu["eva"].pk)
    }
    services.link_set(user=dmu["kam"], contact=dmu["eva"], person=dmu["director"], strength="none")
    assert not ContactLink.objects.exists()


def test_expected_functions_missing_from_the_team(dmu):  # type: ignore[no-untyped-def]
    from kam.organisation.services import expected_functions_set
    from kam.portfolio.models import Placement

    review = _review_with(dmu["account"], "key")
    assert review is not None and Placement.objects.filter(review=review).exists()
    expected_functions_set(box_functions={"key": ["sales", "supply_chain", "finance"]})
    assert BoxPolicy.objects.get(organisation=organisation_get(), box="key").expected_functions == [
        "sales",
        "supply_chain",
        "finance",
    ]
    d = account_data(user=dmu["kam"], account_id=dmu["account"].pk)
    missing = [f.subject for f in d.findings if f.kind == core.FindingKind.MISSING_FUNCTION]
    assert missing == ["finance"]


def _review_with(account, box):  # type: ignore[no-untyped-def]
    from kam.portfolio.models import ReviewStatus

    # only a closed review is the portfolio
    review = ReviewFactory(review_date=dt.date.today(), status=ReviewStatus.CLOSED)
    PlacementFactory(review=review, account=account, box=box)
    return review


def test_reports_to_must_not_loop(dmu):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as exc:
        services.contact_update(user=dmu["kam"], contact=dmu["eva"], reports_to=dmu["bram"].pk)
    assert exc.value.field == "reports_to"


def test_contact_rules(dmu):  # type: ignore[no-untyped-def]
    kam, account = dmu["kam"], dmu["account"]
    for bad, field in (
        ({"name": ""}, "name"),
        ({"name": "X", "influence": 6}, "influence"),
        ({"name": "X", "attitude": "friendly"}, "attitude"),
        ({"name": "X", "buying_roles": ["king"]}, "buying_roles"),
        ({"name": "X", "email": "not-an-address"}, "email"),
        ({"name": "X", "email": "EVA@vandenberg.example"}, "email"),  # taken, whatever the case
        ({"name": "X", "seniority": 9}, "seniority"),
    ):
        with pytest.raises(ApplicationError) as exc:
            services.contact_create(user=kam, account=account, **bad)
        assert exc.value.field == field, bad
    left = services.contact_create(
        user=kam, account=account, name="Gone", left_on=dt.date(2026, 1, 5)
    )
    assert left.has_left and left.number == 4


def test_viewer_and_member_cannot_write(dmu, viewer):  # type: ignore[no-untyped-def]
    for user in (viewer, dmu["member"]):
        with pytest.raises(ApplicationError) as exc:
            services.contact_create(user=user, account=dmu["account"], name="X")
        assert exc.value.status == 403


def test_other_kam_gets_404(dmu, other_kam):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as exc:
        services.contact_update(user=other_kam, contact=dmu["eva"], title="CEO")
    assert exc.value.status == 404
    with pytest.raises(ApplicationError) as exc:
        account_data(user=other_kam, account_id=dmu["account"].pk)
    assert exc.value.status == 404


def test_team_function_and_hours(dmu):  # type: ignore[no-untyped-def]
    services.team_member_set(
        user=dmu["kam"],
        account=dmu["account"],
        person=dmu["director"],
        team_role="surround",
        function="management",
        planned_hours=16,
    )
    services.team_member_set(
        user=dmu["kam"], account=dmu["account"], person=dmu["kam"], planned_hours=240
    )
    d = account_data(user=dmu["kam"], account_id=dmu["account"].pk)
    seats = {
        m.user.username: (str(m.role), m.function, m.planned_hours, m.on_team) for m in d.members
    }
    assert seats["kam1"] == ("key_account_manager", "sales", 240, True)
    assert seats["dir"] == ("surround", "management", 16, True)
    assert seats["member1"] == ("core", "supply_chain", 60, True)
    with pytest.raises(ApplicationError):
        services.team_member_set(
            user=dmu["kam"], account=dmu["account"], person=dmu["director"], planned_hours=-1
        )


def test_stage_override_keeps_both_stages(dmu):  # type: ignore[no-untyped-def]
    d = account_data(user=dmu["kam"], account_id=dmu["account"].pk)
    services.stage_inferred_store(account=dmu["account"], stage=d.stage.stage.value)
    with pytest.raises(ApplicationError) as exc:
        services.stage_override(
            user=dmu["kam"], account=dmu["account"], stage="integrated", reason=""
        )
    assert exc.value.field == "reason"
    rel = services.stage_override(
        user=dmu["kam"], account=dmu["account"], stage="integrated", reason="Shared VMI since May"
    )
    assert rel.inferred_stage == d.stage.stage.value
    assert (rel.chosen_stage, rel.chosen_by, rel.stage) == ("integrated", dmu["kam"], "integrated")
    assert rel.chosen_at is not None
    rel = services.stage_override(user=dmu["kam"], account=dmu["account"], stage="", reason="")
    assert rel.stage == d.stage.stage.value


def test_positioning_mismatch_warns(dmu):  # type: ignore[no-untyped-def]
    _review_with(dmu["account"], "key")
    services.positioning_set(
        user=dmu["kam"], account=dmu["account"], view="leverage", note="e-auctions"
    )
    d = account_data(user=dmu["kam"], account_id=dmu["account"].pk)
    assert len(d.warnings) == 1 and "price pressure" in d.warnings[0].message
    services.positioning_set(user=dmu["kam"], account=dmu["account"], view="strategic")
    assert account_data(user=dmu["kam"], account_id=dmu["account"].pk).warnings == []


def test_export_holds_everything_on_the_person(dmu):  # type: ignore[no-untyped-def]
    services.link_set(
        user=dmu["kam"],
        contact=dmu["eva"],
        person=dmu["director"],
        strength="medium",
        note="dinner",
    )
    data = contact_privacy.contact_export(user=dmu["kam"], contact=dmu["eva"])
    assert data["contact"]["name"] == "Eva Jansen"
    assert data["contact"]["email"] == "eva@vandenberg.example"
    assert data["contact"]["lawful_basis"] == "legitimate_interest"
    assert len(data["activities"]) == 1
    assert data["manual_links"][0]["note"] == "dinner"
    import json

    json.dumps(data)  # JSON-ready


def test_erasure_anonymises_and_keeps_history(dmu):  # type: ignore[no-untyped-def]
    eva, bram = dmu["eva"], dmu["bram"]
    services.link_set(user=dmu["kam"], contact=eva, person=dmu["director"], strength="medium")
    activities_before = Activity.objects.count()
    record = contact_privacy.contact_erase(user=dmu["kam"], contact=eva)
    eva.refresh_from_db()
    assert (eva.name, eva.title, eva.email, eva.buying_roles) == ("", "", "", [])
    assert eva.display_name == "Former contact #1"
    assert eva.erased_at is not None
    assert Activity.objects.count() == activities_before
    meeting = eva.activities.get()
    assert meeting.contact_names == ["Former contact #1"]
    assert not ContactLink.objects.filter(contact=eva).exists()
    assert ErasureRecord.objects.get() == record
    assert (record.contact_number, record.erased_by, record.activities_kept) == (1, dmu["kam"], 1)
    bram.refresh_from_db()
    assert bram.reports_to == eva  # the org chart keeps its shape
    exported = contact_privacy.contact_export(user=dmu["kam"], contact=eva)
    assert exported["contact"]["name"] == "Former contact #1"
    assert "Eva" not in str(exported)
    with pytest.raises(ApplicationError) as exc:
        contact_privacy.contact_erase(user=dmu["kam"], contact=eva)
    assert exc.value.status == 409


def test_delete_refuses_a_contact_with_history(dmu):  # type: ignore[no-untyped-def]
    with pytest.raises(ApplicationError) as exc:
        services.contact_delete(user=dmu["kam"], contact=dmu["bram"])
    assert exc.value.status == 409


def test_domains_belong_to_one_account(dmu, kam_user):  # type: ignore[no-untyped-def]
    from tests.factories import AccountFactory

    other = AccountFactory(owner=kam_user)
    with pytest.raises(ApplicationError) as exc:
        services.account_domains_set(user=kam_user, account=other, domains=["Vandenberg.example"])
    assert "Vandenberg Retail" in exc.value.message
    with pytest.raises(ApplicationError):
        services.account_domains_set(user=kam_user, account=other, domains=["not a domain"])
    assert services.account_domains_set(
        user=kam_user, account=other, domains=["@Other.example", "other.example"]
    ).email_domains == ["other.example"]
