"""Proof bundles, verification step by step, and ``python -m ledger verify``."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from ledger import __main__ as cli
from ledger.chain import Registry, has_registry_code
from ledger.merkle import MerkleTree
from ledger.network import ChainSettings, connect, rpc_web3
from ledger.proof import Bundle, BundleError, build_bundle, parse_bundle
from ledger.records import audit_checkpoint_record, dataset_record, leaf_of
from ledger.verify import (
    ANCHORED,
    CHAIN,
    CONFIRMED,
    FILE,
    INCLUDED,
    LINEAGE,
    NOT_RETRACTED,
    PROOF,
    RECORD,
    sha256_file,
    verify_bundle,
)

from .rpc_shim import serve
from .tester_chain import DevChain, funded_account, new_chain

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def record_for(path: Path, dataset_id: int, parents: list[str] | None = None) -> dict[str, Any]:
    data = path.read_bytes()
    return dataset_record(
        dataset_id=dataset_id,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        format="fasta",
        filename=path.name,
        material=None,
        experiment="E1",
        sample="S1",
        activity_type="import",
        software_name="MicroSpaceGen",
        software_version="0.1.0",
        parameters={"k": 21},
        started_at=T0,
        ended_at=T0,
        agent_id=1,
        agent_username="ada",
        parent_leaves=parents or [],
    )


@dataclass
class Anchored:
    dev: DevChain
    files: list[Path]
    bundles: list[Bundle]
    tree: MerkleTree


def anchor_files(dev: DevChain, files: list[Path]) -> Anchored:
    records = [record_for(f, i + 1) for i, f in enumerate(files)]
    tree = MerkleTree([leaf_of(r) for r in records])
    tx_hash = dev.registry.anchor(dev.account, tree.root, len(records), bytes(32))
    receipt = dev.registry.receipt(tx_hash)
    assert receipt is not None
    bundles = [
        build_bundle(
            record=r,
            proof=tree.proof(leaf_of(r)),
            root=tree.root,
            chain_id=dev.registry.chain_id,
            contract=dev.registry.address,
            tx_hash=tx_hash,
            block_number=receipt.block_number,
        )
        for r in records
    ]
    return Anchored(dev, files, bundles, tree)


@pytest.fixture(scope="module")
def anchored(tmp_path_factory: pytest.TempPathFactory) -> Anchored:
    folder = tmp_path_factory.mktemp("files")
    files = []
    for i in range(3):
        path = folder / f"genome-{i}.fa"
        path.write_bytes(f">seq{i}\nACGT{'T' * i}\n".encode())
        files.append(path)
    return anchor_files(new_chain(), files)


# --- bundles ---------------------------------------------------------------------------------


def test_bundle_round_trips_through_its_file(anchored: Anchored) -> None:
    bundle = anchored.bundles[1]
    text = bundle.to_json()
    assert parse_bundle(text) == bundle
    assert parse_bundle(text.encode()) == bundle
    data = json.loads(text)
    assert data["format"] == "microspacegen-proof/1"
    assert data["dataset"] == {"id": 2, "filename": "genome-1.fa"}
    assert data["leaf"] == "0x" + leaf_of(bundle.record).hex()
    assert (
        data["record_sha256"]
        == hashlib.sha256(
            json.dumps(bundle.record, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
    )
    assert data["chain"]["contract"] == anchored.dev.registry.address


def test_build_bundle_refuses_a_proof_that_does_not_verify(anchored: Anchored) -> None:
    bundle = anchored.bundles[0]
    with pytest.raises(BundleError, match="does not lead from the record's leaf to the root"):
        build_bundle(
            record=bundle.record,
            proof=[os.urandom(32)],
            root=bundle.root,
            chain_id=1,
            contract=bundle.chain.contract,
            tx_hash=bundle.chain.tx_hash,
            block_number=1,
        )


def test_an_audit_checkpoint_bundle_has_no_dataset() -> None:
    record = audit_checkpoint_record(seq=3, digest="ab" * 32, at=T0)
    leaf = leaf_of(record)
    bundle = build_bundle(
        record=record,
        proof=[],
        root=leaf,
        chain_id=1337,
        contract="0x" + "12" * 20,
        tx_hash="0x" + "34" * 32,
        block_number=9,
    )
    assert bundle.dataset_id is None
    assert bundle.to_dict()["dataset"] is None
    assert parse_bundle(bundle.to_json()) == bundle
    report = verify_bundle(None, bundle, None)
    assert report.check(FILE).ok is None
    assert report.check(RECORD).ok is True


def _edited(bundle: Bundle, edit: str) -> str:
    data = bundle.to_dict()
    exec(edit, {"d": data})  # noqa: S102 - edits written in this file
    return json.dumps(data)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("d['format'] = 'microspacegen-proof/2'", "format: expected 'microspacegen-proof/1'"),
        ("del d['root']", "bundle: missing root"),
        ("d['note'] = 'hi'", "bundle: unexpected note"),
        ("d['leaf'] = d['leaf'][2:]", "leaf: expected 0x and 64 lowercase hex digits"),
        ("d['root'] = d['root'].upper()", "root: expected 0x and 64"),
        ("d['proof'] = 'x'", "proof: expected a list"),
        ("d['proof'] = [d['leaf']] * 17", "proof: 17 elements"),
        ("d['proof'] = [1]", r"proof\[0\]: expected 0x"),
        ("d['record_sha256'] = '0x' + d['record_sha256']", "record_sha256: expected 64 hex"),
        ("d['chain']['chain_id'] = '1'", "chain.chain_id: expected an integer"),
        ("d['chain']['chain_id'] = True", "chain.chain_id: expected an integer"),
        ("d['chain']['contract'] = '0x12'", "chain.contract: expected an address"),
        ("d['chain']['block_number'] = -1", "chain.block_number: expected an integer ≥ 0"),
        ("del d['chain']['tx_hash']", "chain: missing tx_hash"),
        ("d['dataset']['id'] = 99", "dataset.id: 99, but the record is dataset/1"),
        ("d['dataset']['filename'] = 'other.fa'", "dataset.filename: differs"),
        ("d['dataset'] = None", "dataset: expected an object"),
        ("d['record']['entity']['size'] = 1.5", "record.entity.size: expected an integer"),
        ("d['record']['salt'] = 'x'", "record.salt: expected 64 lowercase hex"),
    ],
)
def test_parse_bundle_is_strict_and_names_the_field(
    anchored: Anchored, edit: str, message: str
) -> None:
    with pytest.raises(BundleError, match=message):
        parse_bundle(_edited(anchored.bundles[0], edit))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON: Expecting property name"),
        ("[]", "bundle: expected an object, got list"),
        ('{"format": 1, "format": 2}', "format: given twice"),
        ('{"x": NaN}', "NaN is not a number a record can hold"),
        (b"\xff\xfe", "not UTF-8 text|not JSON"),
    ],
)
def test_parse_bundle_refuses_broken_json(text: str | bytes, message: str) -> None:
    with pytest.raises(BundleError, match=message):
        parse_bundle(text)


# --- verification ----------------------------------------------------------------------------


def states(report: Any) -> dict[str, bool | None]:
    return {c.name: c.ok for c in report.checks}


def test_everything_verifies(anchored: Anchored) -> None:
    report = verify_bundle(anchored.files[0], anchored.bundles[0], anchored.dev.registry)
    assert states(report) == {
        FILE: True,
        RECORD: True,
        PROOF: True,
        CHAIN: True,
        ANCHORED: True,
        INCLUDED: True,
        CONFIRMED: True,
        NOT_RETRACTED: True,
    }
    assert report.ok is True
    assert report.remaining is None
    assert report.error is None
    assert anchored.dev.account.address in report.check(ANCHORED).detail


def test_offline_leaves_the_chain_open_and_says_what_remains(anchored: Anchored) -> None:
    bundle = anchored.bundles[0]
    report = verify_bundle(anchored.files[0], bundle, None)
    assert states(report) == {FILE: True, RECORD: True, PROOF: True, CHAIN: None}
    assert report.ok is None
    assert report.remaining is not None
    assert f"root 0x{bundle.root.hex()}" in report.remaining
    assert f"contract {bundle.chain.contract} on chain {bundle.chain.chain_id}" in report.remaining
    assert f"tx 0x{bundle.chain.tx_hash.hex()}" in report.remaining
    assert report.check(CHAIN).detail.startswith("not checked (offline): root 0x")


def test_a_changed_byte_is_caught(anchored: Anchored, tmp_path: Path) -> None:
    copy = tmp_path / "copy.fa"
    data = bytearray(anchored.files[0].read_bytes())
    data[3] ^= 0x01
    copy.write_bytes(bytes(data))
    report = verify_bundle(copy, anchored.bundles[0], None)
    assert report.check(FILE).ok is False
    assert "the record says" in report.check(FILE).detail
    assert report.ok is False
    copy.write_bytes(bytes(data) + b"\n")
    assert "the file has" in verify_bundle(copy, anchored.bundles[0], None).check(FILE).detail


def test_an_edited_record_is_caught(anchored: Anchored) -> None:
    bundle = anchored.bundles[0]
    record = json.loads(json.dumps(bundle.record))
    record["agent"]["username"] = "mallory"
    report = verify_bundle(None, replace(bundle, record=record), anchored.dev.registry)
    assert report.check(RECORD).ok is False
    assert report.check(FILE).ok is None


def test_a_bundle_with_a_matching_but_foreign_leaf_is_caught(anchored: Anchored) -> None:
    """Record and digest changed together: the leaf no longer matches the bundle's."""
    bundle, other = anchored.bundles[0], anchored.bundles[1]
    forged = replace(bundle, record=other.record, record_sha256=other.record_sha256)
    assert verify_bundle(None, forged, None).check(RECORD).ok is False


