"""Shared fixtures: throwaway databases on SQLite and on the machine's PostgreSQL; and, under
pytest-xdist, tests marked ``alone`` run while no other test of the run does."""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.db import Database
from dashboard.services import accounts
from dashboard.services.actor import Actor, Role, cli_actor

POSTGRES_ADMIN_URL = os.environ.get(
    "MICROSPACEGEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "correct horse battery"
# Read from the file names, not from Alembic, so the check does not ask the code it tests.
HEAD_REVISION = sorted(
    p.name.split("_", 1)[0]
    for p in (Path(__file__).resolve().parents[1] / "dashboard/migrations/versions").glob("0*.py")
)[-1]


def _postgres_or_skip() -> str:
    """Admin URL of the test PostgreSQL; unreachable means skip locally, fail on CI."""
    import psycopg

    plain = POSTGRES_ADMIN_URL.replace("+psycopg", "")
    try:
        psycopg.connect(plain, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {plain} is required on CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {plain}: {exc}")
    return plain


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    import psycopg

    admin = _postgres_or_skip()
    name = f"msg_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        database = Database(url)
        database.upgrade()
        yield database
        database.dispose()
        return
    pg_url = request.getfixturevalue("postgres_url")
    database = Database(pg_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database only."""
    database = Database(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    database.upgrade()
    yield database
    database.dispose()


def make_user(db: Database, name: str, *roles: Role) -> Actor:
    """Create a user through the service and return them as an actor."""
    row = accounts.create_user(db, cli_actor("test"), name, PASSWORD, [r.value for r in roles])
    return Actor(row.id, row.username, frozenset(row.roles), "127.0.0.1", "web")


@pytest.fixture
def admin(db: Database) -> Actor:
    return make_user(db, "root-admin", Role.ADMIN)


@pytest.fixture
def scientist(db: Database) -> Actor:
    return make_user(db, "sci", Role.SCIENTIST)


@pytest.fixture
def operator(db: Database) -> Actor:
    return make_user(db, "oper", Role.OPERATOR)


# --- tests that time the machine run alone ------------------------------------------------
#
# The suite runs on pytest-xdist workers (pyproject.toml's addopts). A test whose assertion
# is a wall-clock bound (a redraw in 5 s, a cancel in 2 s) is marked ``alone``: it waits until
# the other workers' tests have ended and holds theirs back until it is done, so a browser
# test running beside it never eats its time. Every other test holds a shared lock while it
# runs (setup, call and teardown); an ``alone`` test takes it exclusively. A gate in front
# lets the exclusive one in ahead of later shared ones, so it is never starved. Without
# xdist, nothing is locked.


@contextlib.contextmanager
def _turn(where: Path, *, alone: bool) -> Iterator[None]:
    with (
        (where / "alone.gate").open("a+b") as gate,
        (where / "alone.lock").open("a+b") as lock,
    ):
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            if not alone:
                fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            if alone:
                fcntl.flock(gate, fcntl.LOCK_UN)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    basetemp = item.config.option.basetemp
    if not os.environ.get("PYTEST_XDIST_WORKER") or not basetemp:
        return (yield)
    # A worker's basetemp is <the run's basetemp>/popen-gwN: the parent is the run's own.
    with _turn(Path(basetemp).parent, alone=item.get_closest_marker("alone") is not None):
        return (yield)
