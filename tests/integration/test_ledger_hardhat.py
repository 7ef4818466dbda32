"""The ledger on a real JSON-RPC node (Hardhat on loopback), configured as users would.

The signing key comes from an encrypted keystore file made in the test from one of
Hardhat's public development keys (read from the node's output, never stored here).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from sqlalchemy import select

from dashboard.db import Database
from dashboard.models import LedgerBatch
from dashboard.services import (
    datasets,
    experiments,
    ledger_anchoring,
    provenance,
    provenance_verify,
)
from dashboard.services.actor import Actor, Role
from dashboard.services.blobs import BlobStore
from ledger.chain import artifact
from ledger.network import ChainSettings, connect
from tests.conftest import make_user
from tests.integration.hardhat_node import HardhatNode, hardhat_node, rpc

pytestmark = pytest.mark.chain
POLICY = ledger_anchoring.BatchPolicy(size=1000, wait_s=0.0)
PASSWORD = "correct horse battery staple"


@pytest.fixture
def node() -> HardhatNode:
    with hardhat_node() as running:
        yield running  # type: ignore[misc]


def _settings(node: HardhatNode, tmp_path: Path, confirmations: int = 1) -> ChainSettings:
    keyfile = tmp_path / "anchor-key.json"
    if not keyfile.exists():
        key = node.dev_private_keys()[0]
        keyfile.write_text(json.dumps(Account.encrypt(key, PASSWORD, iterations=2)))
    return ChainSettings(
        url=node.url,
        directory=tmp_path / "chain",
        keyfile=keyfile,
        password=PASSWORD,
        contract=None,  # a development chain: deployed on first use
        confirmations=confirmations,
        timeout_s=3.0,
    )


def _import(
    db: Database, actor: Actor, store: BlobStore, exp_id: int, tmp_path: Path, name: str
) -> int:
    path = tmp_path / name
    tail = "".join("ACGT"[b % 4] for b in name.encode())  # unique bytes per name
    path.write_bytes(f">{name}\n{'ACGT' * 25}{tail}\n".encode())
    details = datasets.parse_details({"experiment_id": exp_id, "sample_name": name})
    return datasets.import_path(db, actor, store, path, details).id


@pytest.fixture
def scene(sqlite_db: Database, tmp_path: Path) -> tuple[Database, Actor, Actor, BlobStore, int]:
    scientist = make_user(sqlite_db, "sci", Role.SCIENTIST)
    reviewer = make_user(sqlite_db, "rev", Role.REVIEWER)
    exp = experiments.create_experiment(
        sqlite_db,
        scientist,
        {
            "name": "On a node",
            "organism": "Escherichia coli",
            "arms": [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}],
        },
    )
    return sqlite_db, scientist, reviewer, BlobStore(tmp_path / "datasets"), exp.id


def test_anchored_on_a_node_and_verified_with_one_call(
    node: HardhatNode, scene: tuple[Database, Actor, Actor, BlobStore, int], tmp_path: Path
) -> None:
    db, scientist, reviewer, store, exp_id = scene
    chain = _settings(node, tmp_path)
    dataset_id = _import(db, scientist, store, exp_id, tmp_path, "n1.fa")
    list(ledger_anchoring.run_until_idle(db, chain, POLICY, "h"))
    status = provenance.status_map(db, [dataset_id], 1)[dataset_id]
    assert status.state == provenance.ANCHORED, status.detail
    assert status.chain_id == 31337
    result = provenance_verify.verify_dataset(db, reviewer, chain, store, dataset_id)
    assert result.is_verified, result.as_dict()
    assert "31337" in result.chain


def test_records_made_while_the_node_is_down_are_anchored_once_when_it_is_back(
    node: HardhatNode, scene: tuple[Database, Actor, Actor, BlobStore, int], tmp_path: Path
) -> None:
    db, scientist, _reviewer, store, exp_id = scene
    chain = _settings(node, tmp_path)
    node.stop()
    ids = [_import(db, scientist, store, exp_id, tmp_path, f"d{i}.fa") for i in range(3)]
    report = ledger_anchoring.step(db, chain, POLICY, "h")
    assert report.error is not None
    assert "unreachable" in report.error
    assert {provenance.status_map(db, ids, 1)[i].state for i in ids} == {provenance.PENDING}
    node.start()
    with db.begin() as s:  # skip the backoff rather than sleep through it
        for batch in s.scalars(select(LedgerBatch)):
            batch.next_attempt_at = batch.created_at
    list(ledger_anchoring.run_until_idle(db, chain, POLICY, "h"))
    found = provenance.status_map(db, ids, 1)
    assert {s.state for s in found.values()} == {provenance.ANCHORED}
    with db.read() as s:
        roots = list(s.scalars(select(LedgerBatch.root)))
    # Once each: one batch, one Anchored event for its root.
    with connect(chain) as ledger:
        contract = ledger.w3.eth.contract(address=ledger.contract_address, abi=artifact().abi)
        events = contract.events.Anchored().get_logs(from_block=0)
    assert [e["args"]["root"].hex() for e in events] == roots


def test_an_anchor_waits_for_its_confirmations(
    node: HardhatNode, scene: tuple[Database, Actor, Actor, BlobStore, int], tmp_path: Path
) -> None:
    db, scientist, _reviewer, store, exp_id = scene
    chain = _settings(node, tmp_path, confirmations=3)
    dataset_id = _import(db, scientist, store, exp_id, tmp_path, "c.fa")
    list(ledger_anchoring.run_until_idle(db, chain, POLICY, "h"))
    status = provenance.status_map(db, [dataset_id], 3)[dataset_id]
    assert status.state == provenance.PENDING
    assert "1 of 3 confirmations" in status.detail
    for _ in range(2):
        rpc(node.url, "evm_mine")
    ledger_anchoring.step(db, chain, POLICY, "h")
    status = provenance.status_map(db, [dataset_id], 3)[dataset_id]
    assert status.state == provenance.ANCHORED, status.detail
    assert status.confirmations == 3
