"""Engine and session factory; the one place that knows how to reach the database."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the single writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _private_sqlite_file(url: str) -> None:
    """Create the SQLite file readable by its owner only (its -wal and -shm files follow)."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        return  # connecting fails and says so; the health check reports it
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


def make_engine(url: str) -> Engine:
    """Create an engine with the settings each backend needs."""
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer version of the app."""


@dataclass(frozen=True)
class DatabaseStatus:
    """What the health check reports about the database."""

    is_ok: bool
    backend: str
    revision: str | None
    head_revision: str | None
    latency_ms: float
    error: str | None = None


class Database:
    """An engine plus its session factory, shared by every service call."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """Open a session in a transaction that commits on success and rolls back on error."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """Open a session for reading only (rolled back at the end)."""
        with self._sessions() as session:
            yield session

    def alembic_config(self) -> Config:
        """Alembic configuration pointing at this package's migrations."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Apply migrations up to ``revision`` (idempotent).

        Raises :class:`SchemaTooNew` when the database was migrated by a newer version of
        the app, rather than guessing at a schema this code does not know.
        """
        config = self.alembic_config()
        current = self.current_revision()
        scripts = ScriptDirectory.from_config(config)
        if current is not None and current not in {s.revision for s in scripts.walk_revisions()}:
            raise SchemaTooNew(
                f"The database is at schema revision {current}, which this version of "
                f"MicroSpaceGen does not know (it knows up to {scripts.get_current_head()}). "
                "Run the newer version of the app, or restore a backup made for this one."
            )
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def current_revision(self) -> str | None:
        """Migration revision the database is at, or None when empty."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str | None:
        """Newest migration revision this code knows about."""
        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def status(self) -> DatabaseStatus:
        """Probe the database with a round trip and report its migration state."""
        started = time.perf_counter()
        backend = self.engine.dialect.name
        head = self.head_revision()
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                revision = MigrationContext.configure(connection).get_current_revision()
        except Exception as exc:  # noqa: BLE001 - reported, not raised: this is the health probe
            latency = (time.perf_counter() - started) * 1000
            return DatabaseStatus(False, backend, None, head, latency, type(exc).__name__)
        latency = (time.perf_counter() - started) * 1000
        return DatabaseStatus(revision == head, backend, revision, head, latency)

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
