"""ProvenanceRegistry's behaviour, on the committed artifact, in an in-memory eth-tester chain."""

from __future__ import annotations

import json
import secrets
import subprocess
from typing import Any

import pytest
from eth_utils import keccak
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract

from tests.unit.contracts.support import (
    ROOT,
    build_tree,
    deploy,
    expect_revert,
    leaf_hash,
    require_node_modules,
)

ANCHORS_SLOT = 1  # storage: AccessControl's _roles at 0, then _anchors, then _retractions
GAS_CEILING = 50_000
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class Chain:
    """A fresh chain and registry: admin, anchorer (anchors and retracts), stranger."""

    def __init__(self) -> None:
        self.w3 = Web3(EthereumTesterProvider())
        self.admin, self.anchorer, self.stranger = self.w3.eth.accounts[:3]
        self.registry: Contract = deploy(self.w3, self.admin, self.admin, self.anchorer)

    def anchor(self, root: bytes, leaf_count: int, manifest: bytes = b"\x11" * 32) -> Any:
        tx_hash = self.registry.functions.anchor(root, leaf_count, manifest).transact(
            {"from": self.anchorer}
        )
        return self.w3.eth.wait_for_transaction_receipt(tx_hash)

    def retract(self, root: bytes, leaf: bytes, proof: list[bytes], reason: str) -> Any:
        tx_hash = self.registry.functions.retract(root, leaf, proof, reason).transact(
            {"from": self.anchorer}
        )
        return self.w3.eth.wait_for_transaction_receipt(tx_hash)


@pytest.fixture
def chain() -> Chain:
    return Chain()


def values(n: int) -> list[bytes]:
    return [secrets.token_bytes(32) for _ in range(n)]


def test_roles_after_deployment(chain: Chain) -> None:
    f = chain.registry.functions
    anchorer_role, retractor_role = f.ANCHORER_ROLE().call(), f.RETRACTOR_ROLE().call()
    assert anchorer_role == keccak(text="ANCHORER_ROLE")
    assert retractor_role == keccak(text="RETRACTOR_ROLE")
    assert f.hasRole(f.DEFAULT_ADMIN_ROLE().call(), chain.admin).call()
    assert f.hasRole(anchorer_role, chain.anchorer).call()
    assert f.hasRole(retractor_role, chain.anchorer).call()
    assert not f.hasRole(anchorer_role, chain.admin).call()
    assert not f.hasRole(retractor_role, chain.stranger).call()


def test_anchor_records_submitter_block_and_count_in_one_slot(chain: Chain) -> None:
    root = secrets.token_bytes(32)
    receipt = chain.anchor(root, 1000)
    block = chain.w3.eth.get_block(receipt["blockNumber"])
    assert receipt["status"] == 1
    assert chain.registry.functions.anchorOf(root).call() == (
        chain.anchorer,
        block["timestamp"],
        block["number"],
        1000,
    )
    # The whole anchor lives in one slot, packed as Solidity lays out the struct; the next is empty.
    slot = int.from_bytes(keccak(root + ANCHORS_SLOT.to_bytes(32, "big")), "big")
    raw = int.from_bytes(chain.w3.eth.get_storage_at(chain.registry.address, slot), "big")
    expected = (
        int(chain.anchorer, 16) | block["timestamp"] << 160 | block["number"] << 200 | 1000 << 240
    )
    assert raw == expected
    assert int.from_bytes(chain.w3.eth.get_storage_at(chain.registry.address, slot + 1)) == 0


def test_anchor_gas(chain: Chain) -> None:
    chain.anchor(secrets.token_bytes(32), 1)  # the first anchor is not special, but warm up anyway
    used = [chain.anchor(secrets.token_bytes(32), n)["gasUsed"] for n in (1, 100, 1000, 65535)]
    print(f"anchor() gas used (leaf counts 1, 100, 1000, 65535): {used}")
    assert max(used) <= GAS_CEILING


def test_anchored_event_carries_root_manifest_and_count(chain: Chain) -> None:
    root, manifest = secrets.token_bytes(32), secrets.token_bytes(32)
    receipt = chain.anchor(root, 7, manifest)
    (event,) = chain.registry.events.Anchored().process_receipt(receipt)
    assert event["args"] == {"root": root, "manifest": manifest, "leafCount": 7}
    assert receipt["from"] == chain.anchorer


def test_unknown_root_reads_as_zeroes(chain: Chain) -> None:
    assert chain.registry.functions.anchorOf(secrets.token_bytes(32)).call() == (
        ZERO_ADDRESS,
        0,
        0,
        0,
    )


