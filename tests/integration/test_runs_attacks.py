"""Mission control's API tried as an attacker would: crafted commands from a scientist,
setpoints out of range or in the wrong unit, malformed and oversized bodies, bad telemetry
queries, and every new route without a login.

Each refusal is checked for what it must leave behind: an audit row for a refused role, and
no row in the run's command history (so nothing reaches the controller).
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from dashboard.auth import app_state
from dashboard.services.controller import Controller
from dashboard.services.devices import LEASE_S, catalog
from hardware.factory import DeviceSpec, make_device
from hardware.protocol import Device
from tests.integration.conftest import Site
from tests.integration.test_runs_api import Caller, FakeClock, _caller, ok, refused

SPEED = 60.0
NEW_ROUTES = ("/api/v1/runs", "/api/v1/alarms", "/api/v1/devices", "/api/v1/commands")
TEMPERATURE = {"device": "chamber-1", "parameter": "temperature_c", "value": 30, "unit": "°C"}


@dataclass
class Target:
    site: Site
    op: Caller
    op2: Caller
    sci: Caller
    boss: Caller
    experiment_id: int
    other_arm_id: int
    running_id: int  # a running run, the target of the crafted commands
    planned_id: int  # a planned run with an abort awaiting approval
    pending_abort_id: int
    alarm_id: int

    def commands(self, run_id: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = ok(self.op.get(f"/runs/{run_id}/commands"), 200)
        return found

    def denied(self, username: str) -> list[dict[str, Any]]:
        query = {"username": username, "result": "denied", "limit": "200"}
        items: list[dict[str, Any]] = ok(self.boss.get("/audit", query_string=query), 200)["items"]
        return items


def _experiment(caller: Caller, name: str) -> dict[str, Any]:
    body = {
        "name": name,
        "organism": "Bacillus subtilis",
        "arms": [
            {"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0},
            {"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1},
        ],
    }
    found: dict[str, Any] = ok(caller.post("/experiments", json=body), 201)
    return found


@pytest.fixture(scope="module")
def target(site: Site) -> Iterator[Target]:
    op = _caller(site, "runs-attack-op1", "operator")
    op2 = _caller(site, "runs-attack-op2", "operator")
    sci = _caller(site, "runs-attack-sci", "scientist")
    boss = _caller(site, "runs-attack-admin", "admin")
    experiment = _experiment(sci, "Mission control attack test")
    other = _experiment(sci, "Someone else's experiment")
    seen = [d["latest"].get("t", 0.0) for d in ok(op.get("/devices"), 200)]
    clock = FakeClock(max([time.time(), *seen]) + LEASE_S + 1.0)

    def make(spec: DeviceSpec) -> Device:
        return make_device(spec, clock=clock, speed=SPEED, seed=zlib.crc32(spec.device_id.encode()))

    settings = app_state(site.server).settings
    controller = Controller(
        site.db,
        catalog(settings.devices),
        make,
        holder="runs-attack-test",
        clock=clock,
        speed=SPEED,
    )

    def tick(n: int) -> None:
        for _ in range(n):
            clock.t += 1.0
            controller.step()

    path = f"/experiments/{experiment['id']}/runs"
    running_id = ok(op.post(path, json={"name": "attacked"}), 201)["id"]
    ok(op.post(f"/runs/{running_id}/start"), 202)
    tick(3)
    assert ok(op.get(f"/runs/{running_id}"), 200)["state"] == "running"
    # An alarm to acknowledge: the temperature (22 °C at first, heading for 37) is above 5.
    ok(op.put(f"/runs/{running_id}/limits/temperature_c", json={"warn_high": 5}), 200)
    tick(3)
    alarm_id = ok(op.get(f"/alarms?run_id={running_id}"), 200)[0]["id"]
    planned_id = ok(op.post(path, json={"name": "planned"}), 201)["id"]
    pending_abort_id = ok(op.post(f"/runs/{planned_id}/abort"), 202)["id"]
    try:
        yield Target(
            site,
            op,
            op2,
            sci,
            boss,
            int(experiment["id"]),
            int(other["arms"][0]["id"]),
            running_id,
            planned_id,
            pending_abort_id,
            alarm_id,
        )
    finally:
        ok(op.post(f"/runs/{running_id}/stop"), 202)
        tick(2)
        controller.release()


# --- a scientist's crafted commands -----------------------------------------------------------


def test_scientist_commands_are_refused_and_audited(target: Target) -> None:
    t = target
    run, planned = t.running_id, t.planned_id
    before = {run: t.commands(run), planned: t.commands(planned)}
    denied_before = len(t.denied("runs-attack-sci"))
    crafted: list[tuple[str, str, Any, str]] = [
        ("post", f"/runs/{run}/start", None, "run.start"),
        ("post", f"/runs/{run}/pause", {"irreversible": False}, "run.pause"),
        ("post", f"/runs/{run}/stop", {"dry_run": False}, "run.stop"),
        ("post", f"/runs/{run}/abort", {}, "run.abort"),
        ("post", f"/runs/{run}/setpoints", TEMPERATURE, "run.setpoint"),
        # Malformed too: still a 403, not advice on how to fix the request.
        ("post", f"/runs/{run}/setpoints", {"value": "hot", "force": True}, "run.setpoint"),
        ("post", f"/commands/{t.pending_abort_id}/approve", None, "command.approve"),
        ("post", f"/commands/{t.pending_abort_id}/reject", {"reason": "mine"}, "command.approve"),
        ("put", f"/runs/{run}/limits/temperature_c", {"crit_high": 99}, "run.limits"),
        ("post", f"/alarms/{t.alarm_id}/ack", {"note": "seen"}, "alarm.ack"),
        ("post", f"/alarms/{t.alarm_id}/shelve", {"minutes": 600}, "alarm.ack"),
        ("put", f"/runs/{planned}/profile", {"profile": []}, "run.create"),
        ("post", f"/experiments/{t.experiment_id}/runs", {"name": "mine"}, "run.create"),
    ]
    for method, path, body, _action in crafted:
        response = getattr(t.sci, method)(path, json=body) if body is not None else None
        response = response or getattr(t.sci, method)(path)
        error = refused(response, 403, "forbidden")
        assert "operator" in error["message"], (path, error)

    denied = t.denied("runs-attack-sci")[: len(t.denied("runs-attack-sci")) - denied_before]
    assert sorted(e["action"] for e in denied) == sorted(a for *_, a in crafted)
    assert {e["result"] for e in denied} == {"denied"}
    targets = {(e["action"], e["target_type"], e["target_id"]) for e in denied}
    assert ("run.setpoint", "run", str(run)) in targets
    assert ("command.approve", "command", str(t.pending_abort_id)) in targets
    assert ("alarm.ack", "alarm", str(t.alarm_id)) in targets
    # Nothing recorded for the controller, nothing changed.
    assert {run: t.commands(run), planned: t.commands(planned)} == before
    assert ok(t.sci.get(f"/runs/{run}"), 200)["state"] == "running"
    alarm = [a for a in ok(t.sci.get(f"/alarms?run_id={run}"), 200) if a["id"] == t.alarm_id]
    assert alarm[0]["acked_by"] is None
    assert alarm[0]["shelved_until"] is None


# --- setpoints the devices cannot take ---------------------------------------------------------

TEMPERATURE_RANGE = ("4", "45", "°C")


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ('{"value": 99, "unit": "°C"}', TEMPERATURE_RANGE),
        ('{"value": -5, "unit": "°C"}', TEMPERATURE_RANGE),
        ('{"value": 45.01, "unit": "degC"}', TEMPERATURE_RANGE),
        ('{"value": NaN, "unit": "°C"}', TEMPERATURE_RANGE),
        ('{"value": Infinity, "unit": "°C"}', TEMPERATURE_RANGE),
        ('{"value": 1e309, "unit": "°C"}', TEMPERATURE_RANGE),
        ('{"value": -1e309, "unit": "°C"}', TEMPERATURE_RANGE),
        ('{"value": 1' + "0" * 400 + ', "unit": "°C"}', TEMPERATURE_RANGE),
        ('{"value": "37", "unit": "°C"}', TEMPERATURE_RANGE),
        ('{"value": true, "unit": "°C"}', TEMPERATURE_RANGE),
        ('{"value": null, "unit": "°C"}', ("°C",)),
        ('{"value": [37], "unit": "°C"}', TEMPERATURE_RANGE),
        ('{"value": 30, "unit": "°F"}', ("°C", "°F")),
        ('{"value": 30, "unit": "K"}', ("°C", "'K'")),
        ('{"value": 30, "unit": "c"}', ("°C",)),
        ('{"value": 30, "unit": ""}', ("°C",)),
        ('{"value": 30}', ("°C", "unit missing")),
        ('{"value": 30, "unit": null}', ("°C", "unit missing")),
    ],
)
def test_setpoints_out_of_range_or_in_a_wrong_unit_are_422(
    target: Target, raw: str, named: tuple[str, ...]
) -> None:
    body = '{"device": "chamber-1", "parameter": "temperature_c", ' + raw[1:]
    before = target.commands(target.running_id)
    response = target.op.client.post(
        f"/api/v1/runs/{target.running_id}/setpoints",
        data=body,
        content_type="application/json",
        headers=target.op.headers,
    )
    error = refused(response, 422, "validation_failed")
    text = " ".join([error["message"], *error.get("errors", {}).values()])
    for word in named:
        assert word in text, (raw, error)
    assert error["field"] in ("value", "unit", "setpoint.value", "setpoint.unit"), error
    assert target.commands(target.running_id) == before


@pytest.mark.parametrize(
    ("setpoint", "named"),
    [
        ({"device": "centrifuge-1", "parameter": "g_level", "value": 5, "unit": "g"}, "2 g"),
        ({"device": "centrifuge-1", "parameter": "g_level", "value": -0.1, "unit": "g"}, "0"),
        ({"device": "chamber-1", "parameter": "co2_pct", "value": 9, "unit": "%"}, "8 %"),
        ({"device": "chamber-1", "parameter": "co2_pct", "value": 5, "unit": "°C"}, "in %"),
        ({"device": "chamber-1", "parameter": "light_on", "value": 2, "unit": ""}, "1"),
        ({"device": "chamber-1", "parameter": "light_on", "value": 0.5}, "light"),
        (
            {"device": "chamber-9", "parameter": "temperature_c", "value": 30, "unit": "°C"},
            "chamber-1",
        ),
        (
            {"device": "chamber-1", "parameter": "pressure_kpa", "value": 1, "unit": "kPa"},
            "temperature_c",
        ),
        ({"device": "chamber-1", "parameter": "od600", "value": 1, "unit": "OD"}, "read-only"),
        (
            {"device": "dosimeter-1", "parameter": "dose_mgy", "value": 0, "unit": "mGy"},
            "read-only",
        ),
    ],
)
def test_setpoints_the_device_cannot_take_are_422(
    target: Target, setpoint: dict[str, Any], named: str
) -> None:
    before = target.commands(target.running_id)
    error = refused(
        target.op.post(f"/runs/{target.running_id}/setpoints", json=setpoint),
        422,
        "validation_failed",
    )
    text = " ".join([error["message"], *error.get("errors", {}).values()])
    assert named.lower() in text.lower(), error
    assert target.commands(target.running_id) == before
    # The dry run refuses the same way.
    dry = target.op.post(f"/runs/{target.running_id}/setpoints?dry_run=1", json=setpoint)
    assert dry.status_code == 422


# --- malformed, oversized, unknown ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/runs/{run}/setpoints", {**TEMPERATURE, "force": True}),
        ("/runs/{run}/setpoints", {**TEMPERATURE, "irreversible": "no"}),
        ("/runs/{run}/setpoints", {**TEMPERATURE, "dry_run": 0}),
        ("/runs/{run}/setpoints", {**TEMPERATURE, "device": ["chamber-1"]}),
        ("/runs/{run}/setpoints", {**TEMPERATURE, "parameter": {"$ne": ""}}),
        ("/runs/{run}/setpoints", {**TEMPERATURE, "unit": 7}),
        ("/runs/{run}/setpoints", {"parameter": "temperature_c", "value": 30, "unit": "°C"}),
        ("/runs/{run}/setpoints", [TEMPERATURE]),
        ("/runs/{run}/setpoints", "temperature_c=30"),
        ("/runs/{run}/setpoints", 30),
        ("/runs/{run}/pause", {"approved_by": "someone"}),
        ("/runs/{run}/pause", {"irreversible": "yes"}),
        ("/runs/{run}/pause", ["pause"]),
        ("/experiments/{experiment}/runs", {"name": "x", "state": "running"}),
        ("/experiments/{experiment}/runs", {"name": 5}),
        ("/experiments/{experiment}/runs", {"name": ""}),
        ("/experiments/{experiment}/runs", {"name": "x" * 10_000}),
        ("/experiments/{experiment}/runs", {"name": "a\nb"}),
        ("/experiments/{experiment}/runs", {"name": "x", "devices": "chamber-1"}),
        ("/experiments/{experiment}/runs", {"name": "x", "devices": ["chamber-1", "chamber-9"]}),
        ("/experiments/{experiment}/runs", {"name": "x", "devices": ["x"] * 10_000}),
        ("/experiments/{experiment}/runs", {"name": "x", "arm_id": "1"}),
        ("/experiments/{experiment}/runs", {"name": "x", "arm_id": True}),
        ("/experiments/{experiment}/runs", {"name": "x", "arm_id": 2**40}),
        ("/experiments/{experiment}/runs", {"name": "x", "profile": {}}),
        ("/experiments/{experiment}/runs", {"name": "x", "profile": [{"device": "chamber-1"}]}),
        ("/experiments/{experiment}/runs", {"name": "x", "profile": [[1, 2]]}),
        (
            "/experiments/{experiment}/runs",
            {"name": "x", "profile": [{**TEMPERATURE, "at_h": -1}]},
        ),
        (
            "/experiments/{experiment}/runs",
            {"name": "x", "profile": [{**TEMPERATURE, "value": 60}]},
        ),
        (
            "/experiments/{experiment}/runs",
            {"name": "x", "profile": [{**TEMPERATURE, "at_h": 1}] * 201},
        ),
        ("/alarms/{alarm}/shelve", {"minutes": -1}),
        ("/alarms/{alarm}/shelve", {"minutes": 10**9}),
        ("/alarms/{alarm}/shelve", {"minutes": "30"}),
        ("/alarms/{alarm}/shelve", {}),
        ("/alarms/{alarm}/ack", {"note": "n" * 301}),
        ("/alarms/{alarm}/ack", {"note": 1}),
        ("/commands/{pending}/reject", {"reason": ["a"]}),
    ],
)
def test_malformed_bodies_are_4xx_and_record_nothing(target: Target, path: str, body: Any) -> None:
    before = (target.commands(target.running_id), len(ok(target.op.get("/runs"), 200)))
    url = path.format(
        run=target.running_id,
        experiment=target.experiment_id,
        alarm=target.alarm_id,
        pending=target.pending_abort_id,
    )
    response = target.op.post(url, json=body)
    assert response.status_code == 422, (path, body, response.get_data(as_text=True))
    assert response.get_json()["error"]["code"] == "validation_failed"
    assert (target.commands(target.running_id), len(ok(target.op.get("/runs"), 200))) == before


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"warn_high": "40"}, 422),
        ({"warn_high": float("nan")}, 422),
        ({"warn_high": True}, 422),
        ({"crit_high": 30, "warn_high": 40}, 422),
        ({"warn_low": 40, "warn_high": 30}, 422),
        ({"debounce_n": 0}, 422),
        ({"debounce_n": 2.5}, 422),
        ({"debounce_n": 10**6}, 422),
        ({"stale_after_s": 0}, 422),
        ({"enabled": False}, 422),
    ],
)
def test_bad_limits_are_422_and_record_nothing(target: Target, body: Any, status: int) -> None:
    before = target.commands(target.running_id)
    response = target.op.client.put(
        f"/api/v1/runs/{target.running_id}/limits/temperature_c",
        data=json.dumps(body),
        content_type="application/json",
        headers=target.op.headers,
    )
    assert response.status_code == status, response.get_data(as_text=True)
    assert target.commands(target.running_id) == before


def test_limits_of_an_unknown_parameter_are_422(target: Target) -> None:
    for parameter in ("pressure_kpa", "x" * 500, "temperature_c;drop"):
        error = refused(
            target.op.put(f"/runs/{target.running_id}/limits/{parameter}", json={"warn_high": 1}),
            422,
            "validation_failed",
        )
        assert "temperature_c" in error["message"]


def test_huge_and_broken_bodies_never_500(target: Target) -> None:
    url = f"/api/v1/runs/{target.running_id}/setpoints"
    headers = target.op.headers
    client = target.op.client
    limit = app_state(target.site.server).settings.api_max_body_bytes
    huge = client.post(
        url,
        data=b'{"value": ' + b"9" * (limit + 10) + b"}",
        headers=headers,
        content_type="application/json",
    )
    assert huge.status_code == 413
    for data in (b"[" * 100_000, b"{" * 100_000, b"\xff\xfe", b"", b"null", b'{"a":1,}'):
        response = client.post(url, data=data, headers=headers, content_type="application/json")
        assert 400 <= response.status_code < 500, (data[:10], response.status_code)
    nul = client.post(url, json={**TEMPERATURE, "device": "chamber-1\x00"}, headers=headers)
    assert nul.status_code == 400  # refused at the gate, before any service
    form = client.post(url, data={"value": "30"}, headers=headers)
    assert 400 <= form.status_code < 500
    assert target.commands(target.running_id) == target.commands(target.running_id)


# --- state and ownership ----------------------------------------------------------------------


def test_profile_edits_after_start_are_409(target: Target) -> None:
    before = target.commands(target.running_id)
    step = {**TEMPERATURE, "at_h": 1}
    error = refused(
        target.op.put(f"/runs/{target.running_id}/profile", json={"profile": [step]}),
        409,
        "conflict",
    )
    assert "running" in error["message"]
    assert target.commands(target.running_id) == before


def test_a_run_on_another_experiments_arm_is_422(target: Target) -> None:
    error = refused(
        target.op.post(
            f"/experiments/{target.experiment_id}/runs",
            json={"name": "smuggled", "arm_id": target.other_arm_id},
        ),
        422,
        "validation_failed",
    )
    assert error["field"] == "arm_id"
    listed = ok(target.op.get(f"/runs?experiment_id={target.experiment_id}"), 200)
    assert "smuggled" not in [r["name"] for r in listed]


def test_a_second_start_while_the_devices_are_busy_is_409(target: Target) -> None:
    other = ok(
        target.op.post(f"/experiments/{target.experiment_id}/runs", json={"name": "waiting"}),
        201,
    )["id"]
    error = refused(target.op.post(f"/runs/{other}/start"), 409, "conflict")
    assert str(target.running_id) in error["message"]
    assert target.commands(other) == []


# --- telemetry queries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"parameter": "temperature_c", "max_points": "0"},
        {"parameter": "temperature_c", "max_points": "2"},
        {"parameter": "temperature_c", "max_points": str(10**9)},
        {"parameter": "temperature_c", "max_points": "abc"},
        {"parameter": "temperature_c", "max_points": "1e3"},
        {"parameter": "temperature_c", "since": "abc"},
        {"parameter": "temperature_c", "until": "yesterday"},
        {"parameter": "temperature_c", "since": "nan"},
        {"parameter": "temperature_c", "since": "inf"},
        {"parameter": "temperature_c", "until": "1e309"},
        {"parameter": "temperature_c", "since": "2030-01-01T00:00:00Z", "until": "2020-01-01"},
        {"parameter": "temperature_c", "method": "mean"},
        {"parameter": "pressure_kpa"},
        {"parameter": ""},
        {},
    ],
)
def test_bad_telemetry_queries_are_422(target: Target, query: dict[str, str]) -> None:
    response = target.sci.get(f"/runs/{target.running_id}/telemetry", query_string=query)
    refused(response, 422, "validation_failed")


# --- no login ---------------------------------------------------------------------------------


def test_every_new_route_needs_a_login(target: Target) -> None:
    anonymous = target.site.server.test_client()
    checked = []
    for rule in target.site.server.url_map.iter_rules():
        if not rule.rule.startswith(NEW_ROUTES) and not rule.rule.endswith("/runs"):
            continue
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", "1").replace(f"<string:{name}>", "temperature_c")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = anonymous.open(path, method=method, json={})
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.get_json()["error"]["code"] == "unauthorized"
            checked.append((method, rule.rule))
    # Every route of the API was among them.
    assert len(checked) >= 20, checked
    assert ("POST", "/api/v1/experiments/<int:experiment_id>/runs") in checked
    assert ("GET", "/api/v1/runs/<int:run_id>/telemetry.csv") in checked
    assert ("POST", "/api/v1/commands/<int:command_id>/approve") in checked
