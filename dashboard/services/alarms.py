"""Limits and alarms: debounced limit checks, staleness, link loss, interlocks; acknowledge
and shelve with expiry; limit changes at run time as audited commands.

An alarm is *active* while its condition holds and *open* until it has both cleared and been
acknowledged, so a blip nobody saw still waits for someone to see it (as in Yamcs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dashboard.db import Database
from dashboard.models import Alarm, Run, RunLimit, utcnow
from dashboard.observability import metrics
from hardware.parameters import CHAMBER_PARAMETERS

from . import audit, policy
from .actor import Actor
from .commands import record_applied
from .errors import Conflict, NotFound, ValidationFailed
from .policy import Action
from .text import finite_number

WARNING, CRITICAL = "warning", "critical"
# A critical reading of this parameter trips the interlock (heater off, run paused).
INTERLOCK_PARAMETER = "temperature_c"
SEVERITY_RANK = {None: 0, WARNING: 1, CRITICAL: 2}
SHELVE_MAX_MIN = 24 * 60
DEBOUNCE_MAX = 100
STALE_MAX_S = 86_400.0


@dataclass(frozen=True)
class Limits:
    """Warning and critical bounds of one parameter (None: no bound)."""

    warn_low: float | None = None
    warn_high: float | None = None
    crit_low: float | None = None
    crit_high: float | None = None
    debounce_n: int = 3
    stale_after_s: float = 10.0


def level(limits: Limits, value: float) -> tuple[str | None, str]:
    """The severity ``value`` breaches (None when within limits) and on which side.

    >>> level(Limits(warn_high=40, crit_high=44), 41.0)
    ('warning', 'high')
    >>> level(Limits(warn_high=40, crit_high=44), 45.0)
    ('critical', 'high')
    >>> level(Limits(warn_low=4), 5.0)
    (None, '')
    """
    if limits.crit_low is not None and value < limits.crit_low:
        return CRITICAL, "low"
    if limits.crit_high is not None and value > limits.crit_high:
        return CRITICAL, "high"
    if limits.warn_low is not None and value < limits.warn_low:
        return WARNING, "low"
    if limits.warn_high is not None and value > limits.warn_high:
        return WARNING, "high"
    return None, ""


class Debouncer:
    """Changes an alarm level only after ``n`` consecutive samples agree (a blip is not an
    alarm, and one good sample does not clear one)."""

    def __init__(self) -> None:
        self.active: dict[Any, str | None] = {}
        self._candidate: dict[Any, tuple[str | None, int]] = {}

    def update(self, key: Any, observed: str | None, n: int) -> str | bool | None:
        """Feed one sample's level; return the new level when it changes, else ``False``."""
        current = self.active.get(key)
        if observed == current:
            self._candidate.pop(key, None)
            return False
        candidate, count = self._candidate.get(key, (observed, 0))
        count = count + 1 if candidate == observed else 1
        if count >= max(1, n):
            self.active[key] = observed
            self._candidate.pop(key, None)
            return observed
        self._candidate[key] = (observed, count)
        return False

    def forget(self, key: Any) -> None:
        """Drop the state of ``key`` (its run ended)."""
        self.active.pop(key, None)
        self._candidate.pop(key, None)


def is_stale(last_t: float | None, now_t: float, stale_after_s: float) -> bool:
    """Whether a series last updated at ``last_t`` has gone stale by ``now_t``."""
    return last_t is None or now_t - last_t > stale_after_s


# --- rows -------------------------------------------------------------------------------------


def _active(
    s: Session, run_id: int | None, device_id: str, parameter: str | None, kind: str
) -> Alarm | None:
    query = select(Alarm).where(
        Alarm.device_id == device_id,
        Alarm.kind == kind,
        Alarm.cleared_at.is_(None),
        Alarm.run_id.is_(None) if run_id is None else Alarm.run_id == run_id,
        Alarm.parameter.is_(None) if parameter is None else Alarm.parameter == parameter,
    )
    return s.scalars(query.order_by(Alarm.id.desc()).limit(1)).first()


def raise_alarm(
    s: Session,
    *,
    run_id: int | None,
    device_id: str,
    parameter: str | None,
    kind: str,
    severity: str,
    message: str,
    value: float | None = None,
) -> tuple[Alarm, bool]:
    """Raise an alarm, or raise the severity of the same active one; return it and whether
    it is new or escalated (worth an interlock check)."""
    alarm = _active(s, run_id, device_id, parameter, kind)
    if alarm is None:
        alarm = Alarm(
            run_id=run_id,
            device_id=device_id,
            parameter=parameter,
            kind=kind,
            severity=severity,
            message=message[:300],
            value=value,
            raised_at=utcnow(),
        )
        s.add(alarm)
        s.flush()
        metrics.ALARMS_RAISED.labels(kind, severity).inc()
        return alarm, True
    changed = SEVERITY_RANK[severity] > SEVERITY_RANK[alarm.severity]
    if changed:
        metrics.ALARMS_RAISED.labels(kind, severity).inc()
        # A worse condition needs a new acknowledgement.
        alarm.severity = severity
        alarm.acked_at = None
        alarm.acked_by = None
    alarm.message = message[:300]
    alarm.value = value
    return alarm, changed


