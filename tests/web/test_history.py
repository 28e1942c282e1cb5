"""The audit history: every change that matters leaves who, when, before and after.

Each edit goes through the page or the API as a person would (so the acting user comes
from the request, as in production), then the history row, the object's page, the full
history page and the export are read back. Other managers get 404 for history they may not
see; a form saved unchanged writes no history.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from kam.accounts.models import Account, AccountTeamMember
from kam.economics.models import Investment
from kam.organisation.models import BoxPolicy
from kam.organisation.selectors import organisation_get
from kam.plans import services as plan_services
from kam.plans.models import PlanAction, ShareLink
from kam.portfolio.models import Rating
from kam.users.models import Profile, Role
from kam.users.tokens import api_token_create
from kam.web.history_records import history_reason
from tests.conftest import client_for
from tests.factories import AccountFactory, make_user
from tests.test_forms_roundtrip import _Forms, _post_data

pytestmark = pytest.mark.django_db


def api(user, method: str, path: str, payload: object) -> object:  # type: ignore[no-untyped-def]
    """Call the API with a personal token, as a script would (no session)."""
    _row, plain = api_token_create(user=user, name="test")
    response = getattr(Client(), method)(
        path,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {plain}",
    )
    assert response.status_code < 300, response.content
    return response


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return make_user(Role.ADMINISTRATOR, username="admin1", is_staff=True, is_superuser=True)


@pytest.fixture
def plan(kam_user):  # type: ignore[no-untyped-def]
    account = AccountFactory(name="Van Dijk Retail", owner=kam_user)
    return plan_services.plan_create(
        user=kam_user,
        account=account,
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )


# --- accounts ------------------------------------------------------------------------------


def test_account_edit_through_the_api_records_the_token_user_before_and_after(kam_user):
    account = AccountFactory(owner=kam_user, name="Van Dijk Retail", channel="retail")
    api(kam_user, "patch", f"/api/accounts/{account.pk}", {"name": "Van Dijk Foods"})

    last = Account.history.filter(id=account.pk).order_by("-history_date").first()
    assert last.history_type == "~"
    assert last.history_user_id == kam_user.pk
    assert last.name == "Van Dijk Foods"
    assert last.prev_record.name == "Van Dijk Retail"


def test_account_history_shows_on_its_page_and_history_page_and_export(kam_user):
    account = AccountFactory(owner=kam_user, name="Van Dijk Retail", channel="retail")
    api(kam_user, "patch", f"/api/accounts/{account.pk}", {"channel": "wholesale"})
    client = client_for(kam_user)

    page = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert 'data-testid="history"' in page
    assert "Industry / channel" in page
    assert "retail" in page and "wholesale" in page
    full = client.get(reverse("history:object", args=["account", account.pk]))
    assert full.status_code == 200
    body = full.content.decode()
    assert kam_user.get_full_name() in body
    assert "wholesale" in body

    export = client.get(reverse("history:object_export", args=["account", account.pk, "csv"]))
    assert export.status_code == 200
    rows = csv_rows(export.content)
    assert rows[0][:3] == ["When", "Who", "What"]
    changed = [r for r in rows if r[6] == "Industry / channel"]
    assert changed[-1][7:9] == ["retail", "wholesale"]
    assert changed[-1][1] == kam_user.get_full_name()

    xlsx = client.get(reverse("history:object_export", args=["account", account.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(r[6] == "Industry / channel" and r[8] == "wholesale" for r in values[1:])


def test_account_team_changes_record_who_joined_moved_and_left(kam_user, member):
    account = AccountFactory(owner=kam_user)
    path = f"/api/accounts/{account.pk}/team"
    api(kam_user, "put", path, {"core": [member.username]})
    api(kam_user, "put", path, {"surround": [member.username]})
    api(kam_user, "put", path, {})
    rows = list(
        AccountTeamMember.history.filter(account_id=account.pk).order_by(
            "history_date", "history_id"
        )
    )
    assert [(r.history_type, r.team_role, r.history_user_id) for r in rows] == [
        ("+", "core", kam_user.pk),
        ("~", "surround", kam_user.pk),
        ("-", "surround", kam_user.pk),
    ]
    body = client_for(kam_user).get(reverse("history:object", args=["account", account.pk]))
    text = body.content.decode()
    assert "Core team" in text and "Surround team" in text and "deleted" in text


def test_other_managers_get_404_for_the_history_of_accounts_they_cannot_see(kam_user, other_kam):
    account = AccountFactory(owner=kam_user)
    api(kam_user, "patch", f"/api/accounts/{account.pk}", {"name": "Secret name"})
    client = client_for(other_kam)
    for url in (
        reverse("history:object", args=["account", account.pk]),
        reverse("history:object_export", args=["account", account.pk, "csv"]),
        reverse("history:object_export", args=["account", account.pk, "xlsx"]),
        f"/api/history/account/{account.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Secret name" not in response.content
    # nor the administrator's pages
    assert client.get(reverse("history:all")).status_code == 404
    assert client.get(reverse("history:export", args=["csv"])).status_code == 404
    assert client.get("/api/history/").status_code == 404


def test_an_account_form_saved_unchanged_writes_no_history(director):
    account = AccountFactory(owner=director, name="Unchanged", channel="retail")
    before = Account.history.filter(id=account.pk).count()
    client = client_for(director)
    form = client.get(reverse("accounts:edit", args=[account.pk]))
    assert form.status_code == 200
    parser = _Forms()
    parser.feed(form.content.decode())
    fields = next(f for action, f in parser.forms if any(n == "name" for n, _v in f))
    data = _post_data(fields)
    response = client.post(reverse("accounts:edit", args=[account.pk]), data)
    assert response.status_code in (200, 302)
    assert Account.history.filter(id=account.pk).count() == before
    # a real change through the same form does write one
    client.post(reverse("accounts:edit", args=[account.pk]), {**data, "name": ["Changed"]})
    assert Account.objects.get(pk=account.pk).name == "Changed"
    assert Account.history.filter(id=account.pk).count() == before + 1


def test_an_object_changed_before_history_was_kept_shows_its_before(kam_user):
    account = AccountFactory(owner=kam_user, name="Old name")
    Account.history.filter(id=account.pk).delete()  # as if created before kam kept history
    api(kam_user, "patch", f"/api/accounts/{account.pk}", {"name": "New name"})
    rows = list(Account.history.filter(id=account.pk).order_by("history_date"))
    assert [r.name for r in rows] == ["Old name", "New name"]
    assert rows[0].history_user_id is None
    assert rows[1].history_user_id == kam_user.pk


def test_account_import_records_history_with_the_file_as_reason(director, kam_user):
    from kam.accounts.imports import account_import

    header = "external_id,name,owner,country\n"
    account_import(
        user=director, content=(header + "A-1,First,kam1,NL\n").encode(), filename="a.csv"
    )
    account_import(
        user=director, content=(header + "A-1,Second,kam1,NL\n").encode(), filename="b.csv"
    )
    account_import(  # unchanged: no history
        user=director, content=(header + "A-1,Second,kam1,NL\n").encode(), filename="c.csv"
    )
    rows = list(Account.history.filter(external_id="A-1").order_by("history_date", "history_id"))
    # run without a request (as a background job would), the importer is still named
    assert [(r.history_type, r.name, r.history_change_reason, r.history_user_id) for r in rows] == [
        ("+", "First", "Import of a.csv", director.pk),
        ("~", "Second", "Import of b.csv", director.pk),
    ]


def test_export_guards_cells_against_formula_injection(admin, kam_user):
    account = AccountFactory(owner=kam_user, name="Plain")
    api(kam_user, "patch", f"/api/accounts/{account.pk}", {"name": '=HYPERLINK("x","y")'})
    client = client_for(admin)
    rows = csv_rows(client.get(reverse("history:export", args=["csv"])).content)
    cells = [c for r in rows for c in r]
    assert '\'=HYPERLINK("x","y")' in cells
    assert '=HYPERLINK("x","y")' not in cells


# --- scores, policies, plans, share links, roles, investments ---------------------------


def test_a_score_saved_through_the_api_records_the_rater_before_and_after(director, kam_user):
    from tests.portfolio.test_services import crit, make_review

    account = AccountFactory(owner=kam_user)
    review = make_review(director, [director, kam_user])
    criterion = crit(review.scheme_version, "a1")
    path = f"/api/reviews/{review.pk}/ratings"
    payload = {"ratings": [{"account_id": account.pk, "criterion_id": criterion, "score": 4}]}
    api(kam_user, "put", path, payload)
    payload["ratings"][0]["score"] = 7
    api(kam_user, "put", path, payload)

    rating = Rating.objects.get(review=review, rater=kam_user, criterion_id=criterion)
    rows = list(rating.history.order_by("history_date", "history_id"))
    assert [(r.history_type, r.score, r.history_user_id) for r in rows] == [
        ("+", 4, kam_user.pk),
        ("~", 7, kam_user.pk),
    ]
    page = client_for(kam_user).get(reverse("history:object", args=["review", review.pk]))
    body = page.content.decode()
    assert "Score" in body and "4" in body and "7" in body


def test_a_policy_change_records_who_before_and_after(director):
    org = organisation_get()
    policy = BoxPolicy.objects.get(organisation=org, box="key")
    old = policy.max_hours_per_year
    api(
        director,
        "put",
        "/api/organisation/box-policies",
        [
            {
                "box": "key",
                "min_hours_per_year": policy.min_hours_per_year,
                "max_hours_per_year": old + 10,
                "review_cadence_months": policy.review_cadence_months,
            }
        ],
    )
    rows = list(policy.history.order_by("history_date", "history_id"))
    assert rows[-1].max_hours_per_year == old + 10
    assert rows[-1].history_user_id == director.pk
    assert rows[-2].max_hours_per_year == old  # the defaults, recorded as the "before"
    body = client_for(director).get(reverse("organisation:settings")).content.decode()
    assert 'data-testid="history"' in body
    assert str(old + 10) in body


def test_a_plan_item_change_records_who_before_and_after(plan, kam_user, other_kam):
    item = plan_services.item_create(
        user=kam_user, plan=plan, kind="objective", data={"title": "Grow soups"}
    )
    api(
        kam_user,
        "patch",
        f"/api/plans/{plan.pk}/items/{item.pk}",
        {"title": "Grow soups by 10%"},
    )
    rows = list(item.history.order_by("history_date", "history_id"))
    assert [(r.history_type, r.title, r.history_user_id) for r in rows][-1] == (
        "~",
        "Grow soups by 10%",
        kam_user.pk,
    )
    assert rows[-2].title == "Grow soups"
    client = client_for(kam_user)
    body = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "Grow soups by 10%" in body and 'data-testid="history"' in body
    assert (
        client_for(other_kam).get(reverse("history:object", args=["plan", plan.pk])).status_code
        == 404
    )


def test_a_share_link_created_and_revoked_is_in_the_plans_history(plan, kam_user):
    client = client_for(kam_user)
    client.post(
        reverse("plans:share", args=[plan.pk]),
        {"person_name": "Anna de Vries", "person_email": "anna@vandijk.example", "days_valid": 30},
    )
    link = ShareLink.objects.get(plan=plan)
    client.post(reverse("plans:share", args=[plan.pk]), {"revoke": link.pk})
    rows = list(link.history.order_by("history_date", "history_id"))
    assert [(r.history_type, r.history_user_id) for r in rows] == [
        ("+", kam_user.pk),
        ("~", kam_user.pk),
    ]
    assert rows[0].revoked_at is None and rows[1].revoked_at is not None
    assert rows[1].history_change_reason == "Share link revoked"
    assert not hasattr(rows[0], "digest")  # the token's digest stays out of the history
    body = client.get(reverse("history:object", args=["plan", plan.pk])).content.decode()
    assert "Anna de Vries" in body and "Revoked" in body


def test_a_customer_update_through_a_share_link_names_the_customer(plan, kam_user):
    from kam.relationships.models import Contact

    Contact.objects.create(
        account=plan.account, number=1, name="Anna de Vries", email="anna@vandijk.example"
    )
    action = plan_services.action_create(
        user=kam_user,
        plan=plan,
        data={
            "what": "Send forecast",
            "owner_side": "theirs",
            "owner_contact_name": "Anna de Vries",
            "owner_contact_email": "anna@vandijk.example",
            "shared": True,
        },
    )
    plan.shared_sections = [*plan.shared_sections, "actions"]
    plan.save()
    link, _token = plan_services.share_link_create(
        user=kam_user, plan=plan, person_name="Anna de Vries", person_email="anna@vandijk.example"
    )
    plan_services.share_action_update(
        link=link, action_uid=str(action.uid), status="done", comment="", ip=None
    )
    last = PlanAction.history.filter(id=action.pk).order_by("-history_date").first()
    assert last.status == "done"
    assert last.history_user_id is None
    assert last.history_change_reason == "Updated by Anna de Vries through a share link"


def test_a_role_change_in_the_admin_is_recorded_and_only_administrators_see_it(
    admin, kam_user, director
):
    client = client_for(admin)
    profile = kam_user.profile
    response = client.post(
        reverse("admin:users_profile_change", args=[profile.pk]),
        {
            "user": kam_user.pk,
            "role": Role.SALES_DIRECTOR,
            "function": profile.function,
            "hours_per_year": profile.hours_per_year,
            "hourly_cost": profile.hourly_cost,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    last = Profile.history.filter(id=profile.pk).order_by("-history_date").first()
    assert last.role == Role.SALES_DIRECTOR and last.history_user_id == admin.pk
    assert last.prev_record.role == Role.KEY_ACCOUNT_MANAGER

    url = reverse("history:object", args=["user", kam_user.pk])
    body = client.get(url).content.decode()
    assert "Key account manager" in body and "Sales director" in body
    assert client_for(director).get(url).status_code == 404
    assert client_for(kam_user).get(url).status_code == 404


def test_user_history_leaves_out_the_password(admin, kam_user):
    kam_user.set_password("another-pw-1")
    kam_user.save()
    assert not hasattr(kam_user.history.model, "password")


def test_an_investment_change_records_who_before_and_after(kam_user):
    account = AccountFactory(owner=kam_user, currency="EUR")
    created = api(
        kam_user,
        "post",
        f"/api/economics/accounts/{account.pk}/investments",
        {
            "date": "2026-03-01",
            "kind": "other",
            "amount": "1000",
            "description": "Shelf displays",
        },
    )
    investment_id = json.loads(created.content)["id"]
    api(kam_user, "patch", f"/api/economics/investments/{investment_id}", {"amount": "2500"})
    rows = list(Investment.history.filter(id=investment_id).order_by("history_date"))
    assert [(r.history_type, r.amount, r.history_user_id) for r in rows] == [
        ("+", Decimal("1000.00"), kam_user.pk),
        ("~", Decimal("2500.00"), kam_user.pk),
    ]
    body = client_for(kam_user).get(reverse("economics:account", args=[account.pk]))
    text = body.content.decode()
    assert "1,000.00" in text and "2,500.00" in text


# --- the administrator's history -----------------------------------------------------------


def test_the_administrators_export_holds_the_date_range(admin, kam_user):
    account = AccountFactory(owner=kam_user, name="In range")
    client = client_for(admin)
    today = dt.date.today().isoformat()
    rows = csv_rows(
        client.get(
            reverse("history:export", args=["csv"]), {"since": today, "until": today}
        ).content
    )
    assert any(r[4] == "In range" for r in rows[1:])
    old = csv_rows(
        client.get(
            reverse("history:export", args=["csv"]), {"since": "2001-01-01", "until": "2001-12-31"}
        ).content
    )
    assert len(old) == 1  # only the header
    assert client.get(reverse("history:all"), {"since": "not a date"}).status_code == 200
    assert (
        client.get(reverse("history:export", args=["csv"]), {"since": "31-12-2026"}).status_code
        == 400
    )
    page = client.get(reverse("history:all"), {"since": today}).content.decode()
    assert "In range" in page
    api_rows = json.loads(client.get("/api/history/", {"since": today}).content)
    assert any(e["object_label"] == "In range" for e in api_rows["items"])
    assert account.pk in {e["object_id"] for e in api_rows["items"]}


def test_a_service_run_without_a_request_records_system_and_its_reason(director):
    from kam.accounts.services import account_update

    account = AccountFactory(owner=director, name="Before")
    with history_reason("Nightly clean-up"):
        account_update(user=director, account=account, name="After")
    last = Account.history.filter(id=account.pk).order_by("-history_date").first()
    assert last.history_user_id is None  # no request: shown as "system"
    assert last.history_change_reason == "Nightly clean-up"
    body = client_for(director).get(reverse("history:object", args=["account", account.pk]))
    assert "system" in body.content.decode()


def test_the_history_page_is_in_dutch_with_dutch_numbers(kam_user):
    account = AccountFactory(owner=kam_user, currency="EUR")
    inv = Investment.objects.create(
        account=account,
        date=dt.date(2026, 3, 1),
        kind="other",
        amount=Decimal("1234.50"),
        description="Displays",
    )
    inv.amount = Decimal("2500.25")
    inv.save()
    client = client_for(kam_user)
    client.cookies["django_language"] = "nl"
    body = client.get(reverse("history:object", args=["account", account.pk])).content.decode()
    assert "1.234,50" in body and "2.500,25" in body
    assert "Geschiedenis" in body
