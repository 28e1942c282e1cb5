"""What activities tell the apps above them, which they do not import (docs/architecture.md,
"The order of the packages"): kam.economics connects to these in its app config."""

from django.dispatch import Signal

#: Activities were written in bulk (an activities import, a calendar import), which sends no
#: ``post_save``; sent with ``account_ids``, the accounts whose team hours changed.
activities_bulk_created = Signal()
