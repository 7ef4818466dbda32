"""Shared by the contract tests: the committed artifact, a reference Merkle tree, reverts."""

from __future__ import annotations

import ast
import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from eth_abi import decode
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError

ROOT = Path(__file__).resolve().parents[3]
ARTIFACT_PATH = ROOT / "contracts" / "build" / "ProvenanceRegistry.json"
NODE_MODULES = ROOT / "node_modules"
REVERTED_PREFIX = "execution reverted: "


@cache
def artifact() -> dict[str, Any]:
    """The committed build artifact."""
    loaded: dict[str, Any] = json.loads(ARTIFACT_PATH.read_text(encoding="utf-8"))
    return loaded


def require_node_modules(*packages: str) -> str:
    """Path of ``node`` when it and ``packages`` are installed; else skip locally, fail on CI."""
    node = shutil.which("node")
    missing = [p for p in packages if not (NODE_MODULES / p / "package.json").is_file()]
    if node and not missing:
        return node
    why = (
        "node is not on PATH"
        if not node
        else f"node_modules lacks {', '.join(missing)} (run `npm ci` in the repository)"
    )
    if os.environ.get("CI"):
        pytest.fail(f"{why}; CI must install the JavaScript tools (scripts/test.sh runs npm ci)")
    pytest.skip(why)


def deploy(w3: Web3, sender: str, admin: str, anchorer: str) -> Contract:
    """Deploy the registry from ``sender`` (an unlocked account)."""
    factory = w3.eth.contract(abi=artifact()["abi"], bytecode=artifact()["bytecode"])
    tx_hash = factory.constructor(admin, anchorer).transact({"from": sender})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact()["abi"])


# --- a small, independent OpenZeppelin StandardMerkleTree for ["bytes32"] values ----------


def leaf_hash(value: bytes) -> bytes:
    """keccak256(keccak256(abi.encode(bytes32 value))): OZ's double-hashed leaf."""
    assert len(value) == 32
    return keccak(keccak(value))


def _hash_pair(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


@dataclass(frozen=True)
class Tree:
    """StandardMerkleTree.of(values, ["bytes32"]) with proofs, in input order."""

    root: bytes
    leaves: list[bytes]
    proofs: list[list[bytes]]


def build_tree(values: list[bytes]) -> Tree:
    """Sorted leaves in an array of 2n-1 nodes (leaf j at len-1-j), sorted-pair parents."""
    leaves = [leaf_hash(v) for v in values]
    order = sorted(range(len(leaves)), key=lambda i: leaves[i])
    size = 2 * len(leaves) - 1
    nodes = [b""] * size
    position = {}
    for rank, i in enumerate(order):
        position[i] = size - 1 - rank
        nodes[size - 1 - rank] = leaves[i]
    for k in range(size - 1 - len(leaves), -1, -1):
        nodes[k] = _hash_pair(nodes[2 * k + 1], nodes[2 * k + 2])
    proofs = []
    for i in range(len(leaves)):
        k, proof = position[i], []
        while k > 0:
            proof.append(nodes[k + 1 if k % 2 else k - 1])
            k = (k - 1) // 2
        proofs.append(proof)
    return Tree(nodes[0], leaves, proofs)


# --- reverts --------------------------------------------------------------------------------


def _revert_data(exc: Exception) -> bytes:
    """The raw revert data, from eth-tester's TransactionFailed or web3's ContractLogicError."""
    if isinstance(exc, TransactionFailed):
        # web3's eth-tester provider re-raises it as "execution reverted: b'...'" (a bytes repr).
        message = str(exc.args[0])
        assert message.startswith(REVERTED_PREFIX), message
        data = ast.literal_eval(message.removeprefix(REVERTED_PREFIX))
        assert isinstance(data, bytes), message
        return data
    data = exc.data if isinstance(exc, ContractLogicError) else None
    if isinstance(data, dict):  # web3 8 over JSON-RPC: the node's error object
        data = data.get("data")
    assert isinstance(data, str), f"no revert data in {exc!r}"
    return bytes.fromhex(data.removeprefix("0x"))


def decode_revert(exc: Exception) -> tuple[str, tuple[Any, ...]]:
    """(custom error name, arguments) of a revert, looked up in the artifact's ABI."""
    data = _revert_data(exc)
    for item in artifact()["abi"]:
        if item["type"] != "error":
            continue
        types = [i["type"] for i in item["inputs"]]
        selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
        if data[:4] == selector:
            decoded = decode(types, data[4:])
            return item["name"], tuple(
                Web3.to_checksum_address(v) if t == "address" else v
                for t, v in zip(types, decoded, strict=True)
            )
    raise AssertionError(f"unknown revert data 0x{data.hex()}")


REVERTS = (TransactionFailed, ContractLogicError, ContractCustomError)


def expect_revert(fn: Any, name: str, *args: Any) -> None:
    """Call ``fn()`` and assert it reverts with custom error ``name(args)``."""
    with pytest.raises(REVERTS) as caught:
        fn()
    assert decode_revert(caught.value) == (name, args)
