"""Real worker processes (`python app.py worker`) on the embedded queue and on Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboard.config import Settings, load_settings
from dashboard.db import Database
from dashboard.job_queue import JobQueue
from dashboard.models import AuditEvent
from dashboard.services import accounts, jobs
from dashboard.services.actor import Actor, Role
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("MICROSPACEGEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is required on CI: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")


@dataclass
class Cluster:
    """A data directory, its database and queue, and the workers started on it."""

    settings: Settings
    db: Database
    queue: JobQueue
    env: dict[str, str]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, processes: int = 1) -> subprocess.Popen[bytes]:
        log = (self.settings.data_dir / f"worker-{len(self.workers)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "app.py", "worker", "--processes", str(processes)],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(proc)
        return proc

    def stop_workers(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.workers.clear()

    def start_job(self, actor: Actor, kind: str, params: dict[str, object]) -> int:
        return jobs.start(self.db, actor, self.queue.enqueue, kind, params).id


@pytest.fixture(params=["sqlite", "redis"])
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROSPACEGEN_")}
    env["MICROSPACEGEN_DATA_DIR"] = str(tmp_path / "data")
    if request.param == "redis":
        _redis_or_skip()
        env["MICROSPACEGEN_BROKER_URL"] = REDIS_URL
        env["MICROSPACEGEN_QUEUE_NAME"] = f"test-{uuid.uuid4().hex[:10]}"
    settings = load_settings(env)
    db = Database(settings.database_url)
    db.upgrade()
    queue = JobQueue(settings)
    found = Cluster(settings, db, queue, env)
    try:
        yield found
    finally:
        found.stop_workers()
        if request.param == "redis":
            queue.huey.storage.flush_all()
        db.dispose()


def wait_for(what: Callable[[], bool], timeout_s: float, message: str) -> float:
    """Poll until ``what()`` is true; return the seconds it took."""
    started = time.monotonic()
    while not what():
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"after {timeout_s} s: {message}")
        time.sleep(0.05)
    return time.monotonic() - started


def _state(cluster: Cluster, actor: Actor, job_id: int) -> str:
    return jobs.get(cluster.db, actor, job_id).state


def test_200_jobs_with_two_workers_each_run_exactly_once(cluster: Cluster) -> None:
    boss = make_user(cluster.db, "boss", Role.ADMIN)
    ids = [cluster.start_job(boss, "system.selftest", {"seconds": 0}) for _ in range(200)]
    cluster.start_worker()
    cluster.start_worker()

    def all_done() -> bool:
        done = jobs.list_jobs(cluster.db, boss, jobs.JobFilter(state="succeeded"), limit=500)
        return len(done) == 200

    wait_for(all_done, 120, "not all 200 jobs succeeded")
    views = jobs.list_jobs(cluster.db, boss, limit=500)
    assert sorted(v.id for v in views) == sorted(ids)
    assert {v.attempts for v in views} == {1}
    assert len({v.worker for v in views}) >= 2  # both workers took jobs
    with cluster.db.read() as s:
        starts = s.scalar(
            select(func.count(func.distinct(AuditEvent.target_id))).where(
                AuditEvent.action == "job.start"
            )
        )
        all_starts = s.scalar(select(func.count()).where(AuditEvent.action == "job.start"))
    assert starts == all_starts == 200


def test_kill_9_of_a_worker_mid_job_gives_interrupted_and_leaves_nothing(
    cluster: Cluster,
) -> None:
    boss = make_user(cluster.db, "boss", Role.ADMIN)
    cluster.start_worker()
    job_id = cluster.start_job(boss, "system.selftest", {"seconds": 60})
    wait_for(lambda: _state(cluster, boss, job_id) == "running", 30, "job never started")
    worker = jobs.get(cluster.db, boss, job_id).worker or ""
    os.kill(int(worker.rpartition(":")[2]), signal.SIGKILL)
    killed = time.monotonic()
    wait_for(lambda: _state(cluster, boss, job_id) == "interrupted", 30, "not interrupted")
    assert time.monotonic() - killed < 30
    job = jobs.get(cluster.db, boss, job_id)
    assert worker in (job.error or "")
    assert jobs.scratch_dirs(cluster.settings.job_files_dir, job_id) == []
    # The consumer replaced the killed process: the next job still runs.
    after = cluster.start_job(boss, "system.selftest", {"seconds": 0})
    wait_for(lambda: _state(cluster, boss, after) == "succeeded", 30, "worker not replaced")


@pytest.mark.alone  # times the cancel: no other test's processes beside it
@pytest.mark.parametrize(
    ("progress_every_s", "how"),
    [(0.05, "at a progress point"), (120.0, "by ending its worker process")],
)
def test_cancel_stops_a_running_job_within_two_seconds(
    cluster: Cluster, progress_every_s: float, how: str
) -> None:
    boss = make_user(cluster.db, "boss", Role.ADMIN)
    cluster.start_worker()
    job_id = cluster.start_job(
        boss, "system.selftest", {"seconds": 120, "progress_every_s": progress_every_s}
    )
    wait_for(lambda: _state(cluster, boss, job_id) == "running", 30, "job never started")
    time.sleep(0.3)
    jobs.cancel(cluster.db, boss, job_id)
    took = wait_for(lambda: _state(cluster, boss, job_id) == "cancelled", 5, "not cancelled")
    assert took < 2.0
    assert how in (jobs.get(cluster.db, boss, job_id).error or "")
    after = cluster.start_job(boss, "system.selftest", {"seconds": 0})
    wait_for(lambda: _state(cluster, boss, after) == "succeeded", 30, "worker did not go on")


def test_jobs_queued_while_no_worker_runs_run_when_one_starts(cluster: Cluster) -> None:
    boss = make_user(cluster.db, "boss", Role.ADMIN)
    ada = make_user(cluster.db, "ada", Role.ADMIN)
    waiting = [cluster.start_job(boss, "system.selftest", {"seconds": 0}) for _ in range(3)]
    revoked = cluster.start_job(ada, "system.selftest", {"seconds": 0})
    accounts.update_user(cluster.db, boss, ada.user_id or 0, roles=[Role.SCIENTIST.value])
    time.sleep(0.5)
    assert {_state(cluster, boss, i) for i in [*waiting, revoked]} == {"queued"}

    # The app (and its queue) restart: a fresh queue object on the same data directory.
    cluster.queue = JobQueue(cluster.settings)
    cluster.start_worker()
    for job_id in waiting:
        wait_for(lambda j=job_id: _state(cluster, boss, j) == "succeeded", 60, "not run")
    wait_for(lambda: _state(cluster, boss, revoked) == "failed", 30, "revoked job not settled")
    assert "no longer holds the role admin" in (jobs.get(cluster.db, boss, revoked).error or "")
    wait_for(
        lambda: jobs.queue_health(cluster.db, cluster.queue.backend).live_workers == 1,
        10,
        "the worker is not reported live",
    )
