"""Mission control: runs on culture hardware, their commands, telemetry, limits and alarms,
and the devices (with the lease that makes one controller their owner)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class Run(Base):
    """One culture run of an experiment (usually of one arm) on bound devices."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_state", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="RESTRICT"), index=True
    )
    arm_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiment_arms.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(120))
    # planned, running, paused, completed or aborted (services.runs.TRANSITIONS)
    state: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Device-time seconds the profile has run (pauses excluded); the controller advances it.
    profile_elapsed_s: Mapped[float] = mapped_column(Float, default=0.0)
    # Model seconds per wall second of the simulators when the run started (1 on hardware).
    sim_speed: Mapped[float] = mapped_column(Float, default=1.0)
    version: Mapped[int] = mapped_column(Integer, default=1)


class RunDevice(Base):
    """A device bound to a run."""

    __tablename__ = "run_devices"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))


class RunProfileStep(Base):
    """One step of a run's setpoint schedule: hold ``value`` for ``duration_s`` (device time)."""

    __tablename__ = "run_profile_steps"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(80))
    parameter: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(16))
    # When, in profile time, the step begins; it holds until the next step of its parameter.
    at_s: Mapped[float] = mapped_column(Float)


class RunCommand(Base):
    """A command and its stages: queued → sent → acknowledged → verified, or failed."""

    __tablename__ = "run_commands"
    __table_args__ = (
        Index("ix_run_commands_run", "run_id", "id"),
        Index("ix_run_commands_stage", "stage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    device_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    parameter: Mapped[str | None] = mapped_column(String(64), nullable=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit: Mapped[str | None] = mapped_column(String(16), nullable=True)
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(16))  # user, profile, interlock, controller
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    is_irreversible: Mapped[bool] = mapped_column(Boolean, default=False)
    approval: Mapped[str] = mapped_column(String(16))  # not_needed, pending, approved, rejected
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    stage: Mapped[str] = mapped_column(String(20))
    # Each stage reached, with its time (ISO 8601): the command history shows them all.
    stages: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detail: Mapped[str] = mapped_column(Text, default="")
    verify_by: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class TelemetryChunk(Base):
    """Consecutive samples of one parameter of a run, as little-endian float64 arrays.

    The controller appends to the newest (open) chunk of each parameter once a tick and
    starts a new one past ``services.telemetry.CHUNK_POINTS``: a query of a week at 1 Hz reads
    about a thousand rows, not 600,000.
    """

    __tablename__ = "telemetry_chunks"
    __table_args__ = (Index("ix_telemetry_chunks_series", "run_id", "parameter", "t1"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    device_id: Mapped[str] = mapped_column(String(80))
    parameter: Mapped[str] = mapped_column(String(64))
    t0: Mapped[float] = mapped_column(Float)  # epoch seconds of the first and last sample
    t1: Mapped[float] = mapped_column(Float)
    n: Mapped[int] = mapped_column(Integer)
    times: Mapped[bytes] = mapped_column(LargeBinary)
    values: Mapped[bytes] = mapped_column(LargeBinary)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)


class RunLimit(Base):
    """A parameter's alarm limits in a run (changed while running by an audited command)."""

    __tablename__ = "run_limits"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    parameter: Mapped[str] = mapped_column(String(64), primary_key=True)
    warn_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    warn_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    crit_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    crit_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    debounce_n: Mapped[int] = mapped_column(Integer, default=3)
    stale_after_s: Mapped[float] = mapped_column(Float, default=10.0)


class Alarm(Base):
    """A condition someone must see: open until it has cleared and been acknowledged."""

    __tablename__ = "alarms"
    __table_args__ = (Index("ix_alarms_open", "cleared_at", "acked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), nullable=True, index=True
    )
    device_id: Mapped[str] = mapped_column(String(80))
    parameter: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # limit, stale, link, interlock
    severity: Mapped[str] = mapped_column(String(16))  # warning, critical
    message: Mapped[str] = mapped_column(String(300))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    shelved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    shelved_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DeviceRow(Base):
    """A configured device: who controls it (the lease), its link and its saved state."""

    __tablename__ = "devices"

    device_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(300))
    holder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    link_state: Mapped[str] = mapped_column(String(16), default="unknown")  # unknown, ok, lost
    device_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # A simulator's model state, so a controller taking over continues the same culture.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The latest reading (name → value) for link panels without a telemetry query.
    latest: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
