"""Uploads from the browser: large files in chunks, resumable after a dropped connection.

Opening an upload checks the dataset's details first (so a typo shows before 2 GB travel);
chunks are appended at the offset the server has reached (a client that lost its connection
asks where to continue); completing it starts a ``dataset.import`` job that hashes,
validates and stores the file with the shared job progress.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import select, update

from dashboard.db import Database
from dashboard.models import Job, Upload, utcnow

from . import datasets, explorer
from .actor import Actor
from .blobs import BlobStore
from .errors import Conflict, NotFound, ValidationFailed
from .policy import Action, authorize

if TYPE_CHECKING:  # job_kinds registers run_import from here
    from .job_kinds import Context, JobResult

CHUNK_MAX_BYTES = 16 * 1024 * 1024
UPLOAD_MAX_BYTES = 256 * 1024**3  # 256 GiB: more than any run of one sequencer lane
EXPIRES_AFTER = timedelta(days=2)
READ_BYTES = 1024 * 1024
ID_LENGTH = 43  # secrets.token_urlsafe(32)


@dataclass(frozen=True)
class UploadView:
    """An upload as the uploading client sees it."""

    id: str
    filename: str
    size: int
    received: int
    job_id: int | None
    created_at: datetime
    details: dict[str, object]

    @property
    def is_complete(self) -> bool:
        """Whether every byte has arrived."""
        return self.received == self.size


def _view(u: Upload) -> UploadView:
    return UploadView(
        u.id, u.filename, u.size, u.received, u.job_id, u.created_at, dict(u.details or {})
    )


def part_path(store: BlobStore, upload_id: str) -> Path:
    """Where the bytes of an upload accumulate (in the store's ``incoming/``)."""
    if not _valid_id(upload_id):
        raise NotFound("No such upload.")
    return store.incoming / f"upload-{upload_id}"


def _size(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValidationFailed("size must be the file's size in bytes.", field="size")
    if raw < 1:
        raise ValidationFailed("The file is empty; choose a file with data in it.", field="file")
    if raw > UPLOAD_MAX_BYTES:
        raise ValidationFailed(
            f"The file is larger than {UPLOAD_MAX_BYTES // 1024**3} GiB; import it on the "
            "server with `python app.py import`.",
            field="file",
        )
    return raw


def open_upload(
    db: Database,
    actor: Actor,
    store: BlobStore,
    filename: object,
    size: object,
    details: Mapping[str, object],
) -> UploadView:
    """Start an upload of ``size`` bytes after checking the dataset's details."""
    authorize(db, actor, Action.DATASET_IMPORT)
    if actor.user_id is None:
        raise ValidationFailed("Uploads need a user account; use `python app.py import`.")
    name = datasets.safe_filename(filename)
    total = _size(size)
    checked = datasets.check_details(db, actor, details)
    _expire(db, store)
    upload_id = secrets.token_urlsafe(32)
    path = part_path(store, upload_id)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    now = utcnow()
    try:
        with db.begin() as s:
            row = Upload(
                id=upload_id,
                user_id=actor.user_id,
                filename=name,
                size=total,
                received=0,
                details=checked.as_dict(),
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            return _view(row)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _valid_id(upload_id: str) -> bool:
    return (
        len(upload_id) == ID_LENGTH
        and upload_id.isascii()
        and upload_id.replace("-", "").replace("_", "").isalnum()
    )


def get_upload(db: Database, actor: Actor, upload_id: str) -> UploadView:
    """An upload of ``actor`` (anyone else's is not found)."""
    if not _valid_id(upload_id):  # never a query with NUL or worse in it
        raise NotFound("No such upload; it may have expired. Start the upload again.")
    with db.read() as s:
        row = s.get(Upload, upload_id)
        if row is None or row.user_id != actor.user_id:
            raise NotFound("No such upload; it may have expired. Start the upload again.")
        return _view(row)


def _stands_at(current: UploadView, offset: int) -> None:
    if current.job_id is not None:
        raise Conflict("This upload is complete and being imported.")
    if offset != current.received:
        raise Conflict(
            f"The upload stands at byte {current.received:,}, not {offset:,}; continue from "
            f"{current.received}.",
            field="offset",
        )


def append(
    db: Database,
    actor: Actor,
    store: BlobStore,
    upload_id: str,
    offset: int,
    stream: BinaryIO,
    length: int | None,
) -> UploadView:
    """Append the bytes of ``stream`` at ``offset``, which must be where the upload stands.

    A chunk cut short by a dropped connection keeps what arrived: the client asks for
    :attr:`UploadView.received` and continues from there.
    """
    _stands_at(get_upload(db, actor, upload_id), offset)  # cheap refusal before the lock
    if length is not None and length > CHUNK_MAX_BYTES:
        raise ValidationFailed(
            f"A chunk may hold at most {CHUNK_MAX_BYTES // 1024**2} MiB.", field="chunk"
        )
    path = part_path(store, upload_id)
    with path.open("r+b") as handle:
        # One writer at a time; checked again under the lock, where it cannot change.
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        current = get_upload(db, actor, upload_id)
        _stands_at(current, offset)
        room = min(current.size - offset, CHUNK_MAX_BYTES)
        on_disk = os.fstat(handle.fileno()).st_size
        if on_disk < offset:
            raise Conflict(
                f"Only {on_disk:,} bytes are on the server; continue from {on_disk}.",
                field="offset",
            )
        if on_disk > offset:  # bytes of a request that died before it was counted
            handle.truncate(offset)
        handle.seek(offset)
        written = 0
        while written <= room:
            piece = stream.read(min(READ_BYTES, room + 1 - written))
            if not piece:
                break
            if written + len(piece) > room:
                handle.truncate(offset)
                raise ValidationFailed(
                    f"The chunk runs past the file's declared size ({current.size:,} bytes) "
                    f"or past {CHUNK_MAX_BYTES // 1024**2} MiB.",
                    field="chunk",
                )
            handle.write(piece)
            written += len(piece)
        handle.flush()
        with db.begin() as s:
            s.execute(
                update(Upload)
                .where(Upload.id == upload_id)
                .values(received=offset + written, updated_at=utcnow())
            )
    return get_upload(db, actor, upload_id)


STARTING = 0  # job_id while a complete request is starting the import


def _job_state(db: Database, job_id: int) -> str | None:
    with db.read() as s:
        return s.scalar(select(Job.state).where(Job.id == job_id))


def complete(db: Database, actor: Actor, upload_id: str, enqueue: object) -> int:
    """Start the import of a fully received upload; returns the job's id (the same one when
    asked again, or a new one if the last import died with its worker)."""
    from . import jobs  # jobs -> job_kinds -> uploads: imported here to break the cycle

    current = get_upload(db, actor, upload_id)
    if not current.is_complete:
        raise Conflict(
            f"Only {current.received:,} of {current.size:,} bytes have arrived; send the rest "
            "first.",
            field="offset",
        )
    previous = current.job_id
    if previous == STARTING:
        return _job_being_started(db, actor, upload_id)
    if previous is not None and _job_state(db, previous) != jobs.INTERRUPTED:
        return previous
    # Claim the upload with a conditional update: of two completes at once, one starts a job.
    with db.begin() as s:
        claimed = s.execute(  # type: ignore[attr-defined]
            update(Upload)
            .where(Upload.id == upload_id, Upload.job_id.is_not_distinct_from(previous))
            .values(job_id=STARTING)
        ).rowcount
    if not claimed:
        return _job_being_started(db, actor, upload_id)
    try:
        job = jobs.start(db, actor, enqueue, "dataset.import", {"upload_id": upload_id})  # type: ignore[arg-type]
    except BaseException:
        with db.begin() as s:
            s.execute(update(Upload).where(Upload.id == upload_id).values(job_id=previous))
        raise
    with db.begin() as s:
        s.execute(update(Upload).where(Upload.id == upload_id).values(job_id=job.id))
    return job.id


def _job_being_started(db: Database, actor: Actor, upload_id: str, wait_s: float = 5.0) -> int:
    """The job another request is starting for this upload (a double click gets one job)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        job_id = get_upload(db, actor, upload_id).job_id
        if job_id not in (None, STARTING):
            return job_id
        time.sleep(0.05)
    raise Conflict("The import of this upload is being started; follow it under Jobs.")


def discard(db: Database, actor: Actor, store: BlobStore, upload_id: str) -> None:
    """Abandon an upload that is not being imported: its row and bytes go."""
    from . import jobs

    current = get_upload(db, actor, upload_id)
    if current.job_id is not None:
        state = _job_state(db, current.job_id) if current.job_id != STARTING else jobs.QUEUED
        if state in jobs.ACTIVE_STATES:
            raise Conflict("This upload is being imported; cancel its job instead.")
    with db.begin() as s:
        row = s.get(Upload, upload_id)
        if row is not None:
            s.delete(row)
    part_path(store, upload_id).unlink(missing_ok=True)


def _expire(db: Database, store: BlobStore) -> None:
    """Drop uploads nobody touched for :data:`EXPIRES_AFTER` (and stray incoming files)."""
    limit = utcnow() - EXPIRES_AFTER
    with db.begin() as s:
        stale = list(s.scalars(select(Upload).where(Upload.updated_at < limit)))
        for row in stale:
            part_path(store, row.id).unlink(missing_ok=True)
            s.delete(row)
    store.sweep_incoming()


def run_import(ctx: Context) -> JobResult:
    """The ``dataset.import`` job: hash, validate and store an upload, then forget it."""
    upload_id = str(ctx.params.get("upload_id", ""))
    store = BlobStore.in_data_dir(ctx.data_dir)
    upload = get_upload(ctx.db, ctx.actor, upload_id)
    if not upload.is_complete:
        raise Conflict("The upload is not complete.")
    details = datasets.parse_details(upload.details)
    if not part_path(store, upload_id).is_file():
        raise Conflict(
            "The upload's bytes are gone from the server (expired?); send the file again."
        )
    try:
        dataset = datasets.import_file(
            ctx.db,
            ctx.actor,
            store,
            part_path(store, upload_id),
            upload.filename,
            details,
            on_progress=ctx.progress,
        )
    finally:
        with ctx.db.begin() as s:
            row = s.get(Upload, upload_id)
            if row is not None:
                s.delete(row)
    ctx.progress(0.97, "Preparing the sequence explorer")
    explorer.warm(ctx.db, explorer.DataFiles.in_data_dir(ctx.data_dir), dataset.id)
    return {
        "dataset_id": dataset.id,
        "sha256": dataset.sha256,
        "filename": dataset.filename,
        "format": dataset.format,
    }
