"""Users, roles, passwords, logins and API tokens."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn  # type: ignore[import-untyped]  # ships no type hints

from dashboard.db import Database
from dashboard.models import ApiToken, AuthAttempt, User, UserSession, utcnow
from dashboard.models import Role as RoleRow
from dashboard.observability import metrics

from . import audit
from .actor import ALL_ROLES, Actor, Role
from .errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    TooManyAttempts,
    ValidationFailed,
)
from .integrity import integrity_conflict
from .policy import Action, authorize
from .text import has_control_characters, has_lone_surrogate, one_line_name

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
PASSWORD_MIN, PASSWORD_MAX = 12, 256
# zxcvbn scores 0-4 by estimated guesses; below 3 means a common password, a keyboard walk, a
# repeat or a name with digits tacked on, which online guessing or a leaked hash gives away.
PASSWORD_MIN_SCORE = 3
PASSWORD_RULE = (
    f"At least {PASSWORD_MIN} characters, and not a common or easily guessed password "
    "(a few unrelated words work well)."
)
DISPLAY_NAME_MAX = 100
TOKEN_NAME_MAX = 100
TOKEN_PREFIX = "msg_"  # noqa: S105 - marks our tokens
# The user a fresh install creates is named after the role it holds.
INITIAL_ADMIN = Role.ADMIN.value
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_NAME_AND_IP = 5
MAX_FAILURES_PER_IP = 20
# Wrong current passwords on a password change, per user: a stolen session must not become
# an unthrottled oracle for the password.
MAX_FAILURES_PER_USER_PASSWORD = 5
ATTEMPTS_KEPT = timedelta(days=1)
# Checked against when the username does not exist, so both paths cost one scrypt.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


@dataclass(frozen=True)
class Principal:
    """A logged-in user as the web layer keeps it for one request."""

    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    is_active: bool
    auth_version: int
    # The secret of the server-side login session this principal came from (web logins only).
    session: str | None = None
    # Display preferences, read with the login so every page renders in them at once.
    theme: str = "system"
    time_display: str = "utc"

    def actor(self, source_ip: str | None, channel: str = "web") -> Actor:
        """This user acting from ``source_ip`` over ``channel``."""
        return Actor(self.id, self.username, self.roles, source_ip, channel)


@dataclass(frozen=True)
class UserRow:
    """A user as the admin page and API list it (never the hash)."""

    id: int
    username: str
    display_name: str
    roles: list[str]
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class TokenRow:
    """An API token's public facts; the secret is returned only by :func:`create_token`."""

    id: int
    user_id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


# --- validation -----------------------------------------------------------------------------


