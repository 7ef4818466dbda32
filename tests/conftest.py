"""Shared fixtures: throwaway databases on SQLite and on the machine's PostgreSQL."""

from __future__ import annotations

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
