"""Where kam keeps its files: the data directory (docs/operations.md, "The data directory").

``KAM_DATA_DIR`` when set; otherwise a per-user directory, never the current directory:
``$XDG_DATA_HOME/kam`` when ``XDG_DATA_HOME`` is an absolute path, else
``~/.local/share/kam``. It holds the SQLite database, the secret key, the transaction store
(``transactions/``) and the collected static files.

Everything kam writes there is for its own user only: kam commands start with the umask
``077`` (files 0600, directories 0700, whatever the shell's umask), and ``tighten`` closes
the files an older kam left readable to others.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from kam.i18n import _

ENV = "KAM_DATA_DIR"
#: Files kam creates are 0600, directories 0700.
UMASK = 0o077
#: The files of the data directory that hold secrets or data (made 0600 by ``tighten``).
PRIVATE_FILES = ("secret_key", "kam.sqlite3", "kam.sqlite3-wal", "kam.sqlite3-shm")


class DataDirError(Exception):
    """The data directory cannot be created or written; the message says which and why."""


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The data directory this process uses (not created here: see ``data_dir_ensure``)."""
    env = os.environ if environ is None else environ
    if value := env.get(ENV, "").strip():
        return Path(value).expanduser().resolve()
    xdg = env.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return (base / "kam").resolve()


def data_dir_ensure(path: Path) -> Path:
    """Create ``path`` (0700) when missing and prove kam can write in it, or raise
    ``DataDirError`` naming the directory, the reason and the setting that moves it."""

    def refuse(reason: str) -> DataDirError:
        return DataDirError(
            _(
                "kam cannot use the data directory %(path)s: %(reason)s. "
                "Set KAM_DATA_DIR to a directory kam may create and write."
            )
            % {"path": path, "reason": reason}
        )

    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise refuse(_("it exists and is not a directory")) from None
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    if not path.is_dir():
        raise refuse(_("it exists and is not a directory"))
    try:
        fd, probe = tempfile.mkstemp(dir=path, prefix=".kam-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    return path


def tighten(path: Path) -> None:
    """Make the data directory 0700 and its private files 0600 (an installation made by an
    older kam, or copied with a looser umask, had them readable to every local user).
    Only what this user owns is changed; nothing is raised."""
    targets = [
        (path, 0o700),
        (path / "transactions", 0o700),
        *((path / name, 0o600) for name in PRIVATE_FILES),
    ]
    for target, mode in targets:
        try:
            info = target.stat()
            if info.st_uid == os.getuid() and info.st_mode & 0o777 != mode:
                target.chmod(mode)
        except OSError:
            continue
