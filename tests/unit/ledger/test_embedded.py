"""The embedded chain keeps its state across reopening and is shared by processes in turn."""

from __future__ import annotations

import json
import multiprocessing
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from eth_utils.exceptions import ValidationError
from web3 import Web3
from web3.exceptions import TransactionNotFound
from web3.types import TxReceipt

from ledger.embedded import EMBEDDED_CHAIN_ID, GENESIS_BALANCE_WEI, EmbeddedChain
from ledger.errors import ChainError, ChainUnavailable

# A hand-assembled storage contract (no compiler needed). Empty calldata: return slot 0.
# 32 bytes of calldata v: slot 0 = v and emit LOG2(Stored(uint256), v).
STORED_TOPIC = keccak(text="Stored(uint256)")
RUNTIME = (
    bytes.fromhex("36600f5760005460005260206000f3")  # if calldata: jump; return sload(0)
    + bytes.fromhex("5b600035806000557f")  # sstore(0, v), push32 topic
    + STORED_TOPIC
    + bytes.fromhex("60006000a200")  # log2(0, 0, topic, v); stop
)
INIT = bytes.fromhex(f"60{len(RUNTIME):02x}80600b6000396000f3") + RUNTIME  # codecopy, return


def send(
    w3: Web3, key: LocalAccount, chain_id: int = EMBEDDED_CHAIN_ID, **fields: Any
) -> TxReceipt:
    """Sign locally with EIP-1559 fees read from the chain, send raw, return the receipt."""
    tip = w3.eth.max_priority_fee
    tx = {
        "type": 2,
        "chainId": chain_id,
        "nonce": w3.eth.get_transaction_count(key.address),
        "gas": 21_000,
        "maxPriorityFeePerGas": tip,
        "maxFeePerGas": 2 * w3.eth.get_block("latest")["baseFeePerGas"] + tip,
        **fields,
    }
    tx_hash = w3.eth.send_raw_transaction(key.sign_transaction(tx).raw_transaction)
    return w3.eth.get_transaction_receipt(tx_hash)


def store(w3: Web3, key: LocalAccount, contract: str, value: int) -> TxReceipt:
    return send(w3, key, to=contract, data=value.to_bytes(32, "big"), gas=60_000)


def stored(w3: Web3, contract: str) -> int:
    return int.from_bytes(w3.eth.call({"to": contract}), "big")


def test_first_use_creates_a_private_funded_chain(tmp_path: Path) -> None:
    directory = tmp_path / "data" / "chain"
    chain = EmbeddedChain(directory)
    key = chain.funded_key()

    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    key_file = directory / "dev-key.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    record = json.loads(key_file.read_text())
    assert record["address"] == key.address
    assert Account.from_key(record["private_key"]).address == key.address
    assert record["note"].startswith("development chain only")
    versions = json.loads((directory / "versions.json").read_text())
    assert set(versions) == {"eth-tester", "py-evm"}
    with chain.connect() as w3:
        assert w3.eth.chain_id == EMBEDDED_CHAIN_ID == 1337
        assert w3.eth.block_number == 0
        assert w3.eth.get_balance(key.address) == GENESIS_BALANCE_WEI == 10**24
        assert w3.eth.accounts == []  # nothing unlocked: transactions arrive signed
    assert chain.funded_key().key == key.key  # the same key every time
    assert EmbeddedChain(tmp_path / "other").funded_key().address != key.address


def test_state_survives_reopening(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path)
    key = chain.funded_key()
    friend = Account.create()
    with chain.connect() as w3:
        deployed = send(w3, key, data=INIT, gas=200_000)
        contract = deployed["contractAddress"]
        assert contract is not None
        stored_42 = store(w3, key, contract, 42)
        paid = send(w3, key, to=friend.address, value=10**18)
        receipts = {r["transactionHash"]: r for r in (deployed, stored_42, paid)}
        blocks = [w3.eth.get_block(n) for n in range(w3.eth.block_number + 1)]
        balance = w3.eth.get_balance(key.address)

    with chain.connect() as w3:
        assert [w3.eth.get_block(n) for n in range(len(blocks))] == blocks
        assert w3.eth.block_number == 3
        for tx_hash, receipt in receipts.items():
            assert w3.eth.get_transaction_receipt(tx_hash) == receipt
            assert w3.eth.get_transaction(tx_hash)["from"] == key.address
        assert w3.eth.get_code(contract) == RUNTIME
        assert stored(w3, contract) == 42
        assert w3.eth.get_storage_at(contract, 0) == (42).to_bytes(32, "big")
        assert w3.eth.get_transaction_count(key.address) == 3
        assert w3.eth.get_balance(key.address) == balance
        assert w3.eth.get_balance(friend.address) == 10**18

        # The reopened chain goes on from its head: new transactions, new blocks.
        send(w3, friend, to=key.address, value=1)
        store(w3, key, contract, 7)
        assert stored(w3, contract) == 7
        assert w3.eth.get_transaction_count(key.address) == 4
        assert w3.eth.get_block(4)["parentHash"] == blocks[3]["hash"]


def test_block_times_increase_and_follow_the_clock(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path)
    key = chain.funded_key()
    with chain.connect() as w3:
        genesis_time = w3.eth.get_block(0)["timestamp"]
        time.sleep(1.1)
        # The pending block is dated when a transaction arrives, not when the chain opened.
        first = w3.eth.get_block(send(w3, key, to=key.address)["blockNumber"])["timestamp"]
        second = w3.eth.get_block(send(w3, key, to=key.address)["blockNumber"])["timestamp"]
    assert genesis_time < first < second  # strictly, even within one second
    assert first >= int(time.time()) - 2


