"""The registry client and connections: eth-tester in memory, over HTTP, and the embedded chain."""

from __future__ import annotations

import doctest
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from eth_abi.abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError

from ledger import chain as chain_module
from ledger.chain import Registry, chain_errors, has_registry_code, revert_reason
from ledger.embedded import EmbeddedChain
from ledger.errors import ChainError, ChainReverted, ChainUnavailable
from ledger.merkle import MerkleTree
from ledger.network import (
    ChainSettings,
    connect,
    load_keystore,
    public_url,
    read_deployments,
    rpc_web3,
    write_deployments,
)

from .rpc_shim import serve, serve_embedded
from .tester_chain import DevChain, funded_account, new_chain


def selector(signature: str) -> bytes:
    return bytes(keccak(signature.encode()))[:4]


def random_leaves(n: int) -> list[bytes]:
    return [os.urandom(32) for _ in range(n)]


@pytest.fixture(scope="module")
def dev() -> DevChain:
    return new_chain()


def test_doctests() -> None:
    for module in (chain_module, __import__("ledger.network", fromlist=["x"])):
        result = doctest.testmod(module)
        assert result.attempted > 0
        assert result.failed == 0


# --- revert data and exceptions ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (selector("RootAlreadyAnchored(bytes32)") + bytes(32), "RootAlreadyAnchored"),
        (selector("EmptyReason()"), "EmptyReason"),
        (
            selector("AccessControlUnauthorizedAccount(address,bytes32)") + bytes(64),
            "AccessControlUnauthorizedAccount",
        ),
        (selector("Error(string)") + encode(["string"], ["not yet"]), "not yet"),
        (selector("Panic(uint256)") + encode(["uint256"], [0x11]), "Panic(0x11)"),
        (bytes.fromhex("deadbeef"), "unknown error 0xdeadbeef"),
        (b"", "reverted without a reason"),
    ],
)
def test_revert_reason_names_the_error(data: bytes, reason: str) -> None:
    assert revert_reason(data) == reason


@pytest.mark.parametrize(
    ("raised", "reason"),
    [
        (ContractCustomError("0xdb34c203", data="0xdb34c203" + "00" * 32), "RootAlreadyAnchored"),
        (ContractLogicError("x", data={"data": "0xb263ae73"}), "ZeroRoot"),
        (Web3RPCError("execution reverted"), "reverted without a reason"),
        (ContractLogicError("execution reverted: not yet"), "not yet"),
    ],
)
def test_web3_reverts_become_chain_reverted(raised: Exception, reason: str) -> None:
    with pytest.raises(ChainReverted) as caught, chain_errors("anchoring"):
        raise raised
    assert caught.value.reason == reason


def test_hardhat_message_without_data_still_names_the_error() -> None:
    text = "VM Exception while processing transaction: reverted with custom error 'ZeroRoot()'"
    with pytest.raises(ChainReverted, match=r"^ZeroRoot$"), chain_errors("anchoring"):
        raise ContractLogicError(text)


@pytest.mark.parametrize(
    "raised",
    [
        requests.exceptions.ConnectionError("refused"),
        requests.exceptions.ReadTimeout("slow"),
        TimeoutError(),
        ConnectionRefusedError(),
    ],
)
def test_unreachable_nodes_become_chain_unavailable(raised: Exception) -> None:
    with (
        pytest.raises(ChainUnavailable, match=r"^reading: chain node unreachable"),
        chain_errors("reading"),
    ):
        raise raised


def test_other_node_errors_are_chain_errors() -> None:
    with (
        pytest.raises(ChainError, match=r"^sending: nonce too low$") as caught,
        chain_errors("sending"),
    ):
        raise Web3RPCError("nonce too low")
    assert type(caught.value) is ChainError


# --- the registry on an in-memory chain -----------------------------------------------------


