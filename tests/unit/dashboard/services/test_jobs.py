"""Jobs: start, run at most once, cancel, re-checked roles, dead workers, nothing half-written."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from dashboard.db import Database
from dashboard.models import AuditEvent, Job, utcnow
from dashboard.services import accounts, job_runner, jobs
from dashboard.services.actor import Actor, Role, cli_actor
from dashboard.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from dashboard.services.job_kinds import KINDS, Context, JobKind, JobResult, Param
from dashboard.services.policy import Action
from tests.conftest import make_user


class Recorder:
    """Stands in for the queue: remembers the ids it was handed."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def __call__(self, job_id: int) -> None:
        self.ids.append(job_id)


def _count(ctx: Context) -> JobResult:
    total = int(ctx.params.get("n", 3))  # type: ignore[call-overload]
    for i in range(total):
        ctx.progress((i + 1) / total, f"step {i + 1}")
    return {"n": total}


def _loop_until_cancelled(ctx: Context) -> JobResult:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        time.sleep(0.02)
        ctx.progress(0.5, "looping")
    return {"loops": "ended"}


def _write_then_fail(ctx: Context) -> JobResult:
    ctx.output("partial.csv").write_text("half a file")
    raise RuntimeError("disk on fire")


def _write_file(ctx: Context) -> JobResult:
    ctx.output("out.txt").write_text("whole")
    return {"files": ["out.txt"]}


# The test kinds may be started by whoever the policy lets create experiments: scientists.
SCIENTISTS = Action.EXPERIMENT_CREATE
TEST_KINDS: dict[str, JobKind] = {
    k.name: k
    for k in (
        JobKind("t.count", "Count", _count, SCIENTISTS, params=(Param("n", "number", ""),)),
        JobKind("t.loop", "Loop", _loop_until_cancelled, SCIENTISTS),
        JobKind("t.fail", "Fail", _write_then_fail, SCIENTISTS),
        JobKind("t.file", "File", _write_file, SCIENTISTS),
        JobKind("t.again", "Idempotent", _count, SCIENTISTS, idempotent=True),
    )
}


def _start(db: Database, actor: Actor, kind: str, params: dict[str, object] | None = None) -> int:
    return jobs.start(db, actor, Recorder(), kind, params, kinds=TEST_KINDS).id


def _run(db: Database, job_id: int, tmp_path: Path, worker: str = "host:1") -> str | None:
    return job_runner.execute(db, job_id, tmp_path / "files", worker=worker, kinds=TEST_KINDS)


def _audit_actions(db: Database, job_id: int) -> list[tuple[str, str]]:
    with db.read() as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.result)
            .where(AuditEvent.target_type == "job", AuditEvent.target_id == str(job_id))
            .order_by(AuditEvent.id)
        )
        return [(a, r) for a, r in rows]


def test_start_records_a_queued_job_and_hands_its_id_to_the_queue(
    db: Database, scientist: Actor
) -> None:
    queue = Recorder()
    job = jobs.start(db, scientist, queue, "t.count", {"n": 2}, kinds=TEST_KINDS)
    assert (job.state, job.params, job.created_by, job.attempts) == ("queued", {"n": 2}, "sci", 0)
    assert queue.ids == [job.id]
    assert _audit_actions(db, job.id) == [("job.submit", "ok")]


def test_start_refuses_unknown_kinds_and_missing_roles(db: Database, operator: Actor) -> None:
    with pytest.raises(ValidationFailed, match="Unknown job kind"):
        jobs.start(db, operator, Recorder(), "t.nope", kinds=TEST_KINDS)
    with pytest.raises(PermissionDenied):
        jobs.start(db, operator, Recorder(), "t.count", kinds=TEST_KINDS)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 0
        denied = s.scalar(select(AuditEvent.action).where(AuditEvent.result == "denied"))
    assert denied == "t.count.start"


