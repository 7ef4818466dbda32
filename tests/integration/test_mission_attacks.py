"""Mission control probed as an attacker and a careless user would (issue 9, second pass).

Races between two people (approve against reject, start against start), a device that hangs
while the controller waits on it, crafted pattern-matching ids posted to the run page's
callbacks, device lists that name one chamber twice, and a CSV export of a long run.

Each test began as a strict xfail reproducing a finding on main; the findings are fixed, and
the tests now keep them fixed. The others document what held from the start.

The races are made deterministic by holding each request, right after it has read the row it
is about to change, until the other request has read it too (or 1.5 s have passed: a fix that
locks the row makes the second request wait for the first instead, and the hold gives up).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, update
from werkzeug.test import TestResponse

from dashboard.auth import app_state
from dashboard.models import DeviceRow, Run, RunCommand, TelemetryChunk
from dashboard.services import accounts, commands, telemetry
from dashboard.services.actor import cli_actor
from dashboard.services.controller import Controller, run_forever
from dashboard.services.devices import catalog
from hardware.factory import DeviceSpec, make_device, parse_devices
from hardware.protocol import Device, LinkError
from tests.conftest import PASSWORD
from tests.integration.conftest import Site
from tests.integration.test_runs_api import Caller, _caller, ok, refused

HOLD_S = 1.5  # how long a held request waits for the other one


@dataclass
class Crew:
    site: Site
    op1: Caller
    op2: Caller
    boss: Caller
    rev: Caller
    experiment_id: int
    runs: list[int] = field(default_factory=list)

    def plan(self, name: str) -> int:
        run_id = int(
            ok(self.op1.post(f"/experiments/{self.experiment_id}/runs", json={"name": name}), 201)[
                "id"
            ]
        )
        self.runs.append(run_id)
        return run_id

    def commands(self, run_id: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = ok(self.op1.get(f"/runs/{run_id}/commands"), 200)
        return found

    def audit(self, **query: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = ok(
            self.boss.get("/audit", query_string={"limit": "200", **query}), 200
        )["items"]
        return items


@pytest.fixture(scope="module")
def crew(site: Site) -> Iterator[Crew]:
    op1 = _caller(site, "mission-atk-op1", "operator")
    op2 = _caller(site, "mission-atk-op2", "operator")
    boss = _caller(site, "mission-atk-admin", "admin")
    rev = _caller(site, "mission-atk-rev", "reviewer")
    sci = _caller(site, "mission-atk-sci", "scientist")
    experiment = ok(
        sci.post(
            "/experiments",
            json={
                "name": "Mission control races",
                "organism": "Bacillus subtilis",
                "arms": [{"name": "flight", "spaceflight": "Space Flight", "gravity_g": 0}],
            },
        ),
        201,
    )
    found = Crew(site, op1, op2, boss, rev, int(experiment["id"]))
    try:
        yield found
    finally:
        # Nothing of ours may reach a controller of a later test module: what these tests
        # queued is closed and the runs are ended in the database directly.
        if found.runs:
            with site.db.begin() as s:
                s.execute(
                    update(RunCommand)
                    .where(
                        RunCommand.run_id.in_(found.runs),
                        RunCommand.stage.in_(("awaiting_approval", "queued", "sent")),
                    )
                    .values(stage="failed", detail="closed by test_mission_attacks")
                )
                s.execute(update(Run).where(Run.id.in_(found.runs)).values(state="aborted"))


def _hold_after(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make ``commands.<name>`` (a read of the row a request will change) wait for the other
    request's read before it returns."""
    original = getattr(commands, name)
    barrier = threading.Barrier(2, timeout=HOLD_S)

    def held(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return found

    monkeypatch.setattr(commands, name, held)


def _at_once(*calls: Callable[[], TestResponse]) -> list[TestResponse]:
    results: list[TestResponse | None] = [None] * len(calls)

    def run(i: int) -> None:
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


# --- races ------------------------------------------------------------------------------------


def test_approve_and_reject_at_once_only_one_wins(
    crew: Crew, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = crew.plan("approve against reject")
    command_id = ok(crew.op1.post(f"/runs/{run_id}/abort"), 202)["id"]
    _hold_after(monkeypatch, "_pending")
    approved, rejected = _at_once(
        lambda: crew.op2.post(f"/commands/{command_id}/approve"),
        lambda: crew.boss.post(f"/commands/{command_id}/reject", json={"reason": "no"}),
    )
    statuses = sorted([approved.status_code, rejected.status_code])
    decided = [
        e
        for e in crew.audit(target_type="command", target_id=str(command_id), result="ok")
        if e["action"] in ("command.approve", "command.reject")
    ]
    assert statuses == [200, 409], statuses
    assert len(decided) == 1, [(e["action"], e["username"]) for e in decided]
    command = next(c for c in crew.commands(run_id) if c["id"] == command_id)
    winner = "approved" if approved.status_code == 200 else "rejected"
    assert command["approval"] == winner


def test_two_starts_at_once_queue_one(crew: Crew, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = crew.plan("start against start")
    _hold_after(monkeypatch, "_in_flight_lifecycle")
    first, second = _at_once(
        lambda: crew.op1.post(f"/runs/{run_id}/start"),
        lambda: crew.op2.post(f"/runs/{run_id}/start"),
    )
    assert sorted([first.status_code, second.status_code]) == [202, 409]
    assert [c["kind"] for c in crew.commands(run_id)] == ["start"]


def test_an_approval_by_the_requesters_other_token_is_refused_and_audited(crew: Crew) -> None:
    cli = cli_actor("test")
    user = accounts.create_user(crew.site.db, cli, "mission-atk-twotok", PASSWORD, ["operator"])
    one, other = (
        Caller(
            crew.site.server.test_client(), accounts.create_token(crew.site.db, cli, user.id, x)[1]
        )
        for x in ("laptop", "script")
    )
    run_id = crew.plan("own approval")
    command_id = ok(one.post(f"/runs/{run_id}/abort"), 202)["id"]
    refused(other.post(f"/commands/{command_id}/approve"), 403, "forbidden")
    denied = crew.audit(username="mission-atk-twotok", result="denied", target_id=str(command_id))
    assert [e["action"] for e in denied] == ["command.approve"]
    command = next(c for c in crew.commands(run_id) if c["id"] == command_id)
    assert command["stage"] == "awaiting_approval"


# --- the run page's callbacks, posted by hand ----------------------------------------------


def _post_pattern(
    client: FlaskClient, output_fragment: str, trigger: dict[str, Any], slot: int, slots: int
) -> TestResponse:
    """Fire a pattern-matching callback as if the component ``trigger`` was clicked."""
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if output_fragment in d["output"])
    parts = dep["output"].strip(".").split("...")
    outputs = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        outputs.append({"id": ident.split("@")[0], "property": prop.split("@")[0]})
    inputs: list[Any] = [[] for _ in range(slots)]
    inputs[slot] = [{"id": trigger, "property": "n_clicks", "value": 1}]
    body = {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": inputs,
        "state": [{"id": "mission-run-action", "property": "data", "value": 0}],
        "changedPropIds": [json.dumps(trigger, separators=(",", ":")) + ".n_clicks"],
    }
    return client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )


def test_a_reviewer_clicking_approve_and_ack_by_hand_is_refused_and_audited(crew: Crew) -> None:
    run_id = crew.plan("reviewer clicks")
    command_id = ok(crew.op1.post(f"/runs/{run_id}/abort"), 202)["id"]
    client = crew.site.client("rev")
    approve = {"command": command_id, "type": "mission-run-approve"}
    response = _post_pattern(client, "mission-run-approval-alert", approve, 0, 2)
    assert response.status_code in (200, 403)
    assert "needs the role operator" in response.get_data(as_text=True)
    command = next(c for c in crew.commands(run_id) if c["id"] == command_id)
    assert command["stage"] == "awaiting_approval"
    denied = crew.audit(username="rev", result="denied", target_id=str(command_id))
    assert [e["action"] for e in denied] == ["command.approve"]


@pytest.mark.parametrize(
    ("fragment", "trigger", "slot"),
    [
        ("mission-run-approval-alert", {"command": "abc", "type": "mission-run-approve"}, 0),
        ("mission-run-approval-alert", {"command": None, "type": "mission-run-reject"}, 1),
        ("mission-run-approval-alert", {"command": 1e30, "type": "mission-run-approve"}, 0),
        ("mission-run-alarm-alert", {"alarm": "1; drop", "type": "mission-run-ack"}, 0),
        (
            "mission-run-alarm-alert",
            {"alarm": 1, "minutes": "nan", "type": "mission-run-shelve"},
            1,
        ),
    ],
)
def test_hand_made_ids_on_the_run_page_are_not_a_500(
    site: Site, fragment: str, trigger: dict[str, Any], slot: int
) -> None:
    response = _post_pattern(site.client("oper"), fragment, trigger, slot, 2)
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


# --- the controller and a device that hangs ----------------------------------------------


class _Hung:
    """A chamber whose link hangs: every call waits ``delay`` s, then times out."""

    def __init__(self, inner: Device, delay: float) -> None:
        self._inner = inner
        self._delay = delay

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def connect(self) -> None:
        time.sleep(self._delay)
        raise LinkError("no answer (test: hung link)")

    def read(self) -> Any:
        time.sleep(self._delay)
        raise LinkError("no answer (test: hung link)")

    def disconnect(self) -> None:
        return None


class _Counted:
    """A healthy device that counts its reads."""

    def __init__(self, inner: Device) -> None:
        self._inner = inner
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def read(self) -> Any:
        self.reads += 1
        return self._inner.read()


def test_a_hung_device_does_not_stop_the_others_being_sampled(site: Site) -> None:
    cat = catalog("mission-atk-hung=sim://chamber-1,mission-atk-ok=sim://chamber-1")
    healthy: list[_Counted] = []

    def make(spec: DeviceSpec) -> Device:
        device = make_device(spec, seed=1)
        if spec.device_id == "mission-atk-hung":
            return _Hung(device, 1.0)
        healthy.append(_Counted(device))
        return healthy[-1]

    controller = Controller(site.db, cat, make, holder="mission-atk-stall")
    stop = threading.Event()
    hz, seconds = 5.0, 2.0
    worker = threading.Thread(target=run_forever, args=(controller, hz, stop), daemon=True)
    try:
        worker.start()
        time.sleep(seconds)
    finally:
        stop.set()
        worker.join(10)
        with site.db.begin() as s:
            s.execute(delete(DeviceRow).where(DeviceRow.device_id.in_(list(cat.specs))))
    reads = sum(d.reads for d in healthy)
    # At 5 Hz for 2 s the healthy chamber is read ~10 times; half of that is generous.
    assert reads >= hz * seconds / 2, f"the healthy device was read {reads} times in {seconds} s"


# --- MICROSPACEGEN_DEVICES ----------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        "a=modbus+tcp://127.0.0.1:5020/1,b=modbus+tcp://127.0.0.1:5020/1",
        "modbus+tcp://127.0.0.1:0/1",
        "modbus+tcp://127.0.0.1:5020/\u0967",
        "modbus+tcp://127.0.0.1:5020/300",
        "sim://toaster-1",
        "x y=sim://chamber-1",
    ],
)
def test_a_bad_device_list_is_refused_naming_the_entry(spec: str) -> None:
    with pytest.raises(ValueError, match=r"device entry|used twice|same"):
        parse_devices(spec)


