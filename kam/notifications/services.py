"""Writes of the notifications app: preferences, unsubscribing, and sending the e-mails.

Every e-mail goes through ``_deliver``: it checks that the person wants this kind, claims
a ``Sent`` row for (person, kind, key) — the unique constraint makes a second claim fail,
so nothing is sent twice — renders the text and HTML parts in the person's language and
sends them; when sending fails the claim is released, so the next run tries again.

Sending happens in jobs (``kam.notifications.tasks``), queued when the transaction that
caused it commits. docs/notifications.md tells the users what they receive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from kam.errors import ApplicationError
from kam.notifications import selectors
from kam.notifications.models import (
    PREFERENCE_FIELDS,
    CustomerUpdate,
    CustomerUpdateKind,
    Kind,
    Preferences,
    Sent,
)
from kam.plans.models import ActionStatus, PlanAction, PlanSignOff, ShareLink
from kam.portfolio.models import Review, ReviewStatus
from kam.portfolio.review_selectors import review_accounts_to_score

#: The module of this app's tasks, named by its dotted path (``_task``).
TASKS = "kam.notifications.tasks"

UNSUBSCRIBE_SALT = "kam.notifications.unsubscribe"
BATCH_SECONDS = 300
"""Customer updates within this many seconds of the first one come in one e-mail."""


# --- preferences and unsubscribing ----------------------------------------------------------


def preferences_save(
    *, user: User | AnonymousUser, language: str, kinds: dict[str, bool]
) -> Preferences:
    """Store the person's choices; saving what is already stored writes nothing."""
    if not user.is_authenticated:
        raise ApplicationError(_("Log in to change your e-mail preferences."), status=403)
    if language and language not in dict(settings.LANGUAGES):
        raise ApplicationError(
            _("Unknown language %(code)s.") % {"code": language}, field="language"
        )
    prefs = selectors.preferences_of(user=user)
    wanted = {"language": language} | {
        PREFERENCE_FIELDS[Kind(kind)]: bool(on) for kind, on in kinds.items()
    }
    changed = [name for name, value in wanted.items() if getattr(prefs, name) != value]
    if changed:
        for name in changed:
            setattr(prefs, name, wanted[name])
        prefs.save()
    return prefs


def unsubscribe_token(*, user: User, kind: str) -> str:
    """A signed token that switches ``kind`` off for ``user`` and nothing else."""
    return signing.dumps({"u": user.pk, "k": str(Kind(kind))}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_read(*, token: str) -> tuple[User, str]:
    """The person and kind of a token; ApplicationError (400) for a tampered or unknown one."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user = get_user_model().objects.get(pk=int(data["u"]))
        kind = Kind(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, LookupError) as exc:
        raise ApplicationError(
            _("This unsubscribe link is not valid. Change your e-mails on the preferences page."),
            status=400,
        ) from exc
    return user, str(kind)


def unsubscribe(*, token: str) -> tuple[User, str]:
    """Switch off the kind the token names for its person; returns both."""
    user, kind = unsubscribe_read(token=token)
    prefs = selectors.preferences_of(user=user)
    name = PREFERENCE_FIELDS[Kind(kind)]
    if getattr(prefs, name):
        setattr(prefs, name, False)
        prefs.save()
    return user, kind


# --- rendering and sending ----------------------------------------------------------------


#: Where links in e-mails point when ``KAM_BASE_URL`` is not set (the demo's address).
LOCAL_BASE_URL = "http://127.0.0.1:8000"


def base_url() -> str:
    """The address people open kam at: ``KAM_BASE_URL``, else the demo's local address."""
    return settings.KAM_BASE_URL or LOCAL_BASE_URL


def absolute(path: str) -> str:
    """``path`` on the address people open kam at (:func:`base_url`)."""
    return f"{base_url()}{path}"


def _deliver(
    *,
    user: User,
    kind: str,
    key: str,
    template: str,
    context: dict[str, Any],
) -> bool:
    """Send one e-mail of ``kind`` about ``key`` to ``user``; False when not sent.

    Not sent: the person switched the kind off, has no address or is inactive, or the
    e-mail for this key was sent before.
    """
    if not selectors.notification_may_receive(user=user, kind=kind):
        return False
    to = str(getattr(user, "email", ""))
    try:
        with transaction.atomic():
            claim = Sent.objects.create(user=user, kind=kind, key=key, to=to)
    except IntegrityError:
        return False
    try:
        language = selectors.language_of(user=user)
        with translation.override(language):
            token = unsubscribe_token(user=user, kind=kind)
            unsubscribe_url = absolute(reverse("notifications:unsubscribe", args=[token]))
            full = {
                **context,
                "user": user,
                "name": getattr(user, "first_name", "") or user.get_username(),
                "kind_label": Kind(kind).label,
                "unsubscribe_url": unsubscribe_url,
                "preferences_url": absolute(reverse("notifications:preferences")),
                "base_url": base_url(),
                "LANGUAGE_CODE": language,
            }
            subject = " ".join(
                render_to_string(f"notifications/email/{template}_subject.txt", full).split()
            )
            text = render_to_string(f"notifications/email/{template}.txt", full)
            html = render_to_string(f"notifications/email/{template}.html", full)
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            to=[to],
            headers={
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
            },
        )
        message.attach_alternative(html, "text/html")
        message.send()
    except Exception:
        claim.delete()  # not sent: the next run tries again
        raise
    Sent.objects.filter(pk=claim.pk).update(subject=subject[:300])
    return True


