"""Metrics read from the database at scrape time: right whichever process changed them."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, or_, select

from dashboard.db import Database
from dashboard.models import Alarm, Job, JobWorker, LedgerBatch, ProvenanceRecord, utcnow

from .metrics import PREFIX

log = logging.getLogger("microspacegen.metrics")


class DatabaseCollector(Collector):
    """Queue depth, running jobs, worker heartbeats, alarms, the ledger and the pool."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        up = GaugeMetricFamily(
            f"{PREFIX}_database_up", "1 when the scrape could read the database, else 0."
        )
        try:
            families = list(self._from_database())
        except Exception:  # a scrape reports the outage; it must not fail itself
            log.exception("metrics: reading the database failed")
            up.add_metric([], 0.0)
            families = []
        else:
            up.add_metric([], 1.0)
        yield up
        yield from families
        yield from self._pool()

    def _from_database(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        queued = GaugeMetricFamily(
            f"{PREFIX}_job_queue_depth", "Jobs waiting for a worker, by kind.", labels=["kind"]
        )
        running = GaugeMetricFamily(
            f"{PREFIX}_jobs_running", "Jobs running now, by kind.", labels=["kind"]
        )
        workers = GaugeMetricFamily(
            f"{PREFIX}_worker_heartbeat_age_seconds",
            "Seconds since each live job worker last said it is alive.",
            labels=["worker", "backend"],
        )
        worker_processes = GaugeMetricFamily(
            f"{PREFIX}_worker_processes",
            "Job processes of each live worker.",
            labels=["worker", "backend"],
        )
        active = GaugeMetricFamily(
            f"{PREFIX}_alarms_active",
            "Alarms whose condition has not cleared, by severity.",
            labels=["severity"],
        )
        unacked = GaugeMetricFamily(
            f"{PREFIX}_alarms_unacknowledged",
            "Alarms nobody has acknowledged yet (cleared or not), by severity.",
            labels=["severity"],
        )
        batches = GaugeMetricFamily(
            f"{PREFIX}_ledger_batches",
            "Merkle batches by state (built, sent, anchored, failed).",
            labels=["state"],
        )
        gas = CounterMetricFamily(
            f"{PREFIX}_ledger_gas_used", "Gas used by every anchored batch's transaction."
        )
        pending = GaugeMetricFamily(
            f"{PREFIX}_ledger_pending_records",
            "Provenance records not yet anchored (in no batch, or in a batch not anchored).",
        )
        now = utcnow()
        with self.db.read() as s:
            for kind, state, count in s.execute(
                select(Job.kind, Job.state, func.count())
                .where(Job.state.in_(("queued", "running")))
                .group_by(Job.kind, Job.state)
            ):
                (queued if state == "queued" else running).add_metric([kind], float(count))
            for name, backend, processes, beat in s.execute(
                select(
                    JobWorker.name, JobWorker.backend, JobWorker.processes, JobWorker.heartbeat_at
                )
            ):
                workers.add_metric([name, backend], max(0.0, (now - beat).total_seconds()))
                worker_processes.add_metric([name, backend], float(processes))
            for severity, count in s.execute(
                select(Alarm.severity, func.count())
                .where(Alarm.cleared_at.is_(None))
                .group_by(Alarm.severity)
            ):
                active.add_metric([severity], float(count))
            for severity, count in s.execute(
                select(Alarm.severity, func.count())
                .where(Alarm.acked_at.is_(None))
                .group_by(Alarm.severity)
            ):
                unacked.add_metric([severity], float(count))
            gas_total = 0
            for state, count, used in s.execute(
                select(LedgerBatch.state, func.count(), func.sum(LedgerBatch.gas_used)).group_by(
                    LedgerBatch.state
                )
            ):
                batches.add_metric([state], float(count))
                if state == "anchored":
                    gas_total = int(used or 0)
            gas.add_metric([], float(gas_total))
            waiting = s.scalar(
                select(func.count())
                .select_from(ProvenanceRecord)
                .outerjoin(LedgerBatch, ProvenanceRecord.batch_id == LedgerBatch.id)
                .where(or_(ProvenanceRecord.batch_id.is_(None), LedgerBatch.state != "anchored"))
            )
            pending.add_metric([], float(waiting or 0))
        yield from (queued, running, workers, worker_processes, active, unacked)
        yield from (batches, gas, pending)

    def _pool(self) -> Iterator[GaugeMetricFamily]:
        pool = self.db.engine.pool
        size = GaugeMetricFamily(
            f"{PREFIX}_db_pool_size", "Connections the serving process's pool keeps open at most."
        )
        used = GaugeMetricFamily(
            f"{PREFIX}_db_pool_connections",
            "The serving process's pooled connections: checked_out (in use), idle, overflow.",
            labels=["state"],
        )
        for state, method in (
            ("checked_out", "checkedout"),
            ("idle", "checkedin"),
            ("overflow", "overflow"),
        ):
            reader = getattr(pool, method, None)
            if callable(reader):
                used.add_metric([state], float(max(0, reader())))
        sizer = getattr(pool, "size", None)
        if callable(sizer):
            size.add_metric([], float(sizer()))
        yield size
        yield used
