"""Commands to runs: validated before anything is sent, previewable as a dry run, recorded
with who, when, what and each stage reached.

Stages: ``awaiting_approval`` (irreversible: a second operator must approve) → ``queued`` →
``sent`` → ``acknowledged`` (the device accepted it) → ``verified`` (telemetry shows it took
effect), or ``failed`` / ``timed_out`` / ``rejected``. The web process writes ``queued``; only
the controller, which owns the devices, moves a command further.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dashboard.db import Database
from dashboard.models import DeviceRow, Run, RunCommand, RunDevice, RunProfileStep, utcnow

from . import audit, policy
from .actor import Actor
from .devices import Catalog
from .errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from .policy import Action
from .runs import (
    PLANNED,
    TRANSITIONS,
    RunView,
    check_transition,
    check_value,
    get_run,
    parse_profile,
    write_profile,
)

AWAITING_APPROVAL = "awaiting_approval"
QUEUED, SENT, ACKNOWLEDGED, VERIFIED = "queued", "sent", "acknowledged", "verified"
FAILED, TIMED_OUT, REJECTED = "failed", "timed_out", "rejected"
IN_FLIGHT = (QUEUED, SENT)  # the controller still has to act on these
FINISHED = (VERIFIED, FAILED, TIMED_OUT, REJECTED)
LIFECYCLE = tuple(TRANSITIONS)
KINDS = (*LIFECYCLE, "setpoint", "profile", "limits", "interlock")
# Always need a second operator, whatever the requester ticks.
IRREVERSIBLE_KINDS = frozenset({"abort"})
REASON_MAX = 300


@dataclass(frozen=True)
class CommandView:
    """A command and its history."""

    id: int
    run_id: int
    kind: str
    device_id: str | None
    parameter: str | None
    value: float | None
    unit: str | None
    args: Mapping[str, Any]
    source: str
    requested_by: str
    requested_at: datetime
    is_irreversible: bool
    approval: str
    approved_by: str | None
    stage: str
    stages: Mapping[str, str]
    detail: str


@dataclass(frozen=True)
class Preview:
    """What a dry run would send: nothing is recorded or sent."""

    run_id: int
    kind: str
    device_ids: tuple[str, ...]
    parameter: str | None
    value: float | None
    unit: str | None
    needs_approval: bool
    leads_to: str | None  # the run state after a lifecycle command
    summary: str


def view(c: RunCommand) -> CommandView:
    """The page's and API's view of a command row."""
    return CommandView(
        c.id,
        c.run_id,
        c.kind,
        c.device_id,
        c.parameter,
        c.value,
        c.unit,
        dict(c.args or {}),
        c.source,
        c.requested_by,
        c.requested_at,
        c.is_irreversible,
        c.approval,
        c.approved_by,
        c.stage,
        dict(c.stages or {}),
        c.detail,
    )


def stamp(c: RunCommand, stage: str, detail: str | None = None, at: datetime | None = None) -> None:
    """Move ``c`` to ``stage``, noting when."""
    c.stage = stage
    c.stages = {**(c.stages or {}), stage: (at or utcnow()).isoformat(timespec="milliseconds")}
    if detail is not None:
        c.detail = detail[:2000]


def lock_run(s: Session, run_id: int) -> Run | None:
    """The run, locked for this transaction: its first statement is a write, so on SQLite
    it takes the database's write lock before anything is read, and on PostgreSQL the
    row's lock. Checks made after it cannot race another request's (no two starts, no
    approval beside a rejection)."""
    s.execute(update(Run).where(Run.id == run_id).values(version=Run.version))
    return s.get(Run, run_id, populate_existing=True)


def _in_flight_lifecycle(s: Session, run_id: int) -> RunCommand | None:
    return s.scalars(
        select(RunCommand)
        .where(
            RunCommand.run_id == run_id,
            RunCommand.kind.in_(LIFECYCLE),
            RunCommand.stage.in_(IN_FLIGHT),
        )
        .limit(1)
    ).first()


@dataclass(frozen=True)
class _Checked:
    kind: str
    device_ids: tuple[str, ...]
    parameter: str | None
    value: float | None
    unit: str | None
    leads_to: str | None
    needs_approval: bool


def _check(
    s: Session,
    cat: Catalog,
    run: Run,
    kind: str,
    setpoint: Mapping[str, Any] | None,
    irreversible: bool,
) -> _Checked:
    """Everything that can be known before sending; raises what is wrong."""
    if kind not in (*LIFECYCLE, "setpoint"):
        raise ValidationFailed(
            f"Unknown command {kind!r}; one of: {', '.join((*LIFECYCLE, 'setpoint'))}.",
            field="kind",
        )
    bound = tuple(
        s.scalars(
            select(RunDevice.device_id)
            .where(RunDevice.run_id == run.id)
            .order_by(RunDevice.device_id)
        )
    )
    needs_approval = irreversible or kind in IRREVERSIBLE_KINDS
    if kind in LIFECYCLE:
        leads_to = check_transition(run.id, run.state, kind)
        pending = _in_flight_lifecycle(s, run.id)
        if pending is not None:
            raise Conflict(
                f"Run {run.id}: the {pending.kind} command #{pending.id} is still "
                f"{pending.stage}; wait for it to finish."
            )
        if kind == "start":
            # Serialise starts that share a device (PostgreSQL; SQLite is already serialised).
            s.execute(
                select(DeviceRow.device_id).where(DeviceRow.device_id.in_(bound)).with_for_update()
            )
            starting = s.execute(
                select(RunDevice.device_id, RunCommand.run_id)
                .join(RunCommand, RunCommand.run_id == RunDevice.run_id)
                .where(
                    RunDevice.device_id.in_(bound),
                    RunCommand.kind == "start",
                    RunCommand.stage.in_((AWAITING_APPROVAL, *IN_FLIGHT)),
                    RunCommand.run_id != run.id,
                )
            ).first()
            if starting is not None:
                raise Conflict(
                    f"Device {starting[0]} is being started for run {starting[1]}; wait for that."
                )
            busy = s.execute(
                select(RunDevice.device_id, Run.id)
                .join(Run, Run.id == RunDevice.run_id)
                .where(
                    RunDevice.device_id.in_(bound),
                    Run.state.in_(("running", "paused")),
                    Run.id != run.id,
                )
            ).first()
            if busy is not None:
                raise Conflict(f"Device {busy[0]} is in use by run {busy[1]}; stop that run first.")
        return _Checked(kind, bound, None, None, None, leads_to, needs_approval)
    if run.state not in ("running", "paused"):
        raise Conflict(
            f"Run {run.id} is {run.state}: setpoints go to a running or paused run"
            + ("; edit the profile of a planned run instead." if run.state == PLANNED else ".")
        )
    sp = dict(setpoint or {})
    device_id = str(sp.get("device") or "")
    if device_id and device_id not in bound and device_id in cat.specs:
        raise ValidationFailed(
            f"Device {device_id} is not bound to run {run.id}; bound: {', '.join(bound)}.",
            field="device",
        )
    value = check_value(
        cat, device_id, str(sp.get("parameter") or ""), sp.get("value"), sp.get("unit"), "setpoint"
    )
    p = cat.parameter(device_id, str(sp.get("parameter")))
    return _Checked(kind, (device_id,), p.name, value, p.unit, None, needs_approval)


def _summary(run_id: int, c: _Checked) -> str:
    if c.kind == "setpoint":
        return f"Set {c.parameter} of {c.device_ids[0]} to {c.value:g} {c.unit} in run {run_id}."
    return (
        f"{c.kind.capitalize()} run {run_id} on {', '.join(c.device_ids)}: it becomes {c.leads_to}."
    )


def submit(
    db: Database,
    actor: Actor,
    cat: Catalog,
    run_id: int,
    kind: str,
    *,
    setpoint: Mapping[str, Any] | None = None,
    irreversible: bool = False,
    dry_run: bool = False,
) -> CommandView | Preview:
    """Validate a command and queue it for the controller (or only preview it).

    A refusal for lack of role is audited; an accepted command is audited and recorded in
    the run's command history in one transaction.
    """
    policy.authorize(
        db, actor, Action.RUN_COMMAND, target=("run", run_id), audit_as=f"run.{kind}"[:40]
    )
    with db.begin() as s:
        run = lock_run(s, run_id)
        if run is None:
            raise NotFound(f"No run with id {run_id}.")
        checked = _check(s, cat, run, kind, setpoint, irreversible)
        if dry_run:
            return Preview(
                run_id,
                kind,
                checked.device_ids,
                checked.parameter,
                checked.value,
                checked.unit,
                checked.needs_approval,
                checked.leads_to,
                _summary(run_id, checked),
            )
        command = new_command(
            run_id,
            kind,
            source="user",
            requested_by=actor.username,
            requested_by_id=actor.user_id,
            at=utcnow(),
            device_id=checked.device_ids[0] if kind == "setpoint" else None,
            parameter=checked.parameter,
            value=checked.value,
            unit=checked.unit,
            args={"devices": list(checked.device_ids)},
            needs_approval=checked.needs_approval,
        )
        stamp(
            command,
            AWAITING_APPROVAL if checked.needs_approval else QUEUED,
            _summary(run_id, checked),
        )
        s.add(command)
        s.flush()
        audit.add(
            s,
            actor,
            f"run.{kind}",
            target_type="run",
            target_id=run_id,
            detail={
                "command_id": command.id,
                "parameter": checked.parameter,
                "value": checked.value,
                "unit": checked.unit,
                "needs_approval": checked.needs_approval,
            },
        )
        return view(command)


def _pending(s: Session, command_id: int) -> RunCommand:
    # A write first (see lock_run): of an approval and a rejection at once, the second
    # waits for the first and then finds the command no longer awaiting approval.
    s.execute(update(RunCommand).where(RunCommand.id == command_id).values(stage=RunCommand.stage))
    command = s.get(RunCommand, command_id, populate_existing=True)
    if command is None:
        raise NotFound(f"No command with id {command_id}.")
    if command.stage != AWAITING_APPROVAL:
        raise Conflict(f"Command {command_id} is {command.stage}, not awaiting approval.")
    return command


def approve(db: Database, actor: Actor, cat: Catalog, command_id: int) -> CommandView:
    """Approve an irreversible command as the second operator (never the requester)."""
    policy.authorize(db, actor, Action.COMMAND_APPROVE, target=("command", command_id))
    with db.begin() as s:
        command = _pending(s, command_id)
        same_person = (
            command.requested_by_id is not None and command.requested_by_id == actor.user_id
        ) or command.requested_by == actor.username
        if same_person:
            audit.add(
                s,
                actor,
                "command.approve",
                "denied",
                target_type="command",
                target_id=command_id,
                detail={"reason": "own command"},
            )
            denied = PermissionDenied(
                f"Command {command_id} was requested by {command.requested_by}: a second "
                "operator must approve it."
            )
        else:
            run = lock_run(s, command.run_id)
            assert run is not None  # noqa: S101 - a command's run is deleted only with it
            # The run may have moved since the request: check again before it is queued.
            setpoint = {
                "device": command.device_id,
                "parameter": command.parameter,
                "value": command.value,
                "unit": command.unit,
            }
            _check(
                s, cat, run, command.kind, setpoint if command.kind == "setpoint" else None, True
            )
            command.approval = "approved"
            command.approved_by = actor.username[:64]
            command.approved_at = utcnow()
            stamp(command, QUEUED)
            audit.add(
                s,
                actor,
                "command.approve",
                target_type="command",
                target_id=command_id,
                detail={"run_id": command.run_id, "kind": command.kind},
            )
            return view(command)
    raise denied


def reject(db: Database, actor: Actor, command_id: int, reason: str = "") -> CommandView:
    """Refuse an irreversible command awaiting approval (the requester may withdraw it)."""
    policy.authorize(db, actor, Action.COMMAND_APPROVE, target=("command", command_id))
    with db.begin() as s:
        command = _pending(s, command_id)
        command.approval = "rejected"
        command.approved_by = actor.username[:64]
        command.approved_at = utcnow()
        stamp(
            command, REJECTED, f"rejected by {actor.username}: {reason[:REASON_MAX]}".rstrip(": ")
        )
        audit.add(
            s,
            actor,
            "command.reject",
            target_type="command",
            target_id=command_id,
            detail={"reason": reason[:REASON_MAX]},
        )
        return view(command)


def list_commands(db: Database, run_id: int, *, limit: int = 500) -> list[CommandView]:
    """A run's command history, newest first (any logged-in user may look)."""
    with db.read() as s:
        if s.get(Run, run_id) is None:
            raise NotFound(f"No run with id {run_id}.")
        rows = s.scalars(
            select(RunCommand)
            .where(RunCommand.run_id == run_id)
            .order_by(RunCommand.id.desc())
            .limit(limit)
        )
        return [view(c) for c in rows]


