"""Running one job inside a worker: claim it, re-check the role, run it, settle it.

The same function runs whatever carries the job id (the embedded SQLite queue, Redis, or a
test calling it directly). Guarantees:

- at most once: a job is claimed by a conditional update from ``queued`` to ``running``,
  so a message delivered twice, or a job cancelled while queued, does not run again;
- nothing half-written: output files go to a scratch directory renamed into place only on
  success; database writes of a job belong in one transaction of its own;
- cancel within two seconds: a heartbeat thread reads cancel requests twice a second; the
  job sees it at its next ``progress`` call, and a job that does not call ``progress``
  within a second is settled as cancelled and its process killed (only where the process
  is a disposable queue worker).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update

from dashboard.db import Database
from dashboard.models import Job, User, utcnow
from dashboard.observability import metrics

from . import audit, policy
from .actor import Actor
from .errors import ServiceError
from .job_kinds import KINDS, JobKind, JobResult
from .jobs import (
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    SYSTEM,
    discard_scratch,
    worker_name,
)

HEARTBEAT_S = 0.5
CANCEL_GRACE_S = 1.0
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
AUDIT_RESULT = {SUCCEEDED: "ok", CANCELLED: "ok", FAILED: "failed"}
log = logging.getLogger("microspacegen.jobs")


class JobCancelled(Exception):
    """Raised inside a job at a progress point once someone asked to cancel it."""


@dataclass
class RunningJob:
    """The :class:`~dashboard.services.job_kinds.Context` a job function receives."""

    db: Database
    actor: Actor
    params: Mapping[str, object]
    job_id: int
    scratch: Path
    cancel_event: threading.Event = field(default_factory=threading.Event)
    fraction: float = 0.0
    message: str = "Started"

    def progress(self, fraction: float, message: str = "") -> None:
        """Note how far the job is; the heartbeat writes it. Raises once cancel was asked."""
        self.fraction = min(1.0, max(0.0, float(fraction)))
        self.message = message[:200]
        if self.cancel_event.is_set():
            raise JobCancelled

    @property
    def data_dir(self) -> Path:
        """The app's data directory (job files live in its ``jobs/``)."""
        return self.scratch.parent.parent

    def output(self, name: str) -> Path:
        """A path for output file ``name`` in the job's scratch directory."""
        if not FILE_NAME.fullmatch(name):
            raise ValueError(f"unsafe output file name {name!r}")
        self.scratch.mkdir(parents=True, exist_ok=True)
        return self.scratch / name


@dataclass(frozen=True)
class Claim:
    """A job this worker took, who runs it and what it is."""

    kind: JobKind
    actor: Actor
    params: dict[str, object]
    attempt: int


# Kinds the app itself starts on a schedule (no user behind them): the integrity sweep and
# the scheduled backup.
SYSTEM_KINDS = frozenset({"provenance.sweep", "system.backup"})


def _is_system_job(job: Job) -> bool:
    return job.created_by_id is None and job.created_by_name == SYSTEM.username


def _refusal(job: Job, user: User | None, kind: JobKind | None) -> str | None:
    """Why the job may not run now (roles are re-read at start), or None."""
    if _is_system_job(job) and job.kind in SYSTEM_KINDS:
        return None if kind is not None else f"This version does not know {job.kind!r}."
    if user is None or not user.is_active:
        return f"{job.created_by_name} can no longer log in, so the job was not run."
    if kind is None:
        return f"This version does not know the job kind {job.kind!r}."
    if not policy.may(user.role_names, kind.action):
        needed = policy.grant(kind.action).describe()
        return f"{user.username} no longer holds the role {needed}, so the job was not run."
    return None


def _claim(
    db: Database, job_id: int, worker: str, kinds: Mapping[str, JobKind]
) -> Claim | str | None:
    """Take the job (one transaction): the :class:`Claim`, FAILED if refused, None if gone."""
    now = utcnow()
    with db.begin() as s:
        taken = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == QUEUED)
            .values(
                state=RUNNING,
                started_at=now,
                heartbeat_at=now,
                attempts=Job.attempts + 1,
                worker=worker,
                progress=0.0,
                progress_message="Starting",
            )
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None  # cancelled while queued, or another delivery took it
        job = s.get(Job, job_id)
        assert job is not None  # noqa: S101 - we just updated it in this transaction
        user = s.get(User, job.created_by_id) if job.created_by_id is not None else None
        kind = kinds.get(job.kind)
        refusal = _refusal(job, user, kind)
        if _is_system_job(job) and job.kind in SYSTEM_KINDS:
            actor = SYSTEM
        elif user is not None:
            actor = Actor(user.id, user.username, user.role_names, None, "job")
        else:
            actor = Actor(job.created_by_id, job.created_by_name, frozenset(), None, "job")
        if refusal is not None or kind is None:
            job.state, job.error, job.finished_at = FAILED, refusal, now
            job.progress_message = ""
            detail: dict[str, object] = {"kind": job.kind, "reason": refusal}
            audit.add(
                s, actor, "job.start", "denied", target_type="job", target_id=job_id, detail=detail
            )
            return FAILED
        detail = {"kind": kind.name, "attempt": job.attempts, "worker": worker}
        audit.add(s, actor, "job.start", target_type="job", target_id=job_id, detail=detail)
        return Claim(kind, actor, dict(job.params or {}), job.attempts)


