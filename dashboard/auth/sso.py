"""Single sign-on: the OpenID Connect authorization code flow, with Authlib's Flask client.

``GET /login/sso`` sends the browser to the provider (with state, nonce and a PKCE S256
challenge); ``GET /login/sso/callback`` takes the code back, exchanges it, and checks the
ID token (signature against the provider's JWKS, issuer, audience, expiry and nonce) before
``dashboard.services.single_sign_on`` finds or creates the user. The session then starts as
a password login's does. Both routes are open without a login (the gate's public endpoints);
they answer 404 when single sign-on is not configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import login_user
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    JoseError,
    UnsupportedAlgorithmError,
)
from werkzeug.wrappers import Response as BaseResponse

from dashboard.config import OidcSettings
from dashboard.services import accounts, single_sign_on
from dashboard.services.single_sign_on import NoRole, SignOnRefused

from . import second_step
from .current import WebUser, client_ip, current_db, current_principal
from .views import safe_next

bp = Blueprint("sso", __name__)

EXTENSION = "microspacegen.sso"
CLIENT_NAME = "oidc"
NEXT_KEY = "msg_sso_next"  # where to go after the login, kept in the session meanwhile
SCOPE = "openid profile email"
PROVIDER_TIMEOUT_S = 10
# Clock difference allowed between us and the provider when checking exp, iat and nbf.
LEEWAY_S = 60
# The ID token signatures we accept: the provider's public keys only. Never "none" (an
# unsigned token) nor HS256 (signed with our own client secret), whatever discovery offers.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
ERROR_TEXT_MAX = 200  # characters of a provider's error description shown and audited
START_AGAIN = "Start again from the login page."


class ProviderUnavailable(SignOnRefused):
    """The provider could not be reached, or answered with something that is not OIDC."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, reason, status=502)


@dataclass(frozen=True)
class SignOn:
    """The configured provider and the Authlib client that talks to it."""

    settings: OidcSettings
    client: Any  # authlib's FlaskOAuth2App (untyped)
    public_url: str | None

    def redirect_uri(self) -> str:
        """Where the provider sends the browser back: the public URL, else this request's host."""
        if self.public_url:
            return self.public_url + "/login/sso/callback"
        return url_for("sso.callback", _external=True)

    def metadata(self) -> Mapping[str, Any]:
        """The provider's discovery document (fetched once), checked to name our issuer, with
        its ID token algorithms narrowed to :data:`SIGNING_ALGORITHMS` (Authlib reads them)."""
        try:
            metadata: dict[str, Any] = self.client.load_server_metadata()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(
                f"The sign-on provider could not be reached ({type(exc).__name__}); try again "
                "later or log in with your password.",
                "provider unreachable",
            ) from None
        named = metadata.get("issuer")
        if named != self.settings.issuer:
            # Forget it, so a corrected provider is asked again on the next attempt.
            self.client.server_metadata.clear()
            raise ProviderUnavailable(
                f"The provider's discovery document names the issuer "
                f"{str(named)[:ERROR_TEXT_MAX]!r}, not the configured "
                f"{self.settings.issuer!r}; an administrator must correct "
                "MICROSPACEGEN_OIDC_ISSUER.",
                "discovery issuer mismatch",
            )
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        metadata["id_token_signing_alg_values_supported"] = [
            alg for alg in offered if alg in SIGNING_ALGORITHMS
        ] or ["RS256"]
        return metadata

    def finish(self) -> single_sign_on.VerifiedIdentity:
        """Check the provider's answer on the callback and return who signed in."""
        error = request.args.get("error")
        if error:
            # Only for a login started here: otherwise anyone could put words on our page.
            self._forget_state()
            description = request.args.get("error_description", "")
            shown = f"{error}: {description}" if description else error
            raise SignOnRefused(
                f"The sign-on provider did not sign you in ({shown[:ERROR_TEXT_MAX]}). "
                + START_AGAIN,
                f"provider error: {error[:ERROR_TEXT_MAX]}",
                status=403,
            )
        self.metadata()
        token = self._exchange_code()
        claims = token.get("userinfo")
        if not claims:
            raise SignOnRefused(
                "The sign-on provider sent no ID token. " + START_AGAIN, "no id token"
            )
        # Authlib checked iss against the option below; checked again here so that a change
        # there cannot silently let another issuer's tokens in.
        if claims.get("iss") != self.settings.issuer:
            raise SignOnRefused(
                "The ID token comes from an unknown issuer. " + START_AGAIN, "unknown issuer"
            )
        return single_sign_on.identity_from_claims(claims, self.settings.roles_claim)

    def _forget_state(self) -> None:
        """Check that the answer's state is one this browser's session is waiting for, and
        forget it (it is used once)."""
        state = request.args.get("state")
        framework = self.client.framework
        if not state or framework.get_state_data(session, state) is None:
            raise _state_mismatch()
        framework.clear_state_data(session, state)

    def _exchange_code(self) -> Mapping[str, Any]:
        if not request.args.get("state") or not request.args.get("code"):
            raise SignOnRefused(
                "The provider's answer lacks its code or state. " + START_AGAIN,
                "missing code or state",
                status=400,
            )
        claims_options = {
            "iss": {"essential": True, "value": self.settings.issuer},
            "aud": {"essential": True, "value": self.settings.client_id},
            "exp": {"essential": True},
        }
        try:
            token: Mapping[str, Any] = self.client.authorize_access_token(
                claims_options=claims_options, leeway=LEEWAY_S
            )
        except MismatchingStateError:
            raise _state_mismatch() from None
        except OAuthError as exc:
            raise SignOnRefused(
                f"The sign-on provider refused the code ({str(exc)[:ERROR_TEXT_MAX]}). "
                + START_AGAIN,
                f"token endpoint: {exc.error}",
                status=400,
            ) from None
        except JoseError as exc:
            raise SignOnRefused(
                f"The provider's ID token was refused: {_token_problem(exc)}. " + START_AGAIN,
                f"id token: {_token_problem(exc)}",
            ) from None
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(
                f"The sign-on provider's token endpoint failed ({type(exc).__name__}); try "
                "again later.",
                "token endpoint unreachable",
            ) from None
        return token


