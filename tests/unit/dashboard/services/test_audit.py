from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from dashboard.db import Database
from dashboard.services import audit
from dashboard.services.actor import Actor
from dashboard.services.errors import PermissionDenied


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
