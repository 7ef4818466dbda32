"""Keyboard only: the experiment form is walked, filled and sent without a mouse.

Tab reaches every field in reading order, typing fills them, Enter on "Add arm" adds a row and
moves into it, Space on the submit button sends the form, the error summary takes the focus
and its links lead to the fields, and Enter in a field sends the form again.
"""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Page, expect

from .conftest import LiveServer, Problems, api_json, goto_page, login, screenshot, unique

FORM = "experiment-new"

# What a focused element is, in words a test can compare: "field:<path>", "#<id>", or
# "link:<text>" / "button:<accessible name>".
_FOCUSED_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'body';
  let parsed = null;
  if (el.id && el.id.startsWith('{')) {
    try { parsed = JSON.parse(el.id); } catch (e) { /* not JSON */ }
  }
  if (parsed && parsed.field) return 'field:' + parsed.field;
  if (el.id && !parsed) return '#' + el.id;
  const name = (el.getAttribute('aria-label') || el.innerText || '').trim();
  return el.tagName.toLowerCase() + ':' + name;
}
"""


def _focused(page: Page) -> str:
    return str(page.evaluate(_FOCUSED_JS))


def _tab(page: Page, *, back: bool = False) -> str:
    page.keyboard.press("Shift+Tab" if back else "Tab")
    return _focused(page)


def _tab_to(page: Page, target: str, limit: int = 40) -> list[str]:
    """Press Tab until ``target`` has the focus; the stops on the way, in order."""
    seen = [_focused(page)]
    while seen[-1] != target:
        assert len(seen) < limit, f"Tab never reached {target}: {seen}"
        seen.append(_tab(page))
    return seen


def _arm_stops(index: int) -> list[str]:
    where = f"field:arms[{index}]"
    return [
        f"{where}.name",
        f"{where}.spaceflight",
        f"{where}.gravity_g",
        f"{where}.description",
        f"button:Remove arm {index + 1}",
    ]


def _type_over(page: Page, text: str) -> None:
    """Replace the focused field's text by typing (select all, then type)."""
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_experiment_form_by_keyboard_alone(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    goto_page(page, "/experiments/new")
    name = unique("Keyboard walk ")

    # From the top of the page: the skip link, then into the main content.
    page.keyboard.press("Tab")
    expect(page.locator("a.msg-skip")).to_be_focused()
    page.keyboard.press("Enter")
    assert _focused(page) == "#main-content"

    # Every field in reading order, then the arms row by row, "Add arm", submit, cancel.
    stops = _tab_to(page, f"#{FORM}-cancel")
    form_stops = stops[stops.index("field:name") :]
    assert form_stops == [
        "field:name",
        "field:organism",
        "field:mission",
        "field:hardware",
        "field:osdr_accession",
        "field:description",
        *_arm_stops(0),
        *_arm_stops(1),
        f"#{FORM}-add-arm",
        f"#{FORM}-submit",
        f"#{FORM}-cancel",
    ], stops
    # The hidden hypergravity question is not a stop until it is asked.
    assert f"#{FORM}-confirm-hypergravity" not in stops

    # Back to the top of the form, typing as we go.
    while _focused(page) != "field:name":
        _tab(page, back=True)
    page.keyboard.type(name)
    _tab(page)  # organism: left empty on purpose, to meet an error
    assert _tab(page) == "field:mission"
    page.keyboard.type("SpaceX CRS-25")
    _tab(page)
    assert _tab(page) == "field:osdr_accession"
    page.keyboard.type("OSD-379")
    assert _tab(page) == "field:description"
    page.keyboard.type("Walked by keyboard.")

    # Add a third arm: Enter on the button, and the focus lands in the new row.
    assert _tab_to(page, f"#{FORM}-add-arm")[-1] == f"#{FORM}-add-arm"
    page.keyboard.press("Enter")
    expect(page.locator(f"[id='{_json_id('arms[2].name')}']")).to_be_focused()
    _type_over(page, "centrifuge 2 g")
    assert _tab(page) == "field:arms[2].spaceflight"
    page.keyboard.press("s")  # the closed select jumps to "Space Flight"
    assert _tab(page) == "field:arms[2].gravity_g"
    _type_over(page, "2")
    assert _tab(page) == "field:arms[2].description"
    page.keyboard.type("short-arm centrifuge")

    # Send with Space on the submit button: the missing organism is reported.
    assert _tab_to(page, f"#{FORM}-submit")[-1] == f"#{FORM}-submit"
    page.keyboard.press("Space")
    summary = page.locator(f"#{FORM}-summary")
    expect(summary).to_contain_text("Organism is required.")
    expect(summary).to_be_focused()
    # The summary's link leads to the field.
    assert _tab(page).startswith("a:Organism is required")
    page.keyboard.press("Enter")
    organism = page.locator(f"[id='{_json_id('organism')}']")
    expect(organism).to_be_focused()
    expect(organism).to_have_attribute("aria-invalid", "true")
    screenshot(page, "keyboard_walk_error")
    page.keyboard.type("Escherichia coli REL606")

    # Enter in a field sends the form; the result is the experiment's own page.
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/experiments/\d+\?created=1$"))
    expect(page.locator("#_pages_content h1")).to_have_text(name)
    expect(page.locator("#experiment-message")).to_contain_text("with 3 arms")

    status, body = api_json(page, "GET", "/api/v1/experiments")
    assert status == 200
    (stored,) = [e for e in body if e["name"] == name]
    assert _summary(stored) == {
        "organism": "Escherichia coli REL606",
        "mission": "SpaceX CRS-25",
        "osdr_accession": "OSD-379",
        "description": "Walked by keyboard.",
        "arms": [
            ("flight µg", "Space Flight", 0.0, ""),
            ("ground 1 g", "Ground Control", 1.0, ""),
            ("centrifuge 2 g", "Space Flight", 2.0, "short-arm centrifuge"),
        ],
    }
    problems.assert_clean("keyboard walk")


def _json_id(field: str) -> str:
    return json.dumps({"field": field, "form": FORM}, separators=(",", ":"))


def _summary(stored: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: stored[k] for k in ("organism", "mission", "osdr_accession", "description")},
        "arms": [
            (a["name"], a["spaceflight"], a["gravity_g"], a["description"]) for a in stored["arms"]
        ],
    }
