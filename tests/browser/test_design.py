"""The design system holds on every page, at desktop and phone size, light and dark.

For every page in ``dash.page_registry`` (read from the real app, so a new page is covered as
soon as it is registered), the login page, an unknown path (404) and a refused page (403):

- ``<html>`` carries the scheme the system asks for (the users here keep the theme
  preference "system"; each context sets ``prefers-color-scheme``);
- the page never scrolls sideways (``scrollWidth <= innerWidth``), naming what sticks out;
- no console error, failed request, error response or request leaving the server;
- the frame: navbar, one ``<main id=main-content>`` holding the page, skip link, one ``h1``;
- in the dark scheme, no large area left painted light.

One logged-in session per (viewport, scheme) visits all pages; each page, size and scheme is
still its own test, and a failing one lists every problem found on it at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser

from .conftest import LiveServer, parametrize_from_registry, registry_pages
from .design_support import (
    PHONE,
    SCHEMES,
    VIEWPORTS,
    PageCheck,
    SessionPool,
    Viewport,
    page_id,
)

REFUSED_PATH = "/admin/users"  # admin only: a scientist gets 403 inside the frame
UNKNOWN_PATH = "/no/such/page"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per registered page (times each viewport and scheme)."""
    parametrize_from_registry(metafunc, "registered", lambda pages: pages, page_id)


@pytest.fixture(scope="module")
def pool(browser: Browser, live_server: LiveServer) -> Iterator[SessionPool]:
    """Logged-in sessions shared by this module's tests, one per (user, viewport, scheme)."""
    sessions = SessionPool(browser, live_server)
    try:
        yield sessions
    finally:
        sessions.close()


by_viewport = pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: v.name)
by_scheme = pytest.mark.parametrize("scheme", SCHEMES)


def test_registry_is_covered() -> None:
    """Guard against a broken registry leaving the per-page tests vacuous."""
    paths = {page_id(p) for p in registry_pages()}
    assert {"/", "/experiments", "/experiments/<experiment_id>", "/admin/audit"} <= paths


@by_scheme
@by_viewport
def test_page(
    pool: SessionPool, registered: dict[str, Any], viewport: Viewport, scheme: str
) -> None:
    session = pool.session("admin", viewport, scheme)
    path = pool.concrete_path(registered, session)

    check = session.visit(path)

    check.scheme().frame().no_overflow().no_light_patches().clean().assert_ok()


@by_scheme
@by_viewport
def test_login_page(pool: SessionPool, viewport: Viewport, scheme: str) -> None:
    session = pool.anonymous(viewport, scheme)

    check = session.visit("/login", dash_page=False)

    check.scheme().no_overflow().no_light_patches().clean()
    for selector in ("#username", "#password", "#login-submit"):
        if not session.page.locator(selector).is_visible():
            check.add(f"{selector} is not visible")
    if not session.page.locator("main, [role=main]").count():
        check.add("no main landmark")
    check.assert_ok()


@by_scheme
@by_viewport
def test_unknown_path_is_404_inside_the_frame(
    pool: SessionPool, viewport: Viewport, scheme: str
) -> None:
    session = pool.session("scientist", viewport, scheme)

    check = session.visit(UNKNOWN_PATH, expect_status=404)

    check.contains("#_pages_content", "Page not found")
    check.scheme().frame().no_overflow().no_light_patches().clean().assert_ok()


@by_scheme
@by_viewport
def test_refused_page_is_403_inside_the_frame(
    pool: SessionPool, viewport: Viewport, scheme: str
) -> None:
    session = pool.session("scientist", viewport, scheme)

    check = session.visit(REFUSED_PATH, expect_status=403)

    check.contains("#_pages_content", "Not allowed")
    check.scheme().frame().no_overflow().no_light_patches().clean().assert_ok()


def test_pages_declare_a_device_width_viewport(pool: SessionPool) -> None:
    """Phones lay the page out at their own width only when the page asks for it."""
    for session, path in (
        (pool.session("scientist", PHONE, "light"), "/"),
        (pool.anonymous(PHONE, "light"), "/login"),
    ):
        session.page.goto(path)
        content = session.page.evaluate(
            "() => document.querySelector('meta[name=viewport]')?.content ?? null"
        )
        assert content is not None, f"{path}: no <meta name=viewport>"
        assert "width=device-width" in content.replace(" ", ""), f"{path}: {content}"


def test_checks_catch_planted_problems(pool: SessionPool) -> None:
    """The checks above do fail: plant each problem on a clean page and look for it."""
    session = pool.session("scientist", PHONE, "dark")
    session.visit("/").assert_ok()
    session.page.evaluate(
        """() => {
          const main = document.querySelector('main');
          const wide = Object.assign(document.createElement('div'), {id: 'planted-wide'});
          wide.style.cssText = 'width: 1000px; height: 10px';
          const light = Object.assign(document.createElement('div'), {id: 'planted-light'});
          light.style.cssText = 'width: 300px; height: 300px; background: #fff';
          const heading = Object.assign(document.createElement('h1'), {textContent: 'Twice'});
          main.append(wide, light, heading);
          console.error('planted error');
        }"""
    )

    check = PageCheck(session, "/ (planted)")
    check.scheme().frame().no_overflow().no_light_patches().clean()

    found = "\n".join(check.issues)
    assert "2 h1 headings" in found
    assert "scrolls sideways" in found
    assert "div#planted-wide" in found
    assert "div#planted-light 300×300" in found
    assert "console error: planted error" in found
    session.page.evaluate("() => { document.documentElement.dataset.bsTheme = 'light'; }")
    assert "data-bs-theme is 'light', expected 'dark'" in PageCheck(session, "/").scheme().issues
    session.reset()
