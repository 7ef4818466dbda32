"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.exc import StatementError

from dashboard.db import Database
from dashboard.models import AuditEvent, Base, Role
from tests.conftest import HEAD_REVISION


def test_migrations_match_models(db: Database) -> None:
    with db.engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []
    assert db.current_revision() == db.head_revision()


def test_roles_are_seeded(db: Database) -> None:
    with db.read() as s:
        names = set(s.scalars(select(Role.name)))
    assert names == {"admin", "scientist", "operator", "reviewer", "metrics"}


def test_upgrade_is_idempotent_and_downgrade_works(db: Database) -> None:
    db.upgrade()
    assert db.current_revision() == HEAD_REVISION
    config = db.alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert db.current_revision() is None
    assert "users" not in inspect(db.engine).get_table_names()
    db.upgrade()
    assert db.current_revision() == HEAD_REVISION


def test_timestamps_come_back_aware_utc(db: Database) -> None:
    moment = datetime(2026, 11, 26, 12, 0, tzinfo=timezone(timedelta(hours=5)))
    with db.begin() as s:
        s.add(
            AuditEvent(
                occurred_at=moment, username="t", channel="cli", action="a", result="ok", detail={}
            )
        )
    with db.read() as s:
        stored = s.scalar(select(AuditEvent.occurred_at).where(AuditEvent.username == "t"))
    assert stored == moment
    assert stored is not None
    assert stored.tzinfo == UTC


def test_naive_datetimes_are_refused(db: Database) -> None:
    naive = datetime(2026, 1, 1)
    event = AuditEvent(
        occurred_at=naive, username="t", channel="cli", action="a", result="ok", detail={}
    )
    with db.read() as s:
        s.add(event)
        with pytest.raises(StatementError, match="naive datetime"):
            s.flush()


def test_health_status(db: Database) -> None:
    status = db.status()
    assert status.is_ok
    assert status.revision == HEAD_REVISION
    broken = Database("sqlite:////nonexistent-dir/x.sqlite3")
    assert broken.status().is_ok is False


def test_upgrade_from_0001_keeps_and_chains_existing_events(db: Database) -> None:
    config = db.alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    with db.engine.begin() as connection:
        for i in range(3):
            connection.execute(
                AuditEvent.__table__.insert().values(
                    occurred_at=datetime(2026, 1, 1, 0, i, tzinfo=UTC),
                    username=f"u{i}",
                    channel="web",
                    action="experiment.create",
                    result="ok",
                    detail={"name": f"exp {i}"},
                )
            )
    db.upgrade()
    with db.read() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [(e.username, e.seq) for e in events] == [("u0", 1), ("u1", 2), ("u2", 3)]
    assert events[0].prev_hash == "0" * 64
    assert events[1].prev_hash == events[0].row_hash
    assert events[2].detail == {"name": "exp 2"}
