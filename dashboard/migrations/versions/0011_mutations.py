"""Mutation calling results (the GenomeDiff of each is a dataset derived from its inputs).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dashboard.models.base import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mutation_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("reads", sa.BigInteger(), nullable=False),
        sa.Column("mapped", sa.BigInteger(), nullable=False),
        sa.Column("mutation_count", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("vcf_sha256", sa.String(length=64), nullable=False),
        sa.Column("csv_sha256", sa.String(length=64), nullable=False),
        sa.Column("calls_sha256", sa.String(length=64), nullable=False),
        sa.Column("coverage_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_mutation_results_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_mutation_results_dataset_id_datasets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_mutation_results_experiment_id_experiments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_mutation_results_job_id_jobs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reference_id"],
            ["datasets.id"],
            name=op.f("fk_mutation_results_reference_id_datasets"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["samples.id"],
            name=op.f("fk_mutation_results_sample_id_samples"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mutation_results")),
        sa.UniqueConstraint("dataset_id", name=op.f("uq_mutation_results_dataset_id")),
    )
    with op.batch_alter_table("mutation_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mutation_results_experiment_id"), ["experiment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mutation_results_job_id"), ["job_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mutation_results_reference_id"), ["reference_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("mutation_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mutation_results_reference_id"))
        batch_op.drop_index(batch_op.f("ix_mutation_results_job_id"))
        batch_op.drop_index(batch_op.f("ix_mutation_results_experiment_id"))
    op.drop_table("mutation_results")
