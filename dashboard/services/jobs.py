"""Jobs: long work started by a user, run by a worker, read by pages and the API.

A job is a database row (:class:`dashboard.models.Job`); the task queue only carries its id.
This module is the one door for starting, reading and cancelling jobs and for the
bookkeeping of workers (heartbeats, dead workers, retries). Running a job in a worker is
:mod:`dashboard.services.job_runner`; the kinds are registered in
:mod:`dashboard.services.job_kinds`.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dashboard.db import Database
from dashboard.models import Job, JobWorker, utcnow

from . import audit
from .actor import Actor, Role
from .errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from .job_kinds import KINDS, JobKind
from .policy import Action, allows, authorize

QUEUED, RUNNING = "queued", "running"
SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = "succeeded", "failed", "cancelled", "interrupted"
STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED)
ACTIVE_STATES = (QUEUED, RUNNING)
FINISHED_STATES = (SUCCEEDED, FAILED, CANCELLED, INTERRUPTED)
# A running job whose worker wrote no heartbeat for this long is taken as dead.
STALE_AFTER_S = 30.0
# A worker is counted live while its own heartbeat is younger than this.
WORKER_LIVE_S = 30.0
MAX_ATTEMPTS_IDEMPOTENT = 2  # a job of an idempotent kind is retried once
LIST_MAX = 500
SYSTEM = Actor(None, "system", frozenset({Role.ADMIN}), None, "job")


class Enqueue(Protocol):
    """What starting a job needs from the task queue: hand it a job id."""

    def __call__(self, job_id: int) -> None: ...


@dataclass(frozen=True)
class JobView:
    """A job as pages and the API show it."""

    id: int
    kind: str
    label: str
    params: dict[str, object]
    state: str
    progress: float
    progress_message: str
    result: dict[str, object] | None
    error: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    worker: str | None
    cancel_requested: bool
    summary: str = ""

    @property
    def is_finished(self) -> bool:
        """Whether the job has stopped for good (whatever the outcome)."""
        return self.state in FINISHED_STATES

    def duration_s(self, now: datetime | None = None) -> float | None:
        """Seconds it ran (so far, while running); None before it started."""
        if self.started_at is None:
            return None
        end = self.finished_at or now or utcnow()
        return max(0.0, (end - self.started_at).total_seconds())


@dataclass(frozen=True)
class JobFilter:
    """Which jobs to list; empty fields do not filter."""

    state: str | None = None
    kind: str | None = None
    everyone: bool = False  # admins: all users' jobs, not only their own


@dataclass(frozen=True)
class QueueHealth:
    """What /api/v1/health says about jobs."""

    backend: str
    live_workers: int
    queued: int
    running: int


def view(job: Job, kinds: Mapping[str, JobKind] = KINDS) -> JobView:
    """The public view of a job row."""
    kind = kinds.get(job.kind)
    return JobView(
        id=job.id,
        kind=job.kind,
        label=kind.label if kind else job.kind,
        params=dict(job.params or {}),
        state=job.state,
        progress=job.progress,
        progress_message=job.progress_message,
        result=dict(job.result) if job.result is not None else None,
        error=job.error,
        created_by=job.created_by_name,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        attempts=job.attempts,
        worker=job.worker,
        cancel_requested=job.cancel_requested_at is not None,
        summary=kind.summarize(job.result) if kind and job.result is not None else "",
    )


def kind_of(name: object, kinds: Mapping[str, JobKind] = KINDS) -> JobKind:
    """The registered kind called ``name`` or :class:`ValidationFailed`."""
    if not isinstance(name, str) or name not in kinds:
        raise ValidationFailed(
            f"Unknown job kind {str(name)[:64]!r}; known kinds: {', '.join(sorted(kinds))}.",
            field="kind",
        )
    return kinds[name]


def may_start(actor: Actor, kind: JobKind) -> bool:
    """Whether ``actor`` may start ``kind`` (for hiding buttons)."""
    return allows(actor, kind.action)


# --- starting, reading, cancelling ---------------------------------------------------------


def start(
    db: Database,
    actor: Actor,
    enqueue: Enqueue,
    kind_name: object,
    params: Mapping[str, object] | None = None,
    *,
    kinds: Mapping[str, JobKind] = KINDS,
) -> JobView:
    """Record a job and hand it to the queue; the role is checked again when it runs."""
    kind = kind_of(kind_name, kinds)
    authorize(db, actor, kind.action, target=("job_kind", kind.name), audit_as=f"{kind.name}.start")
    clean = kind.parse_params(params or {})
    with db.begin() as s:
        job = Job(
            kind=kind.name,
            params=clean,
            state=QUEUED,
            progress=0.0,
            progress_message="Waiting for a worker",
            created_by_id=actor.user_id,
            created_by_name=actor.username[:64],
            created_at=utcnow(),
            attempts=0,
        )
        s.add(job)
        s.flush()
        audit.add(
            s,
            actor,
            "job.submit",
            target_type="job",
            target_id=job.id,
            detail={"kind": kind.name, "params": clean},
        )
        job_id, started = job.id, view(job, kinds)
    try:
        enqueue(job_id)
    except Exception as exc:  # the broker is outside us: say so on the job
        _finish_unqueued(db, job_id, f"Could not queue the job: {type(exc).__name__}: {exc}")
        raise Conflict(
            f"The job queue did not take the job ({type(exc).__name__}); is the broker up?"
        ) from exc
    return started


def _finish_unqueued(db: Database, job_id: int, error: str) -> None:
    with db.begin() as s:
        s.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == QUEUED)
            .values(state=FAILED, error=error, finished_at=utcnow(), progress_message="")
        )


def _visible_job(s: Session, actor: Actor, job_id: int) -> Job:
    job = s.get(Job, job_id)
    # Someone else's job is "not found" unless you are an admin: ids say nothing.
    is_mine = job is not None and job.created_by_id == actor.user_id
    if job is None or not (is_mine or allows(actor, Action.JOB_LIST_ALL)):
        raise NotFound(f"No job with id {job_id}.")
    return job


def get(
    db: Database, actor: Actor, job_id: int, *, kinds: Mapping[str, JobKind] = KINDS
) -> JobView:
    """One job: your own, or anyone's for admins."""
    with db.read() as s:
        return view(_visible_job(s, actor, job_id), kinds)


