"""The demo's story as data: the files of ``kam/demo/story/`` (TOML, read with the standard
library's ``tomllib``), which hold the names, companies, people, texts and scores that the
loaders of ``kam.demo`` write. The loaders hold the code: what is drawn, how and when.

A text that the demo shows translated (a person's label beside the demo logins, what the
start pages' story says) is read here in English and passed through gettext where it is
used, with the same msgid as before; ``kam.demo.msgids`` lists those msgids for the
catalogue, since ``makemessages`` cannot read the story files.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def story(name: str) -> dict[str, Any]:
    """The story file ``kam/demo/story/<name>.toml``, read once (shared: do not change it)."""
    path = resources.files("kam.demo").joinpath("story", f"{name}.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))
