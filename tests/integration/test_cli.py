"""The command line, run as a user would run it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard.db import Database
from dashboard.services import accounts
from tests.conftest import HEAD_REVISION

ROOT = Path(__file__).resolve().parents[2]


def run(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_lists_subcommands_without_loading_the_science_stack(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "app.py", "--data-dir", str(tmp_path), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0
    for word in ("serve", "user", "token", "db", "--host", "--port", "--data-dir"):
        assert word in out.stdout
    # The user, token and db commands start in about 2 s, not 8: the API, the job queue and
    # the pages (scikit-learn, SciPy, web3, numba) load only when the app is built.
    imported = {line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines()}
    assert not imported & {"sklearn", "scipy", "web3", "numba", "dashboard.api"}


def test_user_and_token_commands(tmp_path: Path) -> None:
    added = run(tmp_path, "user", "add", "ada", "--role", "scientist", "--role", "reviewer")
    assert added.returncode == 0, added.stderr
    assert "created user ada with roles reviewer, scientist" in added.stdout
    assert "password (shown once): " in added.stdout
    again = run(tmp_path, "user", "add", "ada", "--role", "scientist")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    bad_role = run(tmp_path, "user", "add", "bob", "--role", "pilot")
    assert bad_role.returncode == 2
    assert "invalid choice" in bad_role.stderr
    short = run(tmp_path, "user", "passwd", "ada", "--password-stdin", stdin="short\n")
    assert short.returncode == 1
    assert "at least 12" in short.stderr
    changed = run(tmp_path, "user", "passwd", "ada", "--password-stdin", stdin="long password 1\n")
    assert changed.returncode == 0, changed.stderr
    token = run(tmp_path, "token", "create", "ada", "--label", "ci")
    assert token.returncode == 0, token.stderr
    assert token.stdout.strip().splitlines()[-1].startswith("msg_")
    missing = run(tmp_path, "token", "create", "nobody")
    assert missing.returncode == 1
    assert "No user named 'nobody'" in missing.stderr
    upgraded = run(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0
    assert f"revision {HEAD_REVISION}" in upgraded.stdout


def test_bad_configuration_is_reported(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "app.py", "--data-dir", str(tmp_path), "db", "upgrade"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "MICROSPACEGEN_PORT": "http"},
    )
    assert out.returncode == 2
    assert "MICROSPACEGEN_PORT='http' is not a whole number" in out.stderr


def test_options_may_follow_the_command(tmp_path: Path) -> None:
    first = subprocess.run(
        [sys.executable, "app.py", "user", "add", "zoe", "--data-dir", str(tmp_path / "a")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "a" / "microspacegen.sqlite3").exists()
    # The same name in another data directory is another installation.
    assert run(tmp_path / "b", "user", "add", "zoe").returncode == 0


@pytest.mark.postgres
def test_same_commands_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    env = {**os.environ, "MICROSPACEGEN_DATABASE_URL": postgres_url}
    out = subprocess.run(
        [
            sys.executable,
            "app.py",
            "--data-dir",
            str(tmp_path),
            "user",
            "add",
            "pat",
            "--role",
            "operator",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    db = Database(postgres_url)
    try:
        assert db.status().backend == "postgresql"
        assert accounts.user_id_by_name(db, "pat") > 0
    finally:
        db.dispose()
    assert not (tmp_path / "microspacegen.sqlite3").exists()


@pytest.mark.postgres
def test_server_runs_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    env = {
        **os.environ,
        "MICROSPACEGEN_DATABASE_URL": postgres_url,
        "MICROSPACEGEN_ADMIN_PASSWORD": "admin password 1",
    }
    base = [sys.executable, "app.py", "--data-dir", str(tmp_path)]
    subprocess.run(
        [*base, "user", "add", "pat", "--role", "scientist"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    token = subprocess.run(
        [*base, "token", "create", "pat"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.split()[-1]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [*base, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/health",
                headers={"Authorization": f"Bearer {token}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    health = json.loads(response.read())
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.3)
        assert health["status"] == "ok"
        assert health["database"]["backend"] == "postgresql"
        children = _helper_processes(server.pid)
        assert children, "serve started no job workers or controller"
        # SIGTERM (docker stop, kubectl) ends it cleanly, with its workers and controller.
        server.terminate()
        assert server.wait(timeout=60) == 0
        assert not [pid for pid in children if _is_running(pid)]
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=20)


def _helper_processes(pid: int) -> list[int]:
    """The job worker and controller processes ``pid`` started (not its warm-up runs)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    found = []
    for child in map(int, children):
        command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"worker" in command or b"controller" in command:
            found.append(child)
    return found


