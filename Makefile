# kam: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# loadgroup: tests marked xdist_group(name) share a worker (and its module-scoped demo)
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: facts-sql lock demo test test-core test-unit test-browser test-postgres lint format bench install browser clean messages

UV_VERSION := 0.13.9

# Installs come from uv.lock, so a fresh clone gets exactly what CI tested. uv (from PyPI,
# pinned here and in the dev extra, so the lock keeps it) installs the lock in seconds with a
# warm cache; `make lock` re-resolves the lock from pyproject.toml. Bytecode is compiled at
# install, so the first `kam` command does not compile ~300 modules (nor every command where
# PYTHONDONTWRITEBYTECODE is set).
$(STAMP): uv.lock pyproject.toml
	@echo "==> Creating the virtual environment in $(VENV) ($(PYTHON))"
	@$(PYTHON) -m venv $(VENV)
	@echo "==> Installing uv $(UV_VERSION), the installer"
	@$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@echo "==> Installing kam and the locked dependencies (uv.lock, exactly)"
	@VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/uv sync --quiet --frozen --compile-bytecode --extra dev --active
	@touch $(STAMP)
	@echo "==> Environment ready: $(VENV)"

## lock: re-resolve uv.lock from pyproject.toml (then run `make test` before committing)
lock:
	@test -x $(BIN)/uv || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet uv==$(UV_VERSION); }
	$(BIN)/uv lock --upgrade --python $(PYTHON)

install: $(STAMP)
	@# WeasyPrint (the business case PDF) needs Pango from the system
	@ldconfig -p | grep -q libpango-1.0 || { \
	  echo "Installing Pango for WeasyPrint"; \
	  apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }

## facts-sql: regenerate kam/facts/compiled.py, the facts' SQL that kam runs on DuckDB, from
## the Ibis definitions (kam/facts/definitions.py) after changing them; a test checks both agree
facts-sql: install
	$(BIN)/python -m kam.facts.definitions

## demo: set up, load the demo portfolio and serve it at http://127.0.0.1:8000; its data
## directory is ./var (DEMO_DATA_DIR), never the KAM_DATA_DIR of a real installation
DEMO_DATA_DIR ?= $(CURDIR)/var
demo: install
	KAM_DATA_DIR=$(DEMO_DATA_DIR) $(BIN)/kam demo

## test: set up and run the whole suite (unit, API, CLI, browser and the slow layer: real
## processes and the benchmark smoke runs in tests/bench) on SQLite, spread over the cores
test: install browser
	$(BIN)/pytest $(PYTEST_ARGS)

## test-core: the fast layer, kam.core's unit and property tests (no database, no Django)
test-core: install
	$(BIN)/pytest -p no:django -p no:xdist --noconftest -W ignore::pytest.PytestConfigWarning -q tests/core

## test-unit: everything but the browser tests (CI runs it again on PostgreSQL)
test-unit: install
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

test-browser: install browser
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

# Debian's Chromium drives the browser tests; Playwright never downloads a browser.
browser:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## lint: what CI checks: ruff (lint and format), the import layers (.importlinter: no import
## cycles), mypy, Django's system checks, and that the models and the migrations agree; the
## pre-commit hooks run the same checks
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/kam manage check
	$(BIN)/kam manage makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: every benchmark at a size that runs in minutes; the full runs (HiGHS on 10k
## accounts, 50M invoice lines, pages at 10k accounts) are `bench/allocation.py`,
## `bench/facts.py --sizes 10000000 50000000` and `bench/pages.py --load` (bench/README.md).
## The pages' demo installations are built once into ~/.cache/kam-bench (KAM_BENCH_CACHE).
bench: install
	$(BIN)/python bench/portfolio.py
	$(BIN)/python bench/allocation.py --quick
	$(BIN)/python bench/facts.py --sizes 1000000
	$(BIN)/python bench/pages.py --quick --load
	$(BIN)/python bench/cli.py

## messages: refresh the Dutch catalogs from kam's code (Python and templates, then the
## JavaScript domain) and compile them; translate new entries in kam/locale/nl before committing
messages: install
	cd kam && ../$(BIN)/kam manage makemessages -l nl --no-obsolete \
	  && ../$(BIN)/kam manage makemessages -l nl --no-obsolete -d djangojs \
	  && ../$(BIN)/kam manage compilemessages -l nl

clean:
	rm -rf $(VENV) var build *.egg-info
