"""Shared fixtures: throwaway databases on SQLite and on the machine's PostgreSQL; and, under
pytest-xdist, tests marked ``alone`` run while no other test of the run does."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard.db import Database
from dashboard.observability.logs import JsonFormatter
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


# --- no secret in any log -----------------------------------------------------------------
#
# Every process of the run logs to files under the run's basetemp: the in-process app as
# JSON to app-log-<worker>.jsonl (below), the live servers and workers the tests start to
# their own *.log. The secrets the fixtures make (the shared password, the live servers'
# passwords, every API token created in a test process) are remembered in
# known-secrets-<worker>.txt beside them; when the whole run has ended (under xdist: in the
# controller, after every worker), every log file is searched for them and for anything
# shaped like an API token, and the run fails if one is found.

SECRETS_FILE = "known-secrets-{worker}.txt"
LOG_PATTERNS = ("*.log", "*.jsonl")
TOKEN_SHAPE = re.compile(re.escape(accounts.TOKEN_PREFIX) + r"[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
_secret_files: list[Path] = []


def _worker_name() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def remember_secret(value: str) -> None:
    """Have the end-of-run log check look for ``value`` (a password or token a test made)."""
    if _secret_files and value:
        with _secret_files[0].open("a", encoding="utf-8") as handle:
            handle.write(value.replace("\n", " ") + "\n")


@pytest.fixture(scope="session", autouse=True)
def _logs_and_secrets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Log the in-process app as JSON into the run's basetemp; remember tokens made here."""
    base = tmp_path_factory.getbasetemp()
    _secret_files[:] = [base / SECRETS_FILE.format(worker=_worker_name())]
    remember_secret(PASSWORD)
    handler = logging.FileHandler(base / f"app-log-{_worker_name()}.jsonl", encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    app_logger = logging.getLogger("microspacegen")
    level = app_logger.level
    app_logger.setLevel(logging.INFO)
    logging.getLogger().addHandler(handler)
    original = accounts.create_token

    def create_token(*args: Any, **kwargs: Any) -> Any:
        row, secret = original(*args, **kwargs)
        remember_secret(secret)
        return row, secret

    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "create_token", create_token)
    try:
        yield
    finally:
        patch.undo()
        logging.getLogger().removeHandler(handler)
        handler.close()
        app_logger.setLevel(level)


def leaked_secrets(base: Path) -> list[str]:
    """Where a remembered secret, or an API token, stands in a log file under ``base``."""
    secrets = {
        line
        for path in base.rglob(SECRETS_FILE.format(worker="*"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if len(line) >= 8
    }
    found = []
    for pattern in LOG_PATTERNS:
        for path in sorted(base.rglob(pattern)):
            text = path.read_text(encoding="utf-8", errors="replace")
            for secret in secrets:
                if secret in text:
                    found.append(f"{path}: a secret the tests made ({secret[:4]}…)")
            for match in TOKEN_SHAPE.finditer(text):
                found.append(f"{path}: an API token ({match.group()[:8]}…)")
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a log holds a secret (once, where the whole run's logs are)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    found = leaked_secrets(factory.getbasetemp())
    if found:
        writer = session.config.get_terminal_writer()
        writer.line("")
        writer.sep("=", "secrets in the logs", red=True, bold=True)
        for line in found[:50]:
            writer.line(line, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