def test_repeated_root_reverts_and_keeps_the_first_anchor(chain: Chain) -> None:
    root = secrets.token_bytes(32)
    chain.anchor(root, 3)
    first = chain.registry.functions.anchorOf(root).call()
    expect_revert(lambda: chain.anchor(root, 3), "RootAlreadyAnchored", root)
    expect_revert(lambda: chain.anchor(root, 9, b"\x22" * 32), "RootAlreadyAnchored", root)
    assert chain.registry.functions.anchorOf(root).call() == first


def test_zero_root_and_empty_batch_revert(chain: Chain) -> None:
    expect_revert(lambda: chain.anchor(b"\x00" * 32, 1), "ZeroRoot")
    expect_revert(lambda: chain.anchor(secrets.token_bytes(32), 0), "EmptyBatch")


def test_only_the_anchoring_role_anchors(chain: Chain) -> None:
    root = secrets.token_bytes(32)
    role = chain.registry.functions.ANCHORER_ROLE().call()
    for account in (chain.stranger, chain.admin):  # the admin may grant the role, not use it
        expect_revert(
            lambda account=account: chain.registry.functions.anchor(root, 1, root).transact(
                {"from": account}
            ),
            "AccessControlUnauthorizedAccount",
            account,
            role,
        )
    assert chain.registry.functions.anchorOf(root).call()[0] == ZERO_ADDRESS
    chain.registry.functions.grantRole(role, chain.stranger).transact({"from": chain.admin})
    chain.registry.functions.anchor(root, 1, root).transact({"from": chain.stranger})
    assert chain.registry.functions.anchorOf(root).call()[0] == chain.stranger


@pytest.mark.parametrize("size", [1, 2, 3, 7, 16])
def test_verify_accepts_every_proof_and_reports_the_anchor(chain: Chain, size: int) -> None:
    tree = build_tree(values(size))
    receipt = chain.anchor(tree.root, size)
    anchored = chain.registry.functions.anchorOf(tree.root).call()
    for leaf, proof in zip(tree.leaves, tree.proofs, strict=True):
        result = chain.registry.functions.verify(tree.root, leaf, proof).call()
        assert result == [True, anchored, False, receipt["blockNumber"]]
    if size == 1:
        assert tree.root == tree.leaves[0]
        assert tree.proofs == [[]]


def test_verify_counts_confirmations_through_current_block(chain: Chain) -> None:
    tree = build_tree(values(2))
    receipt = chain.anchor(tree.root, 2)
    chain.w3.testing.mine(4)  # type: ignore[attr-defined]
    *_, current_block = chain.registry.functions.verify(
        tree.root, tree.leaves[0], tree.proofs[0]
    ).call()
    assert current_block - receipt["blockNumber"] + 1 == 5


def flip(data: bytes, bit: int) -> bytes:
    as_int = int.from_bytes(data, "big") ^ (1 << bit)
    return as_int.to_bytes(32, "big")


def test_verify_rejects_altered_leaves_proofs_and_roots(chain: Chain) -> None:
    tree = build_tree(values(5))
    chain.anchor(tree.root, 5)
    verify = chain.registry.functions.verify
    leaf, proof = tree.leaves[2], tree.proofs[2]
    for bit in (0, 7, 128, 255):
        assert verify(tree.root, flip(leaf, bit), proof).call()[0] is False
        assert verify(tree.root, leaf, [flip(proof[0], bit), *proof[1:]]).call()[0] is False
        included, anchored, *_ = verify(flip(tree.root, bit), leaf, proof).call()
        assert (included, anchored[0]) == (False, ZERO_ADDRESS)
    assert verify(tree.root, leaf, tree.proofs[3]).call()[0] is False  # another leaf's path
    assert verify(tree.root, leaf, proof[:-1]).call()[0] is False
    # The record digest itself is not a leaf: only its double hash is.
    assert verify(tree.root, keccak(leaf), proof).call()[0] is False


def test_verify_on_an_unanchored_root_reports_no_anchor(chain: Chain) -> None:
    tree = build_tree(values(3))
    included, anchored, retracted, _ = chain.registry.functions.verify(
        tree.root, tree.leaves[0], tree.proofs[0]
    ).call()
    # `included` is the Merkle check alone; the anchor (zeroed) says the root was never recorded.
    assert (included, anchored, retracted) == (True, (ZERO_ADDRESS, 0, 0, 0), False)


