"""The provenance ledger: one record per dataset (and audit checkpoint), Merkle batches
anchored on a chain, and the lease that makes one process the owner of the signing key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class LedgerBatch(Base):
    """One Merkle root: built, sent in a transaction, anchored (or failing, and retried)."""

    __tablename__ = "ledger_batches"
    __table_args__ = (Index("ix_ledger_batches_state", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    root: Mapped[str] = mapped_column(String(64), unique=True)
    leaf_count: Mapped[int] = mapped_column(Integer)
    # The leaves in tree order; its SHA-256 is the manifest reference sent with the root.
    manifest: Mapped[list[Any]] = mapped_column(JSON)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    # built, sent, anchored or failed (ledger_anchoring.py); failed batches are retried.
    state: Mapped[str] = mapped_column(String(16))
    chain_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    contract: Mapped[str | None] = mapped_column(String(42), nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    block_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    block_time: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    submitter: Mapped[str | None] = mapped_column(String(42), nullable=True)
    gas_used: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    anchored_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ProvenanceRecord(Base):
    """A dataset's canonical provenance record (or an audit checkpoint) and its leaf.

    ``record_json`` holds the exact canonical bytes that were hashed; ``leaf`` and ``proof``
    are what was anchored. Verification recomputes both, so an edit of any column shows.
    """

    __tablename__ = "provenance_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # dataset, tree or audit
    # Kept when the dataset is deleted: what was anchored stays answerable.
    dataset_id: Mapped[int | None] = mapped_column(
        ForeignKey("datasets.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    # A tree's record (kind "tree"): the tree is a dataset derived from its inputs.
    tree_id: Mapped[int | None] = mapped_column(
        ForeignKey("trees.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    file_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    audit_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    audit_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    record_json: Mapped[str] = mapped_column(Text)
    leaf: Mapped[str] = mapped_column(String(64), unique=True)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_batches.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    proof: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The integrity sweep: when the stored file was last re-hashed and what it found
    # ("" not yet, ok, tampered, missing).
    file_state: Mapped[str] = mapped_column(String(16), default="")
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    retracted_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    retract_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    retract_tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)


class LedgerLease(Base):
    """Who owns the anchoring key until when, and what it last saw of the chain."""

    __tablename__ = "ledger_leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    chain_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    contract: Mapped[str | None] = mapped_column(String(42), nullable=True)
    chain_description: Mapped[str | None] = mapped_column(String(300), nullable=True)
    head_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    head_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_sweep_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
