"""Security holes of the foundation (issue 5, section 3), each closed and held shut here."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from dashboard.config import load_settings
from dashboard.db import Database
from dashboard.services import accounts
from dashboard.services.actor import cli_actor
from tests.conftest import PASSWORD
from tests.integration.conftest import Site

COOKIE = "microspacegen_session"


def _user(site: Site, name: str, *roles: str) -> int:
    """A user of this test alone (the site is shared by the whole session)."""
    return accounts.create_user(site.db, cli_actor("t"), name, PASSWORD, list(roles)).id


def _replay(site: Site, cookie: str) -> FlaskClient:
    """A fresh client holding a copy of a captured session cookie."""
    client = site.server.test_client()
    client.set_cookie(COOKIE, cookie)
    return client


def _captured(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


# --- 14: logout ends the session on the server ----------------------------------------------


def test_cookie_captured_before_logout_is_refused_afterwards(site: Site) -> None:
    _user(site, "logout-victim", "scientist")
    client = site.client("logout-victim")
    stolen = _captured(client)
    assert _replay(site, stolen).get("/api/v1/me").status_code == 200
    assert client.post("/logout").headers["Location"] == "/login"
    assert _replay(site, stolen).get("/api/v1/me").status_code == 401
    assert _replay(site, stolen).get("/").status_code == 302  # to the login page


def test_cookie_captured_before_password_change_or_deactivation_is_refused(site: Site) -> None:
    uid = _user(site, "cookie-victim", "scientist")
    stolen = _captured(site.client("cookie-victim"))
    accounts.set_password(site.db, cli_actor("t"), uid, "a different passphrase 7")
    assert _replay(site, stolen).get("/api/v1/me").status_code == 401
    stolen = _captured(site.client("cookie-victim", "a different passphrase 7"))
    accounts.update_user(site.db, cli_actor("t"), uid, is_active=False)
    assert _replay(site, stolen).get("/api/v1/me").status_code == 401


def test_logout_is_post_only(site: Site) -> None:
    client = site.client("sci")
    refused = client.get("/logout")
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "POST"
    assert client.get("/api/v1/me").status_code == 200


# --- 15: the gate decides login before it reads a body --------------------------------------


class _CountingBody:
    """A request body of ``size`` bytes that counts what the server reads of it."""

    def __init__(self, size: int) -> None:
        self.size, self.position, self.read_bytes = size, 0, 0

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = self.size + offset if whence == 2 else offset
        return self.position

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.position
        n = left if n < 0 else min(n, left)
        self.position += n
        self.read_bytes += n
        return b" " * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(n)


@pytest.mark.parametrize("path", ["/_dash-update-component", "/api/v1/experiments"])
def test_unauthenticated_huge_json_body_is_not_read(site: Site, path: str) -> None:
    body = _CountingBody(60 * 1024 * 1024)
    response = site.client().post(
        path,
        input_stream=body,  # type: ignore[arg-type]
        content_type="application/json",
        content_length=body.size,
    )
    assert response.status_code == 401
    assert body.read_bytes < 64 * 1024, body.read_bytes


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/merge-patch+json", "application/vnd.x+json"]
)
def test_nul_is_refused_in_every_json_content_type(site: Site, content_type: str) -> None:
    body = '{"username": "nul-user", "password": "nul \\u0000 in the password", "roles": []}'
    response = site.client("boss").post("/api/v1/users", data=body, content_type=content_type)
    assert response.status_code == 400
    assert "NUL" in response.get_json()["error"]["message"]
    assert "nul-user" not in {u["username"] for u in site.client("boss").get("/api/v1/users").json}


# --- 16: login throttling holds under concurrency -------------------------------------------


def test_forty_concurrent_wrong_passwords_get_at_most_five_401s(site: Site) -> None:
    _user(site, "throttle-target", "scientist")

    def attempt(i: int) -> int:
        response = site.server.test_client().post(
            "/login",
            data={"username": "throttle-target", "password": f"wrong guess {i}"},
            environ_base={"REMOTE_ADDR": "10.16.0.1"},
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(attempt, range(40)))
    assert statuses.count(401) <= 5, statuses
    assert statuses.count(429) == 40 - statuses.count(401), statuses


# --- 17: no input gives a 500 ---------------------------------------------------------------


@pytest.mark.parametrize("next_path", ["/x\r\nSet-Cookie: evil=1", "/x\nLocation: //evil"])
def test_line_breaks_in_next_are_dropped(site: Site, next_path: str) -> None:
    _user(site, f"next-user-{len(next_path)}", "scientist")
    response = site.client().post(
        "/login",
        data={"username": f"next-user-{len(next_path)}", "password": PASSWORD, "next": next_path},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "evil" not in str(response.headers)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/experiments", '{"name": "\\ud800", "organism": "x", "arms": []}'),
        ("POST", "/api/v1/tokens", '{"name": "lone \\udc00 low"}'),
        ("POST", "/_dash-update-component", '{"output": "\\ud800"}'),
        ("POST", "/api/v1/experiments", "[" * 1000 + "]" * 1000),
        ("POST", "/api/v1/tokens", '{"name": ' + "[" * 1000 + "]" * 1000 + "}"),
        ("POST", "/_dash-update-component", "[" * 100_000 + "]" * 100_000),
    ],
)
def test_surrogates_and_deep_nesting_are_refused(
    site: Site, method: str, path: str, body: str
) -> None:
    response = site.client("boss").open(
        path, method=method, data=body, content_type="application/json"
    )
    assert response.status_code == 400, response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/users/{2**64 + 1}",
        f"/api/v1/users/{2**31}",
        f"/api/v1/experiments/{2**63}",
        f"/api/v1/tokens/{2**65}",
        f"/api/v1/audit?offset={2**64}",
        f"/api/v1/audit?offset={2**100}&limit={2**70}",
    ],
)
def test_ids_and_offsets_beyond_64_bits(site: Site, path: str) -> None:
    client = site.client("boss")
    method = "DELETE" if "/tokens/" in path else "GET"
    response = client.open(path, method=method)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)


# --- 20: caching, HSTS, file modes, nothing to read before login ----------------------------


def test_api_responses_are_never_cached(site: Site) -> None:
    client = site.client("sci")
    created = client.post("/api/v1/tokens", json={"name": "cache check"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    for response in (
        client.get("/api/v1/me"),
        client.get("/api/v1/nowhere"),
        site.client().get("/api/v1/me"),
    ):
        assert response.headers["Cache-Control"] == "no-store"


def test_hsts_only_with_secure_cookies(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "Strict-Transport-Security" not in site.client().get("/login").headers
    monkeypatch.setitem(site.server.config, "SESSION_COOKIE_SECURE", True)
    hsts = site.client().get("/login").headers["Strict-Transport-Security"]
    assert hsts.startswith("max-age=")


def test_data_directory_and_database_are_private(tmp_path: Path) -> None:
    os.umask(0o022)
    settings = load_settings({}, data_dir=tmp_path / "data")
    database = Database(settings.database_url)
    database.upgrade()
    database.dispose()
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    db_file = settings.data_dir / "microspacegen.sqlite3"
    assert stat.S_IMODE(db_file.stat().st_mode) == 0o600
    for extra in settings.data_dir.glob("microspacegen.sqlite3-*"):
        assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0, extra


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/openapi.json",
        "/api/v1/no-such-route",
        "/api/v2/anything",
        "/api/v1/users/1/nothing",
        "/assets/vendor/bootstrap-icons/bootstrap-icons.min.css",
        "/assets/session.js",
        "/assets/no-such-file.css",
    ],
)
def test_nothing_but_401_before_login(site: Site, path: str) -> None:
    for method in ("GET", "POST", "HEAD"):
        response = site.client().open(path, method=method)
        assert response.status_code == 401, (method, path)
    assert site.client("sci").get("/api/v1/no-such-route").status_code == 404


def test_what_the_login_page_loads_names_no_version(site: Site) -> None:
    client = site.client()
    page = client.get("/login").get_data(as_text=True)
    assert "0.1.0" not in page
    for path in ("/assets/vendor/bootstrap/bootstrap.min.css", "/assets/app.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert "5.3" not in text, path
        assert "v5" not in text, path


# --- 21: probes and HEAD --------------------------------------------------------------------


def test_head_behaves_like_get(site: Site) -> None:
    client = site.client()
    for path in ("/", "/experiments"):
        get, head = client.get(path), client.head(path)
        assert (head.status_code, head.headers["Location"]) == (302, get.headers["Location"])


def test_liveness_and_readiness_probes(site: Site) -> None:
    client = site.client()
    for path in ("/livez", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok"}
        assert client.head(path).status_code == 200


def test_fetch_metadata_marks_a_cross_site_post_without_origin(site: Site) -> None:
    sci = site.client("sci")
    refused = sci.post(
        "/api/v1/experiments",
        json={"name": "x", "organism": "y", "arms": []},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert refused.status_code == 403
    same = sci.post(
        "/api/v1/experiments",
        json={"name": "", "organism": "", "arms": []},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 422  # reached the service
