"""The version rule under a real race: two transactions save the same plan at once.

One ``UPDATE … SET version = version + 1 WHERE pk = … AND version = <expected>`` per save:
whichever transaction comes second finds zero rows (PostgreSQL re-checks the condition
after waiting for the first one's row lock) and is refused; nothing of it is written. Run
on PostgreSQL (``DATABASE_URL``); SQLite serialises writers to the whole file instead.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction

from kam.plans import services
from kam.plans.models import Plan
from kam.web.concurrency import VersionConflict
from tests.factories import AccountFactory, make_user

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a race between two connections: PostgreSQL"
)


@pytest.mark.django_db(transaction=True)
def test_two_transactions_racing_on_one_version_one_wins():
    owner = make_user("key_account_manager", username="race")
    plan = services.plan_create(
        user=owner,
        account=AccountFactory(owner=owner),
        period_label="2026",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    loaded = plan.version
    first_claimed = threading.Event()
    second_started = threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                services.plan_update(
                    user=owner,
                    plan=Plan.objects.get(pk=plan.pk),
                    data={"summary": "First."},
                    expected_version=loaded,
                )
                first_claimed.set()  # the row is locked until this transaction ends
                second_started.wait()
            outcome["first"] = "saved"
        finally:
            connections.close_all()

    def second() -> None:
        try:
            first_claimed.wait()
            second_started.set()
            try:
                services.plan_update(
                    user=owner,
                    plan=Plan.objects.get(pk=plan.pk),
                    data={"summary": "Second."},
                    expected_version=loaded,
                )
                outcome["second"] = "saved"
            except VersionConflict as exc:
                outcome["second"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert outcome["first"] == "saved"
    assert isinstance(outcome["second"], VersionConflict)
    assert outcome["second"].current.summary == "First."
    fresh = Plan.objects.get(pk=plan.pk)
    assert (fresh.summary, fresh.version) == ("First.", loaded + 1)
