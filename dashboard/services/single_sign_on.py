"""Single sign-on: the users, roles and audit behind an OpenID Connect login.

The web layer (``dashboard.auth.sso``) runs the protocol with Authlib and hands over the
claims of an ID token whose signature, issuer, audience, expiry and nonce it has checked.
Here a user is found by the provider's (issuer, subject) pair only, or created on the first
login with a free username; roles follow the provider's claim at every login; and every
outcome is audited as ``auth.login`` with ``"method": "sso"``.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from dashboard.db import Database
from dashboard.models import Role as RoleRow
from dashboard.models import User, UserIdentity, utcnow
from dashboard.models.identities import ISSUER_MAX, SUBJECT_MAX

from . import audit
from .accounts import DISPLAY_NAME_MAX, USERNAME_RE, Principal, _principal
from .actor import Actor, anonymous
from .errors import AuthenticationFailed, PermissionDenied
from .text import has_control_characters, has_lone_surrogate

AUDIT_ACTION = "auth.login"
METHOD = "sso"
NO_ROLE_MESSAGE = (
    "Your account has no MicroSpaceGen role; ask your administrator to add you to a group "
    "that gives one."
)
INACTIVE_MESSAGE = "This account is deactivated; ask your administrator."
USERNAME_MAX = 32
_NOT_NAME = re.compile(r"[^a-z0-9_.-]+")
# Claim values kept in the audit detail of a refusal (enough to see what the provider sent).
AUDITED_VALUES_MAX = 20


class SignOnRefused(AuthenticationFailed):
    """The provider's answer was refused (bad token, state, error); ``reason`` is audited."""

    def __init__(self, message: str, reason: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


class NoRole(PermissionDenied):
    """The provider vouches for the person, but none of their groups gives a role here."""


# The authentication method values of RFC 8176 that are factors in their own right.
FACTOR_METHODS = frozenset(
    {
        "face",
        "fpt",
        "geo",
        "hwk",
        "iris",
        "kba",
        "otp",
        "pin",
        "pwd",
        "retina",
        "sc",
        "sms",
        "swk",
        "tel",
        "vbm",
    }
)


@dataclass(frozen=True)
class VerifiedIdentity:
    """What a checked ID token says about the person signing in."""

    issuer: str
    subject: str
    preferred_username: str | None
    email: str | None
    name: str | None
    # The values of the configured roles claim (groups, roles).
    claim_values: tuple[str, ...]
    # How the provider authenticated the person (the "amr" claim, e.g. pwd, otp, mfa), audited.
    auth_methods: tuple[str, ...] = ()

    @property
    def is_multi_factor(self) -> bool:
        """Whether the provider says it checked more than one factor (RFC 8176: ``mfa``, or
        two of its methods such as ``pwd`` and ``otp``).

        >>> VerifiedIdentity("i", "s", None, None, None, (), ("pwd", "otp")).is_multi_factor
        True
        >>> VerifiedIdentity("i", "s", None, None, None, (), ("pwd",)).is_multi_factor
        False
        """
        return "mfa" in self.auth_methods or len(FACTOR_METHODS.intersection(self.auth_methods)) > 1


def claim_values(raw: object) -> tuple[str, ...]:
    """The strings of a roles claim: a list of strings, or one string; anything else is none.

    >>> claim_values(["lab-admins", 3, "lab-ops"])
    ('lab-admins', 'lab-ops')
    >>> claim_values("lab-ops")
    ('lab-ops',)
    >>> claim_values({"lab": 1})
    ()
    """
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list | tuple):
        return tuple(item for item in raw if isinstance(item, str))
    return ()


def identity_from_claims(claims: Mapping[str, object], roles_claim: str) -> VerifiedIdentity:
    """Read the person out of an ID token's (already verified) claims."""
    issuer, subject = claims.get("iss"), claims.get("sub")
    if not isinstance(issuer, str) or not isinstance(subject, str) or not subject:
        raise SignOnRefused("The provider's ID token names nobody (no sub).", "no subject")
    if len(issuer) > ISSUER_MAX or len(subject) > SUBJECT_MAX:
        raise SignOnRefused(
            f"The provider's issuer or subject is longer than {SUBJECT_MAX} characters.",
            "identifier too long",
        )

    def text(name: str) -> str | None:
        value = claims.get(name)
        return value if isinstance(value, str) and value.strip() else None

    return VerifiedIdentity(
        issuer=issuer,
        subject=subject,
        preferred_username=text("preferred_username"),
        email=text("email"),
        name=text("name"),
        claim_values=claim_values(claims.get(roles_claim)),
        auth_methods=claim_values(claims.get("amr"))[:10],
    )


