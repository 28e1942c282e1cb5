"""``kam manage send_reminders [--date YYYY-MM-DD]``: remind raters behind (for cron)."""

from __future__ import annotations

import smtplib
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kam.notifications.management.commands.send_digest import parse_day, relay_error
from kam.notifications.services import reminders_send_all


class Command(BaseCommand):
    help = (
        "Remind the raters of every open review who have not finished scoring. "
        "A rater gets one reminder per review per day however often this runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="the day to send for (YYYY-MM-DD; default today)")

    def handle(self, *args: Any, **options: Any) -> None:
        day = parse_day(options.get("date"))
        try:
            n = reminders_send_all(today=day)
        except (OSError, smtplib.SMTPException) as exc:
            raise relay_error(exc) from exc
        self.stdout.write(f"Reminders sent: {n} ({day.isoformat()}).")
