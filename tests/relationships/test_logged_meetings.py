"""Meetings logged by hand with contacts picked count in the matrix, findings and stage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kam.core.relationships.vocabulary import FindingKind
from kam.relationships.selectors import account_data, ckey, matrix, ukey
from kam.relationships.services import contact_create
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def not_met_subjects(d):  # type: ignore[no-untyped-def]
    return {f.subject for f in d.findings if f.kind == FindingKind.NOT_MET}


def test_logging_a_meeting_via_the_page_changes_the_matrix_and_findings(dmu):  # type: ignore[no-untyped-def]
    account, kam = dmu["account"], dmu["kam"]
    dirk = contact_create(
        user=kam,
        account=account,
        name="Dirk Hendriks",
        title="Logistics Director",
        function="supply_chain",
        seniority=2,
        buying_roles=["influencer"],
        influence=4,
    )
    before = account_data(user=kam, account_id=account.pk)
    assert ckey(dirk.pk) in not_met_subjects(before)
    assert matrix(before)["last_met"][dirk.pk] is None
    assert not [lk for lk in before.links if lk.theirs == ckey(dirk.pk)]

    day = dt.date.today() - dt.timedelta(days=3)
    response = client_for(kam).post(
        reverse("activities:new"),
        {
            "account": account.pk,
            "date": day.isoformat(),
            "duration_minutes": "60",
            "type": "meeting",
            "participants": [kam.pk],
            "contacts": [dirk.pk],
            "topic": "Warehouse tour",
        },
    )
    assert response.status_code == 302

    after = account_data(user=kam, account_id=account.pk)
    assert ckey(dirk.pk) not in not_met_subjects(after)
    assert matrix(after)["last_met"][dirk.pk] == day
    (link,) = [lk for lk in after.links if lk.theirs == ckey(dirk.pk)]
    assert link.ours == ukey(kam.pk)
    assert link.last_met == day and link.derived


def test_a_meeting_logged_with_a_name_only_does_not_count(dmu):  # type: ignore[no-untyped-def]
    account, kam = dmu["account"], dmu["kam"]
    dirk = contact_create(user=kam, account=account, name="Dirk Hendriks")
    client_for(kam).post(
        reverse("activities:new"),
        {
            "account": account.pk,
            "date": dt.date.today().isoformat(),
            "duration_minutes": "60",
            "type": "meeting",
            "participants": [kam.pk],
            "contact_names": "Dirk",
        },
    )
    after = account_data(user=kam, account_id=account.pk)
    assert ckey(dirk.pk) in not_met_subjects(after)
    assert matrix(after)["last_met"][dirk.pk] is None
