"""``kam calendar-import``: import an iCalendar (.ics) file as one of our people.

The same rules as the page and the API (kam.activities.calendar, docs/relationships.md):
the user's visible accounts, all or nothing, re-imports change nothing. Prints what was
created and the customer addresses that still need a contact.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence

from kam.cli.common import django_setup


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the .ics file (Outlook or Google Calendar export)")
    p.add_argument("--user", required=True, help="username whose calendar it is")
    p.add_argument("--from", dest="start", type=dt.date.fromisoformat, help="YYYY-MM-DD")
    p.add_argument("--to", dest="end", type=dt.date.fromisoformat, help="YYYY-MM-DD")


def run(args: argparse.Namespace) -> int:
    django_setup()
    from django.contrib.auth import get_user_model

    from kam.activities.calendar import CalendarImportError, calendar_import_create
    from kam.errors import ApplicationError

    user = get_user_model().objects.filter(username=args.user, is_active=True).first()
    if user is None:
        print(f"There is no active user '{args.user}'.", file=sys.stderr)
        return 2
    from kam.imports.limits import upload_size_check

    try:
        # a file beyond KAM_MAX_UPLOAD_BYTES is refused before it is read into memory
        upload_size_check(os.path.getsize(args.file), name=os.path.basename(args.file))
        with open(args.file, "rb") as fh:
            content = fh.read()
    except OSError as exc:
        print(f"Cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    except ApplicationError as exc:
        print(f"{args.file}: {exc.message}", file=sys.stderr)
        return 2
    try:
        _record, s = calendar_import_create(
            user=user,
            content=content,
            filename=os.path.basename(args.file),
            period_start=args.start,
            period_end=args.end,
        )
    except CalendarImportError as exc:
        # a refused file exits 2 with one line per problem, as every kam command does
        lines: Sequence[object] = exc.report or [exc.message]
        for problem in lines:
            print(f"{args.file}: {problem}", file=sys.stderr)
        return 2
    except ApplicationError as exc:
        print(f"{args.file}: {exc.message}", file=sys.stderr)
        return 2
    print(
        f"{s.period_start} to {s.period_end}: {s.created} activities created, "
        f"{s.unchanged} already imported, {s.contacts_attached} contacts attached; skipped: "
        f"{s.all_day} all-day, {s.cancelled} cancelled, {s.internal} without a customer, "
        f"{s.not_held_yet} not held yet."
    )
    for name, n in s.accounts.items():
        print(f"  {name}: {n}")
    if s.unmatched:
        print("Customer addresses without a contact (map them on the calendar page):")
        for u in s.unmatched:
            where = f" ({u.account_name})" if u.account_name else ""
            print(f"  {u.address} {u.name}{where}: {u.events} meetings")
    return 0
