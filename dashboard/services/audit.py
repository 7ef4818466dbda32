"""Writing and reading the audit log."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO, TypeVarTuple

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.orm import Session

from dashboard.db import Database
from dashboard.models import (
    ApiToken,
    AuditChainHead,
    AuditEvent,
    Experiment,
    Job,
    User,
    utcnow,
)

from . import audit_chain, policy
from .actor import Actor
from .errors import NotFound, ValidationFailed

_Columns = TypeVarTuple("_Columns")
RESULTS = ("ok", "denied", "failed", "error")
MAX_PAGE = 500
TEXT_MAX = 200  # characters of a free-text search
# Columns a page of events may be sorted by (newest first breaks ties).
SORTABLE = ("occurred_at", "username", "source_ip", "channel", "action", "result")
# Offsets are 64-bit integers in SQLite and PostgreSQL; a larger one can skip to nothing.
OFFSET_MAX = 2**63 - 1


@dataclass(frozen=True)
class AuditRow:
    """One audit event as the pages and API show it."""

    id: int
    occurred_at: datetime
    username: str
    source_ip: str | None
    channel: str
    action: str
    result: str
    target_type: str | None
    target_id: str | None
    detail: dict[str, object]


@dataclass(frozen=True)
class AuditFilter:
    """Which events to list; empty fields do not filter."""

    username: str | None = None
    action: str | None = None
    result: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    target_type: str | None = None
    target_id: str | None = None
    text: str | None = None  # in who, action, target or source address (any case)


@dataclass(frozen=True)
class SortKey:
    """One key of a page's order: a column of :data:`SORTABLE` and its direction."""

    column: str
    descending: bool = False


@dataclass(frozen=True)
class AuditPage:
    """A page of events, newest first, with the number that matched."""

    rows: list[AuditRow]
    total: int
    offset: int
    limit: int


def add(
    s: Session,
    actor: Actor,
    action: str,
    result: str = "ok",
    *,
    target_type: str | None = None,
    target_id: object = None,
    detail: dict[str, object] | None = None,
) -> None:
    """Add an event to the caller's transaction, so it commits together with the change."""
    if result not in RESULTS:
        raise ValueError(f"unknown audit result {result!r}")
    fields: dict[str, object] = {
        "occurred_at": utcnow(),
        "user_id": actor.user_id,
        "username": actor.username[:64],
        "source_ip": actor.source_ip or None,
        "channel": actor.channel,
        "action": action,
        "result": result,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id)[:64],
        # Through JSON once, so the digest sees exactly what the database will hand back.
        "detail": json.loads(json.dumps(detail or {}, default=str)),
    }
    # Taking the next position locks the head row: concurrent writers chain one after another.
    seq, prev_hash = s.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(seq=AuditChainHead.seq + 1)
        .returning(AuditChainHead.seq, AuditChainHead.head_hash)
    ).one()
    digest = audit_chain.event_digest(prev_hash, seq, fields)
    s.add(AuditEvent(**fields, seq=seq, prev_hash=prev_hash, row_hash=digest))
    s.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(head_hash=digest))


def record(db: Database, actor: Actor, action: str, result: str, **kwargs: object) -> None:
    """Write an event in its own transaction (for refusals and failures that roll back)."""
    with db.begin() as s:
        add(s, actor, action, result, **kwargs)  # type: ignore[arg-type]


def _to_row(event: AuditEvent) -> AuditRow:
    return AuditRow(
        id=event.id,
        occurred_at=event.occurred_at,
        username=event.username,
        source_ip=event.source_ip,
        channel=event.channel,
        action=event.action,
        result=event.result,
        target_type=event.target_type,
        target_id=event.target_id,
        detail=dict(event.detail or {}),
    )


