"""The hardware controller with real parts: simulators, the Modbus server on loopback, an
SQLite file and the machine's PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.db import Database
from dashboard.models import DeviceRow, Experiment, ExperimentArm, RunCommand
from dashboard.services import alarms, commands, devices, runs, telemetry
from dashboard.services.actor import Actor, Role
from dashboard.services.controller import Controller, run_forever
from hardware.factory import DeviceSpec, make_device
from hardware.modbus_sim import find_free_port
from hardware.protocol import Device, Sample
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]
SIMS = "sim://chamber-1,sim://centrifuge-1,sim://dosimeter-1"
T0 = 1_800_000_000.0


class FakeClock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> float:
        return self.t


def _experiment(db: Database) -> tuple[int, int]:
    with db.begin() as s:
        e = Experiment(name="Kubik-7", name_key="kubik-7", organism="Bacillus subtilis")
        s.add(e)
        s.flush()
        arm = ExperimentArm(
            experiment_id=e.id,
            position=0,
            name="flight µg",
            spaceflight="Space Flight",
            gravity_g=0.0,
        )
        s.add(arm)
        s.flush()
        return e.id, arm.id


class Counting:
    """Counts the lifecycle calls that reach each device."""

    def __init__(self, clock: FakeClock, speed: float) -> None:
        self.clock, self.speed = clock, speed
        self.calls: list[tuple[str, str]] = []

    def __call__(self, spec: DeviceSpec) -> Device:
        device = make_device(spec, clock=self.clock, speed=self.speed, seed=3)
        for name in ("start", "pause", "resume", "stop"):
            original = getattr(device, name)

            def counted(original: Callable[[], None] = original, name: str = name) -> None:
                self.calls.append((spec.device_id, name))
                original()

            setattr(device, name, counted)
        return device


class Hardware:
    """A device seen only through the Device protocol (no simulator extras)."""

    def __init__(self, inner: Device) -> None:
        self._inner = inner
        self.device_id = inner.device_id
        self.capabilities = inner.capabilities

    def connect(self) -> None:
        self._inner.connect()

    def disconnect(self) -> None:
        self._inner.disconnect()

    def read(self) -> Sample:
        return self._inner.read()

    def apply(self, parameter: str, value: float) -> None:
        self._inner.apply(parameter, value)

    def start(self) -> None:
        self._inner.start()

    def pause(self) -> None:
        self._inner.pause()

    def resume(self) -> None:
        self._inner.resume()

    def stop(self) -> None:
        self._inner.stop()


@pytest.fixture
def setting(sqlite_db: Database) -> Iterator[tuple[Database, devices.Catalog, Actor, int, int]]:
    operator = make_user(sqlite_db, "op-one", Role.OPERATOR)
    experiment_id, arm_id = _experiment(sqlite_db)
    return sqlite_db, devices.catalog(SIMS), operator, experiment_id, arm_id


def _ticks(controller: Controller, clock: FakeClock, n: int, dt: float = 1.0) -> None:
    for _ in range(n):
        controller.step()
        clock.t += dt


def test_a_run_continues_where_it_was_after_the_controller_dies(setting) -> None:  # type: ignore[no-untyped-def]
    db, cat, operator, experiment_id, arm_id = setting
    clock = FakeClock()
    maker = Counting(clock, speed=60.0)
    first = Controller(db, cat, maker, holder="first", clock=clock, speed=60.0)
    run = runs.create_run(
        db,
        operator,
        cat,
        experiment_id,
        {
            "name": "restart",
            "arm_id": arm_id,
            "profile": [
                {
                    "device": "chamber-1",
                    "parameter": "temperature_c",
                    "value": 37,
                    "unit": "°C",
                    "at_h": 0,
                },
                {
                    "device": "chamber-1",
                    "parameter": "temperature_c",
                    "value": 30,
                    "unit": "°C",
                    "at_h": 4,
                },
            ],
        },
    )
    commands.submit(db, operator, cat, run.id, "start")
    _ticks(first, clock, 120)  # two model hours
    before = runs.get_run(db, run.id)
    od_before = telemetry.query(db, cat, run.id, "od600", max_points=None)
    dose_before = telemetry.query(db, cat, run.id, "dose_mgy", max_points=None)
    assert before.state == "running"
    assert 1.9 * 3600 <= before.profile_elapsed_s <= 2.1 * 3600

    # The controller dies (no clean release). A second one waits for the lease to lapse.
    second = Controller(db, cat, maker, holder="second", clock=clock, speed=60.0)
    second.step()
    with db.read() as s:
        assert set(s.scalars(select(DeviceRow.holder))) == {"first"}
    clock.t += devices.LEASE_S + 1
    _ticks(second, clock, 150)
    after = runs.get_run(db, run.id)
    assert after.state == "running"
    with db.read() as s:
        assert set(s.scalars(select(DeviceRow.holder))) == {"second"}
    # Profile time went on from where it was (plus the lease wait), not from zero.
    assert after.profile_elapsed_s > before.profile_elapsed_s + 2 * 3600
    # The culture and the dose went on: the new owner restored the simulators' state.
    od_after = telemetry.query(db, cat, run.id, "od600", max_points=None)
    assert od_after.total > od_before.total
    assert od_after.v[od_before.total] >= 0.9 * od_before.v[-1]
    dose_after = telemetry.query(db, cat, run.id, "dose_mgy", max_points=None)
    assert dose_after.v[dose_before.total] >= dose_before.v[-1]
    # One series, strictly increasing times: nothing written twice.
    assert (od_after.t[1:] > od_after.t[:-1]).all()
    # The 4 h profile step was applied once, by the new owner; start reached each device once.
    history = commands.list_commands(db, run.id)
    assert [c.value for c in history if c.source == "profile"] == [30.0, 37.0]
    assert sorted(maker.calls) == sorted((d, "start") for d in run.devices)


def test_a_command_sent_before_a_crash_is_not_sent_again(setting) -> None:  # type: ignore[no-untyped-def]
    db, cat, operator, experiment_id, _ = setting
    clock = FakeClock()
    maker = Counting(clock, speed=1.0)
    physical: dict[str, Device] = {}

    def same_hardware(spec: DeviceSpec) -> Device:
        # Real devices outlive the controller: the successor talks to the same ones (and,
        # not being simulators, they keep their own state: nothing is restored into them).
        if spec.device_id not in physical:
            physical[spec.device_id] = maker(spec)
        return Hardware(physical[spec.device_id])

    first = Controller(db, cat, same_hardware, holder="first", clock=clock)
    first.step()
    run = runs.create_run(db, operator, cat, experiment_id, {"name": "sent"})
    command = commands.submit(db, operator, cat, run.id, "start")

    class Crash(BaseException):
        pass

    def crash_after_the_devices_started(stage: str) -> None:
        if stage == commands.ACKNOWLEDGED:
            raise Crash

    real_stamp = commands.stamp

    def stamp(c: RunCommand, stage: str, *args: object, **kwargs: object) -> None:
        crash_after_the_devices_started(stage)
        real_stamp(c, stage, *args, **kwargs)  # type: ignore[arg-type]

    commands.stamp = stamp  # type: ignore[assignment]
    try:
        with pytest.raises(Crash):
            first.step()
    finally:
        commands.stamp = real_stamp  # type: ignore[assignment]
    assert next(c for c in commands.list_commands(db, run.id) if c.id == command.id).stage == "sent"
    calls = len(maker.calls)
    assert calls == 3  # every device got its start before the crash

    clock.t += devices.LEASE_S + 1
    second = Controller(db, cat, same_hardware, holder="second", clock=clock)
    _ticks(second, clock, 3)
    view = next(c for c in commands.list_commands(db, run.id) if c.id == command.id)
    assert view.stage == commands.VERIFIED
    assert len(maker.calls) == calls  # nothing started twice
    assert runs.get_run(db, run.id).state == "running"


def test_critical_temperature_pauses_the_run_and_turns_the_heater_off(setting) -> None:  # type: ignore[no-untyped-def]
    db, cat, operator, experiment_id, _ = setting
    clock = FakeClock()
    controller = Controller(db, cat, Counting(clock, 60.0), holder="one", clock=clock, speed=60.0)
    run = runs.create_run(
        db,
        operator,
        cat,
        experiment_id,
        {
            "name": "hot",
            "profile": [
                {
                    "device": "chamber-1",
                    "parameter": "temperature_c",
                    "value": 37,
                    "unit": "°C",
                    "at_h": 0,
                }
            ],
        },
    )
    commands.submit(db, operator, cat, run.id, "start")
    _ticks(controller, clock, 60)
    # A limit change at run time (itself a command) makes 37 °C critical.
    alarms.set_limits(
        db, operator, run.id, "temperature_c", {"warn_high": 30, "crit_high": 32, "debounce_n": 2}
    )
    _ticks(controller, clock, 4)
    assert runs.get_run(db, run.id).state == "paused"
    history = commands.list_commands(db, run.id)
    interlock = next(c for c in history if c.kind == "interlock")
    assert interlock.source == "interlock"
    assert "heater off" in interlock.detail
    assert any(c.kind == "limits" and c.requested_by == "op-one" for c in history)
    open_alarms = alarms.list_alarms(db, run_id=run.id)
    assert {(a.kind, a.severity) for a in open_alarms} >= {
        ("interlock", "critical"),
        ("limit", "critical"),
    }
    sample = controller.devices["chamber-1"].read()
    if "heater_enabled" in sample.values:
        assert sample.values["heater_enabled"] == 0
        assert sample.values["heater_pct"] == 0


# --- Modbus TCP: the real driver against the real server -----------------------------------


def _serve_modbus(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "hardware.modbus_sim", "--port", str(port), "--speed", "60"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert server.stdout is not None
    line = server.stdout.readline().decode()
    assert "serving SimChamber" in line, line
    return server


def _wait(condition: Callable[[], bool], timeout_s: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if condition():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout_s} s")


def test_modbus_link_loss_raises_an_alarm_and_recovers_by_itself(sqlite_db: Database) -> None:
    operator = make_user(sqlite_db, "op-modbus", Role.OPERATOR)
    experiment_id, _ = _experiment(sqlite_db)
    port = find_free_port()
    cat = devices.catalog(f"chamber-m=modbus+tcp://127.0.0.1:{port}/1?timeout=0.5")
    server = _serve_modbus(port)
    controller = Controller(sqlite_db, cat, lambda spec: make_device(spec), holder="modbus")
    stop = threading.Event()
    thread = threading.Thread(target=run_forever, args=(controller, 2.0, stop), daemon=True)
    thread.start()
    try:
        run = runs.create_run(sqlite_db, operator, cat, experiment_id, {"name": "modbus"})
        commands.submit(sqlite_db, operator, cat, run.id, "start")
        _wait(lambda: runs.get_run(sqlite_db, run.id).state == "running", 10)
        _wait(lambda: telemetry.query(sqlite_db, cat, run.id, "temperature_c").total >= 3, 10)

        alarms.set_limits(sqlite_db, operator, run.id, "temperature_c", {"stale_after_s": 2})
        server.send_signal(signal.SIGKILL)
        server.wait()
        killed = time.monotonic()

        def link_alarm() -> bool:
            return any(a.kind == "link" for a in alarms.list_alarms(sqlite_db, run_id=run.id))

        _wait(link_alarm, 5.0)
        assert time.monotonic() - killed <= 5.0
        assert runs.get_run(sqlite_db, run.id).is_link_lost
        assert thread.is_alive()
        # One alarm for a silent device, not one more per parameter beside it.
        time.sleep(3.0)
        kinds = [a.kind for a in alarms.list_alarms(sqlite_db, run_id=run.id)]
        assert kinds.count("link") == 1
        assert "stale" not in kinds

        server = _serve_modbus(port)
        count = telemetry.query(sqlite_db, cat, run.id, "temperature_c").total
        _wait(
            lambda: telemetry.query(sqlite_db, cat, run.id, "temperature_c").total > count + 2, 15
        )
        assert not runs.get_run(sqlite_db, run.id).is_link_lost
        link = [a for a in alarms.list_alarms(sqlite_db, run_id=run.id) if a.kind == "link"]
        assert link
        assert all(a.cleared_at is not None for a in link)
    finally:
        stop.set()
        thread.join(10)
        server.kill()
        server.wait()


def test_a_blip_shorter_than_the_debounce_is_not_link_lost(sqlite_db: Database) -> None:
    port = find_free_port()
    cat = devices.catalog(f"chamber-m=modbus+tcp://127.0.0.1:{port}/1?timeout=0.3")
    server = _serve_modbus(port)
    clock = FakeClock()
    controller = Controller(
        sqlite_db, cat, lambda spec: make_device(spec), holder="blip", clock=clock
    )
    try:
        _ticks(controller, clock, 2)
        server.kill()
        server.wait()
        _ticks(controller, clock, 2)  # two failed reads within two seconds: a blip
        assert devices.link_states(sqlite_db, ["chamber-m"]) != {"chamber-m": "lost"}
        server = _serve_modbus(port)
        _ticks(controller, clock, 1)
        assert devices.link_states(sqlite_db, ["chamber-m"]) == {"chamber-m": "ok"}
    finally:
        server.kill()
        server.wait()


def test_controllers_starting_together_both_survive_creating_the_device_rows(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both read "no rows" before either inserts (CI once lost a controller this way: the
    # second died on the duplicate key, and nobody was left to take over).
    both_read = threading.Barrier(2)
    real_scalars = Session.scalars

    def scalars_then_wait(self: Session, *args: object, **kwargs: object) -> object:
        rows = list(real_scalars(self, *args, **kwargs))  # type: ignore[arg-type]
        with contextlib.suppress(threading.BrokenBarrierError):  # the retry reads alone
            both_read.wait(timeout=2)
        return rows

    monkeypatch.setattr(Session, "scalars", scalars_then_wait)
    errors: list[Exception] = []

    def start() -> None:
        try:
            Controller(sqlite_db, devices.catalog(SIMS), make_device)
        except Exception as exc:  # noqa: BLE001 - the test reports whatever killed it
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.undo()
    assert errors == []
    with sqlite_db.read() as s:
        assert len(list(s.scalars(select(DeviceRow)))) == len(devices.catalog(SIMS).specs)


# --- two controller processes on PostgreSQL --------------------------------------------------


@pytest.mark.postgres
def test_two_controllers_never_share_a_device_and_a_survivor_takes_over(
    postgres_url: str, tmp_path: Path
) -> None:
    db = Database(postgres_url)
    db.upgrade()
    env = {
        **os.environ,
        "MICROSPACEGEN_DATABASE_URL": postgres_url,
        "MICROSPACEGEN_SECRET_KEY": "x" * 40,
        "MICROSPACEGEN_DEVICES": SIMS,
    }
    procs = []
    for name in ("a", "b"):
        log = (tmp_path / f"{name}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [sys.executable, "app.py", "controller", "--data-dir", str(tmp_path / name)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:

        def holders() -> dict[str, str | None]:
            with db.read() as s:
                return {r.device_id: r.holder for r in s.scalars(select(DeviceRow))}

        _wait(lambda: len(holders()) == 3 and all(holders().values()), 60)
        # Each device has one owner, and the logs agree: no device was taken by both.
        logs = [(tmp_path / f"{n}.log").read_text() for n in ("a", "b")]
        for device_id in holders():
            assert sum(f"controlling {device_id} " in text for text in logs) == 1
        owner_pid = int(next(iter(holders().values())).split(":")[1])  # type: ignore[union-attr]
        owner = next(p for p in procs if p.pid == owner_pid)
        survivor = next(p for p in procs if p.pid != owner_pid)
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        try:
            _wait(
                lambda: all(
                    h is not None and h.split(":")[1] == str(survivor.pid)
                    for h in holders().values()
                ),
                30,
            )
        except AssertionError:
            logs = [(tmp_path / f"{n}.log").read_text()[-3000:] for n in ("a", "b")]
            message = f"no takeover within 30 s: {holders()}\n" + "\n".join(logs)
            raise AssertionError(message) from None
    finally:
        for p in procs:
            p.kill()
            p.wait()
        db.dispose()


def test_a_parameter_that_stops_updating_raises_a_staleness_alarm(setting) -> None:  # type: ignore[no-untyped-def]
    db, cat, operator, experiment_id, _ = setting
    clock = FakeClock()
    silenced: set[str] = set()

    class Quiet(Hardware):
        def read(self) -> Sample:
            sample = super().read()
            values = {k: v for k, v in sample.values.items() if k not in silenced}
            return Sample(values, sample.state, sample.setpoints)

    controller = Controller(
        db, cat, lambda spec: Quiet(make_device(spec, clock=clock)), holder="q", clock=clock
    )
    run = runs.create_run(db, operator, cat, experiment_id, {"name": "quiet"})
    commands.submit(db, operator, cat, run.id, "start")
    alarms.set_limits(db, operator, run.id, "co2_pct", {"stale_after_s": 5})
    _ticks(controller, clock, 5)
    silenced.add("co2_pct")
    _ticks(controller, clock, 5)
    assert not [a for a in alarms.list_alarms(db, run_id=run.id) if a.kind == "stale"]
    _ticks(controller, clock, 2)  # now more than 5 s without a CO2 reading
    stale = [a for a in alarms.list_alarms(db, run_id=run.id) if a.kind == "stale"]
    assert [(a.parameter, a.severity, a.cleared_at) for a in stale] == [
        ("co2_pct", "warning", None)
    ]
    silenced.clear()
    _ticks(controller, clock, 1)
    (cleared,) = [a for a in alarms.list_alarms(db, run_id=run.id) if a.kind == "stale"]
    assert cleared.cleared_at is not None
    assert cleared.status == "cleared"  # still open until someone acknowledges it
    alarms.acknowledge(db, operator, cleared.id)
    assert not [a for a in alarms.list_alarms(db, run_id=run.id) if a.kind == "stale"]


def test_a_wall_clock_stepped_back_keeps_every_series_in_time_order(setting) -> None:  # type: ignore[no-untyped-def]
    db, cat, operator, experiment_id, _ = setting
    clock = FakeClock()
    controller = Controller(db, cat, Counting(clock, 60.0), holder="ntp", clock=clock, speed=60.0)
    run = runs.create_run(db, operator, cat, experiment_id, {"name": "clock"})
    commands.submit(db, operator, cat, run.id, "start")
    _ticks(controller, clock, 20)
    before = telemetry.query(db, cat, run.id, "od600", max_points=None).total
    clock.t -= 8.0  # NTP steps the clock back
    _ticks(controller, clock, 5)  # still before the newest sample: nothing recorded
    assert telemetry.query(db, cat, run.id, "od600", max_points=None).total == before
    _ticks(controller, clock, 10)  # past it again: recording resumes
    series = {
        n: telemetry.query(db, cat, run.id, n, max_points=None)
        for n in ("od600", "growth_rate_per_h", "temperature_c")
    }
    assert series["od600"].total > before
    for s in series.values():
        assert (s.t[1:] > s.t[:-1]).all()
    assert runs.get_run(db, run.id).state == "running"