def test_the_real_kinds_check_their_parameters(db: Database, admin: Actor) -> None:
    with pytest.raises(ValidationFailed, match="this job takes: none"):
        jobs.start(db, admin, Recorder(), "audit.verify", {"x": 1})
    with pytest.raises(ValidationFailed, match="seconds"):
        jobs.start(db, admin, Recorder(), "system.selftest", {"seconds": -1})
    with pytest.raises(ValidationFailed, match="this job takes: none"):
        jobs.start(db, admin, Recorder(), "system.backup", {"out": "/etc/passwd"})
    with pytest.raises(ValidationFailed, match="ISO date"):
        jobs.start(db, admin, Recorder(), "audit.export", {"since": "yesterday"})
    with pytest.raises(ValidationFailed, match="dataset_id"):
        jobs.start(db, admin, Recorder(), "provenance.verify", {"dataset_id": 0})
    with pytest.raises(ValidationFailed, match="SHA-256 in 64 lowercase hex"):
        jobs.start(db, admin, Recorder(), "tree.build", {"request": "../../etc/passwd"})
    with pytest.raises(ValidationFailed, match="dataset ids separated by commas"):
        jobs.start(db, admin, Recorder(), "mutations.call", {"reference": 1, "samples": "1;2"})
    with pytest.raises(ValidationFailed, match="mode must be one of"):
        jobs.start(
            db, admin, Recorder(), "mutations.call", {"reference": 1, "samples": "1", "mode": "x"}
        )
    assert set(KINDS) == {
        "audit.verify",
        "audit.export",
        "system.selftest",
        "dataset.import",
        "provenance.verify",
        "provenance.sweep",
        "tree.build",
        "mutations.call",
        "system.backup",
    }


def test_a_queue_that_refuses_the_job_leaves_it_failed_with_the_reason(
    db: Database, scientist: Actor
) -> None:
    def broken(_job_id: int) -> None:
        raise ConnectionError("redis is down")

    with pytest.raises(Conflict, match="broker"):
        jobs.start(db, scientist, broken, "t.count", kinds=TEST_KINDS)
    (job,) = jobs.list_jobs(db, scientist)
    assert job.state == "failed"
    assert "redis is down" in (job.error or "")


def test_a_job_runs_once_and_reports_its_result(
    db: Database, scientist: Actor, tmp_path: Path
) -> None:
    job_id = _start(db, scientist, "t.count", {"n": 4})
    assert _run(db, job_id, tmp_path) == "succeeded"
    assert _run(db, job_id, tmp_path) is None  # a second delivery does nothing
    job = jobs.get(db, scientist, job_id)
    assert (job.state, job.result, job.progress, job.attempts) == ("succeeded", {"n": 4}, 1.0, 1)
    assert job.started_at is not None
    assert job.finished_at is not None
    assert job.finished_at >= job.started_at >= job.created_at
    assert _audit_actions(db, job_id) == [
        ("job.submit", "ok"),
        ("job.start", "ok"),
        ("job.finish", "ok"),
    ]


def test_a_queued_job_cancelled_never_runs(db: Database, scientist: Actor, tmp_path: Path) -> None:
    job_id = _start(db, scientist, "t.count")
    assert jobs.cancel(db, scientist, job_id).state == "cancelled"
    assert _run(db, job_id, tmp_path) is None
    with pytest.raises(Conflict, match="already cancelled"):
        jobs.cancel(db, scientist, job_id)


def test_a_running_job_stops_at_its_next_progress_point_within_two_seconds(
    db: Database, scientist: Actor, tmp_path: Path
) -> None:
    job_id = _start(db, scientist, "t.loop")
    outcome: list[str | None] = []
    thread = threading.Thread(target=lambda: outcome.append(_run(db, job_id, tmp_path)))
    thread.start()
    deadline = time.monotonic() + 10
    while jobs.get(db, scientist, job_id).state != "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    asked = time.monotonic()
    jobs.cancel(db, scientist, job_id)
    thread.join(10)
    assert outcome == ["cancelled"]
    assert time.monotonic() - asked < 2.0
    job = jobs.get(db, scientist, job_id)
    assert job.state == "cancelled"
    assert "Cancelled by sci" in (job.error or "")


