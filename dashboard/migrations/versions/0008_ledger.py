"""Provenance ledger: records per dataset and audit checkpoint, Merkle batches, the key lease.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dashboard.models.base import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("leaf_count", sa.Integer(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=True),
        sa.Column("contract", sa.String(42), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("block_hash", sa.String(66), nullable=True),
        sa.Column("block_time", UTCDateTime(), nullable=True),
        sa.Column("submitter", sa.String(42), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("anchored_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_batches")),
        sa.UniqueConstraint("root", name=op.f("uq_ledger_batches_root")),
    )
    op.create_index("ix_ledger_batches_state", "ledger_batches", ["state"])
    op.create_table(
        "provenance_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("audit_seq", sa.BigInteger(), nullable=True),
        sa.Column("audit_digest", sa.String(64), nullable=True),
        sa.Column("record_json", sa.Text(), nullable=False),
        sa.Column("leaf", sa.String(64), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("proof", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("file_state", sa.String(16), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
        sa.Column("retracted_at", UTCDateTime(), nullable=True),
        sa.Column("retracted_by", sa.String(64), nullable=True),
        sa.Column("retract_reason", sa.Text(), nullable=True),
        sa.Column("retract_tx_hash", sa.String(66), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_provenance_records_dataset_id_datasets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ledger_batches.id"],
            name=op.f("fk_provenance_records_batch_id_ledger_batches"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provenance_records")),
        sa.UniqueConstraint("dataset_id", name=op.f("uq_provenance_records_dataset_id")),
        sa.UniqueConstraint("leaf", name=op.f("uq_provenance_records_leaf")),
    )
    op.create_index("ix_provenance_records_file_sha256", "provenance_records", ["file_sha256"])
    op.create_index("ix_provenance_records_audit_seq", "provenance_records", ["audit_seq"])
    op.create_index("ix_provenance_records_batch_id", "provenance_records", ["batch_id"])
    op.create_table(
        "ledger_leases",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=True),
        sa.Column("contract", sa.String(42), nullable=True),
        sa.Column("chain_description", sa.String(300), nullable=True),
        sa.Column("head_block", sa.BigInteger(), nullable=True),
        sa.Column("head_seen_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_sweep_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ledger_leases")),
    )


def downgrade() -> None:
    op.drop_table("ledger_leases")
    op.drop_index("ix_provenance_records_batch_id", table_name="provenance_records")
    op.drop_index("ix_provenance_records_audit_seq", table_name="provenance_records")
    op.drop_index("ix_provenance_records_file_sha256", table_name="provenance_records")
    op.drop_table("provenance_records")
    op.drop_index("ix_ledger_batches_state", table_name="ledger_batches")
    op.drop_table("ledger_batches")
