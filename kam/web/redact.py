"""Share-link tokens kept out of every log (see kam/web/serving.py for the access log).

A share link (``/plans/shared/<token>/``) is the customer's key to a plan; whoever reads a
log must not be able to use it, so logged paths show ``[redacted]`` in its place.
"""

from __future__ import annotations

import logging
import re

_SHARE_TOKEN = re.compile(r"(/shared/)[^/?#\s\"']+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with every share-link token replaced."""
    return _SHARE_TOKEN.sub(r"\1" + REDACTED, text)


class RedactShareTokens(logging.Filter):
    """A logging filter: the message of each record, share tokens replaced.

    Django logs "Not Found: <path>" for a refused share link; the path holds the token.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/shared/" in message:
            record.msg = redact(message)
            record.args = None
        return True
