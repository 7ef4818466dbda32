"""/metrics on the main server: exactly the events of a scripted session, and who may read it."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from dashboard.auth import app_state
from dashboard.models import AuditEvent
from dashboard.observability import logs
from dashboard.services import accounts
from dashboard.services.actor import cli_actor
from tests.conftest import PASSWORD
from tests.integration.conftest import Site

ARMS = [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="module")
def metrics_token(site: Site) -> str:
    """A bearer token of a user holding the metrics role alone."""
    cli = cli_actor("test")
    row = accounts.create_user(site.db, cli, "prom", PASSWORD, ["metrics"])
    _, secret = accounts.create_token(site.db, cli, row.id, "prometheus")
    return secret


def _scrape(site: Site, token: str) -> Samples:
    response = site.server.test_client().get(
        "/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _delta(before: Samples, after: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    changed = {}
    for (sample, labels), value in after.items():
        if sample == name and value != before.get((sample, labels), 0.0):
            changed[labels] = value - before.get((sample, labels), 0.0)
    return changed


def _request(route: str, method: str, status: int) -> tuple[tuple[str, str], ...]:
    return (("method", method), ("route", route), ("status", str(status)))


@pytest.fixture
def json_lines() -> Iterator[list[str]]:
    """Every log line written meanwhile, as JSON."""
    stream: list[str] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            stream.append(self.format(record))

    handler = _Keep()
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_scripted_session_shows_exactly_its_events(
    site: Site, metrics_token: str, json_lines: list[str]
) -> None:
    before = _scrape(site, metrics_token)

    client = site.server.test_client()
    login = client.post("/login", data={"username": "boss", "password": PASSWORD})
    assert login.status_code == 302
    created = client.post(
        "/api/v1/experiments",
        json={"name": "metrics session", "organism": "E. coli", "arms": ARMS},
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    rid = "scripted-session-0001"
    started = client.post(
        "/api/v1/jobs", json={"kind": "audit.export", "params": {}}, headers={"X-Request-ID": rid}
    )
    assert started.status_code == 202, started.get_data(as_text=True)
    assert started.headers["X-Request-ID"] == rid
    job_id = started.get_json()["id"]
    # The message on the queue carries the request's id to the worker...
    queue = app_state(site.server).queue
    (task,) = [t for t in queue.huey.pending() if t.args and t.args[0] == job_id]
    assert task.args == (job_id, rid)
    # ...which runs the job under it (as the consumer would call the task).
    queue._run(*task.args)

    after = _scrape(site, metrics_token)
    assert _delta(before, after, "microspacegen_http_requests_total") == {
        _request("/metrics", "GET", 200): 1,  # the first scrape, counted once answered
        _request("/login", "POST", 302): 1,
        _request("/api/v1/experiments", "POST", 201): 1,
        _request("/api/v1/jobs", "POST", 202): 1,
    }
    assert _delta(
        before, after, "microspacegen_http_request_duration_seconds_count"
    ) == dict.fromkeys(
        (
            _request("/metrics", "GET", 200),
            _request("/login", "POST", 302),
            _request("/api/v1/experiments", "POST", 201),
            _request("/api/v1/jobs", "POST", 202),
        ),
        1.0,
    )
    assert _delta(before, after, "microspacegen_job_duration_seconds_count") == {
        (("kind", "audit.export"), ("state", "succeeded")): 1
    }
    assert _delta(before, after, "microspacegen_login_refusals_total") == {}

    # The job's own log line names the job and the request that started it.
    entries = [json.loads(line) for line in json_lines]
    finished = [e for e in entries if e.get("job_id") == job_id and "succeeded" in e["event"]]
    assert finished
    assert finished[0]["request_id"] == rid
    access = [e for e in entries if e["logger"] == "microspacegen.access"]
    assert {e["route"] for e in access} >= {"/login", "/api/v1/experiments", "/api/v1/jobs"}
    assert any(e.get("user") == "boss" for e in access)


def test_failed_and_throttled_logins_are_counted(site: Site, metrics_token: str) -> None:
    before = _scrape(site, metrics_token)
    # From an address of its own, so the other tests' logins from 127.0.0.1 are not throttled.
    client = site.server.test_client()
    statuses = [
        client.post(
            "/login",
            data={"username": "nobody-here", "password": "wrong"},
            environ_base={"REMOTE_ADDR": "192.0.2.77"},
        ).status_code
        for _ in range(7)
    ]
    after = _scrape(site, metrics_token)
    refusals = _delta(before, after, "microspacegen_login_refusals_total")
    failed = accounts.MAX_FAILURES_PER_NAME_AND_IP  # then the name is throttled from there
    assert refusals == {(("reason", "failed"),): failed, (("reason", "throttled"),): 7 - failed}, (
        statuses
    )


def test_database_state_is_read_at_scrape_time(site: Site, metrics_token: str) -> None:
    boss = site.server.test_client()
    boss.post("/login", data={"username": "boss", "password": PASSWORD})
    before = _scrape(site, metrics_token)
    job = boss.post("/api/v1/jobs", json={"kind": "audit.verify", "params": {}}).get_json()
    after = _scrape(site, metrics_token)
    assert _delta(before, after, "microspacegen_job_queue_depth") == {
        (("kind", "audit.verify"),): 1
    }
    assert after[("microspacegen_database_up", ())] == 1.0
    assert ("microspacegen_db_pool_connections", (("state", "checked_out"),)) in after
    boss.post(f"/api/v1/jobs/{job['id']}/cancel")


def test_only_a_metrics_token_reads_metrics(site: Site, metrics_token: str) -> None:
    anonymous = site.server.test_client()
    no_token = anonymous.get("/metrics")
    assert no_token.status_code == 401
    assert no_token.headers["WWW-Authenticate"].startswith("Bearer")
    assert (
        anonymous.get("/metrics", headers={"Authorization": "Bearer msg_nope"}).status_code == 401
    )

    sci_token = accounts.create_token(
        site.db, cli_actor("test"), accounts.user_id_by_name(site.db, "sci"), "notebook"
    )[1]
    admin_token = accounts.create_token(
        site.db, cli_actor("test"), accounts.user_id_by_name(site.db, "boss"), "ops"
    )[1]
    for token in (sci_token, admin_token):
        refused = anonymous.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 403, refused.get_data(as_text=True)
        assert "metrics" in refused.get_json()["error"]["message"]
    # A logged-in admin's browser session is not a scraper.
    assert site.client("boss").get("/metrics").status_code == 401
    # The metrics user's own password login gives a session, which does not read it either.
    prom = site.client("prom")
    assert (
        prom.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"}).status_code
        == 403
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/experiments"),
        ("GET", "/api/v1/experiments"),
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/health"),
        ("GET", "/_dash-layout"),
        ("GET", "/assets/app.js"),
        ("POST", "/api/v1/experiments"),
        ("POST", "/api/v1/tokens"),
        ("POST", "/_dash-update-component"),
    ],
)
def test_a_metrics_token_opens_nothing_else(
    site: Site, metrics_token: str, method: str, path: str
) -> None:
    headers = {"Authorization": f"Bearer {metrics_token}"}
    response = site.server.test_client().open(path, method=method, headers=headers, json={})
    assert response.status_code == 403, (path, response.status_code)
    if method == "POST":
        with site.db.read() as s:
            refused = s.scalar(
                select(func.count()).where(
                    AuditEvent.action == "request.machine_only",
                    AuditEvent.target_id == path,
                    AuditEvent.username == "prom",
                )
            )
        assert refused
        assert refused >= 1


def test_a_metrics_session_sees_no_page(site: Site) -> None:
    page = site.client("prom").get("/experiments")
    assert page.status_code == 403


GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "microspacegen.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def test_the_grafana_board_asks_only_for_metrics_the_app_exposes(
    site: Site, metrics_token: str
) -> None:
    board = json.loads(GRAFANA.read_text())
    panels = [p for p in board["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])
    expressions = [t["expr"] for p in panels for t in p["targets"]]
    assert all(p["targets"] for p in panels)
    asked = {name for e in expressions for name in re.findall(r"\bmicrospacegen_[a-z0-9_]+", e)}

    body = (
        site.server.test_client()
        .get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
        .get_data(as_text=True)
    )
    exposed = {
        family.name + suffix
        for family in text_string_to_metric_families(body)
        for suffix in SUFFIXES[family.type]
    }
    assert asked <= exposed, sorted(asked - exposed)
    # Every family the app exposes is on the board somewhere.
    families = {f.name for f in text_string_to_metric_families(body)}
    shown = {f for f in families if any(f in name for name in asked)}
    assert shown == families, sorted(families - shown)
