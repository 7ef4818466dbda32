"""A scientist creates an experiment in its own view, opens it and edits it in another.

The form shows every error beside its field at once (``aria-invalid``, an announced summary),
asks before hypergravity is saved, and warns before unsaved changes are left behind.
"""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from .conftest import LiveServer, Problems, api_json, goto_page, login, screenshot, unique

NEW = "experiment-new"
EDIT = "experiment-edit"
OSDR_STUDIES = "https://osdr.nasa.gov/bio/repo/data/studies/"
FLIGHT_AND_GROUND = [
    {"name": "flight µg", "spaceflight": "Space Flight", "gravity_g": 0},
    {"name": "ground 1 g", "spaceflight": "Ground Control", "gravity_g": 1},
]


def _dom_id(component_id: dict[str, str]) -> str:
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def control(page: Page, form: str, field: str) -> Locator:
    """The input, select or textarea of ``field`` in ``form`` (its id is a pattern-matching
    id, which Dash writes into the DOM as sorted JSON)."""
    return page.locator(f"[id='{_dom_id({'form': form, 'field': field})}']")


def error_of(page: Page, form: str, field: str) -> Locator:
    """Where ``field``'s error shows, beside it."""
    return page.locator(f"[id='{_dom_id({'form': form, 'field': field, 'part': 'error'})}']")


def _experiments(page: Page) -> list[dict[str, Any]]:
    status, body = api_json(page, "GET", "/api/v1/experiments")
    assert status == 200, f"GET /api/v1/experiments answered {status}: {body}"
    assert isinstance(body, list)
    return body


def _create_by_api(page: Page, prefix: str) -> dict[str, Any]:
    body = {
        "name": unique(prefix),
        "organism": "Deinococcus radiodurans R1",
        "arms": FLIGHT_AND_GROUND,
    }
    status, created = api_json(page, "POST", "/api/v1/experiments", body)
    assert status == 201, created
    return dict(created)


def _open_new_form(page: Page) -> None:
    goto_page(page, "/experiments/new")
    expect(page.locator("#_pages_content h1")).to_have_text("New experiment")
    expect(page).to_have_title("New experiment · MicroSpaceGen")
    # Prefilled with a flight arm and its ground control.
    expect(control(page, NEW, "arms[0].name")).to_have_value("flight µg")
    expect(control(page, NEW, "arms[1].name")).to_have_value("ground 1 g")
    expect(control(page, NEW, "arms[1].gravity_g")).to_have_value("1")


def expect_invalid(page: Page, form: str, field: str, message: str | re.Pattern[str]) -> None:
    """``field`` is marked invalid for people and assistive technology, message beside it."""
    box = control(page, form, field)
    error = error_of(page, form, field)
    expect(box).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(error).to_be_visible()
    expect(error).to_have_text(message)
    error_id = error.get_attribute("id")
    assert error_id
    expect(box).to_have_attribute("aria-describedby", re.compile(re.escape(error_id)))


def expect_valid(page: Page, form: str, field: str) -> None:
    box = control(page, form, field)
    expect(box).not_to_have_class(re.compile(r"\bis-invalid\b"))
    expect(box).not_to_have_attribute("aria-invalid", "true")
    expect(error_of(page, form, field)).to_be_hidden()


