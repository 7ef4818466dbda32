"""Alembic environment: run migrations on the connection the app hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from dashboard.models import Base

target_metadata = Base.metadata
config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url or pass a connection in config.attributes")
    with create_engine(url).begin() as new_connection:
        _run(new_connection)