def _task(task_name: str) -> Any:
    """The task ``task_name`` of kam.notifications.tasks, found by its dotted path as the job
    runner finds every task (``KINDS``, ``KAM_PERIODIC_TASKS``): the tasks call these services,
    so the services name them rather than import them (no import cycle, docs/architecture.md)."""
    return import_string(f"{TASKS}.{task_name}")


def _on_commit_enqueue(task_name: str, *args: Any) -> None:
    """Queue the task ``task_name`` of kam.notifications.tasks once the transaction commits."""

    def enqueue() -> None:
        _task(task_name).enqueue(*args)

    transaction.on_commit(enqueue)


# --- reviews: invitations and reminders --------------------------------------------------------


def _review_context(review: Review, rater: User) -> dict[str, Any]:
    return {
        "review": review,
        "accounts": review_accounts_to_score(review=review, rater=rater).count(),
        "score_url": absolute(reverse("portfolio:review_score", args=[review.pk])),
        "review_url": absolute(reverse("portfolio:review_detail", args=[review.pk])),
        "opened_by": (
            (review.created_by.get_full_name() or review.created_by.get_username())
            if review.created_by and review.created_by_id != rater.pk
            else ""
        ),
    }


def review_opened(*, review: Review, raters: Iterable[User]) -> None:
    """Invite the raters of a review just opened, once the opening commits."""
    _on_commit_enqueue("send_invitations", review.pk, sorted({r.pk for r in raters}))


def invitations_send(*, review_id: int, rater_ids: list[int]) -> int:
    """Invite each rater once to an open review; returns the number of e-mails sent."""
    review = Review.objects.select_related("created_by").filter(pk=review_id).first()
    if review is None or review.status != ReviewStatus.OPEN:
        return 0
    raters = review.raters.filter(pk__in=rater_ids).order_by("pk")
    return sum(
        _deliver(
            user=rater,
            kind=Kind.INVITATION,
            key=f"review:{review.pk}",
            template="invitation",
            context=_review_context(review, rater),
        )
        for rater in raters
    )