def test_a_wrong_path_fails_here_and_in_the_contract(anchored: Anchored) -> None:
    bundle = anchored.bundles[0]
    bad = replace(bundle, proof=(os.urandom(32), *bundle.proof[1:]))
    report = verify_bundle(anchored.files[0], bad, anchored.dev.registry)
    assert report.check(PROOF).ok is False
    assert report.check(ANCHORED).ok is True
    assert report.check(INCLUDED).ok is False


def test_an_unanchored_root_fails(anchored: Anchored) -> None:
    record = json.loads(json.dumps(anchored.bundles[0].record))
    record["salt"] = "00" * 32
    leaf = leaf_of(record)
    bundle = replace(
        anchored.bundles[0],
        record=record,
        record_sha256=hashlib.sha256(
            json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        ).digest(),
        leaf=leaf,
        proof=(),
        root=leaf,
    )
    report = verify_bundle(anchored.files[0], bundle, anchored.dev.registry)
    assert states(report) == {FILE: True, RECORD: True, PROOF: True, CHAIN: True, ANCHORED: False}


def test_too_few_confirmations_fail(anchored: Anchored) -> None:
    report = verify_bundle(
        anchored.files[0], anchored.bundles[0], anchored.dev.registry, min_confirmations=10_000
    )
    assert report.check(CONFIRMED).ok is False
    assert "10000 required" in report.check(CONFIRMED).detail


