"""The login form, the redirect of logged-out visitors and logging out."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from .conftest import LiveServer, PageFactory, Problems, goto_page, login, wait_for_dash


def _path(page: Page) -> str:
    return urlsplit(page.url).path


def test_wrong_password_shows_error_and_stays(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    problems.expect_response(401, "/login")
    page.goto("/login")
    page.fill("#username", live_server.sci_user)
    page.fill("#password", "definitely-not-the-password")
    with page.expect_navigation() as navigation:
        page.click("#login-submit")
    response = navigation.value
    assert response is not None
    assert response.status == 401
    assert _path(page) == "/login"
    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#login-error")).to_contain_text("Wrong username or password")
    # The username is kept, the password is not.
    expect(page.locator("#username")).to_have_value(live_server.sci_user)
    expect(page.locator("#password")).to_have_value("")
    # Still logged out: the app sends us back to the form.
    page.goto("/")
    assert _path(page) == "/login"


def test_right_password_lands_on_overview(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    assert _path(page) == "/"
    expect(page).to_have_title("Overview · MicroSpaceGen")
    expect(page.locator("#user-menu")).to_contain_text(live_server.sci_user)
    problems.assert_clean("/ after login")


def test_logged_out_visit_returns_after_login(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    page.goto("/experiments")
    parts = urlsplit(page.url)
    assert parts.path == "/login"
    assert parse_qs(parts.query) == {"next": ["/experiments"]}
    expect(page.locator("#login-submit")).to_be_visible()

    page.fill("#username", live_server.sci_user)
    page.fill("#password", live_server.sci_password)
    with page.expect_navigation():
        page.click("#login-submit")
    wait_for_dash(page)
    assert _path(page) == "/experiments"
    expect(page).to_have_title("Experiments · MicroSpaceGen")
    expect(page.locator("#_pages_content h1")).to_have_text("Experiments")
    problems.assert_clean("/experiments after login")


def test_logout_ends_the_session(page: Page, problems: Problems, live_server: LiveServer) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    stolen = page.context.cookies()
    page.click("#user-menu")
    logout = page.locator("#logout-link")  # a button posting a form: logout is POST only
    expect(logout).to_be_visible()
    with page.expect_navigation():
        logout.click()
    assert _path(page) == "/login"
    page.goto("/experiments")
    assert _path(page) == "/login"
    # The session ended on the server: the cookie from before the logout is no key any more.
    page.context.add_cookies(stolen)  # type: ignore[arg-type]
    page.goto("/experiments")
    assert _path(page) == "/login"
    problems.assert_clean("logout")


def test_ended_session_sends_the_page_to_login(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    page = new_page()
    login(page, live_server.admin_user, live_server.admin_password)
    goto_page(page, "/admin/audit")
    # Drop the session cookie, as a logout in another tab or an expiry would.
    page.context.clear_cookies()
    new_page.problems(page).expect_response(401, "/_dash-update-component")
    page.click("#audit-verify")  # one callback to the server
    page.wait_for_url("**/login?next=%2Fadmin%2Faudit", timeout=60_000)  # slow under load
    expect(page.locator("#username")).to_be_visible()
