"""A second factor as a person sets it up and uses it: enrol on the Account page (QR code
and key), log out, log in with the password and then the code."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlsplit

import pyotp
from playwright.sync_api import expect

from dashboard.config import load_settings
from dashboard.db import Database
from dashboard.services import accounts, second_factor
from dashboard.services.actor import cli_actor

from .conftest import (
    LiveServer,
    PageFactory,
    goto_page,
    login,
    screenshot,
    unique,
    wait_for_dash,
)


def _code(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + steps_ahead * second_factor.STEP_S)


def _own_user(server: LiveServer) -> tuple[str, str]:
    """A user of this test only (a second factor on a shared user would stop other tests),
    written straight into the server's database: quicker than a browser or a command."""
    name, password = unique("totp"), "Totp-" + secrets.token_urlsafe(16)
    db = Database(load_settings({}, data_dir=server.data_dir).database_url)
    try:
        accounts.create_user(db, cli_actor("browser-test"), name, password, ["scientist"])
    finally:
        db.dispose()
    return name, password


def test_enrol_on_the_account_page_then_log_in_with_the_code(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    username, password = _own_user(live_server)
    page = new_page()
    page.emulate_media(color_scheme="light")
    problems = new_page.problems(page)
    login(page, username, password)
    goto_page(page, "/account")

    page.click("#account-2fa-start")
    qr = page.locator("#account-2fa-qr")
    expect(qr).to_be_visible()
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    box = qr.bounding_box()
    assert box is not None
    assert box["width"] >= 150  # big enough for a phone's camera
    secret = page.locator("#account-2fa-secret").inner_text().replace(" ", "")
    assert len(secret) == 32
    screenshot(page, "second-factor-enrol-light")
    page.fill("#account-2fa-code", _code(secret))
    page.press("#account-2fa-code", "Enter")
    codes = page.locator("#account-2fa-code-list li")
    expect(codes).to_have_count(second_factor.RECOVERY_CODE_COUNT)
    expect(page.locator("#account-2fa-state")).to_contain_text("On")
    expect(page.locator("#account-2fa-enrol")).to_be_hidden()

    page.click("#user-menu")
    with page.expect_navigation():
        page.locator("#logout-link").click()

    page.goto("/login?next=/experiments")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#login-submit")
    assert urlsplit(page.url).path == "/login/code"
    expect(page.locator("h1")).to_have_text("Second factor")
    screenshot(page, "second-factor-code-light")
    # The enrolment used this step's code; the app's next one is accepted within the window.
    page.fill("#code", _code(secret, 1))
    with page.expect_navigation():
        page.click("#code-submit")
    wait_for_dash(page)
    assert urlsplit(page.url).path == "/experiments"
    expect(page.locator("#_pages_content h1")).to_have_text("Experiments")
    problems.assert_clean("second factor")
