"""Logging in with a second factor, in-process: the password alone opens nothing, the code
step starts the session, a role requirement forces enrolment, guesses are throttled; the
Account page's set-up and the admin's reset."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from dashboard.auth import second_step
from dashboard.models import AuditEvent
from dashboard.services import accounts, second_factor
from dashboard.services.actor import cli_actor
from tests.conftest import PASSWORD

from .conftest import Site, call_callback, find_callback

ACCOUNT_CALLBACK = "account-2fa-alert.children"
SECRET = re.compile(r'id="enrol-secret">([^<]+)<')
# Every kind of route a session would open: pages, the Dash bundle's data, the API.
GUARDED = ("/", "/account", "/admin/users", "/_dash-layout", "/_dash-dependencies", "/api/v1/me")


def _totp(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + steps_ahead * second_factor.STEP_S)


def _user(site: Site, name: str, *roles: str) -> None:
    accounts.create_user(site.db, cli_actor("t"), name, PASSWORD, list(roles))


def _password_step(site: Site, name: str, next_path: str = "/") -> tuple[FlaskClient, str]:
    client = site.server.test_client()
    response = client.post(
        "/login", data={"username": name, "password": PASSWORD, "next": next_path}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client, response.headers["Location"]


def _assert_nothing_opens(client: FlaskClient) -> None:
    for path in GUARDED:
        response = client.get(path)
        assert response.status_code in (302, 401), (path, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login"), path
    posted = client.post("/_dash-update-component", data="{}", content_type="application/json")
    assert posted.status_code == 401


def _enrol_on_account_page(client: FlaskClient) -> tuple[str, list[str]]:
    started = _press(client, "account-2fa-start")
    secret = started["account-2fa-secret"]["children"].replace(" ", "")
    assert started["account-2fa-qr"]["src"].startswith("data:image/svg+xml")
    assert started["account-2fa-enrol"]["hidden"] is False
    done = _press(client, "account-2fa-confirm", {"account-2fa-code.value": _totp(secret)})
    codes = re.findall(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", json.dumps(done))
    assert len(set(codes)) == second_factor.RECOVERY_CODE_COUNT
    assert done["account-2fa-manage"]["hidden"] is False
    return secret, codes


def _press(client: FlaskClient, button: str, values: dict[str, Any] | None = None) -> Any:
    """Press one of the second-factor card's buttons (only it in changedPropIds)."""
    dep = find_callback(client, ACCOUNT_CALLBACK)
    parts = dep["output"].strip(".").split("...")
    outputs = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]
    values = {f"{button}.n_clicks": 1, **(values or {})}

    def fill(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    body = {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": fill(dep["inputs"]),
        "state": fill(dep["state"]),
        "changedPropIds": [f"{button}.n_clicks"],
    }
    response = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]


def _audit(site: Site, username: str) -> list[tuple[str, str]]:
    with site.db.read() as s:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.username == username).order_by(AuditEvent.id)
        )
        return [(e.action, e.result) for e in rows if e.action.startswith(("second", "auth."))]


@pytest.fixture
def required_operators(site: Site) -> Iterator[None]:
    """Operators must use a second factor for this test only (the site is shared)."""
    second_factor.set_required_roles(site.db, cli_actor("t"), ["operator"])
    try:
        yield
    finally:
        second_factor.set_required_roles(site.db, cli_actor("t"), [])


