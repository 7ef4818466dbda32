"""Hash chain over the audit log: each event's digest covers the one before it.

Editing, deleting or reordering a stored event breaks the chain at that event, so
:func:`dashboard.services.audit.verify_chain` can say where history was altered.
The digest format is frozen (migration 0002 uses it): change it only with a new
migration that re-chains.

>>> d = event_digest(GENESIS, 1, {"action": "user.create", "detail": {}})
>>> len(d), d == event_digest(GENESIS, 1, {"detail": {}, "action": "user.create"})
(64, True)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime

GENESIS = "0" * 64
FIELDS = (
    "occurred_at",
    "user_id",
    "username",
    "source_ip",
    "channel",
    "action",
    "result",
    "target_type",
    "target_id",
    "detail",
)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def event_digest(prev_hash: str, seq: int, fields: Mapping[str, object]) -> str:
    """SHA-256 of the previous digest, the position and the event's fields (canonical JSON)."""
    body = {name: _plain(fields.get(name)) for name in FIELDS}
    text = json.dumps(
        [prev_hash, seq, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
