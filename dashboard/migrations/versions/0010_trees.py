"""Phylogenetic trees, the datasets they were built from, and their provenance records.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dashboard.models.base import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("distance", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("newick", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("tip_count", sa.Integer(), nullable=False),
        sa.Column("tips", sa.JSON(), nullable=False),
        sa.Column("parent_tree_id", sa.Integer(), nullable=True),
        sa.Column("input_sha256", sa.String(length=64), nullable=True),
        sa.Column("input_filename", sa.String(length=255), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_trees_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_trees_experiment_id_experiments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_tree_id"],
            ["trees.id"],
            name=op.f("fk_trees_parent_tree_id_trees"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trees")),
    )
    with op.batch_alter_table("trees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trees_experiment_id"), ["experiment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trees_sha256"), ["sha256"], unique=False)

    op.create_table(
        "tree_inputs",
        sa.Column("tree_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_tree_inputs_dataset_id_datasets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tree_id"], ["trees.id"], name=op.f("fk_tree_inputs_tree_id_trees"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tree_id", "dataset_id", name=op.f("pk_tree_inputs")),
    )
    with op.batch_alter_table("tree_inputs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tree_inputs_dataset_id"), ["dataset_id"], unique=False)

    with op.batch_alter_table("provenance_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tree_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_provenance_records_tree_id"), ["tree_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_provenance_records_tree_id_trees"),
            "trees",
            ["tree_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("provenance_records", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_provenance_records_tree_id_trees"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_provenance_records_tree_id"), type_="unique")
        batch_op.drop_column("tree_id")
    with op.batch_alter_table("tree_inputs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tree_inputs_dataset_id"))
    op.drop_table("tree_inputs")
    with op.batch_alter_table("trees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trees_sha256"))
        batch_op.drop_index(batch_op.f("ix_trees_experiment_id"))
    op.drop_table("trees")