def _filtered(query: Select[*_Columns], f: AuditFilter) -> Select[*_Columns]:
    if f.username:
        query = query.where(AuditEvent.username == f.username)
    if f.action:
        # "user." matches every user action; an exact name matches itself.
        if f.action.endswith("."):
            query = query.where(AuditEvent.action.startswith(f.action, autoescape=True))
        else:
            query = query.where(AuditEvent.action == f.action)
    if f.result:
        query = query.where(AuditEvent.result == f.result)
    if f.since:
        query = query.where(AuditEvent.occurred_at >= f.since)
    if f.until:
        query = query.where(AuditEvent.occurred_at < f.until)
    if f.target_type:
        query = query.where(AuditEvent.target_type == f.target_type)
    if f.target_id:
        query = query.where(AuditEvent.target_id == f.target_id)
    if f.text:
        words = f.text[:TEXT_MAX]
        query = query.where(
            or_(
                *(
                    column.icontains(words, autoescape=True)
                    for column in (
                        AuditEvent.username,
                        AuditEvent.action,
                        AuditEvent.target_type,
                        AuditEvent.target_id,
                        AuditEvent.source_ip,
                    )
                )
            )
        )
    return query


def _order(sort: Sequence[SortKey]) -> list[ColumnElement[Any]]:
    """ORDER BY for ``sort``, then newest first; an unknown column is refused."""
    order: list[ColumnElement[Any]] = []
    for key in sort:
        if key.column not in SORTABLE:
            raise ValidationFailed(
                f"Events sort by {', '.join(SORTABLE)}, not {key.column[:64]!r}.", field="sort"
            )
        column = getattr(AuditEvent, key.column)
        order.append(column.desc() if key.descending else column.asc())
    return [*order, AuditEvent.occurred_at.desc(), AuditEvent.id.desc()]


def search(
    db: Database,
    actor: Actor,
    f: AuditFilter,
    *,
    offset: int = 0,
    limit: int = 50,
    sort: Sequence[SortKey] = (),
) -> AuditPage:
    """List audit events matching ``f`` in ``sort`` order, else newest first (admins only)."""
    policy.authorize(db, actor, policy.Action.AUDIT_READ)
    offset = max(0, min(offset, OFFSET_MAX))
    limit = max(1, min(limit, MAX_PAGE))
    base = _filtered(select(AuditEvent), f)
    order = _order(sort)
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
        events = s.scalars(base.order_by(*order).offset(offset).limit(limit)).all()
        return AuditPage([_to_row(e) for e in events], total, offset, limit)


@dataclass(frozen=True)
class AuditEventDetail:
    """One event with its place in the hash chain: everything the log stores about it."""

    row: AuditRow
    user_id: int | None
    seq: int | None
    prev_hash: str | None
    row_hash: str | None


def get_event(db: Database, actor: Actor, event_id: int) -> AuditEventDetail:
    """One audit event in full (admins only)."""
    policy.authorize(db, actor, policy.Action.AUDIT_READ)
    with db.read() as s:
        event = s.get(AuditEvent, event_id)
        if event is None:
            raise NotFound(f"No audit event {event_id}.")
        return AuditEventDetail(
            _to_row(event), event.user_id, event.seq, event.prev_hash, event.row_hash
        )


Target = tuple[str, str]  # (target_type, target_id) as events store them


@dataclass(frozen=True)
class TargetName:
    """What an event's target is called now, and the user it belongs to (for tokens)."""

    name: str
    owner_id: int | None = None


def _int_ids(ids: Iterable[str]) -> list[int]:
    return [int(i) for i in ids if i.isascii() and i.isdigit() and len(i) < 19]


