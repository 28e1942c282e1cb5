"""What a row-by-row import of kam answers (docs/import.md): a file refused whole with every
problem named by row, column and reason, or the summary of what was imported.

Every such import (accounts, activities, calendars, cost-to-serve items, available spend)
checks the whole file first and writes nothing when any row is wrong: it raises
``ImportRefused`` with the list of ``ImportProblem``. The pages show that list, the API
answers it as ``report`` (status 422), the commands print it. A file with a million
problems answers a short report: the first ``KAM_IMPORT_MAX_PROBLEMS``, then one line for
the rest (``kam.imports.limits``).

The invoice-line check of ``kam.facts.checking`` keeps its problems as codes
(``CodedProblem``, worded when shown, also outside Django; its docstring says why);
``CodedProblem.import_problem()`` turns one into an ``ImportProblem``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from kam.errors import ApplicationError
from kam.i18n import _
from kam.imports.limits import limit

T = TypeVar("T")


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with an import file; ``row`` 1 is the header, None the file as a whole."""

    row: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        if self.row is None:
            return self.reason
        if self.column:
            return _("row %(row)d, column %(column)s: %(reason)s") % {
                "row": self.row,
                "column": self.column,
                "reason": self.reason,
            }
        return _("row %(row)d: %(reason)s") % {"row": self.row, "reason": self.reason}

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: rows created, updated, and found already as in the file."""

    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def problems_shown(problems: Sequence[T]) -> tuple[list[T], int]:
    """The first ``KAM_IMPORT_MAX_PROBLEMS`` of ``problems`` and how many more there are."""
    most = limit("KAM_IMPORT_MAX_PROBLEMS")
    return list(problems[:most]), max(len(problems) - most, 0)


def more_problems_text(count: int) -> str:
    """The line that stands for the problems not listed."""
    return _(
        "… and %(n)s more problems (only the first %(max)s are listed, setting "
        "KAM_IMPORT_MAX_PROBLEMS)"
    ) % {"n": f"{count:,}", "max": f"{limit('KAM_IMPORT_MAX_PROBLEMS'):,}"}


class ImportRefused(ApplicationError):
    """A file that was refused whole; ``report`` lists every problem found."""

    def __init__(self, report: Sequence[ImportProblem]) -> None:
        # the first KAM_IMPORT_MAX_PROBLEMS, then one line for the rest: a file with a
        # million problems answers a short report (kam.imports.limits)
        shown, more = problems_shown(report)
        self.total = len(report)
        self.report = shown + ([ImportProblem(None, "", more_problems_text(more))] if more else [])
        super().__init__(
            _("The file has %(count)d problem(s); nothing was imported.") % {"count": self.total},
            status=422,
            problems=[str(p) for p in self.report],
        )


def file_refused(message: str) -> ImportRefused:
    """An import error about the file as a whole (no row, no column)."""
    return ImportRefused([ImportProblem(None, "", message)])
