"""Fill an audit log fast with correctly chained events (for tests and benchmarks only).

Writing 100,000 events through ``audit.add`` takes minutes; this computes the same digests
(``audit_chain.event_digest``) and inserts them in batches.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update

from dashboard.db import Database
from dashboard.models import AuditChainHead, AuditEvent
from dashboard.services import audit_chain

BATCH = 5000


def seed_chained_events(
    db: Database, count: int, *, start: datetime = datetime(2025, 1, 1, tzinfo=UTC)
) -> None:
    """Append ``count`` events (action ``seed.bulk``, one a second from ``start``)."""
    with db.begin() as s:
        head = s.execute(select(AuditChainHead).with_for_update()).scalar_one()
        seq, prev = head.seq, head.head_hash
        rows = []
        for i in range(count):
            seq += 1
            fields: dict[str, object] = {
                "occurred_at": start + timedelta(seconds=i),
                "user_id": None,
                "username": "seed",
                "source_ip": None,
                "channel": "cli",
                "action": "seed.bulk",
                "result": "ok",
                "target_type": None,
                "target_id": None,
                "detail": {"n": i},
            }
            digest = audit_chain.event_digest(prev, seq, fields)
            rows.append({**fields, "seq": seq, "prev_hash": prev, "row_hash": digest})
            prev = digest
            if len(rows) == BATCH:
                s.execute(insert(AuditEvent), rows)
                rows = []
        if rows:
            s.execute(insert(AuditEvent), rows)
        s.execute(
            update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=seq, head_hash=prev)
        )
