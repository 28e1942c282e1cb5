"""``kam backup PATH``: one archive of the database, the transaction store and the secret
key, taken while kam runs (``kam.backup``; docs/operations.md, "Backup and restore")."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kam.cli.common import BAD_INPUT, django_setup, failure_reason
from kam.i18n import _


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="the archive to write (e.g. kam-2026-12-07.tar.gz)")
    parser.add_argument("--force", action="store_true", help="replace PATH when it exists")


def run(args: argparse.Namespace) -> int:
    django_setup()
    import sqlite3

    import psycopg
    from django.db import Error as DatabaseError

    from kam.backup import BackupError, backup_create, manifest_summary

    try:
        manifest = backup_create(path=args.path, force=args.force)
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return BAD_INPUT
    except (OSError, DatabaseError, psycopg.Error, sqlite3.Error) as exc:
        print(_("kam backup failed: %(reason)s") % {"reason": failure_reason(exc)}, file=sys.stderr)
        return BAD_INPUT
    print(_("Backup written to %(path)s") % {"path": Path(args.path).absolute()})
    print(manifest_summary(manifest))
    print(_("The archive holds the secret key: keep it as safe as the server."))
    return 0
