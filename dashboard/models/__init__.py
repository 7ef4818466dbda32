"""SQLAlchemy 2 data model; the schema itself is owned by the Alembic migrations."""

from .accounts import ApiToken, Role, User, user_roles
from .audit import AuditChainHead, AuditEvent
from .base import Base, UTCDateTime, utcnow
from .experiments import Experiment, ExperimentArm
from .jobs import Job, JobWorker

__all__ = [
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "Experiment",
    "ExperimentArm",
    "Job",
    "JobWorker",
    "Role",
    "UTCDateTime",
    "User",
    "user_roles",
    "utcnow",
]
