"""kam.core stays pure: importing all of it never imports Django (architecture.md)."""

import pkgutil
import subprocess
import sys

import kam.core


def test_core_never_imports_django() -> None:
    # every module, also those inside the packages (kam.core.allocation.team, ...)
    modules = [m.name for m in pkgutil.walk_packages(kam.core.__path__, "kam.core.")]
    assert modules, "kam.core has no modules to check"
    code = "; ".join(f"import {m}" for m in modules) + (
        "; import sys; bad = sorted(m for m in sys.modules if m == 'django' or "
        "m.startswith('django.')); print(bad); raise SystemExit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"kam.core imported Django: {result.stdout}{result.stderr}"