def test_a_job_whose_owner_lost_the_role_is_refused_when_it_runs(
    db: Database, admin: Actor, tmp_path: Path
) -> None:
    ada = make_user(db, "ada", Role.SCIENTIST)
    job_id = _start(db, ada, "t.count")
    accounts.update_user(db, admin, ada.user_id or 0, roles=[Role.OPERATOR.value])
    assert _run(db, job_id, tmp_path) == "failed"
    job = jobs.get(db, admin, job_id)
    assert "no longer holds the role scientist" in (job.error or "")
    assert ("job.start", "denied") in _audit_actions(db, job_id)


def test_a_failed_job_leaves_no_file_behind(db: Database, scientist: Actor, tmp_path: Path) -> None:
    job_id = _start(db, scientist, "t.fail")
    assert _run(db, job_id, tmp_path) == "failed"
    job = jobs.get(db, scientist, job_id)
    assert job.error == "RuntimeError: disk on fire"
    files = tmp_path / "files"
    assert list(files.iterdir()) == []
    assert _audit_actions(db, job_id)[-1] == ("job.finish", "failed")


def test_files_of_a_succeeded_job_appear_whole_and_only_to_their_owner(
    db: Database, scientist: Actor, operator: Actor, tmp_path: Path
) -> None:
    job_id = _start(db, scientist, "t.file")
    assert _run(db, job_id, tmp_path) == "succeeded"
    root = tmp_path / "files"
    path = jobs.file_path(db, scientist, root, job_id, "out.txt")
    assert path == root / str(job_id) / "out.txt"
    assert path.read_text() == "whole"
    assert not jobs.scratch_dirs(root, job_id)
    with pytest.raises(NotFound):
        jobs.file_path(db, scientist, root, job_id, "../secret_key")
    with pytest.raises(NotFound):
        jobs.file_path(db, operator, root, job_id, "out.txt")


def test_each_user_lists_their_own_jobs_and_admins_may_list_all(
    db: Database, scientist: Actor, admin: Actor, operator: Actor
) -> None:
    mine = _start(db, scientist, "t.count")
    assert [j.id for j in jobs.list_jobs(db, scientist)] == [mine]
    assert jobs.list_jobs(db, operator) == []
    assert jobs.list_jobs(db, admin) == []
    everyone = jobs.list_jobs(db, admin, jobs.JobFilter(everyone=True))
    assert [j.id for j in everyone] == [mine]
    with pytest.raises(PermissionDenied):
        jobs.list_jobs(db, scientist, jobs.JobFilter(everyone=True))
    with pytest.raises(NotFound):
        jobs.get(db, operator, mine)
    with pytest.raises(NotFound):
        jobs.cancel(db, operator, mine)
    assert jobs.list_jobs(db, scientist, jobs.JobFilter(state="running")) == []


def _claim_as_dead_worker(db: Database, job_id: int, worker: str, age_s: float) -> None:
    with db.begin() as s:
        s.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                state="running",
                worker=worker,
                attempts=Job.attempts + 1,
                started_at=utcnow(),
                heartbeat_at=utcnow() - timedelta(seconds=age_s),
            )
        )


def test_a_job_without_heartbeat_for_30_s_becomes_interrupted(
    db: Database, scientist: Actor, tmp_path: Path
) -> None:
    job_id = _start(db, scientist, "t.count")
    _claim_as_dead_worker(db, job_id, "elsewhere:42", age_s=31)
    scratch = tmp_path / "files" / f".tmp-{job_id}-1"
    scratch.mkdir(parents=True)
    (scratch / "half.csv").write_text("x")
    queue = Recorder()
    young = _start(db, scientist, "t.count")
    _claim_as_dead_worker(db, young, "elsewhere:43", age_s=5)

    settled = jobs.reap(db, queue, tmp_path / "files", kinds=TEST_KINDS)

    assert settled == [job_id]
    job = jobs.get(db, scientist, job_id)
    assert job.state == "interrupted"
    assert "elsewhere:42" in (job.error or "")
    assert not scratch.exists()
    assert queue.ids == []  # not idempotent: not retried
    assert jobs.get(db, scientist, young).state == "running"