def normalize_username(raw: object) -> str:
    """Return the canonical (lower-case) username or raise :class:`ValidationFailed`."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationFailed("Username is required.", field="username")
    name = raw.strip().lower()
    if not USERNAME_RE.fullmatch(name):
        raise ValidationFailed(
            "Username must be 3–32 characters: a letter, then letters, digits, '.', '_' or '-'.",
            field="username",
        )
    return name


def check_password_rules(
    password: object, *, field: str = "password", username: str | None = None
) -> str:
    """Return ``password`` if it follows :data:`PASSWORD_RULE`, else raise
    :class:`ValidationFailed` saying which part it breaks."""
    if not isinstance(password, str) or not password:
        raise ValidationFailed("Password is required.", field=field)
    if len(password) < PASSWORD_MIN:
        raise ValidationFailed(
            f"Password must have at least {PASSWORD_MIN} characters.", field=field
        )
    if len(password) > PASSWORD_MAX:
        raise ValidationFailed(
            f"Password must have at most {PASSWORD_MAX} characters.", field=field
        )
    if has_control_characters(password, multiline=False) or has_lone_surrogate(password):
        raise ValidationFailed("Password must not contain control characters.", field=field)
    # zxcvbn's cost grows with length; 64 characters decide the score of any real password.
    strength = zxcvbn(password[:64], user_inputs=[username] if username else [])
    if strength["score"] < PASSWORD_MIN_SCORE:
        why = strength["feedback"]["warning"] or "It is close to a common password."
        raise ValidationFailed(
            f"Password is too easy to guess. {why.rstrip('.')}. {PASSWORD_RULE}", field=field
        )
    return password


def normalize_roles(raw: Iterable[object] | None) -> list[str]:
    """Return sorted, de-duplicated role names or raise :class:`ValidationFailed`."""
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    names: set[str] = set()
    known = {r.value for r in ALL_ROLES}
    for item in raw:
        if not isinstance(item, str) or item.strip().lower() not in known:
            raise ValidationFailed(
                f"Unknown role {item!r}; choose from {', '.join(sorted(known))}.", field="roles"
            )
        names.add(item.strip().lower())
    return sorted(names)


def _display_name(raw: object) -> str:
    return one_line_name(
        raw, "Display name", DISPLAY_NAME_MAX, field="display_name", required=False
    )


# --- helpers taking a session ---------------------------------------------------------------


def _principal(user: User, session: str | None = None) -> Principal:
    return Principal(
        user.id,
        user.username,
        user.display_name,
        user.role_names,
        user.is_active,
        user.auth_version,
        session,
        user.theme,
        user.time_display,
    )


def _user_row(user: User) -> UserRow:
    return UserRow(
        user.id,
        user.username,
        user.display_name,
        sorted(user.role_names),
        user.is_active,
        user.created_at,
        user.last_login_at,
    )


def _token_row(token: ApiToken) -> TokenRow:
    return TokenRow(
        token.id,
        token.user_id,
        token.user.username,
        token.name,
        token.prefix,
        token.created_at,
        token.last_used_at,
        token.revoked_at,
    )


def _get_user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def _find_user(s: Session, username: str) -> User | None:
    return s.scalar(select(User).where(User.username == username))


def _role_rows(s: Session, names: list[str]) -> list[RoleRow]:
    return list(s.scalars(select(RoleRow).where(RoleRow.name.in_(names)).order_by(RoleRow.name)))


def _active_admin_count(s: Session) -> int:
    return (
        s.scalar(
            select(func.count(User.id))
            .join(User.roles)
            .where(User.is_active.is_(True), RoleRow.name == Role.ADMIN.value)
        )
        or 0
    )


# --- users ----------------------------------------------------------------------------------


def create_user(
    db: Database,
    actor: Actor,
    username: object,
    password: object,
    roles: Iterable[object] | None,
    display_name: object = "",
) -> UserRow:
    """Create a user with ``roles`` (admins only)."""
    authorize(db, actor, Action.USER_CREATE)
    name = normalize_username(username)
    secret = check_password_rules(password, username=name)
    role_names = normalize_roles(roles)
    shown = _display_name(display_name)
    try:
        return _insert_user(db, actor, name, secret, role_names, shown)
    except IntegrityError as exc:
        # Another request created the same name between our check and our insert.
        raise integrity_conflict(
            exc,
            {"uq_users_username": (f"A user named {name!r} already exists.", "username")},
            referenced_table="users",
            subject=f"User {name!r}",
        ) from None


def _insert_user(
    db: Database, actor: Actor, name: str, secret: str, role_names: list[str], shown: str
) -> UserRow:
    with db.begin() as s:
        if _find_user(s, name) is not None:
            raise Conflict(f"A user named {name!r} already exists.", field="username")
        user = User(
            username=name,
            display_name=shown,
            password_hash=generate_password_hash(secret),
            is_active=True,
            auth_version=1,
            created_at=utcnow(),
        )
        user.roles = _role_rows(s, role_names)
        s.add(user)
        s.flush()
        audit.add(
            s,
            actor,
            "user.create",
            target_type="user",
            target_id=user.id,
            detail={"username": name, "roles": role_names},
        )
        return _user_row(user)


def list_users(db: Database, actor: Actor) -> list[UserRow]:
    """All users, by name (admins only)."""
    authorize(db, actor, Action.USER_LIST)
    with db.read() as s:
        return [_user_row(u) for u in s.scalars(select(User).order_by(User.username))]


def get_user(db: Database, actor: Actor, user_id: int) -> UserRow:
    """One user; anyone may read themselves, admins anyone."""
    if actor.user_id != user_id:
        authorize(db, actor, Action.USER_READ, target=("user", user_id))
    with db.read() as s:
        return _user_row(_get_user(s, user_id))


def update_user(
    db: Database,
    actor: Actor,
    user_id: int,
    *,
    roles: Iterable[object] | None = None,
    is_active: bool | None = None,
    display_name: object = None,
) -> UserRow:
    """Change a user's roles, active flag or display name (admins only).

    The last active admin can neither lose the role nor be deactivated, so the
    installation never locks itself out.
    """
    return change_user(
        db, actor, user_id, roles=roles, is_active=is_active, display_name=display_name
    )


def set_password(
    db: Database,
    actor: Actor,
    user_id: int,
    new_password: object,
    *,
    current_password: object = None,
) -> None:
    """Set a password: admins for anyone, everyone for themselves with their current one."""
    change_user(db, actor, user_id, password=new_password, current_password=current_password)


def change_user(
    db: Database,
    actor: Actor,
    user_id: int,
    *,
    roles: Iterable[object] | None = None,
    is_active: bool | None = None,
    display_name: object = None,
    password: object = None,
    current_password: object = None,
) -> UserRow:
    """Apply any of the changes of :func:`update_user` and :func:`set_password` at once.

    Everything is checked first and written in one transaction: a refused part (say, the
    last admin losing the role) leaves the rest (say, a new password) unwritten too.
    """
    is_self = actor.user_id == user_id
    changes_profile = roles is not None or is_active is not None or display_name is not None
    if changes_profile:
        authorize(db, actor, Action.USER_UPDATE, target=("user", user_id))
    elif password is not None and not is_self:
        authorize(db, actor, Action.USER_PASSWORD, target=("user", user_id))
    role_names = None if roles is None else normalize_roles(roles)
    if is_active is not None and not isinstance(is_active, bool):
        raise ValidationFailed("is_active must be true or false.", field="is_active")
    shown = None if display_name is None else _display_name(display_name)
    secret = None
    if password is not None:
        with db.read() as s:
            username = _get_user(s, user_id).username
        secret = check_password_rules(password, field="new_password", username=username)
        # Even an admin proves it is them before changing their own password.
        if is_self:
            _check_current_password(db, actor, user_id, current_password)
    with db.begin() as s:
        user = _get_user(s, user_id)
        if secret is not None:
            user.password_hash = generate_password_hash(secret)
            _end_sessions(s, user)
            audit.add(
                s,
                actor,
                "user.password",
                target_type="user",
                target_id=user.id,
                detail={"username": user.username},
            )
        if changes_profile:
            _apply_profile(s, actor, user, role_names, is_active, shown)
        return _user_row(user)


def _apply_profile(
    s: Session,
    actor: Actor,
    user: User,
    role_names: list[str] | None,
    is_active: bool | None,
    display_name: str | None,
) -> None:
    before = {"roles": sorted(user.role_names), "is_active": user.is_active}
    was_admin = user.is_active and Role.ADMIN in user.role_names
    if role_names is not None:
        user.roles = _role_rows(s, role_names)
    if display_name is not None:
        user.display_name = display_name
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        _end_sessions(s, user)
    s.flush()
    still_admin = user.is_active and Role.ADMIN in user.role_names
    if was_admin and not still_admin and _active_admin_count(s) == 0:
        raise Conflict(
            "This is the last active admin; make another user admin first.", field="roles"
        )
    after = {"roles": sorted(user.role_names), "is_active": user.is_active}
    audit.add(
        s,
        actor,
        "user.update",
        target_type="user",
        target_id=user.id,
        detail={"username": user.username, "before": before, "after": after},
    )


def _check_current_password(
    db: Database, actor: Actor, user_id: int, current_password: object
) -> None:
    """Refuse a wrong current password; throttle and audit the guesses like logins."""
    limits: list[Limit] = [(actor.username, None, MAX_FAILURES_PER_USER_PASSWORD)]
    attempt_id, refusal = _begin_attempt(
        db, "password", actor.username, actor.source_ip, limits, "wrong current passwords"
    )
    if refusal is not None:
        audit.record(
            db,
            actor,
            "user.password",
            "denied",
            target_type="user",
            target_id=user_id,
            detail={"username": actor.username, "reason": "throttled"},
        )
        raise refusal
    with db.read() as s:
        stored = _get_user(s, user_id).password_hash
    guess = current_password if isinstance(current_password, str) else ""
    is_match = check_password_hash(stored, guess[:PASSWORD_MAX])
    with db.begin() as s:
        _finish_attempt(s, attempt_id, "ok" if is_match else "failed")
        if not is_match:
            audit.add(
                s,
                actor,
                "user.password",
                "failed",
                target_type="user",
                target_id=user_id,
                detail={"username": actor.username, "reason": "wrong current password"},
            )
    if not is_match:
        raise ValidationFailed("Current password is wrong.", field="current_password")


def _end_sessions(s: Session, user: User) -> None:
    """End every login session of ``user`` (after a password change or deactivation)."""
    user.auth_version += 1
    s.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def generate_password() -> str:
    """A random password of 20 URL-safe characters."""
    return secrets.token_urlsafe(15)


@dataclass(frozen=True)
class AdminBootstrap:
    """What start-up did about the first admin, and what to tell the person starting it."""

    is_created: bool
    generated_password: str | None
    note: str


def ensure_initial_admin(db: Database, password: str | None) -> AdminBootstrap:
    """Create user ``admin`` when no active admin exists, so a fresh install can be entered.

    Users added with the CLI before the first start do not prevent this; a name clash or an
    ignored ``MICROSPACEGEN_ADMIN_PASSWORD`` is reported in ``note`` rather than passed over.
    """
    generated = None if password is not None else generate_password()
    secret = check_password_rules(
        password or generated, field="MICROSPACEGEN_ADMIN_PASSWORD", username=INITIAL_ADMIN
    )
    with db.begin() as s:
        if _active_admin_count(s):
            note = (
                "MICROSPACEGEN_ADMIN_PASSWORD is ignored: an admin already exists."
                if password is not None
                else ""
            )
            return AdminBootstrap(False, None, note)
        if _find_user(s, INITIAL_ADMIN) is not None:
            return AdminBootstrap(
                False,
                None,
                "No active admin exists and the name 'admin' is taken; create one with "
                "'python app.py user add NAME --role admin'.",
            )
        user = User(
            username=INITIAL_ADMIN,
            display_name="Administrator",
            password_hash=generate_password_hash(secret),
            is_active=True,
            auth_version=1,
            created_at=utcnow(),
        )
        user.roles = _role_rows(s, [Role.ADMIN.value])
        s.add(user)
        s.flush()
        system = Actor(None, "system", frozenset({Role.ADMIN}), None, "cli")
        audit.add(
            s,
            system,
            "user.create",
            target_type="user",
            target_id=user.id,
            detail={"username": INITIAL_ADMIN, "roles": [Role.ADMIN.value], "initial": True},
        )
    return AdminBootstrap(True, generated, "Created user 'admin'.")


# --- logins ---------------------------------------------------------------------------------


Limit = tuple[str | None, str | None, int]  # username, source address, failures allowed


def _serialize_attempts(s: Session) -> None:
    """Make concurrent attempts count one after another.

    SQLite already allows one writer at a time (the insert that follows takes the lock);
    PostgreSQL is told to, for the few milliseconds of the insert and the count.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("LOCK TABLE auth_attempts IN SHARE ROW EXCLUSIVE MODE"))


