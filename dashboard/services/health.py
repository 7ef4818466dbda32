"""The health report served at /api/v1/health."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from dashboard import __version__
from dashboard.db import Database

from . import devices, jobs, provenance
from .devices import Catalog


def report(
    db: Database, queue_backend: str | None = None, cat: Catalog | None = None
) -> tuple[dict[str, object], bool]:
    """Return the health document and whether everything is healthy.

    With ``queue_backend``, it also says how many job workers are alive and how many jobs
    wait or run (no live worker is reported, not judged: workers may be started later).
    """
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
    if queue_backend is not None and database.is_ok:
        queue = jobs.queue_health(db, queue_backend)
        status["jobs"] = {
            "backend": queue.backend,
            "live_workers": queue.live_workers,
            "queued": queue.queued,
            "running": queue.running,
        }
    if database.is_ok:
        status["chain"] = provenance.ledger_health(db)
    if cat is not None and database.is_ok:
        # Reported, not judged: a device may be switched off between runs.
        status["hardware"] = devices.hardware_health(db, cat)
    return status, database.is_ok
