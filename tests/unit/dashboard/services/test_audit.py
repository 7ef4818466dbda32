from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from dashboard.db import Database
from dashboard.models import AuditEvent
from dashboard.services import accounts, audit, experiments
from dashboard.services.actor import Actor
from dashboard.services.errors import NotFound, PermissionDenied, ValidationFailed


def _log(db: Database, who: Actor, action: str, result: str = "ok", n: int = 1) -> None:
    for _ in range(n):
        audit.record(db, who, action, result, target_type="thing", target_id=7)


def test_filters_paging_and_order(db: Database, admin: Actor, scientist: Actor) -> None:
    _log(db, scientist, "experiment.create", n=3)
    _log(db, scientist, "user.create", "denied")
    _log(db, admin, "experiment.update", n=2)
    everything = audit.search(db, admin, audit.AuditFilter(), limit=500)
    # two user.create events from the fixtures, plus the six above
    assert everything.total == 8
    ids = [r.id for r in everything.rows]
    assert ids == sorted(ids, reverse=True)
    by_sci = audit.search(db, admin, audit.AuditFilter(username="sci"))
    assert by_sci.total == 4
    denied = audit.search(db, admin, audit.AuditFilter(result="denied"))
    assert [(r.action, r.username) for r in denied.rows] == [("user.create", "sci")]
    prefix = audit.search(db, admin, audit.AuditFilter(action="experiment."))
    assert prefix.total == 5
    exact = audit.search(db, admin, audit.AuditFilter(action="experiment"))
    assert exact.total == 0
    page = audit.search(db, admin, audit.AuditFilter(action="experiment."), offset=2, limit=2)
    assert [r.id for r in page.rows] == [r.id for r in prefix.rows][2:4]
    future = datetime.now(UTC) + timedelta(days=1)
    assert audit.search(db, admin, audit.AuditFilter(since=future)).total == 0
    assert audit.search(db, admin, audit.AuditFilter(until=future)).total == 8
    target = audit.search(db, admin, audit.AuditFilter(target_type="thing", target_id="7"))
    assert target.total == 6


def test_only_admins_read_and_export(db: Database, scientist: Actor) -> None:
    with pytest.raises(PermissionDenied):
        audit.search(db, scientist, audit.AuditFilter())
    with pytest.raises(PermissionDenied):
        audit.export_csv(db, scientist, audit.AuditFilter())


def test_csv_export_round_trips(db: Database, admin: Actor, scientist: Actor) -> None:
    audit.record(db, scientist, "experiment.create", "ok", detail={"name": 'a "quoted", name'})
    text, count = audit.export_csv(db, admin, audit.AuditFilter(username="sci"))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert count == len(rows) == 1
    assert rows[0]["action"] == "experiment.create"
    assert rows[0]["detail"] == '{"name": "a \\"quoted\\", name"}'
    # The export itself is audited.
    assert audit.search(db, admin, audit.AuditFilter(action="audit.export")).total == 1


def test_daily_counts(db: Database, admin: Actor, scientist: Actor) -> None:
    _log(db, scientist, "x.y", "denied", n=2)
    counts = audit.daily_counts(db, admin, audit.AuditFilter())
    today = datetime.now(UTC).date().isoformat()
    assert counts[today]["denied"] == 2
    assert counts[today]["ok"] == 2


def test_unknown_result_is_a_programming_error(db: Database, admin: Actor) -> None:
    with pytest.raises(ValueError, match="unknown audit result"):
        audit.record(db, admin, "x", "maybe")


def test_hash_chain_is_intact_after_normal_use(
    db: Database, admin: Actor, scientist: Actor
) -> None:
    _log(db, scientist, "experiment.create", n=5)
    report = audit.verify_chain(db, admin)
    assert report.is_intact, report.reason
    assert report.checked == report.head_seq == 7  # two fixture users and five events
    # The check itself is audited and extends the chain without breaking it.
    assert audit.verify_chain(db, admin).checked == 8


def _tamper(db: Database, statement: str) -> None:
    with db.engine.begin() as connection:
        connection.exec_driver_sql(statement)


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("UPDATE audit_events SET result = 'ok' WHERE result = 'denied'", "was changed"),
        ("UPDATE audit_events SET username = 'someone' WHERE seq = 3", "was changed"),
        ("DELETE FROM audit_events WHERE seq = 3", "position"),
        ("DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)", "chain head"),
    ],
)
def test_tampering_is_found(
    db: Database, admin: Actor, scientist: Actor, statement: str, reason: str
) -> None:
    _log(db, scientist, "experiment.create", n=2)
    _log(db, scientist, "user.create", "denied")
    _tamper(db, statement)
    report = audit.verify_chain(db, admin)
    assert not report.is_intact
    assert reason in report.reason
    assert report.first_bad_seq is not None


def test_only_admins_verify(db: Database, scientist: Actor) -> None:
    with pytest.raises(PermissionDenied):
        audit.verify_chain(db, scientist)


def test_concurrent_writers_keep_one_chain(db: Database, admin: Actor, scientist: Actor) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: audit.record(db, scientist, f"x.{i % 3}", "ok"), range(40)))
    report = audit.verify_chain(db, admin)
    assert report.is_intact, report.reason
    assert report.checked == 42


