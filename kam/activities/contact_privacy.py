"""A contact's data across the apps that hold it (GDPR articles 15 and 17; docs/relationships.md):
the contact (kam.relationships), the activities that name the person and the plan actions
they own. In kam.activities, the highest of those apps, so the export and the erasure read
and write all three in one place (docs/architecture.md, "The order of the packages")."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.selectors import account_editable_check
from kam.activities.models import Activity
from kam.errors import ApplicationError
from kam.relationships.models import Contact, ErasureRecord
from kam.relationships.selectors import contact_get_visible
from kam.web.choices import Attitude


def contact_export(*, user: User, contact: Contact) -> dict[str, Any]:
    """Everything kam holds on one person (GDPR article 15), as a JSON-ready dict.

    Readers of the account may export (the data is already visible to them).
    """
    contact = contact_get_visible(user=user, contact_id=contact.pk)
    activities = list(
        contact.activities.order_by("date", "pk").values(
            "date", "type", "topic", "duration_minutes"
        )
    )
    named = [
        {"date": a.date.isoformat(), "topic": a.topic}
        for a in Activity.objects.filter(account=contact.account).exclude(
            pk__in=contact.activities.all()
        )
        if (contact.name and contact.name in a.contact_names)
        or (contact.email and contact.email in [n.lower() for n in a.contact_names])
    ]
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {"external_id": contact.account.external_id, "name": contact.account.name},
        "contact": {
            "number": contact.number,
            "name": contact.display_name,
            "title": contact.title,
            "function": contact.function,
            "seniority": contact.seniority,
            "reports_to": contact.reports_to.display_name if contact.reports_to else None,
            "buying_roles": contact.buying_roles,
            "influence": contact.influence,
            "attitude": contact.attitude,
            "relationship_owner": contact.owner.get_username() if contact.owner else None,
            "email": contact.email,
            "phone": contact.phone,
            "notes": contact.notes,
            "has_left": contact.has_left,
            "left_on": contact.left_on.isoformat() if contact.left_on else None,
            "lawful_basis": contact.lawful_basis,
            "erased_at": contact.erased_at.isoformat() if contact.erased_at else None,
            "created_at": contact.created_at.isoformat(),
            "updated_at": contact.updated_at.isoformat(),
        },
        "activities": [{**a, "date": a["date"].isoformat()} for a in activities],
        "activities_naming_the_person": named,
        "manual_links": [
            {
                "our_person": link.user.get_username(),
                "strength": link.strength,
                "meetings_per_year": link.meetings_per_year,
                "last_met": link.last_met.isoformat() if link.last_met else None,
                "note": link.note,
            }
            for link in contact.manual_links.select_related("user")
        ],
    }


def contact_erase(*, user: User, contact: Contact) -> ErasureRecord:
    """Erase one person's data (GDPR article 17) and keep the account's history whole.

    The contact row stays as "Former contact #n" without name, title, e-mail, phone, notes,
    roles or attitude; activities keep existing and keep pointing at it; the person's name
    and address are replaced by "Former contact #n" in activities' free-text contacts;
    manual links (our opinions about the person) are deleted. An audit row records who
    erased whom (by number) and when.
    """
    account_editable_check(user=user, account=contact.account)
    if contact.erased_at is not None:
        raise ApplicationError(_("This contact's data is already erased."), status=409)
    label = _("Former contact #%(n)d") % {"n": contact.number}
    forget = {v.lower() for v in (contact.name, contact.email) if v}
    with transaction.atomic():
        changed = []
        for activity in Activity.objects.filter(account=contact.account).only(
            "pk", "contact_names"
        ):
            names = activity.contact_names or []
            if any(n.lower() in forget or _mentions(n, forget) for n in names):
                replaced: list[str] = []
                for n in names:
                    new = label if n.lower() in forget or _mentions(n, forget) else n
                    if new not in replaced:
                        replaced.append(new)
                activity.contact_names = replaced
                changed.append(activity)
        Activity.objects.bulk_update(changed, ["contact_names"])
        kept = contact.activities.count()
        contact.manual_links.all().delete()
        for name in ("name", "title", "email", "phone", "notes"):
            setattr(contact, name, "")
        contact.buying_roles = []
        contact.attitude = Attitude.NEUTRAL
        contact.influence = 3
        contact.owner = None
        contact.has_left = True
        contact.erased_at = timezone.now()
        contact.save()
        # Plan actions the person owns keep pointing at them; the copied name and address go.
        # The version counts up: an action form opened before cannot bring the address back.
        contact.plan_actions.update(
            owner_contact_name=label, owner_contact_email="", version=F("version") + 1
        )
        return ErasureRecord.objects.create(
            account=contact.account,
            contact_number=contact.number,
            erased_by=user if user.is_authenticated else None,
            activities_kept=kept,
        )


def _mentions(text: str, forget: set[str]) -> bool:
    # "Anna de Wit (buyer)" names Anna de Wit: the name followed by a bracketed role.
    low = text.lower()
    return any(low.startswith(f"{f} (") or low.startswith(f"{f} <") for f in forget)
