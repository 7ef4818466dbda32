"""Mission control: runs, their devices, profiles, commands, telemetry, limits and alarms.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dashboard.models.base import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=300), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("link_state", sa.String(length=16), nullable=False),
        sa.Column("device_state", sa.String(length=16), nullable=True),
        sa.Column("last_seen_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("latest", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_devices")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("arm_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("profile_elapsed_s", sa.Float(), nullable=False),
        sa.Column("sim_speed", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["arm_id"],
            ["experiment_arms.id"],
            name=op.f("fk_runs_arm_id_experiment_arms"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_runs_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_runs_experiment_id_experiments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_experiment_id"), "runs", ["experiment_id"], unique=False)
    op.create_index("ix_runs_state", "runs", ["state"], unique=False)
    op.create_table(
        "alarms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("device_id", sa.String(length=80), nullable=False),
        sa.Column("parameter", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("cleared_at", UTCDateTime(), nullable=True),
        sa.Column("acked_by", sa.String(length=64), nullable=True),
        sa.Column("acked_at", UTCDateTime(), nullable=True),
        sa.Column("shelved_by", sa.String(length=64), nullable=True),
        sa.Column("shelved_until", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_alarms_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarms")),
    )
    op.create_index("ix_alarms_open", "alarms", ["cleared_at", "acked_at"], unique=False)
    op.create_index(op.f("ix_alarms_run_id"), "alarms", ["run_id"], unique=False)
    op.create_table(
        "run_commands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("device_id", sa.String(length=80), nullable=True),
        sa.Column("parameter", sa.String(length=64), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("is_irreversible", sa.Boolean(), nullable=False),
        sa.Column("approval", sa.String(length=16), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("verify_by", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_run_commands_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_commands_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_commands")),
    )
    op.create_index("ix_run_commands_run", "run_commands", ["run_id", "id"], unique=False)
    op.create_index("ix_run_commands_stage", "run_commands", ["stage"], unique=False)
    op.create_table(
        "run_devices",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_devices_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "device_id", name=op.f("pk_run_devices")),
    )
    op.create_table(
        "run_limits",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("parameter", sa.String(length=64), nullable=False),
        sa.Column("warn_low", sa.Float(), nullable=True),
        sa.Column("warn_high", sa.Float(), nullable=True),
        sa.Column("crit_low", sa.Float(), nullable=True),
        sa.Column("crit_high", sa.Float(), nullable=True),
        sa.Column("debounce_n", sa.Integer(), nullable=False),
        sa.Column("stale_after_s", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_limits_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "parameter", name=op.f("pk_run_limits")),
    )
    op.create_table(
        "run_profile_steps",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=80), nullable=False),
        sa.Column("parameter", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("at_s", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_run_profile_steps_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "position", name=op.f("pk_run_profile_steps")),
    )
    op.create_table(
        "telemetry_chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=80), nullable=False),
        sa.Column("parameter", sa.String(length=64), nullable=False),
        sa.Column("t0", sa.Float(), nullable=False),
        sa.Column("t1", sa.Float(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("times", sa.LargeBinary(), nullable=False),
        sa.Column("values", sa.LargeBinary(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_telemetry_chunks_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemetry_chunks")),
    )
    op.create_index(
        "ix_telemetry_chunks_series",
        "telemetry_chunks",
        ["run_id", "parameter", "t1"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("telemetry_chunks")
    op.drop_table("run_profile_steps")
    op.drop_table("run_limits")
    op.drop_table("run_devices")
    op.drop_table("run_commands")
    op.drop_table("alarms")
    op.drop_table("runs")
    op.drop_table("devices")
