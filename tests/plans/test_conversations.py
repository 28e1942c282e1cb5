"""The right conversation (docs/method.md section 0, third question): activities tied to plan
objectives, and the grid of objectives × buying roles that the plan page, the API and the
plan's exports show. A hand-built account: three objectives, five contacts, five activities.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from kam.activities.conversations import conversation_grid
from kam.activities.services import activity_create, activity_update
from kam.errors import ApplicationError
from kam.plans import services
from kam.plans.conversations import (
    ObjectiveIndex,
    grid_display,
    objective_code,
    recency,
    tags_in,
    tags_strip,
)
from kam.plans.document import PlanDocument
from kam.plans.selectors import plan_document_build
from kam.relationships.models import Contact
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 30)


def person(account, number, name, roles, *, has_left=False):  # type: ignore[no-untyped-def]
    return Contact.objects.create(
        account=account, number=number, name=name, buying_roles=roles, has_left=has_left
    )


@pytest.fixture
def grid_plan(plan, account, kam_user):  # type: ignore[no-untyped-def]
    """Van Dijk Retail's 2026 plan: two objectives and a value proposition, and activities:

    - 10 Mar, "Grow chilled soups", with Anna (decider, economic buyer) and Bram (user,
      influencer); 20 May, the same objective, with Bram alone;
    - 2 Apr, "Raise our net price", with Carla (buyer, gatekeeper) and Dirk, a decider who
      has left the customer;
    - 1 Feb, "Fewer empty shelves", with nobody on file (a name not matched);
    - 1 Jun, tied to nothing, with Anna.
    """
    anna = Contact.objects.get(account=account, name="Anna de Vries")
    anna.buying_roles = ["decider", "economic_buyer"]
    anna.save()
    bram = Contact.objects.get(account=account, name="Bram Smit")
    bram.buying_roles = ["user", "influencer"]
    bram.save()
    carla = person(account, 3, "Carla Jansen", ["buyer", "gatekeeper"])
    dirk = person(account, 4, "Dirk Mulder", ["decider"], has_left=True)
    person(account, 5, "Eva Kok", [])
    soups = services.item_create(
        user=kam_user, plan=plan, kind="objective", data={"title": "Grow chilled soups"}
    )
    price = services.item_create(
        user=kam_user, plan=plan, kind="objective", data={"title": "Raise our net price"}
    )
    shelves = services.item_create(
        user=kam_user, plan=plan, kind="value_proposition", data={"title": "Fewer empty shelves"}
    )
    services.item_create(
        user=kam_user, plan=plan, kind="project", data={"title": "VMI pilot"}
    )  # a project is no row of the grid

    def log(day, objective, contacts, names=()):  # type: ignore[no-untyped-def]
        return activity_create(
            user=kam_user,
            account=account,
            date=day,
            duration_minutes=60,
            type="meeting",
            participants=[kam_user],
            contacts=contacts,
            contact_names=names,
            objective=objective,
        )

    log(dt.date(2026, 3, 10), soups, [anna, bram])
    log(dt.date(2026, 5, 20), soups, [bram])
    log(dt.date(2026, 4, 2), price, [carla, dirk])
    log(dt.date(2026, 2, 1), shelves, [], ["Someone from logistics"])
    log(dt.date(2026, 6, 1), None, [anna])
    return {"plan": plan, "soups": soups, "price": price, "shelves": shelves}


def cells(row) -> dict[str, tuple[int, dt.date | None, list[str]]]:  # type: ignore[no-untyped-def]
    return {c.role: (c.count, c.last_date, c.people) for c in row.cells}


def test_the_grid_says_who_was_met_on_each_objective_and_when(grid_plan):  # type: ignore[no-untyped-def]
    grid = conversation_grid(plan=grid_plan["plan"], today=TODAY)

    # Columns: the decider first, then the roles someone on file holds, in BuyingRole order.
    assert [code for code, _label in grid.roles] == [
        "decider",
        "user",
        "influencer",
        "buyer",
        "gatekeeper",
        "economic_buyer",
    ]
    assert [r.title for r in grid.rows] == [
        "Grow chilled soups",
        "Raise our net price",
        "Fewer empty shelves",
    ]
    soups, price, shelves = grid.rows

    assert (soups.count, soups.last_date) == (2, dt.date(2026, 5, 20))
    assert cells(soups) == {
        "decider": (1, dt.date(2026, 3, 10), ["Anna de Vries"]),
        "user": (2, dt.date(2026, 5, 20), ["Bram Smit"]),
        "influencer": (2, dt.date(2026, 5, 20), ["Bram Smit"]),
        "buyer": (0, None, []),
        "gatekeeper": (0, None, []),
        "economic_buyer": (1, dt.date(2026, 3, 10), ["Anna de Vries"]),
    }
    assert soups.no_decider is False

    # Dirk was the decider but has left: shown, marked, and not counted as the decider.
    assert (price.count, price.last_date) == (1, dt.date(2026, 4, 2))
    assert cells(price)["decider"] == (1, dt.date(2026, 4, 2), ["Dirk Mulder (left)"])
    assert cells(price)["buyer"] == (1, dt.date(2026, 4, 2), ["Carla Jansen"])
    assert price.no_decider is True

    # Tied, but with nobody on file: counted on the row, in no role's cell, flagged.
    assert (shelves.count, shelves.last_date) == (1, dt.date(2026, 2, 1))
    assert all(count == 0 for count, _d, _p in cells(shelves).values())
    assert shelves.no_decider is True

    # Anna is the one decider still there; five activities in 2026 so far, one untied.
    assert (grid.deciders, grid.activities, grid.untied) == (1, 5, 1)
    assert soups.code == objective_code(grid_plan["soups"]) and len(soups.code) == 6


def test_activities_after_the_grid_date_do_not_count(grid_plan):  # type: ignore[no-untyped-def]
    grid = conversation_grid(plan=grid_plan["plan"], today=dt.date(2026, 3, 31))
    soups = grid.rows[0]
    assert (soups.count, soups.last_date) == (1, dt.date(2026, 3, 10))
    assert cells(soups)["user"] == (1, dt.date(2026, 3, 10), ["Bram Smit"])
    assert grid.rows[1].count == 0  # the price talk was on 2 April
    assert (grid.activities, grid.untied) == (2, 0)


def test_recency_colours_by_days_since_the_last_conversation():  # type: ignore[no-untyped-def]
    assert recency(None, TODAY) == "none"
    assert recency(TODAY - dt.timedelta(days=90), TODAY) == "recent"
    assert recency(TODAY - dt.timedelta(days=91), TODAY) == "aging"
    assert recency(TODAY - dt.timedelta(days=180), TODAY) == "aging"
    assert recency(TODAY - dt.timedelta(days=181), TODAY) == "stale"


def test_the_display_pairs_each_cell_with_its_role_and_colour(grid_plan):  # type: ignore[no-untyped-def]
    shown = grid_display(conversation_grid(plan=grid_plan["plan"], today=TODAY))
    assert shown is not None and shown["flagged"] == 2
    soups = shown["rows"][0]
    assert soups["tag"] == "#obj-" + objective_code(grid_plan["soups"])
    by_role = {c["cell"].role: c for c in soups["cells"]}
    assert by_role["decider"]["state"] == "aging"  # 10 March: 112 days before 30 June
    assert by_role["user"]["state"] == "recent"  # 20 May: 41 days
    assert by_role["buyer"]["state"] == "none"
    assert by_role["decider"]["label"] == "Decider"


def test_a_plan_without_objectives_has_no_grid_to_draw(plan):  # type: ignore[no-untyped-def]
    grid = conversation_grid(plan=plan, today=TODAY)
    assert grid.rows == [] and grid_display(grid) is None
    assert [code for code, _l in grid.roles] == ["decider"]  # nobody holds a role yet


# -- tying an activity ------------------------------------------------------------------------


def test_an_activity_is_tied_only_to_an_objective_of_its_accounts_plans(
    grid_plan, account, kam_user
):  # type: ignore[no-untyped-def]
    from tests.factories import AccountFactory

    other = AccountFactory(name="Other", owner=kam_user)
    project = grid_plan["plan"].items.get(kind="project")
    base = {
        "user": kam_user,
        "date": dt.date(2026, 6, 2),
        "duration_minutes": 30,
        "type": "call",
        "participants": [kam_user],
    }
    with pytest.raises(ApplicationError) as exc:
        activity_create(account=other, objective=grid_plan["soups"], **base)
    assert exc.value.field == "objective" and "Other" in exc.value.message
    with pytest.raises(ApplicationError) as exc:
        activity_create(account=account, objective=project, **base)
    assert exc.value.field == "objective" and "VMI pilot" in exc.value.message

    activity = activity_create(account=account, objective=grid_plan["price"].pk, **base)
    assert activity.objective == grid_plan["price"]
    activity_update(user=kam_user, activity=activity, notes="Talked price")
    activity.refresh_from_db()
    assert activity.objective == grid_plan["price"]  # left out: kept
    activity_update(user=kam_user, activity=activity, objective=None)
    activity.refresh_from_db()
    assert activity.objective is None
    activity_update(user=kam_user, activity=activity, objective=grid_plan["soups"])
    # Moved to another account: the objective was the old account's, so it goes.
    activity_update(user=kam_user, activity=activity, account=other)
    activity.refresh_from_db()
    assert activity.account == other and activity.objective is None


def test_deleting_an_objective_keeps_its_activities_untied(grid_plan, kam_user):  # type: ignore[no-untyped-def]
    from kam.activities.models import Activity

    services.item_delete(user=kam_user, item=grid_plan["shelves"])
    assert Activity.objects.filter(objective__isnull=True).count() == 2


# -- references by code and title (imports and calendars) --------------------------------------


def test_tags_are_found_and_left_out_of_the_topic():  # type: ignore[no-untyped-def]
    assert tags_in("QBR #obj-3F2A9C and #obj-3f2a9c, #obj-abc") == ["3f2a9c"]
    assert tags_in("price talk #obj-3f2a9c1234 #obj-00aa11") == ["3f2a9c1234", "00aa11"]
    assert tags_in("#obj-3f2a9cx") == []  # not a code: runs into a letter that is no hex
    assert tags_strip("  QBR  #obj-3f2a9c with Anna ") == "QBR with Anna"


def test_the_index_finds_an_objective_by_code_or_title_on_the_plan_of_the_date(
    grid_plan, account, kam_user
):  # type: ignore[no-untyped-def]
    soups = grid_plan["soups"]
    index = ObjectiveIndex([account.pk])
    day = dt.date(2026, 4, 1)
    assert index.resolve(account.pk, day, objective_code(soups)) == soups
    assert index.resolve(account.pk, day, "#obj-" + soups.uid.hex[:10]) == soups
    assert index.resolve(account.pk, day, "  grow  CHILLED soups ") == soups
    assert index.resolve(account.pk, day, "Fewer émpty shelves") == grid_plan["shelves"]
    with pytest.raises(LookupError, match="is no objective or value proposition of plan 2026"):
        index.resolve(account.pk, day, "Win the tender")
    with pytest.raises(LookupError, match="is no objective"):
        index.resolve(account.pk, day, "VMI pilot")  # a project
    # A date outside every plan's period: the current plan is used.
    assert index.resolve(account.pk, dt.date(2027, 2, 1), "Grow chilled soups") == soups
    twin = {"title": "Grow chilled soups"}
    services.item_create(user=kam_user, plan=grid_plan["plan"], kind="objective", data=twin)
    with pytest.raises(LookupError, match="names 2 items of plan 2026; use the code"):
        ObjectiveIndex([account.pk]).resolve(account.pk, day, "Grow chilled soups")


def test_an_account_without_a_plan_names_no_objective(kam_user):  # type: ignore[no-untyped-def]
    from tests.factories import AccountFactory

    bare = AccountFactory(name="Bare", owner=kam_user)
    with pytest.raises(LookupError, match="has no plan"):
        ObjectiveIndex([bare.pk]).resolve(bare.pk, TODAY, "abcdef")


# -- the document, its snapshot and its audiences -------------------------------------------------


def test_the_plan_document_carries_the_grid_internally_only(grid_plan):  # type: ignore[no-untyped-def]
    doc = plan_document_build(plan=grid_plan["plan"], today=TODAY)
    assert doc.conversations is not None
    assert [r.no_decider for r in doc.conversations.rows] == [False, True, True]
    assert doc.for_customer().conversations is None
    again = PlanDocument.from_snapshot(doc.to_snapshot())
    assert again.conversations == doc.conversations
    # A snapshot from before the grid existed still loads.
    old = doc.to_snapshot()
    del old["conversations"]
    assert PlanDocument.from_snapshot(old).conversations is None


# -- API --------------------------------------------------------------------------------------


def test_api_gives_the_grid(grid_plan, kam_user, other_kam):  # type: ignore[no-untyped-def]
    plan = grid_plan["plan"]
    response = client_for(kam_user).get(f"/api/plans/{plan.pk}/conversations")
    assert response.status_code == 200
    data = response.json()
    assert data["roles"][0] == {"code": "decider", "label": "Decider"}
    rows = {r["title"]: r for r in data["rows"]}
    assert rows["Grow chilled soups"]["no_decider"] is False
    assert rows["Raise our net price"]["no_decider"] is True
    decider = rows["Grow chilled soups"]["cells"][0]
    assert decider == {
        "role": "decider",
        "count": 1,
        "last_date": "2026-03-10",
        "people": ["Anna de Vries"],
    }
    assert (data["deciders"], data["untied"]) == (1, 1)
    # Another manager's plan answers 404, as if it did not exist.
    assert client_for(other_kam).get(f"/api/plans/{plan.pk}/conversations").status_code == 404


def test_api_ties_and_unties_an_activity(grid_plan, account, kam_user):  # type: ignore[no-untyped-def]
    client = client_for(kam_user)
    price = grid_plan["price"]
    response = client.post(
        "/api/activities/",
        {
            "account_id": account.pk,
            "date": "2026-06-03",
            "duration_minutes": 45,
            "type": "call",
            "participants": [kam_user.username],
            "objective_id": price.pk,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["objective"] == {
        "id": price.pk,
        "kind": "objective",
        "title": "Raise our net price",
        "code": objective_code(price),
        "plan_id": grid_plan["plan"].pk,
    }
    url = f"/api/activities/{body['id']}"
    project = grid_plan["plan"].items.get(kind="project")
    bad = client.patch(url, {"objective_id": project.pk}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "objective"
    cleared = client.patch(url, {"objective_id": None}, content_type="application/json")
    assert cleared.status_code == 200 and cleared.json()["objective"] is None


# -- the page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_plan_page_shows_the_grid_with_flags_in_words(grid_plan, kam_user, language):  # type: ignore[no-untyped-def]
    client = client_for(kam_user)
    with translation.override(language):
        client.cookies["django_language"] = language
        html = client.get(f"/plans/{grid_plan['plan'].pk}/", HTTP_ACCEPT_LANGUAGE=language).content
    text = html.decode()
    assert 'data-testid="conversation-grid"' in text
    assert text.count('data-testid="no-decider"') == 2
    assert "#obj-" + objective_code(grid_plan["soups"]) in text
    if language == "nl":
        assert "Geen gesprek met een beslisser" in text
        assert "10 mrt 2026" in text
    else:
        assert "No conversation with a decider" in text
        assert "10 Mar 2026" in text
    # Each row links to logging a conversation on its objective.
    assert f"objective={grid_plan['soups'].pk}" in text


# -- the plan's exports -------------------------------------------------------------------------


def test_the_internal_exports_carry_the_grid_and_the_customers_do_not(grid_plan, kam_user):  # type: ignore[no-untyped-def]
    from kam.reports.plan_export import plan_export_build, plan_pdf, plan_pptx
    from tests.reports.conftest import pdf_text, pptx_texts

    plan = grid_plan["plan"]
    with translation.override("nl"):
        internal = plan_export_build(plan=plan, user=kam_user, audience="internal")
        text = pdf_text(plan_pdf(internal))
        slides = "\n".join(pptx_texts(plan_pptx(internal)))
    assert "Het juiste gesprek" in text and "Het juiste gesprek" in slides
    assert "2 van 3 doelstellingen hebben nog geen gesprek met een beslisser gehad." in text
    assert "Geen gesprek met een beslisser" in slides
    assert "Dirk Mulder (vertrokken)" in text and "Dirk Mulder (vertrokken)" in slides
    assert "10 mrt 2026" in text  # Anna on the soups, as a Dutch date
    assert "#obj-" + objective_code(grid_plan["soups"]) in text

    customer = plan_export_build(plan=plan, user=kam_user, audience="customer")
    text = pdf_text(plan_pdf(customer))
    slides = "\n".join(pptx_texts(plan_pptx(customer)))
    for words in ("The right conversation", "decider", "Anna de Vries"):
        assert words not in text and words not in slides


def test_the_relationship_page_links_to_the_grid(grid_plan, account, kam_user):  # type: ignore[no-untyped-def]
    html = client_for(kam_user).get(f"/relationships/account/{account.pk}/").content.decode()
    assert f"/plans/{grid_plan['plan'].pk}/#conversations" in html


def test_the_form_offers_the_objectives_of_the_accounts_current_plan(grid_plan, account, kam_user):  # type: ignore[no-untyped-def]
    client = client_for(kam_user)
    html = client.get(
        f"/activities/new/?account={account.pk}&objective={grid_plan['price'].pk}"
    ).content.decode()
    assert f'<option value="{grid_plan["price"].pk}" selected>Raise our net price</option>' in html
    assert "VMI pilot" not in html  # a project is not offered
    # The account changes: the picker answers with the objectives out of band.
    picker = client.get(
        f"/activities/contacts/?account={account.pk}&whole=1", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'id="objective-field"' in picker and 'hx-swap-oob="true"' in picker
    assert "Fewer empty shelves" in picker