def list_jobs(
    db: Database, actor: Actor, f: JobFilter = JobFilter(), *, limit: int = 200
) -> list[JobView]:
    """Jobs newest first: your own, or everyone's for admins who ask for it."""
    if f.state is not None and f.state not in STATES:
        raise ValidationFailed(f"Unknown state {f.state!r}.", field="state")
    if f.everyone:
        authorize(db, actor, Action.JOB_LIST_ALL)
    query = select(Job)
    if not f.everyone:
        query = query.where(Job.created_by_id == actor.user_id)
    if f.state:
        query = query.where(Job.state == f.state)
    if f.kind:
        query = query.where(Job.kind == f.kind)
    limit = max(1, min(limit, LIST_MAX))
    with db.read() as s:
        rows = s.scalars(query.order_by(Job.id.desc()).limit(limit))
        return [view(job) for job in rows]


def cancel(db: Database, actor: Actor, job_id: int) -> JobView:
    """Cancel a job: a queued one at once, a running one at its next progress point.

    A running job that does not reach a progress point within a second is stopped by
    its worker (see :mod:`dashboard.services.job_runner`).
    """
    with db.begin() as s:
        job = _visible_job(s, actor, job_id)
        if job.created_by_id != actor.user_id and not allows(actor, Action.JOB_CANCEL_ANY):
            raise PermissionDenied("Only the job's owner or an admin may cancel it.")
        if job.state in FINISHED_STATES:
            raise Conflict(f"Job {job_id} has already {job.state}; nothing to cancel.")
        now = utcnow()
        if job.state == QUEUED:
            job.state, job.finished_at = CANCELLED, now
            job.error = f"Cancelled by {actor.username} before it started."
            job.progress_message = ""
        job.cancel_requested_at, job.cancelled_by = now, actor.username[:64]
        audit.add(
            s,
            actor,
            "job.cancel",
            target_type="job",
            target_id=job.id,
            detail={"kind": job.kind, "state": job.state},
        )
    return get(db, actor, job_id)


def file_path(db: Database, actor: Actor, files_root: Path, job_id: int, name: str) -> Path:
    """The path of a file a succeeded job produced (its owner or an admin)."""
    job = get(db, actor, job_id)
    names = (job.result or {}).get("files") or []
    if job.state != SUCCEEDED or name not in names:  # type: ignore[operator]
        raise NotFound(f"Job {job_id} has no file {name[:100]!r}.")
    return files_root / str(job_id) / name


# --- workers and their heartbeats ----------------------------------------------------------


def worker_name(pid: int | None = None) -> str:
    """``host:pid`` of this process, how jobs and heartbeats name their worker."""
    return f"{socket.gethostname()}:{pid or os.getpid()}"