def clear_alarm(
    s: Session, *, run_id: int | None, device_id: str, parameter: str | None, kind: str
) -> Alarm | None:
    """Mark the active alarm of this condition cleared (it stays open until acknowledged)."""
    alarm = _active(s, run_id, device_id, parameter, kind)
    if alarm is not None:
        alarm.cleared_at = utcnow()
    return alarm


# --- what people see and do -------------------------------------------------------------------


@dataclass(frozen=True)
class AlarmView:
    """An alarm with its status in words."""

    id: int
    run_id: int | None
    device_id: str
    parameter: str | None
    kind: str
    severity: str
    message: str
    value: float | None
    raised_at: datetime
    cleared_at: datetime | None
    acked_by: str | None
    acked_at: datetime | None
    shelved_by: str | None
    shelved_until: datetime | None
    status: str  # active, acknowledged, cleared (unacknowledged), shelved, closed

    @property
    def is_open(self) -> bool:
        return self.status != "closed"


def _status(a: Alarm, now: datetime) -> str:
    if a.cleared_at is not None and a.acked_at is not None:
        return "closed"
    if a.shelved_until is not None and a.shelved_until > now:
        return "shelved"
    if a.cleared_at is not None:
        return "cleared"
    return "acknowledged" if a.acked_at is not None else "active"


def _view(a: Alarm, now: datetime) -> AlarmView:
    return AlarmView(
        a.id,
        a.run_id,
        a.device_id,
        a.parameter,
        a.kind,
        a.severity,
        a.message,
        a.value,
        a.raised_at,
        a.cleared_at,
        a.acked_by,
        a.acked_at,
        a.shelved_by,
        a.shelved_until,
        _status(a, now),
    )


def list_alarms(
    db: Database, *, run_id: int | None = None, include_closed: bool = False, limit: int = 500
) -> list[AlarmView]:
    """Alarms, newest first: open ones (incl. shelved), or all with ``include_closed``."""
    with db.read() as s:
        query = select(Alarm).order_by(Alarm.id.desc()).limit(limit)
        if run_id is not None:
            query = query.where(Alarm.run_id == run_id)
        if not include_closed:
            query = query.where(or_(Alarm.cleared_at.is_(None), Alarm.acked_at.is_(None)))
        now = utcnow()
        return [_view(a, now) for a in s.scalars(query)]


def _open_alarm(s: Session, alarm_id: int) -> Alarm:
    alarm = s.get(Alarm, alarm_id, with_for_update=True)
    if alarm is None:
        raise NotFound(f"No alarm with id {alarm_id}.")
    return alarm


def acknowledge(db: Database, actor: Actor, alarm_id: int, note: str = "") -> AlarmView:
    """Acknowledge an alarm (audited)."""
    policy.authorize(db, actor, Action.ALARM_ACK, target=("alarm", alarm_id))
    with db.begin() as s:
        alarm = _open_alarm(s, alarm_id)
        if alarm.acked_at is not None:
            raise Conflict(f"Alarm {alarm_id} was acknowledged by {alarm.acked_by} already.")
        alarm.acked_at = utcnow()
        alarm.acked_by = actor.username[:64]
        audit.add(
            s,
            actor,
            "alarm.ack",
            target_type="alarm",
            target_id=alarm_id,
            detail={
                "run_id": alarm.run_id,
                "kind": alarm.kind,
                "severity": alarm.severity,
                "note": note[:300],
            },
        )
        return _view(alarm, utcnow())


def shelve(db: Database, actor: Actor, alarm_id: int, minutes: object) -> AlarmView:
    """Hide an alarm until ``minutes`` from now (at most a day; 0 unshelves; audited)."""
    policy.authorize(db, actor, Action.ALARM_ACK, target=("alarm", alarm_id))
    try:
        duration = float(minutes)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationFailed("minutes must be a number.", field="minutes") from None
    if not math.isfinite(duration) or not 0 <= duration <= SHELVE_MAX_MIN:
        raise ValidationFailed(f"Shelve for 0 to {SHELVE_MAX_MIN} minutes.", field="minutes")
    with db.begin() as s:
        alarm = _open_alarm(s, alarm_id)
        until = utcnow() + timedelta(minutes=duration) if duration else None
        alarm.shelved_until = until
        alarm.shelved_by = actor.username[:64] if until else None
        audit.add(
            s,
            actor,
            "alarm.shelve",
            target_type="alarm",
            target_id=alarm_id,
            detail={"minutes": duration, "until": until.isoformat() if until else None},
        )
        return _view(alarm, utcnow())


def _bound(raw: Mapping[str, Any], name: str, default: float | None) -> float | None:
    """A bound from ``raw``: absent keeps ``default``, null or empty removes it."""
    if name not in raw:
        return default
    value = raw[name]
    if value is None or value == "":
        return None
    return finite_number(value, name, field=name)


