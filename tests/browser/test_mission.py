"""Mission control in the browser, against the live server and its hardware controller
(``serve`` starts one beside itself; the default simulated chamber, centrifuge and dosimeter):
an operator plans a run with the page's form, starts it, sees the temperature chart grow by
appended points, changes a setpoint and finds it in the command history, provokes an alarm
by a warning limit below the current temperature and acknowledges it, and stops the run. A
scientist sees the run's state but no command, setpoint or limits controls. Two operators
abort a run: the requester waits for the other, who approves it in the Approvals panel. The
Mission control page refreshes its runs grid by itself, keeping the user's sort."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    LiveServer,
    PageFactory,
    api_json,
    goto_page,
    login,
    screenshot,
    unique,
    wait_until,
)

FLIGHT_AND_GROUND = [
    {"name": "flight µg", "spaceflight": "Space Flight", "gravity_g": 0},
    {"name": "ground 1 g", "spaceflight": "Ground Control", "gravity_g": 1},
]
CONTROLLER_S = 15.0  # the controller ticks at 1 Hz; a command takes 1–3 ticks


def control(form: str, field: str) -> str:
    """The selector of a form pattern control (its id is JSON)."""
    return f'[id=\'{{"field":"{field}","form":"{form}"}}\']'


def error_of(form: str, field: str) -> str:
    return f'[id=\'{{"field":"{field}","form":"{form}","part":"error"}}\']'


def _points(page: Page) -> int:
    return int(
        page.evaluate(
            "() => document.querySelector('#mission-run-graph-temperature .js-plotly-plot')"
            ".data[0].x.length"
        )
    )


def _overlapping_limit_words(page: Page, group: str) -> list[list[str]]:
    """Pairs of a chart's limit words (line labels, edge notes) whose boxes intersect."""
    found: list[list[str]] = page.evaluate(
        """group => {
          const gd = document.querySelector(`#mission-run-graph-${group} .js-plotly-plot`);
          const boxes = [...gd.querySelectorAll('.shape-label-text, .annotation-text')]
            .map(t => [t.textContent, t.getBoundingClientRect()]);
          const out = [];
          boxes.forEach(([a, r], i) => boxes.slice(i + 1).forEach(([b, s]) => {
            if (r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom) {
              out.push([a, b]);
            }
          }));
          return out;
        }""",
        group,
    )
    return found


def _last_temperature(page: Page) -> float:
    return float(
        page.evaluate(
            "() => { const d = document.querySelector("
            "'#mission-run-graph-temperature .js-plotly-plot').data[0].y;"
            " return d[d.length - 1]; }"
        )
    )


@pytest.fixture
def admin_page(new_page: PageFactory, live_server: LiveServer) -> Page:
    page = new_page()
    login(page, live_server.admin_user, live_server.admin_password)
    return page


@pytest.fixture
def experiment(admin_page: Page) -> dict[str, Any]:
    status, body = api_json(
        admin_page,
        "POST",
        "/api/v1/experiments",
        {"name": unique("Mission "), "organism": "E. coli K-12", "arms": FLIGHT_AND_GROUND},
    )
    assert status == 201, body
    return dict(body)


def _new_operator(admin_page: Page) -> tuple[str, str]:
    username, password = unique("oper"), "Op-" + secrets.token_urlsafe(12)
    status, body = api_json(
        admin_page,
        "POST",
        "/api/v1/users",
        {"username": username, "password": password, "roles": ["operator"]},
    )
    assert status == 201, body
    return username, password


@pytest.fixture
def operator(admin_page: Page) -> tuple[str, str]:
    return _new_operator(admin_page)


