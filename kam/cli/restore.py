"""``kam restore PATH``: bring an archive of ``kam backup`` into an empty installation
(``kam.backup``; docs/operations.md, "Backup and restore")."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kam.cli.common import BAD_INPUT, django_setup, failure_reason
from kam.i18n import _


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="the archive kam backup wrote")
    parser.add_argument(
        "--force",
        action="store_true",
        help="DESTRUCTIVE: replace the data of an installation that is not empty",
    )


def run(args: argparse.Namespace) -> int:
    django_setup()
    import sqlite3

    import psycopg
    from django.db import Error as DatabaseError

    from kam.backup import BackupError, manifest_summary, restore

    try:
        manifest = restore(path=args.path, force=args.force)
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return BAD_INPUT
    except (OSError, DatabaseError, psycopg.Error, sqlite3.Error) as exc:
        print(
            _("kam restore failed: %(reason)s") % {"reason": failure_reason(exc)}, file=sys.stderr
        )
        return BAD_INPUT
    print(_("Restored %(path)s") % {"path": Path(args.path).absolute()})
    print(manifest_summary(manifest))
    return 0
