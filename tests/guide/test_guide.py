"""The method inside kam (issue 7, item 3): guidance on every page and the glossary, in
English and Dutch.

Topics are discovered from the files on disk, not from kam's own list, so a guidance file
added in one language only fails ``test_every_topic_exists_in_every_language``.
"""

from __future__ import annotations

import re
from html import escape, unescape
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from kam.guide.glossary import TERMS, glossary_terms
from kam.guide.topics import SECTIONS, TEMPLATE_DIR, TOPICS, guidance_render
from tests.conftest import client_for
from tests.factories import AccountFactory
from tests.portfolio.test_services import make_review, score_all

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _all_topics_on_disk() -> dict[str, set[str]]:
    """{language folder: topics} for every folder under guide/, known language or not."""
    return {
        folder.name: {p.stem for p in folder.glob("*.html")}
        for folder in TEMPLATE_DIR.iterdir()
        if folder.is_dir()
    }


def _blocks(path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    text = path.read_text(encoding="utf-8")
    return {
        m["name"]: m["text"]
        for m in re.finditer(
            r"\{% block (?P<name>\w+) %\}(?P<text>.*?)\{% endblock %\}", text, re.S
        )
    }


def _words(html: str) -> list[str]:
    return re.sub(r"<[^>]+>|\{[%{].*?[%}]\}", " ", html).split()


# --------------------------------------------------------------------------- the files


def test_guidance_folders_are_exactly_the_shipped_languages() -> None:
    assert set(_all_topics_on_disk()) == set(LANGUAGES)


def test_every_topic_exists_in_every_language() -> None:
    on_disk = _all_topics_on_disk()
    every_topic = set().union(*on_disk.values())
    assert every_topic, "no guidance files found"
    for language, topics in on_disk.items():
        missing = every_topic - topics
        assert not missing, f"guidance only in another language, missing in {language}: {missing}"


def test_the_method_page_shows_every_topic_on_disk_once() -> None:
    assert len(TOPICS) == len(set(TOPICS))
    for language, topics in _all_topics_on_disk().items():
        assert topics == set(TOPICS), language


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_guidance_file_has_a_short_lead_and_a_real_body(language: str) -> None:
    for path in sorted((TEMPLATE_DIR / language).glob("*.html")):
        blocks = _blocks(path)
        assert set(blocks) == {"lead", "body"}, path
        lead, body = _words(blocks["lead"]), _words(blocks["body"])
        # A lead is one or two sentences; a body has several paragraphs or lists.
        assert 12 <= len(lead) <= 70, (path, len(lead))
        assert len(body) >= 120, (path, len(body))
        assert blocks["body"].count("<h4>") >= 2, path


def test_dutch_guidance_is_not_the_english_text() -> None:
    for path in sorted((TEMPLATE_DIR / "en").glob("*.html")):
        english = _blocks(path)
        dutch = _blocks(TEMPLATE_DIR / "nl" / path.name)
        for block in ("lead", "body"):
            assert english[block] != dutch[block], (path.name, block)
        # Dutch function words that English text never has.
        assert re.search(r"\b(de|het|een|en|van)\b", dutch["lead"]), path.name


def test_the_method_numbers_are_in_the_texts() -> None:
    """The numbers a practitioner relies on, in both languages (decimal comma in Dutch)."""
    expected = {
        "matrix": {
            "en": ["A = Σ wᵢ·sᵢ / 100", "RS = S_us / S_comp", "A = 5.0", "RS = 1.0", "15–35", "50"],
            "nl": [
                "A = Σ wᵢ·sᵢ / 100",
                "RS = S_us / S_comp",
                "A = 5,0",
                "RS = 1,0",
                "15 tot 35",
                "50",
            ],
        },
        "reviews": {"en": ["3 points", "80 %"], "nl": ["3 punten", "80 %"]},
        "allocation": {
            "en": ["r(x) = c + (b − c) · xᵈ / (e + xᵈ)", "8.1 %"],
            "nl": ["r(x) = c + (b − c) · xᵈ / (e + xᵈ)", "8,1 %"],
        },
        "economics": {
            "en": ["ROI = (incremental contribution − investment) / investment"],
            "nl": ["ROI = (extra dekkingsbijdrage − investering) / investering"],
        },
        "policies": {
            "en": ["15–35", "over 50", "one to four"],
            "nl": ["15 tot 35", "meer dan 50", "één tot vier"],
        },
    }
    for topic, per_language in expected.items():
        for language, needles in per_language.items():
            text = (TEMPLATE_DIR / language / f"{topic}.html").read_text(encoding="utf-8")
            for needle in needles:
                assert needle in text, (topic, language, needle)


# --------------------------------------------------------------------------- the glossary


def test_glossary_has_the_same_terms_in_every_language() -> None:
    ids = [t.id for t in TERMS]
    assert len(ids) == len(set(ids)), "duplicate glossary ids"
    for term in TERMS:
        assert set(term.text) == set(LANGUAGES), (term.id, set(term.text))
        for language in LANGUAGES:
            name, definition = term.text[language]
            assert name.strip() and len(definition.split()) >= 8, (term.id, language)
    for language in LANGUAGES:
        assert {e.id for e in glossary_terms(language)} == set(ids)


def test_glossary_covers_section_8_and_the_words_kam_uses() -> None:
    ids = {t.id for t in TERMS}
    section_8 = {
        "kaa",
        "customer-distinction",
        "kam",
        "key-account",
        "key-development-account",
        "dmu",
        "bow-tie",
        "diamond",
    }
    app_words = {
        "maintenance-account",
        "opportunistic-account",
        "attractiveness",
        "s-us",
        "s-comp",
        "relative-strength",
        "cut-line",
        "anchor",
        "rater",
        "disagreement",
        "uncertainty",
        "box-policy",
        "review-cadence",
        "share-of-wallet",
        "cost-to-serve",
        "callplan",
    }
    assert section_8 | app_words <= ids


@pytest.mark.parametrize("language", LANGUAGES)
def test_glossary_is_alphabetical_in_each_language(language: str) -> None:
    terms = [e.term.casefold() for e in glossary_terms(language)]
    assert terms == sorted(terms, key=lambda t: t.replace("ö", "o"))
    assert len(terms) == len(TERMS)


def test_dutch_glossary_uses_dutch_kam_vocabulary() -> None:
    dutch = {e.id: e.term for e in glossary_terms("nl")}
    assert dutch["key-development-account"] == "Ontwikkelaccount"
    assert dutch["maintenance-account"] == "Onderhoudsaccount"
    assert dutch["cut-line"] == "Grenslijn"
    assert dutch["rater"] == "Beoordelaar"
    assert dutch["dmu"].startswith("DMU")


# --------------------------------------------------------------------------- the tag


def _render_tag(topic: str) -> str:
    return Template('{% load guide %}{% guidance "' + topic + '" %}').render(Context({}))


class _Details(HTMLParser):
    """Where the lead sits (outside <details>) and what the panel holds."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.outside: list[str] = []
        self.inside: list[str] = []
        self.links: list[str] = []
        self.summary = False
        self.summaries: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag == "details":
            self.depth += 1
        if tag == "summary":
            self.summary = True
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "details":
            self.depth -= 1
        if tag == "summary":
            self.summary = False

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self.summary:
            self.summaries.append(data.strip())
        (self.inside if self.depth else self.outside).append(data)


def _parse(html: str) -> _Details:
    parser = _Details()
    parser.feed(html)
    return parser


def _lead_text(topic: str, language: str) -> str:
    """The lead as it stands in the rendered HTML (entities kept)."""
    return _blocks(TEMPLATE_DIR / language / f"{topic}.html")["lead"].strip()


@pytest.mark.parametrize("topic", TOPICS)
def test_tag_renders_english_by_default_and_dutch_under_nl(topic: str) -> None:
    with translation.override("en"):
        english = _parse(_render_tag(topic))
    with translation.override("nl"):
        dutch = _parse(_render_tag(topic))
    en_lead, nl_lead = (unescape(_lead_text(topic, lang)) for lang in ("en", "nl"))
    assert en_lead in " ".join(english.outside) and nl_lead not in "".join(english.outside)
    assert nl_lead in " ".join(dutch.outside) and en_lead not in "".join(dutch.outside)
    # The body is in the collapsed panel, not beside the lead.
    en_body = _words(unescape(_blocks(TEMPLATE_DIR / "en" / f"{topic}.html")["body"]))
    assert " ".join(en_body[:4]) in " ".join(" ".join(english.inside).split())
    assert english.summaries == ["Learn more"]
    assert f"{reverse('guide:method')}#{topic}" in english.links
    assert reverse("guide:glossary") in english.links


def test_tag_uses_the_base_language_of_a_regional_code() -> None:
    with translation.override("nl-be"):
        assert guidance_render(topic="matrix").language == "nl"
    with translation.override("de"):
        assert guidance_render(topic="matrix").language == "en"


def test_panel_works_without_javascript() -> None:
    html = _render_tag("reviews")
    assert "<details" in html and "<summary>" in html and "<script" not in html
    assert "<details open" not in html, "the panel starts collapsed"


# --------------------------------------------------------------------------- the pages


PAGE_TOPICS = {
    "matrix": "matrix",
    "review scoring": "scoring",
    "schemes": "scoring",
    "scheme": "scoring",
    "new scheme": "scoring",
    "scheme edit": "scoring",
    "reviews": "reviews",
    "review": "reviews",
    "accounts": "accounts",
    "account": "accounts",
    "account import": "import",
    "policies": "policies",
}


@pytest.fixture
def scored_review(director, kam_user):  # type: ignore[no-untyped-def]
    account = AccountFactory(owner=kam_user, name="Guidance Test BV")
    review = make_review(director, [director, kam_user])
    score_all(review, director, account, {"a1": 8, "a2": 7, "a3": 6, "s1": 7, "s2": 6})
    return review, account


def _urls(review, account) -> dict[str, str]:  # type: ignore[no-untyped-def]
    scheme_id = review.scheme_version.scheme_id
    return {
        "matrix": reverse("portfolio:matrix"),
        "review scoring": reverse("portfolio:review_score", args=[review.pk]),
        "schemes": reverse("portfolio:scheme_list"),
        "scheme": reverse("portfolio:scheme_detail", args=[scheme_id]),
        "new scheme": reverse("portfolio:scheme_create"),
        "scheme edit": reverse("portfolio:scheme_edit", args=[scheme_id]),
        "reviews": reverse("portfolio:review_list"),
        "review": reverse("portfolio:review_detail", args=[review.pk]),
        "accounts": reverse("accounts:list"),
        "account": reverse("accounts:detail", args=[account.pk]),
        "account import": reverse("accounts:import"),
        "policies": reverse("organisation:settings"),
    }


@pytest.mark.django_db
def test_every_page_carries_its_guidance(director, scored_review) -> None:  # type: ignore[no-untyped-def]
    client = client_for(director)
    urls = _urls(*scored_review)
    assert set(urls) == set(PAGE_TOPICS)
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        html = response.content.decode()
        topic = PAGE_TOPICS[name]
        assert html.count('class="guidance"') == 1, name
        assert f'data-guidance="{topic}"' in html, name
        assert _lead_text(topic, "en") in html, name


@pytest.mark.django_db
def test_matrix_empty_state_carries_the_guidance(director) -> None:  # type: ignore[no-untyped-def]
    html = client_for(director).get(reverse("portfolio:matrix")).content.decode()
    assert 'data-testid="matrix-empty"' in html
    assert 'data-guidance="matrix"' in html


@pytest.mark.django_db
def test_pages_show_dutch_guidance_after_the_language_switch(director, scored_review) -> None:  # type: ignore[no-untyped-def]
    client = client_for(director)
    client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    for name, url in _urls(*scored_review).items():
        html = client.get(url).content.decode()
        topic = PAGE_TOPICS[name]
        assert _lead_text(topic, "nl") in html, name
        assert _lead_text(topic, "en") not in html, name


# --------------------------------------------------------------------------- method and glossary


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["guide:method", "guide:glossary"])
def test_method_pages_are_for_logged_in_users(client, viewer, name: str) -> None:  # type: ignore[no-untyped-def]
    url = reverse(name)
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("login"))
    assert client_for(viewer).get(url).status_code == 200


@pytest.mark.django_db
def test_method_page_has_every_section_and_topic_in_order(viewer) -> None:  # type: ignore[no-untyped-def]
    html = client_for(viewer).get(reverse("guide:method")).content.decode()
    positions = [html.index(f'id="{s.anchor}"') for s in SECTIONS]
    assert positions == sorted(positions)
    assert [s.number for s in SECTIONS] == list(range(8))
    topic_positions = [html.index(f'id="{t}"') for t in TOPICS]
    assert topic_positions == sorted(topic_positions)
    for topic in TOPICS:
        assert _lead_text(topic, "en") in html, topic
    for section in SECTIONS:
        for topic in section.topics:
            assert f"<h3>{escape(topic.title)}</h3>" in html, topic.key
    assert "8.1 %" in html and "BG/NBD" in html  # topics without a page yet are readable here


@pytest.mark.django_db
def test_method_page_and_glossary_in_dutch(viewer) -> None:  # type: ignore[no-untyped-def]
    client = client_for(viewer)
    client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    method = client.get(reverse("guide:method")).content.decode()
    for topic in TOPICS:
        assert _lead_text(topic, "nl") in method, topic
    glossary = client.get(reverse("guide:glossary")).content.decode()
    assert "Ontwikkelaccount" in glossary and "Grenslijn" in glossary
    assert "Key development account" not in glossary


@pytest.mark.django_db
def test_glossary_page_lists_every_term_with_its_anchor(viewer) -> None:  # type: ignore[no-untyped-def]
    html = client_for(viewer).get(reverse("guide:glossary")).content.decode()
    for term in TERMS:
        assert f'<dt id="{term.id}">' in html, term.id
        assert f'href="#{term.id}"' in html, term.id
    order = [html.index(f'<dt id="{e.id}">') for e in glossary_terms("en")]
    assert order == sorted(order)


@pytest.mark.django_db
def test_topbar_links_to_the_method(viewer) -> None:  # type: ignore[no-untyped-def]
    html = client_for(viewer).get(reverse("guide:glossary")).content.decode()
    usernav = html[html.index('class="usernav"') : html.index('class="lang"')]
    assert f'href="{reverse("guide:method")}"' in usernav
