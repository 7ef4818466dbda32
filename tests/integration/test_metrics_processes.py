"""`python app.py serve` with a job worker: a counter incremented in the worker's process
shows at /metrics, the loopback metrics port answers, and the worker logs the job under
the id of the request that started it."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dashboard.db import Database
from dashboard.services import accounts
from dashboard.services.actor import cli_actor
from tests.conftest import remember_secret

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120.0
JOB_TIMEOUT_S = 90.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers


def _post_json(url: str, body: object, headers: dict[str, str]) -> tuple[int, Any, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read()), response.headers


def _wait(what: str, check: Any, timeout_s: float, log: Path) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
            pytest.fail(f"{what} within {timeout_s:.0f} s; server log tail:\n{tail}")
        time.sleep(0.2)


@dataclass(frozen=True)
class Served:
    base_url: str
    metrics_url: str
    data_dir: Path
    log_path: Path
    admin_token: str
    pid: int


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("metrics-served")
    log_path = data_dir / "server.log"
    port, metrics_port = _free_port(), _free_port()
    admin_password = "adm-" + secrets.token_urlsafe(12)
    remember_secret(admin_password)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MICROSPACEGEN_")},
        "MICROSPACEGEN_DATA_DIR": str(data_dir),
        "MICROSPACEGEN_PORT": str(port),
        "MICROSPACEGEN_METRICS_PORT": str(metrics_port),
        "MICROSPACEGEN_ADMIN_PASSWORD": admin_password,
        "MICROSPACEGEN_WORKERS": "1",
        "MICROSPACEGEN_CONTROLLER": "0",
        "MICROSPACEGEN_INTEGRITY_SWEEP_HOURS": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "serve"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait(
            "the server did not answer /readyz",
            lambda: (
                proc.poll() is None and _get(f"{base_url}/readyz")[0] == 200
                if _port_open(port)
                else proc.poll() is not None and pytest.fail(f"server exited: {proc.returncode}")
            ),
            START_TIMEOUT_S,
            log_path,
        )
        db = Database(f"sqlite:///{data_dir / 'microspacegen.sqlite3'}")
        try:
            admin_id = accounts.user_id_by_name(db, "admin")
            _, token = accounts.create_token(db, cli_actor("test"), admin_id, "metrics test")
        finally:
            db.dispose()
        yield Served(
            base_url,
            f"http://127.0.0.1:{metrics_port}/metrics",
            data_dir,
            log_path,
            token,
            proc.pid,
        )
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_a_job_counted_in_the_worker_shows_on_the_metrics_port(served: Served) -> None:
    rid = "proc-test-" + secrets.token_hex(6)
    auth = {"Authorization": f"Bearer {served.admin_token}"}
    status, job, headers = _post_json(
        f"{served.base_url}/api/v1/jobs",
        {"kind": "audit.export", "params": {}},
        {**auth, "X-Request-ID": rid},
    )
    assert status == 202
    assert headers["X-Request-ID"] == rid

    def finished() -> bool:
        code, body, _ = _get(f"{served.base_url}/api/v1/jobs/{job['id']}", auth)
        return code == 200 and json.loads(body)["state"] == "succeeded"

    _wait("the job did not succeed", finished, JOB_TIMEOUT_S, served.log_path)

    # The loopback port answers without a login.
    status, body, headers = _get(served.metrics_url)
    assert status == 200
    samples = _samples(body)
    job_count = (
        "microspacegen_job_duration_seconds_count",
        (("kind", "audit.export"), ("state", "succeeded")),
    )
    assert samples[job_count] == 1.0
    posted = (
        "microspacegen_http_requests_total",
        (("method", "POST"), ("route", "/api/v1/jobs"), ("status", "202")),
    )
    assert samples[posted] == 1.0
    assert samples[("microspacegen_database_up", ())] == 1.0
    worker_ages = [
        v for (name, _), v in samples.items() if name.startswith("microspacegen_worker_heartbeat")
    ]
    assert worker_ages, "no live worker reported"
    # The job was counted by another process than the server's: its file names its pid.
    files = {p.name for p in (served.data_dir / "metrics").rglob("histogram_*.db")}
    assert files - {f"histogram_{served.pid}.db"}, files

    # Anything else on that port is 404, and the main port wants a metrics user's token.
    assert _get(served.metrics_url.replace("/metrics", "/api/v1/me"))[0] == 404
    assert _get(f"{served.base_url}/metrics")[0] == 401
    assert _get(f"{served.base_url}/metrics", auth)[0] == 403

    # The worker logged the job under the request's id, as JSON (stderr is not a terminal).
    entries = [
        json.loads(line)
        for line in served.log_path.read_text().splitlines()
        if line.startswith("{")
    ]
    done = [e for e in entries if e.get("job_id") == job["id"] and "succeeded" in e["event"]]
    assert len(done) == 1, entries[-20:]
    assert done[0]["request_id"] == rid
    assert done[0]["pid"] != served.pid
    access = [
        e for e in entries if e.get("request_id") == rid and e["logger"] == "microspacegen.access"
    ]
    assert access[0]["route"] == "/api/v1/jobs"
    assert access[0]["user"] == "admin"
