"""Second factors: time-based one-time passwords (RFC 6238) and single-use recovery codes.

A user enrols an authenticator app (a secret shown as a QR code), proves it with a first
code and receives ten recovery codes once. At login, after the password, the code is asked
for; each 30-second code works once (the last step used is stored) and guesses are
throttled and audited like passwords. Admins choose the roles that must use a second
factor, and reset a user's (a lost phone). API tokens are a factor of their own and are not
affected.

The secret is stored sealed (AES-256-GCM) with a key derived from the app's secret key, so
a copy of the database alone does not give the codes away.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from dashboard.db import Database
from dashboard.models import (
    RecoveryCode,
    SecondFactor,
    SecondFactorRole,
    User,
    UserSession,
    user_roles,
    utcnow,
)
from dashboard.models import Role as RoleRow

from . import audit
from .accounts import (
    MAX_FAILURES_PER_IP,
    MAX_FAILURES_PER_NAME_AND_IP,
    MAX_FAILURES_PER_USER_PASSWORD,
    PASSWORD_MAX,
    Limit,
    _begin_attempt,
    _finish_attempt,
    normalize_roles,
)
from .accounts import _digest as _session_digest
from .actor import Actor
from .errors import AuthenticationFailed, Conflict, NotFound, ValidationFailed
from .policy import Action, authorize

ISSUER = "MicroSpaceGen"
STEP_S = 30  # RFC 6238's time step; what every authenticator app uses
DIGITS = 6
# Codes of the step before and after now are accepted too (a phone's clock a little off, a
# code typed as it changes); never more.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_GROUPS = 4  # xxxx-xxxx-xxxx-xxxx: 16 characters of 31, 79 random bits
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no i, l, o, 0 or 1 to misread
CODE_INPUT_MAX = 64  # characters read of a typed code (a recovery code has 19)
# Guesses of a code are counted like password guesses (accounts.authenticate): per name and
# address, per address, and (a code has only a million values) per user from anywhere.
MAX_CODE_FAILURES_PER_USER = 10
ATTEMPT_KIND = "second_factor"
CODE_RE = re.compile(rf"^\d{{{DIGITS}}}$")
_SEAL_VERSION = "v1"
_KEY_INFO = b"microspacegen second factor secret v1"

LoginStep = Literal["none", "code", "enrol"]


class SecretUnreadable(Conflict):
    """The stored secret cannot be opened with this app's key (the secret key changed)."""


class SealingKey:
    """Seals and opens TOTP secrets with AES-256-GCM under a key derived (HKDF-SHA256) from
    the app's secret key; the user's id is bound in as associated data, so a sealed secret
    copied onto another user's row does not open.

    >>> key = SealingKey("a" * 48)
    >>> key.open(7, key.seal(7, "JBSWY3DPEHPK3PXP"))
    'JBSWY3DPEHPK3PXP'
    """

    def __init__(self, app_secret: str) -> None:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(
            app_secret.encode("utf-8")
        )
        self._aead = AESGCM(derived)

    def seal(self, user_id: int, secret: str) -> str:
        """The secret encrypted for ``user_id``: ``v1:<base64 of nonce and ciphertext>``."""
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, secret.encode("ascii"), _bound(user_id))
        return f"{_SEAL_VERSION}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def open(self, user_id: int, sealed: str) -> str:
        """The secret :meth:`seal` sealed for ``user_id``; :class:`SecretUnreadable` if not."""
        version, _, body = sealed.partition(":")
        try:
            raw = base64.b64decode(body, validate=True)
            if version != _SEAL_VERSION or len(raw) < 13:
                raise ValueError(version)
            return self._aead.decrypt(raw[:12], raw[12:], _bound(user_id)).decode("ascii")
        except (InvalidTag, ValueError) as exc:
            raise SecretUnreadable(
                "This second factor cannot be read with the app's current secret key "
                "(was the key changed?). An admin must reset it; then set it up again."
            ) from exc


def _bound(user_id: int) -> bytes:
    return f"user:{user_id}".encode("ascii")


@dataclass(frozen=True)
class FactorStatus:
    """What the account and users pages show about a user's second factor."""

    user_id: int
    is_enabled: bool
    enabled_at: datetime | None
    recovery_codes_left: int
    # Whether one of the user's roles must use a second factor, and which roles those are.
    is_required: bool
    required_by: list[str]


@dataclass(frozen=True)
class Enrolment:
    """A started enrolment: the secret to show as a QR code and as text."""

    secret: str
    uri: str  # otpauth://totp/MicroSpaceGen:<username>?secret=…&issuer=MicroSpaceGen


