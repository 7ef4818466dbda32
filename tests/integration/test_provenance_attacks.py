"""The provenance ledger attacked, and used carelessly: what breaks, and what holds.

Each ``xfail(strict=True)`` test documents a finding: it fails today, and fails loudly (as
an unexpected pass) once the finding is fixed, so the mark can go. The other tests are
attacks the ledger refuses correctly; they guard against regressions.

Three fronts: proof bundles forged against ``python -m ledger verify`` (a throwaway
embedded chain of their own), the services on a throwaway SQLite database and embedded
chain (database edits, deletion, retraction, the anchoring worker and its lease, chain
resets and misconfiguration), and the HTTP API of the shared test app (hostile bodies,
roles, the OpenAPI document).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import socket
import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import select, update

from dashboard.db import Database
from dashboard.models import LedgerBatch, LedgerLease, ProvenanceRecord
from dashboard.models.base import utcnow
from dashboard.services import (
    audit_anchors,
    datasets,
    experiments,
    ledger_anchoring,
    provenance,
    provenance_proof,
    provenance_verify,
)
from dashboard.services.actor import Actor, Role
from dashboard.services.blobs import BlobStore
from dashboard.services.errors import NotFound
from ledger import merkle, records
from ledger.__main__ import main as ledger_cli
from ledger.chain import Registry
from ledger.embedded import EmbeddedChain
from ledger.errors import ChainError
from ledger.network import ChainSettings, Ledger, connect, load_keystore
from ledger.proof import build_bundle
from tests.conftest import PASSWORD, make_user
from tests.integration.conftest import Site

API = "/api/v1"
POLICY = ledger_anchoring.BatchPolicy(size=1000, wait_s=0.0)
SECRET = "SECRET-RPC-KEY-0b5e"  # what an RPC provider puts in its URL


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _free_port() -> int:
    """A loopback port nothing listens on (connections to it are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# =============================================================================================
# Proof bundles against `python -m ledger verify`, on an embedded chain of their own
# =============================================================================================

WHEN = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def _record(dataset_id: int, data: bytes, parents: tuple[bytes, ...] = ()) -> dict[str, Any]:
    return records.dataset_record(
        dataset_id=dataset_id,
        sha256=_sha(data),
        size=len(data),
        format="fasta",
        filename=f"d{dataset_id}.fa",
        material=None,
        experiment="Attack",
        sample=f"s{dataset_id}",
        activity_type="import",
        software_name="MicroSpaceGen",
        software_version="0.0.0",
        parameters={},
        started_at=WHEN,
        ended_at=WHEN,
        agent_id=1,
        agent_username="sci",
        parent_leaves=[p.hex() for p in parents],
    )


@dataclass
class World:
    """A throwaway embedded chain holding the app's registry, an attacker's, and bundles."""

    directory: Path  # files and bundles
    chain_dir: Path
    app_registry: str
    attacker_registry: str
    bundles: dict[str, dict[str, Any]]
    files: dict[str, Path]
    batch_root: bytes
    inner_node: bytes  # an inner node of the four-leaf batch
    inner_path: list[bytes]  # its path up to the root

    def write(self, name: str, bundle: dict[str, Any] | str) -> Path:
        path = self.directory / f"{name}.proof.json"
        path.write_text(bundle if isinstance(bundle, str) else json.dumps(bundle, indent=1))
        return path

    def verify(self, file: str, bundle: Path, *extra: str) -> tuple[int, str]:
        out = io.StringIO()
        code = ledger_cli(
            [
                "verify",
                str(self.files[file]),
                str(bundle),
                "--embedded",
                str(self.chain_dir),
                "--contract",  # the registry a reviewer trusts: the app's
                self.app_registry,
                *extra,
            ],
            out,
        )
        return code, out.getvalue()


def _anchor_alone(registry: Registry, account: LocalAccount, leaf: bytes) -> tuple[bytes, int]:
    tx_hash = registry.anchor(account, leaf, 1, bytes(32))
    receipt = registry.receipt(tx_hash)
    assert receipt is not None
    assert receipt.status == 1
    return tx_hash, receipt.block_number


def _fund(w3: Any, funder: LocalAccount, to: str) -> None:
    tx = funder.sign_transaction(
        {
            "to": to,
            "value": 10**18,
            "gas": 21_000,
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 10**9,
            "nonce": w3.eth.get_transaction_count(funder.address),
            "chainId": 1337,
        }
    )
    w3.eth.send_raw_transaction(tx.raw_transaction)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    base = tmp_path_factory.mktemp("forgery")
    chain_dir = base / "chain"
    chain = EmbeddedChain(chain_dir)
    dev = chain.funded_key()
    data = {name: f">{name}\n{'ACGT' * (3 + i)}\n".encode() for i, name in enumerate("abcdepqr")}
    files = {}
    for name, content in data.items():
        files[name] = base / f"{name}.fa"
        files[name].write_bytes(content)
    bundles: dict[str, dict[str, Any]] = {}
    with chain.connect() as w3:
        app_address, _ = Registry.deploy(w3, dev)
        app = Registry(w3, app_address)

        def bundle(record: dict[str, Any], proof: list[bytes], root: bytes, where: str) -> Any:
            registry = Registry(w3, where)
            found = registry.anchor_of(root)
            assert found is not None
            return build_bundle(
                record=record,
                proof=proof,
                root=root,
                chain_id=1337,
                contract=where,
                tx_hash=bytes(32),
                block_number=found.block_number,
            ).to_dict()

        # A genuine batch of four datasets: every path has two steps.
        batch = {name: _record(i + 1, data[name]) for i, name in enumerate("abce")}
        tree = merkle.MerkleTree([records.leaf_of(r) for r in batch.values()])
        tx_hash = app.anchor(dev, tree.root, len(tree), bytes(32))
        assert tx_hash
        for name, record in batch.items():
            leaf = records.leaf_of(record)
            bundles[name] = bundle(record, tree.proof(leaf), tree.root, app_address)
        leaf_a = records.leaf_of(batch["a"])
        path_a = tree.proof(leaf_a)
        inner = merkle.hash_pair(leaf_a, path_a[0])

        # A child anchored before its parent (block order reversed).
        parent = _record(10, data["p"])
        child = _record(11, data["q"], (records.leaf_of(parent),))
        _anchor_alone(app, dev, records.leaf_of(child))
        _anchor_alone(app, dev, records.leaf_of(parent))
        bundles["late-parent"] = bundle(parent, [], records.leaf_of(parent), app_address)
        bundles["early-child"] = bundle(child, [], records.leaf_of(child), app_address)

        # A retracted dataset.
        retracted = _record(12, data["r"])
        leaf_r = records.leaf_of(retracted)
        _anchor_alone(app, dev, leaf_r)
        app.retract(dev, leaf_r, leaf_r, [], "contaminated culture")
        bundles["retracted"] = bundle(retracted, [], leaf_r, app_address)

        # An attacker with funds of their own deploys the same (public) bytecode and anchors
        # a record they wrote: "dataset 4, recorded by sci", for a file of their choosing.
        attacker = Account.create()
        _fund(w3, dev, attacker.address)
        evil_address, _ = Registry.deploy(w3, attacker)
        forged = _record(4, data["d"])
        _anchor_alone(Registry(w3, evil_address), attacker, records.leaf_of(forged))
        bundles["forged"] = bundle(forged, [], records.leaf_of(forged), evil_address)
    return World(
        directory=base,
        chain_dir=chain_dir,
        app_registry=app_address,
        attacker_registry=evil_address,
        bundles=bundles,
        files=files,
        batch_root=tree.root,
        inner_node=inner,
        inner_path=path_a[1:],
    )


def test_genuine_bundles_verify_with_one_chain_call(world: World) -> None:
    code, out = world.verify("a", world.write("a", world.bundles["a"]))
    assert code == 0, out
    assert out.rstrip().endswith("Verified.")


def test_a_bundle_anchored_in_an_attackers_registry_does_not_verify(world: World) -> None:
    bundle = world.bundles["forged"]
    assert bundle["chain"]["contract"] == world.attacker_registry != world.app_registry
    code, out = world.verify("d", world.write("forged", bundle))
    # Fixed when the CLI refuses (or at least does not call "Verified.") a registry it was
    # not told to trust (--contract ADDRESS, or the anchoring account).
    assert code != 0 or "Verified." not in out, out


def _variant(world: World, name: str) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(json.dumps(world.bundles["a"]))
    if name == "leaf-is-the-root":  # a proof of length 0 whose leaf is the batch's root
        bundle["leaf"], bundle["proof"] = _hex(world.batch_root), []
    elif name == "leaf-is-an-inner-node":
        bundle["leaf"] = _hex(world.inner_node)
        bundle["proof"] = [_hex(p) for p in world.inner_path]
    elif name == "record-of-another-dataset":
        bundle["record"] = world.bundles["b"]["record"]
        bundle["dataset"] = world.bundles["b"]["dataset"]
        bundle["record_sha256"] = world.bundles["b"]["record_sha256"]
    elif name == "proof-reversed":
        assert len(bundle["proof"]) == 2
        bundle["proof"] = bundle["proof"][::-1]
    elif name == "contract-without-code":
        bundle["chain"]["contract"] = "0x" + "ab" * 20
    elif name == "record-edited-digest-kept":
        bundle["record"]["agent"]["username"] = "mallory"
    return bundle


@pytest.mark.parametrize(
    "name",
    [
        "leaf-is-the-root",
        "leaf-is-an-inner-node",
        "record-of-another-dataset",
        "proof-reversed",
        "contract-without-code",
        "record-edited-digest-kept",
    ],
)
def test_forged_bundles_fail_verification(world: World, name: str) -> None:
    code, out = world.verify("a", world.write(name, _variant(world, name)))
    assert code == 1, out
    assert "FAILED" in out


def test_the_file_of_another_dataset_fails_against_a_bundle(world: World) -> None:
    code, out = world.verify("b", world.write("a", world.bundles["a"]))
    assert code == 1, out
    assert "✗ file matches the record" in out


def test_a_parent_anchored_after_its_child_fails_the_lineage(world: World) -> None:
    child = world.write("early-child", world.bundles["early-child"])
    parent = world.write("late-parent", world.bundles["late-parent"])
    code, out = world.verify("q", child, "--parent", str(parent))
    assert code == 1, out
    assert "lineage: order" in out
    # Without the parent's bundle nothing failed, but the lineage is left open, not passed.
    code, out = world.verify("q", child)
    assert code == 3, out  # nothing failed, not everything checked
    assert "Still to check" in out
    assert "Verified." not in out


def test_a_retracted_leaf_fails_with_its_reason(world: World) -> None:
    code, out = world.verify("r", world.write("retracted", world.bundles["retracted"]))
    assert code == 1, out
    assert "contaminated culture" in out


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: t.replace('"format"', '"format": "x", "format"', 1), id="dup-key"),
        pytest.param(lambda t: t.replace('"leaf"', '"record": {}, "leaf"', 1), id="dup-record-key"),
        pytest.param(
            lambda t: t.replace('"proof": [', '"proof": [' + '"0x00", ' * 99_999, 1),
            id="huge-proof",
        ),
        pytest.param(
            lambda t: t.replace('"block_number": ', '"block_number": NaN, "x": ', 1), id="nan"
        ),
        pytest.param(
            lambda t: t.replace('"chain_id": 1337', '"chain_id": 31337', 1), id="other-chain"
        ),
        pytest.param(lambda t: t[: len(t) // 2], id="truncated"),
        pytest.param(lambda t: t.replace("{", "[", 1), id="not-an-object"),
    ],
)
def test_malformed_bundles_are_refused_as_unusable(
    world: World, mangle: Callable[[str], str]
) -> None:
    text = mangle(json.dumps(world.bundles["a"], indent=1))
    code, out = world.verify("a", world.write("mangled", text))
    assert code == 2, out
    assert "Verified." not in out


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"format": ' + "[" * 200_000 + "]" * 200_000 + "}", id="deep"),
        pytest.param('{"format": 1' + "0" * 5000 + "}", id="huge-int"),
    ],
)
def test_hostile_json_in_a_bundle_is_refused_not_a_crash(world: World, text: str) -> None:
    code, _out = world.verify("a", world.write("hostile", text))
    assert code == 2