def test_a_malformed_ipv6_entry_is_named() -> None:
    with pytest.raises(ValueError, match=r"device entry 'modbus\+tcp://\[::1/1'"):
        parse_devices("modbus+tcp://[::1/1")


# --- the CSV export ---------------------------------------------------------------------------


def test_the_csv_export_streams_without_loading_the_whole_run(crew: Crew) -> None:
    run_id = crew.plan("long run for csv")
    points, per_chunk = 300_000, 600  # 2.4 MB of times and 2.4 MB of values
    start = 1.7e9
    with crew.site.db.begin() as s:
        for i in range(points // per_chunk):
            t = start + np.arange(i * per_chunk, (i + 1) * per_chunk, dtype="<f8")
            s.add(
                TelemetryChunk(
                    run_id=run_id,
                    device_id="chamber-1",
                    parameter="temperature_c",
                    t0=float(t[0]),
                    t1=float(t[-1]),
                    n=per_chunk,
                    times=t.tobytes(),
                    values=np.full(per_chunk, 37.0, dtype="<f8").tobytes(),
                    is_open=False,
                )
            )
    cat = catalog(app_state(crew.site.server).settings.devices)
    pieces = telemetry.export_csv(crew.site.db, cat, run_id)
    tracemalloc.start()
    try:
        header = next(pieces)
        first_rows = next(pieces)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        pieces.close()  # type: ignore[attr-defined]
    assert "temperature_c [°C]" in header
    assert first_rows.count("\n") >= 1
    assert peak < 2_000_000, f"{peak / 1e6:.1f} MB held before the first rows went out"
