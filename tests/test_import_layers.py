"""kam's imports follow its layers and have no cycles (docs/architecture.md, "The order
of the packages").

The contracts are in ``.importlinter`` at the root of the repository, checked by
import-linter (``lint-imports``, also run by ``make lint``): one ``layers`` contract for
kam's packages in the order of the architecture, so the apps import each other one way
only, and one ``acyclic_siblings`` contract for the modules inside every package. An import
inside a function counts like one at the top of a module: a lazy import is a cycle hidden,
not a cycle removed. No import breaks the layers: the contract has no ``ignore_imports``,
and the apps import each other without a cycle.
"""

from __future__ import annotations

import configparser
import graphlib
from collections import defaultdict
from pathlib import Path

import grimp
import pytest
from importlinter import configuration
from importlinter.application.use_cases import lint_imports

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".importlinter"

#: How many imports break the layers today (the contract's ``ignore_imports``). Lower it
#: when you remove one; never raise it: put the new code in the layer it belongs to.
MOST_EXCEPTIONS = 0


def _contract(name: str) -> configparser.SectionProxy:
    config = configparser.ConfigParser()
    config.read(CONFIG)
    return config[f"importlinter:contract:{name}"]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def test_kams_imports_keep_the_layers_and_have_no_cycles(monkeypatch: pytest.MonkeyPatch) -> None:
    """``lint-imports`` passes: every contract of .importlinter is kept (on failure, its
    report above names each import that breaks one)."""
    monkeypatch.chdir(ROOT)
    configuration.configure()  # what the lint-imports command does first
    assert lint_imports(config_filename=str(CONFIG), cache_dir=None, no_logo=True)


def test_the_exceptions_to_the_layers_only_shrink() -> None:
    """The imports the layers contract lets through are counted; a new one fails here
    rather than joining the list unseen."""
    ignored = _lines(_contract("layers").get("ignore_imports", ""))
    assert len(ignored) <= MOST_EXCEPTIONS, (
        f"{len(ignored)} imports break the layers, at most {MOST_EXCEPTIONS} may: import "
        "from a lower layer instead (docs/architecture.md, 'The layers')"
    )


def test_the_layers_let_no_import_through() -> None:
    """The layers contract has no exceptions: an import against the layers fails
    ``lint-imports`` instead of joining a list."""
    assert "ignore_imports" not in _contract("layers")


def test_kams_apps_import_each_other_without_a_cycle() -> None:
    """The graph of kam's top-level packages (``kam.<app>``, an edge where a module of one
    imports a module of another) has no cycle; on failure the message names one. Imports
    under ``if TYPE_CHECKING:`` never run and are left out, as the contracts leave them."""
    graph = grimp.build_graph("kam", cache_dir=None, exclude_type_checking_imports=True)

    def app(module: str) -> str:
        return ".".join(module.split(".")[:2])

    imports: dict[str, set[str]] = defaultdict(set)
    for module in graph.modules:
        if module == "kam":
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != "kam" and app(imported) != app(module):
                imports[app(module)].add(app(imported))
    assert imports, "the graph has edges between kam's packages"
    try:
        tuple(graphlib.TopologicalSorter(imports).static_order())
    except graphlib.CycleError as error:
        pytest.fail("kam's apps import each other in a cycle: " + " -> ".join(error.args[1]))


def test_every_package_of_kam_is_in_a_layer() -> None:
    """A new top-level package or module of kam must be given its place in the order,
    or the layers contract would not look at it."""
    layers = _lines(_contract("layers")["layers"])
    placed = {name.strip() for line in layers for name in line.replace(":", "|").split("|")}
    graph = grimp.build_graph("kam", cache_dir=None)
    children = {m for m in graph.find_children("kam") if not m.endswith(".migrations")}
    assert children - placed == set()


def test_the_check_sees_an_import_inside_a_function() -> None:
    """What the contracts read counts the imports inside functions (kam's CLI imports its
    commands' work lazily, for speed): ``kam.cli.demo`` reaches ``kam.demo`` only from
    inside ``run``."""
    graph = grimp.build_graph("kam", cache_dir=None)
    assert graph.direct_import_exists(importer="kam.cli.demo", imported="kam.demo")