# =============================================================================================
# The services on a throwaway database and embedded chain
# =============================================================================================


@dataclass
class Env:
    db: Database
    scientist: Actor
    reviewer: Actor
    admin: Actor
    store: BlobStore
    chain: ChainSettings
    tmp: Path
    experiment_id: int

    def add(self, label: str, parents: tuple[int, ...] = ()) -> datasets.DatasetView:
        """Import a small FASTA file no other dataset has."""
        tag = uuid.uuid4().hex
        path = self.tmp / f"{label}-{tag[:8]}.fa"
        path.write_bytes(f">{label} {tag}\n{'ACGT' * 20}\n".encode())
        details = datasets.parse_details(
            {
                "experiment_id": self.experiment_id,
                "sample_name": label,
                "derived_from": list(parents),
            }
        )
        return datasets.import_path(self.db, self.scientist, self.store, path, details)

    def anchor(self, chain: ChainSettings | None = None) -> list[ledger_anchoring.StepReport]:
        return list(ledger_anchoring.run_until_idle(self.db, chain or self.chain, POLICY, "holder"))

    def status(self, dataset_id: int) -> provenance.Status:
        return provenance.status_map(self.db, [dataset_id], 1)[dataset_id]

    def verify(self, dataset_id: int) -> provenance_verify.Verification:
        return provenance_verify.verify_dataset(
            self.db, self.reviewer, self.chain, self.store, dataset_id
        )

    def row(self, dataset_id: int) -> ProvenanceRecord:
        with self.db.read() as s:
            found = s.scalar(
                select(ProvenanceRecord).where(ProvenanceRecord.dataset_id == dataset_id)
            )
            assert found is not None
            s.expunge(found)
            return found

    def worker_looked_long_ago(self) -> None:
        """As if the worker's last look at the chain were an hour old (it looks every minute)."""
        with self.db.begin() as s:
            s.execute(update(LedgerLease).values(head_seen_at=utcnow() - timedelta(hours=1)))


