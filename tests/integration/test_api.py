"""The JSON API: authentication, roles, errors and the OpenAPI document."""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_spec_validator import validate

from tests.conftest import HEAD_REVISION
from tests.integration.conftest import Site

ARMS = [
    {"name": "flight µg", "spaceflight": "Space Flight", "gravity_g": 0},
    {"name": "ground 1 g", "spaceflight": "Ground Control", "gravity_g": 1},
]


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()["error"]
    assert body["code"] == code
    assert body["message"]
    return body


def test_health(site: Site) -> None:
    body = site.client("rev").get("/api/v1/health").get_json()
    assert body["status"] == "ok"
    assert body["version"] == "0.1.0"
    assert body["database"]["status"] == "ok"
    assert body["database"]["backend"] == "sqlite"
    assert body["database"]["revision"] == body["database"]["head_revision"] == HEAD_REVISION


def test_openapi_document_is_valid_and_complete(site: Site) -> None:
    spec = site.client("rev").get("/api/v1/openapi.json").get_json()
    validate(spec)
    paths = set(spec["paths"])
    assert {
        "/api/v1/health",
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/experiments",
        "/api/v1/experiments/{experiment_id}",
        "/api/v1/audit",
        "/api/v1/audit/verify",
    } <= paths
    assert "bearer" in spec["components"]["securitySchemes"]


def test_bearer_token_lifecycle(site: Site) -> None:
    sci = site.client("sci")
    created = sci.post("/api/v1/tokens", json={"name": "notebook"})
    assert created.status_code == 201
    token = created.get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    anonymous = site.client()
    assert anonymous.get("/api/v1/me", headers=headers).get_json()["username"] == "sci"
    listed = sci.get("/api/v1/tokens").get_json()
    assert all("token" not in t for t in listed)
    token_id = created.get_json()["id"]
    assert sci.delete(f"/api/v1/tokens/{token_id}").get_json()["revoked_at"]
    _error(anonymous.get("/api/v1/me", headers=headers), 401, "unauthorized")
    _error(
        anonymous.get("/api/v1/me", headers={"Authorization": "Bearer msg_nope"}),
        401,
        "unauthorized",
    )
    _error(anonymous.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401, "unauthorized")


def test_others_tokens_cannot_be_revoked(site: Site) -> None:
    token_id = site.client("rev").post("/api/v1/tokens", json={"name": "x"}).get_json()["id"]
    _error(site.client("sci").delete(f"/api/v1/tokens/{token_id}"), 403, "forbidden")
    _error(site.client("sci").delete("/api/v1/tokens/999999"), 404, "not_found")


def test_users_admin_only(site: Site) -> None:
    _error(site.client("sci").get("/api/v1/users"), 403, "forbidden")
    _error(
        site.client("sci").post(
            "/api/v1/users", json={"username": "zed", "password": "zed password"}
        ),
        403,
        "forbidden",
    )
    _error(site.client("sci").get("/api/v1/users/1"), 403, "forbidden")
    admin = site.client("boss")
    created = admin.post(
        "/api/v1/users",
        json={"username": "api-user", "password": "api user password", "roles": ["operator"]},
    )
    assert created.status_code == 201
    body = created.get_json()
    assert "password" not in body
    assert body["roles"] == ["operator"]
    patched = admin.patch(f"/api/v1/users/{body['id']}", json={"roles": ["operator", "reviewer"]})
    assert patched.get_json()["roles"] == ["operator", "reviewer"]
    _error(
        admin.post("/api/v1/users", json={"username": "api-user", "password": "api user password"}),
        409,
        "conflict",
    )
    _error(admin.get("/api/v1/users/424242"), 404, "not_found")


def test_deactivation_ends_sessions(site: Site) -> None:
    admin = site.client("boss")
    user = admin.post(
        "/api/v1/users",
        json={"username": "leaver", "password": "leaver password", "roles": ["scientist"]},
    ).get_json()
    leaver = site.client("leaver", "leaver password")
    assert leaver.get("/api/v1/me").status_code == 200
    admin.patch(f"/api/v1/users/{user['id']}", json={"is_active": False})
    _error(leaver.get("/api/v1/me"), 401, "unauthorized")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"username": "x1y"}, 422, "validation_failed"),
        ({"username": 5, "password": "long enough pw"}, 422, "validation_failed"),
        (
            {"username": "abc", "password": "long enough pw", "roles": "admin"},
            422,
            "validation_failed",
        ),
        (
            {"username": "abc", "password": "long enough pw", "roles": ["god"]},
            422,
            "validation_failed",
        ),
        ({"username": "abc", "password": "long enough pw", "extra": 1}, 422, "validation_failed"),
        ({"username": "a b", "password": "long enough pw"}, 422, "validation_failed"),
        ({"username": "abc", "password": "short"}, 422, "validation_failed"),
        ([], 422, "validation_failed"),
    ],
)
def test_user_body_errors(site: Site, body: Any, status: int, code: str) -> None:
    admin = site.client("boss")
    before = len(admin.get("/api/v1/users").get_json())
    _error(admin.post("/api/v1/users", json=body), status, code)
    assert len(admin.get("/api/v1/users").get_json()) == before


