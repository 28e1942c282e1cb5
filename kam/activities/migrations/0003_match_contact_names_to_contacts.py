"""Older activities named the customer's people as free text: match them to contacts.

A name matches a contact of the activity's account by the rule of
``kam.core.contact_match`` (the same full name without regard to case, accents or extra
spaces, or the contact's e-mail address, each only when exactly one contact fits). Matched
names are attached as contacts; the others stay in ``contact_names``, shown as "not matched".
Going back puts the attached contacts' names in front of the unmatched names again.
"""

from collections import defaultdict

from django.db import migrations, models

from kam.core.contact_match import Candidate, match_names, name_key

BATCH = 2000


def names_to_contacts(apps, schema_editor):
    Activity = apps.get_model("activities", "Activity")
    Contact = apps.get_model("relationships", "Contact")
    Through = Activity.contacts.through
    candidates = defaultdict(list)
    attached_names = {}
    for pk, account_id, name, email, erased in Contact.objects.values_list(
        "pk", "account_id", "name", "email", "erased_at"
    ):
        if erased is None:
            candidates[account_id].append(Candidate(pk, name, email))
        attached_names[pk] = {name_key(v) for v in (name, email) if v}
    rows = list(
        Activity.objects.exclude(contact_names=[]).values_list("pk", "account_id", "contact_names")
    )
    have = defaultdict(set)
    ids = [pk for pk, _a, _n in rows]
    for start in range(0, len(ids), BATCH):
        for activity_id, contact_id in Through.objects.filter(
            activity_id__in=ids[start : start + BATCH]
        ).values_list("activity_id", "contact_id"):
            have[activity_id].add(contact_id)
    add = []
    changed = []
    for pk, account_id, names in rows:
        if not isinstance(names, list):
            continue
        result = match_names([str(n) for n in names], candidates.get(account_id, []))
        known = set().union(*(attached_names.get(c, set()) for c in have[pk]))
        # A name of a contact attached already (the calendar wrote both) is dropped too.
        rest = [n for n in result.unmatched if name_key(n) not in known]
        for contact_id in result.ids:
            if contact_id not in have[pk]:
                add.append(Through(activity_id=pk, contact_id=contact_id))
                have[pk].add(contact_id)
        if rest != names:
            changed.append(Activity(pk=pk, contact_names=rest))
    Through.objects.bulk_create(add, batch_size=BATCH)
    Activity.objects.bulk_update(changed, ["contact_names"], batch_size=BATCH)


def contacts_to_names(apps, schema_editor):
    Activity = apps.get_model("activities", "Activity")
    Contact = apps.get_model("relationships", "Contact")
    Through = Activity.contacts.through
    names = dict(Contact.objects.values_list("pk", "name"))
    attached = defaultdict(list)
    for activity_id, contact_id in Through.objects.order_by("pk").values_list(
        "activity_id", "contact_id"
    ):
        if names.get(contact_id):
            attached[activity_id].append(names[contact_id])
    changed = []
    for activity in Activity.objects.filter(pk__in=list(attached)).only("pk", "contact_names"):
        kept = [n for n in activity.contact_names or [] if n not in attached[activity.pk]]
        changed.append(Activity(pk=activity.pk, contact_names=[*attached[activity.pk], *kept]))
    Activity.objects.bulk_update(changed, ["contact_names"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0002_activity_contacts"),
        ("relationships", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="activity",
            name="contact_names",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text=(
                    "Names or e-mail addresses as typed that match no contact of the account; "
                    "they do not count in the contact matrix."
                ),
                verbose_name="their contacts, not matched",
            ),
        ),
        migrations.RunPython(names_to_contacts, contacts_to_names),
    ]
