"""Light and dark themes and the time display: switched from the navbar, kept per user."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect

from .conftest import LiveServer, PageFactory, api_json, goto_page, login, unique, wait_until


def _new_user(new_page: PageFactory, live_server: LiveServer) -> tuple[str, str]:
    """A scientist of its own, so changing preferences cannot leak into other tests."""
    admin = new_page()
    login(admin, live_server.admin_user, live_server.admin_password)
    name, password = unique("theme"), "Theme-" + secrets.token_urlsafe(12)
    status, body = api_json(
        admin,
        "POST",
        "/api/v1/users",
        {"username": name, "password": password, "roles": ["scientist"]},
    )
    assert status == 201, body
    return name, password


def _scheme(page: Page) -> str:
    return str(page.evaluate("document.documentElement.dataset.bsTheme"))


def _colour(page: Page, selector: str, css_property: str) -> str:
    return str(
        page.evaluate(
            "([s, p]) => getComputedStyle(document.querySelector(s)).getPropertyValue(p)",
            [selector, css_property],
        )
    )


def test_system_setting_is_followed_until_the_user_picks(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    name, password = _new_user(new_page, live_server)
    page = new_page()
    page.emulate_media(color_scheme="dark")
    login(page, name, password)
    assert _scheme(page) == "dark"
    assert page.evaluate("document.documentElement.dataset.agThemeMode") == "dark"
    # The operating system switching to light is followed live, without a reload.
    page.emulate_media(color_scheme="light")
    wait_until(page, lambda: _scheme(page) == "light", "the page to follow the system to light")


def test_toggle_switches_everything_and_is_remembered(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    name, password = _new_user(new_page, live_server)
    page = new_page()
    page.emulate_media(color_scheme="light")
    login(page, name, password)
    light_body = _colour(page, "body", "background-color")
    navbar = _colour(page, "#navbar", "background-color")

    page.click("#msg-theme-menu")

    wait_until(page, lambda: _scheme(page) == "dark", "the dark scheme")
    assert _colour(page, "body", "background-color") != light_body
    # The brand navy stays in both modes (no Bootstrap bg-dark overriding it).
    assert _colour(page, "#navbar", "background-color") == navbar == "rgb(11, 29, 58)"
    wait_until(
        page,
        lambda: api_json(page, "GET", "/api/v1/me")[0] == 200 and _saved_theme(page) == "dark",
        "the choice to be saved",
    )
    # A new visit, on a light system, opens dark: the choice belongs to the user.
    other = new_page()
    other.emulate_media(color_scheme="light")
    login(other, name, password)
    assert _scheme(other) == "dark"
    assert other.evaluate("document.documentElement.dataset.msgTheme") == "dark"
    new_page.problems(page).assert_clean("theme toggle")


def _saved_theme(page: Page) -> str:
    response = page.context.request.get(page.url)
    html = response.text()
    return "dark" if 'data-msg-theme="dark"' in html else "other"


def test_figures_and_grids_follow_the_scheme(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    page.emulate_media(color_scheme="light")
    login(page, live_server.admin_user, live_server.admin_password)
    goto_page(page, "/admin/audit")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    light_font = page.evaluate("document.querySelector('.js-plotly-plot').layout.font.color")
    light_grid = _colour(page, ".ag-root-wrapper", "background-color")

    page.evaluate("window.msgTheme.set('dark')")

    wait_until(
        page,
        lambda: (
            page.evaluate("document.querySelector('.js-plotly-plot').layout.font.color")
            != light_font
        ),
        "the figure to be re-coloured",
    )
    assert _colour(page, ".ag-root-wrapper", "background-color") != light_grid
    page.evaluate("window.msgTheme.set('system')")  # leave the shared admin as it was
    new_page.problems(page).assert_clean("audit in dark")


def test_times_switch_between_utc_and_local(new_page: PageFactory, live_server: LiveServer) -> None:
    name, password = _new_user(new_page, live_server)
    page = new_page()
    page.context.clear_cookies()
    login(page, name, password)
    status, created = api_json(
        page,
        "POST",
        "/api/v1/experiments",
        {
            "name": unique("Time check "),
            "organism": "Bacillus subtilis 168",
            "arms": [{"name": "ground", "spaceflight": "Ground Control", "gravity_g": 1}],
        },
    )
    assert status == 201, created
    goto_page(page, "/")
    stamp = page.locator("time.msg-time").first
    expect(stamp).to_contain_text("UTC")
    expect(stamp).to_have_attribute("title", _ago())

    page.click("#user-menu")
    page.get_by_text("Times in local time").click()

    wait_until(
        page,
        lambda: page.evaluate("document.documentElement.dataset.msgTime") == "local",
        "local time to be chosen",
    )
    # The browser runs in UTC here, so the local rendering names its zone instead of "UTC".
    shown = stamp.evaluate("el => getComputedStyle(el, '::after').content")
    assert shown.strip('"') == stamp.get_attribute("data-local")
    expect(stamp.locator(".msg-time-utc")).to_be_hidden()
    new_page.problems(page).assert_clean("time display")


def _ago() -> re.Pattern[str]:
    return re.compile(r"(now|seconds? ago|minute ago|\d+ minutes ago) · ")
