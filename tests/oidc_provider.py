"""A small, real OpenID Connect provider for the tests, built on Authlib's server side.

It serves the authorization code flow (with PKCE and nonce) on a loopback port in a thread:
a discovery document, its JWKS, an authorization endpoint that signs in ``provider.user``
at once (no login form), and a token endpoint issuing RS256-signed ID tokens. Switches make
it misbehave the way a test needs: a tampered signature, another audience or issuer, an
expired token, or an error instead of a code.

    with OidcProvider(redirect_uris=["http://localhost/login/sso/callback"]) as provider:
        provider.user.groups = ["lab-admins"]
        ...
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.models import AuthorizationCodeMixin
from flask import Flask, Response, jsonify, redirect, request
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

CLIENT_ID = "microspacegen-test"
CLIENT_SECRET = "test-client-secret-" + "0" * 16  # the test provider's own, nothing else's
KEY_ID = "test-key-1"


@dataclass
class ProviderUser:
    """The person the provider signs in; tests change the fields between logins."""

    sub: str = "user-0001"
    preferred_username: str | None = "ada"
    name: str = "Ada Lovelace"
    email: str = "ada@lab.example.org"
    groups: list[str] = field(default_factory=lambda: ["lab-admins"])
    amr: list[str] = field(default_factory=lambda: ["pwd", "otp"])


@dataclass
class _Code(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: ProviderUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_amr(self) -> list[str]:
        return list(self.user.amr)


@dataclass
class _Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in ("openid", "profile", "email"))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class OidcProvider:
    """The provider; ``start()`` (or ``with``) serves it on 127.0.0.1 at :attr:`issuer`."""

    def __init__(
        self,
        *,
        redirect_uris: list[str],
        roles_claim: str = "groups",
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
    ) -> None:
        self.user = ProviderUser()
        self.roles_claim = roles_claim
        self.client = _Client(client_id, client_secret, list(redirect_uris))
        self.key = RSAKey.generate_key(2048, parameters={"kid": KEY_ID, "use": "sig"})
        self.codes: dict[str, _Code] = {}
        # What the app sent to the authorization endpoint, newest last (PKCE, nonce, state).
        self.authorization_requests: list[dict[str, str]] = []
        self.token_requests = 0
        self.issuer = ""
        self.reset()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.app = self._build_app()

    def reset(self) -> None:
        """Back to a well-behaved provider."""
        self.tamper_signature = False
        self.tamper_payload = False
        self.audience: str | None = None  # None: the client id
        self.token_issuer: str | None = None  # None: the provider's issuer
        self.lifetime_s = 300
        self.error: tuple[str, str] | None = None  # (error, description) instead of a code
        self.discovery_issuer: str | None = None  # None: the provider's issuer
        self.unsigned = False  # an ID token with "alg": "none" (and discovery offering it)

    # --- serving ----------------------------------------------------------------------------

    def start(self) -> Self:
        self._server = make_server(
            "127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler
        )
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the OAuth 2 / OIDC machinery --------------------------------------------------------

    def _build_app(self) -> Flask:
        provider = self
        app = Flask("test-oidc-provider")
        server = AuthorizationServer(app, query_client=self._query_client, save_token=_ignore)

        class CodeGrant(AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

            def save_authorization_code(self, code: str, req: Any) -> None:
                data = req.payload.data
                provider.codes[code] = _Code(
                    code=code,
                    client_id=req.client.client_id,
                    redirect_uri=req.payload.redirect_uri,
                    scope=req.scope or req.payload.scope,
                    user=req.user,
                    nonce=data.get("nonce"),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                    auth_time=int(time.time()),
                )

            def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
                item = provider.codes.get(code)
                return item if item and item.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: _Code) -> None:
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: _Code) -> ProviderUser:
                return authorization_code.user

        class OpenId(OpenIDCode):
            def exists_nonce(self, nonce: str, req: Any) -> bool:
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client: _Client) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: _Client) -> str:
                return "RS256"

            def get_encode_header(self, client: _Client) -> dict[str, str]:
                return {"alg": "RS256", "kid": KEY_ID}

            def get_client_claims(self, client: _Client) -> dict[str, Any]:
                now = int(time.time())
                return {
                    "iss": provider.token_issuer or provider.issuer,
                    "aud": [provider.audience or client.get_client_id()],
                    "iat": now if provider.lifetime_s > 0 else now - 3600,
                    "exp": now + provider.lifetime_s,
                }

            def generate_user_info(self, user: ProviderUser, scope: str) -> UserInfo:
                info = UserInfo(sub=user.sub, name=user.name, email=user.email)
                if user.preferred_username is not None:
                    info["preferred_username"] = user.preferred_username
                info[provider.roles_claim] = list(user.groups)
                return info

        server.register_grant(CodeGrant, [CodeChallenge(required=True), OpenId(require_nonce=True)])

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Response:
            base = provider.issuer
            return jsonify(
                issuer=provider.discovery_issuer or base,
                authorization_endpoint=f"{base}/authorize",
                token_endpoint=f"{base}/token",
                jwks_uri=f"{base}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256", "none"]
                if provider.unsigned
                else ["RS256"],
                code_challenge_methods_supported=["S256"],
                token_endpoint_auth_methods_supported=[
                    "client_secret_basic",
                    "client_secret_post",
                ],
                scopes_supported=["openid", "profile", "email"],
                claims_supported=[
                    "sub",
                    "name",
                    "email",
                    "preferred_username",
                    provider.roles_claim,
                ],
            )

        @app.get("/jwks")
        def jwks() -> Response:
            return jsonify(KeySet([provider.key]).as_dict(private=False))

        @app.get("/authorize")
        def authorize() -> Any:
            provider.authorization_requests.append(request.args.to_dict())
            if provider.error is not None:
                error, description = provider.error
                query = urlencode(
                    {
                        "error": error,
                        "error_description": description,
                        "state": request.args.get("state", ""),
                    }
                )
                return redirect(f"{request.args.get('redirect_uri')}?{query}")
            try:
                grant = server.get_consent_grant(end_user=provider.user)
            except OAuth2Error as exc:
                return jsonify(error=exc.error, description=exc.description), 400
            return server.create_authorization_response(grant_user=provider.user, grant=grant)

        @app.post("/token")
        def token() -> Response:
            provider.token_requests += 1
            response: Response = server.create_token_response()
            is_altered = provider.tamper_signature or provider.tamper_payload or provider.unsigned
            if response.status_code == 200 and is_altered:
                body = json.loads(response.get_data())
                body["id_token"] = provider._tampered(body["id_token"])
                response.set_data(json.dumps(body))
            return response

        return app

    def _query_client(self, client_id: str) -> _Client | None:
        return self.client if client_id == self.client.client_id else None

    def _tampered(self, id_token: str) -> str:
        """The ID token with one byte changed: in its signature, or in its payload (the
        groups claim widened to admin) with the original signature kept; or not signed."""
        header, payload, signature = id_token.split(".")
        if self.unsigned:
            return f"{_b64encode(json.dumps({'alg': 'none'}).encode())}.{payload}."
        if self.tamper_signature:
            raw = bytearray(_b64decode(signature))
            raw[len(raw) // 2] ^= 0x01
            return f"{header}.{payload}.{_b64encode(bytes(raw))}"
        claims = json.loads(_b64decode(payload))
        claims[self.roles_claim] = ["lab-admins"]
        forged = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
        return f"{header}.{forged}.{signature}"


class _QuietHandler(WSGIRequestHandler):
    """No request log: its lines carry codes and states."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _ignore(token: dict[str, Any], request: Any) -> None:
    """Access tokens are not kept: nothing here accepts them."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
