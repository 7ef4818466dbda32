"""What /metrics reads from the database at scrape time, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from dashboard.db import Database
from dashboard.models import Alarm, Job, JobWorker, LedgerBatch, ProvenanceRecord, utcnow
from dashboard.observability.collector import DatabaseCollector


def _scrape(db: Database) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(db))
    found = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _job(kind: str, state: str) -> Job:
    return Job(kind=kind, params={}, state=state, created_by_name="t")


def _batch(n: int, state: str, gas: int | None) -> LedgerBatch:
    return LedgerBatch(
        root=f"{n:064x}",
        leaf_count=1,
        manifest=[],
        manifest_sha256="0" * 64,
        state=state,
        gas_used=gas,
    )


def test_database_state_at_scrape_time(db: Database) -> None:
    now = utcnow()
    with db.begin() as s:
        s.add_all(
            [
                _job("audit.export", "queued"),
                _job("audit.export", "queued"),
                _job("tree.build", "queued"),
                _job("tree.build", "running"),
                _job("tree.build", "succeeded"),
                JobWorker(
                    name="vm:1",
                    backend="sqlite",
                    processes=2,
                    heartbeat_at=now - timedelta(seconds=30),
                ),
                Alarm(device_id="c1", kind="limit", severity="critical", message="hot"),
                Alarm(
                    device_id="c1", kind="stale", severity="warning", message="old", acked_at=now
                ),
                Alarm(
                    device_id="c1", kind="link", severity="warning", message="gone", cleared_at=now
                ),
            ]
        )
        anchored, failed = _batch(1, "anchored", 21_000), _batch(2, "failed", None)
        s.add_all([anchored, failed, _batch(3, "anchored", 30_500)])
        s.flush()
        s.add_all(
            [
                ProvenanceRecord(
                    kind="audit", record_json="{}", leaf=f"{10:064x}", batch_id=anchored.id
                ),
                ProvenanceRecord(
                    kind="audit", record_json="{}", leaf=f"{11:064x}", batch_id=failed.id
                ),
                ProvenanceRecord(kind="audit", record_json="{}", leaf=f"{12:064x}"),
            ]
        )
    found = _scrape(db)
    assert found[("microspacegen_database_up", ())] == 1.0
    assert found[("microspacegen_job_queue_depth", (("kind", "audit.export"),))] == 2
    assert found[("microspacegen_job_queue_depth", (("kind", "tree.build"),))] == 1
    assert found[("microspacegen_jobs_running", (("kind", "tree.build"),))] == 1
    assert ("microspacegen_jobs_running", (("kind", "audit.export"),)) not in found
    age = found[
        ("microspacegen_worker_heartbeat_age_seconds", (("backend", "sqlite"), ("worker", "vm:1")))
    ]
    assert 29 <= age < 120
    assert found[("microspacegen_alarms_active", (("severity", "critical"),))] == 1
    assert found[("microspacegen_alarms_active", (("severity", "warning"),))] == 1
    assert found[("microspacegen_alarms_unacknowledged", (("severity", "warning"),))] == 1
    assert found[("microspacegen_ledger_batches", (("state", "anchored"),))] == 2
    assert found[("microspacegen_ledger_batches", (("state", "failed"),))] == 1
    assert found[("microspacegen_ledger_gas_used_total", ())] == 51_500
    # Not anchored: the record in no batch and the one in the failed batch.
    assert found[("microspacegen_ledger_pending_records", ())] == 2
    assert ("microspacegen_db_pool_connections", (("state", "checked_out"),)) in found


def test_an_unreachable_database_is_reported_not_raised(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}")
    try:
        found = _scrape(db)
    finally:
        db.dispose()
    assert found[("microspacegen_database_up", ())] == 0.0
    assert not any(name == "microspacegen_job_queue_depth" for name, _ in found)
