"""Login is enforced at the Flask layer; roles are enforced on the server, also for raw POSTs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from dashboard.services import audit
from dashboard.services.actor import cli_actor
from tests.conftest import PASSWORD
from tests.integration.conftest import Site, call_callback, find_callback


@pytest.mark.parametrize(
    "path",
    ["/", "/experiments", "/admin/users", "/account", "/some/unknown/page"],
)
def test_pages_redirect_to_login(site: Site, path: str) -> None:
    response = site.client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/login?next={path}")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/health"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/api/v1/experiments"),
        ("POST", "/api/v1/users"),
        ("GET", "/_dash-layout"),
        ("GET", "/_dash-dependencies"),
        ("POST", "/_dash-update-component"),
        ("GET", "/_dash-component-suites/dash/deps/react@18.3.1.min.js"),
    ],
)
def test_machine_routes_answer_401(site: Site, method: str, path: str) -> None:
    response = site.client().open(path, method=method, json={})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_static_assets_for_the_login_page_are_public(site: Site) -> None:
    client = site.client()
    assert client.get("/assets/vendor/bootstrap/bootstrap.min.css").status_code == 200
    assert client.get("/login").status_code == 200


def test_login_cookie_flags_and_logout(site: Site) -> None:
    client = site.client()
    response = client.post("/login", data={"username": "sci", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert client.get("/api/v1/me").get_json()["username"] == "sci"
    # A link or image elsewhere cannot log anyone out: GET is refused and changes nothing.
    assert client.get("/logout").status_code == 405
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_password_and_empty_fields(site: Site) -> None:
    client = site.client()
    wrong = client.post("/login", data={"username": "sci", "password": "nope nope nope"})
    assert wrong.status_code == 401
    assert b"Wrong username or password" in wrong.data
    empty = client.post("/login", data={"username": "", "password": ""})
    assert empty.status_code == 400
    huge = client.post("/login", data={"username": "x" * 100_000, "password": "y" * 100_000})
    assert huge.status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil", "evil"])
def test_no_open_redirect_after_login(site: Site, target: str) -> None:
    response = site.client().post(
        "/login", data={"username": "sci", "password": PASSWORD, "next": target}
    )
    assert response.headers["Location"] == "/"


def test_next_is_followed_for_local_paths(site: Site) -> None:
    response = site.client().post(
        "/login", data={"username": "sci", "password": PASSWORD, "next": "/experiments?x=1"}
    )
    assert response.headers["Location"] == "/experiments?x=1"


def test_repeated_failures_get_429(site: Site) -> None:
    client = site.client()
    remote = {"REMOTE_ADDR": "10.9.9.9"}
    for _ in range(5):
        response = client.post(
            "/login", data={"username": "rev", "password": "bad password"}, environ_base=remote
        )
        assert response.status_code == 401
    throttled = client.post(
        "/login", data={"username": "rev", "password": PASSWORD}, environ_base=remote
    )
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert b"Too many failed logins" in throttled.data


def test_admin_pages_need_the_admin_role(site: Site) -> None:
    scientist = site.client("sci")
    assert scientist.get("/admin/users").status_code == 403
    assert scientist.get("/admin/audit/").status_code == 403
    assert scientist.get("/experiments").status_code == 200
    assert site.client("boss").get("/admin/users").status_code == 200


def test_refused_page_loads_get_the_app_frame_with_403_and_are_audited(site: Site) -> None:
    refusals = audit.AuditFilter(action="page.open", result="denied")
    before = audit.search(site.db, cli_actor("t"), refusals).total
    refused = site.client("sci").get("/admin/users?x=1")
    assert refused.status_code == 403
    page = refused.get_data(as_text=True)
    # The app's own frame (its stylesheet and Dash), which then shows "Not allowed" inside.
    assert "/assets/vendor/bootstrap/bootstrap.min.css" in page
    assert 'id="react-entry-point"' in page
    denied = audit.search(site.db, cli_actor("t"), refusals)
    assert denied.total == before + 1
    row = denied.rows[0]
    assert (row.username, row.target_type, row.target_id) == ("sci", "page", "/admin/users")
    assert row.detail == {"page": "Users", "needs_role": "admin"}
    # Anything but a page load is refused outright (and audited too).
    posted = site.client("sci").post("/admin/audit", headers={"Origin": "http://localhost"})
    assert posted.status_code == 403
    assert posted.get_json()["error"]["code"] == "forbidden"
    assert audit.search(site.db, cli_actor("t"), refusals).total == before + 2
    assert site.client("boss").get("/admin/users").status_code == 200


def test_layout_callback_refuses_admin_page_for_scientist(site: Site) -> None:
    # In-app navigation fetches the page through Dash's router callback.
    response = call_callback(
        site.client("sci"),
        "_pages_content.children",
        {"_pages_location.pathname": "/admin/users", "_pages_location.search": ""},
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Not allowed" in text
    assert "users-grid" not in text


def test_raw_post_to_admin_callback_is_refused_and_audited(site: Site) -> None:
    before = audit.search(site.db, cli_actor("t"), audit.AuditFilter(result="denied")).total
    response = call_callback(
        site.client("sci"),
        "users-create-alert.children",
        {
            "users-create.n_clicks": 1,
            "users-new-username.value": "mallory",
            "users-new-password.value": "mallory password",
            "users-new-roles.value": ["admin"],
            "users-new-display.value": "",
        },
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    admin = site.client("boss")
    names = [u["username"] for u in admin.get("/api/v1/users").get_json()]
    assert "mallory" not in names
    denied = audit.search(site.db, cli_actor("t"), audit.AuditFilter(result="denied"))
    assert denied.total == before + 1
    assert (denied.rows[0].username, denied.rows[0].action) == ("sci", "user.create")


def test_admin_callback_works_for_admin(site: Site) -> None:
    response = call_callback(
        site.client("boss"),
        "users-create-alert.children",
        {
            "users-create.n_clicks": 1,
            "users-new-username.value": "newbie",
            "users-new-password.value": "newbie password",
            "users-new-roles.value": ["reviewer"],
            "users-new-display.value": "New Bie",
        },
    )
    assert response.status_code == 200
    assert "Created newbie" in response.get_data(as_text=True)
    assert site.client("newbie", "newbie password").get("/api/v1/me").get_json()["roles"] == [
        "reviewer"
    ]


def test_security_headers(site: Site) -> None:
    response = site.client("sci").get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self' 'sha256-" in csp
    assert "http" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_index_loads_nothing_from_outside(site: Site) -> None:
    html = site.client("sci").get("/").get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "")
    assert "https://" not in html
    assert "/assets/vendor/bootstrap/bootstrap.min.css" in html


def test_cross_site_posts_are_refused(site: Site) -> None:
    client = site.client("sci")
    evil = {"Origin": "https://evil.example"}
    refused = client.post("/api/v1/tokens", json={"name": "x"}, headers=evil)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["message"] == "Cross-site request refused."
    login = site.client().post(
        "/login", data={"username": "sci", "password": PASSWORD}, headers=evil
    )
    assert login.status_code == 403
    refusals = audit.search(
        site.db, cli_actor("t"), audit.AuditFilter(action="request.cross_site", result="denied")
    )
    assert [(r.username, r.target_id, r.detail["origin"]) for r in reversed(refusals.rows[:2])] == [
        ("sci", "/api/v1/tokens", "https://evil.example"),
        ("anonymous", "/login", "https://evil.example"),
    ]
    same = client.post("/api/v1/tokens", json={"name": "x"}, headers={"Origin": "http://localhost"})
    assert same.status_code == 201
    assert client.get("/api/v1/me", headers=evil).status_code == 200


def _revoke_via_callback(client: FlaskClient, token_id: int, owner_id: int) -> Any:
    """Press a revoke button on the users page, as the browser posts it (pattern-matching id)."""
    dep = find_callback(client, "users-edit-tokens.children@")
    button = {"index": token_id, "type": "users-token-revoke"}
    body = {
        "output": dep["output"],
        "outputs": [
            {"id": part.rsplit(".", 1)[0].split("@")[0], "property": "children"}
            for part in dep["output"].strip(".").split("...")
        ],
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "state": [{"id": "users-edit-user", "property": "data", "value": owner_id}],
        "changedPropIds": [json.dumps(button, separators=(",", ":")) + ".n_clicks"],
    }
    return client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )


def test_admin_revokes_a_users_token_from_the_users_page(site: Site) -> None:
    owner = site.client("rev")
    created = owner.post("/api/v1/tokens", json={"name": "laptop"}).get_json()
    me = owner.get("/api/v1/me").get_json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    refused = _revoke_via_callback(site.client("sci"), created["id"], me["id"])
    assert refused.status_code == 403
    assert site.client().get("/api/v1/me", headers=headers).status_code == 200
    done = _revoke_via_callback(site.client("boss"), created["id"], me["id"])
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Revoked token 'laptop' of rev" in done.get_data(as_text=True)
    assert site.client().get("/api/v1/me", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/tokens", '{"name": "bad\\u0000name"}'),
        ("GET", "/api/v1/audit?username=a%00b", None),
        ("POST", "/_dash-update-component", '{"output": "x\\u0000"}'),
    ],
)
def test_nul_characters_are_refused_up_front(
    site: Site, method: str, path: str, body: str | None
) -> None:
    response = site.client("boss").open(
        path, method=method, data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "NUL" in response.get_json()["error"]["message"]


def test_control_characters_in_login_and_names(site: Site) -> None:
    login = site.client().post("/login", data={"username": "ad\x00min", "password": "x" * 12})
    assert login.status_code == 401
    admin = site.client("boss")
    response = admin.post(
        "/api/v1/users",
        json={"username": "ctrl-user", "password": "p" * 12, "display_name": "bell\x07"},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "display_name"
