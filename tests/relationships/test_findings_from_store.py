"""The portfolio's findings (page and API) are read from the findings store: the same
findings as computed, in the same order, one page at a time, with a number of queries that
does not grow with the number of accounts (docs/relationships.md, "Findings over time")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kam.accounts.models import Account
from kam.core import relationships as core
from kam.portfolio.models import Placement, Review, ReviewStatus
from kam.relationships.findings_store import findings_refresh
from kam.relationships.models import Contact
from kam.relationships.selectors import BOX_ORDER, load
from tests.conftest import client_for
from tests.factories import AccountFactory, CriterionFactory, ReviewFactory
from tests.relationships.test_api import BASE, token_client

pytestmark = pytest.mark.django_db

KIND_ORDER = {k.value: i for i, k in enumerate(core.FindingKind)}


def _closed_review() -> Review:
    criterion = CriterionFactory(key="size", name="S", weight=10)
    return ReviewFactory(
        name="Spring",
        review_date=timezone.localdate() - dt.timedelta(days=20),
        scheme_version=criterion.version,
        status=ReviewStatus.CLOSED,
        closed_at=timezone.now() - dt.timedelta(days=10),
    )


def _accounts(owner, review: Review, n: int, start: int = 0) -> None:  # type: ignore[no-untyped-def]
    """``n`` accounts in turn in each box (and unplaced), each with a decider nobody knows,
    some with a champion who left."""
    boxes = ["key", "key_development", "maintenance", "opportunistic", ""]
    for i in range(start, start + n):
        account = AccountFactory(owner=owner, name=f"Customer {i % 7} {i:03d}")
        if boxes[i % 5]:
            Placement.objects.create(review=review, account=account, box=boxes[i % 5])
        Contact.objects.create(account=account, number=1, name=f"D{i}", buying_roles=["decider"])
        if i % 3 == 0:
            Contact.objects.create(
                account=account,
                number=2,
                name=f"C{i}",
                attitude="champion",
                has_left=True,
                left_on=timezone.localdate() - dt.timedelta(days=20),
            )


def _computed(sort: str, kind: str = "", box: str = "") -> list[tuple]:  # type: ignore[type-arg]
    """The findings computed now, in the page's documented order, as API rows."""
    rows = []
    for d in load(Account.objects.filter(active=True)):
        if box and (d.box or "none") != box:
            continue
        for f in d.findings:
            if kind and f.kind != kind:
                continue
            rows.append((d, f))

    def ties(r):  # type: ignore[no-untyped-def]
        return (r[0].account.pk, KIND_ORDER[r[1].kind.value], r[1].subject or "")

    keys = {
        "box": lambda r: (BOX_ORDER[r[0].box], -r[1].severity, r[0].account.name, *ties(r)),
        "severity": lambda r: (-r[1].severity, BOX_ORDER[r[0].box], r[0].account.name, *ties(r)),
        "account": lambda r: (r[0].account.name, -r[1].severity, *ties(r)),
    }
    rows.sort(key=keys[sort])
    return [
        (d.account.pk, d.box, f.kind.value, f.subject, f.severity, f.why.message, f.resolve.message)
        for d, f in rows
    ]


def _as_tuples(answer: list[dict]) -> list[tuple]:  # type: ignore[type-arg]
    return [
        (r["account_id"], r["box"], r["kind"], r["subject"], r["severity"], r["why"], r["resolve"])
        for r in answer
    ]


