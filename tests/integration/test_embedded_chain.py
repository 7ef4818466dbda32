"""A process killed with SIGKILL while it sends transactions leaves the chain consistent."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger._evm_store import SqliteStore
from ledger.embedded import EMBEDDED_CHAIN_ID, GENESIS_BALANCE_WEI, EmbeddedChain

RECIPIENT = Web3.to_checksum_address("0x" + "ab" * 20)
BATCH_KEYS = 400
STARTED = (-1, b"")  # first report: the delay before the kill counts from here


def pay(w3: Web3, key: LocalAccount) -> tuple[int, bytes]:
    """Send one signed payment; return the block it landed in and its hash."""
    tip = w3.eth.max_priority_fee
    tx = {
        "type": 2,
        "chainId": EMBEDDED_CHAIN_ID,
        "nonce": w3.eth.get_transaction_count(key.address),
        "to": RECIPIENT,
        "value": 1,
        "gas": 21_000,
        "maxPriorityFeePerGas": tip,
        "maxFeePerGas": 2 * w3.eth.get_block("latest")["baseFeePerGas"] + tip,
    }
    tx_hash = w3.eth.send_raw_transaction(key.sign_transaction(tx).raw_transaction)
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    return receipt["blockNumber"], bytes(tx_hash)


def send_until_killed(directory: Path, reconnect_each_time: bool, report: Connection) -> None:
    """Pay in a loop, reporting each confirmed payment, until SIGKILL stops the process."""
    report.send(STARTED)
    chain = EmbeddedChain(directory)
    key = chain.funded_key()
    if reconnect_each_time:
        while True:
            with chain.connect() as w3:
                report.send(pay(w3, key))
    with chain.connect() as w3:
        while True:
            report.send(pay(w3, key))


def write_batches_until_killed(path: Path, report: Connection) -> None:
    """Commit batches of ``BATCH_KEYS`` keys plus a marker, until SIGKILL stops the process."""
    report.send(STARTED)
    store = SqliteStore(path)
    for number in range(10**9):
        with store.atomic_batch() as batch:
            for index in range(BATCH_KEYS):
                batch[f"{number}:{index}".encode()] = os.urandom(32)
            batch[b"last"] = str(number).encode()
        report.send((number, b""))


def kill_while_sending(
    directory: Path, reconnect_each_time: bool, delay_s: float
) -> list[tuple[int, bytes]]:
    """Run the sender, SIGKILL it after ``delay_s``, return what it reported confirmed."""
    return kill_after(delay_s, send_until_killed, directory, reconnect_each_time)


def kill_after(delay_s: float, target: Any, *args: Any) -> list[tuple[int, bytes]]:
    """Run ``target(*args, report)`` in a process, SIGKILL it ``delay_s`` after it started.

    Returns what it reported as committed before it died.
    """
    context: Any = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])  # workers start in milliseconds
    reader, writer = context.Pipe(duplex=False)
    sender = context.Process(target=target, args=(*args, writer))
    sender.start()
    writer.close()
    assert reader.poll(timeout=60)
    assert reader.recv() == STARTED
    time.sleep(delay_s)
    os.kill(sender.pid, signal.SIGKILL)
    sender.join(timeout=10)
    assert sender.exitcode == -signal.SIGKILL
    confirmed: list[tuple[int, bytes]] = []
    try:
        while True:
            confirmed.append(reader.recv())
    except (EOFError, OSError):
        pass  # drained (a message cut by the kill reads as the end)
    return confirmed


def assert_consistent(chain: EmbeddedChain, confirmed: list[tuple[int, bytes]]) -> int:
    """The head is the last confirmed block or one newer; every block, receipt, nonce fits."""
    key = chain.funded_key()
    with chain.connect() as w3:
        head = w3.eth.block_number
        last = confirmed[-1][0] if confirmed else None
        if last is not None:
            assert head in (last, last + 1), (head, last)
        # One payment per block from the dev key: the nonce counts the blocks.
        assert w3.eth.get_transaction_count(key.address) == head
        assert w3.eth.get_balance(RECIPIENT) == head
        for number, tx_hash in confirmed:
            receipt = w3.eth.get_transaction_receipt(tx_hash)
            assert (receipt["blockNumber"], receipt["status"]) == (number, 1)
        for number in range(1, head + 1):
            block = w3.eth.get_block(number)
            assert block["parentHash"] == w3.eth.get_block(number - 1)["hash"]
            [tx_hash] = block["transactions"]  # found by hash too: the index was written
            assert w3.eth.get_transaction_receipt(tx_hash)["blockHash"] == block["hash"]
        assert pay(w3, key)[0] == head + 1  # and it goes on
    return head + 1


def test_sigkill_at_random_points_leaves_a_consistent_chain(tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    try:
        # Killed while creating the chain (key, genesis) or just after.
        for round_ in range(2):
            directory = tmp_path / f"fresh-{round_}"
            confirmed = kill_while_sending(directory, True, rng.uniform(0.0, 0.08))
            chain = EmbeddedChain(directory)
            assert_consistent(chain, confirmed)
            with chain.connect() as w3:
                spent = GENESIS_BALANCE_WEI - w3.eth.get_balance(chain.funded_key().address)
                assert 0 < spent < 10**18  # the key on disk is the one the genesis funded

        # Killed while appending blocks, holding one connection or reconnecting each time.
        chain = EmbeddedChain(tmp_path / "long")
        head = 0
        for round_ in range(6):
            confirmed = kill_while_sending(chain.directory, round_ % 2 == 0, rng.uniform(0.1, 0.4))
            assert [n for n, _ in confirmed] == list(range(head + 1, head + 1 + len(confirmed)))
            head = assert_consistent(chain, confirmed)
        assert head > 6  # blocks were written in the rounds, not only by the checks

        database = sqlite3.connect(chain.directory / "chain.sqlite3")
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        database.close()
    except AssertionError as failure:
        raise AssertionError(f"random seed {seed}: {failure}") from failure


def test_a_batch_cut_by_sigkill_is_all_or_nothing(tmp_path: Path) -> None:
    # A block, its canonical-head pointer and its transaction index are one py-evm batch;
    # big batches make a kill inside a commit likely.
    for delay_s in (0.15, 0.25, 0.35):
        # A fresh store each round: a slower round would otherwise find the batches of a
        # faster one above its own last.
        path = tmp_path / f"kv-{delay_s}.sqlite3"
        confirmed = kill_after(delay_s, write_batches_until_killed, path)
        assert confirmed
        database = sqlite3.connect(path)
        stored = dict(database.execute("SELECT k, v FROM kv").fetchall())
        database.close()
        last = int(stored.pop(b"last"))
        assert last in (confirmed[-1][0], confirmed[-1][0] + 1)
        batches = Counter(int(key.split(b":")[0]) for key in stored)
        assert batches == dict.fromkeys(range(last + 1), BATCH_KEYS)