def _begin_attempt(
    db: Database,
    kind: str,
    username: str,
    source_ip: str | None,
    limits: list[Limit],
    what: str,
) -> tuple[int, TooManyAttempts | None]:
    """Record an attempt before its password is checked; refuse it when over a limit.

    Failed and still pending attempts count, so 40 guesses sent at once are refused from
    the sixth on, not after all of them have been checked.
    """
    now = utcnow()
    with db.begin() as s:
        _serialize_attempts(s)
        s.execute(delete(AuthAttempt).where(AuthAttempt.started_at < now - ATTEMPTS_KEPT))
        attempt = AuthAttempt(
            kind=kind,
            username=username[:64],
            source_ip=source_ip,
            started_at=now,
            outcome="pending",
        )
        s.add(attempt)
        s.flush()
        for name, ip, limit in limits:
            query = select(AuthAttempt.started_at).where(
                AuthAttempt.id != attempt.id,
                AuthAttempt.kind == kind,
                AuthAttempt.outcome.in_(("pending", "failed")),
                AuthAttempt.started_at >= now - LOGIN_WINDOW,
            )
            if name is not None:
                query = query.where(AuthAttempt.username == name[:64])
            if ip is not None:
                query = query.where(AuthAttempt.source_ip == ip)
            times = list(s.scalars(query.order_by(AuthAttempt.started_at.desc()).limit(limit)))
            if (name is not None or ip is not None) and len(times) >= limit:
                attempt.outcome = "throttled"
                retry_at = times[limit - 1] + LOGIN_WINDOW
                wait_s = max(1, math.ceil((retry_at - now).total_seconds()))
                return attempt.id, TooManyAttempts(
                    f"Too many {what}; try again in {math.ceil(wait_s / 60)} minute(s).",
                    retry_after_s=wait_s,
                )
        return attempt.id, None