def _settle(
    db: Database,
    job_id: int,
    worker: str,
    actor: Actor,
    state: str,
    *,
    result: JobResult | None = None,
    error: str | None = None,
    fraction: float | None = None,
    kind: str = "",
) -> bool:
    """Write the outcome if the job is still this worker's; audit it. False if it was not."""
    values: dict[str, object] = {
        "state": state,
        "finished_at": utcnow(),
        "result": result,
        "error": error,
        "progress_message": "",
    }
    if fraction is not None:
        values["progress"] = fraction
    with db.begin() as s:
        done = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == RUNNING, Job.worker == worker)
            .values(**values)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return False
        audit.add(
            s,
            actor,
            "job.finish",
            AUDIT_RESULT.get(state, "error"),
            target_type="job",
            target_id=job_id,
            detail={"kind": kind, "state": state, "error": (error or "")[:500]},
        )
    return True


class _Heartbeat(threading.Thread):
    """Writes progress and heartbeat; notices cancel requests; kills a job that ignores one."""

    def __init__(
        self, db: Database, job: RunningJob, worker: str, kind: str, *, may_terminate: bool
    ) -> None:
        super().__init__(name=f"job-{job.job_id}-heartbeat", daemon=True)
        self.db, self.job, self.worker, self.kind = db, job, worker, kind
        self.may_terminate = may_terminate
        self.stopped = threading.Event()
        self.cancel_seen_at: float | None = None

    def run(self) -> None:
        # Once a cancel is seen, look often, so a job that ignores it ends on time.
        while not self.stopped.wait(HEARTBEAT_S if self.cancel_seen_at is None else 0.1):
            try:
                self._beat()
            except Exception:  # a missed beat is retried; the reaper judges
                log.exception("heartbeat of job %s failed", self.job.job_id)

    def _beat(self) -> None:
        with self.db.begin() as s:
            # One statement: no row back means the job is no longer this worker's (reaped).
            row = s.execute(
                update(Job)
                .where(Job.id == self.job.job_id, Job.state == RUNNING, Job.worker == self.worker)
                .values(
                    heartbeat_at=utcnow(),
                    progress=self.job.fraction,
                    progress_message=self.job.message,
                )
                .returning(Job.cancel_requested_at, Job.cancelled_by)
            ).one_or_none()
        cancel_at, cancelled_by = row if row is not None else (None, None)
        if row is None or cancel_at is not None:
            self.job.cancel_event.set()
            if self.cancel_seen_at is None:
                self.cancel_seen_at = time.monotonic()
        if (
            self.may_terminate
            and self.cancel_seen_at is not None
            and time.monotonic() - self.cancel_seen_at >= CANCEL_GRACE_S
            and not self.stopped.is_set()
        ):
            self._terminate(str(cancelled_by or "the system"))

    def _terminate(self, who: str) -> None:
        """The job ignored the cancel: settle it, clear its files, end this worker process."""
        log.warning("job %s ignored its cancel; killing its worker process", self.job.job_id)
        _settle(
            self.db,
            self.job.job_id,
            self.worker,
            self.job.actor,
            CANCELLED,
            error=f"Cancelled by {who}; stopped by ending its worker process.",
            kind=self.kind,
        )
        discard_scratch(self.job.scratch.parent, self.job.job_id)
        os.kill(os.getpid(), signal.SIGKILL)


def execute(
    db: Database,
    job_id: int,
    files_root: Path,
    *,
    worker: str | None = None,
    kinds: Mapping[str, JobKind] = KINDS,
    may_terminate: bool = False,
) -> str | None:
    """Run job ``job_id`` if it is still queued; return its final state (None if not run)."""
    worker = worker or worker_name()
    claim = _claim(db, job_id, worker, kinds)
    if not isinstance(claim, Claim):
        return claim
    kind, actor = claim.kind, claim.actor
    files_root.mkdir(parents=True, exist_ok=True)
    running = RunningJob(
        db, actor, claim.params, job_id, files_root / f".tmp-{job_id}-{claim.attempt}"
    )
    heartbeat = _Heartbeat(db, running, worker, kind.name, may_terminate=may_terminate)
    heartbeat.start()
    result: JobResult | None = None
    error: str | None = None
    started_s = time.monotonic()
    try:
        result = kind.run(running)
        state = SUCCEEDED
    except JobCancelled:
        state = CANCELLED
        error = "Cancelled at a progress point."
    except ServiceError as exc:
        state, error = FAILED, exc.message
    except Exception as exc:  # any failure is the outcome of the job
        log.exception("job %s (%s) failed", job_id, kind.name)
        state, error = FAILED, f"{type(exc).__name__}: {exc}"
    finally:
        heartbeat.stopped.set()
        heartbeat.join()
    if state == SUCCEEDED and running.scratch.exists():
        final = files_root / str(job_id)
        shutil.rmtree(final, ignore_errors=True)  # an earlier attempt's, never referenced
        running.scratch.rename(final)  # atomic: the files appear whole or not at all
    else:
        discard_scratch(files_root, job_id)
    if state == CANCELLED:
        with db.read() as s:
            who = s.scalar(select(Job.cancelled_by).where(Job.id == job_id))
        error = f"Cancelled by {who or 'the system'} at a progress point."
    fraction = 1.0 if state == SUCCEEDED else None
    kept = _settle(
        db,
        job_id,
        worker,
        actor,
        state,
        result=result,
        error=error,
        fraction=fraction,
        kind=kind.name,
    )
    duration_s = time.monotonic() - started_s
    metrics.job_finished(kind.name, state if kept else "superseded", duration_s)
    log.info("job %d (%s) %s in %.2f s", job_id, kind.name, state, duration_s)
    if not kept and state == SUCCEEDED:
        # The job was settled elsewhere meanwhile (reaped as dead): its files are not valid.
        shutil.rmtree(files_root / str(job_id), ignore_errors=True)
    return state if kept else None