def test_the_api_from_the_store_equals_the_computed_findings(dmu, kam_user):  # type: ignore[no-untyped-def]
    review = _closed_review()
    Placement.objects.create(review=review, account=dmu["account"], box="key")
    _accounts(kam_user, review, 12)
    findings_refresh()
    client = token_client(dmu["director"])
    for sort in ("box", "severity", "account"):
        expected = _computed(sort)
        assert len(expected) > 12
        response = client.get(BASE + "findings", {"sort": sort})
        assert _as_tuples(response.json()) == expected, sort
        assert response["X-Total-Count"] == str(len(expected))
    for kind, box in [("champion_left", ""), ("", "key"), ("uncovered_decider", "none")]:
        answer = client.get(BASE + "findings", {"kind": kind, "box": box}).json()
        assert _as_tuples(answer) == _computed("box", kind=kind, box=box)
    # pages: limit and offset cut the same list
    whole = client.get(BASE + "findings", {"sort": "account"}).json()
    part = client.get(BASE + "findings", {"sort": "account", "limit": 5, "offset": 3}).json()
    assert part == whole[3:8]
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"sort": "nonsense"}):
        assert client.get(BASE + "findings", bad).status_code == 422


def test_the_page_from_the_store_shows_the_computed_findings(dmu, kam_user):  # type: ignore[no-untyped-def]
    review = _closed_review()
    _accounts(kam_user, review, 12)
    findings_refresh()
    expected = _computed("severity")
    html = client_for(dmu["director"]).get("/relationships/", {"sort": "severity"}).content
    table = html.decode().split('data-testid="findings-table"')[1]
    # the accounts appear in the computed order (the first 50 findings)
    names = [Account.objects.get(pk=r[0]).name for r in expected[:50]]
    positions = [table.index(f">{name}</a>") for name in dict.fromkeys(names)]
    assert positions == sorted(positions)
    accounts = len({r[0] for r in expected})
    assert f"{len(expected)} findings on {accounts} accounts" in html.decode()
    # the summary counts champions who left on the key accounts: accounts 0, 15 … in "key"
    champion_key = sum(1 for r in expected if r[1] == "key" and r[2] == "champion_left")
    assert champion_key == 1  # account 0 (of 0 … 11, the key ones are 0, 5, 10)
    summary = html.decode().split('data-testid="findings-summary"')[1].split("</table>")[0]
    assert '?box=key&kind=champion_left&sort=severity">1</a>' in summary


def test_a_finding_resolved_leaves_the_page(dmu, kam_user):  # type: ignore[no-untyped-def]
    """The page shows the open records: once the refresh no longer finds a finding (the
    champion is back), it is gone from the page and the API."""
    review = _closed_review()
    _accounts(kam_user, review, 1)
    findings_refresh()
    client = token_client(dmu["director"])
    assert any(r["kind"] == "champion_left" for r in client.get(BASE + "findings").json())
    Contact.objects.filter(has_left=True).update(has_left=False, left_on=None)
    findings_refresh()
    assert not any(r["kind"] == "champion_left" for r in client.get(BASE + "findings").json())


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    client.get(url)  # warm (the organisation row)
    with CaptureQueriesContext(connection) as q:
        assert client.get(url).status_code == 200
    return len(q.captured_queries)


@pytest.mark.parametrize(
    "url", ["/relationships/", "/relationships/?kind=not_met&sort=account", BASE + "findings"]
)
def test_findings_page_and_api_queries_do_not_grow_with_the_accounts(dmu, kam_user, url):  # type: ignore[no-untyped-def]
    review = _closed_review()
    _accounts(kam_user, review, 10)
    findings_refresh()
    client = token_client(dmu["director"]) if url.startswith(BASE) else client_for(dmu["director"])
    few = _queries(client, url)
    _accounts(kam_user, review, 20, start=10)
    findings_refresh()
    assert _queries(client, url) == few


