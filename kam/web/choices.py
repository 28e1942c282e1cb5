"""The Django choices of the codes that ``kam.core`` and the models share: one vocabulary.

The codes and their English labels are defined once, in ``kam.core`` (for relationships
``kam.core.relationships.vocabulary``, docs/method.md sections 3 and 4); the choices here
are built from them, each label translated when it is shown and started with a capital
(``capfirst``), since it stands alone in a form or a table while the same label runs inside
a sentence of the findings ("the closest is Anna (medium)"). The models and forms use
these classes (``Contact.attitude``, ``ContactLink.strength``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Protocol, TypeVar, cast

from django.db import models
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext

from kam.core.relationships import vocabulary as core


def _label(msgid: str) -> str:
    return str(capfirst(gettext(msgid)))


label_lazy = lazy(_label, str)
"""The label of a code in the active language, starting with a capital (lazy)."""


Code = TypeVar("Code", bound=StrEnum)


class CodeChoices(Protocol):
    """A ``TextChoices`` class made by ``text_choices``, as the type checker sees it: its
    members are made at run time from ``kam.core``'s codes, so they are known by name only
    then (``TeamRole.CORE``); Django's ``choices``, ``values`` and ``labels`` as usual."""

    @property
    def choices(self) -> list[tuple[str, str]]: ...
    @property
    def values(self) -> list[str]: ...
    @property
    def labels(self) -> list[str]: ...
    def __call__(self, value: str) -> models.TextChoices: ...
    def __iter__(self) -> Iterator[models.TextChoices]: ...
    def __getattr__(self, name: str) -> models.TextChoices: ...


def text_choices(
    name: str,
    labels: Mapping[Code, str],
    codes: Iterable[Code] | None = None,
    *,
    doc: str = "",
) -> CodeChoices:
    """A ``TextChoices`` class called ``name`` with one member per code of ``labels`` (or
    only ``codes``, in their order): the code's name and value, and its label."""
    chosen = list(labels) if codes is None else list(codes)
    members = [(code.name, (code.value, label_lazy(labels[code]))) for code in chosen]
    # Django's functional API takes ``module`` (as Enum's does); django-stubs' overloads of
    # the call do not list it
    choices = models.TextChoices(name, members, module=__name__)  # type: ignore[call-overload]
    choices.__doc__ = doc
    return cast(CodeChoices, choices)


Strength = text_choices(
    "Strength",
    core.STRENGTH_LABELS,
    doc="The strength of a link between one of our people and one of theirs (section 3).",
)
Attitude = text_choices(
    "Attitude", core.ATTITUDE_LABELS, doc="A contact's attitude to us (section 3)."
)
BuyingRole = text_choices(
    "BuyingRole",
    core.BUYING_ROLE_LABELS,
    doc="Roles in the decision-making unit (section 3); a contact may hold several.",
)
Stage = text_choices(
    "Stage",
    core.STAGE_LABELS,
    doc="McDonald's relationship stages plus disintegrating (section 3).",
)
CustomerView = text_choices(
    "CustomerView",
    core.CUSTOMER_VIEW_LABELS,
    doc="How the customer files us, from the buyer's side (Kraljic, section 4).",
)
TeamRole = text_choices(
    "TeamRole",
    core.TEAM_ROLE_LABELS,
    (core.TeamRole.CORE, core.TeamRole.SURROUND),
    doc="""Where a person sits in the account team (section 3); the key account manager is the
account's owner, not a team role.""",
)
Function = text_choices(
    "Function",
    core.FUNCTION_LABELS,
    doc="The function a person works in; account teams are cross-functional (section 3).",
)