def test_anchor_receipt_and_anchor_of(dev: DevChain) -> None:
    tree = MerkleTree(random_leaves(5))
    before = dev.registry.block_number()
    tx_hash = dev.registry.anchor(dev.account, tree.root, 5, b"\x01" * 32)
    receipt = dev.registry.receipt(tx_hash)
    assert receipt is not None
    assert receipt.status == 1
    assert receipt.block_number == before + 1
    assert receipt.tx_hash == tx_hash
    assert receipt.from_address == dev.account.address
    assert 40_000 < receipt.gas_used < 60_000
    assert dev.registry.receipt("0x" + tx_hash.hex()) == receipt
    sent = dev.w3.eth.get_transaction(tx_hash)
    assert sent["type"] == 2  # EIP-1559, signed locally
    assert sent["maxFeePerGas"] >= sent["maxPriorityFeePerGas"]
    info = dev.registry.anchor_of(tree.root)
    assert info is not None
    assert (info.root, info.submitter, info.leaf_count) == (tree.root, dev.account.address, 5)
    assert (info.block_number, info.block_time) == (receipt.block_number, receipt.block_time)
    assert dev.registry.anchor_of(os.urandom(32)) is None


def test_verify_counts_confirmations(dev: DevChain) -> None:
    leaves = random_leaves(3)
    tree = MerkleTree(leaves)
    dev.registry.anchor(dev.account, tree.root, 3, bytes(32))
    first = dev.registry.verify(tree.root, leaves[0], tree.proof(leaves[0]))
    assert first.included
    assert not first.retracted
    assert first.confirmations == 1
    assert first.anchor is not None
    assert first.current_block == first.anchor.block_number
    dev.registry.anchor(dev.account, os.urandom(32), 1, bytes(32))  # one more block
    assert dev.registry.verify(tree.root, leaves[0], tree.proof(leaves[0])).confirmations == 2
    unknown = dev.registry.verify(os.urandom(32), leaves[0], [])
    assert unknown.anchor is None
    assert unknown.confirmations == 0


def test_consecutive_sends_take_consecutive_nonces(dev: DevChain) -> None:
    hashes = [dev.registry.anchor(dev.account, os.urandom(32), 1, bytes(32)) for _ in range(3)]
    nonces = [dev.w3.eth.get_transaction(h)["nonce"] for h in hashes]
    assert nonces == list(range(nonces[0], nonces[0] + 3))


@pytest.mark.parametrize(
    ("root", "count", "reason"),
    [(bytes(32), 1, "ZeroRoot")],
)
def test_contract_refusals_are_named(dev: DevChain, root: bytes, count: int, reason: str) -> None:
    with pytest.raises(ChainReverted) as caught:
        dev.registry.anchor(dev.account, root, count, bytes(32))
    assert caught.value.reason == reason


def test_a_root_is_anchored_once(dev: DevChain) -> None:
    root = os.urandom(32)
    dev.registry.anchor(dev.account, root, 2, bytes(32))
    height = dev.registry.block_number()
    with pytest.raises(ChainReverted) as caught:
        dev.registry.anchor(dev.account, root, 2, bytes(32))
    assert caught.value.reason == "RootAlreadyAnchored"
    assert dev.registry.block_number() == height  # refused at estimation: nothing sent


def test_only_the_anchoring_role_anchors(dev: DevChain) -> None:
    stranger = funded_account(dev.w3)
    assert dev.registry.has_role("ANCHORER_ROLE", dev.account.address)
    assert dev.registry.has_role("DEFAULT_ADMIN_ROLE", dev.account.address)
    assert not dev.registry.has_role("ANCHORER_ROLE", stranger.address)
    with pytest.raises(ChainReverted) as caught:
        dev.registry.anchor(stranger, os.urandom(32), 1, bytes(32))
    assert caught.value.reason == "AccessControlUnauthorizedAccount"
    with pytest.raises(ValueError, match="unknown role"):
        dev.registry.has_role("OWNER", stranger.address)


