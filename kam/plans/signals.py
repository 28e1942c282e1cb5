"""What plans tell the apps above them, which they do not import (docs/architecture.md,
"The order of the packages"): kam.notifications connects to these in its app config."""

from django.dispatch import Signal

#: A customer changed an action's status or commented on it through a share link; sent with
#: ``link``, ``action``, ``status_from`` and ``status_to`` (empty when the status stayed)
#: and ``comment``.
customer_action_updated = Signal()

#: A customer signed a plan version off through a share link; sent with ``sign_off``.
customer_signed_off = Signal()
