"""No lost updates on box policies: two directors save the policies page loaded at once.

The second save changes nothing: 409 with both versions of the box it concerns; the API
gives an ETag over the four policies and refuses a stale If-Match with 412.
"""

from __future__ import annotations

import json
import re

import pytest

from kam.organisation.models import BoxPolicy
from tests.conftest import client_for
from tests.factories import make_user
from tests.organisation.test_views import URL, box_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_director(db):  # type: ignore[no-untyped-def]
    return make_user("sales_director", username="dora", first_name="Dora", last_name="Smit")


def _versions(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="([a-z_]+-version)" value="(\d+)"', html))


def test_two_directors_save_box_policies(director, second_director):
    first, second = client_for(director), client_for(second_director)
    first.post(URL, box_post())  # the four policies exist, version 1
    loaded = _versions(first.get(URL).content.decode())
    assert loaded == _versions(second.get(URL).content.decode())
    assert loaded["key-version"] == "1"

    response = first.post(URL, {**box_post(**{"key-min_hours_per_year": 250}), **loaded})
    assert response.status_code == 302
    response = second.post(URL, {**box_post(**{"key-min_hours_per_year": 180}), **loaded})
    assert response.status_code == 409
    page = response.content.decode()
    assert "250" in page and "180" in page
    key = BoxPolicy.objects.get(box="key")
    assert key.min_hours_per_year == 250 and key.version == 2
    assert key.updated_by == director

    # Unchanged saves change nothing, not even the version.
    first.post(
        URL,
        {
            **box_post(**{"key-min_hours_per_year": 250}),
            **_versions(first.get(URL).content.decode()),
        },
    )
    assert BoxPolicy.objects.get(box="key").version == 2


def test_box_policies_api_if_match(director, second_director):
    client_for(director).post(URL, box_post())
    got = client_for(director).get("/api/organisation/box-policies")
    assert got["ETag"] == '"1-1-1-1"'
    assert [p["version"] for p in got.json()] == [1, 1, 1, 1]
    body = got.json()
    body[0]["min_hours_per_year"] = 240

    def put(user, payload, **headers):  # type: ignore[no-untyped-def]
        return client_for(user).put(
            "/api/organisation/box-policies",
            json.dumps(payload),
            content_type="application/json",
            headers=headers,
        )

    fresh = put(director, body, **{"If-Match": got["ETag"]})
    assert fresh.status_code == 200, fresh.content
    assert fresh["ETag"] == '"2-1-1-1"' and fresh.json()[0]["version"] == 2

    body[0]["min_hours_per_year"] = 260
    stale = put(second_director, body, **{"If-Match": got["ETag"]})
    assert stale.status_code == 412
    assert stale.json()["current"][0]["min_hours_per_year"] == 240
    stale = put(second_director, body)  # the body still says version 1
    assert stale.status_code == 409
    assert BoxPolicy.objects.get(box="key").min_hours_per_year == 240
