"""What the overview page shows: real counts and the latest activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from dashboard.db import Database
from dashboard.models import Experiment, ExperimentArm, User

from . import audit, experiments
from .actor import Actor

# What the activity list says an experiment event did.
ACTIVITY_VERBS = {"experiment.create": "created", "experiment.update": "edited"}


@dataclass(frozen=True)
class Activity:
    """One line of recent activity: who did what to which experiment, when."""

    username: str
    verb: str
    experiment_id: str | None
    experiment_name: str
    occurred_at: datetime


def activity(row: audit.AuditRow) -> Activity:
    """Read an experiment event of the audit log: its name is in the detail (``name`` when
    created, ``after.name`` when edited); a payload without one names the experiment's id.
    """
    detail = row.detail
    after = detail.get("after")
    name = detail.get("name") or (after.get("name") if isinstance(after, dict) else None)
    return Activity(
        username=row.username,
        verb=ACTIVITY_VERBS.get(row.action, row.action),
        experiment_id=row.target_id,
        experiment_name=str(name) if name else f"experiment {row.target_id}",
        occurred_at=row.occurred_at,
    )


@dataclass(frozen=True)
class Overview:
    """Counts, newest experiments and recent experiment activity."""

    experiment_count: int
    flight_arm_count: int
    ground_arm_count: int
    organism_count: int
    active_user_count: int
    latest: list[experiments.ExperimentView]
    activity: list[Activity]
    can_create: bool


def summary(db: Database, actor: Actor, *, latest: int = 8) -> Overview:
    """Everything the overview needs in a few queries."""
    with db.read() as s:
        experiment_count = s.scalar(select(func.count(Experiment.id))) or 0
        organism_count = s.scalar(select(func.count(func.distinct(Experiment.organism)))) or 0
        # Not dict(result): Result has .keys(), so dict() would index it by name.
        by_factor: dict[str, int] = {  # noqa: C416
            factor: count
            for factor, count in s.execute(
                select(ExperimentArm.spaceflight, func.count(ExperimentArm.id)).group_by(
                    ExperimentArm.spaceflight
                )
            )
        }
        users = s.scalar(select(func.count(User.id)).where(User.is_active.is_(True))) or 0
    return Overview(
        experiment_count=experiment_count,
        flight_arm_count=by_factor.get("Space Flight", 0),
        ground_arm_count=by_factor.get("Ground Control", 0),
        organism_count=organism_count,
        active_user_count=users,
        latest=experiments.list_experiments(db, limit=latest),
        activity=[activity(row) for row in audit.recent_experiment_activity(db, limit=10)],
        can_create=experiments.can_edit(actor),
    )
