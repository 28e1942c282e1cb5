"""Contact matrix, coverage findings, stage and positioning (docs/method.md sections 3 and 4).

Hand-made accounts for every stage and every finding (present and absent), the contact
matrix from hand-made meetings, and hypothesis properties of the findings.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam.core.relationships.coverage import Finding, findings
from kam.core.relationships.data import AccountMap, Contact, Link, Meeting, TeamMember
from kam.core.relationships.graph import bow_tie_pair
from kam.core.relationships.links import (
    contact_last_met,
    derive_links,
    half_year_counts,
    months_before,
    strength_for_rate,
)
from kam.core.relationships.messages import Message
from kam.core.relationships.positioning import positioning_warnings
from kam.core.relationships.stage import infer_stage
from kam.core.relationships.vocabulary import (
    MARKER_LABELS,
    Attitude,
    BuyingRole,
    CustomerView,
    FindingKind,
    Stage,
    Strength,
    TeamRole,
)

AS_OF = date(2026, 11, 27)


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def contact(
    key: str,
    *,
    function: str = "Purchasing",
    seniority: int = 3,
    reports_to: str | None = None,
    roles: tuple[BuyingRole, ...] = (),
    influence: int = 3,
    attitude: Attitude = Attitude.NEUTRAL,
    left: bool = False,
    left_on: date | None = None,
) -> Contact:
    return Contact(
        key=key,
        name=f"{key.title()} (them)",
        function=function,
        seniority=seniority,
        reports_to=reports_to,
        buying_roles=frozenset(roles),
        influence=influence,
        attitude=attitude,
        left=left,
        left_on=left_on,
    )


def member(
    key: str, function: str = "sales", role: TeamRole = TeamRole.CORE, *, senior: bool = False
) -> TeamMember:
    return TeamMember(key, f"{key.title()} (us)", function, role, senior)


def link(ours: str, theirs: str, strength: Strength, last_met: date | None = None) -> Link:
    rate = {Strength.NONE: 0.0, Strength.WEAK: 1.0, Strength.MEDIUM: 4.0, Strength.STRONG: 8.0}
    met = last_met if last_met is not None else (None if strength is Strength.NONE else ago(20))
    return Link(ours, theirs, strength, rate[strength], met, True)


KAM = member("kam", "sales", TeamRole.KEY_ACCOUNT_MANAGER)
SUPPLY = member("supply", "supply_chain")
FINANCE = member("finance", "finance")
RND = member("rnd", "rnd")
MD = member("md", "management", senior=True)

BUYER = contact("buyer", roles=(BuyingRole.BUYER,), influence=3, attitude=Attitude.SUPPORTER)
CEO = contact("ceo", function="Board", seniority=1, roles=(BuyingRole.DECIDER,), influence=5)
LOGISTICS = contact("logistics", function="Logistics", seniority=3, reports_to="ceo")
CONTROLLER = contact("controller", function="Finance", seniority=3, reports_to="ceo")
QA = contact("qa", function="Quality", seniority=3, reports_to="ceo")


def amap(
    *,
    contacts: tuple[Contact, ...] = (BUYER,),
    team: tuple[TeamMember, ...] = (KAM,),
    links: tuple[Link, ...] = (),
    box: str = "key",
    cadence: int = 3,
    expected: frozenset[str] = frozenset(),
    has_business: bool = True,
    regular: bool = True,
    joint_plan: bool = False,
    joint_projects: int = 0,
    shared_systems: bool = False,
    last_half: int = 10,
    previous_half: int = 10,
    previous_stage: Stage | None = None,
) -> AccountMap:
    return AccountMap(
        as_of=AS_OF,
        box=box,
        review_cadence_months=cadence,
        contacts=contacts,
        team=team,
        links=links,
        expected_functions=expected,
        has_business=has_business,
        regular_business=regular,
        has_joint_plan=joint_plan,
        joint_projects=joint_projects,
        shared_systems=shared_systems,
        meetings_last_half=last_half,
        meetings_previous_half=previous_half,
        previous_stage=previous_stage,
    )


def of_kind(account_map: AccountMap, kind: FindingKind) -> list[Finding]:
    return [f for f in findings(account_map) if f.kind is kind]


# --- the contact matrix -------------------------------------------------------------------


def meet(day: date, ours: str | tuple[str, ...], theirs: str | tuple[str, ...]) -> Meeting:
    o = (ours,) if isinstance(ours, str) else ours
    t = (theirs,) if isinstance(theirs, str) else theirs
    return Meeting(day, frozenset(o), frozenset(t))


def test_strength_thresholds_per_year() -> None:
    assert strength_for_rate(6.0) is Strength.STRONG
    assert strength_for_rate(5.99) is Strength.MEDIUM
    assert strength_for_rate(3.0) is Strength.MEDIUM
    assert strength_for_rate(2.0) is Strength.WEAK
    assert strength_for_rate(1.0) is Strength.WEAK
    assert strength_for_rate(0.5) is Strength.NONE


def test_derive_links_counts_meetings_in_the_window() -> None:
    meetings = [meet(ago(d), "kam", "buyer") for d in (10, 40, 70, 100, 130, 160)]
    meetings += [meet(ago(d), "kam", "qa") for d in (15, 60, 110)]
    meetings += [meet(ago(5), "supply", "logistics")]
    links = {(lk.ours, lk.theirs): lk for lk in derive_links(meetings, as_of=AS_OF)}
    assert links[("kam", "buyer")] == Link("kam", "buyer", Strength.STRONG, 6.0, ago(10), True)
    assert links[("kam", "qa")].strength is Strength.MEDIUM
    assert links[("kam", "qa")].meetings_per_year == 3.0
    assert links[("supply", "logistics")].strength is Strength.WEAK
    assert list(links) == sorted(links)


def test_one_meeting_links_every_participant_pair() -> None:
    links = derive_links([meet(ago(3), ("kam", "md"), ("buyer", "ceo"))], as_of=AS_OF)
    assert {(lk.ours, lk.theirs) for lk in links} == {
        ("kam", "buyer"),
        ("kam", "ceo"),
        ("md", "buyer"),
        ("md", "ceo"),
    }
    assert all(lk.strength is Strength.WEAK and lk.derived for lk in links)


def test_recency_drops_a_stale_link_one_step() -> None:
    # eight meetings, all between 200 and 340 days ago: 8 a year, but the last is stale
    meetings = [meet(ago(d), "kam", "buyer") for d in (200, 220, 240, 260, 280, 300, 320, 340)]
    (lk,) = derive_links(meetings, as_of=AS_OF)
    assert lk.meetings_per_year == 8.0
    assert lk.strength is Strength.MEDIUM
    assert lk.last_met == ago(200)
    # one meeting 183 days ago: weak stays weak
    (lk,) = derive_links([meet(ago(183), "kam", "buyer")], as_of=AS_OF)
    assert lk.strength is Strength.WEAK


def test_window_boundaries_and_planned_meetings() -> None:
    inside = meet(ago(364), "kam", "buyer")  # the 365th day of the window
    outside = meet(ago(365), "kam", "qa")
    planned = meet(AS_OF + timedelta(days=1), "kam", "ceo")
    links = {lk.theirs: lk for lk in derive_links([inside, outside, planned], as_of=AS_OF)}
    assert links["buyer"].strength is Strength.WEAK
    assert links["qa"] == Link("kam", "qa", Strength.NONE, 0.0, ago(365), True)
    assert "ceo" not in links


def test_a_shorter_window_scales_the_rate_to_a_year() -> None:
    meetings = [meet(ago(d), "kam", "buyer") for d in (5, 30, 60)]
    (lk,) = derive_links(meetings, as_of=AS_OF, window_days=90)
    assert lk.meetings_per_year == pytest.approx(3 * 365 / 90)
    assert lk.strength is Strength.STRONG
    with pytest.raises(ValueError):
        derive_links(meetings, as_of=AS_OF, window_days=0)


def test_manual_links_kept_without_activity_and_replaced_with_it() -> None:
    manual = [
        Link("kam", "buyer", Strength.STRONG, 0.0, None, False),  # activity exists: replaced
        Link("md", "ceo", Strength.MEDIUM, 0.0, ago(100), False),  # no activity: kept
        Link("kam", "qa", Strength.WEAK, 0.0, ago(500), False),  # older meeting only
    ]
    meetings = [meet(ago(10), "kam", "buyer"), meet(ago(400), "kam", "qa")]
    links = {(lk.ours, lk.theirs): lk for lk in derive_links(meetings, as_of=AS_OF, manual=manual)}
    assert links[("kam", "buyer")].derived
    assert links[("kam", "buyer")].strength is Strength.WEAK
    assert links[("md", "ceo")] == manual[1]
    assert links[("kam", "qa")] == Link("kam", "qa", Strength.WEAK, 0.0, ago(400), False)


def test_the_last_manual_link_for_a_pair_counts() -> None:
    manual = [
        Link("kam", "buyer", Strength.WEAK, 0.0, None, False),
        Link("kam", "buyer", Strength.STRONG, 0.0, None, False),
    ]
    (lk,) = derive_links([], as_of=AS_OF, manual=manual)
    assert lk.strength is Strength.STRONG


@settings(max_examples=60, deadline=None)
@given(
    days=st.lists(st.integers(0, 500), max_size=12),
    extra=st.integers(0, 500),
)
def test_another_meeting_never_weakens_a_link(days: list[int], extra: int) -> None:
    before = {
        lk.theirs: lk for lk in derive_links([meet(ago(d), "k", "t") for d in days], as_of=AS_OF)
    }
    after = derive_links([meet(ago(d), "k", "t") for d in [*days, extra]], as_of=AS_OF)
    order = list(Strength)
    for lk in after:
        if lk.theirs in before:
            assert order.index(lk.strength) >= order.index(before[lk.theirs].strength)


def test_contact_last_met_over_all_links() -> None:
    m = amap(
        contacts=(BUYER, QA),
        team=(KAM, SUPPLY),
        links=(
            link("kam", "buyer", Strength.WEAK, ago(50)),
            link("supply", "buyer", Strength.WEAK, ago(5)),
        ),
    )
    assert contact_last_met(m) == {"buyer": ago(5), "qa": None}


def test_half_year_counts() -> None:
    days = [AS_OF, ago(181), ago(182), ago(363), ago(364), AS_OF + timedelta(days=1)]
    assert half_year_counts(days, as_of=AS_OF) == (2, 2)
    assert half_year_counts([], as_of=AS_OF) == (0, 0)


def test_months_before_clamps_to_the_month_end() -> None:
    assert months_before(date(2026, 11, 27), 3) == date(2026, 8, 27)
    assert months_before(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert months_before(date(2026, 1, 15), 12) == date(2025, 1, 15)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)


# --- findings ----------------------------------------------------------------------------


def test_uncovered_decider_with_only_a_weak_link() -> None:
    m = amap(contacts=(BUYER, CEO), team=(KAM, MD), links=(link("kam", "ceo", Strength.WEAK),))
    (f,) = of_kind(m, FindingKind.UNCOVERED_DECIDER)
    assert f.subject == "ceo"
    assert f.severity == 3
    assert f.why.message == (
        "Ceo (them) decides in the buying process (influence 5), but nobody in our team has "
        "a medium or strong relationship with them; the closest is Kam (us) (weak)."
    )
    assert "Kam (us)" in f.resolve.message and "Ceo (them)" in f.resolve.message
    assert f.people == {"ceo", "kam"}


def test_uncovered_senior_decider_without_any_link_gets_a_senior_member() -> None:
    m = amap(contacts=(BUYER, CEO), team=(KAM, MD), links=(link("kam", "buyer", Strength.STRONG),))
    (f,) = of_kind(m, FindingKind.UNCOVERED_DECIDER)
    assert "closest" not in f.why.message
    assert f.resolve.params["member"] == "Md (us)"


def test_influencer_with_low_influence_is_a_warning() -> None:
    infl = contact("eng", function="Engineering", roles=(BuyingRole.INFLUENCER,), influence=2)
    m = amap(contacts=(BUYER, infl), links=(link("kam", "buyer", Strength.STRONG),))
    (f,) = of_kind(m, FindingKind.UNCOVERED_DECIDER)
    assert f.severity == 2
    assert "influences the buying decision" in f.why.message


def test_economic_buyer_counts_as_a_decider() -> None:
    eb = contact("cfo", function="Finance", seniority=1, roles=(BuyingRole.ECONOMIC_BUYER,))
    (f,) = of_kind(amap(contacts=(eb,)), FindingKind.UNCOVERED_DECIDER)
    assert f.severity == 3


def test_no_uncovered_decider_with_a_medium_link_or_when_gone() -> None:
    m = amap(contacts=(BUYER, CEO), team=(KAM, MD), links=(link("md", "ceo", Strength.MEDIUM),))
    assert of_kind(m, FindingKind.UNCOVERED_DECIDER) == []
    gone = dataclasses.replace(CEO, left=True, left_on=ago(10))
    assert of_kind(amap(contacts=(BUYER, gone)), FindingKind.UNCOVERED_DECIDER) == []
    # a buyer who is no decider or influencer is no uncovered decider
    assert of_kind(amap(contacts=(BUYER,)), FindingKind.UNCOVERED_DECIDER) == []


def test_links_of_people_outside_the_map_do_not_cover() -> None:
    m = amap(contacts=(BUYER, CEO), team=(KAM,), links=(link("ghost", "ceo", Strength.STRONG),))
    (f,) = of_kind(m, FindingKind.UNCOVERED_DECIDER)
    assert "ghost" not in f.why.message and "ghost" not in f.people


def test_bow_tie_single_link() -> None:
    m = amap(
        contacts=(BUYER, QA), team=(KAM, SUPPLY), links=(link("kam", "buyer", Strength.STRONG),)
    )
    (f,) = of_kind(m, FindingKind.BOW_TIE)
    assert f.subject is None
    assert f.severity == 3
    assert "Kam (us) and Buyer (them)" in f.why.message
    assert f.resolve.message == (
        "Build direct links between other functions, for example Supply (us) "
        "(Supply chain) with Qa (them) (Quality)."
    )
    nl = {"Supply chain": "Inkoopketen"}
    assert f.resolve.translated(lambda s: nl.get(s, s)) == (
        "Build direct links between other functions, for example Supply (us) "
        "(Inkoopketen) with Qa (them) (Quality)."
    )
    assert f.people == {"kam", "buyer", "supply", "qa"}


def test_bow_tie_routed_through_the_pair_and_its_severity_by_box() -> None:
    links = (
        link("kam", "buyer", Strength.STRONG),
        link("supply", "buyer", Strength.MEDIUM),
        link("kam", "qa", Strength.WEAK),
    )
    m = amap(contacts=(BUYER, QA), team=(KAM, SUPPLY), links=links, box="maintenance")
    assert bow_tie_pair(links) == ("kam", "buyer")
    (f,) = of_kind(m, FindingKind.BOW_TIE)
    assert f.severity == 1
    assert (
        of_kind(dataclasses.replace(m, box="key_development"), FindingKind.BOW_TIE)[0].severity == 2
    )


def test_no_bow_tie_with_two_separate_threads_or_no_links() -> None:
    links = (link("kam", "buyer", Strength.STRONG), link("supply", "qa", Strength.MEDIUM))
    assert bow_tie_pair(links) is None
    m = amap(contacts=(BUYER, QA), team=(KAM, SUPPLY), links=links)
    assert of_kind(m, FindingKind.BOW_TIE) == []
    assert of_kind(amap(), FindingKind.BOW_TIE) == []
    # links of strength none are no threads
    m = amap(contacts=(BUYER,), links=(link("kam", "buyer", Strength.NONE, ago(400)),))
    assert of_kind(m, FindingKind.BOW_TIE) == []


def test_champion_left_recently() -> None:
    champ = contact(
        "champ", attitude=Attitude.CHAMPION, left=True, left_on=ago(30), reports_to="ceo"
    )
    m = amap(contacts=(champ, CEO, QA))
    (f,) = of_kind(m, FindingKind.CHAMPION_LEFT)
    assert f.subject == "champ"
    assert f.severity == 3  # no champion remains
    assert (
        f.why.message
        == f"Champ (them), a champion of ours, left the customer on {ago(30).isoformat()}."
    )
    assert "ask Ceo (them)" in f.resolve.message  # their manager knows the successor


def test_champion_left_points_to_a_supporter_and_is_milder_with_another_champion() -> None:
    champ = contact("champ", attitude=Attitude.CHAMPION, left=True, left_on=None)
    other = contact("other", attitude=Attitude.CHAMPION)
    (f,) = of_kind(amap(contacts=(champ, BUYER, other)), FindingKind.CHAMPION_LEFT)
    assert f.severity == 2
    assert f.why.message == "Champ (them), a champion of ours, left the customer."
    assert f.resolve.params["candidate"] == "Buyer (them)"


def test_no_champion_left_long_ago_or_still_there() -> None:
    old = contact("champ", attitude=Attitude.CHAMPION, left=True, left_on=ago(400))
    here = contact("here", attitude=Attitude.CHAMPION)
    critic = contact("critic", attitude=Attitude.CRITIC, left=True, left_on=ago(5))
    assert of_kind(amap(contacts=(old, here, critic)), FindingKind.CHAMPION_LEFT) == []


def test_not_met_within_the_cadence() -> None:
    links = (
        link("kam", "buyer", Strength.WEAK, months_before(AS_OF, 3)),  # exactly on the cadence
        link("kam", "qa", Strength.WEAK, months_before(AS_OF, 3) - timedelta(days=1)),
    )
    m = amap(contacts=(BUYER, QA, CEO), team=(KAM, MD), links=links, cadence=3)
    got = {f.subject: f for f in of_kind(m, FindingKind.NOT_MET)}
    assert set(got) == {"qa", "ceo"}
    assert got["qa"].severity == 1
    assert got["qa"].why.message == (
        "Qa (them) was last met on 2026-08-26, longer ago than this account's review "
        "cadence of 3 months."
    )
    assert got["ceo"].severity == 3  # a decider, never met
    assert got["ceo"].why.message == "Ceo (them) has never been met."
    assert (
        got["ceo"].resolve.message == "Plan a meeting of Md (us) with Ceo (them) before 2026-12-27."
    )


def test_not_met_follows_the_box_cadence_and_skips_people_who_left() -> None:
    links = (link("kam", "buyer", Strength.WEAK, ago(200)),)
    gone = contact("gone", left=True, left_on=ago(300))
    assert of_kind(amap(links=links, cadence=12, contacts=(BUYER, gone)), FindingKind.NOT_MET) == []
    (f,) = of_kind(amap(links=links, cadence=6, contacts=(BUYER, gone)), FindingKind.NOT_MET)
    assert f.subject == "buyer"


def test_missing_function() -> None:
    m = amap(
        team=(KAM, SUPPLY), expected=frozenset({"sales", "finance", "supply_chain"}), box="key"
    )
    (f,) = of_kind(m, FindingKind.MISSING_FUNCTION)
    assert f.subject == "finance"
    assert f.severity == 2
    assert f.why.message == (
        "The policy for a key account expects Finance in the account team; nobody in the "
        "team works in Finance."
    )
    nl = {
        "The policy for a %(box)s expects %(function)s in the account team; nobody in the "
        "team works in %(function)s.": "Het beleid voor een %(box)s vraagt %(function)s "
        "in het accountteam; niemand in het team werkt in %(function)s.",
        "key account": "key account",
        "Finance": "Financiën",
    }
    assert f.why.translated(lambda s: nl.get(s, s)) == (
        "Het beleid voor een key account vraagt Financiën in het accountteam; niemand in het "
        "team werkt in Financiën."
    )
    m = amap(team=(KAM, FINANCE), expected=frozenset({"sales", "finance"}))
    assert of_kind(m, FindingKind.MISSING_FUNCTION) == []


def test_findings_are_sorted_most_serious_first() -> None:
    m = amap(
        contacts=(BUYER, CEO, QA),
        team=(KAM,),
        links=(link("kam", "buyer", Strength.STRONG),),
        expected=frozenset({"finance"}),
    )
    sev = [f.severity for f in findings(m)]
    assert sev == sorted(sev, reverse=True)
    assert {f.kind for f in findings(m)} == {
        FindingKind.UNCOVERED_DECIDER,
        FindingKind.BOW_TIE,
        FindingKind.NOT_MET,
        FindingKind.MISSING_FUNCTION,
    }


def test_message_translates_template_and_labels() -> None:
    msg = Message("%(a)s is %(b)s", {"a": "Ann", "b": "strong"}, frozenset({"b"}))
    nl = {"%(a)s is %(b)s": "%(a)s is %(b)s (nl)", "strong": "sterk"}
    assert msg.translated(lambda s: nl.get(s, s)) == "Ann is sterk (nl)"
    assert msg.translated(lambda s: s) == msg.message == str(msg) == "Ann is strong"


# --- the stage --------------------------------------------------------------------------


def stage_of(m: AccountMap) -> Stage:
    return infer_stage(m).stage


def present(m: AccountMap) -> set[str]:
    return {mk.name for mk in infer_stage(m).markers if mk.present}


COOPERATIVE_LINKS = (
    link("kam", "buyer", Strength.STRONG),
    link("supply", "buyer", Strength.MEDIUM),
)
INTERDEPENDENT_TEAM = (KAM, SUPPLY, FINANCE, RND, MD)
INTERDEPENDENT_CONTACTS = (BUYER, CEO, LOGISTICS, CONTROLLER, QA)
INTERDEPENDENT_LINKS = (
    link("kam", "buyer", Strength.STRONG),
    link("md", "ceo", Strength.MEDIUM),
    link("supply", "logistics", Strength.MEDIUM),
    link("finance", "controller", Strength.MEDIUM),
    link("rnd", "qa", Strength.MEDIUM),
)


def interdependent_map(**kw: object) -> AccountMap:
    base = amap(
        contacts=INTERDEPENDENT_CONTACTS,
        team=INTERDEPENDENT_TEAM,
        links=INTERDEPENDENT_LINKS,
        joint_plan=True,
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_every_marker_of_the_table_is_reported() -> None:
    inference = infer_stage(amap())
    names = [(mk.stage, mk.name) for mk in inference.markers]
    assert len(names) == len(set(names)) == 17
    assert {s for s, _ in names} == set(Stage)
    assert {n for _, n in names} == set(MARKER_LABELS)
    assert all(mk.evidence.message for mk in inference.markers)
    assert inference.marker("bow_tie").label == "bow-tie: all through one pair"
    with pytest.raises(KeyError):
        inference.marker("nothing")


def test_exploratory_without_business() -> None:
    m = amap(has_business=False, regular=False, links=(link("kam", "buyer", Strength.WEAK),))
    inference = infer_stage(m)
    assert inference.stage is Stage.EXPLORATORY
    assert inference.summary.message == "Exploratory: no business yet."
    assert "no_business" in present(m)
    assert inference.marker("no_business").evidence.message == "No business with this customer yet."


def test_basic_transactional_bow_tie() -> None:
    m = amap(regular=False, links=(link("kam", "buyer", Strength.STRONG),))
    assert stage_of(m) is Stage.BASIC
    assert {"transactional", "few_links", "bow_tie"} <= present(m)
    assert infer_stage(m).marker("bow_tie").evidence.message == (
        "Every active link runs through Kam (us) and Buyer (them)."
    )


def test_regular_business_through_one_function_each_is_still_basic() -> None:
    m = amap(regular=True, links=(link("kam", "buyer", Strength.STRONG),))
    assert stage_of(m) is Stage.BASIC
    assert "several_functions" not in present(m)


def test_cooperative_several_functions_through_the_pair() -> None:
    m = amap(contacts=(BUYER,), team=(KAM, SUPPLY), links=COOPERATIVE_LINKS)
    assert stage_of(m) is Stage.COOPERATIVE
    assert {
        "regular_business",
        "several_functions",
        "routed_through_pair",
        "no_joint_plan",
    } <= present(m)
    assert infer_stage(m).structural is Stage.COOPERATIVE


def test_cooperative_with_only_one_interdependent_marker() -> None:
    m = amap(contacts=(BUYER,), team=(KAM, SUPPLY), links=COOPERATIVE_LINKS, joint_plan=True)
    assert present(m) & {"senior_link", "diamond", "joint_plan"} == {"joint_plan"}
    assert stage_of(m) is Stage.COOPERATIVE


def test_interdependent_senior_link_diamond_joint_plan() -> None:
    m = interdependent_map()
    inference = infer_stage(m)
    assert inference.stage is Stage.INTERDEPENDENT
    assert {"senior_link", "diamond", "joint_plan"} <= present(m)
    assert "bow_tie" not in present(m)
    assert inference.marker("senior_link").evidence.message == (
        "Senior-to-senior link: Md (us) with Ceo (them) (medium)."
    )
    assert inference.marker("diamond").evidence.params == {"links": 4, "ours": 4, "theirs": 4}


def test_interdependent_with_two_of_three_markers() -> None:
    assert stage_of(interdependent_map(has_joint_plan=False)) is Stage.INTERDEPENDENT
    no_senior = interdependent_map(links=INTERDEPENDENT_LINKS[:1] + INTERDEPENDENT_LINKS[2:])
    assert "senior_link" not in present(no_senior)
    assert stage_of(no_senior) is Stage.INTERDEPENDENT
    neither = interdependent_map(
        links=INTERDEPENDENT_LINKS[:1] + INTERDEPENDENT_LINKS[2:], has_joint_plan=False
    )
    assert stage_of(neither) is Stage.COOPERATIVE


def test_a_senior_link_needs_a_senior_member_and_a_senior_contact() -> None:
    not_senior = dataclasses.replace(MD, senior=False)
    m = interdependent_map(team=(KAM, SUPPLY, FINANCE, RND, not_senior))
    assert "senior_link" not in present(m)
    junior_ceo = dataclasses.replace(CEO, seniority=3)
    m = interdependent_map(contacts=(BUYER, junior_ceo, LOGISTICS, CONTROLLER, QA))
    assert "senior_link" not in present(m)


def test_integrated_with_joint_projects_and_shared_systems() -> None:
    m = interdependent_map(joint_projects=2, shared_systems=True)
    inference = infer_stage(m)
    assert inference.stage is Stage.INTEGRATED
    assert "cross_company_teams" not in present(m)
    assert inference.summary.message.startswith("Integrated:")


def test_integrated_with_cross_company_teams() -> None:
    strong = tuple(dataclasses.replace(lk, strength=Strength.STRONG) for lk in INTERDEPENDENT_LINKS)
    m = interdependent_map(links=strong, joint_projects=1)
    assert {"cross_company_teams", "joint_projects"} <= present(m)
    assert stage_of(m) is Stage.INTEGRATED
    # one integrated marker is not enough
    assert stage_of(interdependent_map(links=strong)) is Stage.INTERDEPENDENT


def test_integrated_markers_without_the_interdependent_base_do_not_count() -> None:
    m = amap(
        contacts=(BUYER,),
        team=(KAM, SUPPLY),
        links=COOPERATIVE_LINKS,
        joint_projects=3,
        shared_systems=True,
    )
    assert stage_of(m) is Stage.COOPERATIVE


def test_disintegrating_when_contact_falls_from_interdependent() -> None:
    m = interdependent_map(meetings_last_half=4, meetings_previous_half=10)
    inference = infer_stage(m)
    assert inference.stage is Stage.DISINTEGRATING
    assert inference.structural is Stage.INTERDEPENDENT
    assert {"falling_contact", "from_higher_stage"} <= present(m)
    assert (
        inference.summary.message == "Disintegrating: contact is falling, from a stage above basic."
    )


def test_falling_contact_boundaries() -> None:
    # exactly half is not fewer than half
    assert (
        stage_of(interdependent_map(meetings_last_half=5, meetings_previous_half=10))
        is Stage.INTERDEPENDENT
    )
    # from fewer than four meetings a fall is noise
    assert (
        stage_of(interdependent_map(meetings_last_half=0, meetings_previous_half=3))
        is Stage.INTERDEPENDENT
    )
    assert (
        stage_of(interdependent_map(meetings_last_half=1, meetings_previous_half=4))
        is Stage.DISINTEGRATING
    )


def test_disintegrating_when_a_senior_contact_left() -> None:
    gone = dataclasses.replace(CEO, left=True, left_on=ago(40))
    m = interdependent_map(contacts=(BUYER, gone, LOGISTICS, CONTROLLER, QA))
    inference = infer_stage(m)
    assert inference.stage is Stage.DISINTEGRATING
    assert inference.marker("lost_senior_link").evidence.message == (
        "Ceo (them) (seniority 1) left the customer; Md (us) had a link with them."
    )
    assert (
        inference.summary.message
        == "Disintegrating: a senior link was lost, from a stage above basic."
    )


def test_disintegrating_when_a_senior_pair_stopped_meeting() -> None:
    links = (
        *INTERDEPENDENT_LINKS[:1],
        link("md", "ceo", Strength.NONE, ago(420)),
        *INTERDEPENDENT_LINKS[2:],
    )
    m = interdependent_map(links=links, previous_stage=Stage.INTERDEPENDENT)
    inference = infer_stage(m)
    assert inference.stage is Stage.DISINTEGRATING
    assert "have not met" in inference.marker("lost_senior_link").evidence.message


def test_disintegrating_from_the_previous_stage_when_the_structure_already_fell() -> None:
    m = amap(
        regular=False, links=(link("kam", "buyer", Strength.STRONG),), last_half=1, previous_half=8
    )
    assert stage_of(m) is Stage.BASIC  # never above basic: a fall is not disintegration
    m = dataclasses.replace(m, previous_stage=Stage.COOPERATIVE)
    inference = infer_stage(m)
    assert inference.stage is Stage.DISINTEGRATING
    assert inference.marker("from_higher_stage").evidence.message == (
        "At the last review the relationship was cooperative."
    )
    assert (
        stage_of(dataclasses.replace(m, previous_stage=Stage.DISINTEGRATING))
        is Stage.DISINTEGRATING
    )
    assert stage_of(dataclasses.replace(m, previous_stage=Stage.BASIC)) is Stage.BASIC


def test_a_senior_contact_who_left_long_ago_is_not_a_lost_link() -> None:
    gone = dataclasses.replace(CEO, left=True, left_on=ago(500))
    m = interdependent_map(contacts=(BUYER, gone, LOGISTICS, CONTROLLER, QA))
    assert "lost_senior_link" not in present(m)


def test_a_healthy_account_is_not_disintegrating() -> None:
    m = interdependent_map(previous_stage=Stage.INTEGRATED)
    assert not present(m) & {"falling_contact", "lost_senior_link"}
    assert stage_of(m) is Stage.INTERDEPENDENT


# --- positioning ------------------------------------------------------------------------


def test_key_account_filed_as_leverage_or_non_critical() -> None:
    for view in (CustomerView.LEVERAGE, CustomerView.NON_CRITICAL):
        (w,) = positioning_warnings(box="key", customer_view=view)
        assert "price pressure" in w.message and "may not be returned" in w.message
    (w,) = positioning_warnings(box="key", customer_view=CustomerView.LEVERAGE)
    assert w.message == (
        "We treat this customer as a key account, but they file us as leverage (tactical "
        "profit): expect price pressure, and our investment may not be returned."
    )


def test_closeness_wanted_where_we_do_not_invest() -> None:
    for box in ("maintenance", "opportunistic"):
        for view in (CustomerView.STRATEGIC, CustomerView.BOTTLENECK):
            (w,) = positioning_warnings(box=box, customer_view=view)
            assert "conflict" in w.message


def test_no_positioning_warning_where_needs_match_or_unknown() -> None:
    assert positioning_warnings(box="key", customer_view=CustomerView.STRATEGIC) == []
    assert positioning_warnings(box="key", customer_view=CustomerView.BOTTLENECK) == []
    assert positioning_warnings(box="key_development", customer_view=CustomerView.LEVERAGE) == []
    assert positioning_warnings(box="maintenance", customer_view=CustomerView.LEVERAGE) == []
    assert positioning_warnings(box="opportunistic", customer_view=CustomerView.NON_CRITICAL) == []
    assert positioning_warnings(box="key", customer_view=None) == []


# --- properties --------------------------------------------------------------------------

ROLE_SETS = st.frozensets(st.sampled_from(list(BuyingRole)), max_size=3)


@st.composite
def account_maps(draw: st.DrawFn) -> AccountMap:
    n_contacts = draw(st.integers(0, 8))
    contacts = tuple(
        Contact(
            key=f"c{i}",
            name=f"Contact {i}",
            function=draw(st.sampled_from(["Purchasing", "Board", "Logistics", "Quality"])),
            seniority=draw(st.integers(1, 5)),
            reports_to=draw(
                st.one_of(
                    st.none(), st.sampled_from([f"c{j}" for j in range(n_contacts)] + ["nobody"])
                )
            ),
            buying_roles=draw(ROLE_SETS),
            influence=draw(st.integers(1, 5)),
            attitude=draw(st.sampled_from(list(Attitude))),
            left=(left := draw(st.booleans())),
            left_on=draw(st.one_of(st.none(), st.dates(ago(800), AS_OF))) if left else None,
        )
        for i in range(n_contacts)
    )
    n_team = draw(st.integers(0, 5))
    team = tuple(
        TeamMember(
            key=f"t{i}",
            name=f"Member {i}",
            function=draw(
                st.sampled_from(["sales", "finance", "supply_chain", "rnd", "management"])
            ),
            role=TeamRole.KEY_ACCOUNT_MANAGER
            if i == 0
            else draw(st.sampled_from([TeamRole.CORE, TeamRole.SURROUND])),
            senior=draw(st.booleans()),
        )
        for i in range(n_team)
    )
    ours = [m.key for m in team] + ["ghost-us"]
    theirs = [c.key for c in contacts] + ["ghost-them"]
    links = draw(
        st.lists(
            st.builds(
                Link,
                ours=st.sampled_from(ours),
                theirs=st.sampled_from(theirs),
                strength=st.sampled_from(list(Strength)),
                meetings_per_year=st.floats(0, 12),
                last_met=st.one_of(st.none(), st.dates(ago(800), AS_OF)),
                derived=st.booleans(),
            ),
            max_size=12,
        )
    )
    return AccountMap(
        as_of=AS_OF,
        box=draw(st.sampled_from(["key", "key_development", "maintenance", "opportunistic"])),
        review_cadence_months=draw(st.sampled_from([3, 6, 12])),
        contacts=contacts,
        team=team,
        links=tuple(links),
        expected_functions=draw(st.frozensets(st.sampled_from(["sales", "finance", "marketing"]))),
        has_business=draw(st.booleans()),
        regular_business=draw(st.booleans()),
        has_joint_plan=draw(st.booleans()),
        joint_projects=draw(st.integers(0, 3)),
        shared_systems=draw(st.booleans()),
        meetings_last_half=draw(st.integers(0, 20)),
        meetings_previous_half=draw(st.integers(0, 20)),
        previous_stage=draw(st.one_of(st.none(), st.sampled_from(list(Stage)))),
    )


@settings(max_examples=150, deadline=None)
@given(m=account_maps(), data=st.data())
def test_a_strong_link_never_adds_an_uncovered_decider(m: AccountMap, data: st.DataObject) -> None:
    if not m.team or not m.contacts:
        return
    ours = data.draw(st.sampled_from([t.key for t in m.team]))
    theirs = data.draw(st.sampled_from([c.key for c in m.contacts]))
    extra = Link(ours, theirs, Strength.STRONG, 8.0, AS_OF, True)
    before = {f.subject for f in findings(m) if f.kind is FindingKind.UNCOVERED_DECIDER}
    after_map = dataclasses.replace(m, links=(*m.links, extra))
    after = {f.subject for f in findings(after_map) if f.kind is FindingKind.UNCOVERED_DECIDER}
    assert after <= before
    assert theirs not in after


@settings(max_examples=150, deadline=None)
@given(m=account_maps())
def test_findings_only_mention_people_in_the_map(m: AccountMap) -> None:
    keys = {c.key for c in m.contacts} | {t.key for t in m.team}
    names = {c.name for c in m.contacts} | {t.name for t in m.team}
    for f in findings(m):
        assert f.people <= keys
        if f.kind in (
            FindingKind.UNCOVERED_DECIDER,
            FindingKind.CHAMPION_LEFT,
            FindingKind.NOT_MET,
        ):
            assert f.subject in {c.key for c in m.contacts}
        for msg in (f.why, f.resolve):
            text = msg.message
            assert "ghost" not in text
            for name in ("member", "name", "ours", "theirs", "contact", "candidate", "manager"):
                if name in msg.params:
                    assert msg.params[name] in names
        assert 1 <= f.severity <= 3
    inference = infer_stage(m)
    for mk in inference.markers:
        assert "ghost" not in mk.evidence.message


@settings(max_examples=150, deadline=None)
@given(m=account_maps())
def test_stage_rule_invariants(m: AccountMap) -> None:
    inference = infer_stage(m)
    marks = {mk.name: mk.present for mk in inference.markers}
    assert len(inference.markers) == 17
    if inference.stage is Stage.DISINTEGRATING:
        assert marks["from_higher_stage"]
        assert marks["falling_contact"] or marks["lost_senior_link"]
    else:
        assert inference.stage is inference.structural
    if not m.has_business:
        assert inference.structural is Stage.EXPLORATORY
    if inference.structural is Stage.INTEGRATED:
        assert sum(marks[n] for n in ("senior_link", "diamond", "joint_plan")) >= 2
    assert inference.summary.message
