"""Twenty clients polling live telemetry once a second, over HTTP, beside full re-fetches.

    python bench/telemetry_polling.py [--clients 20] [--seconds 30] [--history-hours 24]
                                      [--port 8091]

Starts the app (``python app.py`` on a throwaway data directory, waitress, SQLite, the
hardware controller with simulators at MICROSPACEGEN_SIM_SPEED=60), creates an operator and a
running run, and gives the run --history-hours of 1 Hz history per parameter (written into the
telemetry store first, as if the run had been going that long). Then, for --seconds:

- ours: each client asks once a second for what is new since its last point
  (``GET /api/v1/runs/{id}/telemetry?parameter=temperature_c&since=T``), as the run page's
  live chart does (it appends with ``extendData``);
- anchor (same run, after ours): each client re-fetches the last hour whole, the way a plot
  that re-draws its figure every second would (``since=now-3600&max_points=20000``).

Prints p50, p95 and max latency and the rate of requests for both (target for ours: p95 under
100 ms on this 2-core machine), and the ratio. The clients are threads of this process with
keep-alive connections; the server, the controller and the clients share the two cores.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from telemetry_query import add_chunks  # noqa: E402

from dashboard.db import Database  # noqa: E402

TARGET_P95_MS = 100.0
EXPERIMENT = {
    "name": "Polling bench",
    "organism": "Escherichia coli",
    "arms": [{"name": "ground 1 g", "spaceflight": "Ground Control", "gravity_g": 1.0}],
}
PASSWORD = "correct horse battery staple"  # noqa: S105 - a throwaway bench server


def cli(data: Path, *args: str, stdin: str | None = None) -> str:
    env = {**os.environ, "MICROSPACEGEN_DATA_DIR": str(data)}
    out = subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def request(
    conn: http.client.HTTPConnection, method: str, path: str, token: str, body: object = None
) -> tuple[int, object]:
    headers = {"Authorization": f"Bearer {token}"}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, json.loads(data) if data else None


def backfill(db_url: str, run_id: int, hours: float, before: float) -> int:
    """Closed chunks of history ending at ``before`` for every parameter the run records."""
    db = Database(db_url)
    n = int(hours * 3600)
    t = before - n + np.arange(n, dtype=float)
    rng = np.random.default_rng(0)
    names = [
        "temperature_c",
        "co2_pct",
        "o2_pct",
        "humidity_pct",
        "od600",
        "g_level",
        "dose_rate_ugy_h",
    ]
    with db.begin() as s:
        for name in names:
            v = rng.standard_normal(n)
            add_chunks(s, run_id, "chamber-1", name, t, v)
    db.dispose()
    return n * len(names)


def poll(
    port: int,
    token: str,
    run_id: int,
    seconds: float,
    incremental: bool,
    out: list[float],
    errors: list[str],
    start_at: float,
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    last = time.time() - 5
    base = f"/api/v1/runs/{run_id}/telemetry?parameter=temperature_c"
    next_at = start_at
    end = start_at + seconds
    while True:
        now = time.time()
        if now >= end:
            break
        if now < next_at:
            time.sleep(next_at - now)
        if incremental:
            path = f"{base}&since={last:.3f}"
        else:
            hour_ago = time.time() - 3600
            path = f"{base}&since={hour_ago:.3f}&max_points=20000"
        began = time.perf_counter()
        try:
            status, doc = request(conn, "GET", path, token)
        except (OSError, http.client.HTTPException) as exc:
            errors.append(str(exc))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        out.append((time.perf_counter() - began) * 1000)
        if status != 200:
            errors.append(f"HTTP {status}")
        elif incremental and isinstance(doc, dict) and doc.get("points"):
            last = doc["points"][-1][0] + 1e-6
        next_at += 1.0


def phase(
    label: str, port: int, token: str, run_id: int, clients: int, seconds: float, incremental: bool
) -> list[float]:
    latencies: list[float] = []
    errors: list[str] = []
    start_at = time.time() + 0.5
    threads = [
        threading.Thread(
            target=poll,
            args=(
                port,
                token,
                run_id,
                seconds,
                incremental,
                latencies,
                errors,
                start_at + i / clients,
            ),
        )
        for i in range(clients)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    q = np.percentile(latencies, [50, 95]) if latencies else [float("nan")] * 2
    print(
        f"  {label}: {len(latencies):5d} requests, p50 {q[0]:6.1f} ms, p95 {q[1]:6.1f} ms, "
        f"max {max(latencies, default=float('nan')):6.1f} ms, errors {len(errors)}"
    )
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--history-hours", type=float, default=24.0)
    parser.add_argument("--port", type=int, default=8091)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="msg-poll-"))
    env = {
        **os.environ,
        "MICROSPACEGEN_DATA_DIR": str(data),
        "MICROSPACEGEN_PORT": str(args.port),
        "MICROSPACEGEN_ADMIN_PASSWORD": PASSWORD,
        "MICROSPACEGEN_SIM_SPEED": "60",
        "MICROSPACEGEN_WORKERS": "0",
        "MICROSPACEGEN_THREADS": "8",
    }
    server = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(120):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request(
                    "GET", "/login"
                )
                break
            except OSError:
                time.sleep(0.5)
        cli(
            data,
            "user",
            "add",
            "poller",
            "--role",
            "operator",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        token = cli(data, "token", "create", "poller", "--label", "bench").strip().splitlines()[-1]
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        status, experiment = request(
            conn,
            "POST",
            "/api/v1/experiments",
            token,
            EXPERIMENT,
        )
        if status not in (200, 201):
            # operators may not create experiments: use the admin's token for that part
            admin = (
                cli(data, "token", "create", "admin", "--label", "bench").strip().splitlines()[-1]
            )
            status, experiment = request(
                conn,
                "POST",
                "/api/v1/experiments",
                admin,
                EXPERIMENT,
            )
        assert isinstance(experiment, dict), experiment
        status, run = request(
            conn, "POST", f"/api/v1/experiments/{experiment['id']}/runs", token, {"name": "live"}
        )
        assert status == 201, run
        assert isinstance(run, dict)
        request(conn, "POST", f"/api/v1/runs/{run['id']}/start", token, {})
        for _ in range(60):
            _, view = request(conn, "GET", f"/api/v1/runs/{run['id']}", token)
            if isinstance(view, dict) and view.get("state") == "running":
                break
            time.sleep(0.5)
        written = backfill(
            f"sqlite:///{data / 'microspacegen.sqlite3'}",
            run["id"],
            args.history_hours,
            time.time() - 60,
        )
        print(
            f"run {run['id']} running with {written:,} points of history; "
            f"{args.clients} clients x {args.seconds:.0f} s, one request a second each"
        )
        ours = phase(
            "ours  : new points since the last poll   ",
            args.port,
            token,
            run["id"],
            args.clients,
            args.seconds,
            True,
        )
        naive = phase(
            "anchor: the last hour whole, every second",
            args.port,
            token,
            run["id"],
            args.clients,
            args.seconds,
            False,
        )
        p95, naive_p95 = np.percentile(ours, 95), np.percentile(naive, 95)
        print(
            f"  target: p95 < {TARGET_P95_MS:.0f} ms: "
            f"{'met' if p95 < TARGET_P95_MS else 'MISSED'}; anchor p95 / ours p95 = "
            f"{naive_p95 / p95:.1f}; medians {statistics.median(ours):.1f} vs "
            f"{statistics.median(naive):.1f} ms"
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
