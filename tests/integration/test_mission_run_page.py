"""The run page laid out as the browser gets it (POST /_dash-update-component for the page
content): a run whose device stopped answering shows the link-lost banner (the layout once
failed there with a TypeError, a blank page), and a run without a centrifuge still has a
target for every chart the live callbacks extend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, update

from dashboard.models import DeviceRow, Run
from dashboard.models.base import utcnow
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
