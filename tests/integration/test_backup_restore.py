"""Backup and restore (issue 12, "Keep data"): one archive, checked before anything is written.

A source instance is built once through the services (users, an experiment with datasets
anchored on its embedded chain, a run, a finished job with a file, the audit log), backed
up in-process, and restored into new folders: compared table by table and file by file,
the audit chain and an anchored dataset verified on the restored chain, the restored app
logged into. Damaged and hostile archives are refused before anything is written.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from dashboard.config import Settings, load_settings
from dashboard.db import Database
from dashboard.models import AuditEvent, Base, Job
from dashboard.services import (
    audit,
    backup,
    datasets,
    experiments,
    job_runner,
    jobs,
    provenance_verify,
    runs,
)
from dashboard.services.actor import Actor, Role, cli_actor
from dashboard.services.backup import DamagedArchive
from dashboard.services.blobs import BlobStore
from dashboard.services.devices import catalog
from dashboard.services.errors import Conflict, PermissionDenied, ValidationFailed
from dashboard.services.ledger_anchoring import BatchPolicy, run_until_idle
from dashboard.services.ledger_chain import chain_settings
from hardware.factory import DEFAULT_DEVICES
from tests.conftest import PASSWORD, make_user

ROOT = Path(__file__).resolve().parents[2]
CLI = cli_actor("backup-test")


@dataclass(frozen=True)
class Source:
    settings: Settings
    db: Database
    boss: Actor
    sci: Actor
    anchored_id: int
    tables: dict[str, list[tuple[Any, ...]]]  # every table's rows just before the backup
    archive: Path  # .tar.gz
    plain: Path  # the same instance as an uncompressed .tar
    folder: Path


def _fasta(label: str) -> bytes:
    tag = uuid.uuid4().hex
    bases = "".join("ACGT"[int(c, 16) % 4] for c in hashlib.sha256(tag.encode()).hexdigest())
    return f">{label} {tag}\n{bases * 8}\n".encode()


def table_rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and Alembic's), ordered by primary key."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            keys = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*keys)).all()
            found[table.name] = [tuple(r) for r in rows]
        found["alembic_version"] = [
            tuple(r) for r in conn.execute(text("SELECT * FROM alembic_version"))
        ]
    return found


def _build(folder: Path, database_url: str | None) -> tuple[Settings, Database, Actor, Actor, int]:
    env = {"MICROSPACEGEN_DATABASE_URL": database_url} if database_url else {}
    settings = load_settings(env, data_dir=folder / "src")
    db = Database(settings.database_url)
    db.upgrade()
    boss = make_user(db, "boss", Role.ADMIN)
    sci = make_user(db, "sci", Role.SCIENTIST)
    oper = make_user(db, "oper", Role.OPERATOR)
    exp = experiments.create_experiment(
        db,
        sci,
        {"name": "Backup test", "organism": "E. coli", "arms": experiments.default_arms()},
    )
    runs.create_run(
        db, oper, catalog(DEFAULT_DEVICES), exp.id, {"name": "run 1", "arm_id": exp.arms[0].id}
    )
    store = BlobStore.in_data_dir(settings.data_dir)
    ids = []
    for name in ("flight.fa", "ground.fa"):
        path = folder / name
        path.write_bytes(_fasta(name))
        details = datasets.parse_details({"experiment_id": exp.id, "sample_name": name})
        ids.append(datasets.import_path(db, sci, store, path, details).id)
    reports = list(run_until_idle(db, chain_settings(settings), BatchPolicy(size=1000)))
    assert not any(r.error for r in reports), [r.error for r in reports]
    # A finished job with a file in jobs/<id>/.
    job = jobs.start(db, boss, lambda _id: None, "audit.export", {})
    assert job_runner.execute(db, job.id, settings.job_files_dir, worker="test:1") == "succeeded"
    return settings, db, boss, sci, ids[0]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    folder = tmp_path_factory.mktemp("backup")
    settings, db, boss, sci, anchored = _build(folder, None)
    tables = table_rows(db)
    archive = folder / "instance.tar.gz"
    report = backup.create_backup(db, CLI, settings, archive)
    plain = folder / "instance.tar"
    backup.create_backup(db, CLI, settings, plain)
    assert report.path == archive
    assert report.dialect == "sqlite"
    yield Source(settings, db, boss, sci, anchored, tables, archive, plain, folder)
    db.dispose()


@pytest.fixture(scope="module")
def restored(source: Source) -> Iterator[tuple[Path, Database, backup.RestoreReport]]:
    target = source.folder / "restored"
    report = backup.restore_backup(source.archive, target, CLI)
    db = Database(f"sqlite:///{target / 'microspacegen.sqlite3'}")
    yield target, db, report
    db.dispose()


def _kept_file_hashes(data_dir: Path) -> dict[str, str]:
    found = {}
    for top in ("datasets", "trees", "mutations", "jobs"):
        for path in sorted((data_dir / top).rglob("*")):
            relative = path.relative_to(data_dir).as_posix()
            hidden = "incoming" in relative or ".tmp-" in relative or path.name.startswith(".")
            if path.is_file() and not hidden:
                found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    for name in (
        "secret_key",
        "chain/dev-key.json",
        "chain/versions.json",
        "chain/deployments.json",
    ):
        if (data_dir / name).is_file():
            found[name] = hashlib.sha256((data_dir / name).read_bytes()).hexdigest()
    return found


def _chain_rows(data_dir: Path) -> list[tuple[bytes, bytes]]:
    conn = sqlite3.connect(data_dir / "chain" / "chain.sqlite3")
    try:
        return conn.execute("SELECT k, v FROM kv ORDER BY k").fetchall()
    finally:
        conn.close()


def _assert_same_tables(
    before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]
) -> None:
    """Equal table by table, but for the restore's own audit event (the last, chained on)."""
    assert before.keys() == after.keys()
    for name in before:
        if name in ("audit_events", "audit_chain_head"):
            continue
        assert after[name] == before[name], name
    assert after["audit_events"][:-1] == before["audit_events"]
    assert len(after["audit_events"]) == len(before["audit_events"]) + 1


