"""The guidance topics and where each sits in the method (docs/method.md, sections 0–7).

A topic's text is not in the translation catalogue: it lives in one template per language,
``guide/<lang>/<topic>.html``, with two blocks: ``lead`` (one or two sentences, always shown
on the page) and ``body`` (the "learn more" panel). Only the section titles below are in the
catalogue. A topic must exist in every language of ``settings.LANGUAGES``; the tests read the
files on disk, so a topic written in one language only fails them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

from django.conf import settings
from django.template import Context
from django.template.backends.django import Template as DjangoTemplate
from django.template.loader import get_template
from django.template.loader_tags import BlockNode
from django.utils import translation
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "guide"
"""``guide/<lang>/`` holds one ``<topic>.html`` per topic and nothing else."""

FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class Topic:
    """One guidance topic: its key (file name and anchor) and its heading on the method page."""

    key: str
    title: str | Promise


@dataclass(frozen=True)
class Section:
    """One section of the method page: the number in docs/method.md, its title, its topics."""

    number: int
    anchor: str
    title: str | Promise
    topics: tuple[Topic, ...]


SECTIONS: tuple[Section, ...] = (
    Section(
        0,
        "rule",
        _("The rule and the three questions"),
        (Topic("rule", _("One approach does not fit every customer")),),
    ),
    Section(
        1,
        "distinction",
        _("Customer distinction: the selection matrix"),
        (
            Topic("matrix", _("The selection matrix")),
            Topic("scoring", _("Scoring schemes and anchors")),
            Topic("reviews", _("Portfolio reviews: raters, disagreement, uncertainty")),
            Topic("accounts", _("Accounts and their boxes")),
            Topic("import", _("The account list underneath the matrix")),
        ),
    ),
    Section(
        2,
        "time",
        _("Dividing time over all customers"),
        (
            Topic("policies", _("Box policies and capacity")),
            Topic("allocation", _("Allocating hours: CALLPLAN")),
        ),
    ),
    Section(
        3,
        "people",
        _("The right person: the DMU and the account team"),
        (Topic("relationships", _("Decision-making unit, contact matrix, relationship stages")),),
    ),
    Section(
        4,
        "positioning",
        _("How the customer sees us"),
        (Topic("positioning", _("Supplier positioning")),),
    ),
    Section(
        5,
        "plans",
        _("The key account plan"),
        (Topic("plans", _("Plans, value propositions and joint planning")),),
    ),
    Section(
        6,
        "return",
        _("The return on the investment"),
        (Topic("economics", _("Account P&L, cost to serve and return")),),
    ),
    Section(
        7,
        "why",
        _("Why KAM: the business case"),
        (Topic("business_case", _("Reasons, rewards and readiness")),),
    ),
)

TOPICS: tuple[str, ...] = tuple(t.key for s in SECTIONS for t in s.topics)
"""Every topic, in the order of the method page."""


def languages() -> list[str]:
    """The language codes kam ships (``settings.LANGUAGES``), English first."""
    return [code for code, _name in settings.LANGUAGES]


def active_language() -> str:
    """The active language reduced to one of ``languages()`` ("nl-be" → "nl")."""
    code = (translation.get_language() or FALLBACK_LANGUAGE).lower()
    for candidate in (code, code.split("-")[0]):
        if candidate in languages():
            return candidate
    return FALLBACK_LANGUAGE


def topics_on_disk(language: str) -> set[str]:
    """The topics that have a guidance file in ``language``, read from the disk."""
    folder = TEMPLATE_DIR / language
    return {p.stem for p in folder.glob("*.html")} if folder.is_dir() else set()


def template_name(topic: str, language: str) -> str:
    """``guide/<language>/<topic>.html``, or the English file when ``language`` has none."""
    if topic in topics_on_disk(language):
        return f"guide/{language}/{topic}.html"
    return f"guide/{FALLBACK_LANGUAGE}/{topic}.html"


@dataclass(frozen=True)
class Guidance:
    """A topic's text, rendered: ``lead`` and ``body`` are HTML."""

    topic: str
    language: str
    lead: SafeString
    body: SafeString


def guidance_render(*, topic: str, context: Context | None = None) -> Guidance:
    """Render the ``lead`` and ``body`` blocks of ``topic`` in the active language.

    Raises ``TemplateDoesNotExist`` for a topic with no file at all and ``ValueError`` for a
    file without both blocks: both are mistakes in kam, not in the user's data.
    """
    language = active_language()
    name = template_name(topic, language)
    # the guide's templates are the Django engine's, whose Template has the nodelist
    template = cast(DjangoTemplate, get_template(name)).template
    blocks = {
        node.name: node
        for node in template.nodelist.get_nodes_by_type(BlockNode)
        if isinstance(node, BlockNode)  # all of them: the type checker does not know
    }
    missing = {"lead", "body"} - blocks.keys()
    if missing:
        raise ValueError(f"{name} lacks the block(s) {', '.join(sorted(missing))}")
    ctx = context if context is not None else Context({})
    with ctx.push():
        lead = blocks["lead"].nodelist.render(ctx).strip()
        body = blocks["body"].nodelist.render(ctx).strip()
    return Guidance(
        topic=topic,
        language=name.split("/")[1],
        lead=mark_safe(lead),  # rendered from kam's own templates
        body=mark_safe(body),
    )
