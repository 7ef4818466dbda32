"""The ledger end to end on the embedded chain: record, batch, anchor, verify, tamper, retract.

Each test imports real sequence files through the datasets service, anchors them with the
anchoring worker's own step function, and checks statuses, proofs and verification against
what the contract says.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from dashboard.db import Database
from dashboard.models import AuditEvent, LedgerBatch, LedgerLease, ProvenanceRecord
from dashboard.services import (
    audit_anchors,
    audit_chain,
    datasets,
    experiments,
    ledger_anchoring,
    provenance,
    provenance_verify,
)
from dashboard.services.actor import Actor, Role
from dashboard.services.blobs import BlobStore
from dashboard.services.errors import Conflict, PermissionDenied, ValidationFailed
from ledger import merkle
from ledger.errors import ChainUnavailable
from ledger.network import ChainSettings, connect
from tests.conftest import make_user

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sequences" / "biopython"
POLICY = ledger_anchoring.BatchPolicy(size=1000, wait_s=0.0)


@pytest.fixture
def chain(tmp_path: Path) -> ChainSettings:
    return ChainSettings(
        url=None,
        directory=tmp_path / "chain",
        keyfile=None,
        password=None,
        contract=None,
        confirmations=1,
    )


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "datasets")


@pytest.fixture
def reviewer(db: Database) -> Actor:
    return make_user(db, "rev", Role.REVIEWER)


@pytest.fixture
def experiment(db: Database, scientist: Actor) -> experiments.ExperimentView:
    return experiments.create_experiment(
        db,
        scientist,
        {
            "name": "Ledger",
            "organism": "Escherichia coli",
            "arms": [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}],
        },
    )


def _fasta(name: str, seq: str) -> bytes:
    return f">{name}\n{seq}\n".encode()


def _import(
    db: Database,
    actor: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    tmp_path: Path,
    name: str,
    data: bytes,
    parents: tuple[int, ...] = (),
) -> datasets.DatasetView:
    path = tmp_path / name
    path.write_bytes(data)
    details = datasets.parse_details(
        {
            "experiment_id": experiment.id,
            "sample_name": name.split(".")[0],
            "derived_from": list(parents),
        }
    )
    return datasets.import_path(db, actor, store, path, details)


def _anchor(db: Database, chain: ChainSettings) -> list[ledger_anchoring.StepReport]:
    return list(ledger_anchoring.run_until_idle(db, chain, POLICY, "test-holder"))


def _state(db: Database, dataset_id: int) -> provenance.Status:
    return provenance.status_map(db, [dataset_id], 1)[dataset_id]


def test_an_import_is_recorded_pending_then_anchored_and_verifies(
    db: Database,
    scientist: Actor,
    reviewer: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    genome = _import(
        db, scientist, store, experiment, tmp_path, "p.gb", (FIXTURES / "NC_005816.gb").read_bytes()
    )
    assert _state(db, genome.id).state == provenance.PENDING
    reports = _anchor(db, chain)
    assert sum(r.anchored for r in reports) == 1
    status = _state(db, genome.id)
    assert status.state == provenance.ANCHORED, status.detail
    assert status.block_number
    assert status.tx_hash
    assert status.submitter
    view = provenance.get(db, genome.id, 1)
    assert view.record is not None
    assert view.record["entity"]["sha256"] == genome.sha256
    assert view.record["agent"]["username"] == scientist.username
    # The proof the page shows rebuilds the root the batch anchored.
    assert view.leaf
    assert view.root
    assert merkle.verify_proof(
        bytes.fromhex(view.leaf), [bytes.fromhex(p) for p in view.proof], bytes.fromhex(view.root)
    )
    result = provenance_verify.verify_dataset(db, reviewer, chain, store, genome.id)
    assert result.is_verified, result.as_dict()
    assert [c.name for c in result.checks] == [
        "file",
        "record",
        "proof",
        "anchored",
        "confirmations",
        "not retracted",
        "lineage",
    ]


def test_one_batch_anchors_many_records_once_with_the_audit_head(
    db: Database,
    scientist: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    ids = [
        _import(
            db,
            scientist,
            store,
            experiment,
            tmp_path,
            f"s{i}.fa",
            _fasta(f"r{i}", "ACGT" * (i + 3)),
        ).id
        for i in range(5)
    ]
    _anchor(db, chain)
    with db.read() as s:
        batches = list(s.scalars(select(LedgerBatch)))
        assert len(batches) == 1
        assert batches[0].leaf_count == 6  # five datasets and the audit checkpoint
        assert batches[0].gas_used is not None
        assert batches[0].gas_used < 60_000
        checkpoint = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.kind == "audit"))
        assert checkpoint is not None
        assert checkpoint.batch_id == batches[0].id
    assert {_state(db, i).state for i in ids} == {provenance.ANCHORED}
    # Nothing more to do: another round sends nothing.
    again = _anchor(db, chain)
    assert sum(r.sent for r in again) == 0


def test_the_anchors_survive_a_restart_of_everything(
    db: Database,
    scientist: Actor,
    reviewer: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    d = _import(db, scientist, store, experiment, tmp_path, "a.fa", _fasta("a", "ACGTTGCA" * 20))
    _anchor(db, chain)
    # A new process would open the database and the chain afresh: do the same.
    again = Database(db.url)
    try:
        assert provenance.status_map(again, [d.id], 1)[d.id].state == provenance.ANCHORED
        assert provenance_verify.verify_dataset(again, reviewer, chain, store, d.id).is_verified
    finally:
        again.dispose()


@contextmanager
def _unreachable(_settings: ChainSettings, _signing: bool) -> Iterator[object]:
    raise ChainUnavailable("connection refused (test)")
    yield  # pragma: no cover


def test_records_wait_while_the_chain_is_down_and_are_anchored_once_when_it_is_back(
    db: Database,
    scientist: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    d = _import(db, scientist, store, experiment, tmp_path, "b.fa", _fasta("b", "GATTACA" * 30))
    report = ledger_anchoring.step(db, chain, POLICY, "test-holder", connector=_unreachable)
    assert report.error
    assert "unreachable" in report.error
    status = _state(db, d.id)
    assert status.state == provenance.PENDING
    assert "unreachable" in status.detail
    with db.begin() as s:  # skip the backoff
        s.execute(update(LedgerBatch).values(next_attempt_at=LedgerBatch.created_at))
    _anchor(db, chain)
    assert _state(db, d.id).state == provenance.ANCHORED
    with db.read() as s:
        batch = s.scalar(select(LedgerBatch))
        assert batch is not None
        assert batch.attempts == 1
    with connect(chain) as ledger:
        assert ledger.registry.anchor_of(bytes.fromhex(batch.root)) is not None


def test_a_batch_sent_but_not_recorded_is_adopted_not_sent_twice(
    db: Database,
    scientist: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    _import(db, scientist, store, experiment, tmp_path, "c.fa", _fasta("c", "TTGACA" * 30))
    _anchor(db, chain)
    # As if the process died after the transaction went out but before the database knew.
    with db.begin() as s:
        s.execute(update(LedgerBatch).values(state="built", tx_hash=None, block_number=None))
    reports = _anchor(db, chain)
    assert sum(r.sent for r in reports) == 0
    with db.read() as s:
        assert s.scalar(select(LedgerBatch.state)) == "anchored"


def test_only_one_process_holds_the_anchoring_lease(db: Database) -> None:
    assert ledger_anchoring.take_lease(db, "one")
    assert not ledger_anchoring.take_lease(db, "two")
    assert ledger_anchoring.take_lease(db, "one")  # renewal
    ledger_anchoring.release_lease(db, "one")
    assert ledger_anchoring.take_lease(db, "two")


def test_a_changed_stored_file_shows_tampered_after_verification_and_sweep(
    db: Database,
    scientist: Actor,
    reviewer: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    d = _import(db, scientist, store, experiment, tmp_path, "t.fa", _fasta("t", "ACGT" * 50))
    _anchor(db, chain)
    path = store.path(d.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(_fasta("t", "ACGA" * 50))
    report = provenance_verify.sweep(db, reviewer, store)
    assert report.tampered == [d.id]
    assert _state(db, d.id).state == provenance.TAMPERED
    result = provenance_verify.verify_dataset(db, reviewer, chain, store, d.id)
    assert not result.is_verified
    assert result.first_failure
    assert result.first_failure.startswith("file:")


def test_an_edited_record_in_the_database_fails_verification(
    db: Database,
    scientist: Actor,
    reviewer: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    d = _import(db, scientist, store, experiment, tmp_path, "e.fa", _fasta("e", "CCGG" * 40))
    _anchor(db, chain)
    with db.begin() as s:
        row = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.dataset_id == d.id))
        assert row is not None
        record = json.loads(row.record_json)
        record["agent"]["username"] = "mallory"
        row.record_json = json.dumps(record, sort_keys=True, separators=(",", ":"))
    assert _state(db, d.id).state == provenance.TAMPERED
    result = provenance_verify.verify_dataset(db, reviewer, chain, store, d.id)
    assert not result.is_verified
    assert result.first_failure
    assert result.first_failure.startswith("record:")


def test_retracting_a_parent_shows_on_its_children_and_on_chain(
    db: Database,
    scientist: Actor,
    reviewer: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    parent = _import(db, scientist, store, experiment, tmp_path, "pa.fa", _fasta("p", "AC" * 80))
    child = _import(
        db, scientist, store, experiment, tmp_path, "ch.fa", _fasta("c", "AG" * 80), (parent.id,)
    )
    grandchild = _import(
        db, scientist, store, experiment, tmp_path, "gc.fa", _fasta("g", "AT" * 80), (child.id,)
    )
    _anchor(db, chain)
    assert provenance_verify.verify_dataset(db, reviewer, chain, store, grandchild.id).is_verified
    with pytest.raises(PermissionDenied):
        provenance.retract(db, scientist, parent.id, "contaminated")
    with pytest.raises(ValidationFailed):
        provenance.retract(db, reviewer, parent.id, "   ")
    provenance.retract(db, reviewer, parent.id, "contaminated culture")
    with pytest.raises(Conflict):
        provenance.retract(db, reviewer, parent.id, "again")
    found = provenance.status_map(db, [parent.id, child.id, grandchild.id], 1)
    assert found[parent.id].state == provenance.RETRACTED
    assert found[child.id].label == "Parent retracted"
    assert found[grandchild.id].lineage_issue
    assert str(parent.id) in found[grandchild.id].lineage_issue
    reports = _anchor(db, chain)
    assert sum(r.retractions_sent for r in reports) == 1
    with db.read() as s:
        leaf = s.scalar(
            select(ProvenanceRecord.leaf).where(ProvenanceRecord.dataset_id == parent.id)
        )
    with connect(chain) as ledger:
        assert ledger.registry.retraction_of(bytes.fromhex(str(leaf))) is not None
    result = provenance_verify.verify_dataset(db, reviewer, chain, store, grandchild.id)
    assert not result.is_verified
    assert "parent dataset" in (result.first_failure or "")


def test_a_dropped_file_is_found_with_when_and_by_whom(
    db: Database,
    scientist: Actor,
    reviewer: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    d = _import(db, scientist, store, experiment, tmp_path, "f.fa", _fasta("f", "GGCC" * 40))
    _anchor(db, chain)
    matches = provenance_verify.find_file(db, reviewer, d.sha256, 1)
    assert [(m.dataset_id, m.recorded_by, m.status.state) for m in matches] == [
        (d.id, scientist.username, provenance.ANCHORED)
    ]
    assert provenance_verify.find_file(db, reviewer, "0" * 64, 1) == []
    with pytest.raises(ValidationFailed):
        provenance_verify.find_file(db, reviewer, "not a hash", 1)
    with pytest.raises(PermissionDenied):
        provenance_verify.find_file(db, scientist, d.sha256, 1)


def test_a_rewritten_audit_history_is_caught_by_the_anchored_checkpoints(
    db: Database,
    scientist: Actor,
    admin: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    _import(db, scientist, store, experiment, tmp_path, "x1.fa", _fasta("x", "ACGG" * 30))
    _anchor(db, chain)
    first = audit_anchors.last_anchored_head(db)
    _import(db, scientist, store, experiment, tmp_path, "x2.fa", _fasta("y", "ACTT" * 30))
    _anchor(db, chain)
    second = audit_anchors.last_anchored_head(db)
    assert first
    assert second
    assert second.seq > first.seq
    assert audit_anchors.check(db, chain).is_intact
    # Someone with database access rewrites an early event and re-chains everything after it,
    # so the hash chain on its own looks intact.
    with db.begin() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        events[0].username = "nobody"
        prev = audit_chain.GENESIS
        for e in events:
            fields = {name: getattr(e, name) for name in audit_chain.FIELDS}
            e.prev_hash = prev
            e.row_hash = audit_chain.event_digest(prev, int(e.seq or 0), fields)
            prev = e.row_hash
        from dashboard.models import AuditChainHead

        head = s.get(AuditChainHead, 1)
        assert head is not None
        head.head_hash = prev
    from dashboard.services import audit

    assert audit.verify_chain(db, admin).is_intact  # the chain alone is fooled
    found = audit_anchors.check(db, chain)
    assert not found.is_intact
    assert found.first_bad is not None
    assert found.first_bad.seq == first.seq
    assert found.first_bad.digest == first.digest
    assert f"event {first.seq}" in found.describe()


def test_datasets_from_before_the_ledger_get_a_record(
    db: Database,
    scientist: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    d = _import(db, scientist, store, experiment, tmp_path, "old.fa", _fasta("o", "TGCA" * 30))
    with db.begin() as s:
        s.execute(ProvenanceRecord.__table__.delete())
    assert _state(db, d.id).state == provenance.UNANCHORED
    _anchor(db, chain)
    assert _state(db, d.id).state == provenance.ANCHORED
    with db.read() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(ProvenanceRecord)
                .where(ProvenanceRecord.kind == "dataset")
            )
            == 1
        )


def test_the_integrity_sweep_runs_as_a_system_job_on_schedule(
    db: Database,
    scientist: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    from dashboard.services import job_runner, jobs

    d = _import(db, scientist, store, experiment, tmp_path, "sw.fa", _fasta("s", "GATC" * 40))
    queued: list[int] = []
    loop = ledger_anchoring.AnchoringLoop(
        db,
        chain,
        POLICY,
        start_sweep=lambda: jobs.start(db, jobs.SYSTEM, queued.append, "provenance.sweep"),
        sweep_every_hours=24.0,
    )
    loop.tick(0.0)
    assert queued == []  # not at once: one period after the ledger started
    with db.begin() as s:
        s.execute(update(LedgerLease).values(last_sweep_at=None))
    loop.tick(61.0)
    assert len(queued) == 1
    loop.tick(200.0)  # not again within the period, and not while one is queued
    assert len(queued) == 1
    # The data directory the job sees is two levels above its scratch directory.
    state = job_runner.execute(db, queued[0], store.root.parent / "jobs")
    assert state == "succeeded"
    row = jobs.get(db, jobs.SYSTEM, queued[0])
    assert row.result == {"checked": 1, "tampered": [], "missing": []}
    assert _state(db, d.id).state == provenance.ANCHORED
    with db.read() as s:
        checked = s.scalar(
            select(ProvenanceRecord.file_state).where(ProvenanceRecord.dataset_id == d.id)
        )
    assert checked == "ok"
    loop.close()


def test_after_a_chain_reset_nothing_claims_anchored_and_an_admin_anchors_again(
    db: Database,
    scientist: Actor,
    reviewer: Actor,
    admin: Actor,
    store: BlobStore,
    experiment: experiments.ExperimentView,
    chain: ChainSettings,
    tmp_path: Path,
) -> None:
    import shutil

    d = _import(db, scientist, store, experiment, tmp_path, "rs.fa", _fasta("r", "CATG" * 40))
    _anchor(db, chain)
    before = _state(db, d.id)
    shutil.rmtree(chain.directory)  # a development chain wiped: a new contract next time
    with connect(chain) as ledger:
        assert ledger.contract_address != before.contract
    result = provenance_verify.verify_dataset(db, reviewer, chain, store, d.id)
    assert not result.is_verified  # the database's "anchored" is not taken on trust
    with db.begin() as s:  # the worker looks at the chain every minute even when idle
        s.execute(update(LedgerLease).values(head_seen_at=None))
    reports = _anchor(db, chain)
    assert sum(r.sent for r in reports) == 0  # never re-anchored behind anyone's back
    status = _state(db, d.id)
    assert status.label == "Anchored elsewhere"
    assert before.contract
    assert before.contract in status.detail
    assert not audit_anchors.check(db, chain).is_intact  # its checkpoint cannot be checked
    with db.read() as s:
        batch_id = s.scalar(
            select(ProvenanceRecord.batch_id).where(ProvenanceRecord.dataset_id == d.id)
        )
    assert batch_id is not None
    with pytest.raises(PermissionDenied):
        ledger_anchoring.reanchor(db, reviewer, batch_id)
    ledger_anchoring.reanchor(db, admin, batch_id)
    _anchor(db, chain)
    after = _state(db, d.id)
    assert after.state == provenance.ANCHORED
    assert after.contract != before.contract
    assert provenance_verify.verify_dataset(db, reviewer, chain, store, d.id).is_verified
