"""Merkle trees against @openzeppelin/merkle-tree's output, bit flips, and the contract's view."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from ledger.merkle import MAX_LEAVES, MerkleTree, hash_pair, process_proof, verify_proof
from ledger.records import leaf_of_digest

from .tester_chain import DevChain, new_chain

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures/ledger/oz_vectors.json").read_text()
)
SIZES = [*range(1, 65), 100, 257, 1000]


def leaves(n: int, seed: int = 0) -> list[bytes]:
    return [hashlib.sha256(f"{seed}:{i}".encode()).digest() for i in range(n)]


def flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def h(value: bytes) -> str:
    return "0x" + value.hex()


@pytest.mark.parametrize("vector", VECTORS["trees"], ids=lambda v: f"n={v['n']}")
def test_tree_equals_openzeppelin_standard_merkle_tree(vector: dict[str, Any]) -> None:
    values = [bytes.fromhex(v[2:]) for v in vector["values"]]
    tree_leaves = [leaf_of_digest(v) for v in values]
    assert [h(leaf) for leaf in tree_leaves] == vector["leaves"]
    tree = MerkleTree(tree_leaves)
    assert h(tree.root) == vector["root"] == vector["tree"][0]
    assert [h(leaf) for leaf in tree.leaves] == vector["tree"][::-1][: vector["n"]]
    for leaf, proof in zip(tree_leaves, vector["proofs"], strict=True):
        assert [h(p) for p in tree.proof(leaf)] == proof


def test_leaf_order_given_does_not_matter() -> None:
    items = leaves(13)
    assert MerkleTree(items).root == MerkleTree(items[::-1]).root


@pytest.mark.parametrize("n", SIZES)
def test_every_proof_verifies_and_any_flipped_bit_fails(n: int) -> None:
    rng = random.Random(n)
    items = leaves(n, seed=n)
    tree = MerkleTree(items)
    assert len(tree) == n
    for leaf in items:
        assert verify_proof(leaf, tree.proof(leaf), tree.root)
    for leaf in rng.sample(items, min(n, 4)):
        proof = tree.proof(leaf)
        assert len(proof) <= (n - 1).bit_length()
        for bit in rng.sample(range(256), 8):
            assert not verify_proof(flip(leaf, bit), proof, tree.root)
            assert not verify_proof(leaf, proof, flip(tree.root, bit))
            for i in range(len(proof)):
                bad = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
                assert not verify_proof(leaf, bad, tree.root)
        if proof:
            assert not verify_proof(leaf, proof[:-1], tree.root)
            assert not verify_proof(leaf, [*proof, proof[-1]], tree.root)


def test_single_leaf_is_its_own_root() -> None:
    (leaf,) = leaves(1)
    tree = MerkleTree([leaf])
    assert tree.root == leaf
    assert tree.proof(leaf) == []


def test_inner_nodes_hash_the_sorted_pair() -> None:
    a, b = leaves(2)
    lo, hi = sorted([a, b])
    assert MerkleTree([a, b]).root == hash_pair(a, b) == hash_pair(b, a)
    assert hash_pair(a, b) == process_proof(hi, [lo])


def test_largest_tree_the_contract_counts() -> None:
    items = leaves(MAX_LEAVES)
    tree = MerkleTree(items)
    for leaf in (items[0], items[-1], items[MAX_LEAVES // 2]):
        proof = tree.proof(leaf)
        assert len(proof) in (15, 16)
        assert verify_proof(leaf, proof, tree.root)
    with pytest.raises(ValueError, match="1 to 65,535 leaves, got 65,536"):
        MerkleTree([*items, bytes(32)])


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ([], "got 0"),
        ([b"\x01" * 32, b"\x01" * 32], "listed twice"),
        ([b"\x01" * 31], "leaf 0 must be 32 bytes, got 31"),
        ([b"\x01" * 32, "ab" * 32], "leaf 1 must be 32 bytes, got str"),
    ],
)
def test_bad_leaves_are_refused(given: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MerkleTree(given)


def test_proof_of_a_stranger_and_malformed_proofs() -> None:
    tree = MerkleTree(leaves(3))
    with pytest.raises(ValueError, match="is not in this tree"):
        tree.proof(bytes(32))
    leaf = tree.leaves[0]
    assert not verify_proof(leaf[:31], tree.proof(leaf), tree.root)
    assert not verify_proof(leaf, [b"x"], tree.root)
    assert not verify_proof(leaf, tree.proof(leaf), tree.root + b"\x00")


def test_a_thousand_leaves_build_in_under_50_ms() -> None:
    items = leaves(1000)
    best = min(_timed(lambda: MerkleTree(items)) for _ in range(5))
    assert best < 0.050, f"{best * 1000:.1f} ms"


def _timed(run: Any) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


@pytest.fixture(scope="module")
def chain() -> DevChain:
    return new_chain()


@pytest.mark.parametrize("n", [1, 2, 3, 5, 13, 64, 100, 257, 1000])
def test_python_proofs_verify_in_the_contract_view(chain: DevChain, n: int) -> None:
    """OpenZeppelin's MerkleProof in the contract agrees, including on flipped bits."""
    rng = random.Random(n)
    items = leaves(n, seed=1000 + n)
    tree = MerkleTree(items)
    for leaf in rng.sample(items, min(n, 6)):
        proof = tree.proof(leaf)
        assert chain.registry.verify(tree.root, leaf, proof).included
        bit = rng.randrange(256)
        assert not chain.registry.verify(tree.root, flip(leaf, bit), proof).included
        if proof:
            i = rng.randrange(len(proof))
            bad = [*proof[:i], flip(proof[i], bit), *proof[i + 1 :]]
            assert not chain.registry.verify(tree.root, leaf, bad).included
        assert not chain.registry.verify(flip(tree.root, bit), leaf, proof).included


def test_the_vectors_file_is_what_the_script_writes() -> None:
    """The committed vectors come from scripts/ledger_vectors.js, unedited."""
    root = Path(__file__).resolve().parents[3]
    if (
        shutil.which("node") is None
        or not (root / "node_modules/@openzeppelin/merkle-tree").is_dir()
    ):
        pytest.skip("needs node and `npm install` (@openzeppelin/merkle-tree)")
    written = subprocess.run(
        ["node", "scripts/ledger_vectors.js"],
        cwd=root,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    assert written == (root / "tests/fixtures/ledger/oz_vectors.json").read_bytes()