@pytest.fixture
def env(sqlite_db: Database, tmp_path: Path) -> Env:
    scientist = make_user(sqlite_db, "sci", Role.SCIENTIST)
    exp = experiments.create_experiment(
        sqlite_db,
        scientist,
        {
            "name": "Attacks",
            "organism": "Escherichia coli",
            "arms": [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}],
        },
    )
    return Env(
        db=sqlite_db,
        scientist=scientist,
        reviewer=make_user(sqlite_db, "rev", Role.REVIEWER),
        admin=make_user(sqlite_db, "adm", Role.ADMIN),
        store=BlobStore(tmp_path / "datasets"),
        chain=ChainSettings(url=None, directory=tmp_path / "chain"),
        tmp=tmp_path,
        experiment_id=exp.id,
    )


def _rewrite_record(env: Env, dataset_id: int, edit: Callable[[dict[str, Any]], None]) -> None:
    """A database-only attacker's complete rewrite: the record, its leaf, the batch's whole
    Merkle tree (root, manifest, every proof), consistent with each other."""
    with env.db.begin() as s:
        row = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.dataset_id == dataset_id))
        assert row is not None
        record = json.loads(row.record_json)
        edit(record)
        row.record_json = records.canonical(record).decode("utf-8")
        row.leaf = records.leaf_of(record).hex()
        s.flush()
        batch = s.get(LedgerBatch, row.batch_id)
        assert batch is not None
        members = list(
            s.scalars(select(ProvenanceRecord).where(ProvenanceRecord.batch_id == batch.id))
        )
        tree = merkle.MerkleTree([bytes.fromhex(m.leaf) for m in members])
        for m in members:
            m.proof = [p.hex() for p in tree.proof(bytes.fromhex(m.leaf))]
        batch.root = tree.root.hex()
        batch.manifest = [leaf.hex() for leaf in tree.leaves]
        batch.manifest_sha256 = ledger_anchoring.manifest_digest(batch.manifest)