def target_names(db: Database, actor: Actor, targets: Iterable[Target]) -> dict[Target, TargetName]:
    """Current names of the experiments, users, tokens and jobs that events point at.

    Targets that no longer exist, or of other types (pages, sessions), are left out: the
    page shows them by type and id. Admins only, as the log itself.
    """
    policy.authorize(db, actor, policy.Action.AUDIT_READ)
    wanted: dict[str, set[str]] = {}
    for target_type, target_id in targets:
        wanted.setdefault(target_type, set()).add(target_id)
    names: dict[Target, TargetName] = {}
    with db.read() as s:
        if ids := _int_ids(wanted.get("experiment", ())):
            for eid, name in s.execute(
                select(Experiment.id, Experiment.name).where(Experiment.id.in_(ids))
            ):
                names["experiment", str(eid)] = TargetName(name)
        if ids := _int_ids(wanted.get("user", ())):
            for uid, username in s.execute(select(User.id, User.username).where(User.id.in_(ids))):
                names["user", str(uid)] = TargetName(username, uid)
        if ids := _int_ids(wanted.get("token", ())):
            query = (
                select(ApiToken.id, ApiToken.name, User.username, User.id)
                .join(User, ApiToken.user_id == User.id)
                .where(ApiToken.id.in_(ids))
            )
            for tid, name, username, uid in s.execute(query):
                names["token", str(tid)] = TargetName(f"{name} ({username})", uid)
        if ids := _int_ids(wanted.get("job", ())):
            for jid, kind in s.execute(select(Job.id, Job.kind).where(Job.id.in_(ids))):
                names["job", str(jid)] = TargetName(f"#{jid} {kind}")
    return names


def distinct_values(db: Database, actor: Actor) -> dict[str, list[str]]:
    """Usernames and actions that occur in the log, for filter menus (admins only)."""
    policy.authorize(db, actor, policy.Action.AUDIT_READ)
    with db.read() as s:
        names = s.scalars(select(AuditEvent.username).distinct().order_by(AuditEvent.username))
        actions = s.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
        return {"usernames": list(names), "actions": list(actions)}


def recent_experiment_activity(db: Database, limit: int = 10) -> list[AuditRow]:
    """Latest successful experiment changes, which every logged-in user may see."""
    with db.read() as s:
        events = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.startswith("experiment."), AuditEvent.result == "ok")
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        ).all()
        return [_to_row(e) for e in events]


def search_target(
    db: Database, target_type: str, target_id: str, limit: int = 50
) -> list[AuditRow]:
    """Successful events about one object (its change history), newest first."""
    with db.read() as s:
        events = s.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.target_type == target_type,
                AuditEvent.target_id == target_id,
                AuditEvent.result == "ok",
            )
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        ).all()
        return [_to_row(e) for e in events]


EXPORT_MAX_ROWS = 100_000
# The chain columns let anyone holding the file recompute the digests (audit_chain.py).
CSV_COLUMNS = ("id", "seq", *audit_chain.FIELDS, "prev_hash", "row_hash")


def _csv_cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return "" if value is None else value


ProgressFn = Callable[[int, int], None]
PROGRESS_EVERY = 2000  # events between progress reports


def _no_progress(_done: int, _total: int) -> None:
    return None


def write_csv(
    db: Database,
    actor: Actor,
    f: AuditFilter,
    handle: TextIO,
    *,
    on_progress: ProgressFn = _no_progress,
) -> int:
    """Write the matching events as CSV to ``handle`` (newest first, at most EXPORT_MAX_ROWS).

    Returns the row count; the export itself is audited.
    """
    policy.authorize(db, actor, policy.Action.AUDIT_EXPORT)
    writer = csv.writer(handle)
    writer.writerow(CSV_COLUMNS)
    count = 0
    with db.read() as s:
        query = _filtered(select(AuditEvent), f)
        total = min(
            EXPORT_MAX_ROWS, s.scalar(select(func.count()).select_from(query.subquery())) or 0
        )
        on_progress(0, total)
        ordered = query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        for event in s.scalars(ordered.limit(EXPORT_MAX_ROWS)).yield_per(PROGRESS_EVERY):
            writer.writerow([_csv_cell(getattr(event, column)) for column in CSV_COLUMNS])
            count += 1
            if count % PROGRESS_EVERY == 0:
                on_progress(count, total)
    on_progress(count, max(total, count))
    with db.begin() as s:
        add(s, actor, "audit.export", detail={"rows": count})
    return count


