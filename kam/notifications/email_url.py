"""Django's e-mail settings from the environment (docs/operations.md, "E-mail").

Pure Python, read by ``kam.settings`` before Django is set up. ``KAM_EMAIL_URL`` names the
relay in one line::

    smtp://user:password@smtp.example.com:587?tls=1     STARTTLS on the submission port
    smtps://user:password@smtp.example.com:465          TLS from the first byte
    smtp://127.0.0.1:1025                               a local relay or aiosmtpd
    console://                                          print every message (the default)

Instead of the URL, ``KAM_EMAIL_HOST``, ``KAM_EMAIL_PORT``, ``KAM_EMAIL_USER``,
``KAM_EMAIL_PASSWORD``, ``KAM_EMAIL_USE_TLS`` and ``KAM_EMAIL_USE_SSL`` may be set one by
one. With neither, messages are printed on the console (the demo).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SMTP = "django.core.mail.backends.smtp.EmailBackend"
BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}
TRUE = {"1", "true", "yes", "on"}


class EmailConfigError(ValueError):
    """The e-mail settings cannot be understood; the message says which and why."""


def _flag(value: str | None, name: str) -> bool:
    text = (value or "").strip().lower()
    if text in TRUE:
        return True
    if text in {"", "0", "false", "no", "off"}:
        return False
    raise EmailConfigError(f"{name}={value!r}: write 1 or 0.")


def _port(value: str | None, name: str, default: int) -> int:
    if not value:
        return default
    try:
        port = int(value)
    except ValueError:
        raise EmailConfigError(f"{name}={value!r}: the port must be a number.") from None
    if not 0 < port < 65536:
        raise EmailConfigError(f"{name}={value!r}: the port must be between 1 and 65535.")
    return port


def parse_email_url(url: str) -> dict[str, Any]:
    """The ``EMAIL_*`` settings for ``url`` (see the module docstring); EmailConfigError."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in BACKENDS:
        return {"EMAIL_BACKEND": BACKENDS[scheme]}
    if scheme not in {"smtp", "smtps"}:
        raise EmailConfigError(
            f"KAM_EMAIL_URL: unknown scheme {parts.scheme!r}; use smtp://, smtps:// or console://."
        )
    if not parts.hostname:
        raise EmailConfigError("KAM_EMAIL_URL: name the mail server, e.g. smtp://host:587.")
    query = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        port_text = str(parts.port) if parts.port is not None else None
    except ValueError:
        raise EmailConfigError("KAM_EMAIL_URL: the port must be a number.") from None
    use_ssl = scheme == "smtps" or _flag(query.get("ssl"), "KAM_EMAIL_URL ssl")
    use_tls = _flag(query.get("tls"), "KAM_EMAIL_URL tls")
    if use_ssl and use_tls:
        raise EmailConfigError("KAM_EMAIL_URL: choose tls=1 (STARTTLS) or SSL, not both.")
    settings: dict[str, Any] = {
        "EMAIL_BACKEND": SMTP,
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": _port(port_text, "KAM_EMAIL_URL port", 465 if use_ssl else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
    }
    if "timeout" in query:
        settings["EMAIL_TIMEOUT"] = _port(query["timeout"], "KAM_EMAIL_URL timeout", 10)
    return settings


def email_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """Every ``EMAIL_*`` setting from ``env``: the URL, else the single variables, else console."""
    settings: dict[str, Any] = {"EMAIL_BACKEND": BACKENDS["console"], "EMAIL_TIMEOUT": 10}
    if url := env.get("KAM_EMAIL_URL", "").strip():
        settings.update(parse_email_url(url))
    elif host := env.get("KAM_EMAIL_HOST", "").strip():
        use_ssl = _flag(env.get("KAM_EMAIL_USE_SSL"), "KAM_EMAIL_USE_SSL")
        use_tls = _flag(env.get("KAM_EMAIL_USE_TLS"), "KAM_EMAIL_USE_TLS")
        if use_ssl and use_tls:
            raise EmailConfigError("KAM_EMAIL_USE_TLS and KAM_EMAIL_USE_SSL: choose one.")
        settings.update(
            EMAIL_BACKEND=SMTP,
            EMAIL_HOST=host,
            EMAIL_PORT=_port(env.get("KAM_EMAIL_PORT"), "KAM_EMAIL_PORT", 465 if use_ssl else 25),
            EMAIL_HOST_USER=env.get("KAM_EMAIL_USER", ""),
            EMAIL_HOST_PASSWORD=env.get("KAM_EMAIL_PASSWORD", ""),
            EMAIL_USE_TLS=use_tls,
            EMAIL_USE_SSL=use_ssl,
        )
    sender = env.get("KAM_EMAIL_FROM", "").strip() or "kam <kam@localhost>"
    settings["DEFAULT_FROM_EMAIL"] = settings["SERVER_EMAIL"] = sender
    return settings
