"""SQLAlchemy 2 data model; the schema itself is owned by the Alembic migrations."""

from .accounts import ApiToken, AuthAttempt, Role, User, UserSession, user_roles
from .audit import AuditChainHead, AuditEvent
from .base import Base, UTCDateTime, utcnow
from .datasets import Dataset, DatasetParent, DatasetRecord, Sample, Upload
from .experiments import Experiment, ExperimentArm
from .jobs import Job, JobWorker
from .ledger import LedgerBatch, LedgerLease, ProvenanceRecord

__all__ = [
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "AuthAttempt",
    "Base",
    "Dataset",
    "DatasetParent",
    "DatasetRecord",
    "Experiment",
    "ExperimentArm",
    "Job",
    "JobWorker",
    "LedgerBatch",
    "LedgerLease",
    "ProvenanceRecord",
    "Role",
    "Sample",
    "UTCDateTime",
    "Upload",
    "User",
    "UserSession",
    "user_roles",
    "utcnow",
]