def test_the_cost_order_in_sql_is_the_cost_ranking_of_kam_core(dmu, kam_user):  # type: ignore[no-untyped-def]
    """The start page ranks findings in the database: the same costs and order as
    ``kam.core.finding_cost`` (one definition)."""
    from kam.core import finding_cost
    from kam.relationships.selectors import finding_rows, findings_open

    review = _closed_review()
    _accounts(kam_user, review, 15)
    findings_refresh()
    rows = finding_rows(findings_open(user=dmu["director"], sort="cost").select_related("account"))
    assert len(rows) > 15
    for r in rows:
        assert r.cost == finding_cost.finding_cost(box=r.box, severity=r.severity)
    costed = [finding_cost.CostedFinding(r.box, r.severity, r.kind, r.account.name) for r in rows]
    # the database's order is kam.core's ranking: the rank keys never go down
    keys = [finding_cost.rank_key(c) for c in costed]
    assert keys == sorted(keys)
    assert keys[0][0] == -12  # a decider nobody knows on a key account comes first


def test_the_stored_box_and_cost_follow_the_portfolio_review_at_once(director, kam_user):  # type: ignore[no-untyped-def]
    """Each open finding stores its account's box in the portfolio review and its cost
    there (the start page ranks by them); closing a review rewrites both in the same
    transaction, before any refresh job ran, and so does deleting the portfolio review."""
    from kam.core.finding_cost import finding_cost
    from kam.portfolio.selectors import boxes_of
    from kam.portfolio.services import review_close
    from kam.relationships.models import FindingRecord
    from tests.portfolio.test_matrix import matrix_portfolio

    portfolio = matrix_portfolio(director=director, owners=[kam_user], closed=False)
    for account in portfolio.accounts.values():
        Contact.objects.create(account=account, number=1, name="D", buying_roles=["decider"])

    def stored() -> dict[str, tuple[str, int, int]]:
        return {
            r.account.name: (r.box, r.cost, r.severity)
            for r in FindingRecord.objects.filter(
                resolved_on__isnull=True, kind=core.FindingKind.UNCOVERED_DECIDER
            ).select_related("account")
        }

    review_close(review=portfolio.previous, closed_by=director)
    findings_refresh()
    before = stored()
    assert len(before) == 5
    assert before["Alpha Retail"][0] == "key_development"  # the previous review's box
    assert before["Beta Wholesale"][0] == ""  # not scored then: not placed
    for box, cost, severity in before.values():
        assert cost == finding_cost(box=box, severity=severity)

    review_close(review=portfolio.review, closed_by=director)  # no refresh after it
    after = stored()
    expected = {
        "Alpha Retail": "key",
        "Beta Wholesale": "key_development",
        "Gamma Foodservice": "maintenance",
        "Delta Online": "opportunistic",
        "Epsilon Stores": "",
    }
    assert {name: box for name, (box, _c, _s) in after.items()} == expected
    boxes = boxes_of(account_ids=[a.pk for a in portfolio.accounts.values()])
    assert {a.name: boxes.get(a.pk, "") for a in portfolio.accounts.values()} == expected
    for name, (box, cost, severity) in after.items():
        assert cost == finding_cost(box=box, severity=severity)
        assert severity == before[name][2]
    assert after["Alpha Retail"][1] > before["Alpha Retail"][1]  # key weighs more

    portfolio.review.delete()  # the previous review is the portfolio again
    assert stored() == before


def test_the_cost_ranking_of_the_whole_portfolio_reads_along_the_cost_index(dmu, kam_user):  # type: ignore[no-untyped-def]
    """The start page's first findings of the whole portfolio are read along the index on
    the open findings' stored cost, most costly first, stopping at the LIMIT: the database
    sorts only the rows of equal cost it reads, not every open finding."""
    from kam.relationships.selectors import findings_open

    if connection.vendor != "sqlite":
        pytest.skip("the query plan asked of SQLite")
    review = _closed_review()
    _accounts(kam_user, review, 10)
    findings_refresh()
    first = findings_open(user=dmu["director"], sort="cost").select_related("account")[:10]
    sql, params = first.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " / ".join(str(row[-1]) for row in cursor.fetchall())
    assert "USING INDEX finding_open_by_cost" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan  # only for the right part
    assert [r.pk for r in first] == [
        r.pk for r in list(findings_open(user=dmu["director"], sort="cost"))[:10]
    ]
