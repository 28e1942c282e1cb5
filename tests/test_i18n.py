"""The shipped Dutch translation is complete, compiled and used (issue 2, item 11).

Three kinds of check:

* the catalogs in ``kam/locale/nl/LC_MESSAGES`` (``django`` and ``djangojs``) have a Dutch
  text for every entry, no fuzzy entry, the same placeholders and HTML tags as the English,
  and a compiled ``.mo`` that says exactly what the ``.po`` says (a forgotten
  ``make messages`` fails here);
* every translatable literal in the code is in the catalog, so adding an English string
  without its Dutch fails a test (the docstring of the test that scans the code says what
  the scan does and does not see);
* a sales director who switches to Dutch gets Dutch pages.

The ``.po`` files are read with the small parser below (polib is not a dependency).
"""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from kam.portfolio.services import (
    CriterionInput,
    RatingInput,
    SchemeContent,
    ratings_save,
    review_close,
    review_compute,
    review_create,
    scheme_create,
)
from tests.conftest import client_for
from tests.factories import AccountFactory, AccountRevenueFactory

KAM = Path(__file__).resolve().parent.parent / "kam"
NL = KAM / "locale" / "nl" / "LC_MESSAGES"
DOMAINS = ("django", "djangojs")


# --------------------------------------------------------------------------- .po parsing


@dataclass
class Entry:
    """One catalog entry: context, msgid, plural msgid, the Dutch forms and its flags."""

    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES[m.group(1)], text[1:-1])


def read_po(path: Path) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") included; obsolete (#~) lines skipped."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    current: str | None = None
    start = 0

    def flush() -> None:
        if "msgid" in fields:
            forms = sorted(k for k in fields if k.startswith("msgstr"))
            entries.append(
                Entry(
                    msgid=fields["msgid"],
                    msgctxt=fields.get("msgctxt"),
                    msgid_plural=fields.get("msgid_plural"),
                    msgstr=[fields[k] for k in forms],
                    flags=set(flags),
                    line=start,
                )
            )
        fields.clear()
        flags.clear()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
            current = None
        elif line.startswith("#"):
            if "msgid" in fields:  # comments start the next entry
                flush()
            if line.startswith("#,"):
                flags.update(f.strip() for f in line[2:].split(",") if f.strip())
        elif line.startswith('"'):
            assert current is not None, f"{path}:{number}: a string outside an entry"
            fields[current] += _unquote(line)
        else:
            name, _, value = line.partition(" ")
            assert re.fullmatch(r"msgctxt|msgid|msgid_plural|msgstr(\[\d\])?", name), (
                f"{path}:{number}: unexpected {name!r}"
            )
            if name == "msgctxt" or (name == "msgid" and "msgctxt" not in fields):
                if "msgid" in fields:
                    flush()
                start = number
            current = name
            fields[name] = _unquote(value)
    flush()
    return entries


def catalog(domain: str) -> list[Entry]:
    """The entries of the Dutch catalog for ``domain``, header left out."""
    return [e for e in read_po(NL / f"{domain}.po") if e.msgid]


def header(domain: str) -> dict[str, str]:
    (head,) = [e for e in read_po(NL / f"{domain}.po") if not e.msgid and e.msgctxt is None]
    lines = [line.split(":", 1) for line in head.msgstr[0].splitlines() if ":" in line]
    return {k.strip(): v.strip() for k, v in lines}


# --------------------------------------------------------------------------- the catalogs


@pytest.mark.parametrize("domain", DOMAINS)
def test_catalog_header_is_dutch_utf8_with_two_plural_forms(domain: str) -> None:
    head = header(domain)
    assert head["Language"] == "nl"
    assert head["Content-Type"] == "text/plain; charset=UTF-8"
    assert head["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    (raw_head,) = [e for e in read_po(NL / f"{domain}.po") if not e.msgid]
    assert "fuzzy" not in raw_head.flags, "a fuzzy header keeps msgfmt from using its charset"


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_entry_has_a_dutch_text_and_none_is_fuzzy(domain: str) -> None:
    entries = catalog(domain)
    assert entries, f"{domain}.po has no entries"
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in entries if "fuzzy" in e.flags]
    untranslated = [f"line {e.line}: {e.msgid!r}" for e in entries if not all(e.msgstr)]
    assert not fuzzy, "fuzzy entries (check the Dutch, then drop the flag):\n" + "\n".join(fuzzy)
    assert not untranslated, "entries without Dutch:\n" + "\n".join(untranslated)
    for e in entries:
        expected = 2 if e.msgid_plural is not None else 1
        assert len(e.msgstr) == expected, f"line {e.line}: {e.msgid!r} has {len(e.msgstr)} forms"


_PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx%]")
_TAG = re.compile(r"</?(?:a|abbr|b|br|code|em|i|kbd|p|small|span|strong|sub|sup)\b[^>]*>")


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


@pytest.mark.parametrize("domain", DOMAINS)
def test_dutch_keeps_every_placeholder_and_html_tag(domain: str) -> None:
    problems = []
    for e in catalog(domain):
        for index, text in enumerate(e.msgstr):
            source = e.msgid if index == 0 else (e.msgid_plural or e.msgid)
            want, got = _placeholders(source), _placeholders(text)
            # The singular may leave out the number itself ("Fix the problem below").
            singular_may_drop = index == 0 and e.msgid_plural is not None
            ok = set(got) <= set(want) if singular_may_drop else got == want
            if not ok:
                problems.append(f"line {e.line}: {source!r}: {want} but Dutch has {got}")
            if sorted(_TAG.findall(source)) != sorted(_TAG.findall(text)):
                problems.append(f"line {e.line}: {source!r}: HTML tags differ")
    assert not problems, "\n".join(problems)


def _expected_mo_catalog(domain: str) -> dict[object, str]:
    expected: dict[object, str] = {}
    for e in catalog(domain):
        msgid = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt is not None else e.msgid
        if e.msgid_plural is None:
            expected[msgid] = e.msgstr[0]
        else:
            for index, text in enumerate(e.msgstr):
                expected[(msgid, index)] = text
    return expected


@pytest.mark.parametrize("domain", DOMAINS)
def test_compiled_catalog_says_what_the_po_says(domain: str) -> None:
    """Compare meaning, not bytes: another msgfmt version may lay the .mo out differently."""
    with (NL / f"{domain}.mo").open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    got = {k: v for k, v in compiled._catalog.items() if k != ""}  # type: ignore[attr-defined]
    expected = _expected_mo_catalog(domain)
    stale = sorted(str(k) for k in expected.keys() ^ got.keys())
    assert not stale, (
        f"{domain}.mo and {domain}.po hold different messages; run `make messages`:\n"
        + "\n".join(stale[:20])
    )
    differ = sorted(str(k) for k in expected if expected[k] != got[k])
    assert not differ, f"{domain}.mo is older than {domain}.po; run `make messages`:\n" + "\n".join(
        differ[:20]
    )


# --------------------------------------------------------------------------- code vs catalog

_PY_SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop"}
_PY_PLURAL = {"ngettext", "ngettext_lazy"}
_PY_CONTEXT = {"pgettext", "pgettext_lazy"}
_PY_CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}

_TEMPLATE_TRANSLATE = re.compile(
    r"""\{%\s*(?:translate|trans)\s+(?P<q>["'])(?P<msgid>.*?)(?P=q)"""
    r"""(?:\s+context\s+(?P<cq>["'])(?P<ctxt>.*?)(?P=cq))?"""
)
_JS_GETTEXT = re.compile(
    r"""\b(?:gettext|t)\(\s*(?P<q>["'])(?P<msgid>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*[,)]"""
)


@dataclass(frozen=True)
class Literal:
    where: str
    msgid: str
    msgctxt: str | None = None
    plural: str | None = None