def _finish_attempt(s: Session, attempt_id: int, outcome: str) -> None:
    s.execute(update(AuthAttempt).where(AuthAttempt.id == attempt_id).values(outcome=outcome))


def authenticate(
    db: Database, username: object, password: object, source_ip: str | None, channel: str = "web"
) -> Principal:
    """Check a username and password; audit the attempt; slow down repeated failures."""
    who = Actor(None, "anonymous", frozenset(), source_ip, channel)
    name = username.strip().lower()[:64] if isinstance(username, str) else ""
    if has_control_characters(name, multiline=False) or has_lone_surrogate(name):
        name = name.encode("unicode_escape").decode("ascii")[:64]  # logged, never matches
    secret = password if isinstance(password, str) else ""
    limits: list[Limit] = [
        (name, source_ip, MAX_FAILURES_PER_NAME_AND_IP),
        (None, source_ip, MAX_FAILURES_PER_IP),
    ]
    attempt_id, refusal = _begin_attempt(db, "login", name, source_ip, limits, "failed logins")
    if refusal is not None:
        audit.record(
            db, who, "auth.login", "denied", detail={"username": name, "reason": "throttled"}
        )
        metrics.LOGIN_REFUSALS.labels("throttled").inc()
        raise refusal
    with db.read() as s:
        user = _find_user(s, name) if name else None
        stored = user.password_hash if user else _DUMMY_HASH
    # Checked outside any transaction (scrypt takes a while), and always once, so a missing
    # user cannot be told apart by timing.
    is_match = check_password_hash(stored, secret[:1024])
    with db.begin() as s:
        user = _find_user(s, name) if name else None
        if user is None or not is_match or not user.is_active:
            _finish_attempt(s, attempt_id, "failed")
            reason = "inactive" if (user is not None and is_match) else "bad credentials"
            audit.add(s, who, "auth.login", "failed", detail={"username": name, "reason": reason})
            failure = AuthenticationFailed("Wrong username or password.")
        else:
            _finish_attempt(s, attempt_id, "ok")
            user.last_login_at = utcnow()
            principal = _principal(user)
            audit.add(
                s,
                principal.actor(source_ip, channel),
                "auth.login",
                target_type="user",
                target_id=user.id,
            )
            return principal
    metrics.LOGIN_REFUSALS.labels("failed").inc()
    raise failure