def test_a_database_rewrite_of_an_anchored_record_is_caught_by_verification(env: Env) -> None:
    d = env.add("rewritten")
    env.anchor()
    assert env.verify(d.id).is_verified
    _rewrite_record(env, d.id, lambda r: r["agent"].update(username="mallory"))
    result = env.verify(d.id)
    assert not result.is_verified
    assert "not recorded in the contract" in (result.first_failure or "")
    # The worker leaves the forged root alone: it is not anchored behind the reviewer's back.
    env.worker_looked_long_ago()
    env.anchor()
    assert not env.verify(d.id).is_verified


def test_a_rewritten_record_is_not_re_anchored_by_pointing_its_batch_elsewhere(env: Env) -> None:
    d = env.add("laundered")
    env.anchor()
    _rewrite_record(env, d.id, lambda r: r["agent"].update(username="mallory"))
    with env.db.begin() as s:
        s.execute(update(LedgerBatch).values(contract="0x" + "11" * 20))
    assert not env.verify(d.id).is_verified  # caught, so far
    env.worker_looked_long_ago()
    assert not any(r.error for r in env.anchor())
    result = env.verify(d.id)
    assert provenance.get(env.db, d.id, 1).record["agent"]["username"] == "mallory"
    assert not result.is_verified, "the forged record now verifies"


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda t: t.replace(",", ", ", 1), id="whitespace"),
        pytest.param(lambda t: t + "\n", id="trailing-newline"),
        pytest.param(
            lambda t: json.dumps(
                dict(reversed(json.loads(t).items())), separators=(",", ":"), ensure_ascii=False
            ),
            id="key-order",
        ),
        pytest.param(
            lambda t: json.dumps(json.loads(t), sort_keys=True, separators=(",", ":")),
            id="ascii-escapes",
        ),
        pytest.param(lambda t: unicodedata.normalize("NFD", t), id="unicode-nfd"),
        pytest.param(lambda t: t.replace('"username":"sci"', '"username":"sci "'), id="value"),
        pytest.param(lambda t: t[:-1] + ',"agent":{"id":null,"username":"x"}}', id="dup-key"),
    ],
)
def test_a_subtly_edited_record_in_the_database_shows_tampered(
    env: Env, edit: Callable[[str], str]
) -> None:
    # An "é" and a key out of order, so every edit above changes something.
    path = env.tmp / "café.fa"
    path.write_bytes(f">é {uuid.uuid4().hex}\nACGT\n".encode())
    details = datasets.parse_details({"experiment_id": env.experiment_id, "sample_name": "né"})
    d = datasets.import_path(env.db, env.scientist, env.store, path, details)
    env.anchor()
    with env.db.begin() as s:
        row = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.dataset_id == d.id))
        assert row is not None
        edited = edit(row.record_json)
        assert edited != row.record_json
        row.record_json = edited
    assert env.status(d.id).state == provenance.TAMPERED
    result = env.verify(d.id)
    assert not result.is_verified
    assert (result.first_failure or "").startswith("record:")


