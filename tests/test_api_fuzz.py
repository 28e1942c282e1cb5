"""The API proven by a fuzzer: Schemathesis against kam's own OpenAPI schema, in-process.

Every operation of ``/api/openapi.json`` gets a fixed number of generated requests (a fixed
seed, so a run is repeatable) against the WSGI app on a small seeded database (the demo
portfolio, 40 customers), signed in with a key account manager's personal token. Each
response must hold four promises a script relies on:

- no server error (5xx);
- the body matches the schema the operation documents for that status;
- the status code is one the operation documents;
- the content type is the documented one.

Each request runs in a savepoint that is rolled back, so every operation meets the same
database: a DELETE cannot starve the operations after it of data.

``KAM_FUZZ_EXAMPLES`` raises the number of requests per operation for a longer one-off run.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

EXAMPLES = int(os.environ.get("KAM_FUZZ_EXAMPLES", "6"))
SEED = 13
LIMIT = int(os.environ.get("KAM_FUZZ_REPORT", "3000"))


def _schema(app: Any) -> Any:
    import schemathesis

    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@contextlib.contextmanager
def _connection_kept() -> Iterator[None]:
    """As Django's test client does: the test's transaction outlives each request (on
    PostgreSQL, closing "old" connections at a request's end would close it)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _id_pools(manager: Any) -> dict[str, list[int]]:
    """For each id in a path, the rows of the seeded database: the manager's own first."""
    from kam.accounts.models import Account
    from kam.activities.models import Activity
    from kam.allocation.models import AllocationRun, PlanningPeriod
    from kam.casefor.models import Assessment
    from kam.economics.models import CostToServeItem, Investment
    from kam.plans.models import Plan, PlanAction, PlanItem, ShareLink
    from kam.portfolio.models import Review, ScoringScheme
    from kam.relationships.models import Contact
    from kam.users.models import ApiToken

    def pks(queryset: Any) -> list[int]:
        return list(queryset.order_by("pk").values_list("pk", flat=True)[:200])

    own = pks(Account.objects.filter(owner=manager))
    return {
        "account_id": own * 3 + pks(Account.objects.all()),
        "action_id": pks(PlanAction.objects.all()),
        "activity_id": pks(Activity.objects.all()),
        "assessment_id": pks(Assessment.objects.all()),
        "contact_id": pks(Contact.objects.filter(account__in=own)) + pks(Contact.objects.all()),
        "investment_id": pks(Investment.objects.all()),
        "item_id": pks(PlanItem.objects.all()) + pks(CostToServeItem.objects.all()),
        "link_id": pks(ShareLink.objects.all()),
        "period_id": pks(PlanningPeriod.objects.all()),
        "plan_id": pks(Plan.objects.filter(account__in=own)) * 3 + pks(Plan.objects.all()),
        "review_id": pks(Review.objects.all()),
        "run_id": pks(AllocationRun.objects.all()),
        "scheme_id": pks(ScoringScheme.objects.all()),
        "token_id": pks(ApiToken.objects.all()),
        "user_id": pks(get_user_model().objects.all()),
    }


def _aim_at_rows(case: Any, pools: dict[str, list[int]]) -> None:
    """Point most generated ids at rows that exist; every fifth keeps its random value."""
    for name, value in (case.path_parameters or {}).items():
        pool = pools.get(name)
        if pool and isinstance(value, int) and not isinstance(value, bool) and value % 5 != 4:
            case.path_parameters[name] = pool[value % len(pool)]


@dataclass
class Outcome:
    """What a run saw: requests, their statuses, each operation's failure and time."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    spent: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def _fuzz(schema: Any, *, headers: dict[str, str], pools: dict[str, list[int]]) -> Outcome:
    """``EXAMPLES`` valid and invalid requests per operation, each checked and rolled back."""
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import seed as hseed
    from hypothesis import settings as hsettings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
        content_type_conformance,
    ]
    outcome = Outcome()
    began = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"

        @hseed(SEED)
        @hsettings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded in time
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=operation.as_strategy(GenerationMode.POSITIVE)
            | operation.as_strategy(GenerationMode.NEGATIVE)
        )
        def run(case: Any) -> None:
            _aim_at_rows(case, pools)
            with transaction.atomic():
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            outcome.requests += 1
            outcome.statuses[response.status_code] += 1
            case.validate_response(response, checks=checks)

        started = time.monotonic()
        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure is collected
            outcome.failures.append(f"{label}: {exc!s}"[:LIMIT])
        outcome.spent[label] = time.monotonic() - started
    outcome.seconds = time.monotonic() - began
    return outcome


def test_every_operation_holds_under_the_fuzzer(settings) -> None:  # type: ignore[no-untyped-def]
    from kam.demo import demo_load
    from kam.users.models import Role
    from kam.users.tokens import api_token_create

    settings.ALLOWED_HOSTS = ["*"]
    demo_load(seed=3, accounts=40, stdout=io.StringIO())
    # A key account manager of the demo, with accounts, plans and activities of their own.
    manager = (
        get_user_model()
        .objects.filter(profile__role=Role.KEY_ACCOUNT_MANAGER, owned_accounts__isnull=False)
        .order_by("username")
        .first()
    )
    assert manager is not None
    _, token = api_token_create(user=manager, name="fuzzer")
    headers = {"Authorization": f"Bearer {token}"}
    pools = _id_pools(manager)

    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)  # refusals (4xx) are expected here; 5xx still show
    try:
        with _connection_kept():
            schema = _schema(get_wsgi_application())
            outcome = _fuzz(schema, headers=headers, pools=pools)
    finally:
        request_log.setLevel(level)

    print(
        f"\nfuzzer: {outcome.seconds:.0f} s, {outcome.requests} requests, "
        f"statuses {dict(sorted(outcome.statuses.items()))}"
    )
    slowest = sorted(outcome.spent.items(), key=lambda item: -item[1])[:12]
    print("slowest operations: " + ", ".join(f"{op} {s:.1f}s" for op, s in slowest))
    assert outcome.requests >= EXAMPLES * 100  # every operation was reached (128 today)
    assert outcome.statuses[500] == 0
    assert not outcome.failures, "\n\n".join(outcome.failures)