def _state_mismatch() -> SignOnRefused:
    return SignOnRefused(
        "This sign-in was not started in this browser, or it has expired (the state does not "
        "match). " + START_AGAIN,
        "state mismatch",
        status=400,
    )


def _token_problem(exc: JoseError) -> str:
    """Say in words what is wrong with a refused ID token."""
    if isinstance(exc, BadSignatureError):
        return "its signature does not match the provider's keys"
    if isinstance(exc, UnsupportedAlgorithmError):
        return "it is not signed with an accepted algorithm (unsigned, or a shared secret)"
    if isinstance(exc, ExpiredTokenError):
        return "it has expired"
    if isinstance(exc, ClaimError):
        return {
            "iss": "it comes from an unknown issuer",
            "aud": "it was issued for another application (audience)",
            "nonce": "it does not belong to this sign-in (nonce)",
            "azp": "it was issued for another application (authorized party)",
            "iat": "it was issued in the future",
            "nbf": "it is not valid yet",
        }.get(exc.claim, f"{exc.error} {exc.claim!r}")
    return f"it is malformed ({exc.error})"


def init_sso(server: Flask, settings: OidcSettings | None, public_url: str | None) -> None:
    """Add the sign-on routes; with ``settings``, the provider's client and the login button."""
    server.register_blueprint(bp)
    if settings is None:
        return
    oauth = OAuth(server)
    client = oauth.register(
        name=CLIENT_NAME,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        server_metadata_url=settings.discovery_url,
        client_kwargs={
            "scope": SCOPE,
            "code_challenge_method": "S256",
            "timeout": PROVIDER_TIMEOUT_S,
        },
    )
    server.extensions[EXTENSION] = SignOn(settings, client, public_url)

    @server.context_processor
    def _button() -> dict[str, str]:
        return {"sso_name": settings.name}


def _sign_on() -> SignOn | None:
    found: SignOn | None = current_app.extensions.get(EXTENSION)
    return found


def _page(message: str, status: int) -> Response:
    """The login page with ``message``: the person can start again or use a password."""
    # The page the login was for stays the target of the next attempt.
    target = safe_next(session.get(NEXT_KEY) or request.args.get("next"))
    html = render_template("login.html", error=message, username="", next=target)
    return Response(html, status=status, mimetype="text/html")


def _not_configured() -> Response:
    return Response("Single sign-on is not configured.\n", 404, mimetype="text/plain")


@bp.get("/login/sso")
def start() -> BaseResponse:
    """Send the browser to the provider to sign in."""
    sign_on = _sign_on()
    if sign_on is None:
        return _not_configured()
    target = safe_next(request.args.get("next"))
    if current_principal() is not None:
        return redirect(target)
    try:
        sign_on.metadata()
    except SignOnRefused as exc:
        single_sign_on.record_refusal(current_db(), client_ip(), exc.reason)
        return _page(exc.message, exc.status)
    session[NEXT_KEY] = target
    response: BaseResponse = sign_on.client.authorize_redirect(sign_on.redirect_uri())
    return response


@bp.get("/login/sso/callback")
def callback() -> BaseResponse:
    """Take the provider's answer: refuse it with a reason, or start the session."""
    sign_on = _sign_on()
    if sign_on is None:
        return _not_configured()
    db, ip = current_db(), client_ip()
    try:
        identity = sign_on.finish()
    except SignOnRefused as exc:
        single_sign_on.record_refusal(db, ip, exc.reason)
        return _page(exc.message, exc.status)
    try:
        principal = single_sign_on.sign_in(db, identity, sign_on.settings.role_map, ip)
    except NoRole as exc:
        return _page(exc.message, exc.status)
    except SignOnRefused as exc:
        return _page(exc.message, exc.status)
    target = safe_next(session.get(NEXT_KEY))
    # A fresh cookie for the new session, as after a password login.
    session.clear()
    if not identity.is_multi_factor:
        # The provider checked one factor: a role that must use a second factor (or a user
        # who set one up here) gets this app's code step, as after a password.
        step = second_step.begin(principal, target)
        if step is not None:
            return step
    login_user(WebUser(accounts.start_session(db, principal, ip)))
    return redirect(target)