def _string(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _python_literals(path: Path) -> Iterator[Literal]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = str(path.relative_to(KAM))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        args = [_string(a) for a in node.args]
        at = f"{where}:{node.lineno}"
        if name in _PY_SINGULAR and args[0] is not None:
            yield Literal(at, args[0])
        elif name in _PY_PLURAL and len(args) >= 2 and args[0] is not None:
            yield Literal(at, args[0], plural=args[1])
        elif name in _PY_CONTEXT and len(args) >= 2 and None not in args[:2]:
            yield Literal(at, args[1], msgctxt=args[0])
        elif name in _PY_CONTEXT_PLURAL and len(args) >= 3 and None not in args[:3]:
            yield Literal(at, args[1], msgctxt=args[0], plural=args[2])


def code_literals() -> tuple[list[Literal], list[Literal]]:
    """(django-domain literals, djangojs-domain literals) found in kam's own files."""
    django: list[Literal] = []
    for path in sorted(KAM.rglob("*.py")):
        if "migrations" not in path.parts:
            django.extend(_python_literals(path))
    for path in sorted(KAM.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for match in _TEMPLATE_TRANSLATE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            # Django looks a template literal up with its per cent signs doubled.
            msgid = match["msgid"].replace("%", "%%")
            django.append(Literal(f"{path.relative_to(KAM)}:{line}", msgid, msgctxt=match["ctxt"]))
    javascript: list[Literal] = []
    for path in sorted(KAM.rglob("static/**/*.js")):
        if "vendor" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for match in _JS_GETTEXT.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            msgid = re.sub(r"\\(.)", lambda m: m.group(1), match["msgid"])
            javascript.append(Literal(f"{path.relative_to(KAM)}:{line}", msgid))
    return django, javascript


def test_every_translatable_literal_in_the_code_is_in_the_catalog() -> None:
    """A string marked for translation in the code has its Dutch in the shipped catalog.

    What the scan sees: calls of ``_``, ``gettext``, ``gettext_lazy``, ``gettext_noop``,
    ``ngettext(_lazy)``, ``pgettext(_lazy)`` and ``npgettext(_lazy)`` whose message is a
    string literal (implicit concatenation of literals included, read with ``ast``) in every
    ``kam/**/*.py`` but migrations; ``{% translate "…" %}`` / ``{% trans "…" %}`` with a
    literal (and an optional literal ``context``) in every template; ``gettext("…")`` and
    its alias ``t("…")`` in kam's own static JavaScript.

    What it does not see: ``{% blocktranslate %}`` blocks (their msgid depends on how the
    block is written; ``makemessages`` and the completeness test above cover them), calls
    whose message is not a literal, and English that is not marked at all. The rendering
    test below catches some of the last kind on the pages it opens.
    """
    known = {domain: {e.key: e for e in catalog(domain)} for domain in DOMAINS}
    django, javascript = code_literals()
    assert len(django) > 300, "the scan found suspiciously few strings; is the regex broken?"
    assert javascript, "the scan found no string in kam's JavaScript"
    missing = []
    for domain, literals in (("django", django), ("djangojs", javascript)):
        for lit in literals:
            entry = known[domain].get((lit.msgctxt, lit.msgid))
            if entry is None or not all(entry.msgstr):
                missing.append(f"{lit.where}: {lit.msgid!r} ({domain})")
            elif lit.plural is not None and entry.msgid_plural != lit.plural:
                missing.append(f"{lit.where}: plural {lit.plural!r} ({domain})")
    assert not missing, (
        "strings without Dutch; run `make messages` and translate them in "
        "kam/locale/nl/LC_MESSAGES:\n" + "\n".join(sorted(set(missing)))
    )


# --------------------------------------------------------------------------- the pages in Dutch

REVIEW_DATE = dt.date(2026, 3, 1)


@pytest.fixture
def placed_portfolio(director, kam_user):  # type: ignore[no-untyped-def]
    """A scheme, a review a year earlier and the latest one: a key account that grew from key
    development, a maintenance account and one account that lacks a score."""
    attractiveness = [
        CriterionInput("attractiveness", key, name, w, "laag", "gemiddeld", "hoog")
        for key, name, w in (
            ("omvang", "Omvang", 50),
            ("groei", "Groei", 30),
            ("marge", "Marge", 20),
        )
    ]
    strength = [
        CriterionInput("strength", "prijs", "Prijs", 60),
        CriterionInput("strength", "kwaliteit", "Kwaliteit", 40),
    ]
    version = scheme_create(
        name="Retailmodel",
        content=SchemeContent(criteria=attractiveness + strength, competitors=["Concurrent BV"]),
        created_by=director,
    )
    reviews = [
        review_create(
            name=f"Beoordeling {date.year}",
            review_date=date,
            scheme_version=version,
            raters=[director, kam_user],
            created_by=director,
        )
        for date in (REVIEW_DATE.replace(year=2025), REVIEW_DATE)
    ]
    criteria = {c.key: c.pk for c in version.criteria.all()}
    profiles = {
        # name: (attractiveness scores, (ours, competitor) per strength criterion) per review
        "Albert Heijn Test": [((8, 8, 8), (3, 6)), ((8, 8, 8), (8, 4))],
        "Bakkerij Test": [((3, 3, 3), (8, 4)), ((3, 3, 3), (8, 4))],
        "Coöperatie Test": [None, ((8, 8, None), (8, 4))],
    }
    accounts = {}
    for n, (name, per_review) in enumerate(profiles.items()):
        account = AccountFactory(name=name, owner=kam_user, country="NL", channel="retail")
        AccountRevenueFactory(account=account, year=2025, amount=Decimal(100_000 * (n + 1)))
        accounts[name] = account
        for review, profile in zip(reviews, per_review, strict=True):
            if profile is None:
                continue
            att, (ours, theirs) = profile
            entries = [
                RatingInput(account.pk, criteria[k], v)
                for k, v in zip(("omvang", "groei", "marge"), att, strict=True)
                if v is not None
            ] + [
                RatingInput(account.pk, criteria[k], ours, competitor_score=theirs)
                for k in ("prijs", "kwaliteit")
            ]
            ratings_save(review=review, rater=director, entries=entries)
    for review in reviews:
        review_compute(review=review)
        review_close(review=review, closed_by=director)  # the portfolio is a closed review
    return {"version": version, "review": reviews[-1], "accounts": accounts}


class _VisibleText(HTMLParser):
    """The text a reader sees, plus titles, placeholders, labels and button values."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and name in ("title", "placeholder", "aria-label", "alt"):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def dutch_client(user) -> Client:  # type: ignore[no-untyped-def]
    """A logged-in client that picked Dutch the way a user does: the language switch."""
    client = client_for(user)
    response = client.post(reverse("set_language"), {"language": "nl", "next": "/portfolio/"})
    assert response.status_code == 302
    return client


def _pages(portfolio) -> dict[str, str]:  # type: ignore[no-untyped-def]
    review = portfolio["review"]
    version = portfolio["version"]
    account = portfolio["accounts"]["Albert Heijn Test"]
    return {
        "start": reverse("home"),
        "matrix": reverse("portfolio:matrix"),
        "accounts": reverse("accounts:list"),
        "account": reverse("accounts:detail", args=[account.pk]),
        "account edit": reverse("accounts:edit", args=[account.pk]),
        "account import": reverse("accounts:import"),
        "reviews": reverse("portfolio:review_list"),
        "review": reverse("portfolio:review_detail", args=[review.pk]),
        "review scoring": reverse("portfolio:review_score", args=[review.pk]),
        "new review": reverse("portfolio:review_create"),
        "schemes": reverse("portfolio:scheme_list"),
        "scheme": reverse("portfolio:scheme_detail", args=[version.scheme_id]),
        "scheme edit": reverse("portfolio:scheme_edit", args=[version.scheme_id]),
        "policies": reverse("organisation:settings"),
        "tokens": reverse("users:tokens"),
        "business case": reverse("casefor:case"),
        "business case assessment": reverse("casefor:create"),
        "business case list": reverse("casefor:list"),
        "method": reverse("guide:method"),
        "glossary": reverse("guide:glossary"),
    }


@pytest.mark.django_db
def test_a_director_who_picks_dutch_gets_dutch_pages(director, placed_portfolio) -> None:  # type: ignore[no-untyped-def]
    client = dutch_client(director)
    texts = {}
    for name, url in _pages(placed_portfolio).items():
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        html = response.content.decode()
        assert '<html lang="nl">' in html, name
        text = visible_text(html)
        texts[name] = text
        # The navigation and the user menu on every page.
        for dutch in (
            "Beoordelingen",
            "Jaarplan",
            "Relaties",
            "Plannen",
            "Economie",
            "Beleid",
            "Uitloggen",
        ):
            assert dutch in text, (name, dutch)
        for english in ("Log out", "Reviews", "Scoring schemes", "Policies"):
            assert english not in text, (name, english)
    assert "Selectiematrix" in texts["matrix"]
    assert "Key account" in texts["matrix"] and "Onderhoudsaccount" in texts["matrix"]
    assert "Kunnen we ze bedienen?" in texts["matrix"]
    assert "Sinds uw vorige bezoek" in texts["start"] and "Kunnen we ze bedienen?" in texts["start"]
    assert "Since your last visit" not in texts["start"]
    assert "Selection matrix" not in texts["matrix"]
    assert "Investeren in groei" in texts["matrix"]
    assert "Kwadrant" in texts["accounts"] and "CSV exporteren" in texts["accounts"]
    assert "Positie in het portfolio" in texts["account"]
    assert "Voortgang per beoordelaar" in texts["review"]
    assert "Portfoliobeoordelingen" in texts["reviews"]
    assert "Grenslijnen" in texts["scheme"]
    assert "Kwadrantbeleid" in texts["policies"]
    assert "Box policies" not in texts["policies"]


def _english_phrases() -> dict[str, str]:
    """English messages of three or more words whose Dutch differs, placeholders cut out."""
    phrases = {}
    for e in catalog("django"):
        for english, dutch in zip([e.msgid, e.msgid_plural or e.msgid], e.msgstr, strict=False):
            for piece in re.split(r"%\(\w+\)[sd]|%[sd]|<[^>]+>", english):
                piece = piece.strip(" .,:;()")
                if len(piece.split()) >= 3 and piece not in dutch:
                    phrases[piece] = english
    return phrases


@pytest.mark.django_db
def test_no_catalog_english_is_left_on_the_dutch_pages(director, placed_portfolio) -> None:  # type: ignore[no-untyped-def]
    """English that the catalog translates must not show on a Dutch page: if it does, the page
    renders it outside translation (a string built before the language was chosen, for
    example)."""
    client = dutch_client(director)
    phrases = _english_phrases()
    assert len(phrases) > 200
    leftovers = []
    for name, url in _pages(placed_portfolio).items():
        text = visible_text(client.get(url).content.decode())
        # the glossary quotes the English term in brackets on purpose: "(key account)"
        leftovers += [f"{name}: {p!r}" for p in phrases if p in text.replace(f"({p})", "")]
    assert not leftovers, "\n".join(leftovers)


@pytest.mark.django_db
def test_the_matrix_chart_is_labelled_in_dutch(director, placed_portfolio) -> None:  # type: ignore[no-untyped-def]
    response = dutch_client(director).get(reverse("portfolio:matrix_data"))
    assert response.status_code == 200
    spec = json.dumps(response.json(), ensure_ascii=False)
    assert "Aantrekkelijkheid voor ons" in spec
    assert "Onze sterkte ten opzichte van de sterkste concurrent" in spec
    assert "Attractiveness to us" not in spec and "Our strength" not in spec


@pytest.mark.django_db
def test_login_page_and_the_javascript_catalog_speak_dutch(director) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.post(reverse("set_language"), {"language": "nl", "next": "/login/"})
    text = visible_text(client.get(reverse("login")).content.decode())
    assert "Inloggen bij kam" in text and "Wachtwoord" in text
    assert "Log in to kam" not in text
    js = client.get(reverse("javascript-catalog")).content.decode()
    assert "Een score is een geheel getal van 1 tot en met 10." in js


@pytest.mark.django_db
def test_english_stays_the_default(director) -> None:  # type: ignore[no-untyped-def]
    text = visible_text(client_for(director).get(reverse("accounts:list")).content.decode())
    assert "Log out" in text and "Uitloggen" not in text
