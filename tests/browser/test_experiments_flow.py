"""A scientist creates an experiment in the browser, opens it and edits it."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from .conftest import LiveServer, Problems, api_json, goto_page, login, screenshot, unique

NEW = "#experiments-new"
EDIT = "#experiment-edit"


def _experiments(page: Page) -> list[dict[str, Any]]:
    status, body = api_json(page, "GET", "/api/v1/experiments")
    assert status == 200, f"GET /api/v1/experiments answered {status}: {body}"
    assert isinstance(body, list)
    return body


def _wait_expanded(page: Page, collapse_id: str) -> None:
    """Wait until a dbc.Collapse has finished opening (clicks during the animation get lost)."""
    expect(page.locator(f"#{collapse_id}")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    expect(page.locator(f"#{collapse_id}.collapsing")).to_have_count(0)


def _open_new_form(page: Page) -> None:
    goto_page(page, "/experiments")
    page.click("#experiments-new-button")
    _wait_expanded(page, "experiments-form-collapse")
    expect(page.locator(f"{NEW}-name")).to_be_visible()
    # The arms grid comes prefilled with a flight and a ground arm.
    arms = page.locator(f"{NEW}-arms")
    expect(arms).to_contain_text("flight µg")
    expect(arms).to_contain_text("ground 1 g")


def test_scientist_creates_opens_and_edits_an_experiment(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    name = unique("BRIC-23 browser ")
    _open_new_form(page)
    page.fill(f"{NEW}-name", name)
    page.fill(f"{NEW}-organism", "Escherichia coli K-12 MG1655")
    page.fill(f"{NEW}-description", "Created by the browser suite.")
    page.click(f"{NEW}-save")

    success = page.locator("#experiments-new-alert-outer")
    expect(success).to_contain_text(f"Created experiment '{name}' with 2 arms.")
    expect(page.locator(f"{NEW}-alert")).to_be_empty()
    # The form closes and clears the name for the next experiment.
    expect(page.locator("#experiments-form-collapse")).to_be_hidden()
    expect(page.locator(f"{NEW}-name")).to_have_value("")
    grid = page.locator("#experiments-grid")
    expect(grid).to_contain_text(name)
    expect(grid).to_contain_text("Escherichia coli K-12 MG1655")
    screenshot(page, "scientist_experiment_created")

    created = [e for e in _experiments(page) if e["name"] == name]
    assert len(created) == 1
    experiment = created[0]
    assert experiment["created_by"] == live_server.sci_user
    assert experiment["version"] == 1
    assert [(a["name"], a["spaceflight"], a["gravity_g"]) for a in experiment["arms"]] == [
        ("flight µg", "Space Flight", 0.0),
        ("ground 1 g", "Ground Control", 1.0),
    ]

    # Open it from the grid's link.
    link = grid.get_by_role("link", name=name)
    expect(link).to_have_attribute("href", f"/experiments/{experiment['id']}")
    link.click()
    page.wait_for_url(re.compile(rf"/experiments/{experiment['id']}$"))
    goto_page(page, f"/experiments/{experiment['id']}")  # settle (the link may load in-app)
    content = page.locator("#_pages_content")
    expect(content.locator("h1")).to_have_text(name)
    expect(content).to_contain_text("version 1")
    expect(page.locator("#experiment-arms")).to_contain_text("flight µg")

    # Edit the organism.
    page.click("#experiment-edit-button")
    _wait_expanded(page, "experiment-edit-collapse")
    organism = page.locator(f"{EDIT}-organism")
    expect(organism).to_be_visible()
    expect(organism).to_have_value("Escherichia coli K-12 MG1655")
    organism.fill("Bacillus subtilis 168")
    page.click(f"{EDIT}-save")
    expect(page.locator("#experiment-message")).to_contain_text("Saved version 2")
    expect(page.locator("#experiment-details")).to_contain_text("Bacillus subtilis 168")
    expect(page.locator("#experiment-details")).to_contain_text("version 2")
    expect(page.locator("#experiment-edit-collapse")).to_be_hidden()
    screenshot(page, "scientist_experiment_edited")

    status, stored = api_json(page, "GET", f"/api/v1/experiments/{experiment['id']}")
    assert status == 200
    assert stored["organism"] == "Bacillus subtilis 168"
    assert stored["version"] == 2
    assert stored["name"] == name
    problems.assert_clean("experiment flow")


def test_empty_name_is_refused_and_nothing_is_created(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    before = len(_experiments(page))
    _open_new_form(page)
    page.fill(f"{NEW}-name", "")
    page.fill(f"{NEW}-organism", "Escherichia coli K-12 MG1655")
    page.click(f"{NEW}-save")

    error = page.locator(f"{NEW}-alert")
    expect(error).to_contain_text("Name is required")
    expect(error.locator(".alert-danger")).to_be_visible()
    expect(page.locator("#experiments-new-alert-outer")).not_to_contain_text("Created")
    # The form stays open with what was typed, so the user can fix it.
    expect(page.locator(f"{NEW}-organism")).to_have_value("Escherichia coli K-12 MG1655")
    screenshot(page, "scientist_experiment_name_required")
    page.wait_for_load_state("networkidle")
    assert len(_experiments(page)) == before
    problems.assert_clean("refused create")


def test_edit_with_empty_organism_is_refused(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    body = {
        "name": unique("Refused edit "),
        "organism": "Deinococcus radiodurans R1",
        "arms": [{"name": "flight µg", "spaceflight": "Space Flight", "gravity_g": 0}],
    }
    status, created = api_json(page, "POST", "/api/v1/experiments", body)
    assert status == 201, created
    goto_page(page, f"/experiments/{created['id']}")
    page.click("#experiment-edit-button")
    _wait_expanded(page, "experiment-edit-collapse")
    page.fill(f"{EDIT}-organism", "")
    page.click(f"{EDIT}-save")
    expect(page.locator(f"{EDIT}-alert")).to_contain_text("Organism is required")
    expect(page.locator("#experiment-message")).to_be_empty()
    status, stored = api_json(page, "GET", f"/api/v1/experiments/{created['id']}")
    assert status == 200
    assert stored["organism"] == "Deinococcus radiodurans R1"
    assert stored["version"] == 1
    problems.assert_clean("refused edit")
