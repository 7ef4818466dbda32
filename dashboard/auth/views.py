"""Login and logout pages (plain Flask: they must work before any Dash bundle is allowed)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, render_template, request
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from dashboard import __version__
from dashboard.services import accounts, audit
from dashboard.services.errors import AuthenticationFailed, TooManyAttempts

from .current import WebUser, client_ip, current_actor, current_db, current_principal

bp = Blueprint("auth", __name__, template_folder=str(Path(__file__).parent / "templates"))

FIELD_MAX = 1024


def safe_next(target: str | None) -> str:
    """Only same-site paths may follow a login (no open redirects)."""
    if not target:
        return "/"
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
        version=__version__,
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
    login_user(WebUser(principal))
    return redirect(safe_next(request.form.get("next")))


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> BaseResponse:
    """End the session."""
    if current_principal() is not None:
        with current_db().begin() as s:
            audit.add(s, current_actor(), "auth.logout")
    logout_user()
    return redirect("/login")