def test_a_dead_process_on_this_host_is_noticed_without_waiting(
    db: Database, scientist: Actor, tmp_path: Path
) -> None:
    job_id = _start(db, scientist, "t.count")
    _claim_as_dead_worker(db, job_id, "thishost:99999999", age_s=0)
    settled = jobs.reap(db, Recorder(), tmp_path, kinds=TEST_KINDS, host="thishost")
    assert settled == [job_id]
    assert jobs.get(db, scientist, job_id).state == "interrupted"


def test_an_idempotent_job_is_retried_once_then_left_interrupted(
    db: Database, scientist: Actor, tmp_path: Path
) -> None:
    job_id = _start(db, scientist, "t.again")
    queue = Recorder()
    _claim_as_dead_worker(db, job_id, "elsewhere:1", age_s=60)
    jobs.reap(db, queue, tmp_path, kinds=TEST_KINDS)
    assert queue.ids == [job_id]
    assert jobs.get(db, scientist, job_id).state == "queued"
    _claim_as_dead_worker(db, job_id, "elsewhere:2", age_s=60)
    jobs.reap(db, queue, tmp_path, kinds=TEST_KINDS)
    assert queue.ids == [job_id]
    job = jobs.get(db, scientist, job_id)
    assert (job.state, job.attempts) == ("interrupted", 2)


def test_health_counts_live_workers_and_waiting_jobs(db: Database, scientist: Actor) -> None:
    _start(db, scientist, "t.count")
    jobs.beat(db, "h:1", "sqlite", 2)
    jobs.beat(db, "h:1", "sqlite", 2)
    jobs.beat(db, "h:2", "sqlite", 2)
    health = jobs.queue_health(db, "sqlite")
    assert (health.live_workers, health.queued, health.running) == (2, 1, 0)
    jobs.retire(db, "h:2")
    assert jobs.queue_health(db, "sqlite").live_workers == 1


def test_the_audit_jobs_run_the_audit_services(db: Database, tmp_path: Path) -> None:
    boss = make_user(db, "boss", Role.ADMIN)
    verify = jobs.start(db, boss, Recorder(), "audit.verify")
    export = jobs.start(db, boss, Recorder(), "audit.export", {"action": "user."})
    root = tmp_path / "files"
    assert job_runner.execute(db, verify.id, root) == "succeeded"
    assert job_runner.execute(db, export.id, root) == "succeeded"
    report = jobs.get(db, boss, verify.id)
    assert report.result is not None
    assert report.result["is_intact"] is True
    assert report.summary.startswith("Intact:")
    made = jobs.get(db, boss, export.id)
    assert made.result is not None
    (name,) = made.result["files"]  # type: ignore[misc]
    lines = (root / str(export.id) / name).read_text().splitlines()
    assert lines[0].startswith("id,seq,occurred_at")
    assert len(lines) == 1 + made.result["rows"]  # type: ignore[operator]
    assert all(",user.create," in line for line in lines[1:])


def test_cli_actor_may_not_own_jobs_that_run_later(db: Database, tmp_path: Path) -> None:
    # A job records who started it; a console actor has no user to re-check, so it is refused.
    job = jobs.start(db, cli_actor("ops"), Recorder(), "audit.verify")
    assert job_runner.execute(db, job.id, tmp_path) == "failed"
    assert "can no longer log in" in (jobs.get(db, cli_actor("ops"), job.id).error or "")


def test_parameters_are_checked_and_described_from_one_spec() -> None:
    export = KINDS["audit.export"]
    assert export.parse_params({"since": "2026-11-01", "username": ""}) == {
        "since": "2026-11-01T00:00:00+00:00"
    }
    with pytest.raises(ValidationFailed, match="result must be one of ok"):
        export.parse_params({"result": "maybe"})
    schema = export.params_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["properties"]["result"]["enum"] == ["ok", "denied", "failed", "error"]  # type: ignore[index]
    assert KINDS["audit.verify"].params_json_schema()["properties"] == {}
