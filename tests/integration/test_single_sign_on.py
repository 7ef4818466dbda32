"""Single sign-on against a real OpenID Connect provider on loopback (tests/oidc_provider.py).

The browser's part is played by hand: the app's test client starts the login, ``requests``
follows the redirect to the provider, and the provider's redirect back is handed to the app
again; the app itself talks to the provider's token endpoint and JWKS over HTTP.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from dashboard.auth import current_db
from dashboard.config import load_settings
from dashboard.db import Database
from dashboard.models import AuditEvent, User, UserIdentity
from dashboard.services import accounts
from dashboard.services.actor import cli_actor
from tests.conftest import PASSWORD
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider

from .conftest import Site

CALLBACK = "http://localhost/login/sso/callback"
ROLE_MAP = "lab-admins=admin,lab-ops=operator,lab-staff=scientist,lab-staff=reviewer"


@dataclass(frozen=True)
class SsoSite:
    server: Flask
    db: Database
    provider: OidcProvider


@pytest.fixture(scope="module")
def sso() -> Iterator[SsoSite]:
    with (
        OidcProvider(redirect_uris=[CALLBACK], roles_claim="groups") as provider,
        tempfile.TemporaryDirectory() as data_dir,
    ):
        env = {
            "MICROSPACEGEN_OIDC_ISSUER": provider.issuer,
            "MICROSPACEGEN_OIDC_CLIENT_ID": CLIENT_ID,
            "MICROSPACEGEN_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "MICROSPACEGEN_OIDC_ROLES_CLAIM": "groups",
            "MICROSPACEGEN_OIDC_ROLE_MAP": ROLE_MAP,
            "MICROSPACEGEN_OIDC_NAME": "Lab ID",
        }
        server = create_app(load_settings(env, data_dir=Path(data_dir))).server
        with server.app_context():
            db = current_db()
        accounts.create_user(db, cli_actor("test"), "ada", PASSWORD, ["reviewer"])
        yield SsoSite(server, db, provider)
        db.dispose()


@pytest.fixture
def provider(sso: SsoSite) -> Iterator[OidcProvider]:
    sso.provider.reset()
    yield sso.provider
    sso.provider.reset()


def _callback_path(location: str) -> str:
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK, location
    return f"{parts.path}?{parts.query}"


def start(client: FlaskClient, next_path: str = "/") -> str:
    """Start a login; return where the provider sends the browser back (the callback URL)."""
    response = client.get(f"/login/sso?next={next_path}")
    assert response.status_code == 302, response.get_data(as_text=True)
    at_provider = requests.get(response.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    return _callback_path(at_provider.headers["Location"])


def sign_in(client: FlaskClient, next_path: str = "/") -> tuple[int, str, str]:
    """The whole round trip: (status of the callback, its Location, its page text)."""
    response = client.get(start(client, next_path))
    return (
        response.status_code,
        response.headers.get("Location", ""),
        response.get_data(as_text=True),
    )


def is_logged_in(client: FlaskClient) -> bool:
    return client.get("/api/v1/me/preferences").status_code == 200


def last_events(db: Database, action: str, n: int = 1) -> list[AuditEvent]:
    with db.read() as s:
        rows = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id.desc())
            .limit(n)
        )
        return list(rows)


def linked_user(db: Database, issuer: str, subject: str) -> User | None:
    with db.read() as s:
        link = s.scalar(
            select(UserIdentity).where(
                UserIdentity.issuer == issuer, UserIdentity.subject == subject
            )
        )
        return link.user if link else None


# --- the login page --------------------------------------------------------------------------


def test_the_button_shows_when_configured(sso: SsoSite) -> None:
    page = sso.server.test_client().get("/login?next=/runs").get_data(as_text=True)
    assert 'id="login-sso"' in page
    assert 'href="/login/sso?next=/runs"' in page
    assert "Sign in with Lab ID" in page


def test_the_button_is_hidden_and_the_routes_absent_when_not_configured(site: Site) -> None:
    client = site.client()
    page = client.get("/login").get_data(as_text=True)
    assert "login-sso" not in page
    assert "Sign in with" not in page
    for path in ("/login/sso", "/login/sso/callback?code=x&state=y"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "not configured" in response.get_data(as_text=True)


# --- logging in ------------------------------------------------------------------------------


def test_first_login_creates_a_linked_user_and_starts_a_session(
    sso: SsoSite, provider: OidcProvider
) -> None:
    provider.user.sub = "first-login"
    provider.user.preferred_username = "Grace.Hopper"
    provider.user.name = "Grace Hopper"
    provider.user.groups = ["lab-ops", "unrelated-group"]
    client = sso.server.test_client()
    assert not is_logged_in(client)

    status, location, _ = sign_in(client, "/runs")

    assert (status, location) == (302, "/runs")
    assert is_logged_in(client)
    # The request the app sent: code flow, PKCE S256, a nonce, a state, our client.
    sent = provider.authorization_requests[-1]
    assert sent["response_type"] == "code"
    assert sent["code_challenge_method"] == "S256"
    assert len(sent["code_challenge"]) == 43
    assert len(sent["nonce"]) >= 16
    assert len(sent["state"]) >= 16
    assert sent["client_id"] == CLIENT_ID
    assert set(sent["scope"].split()) >= {"openid", "profile", "email"}
    user = linked_user(sso.db, provider.issuer, "first-login")
    assert user is not None
    assert (user.username, user.display_name) == ("grace.hopper", "Grace Hopper")
    assert user.role_names == {"operator"}
    assert user.last_login_at is not None
    login, created = last_events(sso.db, "auth.login")[0], last_events(sso.db, "user.create")[0]
    assert (login.username, login.result) == ("grace.hopper", "ok")
    assert login.detail["method"] == "sso"
    assert login.detail["subject"] == "first-login"
    assert login.detail["amr"] == ["pwd", "otp"]
    assert created.detail["username"] == "grace.hopper"

    # Logging out ends the server-side session, as after a password login.
    response = client.post("/logout")
    assert response.status_code == 302
    assert not is_logged_in(client)


def test_roles_follow_the_claim_at_every_login(sso: SsoSite, provider: OidcProvider) -> None:
    provider.user.sub = "changing-roles"
    provider.user.preferred_username = "kat"
    provider.user.groups = ["lab-staff"]
    assert sign_in(sso.server.test_client())[0] == 302
    user = linked_user(sso.db, provider.issuer, "changing-roles")
    assert user is not None
    assert user.role_names == {"scientist", "reviewer"}

    provider.user.groups = ["lab-admins", "lab-ops"]
    provider.user.preferred_username = "renamed-at-the-provider"
    assert sign_in(sso.server.test_client())[0] == 302

    again = linked_user(sso.db, provider.issuer, "changing-roles")
    assert again is not None
    assert again.id == user.id
    assert again.username == "kat"  # linked by subject; the name stays
    assert again.role_names == {"admin", "operator"}
    change = last_events(sso.db, "user.update")[0]
    assert change.detail["before"] == {"roles": ["reviewer", "scientist"]}
    assert change.detail["after"] == {"roles": ["admin", "operator"]}
    assert change.detail["method"] == "sso"


def test_an_existing_local_account_is_never_taken_over(
    sso: SsoSite, provider: OidcProvider
) -> None:
    provider.user.sub = "another-ada"
    provider.user.preferred_username = "ada"  # the local reviewer "ada" exists
    provider.user.groups = ["lab-admins"]
    assert sign_in(sso.server.test_client())[0] == 302

    user = linked_user(sso.db, provider.issuer, "another-ada")
    assert user is not None
    assert user.username == "ada-2"
    with sso.db.read() as s:
        local = s.scalar(select(User).where(User.username == "ada"))
        assert local is not None
        assert local.role_names == {"reviewer"}
    # The local account still logs in with its password beside single sign-on.
    client = sso.server.test_client()
    response = client.post("/login", data={"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert is_logged_in(client)


def test_no_mapped_role_is_refused_and_nothing_is_created(
    sso: SsoSite, provider: OidcProvider
) -> None:
    provider.user.sub = "visitor"
    provider.user.groups = ["visitors"]
    client = sso.server.test_client()

    status, _, page = sign_in(client, "/runs")

    assert status == 403
    assert "has no MicroSpaceGen role; ask your administrator" in page
    assert 'href="/login/sso?next=/runs"' in page  # trying again keeps the target
    assert not is_logged_in(client)
    assert linked_user(sso.db, provider.issuer, "visitor") is None
    event = last_events(sso.db, "auth.login")[0]
    assert (event.result, event.detail["reason"]) == ("failed", "no mapped role")
    assert event.detail["claim_values"] == ["visitors"]


def test_a_deactivated_linked_user_stays_refused(sso: SsoSite, provider: OidcProvider) -> None:
    provider.user.sub = "leaver"
    provider.user.preferred_username = "leaver"
    provider.user.groups = ["lab-ops"]
    assert sign_in(sso.server.test_client())[0] == 302
    user = linked_user(sso.db, provider.issuer, "leaver")
    assert user is not None
    accounts.update_user(sso.db, cli_actor("test"), user.id, is_active=False)
    client = sso.server.test_client()

    status, _, page = sign_in(client)

    assert status == 403
    assert "deactivated" in page
    assert not is_logged_in(client)
    event = last_events(sso.db, "auth.login")[0]
    assert (event.result, event.detail["reason"]) == ("failed", "inactive")


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("switch", "words", "reason"),
    [
        ("tamper_signature", "signature does not match", "signature"),
        ("tamper_payload", "signature does not match", "signature"),
        ("audience", "another application (audience)", "another application"),
        ("token_issuer", "unknown issuer", "unknown issuer"),
        ("lifetime_s", "expired", "expired"),
        ("unsigned", "not signed with an accepted algorithm", "accepted algorithm"),
    ],
)
def test_a_bad_id_token_is_refused(
    sso: SsoSite, provider: OidcProvider, switch: str, words: str, reason: str
) -> None:
    provider.user.sub = "bad-token"
    provider.user.groups = ["lab-ops"]  # tamper_payload widens it to lab-admins
    setattr(
        provider,
        switch,
        {
            "tamper_signature": True,
            "tamper_payload": True,
            "audience": "some-other-app",
            "token_issuer": "https://evil.example.org",
            "lifetime_s": -600,
            "unsigned": True,
        }[switch],
    )
    # As on a fresh start: discovery read again (offering "none" to the unsigned case).
    sso.server.extensions["microspacegen.sso"].client.server_metadata.clear()
    client = sso.server.test_client()
    tokens_before = provider.token_requests

    status, _, page = sign_in(client)

    assert provider.token_requests == tokens_before + 1  # refused after the exchange
    assert status == 401
    assert words in page
    assert not is_logged_in(client)
    assert linked_user(sso.db, provider.issuer, "bad-token") is None
    event = last_events(sso.db, "auth.login")[0]
    assert event.result == "failed"
    assert reason in event.detail["reason"]


def test_a_mismatched_or_replayed_state_is_refused(sso: SsoSite, provider: OidcProvider) -> None:
    provider.user.sub = "state-user"
    provider.user.groups = ["lab-ops"]
    started_here = sso.server.test_client()
    callback = start(started_here)

    # Delivered to another browser (a login forced on someone, CSRF): no state there.
    elsewhere = sso.server.test_client()
    response = elsewhere.get(callback)
    assert response.status_code == 400
    assert "state does not match" in response.get_data(as_text=True)
    assert not is_logged_in(elsewhere)
    event = last_events(sso.db, "auth.login")[0]
    assert (event.result, event.detail["reason"]) == ("failed", "state mismatch")

    # A changed state in the right browser is refused too, and so is the right one twice.
    query = parse_qs(urlsplit(callback).query)
    forged = f"/login/sso/callback?code={query['code'][0]}&state=forged{query['state'][0]}"
    assert started_here.get(forged).status_code == 400
    assert started_here.get(callback).status_code == 302
    assert started_here.get(callback).status_code in (302, 400)  # logged in: no new session
    replay = sso.server.test_client()
    assert replay.get(callback).status_code == 400
    assert linked_user(sso.db, provider.issuer, "state-user") is not None


def test_an_error_from_the_provider_is_refused(sso: SsoSite, provider: OidcProvider) -> None:
    provider.error = ("access_denied", "The user said no")
    client = sso.server.test_client()

    status, _, page = sign_in(client)

    assert status == 403
    assert "did not sign you in (access_denied: The user said no)" in page
    assert not is_logged_in(client)
    event = last_events(sso.db, "auth.login")[0]
    assert (event.result, event.detail["reason"]) == ("failed", "provider error: access_denied")

    # An error sent to someone who started no login is a state mismatch: no words of its own.
    forged = "/login/sso/callback?error=access_denied&error_description=Call+0800&state=x"
    response = sso.server.test_client().get(forged)
    assert response.status_code == 400
    assert "0800" not in response.get_data(as_text=True)


def test_a_discovery_document_naming_another_issuer_is_refused(
    sso: SsoSite, provider: OidcProvider
) -> None:
    sign_on = sso.server.extensions["microspacegen.sso"]
    sign_on.client.server_metadata.clear()  # as on a fresh start
    provider.discovery_issuer = "https://elsewhere.example.org"
    response = sso.server.test_client().get("/login/sso")
    assert response.status_code == 502
    page = html.unescape(response.get_data(as_text=True))
    assert "names the issuer 'https://elsewhere.example.org'" in page
    event = last_events(sso.db, "auth.login")[0]
    assert event.detail["reason"] == "discovery issuer mismatch"

    provider.discovery_issuer = None  # corrected: the next attempt asks again and goes on
    assert sso.server.test_client().get("/login/sso").status_code == 302


def test_the_callback_needs_no_login_but_nothing_else_opens(sso: SsoSite) -> None:
    client = sso.server.test_client()
    # Reached without a login (a refusal of its own, not the gate's redirect to /login).
    response = client.get("/login/sso/callback?code=x&state=y")
    assert response.status_code == 400
    for path in ("/", "/runs", "/login/ssox", "/login/sso/callback/x", "/api/v1/me/preferences"):
        response = client.get(path)
        assert response.status_code in (302, 401), path
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next="), path


def test_a_role_that_must_use_a_second_factor_gets_the_code_step_after_one_factor(
    sso: SsoSite, provider: OidcProvider
) -> None:
    from dashboard.auth.second_step import ENROL_PATH
    from dashboard.services import second_factor

    second_factor.set_required_roles(sso.db, cli_actor("test"), ["operator"])
    try:
        provider.user.sub = "one-factor-operator"
        provider.user.preferred_username = "otto"
        provider.user.groups = ["lab-ops"]
        provider.user.amr = ["pwd"]
        client = sso.server.test_client()
        status, location, _ = sign_in(client, "/runs")
        assert (status, urlsplit(location).path) == (302, ENROL_PATH)
        assert not is_logged_in(client)  # only the enrolment step is open

        # The provider vouches for two factors (RFC 8176 "mfa"): no second code here.
        provider.user.amr = ["mfa"]
        client = sso.server.test_client()
        status, location, _ = sign_in(client, "/runs")
        assert (status, location) == (302, "/runs")
        assert is_logged_in(client)
    finally:
        second_factor.set_required_roles(sso.db, cli_actor("test"), [])
