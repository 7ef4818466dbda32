"""The committed ProvenanceRegistry artifact on a real JSON-RPC node (Hardhat 2, loopback)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import requests
from eth_account import Account
from web3 import Web3

from tests.integration.hardhat_node import HARDHAT_CHAIN_ID, HardhatNode, hardhat_node, rpc
from tests.unit.contracts.support import build_tree, deploy, expect_revert

pytestmark = pytest.mark.chain
GAS_CEILING = 50_000


@pytest.fixture(scope="module")
def node() -> Iterator[HardhatNode]:
    with hardhat_node() as running:
        yield running


def test_deploy_anchor_verify_retract_with_a_locally_signed_anchor(node: HardhatNode) -> None:
    w3 = Web3(Web3.HTTPProvider(node.url))
    assert w3.eth.chain_id == HARDHAT_CHAIN_ID
    admin = w3.eth.accounts[0]  # unlocked by Hardhat
    # Hardhat's printed dev key #1: public, fine on this throwaway chain only.
    anchorer = Account.from_key(node.dev_private_keys()[1])
    registry = deploy(w3, admin, admin, anchorer.address)

    tree = build_tree([secrets.token_bytes(32) for _ in range(5)])
    manifest = secrets.token_bytes(32)
    tx = registry.functions.anchor(tree.root, 5, manifest).build_transaction(
        {
            "from": anchorer.address,
            "nonce": w3.eth.get_transaction_count(anchorer.address),
            "chainId": HARDHAT_CHAIN_ID,
        }
    )
    signed = anchorer.sign_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction)
    )
    print(f"anchor() gas used on Hardhat: {receipt['gasUsed']}")
    assert receipt["status"] == 1
    assert receipt["gasUsed"] <= GAS_CEILING
    block = w3.eth.get_block(receipt["blockNumber"])
    anchored = (anchorer.address, block["timestamp"], block["number"], 5)
    assert registry.functions.anchorOf(tree.root).call() == anchored
    (event,) = registry.events.Anchored().process_receipt(receipt)
    assert event["args"] == {"root": tree.root, "manifest": manifest, "leafCount": 5}

    rpc(node.url, "evm_mine")
    rpc(node.url, "evm_mine")
    for leaf, proof in zip(tree.leaves, tree.proofs, strict=True):
        included, on_chain, retracted, current = registry.functions.verify(
            tree.root, leaf, proof
        ).call()
        assert (included, on_chain, retracted) == (True, anchored, False)
        assert current - receipt["blockNumber"] + 1 == 3  # confirmations
    wrong = bytes([tree.leaves[0][0] ^ 1]) + tree.leaves[0][1:]
    assert registry.functions.verify(tree.root, wrong, tree.proofs[0]).call()[0] is False

    # Reverts come back from a real node as web3's ContractCustomError, decoded the same way.
    expect_revert(
        lambda: registry.functions.anchor(tree.root, 5, manifest).call({"from": anchorer.address}),
        "RootAlreadyAnchored",
        tree.root,
    )
    role = registry.functions.ANCHORER_ROLE().call()
    expect_revert(
        lambda: registry.functions.anchor(secrets.token_bytes(32), 1, manifest).transact(
            {"from": admin}
        ),
        "AccessControlUnauthorizedAccount",
        admin,
        role,
    )
    registry.functions.retract(tree.root, tree.leaves[2], tree.proofs[2], "wrong sample").transact(
        {"from": anchorer.address}
    )
    assert registry.functions.retractionOf(tree.leaves[2]).call()[2] == "wrong sample"
    assert registry.functions.verify(tree.root, tree.leaves[2], tree.proofs[2]).call()[2] is True


def test_stopped_node_refuses_connections_and_restarts_as_a_fresh_chain() -> None:
    with hardhat_node() as fresh:
        w3 = Web3(Web3.HTTPProvider(fresh.url, request_kwargs={"timeout": 5}))
        admin = w3.eth.accounts[0]
        registry = deploy(w3, admin, admin, admin)
        assert w3.eth.get_code(registry.address) != b""
        fresh.stop()
        assert not fresh.running
        with pytest.raises(requests.exceptions.ConnectionError):
            w3.eth.block_number  # noqa: B018
        fresh.start()
        assert fresh.running
        assert w3.eth.chain_id == HARDHAT_CHAIN_ID
        assert w3.eth.block_number == 0
        assert w3.eth.get_code(registry.address) == b""  # Hardhat keeps nothing across restarts
