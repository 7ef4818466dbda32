"""Which files of the data directory a backup keeps, and a consistent copy of the chain.

Kept: the content-addressed stores (``datasets/``, ``trees/``, ``mutations/``: files named
by their SHA-256, never changed once written), the finished jobs' files (``jobs/<id>/``),
the embedded chain (``chain/``) and a generated ``secret_key``. Not kept: caches
(``cache/``), spooled request bodies (``tmp/``), unfinished imports (``incoming/``), job
scratch folders, the embedded job queue and lock files; the database travels separately.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from dashboard.config import SECRET_KEY_FILE
from ledger.errors import ChainUnavailable

from ..blobs import SHA256_HEX
from ..errors import Conflict

STORES = ("datasets", "trees", "mutations")
JOBS = "jobs"
CHAIN = "chain"
# Everything in chain/ but its locks: the py-evm store, its dev key, versions, deployments.
CHAIN_DB = "chain.sqlite3"
CHAIN_FILES = ("dev-key.json", "versions.json", "deployments.json")
CHAIN_LOCK = "chain.lock"
DEPLOYMENTS_LOCK = "deployments.lock"
CHAIN_LOCK_TIMEOUT_S = 120.0
# Where each kept top-level name may be restored (the restore refuses anything else).
TOP_LEVEL = frozenset({*STORES, JOBS, CHAIN, SECRET_KEY_FILE})
READ_ONLY_TOP = frozenset(STORES)  # stored blobs are read-only, as BlobStore leaves them
_STORED = re.compile(r"(?:datasets|trees|mutations)/([0-9a-f]{2})/\1[0-9a-f]{62}")
_JOB_FILE = re.compile(r"jobs/[0-9]+(?:/[A-Za-z0-9._-]+)+")


@dataclass(frozen=True)
class DataFile:
    """A file to keep: its path relative to the data directory and where to read it now."""

    relative: str
    source: Path


def _store_files(data_dir: Path, store: str) -> Iterator[DataFile]:
    root = data_dir / store
    if not root.is_dir():
        return
    for shard in sorted(root.iterdir()):
        if len(shard.name) != 2 or not shard.is_dir() or shard.is_symlink():
            continue  # incoming/ and anything else that is not a stored file
        for path in sorted(shard.iterdir()):
            if len(path.name) == SHA256_HEX and path.is_file() and not path.is_symlink():
                yield DataFile(f"{store}/{shard.name}/{path.name}", path)


def _job_files(data_dir: Path) -> Iterator[DataFile]:
    root = data_dir / JOBS
    if not root.is_dir():
        return
    for folder in sorted(root.iterdir(), key=lambda p: p.name):
        if not folder.name.isdigit() or not folder.is_dir() or folder.is_symlink():
            continue  # .tmp-<id>-<attempt>: a job still running or one that failed
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield DataFile(path.relative_to(data_dir).as_posix(), path)


def kept_files(data_dir: Path) -> list[DataFile]:
    """The data directory's files a backup keeps (the chain aside: see :func:`chain_copy`)."""
    files = [f for store in STORES for f in _store_files(data_dir, store)]
    files.extend(_job_files(data_dir))
    secret = data_dir / SECRET_KEY_FILE
    if secret.is_file() and not secret.is_symlink():
        files.append(DataFile(SECRET_KEY_FILE, secret))
    return files


@contextmanager
def _flock(path: Path, timeout_s: float) -> Iterator[None]:
    """Hold the exclusive ``flock`` the embedded chain's users take (ledger/embedded.py)."""
    from ledger.embedded import exclusive_lock  # py-evm: only when there is a chain to copy

    with ExitStack() as stack:
        try:
            stack.enter_context(exclusive_lock(path, timeout_s))
        except ChainUnavailable:
            raise Conflict(
                f"The embedded chain in {path.parent} stayed busy for {timeout_s:g} s; "
                "try the backup again."
            ) from None
        yield


def chain_copy(data_dir: Path, scratch: Path) -> list[DataFile]:
    """A consistent copy of ``chain/`` in ``scratch``, taken while no one else holds it.

    Every user of the embedded chain (the anchoring worker, verification, the CLI) holds
    ``chain/chain.lock`` while it reads or appends blocks, and deploys the registry (which
    writes ``deployments.json``) while holding it too; so under that lock the block store
    and the files beside it are one state. The block store is copied with SQLite's backup
    API (its WAL included); the JSON files are written whole by rename, so a copy is whole.
    """
    chain = data_dir / CHAIN
    if not chain.is_dir():
        return []
    copies: list[DataFile] = []
    target = scratch / CHAIN
    target.mkdir(mode=0o700)
    with (
        _flock(chain / CHAIN_LOCK, CHAIN_LOCK_TIMEOUT_S),
        _flock(chain / DEPLOYMENTS_LOCK, CHAIN_LOCK_TIMEOUT_S),
    ):
        store = chain / CHAIN_DB
        if store.is_file():
            copy = target / CHAIN_DB
            os.close(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            src = sqlite3.connect(f"{store.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            dst = sqlite3.connect(copy)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
                src.close()
            copies.append(DataFile(f"{CHAIN}/{CHAIN_DB}", copy))
        for name in CHAIN_FILES:
            path = chain / name
            if path.is_file() and not path.is_symlink():
                copy = target / name
                shutil.copyfile(path, copy)
                copy.chmod(0o600)
                copies.append(DataFile(f"{CHAIN}/{name}", copy))
    return copies


def may_restore(relative: str) -> bool:
    """Whether a restored file may go to ``relative`` in the data directory."""
    top = relative.split("/", 1)[0]
    if top not in TOP_LEVEL:
        return False
    if top == SECRET_KEY_FILE:
        return relative == SECRET_KEY_FILE
    if top == CHAIN:
        return relative in {f"{CHAIN}/{CHAIN_DB}", *(f"{CHAIN}/{n}" for n in CHAIN_FILES)}
    if top == JOBS:
        return _JOB_FILE.fullmatch(relative) is not None
    return _STORED.fullmatch(relative) is not None
