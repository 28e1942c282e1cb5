"""The contact picker of the activity form in Chromium: type to search, pick, create a
contact on the spot, save; the meeting then shows in the relationship's contact matrix."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, Login

pytestmark = pytest.mark.browser


@pytest.fixture
def kam_with_contacts(transactional_db):  # type: ignore[no-untyped-def]
    from kam.relationships.services import contact_create
    from kam.users.models import Role
    from tests.factories import AccountFactory, make_user

    kam = make_user(
        Role.KEY_ACCOUNT_MANAGER, username="sanne", first_name="Sanne", last_name="Bakker"
    )
    account = AccountFactory(name="Van Dijk Retail", owner=kam)
    people = {
        name: contact_create(user=kam, account=account, name=name, title=title)
        for name, title in [
            ("Anna de Wit", "Buyer"),
            ("José Peters", "Category Manager"),
            ("Karel Smit", "CFO"),
        ]
    }
    return Login("sanne", "pw-for-tests-1"), account, people


def test_type_pick_create_on_the_spot_and_save(live_server, page, kam_with_contacts):  # type: ignore[no-untyped-def]
    from kam.activities.models import Activity
    from kam.relationships.models import Contact

    login, account, people = kam_with_contacts
    page.set_default_timeout(180_000)  # the machine is shared; waiting is not what is tested
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", login.username)
    page.fill("#id_password", login.password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/activities/new/?account={account.pk}")
    options = page.locator("[data-testid='contact-options']")
    assert options.locator("label").count() == 3  # every contact, as tick boxes

    # Type: the list narrows to the matches (accents do not matter).
    page.fill("#contact-search", "jose")
    page.wait_for_function("() => document.querySelectorAll('#contact-options label').length === 1")
    assert "José Peters" in options.inner_text()
    # Pick: the ticked contact stays while searching for another.
    options.locator("input[type=checkbox]").first.check()
    page.fill("#contact-search", "karel")
    page.wait_for_function("() => document.querySelectorAll('#contact-options label').length === 2")
    assert "José Peters" in options.inner_text() and "Karel Smit" in options.inner_text()
    assert options.locator("input:checked").count() == 1

    # Create on the spot: the new contact is added to the account and ticked.
    page.locator("summary", has_text="Create a contact on the spot").click()
    page.fill("#id_new_contact_name", "Lotte Vos")
    page.fill("#id_new_contact_title", "Logistics Manager")
    page.click("button:has-text('Add contact')")
    page.wait_for_selector("#contact-options label:has-text('Lotte Vos') input:checked")
    assert page.input_value("#id_new_contact_name") == ""
    lotte = Contact.objects.get(name="Lotte Vos")
    assert lotte.account_id == account.pk and lotte.title == "Logistics Manager"

    page.fill("#id_topic", "Range review")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "activity-contact-picker.png"), full_page=True)
    page.click("button:has-text('Log activity')")
    page.wait_for_url(f"{live_server.url}/activities/")
    activity = Activity.objects.get(topic="Range review")
    assert set(activity.contacts.all()) == {people["José Peters"], lotte}
    assert Contact.objects.filter(name="Lotte Vos").count() == 1  # not created twice

    # The relationship page now has them as met.
    page.goto(f"{live_server.url}/relationships/account/{account.pk}/")
    assert "Lotte Vos" in page.locator("body").inner_text()