def test_retract_stores_the_reason_and_emits_retracted(chain: Chain) -> None:
    tree = build_tree(values(4))
    chain.anchor(tree.root, 4)
    leaf, proof = tree.leaves[1], tree.proofs[1]
    reason = "contaminated sample: re-sequenced as dataset 42 (µ-chamber 3)"
    receipt = chain.retract(tree.root, leaf, proof, reason)
    block = chain.w3.eth.get_block(receipt["blockNumber"])
    assert chain.registry.functions.retractionOf(leaf).call() == (
        chain.anchorer,
        block["timestamp"],
        reason,
    )
    (event,) = chain.registry.events.Retracted().process_receipt(receipt)
    assert event["args"] == {
        "leaf": leaf,
        "root": tree.root,
        "by": chain.anchorer,
        "reason": reason,
    }
    assert chain.registry.functions.verify(tree.root, leaf, proof).call()[2] is True
    others = [
        chain.registry.functions.verify(tree.root, lf, p).call()[2]
        for lf, p in zip(tree.leaves, tree.proofs, strict=True)
        if lf != leaf
    ]
    assert others == [False, False, False]
    expect_revert(lambda: chain.retract(tree.root, leaf, proof, "again"), "AlreadyRetracted", leaf)


def test_retraction_of_an_unretracted_leaf_reads_as_zeroes(chain: Chain) -> None:
    assert chain.registry.functions.retractionOf(secrets.token_bytes(32)).call() == (
        ZERO_ADDRESS,
        0,
        "",
    )


def test_retract_requires_an_anchored_root_a_valid_proof_and_a_reason(chain: Chain) -> None:
    tree = build_tree(values(3))
    leaf, proof = tree.leaves[0], tree.proofs[0]
    expect_revert(lambda: chain.retract(tree.root, leaf, proof, "x"), "RootNotAnchored", tree.root)
    chain.anchor(tree.root, 3)
    stranger_leaf = leaf_hash(secrets.token_bytes(32))
    expect_revert(
        lambda: chain.retract(tree.root, stranger_leaf, proof, "x"),
        "LeafNotInBatch",
        stranger_leaf,
        tree.root,
    )
    expect_revert(
        lambda: chain.retract(tree.root, leaf, tree.proofs[1], "x"),
        "LeafNotInBatch",
        leaf,
        tree.root,
    )
    expect_revert(lambda: chain.retract(tree.root, leaf, proof, ""), "EmptyReason")
    too_long = "é" * 250 + "x"  # 501 UTF-8 bytes
    expect_revert(
        lambda: chain.retract(tree.root, leaf, proof, too_long), "ReasonTooLong", 501, 500
    )
    assert chain.registry.functions.retractionOf(leaf).call()[0] == ZERO_ADDRESS
    longest = "é" * 250  # exactly 500 bytes
    chain.retract(tree.root, leaf, proof, longest)
    assert chain.registry.functions.retractionOf(leaf).call()[2] == longest


def test_only_the_retracting_role_retracts(chain: Chain) -> None:
    tree = build_tree(values(2))
    chain.anchor(tree.root, 2)
    role = chain.registry.functions.RETRACTOR_ROLE().call()
    for account in (chain.stranger, chain.admin):
        expect_revert(
            lambda account=account: chain.registry.functions.retract(
                tree.root, tree.leaves[0], tree.proofs[0], "not mine to retract"
            ).transact({"from": account}),
            "AccessControlUnauthorizedAccount",
            account,
            role,
        )
    assert chain.registry.functions.retractionOf(tree.leaves[0]).call()[0] == ZERO_ADDRESS


def openzeppelin_vectors(node: str, inputs: list[bytes]) -> dict[str, Any]:
    """StandardMerkleTree.of(inputs, ["bytes32"]) computed by @openzeppelin/merkle-tree."""
    script = ROOT / "tests" / "unit" / "contracts" / "merkle_vectors.js"
    done = subprocess.run(
        [node, str(script)],
        input=json.dumps(["0x" + v.hex() for v in inputs]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    vectors: dict[str, Any] = json.loads(done.stdout)
    return vectors


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 33])
def test_contract_verifies_openzeppelin_merkle_tree_proofs(chain: Chain, size: int) -> None:
    node = require_node_modules("@openzeppelin/merkle-tree")
    inputs = values(size)
    vectors = openzeppelin_vectors(node, inputs)
    root = bytes.fromhex(vectors["root"][2:])
    chain.anchor(root, size)
    reference = build_tree(inputs)
    assert reference.root == root
    for entry, leaf, proof in zip(
        vectors["entries"], reference.leaves, reference.proofs, strict=True
    ):
        js_leaf = bytes.fromhex(entry["leaf"][2:])
        js_proof = [bytes.fromhex(p[2:]) for p in entry["proof"]]
        assert (js_leaf, js_proof) == (leaf, proof)
        included, anchored, retracted, _ = chain.registry.functions.verify(
            root, js_leaf, js_proof
        ).call()
        assert (included, anchored[0], retracted) == (True, chain.anchorer, False)