def beat(db: Database, name: str, backend: str, processes: int) -> None:
    """Say that worker ``name`` is alive (called every few seconds by each worker)."""
    now = utcnow()
    with db.begin() as s:
        row = s.get(JobWorker, name)
        if row is None:
            s.add(
                JobWorker(
                    name=name,
                    backend=backend,
                    processes=processes,
                    started_at=now,
                    heartbeat_at=now,
                )
            )
        else:
            row.heartbeat_at = now


def retire(db: Database, name: str) -> None:
    """Forget worker ``name`` (it is shutting down)."""
    with db.begin() as s:
        row = s.get(JobWorker, name)
        if row is not None:
            s.delete(row)


def queue_health(db: Database, backend: str) -> QueueHealth:
    """Backend, live workers and the number of queued and running jobs."""
    cutoff = utcnow() - timedelta(seconds=WORKER_LIVE_S)
    with db.read() as s:
        live = s.scalar(select(func.count()).where(JobWorker.heartbeat_at >= cutoff)) or 0
        counts = dict(
            s.execute(
                select(Job.state, func.count())
                .where(Job.state.in_(ACTIVE_STATES))
                .group_by(Job.state)
            ).all()
        )
    return QueueHealth(backend, live, counts.get(QUEUED, 0), counts.get(RUNNING, 0))


def _pid_is_gone(worker: str | None, host: str) -> bool:
    """Whether ``worker`` ran on this host and its process no longer exists (or is a zombie)."""
    if not worker or ":" not in worker:
        return False
    worker_host, _, pid_text = worker.rpartition(":")
    if worker_host != host or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        stat = Path(f"/proc/{pid_text}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def scratch_dirs(files_root: Path, job_id: int) -> list[Path]:
    """Unfinished output directories of a job (removed when it does not succeed)."""
    return sorted(files_root.glob(f".tmp-{job_id}-*"))


def discard_scratch(files_root: Path, job_id: int) -> None:
    """Remove what an unfinished attempt of a job wrote, so nothing half-written stays."""
    for path in scratch_dirs(files_root, job_id):
        shutil.rmtree(path, ignore_errors=True)


def reap(
    db: Database,
    enqueue: Enqueue,
    files_root: Path,
    *,
    stale_after_s: float = STALE_AFTER_S,
    kinds: Mapping[str, JobKind] = KINDS,
    host: str | None = None,
    is_gone: Callable[[str | None, str], bool] = _pid_is_gone,
) -> list[int]:
    """Settle running jobs whose worker died; retry idempotent kinds once.

    A worker is dead when its heartbeat is older than ``stale_after_s`` or, on this host,
    when its process is gone. Returns the ids settled.
    """
    host = host or socket.gethostname()
    cutoff = utcnow() - timedelta(seconds=stale_after_s)
    with db.read() as s:
        candidates = [
            (job.id, job.worker, job.heartbeat_at)
            for job in s.scalars(select(Job).where(Job.state == RUNNING))
        ]
    dead = [
        (job_id, worker, heartbeat)
        for job_id, worker, heartbeat in candidates
        if heartbeat is None or heartbeat < cutoff or is_gone(worker, host)
    ]
    settled, requeue = [], []
    for job_id, worker, heartbeat in dead:
        with db.begin() as s:
            job = s.get(Job, job_id)
            # Re-read under the transaction: the worker may have finished meanwhile.
            if job is None or job.state != RUNNING or job.worker != worker:
                continue
            kind = kinds.get(job.kind)
            seen = heartbeat.isoformat(timespec="seconds") if heartbeat else "never"
            reason = f"Worker {worker} stopped (last heartbeat {seen})."
            now = utcnow()
            if job.cancel_requested_at is not None:
                job.state, job.error = CANCELLED, f"Cancelled by {job.cancelled_by}; {reason}"
            elif kind and kind.idempotent and job.attempts < MAX_ATTEMPTS_IDEMPOTENT:
                job.state, job.error = QUEUED, f"{reason} Retrying (attempt {job.attempts + 1})."
                requeue.append(job_id)
            else:
                job.state, job.error = INTERRUPTED, reason
            if job.state != QUEUED:
                job.finished_at = now
            job.worker, job.progress_message = None, ""
            audit.add(
                s,
                SYSTEM,
                "job.interrupt",
                "error",
                target_type="job",
                target_id=job.id,
                detail={"kind": job.kind, "worker": worker, "now": job.state},
            )
        discard_scratch(files_root, job_id)
        settled.append(job_id)
    for job_id in requeue:
        enqueue(job_id)
    return settled
