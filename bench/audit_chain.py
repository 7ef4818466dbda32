"""What the tamper-evident audit chain costs, beside an unchained insert, in the same run.

    python bench/audit_chain.py [--events 5000] [--database-url URL]

Prints the time per audited write with the hash chain (service path: lock the head row,
digest, insert) and without it (the same insert, no chain: the anchor, in its own database),
their ratio, and the speed of a full verification. SQLite files in a temporary directory, or
two fresh databases on the PostgreSQL server named by --postgres (admin URL).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.db import Database
from dashboard.models import AuditEvent, utcnow
from dashboard.services import audit
from dashboard.services.actor import Actor, cli_actor

WHO = Actor(None, "bench", frozenset(), "127.0.0.1", "web")


def chained(db: Database, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        audit.record(
            db,
            WHO,
            "bench.write",
            "ok",
            target_type="thing",
            target_id=i,
            detail={"i": i, "name": "flight µg"},
        )
    return time.perf_counter() - started


def unchained(db: Database, n: int) -> float:
    """The anchor: one transaction per event with the same row, no head lock, no digest."""
    started = time.perf_counter()
    for i in range(n):
        with db.begin() as s:
            s.add(
                AuditEvent(
                    occurred_at=utcnow(),
                    user_id=None,
                    username="bench",
                    source_ip="127.0.0.1",
                    channel="web",
                    action="bench.plain",
                    result="ok",
                    target_type="thing",
                    target_id=str(i),
                    detail={"i": i, "name": "flight µg"},
                )
            )
    return time.perf_counter() - started


def _databases(tmp: str, postgres: str | None) -> tuple[Database, Database, list[str]]:
    if not postgres:
        return (
            Database(f"sqlite:///{Path(tmp) / 'chain.sqlite3'}"),
            Database(f"sqlite:///{Path(tmp) / 'plain.sqlite3'}"),
            [],
        )
    import psycopg

    names = [f"msg_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(postgres.replace("+psycopg", ""), autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    base = postgres.rsplit("/", 1)[0]
    return Database(f"{base}/{names[0]}"), Database(f"{base}/{names[1]}"), names


def _drop(postgres: str, names: list[str]) -> None:
    import psycopg

    with psycopg.connect(postgres.replace("+psycopg", ""), autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", help="e.g. postgresql+psycopg://postgres@127.0.0.1/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        chain_db, plain_db, names = _databases(tmp, args.postgres)
        try:
            for db in (chain_db, plain_db):
                db.upgrade()
            per_chained, per_plain = [], []
            for _ in range(args.rounds):  # interleaved, so machine noise hits both alike
                per_plain.append(unchained(plain_db, args.events) / args.events)
                per_chained.append(chained(chain_db, args.events) / args.events)
            plain_ms = statistics.median(per_plain) * 1000
            chain_ms = statistics.median(per_chained) * 1000
            started = time.perf_counter()
            report = audit.verify_chain(chain_db, cli_actor("bench"))
            verify_s = time.perf_counter() - started
            print(
                f"database: {chain_db.engine.dialect.name}; "
                f"{args.events} events x {args.rounds} rounds"
            )
            print(f"anchor  unchained insert : {plain_ms:7.3f} ms per event")
            print(
                f"chained audit write      : {chain_ms:7.3f} ms per event "
                f"(ratio {chain_ms / plain_ms:.2f}x the anchor)"
            )
            print(
                f"verify whole chain       : {report.checked} events in {verify_s:.2f} s "
                f"({report.checked / verify_s:,.0f} events/s), intact={report.is_intact}"
            )
        finally:
            chain_db.dispose()
            plain_db.dispose()
            if names and args.postgres:
                _drop(args.postgres, names)


if __name__ == "__main__":
    main()