# --- helpers --------------------------------------------------------------------------------


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_S


def _now(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC")
    return now


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def normalize_code(raw: object) -> str:
    """A typed code without spaces and dashes, lower case (recovery codes are shown grouped).

    >>> normalize_code(" 123 456 "), normalize_code("ABCD-efgh-2345-6789")
    ('123456', 'abcdefgh23456789')
    """
    if not isinstance(raw, str):
        return ""
    return re.sub(r"[\s-]+", "", raw[:CODE_INPUT_MAX]).lower()


def is_totp_code(code: str) -> bool:
    """Whether a normalized code has the shape of an authenticator code (six digits)."""
    return bool(CODE_RE.fullmatch(code))


def _new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(4 * RECOVERY_CODE_GROUPS))
        codes.append("-".join(chars[i : i + 4] for i in range(0, len(chars), 4)))
    return codes


def _store_recovery_codes(s: Session, user_id: int, now: datetime) -> list[str]:
    """Replace the user's recovery codes with ten new ones; return them (shown once)."""
    s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = _new_recovery_codes()
    for code in codes:
        s.add(
            RecoveryCode(user_id=user_id, code_sha256=_digest(normalize_code(code)), created_at=now)
        )
    return codes


def _codes_left(s: Session, user_id: int) -> int:
    return (
        s.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def _required_roles(s: Session) -> list[str]:
    return list(s.scalars(select(SecondFactorRole.role_name).order_by(SecondFactorRole.role_name)))


def _get_user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def _enabled_factor(s: Session, user_id: int) -> SecondFactor | None:
    factor = s.get(SecondFactor, user_id)
    return factor if factor is not None and factor.enabled_at is not None else None


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step (now ± :data:`VALID_WINDOW`) whose code is ``code``, or None."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    current = _step(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_step(s: Session, user_id: int, step: int) -> bool:
    """Record ``step`` as used unless it (or a later one) already was: one code, one login.

    A conditional update, so two requests racing with the same code cannot both win.
    """
    done = s.execute(
        update(SecondFactor)
        .where(
            SecondFactor.user_id == user_id,
            (SecondFactor.last_used_step.is_(None)) | (SecondFactor.last_used_step < step),
        )
        .values(last_used_step=step)
    )
    return bool(getattr(done, "rowcount", 0))


def _use_recovery_code(s: Session, user_id: int, code: str, now: datetime) -> bool:
    done = s.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_sha256 == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return bool(getattr(done, "rowcount", 0))


def _throttle(
    db: Database, actor: Actor, action: str, limits: list[Limit], what: str, kind: str
) -> int:
    """Count an attempt before it is checked; refuse (audited) when over a limit."""
    attempt_id, refusal = _begin_attempt(db, kind, actor.username, actor.source_ip, limits, what)
    if refusal is not None:
        audit.record(
            db,
            actor,
            action,
            "denied",
            target_type="user",
            target_id=actor.user_id,
            detail={"username": actor.username, "reason": "throttled"},
        )
        raise refusal
    return attempt_id


def _code_limits(username: str, source_ip: str | None) -> list[Limit]:
    return [
        (username, source_ip, MAX_FAILURES_PER_NAME_AND_IP),
        (None, source_ip, MAX_FAILURES_PER_IP),
        (username, None, MAX_CODE_FAILURES_PER_USER),
    ]


def _check_code(
    db: Database,
    actor: Actor,
    key: SealingKey,
    code: str,
    action: str,
    now: datetime,
    *,
    allow_recovery: bool,
    pending: bool = False,
) -> str:
    """Accept a current code (or, where allowed, an unused recovery code) of ``actor``.

    Throttled and audited like a password; returns how it was proved ("totp" or
    "recovery_code"). ``pending`` checks the code of an enrolment not yet switched on.
    """
    user_id = actor.user_id or 0
    limits = _code_limits(actor.username, actor.source_ip)
    attempt_id = _throttle(db, actor, action, limits, "wrong codes", ATTEMPT_KIND)
    with db.read() as s:
        factor = s.get(SecondFactor, user_id)
        is_waiting = factor is not None and (factor.enabled_at is None) == pending
        sealed = factor.secret_sealed if factor is not None and is_waiting else None
    secret: str | None = None
    unreadable: SecretUnreadable | None = None
    if sealed is not None:
        try:
            secret = key.open(user_id, sealed)
        except SecretUnreadable as exc:
            unreadable = exc
    method, reason, is_ok = "totp", "wrong code", False
    with db.begin() as s:
        if unreadable is not None:
            reason = "secret unreadable"
        elif secret is None:
            reason = "no enrolment started" if pending else "no second factor"
        elif is_totp_code(code):
            step = _matching_step(secret, code, now)
            if step is None:
                reason = "wrong or expired code"
            elif not _use_step(s, user_id, step):
                reason = "code already used"
            else:
                is_ok = True
        elif allow_recovery and code:
            method, reason = "recovery_code", "wrong or used recovery code"
            is_ok = _use_recovery_code(s, user_id, code, now)
        _finish_attempt(s, attempt_id, "ok" if is_ok else "failed")
        if is_ok:
            return method
        audit.add(
            s,
            actor,
            action,
            "error" if unreadable is not None else "failed",
            target_type="user",
            target_id=user_id,
            detail={"username": actor.username, "reason": reason},
        )
    if unreadable is not None:
        raise unreadable
    raise ValidationFailed(_refusal(reason, allow_recovery), field="code")


def _refusal(reason: str, allow_recovery: bool) -> str:
    if reason == "code already used":
        return "That code was used already; wait for the next one in your app."
    if reason.startswith("no "):
        return "No second factor is waiting for this code; start again."
    if allow_recovery:
        return "Wrong code. Enter the 6-digit code your app shows now, or an unused recovery code."
    return "Wrong code. Enter the 6-digit code your app shows now."


def _check_proof(
    db: Database, actor: Actor, key: SealingKey, proof: object, action: str, now: datetime
) -> str:
    """Accept the actor's password or a current code (turning off, new recovery codes)."""
    typed = proof if isinstance(proof, str) else ""
    code = normalize_code(typed)
    if is_totp_code(code):
        try:
            return _check_code(db, actor, key, code, action, now, allow_recovery=False)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field="proof") from None
    limits: list[Limit] = [(actor.username, None, MAX_FAILURES_PER_USER_PASSWORD)]
    # The same count as wrong current passwords on a password change.
    attempt_id = _throttle(db, actor, action, limits, "wrong passwords", "password")
    with db.read() as s:
        stored = _get_user(s, actor.user_id or 0).password_hash
    is_match = bool(typed) and check_password_hash(stored, typed[:PASSWORD_MAX])
    with db.begin() as s:
        _finish_attempt(s, attempt_id, "ok" if is_match else "failed")
        if not is_match:
            audit.add(
                s,
                actor,
                action,
                "failed",
                target_type="user",
                target_id=actor.user_id,
                detail={"username": actor.username, "reason": "wrong password"},
            )
    if not is_match:
        raise ValidationFailed(
            "Wrong password or code. Enter your password or the code your app shows now.",
            field="proof",
        )
    return "password"


