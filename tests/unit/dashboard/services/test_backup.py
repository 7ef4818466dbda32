"""Backup rules that need no archive: names, places, the schedule and its settings.

The round trip, damaged and hostile archives are in tests/integration/test_backup_restore.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from dashboard.config import ConfigError, load_settings
from dashboard.db import Database
from dashboard.models import Job, LedgerLease, utcnow
from dashboard.services import backup, provenance
from dashboard.services.backup import DamagedArchive, _archive, _files

ME = "host:1"


@pytest.mark.parametrize(
    "name",
    ["files/datasets/ab/" + "ab" * 32, "database/microspacegen.sqlite3", "files/jobs/7/a.csv"],
)
def test_plain_relative_names_pass(name: str) -> None:
    assert _archive.check_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "/etc/passwd", "../x", "files/../../x", "files//x", "files/./x", "a\\b", "a\x00b"],
)
def test_names_leaving_the_folder_are_refused(name: str) -> None:
    with pytest.raises(DamagedArchive):
        _archive.check_name(name)


def test_place_keeps_parts_inside_the_root(tmp_path: Path) -> None:
    assert _archive.place(tmp_path, "datasets/ab/cd") == tmp_path / "datasets" / "ab" / "cd"
    with pytest.raises(DamagedArchive):
        _archive.place(tmp_path, "../outside")


@pytest.mark.parametrize(
    ("relative", "allowed"),
    [
        ("datasets/ab/" + "ab" * 32, True),
        ("jobs/3/export.csv", True),
        ("jobs/x/export.csv", False),
        ("jobs/3", False),
        ("datasets/ab/" + "cd" * 32, False),  # not in its shard
        ("datasets/ab/short", False),
        ("secret_key", True),
        ("chain/chain.sqlite3", True),
        ("chain/dev-key.json", True),
        ("chain/chain.lock", False),
        ("cache/sequences/x", False),
        ("microspacegen.sqlite3", False),
        ("datasets", False),
        ("secret_key/x", False),
        ("app.py", False),
    ],
)
def test_only_kept_places_may_be_restored(relative: str, allowed: bool) -> None:
    assert _files.may_restore(relative) is allowed


def test_kept_files_leave_out_caches_scratch_and_unfinished_imports(tmp_path: Path) -> None:
    sha = "ab" * 32
    for path in (
        f"datasets/ab/{sha}",
        "datasets/ab/.lock",
        "datasets/incoming/x.part",
        "jobs/4/out.csv",
        "jobs/.tmp-5-1/half.csv",
        "cache/sequences/cache.db",
        "tmp/body",
        "job-queue.sqlite3",
        "secret_key",
    ):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    kept = sorted(f.relative for f in _files.kept_files(tmp_path))
    assert kept == [f"datasets/ab/{sha}", "jobs/4/out.csv", "secret_key"]


def _lease(db: Database, holder: str, *, expired: bool = False) -> None:
    now = utcnow()
    with db.begin() as s:
        s.merge(
            LedgerLease(
                name=provenance.LEASE,
                holder=holder,
                expires_at=now + timedelta(seconds=-5 if expired else 30),
            )
        )


def _job(db: Database, state: str, hours_ago: float) -> None:
    with db.begin() as s:
        s.add(
            Job(
                kind=backup.KIND,
                params={},
                state=state,
                progress=0.0,
                progress_message="",
                created_by_name="system",
                created_at=utcnow() - timedelta(hours=hours_ago),
                attempts=0,
            )
        )


def test_a_backup_is_due_only_for_the_lease_holder_when_enabled(sqlite_db: Database) -> None:
    assert not backup.backup_is_due(sqlite_db, 24, ME)  # no lease yet
    _lease(sqlite_db, "other:2")
    assert not backup.backup_is_due(sqlite_db, 24, ME)
    _lease(sqlite_db, ME, expired=True)
    assert not backup.backup_is_due(sqlite_db, 24, ME)
    _lease(sqlite_db, ME)
    assert not backup.backup_is_due(sqlite_db, 0, ME)  # turned off
    assert backup.backup_is_due(sqlite_db, 24, ME)  # never backed up: now


def test_a_backup_is_due_a_period_after_the_last_one_and_never_twice(
    sqlite_db: Database, tmp_path: Path
) -> None:
    _lease(sqlite_db, ME)
    _job(sqlite_db, "succeeded", hours_ago=23)
    assert not backup.backup_is_due(sqlite_db, 24, ME)
    assert backup.backup_is_due(sqlite_db, 12, ME)
    started: list[int] = []
    settings = load_settings({"MICROSPACEGEN_BACKUP_HOURS": "12"}, data_dir=tmp_path)
    assert backup.start_if_due(sqlite_db, settings, ME, lambda: started.append(1))
    assert started == [1]
    _job(sqlite_db, "running", hours_ago=30)
    assert not backup.backup_is_due(sqlite_db, 12, ME)  # one is still running
    assert not backup.start_if_due(sqlite_db, settings, ME, lambda: started.append(2))
    assert started == [1]


def test_backup_settings(tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=tmp_path)
    assert (settings.backup_hours, settings.backup_keep) == (0.0, 7)
    assert settings.backups_dir == tmp_path / "backups"
    other = tmp_path / "elsewhere"
    settings = load_settings(
        {
            "MICROSPACEGEN_BACKUP_HOURS": "6",
            "MICROSPACEGEN_BACKUP_DIR": str(other),
            "MICROSPACEGEN_BACKUP_KEEP": "3",
        },
        data_dir=tmp_path,
    )
    assert (settings.backup_hours, settings.backups_dir, settings.backup_keep) == (6.0, other, 3)
    with pytest.raises(ConfigError, match="MICROSPACEGEN_BACKUP_KEEP"):
        load_settings({"MICROSPACEGEN_BACKUP_KEEP": "0"}, data_dir=tmp_path)
    with pytest.raises(ConfigError, match="MICROSPACEGEN_BACKUP_HOURS"):
        load_settings({"MICROSPACEGEN_BACKUP_HOURS": "daily"}, data_dir=tmp_path)


def test_archive_names_sort_by_time() -> None:
    from datetime import UTC, datetime

    name = backup.archive_name(datetime(2026, 11, 27, 16, 5, 9, tzinfo=UTC))
    assert name == "microspacegen-20261127T160509Z.tar.gz"
    assert backup.ARCHIVE_PATTERN.fullmatch(name)


def test_a_chain_held_by_another_user_past_the_wait_is_a_conflict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.services.errors import Conflict
    from ledger.embedded import exclusive_lock

    chain = tmp_path / _files.CHAIN
    chain.mkdir()
    monkeypatch.setattr(_files, "CHAIN_LOCK_TIMEOUT_S", 0.2)
    (tmp_path / "scratch-busy").mkdir()
    with (
        exclusive_lock(chain / _files.CHAIN_LOCK, 1.0),  # the anchoring worker, say
        pytest.raises(Conflict, match=r"stayed busy for 0\.2 s"),
    ):
        _files.chain_copy(tmp_path, tmp_path / "scratch-busy")
    (tmp_path / "scratch-free").mkdir()
    assert _files.chain_copy(tmp_path, tmp_path / "scratch-free") == []  # free again: copied