def test_an_edited_proof_or_index_column_shows_tampered(env: Env) -> None:
    first, second = env.add("proof-edit"), env.add("hash-column")
    env.anchor()
    with env.db.begin() as s:
        row = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.dataset_id == first.id))
        assert row is not None
        assert row.proof
        row.proof = ["00" * 32, *row.proof[1:]]
        other = s.scalar(select(ProvenanceRecord).where(ProvenanceRecord.dataset_id == second.id))
        assert other is not None
        other.file_sha256 = "0" * 64
    assert env.status(first.id).state == provenance.TAMPERED
    assert env.status(second.id).state == provenance.TAMPERED
    assert not env.verify(first.id).is_verified


def test_a_pending_dataset_retracted_before_anchoring_is_retracted_on_chain_once_anchored(
    env: Env,
) -> None:
    d = env.add("early-retraction")
    provenance.retract(env.db, env.reviewer, d.id, "wrong strain")
    assert env.status(d.id).state == provenance.RETRACTED
    assert "shortly" in env.status(d.id).detail
    reports = env.anchor()
    assert sum(r.retractions_sent for r in reports) == 1
    with connect(env.chain) as ledger:
        found = ledger.registry.retraction_of(bytes.fromhex(env.row(d.id).leaf))
    assert found is not None
    assert found.reason == "wrong strain"
    result = env.verify(d.id)
    assert not result.is_verified
    assert "wrong strain" in (result.first_failure or "")
    # Clearing the retraction in the database does not undo it: the chain still says so.
    with env.db.begin() as s:
        s.execute(
            update(ProvenanceRecord)
            .where(ProvenanceRecord.dataset_id == d.id)
            .values(retracted_at=None, retracted_by=None, retract_reason=None)
        )
    assert not env.verify(d.id).is_verified


def test_verification_shows_the_retraction_reason_the_chain_holds(env: Env) -> None:
    d = env.add("reason")
    provenance.retract(env.db, env.reviewer, d.id, "contaminated culture")
    env.anchor()
    with env.db.begin() as s:
        s.execute(
            update(ProvenanceRecord)
            .where(ProvenanceRecord.dataset_id == d.id)
            .values(retract_reason="routine clean-up")
        )
    (check,) = [c for c in env.verify(d.id).checks if c.name == "not retracted"]
    assert check.ok is False
    assert "contaminated culture" in check.detail, check.detail


def test_a_deleted_datasets_bytes_are_looked_up_with_their_real_state(env: Env) -> None:
    retracted = env.add("retracted-then-deleted")
    env.anchor()
    provenance.retract(env.db, env.reviewer, retracted.id, "mislabelled")
    env.anchor()
    datasets.delete_dataset(env.db, env.admin, env.store, retracted.id)
    unanchored = env.add("batched-not-anchored")
    ledger_anchoring.close_batches(env.db, POLICY)  # in a batch, never sent
    datasets.delete_dataset(env.db, env.admin, env.store, unanchored.id)

    (match,) = provenance_verify.find_file(env.db, env.reviewer, retracted.sha256, 1)
    assert match.dataset_id is None
    (pending,) = provenance_verify.find_file(env.db, env.reviewer, unanchored.sha256, 1)
    assert (match.status.state, pending.status.state) == (
        provenance.RETRACTED,
        provenance.PENDING,
    )


def test_a_deleted_dataset_keeps_its_record_but_has_no_routes(env: Env) -> None:
    d = env.add("deleted")
    env.anchor()
    datasets.delete_dataset(env.db, env.admin, env.store, d.id)
    with pytest.raises(NotFound):
        provenance.get(env.db, d.id, 1)
    with pytest.raises(NotFound):
        provenance_proof.proof_bundle(env.db, d.id)
    with pytest.raises(NotFound):
        env.verify(d.id)
    with pytest.raises(NotFound):
        provenance.retract(env.db, env.reviewer, d.id, "gone")
    (match,) = provenance_verify.find_file(env.db, env.reviewer, d.sha256, 1)
    assert match.dataset_id is None
    assert match.recorded_by == "sci"


def test_a_deleted_datasets_id_is_never_recorded_again(env: Env) -> None:
    env.add("first")
    newest = env.add("newest")
    env.anchor()
    datasets.delete_dataset(env.db, env.admin, env.store, newest.id)
    env.add("next")
    with env.db.read() as s:
        claimed = [
            json.loads(text)["entity"]["id"]
            for text in s.scalars(
                select(ProvenanceRecord.record_json).where(ProvenanceRecord.kind == "dataset")
            )
        ]
    assert len(claimed) == len(set(claimed)), claimed