def test_enrol_on_the_account_page_then_log_in_with_password_and_code(site: Site) -> None:
    _user(site, "tf-ana", "scientist")
    client = site.client("tf-ana")
    secret, codes = _enrol_on_account_page(client)
    # The password step gives no session: nothing opens until the code is given.
    fresh, step = _password_step(site, "tf-ana", "/experiments")
    assert step == second_step.CODE_PATH
    _assert_nothing_opens(fresh)
    page = fresh.get(step)
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.get_data(as_text=True)
    wrong = fresh.post(step, data={"code": "12"})
    assert wrong.status_code == 401
    assert "Wrong code" in wrong.get_data(as_text=True)
    _assert_nothing_opens(fresh)
    # The enrolment's code (this step) was used: the next step's code is what the app shows
    # within the window.
    done = fresh.post(step, data={"code": _totp(secret, 1)})
    assert (done.status_code, done.headers["Location"]) == (302, "/experiments")
    assert fresh.get("/api/v1/me").get_json()["username"] == "tf-ana"
    # A recovery code logs in once.
    other, _ = _password_step(site, "tf-ana")
    assert other.post(step, data={"code": codes[0]}).status_code == 302
    again, _ = _password_step(site, "tf-ana")
    assert again.post(step, data={"code": codes[0]}).status_code == 401
    assert _audit(site, "tf-ana") == [
        ("auth.login", "ok"),
        ("second_factor.enrol_start", "ok"),
        ("second_factor.enrol", "ok"),
        ("auth.login", "ok"),
        ("auth.second_factor", "failed"),
        ("auth.second_factor", "ok"),
        ("auth.login", "ok"),
        ("auth.second_factor", "ok"),
        ("auth.login", "ok"),
        ("auth.second_factor", "failed"),
    ]
    # New recovery codes and turning off need the password or a code, beside that field.
    refused = _press(client, "account-2fa-regenerate", {"account-2fa-proof.value": "nope"})
    assert refused["account-2fa-proof"]["invalid"] is True
    renewed = _press(client, "account-2fa-regenerate", {"account-2fa-proof.value": PASSWORD})
    assert "recovery codes" in json.dumps(renewed["account-2fa-codes"])
    off = _press(client, "account-2fa-disable", {"account-2fa-proof.value": PASSWORD})
    assert off["account-2fa-manage"]["hidden"] is True
    assert _password_step(site, "tf-ana")[1] == "/"


def test_turning_the_factor_on_logs_out_the_other_sessions(site: Site) -> None:
    _user(site, "tf-eve", "scientist")
    # A session opened with the password alone (a stolen password, before the owner enrols).
    earlier = site.client("tf-eve")
    owner = site.client("tf-eve")
    _enrol_on_account_page(owner)
    assert owner.get("/api/v1/me").status_code == 200
    assert earlier.get("/api/v1/me").status_code == 401
    # So it can no longer turn the factor off with that password either.
    refused = earlier.post("/_dash-update-component", data="{}", content_type="application/json")
    assert refused.status_code == 401
    with site.db.read() as s:
        enrolled = s.scalars(
            select(AuditEvent).where(
                AuditEvent.username == "tf-eve", AuditEvent.action == "second_factor.enrol"
            )
        ).one()
        assert enrolled.detail["sessions_ended"] == 1


