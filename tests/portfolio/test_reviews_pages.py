"""Review pages: list with progress, create, the director's overview, the grid, closing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.portfolio.models import Rating, Review, ReviewStatus
from tests.conftest import client_for
from tests.factories import AccountFactory
from tests.portfolio.test_services import crit, make_review, make_scheme, score_all


def _grid_post(review, account, values, **extra):  # type: ignore[no-untyped-def]
    """POST data for one account's row: ``values`` maps field prefix+key to a string."""
    v = review.scheme_version
    data = {"accounts": [str(account.pk)]}
    for name, value in values.items():
        prefix, key = name.split(":")
        data[f"{prefix}-{account.pk}-{crit(v, key)}"] = value
    data.update(extra)
    return data


@pytest.mark.django_db
def test_list_shows_status_and_progress_per_rater(director, kam_user):
    mine = AccountFactory(owner=kam_user)
    AccountFactory()  # an account only the director reads
    review = make_review(director, [director, kam_user], name="Spring 2026")
    # kam_user reads 1 account × 5 criteria and has scored all 5: 100 %.
    score_all(review, kam_user, mine, {"a1": 5, "a2": 5, "a3": 5, "s1": 5, "s2": 5})
    # The director reads 2 accounts × 5 criteria = 10 cells and has scored 3: 30 %.
    score_all(review, director, mine, {"a1": 5, "a2": 5, "a3": 5})

    response = client_for(kam_user).get(reverse("portfolio:review_list"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Spring 2026" in text
    assert 'max="100" value="100"' in text
    assert 'max="100" value="30"' in text
    assert "Open for scoring" in text


@pytest.mark.django_db
def test_list_queries_do_not_grow_with_reviews(director, kam_user, django_assert_max_num_queries):
    version = make_scheme(director)
    for n in range(6):
        make_review(director, [director, kam_user], version=version, name=f"R{n}")
    client = client_for(director)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("portfolio:review_list")).status_code == 200


@pytest.mark.django_db
def test_director_opens_a_review_member_cannot(director, kam_user, member):
    version = make_scheme(director)
    data = {
        "name": "Autumn",
        "review_date": "2026-10-01",
        "scheme_version": version.pk,
        "raters": [director.pk, kam_user.pk],
    }
    assert client_for(member).post(reverse("portfolio:review_create"), data).status_code == 403
    assert client_for(member).get(reverse("portfolio:review_create")).status_code == 403

    form = client_for(director).get(reverse("portfolio:review_create")).content.decode()
    assert "Food retail, version 1" in form

    response = client_for(director).post(reverse("portfolio:review_create"), data)
    review = Review.objects.get(name="Autumn")
    assert response.status_code == 302
    assert set(review.raters.all()) == {director, kam_user}


@pytest.mark.django_db
def test_viewer_cannot_be_named_rater(director, viewer):
    version = make_scheme(director)
    data = {
        "name": "Autumn",
        "review_date": "2026-10-01",
        "scheme_version": version.pk,
        "raters": [viewer.pk],
    }
    response = client_for(director).post(reverse("portfolio:review_create"), data)
    assert response.status_code == 200
    assert "is not one of the available choices" in response.content.decode()
    assert not Review.objects.exists()


@pytest.mark.django_db
def test_detail_lists_disagreement_not_placed_and_box_counts(director, kam_user):
    account = AccountFactory(owner=kam_user, name="Hofmann Markt")
    review = make_review(director, [director, kam_user])
    score_all(review, director, account, {"a1": 9, "a2": 5, "a3": 5})
    ratings = Rating.objects.filter(rater=director, criterion__key="a1")
    ratings.update(comment="they open 40 stores")
    score_all(review, kam_user, account, {"a1": 4, "a2": 5, "a3": 5})

    text = client_for(director).get(reverse("portfolio:review_detail", args=[review.pk]))
    assert text.status_code == 200
    body = text.content.decode()
    assert "Hofmann Markt" in body
    assert "they open 40 stores" in body  # the director sees each rater's score and comment
    assert "Buying 1, Buying 2" in body  # not placed: the strength criteria lack scores

    # A key account manager sees the flag but not the other rater's scores while open.
    kam_body = client_for(kam_user).get(reverse("portfolio:review_detail", args=[review.pk]))
    assert "Hofmann Markt" in kam_body.content.decode()
    assert "they open 40 stores" not in kam_body.content.decode()


@pytest.mark.django_db
def test_grid_shows_only_own_accounts_and_own_scores(director, kam_user, other_kam):
    mine = AccountFactory(owner=kam_user, name="Mine BV")
    AccountFactory(owner=other_kam, name="Theirs GmbH")
    review = make_review(director, [director, kam_user])
    score_all(review, director, mine, {"a1": 9})

    response = client_for(kam_user).get(reverse("portfolio:review_score", args=[review.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Mine BV" in text
    assert "Theirs GmbH" not in text
    a1 = crit(review.scheme_version, "a1")
    # The director's 9 is not shown to the other rater.
    assert f'name="s-{mine.pk}-{a1}" id="s-{mine.pk}-{a1}" value=""' in text


@pytest.mark.django_db
def test_viewer_and_non_rater_cannot_score(director, kam_user, other_kam, viewer):
    review = make_review(director, [director, kam_user])
    url = reverse("portfolio:review_score", args=[review.pk])
    assert client_for(viewer).get(url).status_code == 403
    assert client_for(other_kam).get(url).status_code == 403
    account = AccountFactory(owner=other_kam)
    data = _grid_post(review, account, {"s:a1": "5"})
    assert client_for(other_kam).post(url, data).status_code == 403
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_grid_post_saves_the_page(director, kam_user):
    account = AccountFactory(owner=kam_user)
    competitor_review = make_review(director, [kam_user])
    version = competitor_review.scheme_version
    rival = version.competitors.get(name="Rival Foods")
    data = _grid_post(
        competitor_review,
        account,
        {"s:a1": "7", "s:a2": "6", "c:a2": "growing fast", "s:s1": "8", "k:s1": "6"},
        **{f"v-{account.pk}": "customer", f"x-{account.pk}": str(rival.pk)},
    )
    url = reverse("portfolio:review_score", args=[competitor_review.pk])
    response = client_for(kam_user).post(url + "?q=", data)
    assert response.status_code == 302
    saved = {r.criterion.key: r for r in Rating.objects.filter(rater=kam_user)}
    assert {k: r.score for k, r in saved.items()} == {"a1": 7, "a2": 6, "s1": 8}
    assert saved["a2"].comment == "growing fast"
    assert saved["s1"].competitor_score == 6
    assert saved["s1"].view_source == "customer"
    assert saved["s1"].competitor_id == rival.pk
    assert saved["a1"].view_source == ""  # whose view belongs to strength scores only

    # Emptying a cell clears the score.
    data[f"s-{account.pk}-{crit(version, 'a1')}"] = ""
    client_for(kam_user).post(url, data)
    assert not Rating.objects.filter(rater=kam_user, criterion__key="a1").exists()


@pytest.mark.django_db
def test_grid_bad_value_shows_error_and_saves_nothing(director, kam_user):
    account = AccountFactory(owner=kam_user, name="Bakker")
    review = make_review(director, [kam_user])
    url = reverse("portfolio:review_score", args=[review.pk])
    data = _grid_post(review, account, {"s:a1": "7", "s:a2": "11", "k:s1": "4"})
    response = client_for(kam_user).post(url, data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Nothing was saved" in text
    assert "Bakker, A2: &#x27;11&#x27; is not a whole number from 1 to 10." in text
    assert "Bakker, Buying 1: give our score too" in text
    assert 'class="cell invalid"' in text
    assert 'value="11"' in text  # the input is kept
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_grid_row_autosave_answers_with_the_row(director, kam_user):
    account = AccountFactory(owner=kam_user)
    other = AccountFactory(owner=kam_user)
    review = make_review(director, [kam_user])
    url = reverse("portfolio:review_score", args=[review.pk])
    data = _grid_post(review, account, {"s:a1": "3"})
    data["accounts"] = [str(account.pk), str(other.pk)]
    data[f"s-{other.pk}-{crit(review.scheme_version, 'a1')}"] = "8"
    data["row"] = str(account.pk)
    response = client_for(kam_user).post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith("<tr")
    assert "row-saved" in text
    # Only the posted row was saved.
    assert list(Rating.objects.values_list("account_id", "score")) == [(account.pk, 3)]


@pytest.mark.django_db
def test_grid_post_to_closed_review_is_refused(director):
    account = AccountFactory()
    review = make_review(director, [director])
    client = client_for(director)
    assert client.post(reverse("portfolio:review_close", args=[review.pk])).status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.CLOSED
    url = reverse("portfolio:review_score", args=[review.pk])
    response = client.post(url, _grid_post(review, account, {"s:a1": "5"}))
    assert response.status_code == 409
    assert not Rating.objects.exists()


@pytest.mark.django_db
def test_only_directors_close_and_only_by_post(director, kam_user):
    review = make_review(director, [director, kam_user])
    url = reverse("portfolio:review_close", args=[review.pk])
    assert client_for(director).get(url).status_code == 405
    assert client_for(kam_user).post(url).status_code == 403
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN


@pytest.mark.django_db
def test_grid_paginates_fifty_and_filters(director):
    for n in range(55):
        AccountFactory(name=f"Shop {n:02d}")
    review = make_review(director, [director])
    url = reverse("portfolio:review_score", args=[review.pk])
    client = client_for(director)
    first = client.get(url).content.decode()
    assert first.count('name="accounts"') == 50
    second = client.get(url + "?page=2").content.decode()
    assert second.count('name="accounts"') == 5
    found = client.get(url + "?q=Shop 07").content.decode()
    assert found.count('name="accounts"') == 1


def _flagged_accounts(review, director, kam_user, n: int, start: int = 0) -> None:  # type: ignore[no-untyped-def]
    for i in range(start, start + n):
        account = AccountFactory(owner=kam_user, name=f"Flagged {i:03d}")
        score_all(review, director, account, {"a1": 9, "a2": 5, "a3": 5})
        score_all(review, kam_user, account, {"a1": 2, "a2": 5, "a3": 5})


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["director", "kam_user"])
def test_detail_queries_do_not_grow_with_the_accounts(director, kam_user, other_kam, who):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    review = make_review(director, [director, kam_user, other_kam])
    _flagged_accounts(review, director, kam_user, 3)
    client = client_for(director if who == "director" else kam_user)
    url = reverse("portfolio:review_detail", args=[review.pk])
    client.get(url)  # computes the placements, warms the organisation row

    def count() -> int:
        with CaptureQueriesContext(connection) as q:
            assert client.get(url).status_code == 200
        return len(q.captured_queries)

    few = count()
    _flagged_accounts(review, director, kam_user, 6, start=3)
    client.get(url)  # the new scores are computed once
    assert count() == few


@pytest.mark.django_db
def test_detail_lists_a_page_of_flags_and_counts_them_all(director, kam_user, monkeypatch):  # type: ignore[no-untyped-def]
    from kam.portfolio import views_reviews

    monkeypatch.setattr(views_reviews, "DISAGREEMENT_ACCOUNTS_SHOWN", 2)
    review = make_review(director, [director, kam_user])
    _flagged_accounts(review, director, kam_user, 5)
    body = client_for(director).get(reverse("portfolio:review_detail", args=[review.pk]))
    html = body.content.decode()
    # five accounts flagged on a1: all five counted, the first two by name listed
    assert body.context["disagreement_count"] == 5
    assert [d.account.name for d in body.context["disagreements"]] == [
        "Flagged 000",
        "Flagged 001",
    ]
    assert "Flagged 002" not in html.split("Criteria to discuss")[1].split("</table>")[0]
    assert "and 3 more criteria to discuss on further accounts" in html
