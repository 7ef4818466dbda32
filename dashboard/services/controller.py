"""The hardware controller: the one process that talks to devices.

It runs as ``python app.py controller`` (``serve`` starts one beside itself), never in the
web server's request threads. Each tick (``MICROSPACEGEN_TELEMETRY_HZ``, 1 Hz by default) it

1. takes or renews a lease on each configured device in the database: exactly one
   controller owns a device at a time, and a survivor takes a dead owner's devices over when
   its lease lapses (:data:`devices.LEASE_S`);
2. reads every device it owns, debouncing link loss (:data:`LINK_LOST_AFTER_S`);
3. carries out queued commands (which web processes wrote to the database), marking each
   stage, and verifies setpoints against telemetry;
4. applies profile steps, records telemetry, checks limits and staleness, raises and clears
   alarms, and pauses a run whose temperature turns critical (an interlock).

Everything a restarted controller needs is in the database: run states, command stages
(``sent`` commands are checked against the device before being sent again), profile time,
open telemetry chunks and a simulator's model state.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from analysis.growth import LiveGrowthRate
from dashboard.db import Database
from dashboard.models import (
    DeviceRow,
    ExperimentArm,
    Run,
    RunCommand,
    RunDevice,
    RunLimit,
    RunProfileStep,
    TelemetryChunk,
)
from hardware.factory import DeviceSpec
from hardware.protocol import Device, DeviceError, DeviceState, LinkError, Sample, Simulated

from . import alarms, commands, telemetry
from .actor import Actor, Role
from .alarms import CRITICAL, INTERLOCK_PARAMETER, Debouncer, level, limits_of
from .devices import Catalog, lease_deadline
from .runs import ACTIVE, TRANSITIONS

READ_DEADLINE_S = 0.5  # how long a tick waits for its devices' readings
LINK_LOST_AFTER_S = 3.0  # failing this long (and at least twice) is "link lost", not a blip
QUEUED_TIMEOUT_S = 60.0  # a queued command no owner of its devices picked up fails
MIN_VERIFY_S = 5.0
GROWTH_PARAMETER = "od600"
# Device state each lifecycle command should leave a device in.
DEVICE_STATE_AFTER = {
    "start": DeviceState.RUNNING,
    "pause": DeviceState.PAUSED,
    "resume": DeviceState.RUNNING,
    "stop": DeviceState.IDLE,
    "abort": DeviceState.IDLE,
}
CONTROLLER = Actor(None, "controller", frozenset({Role.ADMIN}), None, "controller")
log = logging.getLogger("microspacegen.controller")


@runtime_checkable
class GravityCoupled(Protocol):
    """A simulated culture whose growth depends on the gravity level it sits in."""

    def set_gravity(self, g: float) -> None:
        """Tell the model the gravity level (g)."""


def _connect_and_read(device: Device, connect: bool) -> Sample:
    if connect:
        device.connect()
    return device.read()


def holder_name() -> str:
    """This process's name in leases: host, process id and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"[:128]


@dataclass
class _Link:
    failures: int = 0
    first_failure: float | None = None
    state: str = "unknown"
    error: str | None = None
    connected: bool = False