def _is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_database_from_a_newer_version_is_refused_clearly(tmp_path: Path) -> None:
    assert run(tmp_path, "db", "upgrade").returncode == 0
    db = Database(f"sqlite:///{tmp_path / 'microspacegen.sqlite3'}")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    db.dispose()
    out = run(tmp_path, "user", "add", "later")
    assert out.returncode == 2
    assert "schema revision 9999, which this version of MicroSpaceGen does not know" in out.stderr
    assert "Traceback" not in out.stderr


def test_short_admin_password_is_one_line_naming_the_rule(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "app.py", "--data-dir", str(tmp_path), "--port", "1"],
        cwd=ROOT,
        env={**os.environ, "MICROSPACEGEN_ADMIN_PASSWORD": "short"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "error: MICROSPACEGEN_ADMIN_PASSWORD: Password must have at least 12 characters."
    )


def test_readme_token_example_works_as_written(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("TOKEN=$(", 1)[0].rsplit("```bash", 1)[1]
    commands = [line.split("#")[0].split() for line in block.splitlines() if line.strip()]
    commands.append(["python", "app.py", "token", "create", "ada", "--label", "notebook"])
    for command in commands:
        assert command[:2] == ["python", "app.py"], command
        done = run(tmp_path, *command[2:])
        assert done.returncode == 0, (command, done.stderr)
    assert done.stdout.strip().splitlines()[-1].startswith("msg_")


def test_worker_refuses_an_unmigrated_database_and_bad_process_counts(tmp_path: Path) -> None:
    out = run(tmp_path, "worker")
    assert out.returncode == 2
    assert "schema revision none" in out.stderr
    assert "python app.py db upgrade" in out.stderr
    assert "Traceback" not in out.stderr
    zero = run(tmp_path, "worker", "--processes", "0")
    assert zero.returncode == 2
    assert "--processes must be between 1 and 64" in zero.stderr


def test_import_stores_a_file_and_refuses_a_broken_one_naming_its_line(tmp_path: Path) -> None:
    from dashboard.services import experiments
    from dashboard.services.actor import cli_actor

    fixtures = ROOT / "tests" / "fixtures" / "sequences" / "biopython"
    assert run(tmp_path, "db", "upgrade").returncode == 0
    db = Database(f"sqlite:///{tmp_path / 'microspacegen.sqlite3'}")
    experiment = experiments.create_experiment(
        db,
        cli_actor("t"),
        {"name": "cli", "organism": "Y. pestis", "arms": experiments.default_arms()},
    )
    db.dispose()
    args = ("--experiment", str(experiment.id), "--sample", "F1")
    done = run(tmp_path, "import", str(fixtures / "NC_005816.gb"), *args, "--factor", "strain=KIM")
    assert done.returncode == 0, done.stderr
    assert "as dataset 1: genbank, 1 record, 9,609 bp" in done.stdout
    again = run(tmp_path, "import", str(fixtures / "NC_005816.gb"), *args)
    assert again.returncode == 1
    assert "already dataset 1" in again.stderr
    broken = run(tmp_path, "import", str(fixtures / "error_trunc_in_qual.fastq"), *args)
    assert broken.returncode == 1
    assert "error_trunc_in_qual.fastq, line 20:" in broken.stderr
    stored = [p for p in (tmp_path / "datasets").rglob("*") if p.is_file() and p.name != ".lock"]
    assert len(stored) == 1
    bad = run(
        tmp_path,
        "import",
        str(fixtures / "example.fastq"),
        "--experiment",
        "99",
        "--sample",
        "",
        "--factor",
        "gravity_g=9.81",
    )
    assert bad.returncode == 1
    assert "sample_name: Sample name is required." in bad.stderr
    assert "factors.gravity_g" in bad.stderr