def mapped_roles(values: Sequence[str], role_map: Sequence[tuple[str, str]]) -> frozenset[str]:
    """Our roles that the claim values give through ``role_map`` (value, role) pairs.

    >>> sorted(mapped_roles(["lab-ops", "x"], [("lab-ops", "operator"), ("lab-ops", "scientist")]))
    ['operator', 'scientist']
    """
    held = set(values)
    return frozenset(role for value, role in role_map if value in held)


def username_base(identity: VerifiedIdentity) -> str:
    """A valid username from the provider's preferred name, e-mail or nothing.

    >>> username_base(VerifiedIdentity("i", "s", "Zoë Müller", None, None, ()))
    'zoe-muller'
    >>> username_base(VerifiedIdentity("i", "s", None, "42@lab.org", None, ()))
    'user-42'
    >>> username_base(VerifiedIdentity("i", "s", "al", None, None, ()))
    'al-sso'
    """
    source = identity.preferred_username or (identity.email or "").partition("@")[0] or "user"
    folded = unicodedata.normalize("NFKD", source).encode("ascii", "ignore").decode("ascii")
    name = _NOT_NAME.sub("-", folded.lower()).strip("-._")
    if not name[:1].isalpha():
        name = f"user-{name}".rstrip("-")
    if len(name) < 3:
        name = f"{name}-sso"
    name = name[:USERNAME_MAX].rstrip("-._")
    return name if USERNAME_RE.fullmatch(name) else "user"


