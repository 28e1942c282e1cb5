"""No lost updates on a period's box policies (the year plan): page and API."""

from __future__ import annotations

import json
import re

import pytest

from kam.allocation.models import PeriodBoxPolicy
from tests.conftest import client_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _form(html: str, **changes: int) -> dict[str, object]:
    data: dict[str, object] = {"section": "policies"}
    data.update(re.findall(r'name="([a-z_]+-version)" value="(\d+)"', html))
    for name, value in re.findall(
        r'name="([a-z_]+-(?:min|max)_hours_per_year)"[^>]*value="(\d+)"', html
    ):
        data[name] = value
    data.update({k.replace("__", "-"): v for k, v in changes.items()})
    return data


def test_two_planners_save_the_period_policies(period, director):
    other = make_user("sales_director", username="dora", first_name="Dora", last_name="Smit")
    url = f"/allocation/{period.pk}/"
    page_first = client_for(director).get(url).content.decode()
    page_second = client_for(other).get(url).content.decode()
    first = _form(page_first, key__min_hours_per_year=222)
    assert first.get("key-version") == "1"
    response = client_for(director).post(url, first)
    assert response.status_code == 302
    response = client_for(other).post(url, _form(page_second, key__min_hours_per_year=111))
    assert response.status_code == 409
    assert "222" in response.content.decode() and "111" in response.content.decode()
    assert PeriodBoxPolicy.objects.get(period=period, box="key").min_hours_per_year == 222


def test_period_policies_api_if_match(period, director):
    client = client_for(director)
    url = f"/api/allocation/periods/{period.pk}/policies"
    got = client.get(url)
    etag = got["ETag"]
    body = got.json()
    body[0]["min_hours_per_year"] += 1

    def put(payload, **headers):  # type: ignore[no-untyped-def]
        return client.put(
            url, json.dumps(payload), content_type="application/json", headers=headers
        )

    ok = put(body, **{"If-Match": etag})
    assert ok.status_code == 200, ok.content
    assert ok.json()[0]["version"] == body[0]["version"] + 1
    body[0]["min_hours_per_year"] += 1
    stale = put(body, **{"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["current"][0]["min_hours_per_year"] == body[0]["min_hours_per_year"] - 1