def test_operator_runs_a_run(
    new_page: PageFactory, experiment: dict[str, Any], operator: tuple[str, str]
) -> None:
    page = new_page()
    login(page, *operator)
    goto_page(page, "/mission")
    form = "mission-new-run"
    flight = experiment["arms"][0]["id"]
    name = unique("Flight run ")

    # Plan the run with the form; a refusal first shows beside its field.
    page.select_option(control(form, "experiment"), f"{experiment['id']}:{flight}")
    page.click(f"#{form}-submit")
    expect(page.locator(error_of(form, "name"))).to_contain_text("Name")
    page.fill(control(form, "name"), name)
    page.click(f"#{form}-submit")
    page.wait_for_url("**/mission/runs/*")
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("#mission-run-state")).to_contain_text("planned")
    expect(page.get_by_role("button", name="Pause")).to_be_disabled()

    # Start: the controller acknowledges, the badge and the buttons follow.
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#mission-run-state")).to_contain_text("running", timeout=15_000)
    expect(page.get_by_role("button", name="Start")).to_be_disabled()
    expect(page.locator("#mission-run-started")).not_to_have_text("not yet")

    # The chart moves: points are appended (extendData), not a new figure each second.
    wait_until(page, lambda: _points(page) > 0, "the first temperature readings", CONTROLLER_S)
    before = _points(page)
    page.wait_for_timeout(3_000)
    assert _points(page) >= before + 2, f"{before} → {_points(page)} points in 3 s"

    # A setpoint out of range is refused beside the field; a good one reaches the history.
    setpoint = "mission-run-setpoint"
    page.select_option(control(setpoint, "parameter"), "chamber-1|temperature_c")
    expect(page.locator("#mission-run-setpoint-unit")).to_have_text("°C")
    page.fill(control(setpoint, "value"), "60")
    page.click("#mission-run-setpoint-preview")
    expect(page.locator(error_of(setpoint, "value"))).to_contain_text("within range")
    expect(page.locator(error_of(setpoint, "value"))).to_contain_text("4 to 45")
    page.fill(control(setpoint, "value"), "30")
    page.click("#mission-run-setpoint-preview")
    expect(page.locator("#mission-run-setpoint-result")).to_contain_text("Nothing was sent")
    page.click(f"#{setpoint}-submit")
    row = page.locator(".msg-mission-command-row[data-kind='setpoint']").filter(
        has_text="temperature_c = 30 °C"
    )
    expect(row).to_contain_text(operator[0], timeout=10_000)
    expect(row).to_contain_text("acknowledged", timeout=CONTROLLER_S * 1000)

    # A warning limit below the temperature now raises an alarm (3 samples), acknowledged.
    warn_high = max(3.0, round(_last_temperature(page) - 1.0, 1))
    page.select_option(control("mission-run-limits", "parameter"), "temperature_c")
    page.fill(control("mission-run-limits", "warn_high"), f"{warn_high}")
    page.click("#mission-run-limits-submit")
    expect(page.locator("#mission-run-limits-result")).to_contain_text("saved")
    # The chart draws the new line; the default limits far from the readings (warning low 2,
    # critical low 0, critical high 50) are named in one note per edge, and no words are
    # written over others, on a desktop or a phone (the walkthrough found the bottom note
    # printed over "warning high 29").
    chart = page.locator("#mission-run-graph-temperature")
    expect(chart.locator(".shape-label-text")).to_contain_text(
        f"warning high {warn_high:g}", timeout=CONTROLLER_S * 1000
    )
    expect(chart.locator(".annotation-text")).to_have_text(
        ["▲ critical high 50 °C", "▼ warning low 2 · critical low 0 °C"]
    )
    assert not _overlapping_limit_words(page, "temperature")
    desktop = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(500)  # the figure follows the window (responsive)
    assert not _overlapping_limit_words(page, "temperature")
    if desktop:
        page.set_viewport_size(desktop)
    ack = page.locator("#mission-run-alarms").get_by_role("button", name="Acknowledge")
    expect(ack).to_be_visible(timeout=CONTROLLER_S * 1000)
    expect(page.locator("#mission-run-alarms")).to_contain_text("above the warning limit")
    screenshot(page, "mission_run_alarm")
    ack.click()
    expect(page.locator("#mission-run-alarm-alert")).to_contain_text("acknowledged")
    expect(page.locator("#mission-run-alarms")).to_contain_text(f"by {operator[0]}")

    # Abort asks first and names the two-person rule; keep running instead.
    page.get_by_role("button", name="Abort…").click()
    expect(page.locator("#mission-run-abort-modal")).to_contain_text("second operator")
    page.click("#mission-run-abort-cancel")

    # Stop: the run completes and the live updates stop.
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("#mission-run-state")).to_contain_text(
        "completed", timeout=CONTROLLER_S * 1000
    )
    expect(page.get_by_role("button", name="Resume")).to_be_disabled()
    # The alert said the stop was queued; once it is done it says how it ended instead.
    alert = page.locator("#mission-run-command-alert")
    expect(alert).to_contain_text("Stop done (command #")
    expect(alert).to_contain_text("The run is completed.")
    expect(alert).not_to_contain_text("queued")
    screenshot(page, "mission_run_completed")


