"""Per-user display preferences: colour theme and how times are shown.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("theme", sa.String(8), nullable=False, server_default="system"))
        batch.add_column(
            sa.Column("time_display", sa.String(8), nullable=False, server_default="utc")
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("time_display")
        batch.drop_column("theme")
