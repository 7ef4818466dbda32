"""Login and logout pages (plain Flask: they must work before any Dash bundle is allowed)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, render_template, request, session
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response as BaseResponse

from dashboard.components.qr_code import qr_data_uri, qr_size_px
from dashboard.components.second_factor import group_secret
from dashboard.services import accounts, second_factor
from dashboard.services.accounts import Principal
from dashboard.services.errors import AuthenticationFailed, ServiceError, TooManyAttempts
from dashboard.services.text import has_control_characters

from . import second_step
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
    second_step.forget()
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
    target = safe_next(request.form.get("next"))
    # A second factor due: no session yet, only a short-lived signed note of the password.
    second = second_step.begin(principal, target)
    if second is not None:
        return second
    return start_login(principal, target)


def start_login(principal: Principal, target: str) -> BaseResponse:
    """Open the server-side session and set its cookie; go on to ``target``."""
    session.clear()
    login_user(WebUser(accounts.start_session(current_db(), principal, client_ip())))
    return redirect(target)


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


# --- the second step: a code, or enrolment when the role requires one ------------------------

EXPIRED = "Your login timed out or was interrupted; log in again."


def _second_page(
    mode: str,
    login: second_step.PendingLogin,
    *,
    error: str | None = None,
    status: int = 200,
    **extra: object,
) -> Response:
    titles = {
        "code": "Second factor",
        "enrol": "Set up a second factor",
        "recovery": "Recovery codes",
    }
    html = render_template(
        "second_factor.html",
        mode=mode,
        title=titles[mode],
        username=login.principal.username,
        error=error,
        code_max=second_factor.CODE_INPUT_MAX,
        next=login.next,
        **extra,
    )
    return Response(html, status=status, mimetype="text/html")


def _throttled(exc: TooManyAttempts, page: Response) -> Response:
    page.status_code = 429
    page.headers["Retry-After"] = str(exc.retry_after_s)
    return page


@bp.get(second_step.CODE_PATH)
def code_form() -> BaseResponse:
    """Ask for the code after a right password."""
    login = second_step.pending("code")
    if login is None:
        return _page(EXPIRED)
    return _second_page("code", login)


@bp.post(second_step.CODE_PATH)
def code_submit() -> BaseResponse:
    """Check the code (or a recovery code); only now does a session start."""
    login = second_step.pending("code")
    if login is None:
        return _page(EXPIRED, 401)
    actor = login.principal.actor(client_ip())
    code = request.form.get("code", "")[:FIELD_MAX]
    try:
        second_factor.verify_login(current_db(), actor, second_step.sealing_key(), code)
    except TooManyAttempts as exc:
        return _throttled(exc, _second_page("code", login, error=exc.message))
    except AuthenticationFailed as exc:
        return _second_page("code", login, error=exc.message, status=401)
    except ServiceError as exc:  # a secret the app's key cannot open: an admin resets it
        return _second_page("code", login, error=exc.message, status=exc.status)
    return start_login(login.principal, login.next)


def _enrol_page(
    login: second_step.PendingLogin, error: str | None = None, status: int = 200
) -> Response:
    actor = login.principal.actor(client_ip())
    started = second_factor.begin_enrolment(
        current_db(), actor, second_step.sealing_key(), resume=True
    )
    return _second_page(
        "enrol",
        login,
        error=error,
        status=status,
        qr=qr_data_uri(started.uri),
        qr_px=qr_size_px(started.uri),
        secret=group_secret(started.secret),
    )


@bp.get(second_step.ENROL_PATH)
def enrol_form() -> BaseResponse:
    """A user whose role requires a second factor sets one up before anything else."""
    login = second_step.pending("enrol")
    if login is None:
        return _page(EXPIRED)
    return _enrol_page(login)


@bp.post(second_step.ENROL_PATH)
def enrol_submit() -> BaseResponse:
    """Switch the new factor on with its first code; start the session; show the recovery
    codes once."""
    login = second_step.pending("enrol")
    if login is None:
        return _page(EXPIRED, 401)
    actor = login.principal.actor(client_ip())
    code = request.form.get("code", "")[:FIELD_MAX]
    try:
        codes = second_factor.confirm_enrolment(
            current_db(), actor, second_step.sealing_key(), code
        )
    except TooManyAttempts as exc:
        return _throttled(exc, _enrol_page(login, exc.message))
    except ServiceError as exc:
        return _enrol_page(login, exc.message, exc.status)
    start_login(login.principal, login.next)
    return _second_page("recovery", login, codes=codes)
