"""Jobs: enqueue-to-start latency and throughput, embedded (SQLite) and Redis side by side.

    python bench/jobs.py [--jobs 1000] [--latency-samples 200] [--processes 2]

For each backend it starts `python app.py worker` on a fresh data directory, then
1. latency: starts one short job at a time on an idle queue and reads, from the job
   records, how long each waited between being recorded and being claimed (p50, p95);
2. throughput: starts N short jobs at once and divides N by the time from the first
   being recorded to the last finishing.
A job here is the real thing: a row, two audit events, the queue message, the claim, the
heartbeat thread, the settle. The anchor is the embedded queue measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.config import load_settings  # noqa: E402
from dashboard.db import Database  # noqa: E402
from dashboard.job_queue import JobQueue  # noqa: E402
from dashboard.services import accounts, jobs  # noqa: E402
from dashboard.services.actor import Actor, Role, cli_actor  # noqa: E402

REDIS_URL = os.environ.get("MICROSPACEGEN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class Figures:
    backend: str
    p50_ms: float
    p95_ms: float
    throughput_per_s: float
    submit_per_s: float


def _wait(db: Database, actor: Actor, ids: list[int], timeout_s: float) -> list[jobs.JobView]:
    deadline = time.monotonic() + timeout_s
    wanted = set(ids)
    while True:
        views = [
            v
            for v in jobs.list_jobs(db, actor, limit=jobs.LIST_MAX)
            if v.id in wanted and v.is_finished
        ]
        if len(views) == len(wanted):
            return views
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out: {len(views)} of {len(wanted)} jobs finished")
        time.sleep(0.01)


def _finished_batch(db: Database, actor: Actor, ids: list[int]) -> list[jobs.JobView]:
    # list_jobs caps at LIST_MAX rows: read a large batch by id instead.
    return [jobs.get(db, actor, job_id) for job_id in ids]


def measure(backend: str, n_jobs: int, samples: int, processes: int) -> Figures:
    with tempfile.TemporaryDirectory(prefix=f"bench-jobs-{backend}-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MICROSPACEGEN_")}
        env["MICROSPACEGEN_DATA_DIR"] = tmp
        if backend == "redis":
            env["MICROSPACEGEN_BROKER_URL"] = REDIS_URL
            env["MICROSPACEGEN_QUEUE_NAME"] = f"bench-{uuid.uuid4().hex[:8]}"
        settings = load_settings(env)
        db = Database(settings.database_url)
        db.upgrade()
        queue = JobQueue(settings)
        row = accounts.create_user(
            db, cli_actor("bench"), "bench", "bench-password-123456", ["admin"]
        )
        actor = Actor(row.id, row.username, frozenset({Role.ADMIN.value}), None, "cli")
        worker = subprocess.Popen(
            [sys.executable, "app.py", "worker", "--processes", str(processes)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            warm = jobs.start(db, actor, queue.enqueue, "system.selftest", {"seconds": 0})
            _wait(db, actor, [warm.id], 60)
            waits = []
            for _ in range(samples):
                job = jobs.start(db, actor, queue.enqueue, "system.selftest", {"seconds": 0})
                (done,) = _wait(db, actor, [job.id], 30)
                assert done.started_at is not None
                waits.append((done.started_at - done.created_at).total_seconds() * 1000)
            submit_started = time.perf_counter()
            ids = [
                jobs.start(db, actor, queue.enqueue, "system.selftest", {"seconds": 0}).id
                for _ in range(n_jobs)
            ]
            submit_s = time.perf_counter() - submit_started
            deadline = time.monotonic() + 600
            while (
                jobs.queue_health(db, queue.backend).queued
                + jobs.queue_health(db, queue.backend).running
            ):
                if time.monotonic() > deadline:
                    raise SystemExit("throughput phase timed out")
                time.sleep(0.05)
            views = _finished_batch(db, actor, ids)
            assert all(v.state == "succeeded" and v.attempts == 1 for v in views)
            first = min(v.created_at for v in views)
            last = max(v.finished_at for v in views if v.finished_at)
            span_s = (last - first).total_seconds()
            quantiles = statistics.quantiles(waits, n=20)
            return Figures(
                backend,
                statistics.median(waits),
                quantiles[18],
                n_jobs / span_s,
                n_jobs / submit_s,
            )
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
            if backend == "redis":
                queue.huey.storage.flush_all()
            db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    results = [
        measure(backend, args.jobs, args.latency_samples, args.processes)
        for backend in ("sqlite", "redis")
    ]
    anchor = results[0]
    print(
        f"{args.jobs} short jobs, {args.latency_samples} latency samples, "
        f"{args.processes} worker processes, {os.cpu_count()} cores"
    )
    print(
        f"{'backend':<16}{'start p50':>11}{'start p95':>11}{'throughput':>14}"
        f"{'submitted':>14}{'vs embedded':>13}"
    )
    for r in results:
        print(
            f"{r.backend:<16}{r.p50_ms:>8.1f} ms{r.p95_ms:>8.1f} ms"
            f"{r.throughput_per_s:>9.1f} job/s{r.submit_per_s:>9.1f} job/s"
            f"{r.throughput_per_s / anchor.throughput_per_s:>12.2f}x"
        )


if __name__ == "__main__":
    main()
