"""Shared fixtures: users in each role, and a logged-in client per role."""

from __future__ import annotations

import contextlib

import pytest
from django.test import Client

from kam.users.models import Role
from tests.factories import make_user


@pytest.fixture
def director(db):  # type: ignore[no-untyped-def]
    return make_user(Role.SALES_DIRECTOR, username="director")


@pytest.fixture
def kam_user(db):  # type: ignore[no-untyped-def]
    return make_user(Role.KEY_ACCOUNT_MANAGER, username="kam1")


@pytest.fixture
def other_kam(db):  # type: ignore[no-untyped-def]
    return make_user(Role.KEY_ACCOUNT_MANAGER, username="kam2")


@pytest.fixture
def member(db):  # type: ignore[no-untyped-def]
    return make_user(Role.TEAM_MEMBER, username="member1")


@pytest.fixture
def viewer(db):  # type: ignore[no-untyped-def]
    return make_user(Role.VIEWER, username="viewer1")


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _english_by_default():  # type: ignore[no-untyped-def]
    """Every test starts in English, whatever language an earlier request left active."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """PBKDF2 is slow on purpose; tests need logins, not its protection."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _jobs_run_inline(settings):  # type: ignore[no-untyped-def]
    """Background jobs run inside the call that enqueues them (django-tasks' immediate
    backend); tests of the worker itself (tests/jobs) use the database backend."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _transaction_store(settings, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Invoice lines a test imports (the demo does) go to a store of its own, not ./var."""
    settings.KAM_TRANSACTIONS_ROOT = str(tmp_path_factory.mktemp("transactions"))
    # Files jobs leave (the portfolio deck) too.
    settings.KAM_JOB_FILES_ROOT = str(tmp_path_factory.mktemp("exports"))


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    """Counters kept in the cache (share-link guesses per address) start at zero per test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def django_db_setup(  # type: ignore[no-untyped-def]
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's set-up of the test databases, with SQLite's ``migrate`` copied from a
    template built once (tests/db_template.py) instead of run by every test process."""
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    from tests import db_template

    if not django_db_use_migrations:
        _disable_migrations()
    keepdb = {"keepdb": True} if django_db_keepdb and not django_db_createdb else {}
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    template = (
        db_template.migrate_from_template(request.config.cache.mkdir("kam-test-db"))
        if django_db_use_migrations and db_template.enabled() and hasattr(request.config, "cache")
        else contextlib.nullcontext()
    )
    with django_db_blocker.unblock(), template:
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases=aliases,
            serialized_aliases=serialized_aliases,
            **keepdb,
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    """The modules with long tests (marked ``slow`` or ``fuzz``) and the modules grouped onto
    one worker (``xdist_group``) run first, each kept whole.

    With ``-n 2`` each worker takes the next test as it finishes one, in this order: a
    minute-long test started last keeps one worker busy after the other has run out, while
    started first the short tests fill in around it. A group is one such long piece of work
    under ``--dist loadgroup``: its worker runs all its tests (a minute or more for
    tests/test_forms_roundtrip.py), placed where its first test stands in the order."""
    long = {
        item.nodeid.split("::")[0]
        for item in items
        if item.get_closest_marker("slow")
        or item.get_closest_marker("fuzz")
        or item.get_closest_marker("xdist_group")
    }
    items.sort(
        key=lambda item: item.nodeid.split("::")[0] not in long
    )  # stable: in-module order kept


@pytest.fixture(autouse=True)
def _matrix_review_parts_forgotten():  # type: ignore[no-untyped-def]
    """The matrix keeps what a closed review's placements give its rows per process; a test
    that writes placements directly (never done to a closed review outside tests) or reuses
    a review id of an earlier test starts without them."""
    from kam.portfolio.matrix import review_parts_forget

    review_parts_forget()
    yield
    review_parts_forget()
