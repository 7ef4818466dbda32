"""The embedded development chain: an in-process EVM whose state lives in the data directory.

eth-tester with py-evm gives a complete EVM without a node, but only in memory. This
module keeps it in ``directory/chain.sqlite3`` (see ``_evm_store``) so anchors survive a
restart, and lets any process (app, job worker, CLI, test) use it in turn under an
exclusive ``flock`` on ``directory/chain.lock``. Every ``connect()`` reopens the stored
chain (a few ms at a thousand blocks), so a process always sees the blocks others
appended and nothing is cached between holders.

It behaves like a node where eth-tester does not: chain id 1337, transactions signed for
another chain refused, calls without ``from`` answered, receipts found by hash through an
index. Chain time is ``max(now, parent + 1 s)``: a burst of transactions (one block each)
runs it ahead of the clock, and that lead persists across restarts. Installing
``coincurve`` makes signature recovery, most of the cost of a transaction, about 2.5x faster.

It leans on private internals of eth-tester 0.14.0b1 and py-evm 0.12.1b1, kept to this
surface: ``PyEVMBackend``'s ``chain`` and ``account_keys`` attributes and its serializers;
``EthereumTester``'s ``validator``, ``normalizer`` and ``backend``; eth-tester's default
genesis parameters; web3's ``API_ENDPOINTS`` table (whose ``eth_chainId`` is a constant);
py-evm's ``MiningChain.header`` (the pending block), its transaction index and
``MemoryDB.kv_store``. The versions that wrote a chain are recorded in
``directory/versions.json`` and a chain written by others is refused: upgrade only after
the reopen and crash tests pass.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from eth.abc import BlockAPI, BlockHeaderAPI, SignedTransactionAPI
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.db.chain import ChainDB
from eth.exceptions import CanonicalHeadNotFound
from eth.exceptions import TransactionNotFound as EVMTransactionNotFound
from eth.typing import AccountDetails, AccountState
from eth.vm.forks.prague import PragueVM
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_bloom.bloom import BloomFilter
from eth_tester import EthereumTester  # type: ignore[import-untyped]
from eth_tester.backends.pyevm.main import (  # type: ignore[import-untyped]
    PyEVMBackend,
    get_default_genesis_params,
)
from eth_tester.backends.pyevm.serializers import (  # type: ignore[import-untyped]
    serialize_transaction,
    serialize_transaction_receipt,
)
from eth_tester.exceptions import TransactionNotFound  # type: ignore[import-untyped]
from eth_typing import Address, BlockNumber, Hash32
from eth_utils.exceptions import ValidationError
from web3 import EthereumTesterProvider, Web3
from web3.providers.eth_tester.defaults import API_ENDPOINTS, static_return

from ledger._evm_store import SqliteStore
from ledger.errors import ChainError, ChainUnavailable

__all__ = ["EMBEDDED_CHAIN_ID", "GENESIS_BALANCE_WEI", "EmbeddedChain"]

EMBEDDED_CHAIN_ID = 1337
GENESIS_BALANCE_WEI = 10**6 * 10**18  # a million ether
DEV_KEY_NOTE = "development chain only; never use elsewhere"
_PINNED = ("eth-tester", "py-evm")
_LOCK_POLL_S = 0.01
_BLOB_TX_TYPE = b"\x03"
_ZERO_ADDRESS = "0x" + "00" * 20


class EmbeddedChain:
    """A persisted development chain in ``directory``; use it through ``connect()``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._lock_path = self.directory / "chain.lock"
        self._db_path = self.directory / "chain.sqlite3"
        self._key_path = self.directory / "dev-key.json"
        self._versions_path = self.directory / "versions.json"

    @contextmanager
    def connect(self, timeout_s: float = 30.0) -> Iterator[Web3]:
        """Hold the chain for this process and yield a ``Web3`` bound to it.

        Waits up to ``timeout_s`` for another holder, then raises ``ChainUnavailable``.
        Creates the chain (key, genesis) on first use. The ``Web3`` works only inside the
        block and in the calling thread. Not re-entrant: a nested ``connect()`` in the
        same process waits for itself and times out.
        """
        self._make_directory()
        with exclusive_lock(self._lock_path, timeout_s):
            store = SqliteStore(self._db_path)
            try:
                tester = _Tester(_PersistentBackend(self._open(store)), self._dev_address())
                provider = EthereumTesterProvider(tester, _api_endpoints())
                yield Web3(provider)
            finally:
                store.close()

    def funded_key(self) -> LocalAccount:
        """The development key holding the genesis funds (creates the chain if needed)."""
        if not self._key_path.exists():
            with self.connect():
                pass
        return self._load_key()

    def _make_directory(self) -> None:
        if not self.directory.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            self.directory.chmod(0o700)  # holds a private key, even if only a dev one

    def _open(self, store: SqliteStore) -> _Chain:
        """Check versions, create key and genesis on first use, reopen the stored head."""
        has_head = _has_head(store)
        self._check_versions(has_head)
        if not has_head:
            # The key is written before the genesis that funds it; a crash in between
            # leaves a key and no genesis, and the next open funds that same key.
            key = self._load_key() if self._key_path.exists() else self._create_key()
            _write_genesis(store, key)
        return _Chain(store)

    def _dev_address(self) -> str:
        """The funded address, read without deriving it from the key (slow without coincurve)."""
        try:
            address: str = json.loads(self._key_path.read_text(encoding="utf-8"))["address"]
        except FileNotFoundError:
            return _ZERO_ADDRESS
        return address

    def _check_versions(self, has_head: bool) -> None:
        installed = _installed_versions()
        if not self._versions_path.exists():
            if has_head:
                raise ChainError(
                    f"{self._versions_path} is missing, so the eth-tester/py-evm versions "
                    f"that wrote {self._db_path} are unknown; restore the file, or move "
                    f"{self.directory} aside to start a new development chain"
                )
            _write_private(self._versions_path, installed)
            return
        recorded = json.loads(self._versions_path.read_text(encoding="utf-8"))
        if recorded != installed:
            wrote = " / ".join(f"{k} {recorded.get(k, '?')}" for k in _PINNED)
            have = " / ".join(f"{k} {v}" for k, v in installed.items())
            pins = " ".join(f"'{k}=={recorded.get(k, '?')}'" for k in _PINNED)
            raise ChainError(
                f"the embedded chain in {self.directory} was written by {wrote}, but "
                f"{have} is installed, and its storage format is private to those versions. "
                f"Install the versions that wrote it (pip install {pins}), or move "
                f"{self.directory} aside to start a new development chain (anchors on the "
                "old one will no longer verify here)"
            )

    def _create_key(self) -> LocalAccount:
        account: LocalAccount = Account.from_key(secrets.token_bytes(32))
        record = {
            "address": account.address,
            "private_key": "0x" + bytes(account.key).hex(),
            "note": DEV_KEY_NOTE,
        }
        _write_private(self._key_path, record)
        return account

    def _load_key(self) -> LocalAccount:
        try:
            record = json.loads(self._key_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ChainError(
                f"{self._key_path} is missing: the funds of this development chain are "
                f"lost; move {self.directory} aside to start a new one"
            ) from None
        account: LocalAccount = Account.from_key(record["private_key"])
        if account.address != record["address"]:
            raise ChainError(f"{self._key_path}: the address does not match the private key")
        return account


class _Chain(MiningChain):
    """eth-tester's post-merge tester chain, with chain id 1337 (its own is 131277322940537)."""

    chain_id = EMBEDDED_CHAIN_ID
    vm_configuration = ((BlockNumber(0), PragueVM),)

    def create_header_from_parent(
        self, parent_header: BlockHeaderAPI, **header_params: Any
    ) -> BlockHeaderAPI:
        # As eth-tester does: a constant gas limit instead of drifting per block.
        header_params["gas_limit"] = parent_header.gas_limit
        return super().create_header_from_parent(parent_header, **header_params)

    def get_transaction_builder(self) -> Any:
        """What eth-tester's backend calls to build unsigned transactions."""
        return self.get_vm().get_transaction_builder()


class _PersistentBackend(PyEVMBackend):  # type: ignore[misc]
    """eth-tester's py-evm backend over a stored chain instead of a fresh genesis."""

    def __init__(self, chain: _Chain) -> None:
        # Not super().__init__(): it would build and keep a new in-memory genesis.
        # No unlocked accounts (eth_accounts is empty): transactions arrive signed, as on
        # a real node, and opening skips deriving a public key (milliseconds without
        # coincurve).
        self.chain = chain
        self.account_keys = ()

    def reset_to_genesis(self, *args: Any, **kwargs: Any) -> None:
        raise ChainError("the embedded chain is persistent; it cannot be reset to genesis")

    def send_raw_transaction(self, raw_transaction: bytes) -> Any:
        if raw_transaction[:1] != _BLOB_TX_TYPE:
            # py-evm accepts any chain id; a real node refuses, so refuse here too.
            builder = self.chain.get_vm().get_transaction_builder()
            chain_id = builder.decode(raw_transaction).chain_id
            if chain_id != EMBEDDED_CHAIN_ID:
                raise ValidationError(
                    f"transaction signed for chain id {chain_id}; this chain is "
                    f"{EMBEDDED_CHAIN_ID} (EIP-155 replay protection is required)"
                )
        self._restamp_pending_block()
        return super().send_raw_transaction(raw_transaction)

    def _restamp_pending_block(self) -> None:
        """Date the pending block now, not when the previous block was mined."""
        chain: _Chain = self.chain
        if chain.header.gas_used == 0:
            chain.header = chain.create_header_from_parent(chain.get_canonical_head())

    def _locate(self, transaction_hash: bytes) -> tuple[BlockAPI, SignedTransactionAPI, int]:
        """Find a transaction through py-evm's index (eth-tester scans every block)."""
        tx_hash = Hash32(bytes(transaction_hash))
        chain: _Chain = self.chain
        try:
            number, index = chain.chaindb.get_transaction_index(tx_hash)
        except EVMTransactionNotFound:
            pending = chain.get_block()
            for index, transaction in enumerate(pending.transactions):
                if transaction.hash == tx_hash:
                    return pending, transaction, index
            raise TransactionNotFound(f"no transaction {tx_hash.hex()}") from None
        block = chain.get_canonical_block_by_number(number)
        return block, block.transactions[index], index

    def get_transaction_by_hash(self, transaction_hash: bytes) -> Any:
        block, transaction, index = self._locate(transaction_hash)
        is_pending = block.number == self.chain.header.block_number
        return serialize_transaction(block, transaction, index, is_pending)

    def get_transaction_receipt(self, transaction_hash: bytes) -> Any:
        block, transaction, index = self._locate(transaction_hash)
        is_pending = block.number == self.chain.header.block_number
        receipts = block.get_receipts(self.chain.chaindb)
        vm = self.chain.get_vm()
        return serialize_transaction_receipt(block, receipts, transaction, index, is_pending, vm)


class _Tester(EthereumTester):  # type: ignore[misc]
    """eth-tester, answering calls without a sender and skipping blocks in ``get_logs``.

    With no unlocked account, eth-tester refuses ``eth_call`` without ``from``, and
    unlike a node it charges the caller for the call's gas (up to the block gas limit):
    such calls run as the funded dev address. Its ``get_logs`` reads every receipt in the range,
    recovering each sender (milliseconds each without coincurve), so a lookup by an
    indexed topic, such as one anchored root, took seconds at a thousand blocks: blocks
    whose bloom rules out a match are skipped.
    """

    def __init__(self, backend: _PersistentBackend, default_sender: str) -> None:
        super().__init__(backend)
        self._default_sender = default_sender

    def call(self, transaction: dict[str, Any], block_number: Any = "latest") -> Any:
        return super().call(self._with_sender(transaction), block_number)

    def estimate_gas(self, transaction: dict[str, Any], block_number: Any = "latest") -> Any:
        return super().estimate_gas(self._with_sender(transaction), block_number)

    def _with_sender(self, transaction: dict[str, Any]) -> dict[str, Any]:
        if transaction.get("from") is None:
            return {**transaction, "from": self._default_sender}
        return transaction

    def get_logs(
        self, from_block: Any = None, to_block: Any = None, address: Any = None, topics: Any = None
    ) -> tuple[Any, ...]:
        self.validator.validate_inbound_filter_params(from_block, to_block, address, topics)
        low, high, raw_address, raw_topics = self.normalizer.normalize_inbound_filter_params(
            from_block, to_block, address, topics
        )
        chain: _Chain = self.backend.chain
        latest = chain.header.block_number - 1
        low = {None: latest, "latest": latest, "earliest": 0}.get(low, low)
        high = {None: latest, "latest": latest, "earliest": 0}.get(high, high)
        if not (isinstance(low, int) and isinstance(high, int)):  # "pending", "safe"...
            return tuple(super().get_logs(from_block, to_block, address, topics))
        terms = _bloom_terms(raw_address, raw_topics)
        logs: list[Any] = []
        for number in range(max(low, 0), min(high, latest) + 1):
            header = chain.get_canonical_block_header_by_number(BlockNumber(number))
            bloom = BloomFilter(header.bloom)
            if int(bloom) and all(any(term in bloom for term in any_of) for any_of in terms):
                logs.extend(super().get_logs(number, number, address, topics))
        return tuple(logs)


def _bloom_terms(address: Any, topics: Any) -> list[list[bytes]]:
    """What a block's bloom must contain: one of each inner list (None means any)."""
    wanted = [address, *(topics or ())]
    terms: list[list[bytes]] = []
    for item in wanted:
        any_of = [item] if isinstance(item, bytes) else list(item or [])
        if any_of and all(isinstance(term, bytes) for term in any_of):
            terms.append(any_of)
    return terms


def _api_endpoints() -> dict[str, dict[str, Any]]:
    """web3's eth-tester RPC table with our chain id (it hard-codes eth-tester's)."""
    return {
        **API_ENDPOINTS,
        "eth": {**API_ENDPOINTS["eth"], "chainId": static_return(EMBEDDED_CHAIN_ID)},
        "net": {**API_ENDPOINTS["net"], "version": static_return(str(EMBEDDED_CHAIN_ID))},
    }


@cache
def _installed_versions() -> dict[str, str]:
    return {name: version(name) for name in _PINNED}


def _has_head(store: SqliteStore) -> bool:
    try:
        ChainDB(store).get_canonical_head()
    except CanonicalHeadNotFound:
        return False
    return True


def _write_genesis(store: SqliteStore, key: LocalAccount) -> None:
    """Build the genesis in memory and copy it in with one commit (atomic first open)."""
    memory = MemoryDB()
    funds = AccountDetails(balance=GENESIS_BALANCE_WEI, nonce=0, code=b"", storage={})
    genesis_state: AccountState = {Address(bytes.fromhex(key.address[2:])): funds}
    _Chain.from_genesis(AtomicDB(memory), get_default_genesis_params(), genesis_state)
    store.write_all(memory.kv_store.items())


def _write_private(path: Path, data: dict[str, Any]) -> None:
    """Write JSON readable by the owner only, atomically (whole file or none)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(data, file, indent=2)
        file.write("\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)


@contextmanager
def exclusive_lock(path: Path, timeout_s: float) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path``; ``ChainUnavailable`` after ``timeout_s``.

    Every user of the embedded chain holds it on ``chain.lock``; so does a backup, to copy
    one consistent state of the chain's files."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ChainUnavailable(
                        f"the embedded chain in {path.parent} is busy: another connection "
                        f"held it for more than {timeout_s:g} s"
                    ) from None
                time.sleep(_LOCK_POLL_S)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
