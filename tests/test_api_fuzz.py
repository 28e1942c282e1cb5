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

import io
import logging
import os
import time
from collections import Counter
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


def test_every_operation_holds_under_the_fuzzer(settings) -> None:  # type: ignore[no-untyped-def]
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

    from kam.demo import demo_load
    from kam.users.models import Role
    from kam.users.tokens import api_token_create

    settings.ALLOWED_HOSTS = ["*"]
    logging.getLogger("django.request").setLevel(logging.ERROR)  # 4xx are expected here
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

    # As Django's test client does: the test's transaction must outlive each request (on
    # PostgreSQL, closing "old" connections at a request's end would close it).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    app = get_wsgi_application()
    try:
        schema = _schema(app)
    except BaseException:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
        raise
    checks = [
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
        content_type_conformance,
    ]
    requests = 0
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    spent: dict[str, float] = {}

    fuzz_started = time.monotonic()
    try:
        for result in schema.get_all_operations():
            operation = result.ok()

            @hseed(SEED)
            @hsettings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=False,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(
                case=operation.as_strategy(GenerationMode.POSITIVE)
                | operation.as_strategy(GenerationMode.NEGATIVE)
            )
            def run(case: Any) -> None:
                nonlocal requests
                _aim_at_rows(case, pools)
                with transaction.atomic():
                    response = case.call(headers=headers)
                    transaction.set_rollback(True)
                requests += 1
                statuses[response.status_code] += 1
                case.validate_response(response, checks=checks)

            started = time.monotonic()
            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # every operation's failure is collected
                failures.append(f"{operation.method.upper()} {operation.path}: {exc!s}"[:LIMIT])
            spent[f"{operation.method.upper()} {operation.path}"] = time.monotonic() - started
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)

    print(
        f"\nfuzzer: {time.monotonic() - fuzz_started:.0f} s, {requests} requests, "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    slowest = sorted(spent.items(), key=lambda item: -item[1])[:12]
    print("slowest operations: " + ", ".join(f"{op} {s:.1f}s" for op, s in slowest))
    assert statuses[500] == 0
    assert not failures, "\n\n".join(failures)