def export_csv(db: Database, actor: Actor, f: AuditFilter) -> tuple[str, int]:
    """The matching events as CSV text and the row count (see :func:`write_csv`)."""
    buffer = io.StringIO()
    count = write_csv(db, actor, f, buffer)
    return buffer.getvalue(), count


def daily_counts(db: Database, actor: Actor, f: AuditFilter) -> dict[str, dict[str, int]]:
    """Events per UTC day and result for the filter: ``{"2026-11-26": {"ok": 3}}``.

    Counted by the database (one row per day and result), however many events match.
    """
    policy.authorize(db, actor, policy.Action.AUDIT_READ)
    counts: dict[str, dict[str, int]] = {}
    with db.read() as s:
        day = _utc_day(s.get_bind().dialect.name)
        query = _filtered(
            select(day, AuditEvent.result, func.count()).group_by(day, AuditEvent.result), f
        )
        for moment, result, count in s.execute(query):
            counts.setdefault(str(moment)[:10], {})[result] = count
    return dict(sorted(counts.items()))


def _utc_day(dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of an event, as SQL (SQLite stores naive UTC text)."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", AuditEvent.occurred_at))
    return func.date(AuditEvent.occurred_at)


@dataclass(frozen=True)
class ChainReport:
    """Outcome of re-computing the audit hash chain."""

    is_intact: bool
    checked: int
    head_seq: int
    first_bad_seq: int | None = None
    reason: str = ""


CHAIN_COLUMNS = ("id", "seq", "prev_hash", "row_hash")


def verify_chain(
    db: Database, actor: Actor, *, on_progress: ProgressFn = _no_progress
) -> ChainReport:
    """Recompute every digest in order; report the first event that does not fit (admins).

    ``on_progress(done, total)`` is called every few thousand events (and may raise to stop).
    """
    policy.authorize(db, actor, policy.Action.AUDIT_VERIFY)
    prev, expected_seq, checked = audit_chain.GENESIS, 0, 0
    report: ChainReport | None = None
    with db.read() as s:
        head = s.get(AuditChainHead, 1)
        head_seq = head.seq if head else 0
        on_progress(0, head_seq)
        # Events chained after the head was read are the next check's business: the log
        # keeps growing while a long verification runs.
        # Plain rows, not ORM objects: building 100,000 objects cost more than the hashing.
        columns = [getattr(AuditEvent, name) for name in (*CHAIN_COLUMNS, *audit_chain.FIELDS)]
        events = s.execute(
            select(*columns)
            .where(or_(AuditEvent.seq <= head_seq, AuditEvent.seq.is_(None)))
            .order_by(AuditEvent.seq.is_(None), AuditEvent.seq)
            .execution_options(yield_per=2000)
        )
        for event in events:
            expected_seq += 1
            fields = {name: getattr(event, name) for name in audit_chain.FIELDS}
            if event.seq != expected_seq:
                reason = f"event {event.id} is at position {event.seq}, expected {expected_seq}"
                report = ChainReport(False, checked, head_seq, expected_seq, reason)
            elif event.prev_hash != prev:
                reason = f"event {event.id} does not link to the event before it"
                report = ChainReport(False, checked, head_seq, event.seq, reason)
            elif audit_chain.event_digest(prev, expected_seq, fields) != event.row_hash:
                reason = f"event {event.id} was changed after it was written"
                report = ChainReport(False, checked, head_seq, event.seq, reason)
            if report:
                break
            prev = event.row_hash or ""
            checked += 1
            if checked % PROGRESS_EVERY == 0:
                on_progress(checked, max(head_seq, checked))
        if report is None and head is not None and (head.seq, head.head_hash) != (checked, prev):
            reason = f"the chain head names {head.seq} events but {checked} are stored"
            report = ChainReport(False, checked, head_seq, checked + 1, reason)
    with db.begin() as s:
        result = report or ChainReport(True, checked, head_seq)
        add(
            s,
            actor,
            "audit.verify",
            "ok" if result.is_intact else "failed",
            detail={"checked": result.checked, "intact": result.is_intact, "reason": result.reason},
        )
    return result
