"""What each role sees: navbar links, refused direct loads, refused in-app navigation."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    LiveServer,
    PageFactory,
    Problems,
    api_json,
    goto_page,
    login,
    navigate_in_app,
    parametrize_from_registry,
    registry_pages,
    screenshot,
)

ADMIN_LINKS = ("Users", "Audit log")


def _admin_paths(pages: list[dict[str, Any]]) -> list[str]:
    """Pages only admins open (not those open to scientists and admins, like /experiments/new)."""
    return [str(p["path"]) for p in pages if list(p.get("roles") or ()) == ["admin"]]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per admin-only page of the registry."""
    parametrize_from_registry(metafunc, "admin_path", _admin_paths)


def test_registry_has_admin_pages() -> None:
    assert {"/admin/users", "/admin/audit"} <= set(_admin_paths(registry_pages()))


def _nav_links(page: Page) -> dict[str, str]:
    """Navbar link text -> href (the page links, not the user menu)."""
    links = page.locator("#navbar .navbar-nav .nav-link:not(.dropdown-toggle)")
    return {
        links.nth(i).inner_text().strip(): links.nth(i).get_attribute("href") or ""
        for i in range(links.count())
    }


def test_scientist_navbar_has_no_admin_links(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    links = _nav_links(page)
    assert links.get("Overview") == "/"
    assert links.get("Experiments") == "/experiments"
    for name in ADMIN_LINKS:
        assert name not in links, f"scientist sees the {name!r} link: {links}"
    assert not any(href.startswith("/admin") for href in links.values()), links
    problems.assert_clean("/ as scientist")


def test_admin_navbar_has_admin_links(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.admin_user, live_server.admin_password)
    links = _nav_links(page)
    assert links.get("Users") == "/admin/users"
    assert links.get("Audit log") == "/admin/audit"
    problems.assert_clean("/ as admin")


def test_scientist_direct_load_of_admin_page_is_403_inside_the_app_and_audited(
    new_page: PageFactory, live_server: LiveServer, admin_path: str
) -> None:
    path = admin_path
    page = new_page()
    problems = new_page.problems(page)
    login(page, live_server.sci_user, live_server.sci_password)
    problems.expect_response(403, path)
    response = goto_page(page, path)
    assert response is not None
    assert response.status == 403
    assert urlsplit(page.url).path == path
    # The refusal sits in the app's frame: the navbar (without admin links) and its look.
    expect(page.locator("#navbar")).to_be_visible()
    expect(page.locator("#navbar")).to_contain_text(live_server.sci_user)
    links = _nav_links(page)
    assert links.get("Overview") == "/", links
    assert not any(href.startswith("/admin") for href in links.values()), links
    content = page.locator("#_pages_content")
    expect(content.locator("h1")).to_have_text("Not allowed")
    expect(content).to_contain_text("needs the role admin")
    expect(page.locator(".ag-root")).to_have_count(0)
    screenshot(page, f"scientist_403{path.replace('/', '_')}")
    problems.assert_clean(f"direct load of {path}")

    admin = new_page()
    login(admin, live_server.admin_user, live_server.admin_password)
    status, body = api_json(
        admin,
        "GET",
        f"/api/v1/audit?result=denied&action=page.open&username={live_server.sci_user}",
    )
    assert status == 200, body
    refused = [row for row in body["items"] if row["target_id"] == path]
    assert refused, body
    assert refused[0]["target_type"] == "page"
    assert refused[0]["detail"]["needs_role"] == "admin"


def test_scientist_in_app_navigation_to_admin_page_is_refused(
    page: Page, problems: Problems, live_server: LiveServer, admin_path: str
) -> None:
    path = admin_path
    login(page, live_server.sci_user, live_server.sci_password)
    navigate_in_app(page, path)
    content = page.locator("#_pages_content")
    expect(content).to_contain_text("Not allowed")
    expect(content).to_contain_text("needs the role admin")
    expect(page.locator("#users-grid")).to_have_count(0)
    expect(page.locator("#audit-grid")).to_have_count(0)
    expect(content.locator(".ag-root")).to_have_count(0)
    screenshot(page, f"scientist_not_allowed{path.replace('/', '_')}")
    problems.assert_clean(f"in-app navigation to {path}")


def test_admin_in_app_navigation_to_users_works(
    new_page: PageFactory, live_server: LiveServer
) -> None:
    """The control for the refusal above: the same navigation works for an admin."""
    page = new_page()
    login(page, live_server.admin_user, live_server.admin_password)
    navigate_in_app(page, "/admin/users")
    expect(page.locator("#_pages_content")).not_to_contain_text("Not allowed")
    expect(page.locator("#users-grid")).to_contain_text(live_server.sci_user)
    new_page.problems(page).assert_clean("/admin/users in-app")


def test_scientist_may_open_account_and_experiments(
    page: Page, problems: Problems, live_server: LiveServer
) -> None:
    login(page, live_server.sci_user, live_server.sci_password)
    for path, heading in (("/experiments", "Experiments"), ("/account", "Your account")):
        response = goto_page(page, path)
        assert response is not None
        assert response.status == 200
        expect(page.locator("#_pages_content h1")).to_have_text(heading)
    expect(page.locator("#_pages_content")).to_contain_text("roles: scientist")
    screenshot(page, "scientist_account")
    problems.assert_clean("scientist pages")
