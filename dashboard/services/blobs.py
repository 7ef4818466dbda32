"""Content-addressed file store: every dataset's bytes, kept under their SHA-256.

A file arrives in ``incoming/`` under a random name, is checked and hashed there, and only
then is renamed to ``<sha[:2]>/<sha>``: a crash or a refused file never leaves anything
half-written where datasets are read from. Stored files are made read-only and are never
replaced (the same hash is the same bytes).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 4 * 1024 * 1024
SHA256_HEX = 64
INCOMING = "incoming"
# Files in incoming/ untouched this long belong to nothing alive (a crashed import).
STALE_INCOMING_S = 2 * 24 * 3600.0


class HashingWriter:
    """A file being written in ``incoming/``, hashed and counted as it goes."""

    def __init__(self, handle: BinaryIO, path: Path) -> None:
        self._handle = handle
        self.path = path
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        """Append ``data``."""
        self._handle.write(data)
        self._sha.update(data)
        self.size += len(data)
        return len(data)

    def hexdigest(self) -> str:
        """SHA-256 of everything written so far."""
        return self._sha.hexdigest()


class BlobStore:
    """The files of all datasets under one directory (``<data dir>/datasets``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.incoming = root / INCOMING

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> BlobStore:
        """The store of an app whose data directory is ``data_dir``."""
        return cls(data_dir / "datasets")

    def path(self, sha256: str) -> Path:
        """Where the file with this hash is (or would be) kept."""
        if len(sha256) != SHA256_HEX or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256[:80]!r}")
        return self.root / sha256[:2] / sha256

    def new_incoming(self) -> Path:
        """A fresh, empty, owner-only file in ``incoming/`` (the caller removes or commits it)."""
        self.incoming.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.incoming / f"{secrets.token_hex(16)}.part"
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        return path

    @contextmanager
    def writing(self) -> Iterator[HashingWriter]:
        """Write a new file in ``incoming/``; it is removed if the block raises."""
        path = self.new_incoming()
        try:
            with path.open("wb") as handle:
                yield HashingWriter(handle, path)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    @contextmanager
    def locked(self, sha256: str) -> Iterator[None]:
        """Hold the lock of this hash's shard: one import at a time decides whether the
        file is new, records it or removes it (other shards are not held up)."""
        shard = self.path(sha256).parent
        shard.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(shard / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def commit(self, incoming: Path, sha256: str) -> bool:
        """Move a checked file from ``incoming/`` to its place; False if it was already there.

        The caller has hashed ``incoming`` and says what its hash is.
        """
        target = self.path(sha256)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        incoming.chmod(0o400)
        try:
            # link() never replaces: if the same bytes are already stored, they stay as they are.
            os.link(incoming, target)
        except FileExistsError:
            return False
        finally:
            incoming.unlink(missing_ok=True)
        fsync_dir(target.parent)
        return True

    def stored(self) -> list[Path]:
        """Every stored file (lock files and incoming/ left out)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p for p in self.root.glob("??/*") if p.is_file() and len(p.name) == SHA256_HEX
        )

    def remove(self, sha256: str) -> None:
        """Delete a stored file (when its dataset is deleted)."""
        self.path(sha256).unlink(missing_ok=True)

    def sweep_incoming(self, older_than_s: float = STALE_INCOMING_S) -> int:
        """Remove files left in ``incoming/`` by crashed imports; returns how many."""
        if not self.incoming.is_dir():
            return 0
        limit = time.time() - older_than_s
        removed = 0
        for path in self.incoming.iterdir():
            try:
                if path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def hash_file(path: Path, on_progress: Callable[[int, int], None] | None = None) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            done += len(chunk)
            if on_progress is not None:
                on_progress(done, total)
    return digest.hexdigest(), done


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` durable (fsync of the directory)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