def check_limits(
    raw: Mapping[str, Any], old: Limits, envelope: tuple[float, float] | None = None
) -> Limits:
    """New limits from ``raw`` over ``old``: ordered crit_low ≤ warn_low < warn_high ≤ crit_high.

    With ``envelope`` (the interlock's parameter), both critical limits must stay set and
    within it: one operator may tighten what trips the interlock, never switch it off.
    """
    new = Limits(
        warn_low=_bound(raw, "warn_low", old.warn_low),
        warn_high=_bound(raw, "warn_high", old.warn_high),
        crit_low=_bound(raw, "crit_low", old.crit_low),
        crit_high=_bound(raw, "crit_high", old.crit_high),
        debounce_n=old.debounce_n,
        stale_after_s=old.stale_after_s,
    )
    if "debounce_n" in raw:
        n = _bound(raw, "debounce_n", None)
        if n is None or n != int(n) or not 1 <= n <= DEBOUNCE_MAX:
            raise ValidationFailed(
                f"debounce_n must be a whole number from 1 to {DEBOUNCE_MAX}.", field="debounce_n"
            )
        new = Limits(
            new.warn_low, new.warn_high, new.crit_low, new.crit_high, int(n), new.stale_after_s
        )
    if "stale_after_s" in raw:
        st = _bound(raw, "stale_after_s", None)
        if st is None or not 1 <= st <= STALE_MAX_S:
            raise ValidationFailed(
                f"stale_after_s must be from 1 to {STALE_MAX_S:g}.", field="stale_after_s"
            )
        new = Limits(new.warn_low, new.warn_high, new.crit_low, new.crit_high, new.debounce_n, st)
    order = [
        ("crit_low", new.crit_low),
        ("warn_low", new.warn_low),
        ("warn_high", new.warn_high),
        ("crit_high", new.crit_high),
    ]
    present = [(n, v) for n, v in order if v is not None]
    for (n1, v1), (n2, v2) in pairwise(present):
        if v1 > v2:
            raise ValidationFailed(f"{n1} ({v1:g}) must not be above {n2} ({v2:g}).", field=n1)
    if new.warn_low is not None and new.warn_high is not None and new.warn_low >= new.warn_high:
        raise ValidationFailed("warn_low must be below warn_high.", field="warn_low")
    if envelope is not None:
        low, high = envelope
        if new.crit_low is None or new.crit_low < low:
            raise ValidationFailed(
                f"crit_low guards the interlock: keep it set, at or above {low:g}.",
                field="crit_low",
            )
        if new.crit_high is None or new.crit_high > high:
            raise ValidationFailed(
                f"crit_high guards the interlock: keep it set, at or below {high:g}.",
                field="crit_high",
            )
    return new


def interlock_envelope(parameter: str) -> tuple[float, float] | None:
    """The chamber's safe range that the interlock's critical limits must stay within."""
    if parameter != INTERLOCK_PARAMETER:
        return None
    p = next(q for q in CHAMBER_PARAMETERS if q.name == parameter)
    if p.crit_low is None or p.crit_high is None:
        return None
    return p.crit_low, p.crit_high


def limits_of(row: RunLimit) -> Limits:
    """The :class:`Limits` of a row."""
    return Limits(
        row.warn_low, row.warn_high, row.crit_low, row.crit_high, row.debounce_n, row.stale_after_s
    )


def set_limits(
    db: Database, actor: Actor, run_id: int, parameter: str, raw: Mapping[str, Any]
) -> Limits:
    """Change a parameter's limits in a run, also while it runs (a command, audited)."""
    policy.authorize(db, actor, Action.LIMITS_SET, target=("run", run_id))
    with db.begin() as s:
        run = s.get(Run, run_id)
        if run is None:
            raise NotFound(f"No run with id {run_id}.")
        if run.state in ("completed", "aborted"):
            raise Conflict(f"Run {run_id} is {run.state}: its limits no longer apply.")
        row = s.get(RunLimit, (run_id, parameter), with_for_update=True)
        if row is None:
            names = sorted(s.scalars(select(RunLimit.parameter).where(RunLimit.run_id == run_id)))
            raise ValidationFailed(
                f"Run {run_id} has no parameter {parameter!r}; it has {', '.join(names)}.",
                field="parameter",
            )
        old = limits_of(row)
        new = check_limits(raw, old, interlock_envelope(parameter))
        row.warn_low, row.warn_high = new.warn_low, new.warn_high
        row.crit_low, row.crit_high = new.crit_low, new.crit_high
        row.debounce_n, row.stale_after_s = new.debounce_n, new.stale_after_s
        record_applied(
            s,
            actor,
            run_id,
            "limits",
            parameter=parameter,
            args={"parameter": parameter, "old": asdict(old), "new": asdict(new)},
            detail=f"limits of {parameter} changed; the controller applies them at its next sample",
        )
        return new