def test_a_pending_login_expires_and_cannot_be_forged(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    _user(site, "tf-bea", "scientist")
    client = site.client("tf-bea")
    secret, _ = _enrol_on_account_page(client)
    fresh, step = _password_step(site, "tf-bea")
    # Another user's note cannot be made without the app's key.
    forged = site.server.test_client()
    with forged.session_transaction() as cookie:
        cookie[second_step.PENDING] = "eyJ1IjoxLCJ2IjoxLCJzIjoiY29kZSJ9.forged.sig"
    assert forged.post(step, data={"code": _totp(secret, 1)}).status_code == 401
    _assert_nothing_opens(forged)
    monkeypatch.setattr(second_step, "PENDING_LOGIN_S", -1)  # the note is now too old
    expired = fresh.post(step, data={"code": _totp(secret, 1)})
    assert expired.status_code == 401
    assert "timed out" in expired.get_data(as_text=True)
    _assert_nothing_opens(fresh)


def test_code_guesses_are_throttled(site: Site) -> None:
    _user(site, "tf-cal", "scientist")
    secret, _ = _enrol_on_account_page(site.client("tf-cal"))
    fresh, step = _password_step(site, "tf-cal")
    for _ in range(accounts.MAX_FAILURES_PER_NAME_AND_IP):
        assert fresh.post(step, data={"code": "000000x"}).status_code == 401
    refused = fresh.post(step, data={"code": _totp(secret, 1)})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert "Too many wrong codes" in refused.get_data(as_text=True)
    _assert_nothing_opens(fresh)
    assert _audit(site, "tf-cal")[-1] == ("auth.second_factor", "denied")


def test_a_role_that_requires_a_second_factor_forces_enrolment(
    site: Site, required_operators: None
) -> None:
    _user(site, "tf-dan", "operator")
    fresh, step = _password_step(site, "tf-dan", "/mission")
    assert step == second_step.ENROL_PATH
    _assert_nothing_opens(fresh)
    assert fresh.get(second_step.CODE_PATH).status_code == 200  # the login form, not a code step
    page = fresh.get(step).get_data(as_text=True)
    assert 'id="enrol-qr"' in page
    assert 'src="data:image/svg+xml' in page
    secret = SECRET.search(page)
    assert secret is not None
    # A reload shows the same secret (the app scanned it already).
    reloaded = SECRET.search(fresh.get(step).get_data(as_text=True))
    assert reloaded is not None
    assert reloaded.group(1) == secret.group(1)
    typed = secret.group(1).replace(" ", "")
    assert fresh.post(step, data={"code": "123"}).status_code == 422
    _assert_nothing_opens(fresh)
    done = fresh.post(step, data={"code": _totp(typed)})
    assert done.status_code == 200
    shown = done.get_data(as_text=True)
    assert (
        len(re.findall(r'<li class="col text-nowrap">', shown)) == second_factor.RECOVERY_CODE_COUNT
    )
    assert 'href="/mission"' in shown
    assert fresh.get("/api/v1/me").get_json()["username"] == "tf-dan"
    # The admin resets it (a lost phone): the next login must enrol again.
    admin = site.client("boss")
    user_id = fresh.get("/api/v1/me").get_json()["id"]
    status = admin.get(f"/api/v1/users/{user_id}/second-factor").get_json()
    assert status["is_enabled"] is True
    assert status["required_by"] == ["operator"]
    assert fresh.delete(f"/api/v1/users/{user_id}/second-factor").status_code == 403
    reset = admin.delete(f"/api/v1/users/{user_id}/second-factor")
    assert reset.status_code == 200
    assert reset.get_json()["is_enabled"] is False
    assert _password_step(site, "tf-dan")[1] == second_step.ENROL_PATH
    with site.db.read() as s:
        resets = s.scalars(
            select(AuditEvent.result).where(AuditEvent.action == "second_factor.reset")
        )
        assert list(resets)[-2:] == ["denied", "ok"]


def test_admins_choose_the_roles_and_reset_on_the_users_page(site: Site) -> None:
    _user(site, "tf-eli", "reviewer")
    reviewer = site.client("tf-eli")
    _enrol_on_account_page(reviewer)
    admin = site.client("boss")
    try:
        saved = call_callback(
            admin, "users-2fa-roles-alert.children", {"users-2fa-roles.value": ["reviewer"]}
        )
        assert saved.status_code == 200
        assert "reviewer must use a second factor" in saved.get_data(as_text=True)
        assert second_factor.required_roles(site.db) == ["reviewer"]
        # A reviewer cannot change it, even by calling the page's callback by hand.
        refused = call_callback(
            reviewer, "users-2fa-roles-alert.children", {"users-2fa-roles.value": []}
        )
        assert refused.status_code == 403
        assert second_factor.required_roles(site.db) == ["reviewer"]
    finally:
        second_factor.set_required_roles(site.db, cli_actor("t"), [])
    user_id = accounts.user_id_by_name(site.db, "tf-eli")
    reset = call_callback(
        admin, "users-edit-2fa-state.children@", {"users-edit-user.data": user_id}
    )
    assert reset.status_code == 200
    assert "Second factor reset." in reset.get_data(as_text=True)
    assert second_factor.login_step(site.db, user_id) == "none"
    assert ("second_factor.reset", "ok") in [
        (a, r) for a, r in _audit_all(site) if a == "second_factor.reset"
    ]


def _audit_all(site: Site) -> list[tuple[str, str]]:
    with site.db.read() as s:
        return [(e.action, e.result) for e in s.scalars(select(AuditEvent))]