# --- the round trip ---------------------------------------------------------------------------


def test_restore_gives_the_same_tables_files_and_chain(
    source: Source, restored: tuple[Path, Database, backup.RestoreReport]
) -> None:
    target, db, report = restored
    after = table_rows(db)
    _assert_same_tables(source.tables, after)
    assert {n for n, rows in source.tables.items() if rows} >= {
        "users",
        "experiments",
        "datasets",
        "runs",
        "jobs",
        "audit_events",
        "ledger_batches",
    }
    files = _kept_file_hashes(source.settings.data_dir)
    assert any(n.startswith("datasets/") for n in files)
    assert any(n.startswith("jobs/") for n in files)
    assert _kept_file_hashes(target) == files
    assert _chain_rows(target) == _chain_rows(source.settings.data_dir)
    assert report.parts == len(files) + 2  # the database and the chain's block store
    # Owner-only: the archive holds the secret key and every account.
    assert (source.archive.stat().st_mode & 0o777) == 0o600
    assert (target.stat().st_mode & 0o777) == 0o700
    folders = [p for p in target.rglob("*") if p.is_dir()]
    assert folders
    assert {oct(p.stat().st_mode & 0o777) for p in folders} == {oct(0o700)}
    assert not [p for p in source.folder.iterdir() if p.name.startswith(".")]


def test_the_audit_chain_verifies_and_names_the_restore(
    source: Source, restored: tuple[Path, Database, backup.RestoreReport]
) -> None:
    _target, db, _report = restored
    boss = Actor(source.boss.user_id, "boss", frozenset({"admin"}), None, "cli")
    report = audit.verify_chain(db, boss)
    assert report.is_intact, report.reason
    with db.read() as s:
        actions = list(
            s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(2))
        )
    assert actions[1] == "system.restore"  # the verification itself comes after it


