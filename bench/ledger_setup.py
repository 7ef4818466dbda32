"""Shared by bench/ledger_anchoring.py and bench/ledger_verify.py: an app database full of
datasets with their provenance records, written the way an import writes them.

Not a benchmark itself. The files are not stored (anchoring and the chain checks never read
them): each dataset gets a unique made-up SHA-256 and size.
"""

from __future__ import annotations

import hashlib
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dashboard.db import Database  # noqa: E402
from dashboard.models import Dataset, Sample  # noqa: E402
from dashboard.models.base import utcnow  # noqa: E402
from dashboard.services import accounts, experiments, provenance  # noqa: E402
from dashboard.services.actor import Actor, Role, cli_actor  # noqa: E402
from ledger.network import ChainSettings  # noqa: E402

PASSWORD = "correct horse battery"  # noqa: S105 - a throwaway user in a throwaway database


def open_app(directory: Path) -> tuple[Database, ChainSettings, Actor, int, int]:
    """A fresh migrated SQLite database in ``directory``, a scientist, an experiment, a
    sample, and the embedded chain's settings (the chain itself is made on first use)."""
    db = Database(f"sqlite:///{directory / 'bench.sqlite3'}")
    db.upgrade()
    row = accounts.create_user(
        db, cli_actor("bench"), "bench-scientist", PASSWORD, [Role.SCIENTIST.value]
    )
    actor = Actor(row.id, row.username, frozenset(row.roles), "127.0.0.1", "web")
    experiment = experiments.create_experiment(
        db,
        actor,
        {
            "name": "Ledger bench",
            "organism": "Escherichia coli",
            "arms": [{"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1}],
        },
    )
    with db.begin() as s:
        sample = Sample(experiment_id=experiment.id, name="bench-sample")
        s.add(sample)
        s.flush()
        sample_id = sample.id
    chain = ChainSettings(url=None, directory=directory / "chain", confirmations=1)
    return db, chain, actor, experiment.id, sample_id


def add_datasets(
    db: Database,
    actor: Actor,
    experiment_id: int,
    sample_id: int,
    count: int,
    *,
    chunk: int = 1000,
    first: int = 0,
) -> list[int]:
    """``count`` Dataset rows, each with its provenance record in the same transaction,
    inserted ``chunk`` per transaction; returns their ids."""
    ids: list[int] = []
    for start in range(first, first + count, chunk):
        stop = min(start + chunk, first + count)
        with db.begin() as s:
            now = utcnow()
            rows = [
                Dataset(
                    sample_id=sample_id,
                    experiment_id=experiment_id,
                    material="genome",
                    instrument="bench",
                    filename=f"bench-{i:06d}.fa",
                    format="fasta",
                    compression="none",
                    sha256=hashlib.sha256(f"bench dataset {i}".encode()).hexdigest(),
                    size=1000 + i,
                    record_count=1,
                    total_length=900 + i,
                    stats={},
                    source_run="",
                    imported_by_id=actor.user_id,
                    imported_by_name=actor.username,
                    imported_at=now,
                )
                for i in range(start, stop)
            ]
            s.add_all(rows)
            s.flush()
            for d in rows:
                provenance.record_dataset(
                    s,
                    d,
                    agent_id=actor.user_id,
                    agent_username=actor.username,
                    experiment="Ledger bench",
                    sample="bench-sample",
                    parent_ids=[],
                    started_at=now - timedelta(seconds=1),
                    ended_at=now,
                    parameters=provenance.import_parameters(d),
                )
            ids.extend(d.id for d in rows)
    return ids
