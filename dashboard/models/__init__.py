"""SQLAlchemy 2 data model; the schema itself is owned by the Alembic migrations."""

from .accounts import ApiToken, AuthAttempt, Role, User, UserSession, user_roles
from .audit import AuditChainHead, AuditEvent
from .base import Base, UTCDateTime, utcnow
from .experiments import Experiment, ExperimentArm
from .jobs import Job, JobWorker

__all__ = [
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "AuthAttempt",
    "Base",
    "Experiment",
    "ExperimentArm",
    "Job",
    "JobWorker",
    "Role",
    "UTCDateTime",
    "User",
    "UserSession",
    "user_roles",
    "utcnow",
]
