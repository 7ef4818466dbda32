"""An admin creates a user in the browser (in the "New user" dialog); the new user can log in."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from .conftest import LiveServer, PageFactory, api_json, goto_page, login, screenshot, unique


def _open_new_user_form(page: Page) -> None:
    page.click("#users-new-button")
    expect(page.locator("#users-create-modal")).to_be_visible()
    expect(page.locator("#users-new-username")).to_be_visible()


def test_admin_creates_user_who_can_log_in(new_page: PageFactory, live_server: LiveServer) -> None:
    admin = new_page()
    login(admin, live_server.admin_user, live_server.admin_password)
    goto_page(admin, "/admin/users")
    _open_new_user_form(admin)

    username = unique("op")
    password = "pw-" + unique("browser-")
    admin.fill("#users-new-username", username)
    admin.fill("#users-new-display", "Browser Operator")
    admin.fill("#users-new-password", password)
    roles = admin.locator("#users-new-roles")
    # scientist comes ticked; add operator.
    expect(roles.get_by_label("scientist")).to_be_checked()
    roles.get_by_label("operator").check()
    expect(roles.get_by_label("operator")).to_be_checked()
    admin.click("#users-create")

    alert = admin.locator("#users-create-alert")
    expect(alert).to_contain_text(f"Created {username} with roles")
    expect(alert).to_contain_text("operator")
    expect(alert).to_contain_text("scientist")
    expect(admin.locator("#users-grid")).to_contain_text(username)
    expect(admin.locator("#users-grid")).to_contain_text("Browser Operator")
    # The form is cleared for the next user.
    expect(admin.locator("#users-new-username")).to_have_value("")
    expect(admin.locator("#users-new-password")).to_have_value("")
    screenshot(admin, "admin_user_created")
    new_page.problems(admin).assert_clean("/admin/users create")

    # The new user logs in from a fresh context (no shared cookies).
    fresh = new_page()
    login(fresh, username, password)
    assert urlsplit(fresh.url).path == "/"
    expect(fresh.locator("#user-menu")).to_contain_text(username)
    status, me = api_json(fresh, "GET", "/api/v1/me")
    assert status == 200, me
    assert me["username"] == username
    assert sorted(me["roles"]) == ["operator", "scientist"]
    new_page.problems(fresh).assert_clean("first login of the new user")


def test_create_user_with_short_password_is_refused(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    admin = new_page()
    login(admin, live_server.admin_user, live_server.admin_password)
    goto_page(admin, "/admin/users")
    _open_new_user_form(admin)
    username = unique("short")
    admin.fill("#users-new-username", username)
    admin.fill("#users-new-password", "short")
    admin.click("#users-create")
    expect(admin.locator("#users-create-alert")).to_contain_text("at least 12 characters")
    expect(admin.locator("#users-grid")).not_to_contain_text(username)
    status, users = api_json(admin, "GET", "/api/v1/users")
    assert status == 200
    assert username not in {u["username"] for u in users}
    new_page.problems(admin).assert_clean("refused user")