def _unreachable(env: Env) -> ChainSettings:
    """A JSON-RPC URL with the API key in its path and query, as providers hand them out."""
    return ChainSettings(
        url=f"http://127.0.0.1:{_free_port()}/v3/{SECRET}?apikey={SECRET}",
        directory=env.tmp / "rpc",
        timeout_s=2.0,
    )


def test_the_rpc_url_secret_never_reaches_statuses_batches_or_health(env: Env) -> None:
    d = env.add("down")
    chain = _unreachable(env)
    report = ledger_anchoring.step(env.db, chain, POLICY, "holder")
    assert report.error
    with env.db.begin() as s:  # as once the node was seen: health shows its last error
        s.execute(update(LedgerLease).values(chain_id=1, contract="0x" + "22" * 20))
    batches, _total = provenance.list_batches(env.db)
    shown = [
        env.status(d.id).detail,
        *(b.last_error or "" for b in batches),
        str(provenance.ledger_health(env.db)["last_error"]),
    ]
    assert all(SECRET not in text for text in shown), shown


def test_health_reports_an_anchoring_error_before_the_first_contact(env: Env) -> None:
    env.add("never-anchored")
    report = ledger_anchoring.step(env.db, _unreachable(env), POLICY, "holder")
    assert report.error
    health = provenance.ledger_health(env.db)
    assert health["status"] == "error", health
    assert health["last_error"]


def test_a_misconfigured_contract_anchors_nothing_and_verifies_nothing(env: Env) -> None:
    d = env.add("misconfigured")
    env.anchor()
    wrong = ChainSettings(url=None, directory=env.chain.directory, contract="0x" + "22" * 20)
    new = env.add("after-misconfiguration")
    reports = env.anchor(wrong)
    assert reports[-1].error
    assert "MICROSPACEGEN_CHAIN_CONTRACT" in (reports[-1].error or "")
    assert env.status(new.id).state == provenance.PENDING
    result = provenance_verify.verify_dataset(env.db, env.reviewer, wrong, env.store, d.id)
    assert not result.is_verified
    assert "MICROSPACEGEN_CHAIN_CONTRACT" in (result.first_failure or "")


def test_a_wrong_keystore_password_is_named_and_never_echoed(tmp_path: Path) -> None:
    keyfile = tmp_path / "key.json"
    sealed = Account.encrypt(Account.create().key, "the right one", kdf="pbkdf2", iterations=2)
    keyfile.write_text(json.dumps(sealed))
    with pytest.raises(ChainError) as caught:
        load_keystore(keyfile, "hunter2-wrong")
    assert "MICROSPACEGEN_CHAIN_PASSWORD" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    keyfile.write_text("{not json")
    with pytest.raises(ChainError):
        load_keystore(keyfile, "whatever")


def test_after_a_chain_reset_nothing_verifies_against_the_old_anchors(env: Env) -> None:
    d = env.add("before-reset")
    env.anchor()
    bundle = env.tmp / "before.proof.json"
    bundle.write_text(json.dumps(provenance_proof.proof_bundle(env.db, d.id)))
    data = env.tmp / "data.fa"
    data.write_bytes(env.store.path(d.sha256).read_bytes())
    shutil.rmtree(env.chain.directory)  # the embedded chain wiped (or moved away)
    assert not env.verify(d.id).is_verified
    code = ledger_cli(
        ["verify", str(data), str(bundle), "--embedded", str(env.chain.directory)], io.StringIO()
    )
    assert code == 1


def test_the_audit_anchor_check_says_when_the_chain_was_not_asked(env: Env) -> None:
    env.add("audited")
    env.anchor()
    shutil.rmtree(env.chain.directory)  # the anchors are gone: the chain would say so
    assert not audit_anchors.check(env.db, env.chain).is_intact
    found = audit_anchors.check(env.db, _unreachable(env))
    assert not (found.is_intact and "chain" not in found.describe().lower()), found.describe()


@pytest.mark.xfail(
    strict=True,
    reason="LOW: the anchoring lease compares expiry times written with each process's own "
    "clock; a machine whose clock runs 31+ s ahead takes the key while the owner's lease is "
    "still valid (two owners of one key and nonce). Database time would not skew.",
)
def test_a_skewed_clock_does_not_take_a_live_lease(env: Env) -> None:
    assert ledger_anchoring.take_lease(env.db, "machine-a")
    skewed = utcnow() + timedelta(seconds=ledger_anchoring.LEASE_S + 10)
    assert not ledger_anchoring.take_lease(env.db, "machine-b", skewed)


