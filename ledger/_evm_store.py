"""A py-evm key-value database kept in one SQLite file.

py-evm 0.12 ships only an in-memory database. It writes through ``atomic_batch()`` whenever
several keys must change together (a block and its canonical-head pointer, a state
commit), so committing each batch in one SQL transaction is what keeps the stored chain
consistent after a crash: a block is either fully there with the head pointing at it, or
absent. Writes outside a batch are content-addressed trie nodes; a lost one is never
referenced by a committed head.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from eth.abc import AtomicWriteBatchAPI
from eth.db.backends.base import BaseAtomicDB, BaseDB

_SCHEMA = "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID"
_GET = "SELECT v FROM kv WHERE k = ?"
_PUT = "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)"
_DELETE = "DELETE FROM kv WHERE k = ?"


class SqliteStore(BaseAtomicDB):
    """py-evm's ``AtomicDatabaseAPI`` over a ``kv`` table; one connection, one thread."""

    def __init__(self, path: Path) -> None:
        # Autocommit mode: single writes commit alone, batches open their own transaction.
        self._conn = sqlite3.connect(path, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL under WAL survives a killed process; only a power cut can drop the last
        # commits, and then the chain is still consistent, just shorter.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(_SCHEMA)

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite as needed)."""
        self._conn.close()

    def __getitem__(self, key: bytes) -> bytes:
        row = self._conn.execute(_GET, (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        value: bytes = row[0]
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._conn.execute(_PUT, (key, value))

    def __delitem__(self, key: bytes) -> None:
        if self._conn.execute(_DELETE, (key,)).rowcount == 0:
            raise KeyError(key)

    def _exists(self, key: bytes) -> bool:
        return self._conn.execute(_GET, (key,)).fetchone() is not None

    def write_all(self, items: Iterable[tuple[bytes, bytes]]) -> None:
        """Store many pairs in one transaction (used to copy a genesis in)."""
        self._commit(list(items), [])

    @contextmanager
    def atomic_batch(self) -> Iterator[AtomicWriteBatchAPI]:
        """Collect writes in memory and commit them in one SQL transaction on success."""
        batch = _WriteBatch(self)
        try:
            yield batch
        finally:
            changes, batch._changes = batch._changes, None
        if changes is not None:
            self._commit(
                [(k, v) for k, v in changes.items() if v is not None],
                [(k,) for k, v in changes.items() if v is None],
            )

    def _commit(self, puts: list[tuple[bytes, bytes]], deletes: list[tuple[bytes]]) -> None:
        if not puts and not deletes:
            return
        with self._conn:  # BEGIN ... COMMIT, or ROLLBACK on error
            self._conn.execute("BEGIN")
            self._conn.executemany(_PUT, puts)
            self._conn.executemany(_DELETE, deletes)


class _WriteBatch(BaseDB, AtomicWriteBatchAPI):
    """Pending writes of one ``atomic_batch()``: readable, applied only on commit."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store
        self._changes: dict[bytes, bytes | None] | None = {}  # None value: deleted

    def _pending(self) -> dict[bytes, bytes | None]:
        if self._changes is None:
            raise RuntimeError("write batch used outside its atomic_batch() block")
        return self._changes

    def __getitem__(self, key: bytes) -> bytes:
        changes = self._pending()
        if key in changes:
            value = changes[key]
            if value is None:
                raise KeyError(key)
            return value
        return self._store[key]

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._pending()[key] = value

    def __delitem__(self, key: bytes) -> None:
        if not self._exists(key):
            raise KeyError(key)
        self._pending()[key] = None

    def _exists(self, key: bytes) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True
