"""``python -m kam.cli …``: the same as ``kam …`` (the background worker is started so)."""

from kam.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