# --- the user's own factor ------------------------------------------------------------------


def status(db: Database, actor: Actor, user_id: int) -> FactorStatus:
    """Whether ``user_id`` has a second factor (themselves, or admins for anyone)."""
    if actor.user_id != user_id:
        authorize(db, actor, Action.USER_READ, target=("user", user_id))
    with db.read() as s:
        user = _get_user(s, user_id)
        factor = _enabled_factor(s, user_id)
        required = set(_required_roles(s))
        needing = sorted(required & user.role_names)
        return FactorStatus(
            user_id,
            factor is not None,
            factor.enabled_at if factor else None,
            _codes_left(s, user_id) if factor else 0,
            bool(needing),
            needing,
        )


def begin_enrolment(
    db: Database, actor: Actor, key: SealingKey, *, resume: bool = False
) -> Enrolment:
    """Start setting up an authenticator app for yourself: a new secret, not yet on.

    Starting again replaces a started enrolment (``resume`` shows it again instead, as a
    reloaded page should); one already switched on is refused (turn it off first, or an
    admin resets it).
    """
    user_id = actor.user_id
    if user_id is None:
        raise ValidationFailed("Only a user can set up a second factor.", field="user")
    with db.begin() as s:
        user = _get_user(s, user_id)
        factor = s.get(SecondFactor, user_id)
        if factor is not None and factor.enabled_at is not None:
            raise Conflict(
                "Your second factor is already on. Turn it off first to set up another app.",
                field="second_factor",
            )
        secret = None
        if resume and factor is not None:
            try:
                secret = key.open(user_id, factor.secret_sealed)
            except SecretUnreadable:
                secret = None
        if secret is None:
            secret = pyotp.random_base32()
            sealed = key.seal(user_id, secret)
            if factor is None:
                s.add(SecondFactor(user_id=user_id, secret_sealed=sealed, created_at=utcnow()))
            else:
                factor.secret_sealed = sealed
                factor.created_at = utcnow()
                factor.last_used_step = None
            audit.add(
                s,
                actor,
                "second_factor.enrol_start",
                target_type="user",
                target_id=user_id,
                detail={"username": user.username},
            )
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return Enrolment(secret, uri)