def test_an_anchored_dataset_verifies_on_the_restored_chain(
    source: Source, restored: tuple[Path, Database, backup.RestoreReport]
) -> None:
    target, db, _report = restored
    settings = load_settings({}, data_dir=target)
    checked = provenance_verify.verify_dataset(
        db, source.boss, chain_settings(settings), BlobStore.in_data_dir(target), source.anchored_id
    )
    assert checked.is_verified, checked.first_failure
    assert any(c.name == "anchored" and c.ok for c in checked.checks)


def test_the_restored_app_logs_in_and_starts_a_backup_job(
    source: Source, restored: tuple[Path, Database, backup.RestoreReport]
) -> None:
    from app import create_app

    target, db, _report = restored
    app = create_app(load_settings({}, data_dir=target))
    client = app.server.test_client()
    page = client.get("/login")
    assert page.status_code == 200
    response = client.post("/login", data={"username": "boss", "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/api/v1/experiments").get_json()[0]["name"] == "Backup test"
    started = client.post("/api/v1/jobs", json={"kind": "system.backup"})
    assert started.status_code == 202, started.get_data(as_text=True)
    job_id = started.get_json()["id"]
    # A scientist may not (the archive holds every account and the secret key).
    sci = app.server.test_client()
    assert sci.post("/login", data={"username": "sci", "password": PASSWORD}).status_code == 302
    assert sci.post("/api/v1/jobs", json={"kind": "system.backup"}).status_code == 403
    state = job_runner.execute(db, job_id, target / "jobs", worker="test:2")
    with db.read() as s:
        job = s.get(Job, job_id)
        assert job is not None
        assert state == "succeeded", job.error
        result = dict(job.result or {})
    written = Path(str(result["file"]))
    assert written.parent == target / "backups"
    assert backup.ARCHIVE_PATTERN.fullmatch(written.name)
    assert backup.verify_archive(written).dialect == "sqlite"
    with db.read() as s:
        events = list(
            s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("system.backup%")))
        )
    assert "system.backup" in events


def test_active_jobs_of_the_backup_are_marked_interrupted(source: Source) -> None:
    job = jobs.start(source.db, source.boss, lambda _id: None, "system.selftest", {"seconds": 1})
    try:
        out = source.folder / "with-queued-job.tar"
        backup.create_backup(source.db, CLI, source.settings, out)
        report = backup.restore_backup(out, source.folder / "with-queued-job", CLI)
    finally:
        jobs.cancel(source.db, source.boss, job.id)
    assert report.interrupted_jobs == [job.id]
    db = Database(f"sqlite:///{report.data_dir / 'microspacegen.sqlite3'}")
    try:
        with db.read() as s:
            row = s.get(Job, job.id)
            assert row is not None
            assert row.state == "interrupted"
            assert "restored" in (row.error or "")
    finally:
        db.dispose()


# --- damaged archives ---------------------------------------------------------------------------


def _refused(archive: Path, target: Path) -> DamagedArchive:
    with pytest.raises(DamagedArchive) as caught:
        backup.restore_backup(archive, target, CLI)
    assert not target.exists()
    assert not [p for p in target.parent.iterdir() if p.name.startswith(f".{target.name}")]
    return caught.value


def _flipped(source: Path, where: Path, offset: int) -> Path:
    data = bytearray(source.read_bytes())
    data[offset] ^= 0xFF
    where.write_bytes(bytes(data))
    return where


def _offsets(archive: Path) -> dict[str, tuple[int, int, int]]:
    with tarfile.open(archive) as tar:
        return {m.name: (m.offset, m.offset_data, m.size) for m in tar.getmembers()}


