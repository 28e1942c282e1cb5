"""Supplier positioning (docs/method.md section 4): mismatches between our box and how the
customer files us in Kraljic's matrix."""

from __future__ import annotations

from kam.core.relationships.messages import Message, msg
from kam.core.relationships.vocabulary import BOX_LABELS, CUSTOMER_VIEW_LABELS, CustomerView
from kam.core.scoring import Box, gettext_noop


def positioning_warnings(*, box: str, customer_view: CustomerView | None) -> list[Message]:
    """Mismatches between our box and how the customer files us (docs/method.md section 4).

    - a key account where the customer files us as leverage or non-critical: price
      pressure, and an investment that may not be returned;
    - a customer that wants closeness (files us as strategic or bottleneck) while we do not
      invest (a maintenance or opportunistic account): conflict.

    No warning when the view is not recorded or both sides' needs match.
    """
    if customer_view is None:
        return []
    out: list[Message] = []
    labels = ("view", "box")
    view_label = CUSTOMER_VIEW_LABELS[customer_view]
    box_label = BOX_LABELS.get(box, box)
    if box == Box.KEY and customer_view in (CustomerView.LEVERAGE, CustomerView.NON_CRITICAL):
        out.append(
            msg(
                gettext_noop(
                    "We treat this customer as a %(box)s, but they file us as %(view)s: "
                    "expect price pressure, and our investment may not be returned."
                ),
                labels,
                box=box_label,
                view=view_label,
            )
        )
    if box in (Box.MAINTENANCE, Box.OPPORTUNISTIC) and customer_view in (
        CustomerView.STRATEGIC,
        CustomerView.BOTTLENECK,
    ):
        out.append(
            msg(
                gettext_noop(
                    "The customer files us as %(view)s and wants closeness, but as a "
                    "%(box)s we do not invest in it: expect conflict. Explain the service "
                    "they will get, or review the account's box."
                ),
                labels,
                box=box_label,
                view=view_label,
            )
        )
    return out