# --- login sessions -------------------------------------------------------------------------


def start_session(db: Database, principal: Principal, source_ip: str | None) -> Principal:
    """Open a server-side login session for ``principal``; the result carries its secret.

    The session cookie names the secret; :func:`end_session` (logout), a password change
    and deactivation end the session here, so a copied cookie stops working with it.
    """
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    with db.begin() as s:
        # Ended sessions are kept no longer than it takes to refuse their cookie once.
        s.execute(
            delete(UserSession).where(
                UserSession.user_id == principal.id, UserSession.ended_at.is_not(None)
            )
        )
        s.add(
            UserSession(
                user_id=principal.id,
                secret_sha256=_digest(secret),
                source_ip=source_ip,
                created_at=now,
            )
        )
    return dataclasses.replace(principal, session=secret)


def end_session(db: Database, actor: Actor, session: str) -> None:
    """End the login session ``session`` (logout) and audit it."""
    with db.begin() as s:
        row = s.scalar(select(UserSession).where(UserSession.secret_sha256 == _digest(session)))
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
        audit.add(s, actor, "auth.logout", target_type="session", target_id=row and row.id)


def load_principal(
    db: Database,
    user_id: int,
    auth_version: int,
    session: str,
    max_age: timedelta | None = None,
) -> Principal | None:
    """The active user of a session cookie, or None when the user or session no longer holds
    (ended, or begun longer than ``max_age`` ago however busy it has been since)."""
    with db.read() as s:
        row = s.execute(
            select(User, UserSession.ended_at, UserSession.created_at)
            .join(UserSession, UserSession.user_id == User.id)
            .where(User.id == user_id, UserSession.secret_sha256 == _digest(session))
        ).first()
        if row is None:
            return None
        user, ended_at, created_at = row
        if ended_at is not None or not user.is_active or user.auth_version != auth_version:
            return None
        if max_age is not None and utcnow() - created_at > max_age:
            return None
        return _principal(user, session)


