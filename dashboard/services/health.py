"""The health report served at /api/v1/health."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from dashboard import __version__
from dashboard.db import Database


def report(db: Database) -> tuple[dict[str, object], bool]:
    """Return the health document and whether everything is healthy."""
    database = db.status()
    status: dict[str, object] = {
        "status": "ok" if database.is_ok else "degraded",
        "version": __version__,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": {
            "status": "ok" if database.is_ok else "error",
            **{k: v for k, v in asdict(database).items() if k != "is_ok"},
        },
    }
    return status, database.is_ok
