"""What the portfolio tells the apps above it, which it does not import (docs/architecture.md,
"The order of the packages"): kam.notifications connects to these in its app config."""

from django.dispatch import Signal

#: A review opened for scoring; sent with ``review`` and its ``raters`` inside the
#: transaction that opened it (the invitations go out after it commits).
review_opened = Signal()
