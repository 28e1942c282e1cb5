"""No lost updates: optimistic concurrency on a ``version`` column (docs/api.md, "Versions").

Plan sections and items, plan actions, scoring schemes and box policies carry a positive
integer ``version``. A page or an API client sends back the version it loaded; the service
saves only when the row still has that version and then adds one, in one statement::

    UPDATE … SET version = version + 1 WHERE pk = … AND version = <expected>

Zero rows updated means someone else saved in between: :class:`VersionConflict` (409, or
412 when the version came from an ``If-Match`` header) carries the row as it is now and
what the caller tried to save, so the page can show both and the API can return both.

The counter is bumped first (which also locks the row until the transaction ends) and the
changed fields are then written with ``Model.save(update_fields=…)``, so that signal-based
history (django-simple-history) records the change like any other save. A save that
changes nothing writes nothing and keeps the version: a form saved unchanged is a no-op.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema

from kam.errors import ApplicationError
from kam.web import formats
from kam.web.api_schemas import ErrorOut

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class VersionConflict(ApplicationError):
    """The row changed since the caller loaded it; nothing of theirs was saved.

    ``current`` is the row as saved by the other person, ``expected`` the version the
    caller sent, ``yours`` the values the caller tried to save (field name → value).
    ``status`` is 412 when the version came from ``If-Match``, otherwise 409. ``theirs``
    (same keys as ``yours``) is given when the values are not fields of ``current`` (a
    scheme's criteria live in its versions).
    """

    def __init__(
        self,
        *,
        current: models.Model,
        expected: int,
        yours: Mapping[str, Any],
        precondition: bool = False,
        theirs: Mapping[str, Any] | None = None,
    ) -> None:
        what = str(current._meta.verbose_name)
        super().__init__(
            _(
                "Someone else saved this %(what)s (now version %(current)d) after you loaded "
                "version %(expected)d. Nothing of yours was saved: compare both and choose."
            )
            % {"what": what, "current": version_of(current), "expected": expected},
            field="version",
            status=412 if precondition else 409,
        )
        self.current = current
        self.expected = expected
        self.yours = dict(yours)
        self.theirs = dict(theirs) if theirs is not None else None


def version_of(obj: models.Model) -> int:
    return int(getattr(obj, "version", 0) or 0)


def parse_version(value: Any) -> int | None:
    """A version sent by a form or a client: a positive whole number, else None."""
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def snapshot(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    """The values of ``names`` on ``obj`` (foreign keys by id), to see what a save changes."""
    out = {}
    for name in names:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        value = getattr(obj, attname)
        out[name] = list(value) if isinstance(value, list) else value
    return out


def fingerprint(obj: models.Model, names: Iterable[str]) -> str:
    """A short digest of the values of ``names`` on ``obj``: what a form showed when it was
    loaded, to tell later whether those fields changed since (see :func:`save_versioned`)."""
    values = snapshot(obj, sorted(names))
    text = json.dumps(values, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def changed_fields(obj: models.Model, before: Mapping[str, Any]) -> list[str]:
    """The names in ``before`` whose value on ``obj`` differs now."""
    after = snapshot(obj, before)
    return [name for name in before if after[name] != before[name]]


def save_versioned(
    obj: models.Model,
    *,
    before: Mapping[str, Any],
    expected: int | None,
    user: Any = None,
    precondition: bool = False,
    extra_fields: Iterable[str] = (),
    base: str | None = None,
) -> bool:
    """Save ``obj``'s fields that differ from ``before`` if its version is still ``expected``.

    ``before`` is :func:`snapshot` of the fields the caller may change, taken before the
    change was applied. Nothing changed: nothing is written, the version stays, and no
    conflict is raised (what the caller wants is already there) unless ``precondition``
    (``If-Match``), which is checked even then. ``expected`` None: no
    check (the command line, older API clients), the version is still counted up.
    Returns whether anything was written; raises :class:`VersionConflict` when stale.

    ``base`` is the :func:`fingerprint` of the fields in ``before`` as the form showed them.
    When the version is stale but those fields are still as shown (someone saved another
    part of the same row, another section of the same plan), there is nothing to lose: the
    change is saved on top of the version now stored, still in one conditional update.
    """
    changed = changed_fields(obj, before)
    model = type(obj)
    if not changed:
        if precondition and expected is not None:
            # If-Match is a precondition (RFC 9110): stale is refused even for a no-op.
            current = model._default_manager.get(pk=obj.pk)
            if version_of(current) != expected:
                raise VersionConflict(
                    current=current, expected=expected, yours={}, precondition=True
                )
        return False
    yours = {name: getattr(obj, name) for name in before}
    with transaction.atomic():
        try:
            obj.version = claim_version(  # type: ignore[attr-defined]
                model, pk=obj.pk, expected=expected, yours=yours, precondition=precondition
            )
        except VersionConflict as exc:
            if base is None or fingerprint(exc.current, before) != base:
                raise
            obj.version = claim_version(  # type: ignore[attr-defined]
                model,
                pk=obj.pk,
                expected=version_of(exc.current),
                yours=yours,
                precondition=precondition,
            )
        fields = {*changed, *extra_fields, "version"}
        names = {f.name for f in model._meta.concrete_fields}
        if "updated_by" in names and user is not None and getattr(user, "is_authenticated", False):
            obj.updated_by = user  # type: ignore[attr-defined]
            fields.add("updated_by")
        if "updated_at" in names:
            fields.add("updated_at")  # auto_now: save() stamps it
        obj.save(update_fields=sorted(fields))
    return True


def claim_version(
    model: type[models.Model],
    *,
    pk: Any,
    expected: int | None,
    yours: Mapping[str, Any],
    precondition: bool = False,
    theirs: Any = None,
) -> int:
    """The one rule: count the row's version up if it is still ``expected``; the new version.

    Zero rows updated is a conflict: :class:`VersionConflict` with the row as it is now
    (``theirs``, when given, is called with it for values that are not its fields). Run
    inside a transaction: the row stays locked until it ends.
    """
    rows = model._default_manager.filter(pk=pk)
    if expected is not None:
        rows = rows.filter(version=expected)
    if rows.update(version=F("version") + 1) == 0:
        current = model._default_manager.get(pk=pk)
        raise VersionConflict(
            current=current,
            expected=expected or 0,
            yours=yours,
            precondition=precondition,
            theirs=theirs(current) if theirs is not None else None,
        )
    return int(model._default_manager.values_list("version", flat=True).get(pk=pk))


def bump(obj: models.Model) -> None:
    """Count the version up without a check (a workflow step that changes the row)."""
    model = type(obj)
    model._default_manager.filter(pk=obj.pk).update(version=F("version") + 1)
    obj.version = model._default_manager.values_list("version", flat=True).get(pk=obj.pk)  # type: ignore[attr-defined]


# -- HTTP: ETag and If-Match ----------------------------------------------------------------

_ETAG = re.compile(r'\s*(?:W/)?"(\d+)"\s*')


def etag(version: int) -> str:
    """The ETag of a version: strong, the version number quoted (``"3"``)."""
    return f'"{int(version)}"'


def if_match(request: HttpRequest) -> tuple[bool, int | None]:
    """(sent, version) from the ``If-Match`` header: (False, None) when absent or ``*``.

    ``W/"3"`` is accepted like ``"3"``; a list takes its first version; a value that is
    not one of kam's ETags gives (True, None), which never matches.
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return False, None
    for part in header.split(","):
        found = _ETAG.fullmatch(part)
        if found:
            return True, int(found.group(1))
    return True, None


def expected_version(
    request: HttpRequest, *, body_version: int | None, current: models.Model
) -> tuple[int | None, bool]:
    """The version a write expects, and whether it is a precondition (``If-Match``: 412).

    ``If-Match`` wins over a ``version`` in the body when both are sent. An ``If-Match``
    that is no version of kam's refuses at once (412), like a stale one.
    """
    sent, version = if_match(request)
    if sent:
        if version is None:
            raise VersionConflict(current=current, expected=0, yours={}, precondition=True)
        return version, True
    return body_version, False


class ConflictOut(ErrorOut):
    """A refused write (409 or 412). For a version conflict also the object as it is now
    (``current``, in the shape a GET returns), its ``current_version``, the version you
    sent (``your_version``) and the values you tried to save (``yours``); other 409s (a
    plan that is not a draft, a name taken) carry ``detail`` only."""

    your_version: int | None = Field(None, description="The version your write was made on.")
    current_version: int | None = Field(None, description="The version saved now.")
    current: dict[str, Any] | list[Any] | None = Field(
        None, description="The object as it is now, as GET returns it."
    )
    yours: dict[str, Any] | None = Field(None, description="What you tried to save.")


def conflict_body(exc: VersionConflict) -> dict[str, Any]:
    """The JSON of a 409/412: the message, the object as it is now, what you sent."""
    return {
        "detail": exc.message,
        "field": "version",
        "problems": exc.problems,
        "your_version": exc.expected,
        "current_version": version_of(exc.current),
        "current": getattr(exc, "current_out", None),
        "yours": {k: _json(v) for k, v in exc.yours.items()},
    }


@contextmanager
def conflict_shows(serialise: Callable[[Any], Any]) -> Iterator[None]:
    """Inside an API write: a conflict carries the current object as ``serialise`` writes
    it (the route's own output schema), for :func:`conflict_body`."""
    try:
        yield
    except VersionConflict as exc:
        exc.current_out = serialise(exc.current)  # type: ignore[attr-defined]
        raise


def schema_dump(schema: type[Schema]) -> Callable[[Any], Any]:
    """A serialiser for :func:`conflict_shows`: the object through ``schema``, as JSON."""
    return lambda obj: schema.from_orm(obj).model_dump(mode="json")


IF_MATCH = {
    "parameters": [
        {
            "in": "header",
            "name": "If-Match",
            "required": False,
            "schema": {"type": "string"},
            "description": (
                "The ETag you loaded ('\"4\"'): 412 and nothing saved when the object "
                "changed since (docs/api.md, Versions)."
            ),
        }
    ]
}
"""``openapi_extra`` of a write that honours If-Match: documents the header."""


def set_etag(response: HttpResponse, version: int) -> None:
    response["ETag"] = etag(version)


def list_etag(versions: Iterable[int | None]) -> str:
    """The ETag of a list saved all or none (box policies): each row's version in order,
    0 for a row never saved (``"1-3-1-0"``)."""
    return '"' + "-".join(str(v or 0) for v in versions) + '"'


def if_match_list(request: HttpRequest, count: int) -> list[int | None] | None:
    """The row versions of a :func:`list_etag` in ``If-Match`` (None when not sent).

    A header that is not such a list of ``count`` versions gives versions that never match
    (-1), so the write is refused with 412 as for a stale one.
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    found = re.fullmatch(r'\s*(?:W/)?"([0-9-]+)"\s*', header.split(",")[0])
    parts = found.group(1).split("-") if found else []
    if len(parts) != count or not all(p.isdigit() for p in parts):
        return [-1] * count
    return [int(p) or None for p in parts]


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


# -- pages: the conflict page ---------------------------------------------------------------


def display(value: Any, choices: Mapping[Any, Any] | None = None) -> str:
    """A value as a person reads it on the conflict page."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(display(v, choices) for v in value)
    if choices and value in choices:
        return str(choices[value])
    if isinstance(value, Decimal):
        return formats.number(value, 2 if value != value.to_integral() else 0)
    if isinstance(value, dt.date):
        return formats.date(value)
    return str(value)


def conflict_rows(
    exc: VersionConflict,
    *,
    labels: Mapping[str, str] | None = None,
    choices: Mapping[str, Mapping[Any, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Field by field: label, what they saved, what you tried, whether the two differ."""
    current = exc.current
    rows = []
    names = list(exc.yours)
    names += [n for n in exc.theirs or {} if n not in exc.yours]
    for name in names:
        yours = exc.yours.get(name)
        try:
            field = current._meta.get_field(name)
            label = str(getattr(field, "verbose_name", name))
            field_choices: Mapping[Any, Any] | None = (
                dict(getattr(field, "flatchoices", None) or []) or None
            )
        except FieldDoesNotExist:  # a line of a scheme's content, already a label
            label, field_choices = name, None
        label = (labels or {}).get(name, label)
        field_choices = (choices or {}).get(name, field_choices)
        theirs = exc.theirs.get(name) if exc.theirs is not None else getattr(current, name)
        rows.append(
            {
                "name": name,
                "label": label[:1].upper() + label[1:],
                "theirs": display(theirs, field_choices),
                "yours": display(yours, field_choices),
                "differs": _comparable(theirs) != _comparable(yours),
            }
        )
    return rows


def _comparable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if value in (None, ""):
        return None
    return value


def conflict_who(current: models.Model) -> dict[str, Any]:
    """Who saved the current version and when, as far as the row knows."""
    user = getattr(current, "updated_by", None)
    name = ""
    if user is not None:
        name = str(user.get_full_name() or user.get_username())
    when = getattr(current, "updated_at", None)
    return {
        "name": name,
        "when": timezone.localtime(when) if when is not None else None,
        "version": version_of(current),
    }


def conflict_response(
    request: HttpRequest,
    exc: VersionConflict,
    *,
    title: StrOrPromise,
    back_url: str,
    labels: Mapping[str, str] | None = None,
    choices: Mapping[str, Mapping[Any, Any]] | None = None,
    who: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    version_field: str = "version",
) -> HttpResponse:
    """The 409 page (a fragment for htmx) showing both versions field by field.

    "Keep mine" posts what the person sent again, on top of the version now stored;
    "Take theirs" goes back to the object as the other person saved it. ``version_field``
    is the form's name of the conflicting version (it is sent again as the current one).
    """
    resend = [
        (key, value)
        for key, values in request.POST.lists()
        if key not in ("csrfmiddlewaretoken", version_field, "keep_mine")
        for value in values
    ]
    context = {
        "title": title,
        "message": exc.message,
        "rows": conflict_rows(exc, labels=labels, choices=choices),
        "who": who or conflict_who(exc.current),
        "yours_version": exc.expected,
        "current_version": version_of(exc.current),
        "resend": resend,
        "version_field": version_field,
        "action_url": request.get_full_path(),
        "back_url": back_url,
        **(extra or {}),
    }
    template = "web/_conflict.html" if request.headers.get("HX-Request") else "web/conflict.html"
    return render(request, template, context, status=409)
