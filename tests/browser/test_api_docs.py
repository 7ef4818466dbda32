"""The API reference page: Swagger UI inside the app, from this server only, with your login."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import FrameLocator, Locator, Page, expect

from .conftest import LiveServer, PageFactory, api_json, goto_page, login, screenshot, unique

PAGE = "/api-docs"
FRAME = "#api-docs-frame"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}


def _reference(page: Page) -> FrameLocator:
    """The framed Swagger UI, once it has listed the operations."""
    frame = page.frame_locator(FRAME)
    expect(frame.locator(".opblock").first).to_be_visible()
    return frame


def _operation(frame: FrameLocator, tag: str, method: str, path: str) -> Locator:
    # Swagger UI's id of an operation: operations-<tag>-<method>_<path with _ for / { }>.
    slug = path.replace("/", "_").replace("{", "_").replace("}", "_")
    block = frame.locator(f"#operations-{tag}-{method}{slug}")
    expect(block).to_be_visible()
    return block


def _execute(block: Locator, body: str | None = None) -> tuple[str, str]:
    """Open an operation, try it out and execute it; the status code and response body."""
    block.locator(".opblock-summary").click()
    block.get_by_role("button", name="Try it out").click()
    if body is not None:
        block.locator("textarea.body-param__text").fill(body)
    block.get_by_role("button", name="Execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text(re.compile(r"^\s*\d{3}\s*$"))
    shown = block.locator(".live-responses-table tbody .response-col_description pre").first
    return status.inner_text().strip(), shown.inner_text()


def test_reference_lists_every_operation_cleanly(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    problems = new_page.problems(page)
    page.set_viewport_size(DESKTOP)
    login(page, live_server.sci_user, live_server.sci_password)
    goto_page(page, PAGE)
    expect(page).to_have_title("API reference · MicroSpaceGen")
    expect(page.locator("#_pages_content h1")).to_have_text("API reference")
    frame = _reference(page)
    paths = frame.locator(".opblock-summary-path").all_inner_texts()
    assert len(paths) >= 15, paths
    for path in ("/api/v1/experiments", "/api/v1/tokens", "/api/v1/jobs/{job_id}"):
        assert any(p.replace("\u200b", "") == path for p in paths), (path, paths)
    # The frame grows to fit its content: the page scrolls as one, the frame never.
    height = page.locator(FRAME).evaluate("f => f.getBoundingClientRect().height")
    inner = page.locator(FRAME).evaluate("f => f.contentDocument.body.scrollHeight")
    assert height >= inner > 900
    # The raw document is one click away.
    expect(page.get_by_role("link", name="OpenAPI document")).to_have_attribute(
        "href", "/api/v1/openapi.json"
    )
    screenshot(page, "api-docs-desktop")
    problems.assert_clean(PAGE)


def test_try_it_out_runs_with_the_session_cookie(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    problems = new_page.problems(page)
    page.set_viewport_size(DESKTOP)
    login(page, live_server.admin_user, live_server.admin_password)
    goto_page(page, PAGE)
    frame = _reference(page)
    status, body = _execute(_operation(frame, "api_system", "get", "/api/v1/me"))
    assert status == "200"
    assert f'"username": "{live_server.admin_user}"' in body
    # A state-changing call carries the cookie and passes the same-origin (CSRF) check.
    name = unique("swagger-")
    status, body = _execute(
        _operation(frame, "api_tokens", "post", "/api/v1/tokens"), f'{{"name": "{name}"}}'
    )
    assert status == "201", body
    created = [t for t in api_json(page, "GET", "/api/v1/tokens")[1] if t["name"] == name]
    assert len(created) == 1
    assert api_json(page, "DELETE", f"/api/v1/tokens/{created[0]['id']}")[0] == 200
    problems.assert_clean("try it out")


def test_reference_needs_a_login(page: Page) -> None:
    page.goto(PAGE)
    parts = urlsplit(page.url)
    assert parts.path == "/login"
    assert parse_qs(parts.query) == {"next": [PAGE]}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_reference_fits_a_phone_in_both_schemes(
    new_page: PageFactory, live_server: LiveServer, scheme: str
) -> None:
    page = new_page()
    problems = new_page.problems(page)
    page.set_viewport_size(PHONE)
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    login(page, live_server.sci_user, live_server.sci_password)
    goto_page(page, PAGE)
    frame = _reference(page)
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    inside = page.locator(FRAME).evaluate(
        "f => f.contentDocument.scrollingElement.scrollWidth <= f.clientWidth"
    )
    assert inside, "the reference scrolls sideways inside its frame"
    # Swagger UI's own dark theme follows the app's scheme.
    is_dark = frame.locator("html").evaluate("h => h.classList.contains('dark-mode')")
    assert is_dark is (scheme == "dark")
    screenshot(page, f"api-docs-phone-{scheme}")
    problems.assert_clean(f"{PAGE} on a phone, {scheme}")
