"""Experiment context: mission, culture hardware and NASA OSDR accession.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("experiments") as batch:
        batch.add_column(sa.Column("mission", sa.String(120), nullable=False, server_default=""))
        batch.add_column(sa.Column("hardware", sa.String(120), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("osdr_accession", sa.String(16), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("experiments") as batch:
        batch.drop_column("osdr_accession")
        batch.drop_column("hardware")
        batch.drop_column("mission")
