"""The metrics role: a bearer token that may read /metrics and nothing else.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = sa.table("roles", sa.column("name", sa.String), sa.column("description", sa.String))
USER_ROLES = sa.table("user_roles", sa.column("role_name", sa.String))


def upgrade() -> None:
    op.bulk_insert(
        ROLES,
        [
            {
                "name": "metrics",
                "description": "A machine account (Prometheus): reads /metrics, nothing else.",
            }
        ],
    )


def downgrade() -> None:
    # Holders lose the role first (user_roles refers to roles with ON DELETE RESTRICT).
    op.execute(USER_ROLES.delete().where(USER_ROLES.c.role_name == "metrics"))
    op.execute(ROLES.delete().where(ROLES.c.name == "metrics"))