def _free_username(s: Session, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``…: the first name no user holds (never an existing
    user's: a provider's "admin" becomes "admin-2", not our admin)."""
    for n in range(1, 1000):
        suffix = f"-{n}" if n > 1 else ""
        candidate = base[: USERNAME_MAX - len(suffix)].rstrip("-._") + suffix
        if s.scalar(select(User.id).where(User.username == candidate)) is None:
            return candidate
    return f"user-{secrets.token_hex(6)}"


def _display_name(identity: VerifiedIdentity) -> str:
    raw = identity.name or ""
    if has_control_characters(raw, multiline=False) or has_lone_surrogate(raw):
        return ""
    return " ".join(raw.split())[:DISPLAY_NAME_MAX]


def _system_actor(source_ip: str | None) -> Actor:
    # Who changes a user on the provider's word: no person, the sign-on itself.
    return Actor(None, "sso", frozenset(), source_ip, "web")


def _audit_detail(identity: VerifiedIdentity, **more: object) -> dict[str, object]:
    return {
        "method": METHOD,
        "issuer": identity.issuer,
        "subject": identity.subject[:SUBJECT_MAX],
        **more,
    }


def record_refusal(
    db: Database,
    source_ip: str | None,
    reason: str,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Audit a sign-on refused before anybody was identified (provider error, bad token)."""
    audit.record(
        db,
        anonymous(source_ip),
        AUDIT_ACTION,
        "failed",
        detail={"method": METHOD, "reason": reason, **(detail or {})},
    )


def sign_in(
    db: Database,
    identity: VerifiedIdentity,
    role_map: Sequence[tuple[str, str]],
    source_ip: str | None,
) -> Principal:
    """The local user of a verified identity, created on the first login, with the roles
    the provider's claim gives now.

    Raises :class:`NoRole` when no claim value maps to a role (nothing is created) and
    :class:`SignOnRefused` for a deactivated user; both are audited.
    """
    roles = mapped_roles(identity.claim_values, role_map)
    if not roles:
        record_refusal(
            db,
            source_ip,
            "no mapped role",
            _audit_detail(identity, claim_values=list(identity.claim_values[:AUDITED_VALUES_MAX])),
        )
        raise NoRole(NO_ROLE_MESSAGE)
    with db.read() as s:
        is_linked = _find_link(s, identity) is not None
    # Hashed before the write transaction (scrypt takes a while), for a first login only.
    placeholder = None if is_linked else _placeholder_hash()
    try:
        return _sign_in(db, identity, roles, source_ip, placeholder)
    except IntegrityError:
        # A second first login of the same person (or a user taking the same name) committed
        # between our look-up and our insert: look again, now it links.
        return _sign_in(db, identity, roles, source_ip, placeholder)


def _placeholder_hash() -> str:
    # A random password nobody knows: the account signs in through the provider only, until
    # an admin gives it a password of its own. A real hash, so a password login against it
    # costs what any other does.
    return generate_password_hash(secrets.token_urlsafe(32))


def _find_link(s: Session, identity: VerifiedIdentity) -> UserIdentity | None:
    return s.scalar(
        select(UserIdentity).where(
            UserIdentity.issuer == identity.issuer, UserIdentity.subject == identity.subject
        )
    )


def _sign_in(
    db: Database,
    identity: VerifiedIdentity,
    roles: frozenset[str],
    source_ip: str | None,
    placeholder: str | None,
) -> Principal:
    now = utcnow()
    with db.begin() as s:
        link = _find_link(s, identity)
        if link is not None and not link.user.is_active:
            audit.add(
                s,
                _system_actor(source_ip),
                AUDIT_ACTION,
                "failed",
                target_type="user",
                target_id=link.user_id,
                detail=_audit_detail(identity, username=link.user.username, reason="inactive"),
            )
        else:
            if link is None:
                user = _create_user(s, identity, roles, source_ip, placeholder)
                link = UserIdentity(
                    user_id=user.id,
                    issuer=identity.issuer,
                    subject=identity.subject,
                    created_at=now,
                )
                s.add(link)
            else:
                user = link.user
                _sync_roles(s, user, roles, source_ip)
            link.last_login_at = now
            user.last_login_at = now
            principal = _principal(user)
            audit.add(
                s,
                principal.actor(source_ip),
                AUDIT_ACTION,
                target_type="user",
                target_id=user.id,
                detail=_audit_detail(
                    identity, roles=sorted(roles), amr=[m[:32] for m in identity.auth_methods]
                ),
            )
            return principal
    # Raised once the transaction (and the refusal's audit event) is committed.
    raise SignOnRefused(INACTIVE_MESSAGE, "inactive", status=403)


def _create_user(
    s: Session,
    identity: VerifiedIdentity,
    roles: frozenset[str],
    source_ip: str | None,
    placeholder: str | None,
) -> User:
    name = _free_username(s, username_base(identity))
    user = User(
        username=name,
        display_name=_display_name(identity),
        password_hash=placeholder or _placeholder_hash(),
        is_active=True,
        auth_version=1,
        created_at=utcnow(),
    )
    user.roles = _role_rows(s, roles)
    s.add(user)
    s.flush()
    audit.add(
        s,
        _system_actor(source_ip),
        "user.create",
        target_type="user",
        target_id=user.id,
        detail=_audit_detail(identity, username=name, roles=sorted(roles)),
    )
    return user


def _role_rows(s: Session, names: frozenset[str]) -> list[RoleRow]:
    return list(s.scalars(select(RoleRow).where(RoleRow.name.in_(names)).order_by(RoleRow.name)))


def _sync_roles(s: Session, user: User, roles: frozenset[str], source_ip: str | None) -> None:
    """Give ``user`` exactly ``roles`` (the provider decides), auditing a change."""
    before = sorted(user.role_names)
    if set(before) == roles:
        return
    user.roles = _role_rows(s, roles)
    audit.add(
        s,
        _system_actor(source_ip),
        "user.update",
        target_type="user",
        target_id=user.id,
        detail={
            "username": user.username,
            "method": METHOD,
            "before": {"roles": before},
            "after": {"roles": sorted(roles)},
        },
    )


__all__ = [
    "NO_ROLE_MESSAGE",
    "NoRole",
    "SignOnRefused",
    "VerifiedIdentity",
    "claim_values",
    "identity_from_claims",
    "mapped_roles",
    "record_refusal",
    "sign_in",
    "username_base",
]