def test_scientist_creates_opens_and_edits_an_experiment(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    name = unique("BRIC-23 browser ")
    _open_new_form(page)
    control(page, NEW, "name").fill(name)
    control(page, NEW, "organism").fill("Escherichia coli K-12 MG1655")
    control(page, NEW, "osdr_accession").fill("osd-379")
    control(page, NEW, "description").fill("Created by the browser suite.")
    page.click(f"#{NEW}-submit")

    # Saved: the experiment's own page, with a success message.
    page.wait_for_url(re.compile(r"/experiments/\d+\?created=1$"))
    content = page.locator("#_pages_content")
    expect(content.locator("h1")).to_have_text(name)
    expect(page.locator("#experiment-message")).to_contain_text(
        f"Created experiment '{name}' with 2 arms."
    )
    expect(page).to_have_title(f"{name} · MicroSpaceGen")  # the tab names the experiment
    crumbs = page.locator(".msg-page-header .breadcrumb")
    expect(crumbs).to_have_text(
        re.compile(rf"Overview\s*›?\s*Experiments\s*›?\s*{re.escape(name)}")
    )
    created = [e for e in _experiments(page) if e["name"] == name]
    assert len(created) == 1
    experiment = created[0]
    assert experiment["created_by"] == live_server.sci_user
    assert experiment["version"] == 1
    assert experiment["osdr_accession"] == "OSD-379"
    assert [(a["name"], a["spaceflight"], a["gravity_g"]) for a in experiment["arms"]] == [
        ("flight µg", "Space Flight", 0.0),
        ("ground 1 g", "Ground Control", 1.0),
    ]
    # Arms with flight / ground as badges; the OSDR accession links out, and only there.
    arms = page.locator("#experiment-arms")
    expect(arms.locator(".badge", has_text="Space Flight")).to_have_count(1)
    expect(arms.locator(".badge", has_text="Ground Control")).to_have_count(1)
    osdr = page.locator("#experiment-osdr-link")
    expect(osdr).to_have_attribute("href", OSDR_STUDIES + "OSD-379")
    expect(osdr).to_have_attribute("target", "_blank")
    expect(osdr).to_have_attribute("rel", "noopener noreferrer")
    expect(osdr.locator(".bi-box-arrow-up-right")).to_have_count(1)
    screenshot(page, "scientist_experiment_created")

    # Edit, beside the title, opens its own view (the details are not repeated above it).
    page.locator("#experiment-edit-link").click()
    page.wait_for_url(re.compile(rf"/experiments/{experiment['id']}/edit$"))
    expect(content.locator("h1")).to_have_text(f"Edit {name}")
    expect(page).to_have_title(f"Edit {name} · MicroSpaceGen")
    expect(page.locator("#experiment-arms")).to_have_count(0)
    organism = control(page, EDIT, "organism")
    expect(organism).to_have_value("Escherichia coli K-12 MG1655")
    organism.fill("Bacillus subtilis 168")
    control(page, EDIT, "arms[1].gravity_g").fill("0.5")
    page.click(f"#{EDIT}-submit")

    page.wait_for_url(re.compile(rf"/experiments/{experiment['id']}\?saved=2$"))
    expect(page.locator("#experiment-message")).to_contain_text("Saved version 2.")
    expect(content).to_contain_text("Bacillus subtilis 168")
    # History as readable "field: old → new" lines, with times.
    history = page.locator("#experiment-history")
    expect(history).to_contain_text(
        "Organism: Escherichia coli K-12 MG1655 → Bacillus subtilis 168"
    )
    expect(history).to_contain_text("Arm “ground 1 g”: Ground Control, 1 g → Ground Control, 0.5 g")
    expect(history.locator("time.msg-time")).to_have_count(2)
    screenshot(page, "scientist_experiment_edited")

    status, stored = api_json(page, "GET", f"/api/v1/experiments/{experiment['id']}")
    assert status == 200
    assert (stored["organism"], stored["version"], stored["name"]) == (
        "Bacillus subtilis 168",
        2,
        name,
    )
    assert stored["arms"][1]["gravity_g"] == 0.5
    problems.assert_clean("experiment flow")


def test_every_error_shows_beside_its_field_at_once(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    before = len(_experiments(page))
    _open_new_form(page)
    control(page, NEW, "organism").fill("Escherichia coli K-12 MG1655")
    control(page, NEW, "osdr_accession").fill("GLDS-12")
    control(page, NEW, "arms[0].gravity_g").fill("-1")
    control(page, NEW, "arms[1].name").fill("Flight  µg")  # a look-alike of arm 1's name
    page.click(f"#{NEW}-submit")

    expect_invalid(page, NEW, "name", "Name is required.")
    expect_invalid(
        page, NEW, "osdr_accession", "OSDR accession must look like OSD-379, not 'GLDS-12'."
    )
    expect_invalid(
        page,
        NEW,
        "arms[0].gravity_g",
        "Arm 1 gravity cannot be negative (got -1 g): 0 is microgravity, the least there is.",
    )
    expect_invalid(page, NEW, "arms[1].name", re.compile("arm names must differ"))
    for field in ("organism", "mission", "arms[0].name", "arms[1].gravity_g"):
        expect_valid(page, NEW, field)
    # Required fields say so to assistive technology too.
    expect(control(page, NEW, "name")).to_have_attribute("aria-required", "true")
    expect(control(page, NEW, "mission")).not_to_have_attribute("aria-required", "true")

    # The summary is announced (role=alert), lists every problem, and takes the focus.
    summary = page.locator(f"#{NEW}-summary")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.locator("li")).to_have_count(4)
    expect(summary).to_contain_text("4 problems")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Arm 1 gravity cannot be negative", exact=False).click()
    expect(control(page, NEW, "arms[0].gravity_g")).to_be_focused()
    screenshot(page, "experiment_form_errors")

    # Fixing one field and sending again clears its error and keeps the others.
    control(page, NEW, "arms[0].gravity_g").fill("0")
    page.click(f"#{NEW}-submit")
    expect_valid(page, NEW, "arms[0].gravity_g")
    expect_invalid(page, NEW, "name", "Name is required.")
    expect(summary.locator("li")).to_have_count(3)
    # What was typed stays, so the user can fix it.
    expect(control(page, NEW, "organism")).to_have_value("Escherichia coli K-12 MG1655")
    page.wait_for_load_state("networkidle")
    assert len(_experiments(page)) == before
    problems.assert_clean("refused create")


def test_hypergravity_asks_for_a_confirmation(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    name = unique("Centrifuge browser ")
    _open_new_form(page)
    control(page, NEW, "name").fill(name)
    control(page, NEW, "organism").fill("Bacillus subtilis 168")
    control(page, NEW, "arms[1].gravity_g").fill("9.81")  # Earth typed in m/s²
    confirm_box = page.locator(f"#{NEW}-confirm-box")
    expect(confirm_box).to_be_hidden()
    page.click(f"#{NEW}-submit")

    expect_invalid(
        page,
        NEW,
        "arms[1].gravity_g",
        "Arm 2 “ground 1 g” is set to 9.81 g: hypergravity (centrifuge) is intended? "
        "Confirm it, or give gravity in g (9.81 m/s² = 1 g).",
    )
    expect(confirm_box).to_be_visible()
    expect(confirm_box).to_contain_text("arm 2 “ground 1 g” (9.81 g)")
    checkbox = page.locator(f"#{NEW}-confirm-hypergravity")
    expect(checkbox).to_have_attribute("aria-invalid", "true")
    expect(checkbox).not_to_be_checked()
    screenshot(page, "experiment_form_hypergravity")
    assert not [e for e in _experiments(page) if e["name"] == name]

    checkbox.check()
    page.click(f"#{NEW}-submit")
    page.wait_for_url(re.compile(r"/experiments/\d+\?created=1$"))
    (stored,) = [e for e in _experiments(page) if e["name"] == name]
    assert [a["gravity_g"] for a in stored["arms"]] == [0.0, 9.81]
    expect(page.locator("#experiment-arms")).to_contain_text("9.81 g")
    problems.assert_clean("hypergravity confirmed")


def test_arms_are_added_and_removed_in_the_form(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    name = unique("Three arms ")
    _open_new_form(page)
    control(page, NEW, "name").fill(name)
    control(page, NEW, "organism").fill("Saccharomyces cerevisiae")
    page.click(f"#{NEW}-add-arm")
    third = control(page, NEW, "arms[2].name")
    expect(third).to_have_value("arm 3")
    expect(third).to_be_focused()  # the new row takes the focus
    third.fill("clinostat")
    control(page, NEW, "arms[2].gravity_g").fill("0.001")
    # Remove arm 1: the rest move up, keeping what was typed.
    page.get_by_role("button", name="Remove arm 1").click()
    expect(control(page, NEW, "arms[0].name")).to_have_value("ground 1 g")
    expect(control(page, NEW, "arms[1].name")).to_have_value("clinostat")
    expect(control(page, NEW, "arms[2].name")).to_have_count(0)
    expect(page.locator(f"#{NEW}-add-arm")).to_be_focused()
    page.click(f"#{NEW}-submit")
    page.wait_for_url(re.compile(r"/experiments/\d+\?created=1$"))
    (stored,) = [e for e in _experiments(page) if e["name"] == name]
    assert [(a["name"], a["gravity_g"]) for a in stored["arms"]] == [
        ("ground 1 g", 1.0),
        ("clinostat", 0.001),
    ]
    problems.assert_clean("arms edited")


def test_edit_with_empty_organism_is_refused(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    created = _create_by_api(page, "Refused edit ")
    goto_page(page, f"/experiments/{created['id']}/edit")
    control(page, EDIT, "organism").fill("")
    page.click(f"#{EDIT}-submit")
    expect_invalid(page, EDIT, "organism", "Organism is required.")
    expect(page).to_have_url(re.compile(rf"/experiments/{created['id']}/edit$"))
    status, stored = api_json(page, "GET", f"/api/v1/experiments/{created['id']}")
    assert status == 200
    assert (stored["organism"], stored["version"]) == ("Deinococcus radiodurans R1", 1)
    problems.assert_clean("refused edit")


def test_a_stale_edit_is_refused_not_overwritten(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    created = _create_by_api(page, "Stale edit ")
    goto_page(page, f"/experiments/{created['id']}/edit")
    control(page, EDIT, "organism").fill("my edit")
    # Someone else saves first.
    status, _ = api_json(
        page,
        "PATCH",
        f"/api/v1/experiments/{created['id']}",
        {"organism": "their edit", "version": 1},
    )
    assert status == 200
    page.click(f"#{EDIT}-submit")
    summary = page.locator(f"#{EDIT}-summary")
    expect(summary).to_contain_text("was changed by someone else (now version 2, you edited 1)")
    expect(summary.get_by_role("link", name="See the saved version")).to_have_attribute(
        "href", f"/experiments/{created['id']}"
    )
    status, stored = api_json(page, "GET", f"/api/v1/experiments/{created['id']}")
    assert (stored["organism"], stored["version"]) == ("their edit", 2)
    problems.assert_clean("stale edit")


def test_unsaved_changes_warn_before_leaving(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    created = _create_by_api(page, "Unsaved ")
    edit_path = f"/experiments/{created['id']}/edit"
    goto_page(page, edit_path)
    dialogs: list[tuple[str, str]] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.on("dialog", dismiss)
    # Untouched: leaving asks nothing.
    page.locator(".breadcrumb a", has_text=created["name"]).click()
    page.wait_for_url(re.compile(rf"/experiments/{created['id']}$"))
    assert dialogs == []

    goto_page(page, edit_path)
    control(page, EDIT, "organism").fill("typed, never saved")
    # An in-app link asks first; staying keeps what was typed.
    page.locator("#experiment-edit-cancel").click()
    expect(page).to_have_url(re.compile(rf"{edit_path}$"))
    assert dialogs == [("confirm", "You have unsaved changes. Leave this page and lose them?")]
    expect(control(page, EDIT, "organism")).to_have_value("typed, never saved")
    assert page.evaluate("() => document.querySelector('form.msg-form').dataset.msgDirty") == "true"
    # Reloading, closing or leaving for another site asks through the browser.
    with page.expect_event("dialog"):
        page.close(run_before_unload=True)
    assert [kind for kind, _message in dialogs] == ["confirm", "beforeunload"]
    assert not page.is_closed()  # dismissed: the page and what was typed stay
    problems.assert_clean("unsaved changes")
