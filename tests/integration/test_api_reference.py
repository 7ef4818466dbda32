"""The rendered API reference: Swagger UI at /api/v1/docs and the app's page /api-docs."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from dashboard.services import accounts, preferences
from dashboard.services.actor import Actor, cli_actor
from tests.conftest import PASSWORD

from .conftest import Site, call_callback

DOCS = "/api/v1/docs"
PAGE = "/api-docs"


class _Loads(HTMLParser):
    """What a page loads (script, stylesheet and icon addresses) and its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            if found.get("src"):
                self.urls.append(str(found["src"]))
            else:
                self._in_script_without_src = True
        elif tag == "link" and found.get("href"):
            self.urls.append(str(found["href"]))

    def handle_data(self, data: str) -> None:
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script_without_src = False


def _loads(html: str) -> _Loads:
    parser = _Loads()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    "path",
    [
        DOCS,
        f"{DOCS}/swagger-ui/swagger-ui-bundle.js",
        f"{DOCS}/swagger-ui/swagger-ui.css",
        f"{DOCS}/static/api-reference.js",
        f"{DOCS}/static/api-reference.css",
    ],
)
def test_reference_and_its_files_need_a_login(site: Site, path: str) -> None:
    response = site.client().get(path)
    assert response.status_code == 401, path
    assert response.is_json


def test_reference_page_of_the_app_sends_visitors_to_login(site: Site) -> None:
    response = site.client().get(PAGE)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={PAGE}"


@pytest.mark.parametrize("user", ["sci", "oper", "rev", "boss"])
def test_every_user_may_read_the_reference(site: Site, user: str) -> None:
    client = site.client(user)
    response = client.get(DOCS)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert 'data-spec-url="/api/v1/openapi.json"' in response.get_data(as_text=True)
    assert client.get(PAGE).status_code == 200


def test_everything_the_reference_loads_comes_from_this_server(site: Site) -> None:
    client = site.client("sci")
    page = _loads(client.get(DOCS).get_data(as_text=True))
    # The CSP runs no inline script: Swagger UI is started from a file.
    assert page.inline_scripts == 0
    scripts = [u for u in page.urls if u.endswith(".js")]
    assert f"{DOCS}/swagger-ui/swagger-ui-bundle.js" in scripts
    assert f"{DOCS}/static/api-reference.js" in scripts
    assert f"{DOCS}/swagger-ui/swagger-ui.css" in page.urls
    for url in page.urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype in {"text/javascript", "text/css", "image/svg+xml"}, url
        assert response.content_length, url


def test_the_bundle_is_swagger_ui(site: Site) -> None:
    """The file served really is Swagger UI's build (not an empty or stand-in file)."""
    client = site.client("sci")
    bundle = client.get(f"{DOCS}/swagger-ui/swagger-ui-bundle.js").get_data(as_text=True)
    assert "SwaggerUIBundle" in bundle
    assert len(bundle) > 500_000
    css = client.get(f"{DOCS}/swagger-ui/swagger-ui.css").get_data(as_text=True)
    assert ".swagger-ui" in css


@pytest.mark.parametrize(
    "path",
    [
        f"{DOCS}/swagger-ui/index.html",
        f"{DOCS}/swagger-ui/oauth2-redirect.html",
        f"{DOCS}/swagger-ui/..%2fflask_swagger_ui.py",
        f"{DOCS}/static/../reference.py",
        f"{DOCS}/static/%2e%2e/reference.py",
        f"{DOCS}/nothing",
    ],
)
def test_only_the_files_the_page_needs_are_served(site: Site, path: str) -> None:
    response = site.client("sci").get(path)
    assert response.status_code == 404, path
    assert response.is_json


def test_reference_opened_on_its_own_takes_the_users_theme(site: Site) -> None:
    nightowl = accounts.create_user(site.db, cli_actor("t"), "nightowl", PASSWORD, ["reviewer"])
    actor = Actor(nightowl.id, "nightowl", frozenset({"reviewer"}), None, "web")
    preferences.set_preferences(site.db, actor, theme="dark")
    page = site.client("nightowl").get(DOCS).get_data(as_text=True)
    assert '<html lang="en" data-msg-theme="dark">' in page
    assert 'data-msg-theme="system"' in site.client("sci").get(DOCS).get_data(as_text=True)


def test_only_the_reference_may_be_framed_and_only_by_this_server(site: Site) -> None:
    client = site.client("sci")
    docs = client.get(DOCS)
    assert docs.headers["X-Frame-Options"] == "SAMEORIGIN"
    policy = docs.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy
    assert "frame-ancestors 'none'" not in policy
    assert "script-src 'self'" in policy
    for path in (PAGE, "/", "/account", "/login", "/api/v1/openapi.json"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        if response.mimetype == "text/html":
            assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path


def test_reference_is_not_an_operation_of_the_document(site: Site) -> None:
    spec = site.client("rev").get("/api/v1/openapi.json").get_json()
    assert not [p for p in spec["paths"] if p.startswith(DOCS)]
    assert len(spec["paths"]) >= 10


def test_reference_routes_answer_only_get(site: Site) -> None:
    client = site.client("sci")
    assert client.post(DOCS).status_code == 405
    allow = client.open(DOCS, method="OPTIONS").headers["Allow"]
    assert set(allow.split(", ")) == {"GET", "HEAD", "OPTIONS"}


def _props(node: object) -> list[tuple[str, object]]:
    """Every (prop, value) pair in a serialised Dash component tree."""
    found: list[tuple[str, object]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((key, value))
            found += _props(value)
    elif isinstance(node, list):
        for item in node:
            found += _props(item)
    return found


def test_app_page_frames_the_reference_and_links_the_document(site: Site) -> None:
    values = {"_pages_location.pathname": PAGE, "_pages_location.search": ""}
    response = call_callback(site.client("rev"), "_pages_content.children", values)
    assert response.status_code == 200
    props = _props(response.get_json())
    assert ("src", DOCS) in props
    assert ("href", "/api/v1/openapi.json") in props
    assert ("children", "API reference") in props
