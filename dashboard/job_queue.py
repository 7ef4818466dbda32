"""The task queue that carries job ids to workers: Huey, on SQLite or on Redis.

Embedded (no ``MICROSPACEGEN_BROKER_URL``): Huey keeps the queue in an SQLite file in the
data directory, and ``python app.py`` starts worker processes beside the web server.
Scaled out (``redis://…``): the same messages go through Redis to ``python app.py worker``
on any machine that shares the database and the data directory. The job functions and
their bookkeeping are the same on both paths (:mod:`dashboard.services.job_runner`).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer

from dashboard.config import Settings
from dashboard.db import Database
from dashboard.observability.request_id import current_request_id, job_context
from dashboard.services import job_runner, jobs

TASK_NAME = "microspacegen.run_job"
SUPERVISE_EVERY_S = 1.0
# The anchoring step is cheap when idle; this keeps a new record's wait near the batch limit.
LEDGER_EVERY_S = 0.25
log = logging.getLogger("microspacegen.jobs")


class JobQueue:
    """Hands job ids to Huey, and runs them when this process is a worker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.files_root = settings.job_files_dir
        self.huey: Huey
        if settings.broker_url:
            self.backend = "redis"
            self.huey = RedisHuey(settings.queue_name, url=settings.broker_url, results=False)
        else:
            self.backend = "sqlite"
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            # Owner-only like the database (SQLite gives its -wal and -shm files the same mode).
            os.close(os.open(settings.job_queue_file, os.O_CREAT | os.O_WRONLY, 0o600))
            self.huey = SqliteHuey(
                settings.queue_name, filename=str(settings.job_queue_file), results=False
            )
        self._task = self.huey.task(name=TASK_NAME)(self._run)
        self._databases: dict[int, Database] = {}
        # Set in worker processes that may be ended to stop a job ignoring its cancel.
        self.is_disposable_worker = False

    def enqueue(self, job_id: int) -> None:
        """Put job ``job_id`` on the queue."""
        self._task(job_id, current_request_id())  # the worker logs under the request's id

    def _db(self) -> Database:
        # One engine per process: connections must not cross a fork.
        pid = os.getpid()
        if pid not in self._databases:
            self._databases[pid] = Database(self.settings.database_url)
        return self._databases[pid]

    def _run(self, job_id: int, request_id: str | None = None) -> None:
        with job_context(int(job_id), request_id):
            self._execute(int(job_id))

    def _execute(self, job_id: int) -> None:
        job_runner.execute(
            self._db(),
            int(job_id),
            self.files_root,
            worker=jobs.worker_name(),
            may_terminate=self.is_disposable_worker,
        )


class _SupervisingConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer, plus our bookkeeping on its main thread (no thread crosses a fork)."""

    def __init__(
        self,
        huey: Huey,
        tick: Callable[[], None],
        ledger_tick: Callable[[float], object] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(huey, **options)
        self._tick = tick
        self._ledger_tick = ledger_tick
        self._next_tick = 0.0
        self._next_ledger_tick = 0.0

    def loop(self, health_check_ts: float | None = None) -> float | None:
        health_check_ts = super().loop(health_check_ts)
        now = time.monotonic()
        if now >= self._next_tick:
            self._next_tick = now + SUPERVISE_EVERY_S
            try:
                self._tick()
            except Exception:  # bookkeeping must not stop the worker
                log.exception("job supervision failed; trying again in a second")
        if self._ledger_tick is not None and now >= self._next_ledger_tick:
            self._next_ledger_tick = now + LEDGER_EVERY_S
            try:
                self._ledger_tick(now)
            except Exception:  # the database may be briefly away: try again
                log.exception("anchoring step failed; trying again shortly")
                self._next_ledger_tick = now + 5.0
        return health_check_ts


def _parent_is_gone(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return os.getppid() != pid


def run_worker(settings: Settings, processes: int, *, exit_with: int | None = None) -> None:
    """Take jobs until SIGINT (finish running jobs) or SIGTERM (stop now).

    ``exit_with``: the process id of a server this worker belongs to; it stops when that
    process is gone.
    """
    queue = JobQueue(settings)
    queue.is_disposable_worker = True
    db = Database(settings.database_url)
    os.register_at_fork(after_in_child=lambda: db.engine.dispose(close=False))
    name = jobs.worker_name()
    next_backup_check = [0.0]

    def tick() -> None:
        if _parent_is_gone(exit_with):
            log.info("the server this worker belongs to has gone; stopping")
            os.kill(os.getpid(), signal.SIGTERM)
            return
        jobs.beat(db, name, queue.backend, processes)
        jobs.reap(db, queue.enqueue, queue.files_root)
        if settings.backup_hours > 0 and time.monotonic() >= next_backup_check[0]:
            # Decided by the holder of the ledger lease, so one worker of many starts it.
            next_backup_check[0] = time.monotonic() + backup.SCHEDULE_CHECK_S
            backup.start_if_due(
                db,
                settings,
                ledger_anchoring.holder_name(),
                lambda: jobs.start(db, jobs.SYSTEM, queue.enqueue, backup.KIND),
            )

    # Here, not at the top: web3 is slow to import and only workers anchor.
    from dashboard.services import backup, ledger_anchoring
    from dashboard.services.ledger_chain import chain_settings

    anchoring = ledger_anchoring.AnchoringLoop(
        db,
        chain_settings(settings),
        ledger_anchoring.BatchPolicy(settings.ledger_batch_size, settings.ledger_batch_wait_s),
        start_sweep=lambda: jobs.start(db, jobs.SYSTEM, queue.enqueue, "provenance.sweep"),
        sweep_every_hours=settings.integrity_sweep_hours,
    )
    consumer = _SupervisingConsumer(
        queue.huey,
        tick,
        anchoring.tick,
        workers=processes,
        worker_type="process",
        periodic=False,
        # The SQLite queue is polled: keep the idle wait short so a new job starts quickly.
        initial_delay=0.01,
        backoff=1.5,
        max_delay=0.1,
        check_worker_health=True,
        health_check_interval=1,
    )
    log.info("worker %s: %d processes on the %s queue", name, processes, queue.backend)
    jobs.beat(db, name, queue.backend, processes)  # counted live before it takes a job
    try:
        consumer.run()
    finally:
        anchoring.close()
        jobs.retire(db, name)
        db.dispose()


class WorkerProcesses:
    """``python app.py worker`` run beside the web server, restarted if it dies.

    It leaves when the server does (it watches the server's process id), so a killed
    server leaves no orphan behind.
    """

    def __init__(self, settings: Settings, processes: int, app_py: str) -> None:
        self.command = [
            sys.executable,
            app_py,
            "worker",
            "--processes",
            str(processes),
            "--data-dir",
            str(settings.data_dir),
            "--exit-with",
            str(os.getpid()),
        ]
        self.label = "job worker"
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._keep_alive, name="job-workers", daemon=True)

    def start(self) -> None:
        """Start the worker and keep it running."""
        self._spawn()
        self._thread.start()

    def _spawn(self) -> None:
        self._process = subprocess.Popen(self.command)  # noqa: S603 - our own interpreter and script

    def _keep_alive(self) -> None:
        delay = 1.0
        while not self._stopping.wait(delay):
            process = self._process
            if process is not None and process.poll() is not None and not self._stopping.is_set():
                log.warning("%s exited with %s; starting it again", self.label, process.returncode)
                self._spawn()
                delay = min(30.0, delay * 2)
            else:
                delay = 1.0

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the worker to finish its running jobs, then make it stop."""
        self._stopping.set()
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(5)
