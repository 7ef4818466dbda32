"""Merkle trees laid out exactly as OpenZeppelin's StandardMerkleTree.

Same layout as ``@openzeppelin/merkle-tree`` (leaves sorted ascending, a flat array of
``2n - 1`` nodes with leaf ``i`` at ``tree[len - 1 - i]``, inner nodes the keccak of the
sorted pair), so roots match what the JS library computes and every proof verifies with
OpenZeppelin's ``MerkleProof`` in the contract. Leaves are already hashed (see
:func:`ledger.records.leaf_of`); this module never hashes a record itself.

>>> a, b = bytes(31) + b"\\x01", bytes(31) + b"\\x02"
>>> tree = MerkleTree([b, a])
>>> tree.leaves == (a, b) and tree.root == hash_pair(b, a)
True
>>> verify_proof(a, tree.proof(a), tree.root), verify_proof(a, [], tree.root)
(True, False)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Final

from eth_hash.auto import keccak

MAX_LEAVES: Final = 65_535  # the contract stores a batch's leaf count as uint16


def hash_pair(a: bytes, b: bytes) -> bytes:
    """Commutative node hash: keccak256 of the pair in ascending order."""
    return bytes(keccak(a + b if a <= b else b + a))


def _check_node(node: object, what: str) -> bytes:
    if not isinstance(node, bytes | bytearray) or len(node) != 32:
        size = len(node) if isinstance(node, bytes | bytearray) else type(node).__name__
        raise ValueError(f"{what} must be 32 bytes, got {size}")
    return bytes(node)


class MerkleTree:
    """A batch of 1 to 65,535 distinct leaves; ``.root`` is what gets anchored."""

    __slots__ = ("_index", "_leaves", "_tree")

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not 1 <= len(leaves) <= MAX_LEAVES:
            raise ValueError(f"a tree holds 1 to {MAX_LEAVES:,} leaves, got {len(leaves):,}")
        ordered = sorted(_check_node(leaf, f"leaf {i}") for i, leaf in enumerate(leaves))
        for left, right in itertools.pairwise(ordered):
            if left == right:
                raise ValueError(f"leaf 0x{left.hex()} is listed twice")
        size = 2 * len(ordered) - 1
        tree: list[bytes] = [b""] * (size - len(ordered)) + ordered[::-1]
        for i in range(size - len(ordered) - 1, -1, -1):
            tree[i] = hash_pair(tree[2 * i + 1], tree[2 * i + 2])
        self._leaves = tuple(ordered)
        self._tree = tree
        self._index = {leaf: size - 1 - i for i, leaf in enumerate(ordered)}

    @property
    def root(self) -> bytes:
        return self._tree[0]

    @property
    def leaves(self) -> tuple[bytes, ...]:
        """The leaves in ascending order (the order the tree stores them in)."""
        return self._leaves

    def __len__(self) -> int:
        return len(self._leaves)

    def __contains__(self, leaf: object) -> bool:
        return leaf in self._index

    def proof(self, leaf: bytes) -> list[bytes]:
        """Sibling hashes from ``leaf`` up to the root (empty for a one-leaf tree)."""
        try:
            index = self._index[bytes(leaf)]
        except KeyError:
            raise ValueError(f"leaf 0x{bytes(leaf).hex()} is not in this tree") from None
        path: list[bytes] = []
        while index > 0:
            path.append(self._tree[index - 1 if index % 2 == 0 else index + 1])
            index = (index - 1) // 2
        return path


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root ``proof`` rebuilds from ``leaf`` (as OpenZeppelin ``MerkleProof.processProof``)."""
    node = _check_node(leaf, "the leaf")
    for i, sibling in enumerate(proof):
        node = hash_pair(node, _check_node(sibling, f"proof element {i}"))
    return node


def verify_proof(leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``proof`` links ``leaf`` to ``root``; malformed input is simply not a proof."""
    try:
        return process_proof(leaf, proof) == _check_node(root, "the root")
    except ValueError:
        return False