def reminders_send(
    *, review_id: int, today: dt.date | None = None, rater_ids: list[int] | None = None
) -> int:
    """Remind the raters of an open review who have not finished scoring, once a day."""
    today = today or timezone.localdate()
    review = Review.objects.select_related("created_by").filter(pk=review_id).first()
    if review is None:
        return 0
    sent = 0
    for progress in selectors.raters_behind(review=review):
        rater = progress.rater
        if rater_ids is not None and rater.pk not in rater_ids:
            continue
        sent += _deliver(
            user=rater,
            kind=Kind.REMINDER,
            key=f"review:{review.pk}:{today.isoformat()}",
            template="reminder",
            context={
                **_review_context(review, rater),
                "scored": progress.scored,
                "cells": progress.cells,
                "percent": progress.percent,
            },
        )
    return sent


def reminders_request(
    *, review: Review, user: User | AnonymousUser, today: dt.date | None = None
) -> int:
    """The "remind raters" button: queue today's reminder for the raters behind.

    Returns how many raters will be reminded (those not reminded today already).
    Only the review's owner, a sales director or an administrator may ask; the review
    must be open.
    """
    if not user.is_authenticated or not selectors.review_may_remind(review=review, user=user):
        raise ApplicationError(
            _("Only the review's owner, a sales director or an administrator may remind raters."),
            status=403,
        )
    if review.status != ReviewStatus.OPEN:
        raise ApplicationError(
            _("Review %(name)s is not open: there is nothing left to score.")
            % {"name": review.name},
            status=409,
        )
    today = today or timezone.localdate()
    key = f"review:{review.pk}:{today.isoformat()}"
    due = [
        p.rater.pk
        for p in selectors.raters_behind(review=review)
        if selectors.notification_may_receive(user=p.rater, kind=Kind.REMINDER)
        and not selectors.already_sent(user=p.rater, kind=Kind.REMINDER, key=key)
    ]
    if due:
        _on_commit_enqueue("send_reminders", review.pk, today.isoformat(), due)
    return len(due)


def reminders_send_all(*, today: dt.date | None = None) -> int:
    """The periodic run: remind the raters behind in every open review (once a day)."""
    today = today or timezone.localdate()
    return sum(
        reminders_send(review_id=review.pk, today=today) for review in selectors.open_reviews()
    )


# --- the weekly digest ---------------------------------------------------------------------------


def _week_key(today: dt.date) -> str:
    year, week, _weekday = today.isocalendar()
    return f"{year}-W{week:02d}"


def _plan_url(action: PlanAction) -> str:
    return absolute(reverse("plans:detail", args=[action.plan_id]))


def digest_send(*, user: User, today: dt.date | None = None) -> bool:
    """Send the person's digest of this ISO week, once; nothing when no action is due."""
    today = today or timezone.localdate()
    if not selectors.notification_may_receive(user=user, kind=Kind.DIGEST):
        return False
    digest = selectors.digest_of(user=user, today=today)
    if digest.empty:
        return False
    for action in [
        *digest.overdue,
        *digest.coming,
        *digest.customer_overdue,
        *digest.customer_coming,
    ]:
        action.url = _plan_url(action)  # type: ignore[attr-defined]
    return _deliver(
        user=user,
        kind=Kind.DIGEST,
        key=_week_key(today),
        template="digest",
        context={
            "digest": digest,
            "today": today,
            "days_ahead": selectors.DIGEST_DAYS_AHEAD,
            "overdue_url": absolute(reverse("plans:overdue")),
        },
    )


def digests_send_all(*, today: dt.date | None = None) -> int:
    """The periodic run: every person's digest of the week; returns the number sent."""
    today = today or timezone.localdate()
    return sum(digest_send(user=u, today=today) for u in selectors.digest_recipients())


# --- customer updates through a share link ---------------------------------------------------


def customer_update_record(
    *, link: ShareLink, action: PlanAction, status_from: str, status_to: str, comment: str
) -> CustomerUpdate | None:
    """Note a customer's change to an action for the account's key account manager.

    The first update of a batch queues the e-mail to run ``BATCH_SECONDS`` later (when
    the job runner can defer jobs; at once otherwise); updates arriving meanwhile join it.
    """
    if not (status_to or comment):
        return None
    recipient_id = action.plan.account.owner_id
    if recipient_id is None:
        return None
    batch_open = _batch_open(recipient_id)
    update = CustomerUpdate.objects.create(
        recipient_id=recipient_id,
        kind=CustomerUpdateKind.ACTION,
        plan_id=action.plan_id,
        action=action,
        person_name=link.person_name,
        status_from=status_from,
        status_to=status_to,
        comment=comment,
    )
    if not batch_open:
        _enqueue_batch(recipient_id)
    return update