def awaiting_approval(db: Database, *, run_id: int | None = None) -> list[CommandView]:
    """Commands waiting for a second operator."""
    with db.read() as s:
        query = (
            select(RunCommand).where(RunCommand.stage == AWAITING_APPROVAL).order_by(RunCommand.id)
        )
        if run_id is not None:
            query = query.where(RunCommand.run_id == run_id)
        return [view(c) for c in s.scalars(query)]


def new_command(
    run_id: int,
    kind: str,
    *,
    source: str,
    requested_by: str,
    at: datetime,
    args: Mapping[str, Any],
    requested_by_id: int | None = None,
    device_id: str | None = None,
    parameter: str | None = None,
    value: float | None = None,
    unit: str | None = None,
    needs_approval: bool = False,
) -> RunCommand:
    """A command row before its first stage (the caller stamps and adds it)."""
    return RunCommand(
        run_id=run_id,
        kind=kind,
        device_id=device_id,
        parameter=parameter,
        value=value,
        unit=unit,
        args=dict(args),
        source=source,
        requested_by=requested_by[:64],
        requested_by_id=requested_by_id,
        requested_at=at,
        is_irreversible=needs_approval,
        approval="pending" if needs_approval else "not_needed",
        stage="",
        stages={},
        detail="",
    )


