"""Login and logout pages (plain Flask: they must work before any Dash bundle is allowed)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, render_template, request, session
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from dashboard.services import accounts
from dashboard.services.errors import AuthenticationFailed, TooManyAttempts
from dashboard.services.text import has_control_characters

from .current import WebUser, client_ip, current_actor, current_db, current_principal

bp = Blueprint("auth", __name__, template_folder=str(Path(__file__).parent / "templates"))

FIELD_MAX = 1024


def safe_next(target: str | None) -> str:
    """Only same-site paths may follow a login (no open redirects)."""
    if not target or has_control_characters(target, multiline=False):
        return "/"  # a line break would split the Location header
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if target.startswith("/login") or "\\" in target:
        return "/"
    return target


def _page(error: str | None = None, status: int = 200, username: str = "") -> Response:
    html = render_template(
        "login.html",
        error=error,
        username=username,
        next=safe_next(request.values.get("next")),
    )
    return Response(html, status=status, mimetype="text/html")


@bp.get("/login")
def login_form() -> BaseResponse:
    """Show the login form, or go on if already logged in."""
    if current_principal() is not None:
        return redirect(safe_next(request.args.get("next")))
    return _page()


@bp.post("/login")
def login_submit() -> BaseResponse:
    """Check the credentials; a wrong or throttled attempt gets the form again with a reason."""
    username = request.form.get("username", "")[:FIELD_MAX]
    password = request.form.get("password", "")[:FIELD_MAX]
    if not username.strip() or not password:
        return _page("Enter your username and password.", 400, username)
    try:
        principal = accounts.authenticate(current_db(), username, password, client_ip())
    except TooManyAttempts as exc:
        response = _page(exc.message, 429, username)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    except AuthenticationFailed as exc:
        return _page(exc.message, 401, username)
    # A fresh cookie for the new session: nothing set before the login carries over.
    session.clear()
    login_user(WebUser(accounts.start_session(current_db(), principal, client_ip())))
    return redirect(safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> BaseResponse:
    """End the session on the server too, so a copy of the cookie is refused afterwards.

    POST only: a link or image on another page must not be able to log anyone out.
    """
    principal = current_principal()
    if principal is not None and principal.session:
        accounts.end_session(current_db(), current_actor(), principal.session)
    logout_user()
    session.clear()
    return redirect("/login")


@bp.get("/logout")
def logout_refused() -> BaseResponse:
    """Say that logout takes a POST (else Dash would answer with its page-not-found)."""
    response = Response(
        "Log out with the button in the menu (a POST request).\n", 405, mimetype="text/plain"
    )
    response.headers["Allow"] = "POST"
    return response
