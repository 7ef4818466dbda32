"""The login page loads nothing that needs a login, and nothing from elsewhere."""

from __future__ import annotations

import re

from .conftest import Site

LOADED = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"')


def test_everything_the_login_page_loads_is_served_before_login(site: Site) -> None:
    client = site.client()
    page = client.get("/login").get_data(as_text=True)
    loaded = LOADED.findall(page)
    # The colour scheme is set before the first paint, by a file (the CSP runs no inline
    # script), which must then be open to visitors who have not logged in yet.
    assert "/assets/boot/theme-boot.js" in loaded
    assert "<script>" not in page
    for url in loaded:
        assert url.startswith("/assets/"), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.content_length, url


def test_the_theme_script_is_the_only_script_open_before_login(site: Site) -> None:
    client = site.client()
    assert client.get("/assets/boot/theme-boot.js").status_code == 200
    for path in ("/assets/theme.js", "/assets/session.js", "/assets/boot/no-such.js"):
        assert client.get(path).status_code == 401, path