def test_a_worker_that_lost_its_lease_mid_step_sends_nothing(env: Env) -> None:
    env.add("fenced")

    @contextmanager
    def slow(settings: ChainSettings, signing: bool) -> Iterator[Ledger]:
        # The step has run longer than its lease: another process takes the key.
        later = utcnow() + timedelta(seconds=ledger_anchoring.LEASE_S + 1)
        assert ledger_anchoring.take_lease(env.db, "other-process", later)
        with connect(settings, signing=signing) as ledger:
            yield ledger

    connector: Callable[[ChainSettings, bool], AbstractContextManager[Ledger]] = slow
    report = ledger_anchoring.step(env.db, env.chain, POLICY, "slow", connector=connector)
    assert report.is_owner
    assert report.sent == 0, "sent a transaction without holding the lease"


def test_two_workers_at_once_anchor_each_record_once(env: Env) -> None:
    ids = [env.add(f"w{i}").id for i in range(6)]
    errors: list[str] = []

    def work(holder: str) -> None:
        try:
            for _ in range(3):
                list(ledger_anchoring.run_until_idle(env.db, env.chain, POLICY, holder))
                env.add(f"more-{holder}-{uuid.uuid4().hex[:6]}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(h,)) for h in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    for holder in ("one", "two"):
        ledger_anchoring.release_lease(env.db, holder)
    env.anchor()
    with env.db.read() as s:
        batches = list(s.scalars(select(LedgerBatch)))
        rows = list(s.scalars(select(ProvenanceRecord)))
    assert {b.state for b in batches} == {"anchored"}
    assert len({b.root for b in batches}) == len(batches)
    assert sum(b.leaf_count for b in batches) == len(rows)  # each record in one batch
    assert {env.status(i).state for i in ids} == {provenance.ANCHORED}


def test_verification_the_sweep_and_the_worker_run_side_by_side(env: Env) -> None:
    ids = [env.add(f"c{i}").id for i in range(3)]
    env.anchor()
    env.add("late")
    errors: list[str] = []
    outcomes: list[bool] = []

    def guarded(job: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(repr(exc))

        return run

    jobs = [guarded(lambda i=i: outcomes.append(env.verify(i).is_verified)) for i in ids]
    jobs.append(guarded(lambda: provenance_verify.sweep(env.db, env.reviewer, env.store)))
    jobs.append(guarded(env.anchor))
    threads = [threading.Thread(target=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert outcomes == [True, True, True]
    assert {env.status(i).state for i in ids} == {provenance.ANCHORED}
    assert env.row(ids[0]).file_state == "ok"


# =============================================================================================
# The HTTP API of the shared test app
# =============================================================================================


@pytest.fixture(scope="module")
def imported(site: Site) -> Callable[[str], int]:
    sci = site.client("sci")
    created = sci.post(
        f"{API}/experiments",
        json={
            "name": f"Provenance attacks {uuid.uuid4().hex[:6]}",
            "organism": "Escherichia coli",
            "arms": [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}],
        },
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    experiment_id = created.get_json()["id"]

    def run(label: str) -> int:
        data = f">{label} {uuid.uuid4().hex}\n{'GATTACA' * 9}\n".encode()
        form = {
            "file": (io.BytesIO(data), f"{label}.fa"),
            "experiment_id": str(experiment_id),
            "sample_name": label,
        }
        response = sci.post(f"{API}/datasets", data=form, content_type="multipart/form-data")
        assert response.status_code == 201, response.get_data(as_text=True)
        return int(response.get_json()["id"])

    return run


def _denied(site: Site, username: str, action: str) -> int:
    found = site.client("boss").get(
        f"{API}/audit",
        query_string={"username": username, "action": action, "result": "denied", "limit": 500},
    )
    assert found.status_code == 200, found.get_data(as_text=True)
    return len(found.get_json()["items"])


@pytest.mark.parametrize("user", ["sci", "oper"])
def test_a_crafted_retraction_by_another_role_is_refused_and_audited_whatever_its_body(
    site: Site, imported: Callable[[str], int], user: str
) -> None:
    target = imported("crafted")
    before = _denied(site, user, "provenance.retract")
    response = site.client(user).post(
        f"{API}/datasets/{target}/retract", json={"reason": 1, "by": "admin"}
    )
    assert response.status_code == 403, response.get_data(as_text=True)
    assert _denied(site, user, "provenance.retract") == before + 1


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('{"reason": NaN}', "application/json", 422),
        ('{"reason": Infinity}', "application/json", 422),
        ('{"reason": ["a"]}', "application/json", 422),
        ('{"reason": {"$ne": null}}', "application/json", 422),
        ('{"reason": null}', "application/json", 422),
        ('{"reason": "x", "retracted_by": "boss"}', "application/json", 422),
        ('{"reason": "a\\u0000b"}', "application/json", 400),
        ('{"reason": "a\\ud800b"}', "application/json", 400),
        ('{"reason": "' + "x" * 501 + '"}', "application/json", 422),
        ('{"reason": "\\u00a0\\u2003 \\t\\n"}', "application/json", 422),
        ("[" * 300 + "]" * 300, "application/json", 400),
        ('{"reason": "' + "x" * (2 * 2**20) + '"}', "application/json", 413),
        ("reason=contaminated", "application/x-www-form-urlencoded", 422),
        ("contaminated", "text/plain", 422),
        (b"\xff\xfe\x00garbage", "application/json", 400),
    ],
)
def test_hostile_retraction_bodies_are_refused_and_retract_nothing(
    site: Site, imported: Callable[[str], int], body: str | bytes, content_type: str, status: int
) -> None:
    target = imported("hostile")
    rev = site.client("rev")
    response = rev.post(f"{API}/datasets/{target}/retract", data=body, content_type=content_type)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    view = rev.get(f"{API}/datasets/{target}/provenance").get_json()
    assert view["status"]["state"] != provenance.RETRACTED


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('{"sha256": NaN}', "application/json", 422),
        ('{"sha256": "0x' + "a" * 64 + '"}', "application/json", 422),
        ('{"sha256": "' + "a" * 63 + '\\u0661"}', "application/json", 422),
        ('{"sha256": "' + "g" * 64 + '"}', "application/json", 422),
        ('{"sha256": "' + "a" * 65 + '"}', "application/json", 422),
        ("[" * 300 + "]" * 300, "application/json", 400),
        ('{"sha256": "' + "a" * 64 + '"}' + " " * (2 * 2**20), "application/json", 413),
        ("--x\r\nnot a form", "multipart/form-data; boundary=x", 422),
        ("no boundary at all", "multipart/form-data", 422),
    ],
)
def test_hostile_lookups_are_refused(site: Site, body: str, content_type: str, status: int) -> None:
    response = site.client("rev").post(f"{API}/verify", data=body, content_type=content_type)
    assert response.status_code == status, response.get_data(as_text=True)[:300]


