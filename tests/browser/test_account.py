"""The account page as a person uses it: keyboard only, refusals beside their fields, token
times with date, time and zone, and a phone screen."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from dashboard.services import accounts

from .conftest import LiveServer, PageFactory, goto_page, login, screenshot
from .design_support import create_account

PAGE = "/account"
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$")
PHONE = {"width": 390, "height": 844}


def _described_by(page: Page, field_id: str) -> list[str]:
    value = page.locator(f"#{field_id}").get_attribute("aria-describedby") or ""
    return value.split()


def test_refusals_stand_by_their_fields_and_tokens_show_date_time_and_zone(
    new_page: PageFactory, live_server: LiveServer, browser: Browser
) -> None:
    account = create_account(live_server, browser, "acct", ["reviewer"])
    page = new_page()
    problems = new_page.problems(page)
    login(page, account.username, account.password)
    goto_page(page, PAGE)
    expect(page.locator("#_pages_content h1")).to_have_text("Your account")

    # The rule sits under the new-password field and is read out with it.
    rule = page.locator("#account-password-rule")
    expect(rule).to_have_text(accounts.PASSWORD_RULE)
    assert "account-password-rule" in _described_by(page, "account-new-password")

    # Keyboard only: Enter submits, the refusal appears beside the field it names.
    page.fill("#account-current-password", account.password)
    page.fill("#account-new-password", "short")
    page.fill("#account-confirm-password", "short")
    page.press("#account-confirm-password", "Enter")
    refusal = page.locator("#account-new-password-feedback")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(str(accounts.PASSWORD_MIN))
    new = page.locator("#account-new-password")
    expect(new).to_have_attribute("aria-invalid", "true")
    assert "account-new-password-feedback" in _described_by(page, "account-new-password")
    expect(page.locator("#account-confirm-password")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#account-password-alert")).to_be_empty()

    # A token without a name is refused beside the name; with one, it is listed.
    page.press("#account-token-name", "Enter")
    expect(page.locator("#account-token-name-feedback")).to_contain_text("required")
    expect(page.locator("#account-token-name")).to_have_attribute("aria-invalid", "true")
    page.fill("#account-token-name", "notebook")
    page.press("#account-token-name", "Enter")
    expect(page.locator("#account-token-secret")).to_be_visible()
    expect(page.locator("#account-token-name")).not_to_have_attribute("aria-invalid", "true")
    row = page.locator("#account-token-list tbody tr").filter(has_text="notebook")
    created = row.locator("td").nth(2)
    expect(created).to_have_text(MOMENT)
    assert created.locator("time").get_attribute("datetime", timeout=1000)
    expect(row.locator("td").nth(3)).to_have_text("never")
    problems.assert_clean(PAGE)


def test_account_page_fits_a_phone(
    new_page: PageFactory, live_server: LiveServer, browser: Browser
) -> None:
    account = create_account(live_server, browser, "acctphone", ["reviewer"])
    page = new_page()
    problems = new_page.problems(page)
    page.set_viewport_size(PHONE)
    login(page, account.username, account.password)
    goto_page(page, PAGE)
    for name in ("notebook", "a script with a rather long name"):
        page.fill("#account-token-name", name)
        page.click("#account-token-create")
        expect(page.locator("#account-token-list tbody tr").filter(has_text=name)).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    table = page.locator("#account-token-list .table-responsive")
    assert table.evaluate("t => t.scrollWidth <= t.clientWidth"), "token table scrolls sideways"
    screenshot(page, "account-phone")
    problems.assert_clean(f"{PAGE} on a phone")
