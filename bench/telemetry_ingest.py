"""Telemetry ingest rate: the controller's chunked writer beside row-per-sample stores.

    python bench/telemetry_ingest.py [--ticks 2000] [--parameters 14] [--postgres URL]

Each tick writes one sample of every parameter of a run (14: a chamber, a centrifuge, a
dosimeter and the growth rate), as the controller does once a second. Ours:
``telemetry.TelemetryWriter`` appending to 600-point float64 chunks, one transaction per
tick. Anchors, same run and database: one row per sample with one transaction per tick
(the obvious table), and one row per sample committed one by one (a naive logger). Prints
samples per second for each and our rate over each anchor's; also the rows each store holds
after the run (what a query must read back).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import func, insert, select  # noqa: E402
from telemetry_query import NAIVE, each_database, naive_rows  # noqa: E402

from dashboard.db import Database  # noqa: E402
from dashboard.models import Experiment, Run, TelemetryChunk  # noqa: E402
from dashboard.services import telemetry  # noqa: E402


def setup(db: Database) -> int:
    with db.begin() as s:
        e = Experiment(name="ingest", name_key="ingest", organism="E. coli")
        s.add(e)
        s.flush()
        run = Run(experiment_id=e.id, name="ingest", state="running", created_by="bench")
        s.add(run)
        s.flush()
        run_id = run.id
    NAIVE.create_all(db.engine)
    return run_id


def bench(db: Database, label: str, ticks: int, n_params: int) -> None:
    run_id = setup(db)
    names = [f"p{i}" for i in range(n_params)]
    rng = np.random.default_rng(0)
    values = rng.standard_normal((ticks, n_params))
    writer = telemetry.TelemetryWriter()

    started = time.perf_counter()
    for k in range(ticks):
        with db.begin() as s:
            writer.append(s, run_id, "dev", 1.8e9 + k, dict(zip(names, values[k], strict=True)))
    ours = ticks * n_params / (time.perf_counter() - started)

    started = time.perf_counter()
    for k in range(ticks):
        with db.begin() as s:
            s.execute(
                insert(naive_rows),
                [
                    {"run_id": run_id, "parameter": n, "t": 1.8e9 + k, "value": float(v)}
                    for n, v in zip(names, values[k], strict=True)
                ],
            )
    batched = ticks * n_params / (time.perf_counter() - started)
    with db.read() as s:
        rows = s.scalar(select(func.count()).select_from(naive_rows))  # the row-per-tick ones

    one_by_one_ticks = max(1, ticks // 10)
    started = time.perf_counter()
    for k in range(one_by_one_ticks):
        for n, v in zip(names, values[k], strict=True):
            with db.begin() as s:
                s.execute(
                    insert(naive_rows),
                    {"run_id": run_id, "parameter": n, "t": 2e9 + k, "value": float(v)},
                )
    one_by_one = one_by_one_ticks * n_params / (time.perf_counter() - started)

    with db.read() as s:
        chunks = s.scalar(select(func.count()).select_from(TelemetryChunk))
    print(f"\n{label}: {ticks:,} ticks x {n_params} parameters")
    per_tick = "a transaction per tick"
    print(f"  ours  : chunked writer, {per_tick} : {ours:10,.0f} samples/s ({chunks:,} rows)")
    print(f"  anchor: row per sample, {per_tick}: {batched:10,.0f} samples/s ({rows:,} rows)")
    print(f"  anchor: row per sample, committed one by one   : {one_by_one:10,.0f} samples/s")
    print(
        f"  ratio : ours / row-per-tick = {ours / batched:.2f}, ours / one-by-one = "
        f"{ours / one_by_one:.1f}; the controller needs {n_params} samples/s per run at 1 Hz"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ticks", type=int, default=2000)
    parser.add_argument("--parameters", type=int, default=14)
    parser.add_argument("--postgres", default=None, help="also run on this PostgreSQL admin URL")
    args = parser.parse_args()
    each_database(args.postgres, lambda db, label: bench(db, label, args.ticks, args.parameters))


if __name__ == "__main__":
    main()
