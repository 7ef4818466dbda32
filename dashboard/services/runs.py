"""Runs on culture hardware: plan, bind devices, carry a setpoint profile, move through
planned → running ⇄ paused → completed | aborted.

The web process only records what was asked (:mod:`.commands`); the controller
(:mod:`.controller`) talks to the devices and moves a run's state once they acknowledge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import func, select

from dashboard.db import Database
from dashboard.models import (
    Alarm,
    Experiment,
    ExperimentArm,
    Run,
    RunDevice,
    RunLimit,
    RunProfileStep,
)

from . import audit, policy
from .actor import Actor
from .devices import Catalog, link_states
from .errors import Conflict, FieldErrors, NotFound, ValidationFailed
from .policy import Action
from .text import finite_number, plain_text

PLANNED, RUNNING, PAUSED, COMPLETED, ABORTED = (
    "planned",
    "running",
    "paused",
    "completed",
    "aborted",
)
STATES = (PLANNED, RUNNING, PAUSED, COMPLETED, ABORTED)
ACTIVE = (RUNNING, PAUSED)  # the controller samples and controls these
FINAL = (COMPLETED, ABORTED)
# Lifecycle command → (states it may start from, the state it leads to).
TRANSITIONS: Mapping[str, tuple[tuple[str, ...], str]] = {
    "start": ((PLANNED,), RUNNING),
    "pause": ((RUNNING,), PAUSED),
    "resume": ((PAUSED,), RUNNING),
    "stop": ((RUNNING, PAUSED), COMPLETED),
    "abort": ((PLANNED, RUNNING, PAUSED), ABORTED),
}
NAME_MAX = 120
PROFILE_MAX_STEPS = 200
PROFILE_MAX_H = 24 * 366


def check_transition(run_id: int, state: str, command: str) -> str:
    """The state ``command`` leads to from ``state``, or a :class:`Conflict` saying why not.

    >>> check_transition(1, "planned", "start")
    'running'
    >>> check_transition(1, "completed", "pause")
    Traceback (most recent call last):
    ...
    dashboard.services.errors.Conflict: Run 1 is completed: pause works only on a running run.
    """
    sources, target = TRANSITIONS[command]
    if state not in sources:
        allowed = " or ".join(sources)
        raise Conflict(f"Run {run_id} is {state}: {command} works only on a {allowed} run.")
    return target


@dataclass(frozen=True)
class ProfileStep:
    """Hold ``parameter`` of ``device_id`` at ``value`` from ``at_h`` hours of profile time."""

    device_id: str
    parameter: str
    value: float
    unit: str
    at_h: float


@dataclass(frozen=True)
class LimitView:
    """A parameter's alarm limits in a run."""

    parameter: str
    warn_low: float | None
    warn_high: float | None
    crit_low: float | None
    crit_high: float | None
    debounce_n: int
    stale_after_s: float


@dataclass(frozen=True)
class RunView:
    """A run as pages and the API show it."""

    id: int
    experiment_id: int
    experiment_name: str
    arm_id: int | None
    arm_name: str | None
    arm_gravity_g: float | None
    name: str
    state: str
    devices: Mapping[str, str]  # device id → kind
    link: Mapping[str, str]  # device id → link state
    is_link_lost: bool
    open_alarms: int
    created_by: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    profile_elapsed_s: float
    sim_speed: float
    profile: tuple[ProfileStep, ...]
    limits: tuple[LimitView, ...]


def check_value(
    cat: Catalog, device_id: str, parameter: str, raw_value: object, unit: object, field: str
) -> float:
    """A setpoint's value, checked against the parameter's range and unit.

    Raises :class:`ValidationFailed` (HTTP 422) naming the device, the parameter, the range
    and the unit, so nothing out of range is ever sent.
    """
    if device_id not in cat.specs:
        raise ValidationFailed(
            f"No device {device_id!r}; configured: {', '.join(cat.ids())}.", field=f"{field}.device"
        )
    try:
        p = cat.parameter(device_id, parameter)
    except KeyError:
        writable = [q.name for q in cat.capabilities[device_id].parameters if q.is_writable]
        raise ValidationFailed(
            f"{device_id} has no parameter {parameter!r}; writable: {', '.join(writable)}.",
            field=f"{field}.parameter",
        ) from None
    if not p.is_writable:
        raise ValidationFailed(f"{p.name} of {device_id} is read-only.", field=f"{field}.parameter")
    value = finite_number(raw_value, p.label, field=f"{field}.value")
    unit_text = "" if unit is None else unit
    if not isinstance(unit_text, str) or (unit_text != p.unit and unit_text not in p.unit_aliases):
        raise ValidationFailed(
            f"{p.label} is set in {p.unit or 'no unit'!s}, not {unit_text!r}"
            f"{' (unit missing)' if unit is None else ''}.",
            field=f"{field}.unit",
        )
    if not p.minimum <= value <= p.maximum:
        raise ValidationFailed(
            f"{p.label} must be between {p.minimum:g} and {p.maximum:g} {p.unit}; got {value:g}.",
            field=f"{field}.value",
        )
    if p.resolution >= 1.0 and value != round(value):
        # An on/off parameter (light_on, heater_enabled): the device refuses anything between.
        raise ValidationFailed(
            f"{p.label} takes whole steps of {p.resolution:g} from {p.minimum:g} to "
            f"{p.maximum:g}; got {value:g}.",
            field=f"{field}.value",
        )
    return value


