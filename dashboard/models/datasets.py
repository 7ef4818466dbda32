"""Samples, the sequence files (datasets) imported for them, and uploads in progress.

A sample carries what GeneLab/ISA-Tab calls characteristics and factor values; a dataset is
one file of a sample (its reads, an assembly, a reference genome), kept byte for byte under
its SHA-256 in the data directory.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .experiments import Experiment, ExperimentArm


class Sample(Base):
    """A culture sampled in an experiment (ISA-Tab's ``Sample Name`` and its columns)."""

    __tablename__ = "samples"
    __table_args__ = (UniqueConstraint("experiment_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    # The arm it was grown in; its factor values are copied below when the sample is made,
    # so an arm edited later does not rewrite what was recorded.
    arm_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiment_arms.id", ondelete="SET NULL"), nullable=True
    )
    organism: Mapped[str] = mapped_column(String(200), default="")
    strain: Mapped[str] = mapped_column(String(120), default="")
    taxon_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    spaceflight: Mapped[str] = mapped_column(String(32), default="")
    gravity_g: Mapped[float | None] = mapped_column(Float, nullable=True)
    radiation_mgy: Mapped[float | None] = mapped_column(Float, nullable=True)
    time_point: Mapped[str] = mapped_column(String(64), default="")
    replicate: Mapped[str] = mapped_column(String(64), default="")
    # Further factor values and characteristics by name, e.g. {"Medium": "LB"}.
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    experiment: Mapped[Experiment] = relationship(lazy="joined")
    arm: Mapped[ExperimentArm | None] = relationship(lazy="joined")


class Dataset(Base):
    """One imported sequence file."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id", ondelete="RESTRICT"))
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="RESTRICT"), index=True
    )
    material: Mapped[str] = mapped_column(String(16))
    instrument: Mapped[str] = mapped_column(String(120), default="")
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(16))
    compression: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    record_count: Mapped[int] = mapped_column(BigInteger)
    total_length: Mapped[int] = mapped_column(BigInteger)
    # Read or assembly statistics computed while the file was validated.
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A run (mission control) it came from, named until runs are records of their own.
    source_run: Mapped[str] = mapped_column(String(120), default="")
    imported_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    imported_by_name: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sample: Mapped[Sample] = relationship(lazy="joined")


class DatasetParent(Base):
    """Lineage: ``dataset_id`` was derived from ``parent_id``."""

    __tablename__ = "dataset_parents"

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    parent_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class DatasetRecord(Base):
    """One record (chromosome, plasmid, contig) of a FASTA, GenBank or EMBL dataset."""

    __tablename__ = "dataset_records"

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(500), default="")
    length: Mapped[int] = mapped_column(BigInteger)


class Upload(Base):
    """A file arriving in chunks from a browser; resumable until it is complete."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    # The dataset's metadata, checked when the upload was opened; used by the import.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