def test_a_lookup_takes_one_file_in_one_field(site: Site) -> None:
    rev = site.client("rev")
    for form in (
        {"file": [(io.BytesIO(b"A"), "a.fa"), (io.BytesIO(b"B"), "b.fa")]},
        {"other": (io.BytesIO(b"A"), "a.fa"), "file": (io.BytesIO(b"B"), "b.fa")},
        {"upload": (io.BytesIO(b"A"), "a.fa")},
        {"file": "text, not a file"},
        {f"f{i}": (io.BytesIO(b"A"), f"{i}.fa") for i in range(50)},
    ):
        response = rev.post(f"{API}/verify", data=form, content_type="multipart/form-data")
        assert response.status_code in (413, 422), response.get_data(as_text=True)[:300]


def test_ids_beyond_any_integer_column_are_not_found(site: Site) -> None:
    rev = site.client("rev")
    for big in (2**63, 10**30):
        for method, suffix in (
            ("GET", "provenance"),
            ("GET", "proof"),
            ("GET", "lineage.prov.json"),
            ("POST", "verify"),
            ("POST", "retract"),
        ):
            response = rev.open(
                f"{API}/datasets/{big}/{suffix}", method=method, json={"reason": "x"}
            )
            assert response.status_code == 404, (suffix, response.status_code)


def test_anonymous_and_wrong_password_callers_get_nothing(
    site: Site, imported: Callable[[str], int]
) -> None:
    target = imported("anonymous")
    anonymous = site.client()
    assert (
        site.server.test_client()
        .post("/login", data={"username": "rev", "password": PASSWORD + "x"})
        .status_code
        != 302
    )
    for method, path in (
        ("POST", f"{API}/datasets/{target}/retract"),
        ("POST", f"{API}/datasets/{target}/verify"),
        ("POST", f"{API}/verify"),
        ("GET", f"{API}/datasets/{target}/proof"),
    ):
        response = anonymous.open(path, method=method, json={"reason": "x", "sha256": "0" * 64})
        assert response.status_code == 401, path
    status = site.client("rev").get(f"{API}/datasets/{target}/provenance").get_json()["status"]
    assert status["state"] != provenance.RETRACTED


def test_the_openapi_document_describes_the_downloads_bodies(site: Site) -> None:
    spec = site.client("sci").get(f"{API}/openapi.json").get_json()
    for path in (
        "/api/v1/datasets/{dataset_id}/proof",
        "/api/v1/datasets/{dataset_id}/lineage.prov.json",
    ):
        ok = spec["paths"][path]["get"]["responses"]["200"]
        assert "application/json" in ok.get("content", {}), (path, ok)
