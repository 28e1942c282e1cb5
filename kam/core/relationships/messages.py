"""User-facing sentences of the relationship rules (docs/method.md section 3): an English
``gettext_noop`` template with its parameters, translated by the web app, as
``kam.core.scoring.SchemeProblem`` does."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One user-facing sentence: ``template % params`` in English.

    ``labels`` names the parameters whose values are themselves English labels (a
    strength, a stage, a box, a function) to translate before formatting, as
    ``SchemeProblem.translated`` does for ``axis_label``.
    """

    template: str
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)
    labels: frozenset[str] = frozenset()

    @property
    def message(self) -> str:
        """The English text."""
        return self.template % dict(self.params)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of ``gettext`` (English with the identity)."""
        params = dict(self.params)
        for name in self.labels:
            if name in params:
                params[name] = gettext(str(params[name]))
        return gettext(self.template) % params

    def __str__(self) -> str:
        return self.message


def msg(template: str, labels: Iterable[str] = (), **params: object) -> Message:
    """A ``Message``; ``labels`` names the parameters that are English labels."""
    return Message(template, params, frozenset(labels))