@pytest.mark.parametrize(
    ("member", "where", "named"),
    [
        ("database/microspacegen.sqlite3", "data", "database/microspacegen.sqlite3"),
        ("dataset", "data", "dataset"),
        ("manifest.json", "data", "manifest.json"),
        ("manifest.sha256", "data", "manifest.json"),
        ("database/microspacegen.sqlite3", "header", "tar structure"),
        ("manifest.json", "header", "tar structure"),
    ],
)
def test_a_flipped_byte_in_a_plain_tar_is_named_and_nothing_is_written(
    source: Source, tmp_path: Path, member: str, where: str, named: str
) -> None:
    offsets = _offsets(source.plain)
    if member == "dataset":
        member = named = next(n for n in offsets if n.startswith("files/datasets/"))
    header, data, size = offsets[member]
    at = data + size // 2 if where == "data" else header + 3
    damaged = _flipped(source.plain, tmp_path / "damaged.tar", at)
    error = _refused(damaged, tmp_path / "new")
    assert error.part == named, error.message
    if where == "data" and named == member:
        assert member in error.message


def test_a_flipped_byte_anywhere_in_a_gzip_archive_is_refused(
    source: Source, tmp_path: Path
) -> None:
    size = source.archive.stat().st_size
    # The gzip header, then positions spread over the whole file, then its CRC and length.
    positions = sorted(
        {*range(10), *range(10, size - 8, max(1, size // 60)), *range(size - 8, size)}
    )
    for at in positions:
        damaged = _flipped(source.archive, tmp_path / f"damaged-{at}.tar.gz", at)
        _refused(damaged, tmp_path / f"new-{at}")
        damaged.unlink()


def test_a_truncated_archive_is_refused(source: Source, tmp_path: Path) -> None:
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(source.archive.read_bytes()[: source.archive.stat().st_size // 2])
    _refused(cut, tmp_path / "new")


# --- hostile archives ----------------------------------------------------------------------------


def _repack(
    source: Path,
    out: Path,
    *,
    edit: Callable[[dict[str, Any]], None] | None = None,
    extra: Callable[[tarfile.TarFile], None] | None = None,
    extra_parts: dict[str, bytes] | None = None,
) -> Path:
    """A copy of ``source`` whose manifest is edited (its digest made to match again)."""
    members: list[tuple[tarfile.TarInfo, bytes]] = []
    with tarfile.open(source) as tar:
        for m in tar.getmembers():
            handle = tar.extractfile(m)
            members.append((m, handle.read() if handle else b""))
    manifest = json.loads({m.name: d for m, d in members}["manifest.json"])
    for name, data in (extra_parts or {}).items():
        manifest["parts"].append(
            {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        )
    if edit:
        edit(manifest)
    text_ = json.dumps(manifest).encode()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for m, data in members:
            if m.name == "manifest.json":
                data = text_
            elif m.name == "manifest.sha256":
                data = f"{hashlib.sha256(text_).hexdigest()}  manifest.json\n".encode()
            info = tarfile.TarInfo(m.name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, data in (extra_parts or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if extra:
            extra(tar)
    return out


def test_a_part_named_outside_the_folder_is_refused(source: Source, tmp_path: Path) -> None:
    evil = {"files/../../escaped": b"x"}
    hostile = _repack(source.plain, tmp_path / "dotdot.tar", extra_parts=evil)
    error = _refused(hostile, tmp_path / "new")
    assert "outside" in error.message
    assert not (tmp_path / "escaped").exists()


def test_an_absolute_name_is_refused(source: Source, tmp_path: Path) -> None:
    hostile = _repack(source.plain, tmp_path / "abs.tar", extra_parts={"/var/escaped": b"x"})
    assert "outside" in _refused(hostile, tmp_path / "new").message


def test_a_symbolic_link_is_refused(source: Source, tmp_path: Path) -> None:
    def link(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("files/datasets/ab/link")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)

    error = _refused(_repack(source.plain, tmp_path / "link.tar", extra=link), tmp_path / "new")
    assert "symbolic link" in error.message


def test_a_file_with_no_place_in_a_data_directory_is_refused(
    source: Source, tmp_path: Path
) -> None:
    hostile = _repack(source.plain, tmp_path / "cache.tar", extra_parts={"files/cache/x.py": b"x"})
    assert "no place" in _refused(hostile, tmp_path / "new").message


def test_a_part_inside_another_part_is_refused(source: Source, tmp_path: Path) -> None:
    nested = {"files/jobs/1/a.csv": b"x", "files/jobs/1/a.csv/b.csv": b"y"}
    hostile = _repack(source.plain, tmp_path / "nested.tar", extra_parts=nested)
    assert "inside another part" in _refused(hostile, tmp_path / "new").message


def _with_member(source: Path, out: Path, info: tarfile.TarInfo, data: bytes, read: bytes) -> Path:
    """A copy of ``source`` with one more part (``read``: what a reader of ``info`` gets)."""

    def listed(manifest: dict[str, Any]) -> None:
        sha256 = hashlib.sha256(read).hexdigest()
        manifest["parts"].append({"path": info.name, "size": len(read), "sha256": sha256})

    def add(tar: tarfile.TarFile) -> None:
        tar.addfile(info, io.BytesIO(data))

    return _repack(source, out, edit=listed, extra=add)


def test_an_oversized_extended_header_is_refused_unread(source: Source, tmp_path: Path) -> None:
    # tarfile reads a pax header whole into memory (and Python < 3.11.10 parses it in
    # quadratic time): 2 MiB of header with 3 bytes of data is refused before it is read.
    info = tarfile.TarInfo("files/jobs/1/note.txt")
    info.size = 3
    info.pax_headers = {"comment": "x" * (2 * 2**20)}
    hostile = _with_member(source.plain, tmp_path / "pax.tar", info, b"abc", b"abc")
    error = _refused(hostile, tmp_path / "new")
    assert error.part == "tar structure"
    assert "extended tar header" in error.message


def test_a_sparse_member_is_refused(source: Source, tmp_path: Path) -> None:
    # Five stored bytes that a reader expands to 10 MiB (no gzip needed): never written.
    info = tarfile.TarInfo("files/jobs/1/sparse.bin")
    info.size = 5
    info.pax_headers = {"GNU.sparse.map": "0,5", "GNU.sparse.size": str(10 * 2**20)}
    expanded = b"hello".ljust(10 * 2**20, b"\0")
    hostile = _with_member(source.plain, tmp_path / "sparse.tar", info, b"hello", expanded)
    assert "sparse" in _refused(hostile, tmp_path / "new").message


def test_a_restore_larger_than_the_free_space_is_refused(
    source: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A few MB of gzip can stand for many GB of zeros: the parts' total (checked against the
    # archive's own bytes) must fit before anything is written.
    small = backup.shutil.disk_usage(tmp_path)._replace(free=1024 * 1024)
    monkeypatch.setattr(backup.shutil, "disk_usage", lambda _path: small)
    target = tmp_path / "new"
    with pytest.raises(Conflict, match="free"):
        backup.restore_backup(source.archive, target, CLI)
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".new")]


def test_a_backup_from_a_newer_schema_is_refused(source: Source, tmp_path: Path) -> None:
    def newer(manifest: dict[str, Any]) -> None:
        manifest["schema_revision"] = "9999_from_the_future"

    newer_archive = _repack(source.plain, tmp_path / "newer.tar", edit=newer)
    with pytest.raises(Conflict, match="9999_from_the_future"):
        backup.restore_backup(newer_archive, tmp_path / "new", CLI)
    assert not (tmp_path / "new").exists()


def test_a_non_empty_target_is_refused(source: Source, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(Conflict, match="not empty"):
        backup.restore_backup(source.archive, target, CLI)
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


# --- writing --------------------------------------------------------------------------------------


def test_an_existing_file_is_replaced_only_when_forced(source: Source) -> None:
    out = source.folder / "exists.tar"
    out.write_bytes(b"precious")
    with pytest.raises(Conflict, match="already exists"):
        backup.create_backup(source.db, CLI, source.settings, out)
    assert out.read_bytes() == b"precious"
    backup.create_backup(source.db, CLI, source.settings, out, force=True)
    assert backup.verify_archive(out).dialect == "sqlite"
    with source.db.read() as s:
        results = list(
            s.scalars(
                select(AuditEvent.result)
                .where(AuditEvent.action == "system.backup", AuditEvent.target_id == "exists.tar")
                .order_by(AuditEvent.seq)
            )
        )
    assert results == ["failed", "ok"]


def test_only_admins_may_back_up(source: Source) -> None:
    with pytest.raises(PermissionDenied):
        backup.create_backup(source.db, source.sci, source.settings, source.folder / "sci.tar")
    assert not (source.folder / "sci.tar").exists()


def test_a_backup_inside_the_data_directory_is_refused(source: Source) -> None:
    with pytest.raises(ValidationFailed, match="outside the data directory"):
        backup.create_backup(
            source.db, CLI, source.settings, source.settings.data_dir / "datasets" / "b.tar"
        )


def test_retention_keeps_the_newest(tmp_path: Path) -> None:
    names = [f"microspacegen-2026110{d}T000000Z.tar.gz" for d in range(1, 6)]
    for name in [*names, "mine.tar.gz"]:
        (tmp_path / name).write_bytes(b"")
    assert backup.prune(tmp_path, 2) == names[:3]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*names[3:], "mine.tar.gz"])


def test_the_cli_refuses_a_damaged_archive_with_the_parts_name(
    source: Source, tmp_path: Path
) -> None:
    _header, data, _size = _offsets(source.plain)["database/microspacegen.sqlite3"]
    damaged = _flipped(source.plain, tmp_path / "damaged.tar", data + 100)
    target = tmp_path / "new"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROSPACEGEN_")}
    done = subprocess.run(
        [sys.executable, "app.py", "restore", str(damaged), "--data-dir", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "database/microspacegen.sqlite3" in done.stderr
    assert "nothing was restored" in done.stderr
    assert not target.exists()


# --- PostgreSQL -----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_round_trip_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    import psycopg

    settings, db, boss, _sci, anchored = _build(tmp_path, postgres_url)
    try:
        before = table_rows(db)
        archive = tmp_path / "pg.tar.gz"
        assert backup.create_backup(db, CLI, settings, archive).dialect == "postgresql"
    finally:
        db.dispose()
    admin = postgres_url.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres"
    name = f"msg_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    target_url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        report = backup.restore_backup(archive, tmp_path / "new", CLI, database_url=target_url)
        assert report.dialect == "postgresql"
        restored = Database(target_url)
        try:
            _assert_same_tables(before, table_rows(restored))
            assert audit.verify_chain(restored, boss).is_intact
            checked = provenance_verify.verify_dataset(
                restored,
                boss,
                chain_settings(load_settings({}, data_dir=tmp_path / "new")),
                BlobStore.in_data_dir(tmp_path / "new"),
                anchored,
            )
            assert checked.is_verified, checked.first_failure
        finally:
            restored.dispose()
        assert _kept_file_hashes(tmp_path / "new") == _kept_file_hashes(settings.data_dir)
        assert not (tmp_path / "new" / "microspacegen.sqlite3").exists()
        # The database now holds data: a second restore into it is refused, nothing written.
        with pytest.raises(Conflict, match="not empty"):
            backup.restore_backup(archive, tmp_path / "again", CLI, database_url=target_url)
        assert not (tmp_path / "again").exists()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_gzip_header_is_what_the_reader_expects() -> None:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=1, mtime=0) as gz:
        gz.write(b"x")
    assert buffer.getvalue()[:10] == backup._archive.GZIP_HEADER
