"""A pytest plugin (``-p tests.data_dir`` in pyproject.toml): every test run gets a data
directory of its own, so no test writes into the user's home or a real installation.

It must act before pytest-django loads ``kam.settings`` (which creates the directory and the
secret key), hence a plugin loaded from the command line rather than a conftest fixture;
``pythonpath = ["."]`` makes it importable that early.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_DATA_DIR = tempfile.mkdtemp(prefix="kam-test-data-")
os.environ["KAM_DATA_DIR"] = _DATA_DIR
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)