def test_scientist_sees_state_but_no_controls(
    new_page: PageFactory, live_server: LiveServer, admin_page: Page, experiment: dict[str, Any]
) -> None:
    name = unique("Watched run ")
    status, run = api_json(
        admin_page, "POST", f"/api/v1/experiments/{experiment['id']}/runs", {"name": name}
    )
    assert status == 201, run
    page = new_page()
    login(page, live_server.sci_user, live_server.sci_password)
    goto_page(page, f"/mission/runs/{run['id']}")
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("#mission-run-state")).to_contain_text("planned")
    expect(page.locator("#mission-run-links")).to_contain_text("chamber-1")
    expect(page.locator("#mission-run-graph-temperature")).to_be_attached()
    for absent in ("Start", "Stop", "Pause", "Send", "Save limits"):
        expect(page.get_by_role("button", name=absent)).to_have_count(0)
    expect(page.locator("#mission-run-setpoint")).to_have_count(0)
    goto_page(page, "/mission")
    expect(page.locator("#_pages_content")).to_contain_text(name)
    expect(page.locator("#mission-new-run")).to_have_count(0)


def test_two_operators_abort_a_run(
    new_page: PageFactory, admin_page: Page, experiment: dict[str, Any], operator: tuple[str, str]
) -> None:
    """The two-person rule in the browser: A requests the abort and waits; B approves it."""
    second = _new_operator(admin_page)
    name = unique("Aborted run ")
    status, run = api_json(
        admin_page,
        "POST",
        f"/api/v1/experiments/{experiment['id']}/runs",
        {"name": name, "arm_id": experiment["arms"][1]["id"]},
    )
    assert status == 201, run
    path = f"/mission/runs/{run['id']}"

    # The runs grid follows the new run's start by itself, keeping the user's sort.
    grid = new_page()
    login(grid, *second)
    goto_page(grid, "/mission?sort=name")
    row = grid.locator("#mission-runs-grid .ag-row").filter(has_text=name)
    expect(row).to_contain_text("planned")
    status, _ = api_json(admin_page, "POST", f"/api/v1/runs/{run['id']}/start", {})
    assert status == 202
    expect(row).to_contain_text("running", timeout=CONTROLLER_S * 1000)
    assert "sort=name" in grid.url
    expect(grid.locator(".ag-header-cell[col-id='name']")).to_have_attribute(
        "aria-sort", "ascending"
    )
    grid.close()

    a = new_page()
    login(a, *operator)
    goto_page(a, path)
    expect(a.locator("#mission-run-state")).to_contain_text("running")
    a.get_by_role("button", name="Abort…").click()
    a.click("#mission-run-abort-confirm")
    expect(a.locator("#mission-run-command-alert")).to_contain_text("second operator")
    own = a.locator("#mission-run-approvals .msg-mission-approval")
    expect(own).to_contain_text("Waiting for another operator")
    expect(own).to_contain_text("requested by you")
    expect(a.get_by_role("button", name="Approve abort")).to_have_count(0)

    b = new_page()
    login(b, *second)
    goto_page(b, path)
    theirs = b.locator("#mission-run-approvals .msg-mission-approval")
    expect(theirs).to_contain_text(f"requested by {operator[0]}")
    expect(theirs).to_contain_text("Needs your approval")
    b.get_by_role("button", name="Approve abort").click()
    expect(b.locator("#mission-run-approval-alert")).to_contain_text("approved")
    expect(b.locator("#mission-run-state")).to_contain_text("aborted", timeout=CONTROLLER_S * 1000)
    # The requester's page follows: the run is aborted and nothing waits any more.
    expect(a.locator("#mission-run-state")).to_contain_text("aborted")
    expect(a.locator("#mission-run-approvals")).to_contain_text("Nothing waits for approval")
    screenshot(b, "mission_run_aborted")
