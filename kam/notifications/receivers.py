"""The notifications that follow what happens in the apps below: each receiver passes a
signal of kam.portfolio or kam.plans on to a service of this app (connected by
``NotificationsConfig.ready``), so those apps need not import this one."""

from __future__ import annotations

from typing import Any

from kam.notifications import services
from kam.plans.signals import customer_action_updated, customer_signed_off
from kam.portfolio.signals import review_opened


def _review_opened(sender: Any, *, review: Any, raters: Any, **_: Any) -> None:
    services.review_opened(review=review, raters=raters)


def _customer_action_updated(
    sender: Any,
    *,
    link: Any,
    action: Any,
    status_from: str,
    status_to: str,
    comment: str,
    **_: Any,
) -> None:
    services.customer_update_record(
        link=link, action=action, status_from=status_from, status_to=status_to, comment=comment
    )


def _customer_signed_off(sender: Any, *, sign_off: Any, **_: Any) -> None:
    services.customer_sign_off_record(sign_off=sign_off)


def connect() -> None:
    """Connect the receivers (once: each has a ``dispatch_uid``)."""
    review_opened.connect(_review_opened, dispatch_uid="kam-notifications-review-opened")
    customer_action_updated.connect(
        _customer_action_updated, dispatch_uid="kam-notifications-customer-action"
    )
    customer_signed_off.connect(
        _customer_signed_off, dispatch_uid="kam-notifications-customer-sign-off"
    )
