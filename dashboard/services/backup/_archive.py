"""The backup archive's format: a tar (gzip optional) of parts and a manifest of their digests.

Layout::

    database/microspacegen.sqlite3   or  database/postgresql.dump
    files/<path in the data directory> ...
    manifest.json                    every part's path, size and SHA-256; versions; time
    manifest.sha256                  the SHA-256 of manifest.json

Only regular files are written and accepted. Reading checks every tar header (tar's own
checksum), the gzip stream when compressed (its CRC-32 covers every byte of the tar, the
zero padding included), the gzip header (exactly the one this module writes), each part
against the manifest, and the manifest against ``manifest.sha256``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import secrets
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from ..blobs import fsync_dir
from ..errors import Conflict, ValidationFailed

FORMAT = "microspacegen-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_DIGEST = "manifest.sha256"
DATABASE_DIR = "database"
FILES_DIR = "files"
CHUNK_BYTES = 1024 * 1024
MANIFEST_MAX_BYTES = 256 * 1024 * 1024
# tarfile reads a pax extended header or a GNU long name whole into memory before anything
# can look at it (and the Python before 3.11.10 here parses pax headers in quadratic time,
# CVE-2024-6232: a 2 MB archive kept a restore busy for more than 13 minutes). Ours hold a
# name of at most 1,024 characters, so anything much larger is refused unread.
EXTENDED_HEADER_MAX_BYTES = 64 * 1024
GZIP_LEVEL = 1  # fast: most of the bytes are sequence files, often already gzip-compressed
# What gzip.GzipFile(mtime=0, filename="", compresslevel=1) writes: magic, deflate, no flags,
# mtime 0, "fastest" (4), OS unknown (255). The reader insists on it: gzip's CRC does not
# cover these ten bytes.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x04\xff"

Progress = Callable[[int, str], None]  # (bytes done since last call, what is being done)


def _quiet(_done: int, _what: str) -> None:
    return None


class DamagedArchive(ValidationFailed):
    """The archive is not a whole, unchanged MicroSpaceGen backup; ``part`` names where."""

    def __init__(self, message: str, *, part: str | None = None) -> None:
        super().__init__(message, field="archive")
        self.part = part


@dataclass(frozen=True)
class Part:
    """One file in the archive, as the manifest lists it."""

    path: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, object]:
        """The manifest's entry."""
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


# --- names ----------------------------------------------------------------------------------


def check_name(name: str) -> str:
    """``name`` if it is a plain relative path (no ``..``, no absolute, no empty parts)."""
    if (
        not name
        or len(name) > 1024
        or "\x00" in name
        or "\\" in name
        or name.startswith("/")
        or any(part in ("", ".", "..") for part in name.split("/"))
    ):
        raise DamagedArchive(
            f"The archive names a file {name[:200]!r} outside its own folders (an absolute "
            "path, '..' or an empty part); refused.",
            part=name[:200],
        )
    return name


def place(root: Path, name: str) -> Path:
    """Where part ``name`` goes under ``root`` (checked to stay inside it)."""
    target = root.joinpath(*PurePosixPath(check_name(name)).parts)
    if root.resolve() not in target.resolve().parents:
        raise DamagedArchive(f"The archive's part {name!r} would land outside the folder.")
    return target


# --- writing --------------------------------------------------------------------------------


class _HashingReader:
    """Reads a file for tarfile, hashing and reporting as it goes."""

    def __init__(self, handle: BinaryIO, progress: Progress, what: str) -> None:
        self._handle = handle
        self.sha = hashlib.sha256()
        self.size = 0
        self._progress = progress
        self._what = what

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.sha.update(data)
        self.size += len(data)
        if data:
            self._progress(len(data), self._what)
        return data


