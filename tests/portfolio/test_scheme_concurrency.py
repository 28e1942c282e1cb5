"""No lost updates on scoring schemes: two directors change the same version of a scheme.

The second save makes no version of its own: the page answers 409 with both contents, the
API 412 (If-Match) or 409 (body ``version``) with the current content.
"""

from __future__ import annotations

import json
import re

import pytest

from kam.portfolio.models import ScoringScheme
from tests.conftest import client_for
from tests.factories import make_user
from tests.portfolio.test_schemes_api import _body
from tests.portfolio.test_schemes_pages import _post_data
from tests.portfolio.test_services import make_scheme

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_director(db):  # type: ignore[no-untyped-def]
    return make_user("sales_director", username="dora", first_name="Dora", last_name="Smit")


def test_two_directors_edit_the_same_scheme(director, second_director):
    scheme = make_scheme(director).scheme
    url = f"/portfolio/schemes/{scheme.pk}/edit/"
    first, second = client_for(director), client_for(second_director)
    loaded = re.search(r'name="version" value="(\d+)"', first.get(url).content.decode())
    assert loaded and second.get(url).status_code == 200
    version = loaded.group(1)

    response = first.post(url, _post_data(a_weights=(40, 40, 20), version=version))
    assert response.status_code == 302
    response = second.post(url, _post_data(a_weights=(60, 20, 20), version=version))
    assert response.status_code == 409
    page = response.content.decode()
    assert "Attr 1, weight 40" in page  # theirs
    assert "Attr 1, weight 60" in page  # yours
    assert director.get_full_name() in page
    scheme.refresh_from_db()
    assert scheme.version == 2
    assert [c.weight for c in scheme.latest_version().criteria.filter(axis="attractiveness")] == [
        40,
        40,
        20,
    ]

    # Keep mine: sent again on top of version 2 it makes version 3.
    response = second.post(url, _post_data(a_weights=(60, 20, 20), version="2"))
    assert response.status_code == 302
    assert ScoringScheme.objects.get(pk=scheme.pk).latest_version().number == 3


def test_scheme_api_if_match(director, second_director):
    scheme = make_scheme(director).scheme
    got = client_for(director).get(f"/api/schemes/{scheme.pk}/content")
    assert got.status_code == 200
    assert got["ETag"] == '"1"' and got.json()["version"] == 1
    detail = client_for(director).get(f"/api/schemes/{scheme.pk}")
    assert detail["ETag"] == '"1"' and detail.json()["version"] == 1

    def put(user, body, **headers):  # type: ignore[no-untyped-def]
        return client_for(user).put(
            f"/api/schemes/{scheme.pk}",
            json.dumps(body),
            content_type="application/json",
            headers=headers,
        )

    fresh = put(director, _body(a=(40, 40, 20)), **{"If-Match": '"1"'})
    assert fresh.status_code == 200, fresh.content
    assert fresh.json()["number"] == 2 and fresh["ETag"] == '"2"'

    stale = put(second_director, _body(a=(70, 20, 10)), **{"If-Match": '"1"'})
    assert stale.status_code == 412
    body = stale.json()
    assert body["your_version"] == 1 and body["current_version"] == 2
    assert [c["weight"] for c in body["current"]["criteria"][:3]] == [40, 40, 20]

    stale = put(second_director, {**_body(a=(70, 20, 10)), "version": 1})
    assert stale.status_code == 409
    assert ScoringScheme.objects.get(pk=scheme.pk).latest_version().number == 2

    again = put(second_director, {**_body(a=(70, 20, 10)), "version": 2})
    assert again.status_code == 200 and again.json()["number"] == 3
