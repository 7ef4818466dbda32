"""The run page laid out as the browser gets it (POST /_dash-update-component for the page
content): a run whose device stopped answering shows the link-lost banner (the layout once
failed there with a TypeError, a blank page), and a run without a centrifuge still has a
target for every chart the live callbacks extend. The temperature chart names the limits far
from the readings in one note per edge, in a band of its own (they were once printed over a
line's label), and the command alert gives way to the outcome once the command is done (it
once said "Stop queued" after the run had completed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from dashboard.models import DeviceRow, Run, RunCommand
from dashboard.models.base import utcnow
from dashboard.services import commands
from dashboard.services.runs import LimitView
from tests.integration.conftest import Site, call_callback
from tests.integration.test_runs_api import Caller, _caller, ok


def _layout(site: Site, run_id: int) -> str:
    values = {"_pages_location.pathname": f"/mission/runs/{run_id}", "_pages_location.search": ""}
    response = call_callback(site.client("oper"), "_pages_content.children", values)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return json.dumps(response.get_json(), ensure_ascii=False)


@pytest.fixture(scope="module")
def callers(site: Site) -> tuple[Caller, Caller]:
    return _caller(site, "run-page-sci", "scientist"), _caller(site, "run-page-op", "operator")


@pytest.fixture
def chamber_only_run(site: Site, callers: tuple[Caller, Caller]) -> Iterator[int]:
    scientist, operator = callers
    experiment = ok(
        scientist.post(
            "/experiments",
            json={
                "name": f"Run page test {utcnow().timestamp()}",
                "organism": "E. coli",
                "arms": [{"name": "a", "spaceflight": "Ground Control", "gravity_g": 1}],
            },
        ),
        201,
    )
    made = ok(
        operator.post(
            f"/experiments/{experiment['id']}/runs",
            json={"name": "chamber only", "devices": ["chamber-1"]},
        ),
        201,
    )
    yield int(made["id"])
    with site.db.begin() as s:
        s.execute(delete(DeviceRow).where(DeviceRow.holder == "run-page-test"))
        s.execute(update(Run).where(Run.id == made["id"]).values(state="aborted"))


def test_a_run_without_a_centrifuge_lays_out_every_chart_the_live_update_extends(
    site: Site, chamber_only_run: int
) -> None:
    from dashboard.pages.mission_run import charts, ids  # registers pages: after the app

    page = _layout(site, chamber_only_run)
    for group in charts.GROUPS:
        assert f'"{ids.graph(group.key)}"' in page, group.key


def test_a_lost_link_shows_its_banner(site: Site, chamber_only_run: int) -> None:
    with site.db.begin() as s:
        s.execute(update(Run).where(Run.id == chamber_only_run).values(state="running"))
        s.execute(delete(DeviceRow).where(DeviceRow.device_id == "chamber-1"))
        s.add(
            DeviceRow(
                device_id="chamber-1",
                kind="chamber",
                url="sim://chamber-1",
                holder="run-page-test",
                lease_expires_at=utcnow() + timedelta(minutes=5),
                link_state="lost",
                failures=5,
            )
        )
    page = _layout(site, chamber_only_run)
    assert "Link lost: " in page
    assert "chamber-1 stopped answering" in page


def _command(run_id: int, kind: str, stage: str, detail: str) -> RunCommand:
    row = commands.new_command(
        run_id, kind, source="user", requested_by="oper", at=utcnow(), args={}
    )
    commands.stamp(row, stage, detail)
    return row


def _command_done(site: Site, run_id: int, command_id: int) -> dict[str, object] | None:
    values = {
        "mission-run-seen.data": {"run": "changed"},
        "mission-run-command-watch.data": {"id": command_id},
        "mission-run-id.data": run_id,
    }
    response = call_callback(site.client("oper"), "mission-run-command-watch.data@", values)
    if response.status_code == 204:  # PreventUpdate: nothing to say yet
        return None
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    found: dict[str, object] = response.get_json()["response"]
    return found


def test_the_command_alert_gives_way_to_the_outcome(site: Site, chamber_only_run: int) -> None:
    with site.db.begin() as s:
        waiting = _command(chamber_only_run, "abort", "awaiting_approval", "")
        done = _command(chamber_only_run, "stop", "verified", "every device reports idle")
        s.add_all([waiting, done])
        s.flush()
        waiting_id, done_id = waiting.id, done.id
        s.execute(update(Run).where(Run.id == chamber_only_run).values(state="completed"))
    assert _command_done(site, chamber_only_run, waiting_id) is None  # still on its way
    answer = json.dumps(_command_done(site, chamber_only_run, done_id), ensure_ascii=False)
    assert f"Stop done (command #{done_id}): every device reports idle." in answer
    assert "The run is completed." in answer
    assert '"mission-run-command-watch": {"data": null}' in answer  # watched no more
    with site.db.begin() as s:
        s.execute(delete(RunCommand).where(RunCommand.id.in_((waiting_id, done_id))))


def test_limits_far_from_the_readings_get_one_note_per_edge_in_a_band_of_their_own(
    site: Site,
) -> None:
    from dashboard.components.mission_limits import LABEL_PX, PLOT_PX
    from dashboard.pages.mission_run import charts  # registers pages: after the app

    # The walkthrough's chart: readings about 30 °C, warning high 29 drawn, the rest far off.
    shown = charts.data_range([29.9, 30.1])
    marks = charts.limit_marks(LimitView("temperature_c", 2.0, 29.0, 0.0, 50.0, 3, 10.0), shown)
    span = charts.axis_span(shown, [marks], "normal")
    drawn = charts.limit_layout([charts.AxisLimits("y", span, marks, "", "°C")])
    assert [n["text"] for n in drawn.notes] == [
        "▲ critical high 50 °C",
        "▼ warning low 2 · critical low 0 °C",
    ]
    assert {n["x"] for n in drawn.notes} == {0}  # at the left; line labels at the right
    (line,) = drawn.shapes
    assert line["label"]["text"] == "warning high 29"
    assert line["label"]["textposition"] == "end"
    # The axis keeps a band free at each edge for its note: the line is above the bottom one,
    # its label above the line, and the data stay clear of both bands.
    low, high = drawn.include["y"]
    band = (high - low) * LABEL_PX / PLOT_PX
    assert low + band <= 29.0
    assert line["label"]["yanchor"] == "bottom"
    assert shown is not None
    assert shown[0] >= low + band
    assert shown[1] <= high - band