@dataclass
class _RunMemory:
    """What the controller keeps per active run between ticks."""

    growth: LiveGrowthRate | None = None
    last_sample: dict[str, float] = field(default_factory=dict)
    applied_steps: set[int] = field(default_factory=set)
    # The newest sample time written: a wall clock stepped back must not write out of order.
    last_written: float = -math.inf
    loaded: bool = False


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _at(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class Controller:
    """Owns devices by lease and runs their runs; call :meth:`step` once a tick."""

    def __init__(
        self,
        db: Database,
        cat: Catalog,
        make_device: Callable[[DeviceSpec], Device],
        *,
        holder: str | None = None,
        clock: Callable[[], float] = time.time,
        speed: float = 1.0,
    ) -> None:
        self.db = db
        self.cat = cat
        self.make_device = make_device
        self.holder = holder or holder_name()
        self.clock = clock
        self.speed = speed
        self.devices: dict[str, Device] = {}
        self.links: dict[str, _Link] = {}
        self.writer = telemetry.TelemetryWriter()
        self.debounce = Debouncer()
        self.runs: dict[int, _RunMemory] = {}
        self.last_tick: float | None = None
        self.read_deadline_s = READ_DEADLINE_S
        self._io = ThreadPoolExecutor(
            max_workers=max(2, len(cat.specs)), thread_name_prefix="device"
        )
        self._reading: dict[str, Future[Sample]] = {}
        self._ensure_rows()

    # --- leases -------------------------------------------------------------------------------

    def _ensure_rows(self) -> None:
        """Give every configured device its row. Two controllers starting together may both
        find a row missing; the one whose insert loses sees the winner's row on a retry
        (rather than dying on the duplicate key and leaving nobody to take over)."""
        for attempt in range(3):
            try:
                with self.db.begin() as s:
                    known = set(s.scalars(select(DeviceRow.device_id)))
                    for device_id, spec in self.cat.specs.items():
                        if device_id not in known:
                            s.add(
                                DeviceRow(
                                    device_id=device_id,
                                    kind=spec.kind,
                                    url=spec.url,
                                    link_state="unknown",
                                    failures=0,
                                )
                            )
                return
            except IntegrityError:
                if attempt == 2:
                    raise

    def _claim(self, now: datetime) -> set[str]:
        """Take or renew the lease of every configured device that is free or ours."""
        owned: set[str] = set()
        with self.db.begin() as s:
            for device_id in self.cat.specs:
                got = s.execute(
                    update(DeviceRow)
                    .where(
                        DeviceRow.device_id == device_id,
                        or_(
                            DeviceRow.holder == self.holder,
                            DeviceRow.holder.is_(None),
                            DeviceRow.lease_expires_at.is_(None),
                            DeviceRow.lease_expires_at < now,
                        ),
                    )
                    .values(holder=self.holder, lease_expires_at=lease_deadline(now))
                    .returning(DeviceRow.snapshot)
                ).first()
                if got is None:
                    continue
                owned.add(device_id)
                if device_id not in self.devices:
                    self._adopt(device_id, got[0])
        for device_id in [d for d in self.devices if d not in owned]:
            log.warning("lost the lease of %s to another controller", device_id)
            self._drop(device_id)
        return owned

    def _adopt(self, device_id: str, snapshot: Mapping[str, object] | None) -> None:
        device = self.make_device(self.cat.specs[device_id])
        if snapshot and isinstance(device, Simulated):
            device.restore(snapshot)
        self.devices[device_id] = device
        self.links[device_id] = _Link()
        log.info("controlling %s (%s)", device_id, self.cat.specs[device_id].url)

    def _drop(self, device_id: str) -> None:
        self._reading.pop(device_id, None)  # a read still hanging is left to finish alone
        device = self.devices.pop(device_id, None)
        self.links.pop(device_id, None)
        if device is not None:
            device.disconnect()
        self.runs.clear()  # reloaded from the database for what is still ours

    def release(self) -> None:
        """Give every lease back (a clean shutdown: a successor need not wait)."""
        with self.db.begin() as s:
            s.execute(
                update(DeviceRow)
                .where(DeviceRow.holder == self.holder)
                .values(holder=None, lease_expires_at=None)
            )
        for device_id in list(self.devices):
            self._drop(device_id)
        self._io.shutdown(wait=False, cancel_futures=True)

    # --- reading ------------------------------------------------------------------------------

    def _read_all(self, owned: set[str], t: float) -> dict[str, Sample | None]:
        """Read every owned device at once, each in its own thread, waiting at most
        :attr:`read_deadline_s`: a device that hangs costs a failed read, not the tick of
        every other device (a read still running is not started again, and commands wait
        for it)."""
        for device_id in sorted(owned):
            if device_id not in self._reading:
                connect = not self.links[device_id].connected
                self._reading[device_id] = self._io.submit(
                    _connect_and_read, self.devices[device_id], connect
                )
        wait([self._reading[d] for d in owned], timeout=self.read_deadline_s)
        samples: dict[str, Sample | None] = {}
        for device_id in sorted(owned):
            future = self._reading[device_id]
            samples[device_id] = None
            if not future.done():
                self._failed(device_id, t, f"no answer within {self.read_deadline_s:g} s")
                continue
            del self._reading[device_id]
            try:
                sample = future.result()
            except (LinkError, DeviceError, OSError) as exc:
                self.links[device_id].connected = False
                self._failed(device_id, t, str(exc)[:500] or type(exc).__name__)
                continue
            except Exception as exc:  # a driver's bug is that device's failure, not ours
                log.exception("reading %s failed", device_id)
                self.links[device_id].connected = False
                self._failed(device_id, t, f"{type(exc).__name__}: {exc}"[:500])
                continue
            link = self.links[device_id]
            link.connected, link.failures, link.first_failure, link.error = True, 0, None, None
            link.state = "ok"
            samples[device_id] = sample
        return samples

    def _failed(self, device_id: str, t: float, error: str) -> None:
        link = self.links[device_id]
        link.failures += 1
        link.first_failure = link.first_failure if link.first_failure is not None else t
        link.error = error
        if link.failures >= 2 and t - link.first_failure >= LINK_LOST_AFTER_S:
            link.state = "lost"

    @property
    def busy(self) -> set[str]:
        """Devices whose last read has not come back (nothing else is sent to them)."""
        return set(self._reading)

    # --- one tick -----------------------------------------------------------------------------

    def _now(self) -> datetime:
        """The current tick's time (the controller's clock, for every stage it stamps)."""
        return _at(self.last_tick if self.last_tick is not None else self.clock())

    def step(self) -> None:
        """One control cycle: leases, reads, commands, profiles, telemetry, limits."""
        t = self.clock()
        now = _at(t)
        dt = 0.0 if self.last_tick is None else max(0.0, t - self.last_tick)
        self.last_tick = t
        owned = self._claim(now)
        if not owned:
            return
        with self.db.read() as s:
            active = self._active_runs(s, owned)
        self._couple_gravity(active)
        samples = self._read_all(owned, t)
        self._run_commands(owned - self.busy, samples, t)
        with self.db.read() as s:
            active = self._active_runs(s, owned)
        self._profiles(active, owned, dt, t)
        self._record(active, owned, samples, t)

    def _active_runs(self, s: Session, owned: set[str]) -> dict[int, tuple[Run, dict[str, str]]]:
        """Running and paused runs whose devices are all ours: id → (run, device → kind)."""
        result: dict[int, tuple[Run, dict[str, str]]] = {}
        for run in s.scalars(select(Run).where(Run.state.in_(ACTIVE))):
            bound = {
                d.device_id: d.kind
                for d in s.scalars(select(RunDevice).where(RunDevice.run_id == run.id))
            }
            if bound and set(bound) <= owned:
                s.expunge(run)
                result[run.id] = (run, bound)
        for run_id in [r for r in self.runs if r not in result]:
            self._forget_run(run_id)
        return result

    def _forget_run(self, run_id: int) -> None:
        self.runs.pop(run_id, None)
        self.writer.forget(run_id)
        for key in [k for k in self.debounce.active if k[0] == run_id]:
            self.debounce.forget(key)

    def _couple_gravity(self, active: Mapping[int, tuple[Run, dict[str, str]]]) -> None:
        """A simulated culture feels its run's centrifuge, or else its arm's gravity."""
        with self.db.read() as s:
            latest = {r.device_id: (r.latest or {}) for r in s.scalars(select(DeviceRow))}
            for run, bound in active.values():
                g = None
                for device_id, kind in bound.items():
                    if kind == "centrifuge" and "g_level" in latest.get(device_id, {}):
                        g = float(latest[device_id]["g_level"])
                if g is None and run.arm_id is not None:
                    arm = s.get(ExperimentArm, run.arm_id)
                    g = arm.gravity_g if arm is not None else None
                for device_id in bound:
                    device = self.devices.get(device_id)
                    if (
                        g is not None
                        and device_id not in self._reading
                        and isinstance(device, GravityCoupled)
                    ):
                        device.set_gravity(g)

    # --- commands -----------------------------------------------------------------------------

    def _run_commands(
        self, owned: set[str], samples: Mapping[str, Sample | None], t: float
    ) -> None:
        with self.db.read() as s:
            pending = list(
                s.scalars(
                    select(RunCommand)
                    .where(
                        RunCommand.stage.in_(
                            (commands.QUEUED, commands.SENT, commands.ACKNOWLEDGED)
                        )
                    )
                    .order_by(RunCommand.id)
                )
            )
            for c in pending:
                s.expunge(c)
        for command in pending:
            targets = list(
                command.args.get("devices") or ([command.device_id] if command.device_id else [])
            )
            if not targets or not set(targets) <= owned:
                if (
                    command.stage == commands.QUEUED
                    and t - command.requested_at.timestamp() > QUEUED_TIMEOUT_S
                ):
                    self._finish(
                        command.id,
                        commands.FAILED,
                        "no controller owns its devices; nothing was sent",
                    )
                continue
            try:
                if command.stage == commands.ACKNOWLEDGED:
                    self._verify(command, samples, t)
                elif command.kind in TRANSITIONS:
                    self._lifecycle(command, targets, samples, t)
                elif command.kind == "setpoint":
                    self._setpoint(command, samples, t)
            except Exception:  # one bad command must not stop the others or the telemetry
                log.exception("command %s failed", command.id)
                self._finish(
                    command.id,
                    commands.FAILED,
                    "the controller failed to carry it out (see its log)",
                )

    def _finish(self, command_id: int, stage: str, detail: str) -> None:
        with self.db.begin() as s:
            c = s.get(RunCommand, command_id)
            if c is not None and c.stage not in commands.FINISHED:
                commands.stamp(c, stage, detail, at=self._now())

    def _mark_sent(self, command_id: int) -> bool:
        """Move a queued command to sent, before anything goes to a device (restart safety)."""
        with self.db.begin() as s:
            c = s.get(RunCommand, command_id, with_for_update=True)
            if c is None or c.stage not in (commands.QUEUED, commands.SENT):
                return False
            if c.stage == commands.QUEUED:
                commands.stamp(c, commands.SENT, at=self._now())
            return True

    def _lifecycle(
        self,
        command: RunCommand,
        targets: list[str],
        samples: Mapping[str, Sample | None],
        t: float,
    ) -> None:
        with self.db.read() as s:
            run = s.get(Run, command.run_id)
            state = run.state if run else None
        if state is None:
            return
        sources, target_state = TRANSITIONS[command.kind]
        if state not in sources:
            self._finish(
                command.id, commands.FAILED, f"run is {state} now: {command.kind} no longer applies"
            )
            return
        if not self._mark_sent(command.id):
            return
        wanted = DEVICE_STATE_AFTER[command.kind]
        errors = []
        for device_id in targets:
            sample = samples.get(device_id)
            # A command sent before a restart may have reached the device: do not repeat it.
            if command.stage == commands.SENT and sample is not None and sample.state == wanted:
                continue
            try:
                getattr(
                    self.devices[device_id], command.kind if command.kind != "abort" else "stop"
                )()
            except (LinkError, DeviceError, OSError) as exc:
                errors.append(f"{device_id}: {exc}")
        if errors:
            self._finish(command.id, commands.FAILED, "; ".join(errors)[:2000])
            return
        with self.db.begin() as s:
            c = s.get(RunCommand, command.id, with_for_update=True)
            run = s.get(Run, command.run_id, with_for_update=True)
            if c is None or run is None:
                return
            commands.stamp(
                c,
                commands.ACKNOWLEDGED,
                f"{', '.join(targets)} accepted {command.kind}",
                at=_at(t),
            )
            c.verify_by = _at(t + MIN_VERIFY_S * 2)
            run.state = target_state
            run.version += 1
            if command.kind == "start":
                run.started_at = _at(t)
                run.sim_speed = self._speed_for(targets)
                run.profile_elapsed_s = 0.0
                self._hold_arm_gravity(s, run, targets, t)
            if target_state in ("completed", "aborted"):
                run.ended_at = _at(t)
                self.writer.close_run(s, run.id)
                for alarm_kind in ("limit", "stale", "link"):
                    for device_id in targets:
                        for parameter in {
                            None,
                            *[p.name for p in self.cat.capabilities[device_id].parameters],
                            *telemetry.DERIVED,
                        }:
                            alarms.clear_alarm(
                                s,
                                run_id=run.id,
                                device_id=device_id,
                                parameter=parameter,
                                kind=alarm_kind,
                            )
        if target_state in ("completed", "aborted"):
            self._forget_run(command.run_id)

    def _hold_arm_gravity(self, s: Session, run: Run, targets: list[str], t: float) -> None:
        """A run with a centrifuge holds its arm's gravity level from the start (0 g on orbit,
        1 g for the ground control), unless its profile sets the g-level at hour 0."""
        centrifuge = next((d for d in targets if self.cat.specs[d].kind == "centrifuge"), None)
        arm = s.get(ExperimentArm, run.arm_id) if run.arm_id is not None else None
        if centrifuge is None or arm is None:
            return
        if s.scalars(
            select(RunProfileStep).where(
                RunProfileStep.run_id == run.id,
                RunProfileStep.device_id == centrifuge,
                RunProfileStep.parameter == "g_level",
                RunProfileStep.at_s == 0,
            )
        ).first():
            return
        p = self.cat.parameter(centrifuge, "g_level")
        if not p.minimum <= arm.gravity_g <= p.maximum:
            log.warning("run %s: arm gravity %s g is beyond the centrifuge", run.id, arm.gravity_g)
            return
        commands.queue_setpoint(
            s,
            run.id,
            centrifuge,
            "g_level",
            arm.gravity_g,
            p.unit,
            source="controller",
            args={"arm_id": arm.id},
            detail=f"hold the gravity of arm {arm.name!r}",
            at=_at(t),
        )

    def _speed_for(self, device_ids: list[str]) -> float:
        is_sim = all(
            self.cat.specs[d].kind and self.cat.specs[d].url.startswith("sim://")
            for d in device_ids
        )
        return self.speed if is_sim else 1.0

    def _setpoint(
        self, command: RunCommand, samples: Mapping[str, Sample | None], t: float
    ) -> None:
        if command.device_id is None or command.parameter is None or command.value is None:
            self._finish(command.id, commands.FAILED, "a setpoint needs a device and a value")
            return
        with self.db.read() as s:
            run = s.get(Run, command.run_id)
            state = run.state if run else None
        if state not in ACTIVE:
            self._finish(
                command.id,
                commands.FAILED,
                f"run is {state} now: setpoints go to a running or paused run",
            )
            return
        if not self._mark_sent(command.id):
            return
        try:
            self.devices[command.device_id].apply(command.parameter, command.value)
        except (LinkError, DeviceError, OSError) as exc:
            self._finish(command.id, commands.FAILED, f"{command.device_id}: {exc}"[:2000])
            return
        p = self.cat.parameter(command.device_id, command.parameter)
        speed = run.sim_speed if run else 1.0
        with self.db.begin() as s:
            c = s.get(RunCommand, command.id, with_for_update=True)
            if c is None:
                return
            commands.stamp(
                c,
                commands.ACKNOWLEDGED,
                f"{command.device_id} accepted {command.parameter} = {command.value:g} {p.unit}",
                at=_at(t),
            )
            c.verify_by = _at(t + max(MIN_VERIFY_S, p.settle_s / max(speed, 1e-9)))

    def _verify(self, command: RunCommand, samples: Mapping[str, Sample | None], t: float) -> None:
        deadline = command.verify_by.timestamp() if command.verify_by else t
        if command.kind == "setpoint":
            if command.device_id is None or command.parameter is None or command.value is None:
                return
            sample = samples.get(command.device_id)
            p = self.cat.parameter(command.device_id, command.parameter)
            reading = sample.values.get(command.parameter) if sample else None
            if reading is not None and abs(reading - command.value) <= p.tolerance:
                self._finish(
                    command.id,
                    commands.VERIFIED,
                    f"read {reading:.4g} {p.unit}, within ±{p.tolerance:g} of {command.value:g}",
                )
                return
            if t > deadline:
                seen = "no reading" if reading is None else f"last read {reading:.4g} {p.unit}"
                self._finish(
                    command.id,
                    commands.TIMED_OUT,
                    f"did not reach {command.value:g} ±{p.tolerance:g} {p.unit} in time ({seen})",
                )
            return
        wanted = DEVICE_STATE_AFTER.get(command.kind)
        targets = list(command.args.get("devices") or [])
        states = {d: samples[d].state for d in targets if samples.get(d) is not None}  # type: ignore[union-attr]
        if (
            wanted is not None
            and len(states) == len(targets)
            and all(st == wanted for st in states.values())
        ):
            self._finish(command.id, commands.VERIFIED, f"every device reports {wanted.value}")
        elif t > deadline:
            self._finish(
                command.id,
                commands.TIMED_OUT,
                "devices report "
                + (", ".join(f"{d} {st.value}" for d, st in states.items()) or "nothing"),
            )

    # --- profiles -----------------------------------------------------------------------------

    def _memory(self, run_id: int) -> _RunMemory:
        memory = self.runs.get(run_id)
        if memory is None:
            memory = self.runs[run_id] = _RunMemory()
        if not memory.loaded:
            with self.db.read() as s:
                for args in s.scalars(
                    select(RunCommand.args).where(
                        RunCommand.run_id == run_id, RunCommand.source == "profile"
                    )
                ):
                    if isinstance(args, dict) and isinstance(args.get("step"), int):
                        memory.applied_steps.add(args["step"])
                newest = s.scalar(
                    select(func.max(TelemetryChunk.t1)).where(TelemetryChunk.run_id == run_id)
                )
                memory.last_written = -math.inf if newest is None else float(newest)
            memory.loaded = True
        return memory

    def _profiles(
        self, active: Mapping[int, tuple[Run, dict[str, str]]], owned: set[str], dt: float, t: float
    ) -> None:
        for run_id in active:
            memory = self._memory(run_id)
            with self.db.begin() as s:
                row = s.get(Run, run_id, with_for_update=True)
                if row is None or row.state not in ACTIVE:
                    continue
                if row.state == "running":
                    row.profile_elapsed_s += dt * row.sim_speed
                elapsed = row.profile_elapsed_s
                steps = list(
                    s.scalars(
                        select(RunProfileStep)
                        .where(RunProfileStep.run_id == run_id)
                        .order_by(RunProfileStep.at_s, RunProfileStep.position)
                    )
                )
                current: dict[tuple[str, str], RunProfileStep] = {}
                for step in steps:
                    if step.at_s <= elapsed:
                        current[(step.device_id, step.parameter)] = step
                for step in current.values():
                    if step.position in memory.applied_steps or step.device_id not in owned:
                        continue
                    memory.applied_steps.add(step.position)
                    commands.queue_setpoint(
                        s,
                        run_id,
                        step.device_id,
                        step.parameter,
                        step.value,
                        step.unit,
                        source="profile",
                        args={"step": step.position, "at_h": step.at_s / 3600},
                        detail=f"profile step {step.position + 1} at hour {step.at_s / 3600:g}",
                        at=_at(t),
                    )

    # --- telemetry, limits, alarms ------------------------------------------------------------

    def _record(
        self,
        active: Mapping[int, tuple[Run, dict[str, str]]],
        owned: set[str],
        samples: Mapping[str, Sample | None],
        t: float,
    ) -> None:
        now = _at(t)
        interlocks: list[tuple[int, str, float]] = []
        with self.db.begin() as s:
            # Fencing: write only for devices whose lease is still ours.
            still = set(
                s.scalars(
                    select(DeviceRow.device_id)
                    .where(DeviceRow.holder == self.holder, DeviceRow.lease_expires_at > now)
                    .with_for_update()
                )
            )
            for device_id in owned & still:
                self._save_device(s, device_id, samples.get(device_id), t)
            for run, bound in active.values():
                if not set(bound) <= still:
                    continue
                interlocks += self._record_run(s, run, bound, samples, t)
        for run_id, device_id, value in interlocks:
            self._interlock(run_id, device_id, value, t)

    def _save_device(self, s: Session, device_id: str, sample: Sample | None, t: float) -> None:
        row = s.get(DeviceRow, device_id)
        if row is None:
            return
        link = self.links[device_id]
        row.link_state = link.state
        row.failures = link.failures
        row.last_error = link.error
        if sample is not None:
            row.last_seen_at = _at(t)
            row.device_state = sample.state.value
            row.latest = {**{k: float(v) for k, v in sample.values.items()}, "t": t}
        device = self.devices[device_id]
        if isinstance(device, Simulated):
            row.snapshot = device.snapshot()

    def _record_run(
        self,
        s: Session,
        run: Run,
        bound: Mapping[str, str],
        samples: Mapping[str, Sample | None],
        t: float,
    ) -> list[tuple[int, str, float]]:
        memory = self._memory(run.id)
        limits = {
            r.parameter: limits_of(r)
            for r in s.scalars(select(RunLimit).where(RunLimit.run_id == run.id))
        }
        interlocks: list[tuple[int, str, float]] = []
        started = _epoch(run.started_at) or t
        if t <= started + 1e-3:  # (started_at is stored to the microsecond)
            # Read before the devices started (the start tick): not the run's data.
            return interlocks
        for device_id in bound:
            link = self.links[device_id]
            if link.state == "lost":
                alarms.raise_alarm(
                    s,
                    run_id=run.id,
                    device_id=device_id,
                    parameter=None,
                    kind="link",
                    severity=CRITICAL,
                    message=f"{device_id} does not answer: {link.error or 'no reply'}",
                )
            elif link.state == "ok":
                alarms.clear_alarm(
                    s, run_id=run.id, device_id=device_id, parameter=None, kind="link"
                )
            sample = samples.get(device_id)
            values = dict(sample.values) if sample is not None else {}
            if t <= memory.last_written:
                # The wall clock stepped back: keep controlling, but record nothing until it
                # passes the newest sample again (series stay in time order).
                log.warning(
                    "run %s: clock at %s, before its newest sample; not recorded", run.id, t
                )
                values = {}
            if values and GROWTH_PARAMETER in values:
                rate = self._growth(
                    memory, s, run, (t - started) * run.sim_speed / 3600.0, values[GROWTH_PARAMETER]
                )
                if rate is not None:
                    values["growth_rate_per_h"] = rate
            if values:
                self.writer.append(s, run.id, device_id, t, values)
            for parameter, value in values.items():
                memory.last_sample[parameter] = t
                lim = limits.get(parameter)
                if lim is None:
                    continue
                observed, side = level(lim, value)
                change = self.debounce.update((run.id, parameter), observed, lim.debounce_n)
                if change is False:
                    continue
                if change is None:
                    alarms.clear_alarm(
                        s, run_id=run.id, device_id=device_id, parameter=parameter, kind="limit"
                    )
                    continue
                label, unit = telemetry.unit_of(self.cat, [device_id], parameter)
                bound_value = getattr(lim, f"{'crit' if change == CRITICAL else 'warn'}_{side}")
                alarms.raise_alarm(
                    s,
                    run_id=run.id,
                    device_id=device_id,
                    parameter=parameter,
                    kind="limit",
                    severity=str(change),
                    message=f"{label} {value:.4g} {unit} is "
                    f"{'above' if side == 'high' else 'below'} "
                    f"the {change} limit {bound_value:g} {unit}",
                    value=value,
                )
                if (
                    change == CRITICAL
                    and parameter == INTERLOCK_PARAMETER
                    and run.state == "running"
                ):
                    interlocks.append((run.id, device_id, value))
            # Staleness: a parameter a device that answers stopped reporting. A silent device
            # gets its link alarm (after the debounce); an alarm per parameter beside it would
            # only bury it.
            if link.failures:
                continue
            for parameter, lim in limits.items():
                if parameter not in {p.name for p in self.cat.capabilities[device_id].parameters}:
                    continue
                last = memory.last_sample.get(parameter, started if run.started_at else t)
                if alarms.is_stale(last, t, lim.stale_after_s):
                    alarms.raise_alarm(
                        s,
                        run_id=run.id,
                        device_id=device_id,
                        parameter=parameter,
                        kind="stale",
                        severity=alarms.WARNING,
                        message=f"{parameter} has not updated for {t - last:.0f} s "
                        f"(limit {lim.stale_after_s:g} s)",
                    )
                elif parameter in values:
                    alarms.clear_alarm(
                        s, run_id=run.id, device_id=device_id, parameter=parameter, kind="stale"
                    )
        memory.last_written = max(memory.last_written, t)
        return interlocks

    def _growth(
        self, memory: _RunMemory, s: Session, run: Run, t_h: float, od: float
    ) -> float | None:
        if memory.growth is None:
            t_hist, od_hist = telemetry.read_series(s, run.id, GROWTH_PARAMETER, None, None)
            started = _epoch(run.started_at) or 0.0
            memory.growth = (
                LiveGrowthRate.from_history((t_hist - started) * run.sim_speed / 3600.0, od_hist)
                if len(t_hist)
                else LiveGrowthRate()
            )
        try:
            rate = memory.growth.update(t_h, od)
        except ValueError:  # out of order (a stepped clock): start the estimate afresh
            memory.growth = LiveGrowthRate()
            return None
        return None if rate is None or not math.isfinite(rate) else float(rate)

    def _interlock(self, run_id: int, device_id: str, value: float, t: float) -> None:
        """Critical temperature: heater off, run paused, both in the command log."""
        errors = []
        device = self.devices.get(device_id)
        try:
            if device is not None:
                if any(p.name == "heater_enabled" for p in device.capabilities.parameters):
                    device.apply("heater_enabled", 0.0)
                device.pause()
        except (LinkError, DeviceError, OSError) as exc:
            errors.append(str(exc))
        with self.db.begin() as s:
            run = s.get(Run, run_id, with_for_update=True)
            if run is None:
                return
            paused = run.state == "running" and not errors
            if paused:
                run.state = "paused"
                run.version += 1
            commands.record_applied(
                s,
                CONTROLLER,
                run_id,
                "interlock",
                at=_at(t),
                source="interlock",
                device_id=device_id,
                parameter=INTERLOCK_PARAMETER,
                value=value,
                unit="°C",
                args={
                    "devices": [device_id],
                    "temperature_c": value,
                    "heater": "off",
                    "run": "paused" if paused else run.state,
                },
                detail=(
                    f"critical temperature {value:.2f} °C: heater off, run paused"
                    if not errors
                    else f"critical temperature {value:.2f} °C: interlock failed: "
                    + "; ".join(errors)
                ),
            )
            alarms.raise_alarm(
                s,
                run_id=run_id,
                device_id=device_id,
                parameter=INTERLOCK_PARAMETER,
                kind="interlock",
                severity=CRITICAL,
                message=f"Interlock: temperature {value:.2f} °C is critical; heater off, "
                "run paused",
                value=value,
            )


def run_forever(controller: Controller, hz: float, stop: threading.Event) -> None:
    """Tick at ``hz`` until ``stop`` is set; a failing tick is logged and retried."""
    period = 1.0 / hz
    controller.read_deadline_s = min(controller.read_deadline_s, period / 2)
    next_at = time.monotonic()
    try:
        while not stop.is_set():
            try:
                controller.step()
            except Exception:  # the database may be briefly away; devices may misbehave
                log.exception("controller tick failed; trying again")
            next_at += period
            delay = next_at - time.monotonic()
            if delay < 0:  # fell behind (a slow device): skip ticks rather than burst
                next_at = time.monotonic()
                delay = 0
            stop.wait(delay)
    finally:
        try:
            controller.release()
        except Exception:
            log.exception("could not release the device leases; they lapse in %s s", 10)
