"""The audit history every audited model keeps: django-simple-history, with kam's rules.

Each audited model declares ``history = KamHistoricalRecords()``; simple-history then keeps
a full snapshot row per change (``Historical<Model>``) with who (``history_user``), when
(``history_date``), how (``+`` created, ``~`` changed, ``-`` deleted) and why
(``history_change_reason``). kam adds three rules (docs/operations.md, "Audit history"):

- **A save that changes nothing writes nothing.** A form saved unchanged must change
  nothing (tests/test_forms_roundtrip.py), so before an update the stored row is read and,
  after it, compared field by field (automatic timestamps aside); equal means no history
  row. That costs one read per saved object, not per imported row: bulk writes record
  their history in bulk (:func:`bulk_history`).
- **The state before history was kept is not lost.** Rows created before kam kept history
  (or written by a bulk insert without it) get a first row with their stored values, dated
  when they were created, the first time they change; so every change shows its "before".
- **Services give the reason.** ``with history_reason("Import of accounts.csv"):`` puts
  that text on every history row written inside the block, also by bulk writes.

Who acted comes from ``simple_history.middleware.HistoryRequestMiddleware`` for pages and
the API (token authentication sets ``request.user``); commands run without a request and
record no user, which the pages show as "system", unless the work runs on someone's
behalf inside ``with history_actor(user):`` (the account import does).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from django.db import models
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_local = threading.local()


@contextlib.contextmanager
def history_reason(reason: StrOrPromise) -> Iterator[None]:
    """Every history row written inside the block carries ``reason`` (cut to 100 characters)."""
    previous = getattr(_local, "reason", None)
    _local.reason = str(reason)[:100]
    try:
        yield
    finally:
        _local.reason = previous


def current_reason() -> str | None:
    return getattr(_local, "reason", None)


@contextlib.contextmanager
def history_actor(user: Any) -> Iterator[None]:
    """History rows written inside the block name ``user`` when no request says who acts.

    For work that runs outside a request on someone's behalf (an import in a background
    job, a command given ``--user``): without it such changes show as "system".
    """
    previous = getattr(_local, "user", None)
    _local.user = user if getattr(user, "is_authenticated", False) else None
    try:
        yield
    finally:
        _local.user = previous


#: Bookkeeping fields of optimistic concurrency (kam/web/concurrency.py): the history's own
#: user and date say the same, and a version counted up is not a change a person reads.
BOOKKEEPING = frozenset({"version", "updated_by"})


def compared_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The tracked fields whose change is a change: automatic timestamps and the
    concurrency bookkeeping are not."""
    history = model.history.model  # type: ignore[attr-defined]
    return [
        f
        for f in history.tracked_fields
        if not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
        and f.name not in BOOKKEEPING
    ]


def _baseline(model: type[models.Model], stored: dict[str, Any], pk: Any) -> None:
    """A first history row with the values stored before history was kept."""
    history = model.history.model  # type: ignore[attr-defined]
    if history.objects.filter(**{model._meta.pk.attname: pk}).exists():
        return
    created = next(
        (stored[f.attname] for f in history.tracked_fields if getattr(f, "auto_now_add", False)),
        None,
    )
    values = {f.attname: stored[f.attname] for f in history.tracked_fields if f.attname in stored}
    row = history(history_type="+", history_change_reason="", **values)
    if created is not None:
        row.history_date = created
    else:
        from django.utils import timezone

        row.history_date = timezone.now()
    row.save()


class KamHistoricalRecords(HistoricalRecords):  # type: ignore[misc]
    """``HistoricalRecords`` that skips unchanged saves and records the service's reason."""

    def finalize(self, sender: Any, **kwargs: Any) -> None:
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            models.signals.pre_save.connect(self.pre_save, sender=sender, weak=False)

    def pre_save(self, instance: Any, raw: bool = False, **kwargs: Any) -> None:
        instance.__dict__.pop("_kam_history_before", None)
        if raw or instance._state.adding or instance.pk is None:
            return
        if hasattr(instance, "skip_history_when_saving"):
            return
        history = getattr(type(instance), self.manager_name).model
        names = [f.attname for f in history.tracked_fields]
        stored = type(instance)._default_manager.filter(pk=instance.pk).values(*names).first()
        instance.__dict__["_kam_history_before"] = stored

    def post_save(self, instance: Any, created: bool, using: Any = None, **kwargs: Any) -> None:
        stored = instance.__dict__.pop("_kam_history_before", None)
        if not created and stored is not None and not kwargs.get("raw", False):
            model = type(instance)
            fields = compared_fields(model)
            if all(stored.get(f.attname) == getattr(instance, f.attname) for f in fields):
                return
            _baseline(model, stored, instance.pk)
        super().post_save(instance, created, using=using, **kwargs)

    def get_history_user(self, instance: Any) -> Any:
        user = super().get_history_user(instance)
        return user if user is not None else getattr(_local, "user", None)

    def get_change_reason_for_object(self, instance: Any, history_type: Any, using: Any) -> Any:
        return super().get_change_reason_for_object(instance, history_type, using) or (
            current_reason() or ""
        )


def bulk_history(
    model: type[models.Model],
    objs: Iterable[models.Model],
    *,
    update: bool = False,
    deleted: bool = False,
    batch_size: int = 1000,
) -> None:
    """History rows for objects written by ``bulk_create``/``update()``/raw SQL (no signals).

    ``objs`` hold the values as stored after the write (as stored before it, for
    ``deleted``); the acting user comes from the request, the reason from
    :func:`history_reason`.
    """
    rows = list(objs)
    if not rows:
        return
    manager = model.history  # type: ignore[attr-defined]
    reason = current_reason() or ""
    if deleted:
        history = manager.model
        from django.utils import timezone

        now = timezone.now()
        records = [
            history(
                history_date=now,
                history_type="-",
                history_user=history.get_default_history_user(obj),
                history_change_reason=reason,
                **{f.attname: getattr(obj, f.attname) for f in history.tracked_fields},
            )
            for obj in rows
        ]
        history.objects.bulk_create(records, batch_size=batch_size)
        return
    manager.bulk_history_create(
        rows, batch_size=batch_size, update=update, default_change_reason=reason
    )
