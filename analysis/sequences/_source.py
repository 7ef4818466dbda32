"""Reading a file as blocks of (decompressed) bytes, with progress, for the scanners.

Gzip is inflated member by member (bgzip's many members and zero padding are accepted) on a
background thread, so decompression overlaps with checking; python-isal's inflater is used
when installed (2-3x faster than zlib), else the standard library's zlib. Damage in the
gzip stream is raised as :class:`GzipDamage` once the data before it has been handed out, so
a caller can say at which line of the text the damage starts.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import queue
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Protocol


def _inflate_backend() -> tuple[ModuleType, tuple[type[Exception], ...]]:
    """python-isal's zlib twin when installed (2-3x faster inflating), else zlib."""
    try:
        isal_zlib = importlib.import_module("isal.isal_zlib")
    except ImportError:  # pragma: no cover - depends on the environment
        return zlib, (zlib.error,)
    return isal_zlib, (zlib.error, isal_zlib.error)


_INFLATE_MODULE, _INFLATE_ERRORS = _inflate_backend()

GZIP_MAGIC = b"\x1f\x8b"
BLOCK_BYTES = 8 << 20  # decompressed bytes handed to a scanner at a time
_RAW_READ = 256 << 10  # small pieces keep inflating in cache: faster
_INFLATE_MAX = 1 << 20  # output per inflate call: bounds memory on a "zip bomb"
_QUEUE_BLOCKS = 3
_PROGRESS_INTERVAL_S = 0.1

Progress = Callable[[int, int], None]


class _Inflater(Protocol):
    eof: bool
    unused_data: bytes
    unconsumed_tail: bytes

    def decompress(self, data: bytes, max_length: int = ...) -> bytes: ...


def _inflater() -> _Inflater:
    inflater: _Inflater = _INFLATE_MODULE.decompressobj(31)  # 31: gzip wrapper, checks CRC
    return inflater


class GzipDamage(Exception):
    """The gzip stream is damaged; ``problem`` says how, for a SequenceFormatError."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _describe(exc: Exception) -> str:
    text = str(exc)
    if "check" in text.lower() or "checksum" in text.lower():
        return (
            "the gzip data fails its CRC check: the file was damaged in transfer or on disk; "
            "upload the original file again"
        )
    return (
        f"the gzip data is corrupt ({text}): the file was damaged in transfer or is not "
        "really gzip; upload the original file again"
    )


_ENDS_EARLY = (
    "the gzip stream ends early: the file was cut off (an interrupted upload or copy); "
    "upload the complete file again"
)


def gunzip_head(data: bytes, limit: int) -> bytes:
    """Inflate the start of gzip ``data`` (up to ``limit`` bytes), for sniffing.

    Raises GzipDamage when ``data`` is not valid gzip as far as it goes.
    """
    out: list[bytes] = []
    size = 0
    pending = data
    while size < limit:
        inflater = _inflater()
        try:
            chunk = inflater.decompress(pending, limit - size)
        except _INFLATE_ERRORS as exc:
            if out:  # a later member: the full pass will say where
                break
            raise GzipDamage(_describe(exc)) from None
        out.append(chunk)
        size += len(chunk)
        pending = inflater.unused_data.lstrip(b"\x00")
        if not inflater.eof or not pending.startswith(GZIP_MAGIC):
            break
    return b"".join(out)


class _Throttle:
    """Calls ``on_progress(done, total)`` at most every 0.1 s (and once at the end)."""

    def __init__(self, on_progress: Progress | None, total: int) -> None:
        self._on_progress = on_progress
        self._total = total
        self._last = 0.0

    def __call__(self, done: int) -> None:
        if self._on_progress is None:
            return
        now = time.monotonic()
        if now - self._last >= _PROGRESS_INTERVAL_S:
            self._last = now
            self._on_progress(min(done, self._total), self._total)

    def finish(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self._total, self._total)


class Blocks:
    """Context manager iterating over the decompressed bytes of a file in large blocks.

    >>> import tempfile, gzip
    >>> with tempfile.NamedTemporaryFile(suffix=".gz") as f:
    ...     _ = f.write(gzip.compress(b">a\\nACGT\\n") + gzip.compress(b">b\\nGG\\n"))
    ...     f.flush()
    ...     with Blocks(Path(f.name), is_gzip=True) as blocks:
    ...         b"".join(blocks)
    b'>a\\nACGT\\n>b\\nGG\\n'
    """

    def __init__(
        self,
        path: Path,
        *,
        is_gzip: bool,
        on_progress: Progress | None = None,
        block_bytes: int = BLOCK_BYTES,
    ) -> None:
        self._path = path
        self._is_gzip = is_gzip
        self._block_bytes = block_bytes
        self._progress = _Throttle(on_progress, os.path.getsize(path))
        self._stop = threading.Event()
        self._queue: queue.Queue[tuple[bytes, int] | GzipDamage | None] = queue.Queue(_QUEUE_BLOCKS)
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Iterator[bytes]:
        if self._is_gzip:
            self._thread = threading.Thread(target=self._inflate, name="gunzip", daemon=True)
            self._thread.start()
            return self._from_queue()
        return self._plain()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            while self._thread.is_alive():
                with contextlib.suppress(queue.Empty):
                    self._queue.get(timeout=0.05)
            self._thread.join()
        if exc_type is None:
            self._progress.finish()

    def _plain(self) -> Iterator[bytes]:
        with open(self._path, "rb") as raw:
            while block := raw.read(self._block_bytes):
                self._progress(raw.tell())
                yield block

    def _from_queue(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, GzipDamage):
                raise item
            block, done = item
            self._progress(done)
            yield block

    def _put(self, item: tuple[bytes, int] | GzipDamage | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _inflate(self) -> None:
        """Producer thread: raw file -> gzip members -> blocks on the queue."""
        parts: list[bytes] = []
        size = 0
        done = 0
        try:
            with open(self._path, "rb") as raw:
                inflater: _Inflater | None = None  # None between members
                pending = b""
                while not self._stop.is_set():
                    if len(pending) < 2:
                        more = raw.read(_RAW_READ)
                        done += len(more)
                        if not more:
                            break
                        pending += more
                    if inflater is None:
                        pending = pending.lstrip(b"\x00")  # zero padding between members
                        if len(pending) < 2:
                            continue
                        if pending[:2] != GZIP_MAGIC:
                            raise GzipDamage(
                                "after the end of the gzip data the file goes on with bytes "
                                "that are not gzip: something was appended to it; "
                                "upload the original file"
                            )
                        inflater = _inflater()
                    out = inflater.decompress(pending, _INFLATE_MAX)
                    pending = inflater.unconsumed_tail
                    if inflater.eof:
                        pending = inflater.unused_data + pending
                        inflater = None
                    if out:
                        parts.append(out)
                        size += len(out)
                        if size >= self._block_bytes:
                            if not self._put((b"".join(parts), done)):
                                return
                            parts, size = [], 0
                if self._stop.is_set():
                    return
                if inflater is not None or pending.strip(b"\x00"):
                    raise GzipDamage(_ENDS_EARLY)
            if parts:
                self._put((b"".join(parts), done))
            self._put(None)
        except GzipDamage as damage:
            if parts:
                self._put((b"".join(parts), done))
            self._put(damage)
        except _INFLATE_ERRORS as exc:
            if parts:
                self._put((b"".join(parts), done))
            self._put(GzipDamage(_describe(exc)))
        except OSError as exc:
            self._put(GzipDamage(f"the file could not be read ({exc})"))
