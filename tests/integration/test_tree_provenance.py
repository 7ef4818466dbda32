"""A saved tree on the ledger: its record derives from its datasets' records, is anchored in
a Merkle batch on the embedded chain like theirs, and an edited Newick shows as tampered."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import select, update

from dashboard.db import Database
from dashboard.models import LedgerBatch, ProvenanceRecord, Tree
from dashboard.services import provenance, trees
from dashboard.services.actor import Actor
from dashboard.services.explorer import DataFiles
from ledger import merkle, records
from ledger.network import connect
from tests.integration.test_ledger_anchoring import (  # the ledger's own fixtures
    _anchor,
    _fasta,
    _import,
    chain,  # noqa: F401 - a fixture
    experiment,  # noqa: F401 - a fixture
)

# Three 60-base lines: the ancestor, a flight line (3 changes) and a ground line (1 change).
ANCESTOR = "ACGTTGCAAGGCTTACCGATACGATCGATCGTAGCTAGCTAGCATCGATCGGATCCAAGT"
FLIGHT = "ACGTTGCATGGCTTACCGATACGATCGTTCGTAGCTAGCTAGCATCGATCGGATCCAAGA"
GROUND = "ACGTTGCAAGGCTTACCGATACGATCGATCGTAGCTAGCTAGCATCGTTCGGATCCAAGT"


def test_a_tree_is_anchored_as_a_dataset_derived_from_its_inputs(
    db: Database,
    scientist: Actor,
    experiment,  # noqa: F811
    chain,  # noqa: F811
    tmp_path: Path,
) -> None:
    files = DataFiles.in_data_dir(tmp_path)
    ids = [
        _import(db, scientist, files.store, experiment, tmp_path, f"{n}.fasta", _fasta(n, s)).id
        for n, s in (("ancestor", ANCESTOR), ("flight", FLIGHT), ("ground", GROUND))
    ]
    tree = trees.build(db, scientist, files, {"datasets": ids, "distance": "p", "method": "nj"})
    assert isinstance(tree, trees.TreeView)
    assert trees.status(db, tree, 1).state == provenance.PENDING

    _anchor(db, chain)
    status = trees.status(db, tree, 1)
    assert status.state == provenance.ANCHORED, status.detail
    with db.read() as s:
        row = s.scalars(select(ProvenanceRecord).where(ProvenanceRecord.tree_id == tree.id)).one()
        batch = s.get(LedgerBatch, row.batch_id)
        parents = list(
            s.scalars(select(ProvenanceRecord.leaf).where(ProvenanceRecord.dataset_id.in_(ids)))
        )
    record = json.loads(row.record_json)
    # The record names the tree and its Newick's bytes, and derives from the three datasets.
    assert record["entity"]["id"] == f"tree/{tree.id}"
    assert record["entity"]["sha256"] == hashlib.sha256(tree.newick.encode()).hexdigest()
    assert record["derived_from"] == sorted(parents)
    assert records.check_record(record) == record
    # Its leaf is under the root the contract holds, as the contract itself verifies.
    leaf = records.leaf_of(record)
    assert leaf.hex() == row.leaf
    root, proof = bytes.fromhex(batch.root), [bytes.fromhex(p) for p in row.proof or []]
    assert merkle.verify_proof(leaf, proof, root)
    with connect(chain, signing=False) as ledger:
        on_chain = ledger.registry.verify(root, leaf, proof)
    assert on_chain.included
    assert on_chain.anchor is not None
    assert not on_chain.retracted

    # Someone edits the saved Newick behind the app's back: the status says so.
    with db.begin() as s:
        s.execute(update(Tree).where(Tree.id == tree.id).values(newick="(a,b,c);"))
    edited = trees.get_tree(db, tree.id)
    assert trees.status(db, edited, 1).state == provenance.TAMPERED