def test_an_account_without_ether_is_told_so(dev: DevChain) -> None:
    with pytest.raises(ChainError, match="cannot pay for gas"):
        dev.registry.anchor(Account.create(), os.urandom(32), 1, bytes(32))


def test_arguments_are_checked_before_sending(dev: DevChain) -> None:
    with pytest.raises(ValueError, match="leaf_count"):
        dev.registry.anchor(dev.account, os.urandom(32), 0, bytes(32))
    with pytest.raises(ValueError, match="root must be 32 bytes"):
        dev.registry.anchor(dev.account, b"short", 1, bytes(32))


def test_retraction(dev: DevChain) -> None:
    leaves = random_leaves(4)
    tree = MerkleTree(leaves)
    leaf, proof = leaves[1], tree.proof(leaves[1])
    with pytest.raises(ChainReverted, match="RootNotAnchored"):
        dev.registry.retract(dev.account, tree.root, leaf, proof, "wrong file")
    dev.registry.anchor(dev.account, tree.root, 4, bytes(32))
    with pytest.raises(ChainReverted, match="LeafNotInBatch"):
        dev.registry.retract(dev.account, tree.root, leaves[2], proof, "wrong file")
    with pytest.raises(ChainReverted, match="EmptyReason"):
        dev.registry.retract(dev.account, tree.root, leaf, proof, "")
    assert dev.registry.retraction_of(leaf) is None
    tx_hash = dev.registry.retract(dev.account, tree.root, leaf, proof, "sample mix-up, µ")
    receipt = dev.registry.receipt(tx_hash)
    assert receipt is not None
    found = dev.registry.retraction_of(leaf)
    assert found is not None
    assert (found.leaf, found.by, found.reason) == (leaf, dev.account.address, "sample mix-up, µ")
    assert found.time == receipt.block_time
    assert dev.registry.verify(tree.root, leaf, proof).retracted
    assert not dev.registry.verify(tree.root, leaves[0], tree.proof(leaves[0])).retracted
    with pytest.raises(ChainReverted, match="AlreadyRetracted"):
        dev.registry.retract(dev.account, tree.root, leaf, proof, "again")


def test_unknown_receipt_is_none(dev: DevChain) -> None:
    assert dev.registry.receipt(os.urandom(32)) is None


def test_registry_code_check(dev: DevChain) -> None:
    assert has_registry_code(dev.w3, dev.registry.address)
    assert not has_registry_code(dev.w3, dev.account.address)


def test_chain_id_is_read_once(dev: DevChain) -> None:
    registry = Registry(dev.w3, dev.registry.address)
    assert registry.chain_id == dev.w3.eth.chain_id
    assert Registry(dev.w3, dev.registry.address, chain_id=5).chain_id == 5


# --- nodes over HTTP ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_a_node_that_is_not_there_is_unavailable() -> None:
    registry = Registry(rpc_web3(f"http://127.0.0.1:{_free_port()}", 1.0), "0x" + "11" * 20)
    with pytest.raises(ChainUnavailable, match="chain node unreachable"):
        registry.block_number()