def test_another_chain_or_contract_fails(anchored: Anchored) -> None:
    other = Registry(anchored.dev.w3, anchored.dev.registry.address, chain_id=5)
    report = verify_bundle(anchored.files[0], anchored.bundles[0], other)
    assert report.check(CHAIN).ok is False
    assert "connected to chain 5" in report.check(CHAIN).detail


def test_a_retracted_leaf_fails_with_its_reason(tmp_path: Path) -> None:
    files = []
    for i in range(2):
        path = tmp_path / f"r{i}.fa"
        path.write_bytes(b">r\nAC" + bytes([65 + i]))
        files.append(path)
    scene = anchor_files(new_chain(), files)
    bundle = scene.bundles[0]
    scene.dev.registry.retract(
        scene.dev.account, bundle.root, bundle.leaf, list(bundle.proof), "contaminated culture"
    )
    report = verify_bundle(files[0], bundle, scene.dev.registry)
    assert report.check(NOT_RETRACTED).ok is False
    assert "contaminated culture" in report.check(NOT_RETRACTED).detail
    assert report.ok is False
    assert verify_bundle(files[1], scene.bundles[1], scene.dev.registry).ok is True


def test_an_unreachable_node_leaves_the_chain_open(anchored: Anchored) -> None:
    registry = Registry(rpc_web3("http://127.0.0.1:9", 0.5), anchored.bundles[0].chain.contract)
    report = verify_bundle(anchored.files[0], anchored.bundles[0], registry)
    assert report.check(CHAIN).ok is None
    assert report.error is not None
    assert "unreachable" in report.error
    assert report.ok is None