def queue_setpoint(
    s: Session,
    run_id: int,
    device_id: str,
    parameter: str,
    value: float,
    unit: str,
    *,
    source: str,
    args: Mapping[str, Any],
    detail: str,
    at: datetime,
) -> RunCommand:
    """Queue a setpoint the controller decided itself (a profile step, the arm's gravity),
    in the caller's transaction."""
    command = new_command(
        run_id,
        "setpoint",
        source=source,
        requested_by=source,
        at=at,
        args={"devices": [device_id], **dict(args)},
        device_id=device_id,
        parameter=parameter,
        value=value,
        unit=unit,
    )
    stamp(command, QUEUED, detail, at=at)
    s.add(command)
    return command


def record_applied(
    s: Session,
    actor: Actor,
    run_id: int,
    kind: str,
    *,
    args: Mapping[str, Any],
    detail: str,
    source: str = "user",
    parameter: str | None = None,
    device_id: str | None = None,
    value: float | None = None,
    unit: str | None = None,
    at: datetime | None = None,
) -> RunCommand:
    """Record a command that took effect in the database itself (profile, limits,
    interlock), in the caller's transaction, audited."""
    now = at or utcnow()
    command = new_command(
        run_id,
        kind,
        source=source,
        requested_by=actor.username,
        requested_by_id=actor.user_id,
        at=now,
        device_id=device_id,
        parameter=parameter,
        value=value,
        unit=unit,
        args=args,
    )
    for stage in (QUEUED, SENT, ACKNOWLEDGED):
        stamp(command, stage, at=now)
    stamp(command, VERIFIED, detail, at=now)
    s.add(command)
    s.flush()
    audit.add(
        s,
        actor,
        f"run.{kind}",
        target_type="run",
        target_id=run_id,
        detail={"command_id": command.id, **dict(args)},
    )
    return command


