"""Customer owners of plan actions were typed by hand: match them to the account's contacts.

The rule is ``kam.core.contact_match``'s: the typed name (the same full name without
regard to case, accents or extra spaces) or else the typed e-mail address, each only when
exactly one contact of the plan's account fits. A matched action points at the contact;
its typed name and address stay as they are (share links match the address). Names that
match nobody stay typed, shown as "not matched". Going back clears the links.
"""

from collections import defaultdict

from django.db import migrations

from kam.core.contact_match import Candidate, match_names


def owners_to_contacts(apps, schema_editor):
    PlanAction = apps.get_model("plans", "PlanAction")
    Contact = apps.get_model("relationships", "Contact")
    candidates = defaultdict(list)
    for pk, account_id, name, email in Contact.objects.filter(erased_at=None).values_list(
        "pk", "account_id", "name", "email"
    ):
        candidates[account_id].append(Candidate(pk, name, email))
    changed = []
    for pk, account_id, name, email in PlanAction.objects.filter(
        owner_side="theirs", owner_contact__isnull=True
    ).values_list("pk", "plan__account_id", "owner_contact_name", "owner_contact_email"):
        people = candidates.get(account_id, [])
        found = match_names([name], people).ids or match_names([email], people).ids
        if found:
            changed.append(PlanAction(pk=pk, owner_contact_id=found[0]))
    PlanAction.objects.bulk_update(changed, ["owner_contact"], batch_size=2000)


def clear_owner_contacts(apps, schema_editor):
    apps.get_model("plans", "PlanAction").objects.update(owner_contact=None)


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0002_planaction_owner_contact"),
        ("relationships", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(owners_to_contacts, clear_owner_contacts),
    ]