def test_malformed_and_oversized_bodies(site: Site) -> None:
    admin = site.client("boss")
    _error(
        admin.post("/api/v1/users", data="{not json", content_type="application/json"),
        400,
        "bad_request",
    )
    huge = json.dumps({"username": "abc", "password": "p" * (2 * 1024 * 1024)})
    _error(
        admin.post("/api/v1/users", data=huge, content_type="application/json"),
        413,
        "payload_too_large",
    )


def test_unknown_routes_and_methods(site: Site) -> None:
    client = site.client("sci")
    _error(client.get("/api/v1/nothing-here"), 404, "not_found")
    _error(client.delete("/api/v1/experiments"), 405, "method_not_allowed")
    _error(client.get("/api/v1/experiments/not-a-number"), 404, "not_found")


def test_experiments_crud_and_conflicts(site: Site) -> None:
    sci = site.client("sci")
    created = sci.post(
        "/api/v1/experiments",
        json={"name": "api experiment", "organism": "Staphylococcus aureus", "arms": ARMS},
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    exp = created.get_json()
    assert exp["version"] == 1
    assert exp["created_by"] == "sci"
    url = f"/api/v1/experiments/{exp['id']}"
    assert site.client("oper").get(url).get_json()["name"] == "api experiment"
    # A PATCH names what changes; what it leaves out keeps its value.
    body = {"organism": "S. aureus USA300", "osdr_accession": "osd-488", "version": 1}
    patched = sci.patch(url, json=body).get_json()
    assert (patched["version"], patched["organism"]) == (2, "S. aureus USA300")
    assert (patched["name"], patched["osdr_accession"]) == ("api experiment", "OSD-488")
    assert [a["id"] for a in patched["arms"]] == [a["id"] for a in exp["arms"]]
    stale = _error(sci.patch(url, json=body), 409, "conflict")
    assert stale["field"] == "version"
    _error(site.client("oper").patch(url, json={**body, "version": 2}), 403, "forbidden")
    _error(sci.patch(url, json={"organism": "x"}), 422, "validation_failed")
    bad = _error(
        sci.patch(url, json={"osdr_accession": "GLDS-4", "version": 2}), 422, "validation_failed"
    )
    assert bad["field"] == "osdr_accession"
    _error(sci.put(url, json=body), 405, "method_not_allowed")
    assert sci.get(url).get_json()["version"] == 2
    _error(sci.get("/api/v1/experiments/987654"), 404, "not_found")
    _error(
        sci.post(
            "/api/v1/experiments", json={"name": "api experiment", "organism": "x", "arms": ARMS}
        ),
        409,
        "conflict",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"arms": []}, "arms"),
        (
            {"arms": [{"name": "a", "spaceflight": "Space Flight", "gravity_g": 99}]},
            "arms[0].gravity_g",
        ),
    ],
)
def test_experiment_semantic_errors_name_the_field(
    site: Site, changes: dict[str, Any], field: str
) -> None:
    body = {"name": "semantic", "organism": "E. coli", "arms": ARMS, **changes}
    error = _error(
        site.client("sci").post("/api/v1/experiments", json=body), 422, "validation_failed"
    )
    assert error["field"] == field


def test_experiment_schema_errors(site: Site) -> None:
    sci = site.client("sci")
    error = _error(
        sci.post(
            "/api/v1/experiments", json={"name": "x", "organism": "y", "arms": [{"name": "a"}]}
        ),
        422,
        "validation_failed",
    )
    assert "arms" in json.dumps(error["details"])
    _error(
        sci.post(
            "/api/v1/experiments",
            json={
                "name": "x",
                "organism": "y",
                "arms": [{"name": "a", "gravity_g": "NaN", "spaceflight": "Space Flight"}],
            },
        ),
        422,
        "validation_failed",
    )


def test_audit_api(site: Site) -> None:
    _error(site.client("sci").get("/api/v1/audit"), 403, "forbidden")
    admin = site.client("boss")
    page = admin.get("/api/v1/audit?action=auth.&limit=5").get_json()
    assert 0 < len(page["items"]) <= 5
    assert page["total"] >= len(page["items"])
    assert all(item["action"].startswith("auth.") for item in page["items"])
    _error(admin.get("/api/v1/audit?limit=100000"), 422, "validation_failed")
    _error(admin.get("/api/v1/audit?since=yesterday"), 422, "validation_failed")
    _error(admin.get("/api/v1/audit?result=maybe"), 422, "validation_failed")
    denied = admin.get("/api/v1/audit?result=denied&username=sci").get_json()
    assert denied["total"] >= 1


def test_audit_chain_verification(site: Site) -> None:
    _error(site.client("sci").get("/api/v1/audit/verify"), 403, "forbidden")
    report = site.client("boss").get("/api/v1/audit/verify").get_json()
    assert report["is_intact"] is True
    assert report["checked"] == report["head_seq"] > 0
