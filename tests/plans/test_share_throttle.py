"""Share-link guessing: throttled per address, and a guess writes nothing to the database."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kam.plans import services
from kam.plans.models import ShareAccess, ShareAccessKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def link_and_token(full_plan, kam_user):  # type: ignore[no-untyped-def]
    return services.share_link_create(
        user=kam_user, plan=full_plan, person_name="Anna de Vries", person_email="a@vd.example"
    )


def _url(token: str) -> str:
    return reverse("plans:shared", args=[token])


def test_a_guess_writes_no_row(link_and_token) -> None:  # type: ignore[no-untyped-def]
    _link, token = link_and_token
    client = Client()
    before = ShareAccess.objects.count()
    for guess in ("x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"), "abc"):
        assert client.get(_url(guess)).status_code == 404
    assert ShareAccess.objects.count() == before


def test_a_valid_link_still_records_its_access(link_and_token) -> None:  # type: ignore[no-untyped-def]
    link, token = link_and_token
    response = Client().get(_url(token))
    assert response.status_code == 200
    assert ShareAccess.objects.filter(link=link, kind=ShareAccessKind.VIEW).count() == 1


def test_twenty_bad_tokens_from_one_address_then_429(link_and_token) -> None:  # type: ignore[no-untyped-def]
    _link, token = link_and_token
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(services.SHARE_GUESS_LIMIT):
        assert guesser.get(_url(f"guess-{n:040d}")).status_code == 404
    blocked = guesser.get(_url("guess-one-more-" + "0" * 30))
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == str(services.SHARE_GUESS_WINDOW)
    assert 'data-testid="share-throttled"' in blocked.content.decode()
    # the blocked address gets nothing, not even with the right token ...
    assert guesser.get(_url(token)).status_code == 429
    # ... while another address (the customer) still opens the plan
    assert Client(REMOTE_ADDR="198.51.100.2").get(_url(token)).status_code == 200
    assert not ShareAccess.objects.filter(link__isnull=True).exists()


def test_the_window_ends(link_and_token) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    _link, token = link_and_token
    guesser = Client(REMOTE_ADDR="203.0.113.8")
    for n in range(services.SHARE_GUESS_LIMIT):
        guesser.get(_url(f"guess-{n:040d}"))
    assert guesser.get(_url(token)).status_code == 429
    cache.delete("kam:share-guesses:203.0.113.8")  # what the cache does when the window ends
    assert guesser.get(_url(token)).status_code == 200
