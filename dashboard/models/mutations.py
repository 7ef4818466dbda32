"""Mutation calls: one result a sample, called against a reference by a ``mutations.call`` job.

The result's GenomeDiff is a dataset of its own (format ``genomediff``) derived from the
sample's reads and the reference, so lineage and the provenance ledger cover it like any
imported file. The other outputs (VCF, CSV, annotated calls, coverage) are files kept under
their SHA-256 in the data directory's ``mutations/`` store; the row names them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class MutationResult(Base):
    """One sample's calls against one reference."""

    __tablename__ = "mutation_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The calling run: every result one job saved (null once the job row is gone).
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True, index=True
    )
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="RESTRICT"), index=True
    )
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id", ondelete="RESTRICT"))
    reference_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="RESTRICT"), index=True
    )
    # The GenomeDiff, as a dataset derived from the reads and the reference.
    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="RESTRICT"), unique=True
    )
    name: Mapped[str] = mapped_column(String(120))  # the sample's name when it was called
    mode: Mapped[str] = mapped_column(String(16))  # consensus or polymorphism
    reads: Mapped[int] = mapped_column(BigInteger)
    mapped: Mapped[int] = mapped_column(BigInteger)
    mutation_count: Mapped[int] = mapped_column(Integer)
    # Calls per category and per GenomeDiff type, and unresolved stretches.
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Read files skipped (empty, no readable read) and why.
    skipped: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The read datasets and how they were paired, the aligner, the software version.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    vcf_sha256: Mapped[str] = mapped_column(String(64))
    csv_sha256: Mapped[str] = mapped_column(String(64))
    calls_sha256: Mapped[str] = mapped_column(String(64))  # annotated calls, JSON
    coverage_sha256: Mapped[str] = mapped_column(String(64))  # bucketed depth, JSON
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_by_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
