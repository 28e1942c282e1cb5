"""``kam manage …``: any Django management command (``migrate``, ``createsuperuser`` …).

The words after ``manage`` go to Django as they are (``kam manage help`` lists them)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from kam.cli.common import data_dir_ready


def run_raw(argv: Sequence[str]) -> int:
    data_dir_ready()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kam manage", *argv])
    return 0