class ArchiveWriter:
    """Add parts, then :meth:`finish` writes the manifest; the file appears only then."""

    def __init__(self, out: Path, *, compress: bool, force: bool, progress: Progress) -> None:
        self.out = out
        self.force = force
        self.parts: list[Part] = []
        self._progress = progress
        self.tmp = out.with_name(f".{out.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._raw: BinaryIO = os.fdopen(fd, "wb")
        self._gzip: gzip.GzipFile | None = None
        stream: BinaryIO | gzip.GzipFile = self._raw
        if compress:
            self._gzip = gzip.GzipFile(
                filename="", mode="wb", fileobj=self._raw, compresslevel=GZIP_LEVEL, mtime=0
            )
            stream = self._gzip
        self._tar = tarfile.open(  # noqa: SIM115 - closed by finish() or abandon()
            fileobj=stream, mode="w|", format=tarfile.PAX_FORMAT
        )
        self._names: set[str] = set()

    def _info(self, name: str, size: int) -> tarfile.TarInfo:
        if name in self._names:
            raise ValueError(f"part {name!r} added twice")
        self._names.add(check_name(name))
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o600
        info.mtime = 0  # the manifest says when; equal parts give equal bytes
        info.type = tarfile.REGTYPE
        return info

    def add_file(self, name: str, path: Path) -> Part:
        """Add the file at ``path`` as part ``name``, hashing it on the way."""
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            reader = _HashingReader(handle, self._progress, name)
            self._tar.addfile(self._info(name, size), reader)
        if reader.size != size:
            raise Conflict(f"{path} changed size while it was being backed up; try again.")
        part = Part(name, size, reader.sha.hexdigest())
        self.parts.append(part)
        return part

    def _add_bytes(self, name: str, data: bytes) -> None:
        self._tar.addfile(self._info(name, len(data)), io.BytesIO(data))

    def finish(self, manifest: dict[str, Any]) -> None:
        """Write the manifest, close, flush to disk and move the archive into place."""
        body = {**manifest, "parts": [p.as_dict() for p in self.parts]}
        text = json.dumps(body, indent=2, sort_keys=True).encode() + b"\n"
        self._add_bytes(MANIFEST, text)
        self._add_bytes(
            MANIFEST_DIGEST, f"{hashlib.sha256(text).hexdigest()}  {MANIFEST}\n".encode()
        )
        self._tar.close()
        if self._gzip is not None:
            self._gzip.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        if self.force:
            os.replace(self.tmp, self.out)
        else:
            try:
                os.link(self.tmp, self.out)  # never replaces a file that appeared meanwhile
            except FileExistsError:
                raise Conflict(
                    f"{self.out} already exists; choose another name, or --force to replace it."
                ) from None
            finally:
                self.tmp.unlink(missing_ok=True)
        fsync_dir(self.out.parent)

    def abandon(self) -> None:
        """Leave nothing behind after a failure."""
        for closing in (self._tar, self._gzip, self._raw):
            try:
                if closing is not None:
                    closing.close()
            except Exception:  # noqa: BLE001, S110 - already failing; only cleaning up
                pass
        self.tmp.unlink(missing_ok=True)


def _private_dirs(folder: Path) -> None:
    """Create ``folder`` and any missing parents owner-only (``mkdir(parents=True)`` gives
    the parents the umask's mode)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700)


# --- reading --------------------------------------------------------------------------------


class _BoundedTarInfo(tarfile.TarInfo):
    """A tar header whose extended headers are checked for size before tarfile reads them."""

    def _proc_pax(self, tarfile: tarfile.TarFile) -> tarfile.TarInfo:
        _check_extended_header(self)
        return super()._proc_pax(tarfile)  # type: ignore[misc, no-any-return]

    def _proc_gnulong(self, tarfile: tarfile.TarFile) -> tarfile.TarInfo:
        _check_extended_header(self)
        return super()._proc_gnulong(tarfile)  # type: ignore[misc, no-any-return]


def _check_extended_header(header: tarfile.TarInfo) -> None:
    if header.size > EXTENDED_HEADER_MAX_BYTES:
        raise DamagedArchive(
            f"The archive has an extended tar header of {header.size:,} bytes (a MicroSpaceGen "
            f"backup's are below {EXTENDED_HEADER_MAX_BYTES:,}); refused unread.",
            part="tar structure",
        )


@dataclass(frozen=True)
class Manifest:
    """A checked manifest: what the archive holds and where it came from."""

    raw: dict[str, Any]
    parts: dict[str, Part]

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self.raw["database"]["dialect"])

    @property
    def database_part(self) -> str:
        """The part holding the database."""
        return str(self.raw["database"]["part"])

    @property
    def schema_revision(self) -> str | None:
        """The Alembic revision the database was at."""
        value = self.raw.get("schema_revision")
        return str(value) if value else None


@contextmanager
def _members(
    path: Path, position: list[BinaryIO] | None = None
) -> Iterator[tuple[tarfile.TarFile, IO[bytes] | gzip.GzipFile]]:
    """The archive's tar stream (decompressed when gzip), read front to back once.

    ``position`` receives the raw file, whose ``tell()`` says how far reading has come.
    """
    with path.open("rb") as raw:
        if position is not None:
            position.append(raw)
        head = raw.read(len(GZIP_HEADER))
        raw.seek(0)
        stream: IO[bytes] | gzip.GzipFile = raw
        if head[:2] == GZIP_HEADER[:2]:
            if head != GZIP_HEADER:
                raise DamagedArchive(
                    "The archive's gzip header is not the one MicroSpaceGen writes (damaged, "
                    "or not a MicroSpaceGen backup).",
                    part="gzip header",
                )
            stream = gzip.GzipFile(fileobj=raw, mode="rb")
        try:
            with tarfile.open(
                fileobj=stream, mode="r|", format=tarfile.PAX_FORMAT, tarinfo=_BoundedTarInfo
            ) as tar:
                yield tar, stream
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise DamagedArchive(
                f"The archive cannot be read as a tar{' (gzip)' if stream is not raw else ''} "
                f"file: {exc}.",
                part="tar structure",
            ) from None


def _drain(stream: IO[bytes] | gzip.GzipFile) -> None:
    """Read the rest (tar's end blocks; gzip checks its CRC at the end): all zeros."""
    try:
        while chunk := stream.read(CHUNK_BYTES):
            if chunk.count(0) != len(chunk):
                raise DamagedArchive(
                    "The archive has data after its end: a tar header is damaged, or data "
                    "was appended.",
                    part="tar structure",
                )
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DamagedArchive(
            f"The archive's compressed stream is damaged: {exc}.", part="gzip stream"
        ) from None


def _member_name(member: tarfile.TarInfo) -> str:
    name = check_name(member.name)
    if member.issparse():  # its holes read as zeros: a few bytes could stand for terabytes
        raise DamagedArchive(
            f"The archive's entry {name!r} is a sparse file; a backup holds plain files only.",
            part=name,
        )
    if not member.isreg():
        kind = (
            "a symbolic link"
            if member.issym()
            else "a hard link"
            if member.islnk()
            else "a folder"
            if member.isdir()
            else "a special file"
        )
        raise DamagedArchive(
            f"The archive's entry {name!r} is {kind}; a backup holds regular files only.",
            part=name,
        )
    return name


def _hash_stream(handle: IO[bytes], progress: Callable[[str], None], what: str) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    while chunk := handle.read(CHUNK_BYTES):
        sha.update(chunk)
        size += len(chunk)
        progress(what)
    return sha.hexdigest(), size


def _parse_manifest(text: bytes | None, digest_line: bytes | None) -> dict[str, Any]:
    if text is None or digest_line is None:
        # tar readers take a damaged header for the archive's end, so a damaged header, a
        # cut-short archive and a foreign one all end here: the manifest is the last member.
        missing = MANIFEST if text is None else MANIFEST_DIGEST
        raise DamagedArchive(
            f"The archive ends before its {missing}: a tar header is damaged, the archive is "
            "cut short, or it is not a MicroSpaceGen backup.",
            part="tar structure",
        )
    expected = digest_line.decode("ascii", "replace").split()[:1]
    if expected != [hashlib.sha256(text).hexdigest()]:
        raise DamagedArchive(
            f"{MANIFEST} does not match its digest in {MANIFEST_DIGEST}: the archive is "
            "damaged or was altered.",
            part=MANIFEST,
        )
    try:
        raw = json.loads(text)
    except ValueError:
        raise DamagedArchive(f"{MANIFEST} is not JSON.", part=MANIFEST) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise DamagedArchive("This is not a MicroSpaceGen backup.", part=MANIFEST)
    if raw.get("format_version") != FORMAT_VERSION:
        raise DamagedArchive(
            f"The backup is in format version {raw.get('format_version')!r}; this version of "
            f"MicroSpaceGen reads version {FORMAT_VERSION}.",
            part=MANIFEST,
        )
    return raw


def _manifest_parts(raw: dict[str, Any]) -> dict[str, Part]:
    parts: dict[str, Part] = {}
    try:
        for entry in raw["parts"]:
            name = check_name(str(entry["path"]))
            if name in (MANIFEST, MANIFEST_DIGEST) or name in parts:
                raise DamagedArchive(f"{MANIFEST} lists {name!r} twice.", part=name)
            if not name.startswith((f"{DATABASE_DIR}/", f"{FILES_DIR}/")):
                raise DamagedArchive(f"{MANIFEST} lists an unknown part {name!r}.", part=name)
            parts[name] = Part(name, int(entry["size"]), str(entry["sha256"]))
        database = raw["database"]
        if database["dialect"] not in ("sqlite", "postgresql"):
            raise DamagedArchive(
                f"Unknown database dialect {database['dialect']!r}.", part=MANIFEST
            )
        if database["part"] not in parts:
            raise DamagedArchive(f"{MANIFEST} names no database part.", part=MANIFEST)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, DamagedArchive):
            raise
        raise DamagedArchive(f"{MANIFEST} is malformed ({exc!r}).", part=MANIFEST) from None
    return parts


def verify(path: Path, progress: Progress = _quiet) -> Manifest:
    """Read the whole archive once and check it; writes nothing. Raises :class:`DamagedArchive`.

    ``progress`` is told how many bytes of the archive file have been read so far.
    """
    seen: dict[str, tuple[str, int]] = {}
    manifest_text: bytes | None = None
    digest_line: bytes | None = None
    archive_file: list[BinaryIO] = []

    def read_so_far(what: str) -> None:
        progress(archive_file[0].tell(), what)

    with _members(path, archive_file) as (tar, stream):
        for member in tar:
            name = _member_name(member)
            if name in seen or (name == MANIFEST and manifest_text is not None):
                raise DamagedArchive(f"The archive holds {name!r} twice.", part=name)
            handle = tar.extractfile(member)
            if handle is None:  # pragma: no cover - regular files always have a reader
                raise DamagedArchive(f"{name!r} cannot be read.", part=name)
            if name == MANIFEST:
                manifest_text = handle.read(MANIFEST_MAX_BYTES + 1)
                if len(manifest_text) > MANIFEST_MAX_BYTES:
                    raise DamagedArchive(f"{MANIFEST} is implausibly large.", part=MANIFEST)
            elif name == MANIFEST_DIGEST:
                digest_line = handle.read(200)
            else:
                seen[name] = _hash_stream(handle, read_so_far, name)
        _drain(stream)
    raw = _parse_manifest(manifest_text, digest_line)
    parts = _manifest_parts(raw)
    for name in seen:
        if name not in parts:
            raise DamagedArchive(
                f"The archive holds {name!r}, which its manifest does not list.", part=name
            )
    for name, part in parts.items():
        if name not in seen:
            raise DamagedArchive(f"The archive lacks the part {name!r}.", part=name)
        digest, size = seen[name]
        if (digest, size) != (part.sha256, part.size):
            raise DamagedArchive(
                f"The part {name!r} is damaged: its SHA-256 or size differs from the manifest's.",
                part=name,
            )
    return Manifest(raw, parts)


def extract(
    path: Path,
    manifest: Manifest,
    destination: Callable[[str], Path | None],
    progress: Progress = _quiet,
) -> None:
    """Write each part to ``destination(name)`` (None: skip), hashing again as it goes.

    The archive was verified; it is checked again here in case it changed since.
    """
    with _members(path) as (tar, stream):
        for member in tar:
            name = _member_name(member)
            if name in (MANIFEST, MANIFEST_DIGEST):
                continue
            part = manifest.parts.get(name)
            target = destination(name)
            handle = tar.extractfile(member)
            if part is None or handle is None:
                raise DamagedArchive(f"The archive changed while it was read ({name!r}).")
            if target is None:
                continue
            _private_dirs(target.parent)
            sha = hashlib.sha256()
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                while chunk := handle.read(CHUNK_BYTES):
                    sha.update(chunk)
                    out.write(chunk)
                    progress(len(chunk), name)
                out.flush()
                os.fsync(out.fileno())
            if sha.hexdigest() != part.sha256:
                raise DamagedArchive(
                    f"The archive changed while it was restored ({name!r}); nothing was kept.",
                    part=name,
                )
        _drain(stream)
