"""Query and downsample a week of 1 Hz telemetry (600,000 points), beside a naive store.

    python bench/telemetry_query.py [--points 600000] [--max-points 2000] [--repeats 5]
                                    [--postgres URL]

Ours: the telemetry store (float64 chunks of 600 points, dashboard/services/telemetry.py)
read by ``telemetry.query`` with min/max downsampling to --max-points (target: under 300 ms
for 600,000 points). The anchor, in the same run and database: the obvious design, one row
per sample (run, parameter, time, value) with an index, read through SQLAlchemy and sent
whole, as a plot that fetches everything would. Both are timed --repeats times, best and
median printed, with the ratio. SQLite by default; --postgres also runs on a PostgreSQL URL
(a throwaway database is created and dropped).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from dashboard.db import Database  # noqa: E402
from dashboard.models import Experiment, Run, RunDevice, TelemetryChunk  # noqa: E402
from dashboard.services import devices, telemetry  # noqa: E402

TARGET_MS = 300.0
NAIVE = MetaData()
naive_rows = Table(
    "bench_naive_samples",
    NAIVE,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, index=True),
    Column("parameter", String(64)),
    Column("t", Float, index=True),
    Column("value", Float),
)


def add_chunks(
    s: Session, run_id: int, device_id: str, parameter: str, t: np.ndarray, v: np.ndarray
) -> None:
    """Write a whole series as closed chunks, as the controller would have left it."""
    for start in range(0, len(t), telemetry.CHUNK_POINTS):
        part = slice(start, start + telemetry.CHUNK_POINTS)
        s.add(
            TelemetryChunk(
                run_id=run_id,
                device_id=device_id,
                parameter=parameter,
                t0=float(t[part][0]),
                t1=float(t[part][-1]),
                n=len(t[part]),
                times=t[part].astype("<f8").tobytes(),
                values=v[part].astype("<f8").tobytes(),
                is_open=False,
            )
        )


def each_database(postgres: str | None, run: Callable[[Database, str], None]) -> None:
    """Call ``run`` on a fresh SQLite file, then on a throwaway PostgreSQL database."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.sqlite3")
        db.upgrade()
        run(db, "SQLite")
        db.dispose()
    if not postgres:
        return
    import psycopg

    name = f"msg_bench_{int(time.time())}"
    plain = postgres.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        db = Database(postgres.rsplit("/", 1)[0] + f"/{name}")
        db.upgrade()
        run(db, "PostgreSQL")
        db.dispose()
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill(db: Database, n: int) -> int:
    """A run with n temperature samples at 1 Hz, in both stores; returns the run id."""
    rng = np.random.default_rng(1)
    t = 1.8e9 + np.arange(n, dtype=float)
    v = 37 + 0.05 * rng.standard_normal(n) + 0.5 * np.sin(t / 3600)
    with db.begin() as s:
        e = Experiment(name="bench", name_key="bench", organism="E. coli")
        s.add(e)
        s.flush()
        run = Run(experiment_id=e.id, name="week", state="completed", created_by="bench")
        s.add(run)
        s.flush()
        s.add(RunDevice(run_id=run.id, device_id="chamber-1", kind="chamber"))
        add_chunks(s, run.id, "chamber-1", "temperature_c", t, v)
        run_id = run.id
    NAIVE.create_all(db.engine)
    with db.begin() as s:
        for start in range(0, n, 50_000):
            s.execute(
                insert(naive_rows),
                [
                    {
                        "run_id": run_id,
                        "parameter": "temperature_c",
                        "t": float(a),
                        "value": float(b),
                    }
                    for a, b in zip(
                        t[start : start + 50_000], v[start : start + 50_000], strict=True
                    )
                ],
            )
    return run_id


def timed(fn: Callable[[], int], repeats: int) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        size = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, size


def bench(db: Database, label: str, n: int, max_points: int, repeats: int) -> None:
    run_id = fill(db, n)
    cat = devices.catalog("sim://chamber-1")

    def ours() -> int:
        series = telemetry.query(db, cat, run_id, "temperature_c", max_points=max_points)
        return len(telemetry.to_json(series)["points"])  # type: ignore[arg-type]

    def naive() -> int:
        with db.read() as s:
            rows = s.execute(
                select(naive_rows.c.t, naive_rows.c.value)
                .where(naive_rows.c.run_id == run_id, naive_rows.c.parameter == "temperature_c")
                .order_by(naive_rows.c.t)
            ).all()
        return len([[r[0], r[1]] for r in rows])

    ours_ms, ours_points = timed(ours, repeats)
    naive_ms, naive_points = timed(naive, max(1, repeats // 2))
    best, naive_best = min(ours_ms), min(naive_ms)
    print(f"\n{label}: {n:,} points of one parameter")
    print(
        f"  ours  : query + min/max downsample to {ours_points:,} points: best {best:7.1f} ms, "
        f"median {statistics.median(ours_ms):7.1f} ms  (target < {TARGET_MS:.0f} ms: "
        f"{'met' if statistics.median(ours_ms) < TARGET_MS else 'MISSED'})"
    )
    print(
        f"  anchor: row per sample, all {naive_points:,} rows via SQLAlchemy: best "
        f"{naive_best:7.1f} ms, median {statistics.median(naive_ms):7.1f} ms"
    )
    print(f"  ratio : anchor / ours = {naive_best / best:.1f}x faster (best times)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=600_000)
    parser.add_argument("--max-points", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--postgres", default=None, help="also run on this PostgreSQL admin URL")
    args = parser.parse_args()
    each_database(
        args.postgres,
        lambda db, label: bench(db, label, args.points, args.max_points, args.repeats),
    )


if __name__ == "__main__":
    main()
