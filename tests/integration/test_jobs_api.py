"""/api/v1/jobs over HTTP: start, follow, cancel, download, and who may see what."""

from __future__ import annotations

from typing import Any

from dashboard.auth import app_state
from dashboard.services import job_runner
from tests.integration.conftest import Site


def _json(response: Any, status: int) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_an_admin_starts_follows_and_downloads_an_export(site: Site) -> None:
    boss = site.client("boss")
    job = _json(boss.post("/api/v1/jobs", json={"kind": "audit.export", "params": {}}), 202)
    assert (job["state"], job["kind"], job["created_by"]) == ("queued", "audit.export", "boss")
    assert job["id"] in [j["id"] for j in _json(boss.get("/api/v1/jobs?state=queued"), 200)]

    # Run it as a worker would (no worker process in this suite; see test_job_workers.py).
    files_root = app_state(site.server).settings.job_files_dir
    assert job_runner.execute(site.db, job["id"], files_root) == "succeeded"

    done = _json(boss.get(f"/api/v1/jobs/{job['id']}"), 200)
    assert done["state"] == "succeeded"
    assert done["progress"] == 1.0
    (name,) = done["result"]["files"]
    download = boss.get(f"/api/v1/jobs/{job['id']}/files/{name}")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    lines = download.get_data(as_text=True).splitlines()
    assert lines[0].startswith("id,seq,occurred_at")
    assert len(lines) == 1 + done["result"]["rows"]


def test_others_cannot_see_cancel_or_download_a_job(site: Site) -> None:
    boss = site.client("boss")
    job = _json(boss.post("/api/v1/jobs", json={"kind": "audit.verify"}), 202)
    sci = site.client("sci")
    assert sci.get(f"/api/v1/jobs/{job['id']}").status_code == 404
    assert sci.post(f"/api/v1/jobs/{job['id']}/cancel").status_code == 404
    assert sci.get(f"/api/v1/jobs/{job['id']}/files/x.csv").status_code == 404
    assert job["id"] not in [j["id"] for j in _json(sci.get("/api/v1/jobs"), 200)]
    assert _json(sci.get("/api/v1/jobs?everyone=true"), 403)["error"]["code"] == "forbidden"
    everyone = _json(boss.get("/api/v1/jobs?everyone=true"), 200)
    assert job["id"] in [j["id"] for j in everyone]
    cancelled = _json(boss.post(f"/api/v1/jobs/{job['id']}/cancel"), 200)
    assert cancelled["state"] == "cancelled"
    again = _json(boss.post(f"/api/v1/jobs/{job['id']}/cancel"), 409)
    assert "already cancelled" in again["error"]["message"]


def test_starting_needs_the_role_and_a_known_kind(site: Site) -> None:
    sci = site.client("sci")
    denied = _json(sci.post("/api/v1/jobs", json={"kind": "audit.verify"}), 403)
    assert denied["error"]["code"] == "forbidden"
    unknown = site.client("boss").post("/api/v1/jobs", json={"kind": "rm -rf"})
    assert unknown.status_code == 422
    bad = site.client("boss").post(
        "/api/v1/jobs", json={"kind": "system.selftest", "params": {"seconds": "soon"}}
    )
    assert _json(bad, 422)["error"]["field"] == "seconds"


def test_ids_out_of_range_and_traversal_names_are_plain_404s(site: Site) -> None:
    boss = site.client("boss")
    assert boss.get(f"/api/v1/jobs/{2**70}").status_code == 404
    assert boss.get("/api/v1/jobs/0").status_code == 404
    job = _json(boss.post("/api/v1/jobs", json={"kind": "audit.verify"}), 202)
    for name in ("..%2Fsecret_key", "..", "secret_key"):
        assert boss.get(f"/api/v1/jobs/{job['id']}/files/{name}").status_code == 404


def test_health_reports_the_job_backend_and_workers(site: Site) -> None:
    body = _json(site.client("rev").get("/api/v1/health"), 200)
    assert body["jobs"]["backend"] == "sqlite"
    assert body["jobs"]["live_workers"] >= 0
    assert {"queued", "running"} <= set(body["jobs"])


def test_jobs_need_a_login(site: Site) -> None:
    anonymous = site.server.test_client()
    assert anonymous.get("/api/v1/jobs").status_code == 401
    assert anonymous.post("/api/v1/jobs", json={"kind": "audit.verify"}).status_code == 401
