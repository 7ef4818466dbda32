"""The whole app restarted in the middle of a run (issue 9): `python app.py` serves, starts
its controller, and is killed and started again; the run goes on where it was."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from dashboard.db import Database
from dashboard.models import DeviceRow, Experiment, ExperimentArm, utcnow
from dashboard.services import commands, devices, runs, telemetry
from dashboard.services.actor import Role
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]
SIMS = "sim://chamber-1,sim://centrifuge-1,sim://dosimeter-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        try:
            if condition():
                return time.monotonic() - start
        except OperationalError:  # the file exists before the migrations have committed
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout_s} s")


def test_a_run_continues_after_the_app_is_killed_and_started_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {
        **os.environ,
        "MICROSPACEGEN_DATA_DIR": str(data),
        "MICROSPACEGEN_PORT": str(_free_port()),
        "MICROSPACEGEN_ADMIN_PASSWORD": "correct horse battery staple",
        "MICROSPACEGEN_WORKERS": "0",
        "MICROSPACEGEN_SIM_SPEED": "120",
        "MICROSPACEGEN_DEVICES": SIMS,
    }

    def serve(name: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=env,
            stdout=(tmp_path / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    server = serve("first")
    db = Database(f"sqlite:///{data / 'microspacegen.sqlite3'}")
    try:
        _wait(lambda: (data / "microspacegen.sqlite3").exists(), 60, "database")
        cat = devices.catalog(SIMS)
        _wait(
            lambda: devices.link_states(db, cat.ids()) == dict.fromkeys(cat.ids(), "ok"),
            60,
            "controller",
        )
        operator = make_user(db, "op-restart", Role.OPERATOR)
        with db.begin() as s:
            e = Experiment(name="Restart", name_key="restart", organism="Escherichia coli")
            s.add(e)
            s.flush()
            arm = ExperimentArm(
                experiment_id=e.id,
                position=0,
                name="ground 1 g",
                spaceflight="Ground Control",
                gravity_g=1.0,
            )
            s.add(arm)
            s.flush()
            experiment_id, arm_id = e.id, arm.id
        run = runs.create_run(
            db, operator, cat, experiment_id, {"name": "restart", "arm_id": arm_id}
        )
        commands.submit(db, operator, cat, run.id, "start")
        _wait(
            lambda: telemetry.query(db, cat, run.id, "od600", max_points=None).total >= 5,
            30,
            "telemetry",
        )

        # Kill the server hard; its controller leaves with it.
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        _wait(
            lambda: not any(d.holder for d in _rows(db)) or _leases_lapsed(db),
            30,
            "controller gone",
        )
        before = telemetry.query(db, cat, run.id, "od600", max_points=None)
        dose_before = telemetry.query(db, cat, run.id, "dose_mgy", max_points=None)
        elapsed_before = runs.get_run(db, run.id).profile_elapsed_s

        server = serve("second")
        _wait(
            lambda: (
                telemetry.query(db, cat, run.id, "od600", max_points=None).total >= before.total + 5
            ),
            60,
            "telemetry after the restart",
        )
        view = runs.get_run(db, run.id)
        assert view.state == "running"
        assert view.profile_elapsed_s > elapsed_before
        after = telemetry.query(db, cat, run.id, "od600", max_points=None)
        # The same culture: the first reading after the restart continues the curve.
        assert after.v[before.total] >= 0.8 * before.v[-1]
        dose_after = telemetry.query(db, cat, run.id, "dose_mgy", max_points=None)
        assert dose_after.v[-1] >= dose_before.v[-1]
        assert (after.t[1:] > after.t[:-1]).all()
        history = commands.list_commands(db, run.id)
        assert [c.kind for c in history].count("start") == 1
        assert all(c.stage == "verified" for c in history)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        db.dispose()


def _rows(db: Database) -> list[DeviceRow]:
    with db.read() as s:
        return list(s.scalars(select(DeviceRow)))


def _leases_lapsed(db: Database) -> bool:
    return all(d.lease_expires_at is None or d.lease_expires_at < utcnow() for d in _rows(db))
