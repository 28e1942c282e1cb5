"""What changed between two versions of a plan (docs/method.md section 5: "this year's plan
can be compared with last year's").

Works on two ``PlanDocument``s, so it compares approved snapshots, the live draft, or
plans of two periods alike. Sections match on their key, fields on their label, items on
their ``ref`` (the item's uid, kept when a plan is copied to the next period; items without
a ref match on kind and title). Text changes are word-level diffs (``difflib``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

from kam.plans.document import ItemDoc, PlanDocument, SectionDoc

Change = Literal["added", "removed", "changed", "same"]


@dataclass(frozen=True)
class Segment:
    """A run of words in a text diff: kept (``equal``), only in the new (``insert``) or
    only in the old text (``delete``)."""

    op: Literal["equal", "insert", "delete"]
    text: str


@dataclass(frozen=True)
class FieldDiff:
    """One labelled field in the old and the new version, with the word diff between them."""

    label: str
    old: str
    new: str
    change: Change
    segments: list[Segment]


@dataclass(frozen=True)
class ItemDiff:
    """An item in either version: added, removed, changed (title or fields) or the same."""

    ref: str
    kind: str
    title_old: str
    title_new: str
    change: Change
    shared_old: bool | None
    shared_new: bool | None
    fields: list[FieldDiff]


@dataclass(frozen=True)
class SectionDiff:
    """A section in either version, its own fields and its items."""

    key: str
    title: str
    change: Change
    shared_old: bool | None
    shared_new: bool | None
    fields: list[FieldDiff]
    items: list[ItemDiff]


@dataclass(frozen=True)
class PlanComparison:
    """The comparison of ``old`` with ``new`` and counts of what changed."""

    old: PlanDocument
    new: PlanDocument
    sections: list[SectionDiff]
    counts: dict[str, int] = field(default_factory=dict)


_WORDS = re.compile(r"\s+|\S+")


def text_diff(old: str, new: str) -> list[Segment]:
    """Word-level diff of two texts; joining the equal+delete texts gives ``old``, the
    equal+insert texts give ``new``."""
    a = _WORDS.findall(old or "")
    b = _WORDS.findall(new or "")
    out: list[Segment] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append(Segment("equal", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(Segment("delete", "".join(a[i1:i2])))
            if j2 > j1:
                out.append(Segment("insert", "".join(b[j1:j2])))
    return _regions(out)


def _regions(segments: list[Segment]) -> list[Segment]:
    """Join each run of changes (and the bare spaces between them) into one deletion and one
    insertion, so that a changed phrase reads as a phrase rather than word by word."""
    out: list[Segment] = []
    i, n = 0, len(segments)
    while i < n:
        seg = segments[i]
        if seg.op == "equal":
            out.append(seg)
            i += 1
            continue
        old, new = "", ""
        while i < n:
            seg = segments[i]
            if seg.op == "equal":
                bridge = not seg.text.strip() and i + 1 < n and segments[i + 1].op != "equal"
                if not bridge:
                    break
                old += seg.text
                new += seg.text
            elif seg.op == "delete":
                old += seg.text
            else:
                new += seg.text
            i += 1
        if old:
            out.append(Segment("delete", old))
        if new:
            out.append(Segment("insert", new))
    return out


def _fields_diff(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> list[FieldDiff]:
    old_map = dict(old)
    new_map = dict(new)
    labels = [label for label, _ in new]
    labels += [label for label, _ in old if label not in new_map]
    out = []
    for label in labels:
        a = old_map.get(label)
        b = new_map.get(label)
        if a is None:
            change: Change = "added"
        elif b is None:
            change = "removed"
        else:
            change = "same" if a == b else "changed"
        out.append(
            FieldDiff(
                label=label,
                old=a or "",
                new=b or "",
                change=change,
                segments=text_diff(a or "", b or ""),
            )
        )
    return out


def _key(item: ItemDoc) -> str:
    return item.ref or f"{item.kind}:{item.title}"


def _items_diff(old: list[ItemDoc], new: list[ItemDoc]) -> list[ItemDiff]:
    old_map = {_key(i): i for i in old}
    new_keys = {_key(i) for i in new}
    out = []
    for item in new:
        before = old_map.get(_key(item))
        fields = _fields_diff(before.fields if before else [], item.fields)
        if before is None:
            change: Change = "added"
        elif (
            before.title != item.title
            or before.shared != item.shared
            or any(f.change != "same" for f in fields)
        ):
            change = "changed"
        else:
            change = "same"
        out.append(
            ItemDiff(
                ref=_key(item),
                kind=item.kind,
                title_old=before.title if before else "",
                title_new=item.title,
                change=change,
                shared_old=before.shared if before else None,
                shared_new=item.shared,
                fields=fields,
            )
        )
    for item in old:
        if _key(item) not in new_keys:
            out.append(
                ItemDiff(
                    ref=_key(item),
                    kind=item.kind,
                    title_old=item.title,
                    title_new="",
                    change="removed",
                    shared_old=item.shared,
                    shared_new=None,
                    fields=_fields_diff(item.fields, []),
                )
            )
    return out


def _section_diff(old: SectionDoc | None, new: SectionDoc | None) -> SectionDiff:
    ref = new or old
    assert ref is not None
    fields = _fields_diff(old.fields if old else [], new.fields if new else [])
    items = _items_diff(old.items if old else [], new.items if new else [])
    if old is None:
        change: Change = "added"
    elif new is None:
        change = "removed"
    elif (
        old.shared != new.shared
        or any(f.change != "same" for f in fields)
        or any(i.change != "same" for i in items)
    ):
        change = "changed"
    else:
        change = "same"
    return SectionDiff(
        key=ref.key,
        title=ref.title,
        change=change,
        shared_old=old.shared if old else None,
        shared_new=new.shared if new else None,
        fields=fields,
        items=items,
    )


def plan_compare(*, old: PlanDocument, new: PlanDocument) -> PlanComparison:
    """Compare two documents section by section, in the order of the new one (sections only
    in the old one follow)."""
    old_map = {s.key: s for s in old.sections}
    new_keys = [s.key for s in new.sections]
    sections = [_section_diff(old_map.get(s.key), s) for s in new.sections]
    sections += [_section_diff(s, None) for s in old.sections if s.key not in new_keys]
    counts = {"added": 0, "removed": 0, "changed": 0}
    for s in sections:
        for i in s.items:
            if i.change in counts:
                counts[i.change] += 1
        counts["changed"] += sum(1 for f in s.fields if f.change != "same")
    return PlanComparison(old=old, new=new, sections=sections, counts=counts)