def test_logs_are_found_by_range_address_and_topic(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path)
    key = chain.funded_key()
    with chain.connect() as w3:
        contract = send(w3, key, data=INIT, gas=200_000)["contractAddress"]
        assert contract is not None
        receipts = [store(w3, key, contract, v) for v in (5, 6, 5)]
        send(w3, key, to=key.address)  # a block without logs
        expected = [log for r in receipts for log in r["logs"]]
        assert len(expected) == 3
        assert expected[0]["topics"] == [STORED_TOPIC, (5).to_bytes(32, "big")]

        everything = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest"})
        assert everything == expected
        by_address = w3.eth.get_logs({"fromBlock": 0, "address": contract})
        assert by_address == expected
        assert w3.eth.get_logs({"fromBlock": 0, "address": key.address}) == []
        five = "0x" + (5).to_bytes(32, "big").hex()
        by_value = w3.eth.get_logs({"fromBlock": 0, "topics": [None, five]})
        assert by_value == [expected[0], expected[2]]
        either = w3.eth.get_logs({"fromBlock": 0, "topics": [[STORED_TOPIC.hex()], None]})
        assert either == expected
        in_range = w3.eth.get_logs({"fromBlock": 3, "toBlock": 3})
        assert in_range == [expected[1]]


def test_views_answer_calls_without_a_sender(tmp_path: Path) -> None:
    # web3 sends no "from" when the client has no default account, as with a node.
    chain = EmbeddedChain(tmp_path)
    key = chain.funded_key()
    with chain.connect() as w3:
        contract = send(w3, key, data=INIT, gas=200_000)["contractAddress"]
        assert contract is not None
        store(w3, key, contract, 9)
        assert w3.eth.call({"to": contract}) == (9).to_bytes(32, "big")
        assert w3.eth.estimate_gas({"to": contract, "data": (1).to_bytes(32, "big")}) > 21_000


def test_receipt_of_an_unknown_transaction_is_not_found(tmp_path: Path) -> None:
    with EmbeddedChain(tmp_path).connect() as w3, pytest.raises(TransactionNotFound):
        w3.eth.get_transaction_receipt(b"\x01" * 32)


def test_transaction_signed_for_another_chain_is_refused(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path)
    key = chain.funded_key()
    with chain.connect() as w3:
        with pytest.raises(ValidationError, match="chain id 1;"):
            send(w3, key, chain_id=1, to=key.address)
        assert w3.eth.block_number == 0


def test_busy_chain_times_out(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path)
    with chain.connect():
        started = time.monotonic()
        # A second descriptor on the lock file conflicts, even in the same process.
        with pytest.raises(ChainUnavailable, match="busy"), chain.connect(timeout_s=0.2):
            pass
        assert time.monotonic() - started >= 0.2
    with chain.connect(timeout_s=0.2) as w3:  # released on exit
        assert w3.eth.block_number == 0


def test_chain_written_by_other_versions_is_refused(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path)
    chain.funded_key()
    versions_file = tmp_path / "versions.json"
    versions = json.loads(versions_file.read_text())
    versions_file.write_text(json.dumps({**versions, "py-evm": "0.10.0"}))
    with pytest.raises(ChainError) as refused, chain.connect():
        pass
    message = str(refused.value)
    assert "py-evm 0.10.0" in message
    assert f"py-evm {versions['py-evm']} is installed" in message
    assert "pip install" in message
    assert "'py-evm==0.10.0'" in message
    assert "move" in message


def test_chain_without_its_versions_file_is_refused(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path)
    chain.funded_key()
    (tmp_path / "versions.json").unlink()
    with pytest.raises(ChainError, match=r"versions\.json is missing"), chain.connect():
        pass


def test_key_left_by_a_crash_before_genesis_is_the_one_funded(tmp_path: Path) -> None:
    # First open writes the key, then the genesis in one commit; a crash between the two
    # leaves only the key, which the next open must fund (not replace).
    key: LocalAccount = Account.create()
    record = {"address": key.address, "private_key": "0x" + bytes(key.key).hex(), "note": "x"}
    (tmp_path / "dev-key.json").write_text(json.dumps(record))
    chain = EmbeddedChain(tmp_path)
    with chain.connect() as w3:
        assert w3.eth.get_balance(key.address) == GENESIS_BALANCE_WEI
    assert chain.funded_key().address == key.address


def take_turns(directory: Path, recipient: str, rounds: int) -> None:
    """Send ``rounds`` payments from the shared dev key, one connection each."""
    chain = EmbeddedChain(directory)
    key = chain.funded_key()
    for _ in range(rounds):
        with chain.connect() as w3:
            # Block number and nonce read here include the other process's work; a stale
            # view would sign with a used nonce and be refused.
            assert w3.eth.get_transaction_count(key.address) == w3.eth.block_number
            send(w3, key, to=recipient, value=1)
        time.sleep(0.005)  # let the other process in


def test_processes_take_turns_and_see_each_other(tmp_path: Path) -> None:
    chain = EmbeddedChain(tmp_path)
    key = chain.funded_key()
    recipients = [Account.create().address for _ in range(2)]
    rounds = 8
    # A fork server (not fork: the test process may run threads) with the chain's modules
    # imported once, instead of a second of imports in every worker.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    workers = [context.Process(target=take_turns, args=(tmp_path, r, rounds)) for r in recipients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    with chain.connect() as w3:
        assert w3.eth.block_number == w3.eth.get_transaction_count(key.address) == 2 * rounds
        assert [w3.eth.get_balance(r) for r in recipients] == [rounds, rounds]
        senders = [w3.eth.get_block(n, full_transactions=True) for n in range(1, 2 * rounds + 1)]
        order = [block["transactions"][0]["to"] for block in senders]
    assert order != sorted(order)  # interleaved, not one process after the other