def test_lineage_is_listed_for_the_parents() -> None:
    parent = "ab" * 32
    record = audit_checkpoint_record(seq=1, digest="cd" * 32, at=T0)
    bundle = build_bundle(
        record=record,
        proof=[],
        root=leaf_of(record),
        chain_id=1,
        contract="0x" + "12" * 20,
        tx_hash="0x" + "34" * 32,
        block_number=1,
    )
    assert LINEAGE not in states(verify_bundle(None, bundle, None))
    folder = Path(__file__).parent
    child = record_for(folder / "__init__.py", 5, parents=[parent])
    child_bundle = replace(bundle, record=child)
    report = verify_bundle(None, child_bundle, None)
    assert report.check(LINEAGE).ok is None
    assert f"0x{parent}" in report.check(LINEAGE).detail
    assert report.remaining is not None
    assert f"the parent datasets with leaves 0x{parent}" in report.remaining


def test_sha256_file_reports_progress(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    data = os.urandom(2 * (1 << 20) + 123)
    path.write_bytes(data)
    seen: list[int] = []
    assert sha256_file(path, seen.append) == hashlib.sha256(data).hexdigest()
    assert seen == [1 << 20, 2 << 20, len(data)]
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert sha256_file(empty) == hashlib.sha256(b"").hexdigest()


# --- the command -----------------------------------------------------------------------------


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stderr
    sys.stderr = err
    try:
        status = cli.main(list(argv), out=out)
    finally:
        sys.stderr = old
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def bundle_file(anchored: Anchored, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("proofs") / "genome-0.fa.proof.json"
    path.write_text(anchored.bundles[0].to_json())
    return path


def test_cli_offline(anchored: Anchored, bundle_file: Path) -> None:
    status, out, _ = run_cli("verify", str(anchored.files[0]), str(bundle_file), "--offline")
    assert status == 3  # nothing failed, but the chain is left open
    lines = out.splitlines()
    assert lines[0].startswith("Proof of dataset 1 (genome-0.fa): chain ")
    assert lines[1].startswith("✓ file matches the record: SHA-256 ")
    assert lines[4].startswith("? chain and contract: not checked (offline): root 0x")
    assert lines[-1].startswith("Nothing failed. Still to check: root 0x")


def test_cli_over_rpc(anchored: Anchored, bundle_file: Path, tmp_path: Path) -> None:
    with serve(anchored.dev.w3.provider) as url:
        registry = anchored.dev.registry.address
        status, out, err = run_cli(
            "verify", str(anchored.files[0]), str(bundle_file), "--rpc", url, "--contract", registry
        )
        assert (status, err) == (0, "")
        assert out.splitlines()[-1] == "Verified."
        assert out.count("✓") == 9
        assert f"✓ trusted registry: {registry} is the registry you trust" in out
        # Without --contract, any registry would do: the step stays open and it is not "Verified."
        status, out, _ = run_cli("verify", str(anchored.files[0]), str(bundle_file), "--rpc", url)
        assert status == 3
        assert "? trusted registry: not checked" in out
        assert "Verified." not in out
        # A registry other than the trusted one fails.
        status, out, _ = run_cli(
            "verify",
            str(anchored.files[0]),
            str(bundle_file),
            "--rpc",
            url,
            "--contract",
            "0x" + "12" * 20,
        )
        assert status == 1
        assert "✗ trusted registry" in out
        tampered = tmp_path / "tampered.fa"
        tampered.write_bytes(anchored.files[0].read_bytes().replace(b"ACGT", b"ACGA"))
        status, out, _ = run_cli("verify", str(tampered), str(bundle_file), "--rpc", url)
        assert status == 1
        assert "✗ file matches the record" in out
        assert out.splitlines()[-1] == "FAILED: this file and proof do not verify."
        status, out, _ = run_cli(
            "verify",
            str(anchored.files[0]),
            str(bundle_file),
            "--rpc",
            url,
            "--confirmations",
            "999",
        )
        assert status == 1
        assert "✗ confirmations" in out


def test_cli_refuses_a_node_of_another_chain(anchored: Anchored, tmp_path: Path) -> None:
    data = anchored.bundles[0].to_dict()
    data["chain"]["chain_id"] = 1
    path = tmp_path / "other-chain.json"
    path.write_text(json.dumps(data))
    with serve(anchored.dev.w3.provider) as url:
        status, _, err = run_cli("verify", str(anchored.files[0]), str(path), "--rpc", url)
    assert status == 2
    assert "but the proof is on chain 1: give a node of chain 1" in err


def test_cli_when_the_address_holds_no_registry(anchored: Anchored, tmp_path: Path) -> None:
    data = anchored.bundles[0].to_dict()
    data["chain"]["contract"] = anchored.dev.account.address
    path = tmp_path / "no-registry.json"
    path.write_text(json.dumps(data))
    with serve(anchored.dev.w3.provider) as url:
        status, out, _ = run_cli("verify", str(anchored.files[0]), str(path), "--rpc", url)
    assert status == 1
    assert f"✗ chain and contract: no ProvenanceRegistry at {anchored.dev.account.address}" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "{file}", "{proof}"], "pass --rpc URL|--rpc URL of a node"),
        (["verify", "{file}", "missing.json", "--offline"], "cannot read missing.json"),
        (["verify", "missing.fa", "{proof}", "--offline"], "cannot read missing.fa"),
        (["verify", "{file}", "{file}", "--offline"], "is not a proof bundle: not JSON"),
        (["verify", "{file}", "{proof}", "--offline", "--confirmations", "0"], "at least 1"),
        (["verify", "{file}", "{proof}", "--rpc", "http://127.0.0.1:9", "--timeout", "0.5"], ""),
    ],
)
def test_cli_usage_and_io_errors_exit_2(
    anchored: Anchored, bundle_file: Path, argv: list[str], message: str
) -> None:
    args = [a.format(file=anchored.files[0], proof=bundle_file) for a in argv]
    status, _, err = run_cli(*args)
    assert status == 2
    assert err.startswith("error: ")
    assert any(part in err for part in message.split("|"))