def parse_profile(cat: Catalog, device_ids: Sequence[str], raw: object) -> list[ProfileStep]:
    """Profile steps from JSON: ``[{"device", "parameter", "value", "unit", "at_h"}]``."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValidationFailed("The profile must be a list of steps.", field="profile")
    if len(raw) > PROFILE_MAX_STEPS:
        raise ValidationFailed(f"A profile has at most {PROFILE_MAX_STEPS} steps.", field="profile")
    found = FieldErrors()
    steps: list[ProfileStep] = []
    seen: set[tuple[str, str, float]] = set()
    for i, item in enumerate(raw):
        field = f"profile[{i}]"
        if not isinstance(item, dict):
            found.add(
                field, f"Step {i + 1} must be an object with device, parameter, value, unit, at_h."
            )
            continue
        device_id = str(item.get("device") or "")
        if device_id not in device_ids:
            found.add(
                f"{field}.device", f"Step {i + 1}: device {device_id!r} is not bound to this run."
            )
            continue
        parameter = str(item.get("parameter") or "")
        value = found.check(
            partial(
                check_value, cat, device_id, parameter, item.get("value"), item.get("unit"), field
            ),
            math.nan,
        )
        at_h = found.check(
            partial(finite_number, item.get("at_h", 0), "Start hour", field=f"{field}.at_h"),
            math.nan,
        )
        if not math.isnan(at_h) and not 0 <= at_h <= PROFILE_MAX_H:
            found.add(
                f"{field}.at_h",
                f"Step {i + 1}: the start hour must be between 0 and {PROFILE_MAX_H}.",
            )
            continue
        if math.isnan(value) or math.isnan(at_h):
            continue
        key = (device_id, parameter, at_h)
        if key in seen:
            found.add(
                f"{field}.at_h", f"Step {i + 1}: {parameter} already has a step at hour {at_h:g}."
            )
            continue
        seen.add(key)
        unit = cat.parameter(device_id, parameter).unit
        steps.append(ProfileStep(device_id, parameter, value, unit, at_h))
    found.raise_if_any()
    return sorted(steps, key=lambda s: (s.at_h, s.device_id, s.parameter))


def _default_limits(cat: Catalog, device_ids: Sequence[str]) -> list[RunLimit]:
    limits = []
    for device_id in device_ids:
        for p in cat.capabilities[device_id].parameters:
            if p.is_readable:
                limits.append(
                    RunLimit(
                        parameter=p.name,
                        warn_low=p.warn_low,
                        warn_high=p.warn_high,
                        crit_low=p.crit_low,
                        crit_high=p.crit_high,
                        debounce_n=3,
                        stale_after_s=p.stale_after_s,
                    )
                )
    return limits


def create_run(
    db: Database, actor: Actor, cat: Catalog, experiment_id: int, data: Mapping[str, Any]
) -> RunView:
    """Plan a run of an experiment on devices (default: one of each configured kind)."""
    policy.authorize(db, actor, Action.RUN_CREATE, target=("experiment", experiment_id))
    found = FieldErrors()
    name = found.check(
        lambda: plain_text(
            data.get("name"), "Name", NAME_MAX, field="name", required=True, multiline=False
        ),
        "",
    )
    raw_devices = data.get("devices")
    if raw_devices is None or raw_devices == []:
        device_ids = cat.default_ids()
    elif not isinstance(raw_devices, list) or not all(isinstance(d, str) for d in raw_devices):
        found.add("devices", "Devices must be a list of device ids.")
        device_ids = []
    else:
        device_ids = list(dict.fromkeys(raw_devices))
        unknown = [d for d in device_ids if d not in cat.specs]
        if unknown:
            found.add(
                "devices", f"Unknown device {unknown[0]!r}; configured: {', '.join(cat.ids())}."
            )
        kinds = [cat.specs[d].kind for d in device_ids if d in cat.specs]
        if len(kinds) != len(set(kinds)):
            found.add("devices", "A run binds at most one device of each kind.")
    profile: list[ProfileStep] = found.check(
        partial(parse_profile, cat, device_ids, data.get("profile")), []
    )
    arm_id = data.get("arm_id")
    if arm_id is not None and (isinstance(arm_id, bool) or not isinstance(arm_id, int)):
        found.add("arm_id", "arm_id must be the id of one of the experiment's arms.")
    found.raise_if_any()
    with db.begin() as s:
        experiment = s.get(Experiment, experiment_id)
        if experiment is None:
            raise NotFound(f"No experiment with id {experiment_id}.")
        if arm_id is not None:
            arm = s.get(ExperimentArm, arm_id)
            if arm is None or arm.experiment_id != experiment_id:
                raise ValidationFailed(
                    f"Experiment {experiment_id} has no arm {arm_id}.", field="arm_id"
                )
        run = Run(
            experiment_id=experiment_id,
            arm_id=arm_id,
            name=name,
            state=PLANNED,
            created_by_id=actor.user_id,
            created_by=actor.username[:64],
            profile_elapsed_s=0.0,
            sim_speed=1.0,
        )
        s.add(run)
        s.flush()
        for device_id in device_ids:
            s.add(RunDevice(run_id=run.id, device_id=device_id, kind=cat.specs[device_id].kind))
        write_profile(s, run.id, profile)
        for limit in _default_limits(cat, device_ids):
            limit.run_id = run.id
            s.add(limit)
        audit.add(
            s,
            actor,
            Action.RUN_CREATE.value,
            target_type="run",
            target_id=run.id,
            detail={
                "experiment_id": experiment_id,
                "arm_id": arm_id,
                "name": name,
                "devices": device_ids,
                "profile_steps": len(profile),
            },
        )
        run_id = run.id
    return get_run(db, run_id)


def write_profile(s: Any, run_id: int, profile: Sequence[ProfileStep]) -> None:
    for position, step in enumerate(profile):
        s.add(
            RunProfileStep(
                run_id=run_id,
                position=position,
                device_id=step.device_id,
                parameter=step.parameter,
                value=step.value,
                unit=step.unit,
                at_s=step.at_h * 3600.0,
            )
        )


def _view(s: Any, run: Run, link: Mapping[str, str] | None = None) -> RunView:
    experiment = s.get(Experiment, run.experiment_id)
    arm = s.get(ExperimentArm, run.arm_id) if run.arm_id is not None else None
    devices = {
        d.device_id: d.kind
        for d in s.scalars(
            select(RunDevice).where(RunDevice.run_id == run.id).order_by(RunDevice.device_id)
        )
    }
    steps = s.scalars(
        select(RunProfileStep)
        .where(RunProfileStep.run_id == run.id)
        .order_by(RunProfileStep.position)
    )
    limits = s.scalars(
        select(RunLimit).where(RunLimit.run_id == run.id).order_by(RunLimit.parameter)
    )
    open_alarms = s.scalar(
        select(func.count())
        .select_from(Alarm)
        .where(Alarm.run_id == run.id, (Alarm.cleared_at.is_(None)) | (Alarm.acked_at.is_(None)))
    )
    link = dict(link or {})
    return RunView(
        id=run.id,
        experiment_id=run.experiment_id,
        experiment_name=experiment.name if experiment else "?",
        arm_id=run.arm_id,
        arm_name=arm.name if arm else None,
        arm_gravity_g=arm.gravity_g if arm else None,
        name=run.name,
        state=run.state,
        devices=devices,
        link={d: link.get(d, "unknown") for d in devices},
        is_link_lost=run.state in ACTIVE and any(link.get(d) == "lost" for d in devices),
        open_alarms=int(open_alarms or 0),
        created_by=run.created_by,
        created_at=run.created_at,
        started_at=run.started_at,
        ended_at=run.ended_at,
        profile_elapsed_s=run.profile_elapsed_s,
        sim_speed=run.sim_speed,
        profile=tuple(
            ProfileStep(p.device_id, p.parameter, p.value, p.unit, p.at_s / 3600.0) for p in steps
        ),
        limits=tuple(
            LimitView(
                lim.parameter,
                lim.warn_low,
                lim.warn_high,
                lim.crit_low,
                lim.crit_high,
                lim.debounce_n,
                lim.stale_after_s,
            )
            for lim in limits
        ),
    )


def get_run(db: Database, run_id: int) -> RunView:
    """One run or :class:`NotFound` (any logged-in user may look)."""
    with db.read() as s:
        run = s.get(Run, run_id)
        if run is None:
            raise NotFound(f"No run with id {run_id}.")
        device_ids = list(s.scalars(select(RunDevice.device_id).where(RunDevice.run_id == run_id)))
    link = link_states(db, device_ids)
    with db.read() as s:
        run = s.get(Run, run_id)
        if run is None:
            raise NotFound(f"No run with id {run_id}.")
        return _view(s, run, link)


def list_runs(
    db: Database, *, experiment_id: int | None = None, state: str | None = None, limit: int = 200
) -> list[RunView]:
    """Runs, newest first."""
    with db.read() as s:
        query = select(Run).order_by(Run.id.desc()).limit(limit)
        if experiment_id is not None:
            query = query.where(Run.experiment_id == experiment_id)
        if state is not None:
            query = query.where(Run.state == state)
        runs = list(s.scalars(query))
        ids = {
            d
            for r in runs
            for d in s.scalars(select(RunDevice.device_id).where(RunDevice.run_id == r.id))
        }
    link = link_states(db, ids)
    with db.read() as s:
        fresh = (s.get(Run, r.id) for r in runs)
        return [_view(s, run, link) for run in fresh if run is not None]


def can_operate(actor: Actor) -> bool:
    """Whether ``actor`` may command runs (for showing the buttons)."""
    return policy.allows(actor, Action.RUN_COMMAND)
