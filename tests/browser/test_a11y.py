"""Accessibility: axe-core finds no serious or critical violation on any page, light or dark.

axe-core comes from the npm registry, pinned in ``package.json`` (``npm ci`` puts it in
``node_modules/``; ``scripts/test.sh`` runs it). Pages are the ones in ``dash.page_registry``
(read from the real app) plus the login page, opened at desktop size in both colour schemes
(colour contrast is what changes between them). A failure lists, per violated rule, its id,
impact, help text and the first elements it found, so the page's owner can go straight to
them; moderate and minor findings are listed too but do not fail.

How axe gets in: the app's Content-Security-Policy allows scripts from 'self' only, so a
``<script>`` tag added by the test would be refused. We add axe with
``context.add_init_script(path=...)``, which the browser runs in every document and frame
(the API reference's Swagger UI iframe included) without going through the CSP, and keep the
CSP on. ``bypass_csp=True`` would also work, but it switches the policy off for the whole
context, so these tests would no longer see the pages as users get them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser

from .conftest import LiveServer, parametrize_from_registry
from .design_support import (
    DESKTOP,
    SCHEMES,
    Session,
    SessionPool,
    axe_violations,
    format_violation,
    page_id,
    require_axe,
    serious_violations,
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per registered page (times each scheme)."""
    parametrize_from_registry(metafunc, "registered", lambda pages: pages, page_id)


@pytest.fixture(scope="module")
def pool(browser: Browser, live_server: LiveServer) -> Iterator[SessionPool]:
    """Logged-in sessions with axe-core in every document, one per (user, scheme)."""
    sessions = SessionPool(browser, live_server, init_scripts=[require_axe()])
    try:
        yield sessions
    finally:
        sessions.close()


by_scheme = pytest.mark.parametrize("scheme", SCHEMES)


def _assert_accessible(session: Session, where: str) -> None:
    violations = axe_violations(session.page)
    failing = serious_violations(violations)
    if not failing:
        return
    others = [v for v in violations if v not in failing]
    text = f"{where} ({session.label}): {len(failing)} serious or critical axe rule(s) violated"
    text += "".join(f"\n  - {format_violation(v)}" for v in failing)
    if others:
        text += "\n  not failing, but worth fixing:"
        text += "".join(f"\n  - {format_violation(v)}" for v in others)
    raise AssertionError(text)


@by_scheme
def test_page_has_no_serious_violations(
    pool: SessionPool, registered: dict[str, Any], scheme: str
) -> None:
    session = pool.session("admin", DESKTOP, scheme)
    path = pool.concrete_path(registered, session)

    session.visit(path).assert_ok()

    _assert_accessible(session, path)


@by_scheme
def test_login_page_has_no_serious_violations(pool: SessionPool, scheme: str) -> None:
    session = pool.anonymous(DESKTOP, scheme)

    session.visit("/login", dash_page=False).assert_ok()

    _assert_accessible(session, "/login")


def test_axe_reports_a_planted_violation(pool: SessionPool) -> None:
    """The check can fail: an image without alt text and a nameless button are found."""
    session = pool.session("admin", DESKTOP, "light")
    session.visit("/").assert_ok()
    session.page.evaluate(
        """() => {
          const main = document.querySelector('main');
          const button = Object.assign(document.createElement('button'), {id: 'planted-button'});
          const img = Object.assign(document.createElement('img'), {id: 'planted-img'});
          img.src = '/assets/favicon.svg';
          main.append(button, img);
        }"""
    )

    with pytest.raises(AssertionError) as failure:
        _assert_accessible(session, "/ (planted)")

    text = str(failure.value)
    assert "button-name (critical)" in text
    assert "#planted-button" in text
    assert "image-alt (critical)" in text