@pytest.fixture
def silent_node() -> Iterator[str]:
    """A port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_silent_node_times_out_once(silent_node: str) -> None:
    registry = Registry(rpc_web3(silent_node, 0.3), "0x" + "11" * 20)
    start = time.perf_counter()
    with pytest.raises(ChainUnavailable):
        registry.block_number()
    assert time.perf_counter() - start < 1.5  # one timeout, not one per retry


def test_registry_over_http_signs_and_decodes_reverts(dev: DevChain) -> None:
    with serve(dev.w3.provider) as url:
        registry = Registry(rpc_web3(url, 5.0), dev.registry.address)
        root = os.urandom(32)
        tx_hash = registry.anchor(dev.account, root, 1, bytes(32))
        receipt = registry.receipt(tx_hash)
        assert receipt is not None
        assert receipt.status == 1
        assert registry.verify(root, root, []).included
        with pytest.raises(ChainReverted) as caught:
            registry.anchor(dev.account, root, 1, bytes(32))
        assert caught.value.reason == "RootAlreadyAnchored"


def test_public_url_hides_credentials() -> None:
    assert public_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545"
    assert public_url("https://k:s@eth.example/v3/KEY") == "https://eth.example/…"
    assert public_url("http://[::1]:8545/") == "http://[::1]:8545"


# --- connections ----------------------------------------------------------------------------


def keystore(tmp_path: Path, account: LocalAccount, password: str = "pw") -> Path:  # noqa: S107
    path = tmp_path / "anchor.keystore.json"
    path.write_text(json.dumps(Account.encrypt(account.key, password, kdf="pbkdf2", iterations=2)))
    return path


def test_embedded_chain_deploys_once_and_remembers(tmp_path: Path) -> None:
    settings = ChainSettings(url=None, directory=tmp_path / "chain")
    with connect(settings, signing=True) as ledger:
        assert ledger.is_embedded
        assert ledger.chain_id == 1337
        assert ledger.account is not None
        address = ledger.contract_address
        assert has_registry_code(ledger.w3, address)
        tree = MerkleTree(random_leaves(2))
        ledger.registry.anchor(ledger.account, tree.root, 2, bytes(32))
        height = ledger.registry.block_number()
        assert ledger.description() == (
            f"embedded development chain 1337 at {address} "
            "(proves integrity only to those who trust this server)"
        )
    with connect(settings) as again:
        assert again.account is None
        assert again.contract_address == address
        assert again.registry.block_number() == height  # no second deployment
        assert again.registry.anchor_of(tree.root) is not None
    (entry,) = read_deployments(tmp_path / "chain" / "deployments.json").values()
    assert entry["address"] == address
    assert entry["chain_id"] == 1337


def test_embedded_chain_redeploys_when_the_remembered_contract_is_gone(tmp_path: Path) -> None:
    settings = ChainSettings(url=None, directory=tmp_path)
    with connect(settings) as first:
        address = first.contract_address
    path = tmp_path / "deployments.json"
    known = read_deployments(path)
    for entry in known.values():
        entry["address"] = "0x" + "22" * 20  # as if the chain had been reset
    write_deployments(path, known)
    with connect(settings) as second:
        assert second.contract_address != address
        assert has_registry_code(second.w3, second.contract_address)


def test_a_configured_address_without_the_registry_is_refused(tmp_path: Path) -> None:
    settings = ChainSettings(url=None, directory=tmp_path, contract="0x" + "33" * 20)
    with pytest.raises(ChainError, match="no ProvenanceRegistry at 0x3333"), connect(settings):
        pass


def test_unreadable_deployments_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "deployments.json").write_text("{")
    with pytest.raises(ChainError, match=r"deployments\.json is unreadable"):
        read_deployments(tmp_path / "deployments.json")


def test_a_public_chain_needs_a_configured_contract(dev: DevChain, tmp_path: Path) -> None:
    with serve(dev.w3.provider) as url:
        settings = ChainSettings(url=url, directory=tmp_path)
        with pytest.raises(ChainError, match="set MICROSPACEGEN_CHAIN_CONTRACT"), connect(settings):
            pass
        configured = ChainSettings(url=url, directory=tmp_path, contract=dev.registry.address)
        with connect(configured) as ledger:
            assert not ledger.is_embedded
            assert ledger.account is None
            assert ledger.description() == (
                f"chain {dev.w3.eth.chain_id} via {url} contract {dev.registry.address}"
            )


def test_signing_key_comes_from_the_keystore(dev: DevChain, tmp_path: Path) -> None:
    path = keystore(tmp_path, dev.account)
    with serve(dev.w3.provider) as url:
        settings = ChainSettings(
            url=url, directory=tmp_path, keyfile=path, password="pw", contract=dev.registry.address
        )
        with connect(settings, signing=True) as ledger:
            assert ledger.account is not None
            assert ledger.account.address == dev.account.address
            root = os.urandom(32)
            ledger.registry.anchor(ledger.account, root, 1, bytes(32))
            assert ledger.registry.anchor_of(root) is not None


@pytest.mark.parametrize(
    ("keyfile", "password", "message"),
    [
        (None, "pw", "set MICROSPACEGEN_CHAIN_KEYFILE"),
        ("missing.json", "pw", "MICROSPACEGEN_CHAIN_KEYFILE=.*missing.json: No such file"),
        ("anchor.keystore.json", None, "MICROSPACEGEN_CHAIN_PASSWORD is not set"),
        ("anchor.keystore.json", "wrong", "MICROSPACEGEN_CHAIN_PASSWORD does not decrypt"),
        ("plain.json", "pw", "not an encrypted keystore"),
        ("garbage.json", "pw", "not a readable keystore"),
    ],
)
def test_keystore_problems_name_the_variable(
    tmp_path: Path, keyfile: str | None, password: str | None, message: str
) -> None:
    keystore(tmp_path, Account.create())
    (tmp_path / "plain.json").write_text('{"address": "x"}')
    (tmp_path / "garbage.json").write_text("not json")
    with pytest.raises(ChainError, match=message):
        load_keystore(tmp_path / keyfile if keyfile else None, password)


def test_a_development_node_gets_a_registry_per_genesis(tmp_path: Path) -> None:
    """A Hardhat-like node (chain 1337, over HTTP): deployed once, again after a reset."""
    records = tmp_path / "records"
    anchorer: LocalAccount = Account.create()
    path = keystore(tmp_path, anchorer)

    def on_node(directory: Path) -> tuple[str, int]:
        with serve_embedded(directory) as url:
            fund(rpc_web3(url, 5.0), EmbeddedChain(directory).funded_key(), anchorer.address)
            settings = ChainSettings(url=url, directory=records, keyfile=path, password="pw")
            with connect(settings) as first:
                assert first.description().endswith(
                    "(a development chain: proves integrity only to those who trust its node)"
                )
                height = first.registry.block_number()
            with connect(settings) as second:
                assert second.contract_address == first.contract_address
                assert second.registry.block_number() == height
            return first.contract_address, first.chain_id

    address, chain_id = on_node(tmp_path / "node-1")
    assert chain_id == 1337
    on_node(tmp_path / "node-2")  # a restarted node: a fresh genesis
    deployments = read_deployments(records / "deployments.json")
    assert len(deployments) == 2
    assert address in {d["address"] for d in deployments.values()}


def fund(w3: Web3, funder: LocalAccount, to: str) -> None:
    tx = {
        "to": to,
        "value": 10**18,
        "gas": 21_000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**9,
        "nonce": w3.eth.get_transaction_count(funder.address),
        "chainId": w3.eth.chain_id,
    }
    w3.eth.send_raw_transaction(funder.sign_transaction(tx).raw_transaction)


def test_a_development_node_without_a_key_cannot_deploy(tmp_path: Path) -> None:
    with serve_embedded(tmp_path / "node") as url:
        settings = ChainSettings(url=url, directory=tmp_path / "records")
        with pytest.raises(ChainError, match="MICROSPACEGEN_CHAIN_KEYFILE"), connect(settings):
            pass


def test_urls_in_error_texts_keep_only_scheme_host_and_port() -> None:
    from ledger.chain import scrub_urls

    text = (
        "connecting to http://127.0.0.1:8545: refused; see https://u:pw@rpc.example.org/v3/KEY?k=1."
        " Max retries exceeded with url: /v3/KEY?apikey=KEY"
    )
    scrubbed = scrub_urls(text)
    assert "KEY" not in scrubbed
    assert "pw" not in scrubbed
    assert "http://127.0.0.1:8545: refused" in scrubbed
    assert "https://rpc.example.org/…." in scrubbed
