"""An admin reads the audit log, filters it and verifies its hash chain."""

from __future__ import annotations

from playwright.sync_api import expect

from .conftest import LiveServer, PageFactory, goto_page, login, screenshot


def test_admin_filters_and_verifies_the_audit_log(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    login(page, live_server.admin_user, live_server.admin_password)
    goto_page(page, "/admin/audit?action=auth.")
    grid = page.locator("#audit-grid")
    expect(grid).to_contain_text("auth.login")
    expect(grid).not_to_contain_text("user.create")
    expect(page.locator("#audit-page-info")).to_contain_text("events")
    expect(page.locator("#audit-chart .main-svg").first).to_be_visible()

    page.click("#audit-verify")
    result = page.locator("#audit-verify-result")
    expect(result).to_contain_text("Hash chain intact")
    expect(result).to_contain_text("events recomputed")
    screenshot(page, "admin_audit_verified")
    new_page.problems(page).assert_clean("/admin/audit verify")
