"""What the overview page shows: real counts and the latest activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from dashboard.db import Database
from dashboard.models import Experiment, ExperimentArm, User

from . import audit, experiments
from .actor import Actor


@dataclass(frozen=True)
class Activity:
    """One line of recent activity: who did what to which experiment, when."""

    username: str
    verb: str
    experiment_id: str | None
    experiment_name: str  # its name now (the event's own name if it no longer exists)
    occurred_at: datetime
    name_then: str | None = None  # the name the event recorded, when it has changed since


def activity(row: audit.AuditRow, current_names: dict[str, str] | None = None) -> Activity:
    """Read an experiment event of the audit log under the experiment's current name.

    The event's own name is in its detail (``name`` when created, ``after.name`` when
    edited); it is kept as ``name_then`` when the experiment has been renamed since.
    """
    detail = row.detail
    after = detail.get("after")
    recorded = detail.get("name") or (after.get("name") if isinstance(after, dict) else None)
    then = str(recorded) if recorded else None
    now = (current_names or {}).get(row.target_id or "")
    name = now or then or f"experiment {row.target_id}"
    return Activity(
        username=row.username,
        verb=experiments.EVENT_VERBS.get(row.action, row.action),
        experiment_id=row.target_id,
        experiment_name=name,
        occurred_at=row.occurred_at,
        name_then=then if then and then != name else None,
    )


def _current_names(db: Database, ids: list[str | None]) -> dict[str, str]:
    numbers = {int(i) for i in ids if i and i.isdigit()}
    if not numbers:
        return {}
    with db.read() as s:
        rows = s.execute(select(Experiment.id, Experiment.name).where(Experiment.id.in_(numbers)))
        return {str(experiment_id): name for experiment_id, name in rows}


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
    events = audit.recent_experiment_activity(db, limit=10)
    names = _current_names(db, [row.target_id for row in events])
    return Overview(
        experiment_count=experiment_count,
        flight_arm_count=by_factor.get("Space Flight", 0),
        ground_arm_count=by_factor.get("Ground Control", 0),
        organism_count=organism_count,
        active_user_count=users,
        latest=experiments.list_experiments(db, limit=latest),
        activity=[activity(row, names) for row in events],
        can_create=experiments.can_edit(actor),
    )