def update_profile(db: Database, actor: Actor, cat: Catalog, run_id: int, raw: object) -> RunView:
    """Replace a planned run's profile (recorded in its command history and audited)."""
    policy.authorize(db, actor, Action.RUN_CREATE, target=("run", run_id))
    with db.begin() as s:
        run = lock_run(s, run_id)
        if run is None:
            raise NotFound(f"No run with id {run_id}.")
        if run.state != PLANNED:
            raise Conflict(
                f"Run {run_id} is {run.state}: its profile can be edited only before it starts."
            )
        pending = _in_flight_lifecycle(s, run_id)
        if pending is not None:
            raise Conflict(
                f"Run {run_id} has a {pending.kind} command in flight (#{pending.id}): its "
                "profile can no longer change."
            )
        device_ids = list(s.scalars(select(RunDevice.device_id).where(RunDevice.run_id == run_id)))
        profile = parse_profile(cat, device_ids, raw)
        for old in s.scalars(select(RunProfileStep).where(RunProfileStep.run_id == run_id)):
            s.delete(old)
        s.flush()
        write_profile(s, run_id, profile)
        run.version += 1
        steps = [
            {
                "device": p.device_id,
                "parameter": p.parameter,
                "value": p.value,
                "unit": p.unit,
                "at_h": p.at_h,
            }
            for p in profile
        ]
        record_applied(
            s,
            actor,
            run_id,
            "profile",
            args={"steps": steps},
            detail=f"{len(profile)} steps saved; applied from the start",
        )
    return get_run(db, run_id)
