"""Backups: one archive holding the database, the data directory's kept files and the chain.

:func:`create_backup` writes it (admins; audited); :func:`restore_backup` checks every
digest before it writes anything and builds a new data directory beside the target,
renamed into place only when whole; :func:`run_scheduled` is the ``system.backup`` job
(a backup into the backup folder, then the oldest beyond the retention removed).
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, make_url, select, update

from dashboard import __version__
from dashboard.config import SECRET_KEY_FILE, Settings, make_private_dir
from dashboard.db import Database
from dashboard.models import Job, LedgerLease, utcnow

from .. import audit, provenance
from ..actor import Actor
from ..blobs import fsync_dir
from ..errors import Conflict, ServiceError, ValidationFailed
from ..policy import Action, authorize
from . import _archive, _database, _files
from ._archive import DamagedArchive, Manifest

__all__ = [
    "ARCHIVE_PATTERN",
    "BackupReport",
    "DamagedArchive",
    "Manifest",
    "RestoreReport",
    "create_backup",
    "prune",
    "restore_backup",
    "run_scheduled",
    "start_if_due",
    "verify_archive",
]

log = logging.getLogger("microspacegen.backup")
KIND = "system.backup"
ARCHIVE_PATTERN = re.compile(r"^microspacegen-\d{8}T\d{6}Z\.tar\.gz$")
SCHEDULE_CHECK_S = 60.0
# Free space a restore leaves beyond its parts (the SQLite journal, the app's first writes).
RESTORE_HEADROOM_BYTES = 64 * 1024 * 1024

# (fraction 0-1, message)
Progress = Callable[[float, str], None]


def _quiet(_fraction: float, _message: str) -> None:
    return None


class _Counter:
    """Turns bytes done into a fraction of the expected total for a progress callback.

    ``absolute``: each call gives the bytes done so far, not the bytes of this step.
    """

    def __init__(self, total: int, report: Progress, verb: str, *, absolute: bool = False) -> None:
        self.total = max(1, total)
        self.done = 0
        self.report = report
        self.verb = verb
        self.absolute = absolute

    def __call__(self, done: int, what: str) -> None:
        self.done = done if self.absolute else self.done + done
        self.report(
            min(1.0, self.done / self.total),
            f"{self.verb} {self.done / 2**20:,.1f} of {self.total / 2**20:,.1f} MiB ({what})",
        )


@dataclass(frozen=True)
class BackupReport:
    """What a backup wrote."""

    path: Path
    bytes: int
    parts: int
    data_bytes: int
    dialect: str
    schema_revision: str | None
    seconds: float

    def as_dict(self) -> dict[str, object]:
        """Plain values (a job's result, the audit detail)."""
        return {
            "file": str(self.path),
            "bytes": self.bytes,
            "parts": self.parts,
            "data_bytes": self.data_bytes,
            "dialect": self.dialect,
            "schema_revision": self.schema_revision,
            "seconds": round(self.seconds, 2),
        }


def _is_compressed(out: Path) -> bool:
    return out.name.endswith((".tar.gz", ".tgz"))


def create_backup(
    db: Database,
    actor: Actor,
    settings: Settings,
    out: Path,
    *,
    force: bool = False,
    on_progress: Progress = _quiet,
) -> BackupReport:
    """Write one archive of this instance to ``out`` (``.tar`` or ``.tar.gz``); admins only.

    The database is copied first, then the files and the chain: every file the copied
    database names was written before it (files are stored before their rows commit), and
    the chain holds at least every anchor the copied database has seen.
    """
    authorize(db, actor, Action.SYSTEM_BACKUP, target=("backup", out.name))
    out = out.expanduser().absolute()
    started = time.monotonic()
    try:
        _check_out(settings, out, force)
        report = _write(db, settings, out, force, on_progress, started)
    except Exception as exc:
        try:
            audit.record(
                db,
                actor,
                "system.backup",
                "failed",
                target_type="backup",
                target_id=out.name,
                detail={"file": str(out), "error": _describe(exc)},
            )
        except Exception:  # the database may be what failed: the first error is the news
            log.exception("could not audit the failed backup")
        raise
    audit.record(
        db, actor, "system.backup", "ok", target_type="backup", target_id=out.name,
        detail=report.as_dict(),
    )  # fmt: skip
    return report


def _check_out(settings: Settings, out: Path, force: bool) -> None:
    if not out.name.endswith((".tar", ".tar.gz", ".tgz")):
        raise ValidationFailed("The backup file's name must end in .tar or .tar.gz.", field="out")
    if not out.parent.is_dir():
        raise ValidationFailed(f"The folder {out.parent} does not exist.", field="out")
    if out.exists() and not force:
        raise Conflict(f"{out} already exists; choose another name, or --force to replace it.")
    if _is_relative_to(out, settings.data_dir) and not _is_relative_to(out, settings.backups_dir):
        raise ValidationFailed(
            "Write the backup outside the data directory (or into its backups/ folder).",
            field="out",
        )


def _describe(exc: BaseException) -> str:
    return exc.message if isinstance(exc, ServiceError) else f"{type(exc).__name__}: {exc}"


def _is_relative_to(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _write(
    db: Database, settings: Settings, out: Path, force: bool, on_progress: Progress, started: float
) -> BackupReport:
    scratch = Path(out.parent / f".microspacegen-backup-{secrets.token_hex(6)}")
    scratch.mkdir(mode=0o700)
    writer: _archive.ArchiveWriter | None = None
    try:
        on_progress(0.0, "Copying the database")
        revision = db.current_revision()
        known = db.head_revision()
        dialect = db.engine.dialect.name
        database: dict[str, object] = {"dialect": dialect}
        if dialect == "sqlite":
            db_copy = scratch / _database.SQLITE_FILE
            _database.snapshot_sqlite(_database.sqlite_path(settings.database_url), db_copy)
            database["part"] = _database.SQLITE_PART
        elif dialect == "postgresql":
            db_copy = scratch / "postgresql.dump"
            database["pg_dump_major"] = _database.dump_postgres(settings.database_url, db_copy)
            database["part"] = _database.POSTGRES_PART
            database["format"] = "pg_dump custom"
        else:  # pragma: no cover - the app runs on these two only
            raise ValidationFailed(f"Backups of {dialect} databases are not supported.")
        on_progress(0.0, "Copying the embedded chain")
        chain = _files.chain_copy(settings.data_dir, scratch)
        files = _files.kept_files(settings.data_dir)
        total = db_copy.stat().st_size + sum(_size(f.source) for f in (*chain, *files))
        counter = _Counter(total, on_progress, "Wrote")
        writer = _archive.ArchiveWriter(
            out, compress=_is_compressed(out), force=force, progress=counter
        )
        writer.add_file(str(database["part"]), db_copy)
        vanished = []
        for item in (*chain, *files):
            try:
                writer.add_file(f"{_archive.FILES_DIR}/{item.relative}", item.source)
            except FileNotFoundError:  # deleted since it was listed (a dataset deleted now)
                vanished.append(item.relative)
        writer.finish(
            {
                "format": _archive.FORMAT,
                "format_version": _archive.FORMAT_VERSION,
                "app_version": __version__,
                "schema_revision": revision,
                "schema_head": known,
                "database": database,
                "created_at": utcnow().isoformat(timespec="seconds"),
                "host": socket.gethostname(),
                "source_data_dir": str(settings.data_dir),
                "secret_key_included": any(f.relative == SECRET_KEY_FILE for f in files),
                "embedded_chain_included": any(c.relative.endswith(_files.CHAIN_DB) for c in chain),
                "vanished_during_backup": vanished,
            }
        )
        parts = writer.parts
        on_progress(1.0, f"Wrote {out}")
        return BackupReport(
            out,
            out.stat().st_size,
            len(parts),
            sum(p.size for p in parts),
            dialect,
            revision,
            time.monotonic() - started,
        )
    except BaseException:
        if writer is not None:
            writer.abandon()
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


# --- restore ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreReport:
    """What a restore made."""

    data_dir: Path
    database: str  # where the database went, password hidden
    dialect: str
    schema_revision: str | None
    parts: int
    data_bytes: int
    backup_created_at: str
    interrupted_jobs: list[int] = field(default_factory=list)


def verify_archive(archive: Path, on_progress: Progress = _quiet) -> Manifest:
    """Check every part of ``archive`` against its manifest; writes nothing."""
    if not archive.is_file():
        raise ValidationFailed(f"{archive} is not a file.", field="archive")
    counter = _Counter(archive.stat().st_size, on_progress, "Checked", absolute=True)
    return _archive.verify(archive, counter)


def _known_revisions(db: Database) -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(db.alembic_config()).walk_revisions()}


def _target_directory(data_dir: Path) -> Path:
    data_dir = data_dir.expanduser().absolute()
    if data_dir.is_symlink() or (data_dir.exists() and not data_dir.is_dir()):
        raise ValidationFailed(f"{data_dir} exists and is not a folder.", field="data_dir")
    if data_dir.is_dir() and any(data_dir.iterdir()):
        raise Conflict(f"{data_dir} is not empty; restore into a new or empty folder.")
    if not data_dir.parent.is_dir():
        raise ValidationFailed(f"The folder {data_dir.parent} does not exist.", field="data_dir")
    return data_dir


def restore_backup(
    archive: Path,
    data_dir: Path,
    actor: Actor,
    *,
    database_url: str | None = None,
    on_progress: Progress = _quiet,
) -> RestoreReport:
    """Restore ``archive`` into the new data directory ``data_dir``.

    SQLite backups restore their database into ``data_dir``; PostgreSQL backups into the
    empty database at ``database_url``. Everything is checked first; a failure leaves
    ``data_dir`` as it was (absent or empty) and a PostgreSQL database empty. The restore is
    audited in the restored log (the actor is the console user who ran it).
    """
    target = _target_directory(data_dir)
    manifest = verify_archive(archive, lambda f, m: on_progress(f * 0.5, m))
    sqlite_url = f"sqlite:///{target / _database.SQLITE_FILE}"
    if manifest.dialect == "sqlite":
        if database_url is not None and database_url != sqlite_url:
            raise ValidationFailed(
                "This backup holds an SQLite database, which is restored into the new data "
                "folder; unset MICROSPACEGEN_DATABASE_URL for the restore and for the app.",
                field="database_url",
            )
        url = sqlite_url
    else:
        if database_url is None or not database_url.startswith("postgresql"):
            raise ValidationFailed(
                "This backup holds a PostgreSQL database: set MICROSPACEGEN_DATABASE_URL to "
                "an empty PostgreSQL database to restore it into.",
                field="database_url",
            )
        url = database_url
        tables = _database.is_empty_postgres(url)
        if tables:
            raise Conflict(
                f"The database to restore into is not empty ({len(tables)} tables, e.g. "
                f"{tables[0]}); create an empty one."
            )
    probe = Database("sqlite://")  # only to ask Alembic which revisions this code knows
    try:
        known = _known_revisions(probe)
    finally:
        probe.dispose()
    if manifest.schema_revision is not None and manifest.schema_revision not in known:
        raise Conflict(
            f"The backup's database is at schema revision {manifest.schema_revision}, which "
            f"this version of MicroSpaceGen ({__version__}) does not know; restore it with "
            f"the version that made it ({manifest.raw.get('app_version')}) or newer."
        )
    _check_places(manifest)
    _check_free_space(target.parent, manifest)
    scratch = target.parent / f".{target.name}.restore-{secrets.token_hex(6)}"
    scratch.mkdir(mode=0o700)
    loaded_postgres = False
    try:
        dump = scratch / "postgresql.dump"

        def destination(name: str) -> Path | None:
            if name == manifest.database_part:
                return scratch / _database.SQLITE_FILE if manifest.dialect == "sqlite" else dump
            relative = name.removeprefix(f"{_archive.FILES_DIR}/")
            return _archive.place(scratch, relative)

        total = sum(p.size for p in manifest.parts.values())
        counter = _Counter(total, lambda f, m: on_progress(0.5 + f * 0.4, m), "Restored")
        _archive.extract(archive, manifest, destination, counter)
        _read_only_blobs(scratch)
        on_progress(0.9, "Loading the database")
        if manifest.dialect == "sqlite":
            _database.check_sqlite(scratch / _database.SQLITE_FILE)
            db = Database(f"sqlite:///{scratch / _database.SQLITE_FILE}")
        else:
            loaded_postgres = True
            _database.restore_postgres(url, dump)
            dump.unlink()
            db = Database(url)
        try:
            interrupted = _settle_restored(db, actor, archive, manifest)
        finally:
            db.dispose()
        scratch.chmod(0o700)
        scratch.rename(target)  # replaces an empty target folder; atomic on one file system
        fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        if loaded_postgres:
            _database.empty_postgres(url)
        raise
    on_progress(1.0, f"Restored into {target}")
    return RestoreReport(
        target,
        _hidden_url(url),
        manifest.dialect,
        manifest.schema_revision,
        len(manifest.parts),
        sum(p.size for p in manifest.parts.values()),
        str(manifest.raw.get("created_at")),
        interrupted,
    )


def _check_free_space(folder: Path, manifest: Manifest) -> None:
    """Refuse before writing when the parts would not fit: a few MB of gzip can stand for
    GB of zeros (the sizes were checked against the archive's own bytes by the verify)."""
    needed = sum(p.size for p in manifest.parts.values()) + RESTORE_HEADROOM_BYTES
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise Conflict(
            f"The backup's parts need {needed / 2**20:,.0f} MiB but {folder} has only "
            f"{free / 2**20:,.0f} MiB free; nothing was written."
        )


def _hidden_url(url: str) -> str:
    """The URL with its password masked, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _check_places(manifest: Manifest) -> None:
    """Every file part has a place in a data directory, and none is another's folder."""
    names = set(manifest.parts)
    for name in names:
        relative = name.removeprefix(f"{_archive.FILES_DIR}/")
        if name.startswith(f"{_archive.FILES_DIR}/") and not _files.may_restore(relative):
            raise DamagedArchive(
                f"The archive's part {name!r} has no place in a data directory; refused.",
                part=name,
            )
        parts = name.split("/")
        for end in range(1, len(parts)):
            if "/".join(parts[:end]) in names:
                raise DamagedArchive(
                    f"The archive's part {name!r} lies inside another part; refused.", part=name
                )


def _read_only_blobs(root: Path) -> None:
    for store in _files.READ_ONLY_TOP:
        for path in (root / store).glob("??/*"):
            if path.is_file():
                path.chmod(0o400)


def _settle_restored(db: Database, actor: Actor, archive: Path, manifest: Manifest) -> list[int]:
    """Jobs that were queued or running at the backup have no worker here: mark them
    interrupted (their queue messages were not kept); then audit the restore."""
    now = utcnow()
    with db.begin() as s:
        ids = list(
            s.scalars(select(Job.id).where(Job.state.in_(("queued", "running"))).order_by(Job.id))
        )
        if ids:
            s.execute(
                update(Job)
                .where(Job.id.in_(ids))
                .values(
                    state="interrupted",
                    error="The app was restored from a backup taken while this job was "
                    "queued or running; start it again.",
                    finished_at=now,
                    worker=None,
                    progress_message="",
                )
            )
        audit.add(
            s,
            actor,
            "system.restore",
            target_type="backup",
            target_id=archive.name,
            detail={
                "archive": str(archive),
                "backup_created_at": manifest.raw.get("created_at"),
                "backup_app_version": manifest.raw.get("app_version"),
                "schema_revision": manifest.schema_revision,
                "parts": len(manifest.parts),
                "interrupted_jobs": ids,
            },
        )
    return ids


# --- the scheduled job ------------------------------------------------------------------------


def archive_name(now: datetime | None = None) -> str:
    """``microspacegen-<UTC time>.tar.gz``."""
    return f"microspacegen-{(now or datetime.now(UTC)).strftime('%Y%m%dT%H%M%SZ')}.tar.gz"


def prune(folder: Path, keep: int) -> list[str]:
    """Remove scheduled archives beyond the newest ``keep`` (by the time in their names)."""
    names = sorted(p.name for p in folder.iterdir() if ARCHIVE_PATTERN.fullmatch(p.name))
    removed = names[: max(0, len(names) - keep)]
    for name in removed:
        (folder / name).unlink(missing_ok=True)
    return removed


def run_scheduled(
    db: Database, actor: Actor, settings: Settings, on_progress: Progress = _quiet
) -> dict[str, object]:
    """Back up into the backup folder, then keep the newest ``settings.backup_keep``."""
    folder = settings.backups_dir
    make_private_dir(folder)
    report = create_backup(db, actor, settings, folder / archive_name(), on_progress=on_progress)
    removed = prune(folder, settings.backup_keep)
    return {**report.as_dict(), "removed": removed, "kept": settings.backup_keep}


def backup_is_due(
    db: Database, every_hours: float, holder: str, now: datetime | None = None
) -> bool:
    """Whether a scheduled backup should start now: enabled, this process holds the ledger
    lease (so one worker of many decides), none queued or running, the last one long ago."""
    if every_hours <= 0:
        return False
    now = now or utcnow()
    with db.read() as s:
        lease = s.get(LedgerLease, provenance.LEASE)
        if lease is None or lease.holder != holder or lease.expires_at < now:
            return False
        active = s.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.kind == KIND, Job.state.in_(("queued", "running")))
        )
        if active:
            return False
        last = s.scalar(select(func.max(Job.created_at)).where(Job.kind == KIND))
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return last is None or now - last >= timedelta(hours=every_hours)


def start_if_due(
    db: Database, settings: Settings, holder: str, start: Callable[[], object]
) -> bool:
    """Start the scheduled backup job (``start``) when :func:`backup_is_due`."""
    if backup_is_due(db, settings.backup_hours, holder):
        start()
        return True
    return False