def principal_for_login(db: Database, user_id: int, auth_version: int) -> Principal | None:
    """The active user a pending login (password given, second step due) belongs to, or
    None when the user was deactivated or changed their password meanwhile."""
    with db.read() as s:
        user = s.get(User, user_id)
        if user is None or not user.is_active or user.auth_version != auth_version:
            return None
        return _principal(user)


# --- API tokens -----------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(db: Database, actor: Actor, user_id: int, name: object) -> tuple[TokenRow, str]:
    """Create an API token for ``user_id``; returns the row and the secret (shown once)."""
    if actor.user_id != user_id:
        authorize(db, actor, Action.TOKEN_CREATE, target=("user", user_id))
    label = one_line_name(name, "Token name", TOKEN_NAME_MAX, field="name", required=True)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.begin() as s:
        user = _get_user(s, user_id)
        if not user.is_active:
            raise Conflict(f"User {user.username!r} is deactivated.", field="user")
        token = ApiToken(
            user_id=user.id,
            name=label,
            token_sha256=_digest(secret),
            prefix=secret[:12],
            created_at=utcnow(),
        )
        token.user = user
        s.add(token)
        s.flush()
        audit.add(
            s,
            actor,
            "token.create",
            target_type="token",
            target_id=token.id,
            detail={"username": user.username, "name": label, "prefix": token.prefix},
        )
        return _token_row(token), secret


def list_tokens(db: Database, actor: Actor, user_id: int) -> list[TokenRow]:
    """Tokens of ``user_id`` (their own, or any user's for admins)."""
    if actor.user_id != user_id:
        authorize(db, actor, Action.TOKEN_LIST, target=("user", user_id))
    with db.read() as s:
        _get_user(s, user_id)
        tokens = s.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
        )
        return [_token_row(t) for t in tokens]


def revoke_token(db: Database, actor: Actor, token_id: int) -> TokenRow:
    """Revoke a token (its owner or an admin); revoking twice is harmless."""
    with db.begin() as s:
        token = s.get(ApiToken, token_id)
        if token is None:
            raise NotFound(f"No API token with id {token_id}.")
        owner = token.user_id
    if actor.user_id != owner:
        authorize(db, actor, Action.TOKEN_REVOKE, target=("token", token_id))
    with db.begin() as s:
        token = s.get(ApiToken, token_id)
        if token is None:
            raise NotFound(f"No API token with id {token_id}.")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit.add(
                s,
                actor,
                "token.revoke",
                target_type="token",
                target_id=token.id,
                detail={"username": token.user.username, "prefix": token.prefix},
            )
        return _token_row(token)


def principal_for_token(db: Database, token: str) -> Principal | None:
    """The active user a bearer token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with db.begin() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(token)))
        if row is None or row.revoked_at is not None or not row.user.is_active:
            return None
        now = utcnow()
        # Coarse last-used stamp: one write a minute at most, not one per request.
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            row.last_used_at = now
        return _principal(row.user)


def user_id_by_name(db: Database, username: object) -> int:
    """Look up a user's id by name (for the CLI)."""
    name = normalize_username(username)
    with db.read() as s:
        user = _find_user(s, name)
        if user is None:
            raise NotFound(f"No user named {name!r}.")
        return user.id


__all__ = [
    "PASSWORD_RULE",
    "AdminBootstrap",
    "Principal",
    "TokenRow",
    "UserRow",
    "authenticate",
    "change_user",
    "create_token",
    "create_user",
    "end_session",
    "ensure_initial_admin",
    "generate_password",
    "get_user",
    "list_tokens",
    "list_users",
    "load_principal",
    "principal_for_login",
    "principal_for_token",
    "revoke_token",
    "set_password",
    "start_session",
    "update_user",
    "user_id_by_name",
]
