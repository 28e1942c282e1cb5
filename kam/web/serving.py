"""What `kam serve` hands gunicorn: an access log that never shows a share link's token.

A share link (``/plans/shared/<token>/``) is the customer's key to a plan; whoever reads
the access log must not be able to use it. The request line, the path and the referrer
(the customer's page sends it to kam's own static files) are logged with the token
replaced by ``[redacted]``.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from kam.web.redact import redact


class RedactingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with share tokens taken out of every access-log atom."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str) and "/shared/" in value:
                atoms[key] = redact(value)
        return atoms