def confirm_enrolment(
    db: Database,
    actor: Actor,
    key: SealingKey,
    code: object,
    now: datetime | None = None,
    *,
    keep_session: str | None = None,
) -> list[str]:
    """Switch the started enrolment on with a current code; return ten recovery codes
    (shown once, stored hashed).

    The user's other login sessions end: they were opened with the password alone, and
    one in the wrong hands would otherwise keep its access (and could turn the factor off
    again with that password). ``keep_session`` is the secret of the session enrolling.
    """
    moment = _now(now)
    typed = normalize_code(code)
    if not is_totp_code(typed):
        raise ValidationFailed("Enter the 6-digit code your app shows.", field="code")
    _check_code(
        db, actor, key, typed, "second_factor.enrol", moment, allow_recovery=False, pending=True
    )
    user_id = actor.user_id or 0
    with db.begin() as s:
        factor = s.get(SecondFactor, user_id)
        if factor is None or factor.enabled_at is not None:
            raise Conflict("The enrolment changed meanwhile; start again.", field="code")
        factor.enabled_at = moment
        codes = _store_recovery_codes(s, user_id, moment)
        ended = _end_other_sessions(s, user_id, keep_session, moment)
        audit.add(
            s,
            actor,
            "second_factor.enrol",
            target_type="user",
            target_id=user_id,
            detail={
                "username": actor.username,
                "recovery_codes": len(codes),
                "sessions_ended": ended,
            },
        )
    return codes


def _end_other_sessions(s: Session, user_id: int, keep: str | None, now: datetime) -> int:
    """End the user's open login sessions but ``keep``; return how many ended."""
    query = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None)
    )
    if keep:
        query = query.where(UserSession.secret_sha256 != _session_digest(keep))
    done = s.execute(query.values(ended_at=now))
    return int(getattr(done, "rowcount", 0) or 0)


def regenerate_recovery_codes(
    db: Database, actor: Actor, key: SealingKey, proof: object, now: datetime | None = None
) -> list[str]:
    """New recovery codes for yourself (the old ones stop working); needs your password or
    a current code."""
    moment = _now(now)
    _require_enabled(db, actor)
    method = _check_proof(db, actor, key, proof, "second_factor.recovery_codes", moment)
    with db.begin() as s:
        if _enabled_factor(s, actor.user_id or 0) is None:
            raise Conflict("Your second factor is off.", field="second_factor")
        codes = _store_recovery_codes(s, actor.user_id or 0, moment)
        audit.add(
            s,
            actor,
            "second_factor.recovery_codes",
            target_type="user",
            target_id=actor.user_id,
            detail={"username": actor.username, "proof": method, "recovery_codes": len(codes)},
        )
    return codes


def disable(
    db: Database, actor: Actor, key: SealingKey, proof: object, now: datetime | None = None
) -> None:
    """Turn your second factor off (needs your password or a current code).

    Refused while one of your roles requires a second factor: an admin resets it instead
    (for a lost phone), and you set it up again at your next login.
    """
    moment = _now(now)
    _require_enabled(db, actor)
    current = status(db, actor, actor.user_id or 0)
    if current.is_required:
        audit.record(
            db,
            actor,
            "second_factor.disable",
            "denied",
            target_type="user",
            target_id=actor.user_id,
            detail={"username": actor.username, "reason": "required by role"},
        )
        raise Conflict(
            f"Your role ({', '.join(current.required_by)}) must use a second factor, so it "
            "stays on. For a new phone, ask an admin to reset it; you then set it up again "
            "at your next login.",
            field="second_factor",
        )
    method = _check_proof(db, actor, key, proof, "second_factor.disable", moment)
    with db.begin() as s:
        _remove(s, actor.user_id or 0)
        audit.add(
            s,
            actor,
            "second_factor.disable",
            target_type="user",
            target_id=actor.user_id,
            detail={"username": actor.username, "proof": method},
        )


def _require_enabled(db: Database, actor: Actor) -> None:
    with db.read() as s:
        if _enabled_factor(s, actor.user_id or 0) is None:
            raise Conflict("Your second factor is off.", field="second_factor")


def _remove(s: Session, user_id: int) -> None:
    s.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    s.execute(delete(SecondFactor).where(SecondFactor.user_id == user_id))


# --- logging in -----------------------------------------------------------------------------