def customer_sign_off_record(*, sign_off: PlanSignOff) -> CustomerUpdate | None:
    """Note a customer's sign-off of a plan version for the account's key account manager,
    told in the same batched e-mail as the customer's action updates."""
    recipient_id = sign_off.plan.account.owner_id
    if recipient_id is None:
        return None
    batch_open = _batch_open(recipient_id)
    update = CustomerUpdate.objects.create(
        recipient_id=recipient_id,
        kind=CustomerUpdateKind.SIGN_OFF,
        plan_id=sign_off.plan_id,
        sign_off=sign_off,
        person_name=sign_off.person_name,
    )
    if not batch_open:
        _enqueue_batch(recipient_id)
    return update


def _batch_open(recipient_id: int) -> bool:
    """Whether an e-mail for the person is already queued and will take a new update along."""
    oldest = selectors.pending_updates(recipient_id=recipient_id).first()
    return oldest is not None and oldest.created_at > timezone.now() - dt.timedelta(
        seconds=BATCH_SECONDS
    )


def _enqueue_batch(recipient_id: int) -> None:
    def enqueue() -> None:
        task = _task("send_customer_updates")
        if task.get_backend().supports_defer:
            task = task.using(run_after=timezone.now() + dt.timedelta(seconds=BATCH_SECONDS))
        task.enqueue(recipient_id)

    transaction.on_commit(enqueue)


def _status_label(code: str) -> str:
    try:
        return str(ActionStatus(code).label)
    except ValueError:
        return code


def customer_updates_send(*, recipient_id: int) -> bool:
    """Tell the key account manager every update not told yet, in one e-mail."""
    user = get_user_model().objects.filter(pk=recipient_id).first()
    if user is None:
        return False
    updates = list(selectors.pending_updates(recipient_id=recipient_id))
    if not updates:
        return False
    ids = [u.pk for u in updates]
    # Claim the updates: a second job running at the same moment finds none left.
    claimed = CustomerUpdate.objects.filter(pk__in=ids, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if claimed != len(ids):
        CustomerUpdate.objects.filter(pk__in=ids).update(sent_at=None)
        return False
    try:
        with translation.override(selectors.language_of(user=user)):
            rows = [_update_row(u) for u in updates]
        accounts = dict.fromkeys(u.plan.account.name for u in updates if u.plan is not None)
        return _deliver(
            user=user,
            kind=Kind.CUSTOMER_UPDATE,
            key=f"updates:{ids[0]}",
            template="customer_update",
            context={
                "rows": rows,
                "n_actions": len({u.action_id for u in updates if u.action_id}),
                "n_sign_offs": sum(1 for u in updates if u.sign_off_id),
                "account_names": ", ".join(accounts),
            },
        )
    except Exception:
        CustomerUpdate.objects.filter(pk__in=ids).update(sent_at=None)
        raise


def _update_row(u: CustomerUpdate) -> dict[str, Any]:
    """One line of the e-mail: an action's change or a sign-off, with the plan's address."""
    plan = u.plan if u.plan is not None else u.action.plan  # type: ignore[union-attr]
    return {
        "update": u,
        "kind": u.kind,
        "action": u.action,
        "sign_off": u.sign_off,
        "account": plan.account,
        "plan": plan,
        "status_from": _status_label(u.status_from) if u.status_to else "",
        "status_to": _status_label(u.status_to) if u.status_to else "",
        "url": absolute(reverse("plans:detail", args=[plan.pk]))
        + ("#versions" if u.sign_off_id else ""),
    }
