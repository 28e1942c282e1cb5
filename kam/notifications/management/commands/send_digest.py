"""``kam manage send_digest [--date YYYY-MM-DD]``: send this week's digests (for cron)."""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kam.notifications.services import digests_send_all


def parse_day(text: str | None) -> dt.date:
    if not text:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date {text!r}: write the day as YYYY-MM-DD.", returncode=2) from None


def relay_error(exc: Exception) -> CommandError:
    """The mail relay failed: say so (what was sent before stays recorded; a rerun sends
    the rest)."""
    return CommandError(
        f"The mail relay failed ({type(exc).__name__}: {exc}). E-mails sent before it are "
        "recorded; run the command again when the relay works to send the rest. "
        "Settings: docs/operations.md, section E-mail.",
        returncode=1,
    )


class Command(BaseCommand):
    help = (
        "Send every person the weekly digest of their overdue and coming actions. "
        "A person gets one digest per week however often this runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="the day to send for (YYYY-MM-DD; default today)")

    def handle(self, *args: Any, **options: Any) -> None:
        day = parse_day(options.get("date"))
        try:
            n = digests_send_all(today=day)
        except (OSError, smtplib.SMTPException) as exc:
            raise relay_error(exc) from exc
        self.stdout.write(f"Digests sent: {n} (week of {day.isoformat()}).")
