"""Matching names as people type them to the customer's contacts on file.

This module is pure (no Django). One rule serves logging by hand, the activity import, the
API, the calendar's names and the data migration of older free-text contacts:

- a name matches a contact when both read the same without regard to case, accents or
  extra spaces ("josé  DE wit" is "Jose de Wit"), and exactly one contact of the account
  has that full name;
- an e-mail address matches the one contact of the account with that address (case does
  not matter);
- anything else (a first name only, two contacts with the same name, an unknown address)
  is unmatched: it is kept as typed and shown as "not matched" until someone maps it.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    """A contact that names can match: its id, full name and e-mail address."""

    id: int
    name: str
    email: str = ""


@dataclass
class NameMatch:
    """Which typed names matched which contact ids, and which did not (both in typed order)."""

    matched: dict[str, int] = field(default_factory=dict)
    unmatched: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        """The matched contact ids, each once, in the order the names were typed."""
        out: list[int] = []
        for pk in self.matched.values():
            if pk not in out:
                out.append(pk)
        return out


def name_key(text: str) -> str:
    """``text`` without case, accents or extra spaces: the form two names are compared in."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def _is_address(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(at and local and "." in domain and " " not in text.strip())


def match_names(names: Iterable[str], candidates: Iterable[Candidate]) -> NameMatch:
    """Match each of ``names`` to at most one of ``candidates`` by the rule in the docstring."""
    by_name: dict[str, set[int]] = defaultdict(set)
    by_email: dict[str, set[int]] = defaultdict(set)
    for c in candidates:
        if c.name.strip():
            by_name[name_key(c.name)].add(c.id)
        if c.email.strip():
            by_email[c.email.strip().casefold()].add(c.id)
    out = NameMatch()
    for raw in names:
        text = " ".join(str(raw).split())
        if not text or text in out.matched or text in out.unmatched:
            continue
        if _is_address(text):
            hits = by_email.get(text.casefold(), set())
        else:
            hits = by_name.get(name_key(text), set())
        if len(hits) == 1:
            out.matched[text] = next(iter(hits))
        else:
            out.unmatched.append(text)
    return out
