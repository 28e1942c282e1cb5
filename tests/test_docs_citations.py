"""Citations of the method point at kam's own docs/method.md, and at sections it has.

Docstrings, comments and docs cite the method as "docs/method.md section N" (also
"sections 1 and 6", "sections 0–7", "§1", "docs/method.md 3, 4"). The method once lived in
a brief outside the repository; nothing may cite that file any more, and every section a
citation names must be a heading ``## N. …`` of docs/method.md, so that a renumbered or
deleted section fails here rather than leaving citations that point at nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
METHOD = ROOT / "docs" / "method.md"
#: The folders whose files may cite the method (sources, tests, docs, benchmarks).
CITING = ("kam", "tests", "docs", "bench")
TEXT_SUFFIXES = {".py", ".md", ".html", ".css", ".js", ".txt", ".toml", ".po"}
#: The old brief's file name, spelled in two parts so that this file does not cite it.
OLD_BRIEF = "kam-" + "method.md"

HEADING = re.compile(r"^## (\d+)\. \S", re.MULTILINE)
CITATION = re.compile(r"docs/method\.md")
NUMBERS = r"\d+(?:\s*(?:,|and|–|-)\s*\d+)*"
#: What may follow the path: ", section 2", " sections 1 and 6", " §1", " 3, 4)".
SECTIONS = re.compile(rf"^,?\s*(?:(?:sections?|§)\s*({NUMBERS})|({NUMBERS})\s*\))")


def cited_sections(text: str) -> list[int]:
    """The section numbers of every docs/method.md citation in ``text``, in order.

    A citation may wrap onto the next line, also inside a ``#`` comment; a range
    ("0–7") names every section in it.
    """
    out: list[int] = []
    for match in CITATION.finditer(text):
        after = text[match.end() : match.end() + 80]
        after = re.sub(r"\n\s*#?", " ", after)  # a wrapped line, or a wrapped comment
        after = re.sub(r"\s+", " ", after)
        found = SECTIONS.match(after)
        if not found:
            continue
        numbers = found.group(1) or found.group(2)
        for part in re.split(r"\s*(?:,|and)\s*", numbers):
            bounds = [int(n) for n in re.split(r"\s*[–-]\s*", part.strip())]
            out.extend(range(bounds[0], bounds[-1] + 1))
    return out


def citing_files() -> list[Path]:
    files = []
    for folder in CITING:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in TEXT_SUFFIXES and "__pycache__" not in path.parts:
                files.append(path)
    return files


def method_headings() -> list[int]:
    return [int(n) for n in HEADING.findall(METHOD.read_text(encoding="utf-8"))]


@pytest.mark.parametrize(
    ("text", "sections"),
    [
        ("(docs/method.md section 2).", [2]),
        ('docs/method.md, section 6, "By box"', [6]),
        ("(docs/method.md sections 1 and 6; definitions", [1, 6]),
        ("(docs/method.md, sections 0–7).", list(range(8))),
        ("(docs/method.md §1).", [1]),
        ("coverage and stage (docs/method.md 3, 4).", [3, 4]),
        ("(docs/method.md\n    section 5): sections", [5]),
        ("# policies (docs/method.md\n    # section 2) apply", [2]),
        ("the method (docs/method.md) and the glossary", []),
    ],
)
def test_a_citation_names_the_sections_it_says(text: str, sections: list[int]) -> None:
    assert cited_sections(text) == sections


def test_the_method_has_sections_0_to_8_in_order() -> None:
    assert method_headings() == list(range(9))


def test_nothing_cites_the_brief_outside_the_repository() -> None:
    citing = [
        str(path.relative_to(ROOT))
        for path in citing_files()
        if OLD_BRIEF in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert citing == [], f"cite docs/method.md instead of {OLD_BRIEF} in: {citing}"


def test_every_cited_section_is_a_heading_of_the_method() -> None:
    headings = set(method_headings())
    missing = []
    cited = 0
    for path in citing_files():
        for number in cited_sections(path.read_text(encoding="utf-8", errors="replace")):
            cited += 1
            if number not in headings:
                missing.append(f"{path.relative_to(ROOT)}: section {number}")
    assert missing == [], f"docs/method.md has no such section: {missing}"
    # the code cites the method by section in well over a hundred places; finding only a
    # few would mean the citations moved to a form this test no longer reads
    assert cited > 100
