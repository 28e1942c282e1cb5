"""The ``kam`` command.

- ``kam serve``: run kam with gunicorn (a production WSGI server), after migrating and
  collecting static files, with one ``kam worker`` beside it;
- ``kam worker``: run the background jobs (docs/operations.md);
- ``kam demo [--no-serve]``: migrate, load the demo portfolio, print the demo logins, and
  serve unless told not to;
- ``kam manage …``: any Django management command (``migrate``, ``createsuperuser`` …);
- ``kam classify``: classify a portfolio from files, without a database (see docs/cli.md);
- ``kam allocate``: divide yearly hours over accounts, without a database (docs/allocation.md);
- ``kam calendar-import``: import an .ics calendar file as activities (docs/relationships.md).
- ``kam clv``: predicted purchases and value per account from transactions (docs/economics.md);
- ``kam facts``: every account's facts (revenue, growth, margin …) from invoice lines
  (docs/facts.md).
- ``kam backup PATH`` / ``kam restore PATH``: one archive of the database, the transaction
  store and the secret key, taken while kam runs; restored into an empty installation
  (docs/operations.md).

Every command starts with the umask 077 (kam's files are 0600, its directories 0700), and
those that use the database first check the data directory (``kam.datadir``): when it
cannot be created or written they say so and exit with status 2.

Each command is one module of this package (``COMMANDS``, the one registry: name, module,
help line), with ``add_arguments(parser)`` and ``run(args) -> int``; what they share is in
``kam.cli.common``. The command line starts at once: ``kam --help`` imports no command
module, and ``kam <command>`` imports only its own, whose heavy dependencies (numpy,
Django, DuckDB …) are imported when it runs, not when its parser is built.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType

from kam.i18n import _, gettext_noop


@dataclass(frozen=True)
class Command:
    """One sub-command: its name, the module that implements it and its help line.

    ``module`` has ``add_arguments(parser)`` and ``run(args) -> int``; a ``raw`` command
    (``kam manage``) gets the words after its name as they are, through ``run_raw(argv)``.
    ``help`` is translated when the parser is built.
    """

    name: str
    module: str
    help: str
    raw: bool = False

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


#: Every ``kam`` command, in the order ``kam --help`` lists them.
COMMANDS: tuple[Command, ...] = (
    Command("serve", "kam.cli.serve", gettext_noop("serve kam with gunicorn")),
    Command("demo", "kam.cli.demo", gettext_noop("load the demo portfolio, then serve")),
    Command(
        "worker",
        "kam.cli.worker",
        gettext_noop("run the background jobs (imports, optimisations …)"),
    ),
    Command("manage", "kam.cli.manage", gettext_noop("run a Django management command"), raw=True),
    Command(
        "classify",
        "kam.cli.classify",
        gettext_noop("place accounts in the four boxes from a scheme and a scores file"),
    ),
    Command(
        "allocate",
        "kam.cli.allocate",
        gettext_noop("divide yearly hours over accounts from their response judgements"),
    ),
    Command(
        "calendar-import",
        "kam.cli.calendar_import",
        gettext_noop("import an .ics calendar file as activities"),
    ),
    Command(
        "clv",
        "kam.cli.clv",
        gettext_noop("predict each account's purchases and value from its transactions"),
    ),
    Command(
        "facts",
        "kam.cli.facts",
        gettext_noop(
            "compute every account's facts (revenue, growth, margin …) from invoice lines"
        ),
    ),
    Command(
        "backup",
        "kam.cli.backup",
        gettext_noop("write one archive of the database, the transaction store and the secret key"),
    ),
    Command(
        "restore", "kam.cli.restore", gettext_noop("bring a kam backup into an empty installation")
    ),
)
COMMAND = {command.name: command for command in COMMANDS}


def build_parser(commands: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The ``kam`` parser. Every command is listed with its help line; the options of
    ``commands`` (None: of every command) are added by their modules, the others' are not
    (their modules are not even imported), which is all ``kam --help`` and
    ``kam <command> …`` need."""
    detailed = set(COMMAND) if commands is None else set(commands)
    parser = argparse.ArgumentParser(prog="kam", description="Key account management.")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        sub_parser = sub.add_parser(command.name, help=_(command.help), add_help=not command.raw)
        if command.name in detailed and not command.raw:
            command.load().add_arguments(sub_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from kam.datadir import UMASK

    os.umask(UMASK)
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = COMMAND.get(argv[0]) if argv else None
    if chosen is not None and chosen.raw:
        return int(chosen.load().run_raw(argv[1:]))
    args = build_parser([chosen.name] if chosen else []).parse_args(argv)
    from kam.imports.limits import ImportLimitError

    try:
        return int(COMMAND[args.command].load().run(args))
    except ImportLimitError as exc:
        # a file beyond one of the import limits (kam.imports.limits): said, exit 2
        print(f"kam {args.command}: {exc.message}", file=sys.stderr)
        return 2