def login_step(db: Database, user_id: int) -> LoginStep:
    """What a user who gave the right password must do before a session starts: nothing,
    give a code, or enrol (their role requires a second factor and they have none)."""
    with db.read() as s:
        user = _get_user(s, user_id)
        if _enabled_factor(s, user_id) is not None:
            return "code"
        if set(_required_roles(s)) & user.role_names:
            return "enrol"
        return "none"


def verify_login(
    db: Database, actor: Actor, key: SealingKey, code: object, now: datetime | None = None
) -> str:
    """Check the second step of ``actor``'s login: a current code or an unused recovery
    code. Throttled and audited (``auth.second_factor``) like the password; returns the
    method used ("totp" or "recovery_code")."""
    moment = _now(now)
    typed = normalize_code(code)
    try:
        method = _check_code(
            db, actor, key, typed, "auth.second_factor", moment, allow_recovery=True
        )
    except ValidationFailed as exc:
        raise AuthenticationFailed(exc.message) from None
    with db.begin() as s:
        detail: dict[str, object] = {"username": actor.username, "method": method}
        if method == "recovery_code":
            detail["recovery_codes_left"] = _codes_left(s, actor.user_id or 0)
        audit.add(
            s,
            actor,
            "auth.second_factor",
            target_type="user",
            target_id=actor.user_id,
            detail=detail,
        )
    return method


# --- admins ---------------------------------------------------------------------------------


def required_roles(db: Database) -> list[str]:
    """The roles whose holders must log in with a second factor."""
    with db.read() as s:
        return _required_roles(s)


def set_required_roles(db: Database, actor: Actor, roles: Iterable[object] | None) -> list[str]:
    """Choose the roles that must use a second factor (admins only). Holders of a newly
    required role who have none are logged out: they set one up at their next login."""
    authorize(db, actor, Action.SECOND_FACTOR_POLICY)
    names = normalize_roles(roles)
    now = utcnow()
    with db.begin() as s:
        known = set(s.scalars(select(RoleRow.name).where(RoleRow.name.in_(names))))
        missing = sorted(set(names) - known)
        if missing:
            raise ValidationFailed(f"Unknown role {missing[0]!r}.", field="roles")
        before = _required_roles(s)
        s.execute(delete(SecondFactorRole).where(SecondFactorRole.role_name.not_in(names)))
        for name in sorted(set(names) - set(before)):
            s.add(SecondFactorRole(role_name=name, required_since=now))
        s.flush()
        after = _required_roles(s)
        # A session opened with the password alone would otherwise outlive the rule.
        ended = 0
        for user_id in _holders_without_a_factor(s, set(after) - set(before)):
            ended += _end_other_sessions(s, user_id, None, now)
        audit.add(
            s,
            actor,
            "second_factor.policy",
            target_type="policy",
            target_id="second_factor_roles",
            detail={"before": before, "after": after, "sessions_ended": ended},
        )
        return after


def _holders_without_a_factor(s: Session, roles: set[str]) -> list[int]:
    if not roles:
        return []
    enabled = select(SecondFactor.user_id).where(SecondFactor.enabled_at.is_not(None))
    return list(
        s.scalars(
            select(user_roles.c.user_id)
            .where(user_roles.c.role_name.in_(roles), user_roles.c.user_id.not_in(enabled))
            .distinct()
        )
    )


def reset(db: Database, actor: Actor, user_id: int) -> None:
    """Remove a user's second factor and recovery codes (admins; a lost phone). They set
    one up again at their next login if their role requires it."""
    authorize(db, actor, Action.SECOND_FACTOR_RESET, target=("user", user_id))
    with db.begin() as s:
        user = _get_user(s, user_id)
        factor = s.get(SecondFactor, user_id)
        if factor is None:
            raise Conflict(f"{user.username} has no second factor to reset.", field="user")
        _remove(s, user_id)
        # Every session of theirs ends (the phone may have gone with the laptop): they log
        # in again, and set up a factor then if their role requires one.
        ended = _end_other_sessions(s, user_id, None, utcnow())
        audit.add(
            s,
            actor,
            "second_factor.reset",
            target_type="user",
            target_id=user_id,
            detail={
                "username": user.username,
                "was_enabled": factor.enabled_at is not None,
                "sessions_ended": ended,
            },
        )


__all__ = [
    "DIGITS",
    "ISSUER",
    "RECOVERY_CODE_COUNT",
    "STEP_S",
    "VALID_WINDOW",
    "Enrolment",
    "FactorStatus",
    "LoginStep",
    "SealingKey",
    "SecretUnreadable",
    "begin_enrolment",
    "confirm_enrolment",
    "disable",
    "login_step",
    "normalize_code",
    "regenerate_recovery_codes",
    "required_roles",
    "reset",
    "set_required_roles",
    "status",
    "verify_login",
]