def test_cli_on_the_embedded_chain(tmp_path: Path) -> None:
    path = tmp_path / "x.fa"
    path.write_bytes(b">x\nACGT\n")
    record = record_for(path, 1)
    settings = ChainSettings(url=None, directory=tmp_path / "chain")
    with connect(settings, signing=True) as ledger:
        assert ledger.account is not None
        leaf = leaf_of(record)
        tx_hash = ledger.registry.anchor(ledger.account, leaf, 1, bytes(32))
        receipt = ledger.registry.receipt(tx_hash)
        assert receipt is not None
        bundle = build_bundle(
            record=record,
            proof=[],
            root=leaf,
            chain_id=ledger.chain_id,
            contract=ledger.contract_address,
            tx_hash=tx_hash,
            block_number=receipt.block_number,
        )
    proof = tmp_path / "x.fa.proof.json"
    proof.write_text(bundle.to_json())
    status, out, err = run_cli(
        "verify", str(path), str(proof), "--embedded", str(tmp_path / "chain")
    )
    assert (status, err) == (0, "")
    assert out.splitlines()[-1] == "Verified."


def test_python_dash_m_ledger(anchored: Anchored, bundle_file: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ledger", "verify", str(anchored.files[0]), str(bundle_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--rpc URL" in done.stderr
    assert "--offline" in done.stderr


def test_cli_deploys_on_a_chain_given_a_keystore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev = new_chain()
    deployer = funded_account(dev.w3)
    keyfile = tmp_path / "deployer.json"
    keyfile.write_text(json.dumps(Account.encrypt(deployer.key, "s3", kdf="pbkdf2", iterations=2)))
    monkeypatch.setenv("MICROSPACEGEN_CHAIN_PASSWORD", "s3")
    with serve(dev.w3.provider) as url:
        status, out, err = run_cli("deploy", "--rpc", url, "--keyfile", str(keyfile))
        assert (status, err) == (0, "")
        address = out.splitlines()[-1].removeprefix("Set MICROSPACEGEN_CHAIN_CONTRACT=")
        assert has_registry_code(dev.w3, address)
        settings = ChainSettings(url=url, directory=tmp_path, contract=address)
        with connect(settings) as ledger:
            assert ledger.registry.has_role("ANCHORER_ROLE", deployer.address)
        monkeypatch.setenv("MICROSPACEGEN_CHAIN_PASSWORD", "wrong")
        status, _, err = run_cli("deploy", "--rpc", url, "--keyfile", str(keyfile))
        assert status == 2
        assert "MICROSPACEGEN_CHAIN_PASSWORD does not decrypt" in err


# --- lineage ---------------------------------------------------------------------------------


@dataclass
class Family:
    dev: DevChain
    files: dict[str, Path]
    bundles: dict[str, Bundle]


def anchor_batch(dev: DevChain, records: dict[str, dict[str, Any]]) -> dict[str, Bundle]:
    tree = MerkleTree([leaf_of(r) for r in records.values()])
    tx_hash = dev.registry.anchor(dev.account, tree.root, len(records), bytes(32))
    receipt = dev.registry.receipt(tx_hash)
    assert receipt is not None
    return {
        name: build_bundle(
            record=r,
            proof=tree.proof(leaf_of(r)),
            root=tree.root,
            chain_id=dev.registry.chain_id,
            contract=dev.registry.address,
            tx_hash=tx_hash,
            block_number=receipt.block_number,
        )
        for name, r in records.items()
    }


@pytest.fixture(scope="module")
def family(tmp_path_factory: pytest.TempPathFactory) -> Family:
    """parent → child → grandchild, one batch each; ``late`` is a parent anchored after
    its child ``early``; ``bad`` is a parent retracted after ``orphan`` was derived from it."""
    folder = tmp_path_factory.mktemp("family")
    files = {}
    for i, name in enumerate(["parent", "child", "grand", "late", "early", "bad", "orphan"]):
        files[name] = folder / f"{name}.fa"
        files[name].write_bytes(f">{name}\n{'ACGT' * (i + 1)}\n".encode())
    dev = new_chain()
    records = {name: record_for(files[name], i + 1) for i, name in enumerate(files)}
    bundles = anchor_batch(dev, {"parent": records["parent"], "bad": records["bad"]})
    child = record_for(files["child"], 2, parents=[leaf_of(records["parent"]).hex()])
    bundles |= anchor_batch(dev, {"child": child})
    grand = record_for(files["grand"], 3, parents=[leaf_of(child).hex()])
    early = record_for(files["early"], 5, parents=[leaf_of(records["late"]).hex()])
    orphan = record_for(files["orphan"], 7, parents=[leaf_of(records["bad"]).hex()])
    bundles |= anchor_batch(dev, {"grand": grand, "early": early, "orphan": orphan})
    bundles |= anchor_batch(dev, {"late": records["late"]})
    bad = bundles["bad"]
    dev.registry.retract(dev.account, bad.root, bad.leaf, list(bad.proof), "mislabelled tube")
    return Family(dev, files, bundles)


def test_lineage_verified_end_to_end(family: Family) -> None:
    b = family.bundles
    report = verify_bundle(
        family.files["grand"], b["grand"], family.dev.registry, ancestors=[b["parent"], b["child"]]
    )
    assert report.check("lineage: dataset 2").ok is True
    assert report.check("lineage: dataset 1").ok is True
    assert report.ok is True
    assert report.remaining is None


def test_a_missing_grandparent_is_left_open(family: Family) -> None:
    b = family.bundles
    report = verify_bundle(
        family.files["grand"], b["grand"], family.dev.registry, ancestors=[b["child"]]
    )
    assert report.check("lineage: dataset 2").ok is True
    assert report.check(LINEAGE).ok is None
    assert f"0x{b['parent'].leaf.hex()}" in report.check(LINEAGE).detail
    assert report.ok is None
    assert report.remaining == f"the parent datasets with leaves 0x{b['parent'].leaf.hex()}"


def test_a_parent_anchored_after_its_child_fails(family: Family) -> None:
    b = family.bundles
    report = verify_bundle(
        family.files["early"], b["early"], family.dev.registry, ancestors=[b["late"]]
    )
    assert report.check("lineage: dataset 4").ok is True
    order = report.check("lineage: order")
    assert order.ok is False
    assert "dataset 4 was anchored in block" in order.detail
    assert "after dataset 5 derived from it" in order.detail
    assert report.ok is False


def test_a_retracted_parent_fails_its_children(family: Family) -> None:
    b = family.bundles
    report = verify_bundle(
        family.files["orphan"], b["orphan"], family.dev.registry, ancestors=[b["bad"]]
    )
    parent = report.check("lineage: dataset 6")
    assert parent.ok is False
    assert "mislabelled tube" in parent.detail
    assert report.check(NOT_RETRACTED).ok is True  # the child itself is not retracted
    assert report.ok is False


def test_offline_lineage_checks_records_and_paths(family: Family) -> None:
    b = family.bundles
    report = verify_bundle(family.files["child"], b["child"], None, ancestors=[b["parent"]])
    assert report.check("lineage: dataset 1").ok is None
    assert report.remaining is not None
    assert report.remaining.count("anchored in contract") == 2


def test_an_unrelated_ancestor_is_refused(family: Family) -> None:
    b = family.bundles
    with pytest.raises(ValueError, match="not in this record's lineage: dataset 4"):
        verify_bundle(None, b["child"], None, ancestors=[b["parent"], b["late"]])


def test_cli_with_parents(family: Family, tmp_path: Path) -> None:
    paths = {}
    for name in ("parent", "child", "late"):
        paths[name] = tmp_path / f"{name}.proof.json"
        paths[name].write_text(family.bundles[name].to_json())
    with serve(family.dev.w3.provider) as url:
        status, out, err = run_cli(
            "verify",
            str(family.files["child"]),
            str(paths["child"]),
            "--rpc",
            url,
            "--contract",
            family.dev.registry.address,
            "--parent",
            str(paths["parent"]),
        )
        assert (status, err) == (0, "")
        assert "✓ lineage: dataset 1: verified, anchored in block" in out
        status, _, err = run_cli(
            "verify",
            str(family.files["child"]),
            str(paths["child"]),
            "--offline",
            "--parent",
            str(paths["late"]),
        )
        assert status == 2
        assert "not in this record's lineage: dataset 4" in err
