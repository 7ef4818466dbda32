"""Server-side login sessions, password attempts, and look-alike keys of experiment names.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dashboard.models.base import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _name_key(name: str) -> str:
    # A frozen copy of dashboard/services/text.py name_key as it was when this ran.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return re.sub(r"\s+", " ", folded).strip()[:480]


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("source_ip", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_user_sessions_secret_sha256")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_table(
        "auth_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("source_ip", sa.String(64), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_attempts")),
    )
    op.create_index(op.f("ix_auth_attempts_username"), "auth_attempts", ["username"])
    op.create_index(op.f("ix_auth_attempts_source_ip"), "auth_attempts", ["source_ip"])
    op.create_index(op.f("ix_auth_attempts_started_at"), "auth_attempts", ["started_at"])

    with op.batch_alter_table("experiments") as batch:
        batch.add_column(sa.Column("name_key", sa.String(480), nullable=True))
    experiments = sa.table(
        "experiments", sa.column("id", sa.Integer), sa.column("name"), sa.column("name_key")
    )
    connection = op.get_bind()
    seen: set[str] = set()
    rows = connection.execute(sa.select(experiments.c.id, experiments.c.name).order_by("id"))
    for row_id, name in rows.all():
        key = _name_key(name)
        # Look-alikes stored before this rule keep their rows; the later ones get a key of
        # their own (the id) and are refused only when renamed to another look-alike.
        if key in seen:
            key = f"{key[:460]}#{row_id}"
        seen.add(key)
        connection.execute(
            experiments.update().where(experiments.c.id == row_id).values(name_key=key)
        )
    with op.batch_alter_table("experiments") as batch:
        batch.alter_column("name_key", existing_type=sa.String(480), nullable=False)
        batch.create_unique_constraint(op.f("uq_experiments_name_key"), ["name_key"])


def downgrade() -> None:
    with op.batch_alter_table("experiments") as batch:
        batch.drop_constraint(op.f("uq_experiments_name_key"), type_="unique")
        batch.drop_column("name_key")
    op.drop_index(op.f("ix_auth_attempts_started_at"), table_name="auth_attempts")
    op.drop_index(op.f("ix_auth_attempts_source_ip"), table_name="auth_attempts")
    op.drop_index(op.f("ix_auth_attempts_username"), table_name="auth_attempts")
    op.drop_table("auth_attempts")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
