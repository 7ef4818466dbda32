"""SQLAlchemy 2 data model; the schema itself is owned by the Alembic migrations."""

from .accounts import ApiToken, AuthAttempt, Role, User, UserSession, user_roles
from .audit import AuditChainHead, AuditEvent
from .base import Base, UTCDateTime, utcnow
from .datasets import Dataset, DatasetParent, DatasetRecord, Sample, Upload
from .experiments import Experiment, ExperimentArm
from .identities import UserIdentity
from .jobs import Job, JobWorker
from .ledger import LedgerBatch, LedgerLease, ProvenanceRecord
from .mission import (
    Alarm,
    DeviceRow,
    Run,
    RunCommand,
    RunDevice,
    RunLimit,
    RunProfileStep,
    TelemetryChunk,
)
from .mutations import MutationResult
from .second_factor import RecoveryCode, SecondFactor, SecondFactorRole
from .trees import Tree, TreeInput

__all__ = [
    "Alarm",
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "AuthAttempt",
    "Base",
    "Dataset",
    "DatasetParent",
    "DatasetRecord",
    "DeviceRow",
    "Experiment",
    "ExperimentArm",
    "Job",
    "JobWorker",
    "LedgerBatch",
    "LedgerLease",
    "MutationResult",
    "ProvenanceRecord",
    "RecoveryCode",
    "Role",
    "Run",
    "RunCommand",
    "RunDevice",
    "RunLimit",
    "RunProfileStep",
    "Sample",
    "SecondFactor",
    "SecondFactorRole",
    "TelemetryChunk",
    "Tree",
    "TreeInput",
    "UTCDateTime",
    "Upload",
    "User",
    "UserIdentity",
    "UserSession",
    "user_roles",
    "utcnow",
]
