"""The pending login between the password and the second factor.

After a right password, a user with a second factor (or whose role requires one) gets no
session: the cookie holds only a signed, five-minute note naming the user, their
``auth_version`` and where to go next. No page and no API route accepts it (Flask-Login
knows nobody); only the code and enrolment steps read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, redirect, session
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response as BaseResponse

from dashboard.services import accounts, second_factor
from dashboard.services.accounts import Principal
from dashboard.services.second_factor import LoginStep, SealingKey

from .current import app_state, current_db

PENDING = "msg_pending_login"
PENDING_LOGIN_S = 300
_SALT = "microspacegen.pending-login"
CODE_PATH = "/login/code"
ENROL_PATH = "/login/enrol"


@dataclass(frozen=True)
class PendingLogin:
    """A user who gave the right password and still owes the second step."""

    principal: Principal
    step: LoginStep
    next: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT)


def sealing_key() -> SealingKey:
    """The key second-factor secrets are sealed with (derived from the app's secret key)."""
    return SealingKey(app_state().settings.secret_key)


def begin(principal: Principal, target: str) -> BaseResponse | None:
    """Note a pending login and send the browser to its step; None when none is due."""
    step = second_factor.login_step(current_db(), principal.id)
    if step == "none":
        return None
    note: dict[str, Any] = {"u": principal.id, "v": principal.auth_version, "s": step}
    session[PENDING] = _serializer().dumps({**note, "n": target})
    return redirect(CODE_PATH if step == "code" else ENROL_PATH)


def pending(step: LoginStep) -> PendingLogin | None:
    """The pending login of this browser at ``step``, or None (none, expired, tampered with,
    another step, or the user deactivated or their password changed meanwhile)."""
    raw = session.get(PENDING)
    if not isinstance(raw, str):
        return None
    try:
        note = _serializer().loads(raw, max_age=PENDING_LOGIN_S)
    except BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(note, dict) or note.get("s") != step:
        return None
    user_id, version, target = note.get("u"), note.get("v"), note.get("n")
    if not (isinstance(user_id, int) and isinstance(version, int) and isinstance(target, str)):
        return None
    principal = accounts.principal_for_login(current_db(), user_id, version)
    if principal is None:
        return None
    return PendingLogin(principal, step, target)


def forget() -> None:
    """Drop this browser's pending login."""
    session.pop(PENDING, None)