def test_exported_csv_lets_anyone_recompute_the_chain(
    db: Database, admin: Actor, scientist: Actor
) -> None:
    """Recompute the digests from the CSV alone, with hashlib: this also freezes the format."""
    import hashlib
    import json

    audit.record(
        db,
        scientist,
        "experiment.create",
        "ok",
        target_type="experiment",
        target_id=1,
        detail={"name": "µg arm", "n": 2},
    )
    text, _ = audit.export_csv(db, admin, audit.AuditFilter())
    rows = sorted(csv.DictReader(io.StringIO(text)), key=lambda r: int(r["seq"]))
    prev = "0" * 64
    for row in rows:
        body = {
            "occurred_at": row["occurred_at"],
            "user_id": int(row["user_id"]) if row["user_id"] else None,
            "username": row["username"],
            "source_ip": row["source_ip"] or None,
            "channel": row["channel"],
            "action": row["action"],
            "result": row["result"],
            "target_type": row["target_type"] or None,
            "target_id": row["target_id"] or None,
            "detail": json.loads(row["detail"]),
        }
        canonical = json.dumps(
            [prev, int(row["seq"]), body], sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        assert row["prev_hash"] == prev
        assert hashlib.sha256(canonical.encode()).hexdigest() == row["row_hash"]
        prev = row["row_hash"]
    assert len(rows) == 3


def test_daily_counts_group_by_utc_day_in_the_database(
    db: Database, admin: Actor, scientist: Actor
) -> None:
    _log(db, scientist, "x.day", "ok", n=3)
    _log(db, scientist, "x.day", "denied", n=1)
    moments = [
        datetime(2025, 3, 1, 23, 30, tzinfo=UTC),  # late on one day ...
        datetime(2025, 3, 2, 0, 30, tzinfo=UTC),  # ... and early on the next
        datetime(2025, 3, 2, 12, 0, tzinfo=UTC),
        datetime(2025, 3, 2, 23, 59, 59, tzinfo=UTC),
    ]
    with db.begin() as s:
        ids = s.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "x.day").order_by(AuditEvent.id)
        ).all()
        for event_id, moment in zip(ids, moments, strict=True):
            moved = update(AuditEvent).where(AuditEvent.id == event_id)
            s.execute(moved.values(occurred_at=moment))
    counts = audit.daily_counts(db, admin, audit.AuditFilter(action="x.day"))
    assert counts == {"2025-03-01": {"ok": 1}, "2025-03-02": {"ok": 2, "denied": 1}}
    since = audit.AuditFilter(action="x.day", since=datetime(2025, 3, 2, 12, tzinfo=UTC))
    assert audit.daily_counts(db, admin, since) == {"2025-03-02": {"ok": 1, "denied": 1}}


def test_free_text_search_and_sort(db: Database, admin: Actor, scientist: Actor) -> None:
    audit.record(db, scientist, "experiment.create", "ok", target_type="experiment", target_id=41)
    audit.record(db, admin, "user.update", "denied", target_type="user", target_id=2)
    audit.record(db, scientist, "Job.Start", "ok")
    assert audit.search(db, admin, audit.AuditFilter(text="SCI")).total == 2  # the two by sci
    assert [r.target_id for r in audit.search(db, admin, audit.AuditFilter(text="41")).rows] == [
        "41"
    ]
    assert audit.search(db, admin, audit.AuditFilter(text="job.start")).total == 1  # any case
    assert audit.search(db, admin, audit.AuditFilter(text="%")).total == 0  # no wildcard
    by_action = audit.search(db, admin, audit.AuditFilter(), sort=[audit.SortKey("action")])
    actions = [r.action for r in by_action.rows]
    assert actions == sorted(actions)
    by_result = audit.search(
        db, admin, audit.AuditFilter(), sort=[audit.SortKey("result", descending=True)]
    )
    results = [r.result for r in by_result.rows]
    assert results == sorted(results, reverse=True)
    assert results[-1] == "denied"
    with pytest.raises(ValidationFailed, match="sort by"):
        audit.search(db, admin, audit.AuditFilter(), sort=[audit.SortKey("row_hash")])


def test_an_event_in_full(db: Database, admin: Actor, scientist: Actor) -> None:
    audit.record(db, scientist, "x.y", "failed", detail={"why": "because"})
    newest = audit.search(db, admin, audit.AuditFilter(action="x.y")).rows[0]
    event = audit.get_event(db, admin, newest.id)
    assert event.row == newest
    assert event.user_id == scientist.user_id
    assert event.seq is not None
    assert event.prev_hash
    assert event.row_hash
    assert len(event.row_hash) == 64
    with pytest.raises(NotFound):
        audit.get_event(db, admin, 10**9)
    with pytest.raises(PermissionDenied):
        audit.get_event(db, scientist, newest.id)


def test_targets_are_named_as_they_are_called_now(
    db: Database, admin: Actor, scientist: Actor
) -> None:
    body = {
        "name": "BRIC-23",
        "organism": "E. coli",
        "arms": [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}],
    }
    experiment = experiments.create_experiment(db, scientist, body)
    token, _secret = accounts.create_token(db, scientist, scientist.user_id, "laptop")
    targets = [
        ("experiment", str(experiment.id)),
        ("user", str(scientist.user_id)),
        ("token", str(token.id)),
        ("experiment", "999999"),
        ("experiment", "not-a-number"),
        ("page", "/admin/users"),
    ]
    names = audit.target_names(db, admin, targets)
    assert names == {
        ("experiment", str(experiment.id)): audit.TargetName("BRIC-23"),
        ("user", str(scientist.user_id)): audit.TargetName("sci", scientist.user_id),
        ("token", str(token.id)): audit.TargetName("laptop (sci)", scientist.user_id),
    }
    with pytest.raises(PermissionDenied):
        audit.target_names(db, scientist, targets)
