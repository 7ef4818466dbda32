"""Logins, sessions, bearer tokens and the gate in front of every route."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Request, session
from flask_login import LoginManager
from werkzeug.wrappers import Response as BaseResponse

from dashboard.services import accounts

from .current import (
    EXTENSION,
    AppState,
    WebUser,
    app_state,
    current_actor,
    current_catalog,
    current_db,
    current_files,
    current_principal,
    current_queue,
)
from .guard import PageRule, check_request, page_rules, refused_page_status
from .probes import bp as probes_bp
from .sso import init_sso
from .views import bp

__all__ = [
    "AppState",
    "PageRule",
    "app_state",
    "current_actor",
    "current_catalog",
    "current_db",
    "current_files",
    "current_principal",
    "current_queue",
    "init_auth",
    "page_rules",
]


def _load_session_user(user_key: str) -> WebUser | None:
    # "<user id>.<auth version>.<session secret>", as WebUser.get_id writes it.
    user_id, version, session_secret = [*user_key.split(".", 2), "", ""][:3]
    if not (user_id.isdecimal() and version.isdecimal() and session_secret) or len(user_id) > 12:
        return None
    # The cookie is renewed on every request; the session itself ends SESSION_HOURS after
    # the login, so a rule that applies "from the next login" is not put off for ever.
    principal = accounts.load_principal(
        current_db(),
        int(user_id),
        int(version[:12]),
        session_secret,
        max_age=timedelta(hours=app_state().settings.session_hours),
    )
    return WebUser(principal) if principal else None


def _load_bearer_user(req: Request) -> WebUser | None:
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    principal = accounts.principal_for_token(current_db(), token.strip())
    return WebUser(principal) if principal else None


def init_auth(server: Flask, state: AppState, rules: list[PageRule]) -> None:
    """Wire Flask-Login, the login pages and the request gate into ``server``."""
    settings = state.settings
    server.extensions[EXTENSION] = state
    server.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="microspacegen_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    manager = LoginManager(server)
    manager.session_protection = "basic"
    manager.user_loader(_load_session_user)
    manager.request_loader(_load_bearer_user)
    server.register_blueprint(bp)
    server.register_blueprint(probes_bp)  # open without a login, like the login page
    init_sso(server, settings.oidc, settings.public_url)  # open too: it is a way to log in

    @server.before_request
    def _gate() -> BaseResponse | None:
        session.permanent = True
        return check_request(rules)

    server.after_request(refused_page_status)
