"""Experiments and their arms (the conditions cultures are grown under)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, UTCDateTime, utcnow


class Experiment(Base):
    """A spaceflight experiment: one organism cultured under several arms."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Look-alike names share a key (services/text.py name_key), so only one of them can exist.
    name_key: Mapped[str] = mapped_column(String(480), unique=True)
    organism: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    mission: Mapped[str] = mapped_column(String(120), default="", server_default="")
    hardware: Mapped[str] = mapped_column(String(120), default="", server_default="")
    osdr_accession: Mapped[str] = mapped_column(String(16), default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Optimistic concurrency: an edit names the version it started from.
    version: Mapped[int] = mapped_column(Integer, default=1)

    arms: Mapped[list[ExperimentArm]] = relationship(
        back_populates="experiment",
        cascade="all, delete-orphan",
        order_by="ExperimentArm.position",
        lazy="selectin",
    )
    created_by: Mapped[User | None] = relationship(lazy="joined")


class ExperimentArm(Base):
    """One condition of an experiment, e.g. "flight µg" or "ground 1 g"."""

    __tablename__ = "experiment_arms"
    __table_args__ = (UniqueConstraint("experiment_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))
    # GeneLab's Factor Value[Spaceflight] (services.experiments.Spaceflight).
    spaceflight: Mapped[str] = mapped_column(String(32))
    gravity_g: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(String(500), default="")

    experiment: Mapped[Experiment] = relationship(back_populates="arms")
